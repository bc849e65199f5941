/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reportdb_pg.h: the PostgreSQL connection of the readers, for reportdb.c
 * only (the commands use reportdb.h, whose promises hold on both engines).
 *
 * The connection is read-only (SET SESSION CHARACTERISTICS AS TRANSACTION
 * READ ONLY) and refuses a database without tlslogd's schema or with one
 * newer than this binary knows. Every query is a cursor (DECLARE ... FETCH,
 * a batch of rows at a time), so that a result of millions of events takes
 * the memory of one batch, and so that a command may read one result while
 * it runs other queries (query reads a peer's history between its events).
 * A cursor lives in a transaction: reportdb_pg_begin() opens one, REPEATABLE
 * READ, that every query until reportdb_pg_end() reads (one snapshot);
 * without it a query opens its own, ended when the last open result is
 * freed, so that `query --follow` sees new events on each poll.
 *
 * Errors are logged with the URI (its password masked) and PostgreSQL's
 * message. Built without libpq, opening logs that and fails.
 */
#ifndef TLSLOGD_REPORTDB_PG_H
#define TLSLOGD_REPORTDB_PG_H

#include <stddef.h>
#include <stdint.h>

struct reportdb_pg;
struct reportdb_pg_rows;

/* Connect to uri and check its schema; NULL (logged) on any failure. */
struct reportdb_pg *reportdb_pg_open(const char *uri);
void reportdb_pg_close(struct reportdb_pg *pg);
/* The URI with its password masked. */
const char *reportdb_pg_uri(const struct reportdb_pg *pg);
/* The database's size in bytes, -1 on an error (logged). */
int64_t reportdb_pg_size(struct reportdb_pg *pg);

/* A REPEATABLE READ, read-only transaction; 0 or -1 (logged). */
int reportdb_pg_begin(struct reportdb_pg *pg);
void reportdb_pg_end(struct reportdb_pg *pg);

/*
 * Run sql with n parameters $1..$n: values[i] their text (NULL: SQL NULL),
 * is_int[i] whether it is a bigint (else text). NULL (logged) on an error;
 * with absent, a missing table sets *absent instead of being logged.
 */
struct reportdb_pg_rows *reportdb_pg_query(struct reportdb_pg *pg, const char *sql, size_t n,
    const char *const *values, const int *is_int, int *absent);
/* 1: a row, 0: no more, -1: an error (logged). */
int reportdb_pg_next(struct reportdb_pg_rows *r);
void reportdb_pg_rows_free(struct reportdb_pg_rows *r);
int reportdb_pg_null(const struct reportdb_pg_rows *r, int col);
int64_t reportdb_pg_int(const struct reportdb_pg_rows *r, int col);
const char *reportdb_pg_text(const struct reportdb_pg_rows *r, int col, size_t *len);

#endif

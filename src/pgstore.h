/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pgstore.h: the PostgreSQL database, for a fleet of daemons that write one
 * (schema in sql/pg/, see schema.h). Built only with libpq (HAVE_LIBPQ).
 *
 * The write side of store.h, with the same promises: events are inserted in
 * transactions, a file's read position is updated in the same transaction as
 * the events read before it, so a crash loses nothing that was committed
 * and re-reading never stores an event twice (events are unique per file
 * and offset). What is new is the server: the name of the tlslogd host this
 * store writes for. Read positions and sources are per server and file (a
 * fleet's hosts share one database and each finds only its own records);
 * events, flags and peer_days are the fleet's.
 *
 * Opening migrates the database under a transaction-scoped advisory lock, so
 * that daemons starting at once migrate it once. Every statement of the
 * write path is prepared at open and run with bound parameters.
 *
 * Every failure (libpq's message, with what was being done and the URI
 * without its password) is logged and returned as -1 / NULL. A lost
 * connection is such a failure: nothing is retried behind the caller's back,
 * whose transaction is gone with the connection; it closes the store and
 * opens a new one.
 *
 * Text from the log may hold any byte; PostgreSQL's text holds no NUL and,
 * in a UTF8 database, only valid UTF-8. A NUL or a byte that is not part of
 * valid UTF-8 is stored as U+FFFD (the replacement character), so that
 * hostile input is stored, not refused. The database's encoding must be
 * UTF8 (or SQL_ASCII).
 */
#ifndef TLSLOGD_PGSTORE_H
#define TLSLOGD_PGSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"
#include "store.h"

struct pgstore;
struct pg_conn;

/*
 * Connect to uri ("postgresql://..." or "postgres://...") as server (the
 * name of this tlslogd host, not empty), migrate and prepare. NULL (logged)
 * on any failure.
 */
struct pgstore *pgstore_open(const char *uri, const char *server);
/*
 * The oldest PostgreSQL server tlslogd works with (PQserverVersion's
 * number): 13, for pg_current_xact_id() (flagdb_pg.c).
 */
#define PGSTORE_SERVER_MIN 130000
/* 0 when conn's server is PGSTORE_SERVER_MIN or newer, else -1 (logged under name). */
int pgstore_server_supported(struct pg_conn *conn, const char *name);
/* Roll back what is open and close. NULL is fine. */
void pgstore_close(struct pgstore *ps);
/* The URI with its password masked, for messages. */
const char *pgstore_uri(const struct pgstore *ps);
const char *pgstore_server(const struct pgstore *ps);
/* The cache of registered domains (domain.h) of the events inserted, for the flagger. */
struct domain_cache *pgstore_domain_cache(struct pgstore *ps);
/* The connection, for readers that run their own queries (libpq's PGconn). */
struct pg_conn *pgstore_conn(struct pgstore *ps);
/* A statement of a module that prepares its own on pgstore_conn. */
struct pgstore_statement {
	const char *name, *sql;
};
/*
 * Prepare those of the n statements that this connection has not prepared
 * yet (all of them on a new connection: after pgstore_epoch changed). Their
 * names begin with prefix, which no other module's do. 0, or -1 (logged,
 * with what).
 */
int pgstore_prepare_missing(struct pgstore *ps, const struct pgstore_statement *list, size_t n,
    const char *prefix, const char *what);
/*
 * How many times the connection was made again (pgstore_begin does it when
 * it was lost, between transactions): a module that prepared statements of
 * its own on pgstore_conn prepares them again when this changed.
 */
uint64_t pgstore_epoch(const struct pgstore *ps);
/* The schema version of the database (the largest of schema_version): 0 / -1. */
int pgstore_schema_version(struct pgstore *ps, int *version);
/* The newest version this binary knows (sql/pg/). */
int pgstore_schema_latest(void);

/*
 * Begin a transaction (connecting again first when the connection was lost:
 * pgstore_epoch). It waits while another writer of the same server (a
 * scan beside the daemon) has one open, as SQLite's writers take turns, so
 * that two never record one file twice. 0 or -1.
 */
int pgstore_begin(struct pgstore *ps);
int pgstore_in_txn(const struct pgstore *ps);
/* Commit; on failure it is rolled back and -1 returned. */
int pgstore_commit(struct pgstore *ps);
void pgstore_rollback(struct pgstore *ps);

/*
 * Store n events, STORE_GROUP at a time in one INSERT ... ON CONFLICT DO
 * NOTHING RETURNING. ids[i]: the new row's id, or 0 when an event of the same
 * file and offset was already there. Inside a transaction; 0 or -1.
 */
int pgstore_add_events(struct pgstore *ps, struct event *const *evs, size_t n, int64_t *ids);

/* As store_file_resume, store_file_find and so on, among this server's records only. */
int pgstore_file_resume(struct pgstore *ps, const struct store_file_key *key, int64_t size,
    int64_t *file_id, int64_t *offset);
int pgstore_file_find(struct pgstore *ps, const struct store_file_key *key, int64_t size,
    int64_t *file_id, int64_t *offset);
int pgstore_file_adopt(struct pgstore *ps, int64_t file_id, const struct store_file_key *key);
/*
 * As store_file_set_offset: offset and counted never move back (offset -1:
 * kept; size -1: kept). A file_id that is not this server's is an error.
 */
int pgstore_file_set_offset(struct pgstore *ps, int64_t file_id, int64_t offset,
    int64_t counted, int64_t size);
int pgstore_file_counted(struct pgstore *ps, int64_t file_id, int64_t *counted);
int pgstore_file_set_head(struct pgstore *ps, int64_t file_id, const char *head,
    size_t head_len, int whole);
/* This server's one record whose whole first line is head: 1, 0 (none or several) or -1. */
int pgstore_file_find_head(struct pgstore *ps, const char *head, size_t head_len,
    int64_t *file_id);
/* This server's record of dev and ino recorded at or after since: 1 and *offset, 0 or -1. */
int pgstore_file_active(struct pgstore *ps, dev_t dev, ino_t ino, int64_t since,
    int64_t *offset);
/* Bytes [from, to) of a file never read (to < 0: to its end), in the transaction. */
int pgstore_loss_add(struct pgstore *ps, int64_t file_id, const char *path, int64_t from,
    int64_t to, const char *reason);
/* The record file_id of this server; 1, 0 (none) or -1. */
int pgstore_file_get(struct pgstore *ps, int64_t file_id, struct store_file_record *rec);

/* As store_source_get / store_source_set, by this server and configured name. */
int pgstore_source_get(struct pgstore *ps, const char *name, int64_t *file_id,
    int64_t *current_id, char **cursor);
int pgstore_source_set(struct pgstore *ps, const char *name, int64_t file_id,
    int64_t current_id, const char *cursor, int64_t lines, int64_t cut, int64_t unknown);

/*
 * Add n rows to peer_days (inside a transaction; store_add_peer_days): the
 * counters of each are added to those of the row of the same peer, day,
 * direction and server, the times widened, the last version kept from the
 * later success. No two of the rows may have the same key. 0 or -1.
 */
int pgstore_peer_days(struct pgstore *ps, const struct store_peer_day *rows, size_t n);

/*
 * Retention (retention.h), inside a transaction: delete up to limit of the
 * oldest events before time, or of the peer_days rows before day (the
 * fleet's, whoever wrote them); rows another connection is deleting are
 * skipped. *deleted: how many. 0 or -1.
 */
int pgstore_delete_events_before(struct pgstore *ps, int64_t time, int limit, int *deleted);
int pgstore_delete_days_before(struct pgstore *ps, int64_t day, int limit, int *deleted);
/*
 * The daemon's claim that it alone writes this server's records (one
 * `tlslogd run` per server and database, as the lock file beside an SQLite
 * database says): 1 when taken (held until the connection closes, also when
 * the process is killed), 0 when another connection holds it, -1 on error.
 */
int pgstore_claim_server(struct pgstore *ps);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pguri.h: what tlslogd needs to know of a PostgreSQL connection URI without
 * libpq: whether a database name is one, and its text for messages, with the
 * password masked. Shared by the writer (pgstore.c) and the readers
 * (reportdb.c), so that both say the same and neither ever logs a password.
 */
#ifndef TLSLOGD_PGURI_H
#define TLSLOGD_PGURI_H

/* 1 when database is a PostgreSQL URI ("postgresql://..." or "postgres://..."), else 0. */
int pguri_is(const char *database);

/*
 * uri with its password masked: the one of the user information
 * ("postgresql://user:***@host/db") and any password= parameter. A new
 * string (the caller frees it); never NULL.
 */
char *pguri_masked(const char *uri);

#endif

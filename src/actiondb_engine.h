/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * actiondb_engine.h: what an engine gives actiondb.c (private to the
 * actiondb files); each operation has the contract of the actiondb.h
 * function of the same name, with the engine's state in place of the
 * actiondb.
 */
#ifndef TLSLOGD_ACTIONDB_ENGINE_H
#define TLSLOGD_ACTIONDB_ENGINE_H

#include "actiondb.h"

struct actiondb_ops {
	void (*close)(void *impl);
	int (*due)(void *impl, int64_t now, struct actiondb_row *rows, size_t max, int quiet);
	int (*start)(void *impl, const struct actiondb_row *row, int64_t lease_until);
	void (*done)(void *impl, int64_t id, int64_t t);
	void (*retry)(void *impl, int64_t id, int64_t next_try);
	void (*give_up)(void *impl, int64_t id, int64_t t, const char *why, int pair);
	void (*release_own)(void *impl, int64_t now);	/* NULL: nothing to release */
};

extern const struct actiondb_ops actiondb_sqlite_ops;
void *actiondb_sqlite_open(struct store *st);

#ifdef HAVE_LIBPQ
extern const struct actiondb_ops actiondb_pg_ops;
void *actiondb_pg_open(struct store *st);
#endif

/*
 * Copy a due row's text into row (NULL: none) and point its notice at it;
 * the engine sets the numbers.
 */
void actiondb_row_strings(struct actiondb_row *row, const char *event, const char *peer,
    const char *peer_kind, const char *threshold, const char *why, const char *main_kind,
    const char *host);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * actiondb.h: the record of due actions (flag_actions, sql/008-flag-actions.sql)
 * as the runner of action.c reads and writes it, one set of statements per
 * engine (actiondb_sqlite.c, actiondb_pg.c).
 *
 * On SQLite one daemon writes the database, and its runner is the only one:
 * starting a due action only counts the start. On PostgreSQL every daemon of
 * the fleet runs a runner on the same record, and an action must run once
 * per flag, not once per host: a start is a claim. The runner that claims a
 * row (its attempts still as read, nobody else's lock on it: FOR UPDATE SKIP
 * LOCKED) counts the start, writes ran_by (its server) and moves next_try
 * past the command's timeout, a lease: while the command runs no other host
 * finds the row due; if the host dies, another takes it over once the lease
 * ran out. The others find nothing to claim and start nothing.
 *
 * Every write that fails is logged with the database and the engine's
 * message ("it may run again": the record did not change).
 */
#ifndef TLSLOGD_ACTIONDB_H
#define TLSLOGD_ACTIONDB_H

#include <stddef.h>
#include <stdint.h>

#include "flag.h"
#include "store.h"

/* A due row of the record, copied out (the strings are owned). */
struct actiondb_row {
	int64_t id;
	int raised;		/* a 'flagged' action, else a 'cleared' one */
	int attempts;		/* starts so far */
	int flag_cleared;	/* its flag has cleared */
	int raise_done;		/* the flag's 'flagged' action is done (for a clear) */
	int raise_gave_up;	/* ... or was given up */
	struct flag_notice n;	/* the flag, as the command's placeholders want it */
	char *strings[7];
};

struct actiondb;

/* The statements on st's engine; NULL (logged) when they cannot be prepared. */
struct actiondb *actiondb_open(struct store *st);
void actiondb_close(struct actiondb *db);
/*
 * Up to max rows due at now (not done, not given up, next_try come), oldest
 * first: n, or -1 (logged unless quiet: a runner says it once).
 */
int actiondb_due(struct actiondb *db, int64_t now, struct actiondb_row *rows, size_t max,
    int quiet);
void actiondb_row_free(struct actiondb_row *row);
/*
 * Count a start of row (read by actiondb_due) before its command runs: 1 when
 * this runner is to run it, 0 when another runner of the fleet took it (do
 * not run), -1 on an error (logged; on SQLite the start is uncounted and the
 * action runs, as it always did; on PostgreSQL it does not: it may be
 * another host's). lease_until: on PostgreSQL, no other host finds it due
 * before.
 */
int actiondb_start(struct actiondb *db, const struct actiondb_row *row, int64_t lease_until);
/*
 * This runner's process starts: the actions its server claimed before (a
 * daemon of this server that died or stopped while they ran, whose claims
 * last until their leases end) are due again at now, as on SQLite, where a
 * start claims nothing. Only for the daemon that holds its server's claim
 * (store_claim_server: no other process of this server runs actions). A
 * failure is logged: the leases then end by themselves.
 */
void actiondb_release_own(struct actiondb *db, int64_t now);
/* The command of action id exited with status 0 at t. */
void actiondb_done(struct actiondb *db, int64_t id, int64_t t);
/* It failed: not tried again before next_try. */
void actiondb_retry(struct actiondb *db, int64_t id, int64_t next_try);
/* Given up at t for why: the action alone, or (pair) with the other action of its flag. */
void actiondb_give_up(struct actiondb *db, int64_t id, int64_t t, const char *why, int pair);

#endif

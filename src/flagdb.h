/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flagdb.h: the statements of the flagger (flag.c), one set per engine.
 *
 * flag.c decides; these functions read and write what it decides on: the
 * events of a peer, the flags and the due actions. Each engine prepares its
 * statements once, when the flagger is made, and runs them with bound
 * parameters (flagdb_sqlite.c on the SQLite connection, flagdb_pg.c on
 * PostgreSQL's). Every statement runs inside the writer's transaction, as the
 * flag changes are part of it (flag.h).
 *
 * What differs on PostgreSQL (a fleet of daemons writing one database, flags
 * and actions shared by it, pgstore.h):
 *   - flagdb_fleet says so: the flagger must ask the database for the events
 *     of other daemons, which its memory never saw (flag.c).
 *   - A flag is inserted "ON CONFLICT DO NOTHING" on the index of the active
 *     flags: the one daemon that crosses first raises it (raised_by: its
 *     server), the others find it and count into it.
 *   - The events "stored up to ev" are the events of other transactions (all
 *     committed ones are there to count), and those of this transaction with
 *     an id up to ev's: a later event of the transaction is counted when the
 *     flagger sees it, not before.
 *   - A flag is cleared once: a clear of a row another daemon cleared keeps
 *     its first clearing.
 *   - flagdb_views, flagdb_had_successes and flagdb_update_many take many
 *     peers or flags in one statement
 *     (arrays of parameters): a fleet's flagger looks at a transaction's
 *     events together (flag.h), so that its lookups are not a round trip
 *     each. SQLite's versions ask peer by peer; flag.c uses them only on a
 *     fleet's database.
 *
 * Every function returns -1 after logging the database and the engine's
 * message when a statement fails; a query's rows go to a callback, in the
 * order the query promises, until it returns non-zero (no more wanted).
 */
#ifndef TLSLOGD_FLAGDB_H
#define TLSLOGD_FLAGDB_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct flagdb;

/* One flags row, as read by flagdb_actives (strings valid during the callback). */
struct flagdb_flag {
	int64_t id;
	const char *peer, *peer_kind, *threshold, *why, *main_kind, *host;
	int64_t first_event, last_event, count, flagged;
	int raise_action;	/* its 'flagged' action is recorded */
};

/* A flag to write: its columns. */
struct flagdb_new_flag {
	const char *peer;
	int is_domain;
	const char *threshold, *why, *main_kind, *host;	/* main_kind, host: NULL */
	int64_t first_event, last_event, count, flagged;
	int64_t cleared;	/* 0: active */
};

/*
 * The events of a peer (an address, or a domain by peer_domain) of the kinds
 * in kinds (",kind,kind,"), of time from to to (both included), stored up to
 * the event of id max_id (see above; INT64_MAX: all).
 */
struct flagdb_range {
	const char *peer;
	int is_domain;
	const char *kinds;
	int64_t from, to;
	int64_t max_id;
};

typedef int (*flagdb_event_fn)(void *ctx, int64_t time, int kind);
typedef int (*flagdb_flag_fn)(void *ctx, const struct flagdb_flag *flag);

/* The statements of st's engine; NULL (logged) when they cannot be prepared. */
struct flagdb *flagdb_open(struct store *st);
void flagdb_close(struct flagdb *db);
/* 1 when other daemons write the same database (PostgreSQL), 0 on SQLite. */
int flagdb_fleet(const struct flagdb *db);

/* The active flags: all (peer NULL), or the one of peer and threshold. */
int flagdb_actives(struct flagdb *db, const char *peer, const char *threshold, flagdb_flag_fn fn,
    void *ctx);
/* The newest event time stored (*none: there is none). */
int flagdb_newest_event(struct flagdb *db, int64_t *newest, int *none);
/* The events of r in time order (kind: an enum event_kind, 0 when unknown). */
int flagdb_events(struct flagdb *db, const struct flagdb_range *r, flagdb_event_fn fn, void *ctx);
/*
 * flagdb_events, and in the same query (one round trip on a fleet's
 * database) the id of the active flag of r's peer and threshold (*active:
 * 0 when there is none).
 */
int flagdb_events_and_flag(struct flagdb *db, const struct flagdb_range *r,
    const char *threshold, int64_t *active, flagdb_event_fn fn, void *ctx);
/* One window of flagdb_views: a peer's events of kinds, and its active flag of threshold. */
struct flagdb_view {
	const char *peer;
	int is_domain;
	const char *kinds, *threshold;
	int64_t from, to;
	int64_t active;		/* set: the id of the active flag (0: none) */
};
typedef int (*flagdb_view_fn)(void *ctx, size_t i, int64_t time, int kind);
/*
 * flagdb_events_and_flag of n windows (their events stored up to the event
 * of id max_id), in one query on a fleet's database: the events of v[i] go
 * to fn in time order, window after window; v[i].active is set.
 */
int flagdb_views(struct flagdb *db, struct flagdb_view *v, size_t n, int64_t max_id,
    flagdb_view_fn fn, void *ctx);
/* The newest limit events of r (r->to is ignored: no upper bound), newest first. */
int flagdb_events_newest(struct flagdb *db, const struct flagdb_range *r, int64_t limit,
    flagdb_event_fn fn, void *ctx);

/*
 * Write a flag: 1 and *id; 0 when an active flag of the same peer and
 * threshold is there already (another writer raised it; on a fleet's
 * database, or is raising it in a transaction still open), -1 on an error.
 */
int flagdb_insert(struct flagdb *db, const struct flagdb_new_flag *flag, int64_t *id);
/* n more events of flag id, whose times widen first, last and flagged. */
int flagdb_update(struct flagdb *db, int64_t id, int64_t first, int64_t last, int64_t flagged,
    int64_t n);
/* One flag's counts for flagdb_update_many: flagdb_update's parameters. */
struct flagdb_counts {
	int64_t id, first, last, flagged, n;
};
/* flagdb_update of n flags (ids ascending), in one statement on a fleet's database. */
int flagdb_update_many(struct flagdb *db, const struct flagdb_counts *c, size_t n);
/*
 * The same, and the flag cleared at when (unless it was cleared already): 1.
 * 0 on a fleet's database when another daemon counted an event after last
 * into it: the flag stays active, *fleet_last is its last event.
 */
int flagdb_clear(struct flagdb *db, int64_t id, int64_t when, int64_t first, int64_t last,
    int64_t flagged, int64_t n, int64_t *fleet_last);
/* A regression's why and main kind. */
int flagdb_set_why(struct flagdb *db, int64_t id, const char *why, const char *main_kind);
/*
 * The newest cleared flag of peer and threshold whose period (from window
 * before its first event to its clearing) holds t: 1 (*id, *from, *to), 0, -1.
 */
int flagdb_find_past(struct flagdb *db, const char *peer, const char *threshold, int64_t t,
    int64_t window, int64_t *id, int64_t *from, int64_t *to);
/* One more event, of time t, of the cleared flag id. */
int flagdb_count_past(struct flagdb *db, int64_t id, int64_t t);
/* Record flag id's action (raised: 'flagged', else 'cleared') due at now, once. */
int flagdb_action_due(struct flagdb *db, int64_t id, int raised, int64_t now);

/* A success of peer (peer_days) on a day from day_from to day_to, first before t: 1, 0, -1. */
int flagdb_had_success(struct flagdb *db, const char *peer, int64_t day_from, int64_t day_to,
    int64_t t);
/* One question of flagdb_had_successes: flagdb_had_success's parameters, and its answer. */
struct flagdb_success_query {
	const char *peer;
	int64_t day_from, day_to, t;
	int found;		/* set: 1 or 0 */
};
/* flagdb_had_success of n peers, in one query on a fleet's database. 0 or -1. */
int flagdb_had_successes(struct flagdb *db, struct flagdb_success_query *q, size_t n);
/* The first failure of kinds of peer after t, before until: 1 (*time, *kind), 0, -1. */
int flagdb_first_failure(struct flagdb *db, const char *peer, int64_t t, int64_t until,
    const char *kinds, int64_t *time, int *kind);
/* The failures of kinds of peer from t on, before until: their number (*last: the newest, else t). */
int64_t flagdb_count_failures(struct flagdb *db, const char *peer, int64_t t, int64_t until,
    const char *kinds, int64_t *last);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flagdb_sqlite.c: the flagger's statements on SQLite (see flagdb.h),
 * prepared once on the store's connection (SQLITE_PREPARE_PERSISTENT: they
 * run for every event of the hot path) and reset after each use.
 *
 * The kinds a query counts are bound as one text, ",kind,kind,", matched with
 * instr(): one statement serves every threshold.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "flagdb_engine.h"
#include "log.h"
#include "util.h"

struct flagdb_sqlite {
	struct store *store;
	sqlite3 *db;
	sqlite3_stmt *actives, *newest, *seed_ip, *seed_domain, *range_ip, *range_domain;
	sqlite3_stmt *insert, *update, *clear, *set_why, *past_find, *past_count, *action_due;
	sqlite3_stmt *history, *first_failure, *count_failures;
};

static int
fail(struct flagdb_sqlite *s, const char *what)
{
	log_warnx("%s: %s: %s", store_path(s->store), what, sqlite3_errmsg(s->db));
	return -1;
}

/* Run s, a statement without rows, and reset it: 0, or -1 (logged as what). */
static int
step_done(struct flagdb_sqlite *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : fail(s, what);
}

static const char *
text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static int
kind_of(sqlite3_stmt *st, int i)
{
	const char *k = text(st, i);
	int kind = k ? event_kind_from_name(k, strlen(k)) : -1;

	return kind < 0 ? 0 : kind;
}

static void
close_sqlite(void *impl)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt **all[] = { &s->actives, &s->newest, &s->seed_ip, &s->seed_domain,
	    &s->range_ip, &s->range_domain, &s->insert, &s->update, &s->clear, &s->set_why,
	    &s->past_find, &s->past_count, &s->action_due, &s->history, &s->first_failure,
	    &s->count_failures };

	if (s == NULL)
		return;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		sqlite3_finalize(*all[i]);
	free(s);
}

static int
actives_sqlite(void *impl, const char *peer, const char *threshold, flagdb_flag_fn fn, void *ctx)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt *st = s->actives;
	int rc, stop = 0;

	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, threshold, -1, SQLITE_STATIC);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct flagdb_flag f;
		f.id = sqlite3_column_int64(st, 0);
		f.peer = text(st, 1);
		f.peer_kind = text(st, 2);
		f.threshold = text(st, 3);
		f.why = text(st, 4);
		f.main_kind = text(st, 5);
		f.host = text(st, 6);
		f.first_event = sqlite3_column_int64(st, 7);
		f.last_event = sqlite3_column_int64(st, 8);
		f.count = sqlite3_column_int64(st, 9);
		f.raise_action = sqlite3_column_int(st, 10);
		f.flagged = sqlite3_column_int64(st, 11);
		stop = fn(ctx, &f);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return stop || rc == SQLITE_DONE ? 0 : fail(s, "cannot read the flags");
}

static int
newest_sqlite(void *impl, int64_t *newest, int *none)
{
	struct flagdb_sqlite *s = impl;
	int rc = sqlite3_step(s->newest);

	if (rc == SQLITE_ROW) {
		*none = sqlite3_column_type(s->newest, 0) == SQLITE_NULL;
		*newest = sqlite3_column_int64(s->newest, 0);
	}
	sqlite3_reset(s->newest);
	return rc == SQLITE_ROW ? 0 : fail(s, "cannot read the newest event");
}

/* Bind r to st (?1 peer, ?2 from, ?3 to, ?4 kinds, ?6 max id), step it, hand on the rows. */
static int
range_rows(struct flagdb_sqlite *s, sqlite3_stmt *st, const struct flagdb_range *r,
    flagdb_event_fn fn, void *ctx, const char *what)
{
	int rc, stop = 0;

	sqlite3_bind_text(st, 1, r->peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->from);
	sqlite3_bind_text(st, 4, r->kinds, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, r->max_id);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
		stop = fn(ctx, sqlite3_column_int64(st, 0), kind_of(st, 1));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return stop || rc == SQLITE_DONE ? 0 : fail(s, what);
}

static int
events_sqlite(void *impl, const struct flagdb_range *r, flagdb_event_fn fn, void *ctx)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt *st = r->is_domain ? s->range_domain : s->range_ip;

	sqlite3_bind_int64(st, 3, r->to);
	return range_rows(s, st, r, fn, ctx, "cannot read a peer's events");
}

/* Two statements: SQLite is no fleet's, flag.c never asks it this on the hot path. */
static int
events_and_flag_sqlite(void *impl, const struct flagdb_range *r, const char *threshold,
    int64_t *active, flagdb_event_fn fn, void *ctx)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt *st = s->actives;
	int rc;

	*active = 0;
	sqlite3_bind_text(st, 1, r->peer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, threshold, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*active = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, "cannot read the flags");
	return events_sqlite(impl, r, fn, ctx);
}

/* One window's row of views_sqlite: fn with its index. */
struct view_rows {
	flagdb_view_fn fn;
	void *ctx;
	size_t i;
};

static int
view_row(void *ctx, int64_t time, int kind)
{
	const struct view_rows *v = ctx;

	return v->fn(v->ctx, v->i, time, kind);
}

/* A window at a time: SQLite is no fleet's, flag.c never asks it this. */
static int
views_sqlite(void *impl, struct flagdb_view *v, size_t n, int64_t max_id, flagdb_view_fn fn,
    void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		struct flagdb_range r = { v[i].peer, v[i].is_domain, v[i].kinds, v[i].from, v[i].to,
		    max_id };
		struct view_rows rows = { fn, ctx, i };
		if (events_and_flag_sqlite(impl, &r, v[i].threshold, &v[i].active, view_row,
		    &rows) < 0)
			return -1;
	}
	return 0;
}

static int
events_newest_sqlite(void *impl, const struct flagdb_range *r, int64_t limit, flagdb_event_fn fn,
    void *ctx)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt *st = r->is_domain ? s->seed_domain : s->seed_ip;

	sqlite3_bind_int64(st, 5, limit);
	return range_rows(s, st, r, fn, ctx, "cannot read a peer's recent events");
}

static int
insert_sqlite(void *impl, const struct flagdb_new_flag *f, int64_t *id)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt *st = s->insert;

	sqlite3_bind_text(st, 1, f->peer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->is_domain ? "domain" : "ip", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, f->threshold, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, f->first_event);
	sqlite3_bind_int64(st, 5, f->last_event);
	sqlite3_bind_int64(st, 6, f->count);
	sqlite3_bind_int64(st, 7, f->flagged);
	sqlite3_bind_text(st, 8, f->why, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, f->main_kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, f->host, -1, SQLITE_STATIC);	/* NULL: SQL NULL */
	if (f->cleared != 0)
		sqlite3_bind_int64(st, 11, f->cleared);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_CONSTRAINT && f->cleared == 0)
		return 0;	/* another writer (a scan beside the daemon) raised it */
	if (rc != SQLITE_DONE)
		return fail(s, "cannot record a flag");
	*id = sqlite3_last_insert_rowid(s->db);
	return 1;
}

static int
update_sqlite(void *impl, int64_t id, int64_t first, int64_t last, int64_t flagged, int64_t n)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt *st = s->update;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, last);
	sqlite3_bind_int64(st, 3, n);
	sqlite3_bind_int64(st, 4, first);
	sqlite3_bind_int64(st, 5, flagged);
	return step_done(s, st, "cannot update a flag");
}

/* A flag at a time: SQLite is no fleet's, flag.c never asks it this. */
static int
update_many_sqlite(void *impl, const struct flagdb_counts *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (update_sqlite(impl, c[i].id, c[i].first, c[i].last, c[i].flagged, c[i].n) < 0)
			return -1;
	return 0;
}

static int
clear_sqlite(void *impl, int64_t id, int64_t when, int64_t first, int64_t last, int64_t flagged,
    int64_t n, int64_t *fleet_last)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt *st = s->clear;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, when);
	sqlite3_bind_int64(st, 3, last);
	sqlite3_bind_int64(st, 4, n);
	sqlite3_bind_int64(st, 5, first);
	sqlite3_bind_int64(st, 6, flagged);
	(void)fleet_last;
	return step_done(s, st, "cannot clear a flag") < 0 ? -1 : 1;
}

static int
set_why_sqlite(void *impl, int64_t id, const char *why, const char *main_kind)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt *st = s->set_why;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, why, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, main_kind, -1, SQLITE_STATIC);
	return step_done(s, st, "cannot update a regression");
}

static int
find_past_sqlite(void *impl, const char *peer, const char *threshold, int64_t t, int64_t window,
    int64_t *id, int64_t *from, int64_t *to)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt *st = s->past_find;

	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, threshold, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, t);
	sqlite3_bind_int64(st, 4, window);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*from = sqlite3_column_int64(st, 1);
		*to = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, "cannot read the past flags");
	return rc == SQLITE_ROW;
}

static int
count_past_sqlite(void *impl, int64_t id, int64_t t)
{
	struct flagdb_sqlite *s = impl;

	sqlite3_bind_int64(s->past_count, 1, id);
	sqlite3_bind_int64(s->past_count, 2, t);
	return step_done(s, s->past_count, "cannot update a past flag");
}

static int
action_due_sqlite(void *impl, int64_t id, int raised, int64_t now)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt *st = s->action_due;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, raised ? "flagged" : "cleared", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	return step_done(s, st, "cannot record a due action");
}

static int
had_success_sqlite(void *impl, const char *peer, int64_t day_from, int64_t day_to, int64_t t)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt *st = s->history;

	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, day_from);
	sqlite3_bind_int64(st, 3, day_to);
	sqlite3_bind_int64(st, 4, t);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, "cannot read the peer's successes");
	return rc == SQLITE_ROW;
}

/* A peer at a time: SQLite is no fleet's, flag.c never asks it this. */
static int
had_successes_sqlite(void *impl, struct flagdb_success_query *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((q[i].found = had_success_sqlite(impl, q[i].peer, q[i].day_from, q[i].day_to,
		    q[i].t)) < 0)
			return -1;
	return 0;
}

static int
first_failure_sqlite(void *impl, const char *peer, int64_t t, int64_t until, const char *kinds,
    int64_t *time, int *kind)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt *st = s->first_failure;

	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t);
	sqlite3_bind_int64(st, 3, until);
	sqlite3_bind_text(st, 4, kinds, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *k = text(st, 1);
		*time = sqlite3_column_int64(st, 0);
		*kind = k != NULL ? event_kind_from_name(k, strlen(k)) : -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(s, "cannot read the peer's failures");
	return rc == SQLITE_ROW;
}

static int64_t
count_failures_sqlite(void *impl, const char *peer, int64_t t, int64_t until, const char *kinds,
    int64_t *last)
{
	struct flagdb_sqlite *s = impl;
	sqlite3_stmt *st = s->count_failures;
	int64_t n = -1;

	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t);
	sqlite3_bind_int64(st, 3, until);
	sqlite3_bind_text(st, 4, kinds, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		if (last != NULL)
			*last = sqlite3_column_type(st, 1) == SQLITE_NULL ? t :
			    sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return n >= 0 ? n : fail(s, "cannot count the peer's failures");
}

void *
flagdb_sqlite_open(struct store *st)
{
	struct flagdb_sqlite *s = xcalloc(1, sizeof(*s));
	const struct {
		sqlite3_stmt **st;
		const char *sql;
	} q[] = {
		{ &s->actives, "SELECT id, peer, peer_kind, threshold, why, main_kind, host, "
		  "first_event, last_event, count, EXISTS (SELECT 1 FROM flag_actions WHERE "
		  "flag_id = flags.id AND event = 'flagged'), flagged FROM flags WHERE cleared IS NULL "
		  "AND (?1 IS NULL OR (peer = ?1 AND threshold = ?2))" },
		{ &s->newest, "SELECT max(time) FROM events" },
		{ &s->seed_ip, "SELECT time, kind FROM events WHERE peer_ip = ?1 AND "
		  "time >= ?2 AND id <= ?6 AND instr(?4, ',' || kind || ',') > 0 "
		  "ORDER BY time DESC LIMIT ?5" },
		/* A domain is looked up by the peer_domain column (schema 5), as domain_of gives it. */
		{ &s->seed_domain, "SELECT time, kind FROM events WHERE peer_domain = ?1 AND "
		  "time >= ?2 AND id <= ?6 AND instr(?4, ',' || kind || ',') > 0 "
		  "ORDER BY time DESC LIMIT ?5" },
		{ &s->range_ip, "SELECT time, kind FROM events WHERE peer_ip = ?1 AND "
		  "time >= ?2 AND time <= ?3 AND id <= ?6 AND instr(?4, ',' || kind || ',') > 0 "
		  "ORDER BY time" },
		{ &s->range_domain, "SELECT time, kind FROM events WHERE peer_domain = ?1 AND "
		  "time >= ?2 AND time <= ?3 AND id <= ?6 AND instr(?4, ',' || kind || ',') > 0 "
		  "ORDER BY time" },
		{ &s->insert, "INSERT INTO flags (peer, peer_kind, threshold, first_event, "
		  "last_event, count, flagged, why, main_kind, host, cleared) VALUES (?1, ?2, ?3, ?4, "
		  "?5, ?6, ?7, ?8, ?9, ?10, ?11)" },
		{ &s->update, "UPDATE flags SET last_event = max(last_event, ?2), "
		  "first_event = min(first_event, ?4), flagged = min(flagged, ?5), count = count + ?3 "
		  "WHERE id = ?1" },
		{ &s->clear, "UPDATE flags SET cleared = ?2, last_event = max(last_event, ?3), "
		  "first_event = min(first_event, ?5), flagged = min(flagged, ?6), count = count + ?4 "
		  "WHERE id = ?1" },
		{ &s->set_why, "UPDATE flags SET why = ?2, main_kind = ?3 WHERE id = ?1" },
		{ &s->past_find, "SELECT id, first_event - ?4, cleared FROM flags WHERE "
		  "peer = ?1 AND threshold = ?2 AND cleared IS NOT NULL AND first_event - ?4 <= ?3 AND "
		  "?3 < cleared ORDER BY id DESC LIMIT 1" },
		{ &s->past_count, "UPDATE flags SET count = count + 1, "
		  "first_event = min(first_event, ?2), last_event = max(last_event, ?2) WHERE id = ?1" },
		{ &s->action_due, "INSERT OR IGNORE INTO flag_actions (flag_id, event, due, "
		  "next_try) VALUES (?1, ?2, ?3, ?3)" },
		{ &s->history, "SELECT 1 FROM peer_days WHERE peer = ?1 AND day >= ?2 AND "
		  "day <= ?3 AND first_time < ?4 LIMIT 1" },
		{ &s->first_failure, "SELECT time, kind FROM events WHERE peer_ip = ?1 AND "
		  "time > ?2 AND time < ?3 AND instr(?4, ',' || kind || ',') > 0 ORDER BY time LIMIT 1" },
		{ &s->count_failures, "SELECT count(*), max(time) FROM events WHERE "
		  "peer_ip = ?1 AND time >= ?2 AND time < ?3 AND instr(?4, ',' || kind || ',') > 0" },
	};

	s->store = st;
	s->db = store_db(st);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (sqlite3_prepare_v3(s->db, q[i].sql, -1, SQLITE_PREPARE_PERSISTENT, q[i].st,
		    NULL) != SQLITE_OK) {
			fail(s, "cannot prepare the flag statements");
			close_sqlite(s);
			return NULL;
		}
	return s;
}

const struct flagdb_ops flagdb_sqlite_ops = {
	.fleet = 0,
	.close = close_sqlite,
	.actives = actives_sqlite,
	.newest_event = newest_sqlite,
	.events = events_sqlite,
	.events_and_flag = events_and_flag_sqlite,
	.views = views_sqlite,
	.events_newest = events_newest_sqlite,
	.insert = insert_sqlite,
	.update = update_sqlite,
	.update_many = update_many_sqlite,
	.clear = clear_sqlite,
	.set_why = set_why_sqlite,
	.find_past = find_past_sqlite,
	.count_past = count_past_sqlite,
	.action_due = action_due_sqlite,
	.had_success = had_success_sqlite,
	.had_successes = had_successes_sqlite,
	.first_failure = first_failure_sqlite,
	.count_failures = count_failures_sqlite,
};

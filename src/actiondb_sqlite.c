/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * actiondb_sqlite.c: the record of due actions on SQLite (see actiondb.h):
 * one daemon, one runner; a start is counted, never contested.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdlib.h>

#include "actiondb_engine.h"
#include "log.h"
#include "util.h"

struct actiondb_sqlite {
	struct store *store;
	sqlite3 *db;
	sqlite3_stmt *due, *started, *done, *failed, *give_up, *give_up_pair;
};

static void
close_sqlite(void *impl)
{
	struct actiondb_sqlite *s = impl;

	if (s == NULL)
		return;
	sqlite3_finalize(s->due);
	sqlite3_finalize(s->started);
	sqlite3_finalize(s->done);
	sqlite3_finalize(s->failed);
	sqlite3_finalize(s->give_up);
	sqlite3_finalize(s->give_up_pair);
	free(s);
}

static const char *
text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static int
due_sqlite(void *impl, int64_t now, struct actiondb_row *rows, size_t max, int quiet)
{
	struct actiondb_sqlite *s = impl;
	sqlite3_stmt *st = s->due;
	size_t n = 0;
	int rc;

	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct actiondb_row *d = &rows[n++];
		actiondb_row_strings(d, text(st, 1), text(st, 3), text(st, 4), text(st, 5),
		    text(st, 6), text(st, 7), text(st, 8));
		d->id = sqlite3_column_int64(st, 0);
		d->attempts = sqlite3_column_int(st, 2);
		d->n.count = sqlite3_column_int64(st, 9);
		d->n.first_event = sqlite3_column_int64(st, 10);
		d->n.last_event = sqlite3_column_int64(st, 11);
		d->n.cleared = sqlite3_column_int64(st, 12);
		d->flag_cleared = sqlite3_column_type(st, 12) != SQLITE_NULL;
		d->raise_done = sqlite3_column_int(st, 13);
		d->raise_gave_up = sqlite3_column_int(st, 14);
	}
	sqlite3_reset(st);
	if (n < max && rc != SQLITE_DONE) {
		if (!quiet)
			log_warnx("%s: cannot read the due actions: %s", store_path(s->store),
		    sqlite3_errmsg(s->db));
		while (n > 0)
			actiondb_row_free(&rows[--n]);
		return -1;
	}
	return (int)n;
}

/* Run one UPDATE of the record (id, time, text); a failure is logged: the action may run again. */
static int
record(struct actiondb_sqlite *s, sqlite3_stmt *st, int64_t id, int64_t t, const char *why)
{
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, t);
	if (why != NULL)
		sqlite3_bind_text(st, 3, why, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		log_warnx("%s: cannot record an action's state (it may run again): %s",
		    store_path(s->store), sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
start_sqlite(void *impl, const struct actiondb_row *row, int64_t lease_until)
{
	struct actiondb_sqlite *s = impl;

	(void)lease_until;
	record(s, s->started, row->id, 0, NULL);
	return 1;	/* the only runner: it runs, counted or not */
}

static void
done_sqlite(void *impl, int64_t id, int64_t t)
{
	struct actiondb_sqlite *s = impl;

	record(s, s->done, id, t, NULL);
}

static void
retry_sqlite(void *impl, int64_t id, int64_t next_try)
{
	struct actiondb_sqlite *s = impl;

	record(s, s->failed, id, next_try, NULL);
}

static void
give_up_sqlite(void *impl, int64_t id, int64_t t, const char *why, int pair)
{
	struct actiondb_sqlite *s = impl;

	record(s, pair ? s->give_up_pair : s->give_up, id, t, why);
}

void *
actiondb_sqlite_open(struct store *st)
{
	struct actiondb_sqlite *s = xcalloc(1, sizeof(*s));
	const struct {
		sqlite3_stmt **st;
		const char *sql;
	} q[] = {
		{ &s->due, "SELECT a.id, a.event, a.attempts, f.peer, f.peer_kind, f.threshold, f.why, "
		    "f.main_kind, f.host, f.count, f.first_event, f.last_event, f.cleared, "
		    "(SELECT coalesce(r.done IS NOT NULL, 1) FROM flag_actions r "
		    "WHERE r.flag_id = a.flag_id AND r.event = 'flagged'), "
		    "(SELECT r.gave_up IS NOT NULL FROM flag_actions r "
		    "WHERE r.flag_id = a.flag_id AND r.event = 'flagged') "
		    "FROM flag_actions a JOIN flags f ON f.id = a.flag_id "
		    "WHERE a.done IS NULL AND a.gave_up IS NULL AND a.next_try <= ?1 "
		    "ORDER BY a.id LIMIT ?2" },
		{ &s->started, "UPDATE flag_actions SET attempts = attempts + 1 WHERE id = ?1" },
		{ &s->done, "UPDATE flag_actions SET done = ?2 WHERE id = ?1" },
		{ &s->failed, "UPDATE flag_actions SET next_try = ?2 WHERE id = ?1" },
		{ &s->give_up, "UPDATE flag_actions SET gave_up = ?2, why = ?3 WHERE id = ?1" },
		{ &s->give_up_pair, "UPDATE flag_actions SET gave_up = ?2, why = ?3 WHERE gave_up IS "
		    "NULL AND done IS NULL AND flag_id = (SELECT flag_id FROM flag_actions WHERE id = ?1)" },
	};

	s->store = st;
	s->db = store_db(st);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		if (sqlite3_prepare_v3(s->db, q[i].sql, -1, SQLITE_PREPARE_PERSISTENT, q[i].st,
		    NULL) != SQLITE_OK) {
			log_warnx("%s: cannot prepare the action record: %s", store_path(st),
			    sqlite3_errmsg(s->db));
			close_sqlite(s);
			return NULL;
		}
	return s;
}

const struct actiondb_ops actiondb_sqlite_ops = {
	.close = close_sqlite,
	.due = due_sqlite,
	.start = start_sqlite,
	.done = done_sqlite,
	.retry = retry_sqlite,
	.give_up = give_up_sqlite,
};

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * actiondb_pg.c: the record of due actions on PostgreSQL (see actiondb.h),
 * shared by the runners of a fleet's daemons: a start is a claim, so that
 * each action runs on one host, and ran_by says which.
 *
 * The claim is one UPDATE of the row as it was read (its attempts) that
 * another runner has not locked (FOR UPDATE SKIP LOCKED: nobody waits for
 * another host's transaction); of two runners that read the same due row,
 * the second finds the attempts changed, or the row locked, and starts
 * nothing. The claim moves next_try to the end of a lease (the command's
 * timeout and a margin): the row is due again, for any host, only if its
 * runner never recorded how the command ended (it died). A daemon that
 * starts again for the same server makes its server's claims due at once
 * (actiondb_release_own): as on SQLite, it does not wait out its own lease.
 *
 * Statements are prepared once per connection ("action_..."), and again on
 * a connection made again (pgstore_epoch), as the flagger's are
 * (flagdb_pg.c); values go as text parameters.
 */
#include "config.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actiondb_engine.h"
#include "log.h"
#include "pgstore.h"
#include "util.h"

struct actiondb_pg {
	struct store *store;
	PGconn *conn;
	uint64_t epoch;		/* of the connection the statements are prepared on */
	const char *server;
};

static const struct pgstore_statement statements[] = {
	{ "action_due", "SELECT a.id, a.event, a.attempts, f.peer, f.peer_kind, f.threshold, "
	  "f.why, f.main_kind, f.host, f.count, f.first_event, f.last_event, f.cleared, "
	  "coalesce((SELECT (r.done IS NOT NULL)::int FROM flag_actions r "
	  "WHERE r.flag_id = a.flag_id AND r.event = 'flagged'), 0), "
	  "coalesce((SELECT (r.gave_up IS NOT NULL)::int FROM flag_actions r "
	  "WHERE r.flag_id = a.flag_id AND r.event = 'flagged'), 0) "
	  "FROM flag_actions a JOIN flags f ON f.id = a.flag_id "
	  "WHERE a.done IS NULL AND a.gave_up IS NULL AND a.next_try <= $1 "
	  "ORDER BY a.id LIMIT $2" },
	{ "action_claim", "UPDATE flag_actions SET attempts = attempts + 1, ran_by = $2, "
	  "next_try = $3 WHERE id = (SELECT id FROM flag_actions WHERE id = $1 AND attempts = $4 "
	  "AND done IS NULL AND gave_up IS NULL FOR UPDATE SKIP LOCKED) RETURNING id" },
	{ "action_done", "UPDATE flag_actions SET done = $2 WHERE id = $1" },
	/* This server's claims, due again at once ($1: server, $2: now). */
	{ "action_release", "UPDATE flag_actions SET next_try = $2 WHERE ran_by = $1 AND "
	  "done IS NULL AND gave_up IS NULL AND next_try > $2" },
	{ "action_retry", "UPDATE flag_actions SET next_try = $2 WHERE id = $1" },
	{ "action_give_up", "UPDATE flag_actions SET gave_up = $2, why = $3 WHERE id = $1" },
	{ "action_give_up_pair", "UPDATE flag_actions SET gave_up = $2, why = $3 WHERE gave_up IS "
	  "NULL AND done IS NULL AND flag_id = (SELECT flag_id FROM flag_actions WHERE id = $1)" },
};

static int prepare_all(struct actiondb_pg *p);

static void
log_pq(struct actiondb_pg *p, const char *what, const PGresult *r)
{
	const char *msg = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(p->conn);
	log_warnx("%s: %s: %.*s", store_path(p->store), what, (int)strcspn(msg, "\n"), msg);
}

/* Run statement name with n text parameters: its result, or NULL (logged as what unless quiet). */
static PGresult *
run(struct actiondb_pg *p, const char *name, int n, const char *const *v, const char *what,
    int quiet)
{
	struct pgstore *ps = store_pg(p->store);

	if (pgstore_epoch(ps) != p->epoch) {
		/* Connected again since: a new session, without our statements. */
		p->conn = (PGconn *)pgstore_conn(ps);
		if (prepare_all(p) < 0)
			return NULL;
		p->epoch = pgstore_epoch(ps);
	}
	PGresult *r = PQexecPrepared(p->conn, name, n, v, NULL, NULL, 0);
	ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		if (!quiet)
			log_pq(p, what, r);
		PQclear(r);
		return NULL;
	}
	return r;
}

static int64_t
int_at(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static const char *
text_at(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static void
close_pg(void *impl)
{
	free(impl);
}

static int
due_pg(void *impl, int64_t now, struct actiondb_row *rows, size_t max, int quiet)
{
	struct actiondb_pg *p = impl;
	char a[24], b[24];
	const char *v[2] = { a, b };

	snprintf(a, sizeof(a), "%lld", (long long)now);
	snprintf(b, sizeof(b), "%zu", max);
	PGresult *r = run(p, "action_due", 2, v, "cannot read the due actions", quiet);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	for (int i = 0; i < n && (size_t)i < max; i++) {
		struct actiondb_row *d = &rows[i];
		actiondb_row_strings(d, text_at(r, i, 1), text_at(r, i, 3), text_at(r, i, 4),
		    text_at(r, i, 5), text_at(r, i, 6), text_at(r, i, 7), text_at(r, i, 8));
		d->id = int_at(r, i, 0);
		d->attempts = (int)int_at(r, i, 2);
		d->n.count = int_at(r, i, 9);
		d->n.first_event = int_at(r, i, 10);
		d->n.last_event = int_at(r, i, 11);
		d->flag_cleared = !PQgetisnull(r, i, 12);
		d->n.cleared = d->flag_cleared ? int_at(r, i, 12) : 0;
		d->raise_done = (int)int_at(r, i, 13);
		d->raise_gave_up = (int)int_at(r, i, 14);
	}
	PQclear(r);
	return n;
}

static int
start_pg(void *impl, const struct actiondb_row *row, int64_t lease_until)
{
	struct actiondb_pg *p = impl;
	char id[24], lease[24], attempts[24];
	const char *v[4] = { id, p->server, lease, attempts };

	snprintf(id, sizeof(id), "%lld", (long long)row->id);
	snprintf(lease, sizeof(lease), "%lld", (long long)lease_until);
	snprintf(attempts, sizeof(attempts), "%d", row->attempts);
	PGresult *r = run(p, "action_claim", 4, v, "cannot claim a due action (not run)", 0);
	if (r == NULL)
		return -1;
	int claimed = PQntuples(r) > 0;
	PQclear(r);
	return claimed;
}

/* One UPDATE of the record; a failure is logged: the action may run again. */
static void
record(struct actiondb_pg *p, const char *name, int64_t id, int64_t t, const char *why)
{
	char a[24], b[24];
	const char *v[3] = { a, b, why };

	snprintf(a, sizeof(a), "%lld", (long long)id);
	snprintf(b, sizeof(b), "%lld", (long long)t);
	PQclear(run(p, name, why != NULL ? 3 : 2, v,
	    "cannot record an action's state (it may run again)", 0));
}

static void
done_pg(void *impl, int64_t id, int64_t t)
{
	record(impl, "action_done", id, t, NULL);
}

static void
retry_pg(void *impl, int64_t id, int64_t next_try)
{
	record(impl, "action_retry", id, next_try, NULL);
}

static void
give_up_pg(void *impl, int64_t id, int64_t t, const char *why, int pair)
{
	record(impl, pair ? "action_give_up_pair" : "action_give_up", id, t, why);
}

static void
release_own_pg(void *impl, int64_t now)
{
	struct actiondb_pg *p = impl;
	char t[24];
	const char *v[2] = { p->server, t };

	snprintf(t, sizeof(t), "%lld", (long long)now);
	PQclear(run(p, "action_release", 2, v,
	    "cannot make this server's unfinished actions due again (they wait out their leases)",
	    0));
}

/* Prepare the statements this connection has not prepared yet. 0 or -1. */
static int
prepare_all(struct actiondb_pg *p)
{
	return pgstore_prepare_missing(store_pg(p->store), statements,
	    sizeof(statements) / sizeof(statements[0]), "action_", "cannot prepare the action record");
}

void *
actiondb_pg_open(struct store *st)
{
	struct actiondb_pg *p = xcalloc(1, sizeof(*p));

	p->store = st;
	p->conn = (PGconn *)pgstore_conn(store_pg(st));
	p->server = pgstore_server(store_pg(st));
	p->epoch = pgstore_epoch(store_pg(st));
	if (prepare_all(p) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

const struct actiondb_ops actiondb_pg_ops = {
	.close = close_pg,
	.due = due_pg,
	.start = start_pg,
	.done = done_pg,
	.retry = retry_pg,
	.give_up = give_up_pg,
	.release_own = release_own_pg,
};

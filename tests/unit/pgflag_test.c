/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pgflag_test.c: flags and their actions across a fleet, on a real
 * PostgreSQL server (tests/pg-flags.sh starts a private cluster and names a
 * database of its own in TLSLOGD_PG_URI). Each "daemon" here is a store of
 * its own server name on that database, with its flagger and batch, as
 * `tlslogd run` has them:
 *   - a peer failing once on each of three servers, for a threshold of
 *     COUNT 3, is flagged once, by the third (raised_by), and the others
 *     count their later events into that flag;
 *   - two daemons crossing the same threshold at once write one row: the
 *     second neither writes nor waits (no deadlock), and its later events
 *     count into the first's flag;
 *   - a regression (peer_days of the fleet) is raised once, and adopted;
 *   - a flag another daemon counted a later event into is not cleared by a
 *     daemon whose own events went quiet; it clears once, with one clear
 *     action;
 *   - the runners of two daemons run each due action once (ran_by says
 *     where), a claim taken is not taken again, and a row another runner
 *     holds locked is skipped without waiting;
 *   - three daemons storing failures of the same 40 peers at once flag each
 *     once, without a failed transaction;
 *   - a transaction of more events than wait in memory at once (flag.h),
 *     of many peers among the fleet's committed events, raises, adopts and
 *     counts every flag as events looked at one by one would;
 *   - a flag another daemon commits while a transaction is open is adopted
 *     by that transaction's events of its peer.
 *
 * The test checks through a connection of its own, with plain SQL.
 */
#include "config.h"

#include <ev.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "actiondb.h"
#include "batch.h"
#include "conf.h"
#include "event.h"
#include "flag.h"
#include "log.h"
#include "store.h"
#include "tap.h"

static const char *uri;
static PGconn *check;
static struct conf conf;
static char dir[] = "/tmp/pgflag_test.XXXXXX";
static char actions_file[300];

/* The integer the query gives with up to two text parameters; -1: no row or NULL, -2: error. */
static long long
q_int(const char *sql, const char *a, const char *b)
{
	const char *params[2] = { a, b };
	PGresult *r = PQexecParams(check, sql, b != NULL ? 2 : a != NULL ? 1 : 0, NULL, params,
	    NULL, NULL, 0);
	long long v = -1;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		printf("# %s: %s", sql, PQerrorMessage(check));
		v = -2;
	} else if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	}
	PQclear(r);
	return v;
}

/* The text the query gives (a static copy), or NULL. */
static const char *
q_text(const char *sql, const char *a)
{
	static char out[256];
	PGresult *r = PQexecParams(check, sql, a != NULL, NULL, &a, NULL, NULL, 0);
	const char *v = NULL;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
		snprintf(out, sizeof(out), "%s", PQgetvalue(r, 0, 0));
		v = out;
	}
	PQclear(r);
	return v;
}

/* One daemon of the fleet: its store (server name), flagger and batch. */
struct daemon {
	struct store *st;
	struct flagger *f;
	struct batch *b;
	int raised, cleared;	/* notices after its commits */
};

static void
on_notice(void *ctx, const struct flag_notice *n)
{
	struct daemon *d = ctx;

	if (n->raised)
		d->raised++;
	else
		d->cleared++;
}

static int
daemon_open(struct daemon *d, const char *server)
{
	memset(d, 0, sizeof(*d));
	d->st = store_open_server(uri, STORE_READ_WRITE, server);
	if (d->st == NULL)
		return -1;
	d->f = flag_new(d->st, &conf);
	if (d->f == NULL)
		return -1;
	flag_record_actions(d->f, 1, 1, 1);
	d->b = batch_new(d->st, d->f);
	return 0;
}

static void
daemon_close(struct daemon *d)
{
	batch_free(d->b);
	flag_free(d->f);
	store_close(d->st);
}

static struct event *
make_event(const char *ip, enum event_kind kind, int64_t t)
{
	struct event *ev = event_new();

	ev->time = t;
	ev->mta = "postfix";
	ev->kind = kind;
	ev->direction = DIR_IN;
	ev->file_id = 0;	/* a stream's: never the same event twice */
	ev->offset = -1;
	event_set(ev, EF_PEER_IP, ip, strlen(ip));
	event_set(ev, EF_RAW, "a line", 6);
	return ev;
}

/* Store one event of ip in a transaction of its own, as the daemon does: 0 / -1. */
static int
daemon_store(struct daemon *d, const char *ip, enum event_kind kind, int64_t t)
{
	batch_add(d->b, make_event(ip, kind, t), NULL);
	if (batch_commit(d->b) < 0)
		return -1;
	flag_take_notices(d->f, on_notice, d);
	return 0;
}

static long long
flags_of(const char *peer)
{
	return q_int("SELECT count(*) FROM flags WHERE peer = $1", peer, NULL);
}

/* A peer failing once on each of three servers is flagged once; the others count into it. */
static void
test_fleet_count(struct daemon *mx, int64_t t0)
{
	const char *p = "198.51.100.7";

	ok(daemon_store(&mx[0], p, KIND_AUTH_FAILED, t0) == 0, "mx1 stores a failure of P");
	ok(daemon_store(&mx[1], p, KIND_AUTH_FAILED, t0 + 60) == 0, "mx2 stores one");
	is_int(flags_of(p), 0, "two failures in the fleet: no flag yet");
	ok(daemon_store(&mx[2], p, KIND_AUTH_FAILED, t0 + 120) == 0, "mx3 stores the third");
	is_int(flags_of(p), 1, "three failures on three servers in the window: one flag");
	is_str(q_text("SELECT raised_by FROM flags WHERE peer = $1", p), "mx3",
	    "raised by the daemon that crossed the threshold");
	is_int(q_int("SELECT count FROM flags WHERE peer = $1", p, NULL), 3,
	    "it counts the fleet's three events");
	is_int(q_int("SELECT first_event FROM flags WHERE peer = $1", p, NULL), t0,
	    "from the first one, mx1's");
	is_int(mx[2].raised, 1, "mx3 announces it");
	is_int(mx[0].raised + mx[1].raised, 0, "the others do not");
	is_int(q_int("SELECT count(*) FROM flag_actions a JOIN flags f ON f.id = a.flag_id "
	    "WHERE f.peer = $1", p, NULL), 1, "its action is due once");

	ok(daemon_store(&mx[0], p, KIND_AUTH_FAILED, t0 + 180) == 0 &&
	    daemon_store(&mx[1], p, KIND_AUTH_FAILED, t0 + 200) == 0,
	    "mx1 and mx2 store one more each");
	is_int(flags_of(p), 1, "still one flag");
	is_int(q_int("SELECT count FROM flags WHERE peer = $1", p, NULL), 5,
	    "the others counted their events into it");
	is_int(q_int("SELECT last_event FROM flags WHERE peer = $1", p, NULL), t0 + 200,
	    "its last event is the fleet's");
	is_int(q_int("SELECT count(*) FROM flag_actions a JOIN flags f ON f.id = a.flag_id "
	    "WHERE f.peer = $1", p, NULL), 1, "no second action");
}

/* Two daemons cross at once: the second neither writes a flag nor waits for the first. */
static void
test_concurrent_raise(struct daemon *mx, int64_t t0)
{
	const char *q = "198.51.100.8";
	int64_t id = 0;

	ok(daemon_store(&mx[2], q, KIND_AUTH_FAILED, t0) == 0 &&
	    daemon_store(&mx[2], q, KIND_AUTH_FAILED, t0 + 10) == 0, "mx3 stores two failures of Q");

	/* mx1 crosses, and holds its transaction open. */
	struct event *ev = make_event(q, KIND_AUTH_FAILED, t0 + 20);
	ok(store_begin(mx[0].st) == 0 && store_add_events(mx[0].st, &ev, 1, &id) == 0 && id > 0,
	    "mx1 stores a third, not committed");
	ev->id = id;
	/* A fleet's flagger looks at the transaction's events at its flush (flag.h). */
	ok(flag_observe(mx[0].f, ev) == 0 && flag_flush(mx[0].f) == 0,
	    "mx1 raises the flag in its transaction");
	event_free(ev);

	fflush(stdout);
	pid_t kid = fork();
	if (kid == 0) {
		/* mx4 crosses too (it cannot see mx1's event): it must not wait for mx1. */
		struct daemon d4;
		int rc = daemon_open(&d4, "mx4") == 0 &&
		    daemon_store(&d4, q, KIND_AUTH_FAILED, t0 + 30) == 0 && d4.raised == 0;
		daemon_close(&d4);
		_exit(rc ? 0 : 1);
	}
	int status = -1, done = 0;
	for (int i = 0; i < 3000 && !done; i++) {
		done = waitpid(kid, &status, WNOHANG) == kid;
		if (!done)
			usleep(10000);
	}
	ok(done, "mx4 commits while mx1's transaction is open (no wait, no deadlock)");
	ok(done && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "without an error and without announcing a flag of its own");
	is_int(flags_of(q), 0, "no flag is committed yet");
	ok(flag_flush(mx[0].f) == 0 && store_commit(mx[0].st) == 0, "mx1 commits");
	flag_take_notices(mx[0].f, on_notice, &mx[0]);
	if (!done)
		waitpid(kid, &status, 0);
	is_int(flags_of(q), 1, "one flag row");
	is_str(q_text("SELECT raised_by FROM flags WHERE peer = $1", q), "mx1", "mx1's");
	is_int(q_int("SELECT count FROM flags WHERE peer = $1", q, NULL), 3,
	    "mx4's event, in flight when the flag was raised, is not counted (flag.h)");
	ok(daemon_store(&mx[1], q, KIND_AUTH_FAILED, t0 + 40) == 0, "mx2 stores one more");
	is_int(q_int("SELECT count FROM flags WHERE peer = $1", q, NULL), 4, "counted into it");
	is_int(flags_of(q), 1, "still one flag");
}

/* A regression is the fleet's: raised once from peer_days of any server, adopted by the others. */
static void
test_regression(struct daemon *mx, int64_t now)
{
	const char *r = "198.51.100.9";
	char day[24], first[24];

	snprintf(day, sizeof(day), "%lld", (long long)(now / 86400 - 1));
	snprintf(first, sizeof(first), "%lld", (long long)((now / 86400 - 1) * 86400 + 60));
	const char *params[3] = { r, day, first };
	PGresult *res = PQexecParams(check, "INSERT INTO peer_days (peer, day, direction, server, "
	    "mta, first_time, last_time, tls13, messages) VALUES ($1, $2, 'in', 'mx2.example.net', "
	    "'postfix', $3, $3, 5, 5)", 3, NULL, params, NULL, NULL, 0);
	ok(PQresultStatus(res) == PGRES_COMMAND_OK, "R succeeded yesterday on mx2");
	PQclear(res);

	ok(daemon_store(&mx[0], r, KIND_TLS_CERT_EXPIRED, now - 60) == 0,
	    "R fails on mx1 with an expired certificate");
	is_int(q_int("SELECT count(*) FROM flags WHERE peer = $1 AND threshold = 'regression'", r,
	    NULL), 1, "a regression is raised from the fleet's peer_days");
	is_str(q_text("SELECT raised_by FROM flags WHERE peer = $1", r), "mx1", "by mx1");
	ok(daemon_store(&mx[1], r, KIND_TLS_CERT_EXPIRED, now - 30) == 0, "R fails on mx2 too");
	is_int(q_int("SELECT count(*) FROM flags WHERE peer = $1", r, NULL), 1,
	    "still one regression");
	is_int(q_int("SELECT count FROM flags WHERE peer = $1", r, NULL), 2,
	    "mx2 counted its failure into it");
}

/* A flag clears when the fleet's last event is quiet, once. */
static void
test_clear(struct daemon *mx, int64_t t0)
{
	const char *p = "198.51.100.7";
	int64_t quiet = conf.flag_quiet;

	/* mx1 counted up to t0 + 180; mx2 counted t0 + 200 into the flag. */
	ok(batch_expire_flags(mx[0].b, t0 + 180 + quiet) == 0, "mx1 expires at its own quiet time");
	flag_take_notices(mx[0].f, on_notice, &mx[0]);
	is_int(q_int("SELECT count(*) FROM flags WHERE peer = $1 AND cleared IS NULL", p, NULL), 1,
	    "the flag stays: mx2's event came later");
	is_int(mx[0].cleared, 0, "mx1 announces no clearing");
	ok(batch_expire_flags(mx[0].b, t0 + 200 + quiet) == 0, "mx1 expires after the fleet's quiet");
	flag_take_notices(mx[0].f, on_notice, &mx[0]);
	is_int(q_int("SELECT cleared FROM flags WHERE peer = $1", p, NULL), t0 + 200 + quiet,
	    "cleared flag_quiet after the fleet's last event");
	is_int(mx[0].cleared, 1, "mx1 announces it");
	ok(batch_expire_flags(mx[1].b, t0 + 200 + quiet + 5) == 0, "mx2 expires its copy");
	flag_take_notices(mx[1].f, on_notice, &mx[1]);
	is_int(q_int("SELECT cleared FROM flags WHERE peer = $1", p, NULL), t0 + 200 + quiet,
	    "the first clearing stays");
	is_int(q_int("SELECT count(*) FROM flag_actions a JOIN flags f ON f.id = a.flag_id "
	    "WHERE f.peer = $1 AND a.event = 'cleared'", p, NULL), 1, "one clear action is due");
}

/* Lines of the actions' file (each action appends "peer event"). */
static int
lines_of(const char *text)
{
	FILE *fp = fopen(actions_file, "r");
	char line[256];
	int n = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		n += text == NULL || strstr(line, text) != NULL;
	fclose(fp);
	return n;
}

/*
 * The runners of two daemons, on one loop, until nothing is due: each action
 * ran once (want lines in the file in all), ran_by says where.
 */
static void
test_runners(struct daemon *mx, int want)
{
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	struct action_runner *r1 = action_runner_new(loop, &conf);
	struct action_runner *r2 = action_runner_new(loop, &conf);
	const char *pending = "SELECT count(*) FROM flag_actions WHERE done IS NULL AND "
	    "gave_up IS NULL";

	action_runner_set_store(r1, mx[0].st);
	action_runner_set_store(r2, mx[1].st);
	for (int i = 0; i < 3000 && q_int(pending, NULL, NULL) > 0; i++) {
		action_runner_run_due(r2);
		action_runner_run_due(r1);
		ev_run(loop, EVRUN_NOWAIT);
		usleep(10000);
	}
	is_int(q_int(pending, NULL, NULL), 0, "the runners ran every due action");
	is_int(q_int("SELECT count(*) FROM flag_actions WHERE done IS NULL", NULL, NULL), 0,
	    "none was given up");
	is_int(lines_of(NULL), want, "each ran once: %d lines in all", want);
	long long runs = q_int("SELECT count(*) FROM flag_actions WHERE ran_by IN ('mx1', 'mx2') "
	    "AND attempts = 1", NULL, NULL);
	if (!ok(runs == q_int("SELECT count(*) FROM flag_actions", NULL, NULL),
	    "ran_by says which host ran each, started once")) {
		PGresult *r = PQexec(check, "SELECT id, flag_id, event, attempts, ran_by, done, "
		    "gave_up, why FROM flag_actions");
		for (int i = 0; i < PQntuples(r); i++) {
			printf("#  ");
			for (int j = 0; j < PQnfields(r); j++)
				printf(" %s", PQgetvalue(r, i, j));
			printf("\n");
		}
		PQclear(r);
	}
	action_runner_free(r1);
	action_runner_free(r2);
}

/* A claim is taken once; a row another runner holds locked is skipped, not waited for. */
static void
test_claim(struct daemon *mx, int64_t now)
{
	const char *s = "198.51.100.10";
	struct actiondb_row rows1[8], rows2[8];

	now = (int64_t)time(NULL);	/* the action is due from when it is raised */

	for (int i = 0; i < 3; i++)
		daemon_store(&mx[i], s, KIND_AUTH_FAILED, now - 10 + i);
	is_int(flags_of(s), 1, "S is flagged");
	struct actiondb *a1 = actiondb_open(mx[0].st), *a2 = actiondb_open(mx[1].st);
	ok(a1 != NULL && a2 != NULL, "two runners' records");
	int n1 = actiondb_due(a1, now + 1, rows1, 8, 0), n2 = actiondb_due(a2, now + 1, rows2, 8, 0);
	ok(n1 == 1 && n2 == 1, "both find S's action due (%d, %d)", n1, n2);
	if (n1 != 1 || n2 != 1)
		return;

	/* mx2 claims inside a transaction it keeps open: the row stays locked. */
	ok(store_begin(mx[1].st) == 0, "mx2 opens a transaction");
	is_int(actiondb_start(a2, &rows2[0], now + 90), 1, "mx2 claims the action");
	int64_t before = (int64_t)time(NULL);
	is_int(actiondb_start(a1, &rows1[0], now + 90), 0, "mx1 finds it taken");
	ok((int64_t)time(NULL) - before < 5, "without waiting for mx2's transaction");
	store_commit(mx[1].st);
	is_int(actiondb_start(a1, &rows1[0], now + 90), 0, "nor can mx1 take it afterwards");
	is_str(q_text("SELECT a.ran_by FROM flag_actions a JOIN flags f ON f.id = a.flag_id "
	    "WHERE f.peer = $1", s), "mx2", "ran_by is mx2");
	is_int(actiondb_due(a1, now + 1, rows2 + 1, 7, 0), 0,
	    "while its lease runs, no runner finds it due");
	actiondb_row_free(&rows1[0]);
	actiondb_row_free(&rows2[0]);
	actiondb_close(a1);
	actiondb_close(a2);
}

/*
 * Three daemons at once, each storing failures of the same 40 peers in its
 * own shuffled order, 8 events to a transaction: every peer is flagged once
 * and no transaction fails (no deadlock between the daemons' flags).
 */
static void
test_storm(int64_t now)
{
	enum { PEERS = 40, EACH = 3, SERVERS = 3 };
	pid_t kids[SERVERS];
	int gate[2];

	if (pipe(gate) < 0) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);
	for (int k = 0; k < SERVERS; k++) {
		kids[k] = fork();
		if (kids[k] != 0)
			continue;
		struct daemon d;
		char server[16];
		int order[PEERS * EACH], failed = 0;
		char c;
		snprintf(server, sizeof(server), "storm%d", k + 1);
		close(gate[1]);
		if (daemon_open(&d, server) < 0)
			_exit(2);
		(void)!read(gate[0], &c, 1);	/* all start together, at EOF */
		srand((unsigned)(k + 1));
		for (int i = 0; i < PEERS * EACH; i++)
			order[i] = i;
		for (int i = PEERS * EACH - 1; i > 0; i--) {
			int j = rand() % (i + 1), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < PEERS * EACH; i++) {
			char ip[32];
			int peer = order[i] % PEERS;
			snprintf(ip, sizeof(ip), "203.0.113.%d", peer + 1);
			batch_add(d.b, make_event(ip, KIND_AUTH_FAILED, now - 100 + k * 10 + order[i] / PEERS),
			    NULL);
			if (i % 8 == 7 && batch_commit(d.b) < 0) {
				failed++;
				batch_reset(d.b);
			}
		}
		if (batch_commit(d.b) < 0)
			failed++;
		daemon_close(&d);
		_exit(failed > 0 ? 1 : 0);
	}
	/* Each opened its store (a connection, the flags read) before the gate opens. */
	for (int i = 0; i < 3000 && q_int("SELECT count(*) FROM pg_stat_activity WHERE "
	    "application_name = 'tlslogd'", NULL, NULL) < 3 + 3; i++)
		usleep(10000);
	close(gate[0]);
	close(gate[1]);
	int ok_count = 0;
	for (int k = 0; k < SERVERS; k++) {
		int status = -1;
		waitpid(kids[k], &status, 0);
		ok_count += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	is_int(ok_count, SERVERS, "three daemons storing the same peers at once: no transaction fails");
	is_int(q_int("SELECT count(*) FROM events WHERE peer_ip LIKE '203.0.113.%'", NULL, NULL),
	    PEERS * EACH * SERVERS, "every event is stored");
	is_int(q_int("SELECT count(DISTINCT peer) FROM flags WHERE peer LIKE '203.0.113.%'", NULL,
	    NULL), PEERS, "every peer is flagged");
	is_int(q_int("SELECT count(*) FROM flags WHERE peer LIKE '203.0.113.%'", NULL, NULL), PEERS,
	    "once");
	/*
	 * The counts are the fleet's only roughly (flag.h): a daemon's events in
	 * flight when another raised the flag are missed, and the start of a
	 * flag read late by two daemons may be counted by both. Said, not held.
	 */
	printf("# of %d flags, %lld count fewer than the fleet's 9 events, %lld more\n", PEERS,
	    q_int("SELECT count(*) FROM flags WHERE peer LIKE '203.0.113.%' AND count < 9", NULL,
	    NULL), q_int("SELECT count(*) FROM flags WHERE peer LIKE '203.0.113.%' AND count > 9",
	    NULL, NULL));
}

/* batch_add an event of ip to d's open batch. */
static void
add(struct daemon *d, const char *ip, enum event_kind kind, int64_t t)
{
	batch_add(d->b, make_event(ip, kind, t), NULL);
}

/* R succeeded on the day before t (a row of peer_days of mx2). */
static int
succeeded_before(const char *peer, int64_t t)
{
	char day[24], first[24];

	snprintf(day, sizeof(day), "%lld", (long long)(t / 86400 - 1));
	snprintf(first, sizeof(first), "%lld", (long long)((t / 86400 - 1) * 86400 + 60));
	const char *params[3] = { peer, day, first };
	PGresult *res = PQexecParams(check, "INSERT INTO peer_days (peer, day, direction, server, "
	    "mta, first_time, last_time, tls13, messages) VALUES ($1, $2, 'in', 'mx2.example.net', "
	    "'postfix', $3, $3, 5, 5)", 3, NULL, params, NULL, NULL, 0);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	PQclear(res);
	return rc;
}

/*
 * One transaction of mx1 with more events than wait in memory at once (1024,
 * flag.h), of many peers, among the fleet's committed events: every flag is
 * raised, adopted and counted as if each event had been looked at alone.
 * Its events are days old: no action is due.
 */
static void
test_one_transaction(struct daemon *mx, int64_t t0)
{
	char ip[32];

	for (int i = 1; i <= 20; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i);
		add(&mx[1], ip, KIND_AUTH_FAILED, t0);
		add(&mx[1], ip, KIND_AUTH_FAILED, t0 + 10);
	}
	ok(batch_commit(mx[1].b) == 0, "mx2 commits two failures of each of 20 peers");
	for (int k = 0; k < 3; k++)
		add(&mx[2], "192.0.2.21", KIND_AUTH_FAILED, t0 + k);
	ok(batch_commit(mx[2].b) == 0, "mx3 commits three of a 21st");
	is_int(q_int("SELECT count(*) FROM flags WHERE peer LIKE '192.0.2.%'", NULL, NULL), 1,
	    "mx3 flagged it, the 20 are not flagged");
	ok(succeeded_before("198.18.2.1", t0) == 0 && succeeded_before("198.18.2.2", t0) == 0,
	    "two peers succeeded the day before");
	flag_take_notices(mx[2].f, on_notice, &mx[2]);
	mx[0].raised = 0;

	/* F: two failures at the start, the third and fourth after the first 1024 events. */
	add(&mx[0], "198.18.1.1", KIND_AUTH_FAILED, t0 + 1);
	add(&mx[0], "198.18.1.1", KIND_AUTH_FAILED, t0 + 2);
	for (int i = 1; i <= 20; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i);
		add(&mx[0], ip, KIND_AUTH_FAILED, t0 + 20);
	}
	add(&mx[0], "192.0.2.21", KIND_AUTH_FAILED, t0 + 30);
	add(&mx[0], "192.0.2.21", KIND_AUTH_FAILED, t0 + 31);
	for (int k = 0; k < 3; k++)
		add(&mx[0], "198.18.1.2", KIND_AUTH_FAILED, t0 + 100 + k);
	add(&mx[0], "198.18.1.3", KIND_AUTH_FAILED, t0);
	add(&mx[0], "198.18.1.3", KIND_AUTH_FAILED, t0 + 1);
	add(&mx[0], "198.18.1.4", KIND_AUTH_FAILED, t0);
	add(&mx[0], "198.18.1.4", KIND_AUTH_FAILED, t0 + 1000);
	add(&mx[0], "198.18.1.4", KIND_AUTH_FAILED, t0 + 2000);
	add(&mx[0], "198.18.2.1", KIND_TLS_CERT_EXPIRED, t0);
	add(&mx[0], "198.18.2.2", KIND_TLS_CERT_EXPIRED, t0 + 5);
	add(&mx[0], "198.18.2.3", KIND_TLS_CERT_EXPIRED, t0 + 5);
	for (int j = 0; j < 1100; j++) {
		snprintf(ip, sizeof(ip), "198.19.%d.%d", j / 200, j % 200 + 1);
		add(&mx[0], ip, KIND_AUTH_FAILED, t0 + j % 50);
	}
	add(&mx[0], "198.18.1.1", KIND_AUTH_FAILED, t0 + 3);
	add(&mx[0], "198.18.1.1", KIND_AUTH_FAILED, t0 + 4);
	ok(batch_commit(mx[0].b) == 0, "mx1 commits 1140 events in one transaction");
	flag_take_notices(mx[0].f, on_notice, &mx[0]);

	is_int(q_int("SELECT count(*) FROM flags WHERE peer LIKE '192.0.2.%' AND count = 3 AND "
	    "raised_by = 'mx1'", NULL, NULL), 20,
	    "mx1 crosses with mx2's committed events: 20 flags of 3");
	is_int(flags_of("192.0.2.21"), 1, "mx3's flag is the only one of the 21st");
	is_int(q_int("SELECT count FROM flags WHERE peer = '192.0.2.21'", NULL, NULL), 5,
	    "mx1 counted its two into it");
	is_int(q_int("SELECT count FROM flags WHERE peer = '198.18.1.2' AND raised_by = 'mx1'",
	    NULL, NULL), 3, "three of the transaction's own events flag a peer");
	is_int(flags_of("198.18.1.3") + flags_of("198.18.1.4"), 0,
	    "two, or three too far apart, do not");
	is_int(q_int("SELECT count FROM flags WHERE peer = '198.18.1.1'", NULL, NULL), 4,
	    "a crossing of events on both sides of the first 1024 is counted whole");
	is_int(q_int("SELECT first_event FROM flags WHERE peer = '198.18.1.1'", NULL, NULL), t0 + 1,
	    "from its first event");
	is_int(q_int("SELECT count(*) FROM flags WHERE peer LIKE '198.19.%'", NULL, NULL), 0,
	    "1100 peers of one failure each: no flag");
	is_int(q_int("SELECT count(*) FROM flags WHERE threshold = 'regression' AND peer IN "
	    "('198.18.2.1', '198.18.2.2', '198.18.2.3')", NULL, NULL), 2,
	    "two regressions, of the peers that succeeded before");
	is_int(mx[0].raised, 20 + 1 + 1 + 2, "mx1 announces the 24 it raised");
}

/*
 * mx1 stores a failure of G in a transaction it keeps open; meanwhile mx2
 * flags G (three failures, committed). mx1's event is looked at when its
 * transaction is flushed (flag.h): it finds mx2's flag and counts into it.
 */
static void
test_adopt_while_open(struct daemon *mx, int64_t t0)
{
	const char *g = "198.18.3.1";
	int64_t id = 0;
	struct event *ev = make_event(g, KIND_AUTH_FAILED, t0 + 5);

	ok(store_begin(mx[0].st) == 0 && store_add_events(mx[0].st, &ev, 1, &id) == 0 && id > 0,
	    "mx1 stores a failure of G, not committed");
	ev->id = id;
	ok(flag_observe(mx[0].f, ev) == 0, "mx1's flagger is shown it");
	event_free(ev);
	for (int k = 0; k < 3; k++)
		add(&mx[1], g, KIND_AUTH_FAILED, t0 + k);
	ok(batch_commit(mx[1].b) == 0, "meanwhile mx2 commits three failures of G");
	is_int(q_int("SELECT count FROM flags WHERE peer = $1 AND raised_by = 'mx2'", g, NULL), 3,
	    "mx2 flagged G");
	ok(flag_flush(mx[0].f) == 0 && store_commit(mx[0].st) == 0, "mx1 commits");
	flag_take_notices(mx[0].f, on_notice, &mx[0]);
	is_int(flags_of(g), 1, "one flag of G");
	is_int(q_int("SELECT count FROM flags WHERE peer = $1", g, NULL), 4,
	    "mx1's event is counted into it");
}

/* conf: a threshold of COUNT 3, an action that appends "peer event" to a file. */
static int
load_conf(void)
{
	char path[300], script[300];
	FILE *fp;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(actions_file, sizeof(actions_file), "%s/actions", dir);
	snprintf(script, sizeof(script), "%s/act", dir);
	if ((fp = fopen(script, "w")) == NULL)
		return -1;
	fprintf(fp, "#!/bin/sh\necho \"$1 $2\" >> %s\n", actions_file);
	fclose(fp);
	chmod(script, 0755);
	snprintf(path, sizeof(path), "%s/tlslogd.conf", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fprintf(fp, "flag brute auth_failed 3 10m\nflag_quiet 1h\nregression_days 7\n"
	    "action_flag %s %%peer%% %%event%%\naction_clear %s %%peer%% %%event%%\n", script,
	    script);
	fclose(fp);
	conf_init(&conf);
	return conf_load(&conf, path, 1);
}

int
main(void)
{
	struct daemon mx[3];
	int64_t now = (int64_t)time(NULL);

	log_init("pgflag_test");
	uri = getenv("TLSLOGD_PG_URI");
	if (uri == NULL) {
		printf("1..0 # SKIP TLSLOGD_PG_URI is not set (tests/pg-flags.sh sets it)\n");
		return 0;
	}
	check = PQconnectdb(uri);
	if (PQstatus(check) != CONNECTION_OK) {
		printf("Bail out! cannot connect to %s: %s", uri, PQerrorMessage(check));
		return 2;
	}
	if (load_conf() != 0) {
		printf("Bail out! cannot write the configuration in %s\n", dir);
		return 2;
	}
	for (int i = 0; i < 3; i++) {
		char server[8];
		snprintf(server, sizeof(server), "mx%d", i + 1);
		if (daemon_open(&mx[i], server) < 0) {
			printf("Bail out! cannot open the store of %s\n", server);
			return 2;
		}
	}
	test_fleet_count(mx, now - 300);
	test_runners(mx, 1);
	test_clear(mx, now - 300);
	test_runners(mx, 2);
	is_int(lines_of("198.51.100.7 cleared"), 1, "the clear action ran once, after the flag's");
	test_concurrent_raise(mx, now - 200);
	test_regression(mx, now);
	test_runners(mx, 4);
	test_claim(mx, now);
	test_storm((int64_t)time(NULL));
	test_one_transaction(mx, (now / 86400 - 3) * 86400 + 3600);
	test_adopt_while_open(mx, (now / 86400 - 3) * 86400 + 7200);
	for (int i = 0; i < 3; i++)
		daemon_close(&mx[i]);
	conf_free(&conf);
	PQfinish(check);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", dir);
	return done_testing();
}

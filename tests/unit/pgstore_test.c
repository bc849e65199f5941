/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pgstore_test.c: the PostgreSQL store on a real server, a database of its
 * own named by TLSLOGD_PG_URI (tests/pgstore.sh starts a private cluster and
 * makes one): daemons starting at once migrate once, and opening again
 * changes nothing; an event is stored once per file and offset and the
 * store says which were new; two servers with the same file path keep
 * their own positions; a rolled back transaction and a writer killed in
 * the middle of one leave nothing; a lost connection is an error the caller
 * sees, and so does a statement that failed in a transaction; the read and
 * counted offsets never move back; the other lookups of a file stay within
 * the server; peer_days rows sum; hostile bytes are stored; a password
 * never reaches a message.
 *
 * The test checks through a connection of its own, with plain SQL.
 */
#include "config.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "pgstore.h"
#include "schema.h"
#include "tap.h"

static const char *uri;
static PGconn *check;

/* The integer the query gives with up to three text parameters; -1 when no row, -2 on error. */
static long long
q_int(const char *sql, const char *a, const char *b, const char *c)
{
	const char *params[3] = { a, b, c };
	int n = c != NULL ? 3 : b != NULL ? 2 : a != NULL ? 1 : 0;
	PGresult *r = PQexecParams(check, sql, n, NULL, params, NULL, NULL, 0);
	long long v = -1;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		printf("# %s: %s", sql, PQerrorMessage(check));
		v = -2;
	} else if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

/* The text the query gives (static), or NULL. */
static const char *
q_text(const char *sql, const char *a)
{
	static char out[512];
	const char *params[1] = { a };
	PGresult *r = PQexecParams(check, sql, a != NULL, NULL, params, NULL, NULL, 0);
	const char *v = NULL;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0)) {
		snprintf(out, sizeof(out), "%s", PQgetvalue(r, 0, 0));
		v = out;
	} else if (PQresultStatus(r) != PGRES_TUPLES_OK)
		printf("# %s: %s", sql, PQerrorMessage(check));
	PQclear(r);
	return v;
}

static const char *
num(long long v)
{
	static char bufs[4][24];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%lld", v);
	return b;
}

static struct event *
make_event(int64_t file_id, int64_t offset, const char *ip)
{
	struct event *ev = event_new();

	ev->time = 1764000000 + offset;
	ev->mta = "postfix";
	ev->kind = KIND_AUTH_FAILED;
	ev->direction = DIR_IN;
	ev->file_id = file_id;
	ev->offset = offset;
	event_set(ev, EF_PEER_IP, ip, strlen(ip));
	event_set(ev, EF_PEER_HOST, "mx1.example.net", 15);
	event_set(ev, EF_RAW, "warning: SASL LOGIN authentication failed", 41);
	return ev;
}

static void
free_events(struct event **evs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		event_free(evs[i]);
}

static struct store_file_key
key_of(const char *path, ino_t ino)
{
	struct store_file_key key = { path, 1, ino, "Nov 21 06:40:00 first line\n", 27, 1 };

	return key;
}

/* Wait (up to 30 s) until the backend pid has left pg_stat_activity. */
static int
wait_backend_gone(int pid)
{
	for (int i = 0; i < 3000; i++) {
		if (q_int("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", num(pid), NULL,
		    NULL) == 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Several daemons open a new database at once: each succeeds, the schema is made once. */
static void
test_concurrent_migration(void)
{
	enum { N = 4 };
	int gate[2];
	pid_t kids[N];
	int ok_count = 0;

	if (pipe(gate) < 0) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			char c, server[16];

			close(gate[1]);
			(void)read(gate[0], &c, 1);	/* all released together, at EOF */
			snprintf(server, sizeof(server), "mx%d", i + 1);
			struct pgstore *ps = pgstore_open(uri, server);
			_exit(ps != NULL ? 0 : 1);
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (int i = 0; i < N; i++) {
		int status;

		if (waitpid(kids[i], &status, 0) == kids[i] && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			ok_count++;
	}
	is_int(ok_count, N, "%d daemons opening a new database at once all succeed", N);
	is_int(q_int("SELECT count(*) FROM schema_version", NULL, NULL, NULL),
	    pg_schema_migration_count, "each migration is recorded once");
	is_int(q_int("SELECT max(version) FROM schema_version", NULL, NULL, NULL),
	    pgstore_schema_latest(), "the schema is the latest");
}

static void
test_reopen(void)
{
	long long applied = q_int("SELECT max(applied) FROM schema_version", NULL, NULL, NULL);
	struct pgstore *ps = pgstore_open(uri, "mx1");
	int version = -1;

	ok(ps != NULL, "an up-to-date database opens again");
	ok(ps != NULL && pgstore_schema_version(ps, &version) == 0, "its version is read");
	is_int(version, pgstore_schema_latest(), "at the latest version");
	is_int(q_int("SELECT count(*) FROM schema_version", NULL, NULL, NULL),
	    pg_schema_migration_count, "no migration runs twice");
	is_int(q_int("SELECT max(applied) FROM schema_version", NULL, NULL, NULL), applied,
	    "nothing was recorded again");
	is_str(pgstore_server(ps), "mx1", "the store knows its server");
	pgstore_close(ps);
}

/* Once per (server, file, offset); RETURNING tells new from old, one row and groups alike. */
static void
test_events_once(struct pgstore *ps, int64_t *fid_out)
{
	struct store_file_key key = key_of("/var/log/mail.log", 100);
	int64_t fid = 0, off = -1, ids[64];
	struct event *evs[64];
	int64_t first[] = { 10, 20, 30 }, second[] = { 5, 10, 20, 25, 30 };

	ok(pgstore_begin(ps) == 0 && pgstore_file_resume(ps, &key, 1000, &fid, &off) == 0,
	    "a new file is recorded");
	ok(fid > 0 && off == 0, "from offset 0");
	for (int i = 0; i < 3; i++)
		evs[i] = make_event(fid, first[i], "192.0.2.1");
	ok(pgstore_add_events(ps, evs, 3, ids) == 0, "three events stored");
	ok(ids[0] > 0 && ids[1] > ids[0] && ids[2] > ids[1], "each new, ids in order");
	free_events(evs, 3);
	ok(pgstore_commit(ps) == 0, "committed");

	ok(pgstore_begin(ps) == 0, "a second transaction");
	for (int i = 0; i < 5; i++)
		evs[i] = make_event(fid, second[i], "192.0.2.1");
	ok(pgstore_add_events(ps, evs, 5, ids) == 0, "five events, three already there");
	ok(ids[0] > 0 && ids[1] == 0 && ids[2] == 0 && ids[3] > ids[0] && ids[4] == 0,
	    "new ones have ids, the old ones 0 (%lld %lld %lld %lld %lld)", (long long)ids[0],
	    (long long)ids[1], (long long)ids[2], (long long)ids[3], (long long)ids[4]);
	free_events(evs, 5);

	/* 40 events: one group of STORE_GROUP and 8 alone; 5 were there, one is given twice. */
	for (int i = 0; i < 40; i++)
		evs[i] = make_event(fid, i == 39 ? 38 : i, "192.0.2.2");
	ok(pgstore_add_events(ps, evs, 40, ids) == 0, "forty events at once");
	int new_ones = 0, right = 1;
	for (int i = 0; i < 40; i++) {
		int old = i == 5 || i == 10 || i == 20 || i == 25 || i == 30 || i == 39;
		new_ones += ids[i] > 0;
		if (old != (ids[i] == 0))
			right = 0;
	}
	is_int(new_ones, 34, "34 of them new");
	ok(right, "the old ones and the one given twice are the zeros");
	free_events(evs, 40);

	/* Stream events (no file) are never the same event. */
	evs[0] = make_event(0, -1, "192.0.2.3");
	evs[1] = make_event(0, -1, "192.0.2.3");
	ok(pgstore_add_events(ps, evs, 2, ids) == 0 && ids[0] > 0 && ids[1] > ids[0],
	    "two events of a stream are both new");
	free_events(evs, 2);
	ok(pgstore_commit(ps) == 0, "committed");
	is_int(q_int("SELECT count(*) FROM events WHERE file_id = $1", num(fid), NULL, NULL), 39,
	    "39 events of the file, one per offset");
	is_int(q_int("SELECT count(*) FROM (SELECT file_id, \"offset\" FROM events WHERE file_id "
	    "IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) d", NULL, NULL, NULL), 0,
	    "no (file, offset) twice");
	is_str(q_text("SELECT peer_domain FROM events WHERE file_id = $1 LIMIT 1", num(fid)),
	    ".example.net", "the peer's domain is stored with the event");
	*fid_out = fid;
}

/* The same path on two servers: two records, two positions. */
static void
test_two_servers(struct pgstore *ps1, int64_t fid1)
{
	struct pgstore *ps2 = pgstore_open(uri, "mx2");
	struct store_file_key key = key_of("/var/log/mail.log", 100);
	int64_t fid2 = 0, off = -1, again = 0;

	ok(ps2 != NULL, "a second server opens the database");
	if (ps2 == NULL)
		return;
	ok(pgstore_begin(ps2) == 0 && pgstore_file_resume(ps2, &key, 1000, &fid2, &off) == 0,
	    "the second server records the same path, device and inode");
	ok(fid2 > 0 && fid2 != fid1 && off == 0, "as a file of its own, from 0");
	ok(pgstore_file_set_offset(ps2, fid2, 200, 200, 1000) == 0 && pgstore_commit(ps2) == 0,
	    "its position 200 committed");
	ok(pgstore_begin(ps1) == 0 && pgstore_file_set_offset(ps1, fid1, 100, 100, 1000) == 0 &&
	    pgstore_commit(ps1) == 0, "the first server's position 100 committed");

	ok(pgstore_begin(ps1) == 0 && pgstore_file_resume(ps1, &key, 1000, &again, &off) == 0 &&
	    again == fid1 && off == 100, "the first server resumes its file at 100");
	pgstore_rollback(ps1);
	ok(pgstore_begin(ps2) == 0 && pgstore_file_resume(ps2, &key, 1000, &again, &off) == 0 &&
	    again == fid2 && off == 200, "the second resumes its own at 200");
	ok(pgstore_file_set_offset(ps2, fid1, 999, 999, -1) < 0,
	    "a server cannot move another's position");
	pgstore_rollback(ps2);
	is_int(q_int("SELECT \"offset\" FROM files WHERE id = $1", num(fid1), NULL, NULL), 100,
	    "which stays where its server put it");

	int64_t src_file, src_current;
	char *cursor = NULL;
	ok(pgstore_begin(ps1) == 0 && pgstore_source_set(ps1, "/var/log/mail.log", fid1, fid1,
	    NULL, 10, 1, 2) == 0 && pgstore_source_set(ps1, "/var/log/mail.log", fid1, fid1, NULL,
	    5, 0, 0) == 0 && pgstore_source_set(ps1, "journal", 0, 0, "s=abc;i=1", 3, 0, 0) == 0 &&
	    pgstore_commit(ps1) == 0, "the first server records its sources");
	ok(pgstore_source_get(ps1, "/var/log/mail.log", &src_file, &src_current, &cursor) == 1 &&
	    src_file == fid1 && src_current == fid1 && cursor == NULL,
	    "and finds its file source again");
	is_int(q_int("SELECT lines FROM sources WHERE server = 'mx1' AND name = "
	    "'/var/log/mail.log'", NULL, NULL, NULL), 15, "its lines are summed");
	ok(pgstore_source_get(ps1, "journal", &src_file, &src_current, &cursor) == 1 &&
	    cursor != NULL && strcmp(cursor, "s=abc;i=1") == 0, "and its journal cursor");
	free(cursor);
	cursor = NULL;
	is_int(pgstore_source_get(ps2, "/var/log/mail.log", &src_file, &src_current, &cursor), 0,
	    "the second server has no such source");
	pgstore_close(ps2);
}

/* What a rolled back transaction wrote is gone, all of it. */
static void
test_rollback(struct pgstore *ps, int64_t fid)
{
	struct store_file_key key = key_of("/var/log/other.log", 200);
	long long events = q_int("SELECT count(*) FROM events", NULL, NULL, NULL);
	long long files = q_int("SELECT count(*) FROM files", NULL, NULL, NULL);
	struct event *evs[10];
	int64_t ids[10], nfid = 0, off;
	struct store_peer_day row = { "192.0.2.9", 9, 20000, DIR_IN, "", 0, "postfix", NULL, 0,
	    5, 6, NULL, { 0 } };

	row.n[STORE_PD_MESSAGES] = 1;
	for (int i = 0; i < 10; i++)
		evs[i] = make_event(fid, 1000 + i, "192.0.2.4");
	ok(pgstore_begin(ps) == 0 && pgstore_add_events(ps, evs, 10, ids) == 0 &&
	    pgstore_file_resume(ps, &key, 100, &nfid, &off) == 0 &&
	    pgstore_file_set_offset(ps, fid, 5000, 5000, -1) == 0 &&
	    pgstore_source_set(ps, "rolled", fid, fid, NULL, 1, 0, 0) == 0 &&
	    pgstore_peer_days(ps, &row, 1) == 0, "events, a file, a position, a source, a peer day");
	free_events(evs, 10);
	pgstore_rollback(ps);
	ok(!pgstore_in_txn(ps), "rolled back");
	is_int(q_int("SELECT count(*) FROM events", NULL, NULL, NULL), events, "no event stays");
	is_int(q_int("SELECT count(*) FROM files", NULL, NULL, NULL), files, "no file record");
	is_int(q_int("SELECT \"offset\" FROM files WHERE id = $1", num(fid), NULL, NULL), 100,
	    "the position is as before");
	is_int(q_int("SELECT count(*) FROM sources WHERE name = 'rolled'", NULL, NULL, NULL), 0,
	    "no source");
	is_int(q_int("SELECT count(*) FROM peer_days WHERE peer = '192.0.2.9'", NULL, NULL, NULL),
	    0, "no peer day");
}

/* A writer killed with SIGKILL in the middle of a transaction leaves nothing. */
static void
test_killed(void)
{
	long long events = q_int("SELECT count(*) FROM events", NULL, NULL, NULL);
	int report[2];
	pid_t kid;
	int backend = 0;

	if (pipe(report) < 0) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);
	fflush(stderr);
	kid = fork();
	if (kid == 0) {
		struct pgstore *ps = pgstore_open(uri, "mx3");
		struct store_file_key key = key_of("/var/log/mail.log", 300);
		struct event *evs[40];
		int64_t ids[40], fid, off;
		int pid = 0;

		close(report[0]);
		if (ps != NULL && pgstore_begin(ps) == 0 &&
		    pgstore_file_resume(ps, &key, 10000, &fid, &off) == 0) {
			for (int i = 0; i < 40; i++)
				evs[i] = make_event(fid, i * 100, "192.0.2.5");
			if (pgstore_add_events(ps, evs, 40, ids) == 0 &&
			    pgstore_file_set_offset(ps, fid, 4000, 4000, 10000) == 0 &&
			    pgstore_source_set(ps, "/var/log/mail.log", fid, fid, NULL, 40, 0, 0) == 0)
				pid = PQbackendPID(pgstore_conn(ps));
		}
		(void)write(report[1], &pid, sizeof(pid));
		for (;;)
			pause();
	}
	close(report[1]);
	if (read(report[0], &backend, sizeof(backend)) != sizeof(backend))
		backend = 0;
	close(report[0]);
	ok(backend > 0, "a writer is in the middle of a transaction (backend %d)", backend);
	is_str(q_text("SELECT state FROM pg_stat_activity WHERE pid = $1", num(backend)),
	    "idle in transaction", "its transaction is open");
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	ok(wait_backend_gone(backend), "the server sees the writer gone");
	is_int(q_int("SELECT count(*) FROM files WHERE server = 'mx3'", NULL, NULL, NULL), 0,
	    "no file record of the killed writer");
	is_int(q_int("SELECT count(*) FROM events", NULL, NULL, NULL), events, "no event");
	is_int(q_int("SELECT count(*) FROM sources WHERE server = 'mx3'", NULL, NULL, NULL), 0,
	    "no source");
}

/*
 * Two writers of one server (a scan beside the daemon) take turns: the
 * second's transaction waits for the first's, and finds the file record the
 * first made instead of making another.
 */
static void
test_same_server_turns(void)
{
	struct store_file_key key = key_of("/var/log/turns.log", 400);
	struct pgstore *a = pgstore_open(uri, "mx5");
	int64_t fid = 0, off, theirs = -1;
	int report[2];

	ok(a != NULL && pgstore_begin(a) == 0 && pgstore_file_resume(a, &key, 100, &fid, &off) == 0,
	    "a writer records a new file in an open transaction");
	if (pipe(report) < 0) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);
	fflush(stderr);
	pid_t kid = fork();
	if (kid == 0) {
		struct pgstore *b = pgstore_open(uri, "mx5");
		int64_t id = -1, o;

		close(report[0]);
		if (b == NULL || pgstore_begin(b) < 0 ||
		    pgstore_file_resume(b, &key, 100, &id, &o) < 0 || pgstore_commit(b) < 0)
			id = -1;
		(void)write(report[1], &id, sizeof(id));
		_exit(0);
	}
	close(report[1]);
	/* The second writer, in its own process, waits on the server's lock. */
	int waiting = 0;
	for (int i = 0; i < 3000 && !waiting; i++) {
		waiting = q_int("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
		    "AND wait_event = 'advisory'", NULL, NULL, NULL) == 1;
		if (!waiting)
			usleep(10000);
	}
	ok(waiting, "a second writer of the same server waits for the first's transaction");
	ok(pgstore_commit(a) == 0, "the first commits");
	if (read(report[0], &theirs, sizeof(theirs)) != sizeof(theirs))
		theirs = -2;
	close(report[0]);
	waitpid(kid, NULL, 0);
	is_int(theirs, fid, "the second finds the first's record of the file");
	is_int(q_int("SELECT count(*) FROM files WHERE server = 'mx5'", NULL, NULL, NULL), 1,
	    "one record of the file");
	pgstore_close(a);
}

/*
 * The connection lost under the store: the open transaction fails, whole;
 * the next one connects again (its statements prepared again), and a
 * daemon's claim on its server is taken again, unless another took it.
 */
static void
test_lost_connection(void)
{
	struct pgstore *ps = pgstore_open(uri, "mx4");
	struct event *ev = make_event(0, -1, "192.0.2.6");
	int64_t id = -1;

	ok(ps != NULL && pgstore_claim_server(ps) == 1 && pgstore_begin(ps) == 0,
	    "a daemon's writer claims its server and begins");
	if (ps == NULL)
		return;
	uint64_t epoch = pgstore_epoch(ps);
	int backend = PQbackendPID(pgstore_conn(ps));
	is_int(q_int("SELECT pg_terminate_backend($1)::int", num(backend), NULL, NULL), 1,
	    "its connection is ended by the server");
	ok(wait_backend_gone(backend), "and is gone");
	ok(pgstore_add_events(ps, &ev, 1, &id) < 0, "storing an event fails");
	ok(pgstore_commit(ps) < 0, "committing fails");
	is_int(q_int("SELECT count(*) FROM events WHERE peer_ip = '192.0.2.6'", NULL, NULL, NULL), 0,
	    "nothing of the lost transaction is stored");
	ok(pgstore_begin(ps) == 0, "the next transaction connects again");
	ok(pgstore_epoch(ps) == epoch + 1, "and says so (pgstore_epoch)");
	ok(pgstore_add_events(ps, &ev, 1, &id) == 0 && id > 0 && pgstore_commit(ps) == 0,
	    "the event is stored by the new connection's prepared statements");
	struct pgstore *other = pgstore_open(uri, "mx4");
	ok(other != NULL && pgstore_claim_server(other) == 0,
	    "a second writer for the server cannot claim it");
	backend = PQbackendPID(pgstore_conn(ps));
	q_int("SELECT pg_terminate_backend($1)::int", num(backend), NULL, NULL);
	ok(wait_backend_gone(backend) && other != NULL && pgstore_claim_server(other) == 1,
	    "once the first's connection is lost, the second claims the server");
	ok(pgstore_begin(ps) < 0, "the first, its claim taken, writes nothing more");
	ok(pgstore_begin(ps) < 0, "and goes on refusing");
	event_free(ev);
	pgstore_close(other);
	pgstore_close(ps);
}

/* Positions and counted offsets only move forward. */
static void
test_offsets_forward(struct pgstore *ps, int64_t fid)
{
	int64_t counted = -1;
	struct store_file_record rec;

	ok(pgstore_begin(ps) == 0 && pgstore_file_set_offset(ps, fid, 300, 250, 1000) == 0 &&
	    pgstore_file_set_offset(ps, fid, 150, 50, -1) == 0 && pgstore_commit(ps) == 0,
	    "a position forward, then one back");
	is_int(q_int("SELECT \"offset\" FROM files WHERE id = $1", num(fid), NULL, NULL), 300,
	    "the offset stays forward");
	ok(pgstore_file_counted(ps, fid, &counted) == 0 && counted == 250,
	    "the counted offset too");
	ok(pgstore_begin(ps) == 0 && pgstore_file_set_offset(ps, fid, -1, 260, -1) == 0 &&
	    pgstore_commit(ps) == 0, "a counted offset alone");
	ok(pgstore_file_get(ps, fid, &rec) == 1 && rec.offset == 300 && rec.size == 1000 &&
	    strcmp(rec.path, "/var/log/mail.log") == 0, "the record keeps offset 300, size 1000");
	ok(pgstore_file_counted(ps, fid, &counted) == 0 && counted == 260, "counted moved to 260");
}

/* The other lookups of a file record, and a loss, among this server's records. */
static void
test_file_lookups(struct pgstore *ps, int64_t fid)
{
	struct store_file_key key = key_of("/var/log/mail.log", 100);
	int64_t found = 0, off = -1;

	is_int(pgstore_file_find_head(ps, key.head, key.head_len, &found), 1,
	    "the one record of this server with that first line is found");
	is_int(found, fid, "this server's, though another server has the same line");
	is_int(pgstore_file_active(ps, 1, 100, (int64_t)time(NULL) - 3600, &off), 1,
	    "the record of a device and inode recorded lately is found");
	is_int(off, 300, "with its offset");
	is_int(pgstore_file_active(ps, 1, 100, (int64_t)time(NULL) + 3600, &off), 0,
	    "not when recorded before the time asked");
	is_int(pgstore_file_find(ps, &key, 1000, &found, &off), 1, "the file is found by its key");
	ok(found == fid && off == 300, "at its offset, nothing recorded");
	ok(pgstore_begin(ps) == 0 && pgstore_loss_add(ps, fid, "/var/log/mail.log.2.xz", 0, -1,
	    "compressed with xz") == 0 && pgstore_commit(ps) == 0, "a loss recorded");
	is_int(q_int("SELECT count(*) FROM losses WHERE server = 'mx1' AND file_id = $1 AND "
	    "to_offset IS NULL", num(fid), NULL, NULL), 1, "under this server, to the file's end");
}

/* A statement that failed fails the commit: the transaction is rolled back whole. */
static void
test_failed_statement(struct pgstore *ps, int64_t fid)
{
	struct event *evs[2] = { make_event(fid, 50001, "192.0.2.10"),
	    make_event(fid, 50002, "198.51.100.66") };
	int64_t ids[2];

	PQclear(PQexec(check, "ALTER TABLE events ADD CONSTRAINT test_refused "
	    "CHECK (peer_ip <> '198.51.100.66')"));
	ok(pgstore_begin(ps) == 0 && pgstore_add_events(ps, evs, 1, ids) == 0 && ids[0] > 0,
	    "an event stored in a transaction");
	ok(pgstore_add_events(ps, evs + 1, 1, ids + 1) < 0, "the next one is refused");
	ok(pgstore_commit(ps) < 0, "the commit fails");
	ok(!pgstore_in_txn(ps), "and nothing is open");
	is_int(q_int("SELECT count(*) FROM events WHERE \"offset\" IN (50001, 50002)", NULL, NULL,
	    NULL), 0, "neither event is stored");
	PQclear(PQexec(check, "ALTER TABLE events DROP CONSTRAINT test_refused"));
	ok(pgstore_begin(ps) == 0 && pgstore_add_events(ps, evs, 2, ids) == 0 &&
	    pgstore_commit(ps) == 0 && ids[0] > 0 && ids[1] > 0, "the store goes on after it");
	free_events(evs, 2);
}

/* peer_days: counters added, times widened, the later version kept. */
static void
test_peer_days(struct pgstore *ps)
{
	struct store_peer_day row = { "192.0.2.7", 9, 20000, DIR_OUT, "mx1", 3, "postfix",
	    "mx.example", 10, 100, 200, "TLSv1.2", { 0 } };

	row.n[STORE_PD_TLS12] = 2;
	row.n[STORE_PD_AEAD] = 2;
	row.n[STORE_PD_MESSAGES] = 2;
	ok(pgstore_begin(ps) == 0 && pgstore_peer_days(ps, &row, 1) == 0 && pgstore_commit(ps) == 0,
	    "a peer day written");
	memset(row.n, 0, sizeof(row.n));
	row.first_time = 50;
	row.last_time = 300;
	row.last_version = "TLSv1.3";
	row.n[STORE_PD_TLS13] = 1;
	row.n[STORE_PD_MESSAGES] = 1;
	row.host = NULL;
	ok(pgstore_begin(ps) == 0 && pgstore_peer_days(ps, &row, 1) == 0, "the same day again");
	row.first_time = row.last_time = 250;
	row.last_version = "TLSv1";
	row.n[STORE_PD_TLS13] = 0;
	row.n[STORE_PD_TLS10] = 1;
	ok(pgstore_peer_days(ps, &row, 1) == 0 && pgstore_commit(ps) == 0, "and an earlier success");
	const char *where = "FROM peer_days WHERE peer = '192.0.2.7' AND day = 20000 AND "
	    "direction = 'out' AND server = 'mx1'";
	char sql[200];
#define PD(col) (snprintf(sql, sizeof(sql), "SELECT %s %s", col, where), sql)
	is_int(q_int(PD("count(*)"), NULL, NULL, NULL), 1, "one row");
	is_int(q_int(PD("tls12"), NULL, NULL, NULL), 2, "tls12 2");
	is_int(q_int(PD("tls13"), NULL, NULL, NULL), 1, "tls13 1");
	is_int(q_int(PD("tls10"), NULL, NULL, NULL), 1, "tls10 1");
	is_int(q_int(PD("messages"), NULL, NULL, NULL), 4, "messages summed: 4");
	is_int(q_int(PD("first_time"), NULL, NULL, NULL), 50, "first time the earliest");
	is_int(q_int(PD("last_time"), NULL, NULL, NULL), 300, "last time the latest");
	is_str(q_text(PD("last_version"), NULL), "TLSv1.3", "the version of the latest success");
	is_str(q_text(PD("host"), NULL), "mx.example", "the host kept when none is given");
#undef PD
}

/* NUL and bytes outside UTF-8 are stored, as U+FFFD. */
static void
test_hostile(struct pgstore *ps, int64_t fid)
{
	static const char raw[] = "user=\xff\xfe\0x \xc3\xa9t\xc3\xa9";
	struct event *ev = make_event(fid, 77777, "192.0.2.8");
	int64_t id = 0;

	event_set(ev, EF_RAW, raw, sizeof(raw) - 1);
	event_set(ev, EF_USER, "\xc0\xaf", 2);
	ok(pgstore_begin(ps) == 0 && pgstore_add_events(ps, &ev, 1, &id) == 0 && id > 0 &&
	    pgstore_commit(ps) == 0, "an event with a NUL and invalid UTF-8 is stored");
	is_str(q_text("SELECT raw FROM events WHERE id = $1", num(id)),
	    "user=\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx \xc3\xa9t\xc3\xa9",
	    "each bad byte a U+FFFD, valid UTF-8 kept");
	is_str(q_text("SELECT \"user\" FROM events WHERE id = $1", num(id)),
	    "\xef\xbf\xbd\xef\xbf\xbd", "an overlong encoding replaced");
	event_free(ev);
}

/* A failure to connect names the database without the password. */
static void
test_password_hidden(void)
{
	char path[] = "/tmp/tlslogd-pgstore-err.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char text[2048] = "";

	fflush(stderr);
	dup2(fd, 2);
	struct pgstore *ps = pgstore_open("postgresql://who:s3cret@/nodb?host=/nonexistent-tlslogd"
	    "&password=0ther", "mx9");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	ok(ps == NULL, "a database that cannot be reached is an error");
	ok(strstr(text, "cannot connect") != NULL, "that says so");
	ok(strstr(text, "s3cret") == NULL && strstr(text, "0ther") == NULL &&
	    strstr(text, "postgresql://who:***@/nodb") != NULL, "without the password");
	printf("# %s", text);
	ok(pgstore_open("/var/lib/tlslogd/tlslogd.db", "mx9") == NULL, "a path is no URI");
	const char *latin1 = getenv("TLSLOGD_PG_URI_LATIN1");
	if (latin1 != NULL && *latin1 != '\0')
		ok(pgstore_open(latin1, "mx9") == NULL, "a database in LATIN1 is refused");
	ok(pgstore_open(uri, "") == NULL, "an empty server name is refused");
	pgstore_close(NULL);
}

int
main(void)
{
	struct pgstore *ps;
	int64_t fid = 0;

	log_init("pgstore_test");
	uri = getenv("TLSLOGD_PG_URI");
	if (uri == NULL || *uri == '\0') {
		printf("1..0 # SKIP TLSLOGD_PG_URI is not set (tests/pgstore.sh sets it)\n");
		return 0;
	}
	check = PQconnectdb(uri);
	if (PQstatus(check) != CONNECTION_OK) {
		printf("Bail out! cannot connect to %s: %s", uri, PQerrorMessage(check));
		return 2;
	}
	test_concurrent_migration();
	test_reopen();
	ps = pgstore_open(uri, "mx1");
	if (!ok(ps != NULL, "the store opens")) {
		PQfinish(check);
		return done_testing();
	}
	test_events_once(ps, &fid);
	test_two_servers(ps, fid);
	test_rollback(ps, fid);
	test_killed();
	test_same_server_turns();
	test_lost_connection();
	test_offsets_forward(ps, fid);
	test_file_lookups(ps, fid);
	test_failed_statement(ps, fid);
	test_peer_days(ps);
	test_hostile(ps, fid);
	test_password_hidden();
	pgstore_close(ps);
	PQfinish(check);
	return done_testing();
}

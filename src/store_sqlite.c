/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_sqlite.c: the SQLite engine of the database (see store.h for the
 * promises, store_backend.h for how store.c calls it).
 *
 * Statements on the write path are prepared once at open. Text from the log
 * is always bound as a parameter, never pasted into SQL. Values may contain
 * any byte, NUL included, so they are bound with their lengths.
 */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpointer.h"
#include "domain.h"
#include "log.h"
#include "rotation.h"
#include "schema.h"
#include "store.h"
#include "store_backend.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 10000
/*
 * A connection is only ever used by the thread that opened it (matching
 * threads never touch the store), so SQLite need not lock it on every call:
 * that locking was 4% of a scan's instructions at a 20% failure rate.
 */
#define OPEN_FLAGS SQLITE_OPEN_NOMUTEX

struct sqlite_store {
	sqlite3 *db;
	char *path;
	enum store_mode mode;
	int backfill_announced;	/* 1 + the job whose start was logged, 0: none */
	int in_txn;
	struct checkpointer *checkpointer;	/* NULL: SQLite's own checkpoints */
	struct domain_cache *domains;	/* peer_domain and helo_domain of the events inserted */
	sqlite3_stmt *insert_event;	/* one row */
	sqlite3_stmt *insert_group;	/* STORE_GROUP rows */
	sqlite3_stmt *group_rows;	/* the file and offset of the rows a group inserted */
	sqlite3_stmt *find_file;
	sqlite3_stmt *find_text;
	sqlite3_stmt *insert_file;
	sqlite3_stmt *update_file;
	sqlite3_stmt *adopt_file;
	sqlite3_stmt *set_offset;
	sqlite3_stmt *get_counted;
	sqlite3_stmt *set_head;
	sqlite3_stmt *set_source;
	sqlite3_stmt *peer_days_one, *peer_days_group;	/* 1 and PEER_DAYS_GROUP rows */
};

static void sq_close(void *impl);
static void sq_rollback(void *impl);
static int sq_file_adopt(void *impl, int64_t file_id, const struct store_file_key *key);

/*
 * SQLite's errno after a failed open is often that of a later probe (ENOENT),
 * not the cause; when the file is missing, ask the folder ourselves.
 */
static int
open_cause(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int cause = 0;

	if (access(path, F_OK) < 0) {
		if (slash == NULL)
			strcpy(dir, ".");
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		struct stat sb;
		if (stat(dir, &sb) < 0)
			cause = errno;
		else if (!S_ISDIR(sb.st_mode))
			cause = ENOTDIR;
		else if (access(dir, W_OK | X_OK) < 0)
			cause = errno;
	} else if (access(path, R_OK) < 0) {
		cause = errno;
	}
	free(dir);
	return cause;
}

static void
sq_error(struct sqlite_store *st, const char *what)
{
	int sys = sqlite3_system_errno(st->db);

	if (sqlite3_errcode(st->db) == SQLITE_CANTOPEN && open_cause(st->path) != 0)
		sys = open_cause(st->path);
	if (sys != 0 && sqlite3_errcode(st->db) == SQLITE_CANTOPEN)
		log_warnx("%s: %s: %s (%s)", st->path, what, sqlite3_errmsg(st->db), strerror(sys));
	else
		log_warnx("%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static int
exec(struct sqlite_store *st, const char *sql, const char *what)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("%s: %s: %s", st->path, what, err ? err : sqlite3_errmsg(st->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int
user_version(struct sqlite_store *st, int *version)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK) {
		sq_error(st, "cannot read the schema version");
		return -1;
	}
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		sq_error(st, "cannot read the schema version");
		sqlite3_finalize(stmt);
		return -1;
	}
	*version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return 0;
}

static int
latest_version(void)
{
	return schema_migrations[schema_migration_count - 1].version;
}

static int
migrate(struct sqlite_store *st)
{
	int version;

	/* Up to date (the usual case): no write lock needed. */
	if (user_version(st, &version) < 0)
		return -1;
	if (version == latest_version())
		return 0;
	if (exec(st, "BEGIN IMMEDIATE", "cannot start the schema update") < 0)
		return -1;
	if (user_version(st, &version) < 0)
		goto fail;
	if (version > latest_version()) {
		log_warnx("%s: database schema version %d is newer than this tlslogd knows (%d): "
		    "upgrade tlslogd", st->path, version, latest_version());
		goto fail;
	}
	for (int i = 0; i < schema_migration_count; i++) {
		const struct schema_migration *m = &schema_migrations[i];
		char pragma[64];

		if (m->version <= version)
			continue;
		if (exec(st, m->sql, m->name) < 0)
			goto fail;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
		if (exec(st, pragma, "cannot set the schema version") < 0)
			goto fail;
	}
	if (exec(st, "COMMIT", "cannot commit the schema update") < 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Event ids per transaction of a backfill (store.h): a few MB of write-ahead log. */
#define BACKFILL_IDS 5000

/* The integer a query gives (none: no row, or NULL); INT64_MIN on an error (logged). */
static int64_t
query_int(struct sqlite_store *st, const char *sql, int64_t none)
{
	sqlite3_stmt *s;
	int64_t v = none;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sq_error(st, "cannot read the database");
		return INT64_MIN;
	}
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(s, 0);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_error(st, "cannot read the database");
		v = INT64_MIN;
	}
	sqlite3_finalize(s);
	return v;
}

/*
 * The jobs a migration leaves (the backfills table), done in this order:
 * the event ids from next_id up (read by next) are filled in by fill (?1 ..
 * ?2: a range of ids), then the job's row is deleted.
 */
static const struct backfill_job {
	const char *name, *what, *done, *next, *fill;
} backfill_jobs[] = {
	{ "peer_domain", "the peer domain (by the Public Suffix List) of the events stored "
	  "before schema 10", "peer domains filled in",
	  "SELECT next_id FROM backfills WHERE name = 'peer_domain'",
	  "UPDATE events SET peer_domain = tlslogd_domain(peer_host) "
	  "WHERE id >= ?1 AND id < ?2 AND peer_host IS NOT NULL AND "
	  "peer_domain IS NOT tlslogd_domain(peer_host)" },
	{ "domains", "the recipient and HELO domains of the events stored before schema 11",
	  "recipient and HELO domains filled in",
	  "SELECT next_id FROM backfills WHERE name = 'domains'",
	  "UPDATE events SET recipient_domain = CASE WHEN direction = 'out' THEN "
	  "tlslogd_recipient_domain(raw) END, helo_domain = tlslogd_domain(helo) "
	  "WHERE id >= ?1 AND id < ?2 AND ((direction = 'out' AND raw IS NOT NULL) OR "
	  "helo IS NOT NULL)" },
};

/* The first job left, or NULL (*next its next id); *failed on an error (logged). */
static const struct backfill_job *
backfill_pending(struct sqlite_store *st, int64_t *next, int *failed)
{
	*failed = 0;
	for (size_t i = 0; i < sizeof(backfill_jobs) / sizeof(backfill_jobs[0]); i++) {
		*next = query_int(st, backfill_jobs[i].next, -1);
		if (*next == INT64_MIN) {
			*failed = 1;
			return NULL;
		}
		if (*next >= 0)
			return &backfill_jobs[i];
	}
	return NULL;
}

static int
sq_backfill_step(void *impl)
{
	struct sqlite_store *st = impl;

	sqlite3_stmt *fill = NULL, *step = NULL;
	int64_t next;
	int failed;
	const struct backfill_job *job = backfill_pending(st, &next, &failed);
	if (job == NULL)
		return failed ? -1 : 0;
	int64_t last = query_int(st, "SELECT max(id) FROM events", 0);
	if (last == INT64_MIN)
		return -1;
	if (st->backfill_announced != (int)(job - backfill_jobs) + 1 && next <= last) {
		log_info("%s: filling in %s (ids %lld to %lld), %d at a time", st->path, job->what,
		    (long long)next, (long long)last, BACKFILL_IDS);
		st->backfill_announced = (int)(job - backfill_jobs) + 1;
	}
	int64_t upto = next + BACKFILL_IDS;
	int done = upto > last;
	if (sqlite3_prepare_v2(st->db, job->fill, -1, &fill, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, done ? "DELETE FROM backfills WHERE name = ?2" :
	    "UPDATE backfills SET next_id = ?1 WHERE name = ?2", -1, &step,
	    NULL) != SQLITE_OK) {
		sq_error(st, "cannot prepare the backfill");
		goto fail;
	}
	if (exec(st, "BEGIN IMMEDIATE", "cannot start the backfill") < 0)
		goto fail;
	sqlite3_bind_int64(fill, 1, next);
	sqlite3_bind_int64(fill, 2, upto);
	if (sqlite3_step(fill) != SQLITE_DONE) {
		sq_error(st, "cannot fill in a backfill");
		goto rollback;
	}
	if (!done)
		sqlite3_bind_int64(step, 1, upto);
	sqlite3_bind_text(step, 2, job->name, -1, SQLITE_STATIC);
	if (sqlite3_step(step) != SQLITE_DONE) {
		sq_error(st, "cannot record the backfill's progress");
		goto rollback;
	}
	if (exec(st, "COMMIT", "cannot commit the backfill") < 0)
		goto rollback;
	sqlite3_finalize(fill);
	sqlite3_finalize(step);
	if (done && st->backfill_announced == (int)(job - backfill_jobs) + 1)
		log_info("%s: %s", st->path, job->done);
	/* Another job may be left: the caller asks again. */
	if (done)
		return backfill_pending(st, &next, &failed) != NULL ? 1 : failed ? -1 : 0;
	return 1;
rollback:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
fail:
	sqlite3_finalize(fill);
	sqlite3_finalize(step);
	return -1;
}

/*
 * The registered domain of a peer's reverse name (domain_of: the one flagging uses),
 * or NULL: stored with every event as peer_domain. A host with a NUL byte in
 * it has no domain.
 */
static const char *
peer_domain(struct domain_cache *cache, const char *host, size_t len, char *out, size_t size)
{
	if (host == NULL || strlen(host) != len)
		return NULL;
	return domain_of_cached(cache, host, out, size);
}

static struct domain_cache *
sq_domain_cache(void *impl)
{
	struct sqlite_store *st = impl;

	return st->domains;
}

/* tlslogd_domain(host): peer_domain in SQL, for the backfill of old events (sql/005, sql/010). */
static void
sql_domain(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char out[300];
	const char *host = (const char *)sqlite3_value_text(argv[0]);
	const char *dom;

	(void)argc;
	dom = host ? peer_domain(NULL, host, (size_t)sqlite3_value_bytes(argv[0]), out, sizeof(out)) :
	    NULL;
	if (dom == NULL)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, dom, -1, SQLITE_TRANSIENT);
}

/*
 * The recipient domain of an outgoing event's raw lines (domain.h), or NULL:
 * stored as recipient_domain. Raw text with a NUL byte is read up to it.
 */
static const char *
recipient_domain(const struct event *ev, char *out, size_t size)
{
	if (ev->direction != DIR_OUT || ev->field[EF_RAW] == NULL)
		return NULL;
	return domain_of_recipient(ev->field[EF_RAW], out, size);
}

/* tlslogd_recipient_domain(raw): domain_of_recipient in SQL, for the backfill of sql/011. */
static void
sql_recipient_domain(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char out[300];
	const char *raw = (const char *)sqlite3_value_text(argv[0]);
	const char *dom;

	(void)argc;
	dom = raw ? domain_of_recipient(raw, out, sizeof(out)) : NULL;
	if (dom == NULL)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, dom, -1, SQLITE_TRANSIENT);
}

/* tlslogd_log_name(path): rotation_log_name in SQL, for migration 7 to fill in old files. */
static void
sql_log_name(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char out[ROTATION_NAME_MAX];
	const char *path = (const char *)sqlite3_value_text(argv[0]);

	(void)argc;
	if (path == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	rotation_log_name(path, out, sizeof(out));
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

static int
prepare(struct sqlite_store *st, sqlite3_stmt **stmt, const char *sql)
{
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) != SQLITE_OK) {
		sq_error(st, "cannot prepare a statement");
		return -1;
	}
	return 0;
}

#define EVENT_COLUMNS 24

/* "INSERT OR IGNORE INTO events (...) VALUES (?1, ..., ?24), ..." for rows rows. */
static char *
insert_sql(size_t rows)
{
	struct buf sql;

	buf_init(&sql);
	buf_puts(&sql, "INSERT OR IGNORE INTO events (time, server, mta, program, pid, direction, "
	    "kind, peer_host, peer_ip, peer_port, helo, user, mech, reason, tls_version, cipher, "
	    "queue_id, file_id, offset, raw, peer_domain, downgraded, recipient_domain, helo_domain) "
	    "VALUES ");
	for (size_t r = 0; r < rows; r++) {
		buf_puts(&sql, r == 0 ? "(" : ", (");
		for (size_t c = 1; c <= EVENT_COLUMNS; c++)
			buf_printf(&sql, c == 1 ? "?%zu" : ", ?%zu", r * EVENT_COLUMNS + c);
		buf_putc(&sql, ')');
	}
	buf_putc(&sql, '\0');
	return sql.data;
}

static int
prepare_writer(struct sqlite_store *st)
{
	char *one = insert_sql(1), *group = insert_sql(STORE_GROUP);
	int rc = prepare(st, &st->insert_event, one) < 0 ||
	    prepare(st, &st->insert_group, group) < 0 ||
	    prepare(st, &st->group_rows, "SELECT file_id, offset FROM events "
	    "WHERE id BETWEEN ?1 AND ?2 ORDER BY id") < 0;

	free(one);
	free(group);
	if (rc)
		return -1;
	if (prepare(st, &st->find_file,
	    "SELECT id, fingerprint, fingerprint_len, offset FROM files "
	    "WHERE device = ?1 AND inode = ?2 ORDER BY id DESC") < 0)
		return -1;
	if (prepare(st, &st->find_text,
	    "SELECT id, offset FROM files WHERE fingerprint = ?1 AND head_whole "
	    "AND fingerprint_len = ?2 AND log_name = ?3 ORDER BY id DESC LIMIT 1") < 0)
		return -1;
	if (prepare(st, &st->insert_file,
	    "INSERT INTO files (path, device, inode, fingerprint, fingerprint_len, offset, "
	    "first_seen, updated, log_name, head_whole) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6, ?7, ?8)") < 0)
		return -1;
	if (prepare(st, &st->update_file,
	    "UPDATE files SET path = ?2, fingerprint = ?3, fingerprint_len = ?4, updated = ?5, "
	    "log_name = ?6, head_whole = ?7 WHERE id = ?1") < 0)
		return -1;
	if (prepare(st, &st->adopt_file,
	    "UPDATE files SET path = ?2, device = ?3, inode = ?4, updated = ?5, log_name = ?6 "
	    "WHERE id = ?1") < 0)
		return -1;
	/* A position never moves back: a scan beside the daemon may have read further. */
	if (prepare(st, &st->set_offset,
	    "UPDATE files SET offset = max(offset, coalesce(?2, offset)), updated = ?3, "
	    "size = coalesce(?4, size), counted = max(counted, ?5) WHERE id = ?1") < 0)
		return -1;
	if (prepare(st, &st->get_counted, "SELECT counted FROM files WHERE id = ?1") < 0)
		return -1;
	if (prepare(st, &st->set_head,
	    "UPDATE files SET fingerprint = ?2, fingerprint_len = ?3, head_whole = ?4 "
	    "WHERE id = ?1") < 0)
		return -1;
	if (prepare(st, &st->set_source,
	    "INSERT INTO sources (name, file_id, cursor, lines, lines_cut, lines_unknown, "
	    "first_seen, updated, current_id) VALUES (?1, ?2, ?3, ?5, ?6, ?7, ?4, ?4, ?8) "
	    "ON CONFLICT (name) DO UPDATE SET file_id = coalesce(excluded.file_id, file_id), "
	    "current_id = excluded.current_id, "
	    "cursor = coalesce(excluded.cursor, cursor), lines = lines + excluded.lines, "
	    "lines_cut = lines_cut + excluded.lines_cut, "
	    "lines_unknown = lines_unknown + excluded.lines_unknown, "
	    "updated = excluded.updated") < 0)
		return -1;
	return 0;
}

/*
 * A reader of a WAL database needs its -shm file; in a folder the reader
 * cannot write (a database owned by the daemon, read through group access)
 * SQLite cannot create it while no writer is running. Then, and only when no
 * -wal file holds unmerged changes, the main file is complete and is read as
 * immutable.
 */
/*
 * "file:PATH?immutable=1" with PATH percent-encoded: a '?', '#' or '%' in a
 * file name would otherwise end the path or start an escape (RFC 3986), and
 * a leading "//" would be read as an authority.
 */
static char *
immutable_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "file:");
	while (path[0] == '/' && path[1] == '/')
		path++;
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/-._~", *p) != NULL) {
			buf_putc(&b, (char)*p);
		} else {
			buf_putc(&b, '%');
			buf_putc(&b, hex[*p >> 4]);
			buf_putc(&b, hex[*p & 15]);
		}
	}
	buf_puts(&b, "?immutable=1");
	return b.data;
}

static int
read_version_readonly(struct sqlite_store *st, int *version)
{
	char *wal;
	int rc;

	if (user_version(st, version) == 0)
		return 0;
	rc = sqlite3_errcode(st->db) & 0xff;
	if (rc != SQLITE_READONLY && rc != SQLITE_CANTOPEN)
		return -1;
	wal = xasprintf("%s-wal", st->path);
	rc = access(wal, F_OK);
	free(wal);
	if (rc == 0)
		return -1;
	sqlite3_close(st->db);
	st->db = NULL;
	char *uri = immutable_uri(st->path);
	if (sqlite3_open_v2(uri, &st->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | OPEN_FLAGS,
	    NULL) != SQLITE_OK) {
		free(uri);
		sq_error(st, "cannot open database");
		return -1;
	}
	free(uri);
	log_debug("%s: read as immutable (no -shm could be created)", st->path);
	return user_version(st, version);
}

static int
open_read_only(struct sqlite_store *st)
{
	struct stat sb;
	int version;

	if (stat(st->path, &sb) < 0) {
		log_warn("cannot open database %s", st->path);
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		log_warnx("cannot open database %s: is a directory", st->path);
		return -1;
	}
	if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READONLY | OPEN_FLAGS, NULL) != SQLITE_OK) {
		sq_error(st, "cannot open database");
		return -1;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if (read_version_readonly(st, &version) < 0)
		return -1;
	if (version == 0) {
		log_warnx("%s: not a tlslogd database (no tlslogd schema)", st->path);
		return -1;
	}
	if (version > latest_version()) {
		log_warnx("%s: database schema version %d is newer than this tlslogd knows (%d): "
		    "upgrade tlslogd", st->path, version, latest_version());
		return -1;
	}
	if (version < latest_version()) {
		log_warnx("%s: database schema version %d is older than this tlslogd's (%d): "
		    "run \"tlslogd scan\" once to upgrade it", st->path, version, latest_version());
		return -1;
	}
	return 0;
}

/*
 * Create the database's folder when it is missing (one level, 0750: the
 * database is for the tlslogd user and its group), as after a fresh install.
 */
static int
make_parent(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	struct stat sb;
	int rc = 0;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &sb) < 0 && errno == ENOENT && mkdir(dir, 0750) < 0 && errno != EEXIST) {
			log_warn("cannot create the database folder %s", dir);
			rc = -1;
		}
	}
	free(dir);
	return rc;
}

static int
open_read_write(struct sqlite_store *st)
{
	struct stat sb;

	if (stat(st->path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		log_warnx("cannot open database %s: is a directory", st->path);
		return -1;
	}
	if (make_parent(st->path) < 0)
		return -1;
	if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | OPEN_FLAGS,
	    NULL) != SQLITE_OK) {
		sq_error(st, "cannot open database");
		return -1;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	/*
	 * The first statement that reads the file tells a non-SQLite file apart.
	 * A new database gives deleted pages back (retention), a page at a time:
	 * set before anything is written; on an existing one it changes nothing.
	 */
	if (exec(st, "PRAGMA auto_vacuum = INCREMENTAL", "cannot use the database") < 0)
		return -1;
	if (exec(st, "PRAGMA journal_mode = WAL", "cannot use the database") < 0)
		return -1;
	if (exec(st, "PRAGMA synchronous = NORMAL", "cannot use the database") < 0)
		return -1;
	/*
	 * A page cache of 8 MiB (SQLite's default is 2): a batch of events
	 * dirties pages all over seven B-trees, and with 2 MiB SQLite writes
	 * some to the write-ahead log before the commit and reads them back.
	 * At 20% failures a scan is about 10% faster; peak RSS 15 -> 21 MiB.
	 */
	if (exec(st, "PRAGMA cache_size = -8192", "cannot use the database") < 0)
		return -1;
	/*
	 * Statement journals in memory: an upsert of many rows (peer_days) opens
	 * one, which SQLite otherwise writes to a file in the temporary folder:
	 * 36,000 writes (75 MB) on the benchmark's 2,000,000 lines, a third of
	 * the scan's system time. A statement journal holds one statement's
	 * changes (16 rows): small.
	 */
	if (exec(st, "PRAGMA temp_store = MEMORY", "cannot use the database") < 0)
		return -1;
	if (sqlite3_create_function(st->db, "tlslogd_domain", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_domain, NULL, NULL) != SQLITE_OK) {
		sq_error(st, "cannot register a function");
		return -1;
	}
	if (sqlite3_create_function(st->db, "tlslogd_recipient_domain", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_recipient_domain, NULL, NULL) != SQLITE_OK) {
		sq_error(st, "cannot register a function");
		return -1;
	}
	if (sqlite3_create_function(st->db, "tlslogd_log_name", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_log_name, NULL, NULL) != SQLITE_OK) {
		sq_error(st, "cannot register a function");
		return -1;
	}
	if (migrate(st) < 0)
		return -1;
	return prepare_writer(st);
}

void *
store_sqlite_open(const char *path, enum store_mode mode)
{
	struct sqlite_store *st = xcalloc(1, sizeof(*st));
	int rc;

	st->domains = domain_cache_new();

	/*
	 * No statistics of SQLite's memory use, which nothing reads: keeping
	 * them takes a global mutex on every allocation SQLite makes. Only
	 * possible before SQLite initializes (the first open); later calls
	 * are refused, and change nothing.
	 */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

	st->path = xstrdup(path);
	st->mode = mode;
	rc = mode == STORE_READ_ONLY ? open_read_only(st) : open_read_write(st);
	if (rc < 0) {
		sq_close(st);
		return NULL;
	}
	return st;
}

static void
sq_close(void *impl)
{
	struct sqlite_store *st = impl;

	if (st == NULL)
		return;
	if (st->in_txn)
		sq_rollback(st);
	checkpointer_stop(st->checkpointer);
	sqlite3_finalize(st->insert_event);
	sqlite3_finalize(st->insert_group);
	sqlite3_finalize(st->group_rows);
	sqlite3_finalize(st->find_file);
	sqlite3_finalize(st->find_text);
	sqlite3_finalize(st->insert_file);
	sqlite3_finalize(st->update_file);
	sqlite3_finalize(st->adopt_file);
	sqlite3_finalize(st->set_offset);
	sqlite3_finalize(st->get_counted);
	sqlite3_finalize(st->set_head);
	sqlite3_finalize(st->set_source);
	sqlite3_finalize(st->peer_days_one);
	sqlite3_finalize(st->peer_days_group);
	if (st->db != NULL && sqlite3_close(st->db) != SQLITE_OK)
		sq_error(st, "cannot close database");
	domain_cache_free(st->domains);
	free(st->path);
	free(st);
}

static const char *
sq_path(const void *impl)
{
	const struct sqlite_store *st = impl;

	return st->path;
}

struct sqlite3 *
store_sqlite_db(void *impl)
{
	struct sqlite_store *st = impl;

	return st->db;
}

static void
sq_checkpoint_in_background(void *impl)
{
	struct sqlite_store *st = impl;

	if (st->mode == STORE_READ_WRITE && st->checkpointer == NULL)
		st->checkpointer = checkpointer_start(st->path, st->db);
}

static int
sq_begin(void *impl)
{
	struct sqlite_store *st = impl;

	if (exec(st, "BEGIN IMMEDIATE", "cannot start a transaction") < 0)
		return -1;
	st->in_txn = 1;
	return 0;
}

static int
sq_in_txn(const void *impl)
{
	const struct sqlite_store *st = impl;

	return st->in_txn;
}

static int
sq_commit(void *impl)
{
	struct sqlite_store *st = impl;

	if (exec(st, "COMMIT", "cannot commit") < 0) {
		sq_rollback(st);
		return -1;
	}
	st->in_txn = 0;
	return 0;
}

static void
sq_rollback(void *impl)
{
	struct sqlite_store *st = impl;

	if (sqlite3_get_autocommit(st->db) == 0)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	st->in_txn = 0;
}

static void
bind_field(sqlite3_stmt *stmt, int idx, const struct event *ev, enum event_field f)
{
	if (ev->field[f] == NULL)
		sqlite3_bind_null(stmt, idx);
	else
		sqlite3_bind_text(stmt, idx, ev->field[f], (int)ev->field_len[f], SQLITE_STATIC);
}

static void
bind_opt_int(sqlite3_stmt *stmt, int idx, int64_t v, int64_t none)
{
	if (v == none)
		sqlite3_bind_null(stmt, idx);
	else
		sqlite3_bind_int64(stmt, idx, v);
}

/* Bind ev as row row (from 0) of an insert statement. */
static void
bind_event(struct sqlite_store *st, sqlite3_stmt *s, int row, const struct event *ev)
{
	int b = row * EVENT_COLUMNS;

	sqlite3_bind_int64(s, b + 1, ev->time);
	bind_field(s, b + 2, ev, EF_SERVER);
	sqlite3_bind_text(s, b + 3, ev->mta, -1, SQLITE_STATIC);
	bind_field(s, b + 4, ev, EF_PROGRAM);
	bind_opt_int(s, b + 5, ev->pid, -1);
	sqlite3_bind_text(s, b + 6, event_direction_name(ev->direction), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, b + 7, event_kind_name(ev->kind), -1, SQLITE_STATIC);
	bind_field(s, b + 8, ev, EF_PEER_HOST);
	bind_field(s, b + 9, ev, EF_PEER_IP);
	bind_opt_int(s, b + 10, ev->peer_port, -1);
	bind_field(s, b + 11, ev, EF_HELO);
	bind_field(s, b + 12, ev, EF_USER);
	bind_field(s, b + 13, ev, EF_MECH);
	bind_field(s, b + 14, ev, EF_REASON);
	bind_field(s, b + 15, ev, EF_TLS_VERSION);
	bind_field(s, b + 16, ev, EF_CIPHER);
	bind_field(s, b + 17, ev, EF_QUEUE_ID);
	bind_opt_int(s, b + 18, ev->file_id, 0);
	bind_opt_int(s, b + 19, ev->offset, -1);
	bind_field(s, b + 20, ev, EF_RAW);
	char domain[300];
	const char *dom = peer_domain(st->domains, ev->field[EF_PEER_HOST], ev->field_len[EF_PEER_HOST],
	    domain, sizeof(domain));
	if (dom != NULL)
		sqlite3_bind_text(s, b + 21, dom, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, b + 21);
	sqlite3_bind_int(s, b + 22, ev->downgraded != 0);
	if ((dom = recipient_domain(ev, domain, sizeof(domain))) != NULL)
		sqlite3_bind_text(s, b + 23, dom, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, b + 23);
	if ((dom = peer_domain(st->domains, ev->field[EF_HELO], ev->field_len[EF_HELO], domain,
	    sizeof(domain))) != NULL)
		sqlite3_bind_text(s, b + 24, dom, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, b + 24);
}

/* The row ev would have: its file and offset (the unique key), NULL as the store binds it. */
static int
same_key(sqlite3_stmt *s, const struct event *ev)
{
	int64_t file_id = sqlite3_column_type(s, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 0);
	int64_t offset = sqlite3_column_type(s, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 1);

	return file_id == ev->file_id && offset == ev->offset;
}

/*
 * Which of the n events of one INSERT OR IGNORE were inserted: its inserted
 * rows have the ids last - inserted + 1 .. last (a new row's id is the
 * largest plus one, and nobody else writes inside our transaction), in the
 * order of the VALUES. Walking both lists in order matches them: an event
 * that is not the next row inserted was ignored.
 */
static int
match_inserted(struct sqlite_store *st, struct event *const *evs, size_t n, int64_t inserted,
    int64_t last, int64_t *ids)
{
	sqlite3_stmt *s = st->group_rows;
	int64_t id = last - inserted + 1;

	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, last);
	int rc = sqlite3_step(s);

	for (size_t i = 0; i < n; i++) {
		if (rc == SQLITE_ROW && same_key(s, evs[i])) {
			ids[i] = id++;
			rc = sqlite3_step(s);
		} else
			ids[i] = 0;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE || id != last + 1) {
		sq_error(st, "cannot read the events just stored");
		return -1;
	}
	return 0;
}

/* One INSERT of n events (1 or STORE_GROUP); ids as store_add_events. */
static int
insert_rows(struct sqlite_store *st, sqlite3_stmt *s, struct event *const *evs, size_t n, int64_t *ids)
{
	for (size_t i = 0; i < n; i++)
		bind_event(st, s, (int)i, evs[i]);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		sq_error(st, "cannot store an event");
		return -1;
	}
	int64_t inserted = sqlite3_changes(st->db);
	int64_t last = sqlite3_last_insert_rowid(st->db);
	if ((size_t)inserted == n) {
		for (size_t i = 0; i < n; i++)
			ids[i] = last - (int64_t)n + 1 + (int64_t)i;
		return 0;
	}
	if (inserted == 0) {
		memset(ids, 0, n * sizeof(*ids));
		return 0;
	}
	return match_inserted(st, evs, n, inserted, last, ids);
}

static int
sq_add_events(void *impl, struct event *const *evs, size_t n, int64_t *ids)
{
	struct sqlite_store *st = impl;
	size_t done = 0;

	for (; n - done >= STORE_GROUP; done += STORE_GROUP)
		if (insert_rows(st, st->insert_group, evs + done, STORE_GROUP, ids + done) < 0)
			return -1;
	for (; done < n; done++)
		if (insert_rows(st, st->insert_event, evs + done, 1, ids + done) < 0)
			return -1;
	return 0;
}

/* Reset a lookup statement after its last step; -1 (logged) when a step failed. */
static int
lookup_done(struct sqlite_store *st, sqlite3_stmt *s, int rc)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_error(st, "cannot look up the file position");
		return -1;
	}
	return 0;
}

/*
 * The record of the same device and inode whose first line is a prefix of
 * key's: 1; 0: none; 2: there is one, but the file is now shorter than what
 * was read of it (truncated in place: a new file); -1 on an error.
 */
static int
find_by_inode(struct sqlite_store *st, const struct store_file_key *key, int64_t size, int64_t *file_id,
    int64_t *offset)
{
	sqlite3_stmt *s = st->find_file;
	int rc, found = 0;

	sqlite3_bind_int64(s, 1, (int64_t)key->dev);
	sqlite3_bind_int64(s, 2, (int64_t)key->ino);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t row_fp = sqlite3_column_int64(s, 1);
		int64_t row_len = sqlite3_column_int64(s, 2);
		int64_t row_off = sqlite3_column_int64(s, 3);

		if (row_len < 0 || (uint64_t)row_len > key->head_len)
			continue;
		if ((int64_t)util_fnv1a(key->head, (size_t)row_len) != row_fp)
			continue;
		if (row_off > size) {
			found = 2;	/* truncated in place: a new file as far as we know */
			break;
		}
		*file_id = sqlite3_column_int64(s, 0);
		*offset = row_off;
		found = 1;
		break;
	}
	return lookup_done(st, s, rc) < 0 ? -1 : found;
}

/* The record of the same log name and whole first line (rotation.h); 1, 0 or -1. */
static int
find_by_text(struct sqlite_store *st, const struct store_file_key *key, const char *log_name,
    int64_t *file_id, int64_t *offset)
{
	sqlite3_stmt *s = st->find_text;
	int rc, found = 0;

	if (!key->head_whole || key->head_len == 0)
		return 0;
	sqlite3_bind_int64(s, 1, (int64_t)util_fnv1a(key->head, key->head_len));
	sqlite3_bind_int64(s, 2, (int64_t)key->head_len);
	sqlite3_bind_text(s, 3, log_name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*file_id = sqlite3_column_int64(s, 0);
		*offset = sqlite3_column_int64(s, 1);
		found = 1;
	}
	return lookup_done(st, s, rc) < 0 ? -1 : found;
}

/* Run an UPDATE or INSERT bound by the caller; -1 (logged) unless it is done. */
static int
step_done(struct sqlite_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE) {
		sq_error(st, what);
		return -1;
	}
	return 0;
}

/* store_file_find; *by_text: found by its text, under another inode. */
static int
find_file(struct sqlite_store *st, const struct store_file_key *key, int64_t size, int64_t *file_id,
    int64_t *offset, int *by_text)
{
	char log_name[ROTATION_NAME_MAX];

	*file_id = 0;
	*offset = 0;
	*by_text = 0;
	int found = find_by_inode(st, key, size, file_id, offset);
	if (found == 2)
		return 0;
	if (found == 0) {
		rotation_log_name(key->path, log_name, sizeof(log_name));
		found = *by_text = find_by_text(st, key, log_name, file_id, offset);
		/* A copy cut shorter than what was read of it holds nothing new. */
		if (found > 0 && *offset > size)
			*offset = size;
	}
	return found;
}

static int
sq_file_find(void *impl, const struct store_file_key *key, int64_t size,
    int64_t *file_id, int64_t *offset)
{
	struct sqlite_store *st = impl;
	int by_text;

	return find_file(st, key, size, file_id, offset, &by_text);
}

static int
sq_file_resume(void *impl, const struct store_file_key *key, int64_t size,
    int64_t *file_id, int64_t *offset)
{
	struct sqlite_store *st = impl;
	char log_name[ROTATION_NAME_MAX];
	int64_t now = (int64_t)time(NULL);
	int64_t fp = (int64_t)util_fnv1a(key->head, key->head_len);
	int by_text;
	sqlite3_stmt *s;

	int found = find_file(st, key, size, file_id, offset, &by_text);
	if (found < 0)
		return -1;
	rotation_log_name(key->path, log_name, sizeof(log_name));
	if (by_text) {
		/* The record's text is here now: a restart looks for it under this inode. */
		if (sq_file_adopt(st, *file_id, key) < 0)
			return -1;
		return 0;
	}
	if (found) {
		s = st->update_file;
		sqlite3_bind_int64(s, 1, *file_id);
		sqlite3_bind_text(s, 2, key->path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, fp);
		sqlite3_bind_int64(s, 4, (int64_t)key->head_len);
		sqlite3_bind_int64(s, 5, now);
		sqlite3_bind_text(s, 6, log_name, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 7, key->head_whole);
	} else {
		s = st->insert_file;
		sqlite3_bind_text(s, 1, key->path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, (int64_t)key->dev);
		sqlite3_bind_int64(s, 3, (int64_t)key->ino);
		sqlite3_bind_int64(s, 4, fp);
		sqlite3_bind_int64(s, 5, (int64_t)key->head_len);
		sqlite3_bind_int64(s, 6, now);
		sqlite3_bind_text(s, 7, log_name, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 8, key->head_whole);
	}
	if (step_done(st, s, "cannot record the file") < 0)
		return -1;
	if (*file_id == 0)
		*file_id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static int
sq_file_find_head(void *impl, const char *head, size_t head_len, int64_t *file_id)
{
	struct sqlite_store *st = impl;

	sqlite3_stmt *s = NULL;
	int rc, rows = 0;

	*file_id = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT id FROM files WHERE fingerprint = ?1 AND "
	    "fingerprint_len = ?2 AND head_whole LIMIT 2", -1, &s, NULL) != SQLITE_OK) {
		sq_error(st, "cannot look up the file position");
		return -1;
	}
	sqlite3_bind_int64(s, 1, (int64_t)util_fnv1a(head, head_len));
	sqlite3_bind_int64(s, 2, (int64_t)head_len);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*file_id = sqlite3_column_int64(s, 0);
		rows++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		sq_error(st, "cannot look up the file position");
		return -1;
	}
	if (rows != 1)
		*file_id = 0;
	return rows == 1;
}

static int
sq_file_active(void *impl, dev_t dev, ino_t ino, int64_t since, int64_t *offset)
{
	struct sqlite_store *st = impl;

	sqlite3_stmt *s = NULL;
	int rc, found = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT offset FROM files WHERE device = ?1 AND inode = ?2 "
	    "AND updated >= ?3 ORDER BY id DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK) {
		sq_error(st, "cannot look up the file position");
		return -1;
	}
	sqlite3_bind_int64(s, 1, (int64_t)dev);
	sqlite3_bind_int64(s, 2, (int64_t)ino);
	sqlite3_bind_int64(s, 3, since);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*offset = sqlite3_column_int64(s, 0);
		found = 1;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_error(st, "cannot look up the file position");
		return -1;
	}
	return found;
}

static int
sq_file_adopt(void *impl, int64_t file_id, const struct store_file_key *key)
{
	struct sqlite_store *st = impl;
	char log_name[ROTATION_NAME_MAX];
	sqlite3_stmt *s = st->adopt_file;

	rotation_log_name(key->path, log_name, sizeof(log_name));
	sqlite3_bind_int64(s, 1, file_id);
	sqlite3_bind_text(s, 2, key->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)key->dev);
	sqlite3_bind_int64(s, 4, (int64_t)key->ino);
	sqlite3_bind_int64(s, 5, (int64_t)time(NULL));
	sqlite3_bind_text(s, 6, log_name, -1, SQLITE_STATIC);
	return step_done(st, s, "cannot record the file");
}

static int
sq_file_set_offset(void *impl, int64_t file_id, int64_t offset, int64_t counted,
    int64_t size)
{
	struct sqlite_store *st = impl;

	sqlite3_stmt *s = st->set_offset;

	sqlite3_bind_int64(s, 1, file_id);
	if (offset >= 0)
		sqlite3_bind_int64(s, 2, offset);
	sqlite3_bind_int64(s, 3, (int64_t)time(NULL));
	if (size >= 0)
		sqlite3_bind_int64(s, 4, size);
	sqlite3_bind_int64(s, 5, counted > 0 ? counted : 0);
	return step_done(st, s, "cannot record the file position");
}

static int
sq_file_counted(void *impl, int64_t file_id, int64_t *counted)
{
	struct sqlite_store *st = impl;

	sqlite3_stmt *s = st->get_counted;
	int rc;

	*counted = 0;
	sqlite3_bind_int64(s, 1, file_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*counted = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_error(st, "cannot read the file's counted offset");
		return -1;
	}
	return 0;
}

static int
sq_file_set_head(void *impl, int64_t file_id, const char *head, size_t head_len,
    int whole)
{
	struct sqlite_store *st = impl;

	sqlite3_stmt *s = st->set_head;

	sqlite3_bind_int64(s, 1, file_id);
	sqlite3_bind_int64(s, 2, (int64_t)util_fnv1a(head, head_len));
	sqlite3_bind_int64(s, 3, (int64_t)head_len);
	sqlite3_bind_int(s, 4, whole);
	return step_done(st, s, "cannot record the file's first line");
}

static int
sq_source_get(void *impl, const char *name, int64_t *file_id, int64_t *current_id,
    char **cursor)
{
	struct sqlite_store *st = impl;

	sqlite3_stmt *s = NULL;
	int rc, found = 0;

	*file_id = 0;
	*current_id = 0;
	*cursor = NULL;
	if (sqlite3_prepare_v2(st->db, "SELECT file_id, cursor, current_id FROM sources "
	    "WHERE name = ?1", -1, &s, NULL) != SQLITE_OK) {
		sq_error(st, "cannot read the sources");
		return -1;
	}
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		found = 1;
		*file_id = sqlite3_column_int64(s, 0);
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			*cursor = xstrdup((const char *)sqlite3_column_text(s, 1));
		*current_id = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_error(st, "cannot read the sources");
		return -1;
	}
	return found;
}

static int
sq_source_set(void *impl, const char *name, int64_t file_id, int64_t current_id,
    const char *cursor, int64_t lines, int64_t cut, int64_t unknown)
{
	struct sqlite_store *st = impl;

	sqlite3_stmt *s = st->set_source;

	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (file_id > 0)
		sqlite3_bind_int64(s, 2, file_id);
	else
		sqlite3_bind_null(s, 2);
	if (cursor != NULL)
		sqlite3_bind_text(s, 3, cursor, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 3);
	sqlite3_bind_int64(s, 4, (int64_t)time(NULL));
	sqlite3_bind_int64(s, 5, lines);
	sqlite3_bind_int64(s, 6, cut);
	sqlite3_bind_int64(s, 7, unknown);
	if (current_id > 0)
		sqlite3_bind_int64(s, 8, current_id);
	else
		sqlite3_bind_null(s, 8);
	return step_done(st, s, "cannot record the source's position");
}

static int
sq_file_get(void *impl, int64_t file_id, struct store_file_record *rec)
{
	struct sqlite_store *st = impl;

	sqlite3_stmt *s = NULL;
	int rc, found = 0;

	memset(rec, 0, sizeof(*rec));
	if (sqlite3_prepare_v2(st->db, "SELECT device, inode, offset, fingerprint, fingerprint_len, "
	    "updated, path, size FROM files WHERE id = ?1", -1, &s, NULL) != SQLITE_OK) {
		sq_error(st, "cannot read the files");
		return -1;
	}
	sqlite3_bind_int64(s, 1, file_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		found = 1;
		rec->id = file_id;
		rec->dev = sqlite3_column_int64(s, 0);
		rec->ino = sqlite3_column_int64(s, 1);
		rec->offset = sqlite3_column_int64(s, 2);
		rec->fingerprint = sqlite3_column_int64(s, 3);
		rec->fingerprint_len = sqlite3_column_int64(s, 4);
		rec->updated = sqlite3_column_int64(s, 5);
		util_strlcpy(rec->path, (const char *)sqlite3_column_text(s, 6), sizeof(rec->path));
		rec->size = sqlite3_column_type(s, 7) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(s, 7);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sq_error(st, "cannot read the files");
		return -1;
	}
	return found;
}

static int
sq_loss_add(void *impl, int64_t file_id, const char *path, int64_t from, int64_t to,
    const char *reason)
{
	struct sqlite_store *st = impl;

	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO losses (time, file_id, path, from_offset, "
	    "to_offset, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &s, NULL) != SQLITE_OK) {
		sq_error(st, "cannot record a loss");
		return -1;
	}
	sqlite3_bind_int64(s, 1, (int64_t)time(NULL));
	if (file_id > 0)
		sqlite3_bind_int64(s, 2, file_id);
	sqlite3_bind_text(s, 3, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, from);
	if (to >= 0)
		sqlite3_bind_int64(s, 5, to);
	sqlite3_bind_text(s, 6, reason, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		sq_error(st, "cannot record a loss");
		return -1;
	}
	return 0;
}

/*
 * SQLite knows which file it has open; SQLITE_FCNTL_HAS_MOVED compares it
 * with what its path names now (the inode of the open file against a stat of
 * the path), without a race between our own stat and SQLite's open.
 */
static int
sq_check_file(void *impl)
{
	struct sqlite_store *st = impl;
	int moved = 0;

	if (st == NULL || st->db == NULL ||
	    sqlite3_file_control(st->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) != SQLITE_OK ||
	    !moved)
		return 0;	/* still there, or a VFS that cannot tell */
	/* SQLite's name of it is absolute: daemon(3) may have changed the folder since. */
	const char *name = sqlite3_db_filename(st->db, "main");
	struct stat sb;
	int rc = stat(name != NULL && name[0] != '\0' ? name : st->path, &sb);
	if (rc < 0 && errno == ENOENT)
		log_warnx("%s: the database file was deleted or renamed", st->path);
	else if (rc < 0)
		log_warn("%s: the database file can no longer be found", st->path);
	else
		log_warnx("%s: the database file was replaced by another file", st->path);
	return -1;
}

/*
 * A TRUNCATE checkpoint writes every frame of the log into the file SQLite
 * has open (the deleted one, or the renamed one, which so becomes whole
 * without its log) and leaves the log at the path empty. Without it, a new
 * database created at the path took the old log's pages for its own.
 */
static int
sq_abandon(void *impl)
{
	struct sqlite_store *st = impl;

	if (st == NULL || st->db == NULL)
		return 0;
	if (st->in_txn)
		sq_rollback(st);
	if (sqlite3_wal_checkpoint_v2(st->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) !=
	    SQLITE_OK) {
		sq_error(st, "cannot empty the write-ahead log");
		return -1;
	}
	return 0;
}

/* ---- peer_days ---- */

/*
 * One upsert writes PEER_DAYS_GROUP rows (a statement per row costs SQLite its
 * cursor, its statement journal and its halt each time: 16,500 instructions a
 * row on genlog's log, against some 11,000 in groups); the rest go one by one.
 */
#define PEER_DAYS_GROUP 16
#define PEER_DAYS_COLUMNS (9 + STORE_PD_COUNT)

static const char *const peer_days_head =
    "INSERT INTO peer_days (peer, day, direction, server, mta, host, first_time, last_time, "
    "last_version, clear, ssl3, tls10, tls11, tls12, tls13, tls_other, aead, cbc, des3, rc4, "
    "cipher_other, messages, logins) VALUES ";
static const char *const peer_days_tail =
    " ON CONFLICT (peer, day, direction, server) DO UPDATE SET "
    "host = coalesce(excluded.host, host), "
    "first_time = min(first_time, excluded.first_time), "
    "last_time = max(last_time, excluded.last_time), "
    "last_version = CASE WHEN excluded.last_version IS NOT NULL AND "
    "(last_version IS NULL OR excluded.last_time >= last_time) "
    "THEN excluded.last_version ELSE last_version END, "
    "clear = clear + excluded.clear, ssl3 = ssl3 + excluded.ssl3, "
    "tls10 = tls10 + excluded.tls10, tls11 = tls11 + excluded.tls11, "
    "tls12 = tls12 + excluded.tls12, tls13 = tls13 + excluded.tls13, "
    "tls_other = tls_other + excluded.tls_other, aead = aead + excluded.aead, "
    "cbc = cbc + excluded.cbc, des3 = des3 + excluded.des3, rc4 = rc4 + excluded.rc4, "
    "cipher_other = cipher_other + excluded.cipher_other, "
    "messages = messages + excluded.messages, logins = logins + excluded.logins";

/* The upsert of n rows: "VALUES (?, ...), (?, ...) ..." numbered from ?1. */
static sqlite3_stmt *
prepare_peer_days(struct sqlite_store *st, size_t n)
{
	sqlite3_stmt *s = NULL;
	struct buf sql;

	buf_init(&sql);
	buf_puts(&sql, peer_days_head);
	for (size_t r = 0; r < n; r++) {
		buf_puts(&sql, r == 0 ? "(" : ", (");
		for (int c = 0; c < PEER_DAYS_COLUMNS; c++)
			buf_puts(&sql, c == 0 ? "?" : ", ?");
		buf_putc(&sql, ')');
	}
	buf_puts(&sql, peer_days_tail);
	buf_putc(&sql, '\0');
	if (sqlite3_prepare_v3(st->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) !=
	    SQLITE_OK) {
		sq_error(st, "cannot count the successes");
		s = NULL;
	}
	buf_free(&sql);
	return s;
}

/* Bind row r to the columns from index at (1-based) on. */
static void
bind_peer_day(sqlite3_stmt *s, int at, const struct store_peer_day *r)
{
	sqlite3_bind_text(s, at, r->peer, (int)r->peer_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, at + 1, r->day);
	sqlite3_bind_text(s, at + 2, event_direction_name(r->direction), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, at + 3, r->server, (int)r->server_len, SQLITE_STATIC);
	sqlite3_bind_text(s, at + 4, r->mta != NULL ? r->mta : "", -1, SQLITE_STATIC);
	if (r->host != NULL)
		sqlite3_bind_text(s, at + 5, r->host, (int)r->host_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, at + 5);
	sqlite3_bind_int64(s, at + 6, r->first_time);
	sqlite3_bind_int64(s, at + 7, r->last_time);
	if (r->last_version != NULL)
		sqlite3_bind_text(s, at + 8, r->last_version, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, at + 8);
	for (int c = 0; c < STORE_PD_COUNT; c++)
		sqlite3_bind_int64(s, at + 9 + c, r->n[c]);
}

static int
sq_add_peer_days(void *impl, const struct store_peer_day *rows, size_t nrows)
{
	struct sqlite_store *st = impl;

	for (size_t i = 0; i < nrows;) {
		size_t n = nrows - i >= PEER_DAYS_GROUP ? PEER_DAYS_GROUP : 1;
		sqlite3_stmt **sp = n > 1 ? &st->peer_days_group : &st->peer_days_one;
		if (*sp == NULL && (*sp = prepare_peer_days(st, n)) == NULL)
			return -1;
		for (size_t k = 0; k < n; k++)
			bind_peer_day(*sp, 1 + (int)k * PEER_DAYS_COLUMNS, &rows[i + k]);
		int rc = sqlite3_step(*sp);
		sqlite3_reset(*sp);
		if (rc != SQLITE_DONE) {
			sq_error(st, "cannot count the successes");
			return -1;
		}
		i += n;
	}
	return 0;
}

/* ---- retention ---- */

static int
delete_before(struct sqlite_store *st, const char *sql, int64_t bound, int limit, int *deleted)
{
	sqlite3_stmt *s;
	int rc;

	*deleted = 0;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sq_error(st, "retention");
		return -1;
	}
	sqlite3_bind_int64(s, 1, bound);
	sqlite3_bind_int(s, 2, limit);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		sq_error(st, "retention");
		return -1;
	}
	*deleted = sqlite3_changes(st->db);
	return 0;
}

static int
sq_delete_events_before(void *impl, int64_t time, int limit, int *deleted)
{
	return delete_before(impl, "DELETE FROM events WHERE id IN (SELECT id FROM events "
	    "WHERE time < ?1 ORDER BY time LIMIT ?2)", time, limit, deleted);
}

static int
sq_delete_days_before(void *impl, int64_t day, int limit, int *deleted)
{
	return delete_before(impl, "DELETE FROM peer_days WHERE (peer, day, direction, server) "
	    "IN (SELECT peer, day, direction, server FROM peer_days WHERE day < ?1 LIMIT ?2)",
	    day, limit, deleted);
}

/*
 * The bytes of the pages in use (page_count - freelist_count): also right
 * on a database created without auto_vacuum, whose file never shrinks but
 * whose free pages are reused.
 */
static int
sq_used_bytes(void *impl, int64_t *bytes)
{
	struct sqlite_store *st = impl;
	int64_t pages, free_pages, page_size;

	pages = query_int(st, "PRAGMA page_count", -1);
	free_pages = query_int(st, "PRAGMA freelist_count", -1);
	page_size = query_int(st, "PRAGMA page_size", -1);
	if (pages == INT64_MIN || free_pages == INT64_MIN || page_size == INT64_MIN)
		return -1;	/* logged */
	*bytes = (pages - free_pages) * page_size;
	return 0;
}

/* Give the freed pages back (a no-op without auto_vacuum = incremental). */
static void
sq_reclaim(void *impl)
{
	struct sqlite_store *st = impl;

	sqlite3_exec(st->db, "PRAGMA incremental_vacuum(256)", NULL, NULL, NULL);
}

static int
sq_claim_server(void *impl)
{
	(void)impl;	/* the lock file beside the database (writerlock.h) */
	return 1;
}

static const char *
sq_server(const void *impl)
{
	(void)impl;	/* a file of this host's alone */
	return NULL;
}

const struct store_ops store_sqlite_ops = {
	.engine = STORE_SQLITE,
	.close = sq_close,
	.name = sq_path,
	.server = sq_server,
	.domain_cache = sq_domain_cache,
	.backfill_step = sq_backfill_step,
	.checkpoint_in_background = sq_checkpoint_in_background,
	.begin = sq_begin,
	.in_txn = sq_in_txn,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.add_events = sq_add_events,
	.add_peer_days = sq_add_peer_days,
	.file_resume = sq_file_resume,
	.file_find = sq_file_find,
	.file_find_head = sq_file_find_head,
	.file_active = sq_file_active,
	.file_adopt = sq_file_adopt,
	.file_set_offset = sq_file_set_offset,
	.file_counted = sq_file_counted,
	.source_get = sq_source_get,
	.source_set = sq_source_set,
	.file_get = sq_file_get,
	.file_set_head = sq_file_set_head,
	.loss_add = sq_loss_add,
	.delete_events_before = sq_delete_events_before,
	.delete_days_before = sq_delete_days_before,
	.used_bytes = sq_used_bytes,
	.reclaim = sq_reclaim,
	.claim_server = sq_claim_server,
	.check_file = sq_check_file,
	.abandon = sq_abandon,
};

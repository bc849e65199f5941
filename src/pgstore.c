/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pgstore.c: the PostgreSQL database of a fleet (see pgstore.h for the
 * promises), the write side of src/store.c on libpq.
 *
 * Why PostgreSQL at all: a provider's dozens of mail hosts each had their
 * own SQLite file and nothing saw the whole; a database server that already
 * serves many writers does, without a home-made aggregator (issue 18).
 *
 * How it keeps store.c's promises:
 *   - One connection, one writer per server name. Its transaction holds the
 *     events and the read positions (files.offset, files.counted) together;
 *     PostgreSQL commits both or neither, whoever dies, whenever.
 *   - Events are unique per (file_id, offset) and a file id belongs to one
 *     server, so re-reading adds nothing: a group of STORE_GROUP events is
 *     one INSERT ... ON CONFLICT DO NOTHING RETURNING, and the rows it returns,
 *     ordered by id (ids are drawn in the order of the VALUES), are matched to
 *     the events in order as store.c matches SQLite's: an event that is not
 *     the next row returned was there already.
 *   - A migration runs in one transaction that first takes an advisory lock
 *     (pg_advisory_xact_lock): daemons starting at once queue on it, and the
 *     ones after the first find the schema done. The lock goes with the
 *     transaction, even when its daemon is killed.
 *   - The writers of one server (a daemon, a scan beside it) take turns, one
 *     transaction each, as SQLite's writers do: a server's advisory lock
 *     taken by pgstore_begin (see there).
 *   - Every statement of the write path is prepared once (PQprepare) and run
 *     with its values as parameters in text form; numbers are printed by us,
 *     text is bound as it is, never pasted into SQL. The only SQL put
 *     together here is the list of "$n" placeholders of the group INSERT.
 *   - Errors: libpq's primary message, with what was being done and the URI
 *     without its password, logged; -1 returned. When the connection is gone
 *     the message says so, and nothing reconnects: the transaction went with
 *     it, and only the caller knows what to read again.
 */
#include "config.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain.h"
#include "log.h"
#include "pgstore.h"
#include "rotation.h"
#include "schema.h"
#include "util.h"

/* Columns of one events row, as store.c binds them. */
#define EVENT_COLUMNS 24
#define MAX_PARAMS (STORE_GROUP * EVENT_COLUMNS)
/* "tlslogd" in ASCII: the advisory lock the migrations take. */
#define MIGRATION_LOCK "32770340294715236"

/* The parameters of the next statement: text values, or NULL for SQL NULL. */
struct params {
	int n;
	const char *v[MAX_PARAMS];
	char num[MAX_PARAMS][24];	/* numbers printed for v */
	char *owned[MAX_PARAMS];	/* text copied to make it valid */
	int nowned;
};

struct pgstore {
	PGconn *conn;
	char *uri;		/* shown: the password masked */
	char *server;
	int in_txn;
	int connected;		/* was connected: a bad connection now is one lost */
	int claimed;		/* holds the daemon's claim on its server */
	int usurped;		/* lost it: another daemon writes the server's records now */
	uint64_t epoch;		/* connections made: statements prepared on another are gone */
	struct domain_cache *domains;
	struct params p;
};

/* The statements of the write path, prepared at open under these names. */
static const struct {
	const char *name, *sql;
} statements[] = {
	/* The writers of one server, one transaction at a time (pgstore_begin). */
	{ "lock_server", "SELECT pg_advisory_xact_lock(hashtextextended('tlslogd writer ' || $1, 0))" },
	{ "find_file", "SELECT id, fingerprint, fingerprint_len, \"offset\" FROM files "
	  "WHERE server = $1 AND device = $2 AND inode = $3 ORDER BY id DESC" },
	{ "find_text", "SELECT id, \"offset\" FROM files WHERE server = $1 AND head_whole = 1 "
	  "AND fingerprint = $2 AND fingerprint_len = $3 AND log_name = $4 "
	  "ORDER BY id DESC LIMIT 1" },
	{ "insert_file", "INSERT INTO files (server, path, device, inode, fingerprint, "
	  "fingerprint_len, \"offset\", first_seen, updated, log_name, head_whole) "
	  "VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7, $8, $9) RETURNING id" },
	{ "update_file", "UPDATE files SET path = $3, fingerprint = $4, fingerprint_len = $5, "
	  "updated = $6, log_name = $7, head_whole = $8 WHERE id = $1 AND server = $2" },
	{ "adopt_file", "UPDATE files SET path = $3, device = $4, inode = $5, updated = $6, "
	  "log_name = $7 WHERE id = $1 AND server = $2" },
	/* A position never moves back: a scan beside the daemon may have read further. */
	{ "set_offset", "UPDATE files SET \"offset\" = greatest(\"offset\", "
	  "coalesce($3::bigint, \"offset\")), updated = $4, size = coalesce($5::bigint, size), "
	  "counted = greatest(counted, $6::bigint) WHERE id = $1 AND server = $2" },
	{ "get_counted", "SELECT counted FROM files WHERE id = $1 AND server = $2" },
	{ "set_head", "UPDATE files SET fingerprint = $3, fingerprint_len = $4, head_whole = $5 "
	  "WHERE id = $1 AND server = $2" },
	{ "get_file", "SELECT device, inode, \"offset\", fingerprint, fingerprint_len, updated, "
	  "path, size FROM files WHERE id = $1 AND server = $2" },
	{ "find_head", "SELECT id FROM files WHERE server = $1 AND head_whole = 1 AND "
	  "fingerprint = $2 AND fingerprint_len = $3 LIMIT 2" },
	{ "file_active", "SELECT \"offset\" FROM files WHERE server = $1 AND device = $2 AND "
	  "inode = $3 AND updated >= $4 ORDER BY id DESC LIMIT 1" },
	{ "loss_add", "INSERT INTO losses (server, time, file_id, path, from_offset, to_offset, "
	  "reason) VALUES ($1, $2, $3, $4, $5, $6, $7)" },
	{ "get_source", "SELECT file_id, cursor, current_id FROM sources "
	  "WHERE server = $1 AND name = $2" },
	{ "set_source", "INSERT INTO sources (server, name, file_id, cursor, lines, lines_cut, "
	  "lines_unknown, first_seen, updated, current_id) "
	  "VALUES ($1, $2, $3, $4, $6, $7, $8, $5, $5, $9) "
	  "ON CONFLICT (server, name) DO UPDATE SET "
	  "file_id = coalesce(excluded.file_id, sources.file_id), "
	  "current_id = excluded.current_id, cursor = coalesce(excluded.cursor, sources.cursor), "
	  "lines = sources.lines + excluded.lines, "
	  "lines_cut = sources.lines_cut + excluded.lines_cut, "
	  "lines_unknown = sources.lines_unknown + excluded.lines_unknown, "
	  "updated = excluded.updated" },
	/*
	 * Retention (retention.h): the oldest batch, by the time index. Rows
	 * another host's retention is deleting are skipped, not waited for.
	 */
	{ "delete_events", "DELETE FROM events WHERE id IN (SELECT id FROM events "
	  "WHERE time < $1 ORDER BY time LIMIT $2 FOR UPDATE SKIP LOCKED)" },
	{ "delete_days", "DELETE FROM peer_days WHERE (peer, day, direction, server) IN "
	  "(SELECT peer, day, direction, server FROM peer_days WHERE day < $1 LIMIT $2 "
	  "FOR UPDATE SKIP LOCKED)" },
	/* The daemon's claim on its server: held by its session, gone with it (even after kill -9). */
	{ "claim_server", "SELECT pg_try_advisory_lock(hashtextextended('tlslogd daemon ' || $1, 0))" },
};

/*
 * peer_days' upsert (src/peerdays.c sums the rows), in PostgreSQL's words:
 * PEER_DAYS_GROUP rows to a statement, as the SQLite engine does (a round
 * trip per row would cost more than the row), the rest one by one.
 */
#define PEER_DAYS_GROUP 16
#define PEER_DAYS_COLUMNS (9 + STORE_PD_COUNT)
static const char *const peer_days_head =
    "INSERT INTO peer_days AS d (peer, day, direction, server, mta, host, "
    "first_time, last_time, last_version, clear, ssl3, tls10, tls11, tls12, tls13, "
    "tls_other, aead, cbc, des3, rc4, cipher_other, messages, logins) VALUES ";
static const char *const peer_days_casts[PEER_DAYS_COLUMNS] = {
	"text", "bigint", "text", "text", "text", "text", "bigint", "bigint", "text",
	"bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint",
	"bigint", "bigint", "bigint", "bigint", "bigint", "bigint"
};
static const char *const peer_days_tail =
    " ON CONFLICT (peer, day, direction, server) DO UPDATE SET "
    "host = coalesce(excluded.host, d.host), "
    "first_time = least(d.first_time, excluded.first_time), "
    "last_time = greatest(d.last_time, excluded.last_time), "
    "last_version = CASE WHEN excluded.last_version IS NOT NULL AND "
    "(d.last_version IS NULL OR excluded.last_time >= d.last_time) "
    "THEN excluded.last_version ELSE d.last_version END, "
    "clear = d.clear + excluded.clear, ssl3 = d.ssl3 + excluded.ssl3, "
    "tls10 = d.tls10 + excluded.tls10, tls11 = d.tls11 + excluded.tls11, "
    "tls12 = d.tls12 + excluded.tls12, tls13 = d.tls13 + excluded.tls13, "
    "tls_other = d.tls_other + excluded.tls_other, aead = d.aead + excluded.aead, "
    "cbc = d.cbc + excluded.cbc, des3 = d.des3 + excluded.des3, rc4 = d.rc4 + excluded.rc4, "
    "cipher_other = d.cipher_other + excluded.cipher_other, "
    "messages = d.messages + excluded.messages, logins = d.logins + excluded.logins";

/* The events columns and the types their parameters are cast to (a VALUES list has none). */
static const char *const event_casts[EVENT_COLUMNS] = {
	"bigint", "text", "text", "text", "bigint", "text", "text", "text", "text", "integer",
	"text", "text", "text", "text", "text", "text", "text", "bigint", "bigint", "text",
	"text", "smallint", "text", "text"
};

/* ---- text that PostgreSQL takes ---- */

/* The length of the valid UTF-8 character at s (n bytes left), 0: invalid or NUL. */
static size_t
utf8_char(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	uint32_t cp, min;
	size_t len;

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0, k; i < n; i += k)
		if ((k = utf8_char(u + i, n - i)) == 0)
			return 0;
	return 1;
}

/* A copy of s with each NUL and each byte outside valid UTF-8 replaced by U+FFFD. */
static char *
utf8_repair(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	struct buf b;

	buf_init(&b);
	for (size_t i = 0, k; i < n; i += k) {
		if ((k = utf8_char(u + i, n - i)) == 0) {
			buf_puts(&b, "\xef\xbf\xbd");
			k = 1;
		} else
			buf_append(&b, s + i, k);
	}
	buf_putc(&b, '\0');
	return b.data;
}

/* ---- parameters ---- */

static void
params_reset(struct params *p)
{
	for (int i = 0; i < p->nowned; i++)
		free(p->owned[i]);
	p->nowned = 0;
	p->n = 0;
}

/* The next parameter's slot; more than a statement of ours has is a bug of ours. */
static int
param_slot(struct params *p)
{
	if (p->n >= MAX_PARAMS) {
		log_warnx("pgstore: more than %d parameters", MAX_PARAMS);
		abort();
	}
	return p->n++;
}

static void
param_null(struct params *p)
{
	p->v[param_slot(p)] = NULL;
}

static void
param_int(struct params *p, int64_t v)
{
	int i = param_slot(p);

	snprintf(p->num[i], sizeof(p->num[i]), "%lld", (long long)v);
	p->v[i] = p->num[i];
}

/* An integer, or NULL when it is none. */
static void
param_opt_int(struct params *p, int64_t v, int64_t none)
{
	if (v == none)
		param_null(p);
	else
		param_int(p, v);
}

/*
 * len bytes of text; terminated: s[len] is a NUL we may rely on (else, or
 * when the text is no valid UTF-8 or holds a NUL, it is copied).
 */
static void
param_text(struct params *p, const char *s, size_t len, int terminated)
{
	if (s == NULL) {
		param_null(p);
		return;
	}
	int i = param_slot(p);
	if (terminated && s[len] == '\0' && utf8_valid(s, len)) {
		p->v[i] = s;
		return;
	}
	char *copy = utf8_valid(s, len) ? xstrndup(s, len) : utf8_repair(s, len);
	p->owned[p->nowned++] = copy;
	p->v[i] = copy;
}

static void
param_str(struct params *p, const char *s)
{
	param_text(p, s, s != NULL ? strlen(s) : 0, 1);
}

/* ---- running statements ---- */

/* libpq's message without its final newline. */
static void
log_pq(struct pgstore *ps, const char *what, const PGresult *r)
{
	const char *msg = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(ps->conn);
	size_t len = strcspn(msg, "\n");
	if (ps->connected && PQstatus(ps->conn) == CONNECTION_BAD)
		log_warnx("%s: %s: %.*s (the connection to the database is lost)", ps->uri, what,
		    (int)len, msg);
	else
		log_warnx("%s: %s: %.*s", ps->uri, what, (int)len, msg);
}

/* Check r's status; NULL (logged, r freed) when it is not want. The parameters are reset. */
static PGresult *
result(struct pgstore *ps, PGresult *r, ExecStatusType want, const char *what)
{
	params_reset(&ps->p);
	if (r == NULL || PQresultStatus(r) != want) {
		log_pq(ps, what, r);
		PQclear(r);
		return NULL;
	}
	return r;
}

static int reconnect(struct pgstore *ps);

/*
 * Between transactions, a lost connection is made again before the next
 * statement (reconnect); inside one, its loss is the transaction's failure.
 * 0, or -1 (logged).
 */
static int
connection_ready(struct pgstore *ps)
{
	if (ps->usurped) {
		log_warnx("%s: another tlslogd run took the records of server %s while the "
		    "connection was lost: this one writes nothing more", ps->uri, ps->server);
		return -1;
	}
	if (ps->in_txn || PQstatus(ps->conn) != CONNECTION_BAD)
		return 0;
	return reconnect(ps);
}

/* The prepared statement name with the parameters set; NULL (logged) on failure. */
static PGresult *
run(struct pgstore *ps, const char *name, ExecStatusType want, const char *what)
{
	if (connection_ready(ps) < 0) {
		params_reset(&ps->p);
		return NULL;
	}
	return result(ps, PQexecPrepared(ps->conn, name, ps->p.n, ps->p.v, NULL, NULL, 0), want,
	    what);
}

/* A command of the write path: 0, or -1 (logged). *rows: the rows it changed (may be NULL). */
static int
run_command(struct pgstore *ps, const char *name, const char *what, long *rows)
{
	PGresult *r = run(ps, name, PGRES_COMMAND_OK, what);

	if (r == NULL)
		return -1;
	if (rows != NULL)
		*rows = strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return 0;
}

/* SQL without parameters (transactions, migrations): 0 or -1 (logged). */
static int
run_sql(struct pgstore *ps, const char *sql, ExecStatusType want, const char *what)
{
	PGresult *r = result(ps, PQexec(ps->conn, sql), want, what);

	PQclear(r);
	return r != NULL ? 0 : -1;
}

static int64_t
value_int(const PGresult *r, int row, int col, int64_t null)
{
	if (PQgetisnull(r, row, col))
		return null;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* ---- opening ---- */


static void
notice(void *arg, const char *message)
{
	struct pgstore *ps = arg;

	log_debug("%s: %.*s", ps->uri, (int)strcspn(message, "\n"), message);
}

int
pgstore_schema_latest(void)
{
	return pg_schema_migrations[pg_schema_migration_count - 1].version;
}

int
pgstore_schema_version(struct pgstore *ps, int *version)
{
	PGresult *r;

	*version = 0;
	r = result(ps, PQexec(ps->conn, "SELECT to_regclass('schema_version') IS NOT NULL"),
	    PGRES_TUPLES_OK, "cannot read the schema version");
	if (r == NULL)
		return -1;
	int exists = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!exists)
		return 0;
	r = result(ps, PQexec(ps->conn, "SELECT coalesce(max(version), 0) FROM schema_version"),
	    PGRES_TUPLES_OK, "cannot read the schema version");
	if (r == NULL)
		return -1;
	*version = (int)value_int(r, 0, 0, 0);
	PQclear(r);
	return 0;
}

/* Apply the migrations the database lacks, in one transaction under the migration lock. */
static int
migrate(struct pgstore *ps)
{
	int version;

	if (run_sql(ps, "BEGIN", PGRES_COMMAND_OK, "cannot start the schema update") < 0)
		return -1;
	if (run_sql(ps, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")", PGRES_TUPLES_OK,
	    "cannot lock the schema update") < 0 || pgstore_schema_version(ps, &version) < 0)
		goto fail;
	if (version > pgstore_schema_latest()) {
		log_warnx("%s: database schema version %d is newer than this tlslogd knows (%d): "
		    "upgrade tlslogd", ps->uri, version, pgstore_schema_latest());
		goto fail;
	}
	for (int i = 0; i < pg_schema_migration_count; i++) {
		const struct schema_migration *m = &pg_schema_migrations[i];

		if (m->version <= version)
			continue;
		if (run_sql(ps, m->sql, PGRES_COMMAND_OK, m->name) < 0)
			goto fail;
		param_int(&ps->p, m->version);
		param_str(&ps->p, m->name);
		param_int(&ps->p, (int64_t)time(NULL));
		PGresult *r = result(ps, PQexecParams(ps->conn, "INSERT INTO schema_version "
		    "(version, name, applied) VALUES ($1, $2, $3)", ps->p.n, NULL, ps->p.v, NULL, NULL,
		    0), PGRES_COMMAND_OK, "cannot record the schema version");
		if (r == NULL)
			goto fail;
		PQclear(r);
		log_info("%s: schema migrated to version %d (%s)", ps->uri, m->version, m->name);
	}
	ps->in_txn = 1;
	return pgstore_commit(ps);
fail:
	params_reset(&ps->p);
	pgstore_rollback(ps);
	return -1;
}

/* "INSERT ... VALUES ($1::bigint, ...), ... ON CONFLICT DO NOTHING RETURNING" of rows rows. */
static char *
insert_sql(size_t rows)
{
	struct buf sql;

	buf_init(&sql);
	buf_puts(&sql, "WITH ins AS (INSERT INTO events (time, server, mta, program, pid, "
	    "direction, kind, peer_host, peer_ip, peer_port, helo, \"user\", mech, reason, "
	    "tls_version, cipher, queue_id, file_id, \"offset\", raw, peer_domain, downgraded, "
	    "recipient_domain, helo_domain) VALUES ");
	for (size_t r = 0; r < rows; r++) {
		buf_puts(&sql, r == 0 ? "(" : ", (");
		for (size_t c = 0; c < EVENT_COLUMNS; c++)
			buf_printf(&sql, "%s$%zu::%s", c == 0 ? "" : ", ", r * EVENT_COLUMNS + c + 1,
			    event_casts[c]);
		buf_putc(&sql, ')');
	}
	buf_puts(&sql, " ON CONFLICT DO NOTHING RETURNING id, file_id, \"offset\") "
	    "SELECT id, file_id, \"offset\" FROM ins ORDER BY id");
	buf_putc(&sql, '\0');
	return sql.data;
}

/* The peer_days upsert of rows rows (allocated). */
static char *
peer_days_sql(size_t rows)
{
	struct buf sql;

	buf_init(&sql);
	buf_puts(&sql, peer_days_head);
	for (size_t r = 0; r < rows; r++) {
		buf_puts(&sql, r == 0 ? "(" : ", (");
		for (size_t c = 0; c < PEER_DAYS_COLUMNS; c++)
			buf_printf(&sql, "%s$%zu::%s", c == 0 ? "" : ", ",
			    r * PEER_DAYS_COLUMNS + c + 1, peer_days_casts[c]);
		buf_putc(&sql, ')');
	}
	buf_puts(&sql, peer_days_tail);
	buf_putc(&sql, '\0');
	return sql.data;
}

static int
prepare(struct pgstore *ps, const char *name, const char *sql)
{
	/* Not through result(): reconnect() prepares while a caller's parameters are set. */
	PGresult *r = PQprepare(ps->conn, name, sql, 0, NULL);

	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_pq(ps, "cannot prepare a statement", r);
		log_warnx("%s: the statement was %s", ps->uri, name);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

static int
prepare_writer(struct pgstore *ps)
{
	char *one = insert_sql(1), *group = insert_sql(STORE_GROUP);
	char *day = peer_days_sql(1), *days = peer_days_sql(PEER_DAYS_GROUP);
	int rc = prepare(ps, "insert_event", one) < 0 || prepare(ps, "insert_group", group) < 0 ||
	    prepare(ps, "peer_day", day) < 0 || prepare(ps, "peer_days", days) < 0;

	free(one);
	free(group);
	free(day);
	free(days);
	if (rc)
		return -1;
	for (size_t i = 0; i < sizeof(statements) / sizeof(statements[0]); i++)
		if (prepare(ps, statements[i].name, statements[i].sql) < 0)
			return -1;
	return 0;
}

/*
 * The connection was lost (the server restarted, the network failed): a
 * new one, its statements prepared again and, for a daemon, its claim taken
 * again; none of it is done when another daemon took the claim meanwhile.
 * Only between transactions: what the lost one held is gone, and the
 * caller reads again from its committed positions.
 */
static int
reconnect(struct pgstore *ps)
{
	ps->in_txn = 0;
	PQreset(ps->conn);
	if (PQstatus(ps->conn) != CONNECTION_OK) {
		log_pq(ps, "cannot connect to the database again", NULL);
		return -1;
	}
	ps->epoch++;
	if (prepare_writer(ps) < 0)
		return -1;
	if (ps->claimed) {
		ps->claimed = 0;
		int taken = pgstore_claim_server(ps);
		if (taken == 0)
			ps->usurped = 1;
		if (taken <= 0)
			return -1;
	}
	log_info("%s: connected again", ps->uri);
	return 0;
}

int
pgstore_prepare_missing(struct pgstore *ps, const struct pgstore_statement *list, size_t n,
    const char *prefix, const char *what)
{
	const char *values[1] = { prefix };
	PGresult *r = PQexecParams(ps->conn, "SELECT name FROM pg_prepared_statements "
	    "WHERE starts_with(name, $1)", 1, NULL, values, NULL, NULL, 0);

	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_pq(ps, what, r);
		PQclear(r);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int known = 0;
		for (int row = 0; row < PQntuples(r) && !known; row++)
			known = strcmp(PQgetvalue(r, row, 0), list[i].name) == 0;
		if (known)
			continue;
		PGresult *pr = PQprepare(ps->conn, list[i].name, list[i].sql, 0, NULL);
		if (pr == NULL || PQresultStatus(pr) != PGRES_COMMAND_OK) {
			log_pq(ps, what, pr);
			PQclear(pr);
			PQclear(r);
			return -1;
		}
		PQclear(pr);
	}
	PQclear(r);
	return 0;
}

uint64_t
pgstore_epoch(const struct pgstore *ps)
{
	return ps->epoch;
}

int
pgstore_server_supported(struct pg_conn *conn, const char *name)
{
	int version = PQserverVersion(conn);

	if (version >= PGSTORE_SERVER_MIN)
		return 0;
	log_warnx("%s: the database server is PostgreSQL %d.%d: tlslogd needs %d or later", name,
	    version / 10000, version % 10000, PGSTORE_SERVER_MIN / 10000);
	return -1;
}

struct pgstore *
pgstore_open(const char *uri, const char *server)
{
	static const char *const keywords[] = { "dbname", "fallback_application_name",
	    "client_encoding", NULL };
	struct pgstore *ps = xcalloc(1, sizeof(*ps));

	ps->uri = store_name(uri);
	ps->server = xstrdup(server != NULL ? server : "");
	ps->domains = domain_cache_new();
	if (strncmp(uri, "postgresql://", 13) != 0 && strncmp(uri, "postgres://", 11) != 0) {
		log_warnx("%s: not a PostgreSQL URI (postgresql://...)", ps->uri);
		goto fail;
	}
	if (ps->server[0] == '\0') {
		log_warnx("%s: no server name to write positions under", ps->uri);
		goto fail;
	}
	const char *values[] = { uri, "tlslogd", "UTF8", NULL };
	ps->conn = PQconnectdbParams(keywords, values, 1);
	if (ps->conn == NULL) {
		log_warnx("%s: cannot connect to the database: out of memory", ps->uri);
		goto fail;
	}
	if (PQstatus(ps->conn) != CONNECTION_OK) {
		log_pq(ps, "cannot connect to the database", NULL);
		goto fail;
	}
	ps->connected = 1;
	PQsetNoticeProcessor(ps->conn, notice, ps);
	if (pgstore_server_supported(ps->conn, ps->uri) < 0)
		goto fail;
	const char *enc = PQparameterStatus(ps->conn, "server_encoding");
	if (enc == NULL || (strcmp(enc, "UTF8") != 0 && strcmp(enc, "SQL_ASCII") != 0)) {
		log_warnx("%s: the database's encoding is %s, not UTF8: create it with "
		    "\"createdb -E UTF8\"", ps->uri, enc != NULL ? enc : "unknown");
		goto fail;
	}
	if (migrate(ps) < 0 || prepare_writer(ps) < 0)
		goto fail;
	return ps;
fail:
	pgstore_close(ps);
	return NULL;
}

void
pgstore_close(struct pgstore *ps)
{
	if (ps == NULL)
		return;
	if (ps->in_txn)
		pgstore_rollback(ps);
	params_reset(&ps->p);
	PQfinish(ps->conn);
	domain_cache_free(ps->domains);
	free(ps->uri);
	free(ps->server);
	free(ps);
}

const char *
pgstore_uri(const struct pgstore *ps)
{
	return ps->uri;
}

const char *
pgstore_server(const struct pgstore *ps)
{
	return ps->server;
}

struct domain_cache *
pgstore_domain_cache(struct pgstore *ps)
{
	return ps->domains;
}

struct pg_conn *
pgstore_conn(struct pgstore *ps)
{
	return ps->conn;
}

/* ---- transactions ---- */

/*
 * A file record is looked for, then made when there is none: two writers of
 * one server doing that at once (a scan beside the daemon) would make two
 * records of one file, and store its events twice. SQLite's BEGIN IMMEDIATE
 * keeps them apart; here a lock of the server's, held until the commit or
 * rollback, does: the second waits for the first's transaction to end.
 * Writers of other servers never wait for it.
 */
int
pgstore_begin(struct pgstore *ps)
{
	if (connection_ready(ps) < 0)
		return -1;
	if (run_sql(ps, "BEGIN", PGRES_COMMAND_OK, "cannot start a transaction") < 0)
		return -1;
	ps->in_txn = 1;
	param_str(&ps->p, ps->server);
	PGresult *r = run(ps, "lock_server", PGRES_TUPLES_OK, "cannot lock the server's records");
	if (r == NULL) {
		pgstore_rollback(ps);
		return -1;
	}
	PQclear(r);
	return 0;
}

int
pgstore_in_txn(const struct pgstore *ps)
{
	return ps->in_txn;
}

/*
 * COMMIT of a transaction a statement failed in is answered "ROLLBACK", with
 * no error: the tag is what tells. A connection lost during COMMIT leaves
 * its outcome unknown; the caller reads again, and the unique events and
 * positions that never move back make that harmless.
 */
int
pgstore_commit(struct pgstore *ps)
{
	PGresult *r = result(ps, PQexec(ps->conn, "COMMIT"), PGRES_COMMAND_OK, "cannot commit");

	ps->in_txn = 0;
	if (r == NULL) {
		pgstore_rollback(ps);
		return -1;
	}
	if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		log_warnx("%s: cannot commit: the transaction had failed, and was rolled back",
		    ps->uri);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

void
pgstore_rollback(struct pgstore *ps)
{
	ps->in_txn = 0;
	if (PQstatus(ps->conn) != CONNECTION_OK ||
	    PQtransactionStatus(ps->conn) == PQTRANS_IDLE)
		return;
	PQclear(PQexec(ps->conn, "ROLLBACK"));
}

/* ---- events ---- */

/* The registered domain of a name (store.c's peer_domain): NULL when none, or with a NUL. */
static const char *
name_domain(struct pgstore *ps, const char *host, size_t len, char *out, size_t size)
{
	if (host == NULL || strlen(host) != len)
		return NULL;
	return domain_of_cached(ps->domains, host, out, size);
}

static void
param_field(struct params *p, const struct event *ev, enum event_field f)
{
	param_text(p, ev->field[f], ev->field_len[f], 1);
}

/* The parameters of ev's row, in the order of insert_sql's columns. */
static void
params_event(struct pgstore *ps, const struct event *ev)
{
	struct params *p = &ps->p;
	char domain[300];
	const char *dom;

	param_int(p, ev->time);
	param_field(p, ev, EF_SERVER);
	param_str(p, ev->mta);
	param_field(p, ev, EF_PROGRAM);
	param_opt_int(p, ev->pid, -1);
	param_str(p, event_direction_name(ev->direction));
	param_str(p, event_kind_name(ev->kind));
	param_field(p, ev, EF_PEER_HOST);
	param_field(p, ev, EF_PEER_IP);
	param_opt_int(p, ev->peer_port, -1);
	param_field(p, ev, EF_HELO);
	param_field(p, ev, EF_USER);
	param_field(p, ev, EF_MECH);
	param_field(p, ev, EF_REASON);
	param_field(p, ev, EF_TLS_VERSION);
	param_field(p, ev, EF_CIPHER);
	param_field(p, ev, EF_QUEUE_ID);
	param_opt_int(p, ev->file_id, 0);
	param_opt_int(p, ev->offset, -1);
	param_field(p, ev, EF_RAW);
	dom = name_domain(ps, ev->field[EF_PEER_HOST], ev->field_len[EF_PEER_HOST], domain,
	    sizeof(domain));
	param_text(p, dom, dom != NULL ? strlen(dom) : 0, 0);
	param_int(p, ev->downgraded != 0);
	dom = ev->direction == DIR_OUT && ev->field[EF_RAW] != NULL ?
	    domain_of_recipient(ev->field[EF_RAW], domain, sizeof(domain)) : NULL;
	param_text(p, dom, dom != NULL ? strlen(dom) : 0, 0);
	dom = name_domain(ps, ev->field[EF_HELO], ev->field_len[EF_HELO], domain, sizeof(domain));
	param_text(p, dom, dom != NULL ? strlen(dom) : 0, 0);
}

/* Row row of r is ev's: the same file and offset, NULL as it is bound. */
static int
same_key(const PGresult *r, int row, const struct event *ev)
{
	return value_int(r, row, 1, 0) == ev->file_id && value_int(r, row, 2, -1) == ev->offset;
}

/* One INSERT of n events (1 or STORE_GROUP); ids as pgstore_add_events. */
static int
insert_rows(struct pgstore *ps, const char *name, struct event *const *evs, size_t n,
    int64_t *ids)
{
	for (size_t i = 0; i < n; i++)
		params_event(ps, evs[i]);
	PGresult *r = run(ps, name, PGRES_TUPLES_OK, "cannot store an event");
	if (r == NULL)
		return -1;
	int rows = PQntuples(r), row = 0;
	for (size_t i = 0; i < n; i++) {
		if (row < rows && same_key(r, row, evs[i]))
			ids[i] = value_int(r, row++, 0, 0);
		else
			ids[i] = 0;
	}
	PQclear(r);
	if (row != rows) {
		log_warnx("%s: cannot store an event: the rows inserted are not the events given",
		    ps->uri);
		return -1;
	}
	return 0;
}

int
pgstore_add_events(struct pgstore *ps, struct event *const *evs, size_t n, int64_t *ids)
{
	size_t done = 0;

	for (; n - done >= STORE_GROUP; done += STORE_GROUP)
		if (insert_rows(ps, "insert_group", evs + done, STORE_GROUP, ids + done) < 0)
			return -1;
	for (; done < n; done++)
		if (insert_rows(ps, "insert_event", evs + done, 1, ids + done) < 0)
			return -1;
	return 0;
}

/* ---- files ---- */

/*
 * This server's record of the same device and inode whose first line is a
 * prefix of key's: 1; 0: none; 2: there is one, but the file is now shorter
 * than what was read of it (truncated in place: a new file); -1 on an error.
 */
static int
find_by_inode(struct pgstore *ps, const struct store_file_key *key, int64_t size,
    int64_t *file_id, int64_t *offset)
{
	int found = 0;

	param_str(&ps->p, ps->server);
	param_int(&ps->p, (int64_t)key->dev);
	param_int(&ps->p, (int64_t)key->ino);
	PGresult *r = run(ps, "find_file", PGRES_TUPLES_OK, "cannot look up the file position");
	if (r == NULL)
		return -1;
	for (int row = 0; row < PQntuples(r); row++) {
		int64_t row_fp = value_int(r, row, 1, 0);
		int64_t row_len = value_int(r, row, 2, 0);
		int64_t row_off = value_int(r, row, 3, 0);

		if (row_len < 0 || (uint64_t)row_len > key->head_len)
			continue;
		if ((int64_t)util_fnv1a(key->head, (size_t)row_len) != row_fp)
			continue;
		if (row_off > size) {
			found = 2;	/* truncated in place: a new file as far as we know */
			break;
		}
		*file_id = value_int(r, row, 0, 0);
		*offset = row_off;
		found = 1;
		break;
	}
	PQclear(r);
	return found;
}

/* This server's record of the same log name and whole first line (rotation.h); 1, 0 or -1. */
static int
find_by_text(struct pgstore *ps, const struct store_file_key *key, const char *log_name,
    int64_t *file_id, int64_t *offset)
{
	int found = 0;

	if (!key->head_whole || key->head_len == 0)
		return 0;
	param_str(&ps->p, ps->server);
	param_int(&ps->p, (int64_t)util_fnv1a(key->head, key->head_len));
	param_int(&ps->p, (int64_t)key->head_len);
	param_str(&ps->p, log_name);
	PGresult *r = run(ps, "find_text", PGRES_TUPLES_OK, "cannot look up the file position");
	if (r == NULL)
		return -1;
	if (PQntuples(r) > 0) {
		*file_id = value_int(r, 0, 0, 0);
		*offset = value_int(r, 0, 1, 0);
		found = 1;
	}
	PQclear(r);
	return found;
}

/* pgstore_file_find; *by_text: found by its text, under another inode. */
static int
find_file(struct pgstore *ps, const struct store_file_key *key, int64_t size, int64_t *file_id,
    int64_t *offset, int *by_text)
{
	char log_name[ROTATION_NAME_MAX];

	*file_id = 0;
	*offset = 0;
	*by_text = 0;
	int found = find_by_inode(ps, key, size, file_id, offset);
	if (found == 2)
		return 0;
	if (found == 0) {
		rotation_log_name(key->path, log_name, sizeof(log_name));
		found = *by_text = find_by_text(ps, key, log_name, file_id, offset);
		/* A copy cut shorter than what was read of it holds nothing new. */
		if (found > 0 && *offset > size)
			*offset = size;
	}
	return found;
}

int
pgstore_file_find(struct pgstore *ps, const struct store_file_key *key, int64_t size,
    int64_t *file_id, int64_t *offset)
{
	int by_text;

	return find_file(ps, key, size, file_id, offset, &by_text);
}

/* A command on one of this server's file records: -1 (logged) unless it changed one row. */
static int
file_command(struct pgstore *ps, const char *name, int64_t file_id, const char *what)
{
	long rows;

	if (run_command(ps, name, what, &rows) < 0)
		return -1;
	if (rows != 1) {
		log_warnx("%s: %s: no file record %lld of server %s", ps->uri, what,
		    (long long)file_id, ps->server);
		return -1;
	}
	return 0;
}

int
pgstore_file_resume(struct pgstore *ps, const struct store_file_key *key, int64_t size,
    int64_t *file_id, int64_t *offset)
{
	char log_name[ROTATION_NAME_MAX];
	int64_t now = (int64_t)time(NULL);
	int64_t fp = (int64_t)util_fnv1a(key->head, key->head_len);
	struct params *p = &ps->p;
	int by_text;

	int found = find_file(ps, key, size, file_id, offset, &by_text);
	if (found < 0)
		return -1;
	if (by_text)
		/* The record's text is here now: a restart looks for it under this inode. */
		return pgstore_file_adopt(ps, *file_id, key);
	rotation_log_name(key->path, log_name, sizeof(log_name));
	if (found) {
		param_int(p, *file_id);
		param_str(p, ps->server);
		param_str(p, key->path);
		param_int(p, fp);
		param_int(p, (int64_t)key->head_len);
		param_int(p, now);
		param_str(p, log_name);
		param_int(p, key->head_whole != 0);
		return file_command(ps, "update_file", *file_id, "cannot record the file");
	}
	param_str(p, ps->server);
	param_str(p, key->path);
	param_int(p, (int64_t)key->dev);
	param_int(p, (int64_t)key->ino);
	param_int(p, fp);
	param_int(p, (int64_t)key->head_len);
	param_int(p, now);
	param_str(p, log_name);
	param_int(p, key->head_whole != 0);
	PGresult *r = run(ps, "insert_file", PGRES_TUPLES_OK, "cannot record the file");
	if (r == NULL)
		return -1;
	*file_id = value_int(r, 0, 0, 0);
	*offset = 0;
	PQclear(r);
	return 0;
}

int
pgstore_file_adopt(struct pgstore *ps, int64_t file_id, const struct store_file_key *key)
{
	char log_name[ROTATION_NAME_MAX];
	struct params *p = &ps->p;

	rotation_log_name(key->path, log_name, sizeof(log_name));
	param_int(p, file_id);
	param_str(p, ps->server);
	param_str(p, key->path);
	param_int(p, (int64_t)key->dev);
	param_int(p, (int64_t)key->ino);
	param_int(p, (int64_t)time(NULL));
	param_str(p, log_name);
	return file_command(ps, "adopt_file", file_id, "cannot record the file");
}

int
pgstore_file_set_offset(struct pgstore *ps, int64_t file_id, int64_t offset, int64_t counted,
    int64_t size)
{
	struct params *p = &ps->p;

	param_int(p, file_id);
	param_str(p, ps->server);
	param_opt_int(p, offset < 0 ? -1 : offset, -1);
	param_int(p, (int64_t)time(NULL));
	param_opt_int(p, size < 0 ? -1 : size, -1);
	param_int(p, counted > 0 ? counted : 0);
	return file_command(ps, "set_offset", file_id, "cannot record the file position");
}

int
pgstore_file_counted(struct pgstore *ps, int64_t file_id, int64_t *counted)
{
	*counted = 0;
	param_int(&ps->p, file_id);
	param_str(&ps->p, ps->server);
	PGresult *r = run(ps, "get_counted", PGRES_TUPLES_OK,
	    "cannot read the file's counted offset");
	if (r == NULL)
		return -1;
	if (PQntuples(r) > 0)
		*counted = value_int(r, 0, 0, 0);
	PQclear(r);
	return 0;
}

int
pgstore_file_set_head(struct pgstore *ps, int64_t file_id, const char *head, size_t head_len,
    int whole)
{
	struct params *p = &ps->p;

	param_int(p, file_id);
	param_str(p, ps->server);
	param_int(p, (int64_t)util_fnv1a(head, head_len));
	param_int(p, (int64_t)head_len);
	param_int(p, whole != 0);
	return file_command(ps, "set_head", file_id, "cannot record the file's first line");
}

int
pgstore_file_get(struct pgstore *ps, int64_t file_id, struct store_file_record *rec)
{
	int found = 0;

	memset(rec, 0, sizeof(*rec));
	param_int(&ps->p, file_id);
	param_str(&ps->p, ps->server);
	PGresult *r = run(ps, "get_file", PGRES_TUPLES_OK, "cannot read the files");
	if (r == NULL)
		return -1;
	if (PQntuples(r) > 0) {
		found = 1;
		rec->id = file_id;
		rec->dev = value_int(r, 0, 0, 0);
		rec->ino = value_int(r, 0, 1, 0);
		rec->offset = value_int(r, 0, 2, 0);
		rec->fingerprint = value_int(r, 0, 3, 0);
		rec->fingerprint_len = value_int(r, 0, 4, 0);
		rec->updated = value_int(r, 0, 5, 0);
		util_strlcpy(rec->path, PQgetvalue(r, 0, 6), sizeof(rec->path));
		rec->size = value_int(r, 0, 7, -1);
	}
	PQclear(r);
	return found;
}

int
pgstore_file_find_head(struct pgstore *ps, const char *head, size_t head_len, int64_t *file_id)
{
	*file_id = 0;
	param_str(&ps->p, ps->server);
	param_int(&ps->p, (int64_t)util_fnv1a(head, head_len));
	param_int(&ps->p, (int64_t)head_len);
	PGresult *r = run(ps, "find_head", PGRES_TUPLES_OK, "cannot look up the file position");
	if (r == NULL)
		return -1;
	int rows = PQntuples(r);
	if (rows == 1)
		*file_id = value_int(r, 0, 0, 0);
	PQclear(r);
	return rows == 1;
}

int
pgstore_file_active(struct pgstore *ps, dev_t dev, ino_t ino, int64_t since, int64_t *offset)
{
	int found = 0;

	param_str(&ps->p, ps->server);
	param_int(&ps->p, (int64_t)dev);
	param_int(&ps->p, (int64_t)ino);
	param_int(&ps->p, since);
	PGresult *r = run(ps, "file_active", PGRES_TUPLES_OK, "cannot look up the file position");
	if (r == NULL)
		return -1;
	if (PQntuples(r) > 0) {
		*offset = value_int(r, 0, 0, 0);
		found = 1;
	}
	PQclear(r);
	return found;
}

int
pgstore_loss_add(struct pgstore *ps, int64_t file_id, const char *path, int64_t from,
    int64_t to, const char *reason)
{
	struct params *p = &ps->p;

	param_str(p, ps->server);
	param_int(p, (int64_t)time(NULL));
	param_opt_int(p, file_id > 0 ? file_id : 0, 0);
	param_str(p, path);
	param_int(p, from);
	param_opt_int(p, to < 0 ? -1 : to, -1);
	param_str(p, reason);
	return run_command(ps, "loss_add", "cannot record a loss", NULL);
}

/* ---- sources ---- */

int
pgstore_source_get(struct pgstore *ps, const char *name, int64_t *file_id, int64_t *current_id,
    char **cursor)
{
	int found = 0;

	*file_id = 0;
	*current_id = 0;
	*cursor = NULL;
	param_str(&ps->p, ps->server);
	param_str(&ps->p, name);
	PGresult *r = run(ps, "get_source", PGRES_TUPLES_OK, "cannot read the sources");
	if (r == NULL)
		return -1;
	if (PQntuples(r) > 0) {
		found = 1;
		*file_id = value_int(r, 0, 0, 0);
		if (!PQgetisnull(r, 0, 1))
			*cursor = xstrdup(PQgetvalue(r, 0, 1));
		*current_id = value_int(r, 0, 2, 0);
	}
	PQclear(r);
	return found;
}

int
pgstore_source_set(struct pgstore *ps, const char *name, int64_t file_id, int64_t current_id,
    const char *cursor, int64_t lines, int64_t cut, int64_t unknown)
{
	struct params *p = &ps->p;

	param_str(p, ps->server);
	param_str(p, name);
	param_opt_int(p, file_id > 0 ? file_id : 0, 0);
	param_str(p, cursor);
	param_int(p, (int64_t)time(NULL));
	param_int(p, lines);
	param_int(p, cut);
	param_int(p, unknown);
	param_opt_int(p, current_id > 0 ? current_id : 0, 0);
	return run_command(ps, "set_source", "cannot record the source's position", NULL);
}

/* ---- peer_days ---- */

/* Row's parameters, after those set. */
static void
param_peer_day(struct params *p, const struct store_peer_day *row)
{
	param_text(p, row->peer, row->peer_len, 0);
	param_int(p, row->day);
	param_str(p, event_direction_name(row->direction));
	param_text(p, row->server != NULL ? row->server : "", row->server != NULL ?
	    row->server_len : 0, 0);
	param_str(p, row->mta != NULL ? row->mta : "");
	param_text(p, row->host, row->host_len, 0);
	param_int(p, row->first_time);
	param_int(p, row->last_time);
	param_str(p, row->last_version);
	for (int c = 0; c < STORE_PD_COUNT; c++)
		param_int(p, row->n[c]);
}

int
pgstore_peer_days(struct pgstore *ps, const struct store_peer_day *rows, size_t nrows)
{
	for (size_t i = 0; i < nrows;) {
		size_t n = nrows - i >= PEER_DAYS_GROUP ? PEER_DAYS_GROUP : 1;
		for (size_t k = 0; k < n; k++)
			param_peer_day(&ps->p, &rows[i + k]);
		if (run_command(ps, n > 1 ? "peer_days" : "peer_day", "cannot count the successes",
		    NULL) < 0)
			return -1;
		i += n;
	}
	return 0;
}

/* ---- retention and the daemon's claim ---- */

/* Delete up to limit rows of statement name whose time (or day) is before bound. */
static int
delete_before(struct pgstore *ps, const char *name, int64_t bound, int limit, int *deleted)
{
	long rows = 0;

	param_int(&ps->p, bound);
	param_int(&ps->p, limit);
	if (run_command(ps, name, "cannot delete old rows", &rows) < 0)
		return -1;
	*deleted = (int)rows;
	return 0;
}

int
pgstore_delete_events_before(struct pgstore *ps, int64_t time, int limit, int *deleted)
{
	return delete_before(ps, "delete_events", time, limit, deleted);
}

int
pgstore_delete_days_before(struct pgstore *ps, int64_t day, int limit, int *deleted)
{
	return delete_before(ps, "delete_days", day, limit, deleted);
}

int
pgstore_claim_server(struct pgstore *ps)
{
	if (connection_ready(ps) < 0)
		return -1;
	/* Its own parameters: reconnect() claims again while a caller's are set. */
	const char *values[1] = { ps->server };
	PGresult *r = PQexecPrepared(ps->conn, "claim_server", 1, values, NULL, NULL, 0);
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_pq(ps, "cannot claim the server's records", r);
		PQclear(r);
		return -1;
	}
	int taken = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (taken)
		ps->claimed = 1;
	return taken;
}

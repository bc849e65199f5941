/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reportdb_pg.c: the readers' PostgreSQL connection (see reportdb_pg.h);
 * reportdb.c holds the SQL, this file how it runs on libpq.
 *
 * Why cursors and not single-row mode: single-row mode keeps the connection
 * busy until its result is read to the end, and the commands interleave
 * queries (query reads each address's history while it prints events). A
 * cursor, fetched FETCH_ROWS at a time, bounds the memory the same way and
 * lets other statements run between two fetches. Its transaction is the
 * caller's (reportdb_pg_begin) or one of its own that lasts as long as any
 * result is open: a read never sees half of a writer's transaction, and a
 * poll of `query --follow`, which frees its result each time, sees what was
 * committed since.
 *
 * Parameters go as text with their types (bigint or text), so that a NULL
 * or a parameter compared only with another ("$1 IS NULL") has one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgstore.h"
#include "reportdb_pg.h"
#include "store.h"
#include "util.h"

#ifdef HAVE_LIBPQ

#include <libpq-fe.h>

#include "schema.h"

/* Rows per FETCH: a few hundred KB of events at most, few round trips. */
#define FETCH_ROWS 1000
/* PostgreSQL's type oids of bigint and text (pg_type.h, stable since 7.x). */
#define INT8_OID 20
#define TEXT_OID 25
/* SQLSTATE undefined_table. */
#define UNDEFINED_TABLE "42P01"

enum txn { TXN_NONE, TXN_OWN, TXN_QUERY };

struct reportdb_pg {
	PGconn *conn;
	char *uri;		/* the password masked */
	enum txn txn;		/* TXN_OWN: reportdb_pg_begin's; TXN_QUERY: while results are open */
	int open;		/* results open (cursors) */
	unsigned cursors;	/* cursors declared, for their names */
};

struct reportdb_pg_rows {
	struct reportdb_pg *pg;
	char name[32];		/* the cursor */
	PGresult *res;		/* the batch being read */
	int row, nrows;
	int done;		/* the last batch was fetched */
};

/* libpq's primary message of r (else the connection's), its first line. */
static void
log_pq(const struct reportdb_pg *pg, const char *what, const PGresult *r)
{
	const char *msg = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(pg->conn);
	log_warnx("%s: %s: %.*s", pg->uri, what, (int)strcspn(msg, "\n"), msg);
}

/* sql without parameters; its result (NULL, logged, when not want). */
static PGresult *
exec_sql(struct reportdb_pg *pg, const char *sql, ExecStatusType want, const char *what)
{
	PGresult *r = PQexec(pg->conn, sql);

	if (r == NULL || PQresultStatus(r) != want) {
		log_pq(pg, what, r);
		PQclear(r);
		return NULL;
	}
	return r;
}

static int
exec_command(struct reportdb_pg *pg, const char *sql, const char *what)
{
	PGresult *r = exec_sql(pg, sql, PGRES_COMMAND_OK, what);

	PQclear(r);
	return r != NULL ? 0 : -1;
}

/* One integer of a one-row query; 0 or -1 (logged). */
static int
query_int(struct reportdb_pg *pg, const char *sql, const char *what, int64_t *out)
{
	PGresult *r = exec_sql(pg, sql, PGRES_TUPLES_OK, what);

	if (r == NULL)
		return -1;
	*out = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10)
	    : 0;
	PQclear(r);
	return 0;
}

static void
notice(void *arg, const char *message)
{
	const struct reportdb_pg *pg = arg;

	log_debug("%s: %.*s", pg->uri, (int)strcspn(message, "\n"), message);
}

/* tlslogd's schema, of a version this binary reads; 0 or -1 (logged). */
static int
check_schema(struct reportdb_pg *pg)
{
	int latest = pg_schema_migrations[pg_schema_migration_count - 1].version;
	int64_t has, version;

	if (query_int(pg, "SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN 0 ELSE 1 "
	    "END", "cannot read the schema version", &has) < 0)
		return -1;
	if (has && query_int(pg, "SELECT coalesce(max(version), 0) FROM schema_version",
	    "cannot read the schema version", &version) < 0)
		return -1;
	if (!has || version == 0) {
		log_warnx("%s: not a tlslogd database (no schema_version): `tlslogd scan --db URI` "
		    "or a daemon writing to it makes tlslogd's tables", pg->uri);
		return -1;
	}
	if (version > latest) {
		log_warnx("%s: database schema version %lld is newer than this tlslogd knows (%d): "
		    "upgrade tlslogd", pg->uri, (long long)version, latest);
		return -1;
	}
	return 0;
}

struct reportdb_pg *
reportdb_pg_open(const char *uri)
{
	static const char *const keywords[] = { "dbname", "fallback_application_name",
	    "client_encoding", NULL };
	const char *values[] = { uri, "tlslogd", "UTF8", NULL };
	struct reportdb_pg *pg = xcalloc(1, sizeof(*pg));

	pg->uri = store_name(uri);
	pg->conn = PQconnectdbParams(keywords, values, 1);
	if (pg->conn == NULL) {
		log_warnx("%s: cannot connect to the database: out of memory", pg->uri);
		goto fail;
	}
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		log_pq(pg, "cannot connect to the database", NULL);
		goto fail;
	}
	PQsetNoticeProcessor(pg->conn, notice, pg);
	if (pgstore_server_supported(pg->conn, pg->uri) < 0)
		goto fail;
	if (exec_command(pg, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
	    "cannot make the connection read-only") < 0 || check_schema(pg) < 0)
		goto fail;
	return pg;
fail:
	reportdb_pg_close(pg);
	return NULL;
}

void
reportdb_pg_close(struct reportdb_pg *pg)
{
	if (pg == NULL)
		return;
	PQfinish(pg->conn);
	free(pg->uri);
	free(pg);
}

const char *
reportdb_pg_uri(const struct reportdb_pg *pg)
{
	return pg->uri;
}

int64_t
reportdb_pg_size(struct reportdb_pg *pg)
{
	int64_t size;

	if (query_int(pg, "SELECT pg_database_size(current_database())",
	    "cannot read the database's size", &size) < 0)
		return -1;
	return size;
}

static const char begin_sql[] = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

int
reportdb_pg_begin(struct reportdb_pg *pg)
{
	if (pg->txn == TXN_NONE && exec_command(pg, begin_sql, "cannot start a transaction") < 0)
		return -1;
	pg->txn = TXN_OWN;
	return 0;
}

/* The end of the transaction: a read-only one has nothing to keep, an aborted one nothing to commit. */
static void
txn_end(struct reportdb_pg *pg)
{
	int failed = PQtransactionStatus(pg->conn) == PQTRANS_INERROR;

	PQclear(PQexec(pg->conn, failed ? "ROLLBACK" : "COMMIT"));
	pg->txn = TXN_NONE;
}

void
reportdb_pg_end(struct reportdb_pg *pg)
{
	if (pg->txn != TXN_OWN)
		return;
	if (pg->open > 0)
		pg->txn = TXN_QUERY;	/* ended when the last result is freed */
	else
		txn_end(pg);
}

struct reportdb_pg_rows *
reportdb_pg_query(struct reportdb_pg *pg, const char *sql, size_t n, const char *const *values,
    const int *is_int, int *absent)
{
	Oid *types = xcalloc(n ? n : 1, sizeof(*types));
	struct reportdb_pg_rows *r = xcalloc(1, sizeof(*r));

	if (absent != NULL)
		*absent = 0;
	for (size_t i = 0; i < n; i++)
		types[i] = is_int[i] ? INT8_OID : TEXT_OID;
	if (pg->txn == TXN_NONE) {
		if (exec_command(pg, begin_sql, "cannot start a transaction") < 0)
			goto fail;
		pg->txn = TXN_QUERY;
	}
	r->pg = pg;
	snprintf(r->name, sizeof(r->name), "tlslogd_%u", ++pg->cursors);
	r->row = -1;
	char *declare = xasprintf("DECLARE %s NO SCROLL CURSOR FOR %s", r->name, sql);
	PGresult *res = PQexecParams(pg->conn, declare, (int)n, types, values, NULL, NULL, 0);
	free(declare);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		if (absent != NULL && state != NULL && strcmp(state, UNDEFINED_TABLE) == 0)
			*absent = 1;
		else
			log_pq(pg, "cannot query", res);
		PQclear(res);
		if (pg->txn == TXN_QUERY && pg->open == 0)
			txn_end(pg);
		goto fail;
	}
	PQclear(res);
	pg->open++;
	free(types);
	return r;
fail:
	free(types);
	free(r);
	return NULL;
}

int
reportdb_pg_next(struct reportdb_pg_rows *r)
{
	if (++r->row < r->nrows)
		return 1;
	if (r->done)
		return 0;
	PQclear(r->res);
	char *fetch = xasprintf("FETCH %d FROM %s", FETCH_ROWS, r->name);
	r->res = PQexec(r->pg->conn, fetch);
	free(fetch);
	if (r->res == NULL || PQresultStatus(r->res) != PGRES_TUPLES_OK) {
		log_pq(r->pg, "cannot query", r->res);
		PQclear(r->res);
		r->res = NULL;
		r->nrows = 0;
		r->done = 1;
		return -1;
	}
	r->nrows = PQntuples(r->res);
	r->row = 0;
	r->done = r->nrows < FETCH_ROWS;
	return r->nrows > 0;
}

void
reportdb_pg_rows_free(struct reportdb_pg_rows *r)
{
	if (r == NULL)
		return;
	struct reportdb_pg *pg = r->pg;
	PQclear(r->res);
	pg->open--;
	if (pg->txn == TXN_QUERY && pg->open == 0) {
		txn_end(pg);	/* the cursor goes with it */
	} else if (PQtransactionStatus(pg->conn) == PQTRANS_INTRANS) {
		char *close = xasprintf("CLOSE %s", r->name);
		PQclear(PQexec(pg->conn, close));
		free(close);
	}
	free(r);
}

int
reportdb_pg_null(const struct reportdb_pg_rows *r, int col)
{
	return PQgetisnull(r->res, r->row, col);
}

int64_t
reportdb_pg_int(const struct reportdb_pg_rows *r, int col)
{
	if (PQgetisnull(r->res, r->row, col))
		return 0;
	return strtoll(PQgetvalue(r->res, r->row, col), NULL, 10);
}

const char *
reportdb_pg_text(const struct reportdb_pg_rows *r, int col, size_t *len)
{
	if (PQgetisnull(r->res, r->row, col)) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = (size_t)PQgetlength(r->res, r->row, col);
	return PQgetvalue(r->res, r->row, col);
}

#else /* !HAVE_LIBPQ */

/* Without libpq nothing opens, so nothing else is ever called. */
struct reportdb_pg *
reportdb_pg_open(const char *uri)
{
	char *masked = store_name(uri);

	log_warnx("%s: this tlslogd was built without PostgreSQL (configure --with-postgresql, "
	    "with libpq-dev installed)", masked);
	free(masked);
	return NULL;
}

void reportdb_pg_close(struct reportdb_pg *pg) { (void)pg; }
const char *reportdb_pg_uri(const struct reportdb_pg *pg) { (void)pg; return ""; }
int64_t reportdb_pg_size(struct reportdb_pg *pg) { (void)pg; return -1; }
int reportdb_pg_begin(struct reportdb_pg *pg) { (void)pg; return -1; }
void reportdb_pg_end(struct reportdb_pg *pg) { (void)pg; }

struct reportdb_pg_rows *
reportdb_pg_query(struct reportdb_pg *pg, const char *sql, size_t n, const char *const *values,
    const int *is_int, int *absent)
{
	(void)pg; (void)sql; (void)n; (void)values; (void)is_int; (void)absent;
	return NULL;
}

int reportdb_pg_next(struct reportdb_pg_rows *r) { (void)r; return -1; }
void reportdb_pg_rows_free(struct reportdb_pg_rows *r) { (void)r; }
int reportdb_pg_null(const struct reportdb_pg_rows *r, int col) { (void)r; (void)col; return 1; }
int64_t reportdb_pg_int(const struct reportdb_pg_rows *r, int col) { (void)r; (void)col; return 0; }

const char *
reportdb_pg_text(const struct reportdb_pg_rows *r, int col, size_t *len)
{
	(void)r; (void)col;
	if (len != NULL)
		*len = 0;
	return NULL;
}

#endif /* HAVE_LIBPQ */

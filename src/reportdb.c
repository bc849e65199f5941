/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reportdb.c: every query of the reporting commands (see reportdb.h).
 *
 * Events of a peer are selected by index, never by reading every event:
 *   - an address: peer_ip = canonical text (events_peer_ip); an IPv4 address
 *     also as its IPv4-mapped IPv6 text ("::ffff:192.0.2.7"), the form a
 *     dual-stack server logs;
 *   - a network (192.0.2.0/24, 2001:db8::/32): addresses are stored as text,
 *     so the network becomes ranges of that text: an IPv4 prefix is rounded
 *     up to whole octets ("192.0.2." .. "192.0.2/"; at most 256 ranges, each
 *     twice: plain and mapped); an IPv6 one becomes the ranges of its first
 *     group ("2001:"), and the exact test is tlslogd_in_net(), a function
 *     registered on the connection that asks cidr.h;
 *   - a domain ("example.net" or ".example.net"): the reverse name or the
 *     HELO name is the domain (events_peer_host, events_helo) or ends with
 *     ".domain", or the recipient of a failed delivery is in the domain
 *     (events_recipient_domain, schema 11). For the suffix, the registered
 *     domain (domain_of, stored as peer_domain by schema 5 and
 *     helo_domain by schema 11) is the index key, so "mx.example.net" reads
 *     the events of .example.net only; a public suffix ("net") has no such
 *     key and reads the whole peer_domain and helo_domain indexes. Each term
 *     of the OR has its index, so SQLite reads their union, never the table;
 *   - anything else (a single label, a HELO such as "[192.0.2.7]"): a
 *     reverse name or HELO name (events_peer_host, events_helo),
 *     case-insensitive.
 *
 * top reads the events of its period through the events_time index (INDEXED
 * BY: with ANALYZE statistics SQLite would rather skip-scan another index
 * such as events_peer_domain and then read the table in random order, 2 to 4
 * times slower on 10 million events), so the cost follows the events of the
 * period, not the size of the database; the index holds the kind too
 * (schema 6), so --kind is tested in the index before a row is read.
 *
 * Values are always bound parameters; the SQL text is our own. Parameters
 * are numbered ("$1"), the i-th value of a query being $i: SQLite binds
 * them by that name, PostgreSQL by number, so one text serves both.
 *
 * PostgreSQL (a postgresql:// URI; reportdb_pg.c runs the queries) reads
 * the same schema in its own dialect (sql/pg/001-initial.sql). One text per
 * query where the two agree; where they differ, both texts side by side
 * (dialect()). What differs:
 *   - SQLite's COLLATE NOCASE columns (server, peer_host, helo,
 *     recipient_domain) are plain text there, indexed on lower(): a name is
 *     compared as lower(column) = lower($n), and LIKE (case-sensitive there)
 *     reads lower(column);
 *   - comparisons are not numbers there: "sum(time >= $2)" is
 *     "count(CASE WHEN time >= $2 THEN 1 END)", a 0/1 column a CASE;
 *   - SQLite's BINARY order of text, NULL first, is COLLATE "C" NULLS FIRST
 *     where an order of text is promised; min(a, b) is least(a, b);
 *     group_concat is string_agg; LIMIT -1 (all) is no LIMIT;
 *   - INDEXED BY is SQLite's: PostgreSQL's planner has its statistics;
 *   - a network is tested as inet (see net_terms): ranges of text would
 *     follow the database's collation, and tlslogd_in_net() is SQLite's.
 */
#include "config.h"

#include <arpa/inet.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "domain.h"
#include "event.h"
#include "log.h"
#include "reportdb.h"
#include "reportdb_pg.h"
#include "store.h"
#include "util.h"

struct reportdb {
	struct store *store;	/* SQLite: the store and its connection, */
	sqlite3 *db;
	struct reportdb_pg *pg;	/* or PostgreSQL */
	struct cidr net;	/* the IPv6 network of the query being built (tlslogd_in_net) */
};

/* One bound value: text (owned by a query being built), an integer, or with null an SQL NULL. */
struct value {
	char *text;
	int64_t i;
	int null;
};

struct reportdb_rows {
	struct reportdb *db;
	sqlite3_stmt *s;		/* SQLite, */
	struct reportdb_pg_rows *pg;	/* or PostgreSQL */
};

/* A query being built: its text and its values, in order. */
struct query {
	struct buf sql;
	struct value *values;
	size_t n;
};

const char *const reportdb_event_columns[REPORTDB_EV_COLUMNS] = {
	"time", "server", "mta", "program", "pid", "direction", "kind", "peer_host", "peer_ip",
	"peer_port", "helo", "user", "mech", "reason", "tls_version", "cipher", "queue_id",
	"source", "offset", "raw", "downgraded"
};

const char *const reportdb_flag_columns[REPORTDB_FL_COLUMNS] = {
	"peer", "peer_kind", "threshold", "count", "first_event", "last_event", "flagged",
	"cleared", "main_kind", "host", "why", "regression"
};

static const char select_sql[] =
    "SELECT e.time, e.server, e.mta, e.program, e.pid, e.direction, e.kind, e.peer_host, "
    "e.peer_ip, e.peer_port, e.helo, e.\"user\", e.mech, e.reason, e.tls_version, e.cipher, "
    "e.queue_id, f.path, e.\"offset\", e.raw, e.downgraded, e.id "
    "FROM events e LEFT JOIN files f ON f.id = e.file_id WHERE ";

/* ---- the connection ---- */

/* tlslogd_in_net(ip): 1 when ip is an address in the network of the query. */
static void
sql_in_net(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct reportdb *db = sqlite3_user_data(ctx);
	const char *text = (const char *)sqlite3_value_text(argv[0]);

	(void)argc;
	sqlite3_result_int(ctx, text != NULL && cidr_contains_text(&db->net, text));
}

static void
log_error(struct reportdb *db)
{
	log_warnx("%s: cannot query: %s", store_path(db->store), sqlite3_errmsg(db->db));
}

struct reportdb *
reportdb_open(const char *path)
{
	if (store_is_postgresql(path)) {
		struct reportdb_pg *pg = reportdb_pg_open(path);
		if (pg == NULL)
			return NULL;
		struct reportdb *db = xcalloc(1, sizeof(*db));
		db->pg = pg;
		return db;
	}
	struct store *st = store_open(path, STORE_READ_ONLY);

	if (st == NULL)
		return NULL;
	struct reportdb *db = xcalloc(1, sizeof(*db));
	db->store = st;
	db->db = store_db(st);
	if (sqlite3_create_function(db->db, "tlslogd_in_net", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
	    db, sql_in_net, NULL, NULL) != SQLITE_OK) {
		log_error(db);
		reportdb_close(db);
		return NULL;
	}
	return db;
}

void
reportdb_close(struct reportdb *db)
{
	if (db == NULL)
		return;
	store_close(db->store);
	reportdb_pg_close(db->pg);
	free(db);
}

const char *
reportdb_path(const struct reportdb *db)
{
	return db->pg ? reportdb_pg_uri(db->pg) : store_path(db->store);
}

int
reportdb_is_postgresql(const struct reportdb *db)
{
	return db->pg != NULL;
}

int64_t
reportdb_server_bytes(struct reportdb *db)
{
	return db->pg ? reportdb_pg_size(db->pg) : -1;
}

int
reportdb_begin(struct reportdb *db)
{
	if (db->pg)
		return reportdb_pg_begin(db->pg);
	if (sqlite3_exec(db->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		log_error(db);
		return -1;
	}
	return 0;
}

void
reportdb_end(struct reportdb *db)
{
	if (db->pg)
		reportdb_pg_end(db->pg);
	else
		sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
}

/* ---- rows ---- */

int
reportdb_next(struct reportdb_rows *r)
{
	if (r->pg)
		return reportdb_pg_next(r->pg);
	int rc = sqlite3_step(r->s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	log_error(r->db);
	return -1;
}

void
reportdb_rows_free(struct reportdb_rows *r)
{
	if (r == NULL)
		return;
	sqlite3_finalize(r->s);
	reportdb_pg_rows_free(r->pg);
	free(r);
}

int
reportdb_null(const struct reportdb_rows *r, int col)
{
	if (r->pg)
		return reportdb_pg_null(r->pg, col);
	return sqlite3_column_type(r->s, col) == SQLITE_NULL;
}

int64_t
reportdb_int(const struct reportdb_rows *r, int col)
{
	if (r->pg)
		return reportdb_pg_int(r->pg, col);
	return sqlite3_column_int64(r->s, col);
}

const char *
reportdb_text(const struct reportdb_rows *r, int col, size_t *len)
{
	if (r->pg)
		return reportdb_pg_text(r->pg, col, len);
	const char *t = (const char *)sqlite3_column_text(r->s, col);

	if (len != NULL)
		*len = t ? (size_t)sqlite3_column_bytes(r->s, col) : 0;
	return t;
}

/* The query on PostgreSQL: the values as text, numbers printed here. */
static struct reportdb_rows *
prepare_pg(struct reportdb *db, const char *sql, const struct query *q, int *absent)
{
	size_t n = q != NULL ? q->n : 0;
	const char **v = xcalloc(n ? n : 1, sizeof(*v));
	int *is_int = xcalloc(n ? n : 1, sizeof(*is_int));
	char (*num)[24] = xcalloc(n ? n : 1, sizeof(*num));

	for (size_t i = 0; i < n; i++) {
		const struct value *x = &q->values[i];
		if (x->null) {
			v[i] = NULL;
		} else if (x->text != NULL) {
			v[i] = x->text;
		} else {
			snprintf(num[i], sizeof(num[i]), "%lld", (long long)x->i);
			v[i] = num[i];
			is_int[i] = 1;
		}
	}
	struct reportdb_pg_rows *pr = reportdb_pg_query(db->pg, sql, n, v, is_int, absent);
	free(v);
	free(is_int);
	free(num);
	if (pr == NULL)
		return NULL;
	struct reportdb_rows *r = xcalloc(1, sizeof(*r));
	r->db = db;
	r->pg = pr;
	return r;
}

/*
 * Prepare sql with the values of q (may be NULL), the i-th of them bound to
 * the parameter $i+1 (a text without one leaves its value out). NULL
 * (logged) on an error; with absent, a missing table sets *absent and is
 * not logged.
 */
static struct reportdb_rows *
prepare(struct reportdb *db, const char *sql, const struct query *q, int *absent)
{
	sqlite3_stmt *s = NULL;

	if (db->pg)
		return prepare_pg(db, sql, q, absent);
	if (absent != NULL)
		*absent = 0;
	if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) != SQLITE_OK) {
		if (absent != NULL && strstr(sqlite3_errmsg(db->db), "no such table") != NULL)
			*absent = 1;
		else
			log_error(db);
		return NULL;
	}
	for (size_t i = 0; q != NULL && i < q->n; i++) {
		char name[24];
		snprintf(name, sizeof(name), "$%zu", i + 1);
		int at = sqlite3_bind_parameter_index(s, name);
		if (at == 0)
			continue;
		if (q->values[i].null)
			sqlite3_bind_null(s, at);
		else if (q->values[i].text != NULL)
			sqlite3_bind_text(s, at, q->values[i].text, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(s, at, q->values[i].i);
	}
	struct reportdb_rows *r = xcalloc(1, sizeof(*r));
	r->db = db;
	r->s = s;
	return r;
}

/* The text of a query for the engine of db: SQLite's or PostgreSQL's. */
static const char *
dialect(const struct reportdb *db, const char *sqlite, const char *pg)
{
	return db->pg ? pg : sqlite;
}

/* ---- building a query ---- */

static void
query_init(struct query *q)
{
	buf_init(&q->sql);
	q->values = NULL;
	q->n = 0;
}

static void
query_free(struct query *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->values[i].text);
	free(q->values);
	buf_free(&q->sql);
}

static void
add_text(struct query *q, const char *text)
{
	q->values = xreallocarray(q->values, q->n + 1, sizeof(*q->values));
	q->values[q->n].text = xstrdup(text);
	q->values[q->n].i = 0;
	q->values[q->n].null = 0;
	q->n++;
	buf_printf(&q->sql, "$%zu", q->n);
}

static void
add_int(struct query *q, int64_t i)
{
	q->values = xreallocarray(q->values, q->n + 1, sizeof(*q->values));
	q->values[q->n].text = NULL;
	q->values[q->n].i = i;
	q->values[q->n].null = 0;
	q->n++;
	buf_printf(&q->sql, "$%zu", q->n);
}

/* One range of address text: [lo, lo with its last character + 1), or lo alone if exact. */
static void
add_text_range(struct query *q, const char *lo, int exact, int *n)
{
	buf_puts(&q->sql, (*n)++ ? " OR " : "");
	if (exact) {
		buf_puts(&q->sql, "e.peer_ip = ");
		add_text(q, lo);
	} else {
		char hi[INET6_ADDRSTRLEN + 8];
		util_strlcpy(hi, lo, sizeof(hi));
		hi[strlen(hi) - 1]++;
		buf_puts(&q->sql, "(e.peer_ip >= ");
		add_text(q, lo);
		buf_puts(&q->sql, " AND e.peer_ip < ");
		add_text(q, hi);
		buf_puts(&q->sql, ")");
	}
}

/* An IPv4 range, plain and in its IPv4-mapped IPv6 form. */
static void
add_v4_range(struct query *q, const char *lo, int exact, int *n)
{
	char mapped[INET6_ADDRSTRLEN + 8];

	add_text_range(q, lo, exact, n);
	snprintf(mapped, sizeof(mapped), "::ffff:%s", lo);
	add_text_range(q, mapped, exact, n);
}

/* The ranges of the first group of an IPv6 address g: "2001:" ("0:" and "::" for 0). */
static void
add_v6_group(struct query *q, unsigned g, int *n)
{
	char lo[16];

	if (g == 0) {
		add_text_range(q, "0:", 0, n);
		add_text_range(q, "::", 0, n);
	} else {
		snprintf(lo, sizeof(lo), "%x:", g);
		add_text_range(q, lo, 0, n);
	}
}

static void
v4_net_terms(struct query *q, const struct cidr *net, int *n)
{
	int whole = net->prefix <= 8 ? 8 : (net->prefix + 7) / 8 * 8;
	unsigned base = ((unsigned)net->addr[0] << 24) | ((unsigned)net->addr[1] << 16) |
	    ((unsigned)net->addr[2] << 8) | net->addr[3];
	unsigned count = 1u << (whole - net->prefix);

	for (unsigned i = 0; i < count; i++) {
		unsigned a = base + (whole == 32 ? i : i << (32 - whole));
		char lo[INET_ADDRSTRLEN + 1];
		if (whole == 32)
			snprintf(lo, sizeof(lo), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
			    (a >> 8) & 255, a & 255);
		else if (whole == 24)
			snprintf(lo, sizeof(lo), "%u.%u.%u.", a >> 24, (a >> 16) & 255, (a >> 8) & 255);
		else if (whole == 16)
			snprintf(lo, sizeof(lo), "%u.%u.", a >> 24, (a >> 16) & 255);
		else
			snprintf(lo, sizeof(lo), "%u.", a >> 24);
		add_v4_range(q, lo, whole == 32, n);
	}
}

/*
 * PostgreSQL: the address in column as inet, NULL unless the text looks like
 * an address: the canonical forms tlslogd stores, never a name, nor a
 * link-local one with its zone (a cast that failed would fail the query).
 * For events.peer_ip this is the expression of the index events_peer_inet
 * (sql/pg/002-peer-inet.sql), character for character in meaning: change
 * both or neither, or network reads scan the whole table again.
 */
#define PG_INET_OF_HEAD "CASE WHEN "
#define PG_INET_OF_TEST " ~ '^([0-9]+[.]){3}[0-9]+$|^[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*$' THEN "
#define PG_INET_OF_TAIL "::inet END"

static void
pg_inet_of(struct query *q, const char *column)
{
	/* column is one of ours, never data. */
	buf_puts(&q->sql, PG_INET_OF_HEAD);
	buf_puts(&q->sql, column);
	buf_puts(&q->sql, PG_INET_OF_TEST);
	buf_puts(&q->sql, column);
	buf_puts(&q->sql, PG_INET_OF_TAIL);
}

/*
 * PostgreSQL: the address in column is in net (an IPv4 network also in its
 * IPv4-mapped form, an IPv6 one without those), by its inet type: "<<= network", which the planner
 * reads as a range of events_peer_inet (no collation of text involved).
 */
static void
pg_net_terms(struct query *q, const char *column, const struct cidr *net)
{
	char addr[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 32];

	cidr_format(net, addr, sizeof(addr));
	buf_puts(&q->sql, "(");
	pg_inet_of(q, column);
	buf_puts(&q->sql, " <<= ");
	snprintf(text, sizeof(text), "%s/%d", addr, net->prefix);
	add_text(q, text);
	buf_puts(&q->sql, "::inet");
	if (net->family == AF_INET) {
		buf_puts(&q->sql, " OR ");
		pg_inet_of(q, column);
		buf_puts(&q->sql, " <<= ");
		snprintf(text, sizeof(text), "::ffff:%s/%d", addr, 96 + net->prefix);
		add_text(q, text);
		buf_puts(&q->sql, "::inet");
	} else {
		/* An IPv4-mapped address is IPv4 to tlslogd (cidr.h), never in an IPv6 network. */
		buf_puts(&q->sql, " AND NOT ");
		pg_inet_of(q, column);
		buf_puts(&q->sql, " <<= '::ffff:0.0.0.0/96'::inet");
	}
	buf_puts(&q->sql, ")");
}

/*
 * The WHERE terms that select a network by the events_peer_ip index (see
 * the top). On PostgreSQL the ranges of text would depend on the
 * database's collation: the network is tested as inet, by the index
 * events_peer_inet (pg_net_terms).
 */
static void
net_terms(struct reportdb *db, struct query *q, const struct cidr *net)
{
	if (db->pg) {
		buf_puts(&q->sql, "(e.peer_ip IS NOT NULL AND ");
		pg_net_terms(q, "e.peer_ip", net);
		buf_puts(&q->sql, ")");
		return;
	}
	int n = 0;

	buf_puts(&q->sql, "(");
	if (net->family == AF_INET) {
		v4_net_terms(q, net, &n);
		buf_puts(&q->sql, ")");
		return;
	}
	if (net->prefix == 128) {
		char text[INET6_ADDRSTRLEN];
		cidr_format(net, text, sizeof(text));
		add_text_range(q, text, 1, &n);
		buf_puts(&q->sql, ")");
		return;
	}
	unsigned g0 = ((unsigned)net->addr[0] << 8) | net->addr[1];
	if (net->prefix >= 16) {
		add_v6_group(q, g0, &n);
	} else if (net->prefix >= 8) {
		for (unsigned i = 0; i < (1u << (16 - net->prefix)); i++)
			add_v6_group(q, g0 + i, &n);
	} else {
		buf_puts(&q->sql, "e.peer_ip IS NOT NULL");	/* a /7 or wider: the whole index */
	}
	buf_puts(&q->sql, ") AND tlslogd_in_net(e.peer_ip)");
}

/*
 * The names in column name that end with ".domain", found by the registered
 * domain in column key (see the top). LIKE is case-insensitive for ASCII;
 * the domain holds no % or _ (reportdb_filter_peer).
 */
static void
subdomain_terms(struct reportdb *db, struct query *q, const struct reportdb_filter *f,
    const char *key, const char *name)
{
	buf_puts(&q->sql, "(");
	buf_puts(&q->sql, key);
	if (f->key[0] != '\0') {
		buf_puts(&q->sql, " = ");
		add_text(q, f->key);
	} else {
		/*
		 * The range (registered domains start with '.') makes it a search of
		 * SQLite's index; PostgreSQL's text order is its collation's.
		 */
		buf_puts(&q->sql, dialect(db, " >= '.' AND ", " IS NOT NULL AND "));
		buf_puts(&q->sql, key);
		buf_puts(&q->sql, " LIKE '%.' || ");
		add_text(q, f->text);
	}
	/* PostgreSQL's LIKE is case-sensitive: the name in lower case, as f->text is. */
	buf_puts(&q->sql, db->pg ? " AND lower(" : " AND (");
	buf_puts(&q->sql, name);
	buf_puts(&q->sql, ") LIKE '%.' || ");
	add_text(q, f->text);
	buf_puts(&q->sql, ")");
}

/*
 * "column = text" without regard to case: SQLite's columns of names are
 * COLLATE NOCASE; PostgreSQL's are indexed on lower() (sql/pg/001).
 */
static void
nocase_eq(struct reportdb *db, struct query *q, const char *column, const char *text)
{
	if (db->pg)
		buf_printf(&q->sql, "lower(%s) = lower(", column);
	else
		buf_printf(&q->sql, "%s = ", column);
	add_text(q, text);
	buf_puts(&q->sql, dialect(db, "", ")"));
}

/* "COLUMN IN (address, ::ffff:address)": an IPv4 address also in its IPv4-mapped form. */
static void
ip_terms(struct query *q, const char *column, const struct reportdb_filter *f)
{
	buf_printf(&q->sql, "%s IN (", column);
	add_text(q, f->text);
	if (f->net.family == AF_INET) {
		char mapped[sizeof(f->text) + 8];
		snprintf(mapped, sizeof(mapped), "::ffff:%s", f->text);
		buf_puts(&q->sql, ", ");
		add_text(q, mapped);
	}
	buf_puts(&q->sql, ")");
}

static void
peer_terms(struct reportdb *db, struct query *q, const struct reportdb_filter *f)
{
	switch (f->type) {
	case REPORTDB_PEER_ALL:
		buf_puts(&q->sql, "1 = 1");
		break;
	case REPORTDB_PEER_IP:
		ip_terms(q, "e.peer_ip", f);
		break;
	case REPORTDB_PEER_NAME:
		buf_puts(&q->sql, "(");
		nocase_eq(db, q, "e.peer_host", f->text);
		buf_puts(&q->sql, " OR ");
		nocase_eq(db, q, "e.helo", f->text);
		buf_puts(&q->sql, ")");
		break;
	case REPORTDB_PEER_NET:
		db->net = f->net;
		net_terms(db, q, &f->net);
		break;
	case REPORTDB_PEER_DOMAIN:
		buf_puts(&q->sql, "(");
		nocase_eq(db, q, "e.peer_host", f->text);
		buf_puts(&q->sql, " OR ");
		nocase_eq(db, q, "e.helo", f->text);
		buf_puts(&q->sql, " OR ");
		nocase_eq(db, q, "e.recipient_domain", f->text);
		buf_puts(&q->sql, " OR ");
		subdomain_terms(db, q, f, "e.peer_domain", "e.peer_host");
		buf_puts(&q->sql, " OR ");
		subdomain_terms(db, q, f, "e.helo_domain", "e.helo");
		buf_puts(&q->sql, ")");
		break;
	}
}

/* " AND column IN (...)" for the kinds, nothing for 0 (any). */
static void
kind_terms(struct query *q, uint32_t kinds, const char *column)
{
	int n = 0;

	if (kinds == 0)
		return;
	buf_puts(&q->sql, " AND ");
	buf_puts(&q->sql, column);
	buf_puts(&q->sql, " IN (");
	for (int k = 0; k < KIND_COUNT; k++) {
		if (!(kinds & (UINT32_C(1) << k)))
			continue;
		buf_puts(&q->sql, n++ ? ", " : "");
		add_text(q, event_kind_name((enum event_kind)k));
	}
	buf_puts(&q->sql, ")");
}

/* The WHERE clause (after "WHERE ") for the peer and the filters; with_since: --since too. */
static void
where_clause(struct reportdb *db, struct query *q, const struct reportdb_filter *f, int with_since)
{
	peer_terms(db, q, f);
	if (f->since && with_since) {
		buf_puts(&q->sql, " AND e.time >= ");
		add_int(q, f->t_since);
	}
	if (f->until) {
		buf_puts(&q->sql, " AND e.time <= ");
		add_int(q, f->t_until);
	}
	kind_terms(q, f->kinds, "e.kind");
	if (f->server) {
		buf_puts(&q->sql, " AND ");
		nocase_eq(db, q, "e.server", f->server);
	}
	if (f->direction) {
		buf_puts(&q->sql, " AND e.direction = ");
		add_text(q, f->direction);
	}
}

/* " LIMIT n", or nothing for 0 (all): SQLite's -1 is an error on PostgreSQL. */
static void
add_limit(struct query *q, long long limit)
{
	if (limit > 0) {
		buf_puts(&q->sql, " LIMIT ");
		add_int(q, limit);
	}
}

/* ---- events ---- */

/* Letters, digits, '-' and '.', without an empty label, at most 253 bytes. */
static int
is_host_text(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 253 || s[0] == '.' || s[len - 1] == '.' || strstr(s, "..") != NULL)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

/* A host name of two labels or more ("partner.example"). */
static int
is_domain(const char *s)
{
	return is_host_text(s) && strchr(s, '.') != NULL;
}

int
reportdb_filter_peer(struct reportdb_filter *f, const char *peer)
{
	memset(f->text, 0, sizeof(f->text));
	memset(f->key, 0, sizeof(f->key));
	memset(&f->net, 0, sizeof(f->net));
	if (peer == NULL) {
		f->type = REPORTDB_PEER_ALL;
	} else if (cidr_parse_addr(peer, &f->net) == 0) {
		f->type = REPORTDB_PEER_IP;
		cidr_format(&f->net, f->text, sizeof(f->text));
	} else if (strchr(peer, '/') != NULL) {
		f->type = REPORTDB_PEER_NET;
		if (cidr_parse(peer, 0, &f->net) < 0) {
			log_warnx("--peer: \"%s\" is not a network (192.0.2.0/24, 2001:db8::/32)", peer);
			return -1;
		}
		cidr_format(&f->net, f->text, sizeof(f->text));
	} else if (peer[0] == '.' || is_domain(peer)) {
		const char *d = peer[0] == '.' ? peer + 1 : peer;
		size_t len = strlen(d);
		if (!is_domain(d) && !(peer[0] == '.' && len > 0 && strchr(d, '.') == NULL &&
		    is_host_text(d))) {
			log_warnx("--peer: \"%s\" is not a domain (example.net)", peer);
			return -1;
		}
		f->type = REPORTDB_PEER_DOMAIN;
		for (size_t i = 0; i <= len; i++)
			f->text[i] = (d[i] >= 'A' && d[i] <= 'Z') ? (char)(d[i] - 'A' + 'a') : d[i];
		if (domain_of(f->text, f->key, sizeof(f->key)) == NULL)
			f->key[0] = '\0';
	} else {
		f->type = REPORTDB_PEER_NAME;
		util_strlcpy(f->text, peer, sizeof(f->text));
	}
	return 0;
}

const char *
reportdb_filter_tried(const struct reportdb_filter *f)
{
	switch (f->type) {
	case REPORTDB_PEER_DOMAIN:
		return "as a domain: its hosts, HELO names and recipient domain";
	case REPORTDB_PEER_NAME:
		return "as a reverse or HELO name";
	default:
		return NULL;	/* an address or a network: nothing else was tried */
	}
}

int
reportdb_parse_kinds(const char *list, uint32_t *kinds)
{
	uint32_t add = 0;
	const char *p = list;

	do {
		size_t len = strcspn(p, ",");
		int k = event_kind_from_name(p, len);
		if (k >= 0) {
			add |= UINT32_C(1) << k;
		} else if ((len == 3 && strncmp(p, "tls", 3) == 0) ||
		    (len == 4 && strncmp(p, "auth", 4) == 0)) {
			for (int i = 0; i < KIND_COUNT; i++)
				if (strncmp(event_kind_name((enum event_kind)i), p, len) == 0 &&
				    event_kind_name((enum event_kind)i)[len] == '_')
					add |= UINT32_C(1) << i;
		} else {
			log_warnx("--kind: unknown kind \"%.*s\" (tls, auth, or a kind of "
			    "tlslogd.rules(5) such as tls_cert_expired)", (int)len, p);
			return -1;
		}
		p += len;
	} while (*p++ == ',');
	*kinds |= add;
	return 0;
}

struct reportdb_rows *
reportdb_events(struct reportdb *db, const struct reportdb_filter *f, long long limit)
{
	struct query q;

	query_init(&q);
	buf_puts(&q.sql, select_sql);
	where_clause(db, &q, f, 1);
	buf_puts(&q.sql, " ORDER BY e.time DESC, e.id DESC");
	add_limit(&q, limit);
	struct reportdb_rows *r = prepare(db, q.sql.data, &q, NULL);
	query_free(&q);
	return r;
}

struct reportdb_rows *
reportdb_events_after(struct reportdb *db, const struct reportdb_filter *f, int64_t after,
    int64_t replay_to, long long limit)
{
	struct query q;

	query_init(&q);
	buf_puts(&q.sql, select_sql);
	where_clause(db, &q, f, 0);
	buf_puts(&q.sql, " AND e.id > ");
	add_int(&q, after);
	if (f->since) {
		buf_puts(&q.sql, " AND (e.id > ");
		add_int(&q, replay_to);
		buf_puts(&q.sql, " OR e.time >= ");
		add_int(&q, f->t_since);
		buf_puts(&q.sql, ")");
	}
	buf_puts(&q.sql, " ORDER BY e.id");
	add_limit(&q, limit);
	struct reportdb_rows *r = prepare(db, q.sql.data, &q, NULL);
	query_free(&q);
	return r;
}

int64_t
reportdb_last_event_id(struct reportdb *db)
{
	struct reportdb_rows *r = prepare(db, "SELECT coalesce(max(id), 0) FROM events", NULL, NULL);
	int64_t id = -1;

	if (r != NULL && reportdb_next(r) == 1)
		id = reportdb_int(r, 0);
	reportdb_rows_free(r);
	return id;
}

/* ---- causes ---- */

static char *
column_dup(const struct reportdb_rows *r, int i)
{
	size_t len;
	const char *t = reportdb_text(r, i, &len);

	return t == NULL ? NULL : xstrndup(t, len);
}

static int
same(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static int
cause_cmp(const void *a, const void *b)
{
	const struct reportdb_cause *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->last > y->last ? -1 : x->last < y->last;
}

/* *v is the value every row so far gave (rows without one aside), else NULL with bit set. */
static void
agree(char **v, const char *value, int *several, int bit)
{
	if (value == NULL || (*several & bit))
		return;
	if (*v == NULL) {
		*v = xstrdup(value);
	} else if (strcasecmp(*v, value) != 0) {
		free(*v);
		*v = NULL;
		*several |= bit;
	}
}

/* Fold one row's address, host and recipient domain (columns 7-11) into c, for its advice. */
static void
cause_values(struct reportdb_cause *c, const struct reportdb_rows *r)
{
	char dom[256];
	const char *domain = domain_of_recipient(reportdb_text(r, 11, NULL), dom, sizeof(dom));

	agree(&c->ip, reportdb_text(r, 7, NULL), &c->several, 1);
	agree(&c->ip, reportdb_text(r, 8, NULL), &c->several, 1);
	agree(&c->host, reportdb_text(r, 9, NULL), &c->several, 2);
	agree(&c->host, reportdb_text(r, 10, NULL), &c->several, 2);
	agree(&c->domain, domain, &c->several, 4);
}

/*
 * Fold one row (kind, direction, mta, reason, n, first, last, and the
 * values cause_values reads) into the causes.
 */
static void
fold_cause(const struct reportdb_rows *r, struct reportdb_cause **c, size_t *len, size_t *cap)
{
	const char *kind = reportdb_text(r, 0, NULL);
	const char *dir = reportdb_text(r, 1, NULL);
	const char *mta = reportdb_text(r, 2, NULL);
	struct reportdb_cause *last = *len ? &(*c)[*len - 1] : NULL;

	if (last == NULL || !same(last->kind, kind) || !same(last->direction, dir) ||
	    !same(last->mta, mta)) {
		if (*len == *cap) {
			*cap = *cap ? *cap * 2 : 8;
			*c = xreallocarray(*c, *cap, sizeof(**c));
		}
		last = &(*c)[(*len)++];
		memset(last, 0, sizeof(*last));
		last->kind = column_dup(r, 0);
		last->direction = column_dup(r, 1);
		last->mta = column_dup(r, 2);
		last->reason = column_dup(r, 3);
		last->first = reportdb_int(r, 5);
		last->last = reportdb_int(r, 6);
	}
	last->count += reportdb_int(r, 4);
	cause_values(last, r);
	if (!reportdb_null(r, 3))
		last->reasons++;
	if (reportdb_int(r, 5) < last->first)
		last->first = reportdb_int(r, 5);
	if (reportdb_int(r, 6) > last->last)
		last->last = reportdb_int(r, 6);
}

/*
 * Grouped by reason in SQL, then folded per cause here (a peer has a handful
 * of causes, so no table is needed).
 */
int
reportdb_causes(struct reportdb *db, const struct reportdb_filter *f,
    struct reportdb_cause **out, size_t *n)
{
	struct query q;
	struct reportdb_cause *c = NULL;
	size_t len = 0, cap = 0;
	int rc = -1;

	query_init(&q);
	buf_puts(&q.sql, "SELECT e.kind, e.direction, e.mta, e.reason, count(*) AS n, min(e.time), "
	    "max(e.time), min(e.peer_ip), max(e.peer_ip), min(e.peer_host), max(e.peer_host), "
	    "max(CASE WHEN e.direction = 'out' THEN e.raw END) FROM events e WHERE ");
	where_clause(db, &q, f, 1);
	buf_puts(&q.sql, " GROUP BY e.kind, e.direction, e.mta, e.reason "
	    "ORDER BY e.kind, e.direction, e.mta, e.reason IS NULL, n DESC");
	struct reportdb_rows *r = prepare(db, q.sql.data, &q, NULL);
	query_free(&q);
	while (r != NULL && (rc = reportdb_next(r)) == 1)
		fold_cause(r, &c, &len, &cap);
	reportdb_rows_free(r);
	if (len > 1)
		qsort(c, len, sizeof(*c), cause_cmp);
	*out = c;
	*n = len;
	return rc == 0 ? 0 : -1;
}

void
reportdb_causes_free(struct reportdb_cause *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].kind);
		free(c[i].direction);
		free(c[i].mta);
		free(c[i].reason);
		free(c[i].ip);
		free(c[i].host);
		free(c[i].domain);
	}
	free(c);
}

/* ---- top ---- */

/*
 * What top groups by: the key, the third column, and the rows it counts;
 * then PostgreSQL's key, group and order where they differ from SQLite's
 * (NULL: the key). SQLite's server column is COLLATE NOCASE, so it groups
 * and sorts servers without regard to case: PostgreSQL groups and sorts
 * lower(server). A key sorts as SQLite's BINARY does (COLLATE "C"), and
 * NULL first, as in SQLite.
 */
static const struct {
	const char *key, *third, *only;
	const char *pg_key, *pg_group, *pg_order;
} top_group[] = {
	[REPORTDB_BY_PEER] = { "coalesce(e.peer_ip, e.peer_host, e.helo)", "max(e.peer_host)", NULL,
	    NULL, NULL, NULL },
	[REPORTDB_BY_KIND] = { "e.kind", "count(DISTINCT coalesce(e.peer_ip, e.peer_host, e.helo))",
	    NULL, NULL, NULL, NULL },
	[REPORTDB_BY_SERVER] = { "e.server",
	    "count(DISTINCT coalesce(e.peer_ip, e.peer_host, e.helo))", NULL,
	    "min(e.server)", "lower(e.server)", "lower(e.server)" },
	[REPORTDB_BY_DOMAIN] = { "e.peer_domain",
	    "count(DISTINCT coalesce(e.peer_ip, e.peer_host, e.helo))", "e.peer_domain IS NOT NULL",
	    NULL, NULL, NULL },
	[REPORTDB_BY_USER] = { "e.\"user\"", "count(DISTINCT e.peer_ip)", "e.\"user\" IS NOT NULL",
	    NULL, NULL, NULL },
};

/*
 * Without a peer, the period's events are read by the events_time index
 * (see the top); with one, SQLite picks the peer's index.
 */
struct reportdb_rows *
reportdb_top(struct reportdb *db, enum reportdb_top_by by, const struct reportdb_filter *f,
    long long limit)
{
	const char *key = top_group[by].key;
	const char *group = db->pg && top_group[by].pg_group ? top_group[by].pg_group : key;
	const char *order = db->pg && top_group[by].pg_order ? top_group[by].pg_order : key;
	struct reportdb_filter period = *f;
	struct query q;

	if (db->pg && top_group[by].pg_key != NULL)
		key = top_group[by].pg_key;
	period.since = 1;
	query_init(&q);
	/* Column names of top_group, never data: */
	buf_puts(&q.sql, "SELECT ");
	buf_puts(&q.sql, key);
	buf_puts(&q.sql, " AS k, count(*) AS n, ");
	buf_puts(&q.sql, top_group[by].third);
	buf_puts(&q.sql, ", min(e.time), max(e.time) FROM events e");
	if (!db->pg && f->type == REPORTDB_PEER_ALL)
		buf_puts(&q.sql, " INDEXED BY events_time");
	buf_puts(&q.sql, " WHERE ");
	where_clause(db, &q, &period, 1);
	if (top_group[by].only != NULL) {
		buf_puts(&q.sql, " AND ");
		buf_puts(&q.sql, top_group[by].only);
	}
	if (db->pg)
		buf_printf(&q.sql, " GROUP BY %s ORDER BY n DESC, ", group);
	else
		buf_puts(&q.sql, " GROUP BY k ORDER BY n DESC, ");
	if (by != REPORTDB_BY_KIND && by != REPORTDB_BY_SERVER)
		buf_puts(&q.sql, "max(e.time) DESC, ");
	if (db->pg)
		buf_printf(&q.sql, "%s COLLATE \"C\" NULLS FIRST", order);
	else
		buf_puts(&q.sql, "k");
	add_limit(&q, limit);
	struct reportdb_rows *r = prepare(db, q.sql.data, &q, NULL);
	query_free(&q);
	return r;
}

/* ---- flags ---- */

/* $1: now, $2: flag_quiet. "cleared" is computed: the row's, or last_event + quiet if passed. */
/* Regressions (threshold "regression", issue 17) come first, in their own order. */
#define REGRESSION "CASE WHEN threshold = '" CONF_REGRESSION "' THEN 1 ELSE 0 END AS regression"
static const char active_sql[] =
    "SELECT peer, peer_kind, threshold, count, first_event, last_event, flagged, NULL, "
    "main_kind, host, why, " REGRESSION " FROM flags "
    "WHERE cleared IS NULL AND last_event + $2 > $1 "
    "ORDER BY regression DESC, count DESC, last_event DESC, id";
static const char all_sql[] =
    "SELECT peer, peer_kind, threshold, count, first_event, last_event, flagged, "
    "coalesce(cleared, CASE WHEN last_event + $2 <= $1 THEN last_event + $2 END), "
    "main_kind, host, why, " REGRESSION " FROM flags "
    "ORDER BY regression DESC, flagged DESC, id DESC";

struct reportdb_rows *
reportdb_flags(struct reportdb *db, int all, int64_t now, int64_t quiet)
{
	struct value v[2] = { { NULL, now, 0 }, { NULL, quiet, 0 } };
	struct query q = { .values = v, .n = 2 };

	return prepare(db, all ? all_sql : active_sql, &q, NULL);
}

/* ---- stats ---- */

/* " WHERE server is NAME" (any case), or nothing for NULL (every server). */
static void
server_where(struct reportdb *db, struct query *q, const char *column, const char *server)
{
	if (server == NULL)
		return;
	buf_puts(&q->sql, " WHERE ");
	nocase_eq(db, q, column, server);
}

int
reportdb_event_span(struct reportdb *db, const char *server, int64_t *total, int64_t *first,
    int64_t *last)
{
	struct query q;

	query_init(&q);
	buf_puts(&q.sql, "SELECT count(*), min(time), max(time) FROM events");
	server_where(db, &q, "server", server);
	struct reportdb_rows *r = prepare(db, q.sql.data, &q, NULL);
	query_free(&q);
	int rc = r ? reportdb_next(r) : -1;

	if (rc == 1) {
		*total = reportdb_int(r, 0);
		*first = reportdb_int(r, 1);
		*last = reportdb_int(r, 2);
	}
	reportdb_rows_free(r);
	return rc == 1 ? 0 : -1;
}

struct reportdb_rows *
reportdb_kind_times(struct reportdb *db, const char *server)
{
	struct query q;

	query_init(&q);
	/*
	 * SQLite: one row per event, read from the events_time index and
	 * counted by cmd_stats (see there); PostgreSQL counts on its side, so
	 * that millions of events are not fetched to be counted.
	 */
	buf_puts(&q.sql, dialect(db, "SELECT kind, time, 1 FROM events INDEXED BY events_time",
	    "SELECT kind, max(time), count(*) FROM events"));
	server_where(db, &q, "server", server);
	if (db->pg)
		buf_puts(&q.sql, " GROUP BY kind");
	struct reportdb_rows *r = prepare(db, q.sql.data, &q, NULL);
	query_free(&q);
	return r;
}

/*
 * A database of schema 1 (never written by this tlslogd) has no sources
 * table. PostgreSQL's sources and losses are per server (the host reading
 * them); SQLite's are the one host's.
 */
struct reportdb_rows *
reportdb_sources(struct reportdb *db, const char *server, int *absent)
{
	struct query q;

	query_init(&q);
	buf_puts(&q.sql, dialect(db, "SELECT s.name, f.path, f.\"offset\", s.cursor, s.lines, "
	    "s.lines_cut, s.lines_unknown, s.updated, NULL FROM sources s LEFT JOIN files f ON "
	    "f.id = s.file_id",
	    "SELECT s.name, f.path, f.\"offset\", s.cursor, s.lines, s.lines_cut, "
	    "s.lines_unknown, s.updated, s.server FROM sources s LEFT JOIN files f ON "
	    "f.id = s.file_id"));
	if (db->pg)
		server_where(db, &q, "s.server", server);
	buf_puts(&q.sql, dialect(db, " ORDER BY s.name",
	    " ORDER BY s.server COLLATE \"C\", s.name COLLATE \"C\""));
	struct reportdb_rows *r = prepare(db, q.sql.data, &q, absent);
	query_free(&q);
	return r;
}

struct reportdb_rows *
reportdb_losses(struct reportdb *db, const char *server, int limit, int *absent)
{
	struct query q;

	/* Schema 7 (sql/007-file-lineage.sql) brought the losses table. */
	query_init(&q);
	buf_puts(&q.sql, "SELECT time, path, from_offset, to_offset, reason, (SELECT count(*) "
	    "FROM losses");
	if (db->pg)
		server_where(db, &q, "server", server);
	buf_puts(&q.sql, ") FROM losses");
	if (db->pg)
		server_where(db, &q, "server", server);
	buf_puts(&q.sql, " ORDER BY id DESC");
	add_limit(&q, limit);
	struct reportdb_rows *r = prepare(db, q.sql.data, &q, absent);
	query_free(&q);
	return r;
}

/* ---- summary ---- */

/*
 * Every query over events is bounded by a time range on the events_time
 * index (or by a peer and a time range on events_peer_ip / events_peer_host),
 * so the cost follows the events of the two periods read, not the size of
 * the database. SQLite 3.24 is the oldest we build with: no window
 * functions, hence plain GROUP BY queries folded by summary.c.
 */

/* A text parameter (NULL: an SQL NULL). */
static struct value
text_value(const char *t)
{
	struct value v = { (char *)t, 0, t == NULL };
	return v;
}

static struct value
int_value(int64_t i)
{
	struct value v = { NULL, i, 0 };
	return v;
}

static struct reportdb_rows *
prepare_values(struct reportdb *db, const char *sql, struct value *v, size_t n)
{
	struct query q = { .values = v, .n = n };

	return prepare(db, sql, &q, NULL);
}

/*
 * The events of one server (any case), or of all when the parameter n is
 * NULL: the summary's --server, a parameter of every query over events.
 */
#define SERVER_LITE(n) " AND (" n " IS NULL OR server = " n ")"
#define SERVER_PG(n) " AND (" n " IS NULL OR lower(server) = lower(" n "))"

struct reportdb_rows *
reportdb_summary_counts(struct reportdb *db, int64_t prev, int64_t since, int64_t until,
    const char *server)
{
	struct value v[] = { int_value(prev), int_value(since), int_value(until),
		text_value(server) };

	return prepare_values(db, dialect(db, "SELECT server, kind, CASE WHEN time >= $2 THEN 1 "
	    "ELSE 0 END, count(*) FROM events WHERE time >= $1 AND time < $3" SERVER_LITE("$4")
	    " GROUP BY 1, 2, 3",
	    "SELECT min(server), kind, CASE WHEN time >= $2 THEN 1 ELSE 0 END, count(*) FROM events "
	    "WHERE time >= $1 AND time < $3" SERVER_PG("$4") " GROUP BY lower(server), 2, 3"), v, 4);
}

struct reportdb_rows *
reportdb_summary_bars(struct reportdb *db, int64_t since, int64_t until, int64_t bucket,
    const char *server)
{
	struct value v[] = { int_value(since), int_value(until), int_value(bucket),
		text_value(server) };

	return prepare_values(db, dialect(db, "SELECT time / $3, count(*) FROM events "
	    "WHERE time >= $1 AND time < $2" SERVER_LITE("$4") " GROUP BY 1",
	    "SELECT time / $3, count(*) FROM events "
	    "WHERE time >= $1 AND time < $2" SERVER_PG("$4") " GROUP BY 1"), v, 4);
}

/*
 * A peer is its address, or its name (any case) when the log gives no
 * address. SQLite's COLLATE NOCASE is lower() on PostgreSQL, whose text
 * sorts as SQLite's (COLLATE "C", NULL first).
 */
#define NAME_ONLY "CASE WHEN peer_ip IS NULL THEN peer_host END"
#define PEER_COUNTS "count(CASE WHEN time >= $2 THEN 1 END) AS cur, " \
    "count(CASE WHEN time < $2 THEN 1 END) AS before"
#define PEER_REST "CASE WHEN count(DISTINCT kind) = 1 THEN max(kind) END, max(time) " \
    "FROM events WHERE time >= $1 AND time < $3"

struct reportdb_rows *
reportdb_summary_peers(struct reportdb *db, int64_t prev, int64_t since, int64_t until,
    const char *server)
{
	struct value v[] = { int_value(prev), int_value(since), int_value(until),
		text_value(server) };

	return prepare_values(db, dialect(db,
	    "SELECT peer_ip AS ip, " NAME_ONLY " COLLATE NOCASE AS host, " PEER_COUNTS ", "
	    "count(DISTINCT server), max(server), " PEER_REST SERVER_LITE("$4") " GROUP BY ip, host "
	    "ORDER BY cur DESC, before DESC, max(time) DESC, ip, host",
	    "SELECT peer_ip AS ip, min(" NAME_ONLY ") AS host, " PEER_COUNTS ", "
	    "count(DISTINCT lower(server)), max(server), " PEER_REST SERVER_PG("$4") " GROUP BY "
	    "peer_ip, lower(" NAME_ONLY ") ORDER BY cur DESC, before DESC, max(time) DESC, "
	    "peer_ip COLLATE \"C\" NULLS FIRST, lower(" NAME_ONLY ") COLLATE \"C\" NULLS FIRST"),
	    v, 4);
}

/*
 * The three ways to select one peer's events; $1 the peer, $2 $3 the
 * period. A name is compared without regard to case (PostgreSQL: lower()).
 */
#define BY_IP "peer_ip = $1"
#define BY_HOST "peer_ip IS NULL AND peer_host = $1"
#define BY_HOST_PG "peer_ip IS NULL AND lower(peer_host) = lower($1)"
#define BY_NONE "peer_ip IS NULL AND peer_host IS NULL AND $1 IS NULL"
#define PERIOD " AND time >= $2 AND time < $3"
#define CAUSES(where, server) \
    "SELECT kind, direction, mta, count(*), count(DISTINCT \"user\"), max(peer_host), " \
    "max(helo), max(\"user\"), min(time), max(time) FROM events WHERE " where PERIOD \
    server " GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3"
#define REASON(where, server, collate) \
    "SELECT reason FROM events WHERE " where PERIOD server " AND kind = $4 AND direction = $5 " \
    "AND mta = $6 AND reason IS NOT NULL GROUP BY reason ORDER BY count(*) DESC, " \
    "reason" collate " LIMIT 1"

static int
peer_how(const char *ip, const char *host)
{
	return ip != NULL ? 0 : host != NULL ? 1 : 2;
}

struct reportdb_rows *
reportdb_summary_peer_causes(struct reportdb *db, const char *ip, const char *host, int64_t since,
    int64_t until, const char *server)
{
	static const char *const sql[] = { CAUSES(BY_IP, SERVER_LITE("$4")),
		CAUSES(BY_HOST, SERVER_LITE("$4")), CAUSES(BY_NONE, SERVER_LITE("$4")) };
	static const char *const pg_sql[] = { CAUSES(BY_IP, SERVER_PG("$4")),
		CAUSES(BY_HOST_PG, SERVER_PG("$4")), CAUSES(BY_NONE, SERVER_PG("$4")) };
	struct value v[] = { text_value(ip ? ip : host), int_value(since), int_value(until),
		text_value(server) };
	int how = peer_how(ip, host);

	return prepare_values(db, dialect(db, sql[how], pg_sql[how]), v, 4);
}

struct reportdb_rows *
reportdb_summary_peer_reason(struct reportdb *db, const char *ip, const char *host, int64_t since,
    int64_t until, const char *kind, const char *direction, const char *mta, const char *server)
{
	static const char *const sql[] = { REASON(BY_IP, SERVER_LITE("$7"), ""),
		REASON(BY_HOST, SERVER_LITE("$7"), ""), REASON(BY_NONE, SERVER_LITE("$7"), "") };
	static const char *const pg_sql[] = { REASON(BY_IP, SERVER_PG("$7"), " COLLATE \"C\""),
		REASON(BY_HOST_PG, SERVER_PG("$7"), " COLLATE \"C\""),
		REASON(BY_NONE, SERVER_PG("$7"), " COLLATE \"C\"") };
	struct value v[] = { text_value(ip ? ip : host), int_value(since), int_value(until),
		text_value(kind), text_value(direction), text_value(mta), text_value(server) };
	int how = peer_how(ip, host);

	return prepare_values(db, dialect(db, sql[how], pg_sql[how]), v, 7);
}

#define SUMMARY_CAUSES(server) \
    "SELECT kind, direction, mta, count(CASE WHEN time >= $2 THEN 1 END) AS cur, " \
    "count(CASE WHEN time < $2 THEN 1 END), count(DISTINCT CASE WHEN time >= $2 THEN " \
    "coalesce(peer_ip, lower(peer_host), '') END) FROM events WHERE time >= $1 AND " \
    "time < $3" server " GROUP BY 1, 2, 3 ORDER BY cur DESC, 5 DESC, 1, 2, 3"

struct reportdb_rows *
reportdb_summary_causes(struct reportdb *db, int64_t prev, int64_t since, int64_t until,
    const char *server)
{
	struct value v[] = { int_value(prev), int_value(since), int_value(until),
		text_value(server) };

	return prepare_values(db, dialect(db, SUMMARY_CAUSES(SERVER_LITE("$4")),
	    SUMMARY_CAUSES(SERVER_PG("$4"))), v, 4);
}

struct reportdb_rows *
reportdb_active_flag(struct reportdb *db, const char *ip, int64_t now, int64_t quiet)
{
	struct value v[] = { text_value(ip), int_value(quiet), int_value(now) };

	return prepare_values(db, "SELECT threshold FROM flags WHERE peer = $1 AND cleared IS NULL "
	    "AND last_event + $2 > $3 ORDER BY count DESC, threshold LIMIT 1", v, 3);
}

#define FLAG_COLUMNS "peer, peer_kind, threshold, why, main_kind, host, count, first_event, " \
    "last_event, flagged"

/* $1 $2 the period, $3 flag_quiet, $4 now. A flag quiet for flag_quiet was cleared then. */
struct reportdb_rows *
reportdb_summary_flags(struct reportdb *db, int cleared, int64_t since, int64_t until, int64_t now,
    int64_t quiet)
{
	static const char raised_sql[] =
	    "SELECT " FLAG_COLUMNS ", coalesce(cleared, CASE WHEN last_event + $3 <= $4 "
	    "THEN last_event + $3 END) FROM flags WHERE flagged >= $1 AND flagged < $2 "
	    "ORDER BY count DESC, flagged, id";
	static const char cleared_sql[] =
	    "SELECT " FLAG_COLUMNS ", cleared FROM flags WHERE cleared >= $1 AND cleared < $2 "
	    "UNION ALL SELECT " FLAG_COLUMNS ", last_event + $3 FROM flags WHERE cleared IS NULL "
	    "AND last_event + $3 >= $1 AND last_event + $3 < $2 AND last_event + $3 <= $4 "
	    "ORDER BY 7 DESC, 11, 1";
	struct value v[] = { int_value(since), int_value(until), int_value(quiet), int_value(now) };

	return prepare_values(db, cleared ? cleared_sql : raised_sql, v, 4);
}

int64_t
reportdb_summary_active(struct reportdb *db, int64_t until, int64_t now, int64_t quiet)
{
	struct value v[] = { int_value(until), int_value(quiet), int_value(now) };
	/* SQLite's min() of two values is PostgreSQL's least(). */
	struct reportdb_rows *r = prepare_values(db, dialect(db,
	    "SELECT (SELECT count(*) FROM flags WHERE cleared IS NULL AND flagged < $1 AND "
	    "last_event + $2 > min($1, $3)) + (SELECT count(*) FROM flags WHERE cleared >= $1 AND "
	    "flagged < $1)",
	    "SELECT (SELECT count(*) FROM flags WHERE cleared IS NULL AND flagged < $1 AND "
	    "last_event + $2 > least($1, $3)) + (SELECT count(*) FROM flags WHERE cleared >= $1 AND "
	    "flagged < $1)"), v, 3);
	int64_t n = -1;

	if (r != NULL && reportdb_next(r) == 1)
		n = reportdb_int(r, 0);
	reportdb_rows_free(r);
	return n;
}

/* ---- peer_days: the successes of a peer (issue 17, schema 12) ---- */

/*
 * Every read of one peer's history is an index range of peer_days' primary
 * key (peer, day, direction, server): the peer, then a range of days. The
 * failing peers without history are the events of the period (INDEXED BY
 * events_time, as top: grouping by address, SQLite would rather read the
 * whole events_peer_ip index), each address tested by one probe of that key. A database older than schema 12 has
 * no peer_days: *absent is set, nothing is logged, and there is no history.
 */

struct reportdb_rows *
reportdb_peer_last_success(struct reportdb *db, const char *peer, int *absent)
{
	struct value v[] = { text_value(peer) };
	struct query q = { .values = v, .n = 1 };

	return prepare(db, "SELECT day, last_time, last_version, direction, host, CASE WHEN "
	    "logins > 0 THEN 1 ELSE 0 END FROM peer_days WHERE peer = $1 AND day = (SELECT max(day) "
	    "FROM peer_days WHERE peer = $1) ORDER BY last_time DESC LIMIT 1", &q, absent);
}

struct reportdb_rows *
reportdb_peer_history(struct reportdb *db, const char *peer, int64_t from_day, int64_t to_day)
{
	struct value v[] = { text_value(peer), int_value(from_day), int_value(to_day) };

	return prepare_values(db, "SELECT day, min(first_time), max(last_time), sum(messages), "
	    "sum(clear + ssl3 + tls10 + tls11 + tls12 + tls13 + tls_other), sum(logins) "
	    "FROM peer_days WHERE peer = $1 AND day >= $2 AND day <= $3 GROUP BY day ORDER BY day",
	    v, 3);
}

struct reportdb_rows *
reportdb_peer_failures_after(struct reportdb *db, const char *peer, int64_t after)
{
	struct value v[] = { text_value(peer), int_value(after) };

	return prepare_values(db, "SELECT kind, count(*), min(time) FROM events "
	    "WHERE peer_ip = $1 AND time > $2 GROUP BY kind ORDER BY 2 DESC, 1", v, 2);
}

struct reportdb_rows *
reportdb_filter_addresses(struct reportdb *db, const struct reportdb_filter *f, long long limit)
{
	struct query q;

	query_init(&q);
	buf_puts(&q.sql, "SELECT e.peer_ip, max(e.peer_host) FROM events e WHERE ");
	where_clause(db, &q, f, 1);
	buf_puts(&q.sql, " AND e.peer_ip IS NOT NULL GROUP BY e.peer_ip ORDER BY count(*) DESC, ");
	buf_puts(&q.sql, dialect(db, "e.peer_ip", "e.peer_ip COLLATE \"C\""));
	add_limit(&q, limit);
	struct reportdb_rows *r = prepare(db, q.sql.data, &q, NULL);
	query_free(&q);
	return r;
}

/* The failing peers without history; SQLite's index, PostgreSQL's order of text. */
#define UNKNOWN_PEERS(indexed, server, collate) \
    "SELECT e.ip, e.n, e.host, e.kind FROM (SELECT peer_ip AS ip, count(*) AS n, " \
    "max(peer_host) AS host, CASE WHEN count(DISTINCT kind) = 1 THEN max(kind) END AS kind " \
    "FROM events" indexed " WHERE time >= $1 AND time < $2" server " AND peer_ip IS NOT NULL " \
    "GROUP BY peer_ip) e WHERE NOT EXISTS (SELECT 1 FROM peer_days p WHERE p.peer = e.ip) " \
    "AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.peer = e.ip AND f.cleared IS NULL AND " \
    "f.last_event + $3 > $4) ORDER BY e.n DESC, e.ip" collate

struct reportdb_rows *
reportdb_summary_unknown_peers(struct reportdb *db, int64_t since, int64_t until, int64_t now,
    int64_t quiet, const char *server, int *absent)
{
	struct value v[] = { int_value(since), int_value(until), int_value(quiet), int_value(now),
		text_value(server) };
	struct query q = { .values = v, .n = 5 };

	return prepare(db, dialect(db, UNKNOWN_PEERS(" INDEXED BY events_time", SERVER_LITE("$5"),
	    ""), UNKNOWN_PEERS("", SERVER_PG("$5"), " COLLATE \"C\"")), &q, absent);
}

int
reportdb_peer_days_kept(struct reportdb *db)
{
	int absent = 0;
	struct reportdb_rows *r = prepare(db, "SELECT CASE WHEN EXISTS (SELECT 1 FROM peer_days) "
	    "THEN 1 ELSE 0 END", NULL, &absent);
	int rc = r ? reportdb_next(r) : -1;
	int kept = rc == 1 ? reportdb_int(r, 0) != 0 : absent ? 0 : -1;

	reportdb_rows_free(r);
	return kept;
}

/* ---- peers: the successes of peer_days (schema 12) ---- */

/*
 * The census reads peer_days, one row per peer, UTC day, direction and
 * server. The period selects rows by their first and last success of the
 * day (a day partly in the period is read whole: the counts are per day),
 * and nothing indexes them by day, so the census reads the whole table:
 * retention keeps it to the days kept, one row per peer and day. The sums
 * are grouped by peer, direction and server, which the primary key (peer,
 * day, ...) does not order: SQLite sorts the rows, the costly part (30
 * days of 20,000 peers, 600,000 rows: about 1.5 s for every peer's mix).
 * With a selector, a first scan finds the peers that did it, and only
 * their rows are read (by the primary key) and sorted. One peer (an
 * address) is one range of the primary key. The last day on which the
 * peer did what was asked is joined back to its row for that day's last
 * success and version, and the host is read from the peer's latest row:
 * both by the primary key.
 */

const char *const reportdb_counter_names[REPORTDB_COUNTERS] = {
	"clear", "ssl3", "tls10", "tls11", "tls12", "tls13", "tls_other", "aead", "cbc", "des3",
	"rc4", "cipher_other", "messages", "logins"
};

/* "(a + b + ...)": the sum of the counters in mask. */
static void
counter_sum(struct buf *sql, uint32_t mask)
{
	int n = 0;

	buf_puts(sql, "(");
	for (int c = 0; c < REPORTDB_COUNTERS; c++) {
		if (!(mask & (UINT32_C(1) << c)))
			continue;
		buf_puts(sql, n++ ? " + " : "");
		buf_puts(sql, reportdb_counter_names[c]);
	}
	buf_puts(sql, n ? ")" : "0)");
}

#define PROTOCOL_MASK ((UINT32_C(1) << REPORTDB_PROTOCOLS) - 1)

/*
 * "column = text" without regard to case, for peer_days, whose columns are
 * not COLLATE NOCASE in SQLite (PostgreSQL: lower() on both sides).
 */
static void
nocase_text(struct reportdb *db, struct query *q, const char *column, const char *text)
{
	if (db->pg) {
		nocase_eq(db, q, column, text);
		return;
	}
	buf_printf(&q->sql, "%s = ", column);
	add_text(q, text);
	buf_puts(&q->sql, " COLLATE NOCASE");
}

/* The period, direction, server and peer of f over peer_days, after "WHERE ". */
static void
peers_where(struct reportdb *db, struct query *q, const struct reportdb_filter *f)
{
	buf_puts(&q->sql, "last_time >= ");
	add_int(q, f->t_since);
	if (f->until) {
		buf_puts(&q->sql, " AND first_time <= ");
		add_int(q, f->t_until);
	}
	if (f->direction) {
		buf_puts(&q->sql, " AND direction = ");
		add_text(q, f->direction);
	}
	if (f->server) {
		buf_puts(&q->sql, " AND ");
		nocase_text(db, q, "server", f->server);
	}
	switch (f->type) {
	case REPORTDB_PEER_ALL:
		break;
	case REPORTDB_PEER_IP:
		buf_puts(&q->sql, " AND ");
		ip_terms(q, "peer", f);
		break;
	case REPORTDB_PEER_NET:
		db->net = f->net;
		buf_puts(&q->sql, " AND ");
		if (db->pg)
			pg_net_terms(q, "peer", &f->net);
		else
			buf_puts(&q->sql, "tlslogd_in_net(peer)");
		break;
	case REPORTDB_PEER_NAME:
		buf_puts(&q->sql, " AND (");
		nocase_text(db, q, "peer", f->text);
		buf_puts(&q->sql, " OR ");
		nocase_text(db, q, "host", f->text);
		buf_puts(&q->sql, ")");
		break;
	case REPORTDB_PEER_DOMAIN:
		/* f->text is lower case, without % or _ (reportdb_filter_peer). */
		buf_puts(&q->sql, " AND (");
		nocase_text(db, q, "peer", f->text);
		buf_puts(&q->sql, " OR ");
		nocase_text(db, q, "host", f->text);
		buf_puts(&q->sql, dialect(db, " OR peer LIKE '%.' || ", " OR lower(peer) LIKE '%.' || "));
		add_text(q, f->text);
		buf_puts(&q->sql, dialect(db, " OR host LIKE '%.' || ", " OR lower(host) LIKE '%.' || "));
		add_text(q, f->text);
		buf_puts(&q->sql, ")");
		break;
	}
}

struct reportdb_rows *
reportdb_peers(struct reportdb *db, const struct reportdb_filter *f, uint32_t select,
    long long limit)
{
	struct query q;
	struct buf match;

	buf_init(&match);
	counter_sum(&match, select ? select : PROTOCOL_MASK);
	query_init(&q);
	buf_puts(&q.sql, "SELECT g.peer, g.direction, g.server, g.mta, (SELECT h.host FROM "
	    "peer_days h WHERE h.peer = g.peer AND h.direction = g.direction AND h.server = "
	    "g.server AND h.day <= g.seen_day AND h.host IS NOT NULL ORDER BY h.day DESC LIMIT 1)");
	for (int c = 0; c < REPORTDB_COUNTERS; c++) {
		buf_puts(&q.sql, ", g.");
		buf_puts(&q.sql, reportdb_counter_names[c]);
	}
	buf_puts(&q.sql, ", g.matched, g.total, g.last_day, g.first, l.last_time, l.last_version, "
	    "g.days, g.days_seen FROM (SELECT peer, direction, server, ");
	buf_puts(&q.sql, dialect(db, "group_concat(DISTINCT mta) AS mta",
	    "string_agg(DISTINCT mta, ',' ORDER BY mta) AS mta"));
	for (int c = 0; c < REPORTDB_COUNTERS; c++) {
		buf_puts(&q.sql, ", sum(");
		buf_puts(&q.sql, reportdb_counter_names[c]);
		buf_puts(&q.sql, ") AS ");
		buf_puts(&q.sql, reportdb_counter_names[c]);
	}
	buf_puts(&q.sql, ", sum");
	buf_append(&q.sql, match.data, match.len);
	buf_puts(&q.sql, " AS matched, sum");
	counter_sum(&q.sql, PROTOCOL_MASK);
	buf_puts(&q.sql, " AS total, max(CASE WHEN ");
	if (select) {
		buf_append(&q.sql, match.data, match.len);
		buf_puts(&q.sql, " > 0");
	} else {
		buf_puts(&q.sql, "1 = 1");
	}
	buf_puts(&q.sql, " THEN day END) AS last_day, min(first_time) AS first, count(CASE WHEN ");
	if (select) {
		buf_append(&q.sql, match.data, match.len);
		buf_puts(&q.sql, " > 0");
	} else {
		buf_puts(&q.sql, "1 = 1");
	}
	buf_puts(&q.sql, " THEN 1 END) AS days, count(*) AS days_seen, max(day) AS seen_day, "
	    "sum(messages + logins) AS traffic FROM peer_days WHERE ");
	peers_where(db, &q, f);
	if (select) {
		/* Only the peers that did it: their rows by the primary key (see above). */
		buf_puts(&q.sql, " AND peer IN (SELECT peer FROM peer_days WHERE ");
		peers_where(db, &q, f);
		buf_puts(&q.sql, " AND ");
		buf_append(&q.sql, match.data, match.len);
		buf_puts(&q.sql, " > 0)");
	}
	buf_puts(&q.sql, " GROUP BY peer, direction, server) g JOIN peer_days l ON l.peer = g.peer "
	    "AND l.day = g.last_day AND l.direction = g.direction AND l.server = g.server "
	    "WHERE g.days > 0 ORDER BY g.traffic > 0 DESC, g.matched DESC, g.total DESC, "
	    "l.last_time DESC, g.peer, g.direction, g.server");
	add_limit(&q, limit);
	buf_free(&match);
	struct reportdb_rows *r = prepare(db, q.sql.data, &q, NULL);
	query_free(&q);
	return r;
}

struct reportdb_rows *
reportdb_peer_days(struct reportdb *db, const struct reportdb_filter *f, uint32_t select,
    long long limit)
{
	struct query q;

	query_init(&q);
	buf_puts(&q.sql, "SELECT peer, direction, server, mta, host");
	for (int c = 0; c < REPORTDB_COUNTERS; c++) {
		buf_puts(&q.sql, ", ");
		buf_puts(&q.sql, reportdb_counter_names[c]);
	}
	buf_puts(&q.sql, ", ");
	counter_sum(&q.sql, select ? select : PROTOCOL_MASK);
	buf_puts(&q.sql, ", ");
	counter_sum(&q.sql, PROTOCOL_MASK);
	buf_puts(&q.sql, ", day, first_time, last_time, last_version, 1, 1 FROM peer_days WHERE ");
	peers_where(db, &q, f);
	if (select) {
		buf_puts(&q.sql, " AND ");
		counter_sum(&q.sql, select);
		buf_puts(&q.sql, " > 0");
	}
	buf_puts(&q.sql, " ORDER BY day DESC, peer, direction, server");
	add_limit(&q, limit);
	struct reportdb_rows *r = prepare(db, q.sql.data, &q, NULL);
	query_free(&q);
	return r;
}

int
reportdb_peer_days_span(struct reportdb *db, int64_t *rows, int64_t *first)
{
	struct reportdb_rows *r = prepare(db, "SELECT count(*), coalesce(min(first_time), 0) "
	    "FROM peer_days", NULL, NULL);
	int rc = r ? reportdb_next(r) : -1;

	if (rc == 1) {
		*rows = reportdb_int(r, 0);
		*first = reportdb_int(r, 1);
	}
	reportdb_rows_free(r);
	return rc == 1 ? 0 : -1;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_query.c: `tlslogd query --peer PEER`: the events of one peer, newest
 * first, as a table for a terminal, JSON or CSV, and under the table a short
 * diagnosis: each cause seen (kind, direction, MTA) with its count, first and
 * last time, its most frequent reason, and what to do about it (advice.h).
 * The database is opened read-only; every value from the log is escaped for
 * the output it goes to (output.h).
 *
 * PEER selects by index, never by reading every event:
 *   - an address: peer_ip = canonical text (events_peer_ip);
 *   - a network (192.0.2.0/24, 2001:db8::/32): addresses are stored as text,
 *     so the network becomes ranges of that text: an IPv4 prefix is rounded
 *     up to whole octets ("192.0.2." .. "192.0.2/"; at most 256 ranges); an
 *     IPv6 one becomes the ranges of its first group ("2001:"), and the exact
 *     test is a function registered on the connection;
 *   - ".domain": the reverse name is the domain or ends with ".domain"; the
 *     registered domain of it (domain_of, stored as peer_domain by
 *     schema 5) is the index key, so ".mx.example.net" reads the events of
 *     .example.net only; a public suffix (".net") has no such key and reads
 *     the peer_domain index;
 *   - anything else: a reverse name or HELO name (events_peer_host,
 *     events_helo), case-insensitive.
 */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "advice.h"
#include "cmd.h"
#include "event.h"
#include "domain.h"
#include "log.h"
#include "output.h"
#include "store.h"
#include "timeparse.h"
#include "util.h"

static const char query_usage[] =
    "usage: tlslogd query --peer HOST|IP|CIDR|.DOMAIN [--since WHEN] [--until WHEN]\n"
    "                     [--kind KIND] [--direction in|out] [--server NAME] [--limit N]\n"
    "                     [--format table|json|csv] [--diagnosis] [-c FILE] [--db PATH]\n"
    "\n"
    "Print the failures of one peer, newest first, and under the table the causes\n"
    "seen and what to do about each. HOST matches the peer's reverse name or its\n"
    "HELO name (case-insensitive); IP matches its address (IPv4 or IPv6); CIDR a\n"
    "network (192.0.2.0/24, 2001:db8::/32); .DOMAIN the reverse names in that\n"
    "domain (.example.net: example.net and mx.example.net). WHEN is a duration back\n"
    "from now (90s, 30m, 24h, 7d, 2w) or an ISO 8601 date or time (2026-11-22,\n"
    "2026-11-22T06:40:07Z).\n"
    "\n"
    "  -p, --peer PEER      the peer: HOST, IP, CIDR or .DOMAIN\n"
    "      --since WHEN     only events at or after WHEN\n"
    "      --until WHEN     only events at or before WHEN\n"
    "      --kind KIND      only events of this kind (see tlslogd.rules(5))\n"
    "      --direction DIR  only incoming (in) or outgoing (out) events\n"
    "      --server NAME    only events logged by this server (case-insensitive)\n"
    "  -n, --limit N        print at most the N newest events (the diagnosis counts all;\n"
    "                       the table shows the 100 newest unless told, JSON and CSV all)\n"
    "  -f, --format FMT     table (default, with the diagnosis), json or csv\n"
    "      --diagnosis      with json: an object {\"events\": [...], \"diagnosis\": [...]}\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "      --db PATH        database (default: from the configuration)\n"
    "  -h, --help           this help\n";

/* Result columns, in the order of tlslogd.rules(5); the names are the JSON and CSV keys. */
static const char *const columns[] = {
	"time", "server", "mta", "program", "pid", "direction", "kind", "peer_host", "peer_ip",
	"peer_port", "helo", "user", "mech", "reason", "tls_version", "cipher", "queue_id",
	"source", "offset", "raw", "downgraded"
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))
enum { C_TIME, C_SERVER, C_MTA, C_PROGRAM, C_PID, C_DIRECTION, C_KIND, C_PEER_HOST, C_PEER_IP,
	C_PEER_PORT, C_HELO, C_USER, C_MECH, C_REASON, C_DOWNGRADED = 20 };

static const char select_sql[] =
    "SELECT e.time, e.server, e.mta, e.program, e.pid, e.direction, e.kind, e.peer_host, "
    "e.peer_ip, e.peer_port, e.helo, e.user, e.mech, e.reason, e.tls_version, e.cipher, "
    "e.queue_id, f.path, e.offset, e.raw, e.downgraded "
    "FROM events e LEFT JOIN files f ON f.id = e.file_id WHERE ";

static int
is_integer_column(size_t i)
{
	return i == C_TIME || i == C_PID || i == C_PEER_PORT || i == 18 || i == 20;
}

static void
column_text(sqlite3_stmt *s, int i, const char **text, size_t *len)
{
	*text = (const char *)sqlite3_column_text(s, i);
	*len = (size_t)sqlite3_column_bytes(s, i);
}

static void
print_json_row(struct buf *out, sqlite3_stmt *s, int first)
{
	buf_puts(out, first ? "\n  {" : ",\n  {");
	for (size_t i = 0; i < NCOLUMNS; i++) {
		buf_printf(out, "%s\"%s\": ", i ? ", " : "", columns[i]);
		if (sqlite3_column_type(s, (int)i) == SQLITE_NULL) {
			buf_puts(out, "null");
		} else if (i == C_TIME) {
			char iso[32];
			timeparse_format_iso(sqlite3_column_int64(s, (int)i), iso, sizeof(iso));
			buf_printf(out, "\"%s\"", iso);
		} else if (is_integer_column(i)) {
			buf_printf(out, "%lld", (long long)sqlite3_column_int64(s, (int)i));
		} else {
			const char *t;
			size_t len;
			column_text(s, (int)i, &t, &len);
			output_escape_json(out, t, len);
		}
	}
	buf_putc(out, '}');
}

static void
print_csv_row(struct buf *out, sqlite3_stmt *s)
{
	for (size_t i = 0; i < NCOLUMNS; i++) {
		if (i)
			buf_putc(out, ',');
		if (sqlite3_column_type(s, (int)i) == SQLITE_NULL)
			continue;
		if (i == C_TIME) {
			char iso[32];
			timeparse_format_iso(sqlite3_column_int64(s, (int)i), iso, sizeof(iso));
			buf_puts(out, iso);
		} else {
			const char *t;
			size_t len;
			column_text(s, (int)i, &t, &len);
			output_escape_csv(out, t, len);
		}
	}
	buf_putc(out, '\n');
}

#define W_TIME 19
#define W_DIR 3
#define W_KIND 25
#define W_PEER 40

/* "host[ip]:port", "[ip]", "host", or "(helo)" when only the HELO is known. */
static void
peer_text(struct buf *out, sqlite3_stmt *s)
{
	const char *t;
	size_t len;
	int any = 0;

	if (sqlite3_column_type(s, C_PEER_HOST) != SQLITE_NULL) {
		column_text(s, C_PEER_HOST, &t, &len);
		output_escape_text(out, t, len);
		any = 1;
	}
	if (sqlite3_column_type(s, C_PEER_IP) != SQLITE_NULL) {
		column_text(s, C_PEER_IP, &t, &len);
		buf_putc(out, '[');
		output_escape_text(out, t, len);
		buf_putc(out, ']');
		if (sqlite3_column_type(s, C_PEER_PORT) != SQLITE_NULL)
			buf_printf(out, ":%lld", (long long)sqlite3_column_int64(s, C_PEER_PORT));
		any = 1;
	}
	if (!any && sqlite3_column_type(s, C_HELO) != SQLITE_NULL) {
		column_text(s, C_HELO, &t, &len);
		buf_putc(out, '(');
		output_escape_text(out, t, len);
		buf_putc(out, ')');
		any = 1;
	}
	if (!any)
		buf_putc(out, '-');
}

static void
print_table_row(struct buf *out, sqlite3_stmt *s, size_t width)
{
	struct buf cell;
	char when[32];
	time_t t = (time_t)sqlite3_column_int64(s, C_TIME);
	struct tm tm;
	const char *txt;
	size_t len;

	buf_init(&cell);
	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)t);
	output_pad(out, when, strlen(when), W_TIME);
	buf_putc(out, ' ');
	column_text(s, C_DIRECTION, &txt, &len);
	output_pad(out, txt, len, W_DIR);
	buf_putc(out, ' ');
	column_text(s, C_KIND, &txt, &len);
	output_pad(out, txt, len, W_KIND);
	buf_putc(out, ' ');
	peer_text(&cell, s);
	output_pad(out, cell.data, cell.len, W_PEER);
	buf_putc(out, ' ');
	buf_reset(&cell);
	/* The reason, and for AUTH failures the user name tried. */
	if (sqlite3_column_type(s, C_REASON) != SQLITE_NULL) {
		column_text(s, C_REASON, &txt, &len);
		output_escape_text(&cell, txt, len);
	}
	if (sqlite3_column_type(s, C_USER) != SQLITE_NULL) {
		column_text(s, C_USER, &txt, &len);
		buf_puts(&cell, cell.len ? "; user=" : "user=");
		output_escape_text(&cell, txt, len);
	}
	/* A failure after which the mail went out in clear text says so. */
	if (sqlite3_column_int(s, C_DOWNGRADED) && sqlite3_column_text(s, C_KIND) != NULL &&
	    strcmp((const char *)sqlite3_column_text(s, C_KIND), "tls_downgraded") != 0)
		buf_puts(&cell, cell.len ? "; sent in clear text" : "sent in clear text");
	if (cell.len == 0)
		buf_putc(&cell, '-');
	size_t used = W_TIME + W_DIR + W_KIND + W_PEER + 4;
	if (width > used + 8)
		output_pad(out, cell.data, cell.len, width - used);
	else
		buf_append(out, cell.data, cell.len);
	while (out->len > 0 && out->data[out->len - 1] == ' ')
		out->len--;
	buf_putc(out, '\n');
	buf_free(&cell);
}

static void
print_table_header(struct buf *out)
{
	output_pad(out, "TIME (UTC)", 10, W_TIME);
	buf_putc(out, ' ');
	output_pad(out, "DIR", 3, W_DIR);
	buf_putc(out, ' ');
	output_pad(out, "KIND", 4, W_KIND);
	buf_putc(out, ' ');
	output_pad(out, "PEER", 4, W_PEER);
	buf_puts(out, " REASON\n");
}

/* Write and empty out; -1 when stdout failed (a closed pipe, a full disk). */
static int
flush_out(struct buf *out)
{
	if (out->len && fwrite(out->data, 1, out->len, stdout) != out->len)
		return -1;
	buf_reset(out);
	return 0;
}

/* ---- which events: the peer ---- */

enum peer_type { PEER_NAME, PEER_IP, PEER_NET, PEER_DOMAIN };

struct peer_sel {
	enum peer_type type;
	char text[INET6_ADDRSTRLEN + 260];	/* canonical address, or domain without the dot */
	char key[260];				/* PEER_DOMAIN: its registered domain, "" if none */
	int family;				/* PEER_NET */
	unsigned char addr[16];
	int prefix;
	char (*values)[INET6_ADDRSTRLEN + 2];	/* PEER_NET: the text bound to ?8, ?9, ... */
	size_t nvalues;
};

/* The first parameter number of a network's values (?1..?7 are the fixed ones). */
#define NET_FIRST_PARAM 8

/* A network "ADDR/LEN" with the host bits cleared; 0, or -1 when s is not one. */
static int
parse_net(const char *s, struct peer_sel *p)
{
	const char *slash = strchr(s, '/');
	char host[INET6_ADDRSTRLEN];
	char *end;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(host) || slash[1] < '0' || slash[1] > '9')
		return -1;
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	long len = strtol(slash + 1, &end, 10);
	if (*end != '\0')
		return -1;
	if (inet_pton(AF_INET, host, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, host, p->addr) == 1)
		p->family = AF_INET6;
	else
		return -1;
	int bits = p->family == AF_INET ? 32 : 128;
	if (len < 0 || len > bits)
		return -1;
	p->prefix = (int)len;
	for (int b = p->prefix; b < bits; b++)
		p->addr[b / 8] &= (unsigned char)~(0x80 >> (b % 8));
	inet_ntop(p->family, p->addr, p->text, sizeof(p->text));
	return 0;
}

/* 0, or -1 (logged) when PEER is a malformed network or domain. */
static int
parse_peer(const char *peer, struct peer_sel *p)
{
	unsigned char addr[16];

	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, peer, addr) == 1) {
		p->type = PEER_IP;
		inet_ntop(AF_INET, addr, p->text, sizeof(p->text));
	} else if (inet_pton(AF_INET6, peer, addr) == 1) {
		p->type = PEER_IP;
		inet_ntop(AF_INET6, addr, p->text, sizeof(p->text));
	} else if (strchr(peer, '/') != NULL) {
		p->type = PEER_NET;
		if (parse_net(peer, p) < 0) {
			log_warnx("--peer: \"%s\" is not a network (192.0.2.0/24, 2001:db8::/32)", peer);
			return -1;
		}
	} else if (peer[0] == '.') {
		size_t len = strlen(peer + 1);
		int ok = len > 0 && len < 254 && peer[1] != '.' && peer[len] != '.' &&
		    strstr(peer, "..") == NULL;
		for (size_t i = 1; ok && peer[i]; i++) {
			char c = peer[i];
			ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '.';
		}
		if (!ok) {
			log_warnx("--peer: \"%s\" is not a domain (.example.net)", peer);
			return -1;
		}
		p->type = PEER_DOMAIN;
		for (size_t i = 0; i <= len; i++) {
			char c = peer[i + 1];
			p->text[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
		if (domain_of(p->text, p->key, sizeof(p->key)) == NULL)
			p->key[0] = '\0';
	} else {
		p->type = PEER_NAME;
		util_strlcpy(p->text, peer, sizeof(p->text));
	}
	return 0;
}

/* Append the placeholder of a new bound value, text. */
static void
add_value(struct buf *sql, struct peer_sel *p, const char *text)
{
	p->values = xreallocarray(p->values, p->nvalues + 1, sizeof(*p->values));
	util_strlcpy(p->values[p->nvalues], text, sizeof(p->values[p->nvalues]));
	buf_printf(sql, "?%zu", NET_FIRST_PARAM + p->nvalues);
	p->nvalues++;
}

/* One range of address text: [lo, lo with its last character + 1), or lo alone if exact. */
static void
add_text_range(struct buf *sql, struct peer_sel *p, const char *lo, int exact, int *n)
{
	buf_puts(sql, (*n)++ ? " OR " : "");
	if (exact) {
		buf_puts(sql, "e.peer_ip = ");
		add_value(sql, p, lo);
	} else {
		char hi[INET6_ADDRSTRLEN + 2];
		util_strlcpy(hi, lo, sizeof(hi));
		hi[strlen(hi) - 1]++;
		buf_puts(sql, "(e.peer_ip >= ");
		add_value(sql, p, lo);
		buf_puts(sql, " AND e.peer_ip < ");
		add_value(sql, p, hi);
		buf_puts(sql, ")");
	}
}

/* The ranges of the first group of an IPv6 address g: "2001:" ("0:" and "::" for 0). */
static void
add_v6_group(struct buf *sql, struct peer_sel *p, unsigned g, int *n)
{
	char lo[16];

	if (g == 0) {
		add_text_range(sql, p, "0:", 0, n);
		add_text_range(sql, p, "::", 0, n);
	} else {
		snprintf(lo, sizeof(lo), "%x:", g);
		add_text_range(sql, p, lo, 0, n);
	}
}

/*
 * The WHERE terms that select a network by the events_peer_ip index (see the
 * top of this file). IPv4 text ranges are exact; IPv6 ones are narrowed by
 * tlslogd_in_net(), registered by register_net().
 */
static void
net_terms(struct buf *sql, struct peer_sel *p)
{
	int n = 0;

	buf_puts(sql, "(");
	if (p->family == AF_INET) {
		int whole = p->prefix <= 8 ? 8 : (p->prefix + 7) / 8 * 8;
		unsigned base = ((unsigned)p->addr[0] << 24) | ((unsigned)p->addr[1] << 16) |
		    ((unsigned)p->addr[2] << 8) | p->addr[3];
		unsigned count = 1u << (whole - p->prefix);
		for (unsigned i = 0; i < count; i++) {
			unsigned a = base + (whole == 32 ? i : i << (32 - whole));
			char lo[INET_ADDRSTRLEN + 1];
			if (whole == 32)
				snprintf(lo, sizeof(lo), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
				    (a >> 8) & 255, a & 255);
			else if (whole == 24)
				snprintf(lo, sizeof(lo), "%u.%u.%u.", a >> 24, (a >> 16) & 255,
				    (a >> 8) & 255);
			else if (whole == 16)
				snprintf(lo, sizeof(lo), "%u.%u.", a >> 24, (a >> 16) & 255);
			else
				snprintf(lo, sizeof(lo), "%u.", a >> 24);
			add_text_range(sql, p, lo, whole == 32, &n);
		}
		buf_puts(sql, ")");
		return;
	}
	if (p->prefix == 128) {
		add_text_range(sql, p, p->text, 1, &n);
		buf_puts(sql, ")");
		return;
	}
	unsigned g0 = ((unsigned)p->addr[0] << 8) | p->addr[1];
	if (p->prefix >= 16) {
		add_v6_group(sql, p, g0, &n);
	} else if (p->prefix >= 8) {
		for (unsigned i = 0; i < (1u << (16 - p->prefix)); i++)
			add_v6_group(sql, p, g0 + i, &n);
	} else {
		buf_puts(sql, "e.peer_ip IS NOT NULL");	/* a /7 or wider: the whole index */
	}
	buf_puts(sql, ") AND tlslogd_in_net(e.peer_ip)");
}

/* tlslogd_in_net(ip): 1 when ip is an IPv6 address in the network of the query. */
static void
sql_in_net(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct peer_sel *p = sqlite3_user_data(ctx);
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	unsigned char a[16];
	int in = 0;

	(void)argc;
	if (text != NULL && inet_pton(AF_INET6, text, a) == 1) {
		in = 1;
		for (int b = 0; b < p->prefix && in; b += 8) {
			int bits = p->prefix - b < 8 ? p->prefix - b : 8;
			unsigned char mask = (unsigned char)(0xff << (8 - bits));
			in = (a[b / 8] & mask) == (p->addr[b / 8] & mask);
		}
	}
	sqlite3_result_int(ctx, in);
}

/* The WHERE clause (after "WHERE ") for the peer and the filters; parameters ?1..?7. */
static void
where_clause(struct buf *sql, struct peer_sel *p, int since, int until, int kind,
    int server, int direction)
{
	switch (p->type) {
	case PEER_IP:
		buf_puts(sql, "e.peer_ip = ?1");
		break;
	case PEER_NAME:
		buf_puts(sql, "(e.peer_host = ?1 OR e.helo = ?1)");
		break;
	case PEER_NET:
		net_terms(sql, p);
		break;
	case PEER_DOMAIN:
		/* LIKE is case-insensitive for ASCII; the domain holds no % or _ (parse_peer). */
		if (p->key[0] != '\0')
			buf_puts(sql, "e.peer_domain = ?7");
		else
			buf_puts(sql, "e.peer_domain LIKE '%.' || ?1");
		buf_puts(sql, " AND (e.peer_host = ?1 OR e.peer_host LIKE '%.' || ?1)");
		break;
	}
	if (since)
		buf_puts(sql, " AND e.time >= ?2");
	if (until)
		buf_puts(sql, " AND e.time <= ?3");
	if (kind)
		buf_puts(sql, " AND e.kind = ?4");
	if (server)
		buf_puts(sql, " AND e.server = ?5");
	if (direction)
		buf_puts(sql, " AND e.direction = ?6");
}

/* ---- the diagnosis ---- */

/* One cause: a kind, seen in one direction by one MTA. */
struct cause {
	char *kind, *direction, *mta, *reason;	/* reason: the most frequent one, or NULL */
	char *ip, *host, *domain;		/* for the advice: NULL unless all events agree */
	int several;				/* bit 0: ip, 1: host, 2: domain differ */
	int64_t count, first, last;
	int64_t reasons;			/* distinct reasons seen */
};

static char *
column_dup(sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	return xstrndup((const char *)sqlite3_column_text(s, i), (size_t)sqlite3_column_bytes(s, i));
}

static int
same(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

static int
cause_cmp(const void *a, const void *b)
{
	const struct cause *x = a, *y = b;

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
cause_values(struct cause *c, sqlite3_stmt *s)
{
	const char *ip_lo = (const char *)sqlite3_column_text(s, 7);
	const char *ip_hi = (const char *)sqlite3_column_text(s, 8);
	const char *host_lo = (const char *)sqlite3_column_text(s, 9);
	const char *host_hi = (const char *)sqlite3_column_text(s, 10);
	char dom[256];
	const char *domain = advice_recipient_domain((const char *)sqlite3_column_text(s, 11), dom,
	    sizeof(dom));

	agree(&c->ip, ip_lo, &c->several, 1);
	agree(&c->ip, ip_hi, &c->several, 1);
	agree(&c->host, host_lo, &c->several, 2);
	agree(&c->host, host_hi, &c->several, 2);
	agree(&c->domain, domain, &c->several, 4);
}

/*
 * The causes among the selected events, most frequent first; -1 (logged) on
 * a database error. Grouped by reason in SQL, then folded per cause here (a
 * peer has a handful of causes, so no table is needed).
 */
static int
load_causes(sqlite3 *db, const char *dbpath, const char *where, struct cause **out, size_t *n,
    int (*bind)(sqlite3_stmt *, void *), void *ctx)
{
	struct buf sql;
	sqlite3_stmt *s = NULL;
	struct cause *c = NULL;
	size_t len = 0, cap = 0;
	int rc;

	buf_init(&sql);
	buf_puts(&sql, "SELECT e.kind, e.direction, e.mta, e.reason, count(*) AS n, min(e.time), "
	    "max(e.time), min(e.peer_ip), max(e.peer_ip), min(e.peer_host), max(e.peer_host), "
	    "max(CASE WHEN e.direction = 'out' THEN e.raw END) FROM events e WHERE ");
	buf_puts(&sql, where);	/* our own text: every value in it is a parameter */
	buf_puts(&sql, " GROUP BY e.kind, e.direction, e.mta, e.reason "
	    "ORDER BY e.kind, e.direction, e.mta, e.reason IS NULL, n DESC");
	if (sqlite3_prepare_v2(db, sql.data, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("%s: cannot query: %s", dbpath, sqlite3_errmsg(db));
		buf_free(&sql);
		return -1;
	}
	buf_free(&sql);
	bind(s, ctx);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(s, 0);
		const char *dir = (const char *)sqlite3_column_text(s, 1);
		const char *mta = (const char *)sqlite3_column_text(s, 2);
		struct cause *last = len ? &c[len - 1] : NULL;
		if (last == NULL || !same(last->kind, kind) || !same(last->direction, dir) ||
		    !same(last->mta, mta)) {
			if (len == cap) {
				cap = cap ? cap * 2 : 8;
				c = xreallocarray(c, cap, sizeof(*c));
			}
			last = &c[len++];
			memset(last, 0, sizeof(*last));
			last->kind = column_dup(s, 0);
			last->direction = column_dup(s, 1);
			last->mta = column_dup(s, 2);
			last->reason = column_dup(s, 3);
			last->first = sqlite3_column_int64(s, 5);
			last->last = sqlite3_column_int64(s, 6);
		}
		last->count += sqlite3_column_int64(s, 4);
		cause_values(last, s);
		if (sqlite3_column_type(s, 3) != SQLITE_NULL)
			last->reasons++;
		if (sqlite3_column_int64(s, 5) < last->first)
			last->first = sqlite3_column_int64(s, 5);
		if (sqlite3_column_int64(s, 6) > last->last)
			last->last = sqlite3_column_int64(s, 6);
	}
	if (rc != SQLITE_DONE)
		log_warnx("%s: cannot query: %s", dbpath, sqlite3_errmsg(db));
	sqlite3_finalize(s);
	if (len > 1)
		qsort(c, len, sizeof(*c), cause_cmp);
	*out = c;
	*n = len;
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
free_causes(struct cause *c, size_t n)
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

/* The advice for a cause with its peer's values (a new string), or NULL. */
static char *
cause_advice(const struct advice *adv, const struct cause *c)
{
	int kind = c->kind ? event_kind_from_name(c->kind, strlen(c->kind)) : -1;
	int dir = c->direction ? event_direction_from_name(c->direction) : -1;
	struct advice_values v = { c->ip, c->host, c->domain };

	if (kind < 0 || dir < 0)
		return NULL;
	return advice_render(adv, (enum event_kind)kind, (enum event_direction)dir, c->mta, &v);
}

static void
put_utc(struct buf *out, int64_t when)
{
	char text[32];
	time_t t = (time_t)when;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(text, sizeof(text), "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(text, sizeof(text), "%lld", (long long)when);
	buf_puts(out, text);
}

/* Our own text, wrapped at width with indent spaces before every line. */
static void
put_wrapped(struct buf *out, const char *text, size_t indent, size_t width)
{
	size_t col = 0;

	while (*text) {
		while (*text == ' ')
			text++;
		size_t n = strcspn(text, " ");
		if (n == 0)
			break;
		if (col == 0) {
			buf_printf(out, "%*s", (int)indent, "");
			col = indent;
		} else if (col + 1 + n > width) {
			buf_printf(out, "\n%*s", (int)indent, "");
			col = indent;
		} else {
			buf_putc(out, ' ');
			col++;
		}
		buf_append(out, text, n);
		col += n;
		text += n;
	}
	if (col)
		buf_putc(out, '\n');
}

/* Rows of a table when --limit is not given. */
#define QUERY_TABLE_ROWS 100

/* The table's diagnosis shows the most frequent causes only: it is read, not parsed. */
#define DIAGNOSIS_CAUSES 5

static void
print_diagnosis_table(struct buf *out, const char *peer, const struct cause *c, size_t n,
    int64_t total, unsigned long shown, size_t width, const struct advice *adv)
{
	if (width == 0 || width > 100)
		width = 78;
	buf_putc(out, '\n');
	if ((int64_t)shown < total)
		buf_printf(out, "(the %lu newest of %lld events; --limit N shows more)\n\n", shown,
		    (long long)total);
	buf_puts(out, "Diagnosis for ");
	output_escape_text(out, peer, strlen(peer));
	buf_printf(out, ": %lld event%s, %zu cause%s\n", (long long)total, total == 1 ? "" : "s", n,
	    n == 1 ? "" : "s");
	for (size_t i = 0; i < n && i < DIAGNOSIS_CAUSES; i++) {
		buf_puts(out, "\n  ");
		output_escape_text(out, c[i].kind ? c[i].kind : "-", c[i].kind ? strlen(c[i].kind) : 1);
		buf_printf(out, " (%s, ", c[i].direction ? c[i].direction : "-");
		output_escape_text(out, c[i].mta ? c[i].mta : "-", c[i].mta ? strlen(c[i].mta) : 1);
		buf_printf(out, "): %lld event%s, ", (long long)c[i].count, c[i].count == 1 ? "" : "s");
		put_utc(out, c[i].first);
		if (c[i].last != c[i].first) {
			buf_puts(out, " to ");
			put_utc(out, c[i].last);
		}
		buf_puts(out, " UTC\n");
		if (c[i].reason != NULL) {
			buf_puts(out, "    reason: ");
			output_escape_text(out, c[i].reason, strlen(c[i].reason));
			if (c[i].reasons > 1)
				buf_printf(out, " (and %lld other%s)", (long long)(c[i].reasons - 1),
				    c[i].reasons == 2 ? "" : "s");
			buf_putc(out, '\n');
		}
		char *advice = cause_advice(adv, &c[i]);
		if (advice != NULL)
			put_wrapped(out, advice, 4, width);
		free(advice);
	}
	if (n > DIAGNOSIS_CAUSES) {
		int64_t rest = 0;
		for (size_t i = DIAGNOSIS_CAUSES; i < n; i++)
			rest += c[i].count;
		buf_printf(out, "\n  and %zu more cause%s (%lld event%s): see --format json --diagnosis, "
		    "or narrow with --kind or --direction\n", n - DIAGNOSIS_CAUSES,
		    n - DIAGNOSIS_CAUSES == 1 ? "" : "s", (long long)rest, rest == 1 ? "" : "s");
	}
}

static void
json_string_or_null(struct buf *out, const char *s)
{
	if (s == NULL)
		buf_puts(out, "null");
	else
		output_escape_json(out, s, strlen(s));
}

static void
print_diagnosis_json(struct buf *out, const struct cause *c, size_t n, const struct advice *adv)
{
	buf_puts(out, "\"diagnosis\": [");
	for (size_t i = 0; i < n; i++) {
		char first[32], last[32];
		timeparse_format_iso(c[i].first, first, sizeof(first));
		timeparse_format_iso(c[i].last, last, sizeof(last));
		buf_puts(out, i ? ",\n  {\"kind\": " : "\n  {\"kind\": ");
		json_string_or_null(out, c[i].kind);
		buf_puts(out, ", \"direction\": ");
		json_string_or_null(out, c[i].direction);
		buf_puts(out, ", \"mta\": ");
		json_string_or_null(out, c[i].mta);
		buf_printf(out, ", \"count\": %lld, \"first\": \"%s\", \"last\": \"%s\", \"reason\": ",
		    (long long)c[i].count, first, last);
		json_string_or_null(out, c[i].reason);
		buf_printf(out, ", \"reasons\": %lld, \"advice\": ", (long long)c[i].reasons);
		char *advice = cause_advice(adv, &c[i]);
		json_string_or_null(out, advice);
		free(advice);
		buf_putc(out, '}');
	}
	buf_puts(out, n ? "\n]" : "]");
}

/* The values of the query's parameters, bound to each statement built from where_clause. */
struct params {
	const struct peer_sel *peer;
	const char *kind, *server, *direction;
	int since, until;
	int64_t t_since, t_until;
};

static int
bind_params(sqlite3_stmt *s, void *ctx)
{
	const struct params *p = ctx;

	sqlite3_bind_text(s, 1, p->peer->text, -1, SQLITE_STATIC);
	if (p->since)
		sqlite3_bind_int64(s, 2, p->t_since);
	if (p->until)
		sqlite3_bind_int64(s, 3, p->t_until);
	if (p->kind)
		sqlite3_bind_text(s, 4, p->kind, -1, SQLITE_STATIC);
	if (p->server)
		sqlite3_bind_text(s, 5, p->server, -1, SQLITE_STATIC);
	if (p->direction)
		sqlite3_bind_text(s, 6, p->direction, -1, SQLITE_STATIC);
	if (p->peer->type == PEER_DOMAIN && p->peer->key[0] != '\0')
		sqlite3_bind_text(s, 7, p->peer->key, -1, SQLITE_STATIC);
	for (size_t i = 0; i < p->peer->nvalues; i++)
		sqlite3_bind_text(s, (int)(NET_FIRST_PARAM + i), p->peer->values[i], -1,
		    SQLITE_STATIC);
	return 0;
}

int
cmd_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "kind", required_argument, NULL, 'k' },
		{ "direction", required_argument, NULL, 'd' },
		{ "server", required_argument, NULL, 'S' },
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "diagnosis", no_argument, NULL, 'G' },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct common_opts common = { 0 };
	const char *peer = NULL, *since = NULL, *until = NULL, *kind = NULL, *direction = NULL;
	const char *server = NULL;
	int format = OUTPUT_TABLE, ch, json_diagnosis = 0;
	long long limit = -1;
	int64_t now = (int64_t)time(NULL), t_since = 0, t_until = 0;
	char *end;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:n:f:c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p': peer = optarg; break;
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 'k': kind = optarg; break;
		case 'd': direction = optarg; break;
		case 'S': server = optarg; break;
		case 'n':
			limit = strtoll(optarg, &end, 10);
			if (end == optarg || *end != '\0' || limit < 1) {
				log_warnx("--limit: expected a number of events (1 or more), not \"%s\"",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			if ((format = output_format_from_name(optarg)) < 0) {
				log_warnx("--format: expected table, json or csv, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'G': json_diagnosis = 1; break;
		case 'c': common.config = optarg; break;
		case 'D': common.db = optarg; break;
		case 'h': fputs(query_usage, stdout); return EXIT_OK;
		default: fputs(query_usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_warnx("query: unexpected argument \"%s\"", argv[optind]);
		fputs(query_usage, stderr);
		return EXIT_USAGE;
	}
	if (peer == NULL || *peer == '\0') {
		log_warnx("query: --peer HOST|IP|CIDR|.DOMAIN is required");
		fputs(query_usage, stderr);
		return EXIT_USAGE;
	}
	if (kind != NULL && event_kind_from_name(kind, strlen(kind)) < 0) {
		log_warnx("--kind: unknown kind \"%s\" (see tlslogd.rules(5))", kind);
		return EXIT_USAGE;
	}
	if (direction != NULL && event_direction_from_name(direction) < 0) {
		log_warnx("--direction: expected in or out, not \"%s\"", direction);
		return EXIT_USAGE;
	}
	if (server != NULL && *server == '\0') {
		log_warnx("--server: expected a server name");
		return EXIT_USAGE;
	}
	struct peer_sel sel;
	memset(&sel, 0, sizeof(sel));
	if (parse_peer(peer, &sel) < 0)
		return EXIT_USAGE;

	struct conf conf;
	if (cmd_setup(&common, &conf) < 0) {
		conf_free(&conf);
		return EXIT_USAGE;
	}
	/* After the configuration: its time zone applies to dates without one. */
	const char *bad = NULL;
	if (since != NULL && timeparse_point(since, now, &t_since) < 0)
		bad = "since";
	else if (until != NULL && timeparse_point(until, now, &t_until) < 0)
		bad = "until";
	if (bad != NULL) {
		log_warnx("--%s: \"%s\" is neither a duration (24h, 7d) nor an ISO date", bad,
		    bad[0] == 's' ? since : until);
		conf_free(&conf);
		return EXIT_USAGE;
	}
	struct store *store = store_open(conf.database, STORE_READ_ONLY);
	if (store == NULL) {
		conf_free(&conf);
		return EXIT_TROUBLE;
	}
	sqlite3 *db = store_db(store);
	if (sel.type == PEER_NET && sqlite3_create_function(db, "tlslogd_in_net", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, &sel, sql_in_net, NULL, NULL) != SQLITE_OK) {
		log_warnx("%s: cannot query: %s", conf.database, sqlite3_errmsg(db));
		store_close(store);
		conf_free(&conf);
		return EXIT_TROUBLE;
	}

	struct params params = { &sel, kind, server, direction, since != NULL, until != NULL,
		t_since, t_until };
	struct buf where, sql;
	buf_init(&where);
	buf_init(&sql);
	where_clause(&where, &sel, since != NULL, until != NULL, kind != NULL, server != NULL,
	    direction != NULL);
	buf_puts(&sql, select_sql);
	buf_append(&sql, where.data, where.len);
	buf_puts(&sql, " ORDER BY e.time DESC, e.id DESC");
	/* A table is read on a terminal: the newest events, and the diagnosis of them all. */
	if (limit < 0 && format == OUTPUT_TABLE)
		limit = QUERY_TABLE_ROWS;
	if (limit > 0)
		buf_printf(&sql, " LIMIT %lld", limit);

	sqlite3_stmt *s = NULL;
	struct cause *causes = NULL;
	size_t ncauses = 0;
	struct advice *adv = NULL;
	int status = EXIT_OK;
	int want_causes = format == OUTPUT_TABLE || (format == OUTPUT_JSON && json_diagnosis);
	if (sqlite3_prepare_v2(db, sql.data, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("%s: cannot query: %s", conf.database, sqlite3_errmsg(db));
		status = EXIT_TROUBLE;
		goto done;
	}
	bind_params(s, &params);

	struct buf out;
	buf_init(&out);
	size_t width = output_terminal_width();
	unsigned long rows = 0;
	int rc;
	if (format == OUTPUT_JSON) {
		buf_puts(&out, json_diagnosis ? "{\"events\": [" : "[");
	} else if (format == OUTPUT_CSV) {
		for (size_t i = 0; i < NCOLUMNS; i++)
			buf_printf(&out, "%s%s", i ? "," : "", columns[i]);
		buf_putc(&out, '\n');
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (format == OUTPUT_TABLE && rows == 0)
			print_table_header(&out);
		if (format == OUTPUT_JSON)
			print_json_row(&out, s, rows == 0);
		else if (format == OUTPUT_CSV)
			print_csv_row(&out, s);
		else
			print_table_row(&out, s, width);
		rows++;
		if (out.len > 65536 && flush_out(&out) < 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("%s: cannot query: %s", conf.database, sqlite3_errmsg(db));
		status = EXIT_TROUBLE;
	}
	if (status == EXIT_OK && rows > 0 && want_causes &&
	    load_causes(db, conf.database, where.data, &causes, &ncauses, bind_params, &params) < 0)
		status = EXIT_TROUBLE;
	/* Without the advice files the diagnosis is still worth printing (advice_load logged why). */
	if (status == EXIT_OK && rows > 0 && want_causes &&
	    (adv = advice_load(conf.advice, conf.local_rules)) == NULL)
		log_warnx("the diagnosis goes without advice");
	if (format == OUTPUT_JSON) {
		buf_puts(&out, rows ? "\n]" : "]");
		if (json_diagnosis) {
			buf_puts(&out, ",\n");
			print_diagnosis_json(&out, causes, ncauses, adv);
			buf_putc(&out, '}');
		}
		buf_putc(&out, '\n');
	}
	if (format == OUTPUT_TABLE && rows > 0 && status == EXIT_OK) {
		int64_t total = 0;
		for (size_t i = 0; i < ncauses; i++)
			total += causes[i].count;
		print_diagnosis_table(&out, peer, causes, ncauses, total, rows, width, adv);
	}
	if (rows == 0 && status == EXIT_OK) {
		struct buf shown;
		buf_init(&shown);
		output_escape_text(&shown, peer, strlen(peer));
		if (format == OUTPUT_TABLE)
			buf_printf(&out, "No events for %s%s.\n", shown.data,
			    since || until || kind || direction || server ? " with these filters" : "");
		else
			log_warnx("no events for %s", shown.data);
		buf_free(&shown);
	}
	if (flush_out(&out) < 0 || fflush(stdout) != 0) {
		log_warn("cannot write the output");
		status = EXIT_TROUBLE;
	}
	buf_free(&out);
done:
	free_causes(causes, ncauses);
	advice_free(adv);
	sqlite3_finalize(s);
	buf_free(&sql);
	buf_free(&where);
	free(sel.values);
	store_close(store);
	conf_free(&conf);
	return status;
}

/*
 * cmd_query.c: `tlslogd query --peer HOST|IP`: the events of one peer,
 * newest first, as a table for a terminal, JSON or CSV. The database is
 * opened read-only; every value from the log is escaped for the output it
 * goes to (output.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "event.h"
#include "log.h"
#include "output.h"
#include "store.h"
#include "timeparse.h"
#include "util.h"

static const char query_usage[] =
    "usage: tlslogd query --peer HOST|IP [--since WHEN] [--until WHEN] [--kind KIND]\n"
    "                     [--format table|json|csv] [-c FILE] [--db PATH]\n"
    "\n"
    "Print the failures of one peer, newest first. HOST matches the peer's\n"
    "reverse name or its HELO name (case-insensitive); IP matches its address\n"
    "(IPv4 or IPv6). WHEN is a duration back from now (90s, 30m, 24h, 7d, 2w) or\n"
    "an ISO 8601 date or time (2026-11-22, 2026-11-22T06:40:07Z).\n"
    "\n"
    "  -p, --peer HOST|IP   the peer\n"
    "      --since WHEN     only events at or after WHEN\n"
    "      --until WHEN     only events at or before WHEN\n"
    "      --kind KIND      only events of this kind (see tlslogd.rules(5))\n"
    "  -f, --format FMT     table (default), json or csv\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "      --db PATH        database (default: from the configuration)\n"
    "  -h, --help           this help\n";

/* Result columns, in taxonomy.md order; the names are the JSON and CSV keys. */
static const char *const columns[] = {
	"time", "server", "mta", "program", "pid", "direction", "kind", "peer_host", "peer_ip",
	"peer_port", "helo", "user", "mech", "reason", "tls_version", "cipher", "queue_id",
	"source", "offset", "raw"
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))
enum { C_TIME, C_SERVER, C_MTA, C_PROGRAM, C_PID, C_DIRECTION, C_KIND, C_PEER_HOST, C_PEER_IP,
	C_PEER_PORT, C_HELO, C_USER, C_MECH, C_REASON };

static const char select_sql[] =
    "SELECT e.time, e.server, e.mta, e.program, e.pid, e.direction, e.kind, e.peer_host, "
    "e.peer_ip, e.peer_port, e.helo, e.user, e.mech, e.reason, e.tls_version, e.cipher, "
    "e.queue_id, f.path, e.offset, e.raw "
    "FROM events e LEFT JOIN files f ON f.id = e.file_id WHERE ";

static int
is_integer_column(size_t i)
{
	return i == C_TIME || i == C_PID || i == C_PEER_PORT || i == 18;
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

int
cmd_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "kind", required_argument, NULL, 'k' },
		{ "format", required_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct common_opts common = { 0 };
	const char *peer = NULL, *since = NULL, *until = NULL, *kind = NULL;
	int format = OUTPUT_TABLE, ch;
	int64_t now = (int64_t)time(NULL), t_since = 0, t_until = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:f:c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p': peer = optarg; break;
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 'k': kind = optarg; break;
		case 'f':
			if ((format = output_format_from_name(optarg)) < 0) {
				log_warnx("--format: expected table, json or csv, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
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
		log_warnx("query: --peer HOST|IP is required");
		fputs(query_usage, stderr);
		return EXIT_USAGE;
	}
	if (kind != NULL && event_kind_from_name(kind, strlen(kind)) < 0) {
		log_warnx("--kind: unknown kind \"%s\" (see tlslogd.rules(5))", kind);
		return EXIT_USAGE;
	}

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

	/* An address is compared in its canonical form, as stored. */
	unsigned char addr[16];
	char ip[INET6_ADDRSTRLEN];
	int is_ip = 0;
	if (inet_pton(AF_INET, peer, addr) == 1)
		is_ip = inet_ntop(AF_INET, addr, ip, sizeof(ip)) != NULL;
	else if (inet_pton(AF_INET6, peer, addr) == 1)
		is_ip = inet_ntop(AF_INET6, addr, ip, sizeof(ip)) != NULL;

	struct buf sql;
	buf_init(&sql);
	buf_puts(&sql, select_sql);
	buf_puts(&sql, is_ip ? "e.peer_ip = ?1" : "(e.peer_host = ?1 OR e.helo = ?1)");
	if (since)
		buf_puts(&sql, " AND e.time >= ?2");
	if (until)
		buf_puts(&sql, " AND e.time <= ?3");
	if (kind)
		buf_puts(&sql, " AND e.kind = ?4");
	buf_puts(&sql, " ORDER BY e.time DESC, e.id DESC");

	sqlite3 *db = store_db(store);
	sqlite3_stmt *s = NULL;
	int status = EXIT_OK;
	if (sqlite3_prepare_v2(db, sql.data, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("%s: cannot query: %s", conf.database, sqlite3_errmsg(db));
		status = EXIT_TROUBLE;
		goto done;
	}
	sqlite3_bind_text(s, 1, is_ip ? ip : peer, -1, SQLITE_TRANSIENT);
	if (since)
		sqlite3_bind_int64(s, 2, t_since);
	if (until)
		sqlite3_bind_int64(s, 3, t_until);
	if (kind)
		sqlite3_bind_text(s, 4, kind, -1, SQLITE_STATIC);

	struct buf out;
	buf_init(&out);
	size_t width = output_terminal_width();
	unsigned long rows = 0;
	int rc;
	if (format == OUTPUT_JSON) {
		buf_putc(&out, '[');
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
	if (format == OUTPUT_JSON)
		buf_puts(&out, rows ? "\n]\n" : "]\n");
	if (rows == 0 && status == EXIT_OK) {
		struct buf shown;
		buf_init(&shown);
		output_escape_text(&shown, peer, strlen(peer));
		if (format == OUTPUT_TABLE)
			buf_printf(&out, "No events for %s%s.\n", shown.data, since || until || kind ?
			    " with these filters" : "");
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
	sqlite3_finalize(s);
	buf_free(&sql);
	store_close(store);
	conf_free(&conf);
	return status;
}

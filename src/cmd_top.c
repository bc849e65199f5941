/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_top.c: `tlslogd top`: the peers (or kinds, servers, domains) with the
 * most failures since a point in time, worst first.
 *
 * One GROUP BY in SQLite over the events since --since, read through the
 * events_time index (INDEXED BY: with ANALYZE statistics SQLite would rather
 * skip-scan another index such as events_peer_domain and then read the
 * table in random order, 2 to 4 times slower on 10 million events), so the
 * cost follows the events of the period, not the size of the database; the
 * index holds the kind too (schema 6). A peer is its address, or where none was logged its
 * reverse name, or its HELO name; a domain is the registered domain of the
 * reverse name (peer_domain, the one flagging uses: ".example.net").
 */
#include "config.h"

#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "log.h"
#include "output.h"
#include "store.h"
#include "timeparse.h"
#include "util.h"

static const char top_usage[] =
    "usage: tlslogd top [--since WHEN] [--by peer|kind|server|domain] [--limit N]\n"
    "                   [--format table|json|csv] [-c FILE] [--db PATH]\n"
    "\n"
    "Count the failures since WHEN (default 24h) by peer, kind, server or domain,\n"
    "worst first. WHEN is a duration back from now (90s, 30m, 24h, 7d, 2w) or an\n"
    "ISO 8601 date or time (2026-11-22, 2026-11-22T06:40:07Z). A peer is its IP\n"
    "address (or its reverse or HELO name when no address was logged); a domain\n"
    "is the registered domain of the reverse names (.example.net).\n"
    "\n"
    "  -s, --since WHEN     count the events at or after WHEN (default 24h)\n"
    "  -b, --by WHAT        peer (default), kind, server or domain\n"
    "  -n, --limit N        the N worst (default 20; 0: all)\n"
    "  -f, --format FMT     table (default), json or csv\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "      --db PATH        database (default: from the configuration)\n"
    "  -h, --help           this help\n";

enum top_by { BY_PEER, BY_KIND, BY_SERVER, BY_DOMAIN };

static const char *const by_names[] = { "peer", "kind", "server", "domain" };

/*
 * ?1: since, ?2: limit (-1: all). Column 0 is the key, 1 the count, 2 the
 * host (by peer: a reverse name seen) or the number of distinct peers, 3 and
 * 4 the first and last event.
 */
static const char *const top_sql[] = {
	[BY_PEER] = "SELECT coalesce(peer_ip, peer_host, helo) AS k, count(*) AS n, max(peer_host), "
	    "min(time), max(time) FROM events INDEXED BY events_time WHERE time >= ?1 "
	    "GROUP BY k ORDER BY n DESC, max(time) DESC, k LIMIT ?2",
	[BY_KIND] = "SELECT kind AS k, count(*) AS n, "
	    "count(DISTINCT coalesce(peer_ip, peer_host, helo)), min(time), max(time) "
	    "FROM events INDEXED BY events_time WHERE time >= ?1 GROUP BY k ORDER BY n DESC, k LIMIT ?2",
	[BY_SERVER] = "SELECT server AS k, count(*) AS n, "
	    "count(DISTINCT coalesce(peer_ip, peer_host, helo)), min(time), max(time) "
	    "FROM events INDEXED BY events_time WHERE time >= ?1 GROUP BY k ORDER BY n DESC, k LIMIT ?2",
	[BY_DOMAIN] = "SELECT peer_domain AS k, count(*) AS n, "
	    "count(DISTINCT coalesce(peer_ip, peer_host, helo)), min(time), max(time) "
	    "FROM events INDEXED BY events_time WHERE time >= ?1 AND peer_domain IS NOT NULL "
	    "GROUP BY k ORDER BY n DESC, max(time) DESC, k LIMIT ?2",
};

/* Text of a column, escaped for fmt; NULL is "-" in a table, null in JSON, empty in CSV. */
static void
put_text(struct buf *out, sqlite3_stmt *s, int c, enum output_format fmt)
{
	if (sqlite3_column_type(s, c) == SQLITE_NULL) {
		buf_puts(out, fmt == OUTPUT_JSON ? "null" : fmt == OUTPUT_TABLE ? "-" : "");
		return;
	}
	const char *t = (const char *)sqlite3_column_text(s, c);
	size_t len = (size_t)sqlite3_column_bytes(s, c);
	if (fmt == OUTPUT_JSON)
		output_escape_json(out, t, len);
	else if (fmt == OUTPUT_CSV)
		output_escape_csv(out, t, len);
	else
		output_escape_text(out, t, len);
}

static void
put_row(struct buf *out, sqlite3_stmt *s, enum top_by by, enum output_format fmt, size_t n)
{
	const char *third = by == BY_PEER ? "host" : "peers";
	char first[32], last[32];

	timeparse_format_iso(sqlite3_column_int64(s, 3), first, sizeof(first));
	timeparse_format_iso(sqlite3_column_int64(s, 4), last, sizeof(last));
	if (fmt == OUTPUT_JSON) {
		buf_printf(out, "%s{\"%s\": ", n ? ",\n  " : "\n  ", by_names[by]);
		put_text(out, s, 0, fmt);
		buf_printf(out, ", \"count\": %lld, \"%s\": ", (long long)sqlite3_column_int64(s, 1),
		    third);
		if (by == BY_PEER)
			put_text(out, s, 2, fmt);
		else
			buf_printf(out, "%lld", (long long)sqlite3_column_int64(s, 2));
		buf_printf(out, ", \"first\": \"%s\", \"last\": \"%s\"}", first, last);
	} else if (fmt == OUTPUT_CSV) {
		put_text(out, s, 0, fmt);
		buf_printf(out, ",%lld,", (long long)sqlite3_column_int64(s, 1));
		put_text(out, s, 2, fmt);
		buf_printf(out, ",%s,%s\n", first, last);
	} else {
		struct buf cell;
		buf_init(&cell);
		put_text(&cell, s, 0, fmt);
		output_pad(out, cell.data, cell.len, 40);
		buf_printf(out, " %9lld ", (long long)sqlite3_column_int64(s, 1));
		buf_reset(&cell);
		if (by == BY_PEER)
			put_text(&cell, s, 2, fmt);
		else
			buf_printf(&cell, "%6lld", (long long)sqlite3_column_int64(s, 2));
		output_pad(out, cell.data, cell.len, by == BY_PEER ? 32 : 6);
		buf_printf(out, " %s %s\n", first, last);
		buf_free(&cell);
	}
}

static void
put_header(struct buf *out, enum top_by by, enum output_format fmt)
{
	const char *third = by == BY_PEER ? "host" : "peers";

	if (fmt == OUTPUT_CSV) {
		buf_printf(out, "%s,count,%s,first,last\n", by_names[by], third);
	} else if (fmt == OUTPUT_TABLE) {
		char name[16];
		size_t i;
		for (i = 0; by_names[by][i] != '\0' && i < sizeof(name) - 1; i++)
			name[i] = (char)(by_names[by][i] - 'a' + 'A');
		name[i] = '\0';
		output_pad(out, name, strlen(name), 40);
		buf_puts(out, "     COUNT ");
		output_pad(out, by == BY_PEER ? "HOST" : " PEERS", by == BY_PEER ? 4 : 6,
		    by == BY_PEER ? 32 : 6);
		buf_puts(out, " FIRST                LAST\n");
	}
}

int
cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "by", required_argument, NULL, 'b' },
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct common_opts common = { 0 };
	const char *since = "24h";
	enum top_by by = BY_PEER;
	enum output_format fmt = OUTPUT_TABLE;
	long long limit = 20;
	int64_t now = (int64_t)time(NULL), t_since;
	int ch, f;
	char *end;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "s:b:n:f:c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': since = optarg; break;
		case 'b': {
			size_t i;
			for (i = 0; i < sizeof(by_names) / sizeof(by_names[0]); i++)
				if (strcmp(optarg, by_names[i]) == 0)
					break;
			if (i == sizeof(by_names) / sizeof(by_names[0])) {
				log_warnx("--by: expected peer, kind, server or domain, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			by = (enum top_by)i;
			break;
		}
		case 'n':
			limit = strtoll(optarg, &end, 10);
			if (end == optarg || *end != '\0' || limit < 0) {
				log_warnx("--limit: expected a number (0: all), not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			if ((f = output_format_from_name(optarg)) < 0) {
				log_warnx("--format: expected table, json or csv, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			fmt = (enum output_format)f;
			break;
		case 'c': common.config = optarg; break;
		case 'D': common.db = optarg; break;
		case 'h': fputs(top_usage, stdout); return EXIT_OK;
		default: fputs(top_usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_warnx("top: unexpected argument \"%s\"", argv[optind]);
		fputs(top_usage, stderr);
		return EXIT_USAGE;
	}

	struct conf conf;
	if (cmd_setup(&common, &conf) < 0) {
		conf_free(&conf);
		return EXIT_USAGE;
	}
	/* After the configuration: its time zone applies to dates without one. */
	if (timeparse_point(since, now, &t_since) < 0) {
		log_warnx("--since: \"%s\" is neither a duration (24h, 7d) nor an ISO date", since);
		conf_free(&conf);
		return EXIT_USAGE;
	}
	struct store *store = store_open(conf.database, STORE_READ_ONLY);
	if (store == NULL) {
		conf_free(&conf);
		return EXIT_TROUBLE;
	}

	sqlite3 *db = store_db(store);
	sqlite3_stmt *s = NULL;
	int status = EXIT_OK, rc;
	struct buf out;
	size_t n = 0;

	buf_init(&out);
	if (sqlite3_prepare_v2(db, top_sql[by], -1, &s, NULL) != SQLITE_OK) {
		log_warnx("%s: cannot query: %s", conf.database, sqlite3_errmsg(db));
		status = EXIT_TROUBLE;
		goto done;
	}
	sqlite3_bind_int64(s, 1, t_since);
	sqlite3_bind_int64(s, 2, limit > 0 ? limit : -1);
	if (fmt == OUTPUT_JSON)
		buf_putc(&out, '[');
	else if (fmt == OUTPUT_CSV)
		put_header(&out, by, fmt);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (fmt == OUTPUT_TABLE && n == 0)
			put_header(&out, by, fmt);
		put_row(&out, s, by, fmt, n++);
	}
	if (rc != SQLITE_DONE) {
		log_warnx("%s: cannot query: %s", conf.database, sqlite3_errmsg(db));
		status = EXIT_TROUBLE;
	}
	if (fmt == OUTPUT_JSON)
		buf_puts(&out, n ? "\n]\n" : "]\n");
	else if (fmt == OUTPUT_TABLE && n == 0 && status == EXIT_OK)
		buf_puts(&out, "No events in this period.\n");
	if (output_write_stdout(&out) < 0)
		status = EXIT_TROUBLE;
done:
	buf_free(&out);
	sqlite3_finalize(s);
	store_close(store);
	conf_free(&conf);
	return status;
}

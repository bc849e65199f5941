/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_top.c: `tlslogd top`: the peers (or kinds, servers, domains, users)
 * with the most failures in a period, worst first, of some kinds or all.
 *
 * One GROUP BY in SQLite over the events of the period (reportdb_top says
 * how it stays cheap). A peer is its address, or where none was logged its
 * reverse name, or its HELO name; a domain is the registered domain of the
 * reverse name (peer_domain, the one flagging uses: ".example.net"); a user
 * is the account an AUTH failure named, with the number of addresses that
 * tried it (one account from many addresses: password spraying). The table
 * starts with the period in local time and says which zone that is.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "log.h"
#include "output.h"
#include "reportdb.h"
#include "timeparse.h"
#include "util.h"

static const char top_usage[] =
    "usage: tlslogd top [--since WHEN] [--until WHEN] [--kind KIND[,KIND]...]\n"
    "                   [--by peer|kind|server|domain|user] [--peer PEER]\n"
    "                   [--server NAME] [--direction in|out] [--limit N]\n"
    "                   [--format table|json|jsonl|csv] [-n] [-c FILE] [--db PATH]\n"
    "\n"
    "Count the failures since WHEN (default 24h) by peer, kind, server, domain or\n"
    "user, worst first. WHEN is today, yesterday, a weekday (monday: its 00:00),\n"
    "a duration back from now (90m, 36h, 2d, 2w) or an ISO 8601 date or time\n"
    "(2026-11-22, 2026-11-22T06:40:07Z), in the local time zone (TZ, else the\n"
    "system's; the table's first line names it). A peer is its IP address (or its\n"
    "reverse or HELO name when no address was logged); a domain is the registered\n"
    "domain of the reverse names (.example.net); a user is the account AUTH\n"
    "failures named, with the number of addresses that tried it. With --peer, only\n"
    "that peer's failures: --by server --peer PEER shows where a peer fails.\n"
    "\n"
    "  -s, --since WHEN     count the events at or after WHEN (default 24h)\n"
    "  -u, --until WHEN     ... and at or before WHEN (default: now)\n"
    "  -k, --kind KIND      only these kinds: tls, auth, or kinds of tlslogd.rules(5),\n"
    "                       comma-separated or --kind again\n"
    "  -b, --by WHAT        peer (default), kind, server, domain or user\n"
    "  -p, --peer PEER      only this peer: an address, a network (192.0.2.0/24),\n"
    "                       a domain (example.net) or a name, as in tlslogd query\n"
    "      --server NAME    only events logged by this server (case-insensitive)\n"
    "      --direction DIR  only in (to this server) or out (from it)\n"
    "  -l, --limit N        the N worst (default 20; 0: all)\n"
    "  -f, --format FMT     table (default), json, jsonl (one JSON object a line) or csv\n"
    "  -n, --check          check the options, configuration and database, then exit\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "      --db PATH        database (default: from the configuration)\n"
    "  -h, --help           this help\n";

#define BY_PEER REPORTDB_BY_PEER
#define top_by reportdb_top_by

static const char *const by_names[] = { "peer", "kind", "server", "domain", "user" };

/* The third column: a host name by peer, addresses by user, else peers. */
static const char *
third_name(enum top_by by)
{
	return by == BY_PEER ? "host" : by == REPORTDB_BY_USER ? "addresses" : "peers";
}

/*
 * The width of the key column: 40 when not on a terminal (a longer key is
 * then printed whole, never cut); on a terminal, what the other columns
 * (count, host, the two times: 84) leave, between 24 and 64.
 */
static size_t
key_width(size_t width)
{
	if (width == 0 || width < 84 + 24)
		return width == 0 ? 40 : 24;
	return width - 84 > 64 ? 64 : width - 84;
}

/* cell padded to w; cut (marked "~") only on a terminal (width != 0). */
static void
pad_cell(struct buf *out, const struct buf *cell, size_t w, size_t width)
{
	size_t cols = 0;

	for (size_t i = 0; i < cell->len; i++)
		cols += ((unsigned char)cell->data[i] & 0xC0) != 0x80;
	if (width == 0 && cols > w)
		buf_append(out, cell->data, cell->len);
	else
		output_pad(out, cell->data, cell->len, w);
}

static void
put_row(struct buf *out, const struct reportdb_rows *s, enum top_by by, enum output_format fmt,
    size_t n, size_t width)
{
	const char *third = third_name(by);
	char first[32], last[32];

	timeparse_format_iso(reportdb_int(s, 3), first, sizeof(first));
	timeparse_format_iso(reportdb_int(s, 4), last, sizeof(last));
	if (fmt == OUTPUT_JSON || fmt == OUTPUT_JSONL) {
		if (fmt == OUTPUT_JSON)
			buf_puts(out, n ? ",\n  " : "\n  ");
		buf_printf(out, "{\"%s\": ", by_names[by]);
		cmd_put_text(out, s, 0, fmt);
		buf_printf(out, ", \"count\": %lld, \"%s\": ", (long long)reportdb_int(s, 1),
		    third);
		if (by == BY_PEER)
			cmd_put_text(out, s, 2, fmt);
		else
			buf_printf(out, "%lld", (long long)reportdb_int(s, 2));
		buf_printf(out, ", \"first\": \"%s\", \"last\": \"%s\"}%s", first, last,
		    fmt == OUTPUT_JSONL ? "\n" : "");
	} else if (fmt == OUTPUT_CSV) {
		cmd_put_text(out, s, 0, fmt);
		buf_printf(out, ",%lld,", (long long)reportdb_int(s, 1));
		cmd_put_text(out, s, 2, fmt);
		buf_printf(out, ",%s,%s\n", first, last);
	} else {
		struct buf cell;
		buf_init(&cell);
		cmd_put_text(&cell, s, 0, fmt);
		pad_cell(out, &cell, key_width(width), width);
		buf_printf(out, " %9lld ", (long long)reportdb_int(s, 1));
		buf_reset(&cell);
		if (by == BY_PEER)
			cmd_put_text(&cell, s, 2, fmt);
		else
			buf_printf(&cell, "%6lld", (long long)reportdb_int(s, 2));
		pad_cell(out, &cell, by == BY_PEER ? 32 : 6, width);
		buf_printf(out, " %s %s\n", first, last);
		buf_free(&cell);
	}
}

static void
put_header(struct buf *out, enum top_by by, enum output_format fmt, size_t width)
{
	const char *third = third_name(by);

	if (fmt == OUTPUT_CSV) {
		buf_printf(out, "%s,count,%s,first,last\n", by_names[by], third);
	} else if (fmt == OUTPUT_TABLE) {
		char name[16];
		size_t i;
		for (i = 0; by_names[by][i] != '\0' && i < sizeof(name) - 1; i++)
			name[i] = (char)(by_names[by][i] - 'a' + 'A');
		name[i] = '\0';
		output_pad(out, name, strlen(name), key_width(width));
		buf_puts(out, "     COUNT ");
		output_pad(out, by == BY_PEER ? "HOST" : by == REPORTDB_BY_USER ? " ADDRS" : " PEERS",
		    by == BY_PEER ? 4 : 6, by == BY_PEER ? 32 : 6);
		buf_puts(out, " FIRST                LAST\n");
	}
}

/*
 * The table's first line: the period in local time, whose zone it names,
 * and the kinds counted as given ("Since 2026-12-07 00:00 CET, until now;
 * kinds: tls").
 */
static void
put_period(struct buf *out, const struct reportdb_filter *f, const char *kinds)
{
	char t[64];

	timeparse_format_local(f->t_since, t, sizeof(t));
	buf_printf(out, "Since %s, until ", t);
	if (f->until) {
		timeparse_format_local(f->t_until, t, sizeof(t));
		buf_puts(out, t);
	} else {
		buf_puts(out, "now");
	}
	if (*kinds) {
		buf_puts(out, "; kinds: ");
		output_escape_text(out, kinds, strlen(kinds));
	}
	buf_puts(out, "\n");
}

int
cmd_top(int argc, char **argv)
{
	static const char optstring[] = "s:u:k:b:p:l:f:nc:h";
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "kind", required_argument, NULL, 'k' },
		{ "by", required_argument, NULL, 'b' },
		{ "peer", required_argument, NULL, 'p' },
		{ "server", required_argument, NULL, 'S' },
		{ "direction", required_argument, NULL, 'd' },
		{ "limit", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct common_opts common = { 0 };
	const char *since = "24h", *until = NULL, *peer = NULL;
	struct reportdb_filter filter;
	char kinds[256] = "";	/* the --kind values, for the table's first line */
	size_t len;
	enum top_by by = BY_PEER;
	enum output_format fmt = OUTPUT_TABLE;
	long long limit = 20;
	int ch, f, check = 0;

	memset(&filter, 0, sizeof(filter));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (ch) {
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 'k':
			if (reportdb_parse_kinds(optarg, &filter.kinds) < 0)
				return EXIT_USAGE;
			len = strlen(kinds);
			snprintf(kinds + len, sizeof(kinds) - len, "%s%s", len ? "," : "", optarg);
			break;
		case 'b': {
			size_t i;
			for (i = 0; i < sizeof(by_names) / sizeof(by_names[0]); i++)
				if (strcmp(optarg, by_names[i]) == 0)
					break;
			if (i == sizeof(by_names) / sizeof(by_names[0])) {
				log_warnx("--by: expected peer, kind, server, domain or user, not \"%s\"",
				    optarg);
				return EXIT_USAGE;
			}
			by = (enum top_by)i;
			break;
		}
		case 'p': peer = optarg; break;
		case 'S': filter.server = optarg; break;
		case 'd': filter.direction = optarg; break;
		case 'l':
			if (cmd_limit_option(optarg, &limit) < 0)
				return EXIT_USAGE;
			break;
		case 'f':
			if ((f = cmd_format_option(optarg)) < 0)
				return EXIT_USAGE;
			fmt = (enum output_format)f;
			break;
		case 'n': check = 1; break;
		case 'c': common.config = optarg; break;
		case 'D': common.db = optarg; break;
		case 'h': fputs(top_usage, stdout); return EXIT_OK;
		default: return cmd_bad_option("top", optstring, argc, argv);
		}
	}
	if (optind < argc) {
		log_warnx("top: unexpected argument \"%s\"; see tlslogd top --help", argv[optind]);
		return EXIT_USAGE;
	}
	if (cmd_filter_options(&filter, peer) < 0)
		return EXIT_USAGE;

	struct conf conf;
	struct reportdb *db;
	struct cmd_when when[] = {
		{ "since", since, &filter.t_since }, { "until", until, &filter.t_until }
	};
	int status = cmd_open_db(&common, &conf, when, 2, &db);
	if (status != EXIT_OK)
		return status;
	filter.since = 1;
	filter.until = until != NULL;
	if (check)
		return cmd_close_db(db, &conf, cmd_checked("top"));

	struct reportdb_rows *s = reportdb_top(db, by, &filter, limit);
	struct buf out;
	size_t n = 0, width = output_terminal_width();
	int rc = -1;

	buf_init(&out);
	if (fmt == OUTPUT_JSON)
		buf_putc(&out, '[');
	else if (fmt == OUTPUT_CSV)
		put_header(&out, by, fmt, width);
	if (fmt == OUTPUT_TABLE)
		put_period(&out, &filter, kinds);
	while (s != NULL && (rc = reportdb_next(s)) == 1) {
		if (fmt == OUTPUT_TABLE && n == 0)
			put_header(&out, by, fmt, width);
		put_row(&out, s, by, fmt, n++, width);
	}
	if (rc != 0)
		status = EXIT_TROUBLE;
	if (fmt == OUTPUT_JSON)
		buf_puts(&out, n ? "\n]\n" : "]\n");
	else if (fmt == OUTPUT_TABLE && n == 0 && status == EXIT_OK)
		buf_puts(&out, "No events in this period.\n");
	if (status == EXIT_OK && output_write_stdout(&out) < 0)
		status = EXIT_TROUBLE;
	buf_free(&out);
	reportdb_rows_free(s);
	return cmd_close_db(db, &conf, status);
}

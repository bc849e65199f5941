/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_flagged.c: `tlslogd flagged`: the peers flagged now (or, with --all,
 * every flag with its history), worst first. A flag whose quiet period has
 * passed counts as cleared even if no tlslogd has written that down yet, so
 * the answer does not depend on when the daemon last looked.
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

static const char flagged_usage[] =
    "usage: tlslogd flagged [--all] [--format table|json|csv] [-c FILE] [--db PATH]\n"
    "\n"
    "Print the peers flagged now, worst first: an IP address or a domain that\n"
    "crossed a \"flag\" threshold of the configuration and has not been quiet for\n"
    "flag_quiet since. With --all, every flag, cleared ones too, newest first.\n"
    "\n"
    "  -a, --all            every flag, with when it was cleared\n"
    "  -f, --format FMT     table (default), json or csv\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "      --db PATH        database (default: from the configuration)\n"
    "  -h, --help           this help\n";

static const char *const columns[] = {
	"peer", "peer_kind", "threshold", "count", "first_event", "last_event", "flagged",
	"cleared", "main_kind", "host", "why"
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))
enum { C_PEER, C_PEER_KIND, C_THRESHOLD, C_COUNT, C_FIRST, C_LAST, C_FLAGGED, C_CLEARED,
	C_MAIN_KIND, C_HOST, C_WHY };

/* ?1: now, ?2: flag_quiet. "cleared" is computed: the row's, or last_event + quiet if passed. */
static const char active_sql[] =
    "SELECT peer, peer_kind, threshold, count, first_event, last_event, flagged, NULL, "
    "main_kind, host, why FROM flags WHERE cleared IS NULL AND last_event + ?2 > ?1 "
    "ORDER BY count DESC, last_event DESC";
static const char all_sql[] =
    "SELECT peer, peer_kind, threshold, count, first_event, last_event, flagged, "
    "coalesce(cleared, CASE WHEN last_event + ?2 <= ?1 THEN last_event + ?2 END), "
    "main_kind, host, why FROM flags ORDER BY flagged DESC, id DESC";

static int
is_time(size_t c)
{
	return c == C_FIRST || c == C_LAST || c == C_FLAGGED || c == C_CLEARED;
}

static void
put_cell(struct buf *out, sqlite3_stmt *s, size_t c, enum output_format fmt)
{
	if (sqlite3_column_type(s, (int)c) == SQLITE_NULL) {
		buf_puts(out, fmt == OUTPUT_JSON ? "null" : fmt == OUTPUT_TABLE ? "-" : "");
		return;
	}
	if (is_time(c)) {
		char iso[32];
		timeparse_format_iso(sqlite3_column_int64(s, (int)c), iso, sizeof(iso));
		buf_printf(out, fmt == OUTPUT_JSON ? "\"%s\"" : "%s", iso);
		return;
	}
	if (c == C_COUNT) {
		buf_printf(out, "%lld", (long long)sqlite3_column_int64(s, (int)c));
		return;
	}
	const char *t = (const char *)sqlite3_column_text(s, (int)c);
	size_t len = (size_t)sqlite3_column_bytes(s, (int)c);
	if (fmt == OUTPUT_JSON)
		output_escape_json(out, t, len);
	else if (fmt == OUTPUT_CSV)
		output_escape_csv(out, t, len);
	else
		output_escape_text(out, t, len);
}

static void
put_row(struct buf *out, sqlite3_stmt *s, enum output_format fmt, int all, size_t n)
{
	if (fmt == OUTPUT_JSON) {
		buf_puts(out, n ? ",\n  {" : "\n  {");
		for (size_t c = 0; c < NCOLUMNS; c++) {
			if (c == C_CLEARED && !all)
				continue;
			buf_printf(out, "%s\"%s\": ", c ? ", " : "", columns[c]);
			put_cell(out, s, c, fmt);
		}
		buf_putc(out, '}');
	} else if (fmt == OUTPUT_CSV) {
		for (size_t c = 0; c < NCOLUMNS; c++) {
			if (c == C_CLEARED && !all)
				continue;
			if (c)
				buf_putc(out, ',');
			put_cell(out, s, c, fmt);
		}
		buf_putc(out, '\n');
	} else {
		struct buf cell;
		buf_init(&cell);
		static const size_t widths[] = { 26, 0, 10, 7, 21, 21 };
		size_t order[] = { C_PEER, C_THRESHOLD, C_COUNT, C_FIRST, C_LAST };
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			buf_reset(&cell);
			put_cell(&cell, s, order[i], fmt);
			output_pad(out, cell.data, cell.len, widths[i == 0 ? 0 : i + 1]);
			buf_putc(out, ' ');
		}
		if (all) {
			buf_reset(&cell);
			put_cell(&cell, s, C_CLEARED, fmt);
			output_pad(out, cell.data, cell.len, 21);
			buf_putc(out, ' ');
		}
		put_cell(out, s, C_WHY, fmt);
		buf_puts(out, ", mostly ");
		put_cell(out, s, C_MAIN_KIND, fmt);
		if (sqlite3_column_type(s, C_HOST) != SQLITE_NULL) {
			buf_puts(out, ", host ");
			put_cell(out, s, C_HOST, fmt);
		}
		buf_putc(out, '\n');
		buf_free(&cell);
	}
}

int
cmd_flagged(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct common_opts common;
	int ch, all = 0;
	enum output_format fmt = OUTPUT_TABLE;

	memset(&common, 0, sizeof(common));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "af:c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': all = 1; break;
		case 'f': {
			int f = output_format_from_name(optarg);
			if (f < 0) {
				log_warnx("--format: expected table, json or csv, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			fmt = (enum output_format)f;
			break;
		}
		case 'c': common.config = optarg; break;
		case 'D': common.db = optarg; break;
		case 'h': fputs(flagged_usage, stdout); return EXIT_OK;
		default: fputs(flagged_usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_warnx("flagged: unexpected argument \"%s\"", argv[optind]);
		return EXIT_USAGE;
	}
	struct conf conf;
	if (cmd_setup(&common, &conf) < 0) {
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
	if (sqlite3_prepare_v2(db, all ? all_sql : active_sql, -1, &s, NULL) != SQLITE_OK) {
		log_warnx("%s: cannot read the flags: %s", conf.database, sqlite3_errmsg(db));
		status = EXIT_TROUBLE;
		goto done;
	}
	sqlite3_bind_int64(s, 1, (int64_t)time(NULL));
	sqlite3_bind_int64(s, 2, conf.flag_quiet);
	if (fmt == OUTPUT_JSON)
		buf_putc(&out, '[');
	else if (fmt == OUTPUT_CSV) {
		for (size_t c = 0; c < NCOLUMNS; c++)
			if (c != C_CLEARED || all)
				buf_printf(&out, "%s%s", c ? "," : "", columns[c]);
		buf_putc(&out, '\n');
	} else {
		buf_printf(&out, "%-26s %-10s %-7s %-21s %-21s %s%s\n", "PEER", "THRESHOLD", "EVENTS",
		    "FIRST", "LAST", all ? "CLEARED               " : "", "WHY");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		put_row(&out, s, fmt, all, n++);
	if (rc != SQLITE_DONE) {
		log_warnx("%s: cannot read the flags: %s", conf.database, sqlite3_errmsg(db));
		status = EXIT_TROUBLE;
		goto done;
	}
	if (fmt == OUTPUT_JSON)
		buf_puts(&out, n ? "\n]\n" : "]\n");
	else if (fmt == OUTPUT_TABLE && n == 0) {
		buf_reset(&out);
		buf_puts(&out, all ? "no peer was ever flagged\n" : "no peer is flagged now\n");
	}
	if (output_write_stdout(&out) < 0)
		status = EXIT_TROUBLE;
done:
	sqlite3_finalize(s);
	buf_free(&out);
	store_close(store);
	conf_free(&conf);
	return status;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_flagged.c: `tlslogd flagged`: the peers flagged now (or, with --all,
 * every flag with its history), worst first. A flag whose quiet period has
 * passed counts as cleared even if no tlslogd has written that down yet, so
 * the answer does not depend on when the daemon last looked.
 *
 * Regressions (partners that used to succeed and now fail, issue 17) come
 * first: in the table under their own title, before the other flags; in
 * JSON and CSV as the first rows, each row with "regression": true or false.
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

static const char flagged_usage[] =
    "usage: tlslogd flagged [--all] [--format table|json|jsonl|csv] [-n] [-c FILE]\n"
    "                       [--db PATH]\n"
    "\n"
    "Print the peers flagged now, worst first: an IP address or a domain that\n"
    "crossed a \"flag\" threshold of the configuration and has not been quiet for\n"
    "flag_quiet since. With --all, every flag, cleared ones too, newest first.\n"
    "Regressions come first, under their own title: partners that succeeded in\n"
    "the last regression_days and now fail (threshold \"regression\"; JSON and\n"
    "CSV: \"regression\": true).\n"
    "\n"
    "  -a, --all            every flag, with when it was cleared\n"
    "  -f, --format FMT     table (default), json, jsonl (one JSON object a line) or csv\n"
    "  -n, --check          check the options, configuration and database, then exit\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "      --db PATH        database (default: from the configuration)\n"
    "  -h, --help           this help\n";

#define NCOLUMNS REPORTDB_FL_COLUMNS
#define columns reportdb_flag_columns
enum { C_PEER, C_PEER_KIND, C_THRESHOLD, C_COUNT, C_FIRST, C_LAST, C_FLAGGED, C_CLEARED,
	C_MAIN_KIND, C_HOST, C_WHY, C_REGRESSION };

static int
is_time(size_t c)
{
	return c == C_FIRST || c == C_LAST || c == C_FLAGGED || c == C_CLEARED;
}

static void
put_cell(struct buf *out, const struct reportdb_rows *s, size_t c, enum output_format fmt)
{
	if (fmt == OUTPUT_JSONL)
		fmt = OUTPUT_JSON;
	if (reportdb_null(s, (int)c)) {
		buf_puts(out, fmt == OUTPUT_JSON ? "null" : fmt == OUTPUT_TABLE ? "-" : "");
		return;
	}
	if (is_time(c)) {
		char iso[32];
		timeparse_format_iso(reportdb_int(s, (int)c), iso, sizeof(iso));
		buf_printf(out, fmt == OUTPUT_JSON ? "\"%s\"" : "%s", iso);
		return;
	}
	if (c == C_REGRESSION) {
		buf_puts(out, reportdb_int(s, (int)c) ? "true" : "false");
		return;
	}
	if (c == C_COUNT) {
		buf_printf(out, "%lld", (long long)reportdb_int(s, (int)c));
		return;
	}
	size_t len;
	const char *t = reportdb_text(s, (int)c, &len);
	if (fmt == OUTPUT_JSON)
		output_escape_json(out, t, len);
	else if (fmt == OUTPUT_CSV)
		output_escape_csv(out, t, len);
	else
		output_escape_text(out, t, len);
}

static void
put_row(struct buf *out, const struct reportdb_rows *s, enum output_format fmt, int all, size_t n,
    size_t width)
{
	if (fmt == OUTPUT_JSON || fmt == OUTPUT_JSONL) {
		if (fmt == OUTPUT_JSON)
			buf_puts(out, n ? ",\n  {" : "\n  {");
		else
			buf_putc(out, '{');
		for (size_t c = 0; c < NCOLUMNS; c++) {
			if (c == C_CLEARED && !all)
				continue;
			buf_printf(out, "%s\"%s\": ", c ? ", " : "", columns[c]);
			put_cell(out, s, c, fmt);
		}
		buf_puts(out, fmt == OUTPUT_JSONL ? "}\n" : "}");
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
			/* Not on a terminal, a long peer (an IPv6 address) is printed whole. */
			if (width == 0 && cell.len > widths[i == 0 ? 0 : i + 1])
				buf_append(out, cell.data, cell.len);
			else
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
		/* A regression's why names its kind already. */
		if (!reportdb_int(s, C_REGRESSION)) {
			buf_puts(out, ", mostly ");
			put_cell(out, s, C_MAIN_KIND, fmt);
		}
		if (!reportdb_null(s, C_HOST)) {
			buf_puts(out, ", host ");
			put_cell(out, s, C_HOST, fmt);
		}
		buf_putc(out, '\n');
		buf_free(&cell);
	}
}

static void
table_header(struct buf *out, int all)
{
	buf_printf(out, "%-26s %-10s %-7s %-21s %-21s %s%s\n", "PEER", "THRESHOLD", "EVENTS",
	    "FIRST", "LAST", all ? "CLEARED               " : "", "WHY");
}

/*
 * Before a row of the table (regression: it is one; the regressions come
 * first): the header, under "Regressions: ..." when the first row is one,
 * and "Other flags" with the header again after the last regression.
 * *section: 0 before the first row, 1 among regressions, 2 among the others.
 * Without regressions, the table of old.
 */
static void
table_section(struct buf *out, int regression, int all, int *section)
{
	if (*section == 0) {
		if (regression)
			buf_puts(out, "Regressions: partners that used to succeed\n");
		*section = regression ? 1 : 2;
		table_header(out, all);
	} else if (*section == 1 && !regression) {
		buf_puts(out, "\nOther flags\n");
		*section = 2;
		table_header(out, all);
	}
}

int
cmd_flagged(int argc, char **argv)
{
	static const char optstring[] = "af:nc:h";
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct common_opts common;
	int ch, all = 0, check = 0;
	enum output_format fmt = OUTPUT_TABLE;

	memset(&common, 0, sizeof(common));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': all = 1; break;
		case 'f': {
			int f = cmd_format_option(optarg);
			if (f < 0)
				return EXIT_USAGE;
			fmt = (enum output_format)f;
			break;
		}
		case 'n': check = 1; break;
		case 'c': common.config = optarg; break;
		case 'D': common.db = optarg; break;
		case 'h': fputs(flagged_usage, stdout); return EXIT_OK;
		default: return cmd_bad_option("flagged", optstring, argc, argv);
		}
	}
	if (optind < argc) {
		log_warnx("flagged: unexpected argument \"%s\"; see tlslogd flagged --help", argv[optind]);
		return EXIT_USAGE;
	}
	struct conf conf;
	struct reportdb *db;
	int status = cmd_open_db(&common, &conf, NULL, 0, &db);
	if (status != EXIT_OK)
		return status;
	if (check)
		return cmd_close_db(db, &conf, cmd_checked("flagged"));

	struct reportdb_rows *s = reportdb_flags(db, all, (int64_t)time(NULL), conf.flag_quiet);
	size_t n = 0, width = output_terminal_width();
	struct buf out;
	int rc = -1;

	buf_init(&out);
	if (fmt == OUTPUT_JSON)
		buf_putc(&out, '[');
	else if (fmt == OUTPUT_CSV) {
		for (size_t c = 0; c < NCOLUMNS; c++)
			if (c != C_CLEARED || all)
				buf_printf(&out, "%s%s", c ? "," : "", columns[c]);
		buf_putc(&out, '\n');
	}
	int section = 0;
	while (s != NULL && (rc = reportdb_next(s)) == 1) {
		if (fmt == OUTPUT_TABLE)
			table_section(&out, reportdb_int(s, C_REGRESSION) != 0, all, &section);
		put_row(&out, s, fmt, all, n++, width);
	}
	if (rc != 0) {
		status = EXIT_TROUBLE;
	} else {
		if (fmt == OUTPUT_JSON)
			buf_puts(&out, n ? "\n]\n" : "]\n");
		else if (fmt == OUTPUT_TABLE && n == 0) {
			buf_reset(&out);
			buf_puts(&out, all ? "no peer was ever flagged\n" : "no peer is flagged now\n");
		}
		if (output_write_stdout(&out) < 0)
			status = EXIT_TROUBLE;
	}
	reportdb_rows_free(s);
	buf_free(&out);
	return cmd_close_db(db, &conf, status);
}

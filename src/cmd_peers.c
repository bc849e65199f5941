/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_peers.c: `tlslogd peers`: who would break if I turned old TLS off?
 * The census of the successes stored in peer_days (schema 12): the peers,
 * inbound and outbound, that used TLS older than a version, or clear text,
 * or a cipher family, over a period (default 30 days), with their volume,
 * the last day they did it and the days seen; without a selector, every
 * peer with its mix; with --peer, one peer's days.
 *
 * peer_days holds one row per peer, UTC day, direction and server, so this
 * command can say no more than a day does: a day partly in the period counts
 * whole, and "last" is the last day on which the peer did it with that
 * day's last success (of any protocol) and the protocol of that day's last
 * TLS success. When that protocol is one selected, the time is the time of
 * such a success; otherwise the success selected came earlier that day.
 * The man page says so too. The SQL is reportdb_peers/reportdb_peer_days.
 *
 * Partners first: the peers that delivered or received messages or logged
 * in come before those that only opened sessions (scanners do that), then
 * the most successes selected first.
 *
 * Every value from the log (peer, host, server) is escaped for its output.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "log.h"
#include "output.h"
#include "reportdb.h"
#include "timeparse.h"
#include "util.h"

static const char peers_usage[] =
    "usage: tlslogd peers [--below VERSION | --old-tls] [--cleartext] [--cipher FAMILY]\n"
    "                     [--peer PEER] [--direction in|out] [--server NAME]\n"
    "                     [--since WHEN] [--until WHEN] [--limit N]\n"
    "                     [--format table|json|jsonl|csv] [-n] [-c FILE] [--db PATH]\n"
    "\n"
    "Who would break if old TLS were turned off? The peers, inbound and outbound,\n"
    "whose successes (TLS sessions, messages, logins) since WHEN (default 30d) used\n"
    "a TLS version older than VERSION, or clear text, or a cipher family; with\n"
    "neither, every peer with its mix of protocols. Peers that sent or received\n"
    "messages or logged in come first, then the most successes. Successes are\n"
    "counted per UTC day: a day partly in the period counts whole, and LAST is the\n"
    "last success of the last day on which the peer did what was asked (that day's\n"
    "last TLS version beside it). WHEN is today, yesterday, a weekday, a duration\n"
    "back from now (90m, 36h, 2d, 2w) or an ISO 8601 date or time, in the local\n"
    "time zone (TZ; the table's first line names it).\n"
    "\n"
    "  -b, --below VERSION  peers that used TLS older than VERSION (1.0, 1.1, 1.2 or\n"
    "                       1.3; TLSv1.2 and TLS1.2 too): --below 1.2 is SSLv3, TLS 1.0\n"
    "                       and TLS 1.1\n"
    "      --old-tls        the same as --below 1.2\n"
    "      --cleartext      peers with successes in clear text (with --below: either)\n"
    "      --cipher FAMILY  peers that used a cipher of FAMILY: aead, cbc, des3, rc4 or\n"
    "                       other, comma-separated or --cipher again (not with --below\n"
    "                       or --cleartext: a session counts by both)\n"
    "  -p, --peer PEER      one peer's days, newest first: an address, a network, a\n"
    "                       name (the peer or its host) or a domain (.example.net)\n"
    "      --direction DIR  only incoming (in) or outgoing (out) successes\n"
    "      --server NAME    only successes logged by this server (case-insensitive)\n"
    "  -s, --since WHEN     the days with a success at or after WHEN (default 30d)\n"
    "  -u, --until WHEN     ... and at or before WHEN (default: now)\n"
    "  -l, --limit N        at most N rows (default 0: all)\n"
    "  -f, --format FMT     table (default), json, jsonl (one JSON object a line) or csv\n"
    "  -n, --check          check the options, configuration and database, then exit\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "      --db PATH        database (default: from the configuration)\n"
    "  -h, --help           this help\n";

/* What was asked, for the first line and the empty answer. */
struct peers_ask {
	uint32_t select;	/* bit 1 << enum reportdb_counter per counter selected */
	char below[8];		/* "1.2", "" if no --below */
	int cleartext;
	char ciphers[64];	/* "rc4,des3", "" if no --cipher */
	const char *peer;
};

#define BIT(c) (UINT32_C(1) << (c))
#define CIPHER_MASK (BIT(REPORTDB_AEAD) | BIT(REPORTDB_CBC) | BIT(REPORTDB_DES3) | \
    BIT(REPORTDB_RC4) | BIT(REPORTDB_CIPHER_OTHER))

/* Short names of the counters in the table's MIX column. */
static const char *const mix_names[REPORTDB_COUNTERS] = {
	"clear", "ssl3", "tls1.0", "tls1.1", "tls1.2", "tls1.3", "tls?", "aead", "cbc", "des3",
	"rc4", "cipher?", "msg", "login"
};

/* --below VERSION: 1.0 .. 1.3, after an optional "TLSv", "TLS" or "v" (any case). */
static int
parse_below(const char *text, struct peers_ask *a)
{
	static const char *const versions[] = { "1.0", "1.1", "1.2", "1.3" };
	const char *v = text;

	if (strncasecmp(v, "tlsv", 4) == 0)
		v += 4;
	else if (strncasecmp(v, "tls", 3) == 0)
		v += 3;
	else if (*v == 'v' || *v == 'V')
		v++;
	if (strcmp(v, "1") == 0)
		v = "1.0";
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		if (strcmp(v, versions[i]) != 0)
			continue;
		if (a->below[0] != '\0' && strcmp(a->below, versions[i]) != 0) {
			log_warnx("--below %s and --below %s (or --old-tls): give one version",
			    a->below, versions[i]);
			return -1;
		}
		/* Older than 1.0 is SSLv3; each step adds the version before. */
		a->select |= BIT(REPORTDB_SSL3);
		for (size_t k = 0; k < i; k++)
			a->select |= BIT(REPORTDB_TLS10 + (int)k);
		util_strlcpy(a->below, versions[i], sizeof(a->below));
		return 0;
	}
	log_warnx("--below: expected a TLS version (1.0, 1.1, 1.2 or 1.3), not \"%s\"", text);
	return -1;
}

static int
parse_ciphers(const char *list, struct peers_ask *a)
{
	static const struct { const char *name; int counter; } families[] = {
		{ "aead", REPORTDB_AEAD }, { "cbc", REPORTDB_CBC }, { "des3", REPORTDB_DES3 },
		{ "rc4", REPORTDB_RC4 }, { "other", REPORTDB_CIPHER_OTHER }
	};
	const char *p = list;

	do {
		size_t len = strcspn(p, ","), i;
		for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
			if (strlen(families[i].name) == len && strncmp(p, families[i].name, len) == 0)
				break;
		if (i == sizeof(families) / sizeof(families[0])) {
			log_warnx("--cipher: expected aead, cbc, des3, rc4 or other, not \"%.*s\"",
			    (int)len, p);
			return -1;
		}
		if (!(a->select & BIT(families[i].counter))) {
			size_t used = strlen(a->ciphers);
			snprintf(a->ciphers + used, sizeof(a->ciphers) - used, "%s%s",
			    used ? "," : "", families[i].name);
		}
		a->select |= BIT(families[i].counter);
		p += len;
	} while (*p++ == ',');
	return 0;
}

/* What was asked, in words: "TLS older than 1.2 or clear text"; "" for every success. */
static void
put_asked(struct buf *out, const struct peers_ask *a)
{
	if (a->below[0] != '\0')
		buf_printf(out, "TLS older than %s", a->below);
	if (a->cleartext)
		buf_printf(out, "%sclear text", a->below[0] ? " or " : "");
	if (a->ciphers[0] != '\0')
		buf_printf(out, "a cipher of %s", a->ciphers);
}

/* A UTC day (time / 86400) as "2026-12-01". */
static void
format_day(int64_t day, char *out, size_t size)
{
	char iso[32];

	timeparse_format_iso(day * 86400, iso, sizeof(iso));
	iso[10] = '\0';
	util_strlcpy(out, iso, size);
}

/* The keys of a row, in JSON and CSV order: by peer and direction and server, or per day. */
static const char *const census_keys[] = {
	"peer", "host", "direction", "server", "mta", "count", "total", "days", "days_seen",
	"first", "last_day", "last", "last_version"
};
static const char *const day_keys[] = {
	"day", "peer", "host", "direction", "server", "mta", "count", "total", "first", "last",
	"last_version"
};

#define NKEYS(k) (sizeof(k) / sizeof(k[0]))

/* The value of key in the row: a JSON value, or a CSV cell (fmt OUTPUT_CSV). */
static void
put_value(struct buf *out, const struct reportdb_rows *r, const char *key, enum output_format fmt)
{
	static const struct { const char *key; int col; } text_cols[] = {
		{ "peer", REPORTDB_PS_PEER }, { "host", REPORTDB_PS_HOST },
		{ "direction", REPORTDB_PS_DIRECTION }, { "server", REPORTDB_PS_SERVER },
		{ "mta", REPORTDB_PS_MTA }, { "last_version", REPORTDB_PS_LAST_VERSION }
	};
	static const struct { const char *key; int col; } int_cols[] = {
		{ "count", REPORTDB_PS_MATCHED }, { "total", REPORTDB_PS_TOTAL },
		{ "days", REPORTDB_PS_DAYS }, { "days_seen", REPORTDB_PS_DAYS_SEEN }
	};
	int json = fmt != OUTPUT_CSV;
	char t[32];

	for (size_t i = 0; i < NKEYS(text_cols); i++)
		if (strcmp(key, text_cols[i].key) == 0) {
			cmd_put_text(out, r, text_cols[i].col, fmt);
			return;
		}
	for (size_t i = 0; i < NKEYS(int_cols); i++)
		if (strcmp(key, int_cols[i].key) == 0) {
			buf_printf(out, "%lld", (long long)reportdb_int(r, int_cols[i].col));
			return;
		}
	if (strcmp(key, "day") == 0 || strcmp(key, "last_day") == 0)
		format_day(reportdb_int(r, REPORTDB_PS_DAY), t, sizeof(t));
	else
		timeparse_format_iso(reportdb_int(r, strcmp(key, "first") == 0 ?
		    REPORTDB_PS_FIRST : REPORTDB_PS_LAST), t, sizeof(t));
	buf_printf(out, json ? "\"%s\"" : "%s", t);
}

static void
put_csv_header(struct buf *out, int days)
{
	const char *const *keys = days ? day_keys : census_keys;
	size_t n = days ? NKEYS(day_keys) : NKEYS(census_keys);

	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%s", i ? "," : "", keys[i]);
	for (int c = 0; c < REPORTDB_COUNTERS; c++)
		buf_printf(out, ",%s", reportdb_counter_names[c]);
	buf_putc(out, '\n');
}

static void
put_structured(struct buf *out, const struct reportdb_rows *r, int days, enum output_format fmt,
    size_t n)
{
	const char *const *keys = days ? day_keys : census_keys;
	size_t nkeys = days ? NKEYS(day_keys) : NKEYS(census_keys);
	int csv = fmt == OUTPUT_CSV;

	if (fmt == OUTPUT_JSON)
		buf_puts(out, n ? ",\n  " : "\n  ");
	if (!csv)
		buf_putc(out, '{');
	for (size_t i = 0; i < nkeys; i++) {
		if (csv)
			buf_puts(out, i ? "," : "");
		else
			buf_printf(out, "%s\"%s\": ", i ? ", " : "", keys[i]);
		put_value(out, r, keys[i], fmt);
	}
	for (int c = 0; c < REPORTDB_COUNTERS; c++) {
		long long v = (long long)reportdb_int(r, REPORTDB_PS_COUNTER + c);
		if (csv)
			buf_printf(out, ",%lld", v);
		else
			buf_printf(out, ", \"%s\": %lld", reportdb_counter_names[c], v);
	}
	if (!csv)
		buf_putc(out, '}');
	if (fmt != OUTPUT_JSON)
		buf_putc(out, '\n');
}

/* cell padded to w; cut (marked "~") only on a terminal (width != 0), else printed whole. */
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
pad_column(struct buf *out, const struct reportdb_rows *r, int c, size_t w, size_t width)
{
	struct buf cell;

	buf_init(&cell);
	cmd_put_text(&cell, r, c, OUTPUT_TABLE);
	pad_cell(out, &cell, w, width);
	buf_free(&cell);
}

/* The counters that are not 0: "tls1.0=3 tls1.2=40 aead=43 msg=12". */
static void
put_mix(struct buf *out, const struct reportdb_rows *r)
{
	int n = 0;

	for (int c = 0; c < REPORTDB_COUNTERS; c++) {
		long long v = (long long)reportdb_int(r, REPORTDB_PS_COUNTER + c);
		if (v != 0)
			buf_printf(out, "%s%s=%lld", n++ ? " " : "", mix_names[c], v);
	}
}

#define W_PEER 39		/* an IPv6 address; a longer name is printed whole */
#define W_HOST 28
#define W_SERVER 12

static void
put_table_header(struct buf *out, int days)
{
	if (days)
		buf_puts(out, "DAY        ");
	output_pad(out, "PEER", 4, W_PEER);
	buf_putc(out, ' ');
	output_pad(out, "HOST", 4, W_HOST);
	buf_puts(out, " DIR ");
	output_pad(out, "SERVER", 6, W_SERVER);
	buf_puts(out, days ? "    COUNT    TOTAL FIRST                LAST                 "
	    "VERSION MIX\n" : "    COUNT    TOTAL    DAYS LAST                 VERSION MIX\n");
}

static void
put_table_row(struct buf *out, const struct reportdb_rows *r, int days, size_t width)
{
	char t[32];

	if (days) {
		format_day(reportdb_int(r, REPORTDB_PS_DAY), t, sizeof(t));
		buf_printf(out, "%s ", t);
	}
	pad_column(out, r, REPORTDB_PS_PEER, W_PEER, 0);
	buf_putc(out, ' ');
	pad_column(out, r, REPORTDB_PS_HOST, W_HOST, width);
	buf_putc(out, ' ');
	pad_column(out, r, REPORTDB_PS_DIRECTION, 3, 0);
	buf_putc(out, ' ');
	pad_column(out, r, REPORTDB_PS_SERVER, W_SERVER, width);
	buf_printf(out, " %8lld %8lld ", (long long)reportdb_int(r, REPORTDB_PS_MATCHED),
	    (long long)reportdb_int(r, REPORTDB_PS_TOTAL));
	if (days) {
		timeparse_format_iso(reportdb_int(r, REPORTDB_PS_FIRST), t, sizeof(t));
		buf_printf(out, "%s ", t);
	} else {
		snprintf(t, sizeof(t), "%lld/%lld", (long long)reportdb_int(r, REPORTDB_PS_DAYS),
		    (long long)reportdb_int(r, REPORTDB_PS_DAYS_SEEN));
		buf_printf(out, "%7s ", t);
	}
	timeparse_format_iso(reportdb_int(r, REPORTDB_PS_LAST), t, sizeof(t));
	buf_printf(out, "%s ", t);
	pad_column(out, r, REPORTDB_PS_LAST_VERSION, 7, 0);
	buf_putc(out, ' ');
	put_mix(out, r);
	buf_putc(out, '\n');
}

/* "Since X, until Y" in local time, whose zone it names. */
static void
put_since(struct buf *out, const struct reportdb_filter *f, const char *since_word)
{
	char t[64];

	timeparse_format_local(f->t_since, t, sizeof(t));
	buf_printf(out, "%s %s", since_word, t);
	if (f->until) {
		timeparse_format_local(f->t_until, t, sizeof(t));
		buf_printf(out, ", until %s", t);
	}
}

/*
 * The table's first line: "Since 2026-11-07 17:00 UTC, until now; successes
 * per UTC day; TLS older than 1.2; direction in; server mx1", and a note
 * when peer_days begins more than a day after the period does (the
 * successes were not counted before: an upgrade from schema 11).
 */
static void
put_period(struct buf *out, const struct reportdb_filter *f, const struct peers_ask *a,
    int64_t stored_first)
{
	put_since(out, f, "Since");
	buf_puts(out, f->until ? "" : ", until now");
	buf_puts(out, "; successes per UTC day");
	if (a->select != 0) {
		buf_puts(out, "; ");
		put_asked(out, a);
	}
	if (f->direction)
		buf_printf(out, "; direction %s", f->direction);
	if (f->server) {
		buf_puts(out, "; server ");
		output_escape_text(out, f->server, strlen(f->server));
	}
	buf_putc(out, '\n');
	/* A day of slack: retention deletes whole days, which leaves the first a little late. */
	if (stored_first / 86400 > f->t_since / 86400 + 1) {
		char t[64];
		timeparse_format_local(stored_first, t, sizeof(t));
		buf_printf(out, "Successes are stored since %s only.\n", t);
	}
}

/* The empty answer: "No peer used TLS older than 1.2 since ...", and why when nothing is stored. */
static void
put_empty(struct buf *out, const struct reportdb_filter *f, const struct peers_ask *a,
    int64_t stored_rows)
{
	if (a->peer != NULL) {
		buf_puts(out, "No successes of ");
		output_escape_text(out, a->peer, strlen(a->peer));
		if (a->select != 0) {
			buf_puts(out, " with ");
			put_asked(out, a);
		}
	} else if (a->select == 0) {
		buf_puts(out, "No successes");
	} else {
		buf_puts(out, a->cleartext && a->below[0] == '\0' ? "No peer succeeded in " :
		    "No peer used ");
		put_asked(out, a);
	}
	put_since(out, f, " since");
	buf_puts(out, ".\n");
	if (stored_rows == 0)
		buf_puts(out, "No successes are stored at all: tlslogd counts them in the lines it "
		    "reads from schema 12 on.\n");
}

static int
print_peers(struct reportdb *db, const struct reportdb_filter *f, const struct peers_ask *a,
    enum output_format fmt, long long limit)
{
	int64_t stored_rows = 0, stored_first = 0;
	int days = a->peer != NULL, rc = -1, status = EXIT_OK;
	size_t n = 0, width = output_terminal_width();
	struct buf out;

	if (reportdb_begin(db) < 0)
		return EXIT_TROUBLE;
	if (reportdb_peer_days_span(db, &stored_rows, &stored_first) < 0) {
		reportdb_end(db);
		return EXIT_TROUBLE;
	}
	struct reportdb_rows *r = days ? reportdb_peer_days(db, f, a->select, limit) :
	    reportdb_peers(db, f, a->select, limit);
	buf_init(&out);
	if (fmt == OUTPUT_JSON)
		buf_putc(&out, '[');
	else if (fmt == OUTPUT_CSV)
		put_csv_header(&out, days);
	else if (fmt == OUTPUT_TABLE)
		put_period(&out, f, a, stored_first);
	while (r != NULL && (rc = reportdb_next(r)) == 1) {
		if (fmt != OUTPUT_TABLE) {
			put_structured(&out, r, days, fmt, n++);
			continue;
		}
		if (n++ == 0)
			put_table_header(&out, days);
		put_table_row(&out, r, days, width);
	}
	if (rc != 0)
		status = EXIT_TROUBLE;
	if (fmt == OUTPUT_JSON)
		buf_puts(&out, n ? "\n]\n" : "]\n");
	else if (fmt == OUTPUT_TABLE && n == 0 && status == EXIT_OK)
		put_empty(&out, f, a, stored_rows);
	if (status == EXIT_OK && output_write_stdout(&out) < 0)
		status = EXIT_TROUBLE;
	buf_free(&out);
	reportdb_rows_free(r);
	reportdb_end(db);
	return status;
}

int
cmd_peers(int argc, char **argv)
{
	static const char optstring[] = "b:p:s:u:l:f:nc:h";
	static const struct option longopts[] = {
		{ "below", required_argument, NULL, 'b' },
		{ "old-tls", no_argument, NULL, 'O' },
		{ "cleartext", no_argument, NULL, 'C' },
		{ "cipher", required_argument, NULL, 'X' },
		{ "peer", required_argument, NULL, 'p' },
		{ "direction", required_argument, NULL, 'd' },
		{ "server", required_argument, NULL, 'S' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "limit", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct common_opts common = { 0 };
	struct peers_ask ask;
	struct reportdb_filter filter;
	const char *since = "30d", *until = NULL;
	enum output_format fmt = OUTPUT_TABLE;
	long long limit = 0;
	int ch, f, check = 0;

	memset(&ask, 0, sizeof(ask));
	memset(&filter, 0, sizeof(filter));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
		case 'O':
			if (parse_below(ch == 'b' ? optarg : "1.2", &ask) < 0)
				return EXIT_USAGE;
			break;
		case 'C':
			ask.cleartext = 1;
			ask.select |= BIT(REPORTDB_CLEAR);
			break;
		case 'X':
			if (parse_ciphers(optarg, &ask) < 0)
				return EXIT_USAGE;
			break;
		case 'p': ask.peer = optarg; break;
		case 'd':
			if (strcmp(optarg, "in") != 0 && strcmp(optarg, "out") != 0) {
				log_warnx("--direction: expected in or out, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			filter.direction = optarg;
			break;
		case 'S': filter.server = optarg; break;
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
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
		case 'h': fputs(peers_usage, stdout); return EXIT_OK;
		default: return cmd_bad_option("peers", optstring, argc, argv);
		}
	}
	if (optind < argc) {
		log_warnx("peers: unexpected argument \"%s\"; see tlslogd peers --help", argv[optind]);
		return EXIT_USAGE;
	}
	if ((ask.select & CIPHER_MASK) && (ask.select & ~CIPHER_MASK)) {
		log_warnx("peers: --cipher goes alone, not with --below or --cleartext (a TLS "
		    "session counts once by its version and once by its cipher)");
		return EXIT_USAGE;
	}
	if (reportdb_filter_peer(&filter, ask.peer) < 0)
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
		return cmd_close_db(db, &conf, cmd_checked("peers"));
	status = print_peers(db, &filter, &ask, fmt, limit);
	return cmd_close_db(db, &conf, status);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_query.c: `tlslogd query --peer PEER`: the events of one peer, newest
 * first, as a table for a terminal, JSON, JSON lines or CSV, and under the
 * table a short diagnosis: each cause seen (kind, direction, MTA) with its
 * count, first and last time, its most frequent reason, and what to do about
 * it (advice.h). How PEER selects events is reportdb.c's business.
 *
 * With --follow, the events as they are stored, for log shippers: the
 * database is read again every FOLLOW_POLL_MS by event id (a read-only
 * connection: WAL lets it read beside the daemon), each event printed once,
 * in the order stored, from "now" (or first the events since --since).
 * SIGINT and SIGTERM are blocked and waited for between polls
 * (sigtimedwait), so a stop never cuts a line; a closed pipe (EPIPE, SIGPIPE
 * ignored) ends it quietly.
 *
 * Every value from the log is escaped for the output it goes to (output.h).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "advice.h"
#include "cmd.h"
#include "event.h"
#include "log.h"
#include "output.h"
#include "peerhist.h"
#include "reportdb.h"
#include "timeparse.h"
#include "util.h"

static const char query_usage[] =
    "usage: tlslogd query --peer DOMAIN|HOST|IP|CIDR [--since WHEN] [--until WHEN]\n"
    "                     [--kind KIND] [--direction in|out] [--server NAME] [--limit N]\n"
    "                     [--format table|json|jsonl|csv] [--diagnosis] [-n] [-c FILE]\n"
    "                     [--db PATH]\n"
    "       tlslogd query --follow [--peer PEER] [--since WHEN] [--kind KIND] ...\n"
    "                     [--format jsonl|table|csv]\n"
    "\n"
    "Print the failures of one peer, newest first, and under the table the causes\n"
    "seen and what to do about each. DOMAIN (partner.example, or .partner.example)\n"
    "matches the peers whose reverse or HELO name is in it (partner.example,\n"
    "mx1.partner.example) and the outgoing failures of mail to recipients\n"
    "@partner.example; HOST, a name of one label, matches a reverse or HELO name\n"
    "(case-insensitive); IP matches an address (IPv4 or IPv6; an IPv4 address also\n"
    "in its IPv4-mapped IPv6 form ::ffff:192.0.2.7); CIDR a network (192.0.2.0/24,\n"
    "2001:db8::/32). WHEN is today, yesterday, a weekday (monday: its 00:00), a\n"
    "duration back from now (90m, 36h, 2d, 2w) or an ISO 8601 date or time\n"
    "(2026-11-22, 2026-11-22T06:40:07Z), in the local time zone (TZ). With\n"
    "--follow, print the events as they are stored (of every peer unless --peer),\n"
    "until interrupted: for log shippers. The table of an address, a name or a\n"
    "domain begins with what the peer did right (\"delivered over TLSv1.2 every\n"
    "day from ... until ...; fails since ... with KIND\", over regression_days),\n"
    "or that it never succeeded.\n"
    "\n"
    "  -p, --peer PEER      the peer: DOMAIN, HOST, IP or CIDR\n"
    "      --since WHEN     only events at or after WHEN (with --follow: replay them first)\n"
    "      --until WHEN     only events at or before WHEN (not with --follow)\n"
    "      --kind KIND      only events of these kinds: tls, auth, or kinds of\n"
    "                       tlslogd.rules(5), comma-separated or --kind again\n"
    "      --direction DIR  only incoming (in) or outgoing (out) events\n"
    "      --server NAME    only events logged by this server (case-insensitive)\n"
    "  -l, --limit N        print at most the N newest events (the diagnosis counts all;\n"
    "                       the table shows the 100 newest unless told, the others all)\n"
    "  -f, --format FMT     table (default, with the diagnosis), json, jsonl (one JSON\n"
    "                       object a line) or csv\n"
    "      --diagnosis      with json: an object {\"events\": [...], \"diagnosis\": [...]}\n"
    "  -F, --follow         print new events as they are stored (default format jsonl\n"
    "                       when not a terminal), until SIGINT or SIGTERM\n"
    "  -n, --check          check the options, configuration and database, then exit\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "      --db PATH        database (default: from the configuration)\n"
    "  -h, --help           this help\n";

#define NCOLUMNS REPORTDB_EV_COLUMNS
#define columns reportdb_event_columns

static int
is_integer_column(size_t i)
{
	return i == REPORTDB_EV_TIME || i == REPORTDB_EV_PID || i == REPORTDB_EV_PEER_PORT ||
	    i == REPORTDB_EV_OFFSET || i == REPORTDB_EV_DOWNGRADED;
}

/* One event as a JSON object (no separator, no newline). */
static void
print_json_object(struct buf *out, const struct reportdb_rows *r)
{
	buf_putc(out, '{');
	for (size_t i = 0; i < NCOLUMNS; i++) {
		buf_printf(out, "%s\"%s\": ", i ? ", " : "", columns[i]);
		if (reportdb_null(r, (int)i)) {
			buf_puts(out, "null");
		} else if (i == REPORTDB_EV_TIME) {
			char iso[32];
			timeparse_format_iso(reportdb_int(r, (int)i), iso, sizeof(iso));
			buf_printf(out, "\"%s\"", iso);
		} else if (is_integer_column(i)) {
			buf_printf(out, "%lld", (long long)reportdb_int(r, (int)i));
		} else {
			size_t len;
			const char *t = reportdb_text(r, (int)i, &len);
			output_escape_json(out, t, len);
		}
	}
	buf_putc(out, '}');
}

static void
print_csv_header(struct buf *out)
{
	for (size_t i = 0; i < NCOLUMNS; i++)
		buf_printf(out, "%s%s", i ? "," : "", columns[i]);
	buf_putc(out, '\n');
}

static void
print_csv_row(struct buf *out, const struct reportdb_rows *r)
{
	for (size_t i = 0; i < NCOLUMNS; i++) {
		if (i)
			buf_putc(out, ',');
		if (reportdb_null(r, (int)i))
			continue;
		if (i == REPORTDB_EV_TIME) {
			char iso[32];
			timeparse_format_iso(reportdb_int(r, (int)i), iso, sizeof(iso));
			buf_puts(out, iso);
		} else {
			size_t len;
			const char *t = reportdb_text(r, (int)i, &len);
			output_escape_csv(out, t, len);
		}
	}
	buf_putc(out, '\n');
}

#define W_TIME 19
#define W_DIR 3
#define W_KIND 25
#define W_PEER 40		/* the PEER column, at least (wider on a wide terminal) */
#define W_PEER_MIN 24		/* ... at most this narrow on a narrow one */
#define W_PEER_MAX 64
#define W_REASON_MIN 24		/* what a terminal leaves the reason, at least */

/*
 * The width of the PEER column: W_PEER when not on a terminal (and then a
 * longer peer is printed whole, never cut); on a terminal, what is left
 * after the fixed columns and W_REASON_MIN for the reason.
 */
static size_t
peer_width(size_t width)
{
	size_t fixed = W_TIME + W_DIR + W_KIND + 4;

	if (width == 0)
		return W_PEER;
	if (width < fixed + W_PEER_MIN + W_REASON_MIN)
		return W_PEER_MIN;
	size_t w = width - fixed - W_REASON_MIN;
	return w > W_PEER_MAX ? W_PEER_MAX : w;
}

/* Columns of escaped text: one per code point, as output_pad counts them. */
static size_t
text_columns(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* Append escaped column text of the row. */
static void
put_col(struct buf *out, const struct reportdb_rows *r, int c)
{
	size_t len;
	const char *t = reportdb_text(r, c, &len);

	output_escape_text(out, t ? t : "", t ? len : 0);
}

/*
 * "host[ip]:port", "[ip]", "host", or "(helo)" when only the HELO is known;
 * the host part cut (marked "~") so that the whole fits in width, when
 * width is not 0: the address is what an admin acts on.
 */
static void
peer_text(struct buf *out, const struct reportdb_rows *r, size_t width)
{
	struct buf host, addr;

	buf_init(&host);
	buf_init(&addr);
	if (!reportdb_null(r, REPORTDB_EV_PEER_HOST))
		put_col(&host, r, REPORTDB_EV_PEER_HOST);
	if (!reportdb_null(r, REPORTDB_EV_PEER_IP)) {
		buf_putc(&addr, '[');
		put_col(&addr, r, REPORTDB_EV_PEER_IP);
		buf_putc(&addr, ']');
		if (!reportdb_null(r, REPORTDB_EV_PEER_PORT))
			buf_printf(&addr, ":%lld", (long long)reportdb_int(r, REPORTDB_EV_PEER_PORT));
	}
	if (host.len == 0 && addr.len == 0 && !reportdb_null(r, REPORTDB_EV_HELO)) {
		buf_putc(&host, '(');
		put_col(&host, r, REPORTDB_EV_HELO);
		buf_putc(&host, ')');
	}
	if (host.len == 0 && addr.len == 0)
		buf_putc(&host, '-');
	/* Escaped text is ASCII but for valid UTF-8; count columns as output_pad does. */
	size_t hcols = text_columns(host.data, host.len);
	if (width == 0 || hcols + addr.len <= width || addr.len == 0 || addr.len + 1 > width) {
		buf_append(out, host.data, host.len);	/* fits, or output_pad cuts its end */
		buf_append(out, addr.data, addr.len);
	} else if (addr.len + 2 > width) {
		buf_putc(out, '~');			/* room for the address only */
		buf_append(out, addr.data, addr.len);
	} else {
		output_pad(out, host.data, host.len, width - addr.len);
		buf_append(out, addr.data, addr.len);
	}
	buf_free(&host);
	buf_free(&addr);
}

static void
print_table_row(struct buf *out, const struct reportdb_rows *r, size_t width)
{
	struct buf cell;
	char when[32];
	time_t t = (time_t)reportdb_int(r, REPORTDB_EV_TIME);
	struct tm tm;
	size_t len, pw = peer_width(width);
	const char *txt;

	buf_init(&cell);
	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)t);
	output_pad(out, when, strlen(when), W_TIME);
	buf_putc(out, ' ');
	txt = reportdb_text(r, REPORTDB_EV_DIRECTION, &len);
	output_pad(out, txt ? txt : "", len, W_DIR);
	buf_putc(out, ' ');
	txt = reportdb_text(r, REPORTDB_EV_KIND, &len);
	if (width == 0 && len > W_KIND)
		buf_append(out, txt, len);	/* not a terminal: never cut */
	else
		output_pad(out, txt ? txt : "", len, W_KIND);
	buf_putc(out, ' ');
	peer_text(&cell, r, width ? pw : 0);
	if (width == 0 && text_columns(cell.data, cell.len) > pw)
		buf_append(out, cell.data, cell.len);
	else
		output_pad(out, cell.data, cell.len, pw);
	buf_putc(out, ' ');
	buf_reset(&cell);
	/* The reason, and for AUTH failures the user name tried. */
	if (!reportdb_null(r, REPORTDB_EV_REASON))
		put_col(&cell, r, REPORTDB_EV_REASON);
	if (!reportdb_null(r, REPORTDB_EV_USER)) {
		buf_puts(&cell, cell.len ? "; user=" : "user=");
		put_col(&cell, r, REPORTDB_EV_USER);
	}
	/* A failure after which the mail went out in clear text says so. */
	txt = reportdb_text(r, REPORTDB_EV_KIND, NULL);
	if (reportdb_int(r, REPORTDB_EV_DOWNGRADED) && txt != NULL &&
	    strcmp(txt, "tls_downgraded") != 0)
		buf_puts(&cell, cell.len ? "; sent in clear text" : "sent in clear text");
	if (cell.len == 0)
		buf_putc(&cell, '-');
	size_t used = W_TIME + W_DIR + W_KIND + pw + 4;
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
print_table_header(struct buf *out, size_t width)
{
	output_pad(out, "TIME (UTC)", 10, W_TIME);
	buf_putc(out, ' ');
	output_pad(out, "DIR", 3, W_DIR);
	buf_putc(out, ' ');
	output_pad(out, "KIND", 4, W_KIND);
	buf_putc(out, ' ');
	output_pad(out, "PEER", 4, peer_width(width));
	buf_puts(out, " REASON\n");
}

/* One event in the format; n: the events before it. */
static void
print_event(struct buf *out, const struct reportdb_rows *r, int format, unsigned long n,
    size_t width)
{
	switch (format) {
	case OUTPUT_JSON:
		buf_puts(out, n == 0 ? "\n  " : ",\n  ");
		print_json_object(out, r);
		break;
	case OUTPUT_JSONL:
		print_json_object(out, r);
		buf_putc(out, '\n');
		break;
	case OUTPUT_CSV:
		print_csv_row(out, r);
		break;
	default:
		if (n == 0)
			print_table_header(out, width);
		print_table_row(out, r, width);
		break;
	}
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

/* ---- the diagnosis ---- */

/* The advice for a cause with its peer's values (a new string), or NULL. */
static char *
cause_advice(const struct advice *adv, const struct reportdb_cause *c)
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

/* The table's diagnosis shows the most frequent causes only: it is read, not parsed. */
#define DIAGNOSIS_CAUSES 5

static void
print_diagnosis_table(struct buf *out, const struct advice *adv, const char *peer,
    const struct reportdb_cause *c, size_t n,
    int64_t total, unsigned long shown, size_t width)
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
print_diagnosis_json(struct buf *out, const struct advice *adv, const struct reportdb_cause *c,
    size_t n)
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

/* Rows of a table when --limit is not given. */
#define QUERY_TABLE_ROWS 100

/* The events and (table, json --diagnosis) the diagnosis; exit status. */
/* ---- the history: what the peer did right (issue 17) ---- */

#define HISTORY_ADDRESSES 3	/* addresses of a name or a domain given a headline */

/* The headline of one address (host: a name of it, or NULL); 0 or -1 (logged). */
static int
history_line(struct buf *out, struct reportdb *db, const char *ip, const char *host, int window)
{
	struct peerhist h;

	if (peerhist_read(db, ip, window, &h) < 0)
		return -1;
	if (peerhist_worth_saying(&h)) {
		peerhist_headline(out, ip, host, &h);
		buf_putc(out, '\n');
	}
	peerhist_free(&h);
	return 0;
}

/*
 * Before the events of an address, a name or a domain: for each address
 * (of a name or a domain: the few with the most events), what it did right
 * ("delivered over TLSv1.2 every day from ... until ...; fails since ...")
 * or that it never succeeded; then a blank line. Nothing for a network, nor
 * for an address without successes or failures. 0 or -1 (logged).
 */
static int
print_history(struct buf *out, struct reportdb *db, const struct conf *conf,
    const struct reportdb_filter *f)
{
	int window = conf->regression_days > 0 ? conf->regression_days :
	    CONF_DEFAULT_REGRESSION_DAYS;
	size_t before = out->len;
	int rc = 0;

	if (f->type == REPORTDB_PEER_IP) {
		rc = history_line(out, db, f->text, NULL, window);
	} else if (f->type == REPORTDB_PEER_NAME || f->type == REPORTDB_PEER_DOMAIN) {
		struct reportdb_rows *r = reportdb_filter_addresses(db, f, HISTORY_ADDRESSES);
		while (r != NULL && rc == 0 && (rc = reportdb_next(r)) == 1) {
			char *ip = xstrdup(reportdb_text(r, 0, NULL));
			const char *host = reportdb_text(r, 1, NULL);
			char *name = host ? xstrdup(host) : NULL;
			rc = history_line(out, db, ip, name, window);
			free(ip);
			free(name);
		}
		if (r == NULL)
			rc = -1;
		reportdb_rows_free(r);
	}
	if (rc == 0 && out->len > before)
		buf_putc(out, '\n');
	return rc;
}

static int
report(struct reportdb *db, const struct conf *conf, const struct reportdb_filter *f,
    const char *peer, int format, long long limit, int json_diagnosis)
{
	struct advice *adv = NULL;

	/* A table is read on a terminal: the newest events, and the diagnosis of them all. */
	if (limit < 0 && format == OUTPUT_TABLE)
		limit = QUERY_TABLE_ROWS;
	struct reportdb_rows *r = reportdb_events(db, f, limit > 0 ? limit : 0);
	if (r == NULL)
		return EXIT_TROUBLE;

	struct reportdb_cause *causes = NULL;
	size_t ncauses = 0, width = output_terminal_width();
	int status = EXIT_OK, rc = 0;
	int want_causes = format == OUTPUT_TABLE || (format == OUTPUT_JSON && json_diagnosis);
	unsigned long rows = 0;
	struct buf out;

	buf_init(&out);
	if (format == OUTPUT_JSON)
		buf_puts(&out, json_diagnosis ? "{\"events\": [" : "[");
	else if (format == OUTPUT_CSV)
		print_csv_header(&out);
	else if (format == OUTPUT_TABLE && print_history(&out, db, conf, f) < 0)
		status = EXIT_TROUBLE;
	while (status == EXIT_OK && (rc = reportdb_next(r)) == 1) {
		print_event(&out, r, format, rows++, width);
		if (out.len > 65536 && flush_out(&out) < 0)
			break;
	}
	if (rc < 0)
		status = EXIT_TROUBLE;
	if (status == EXIT_OK && rows > 0 && want_causes &&
	    reportdb_causes(db, f, &causes, &ncauses) < 0)
		status = EXIT_TROUBLE;
	/* Without the advice files the diagnosis is still worth printing (advice_load logged why). */
	if (status == EXIT_OK && rows > 0 && want_causes &&
	    (adv = advice_load(conf->advice, conf->local_rules)) == NULL)
		log_warnx("the diagnosis goes without advice");
	if (format == OUTPUT_JSON) {
		buf_puts(&out, rows ? "\n]" : "]");
		if (json_diagnosis) {
			buf_puts(&out, ",\n");
			print_diagnosis_json(&out, adv, causes, ncauses);
			buf_putc(&out, '}');
		}
		buf_putc(&out, '\n');
	}
	if (format == OUTPUT_TABLE && rows > 0 && status == EXIT_OK) {
		int64_t total = 0;
		for (size_t i = 0; i < ncauses; i++)
			total += causes[i].count;
		print_diagnosis_table(&out, adv, peer, causes, ncauses, total, rows, width);
	}
	if (rows == 0 && status == EXIT_OK) {
		struct buf shown;
		buf_init(&shown);
		output_escape_text(&shown, peer, strlen(peer));
		const char *filters = f->since || f->until || f->kinds || f->direction ||
		    f->server ? " with these filters" : "";
		const char *tried = reportdb_filter_tried(f);
		if (format == OUTPUT_TABLE)
			buf_printf(&out, "No events for %s%s%s%s%s.\n", shown.data, tried ? " (" : "",
			    tried ? tried : "", tried ? ")" : "", filters);
		else
			log_warnx("no events for %s%s%s%s%s", shown.data, tried ? " (" : "",
			    tried ? tried : "", tried ? ")" : "", filters);
		buf_free(&shown);
	}
	if (flush_out(&out) < 0 || fflush(stdout) != 0) {
		log_warn("cannot write the output");
		status = EXIT_TROUBLE;
	}
	buf_free(&out);
	reportdb_causes_free(causes, ncauses);
	advice_free(adv);
	reportdb_rows_free(r);
	return status;
}

/* How often --follow reads the database again, and how many events a read takes at most. */
#define FOLLOW_POLL_MS 200
#define FOLLOW_BATCH 1000

/*
 * Print the events stored after after (and with --since, the older ones
 * since then first), until SIGINT or SIGTERM. Exit status.
 */
static int
follow(struct reportdb *db, const struct reportdb_filter *f, int format)
{
	sigset_t stop;
	struct buf out;
	int status = EXIT_OK;
	int64_t start = reportdb_last_event_id(db), after;
	unsigned long printed = 0;

	if (start < 0)
		return EXIT_TROUBLE;
	after = f->since ? 0 : start;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	buf_init(&out);
	if (format == OUTPUT_CSV)
		print_csv_header(&out);
	for (;;) {
		struct reportdb_rows *r = reportdb_events_after(db, f, after, start, FOLLOW_BATCH);
		unsigned long n = 0;
		int rc = r ? 0 : -1;
		while (r != NULL && (rc = reportdb_next(r)) == 1) {
			after = reportdb_int(r, REPORTDB_EV_ID);
			print_event(&out, r, format, printed++, 0);
			n++;
		}
		reportdb_rows_free(r);
		if (rc < 0) {
			status = EXIT_TROUBLE;
			break;
		}
		if (flush_out(&out) < 0 || fflush(stdout) != 0) {
			if (errno != EPIPE) {
				log_warn("cannot write the output");
				status = EXIT_TROUBLE;
			}
			break;
		}
		if (n == FOLLOW_BATCH)
			continue;	/* more are waiting: no pause */
		struct timespec pause = { 0, FOLLOW_POLL_MS * 1000000L };
		if (sigtimedwait(&stop, NULL, &pause) > 0)
			break;
	}
	buf_free(&out);
	return status;
}

int
cmd_query(int argc, char **argv)
{
	static const char optstring[] = "p:l:f:Fnc:h";
	static const struct option longopts[] = {
		{ "peer", required_argument, NULL, 'p' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "kind", required_argument, NULL, 'k' },
		{ "direction", required_argument, NULL, 'd' },
		{ "server", required_argument, NULL, 'S' },
		{ "limit", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "diagnosis", no_argument, NULL, 'G' },
		{ "follow", no_argument, NULL, 'F' },
		{ "check", no_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct common_opts common = { 0 };
	struct reportdb_filter f;
	const char *peer = NULL, *since = NULL, *until = NULL;
	int format = -1, ch, json_diagnosis = 0, following = 0, check = 0;
	long long limit = -1;
	char *end;

	memset(&f, 0, sizeof(f));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (ch) {
		case 'p': peer = optarg; break;
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 'k':
			if (reportdb_parse_kinds(optarg, &f.kinds) < 0)
				return EXIT_USAGE;
			break;
		case 'd': f.direction = optarg; break;
		case 'S': f.server = optarg; break;
		case 'l':
			limit = strtoll(optarg, &end, 10);
			if (end == optarg || *end != '\0' || limit < 1) {
				log_warnx("--limit: expected a number of events (1 or more), not \"%s\"",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			if ((format = cmd_format_option(optarg)) < 0)
				return EXIT_USAGE;
			break;
		case 'G': json_diagnosis = 1; break;
		case 'F': following = 1; break;
		case 'n': check = 1; break;
		case 'c': common.config = optarg; break;
		case 'D': common.db = optarg; break;
		case 'h': fputs(query_usage, stdout); return EXIT_OK;
		default: return cmd_bad_option("query", optstring, argc, argv);
		}
	}
	if (optind < argc) {
		log_warnx("query: unexpected argument \"%s\"; see tlslogd query --help", argv[optind]);
		return EXIT_USAGE;
	}
	if (!following && (peer == NULL || *peer == '\0')) {
		log_warnx("query: --peer DOMAIN|HOST|IP|CIDR is required; see tlslogd query --help");
		return EXIT_USAGE;
	}
	if (following && (until != NULL || limit > 0 || format == OUTPUT_JSON)) {
		log_warnx("query --follow: %s", format == OUTPUT_JSON ?
		    "--format json is one document; use jsonl, table or csv" :
		    "--until and --limit end what never ends");
		return EXIT_USAGE;
	}
	if (format < 0)
		format = following && output_terminal_width() == 0 ? OUTPUT_JSONL : OUTPUT_TABLE;
	if (cmd_filter_options(&f, peer) < 0)
		return EXIT_USAGE;

	struct conf conf;
	struct reportdb *db;
	struct cmd_when when[] = { { "since", since, &f.t_since }, { "until", until, &f.t_until } };
	int status = cmd_open_db(&common, &conf, when, 2, &db);
	if (status != EXIT_OK)
		return status;
	f.since = since != NULL;
	f.until = until != NULL;
	if (check)
		return cmd_close_db(db, &conf, cmd_checked("query"));
	if (following)
		return cmd_close_db(db, &conf, follow(db, &f, format));
	return cmd_close_db(db, &conf, report(db, &conf, &f, peer, format, limit, json_diagnosis));
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary_render.c: the summary as text, as HTML and as a subject line (see
 * summary_render.h for the escaping promised).
 *
 * The HTML is written for mail programs, not browsers: layout by tables,
 * every style inline, colours given twice (bgcolor and style) for the
 * clients that honour only one of them, no CSS classes, no scripts, no
 * images. The bar chart is a row of table cells whose heights are the
 * counts, which Outlook's Word engine, Gmail, Apple Mail and Thunderbird all
 * draw; a text client shows the text/plain part and its chart of '#'.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "advice.h"
#include "event.h"
#include "output.h"
#include "summary_render.h"
#include "timeparse.h"

/* Flags listed of those raised (or cleared) in the period, the most events first. */
#define FLAGS_SHOWN 15
/* Longest value from a log shown, in code points (a HELO may be 1024 bytes). */
#define VALUE_MAX 120
/* Widest bar of the text chart, tallest of the HTML chart (pixels). */
#define TEXT_BAR 40
#define HTML_BAR 100

#define COLOR_UP "#b00020"
#define COLOR_DOWN "#1e7d32"
#define COLOR_BAR "#c0392b"
#define COLOR_NONE "#dddddd"
#define COLOR_MUTED "#666666"

/* ---- values ---- */

static void
html_escape(struct buf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': buf_puts(out, "&amp;"); break;
		case '<': buf_puts(out, "&lt;"); break;
		case '>': buf_puts(out, "&gt;"); break;
		case '"': buf_puts(out, "&quot;"); break;
		case '\'': buf_puts(out, "&#39;"); break;
		default: buf_putc(out, s[i]); break;
		}
	}
}

/*
 * A value from a log: escaped as terminal text (output.h: bidirectional and
 * invisible controls too), cut to max code points (marked "~"), then for
 * HTML entity-escaped.
 * NULL is shown as "-".
 */
static void
put_value(struct buf *out, const char *s, size_t max, int html)
{
	struct buf esc, shown;
	size_t points = 0, i = 0;

	if (s == NULL) {
		buf_putc(out, '-');
		return;
	}
	buf_init(&esc);
	buf_init(&shown);
	output_escape_text(&esc, s, strlen(s));
	while (i < esc.len) {
		const unsigned char *p = (const unsigned char *)esc.data + i;
		size_t n = 1;
		if (points == max) {
			buf_putc(&shown, '~');
			break;
		}
		/* output_escape_text leaves only valid UTF-8 (bidi controls escaped): whole sequences. */
		while (i + n < esc.len && (p[n] & 0xC0) == 0x80)
			n++;
		buf_append(&shown, p, n);
		i += n;
		points++;
	}
	if (html)
		html_escape(out, shown.data, shown.len);
	else
		buf_append(out, shown.data, shown.len);
	buf_free(&esc);
	buf_free(&shown);
}

/* Our own text (advice) in HTML. */
static void
put_ours(struct buf *out, const char *s, int html)
{
	if (html)
		html_escape(out, s, strlen(s));
	else
		buf_puts(out, s);
}

/* ---- times and periods (our own text) ---- */

/* "24h", "7d", "90m", or "6h20m" for a period between two dates (seconds dropped). */
static void
put_duration(struct buf *out, int64_t len)
{
	if (len % 86400 == 0 && len > 2 * 86400)
		buf_printf(out, "%lldd", (long long)(len / 86400));
	else if (len % 3600 == 0)
		buf_printf(out, "%lldh", (long long)(len / 3600));
	else if (len < 60)
		buf_printf(out, "%llds", (long long)len);
	else if (len < 3600)
		buf_printf(out, "%lldm", (long long)(len / 60));
	else
		buf_printf(out, "%lldh%02lldm", (long long)(len / 3600),
		    (long long)(len % 3600 / 60));
}

/* "2026-11-22 07:00" (UTC). */
static void
put_minute(struct buf *out, int64_t t)
{
	char iso[32];

	timeparse_format_iso(t, iso, sizeof(iso));
	iso[10] = ' ';
	iso[16] = '\0';
	buf_puts(out, iso);
}

/* "the last 24h", or "2026-11-21 07:00 to 2026-11-22 07:00 UTC". */
static void
put_period(struct buf *out, const struct summary *s, const struct summary_view *v)
{
	if (v->last) {
		buf_puts(out, "the last ");
		put_duration(out, s->until - s->since);
		return;
	}
	put_minute(out, s->since);
	buf_puts(out, " to ");
	put_minute(out, s->until);
	buf_puts(out, " UTC");
}

/* "in the last 24h", or "from 2026-11-21 07:00 to 2026-11-22 07:00 UTC". */
static void
put_in_period(struct buf *out, const struct summary *s, const struct summary_view *v)
{
	buf_puts(out, v->last ? "in " : "from ");
	put_period(out, s, v);
}

/* "the 24h before". */
static void
put_before(struct buf *out, const struct summary *s)
{
	buf_puts(out, "the ");
	put_duration(out, s->until - s->since);
	buf_puts(out, " before");
}

/* "up 25%", "down 10%", "same", "new". */
static void
put_change(struct buf *out, int64_t cur, int64_t prev, int html)
{
	const char *color = NULL;
	char text[48];

	if (cur == prev)
		snprintf(text, sizeof(text), "same");
	else if (prev == 0)
		snprintf(text, sizeof(text), "new"), color = COLOR_UP;
	else {
		int64_t d = cur > prev ? cur - prev : prev - cur;
		long long pct = (long long)((d * 100 + prev / 2) / prev);
		if (pct == 0)
			snprintf(text, sizeof(text), "%s <1%%", cur > prev ? "up" : "down");
		else
			snprintf(text, sizeof(text), "%s %lld%%", cur > prev ? "up" : "down", pct);
		color = cur > prev ? COLOR_UP : COLOR_DOWN;
	}
	if (html && color != NULL)
		buf_printf(out, "<span style=\"color:%s\">%s</span>", color, text);
	else
		buf_puts(out, text);
}

static const char *
plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* ---- the subject ---- */

void
summary_render_subject(struct buf *out, const struct summary *s, const struct summary_view *v)
{
	char where[300];

	if (s->nservers > 1)
		snprintf(where, sizeof(where), "%zu servers", s->nservers);
	else
		snprintf(where, sizeof(where), "%s", v->host);
	if (summary_is_empty(s)) {
		buf_printf(out, "tlslogd: all quiet on %s ", where);
		put_in_period(out, s, v);
		return;
	}
	if (s->total == 0)
		buf_puts(out, "tlslogd: no TLS or AUTH failures");
	else
		buf_printf(out, "tlslogd: %lld TLS %s", (long long)s->total,
		    plural(s->total, "or AUTH failure", "and AUTH failures"));
	buf_printf(out, " on %s ", where);
	put_in_period(out, s, v);
	if (s->nraised > 0)
		buf_printf(out, ", %zu %s newly flagged", s->nraised, plural((int64_t)s->nraised,
		    "peer", "peers"));
	if (s->ncleared > 0)
		buf_printf(out, ", %zu %s cleared", s->ncleared, plural((int64_t)s->ncleared,
		    "flag", "flags"));
}

/* ---- pieces shared by text and HTML ---- */

/* The headline: "12 TLS and AUTH failures, up 20% from 10 in the 24h before." */
static void
put_headline(struct buf *out, const struct summary *s, int html)
{
	if (s->total == 0) {
		buf_printf(out, "No TLS or AUTH failures (%lld in ", (long long)s->prev_total);
		put_before(out, s);
		buf_puts(out, ").");
		return;
	}
	buf_printf(out, html ? "<b>%lld</b>" : "%lld", (long long)s->total);
	buf_printf(out, " TLS %s, ", plural(s->total, "or AUTH failure", "and AUTH failures"));
	if (s->prev_total == 0) {
		buf_puts(out, "none in ");
	} else if (s->prev_total == s->total) {
		buf_puts(out, "as many as in ");
	} else {
		put_change(out, s->total, s->prev_total, html);
		buf_printf(out, " from %lld in ", (long long)s->prev_total);
	}
	put_before(out, s);
	buf_putc(out, '.');
}

/* "3 peers are flagged now" or "3 peers were flagged at the end of the period". */
static void
put_active(struct buf *out, const struct summary *s, const struct summary_view *v)
{
	if (v->until_now)
		buf_printf(out, "%lld %s flagged now", (long long)s->active,
		    plural(s->active, "peer is", "peers are"));
	else
		buf_printf(out, "%lld %s flagged at the end of the period", (long long)s->active,
		    plural(s->active, "peer was", "peers were"));
}

/* "2 peers newly flagged, 1 cleared; 3 peers are flagged now." */
static void
put_flag_line(struct buf *out, const struct summary *s, const struct summary_view *v)
{
	buf_printf(out, "%zu %s newly flagged, %zu cleared; ", s->nraised,
	    plural((int64_t)s->nraised, "peer", "peers"), s->ncleared);
	put_active(out, s, v);
	buf_putc(out, '.');
}

/* A value from the log, in bold in HTML. */
static void
put_strong(struct buf *out, const char *value, int html)
{
	if (html)
		buf_puts(out, "<b>");
	put_value(out, value, VALUE_MAX, html);
	if (html)
		buf_puts(out, "</b>");
}

/* "192.0.2.7 (guessing): 5 events of auth_failed in 10m" */
static void
put_flag(struct buf *out, const struct summary_flag *f, int html)
{
	put_strong(out, f->peer, html);
	buf_puts(out, " (");
	put_value(out, f->threshold, VALUE_MAX, html);
	buf_puts(out, "): ");
	put_value(out, f->why, VALUE_MAX, html);
	if (f->main_kind != NULL) {
		buf_puts(out, ", mostly ");
		put_value(out, f->main_kind, VALUE_MAX, html);
	}
	if (f->host != NULL) {
		buf_puts(out, ", host ");
		put_value(out, f->host, VALUE_MAX, html);
	}
}

static void
put_flag_times(struct buf *out, const struct summary_flag *f, int cleared)
{
	buf_puts(out, "flagged ");
	put_minute(out, f->flagged);
	if (cleared || f->cleared != 0) {
		buf_puts(out, ", cleared ");
		put_minute(out, f->cleared);
	}
	buf_printf(out, ", %lld %s", (long long)f->count, plural(f->count, "event", "events"));
}

/* The peer's name: "192.0.2.7 (mail.example.net)", "mx.example.org", "(no peer in the log)". */
static void
put_peer_name(struct buf *out, const struct summary_peer *p, int html)
{
	if (html)
		buf_puts(out, "<b>");
	if (p->ip != NULL || p->host != NULL)
		put_value(out, p->ip != NULL ? p->ip : p->host, VALUE_MAX, html);
	else
		buf_puts(out, "(no peer named in the log)");
	if (html)
		buf_puts(out, "</b>");
	if (p->ip != NULL && p->reverse != NULL && strcmp(p->reverse, "unknown") != 0) {
		buf_puts(out, " (");
		put_value(out, p->reverse, VALUE_MAX, html);
		buf_putc(out, ')');
	}
	if (p->flag != NULL) {
		buf_puts(out, html ? ", <span style=\"color:" COLOR_UP "\">flagged now</span> (" :
		    ", flagged now (");
		put_value(out, p->flag, VALUE_MAX, html);
		buf_putc(out, ')');
	}
}

/*
 * "mostly auth_failed (in, postfix): 9 of 10", then the reason, the users and
 * the HELO: on lines of their own in text (each value may be 120 characters),
 * after "; " in HTML.
 */
static void
put_peer_cause(struct buf *out, const struct summary_peer *p, int html)
{
	const char *sep = html ? "; " : "\n    ";
	const char *quote = html ? "&quot;" : "\"";

	if (p->kind == NULL)
		return;
	buf_puts(out, p->ncauses > 1 ? "mostly " : "all ");
	put_strong(out, p->kind, html);
	buf_puts(out, " (");
	put_value(out, p->direction, VALUE_MAX, html);
	buf_puts(out, ", ");
	put_value(out, p->mta, VALUE_MAX, html);
	buf_putc(out, ')');
	if (p->ncauses > 1)
		buf_printf(out, ": %lld of %lld", (long long)p->kind_count, (long long)p->count);
	if (p->reason != NULL) {
		buf_printf(out, "%sreason %s", sep, quote);
		put_value(out, p->reason, VALUE_MAX, html);
		buf_puts(out, quote);
	}
	if (p->users > 0) {
		buf_printf(out, "%s%lld user %s, e.g. %s", sep, (long long)p->users,
		    plural(p->users, "name", "names"), quote);
		put_value(out, p->user, VALUE_MAX, html);
		buf_puts(out, quote);
	}
	if (p->helo != NULL) {
		buf_printf(out, "%sHELO %s", sep, quote);
		put_value(out, p->helo, VALUE_MAX, html);
		buf_puts(out, quote);
	}
}

/* The advice for the peer's main cause with its address and name (a new string), or NULL. */
static char *
peer_advice(const struct summary_peer *p, const struct summary_view *v)
{
	struct advice_values values = { p->ip, p->reverse ? p->reverse : p->host, NULL };

	if (p->kind == NULL || p->direction == NULL)
		return NULL;
	int kind = event_kind_from_name(p->kind, strlen(p->kind));
	int dir = event_direction_from_name(p->direction);
	if (kind < 0 || dir < 0)
		return NULL;
	return advice_render(v->advice, (enum event_kind)kind, (enum event_direction)dir, p->mta,
	    &values);
}

/* Label of bar i: "07:00" for hours (with the date on the first bar and at midnight), else a date. */
static void
put_bar_label(struct buf *out, const struct summary *s, size_t i, int full)
{
	int64_t t = s->bucket_start + (int64_t)i * s->bucket;
	char iso[32];

	timeparse_format_iso(t, iso, sizeof(iso));
	if (s->bucket % 86400 == 0) {
		iso[10] = '\0';
		buf_puts(out, iso);
	} else if (full) {
		iso[10] = ' ';
		iso[16] = '\0';
		buf_puts(out, iso + 5);		/* "11-22 07:00" */
	} else {
		iso[16] = '\0';
		buf_puts(out, iso + 11);	/* "07:00" */
	}
}

static void
put_bucket_name(struct buf *out, const struct summary *s)
{
	if (s->bucket == 3600)
		buf_puts(out, "hour");
	else if (s->bucket == 86400)
		buf_puts(out, "day");
	else if (s->bucket % 86400 == 0)
		buf_printf(out, "%lld days", (long long)(s->bucket / 86400));
	else
		buf_printf(out, "%lld hours", (long long)(s->bucket / 3600));
}

static int64_t
bars_max(const struct summary *s, size_t *at)
{
	int64_t max = 0;

	*at = 0;
	for (size_t i = 0; i < s->nbars; i++)
		if (s->bars[i] > max) {
			max = s->bars[i];
			*at = i;
		}
	return max;
}

/* ---- text ---- */

/* Words of our own text, wrapped at width columns, each line after the first indented. */
static void
wrap(struct buf *out, const char *text, size_t col, size_t indent, size_t width)
{
	const char *p = text;

	while (*p) {
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		size_t n = strcspn(p, " \n\t");
		if (n == 0)
			break;
		if (col > indent && col + 1 + n > width) {
			buf_printf(out, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			buf_putc(out, ' ');
			col++;
		}
		buf_append(out, p, n);
		col += n;
		p += n;
	}
}

/* Rows of kinds or of servers (whose name may be NULL: not in the log). */
static void
text_counts(struct buf *out, const char *title, const struct summary_count *rows, size_t n)
{
	struct buf cell;

	buf_init(&cell);
	buf_printf(out, "\n%-40s %10s %10s  %s\n", title, "NOW", "BEFORE", "CHANGE");
	for (size_t i = 0; i < n; i++) {
		buf_reset(&cell);
		if (rows[i].name != NULL)
			put_value(&cell, rows[i].name, VALUE_MAX, 0);
		else
			buf_puts(&cell, "(not named in the log)");
		buf_puts(out, "  ");
		output_pad(out, cell.data, cell.len, 38);
		buf_printf(out, " %10lld %10lld  ", (long long)rows[i].cur, (long long)rows[i].prev);
		put_change(out, rows[i].cur, rows[i].prev, 0);
		buf_putc(out, '\n');
	}
	buf_free(&cell);
}

static void
text_peers(struct buf *out, const struct summary *s, const struct summary_server *sv,
    const struct summary_view *v)
{
	buf_puts(out, "\nTOP FAILING PEERS");
	if (s->nservers > 1) {
		buf_puts(out, " ON ");
		if (sv->name != NULL)
			put_value(out, sv->name, VALUE_MAX, 0);
		else
			buf_puts(out, "(a server not named in the log)");
	}
	buf_putc(out, '\n');
	if (sv->npeers == 0)
		buf_puts(out, "  none in this period\n");
	for (size_t i = 0; i < sv->npeers; i++) {
		const struct summary_peer *p = &sv->peers[i];
		char *advice = peer_advice(p, v);

		buf_printf(out, "%2zu. ", i + 1);
		put_peer_name(out, p, 0);
		buf_printf(out, "\n    %lld %s, ", (long long)p->count,
		    plural(p->count, "failure", "failures"));
		put_minute(out, p->first);
		buf_puts(out, " to ");
		put_minute(out, p->last);
		buf_puts(out, "\n    ");
		put_peer_cause(out, p, 0);
		buf_putc(out, '\n');
		if (advice != NULL) {
			buf_puts(out, "    What to do:");
			wrap(out, advice, 15, 4, 78);
			buf_putc(out, '\n');
		}
		free(advice);
	}
}

static void
text_chart(struct buf *out, const struct summary *s)
{
	size_t at;
	int64_t max = bars_max(s, &at);

	struct buf name;
	buf_init(&name);
	put_bucket_name(&name, s);
	buf_puts(out, "\nFAILURES PER ");
	for (size_t i = 0; i < name.len; i++)
		buf_putc(out, name.data[i] >= 'a' && name.data[i] <= 'z' ? name.data[i] - 'a' + 'A' :
		    name.data[i]);
	buf_puts(out, " (UTC)\n");
	buf_free(&name);
	for (size_t i = 0; i < s->nbars; i++) {
		size_t len = max ? (size_t)((s->bars[i] * TEXT_BAR + max - 1) / max) : 0;
		struct buf label;
		buf_init(&label);
		put_bar_label(&label, s, i, i == 0 || (s->bucket_start + (int64_t)i * s->bucket) %
		    86400 == 0);
		buf_printf(out, "  %11s  ", label.data);
		buf_free(&label);
		for (size_t j = 0; j < TEXT_BAR; j++)
			buf_putc(out, j < len ? '#' : ' ');
		buf_printf(out, " %lld\n", (long long)s->bars[i]);
	}
}

static void
text_flags(struct buf *out, const char *title, const struct summary_flag *f, size_t n,
    int cleared)
{
	if (n == 0)
		return;
	buf_printf(out, "\n%s\n", title);
	for (size_t i = 0; i < n && i < FLAGS_SHOWN; i++) {
		buf_puts(out, "  ");
		put_flag(out, &f[i], 0);
		buf_puts(out, "\n    ");
		put_flag_times(out, &f[i], cleared);
		buf_putc(out, '\n');
	}
	if (n > FLAGS_SHOWN)
		buf_printf(out, "  and %zu more (tlslogd flagged --all)\n", n - FLAGS_SHOWN);
}

void
summary_render_text(struct buf *out, const struct summary *s, const struct summary_view *v)
{
	buf_printf(out, "tlslogd summary on %s %s", v->host, v->last ? "for " : "from ");
	put_period(out, s, v);
	buf_puts(out, "\n");
	if (v->last) {
		buf_puts(out, "(");
		put_minute(out, s->since);
		buf_puts(out, " to ");
		put_minute(out, s->until);
		buf_puts(out, " UTC)\n");
	}
	buf_putc(out, '\n');
	if (summary_is_empty(s)) {
		buf_puts(out, "All quiet: no TLS or AUTH failures, and no peer flagged or cleared.\n");
		buf_printf(out, "%lld %s in ", (long long)s->prev_total,
		    plural(s->prev_total, "failure", "failures"));
		put_before(out, s);
		buf_puts(out, "; ");
		put_active(out, s, v);
		buf_puts(out, ".\n");
		return;
	}
	put_headline(out, s, 0);
	buf_putc(out, '\n');
	put_flag_line(out, s, v);
	buf_putc(out, '\n');
	text_counts(out, "FAILURES BY KIND", s->kinds, s->nkinds);
	if (s->nservers > 1) {
		struct summary_count *rows = xcalloc(s->nservers, sizeof(*rows));
		for (size_t i = 0; i < s->nservers; i++) {
			rows[i].name = s->servers[i].name;
			rows[i].cur = s->servers[i].cur;
			rows[i].prev = s->servers[i].prev;
		}
		text_counts(out, "FAILURES BY SERVER", rows, s->nservers);
		free(rows);
	}
	text_flags(out, "NEWLY FLAGGED", s->raised, s->nraised, 0);
	text_flags(out, "CLEARED (quiet for flag_quiet)", s->cleared, s->ncleared, 1);
	for (size_t i = 0; i < s->nservers; i++)
		if (s->servers[i].cur > 0 || s->nservers == 1)
			text_peers(out, s, &s->servers[i], v);
	text_chart(out, s);
	buf_puts(out, "\n-- \nDetails: tlslogd query --peer PEER; flags: tlslogd flagged.\n");
}

/* ---- HTML ---- */

#define H2 "<h2 style=\"margin:22px 0 6px;font-size:16px;color:#222222\">"
#define TABLE "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\""
#define TH "<th align=\"left\" style=\"padding:3px 8px 3px 0;border-bottom:1px solid #cccccc;" \
    "font-size:12px;color:" COLOR_MUTED ";font-weight:normal\">"
#define THR "<th align=\"right\" style=\"padding:3px 0 3px 12px;border-bottom:1px solid #cccccc;" \
    "font-size:12px;color:" COLOR_MUTED ";font-weight:normal\">"
#define TD "<td style=\"padding:3px 8px 3px 0;border-bottom:1px solid #eeeeee\">"
#define TDR "<td align=\"right\" style=\"padding:3px 0 3px 12px;border-bottom:1px solid #eeeeee\">"

static void
html_counts(struct buf *out, const char *title, const struct summary_count *rows, size_t n,
    const struct summary *s, const char *what)
{
	buf_printf(out, H2 "%s</h2>\n", title);
	buf_puts(out, TABLE " style=\"border-collapse:collapse;font-size:13px\">\n<tr>");
	buf_printf(out, TH "%s</th>" THR "now</th>" THR, what);
	put_before(out, s);
	buf_puts(out, "</th>" THR "change</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		buf_puts(out, "<tr>" TD);
		if (rows[i].name != NULL)
			put_value(out, rows[i].name, VALUE_MAX, 1);
		else
			buf_puts(out, "(not named in the log)");
		buf_printf(out, "</td>" TDR "%lld</td>" TDR "%lld</td>" TDR, (long long)rows[i].cur,
		    (long long)rows[i].prev);
		put_change(out, rows[i].cur, rows[i].prev, 1);
		buf_puts(out, "</td></tr>\n");
	}
	buf_puts(out, "</table>\n");
}

/* A bar: a table cell of the count's height (at least 1 pixel, grey for none). */
static void
html_bar(struct buf *out, int64_t count, int64_t max, int width)
{
	int h = max ? (int)((count * HTML_BAR + max - 1) / max) : 0;
	const char *color = count ? COLOR_BAR : COLOR_NONE;

	if (h < 1)
		h = 1;
	buf_printf(out, "<td valign=\"bottom\" style=\"padding:0 1px;vertical-align:bottom\">"
	    TABLE "><tr><td height=\"%d\" width=\"%d\" bgcolor=\"%s\" style=\"height:%dpx;"
	    "width:%dpx;background-color:%s;font-size:0;line-height:0\">&nbsp;</td></tr>"
	    "</table></td>\n", h, width, color, h, width, color);
}

static void
html_chart(struct buf *out, const struct summary *s)
{
	size_t at;
	int64_t max = bars_max(s, &at);
	int width = (int)(560 / (s->nbars ? s->nbars : 1)) - 2;
	size_t every = s->nbars > 30 ? 6 : s->nbars > 12 ? 3 : 1;

	if (width > 18)
		width = 18;
	if (width < 3)
		width = 3;
	buf_puts(out, H2 "Failures per ");
	put_bucket_name(out, s);
	buf_puts(out, " (UTC)</h2>\n");
	if (max == 0) {
		buf_puts(out, "<p style=\"margin:0;color:" COLOR_MUTED "\">None.</p>\n");
		return;
	}
	buf_printf(out, "<p style=\"margin:0 0 6px;font-size:12px;color:" COLOR_MUTED "\">"
	    "Highest: %lld at ", (long long)max);
	put_bar_label(out, s, at, 1);
	buf_puts(out, ".</p>\n");
	buf_puts(out, TABLE " style=\"border-collapse:collapse\">\n<tr>\n");
	for (size_t i = 0; i < s->nbars; i++)
		html_bar(out, s->bars[i], max, width);
	buf_puts(out, "</tr>\n<tr>\n");
	for (size_t i = 0; i < s->nbars; i += every) {
		size_t span = i + every <= s->nbars ? every : s->nbars - i;
		buf_printf(out, "<td colspan=\"%zu\" align=\"left\" style=\"padding:2px 1px 0;"
		    "font-size:10px;color:" COLOR_MUTED ";white-space:nowrap\">", span);
		if (span == every || span >= 3)
			put_bar_label(out, s, i, 0);
		buf_puts(out, "</td>\n");
	}
	buf_puts(out, "</tr>\n</table>\n");
}

static void
html_flags(struct buf *out, const char *title, const struct summary_flag *f, size_t n,
    int cleared)
{
	if (n == 0)
		return;
	buf_printf(out, H2 "%s</h2>\n<ul style=\"margin:0;padding-left:20px\">\n", title);
	for (size_t i = 0; i < n && i < FLAGS_SHOWN; i++) {
		buf_puts(out, "<li style=\"margin:0 0 4px\">");
		put_flag(out, &f[i], 1);
		buf_puts(out, "<br><span style=\"font-size:12px;color:" COLOR_MUTED "\">");
		put_flag_times(out, &f[i], cleared);
		buf_puts(out, "</span></li>\n");
	}
	if (n > FLAGS_SHOWN)
		buf_printf(out, "<li style=\"margin:0;list-style:none;color:" COLOR_MUTED "\">and %zu "
		    "more (<code>tlslogd flagged --all</code>)</li>\n", n - FLAGS_SHOWN);
	buf_puts(out, "</ul>\n");
}

static void
html_peers(struct buf *out, const struct summary *s, const struct summary_server *sv,
    const struct summary_view *v)
{
	buf_puts(out, H2 "Top failing peers");
	if (s->nservers > 1) {
		buf_puts(out, " on ");
		if (sv->name != NULL)
			put_value(out, sv->name, VALUE_MAX, 1);
		else
			buf_puts(out, "a server not named in the log");
	}
	buf_puts(out, "</h2>\n");
	if (sv->npeers == 0) {
		buf_puts(out, "<p style=\"margin:0;color:" COLOR_MUTED "\">None in this period.</p>\n");
		return;
	}
	buf_puts(out, "<ol style=\"margin:0;padding-left:24px\">\n");
	for (size_t i = 0; i < sv->npeers; i++) {
		const struct summary_peer *p = &sv->peers[i];
		char *advice = peer_advice(p, v);

		buf_puts(out, "<li style=\"margin:0 0 10px\">");
		put_peer_name(out, p, 1);
		buf_printf(out, "<br>\n%lld %s, ", (long long)p->count,
		    plural(p->count, "failure", "failures"));
		put_minute(out, p->first);
		buf_puts(out, " to ");
		put_minute(out, p->last);
		buf_puts(out, "; ");
		put_peer_cause(out, p, 1);
		if (advice != NULL) {
			buf_puts(out, "\n<div style=\"margin:4px 0 0;padding:6px 8px;"
			    "background-color:#f3f6fa;border-left:3px solid #5b7db1\">"
			    "<b>What to do:</b> ");
			put_ours(out, advice, 1);
			buf_puts(out, "</div>");
		}
		free(advice);
		buf_puts(out, "</li>\n");
	}
	buf_puts(out, "</ol>\n");
}

void
summary_render_html(struct buf *out, const struct summary *s, const struct summary_view *v)
{
	buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width\">\n<title>tlslogd summary</title>\n"
	    "</head>\n<body style=\"margin:0;padding:0;background-color:#f4f4f4\">\n");
	buf_puts(out, TABLE " width=\"100%\" bgcolor=\"#f4f4f4\" style=\"background-color:#f4f4f4\">"
	    "<tr><td align=\"center\" style=\"padding:16px 8px\">\n");
	buf_puts(out, TABLE " width=\"680\" bgcolor=\"#ffffff\" style=\"width:100%;max-width:680px;"
	    "background-color:#ffffff;border:1px solid #dddddd\"><tr><td align=\"left\" "
	    "style=\"padding:16px 20px;font-family:Arial,Helvetica,sans-serif;font-size:14px;"
	    "line-height:1.45;color:#222222\">\n");
	buf_puts(out, "<h1 style=\"margin:0 0 2px;font-size:20px;color:#222222\">tlslogd summary on ");
	html_escape(out, v->host, strlen(v->host));
	buf_puts(out, "</h1>\n<p style=\"margin:0 0 14px;font-size:12px;color:" COLOR_MUTED "\">");
	put_minute(out, s->since);
	buf_puts(out, " to ");
	put_minute(out, s->until);
	buf_puts(out, " UTC");
	if (v->last) {
		buf_puts(out, " (");
		put_period(out, s, v);
		buf_putc(out, ')');
	}
	buf_puts(out, "</p>\n");
	if (summary_is_empty(s)) {
		buf_puts(out, "<p style=\"margin:0 0 8px;font-size:16px\"><b>All quiet</b>: no TLS "
		    "or AUTH failures, and no peer flagged or cleared.</p>\n<p style=\"margin:0\">");
		buf_printf(out, "%lld %s in ", (long long)s->prev_total,
		    plural(s->prev_total, "failure", "failures"));
		put_before(out, s);
		buf_puts(out, "; ");
		put_active(out, s, v);
		buf_puts(out, ".</p>\n");
	} else {
		buf_puts(out, "<p style=\"margin:0 0 4px;font-size:16px\">");
		put_headline(out, s, 1);
		buf_puts(out, "</p>\n<p style=\"margin:0\">");
		put_flag_line(out, s, v);
		buf_puts(out, "</p>\n");
		html_chart(out, s);
		html_counts(out, "Failures by kind", s->kinds, s->nkinds, s, "kind");
		if (s->nservers > 1) {
			struct summary_count *rows = xcalloc(s->nservers, sizeof(*rows));
			for (size_t i = 0; i < s->nservers; i++) {
				rows[i].name = s->servers[i].name;
				rows[i].cur = s->servers[i].cur;
				rows[i].prev = s->servers[i].prev;
			}
			html_counts(out, "Failures by server", rows, s->nservers, s, "server");
			free(rows);
		}
		html_flags(out, "Newly flagged", s->raised, s->nraised, 0);
		html_flags(out, "Cleared (quiet for flag_quiet)", s->cleared, s->ncleared, 1);
		for (size_t i = 0; i < s->nservers; i++)
			if (s->servers[i].cur > 0 || s->nservers == 1)
				html_peers(out, s, &s->servers[i], v);
	}
	buf_puts(out, "<p style=\"margin:22px 0 0;font-size:12px;color:" COLOR_MUTED "\">Details: "
	    "<code>tlslogd query --peer PEER</code>; flags: <code>tlslogd flagged</code>.</p>\n");
	buf_puts(out, "</td></tr></table>\n</td></tr></table>\n</body>\n</html>\n");
}

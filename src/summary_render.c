/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary_render.c: the summary as text, as HTML and as a subject line (see
 * summary_render.h for the escaping promised).
 *
 * The text part is meant to fit on one screen (TEXT_LINES) for an ordinary
 * day: what changed since the period before first (the regressions, partners
 * that used to succeed, at its top with their history; the peers that never
 * succeeded counted apart as noise at its end), then each cause once with
 * what to do about it, the worst peers one line each, and the chart as one
 * line of block characters. The advice, the longest part, gets the lines the
 * rest leaves (the first cause's always): a cause whose advice does not fit
 * is listed without it, and `tlslogd query --peer` or the HTML part gives it.
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
/* Flags, causes and peers named on the text's one-screen summary. */
#define TEXT_FLAGS 5
#define TEXT_CAUSES 6
/* Peers listed at least, before the advice gets the lines left. */
#define TEXT_PEERS 5
/* Lines of the text part: one screen of a mail reader or a terminal. */
#define TEXT_LINES 50
/* Longest value from a log shown, in code points (a HELO may be 1024 bytes). */
#define VALUE_MAX 120
/* ... on the text's compact lines. */
#define VALUE_SHORT 40
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

/*
 * A length of time as people say it: "40 seconds", "25 minutes", "3 hours",
 * "36 days": rounded to the nearest unit, the unit the largest that leaves
 * at least two of it (under 90 minutes in minutes, under 48 hours in hours).
 */
static void
put_duration(struct buf *out, int64_t len)
{
	int64_t n;
	const char *unit;

	if (len < 0)
		len = 0;
	if (len < 90) {
		n = len, unit = "second";
	} else if (len < 90 * 60) {
		n = (len + 30) / 60, unit = "minute";
	} else if (len < 48 * 3600) {
		n = (len + 1800) / 3600, unit = "hour";
	} else {
		n = (len + 43200) / 86400, unit = "day";
	}
	buf_printf(out, "%lld %s%s", (long long)n, unit, n == 1 ? "" : "s");
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

/* "07:00" (UTC). */
static void
put_clock(struct buf *out, int64_t t)
{
	char iso[32];

	timeparse_format_iso(t, iso, sizeof(iso));
	iso[16] = '\0';
	buf_puts(out, iso + 11);
}

/* "the last 24 hours", or "2026-11-21 07:00 to 2026-11-22 07:00 UTC". */
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

/* "in the last 24 hours", or "from 2026-11-21 07:00 to 2026-11-22 07:00 UTC". */
static void
put_in_period(struct buf *out, const struct summary *s, const struct summary_view *v)
{
	buf_puts(out, v->last ? "in " : "from ");
	put_period(out, s, v);
}

/* "the 24 hours before". */
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

/* ---- SASL prompts ---- */

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * The SASL prompt a token of len bytes is the base64 of ("UGFzc3dvcmQ6" is
 * "Password:", "VXNlcm5hbWU6" "Username:"), into out: printable ASCII ending
 * in a colon, as the LOGIN mechanism's prompts are. 0 when it is not one
 * (so that an ordinary word is never "decoded").
 */
static int
sasl_prompt(const char *tok, size_t len, char *out, size_t size)
{
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0;

	if (len < 8 || len % 4 != 0 || len / 4 * 3 >= size)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (tok[i] == '=') {
			if (i < len - 2 || (i == len - 2 && tok[len - 1] != '='))
				return 0;
			break;
		}
		int v = b64_value(tok[i]);
		if (v < 0)
			return 0;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 32 || (unsigned char)out[i] > 126)
			return 0;
	return n >= 2 && out[n - 1] == ':';
}

/*
 * A reason as logged, quoted, then what its base64 SASL prompts say:
 * "UGFzc3dvcmQ6" (the SASL prompt "Password:", in base64). The prompt is
 * printable ASCII without quotes or angle brackets of its own making: it
 * still goes through put_value.
 */
static void
put_reason(struct buf *out, const char *reason, size_t max, int html)
{
	const char *quote = html ? "&quot;" : "\"";
	char prompt[64];
	int shown = 0;

	buf_puts(out, quote);
	put_value(out, reason, max, html);
	buf_puts(out, quote);
	for (const char *p = reason; p != NULL && *p && shown < 2; ) {
		size_t n = strcspn(p, " \t,;");
		if (sasl_prompt(p, n, prompt, sizeof(prompt))) {
			buf_printf(out, "%sthe SASL prompt %s", shown ? ", " : " (", quote);
			put_value(out, prompt, max, html);
			buf_puts(out, quote);
			shown++;
		}
		p += n;
		p += strspn(p, " \t,;");
	}
	if (shown)
		buf_puts(out, ", in base64)");
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
	if (s->nregressions > 0)
		buf_printf(out, ", %zu %s", s->nregressions, plural((int64_t)s->nregressions,
		    "regression", "regressions"));
	if (s->nfresh_all > 0)
		buf_printf(out, ", %lld new %s", (long long)s->nfresh_all,
		    plural(s->nfresh_all, "peer", "peers"));
	if (s->nraised > 0)
		buf_printf(out, ", %zu %s newly flagged", s->nraised, plural((int64_t)s->nraised,
		    "peer", "peers"));
	if (s->ncleared > 0)
		buf_printf(out, ", %zu %s cleared", s->ncleared, plural((int64_t)s->ncleared,
		    "flag", "flags"));
}

/* ---- pieces shared by text and HTML ---- */

/* "91 TLS and AUTH failures from 14 peers, up 20% from 76 in the 24 hours before." */
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
	buf_printf(out, " TLS %s from %lld %s, ", plural(s->total, "or AUTH failure",
	    "and AUTH failures"), (long long)s->npeers_cur, plural(s->npeers_cur, "peer", "peers"));
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
put_strong(struct buf *out, const char *value, size_t max, int html)
{
	if (html)
		buf_puts(out, "<b>");
	put_value(out, value, max, html);
	if (html)
		buf_puts(out, "</b>");
}

/* "192.0.2.7 (guessing): 5 events of auth_failed in 10m" */
static void
put_flag(struct buf *out, const struct summary_flag *f, int html)
{
	put_strong(out, f->peer, VALUE_MAX, html);
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

/*
 * The peer's name: its address or name ("(no peer named in the log)"), then
 * the name it goes by: its reverse name, else the HELO name it gave.
 */
static void
put_peer_name(struct buf *out, const struct summary_peer *p, size_t max, int html)
{
	if (p->ip != NULL || p->host != NULL)
		put_strong(out, p->ip != NULL ? p->ip : p->host, max, html);
	else
		buf_puts(out, html ? "<b>(no peer named in the log)</b>" : "(no peer named in the log)");
	if (p->ip != NULL && p->reverse != NULL && strcmp(p->reverse, "unknown") != 0) {
		buf_puts(out, " (");
		put_value(out, p->reverse, max, html);
		buf_putc(out, ')');
	} else if (p->helo != NULL) {
		buf_puts(out, html ? " (HELO &quot;" : " (HELO \"");
		put_value(out, p->helo, max, html);
		buf_puts(out, html ? "&quot;)" : "\")");
	}
}

/* "auth_failed (in, postfix)" */
static void
put_cause_name(struct buf *out, const char *kind, const char *dir, const char *mta, int html)
{
	put_strong(out, kind, VALUE_MAX, html);
	buf_puts(out, " (");
	put_value(out, dir, VALUE_MAX, html);
	buf_puts(out, ", ");
	put_value(out, mta, VALUE_MAX, html);
	buf_putc(out, ')');
}

/* "12 auth_failed for 3 hours" or "12 failures, 9 auth_failed, once": the peer's compact line. */
static void
put_peer_summary(struct buf *out, const struct summary *s, const struct summary_peer *p, int html)
{
	if (p->kind != NULL && p->ncauses > 1) {
		buf_printf(out, "%lld failures, %lld ", (long long)p->count, (long long)p->kind_count);
		put_value(out, p->kind, VALUE_MAX, html);
	} else if (p->kind != NULL) {
		buf_printf(out, "%lld ", (long long)p->count);
		put_value(out, p->kind, VALUE_MAX, html);
	} else {
		buf_printf(out, "%lld %s", (long long)p->count, plural(p->count, "failure", "failures"));
	}
	if (p->count == 1 || p->first == p->last) {
		buf_puts(out, p->count == 1 ? " at " : " all at ");
		put_clock(out, p->first);
	} else {
		buf_puts(out, " for ");
		put_duration(out, p->last - p->first);
	}
	if (p->server != NULL && s->nservers > 1) {
		buf_puts(out, " on ");
		put_value(out, p->server, VALUE_SHORT, html);
	}
	if (p->prev == 0)
		buf_puts(out, html ? ", <span style=\"color:" COLOR_UP "\">new</span>" : ", new");
	if (p->flag != NULL) {
		buf_puts(out, html ? ", <span style=\"color:" COLOR_UP "\">flagged now</span> (" :
		    ", flagged now (");
		put_value(out, p->flag, VALUE_SHORT, html);
		buf_putc(out, ')');
	}
}

/* The advice for a cause with the values all its events agree on (a new string), or NULL. */
static char *
cause_advice(const struct summary_cause *k, const struct summary_view *v)
{
	struct advice_values values = { k->ip, k->host, k->domain };

	if (k->kind == NULL || k->direction == NULL)
		return NULL;
	int kind = event_kind_from_name(k->kind, strlen(k->kind));
	int dir = event_direction_from_name(k->direction);
	if (kind < 0 || dir < 0)
		return NULL;
	return advice_render(v->advice, (enum event_kind)kind, (enum event_direction)dir, k->mta,
	    &values);
}

/* "40 failures from 9 peers, up 20%" */
static void
put_cause_counts(struct buf *out, const struct summary_cause *k, int html)
{
	buf_printf(out, "%lld %s from %lld %s, ", (long long)k->cur,
	    plural(k->cur, "failure", "failures"), (long long)k->peers,
	    plural(k->peers, "peer", "peers"));
	put_change(out, k->cur, k->prev, html);
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

/* Words of text, wrapped at width columns, each line after the first indented. */
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

/* "  Title: text", wrapped at 78 columns with the next lines indented by 4. */
static void
text_item(struct buf *out, const char *title, const struct buf *text)
{
	buf_printf(out, "  %s:", title);
	wrap(out, text->data, strlen(title) + 3, 4, 78);
	buf_putc(out, '\n');
}

/*
 * Peers named in the changes: "192.0.2.7 (12), 192.0.2.8 (3), and 4 more"; those
 * failing before only with their kind, which the rest of the summary does not name:
 * "192.0.2.40 (5 auth_failed)".
 */
static void
put_peer_list(struct buf *out, const struct summary_peer *p, size_t n, int64_t all, int before,
    int html)
{
	for (size_t i = 0; i < n; i++) {
		buf_puts(out, i ? ", " : "");
		if (p[i].ip != NULL || p[i].host != NULL)
			put_strong(out, p[i].ip != NULL ? p[i].ip : p[i].host, VALUE_SHORT, html);
		else
			buf_puts(out, "(no peer named)");
		buf_printf(out, " (%lld", (long long)(before ? p[i].prev : p[i].count));
		if (before && p[i].kind != NULL) {
			buf_putc(out, ' ');
			put_value(out, p[i].kind, VALUE_SHORT, html);
		}
		buf_putc(out, ')');
	}
	if ((int64_t)n < all)
		buf_printf(out, ", and %lld more", (long long)(all - (int64_t)n));
}

/* Kinds new in the period (new) or no longer seen in it: "tls_no_shared_cipher (8)". */
static size_t
put_kind_list(struct buf *out, const struct summary *s, int new, int html)
{
	size_t shown = 0;

	for (size_t i = 0; i < s->nkinds; i++) {
		const struct summary_count *k = &s->kinds[i];
		if (new ? !(k->cur > 0 && k->prev == 0) : !(k->cur == 0 && k->prev > 0))
			continue;
		buf_puts(out, shown++ ? ", " : "");
		put_strong(out, k->name, VALUE_SHORT, html);
		buf_printf(out, " (%lld)", (long long)(new ? k->cur : k->prev));
	}
	return shown;
}

/* Flags named in the changes: "192.0.2.7 (guessing), 203.0.113.9 (tls), and 2 more". */
static void
put_flag_list(struct buf *out, const struct summary_flag *f, size_t n, size_t max, int html)
{
	for (size_t i = 0; i < n && i < max; i++) {
		buf_puts(out, i ? ", " : "");
		put_strong(out, f[i].peer, VALUE_SHORT, html);
		buf_puts(out, " (");
		put_value(out, f[i].threshold, VALUE_SHORT, html);
		buf_putc(out, ')');
	}
	if (n > max)
		buf_printf(out, ", and %zu more", n - max);
}

/*
 * The peers that never succeeded and no threshold flagged: "3, flagged by
 * no threshold (noise): 203.0.113.66 (3 tls_no_shared_cipher), and 2 more".
 */
static void
put_noise_list(struct buf *out, const struct summary *s, int html)
{
	buf_printf(out, "%lld, flagged by no threshold (noise): ", (long long)s->nnoise_all);
	for (size_t i = 0; i < s->nnoise; i++) {
		const struct summary_noise *p = &s->noise[i];
		buf_puts(out, i ? ", " : "");
		put_strong(out, p->ip, VALUE_SHORT, html);
		buf_printf(out, " (%lld", (long long)p->count);
		if (p->kind != NULL) {
			buf_putc(out, ' ');
			put_value(out, p->kind, VALUE_SHORT, html);
		}
		buf_putc(out, ')');
	}
	if ((int64_t)s->nnoise < s->nnoise_all)
		buf_printf(out, ", and %lld more", (long long)(s->nnoise_all - (int64_t)s->nnoise));
}

#define NOISE_TITLE "Failing peers with no success history"

/* Our own text in capitals, for a heading. */
static void
put_upper(struct buf *out, const char *text)
{
	for (const char *p = text; *p; p++)
		buf_putc(out, *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p);
}

/* A heading of the text: "\nWHAT CHANGED SINCE THE 24 HOURS BEFORE\n". */
static void
text_heading(struct buf *out, const char *title, const struct summary *s)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, title);
	if (s != NULL)
		put_before(&b, s);
	buf_putc(out, '\n');
	put_upper(out, b.data);
	buf_putc(out, '\n');
	buf_free(&b);
}

/* New and recovered peers, new and gone kinds, flags raised and cleared. */
static void
text_changes(struct buf *out, const struct summary *s)
{
	struct buf item;
	char title[96];
	int any = 0;

	buf_init(&item);
	text_heading(out, "What changed since ", s);
	/* Regressions first: the partners that used to succeed. */
	for (size_t i = 0; i < s->nregressions && i < TEXT_FLAGS; i++) {
		buf_reset(&item);
		buf_puts(&item, s->regressions[i].headline);
		text_item(out, "Regression", &item);
		any = 1;
	}
	if (s->nregressions > TEXT_FLAGS)
		buf_printf(out, "  and %zu more regressions (tlslogd flagged)\n",
		    s->nregressions - TEXT_FLAGS);
	buf_reset(&item);
	if (s->nfresh_all > 0) {
		put_peer_list(&item, s->fresh, s->nfresh, s->nfresh_all, 0, 0);
		snprintf(title, sizeof(title), "%lld new %s failing", (long long)s->nfresh_all,
		    plural(s->nfresh_all, "peer", "peers"));
		text_item(out, title, &item);
		any = 1;
	}
	if (s->nrecovered_all > 0) {
		buf_reset(&item);
		put_peer_list(&item, s->recovered, s->nrecovered, s->nrecovered_all, 1, 0);
		snprintf(title, sizeof(title), "%lld %s recovered (failing before, not since)",
		    (long long)s->nrecovered_all, plural(s->nrecovered_all, "peer", "peers"));
		text_item(out, title, &item);
		any = 1;
	}
	buf_reset(&item);
	if (put_kind_list(&item, s, 1, 0) > 0) {
		text_item(out, "New kinds", &item);
		any = 1;
	}
	buf_reset(&item);
	if (put_kind_list(&item, s, 0, 0) > 0) {
		text_item(out, "Kinds no longer seen", &item);
		any = 1;
	}
	if (s->nraised + s->ncleared > 0) {
		buf_reset(&item);
		if (s->nraised > 0)
			put_flag_list(&item, s->raised, s->nraised, TEXT_FLAGS, 0);
		else
			buf_puts(&item, "none");
		if (s->ncleared > 0) {
			buf_puts(&item, "; cleared: ");
			put_flag_list(&item, s->cleared, s->ncleared, TEXT_FLAGS, 0);
		}
		text_item(out, "Newly flagged", &item);
		any = 1;
	}
	if (s->nnoise_all > 0) {
		buf_reset(&item);
		put_noise_list(&item, s, 0);
		text_item(out, NOISE_TITLE, &item);
		any = 1;
	}
	if (!any)
		buf_puts(out, "  Nothing new: the same peers and kinds, no flag raised or cleared.\n");
	buf_free(&item);
}

static size_t
count_lines(const struct buf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

/*
 * Each cause once, most failures first: its counts and its most frequent
 * reason, then what to do while the advice fits in budget lines; a cause
 * whose advice does not fit is listed without it.
 */
static void
text_causes(struct buf *out, const struct summary *s, const struct summary_view *v, size_t budget)
{
	struct buf advice;
	int left_out = 0;

	if (s->ncauses == 0)
		return;
	text_heading(out, "Causes and what to do", NULL);
	buf_init(&advice);
	for (size_t i = 0; i < s->ncauses && i < TEXT_CAUSES; i++) {
		const struct summary_cause *k = &s->causes[i];
		buf_puts(out, "  ");
		put_cause_name(out, k->kind, k->direction, k->mta, 0);
		buf_puts(out, ": ");
		put_cause_counts(out, k, 0);
		buf_putc(out, '\n');
		if (k->reason != NULL) {
			buf_puts(out, "    Reason ");
			put_reason(out, k->reason, VALUE_SHORT * 2, 0);
			buf_putc(out, '\n');
		}
		char *text = cause_advice(k, v);
		if (text == NULL)
			continue;
		buf_reset(&advice);
		buf_puts(&advice, "    What to do:");
		wrap(&advice, text, 15, 4, 78);
		buf_putc(&advice, '\n');
		free(text);
		/* The advice of the first cause is the one most worth the lines. */
		if (i == 0 || count_lines(&advice) <= budget) {
			buf_append(out, advice.data, advice.len);
			budget -= count_lines(&advice) < budget ? count_lines(&advice) : budget;
		} else {
			left_out = 1;
		}
	}
	if (s->ncauses > TEXT_CAUSES)
		buf_printf(out, "  and %zu more (in the HTML part)\n", s->ncauses - TEXT_CAUSES);
	if (left_out)
		buf_puts(out, "  What to do about the others: tlslogd query --peer PEER, or the HTML part.\n");
	buf_free(&advice);
}

/* The worst peers, one line each, at most max. */
static void
text_peers(struct buf *out, const struct summary *s, size_t max)
{
	size_t n = s->npeers < max ? s->npeers : max;

	if (n == 0)
		return;
	text_heading(out, "Worst peers", NULL);
	for (size_t i = 0; i < n; i++) {
		const struct summary_peer *p = &s->peers[i];
		buf_printf(out, "%4zu. ", i + 1);
		put_peer_name(out, p, VALUE_SHORT, 0);
		buf_puts(out, ": ");
		put_peer_summary(out, s, p, 0);
		buf_putc(out, '\n');
	}
	if ((int64_t)n < s->npeers_cur)
		buf_printf(out, "  and %lld more (tlslogd top)\n", (long long)(s->npeers_cur - (int64_t)n));
}

/* The chart as one line of block characters, a bar for each bucket, "." for none. */
static void
text_chart(struct buf *out, const struct summary *s)
{
	static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584", "\u2585",
		"\u2586", "\u2587", "\u2588" };
	size_t at;
	int64_t max = bars_max(s, &at);
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "Failures per ");
	put_bucket_name(&b, s);
	buf_puts(&b, " (UTC)");
	if (max > 0) {
		buf_printf(&b, ", highest %lld at ", (long long)max);
		put_bar_label(&b, s, at, 1);
	}
	text_heading(out, b.data, NULL);
	buf_free(&b);
	buf_puts(out, "  ");
	put_bar_label(out, s, 0, 0);
	buf_putc(out, ' ');
	for (size_t i = 0; i < s->nbars; i++) {
		if (s->bars[i] == 0)
			buf_putc(out, '.');
		else
			buf_puts(out, blocks[(s->bars[i] * 8 - 1) / max]);
	}
	buf_putc(out, ' ');
	put_bar_label(out, s, s->nbars - 1, 0);
	buf_putc(out, '\n');
}

/* "SERVERS: mx1 26 (up 420%), mx2 8 (new)", when several log into the database. */
static void
text_servers(struct buf *out, const struct summary *s)
{
	struct buf item;

	if (s->nservers < 2)
		return;
	buf_init(&item);
	for (size_t i = 0; i < s->nservers; i++) {
		buf_puts(&item, i ? ", " : "");
		if (s->servers[i].name != NULL)
			put_value(&item, s->servers[i].name, VALUE_SHORT, 0);
		else
			buf_puts(&item, "(not named)");
		buf_printf(&item, " %lld (", (long long)s->servers[i].cur);
		put_change(&item, s->servers[i].cur, s->servers[i].prev, 0);
		buf_putc(&item, ')');
	}
	buf_puts(out, "Per server:");
	wrap(out, item.data, 11, 4, 78);
	buf_putc(out, '\n');
	buf_free(&item);
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
	text_servers(out, s);
	text_changes(out, s);
	/*
	 * The lines left after the rest (and after at least TEXT_PEERS peers) go
	 * to the advice, most failures first; the peers get what the advice leaves.
	 */
	struct buf tail, probe;
	buf_init(&tail);
	buf_init(&probe);
	text_chart(&tail, s);
	buf_puts(&tail, "\n-- \nDetails: tlslogd query --peer PEER; flags: tlslogd flagged.\n");
	text_causes(&probe, s, v, 0);
	size_t peer_lines = s->npeers ? 3 + (s->npeers < TEXT_PEERS ? s->npeers : TEXT_PEERS) : 0;
	size_t used = count_lines(out) + count_lines(&probe) + count_lines(&tail) + peer_lines;
	text_causes(out, s, v, used < TEXT_LINES ? TEXT_LINES - used : 0);
	used = count_lines(out) + count_lines(&tail);
	text_peers(out, s, used + 3 + TEXT_PEERS < TEXT_LINES ? TEXT_LINES - used - 3 : TEXT_PEERS);
	buf_append(out, tail.data, tail.len);
	buf_free(&tail);
	buf_free(&probe);
}

/* ---- HTML ---- */

#define H2 "<h2 style=\"margin:22px 0 6px;font-size:16px;color:#222222\">"
#define TABLE "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\""
#define TH "<th align=\"left\" style=\"padding:3px 8px 3px 0;border-bottom:1px solid #cccccc;" \
    "font-size:12px;color:" COLOR_MUTED ";font-weight:normal\">"
#define THR "<th align=\"right\" style=\"padding:3px 0 3px 12px;border-bottom:1px solid #cccccc;" \
    "font-size:12px;color:" COLOR_MUTED ";font-weight:normal\">"
/* Long values from logs (a HELO of 120 characters without a blank) break anywhere. */
#define BREAK "overflow-wrap:anywhere;word-wrap:break-word;word-break:break-word"
#define TD "<td style=\"padding:3px 8px 3px 0;border-bottom:1px solid #eeeeee;" BREAK "\">"
#define TDR "<td align=\"right\" style=\"padding:3px 0 3px 12px;border-bottom:1px solid #eeeeee\">"
#define LI "<li style=\"margin:0 0 6px;" BREAK "\">"
#define MUTED "<span style=\"font-size:12px;color:" COLOR_MUTED "\">"

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
html_item(struct buf *out, const char *title, const struct buf *text)
{
	buf_printf(out, LI "%s: ", title);
	buf_append(out, text->data, text->len);
	buf_puts(out, "</li>\n");
}

/* The changes, as text_changes. */
static void
html_changes(struct buf *out, const struct summary *s)
{
	struct buf item;
	char title[96];
	int any = 0;

	buf_init(&item);
	buf_puts(out, H2 "What changed since ");
	put_before(out, s);
	buf_puts(out, "</h2>\n<ul style=\"margin:0;padding-left:20px\">\n");
	for (size_t i = 0; i < s->nregressions && i < FLAGS_SHOWN; i++) {
		buf_reset(&item);
		buf_puts(&item, "<b>");
		html_escape(&item, s->regressions[i].headline, strlen(s->regressions[i].headline));
		buf_puts(&item, "</b>");
		html_item(out, "Regression", &item);
		any = 1;
	}
	buf_reset(&item);
	if (s->nfresh_all > 0) {
		put_peer_list(&item, s->fresh, s->nfresh, s->nfresh_all, 0, 1);
		snprintf(title, sizeof(title), "%lld new %s failing", (long long)s->nfresh_all,
		    plural(s->nfresh_all, "peer", "peers"));
		html_item(out, title, &item);
		any = 1;
	}
	if (s->nrecovered_all > 0) {
		buf_reset(&item);
		put_peer_list(&item, s->recovered, s->nrecovered, s->nrecovered_all, 1, 1);
		snprintf(title, sizeof(title), "%lld %s recovered (failing before, not since)",
		    (long long)s->nrecovered_all, plural(s->nrecovered_all, "peer", "peers"));
		html_item(out, title, &item);
		any = 1;
	}
	buf_reset(&item);
	if (put_kind_list(&item, s, 1, 1) > 0) {
		html_item(out, "New kinds", &item);
		any = 1;
	}
	buf_reset(&item);
	if (put_kind_list(&item, s, 0, 1) > 0) {
		html_item(out, "Kinds no longer seen", &item);
		any = 1;
	}
	if (s->nnoise_all > 0) {
		buf_reset(&item);
		put_noise_list(&item, s, 1);
		html_item(out, NOISE_TITLE, &item);
		any = 1;
	}
	if (!any)
		buf_puts(out, LI "Nothing new: the same peers and kinds.</li>\n");
	buf_puts(out, "</ul>\n");
	buf_free(&item);
}

static void
html_causes(struct buf *out, const struct summary *s, const struct summary_view *v)
{
	if (s->ncauses == 0)
		return;
	buf_puts(out, H2 "Causes and what to do</h2>\n<ul style=\"margin:0;padding-left:20px\">\n");
	for (size_t i = 0; i < s->ncauses; i++) {
		const struct summary_cause *k = &s->causes[i];
		char *advice = cause_advice(k, v);

		buf_puts(out, LI);
		put_cause_name(out, k->kind, k->direction, k->mta, 1);
		buf_puts(out, ": ");
		put_cause_counts(out, k, 1);
		if (k->reason != NULL) {
			buf_puts(out, "<br>" MUTED "reason ");
			put_reason(out, k->reason, VALUE_MAX, 1);
			buf_puts(out, "</span>");
		}
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
	buf_puts(out, "</ul>\n");
}

/* The peer's details under its line: reason, users, HELO. */
static void
html_peer_details(struct buf *out, const struct summary_peer *p)
{
	const char *sep = "<br>" MUTED;

	if (p->kind != NULL) {
		buf_puts(out, sep);
		sep = "; ";
		put_value(out, p->direction, VALUE_MAX, 1);
		buf_puts(out, ", ");
		put_value(out, p->mta, VALUE_MAX, 1);
	}
	if (p->reason != NULL) {
		buf_puts(out, sep);
		sep = "; ";
		buf_puts(out, "reason ");
		put_reason(out, p->reason, VALUE_MAX, 1);
	}
	if (p->users > 0) {
		buf_puts(out, sep);
		sep = "; ";
		buf_printf(out, "%lld user %s, e.g. &quot;", (long long)p->users,
		    plural(p->users, "name", "names"));
		put_value(out, p->user, VALUE_MAX, 1);
		buf_puts(out, "&quot;");
	}
	if (p->helo != NULL) {
		buf_puts(out, sep);
		sep = "; ";
		buf_puts(out, "HELO &quot;");
		put_value(out, p->helo, VALUE_MAX, 1);
		buf_puts(out, "&quot;");
	}
	if (sep[0] == ';')
		buf_puts(out, "</span>");
}

static void
html_peers(struct buf *out, const struct summary *s)
{
	if (s->npeers == 0)
		return;
	buf_puts(out, H2 "Worst peers</h2>\n<ol style=\"margin:0;padding-left:24px\">\n");
	for (size_t i = 0; i < s->npeers; i++) {
		const struct summary_peer *p = &s->peers[i];
		buf_puts(out, LI);
		put_peer_name(out, p, VALUE_MAX, 1);
		buf_puts(out, ": ");
		put_peer_summary(out, s, p, 1);
		html_peer_details(out, p);
		buf_puts(out, "</li>\n");
	}
	if ((int64_t)s->npeers < s->npeers_cur)
		buf_printf(out, "<li style=\"margin:0;list-style:none;color:" COLOR_MUTED "\">and "
		    "%lld more (<code>tlslogd top</code>)</li>\n",
		    (long long)(s->npeers_cur - (int64_t)s->npeers));
	buf_puts(out, "</ol>\n");
}

static void
html_flags(struct buf *out, const char *title, const struct summary_flag *f, size_t n,
    int cleared)
{
	if (n == 0)
		return;
	buf_printf(out, H2 "%s</h2>\n<ul style=\"margin:0;padding-left:20px\">\n", title);
	for (size_t i = 0; i < n && i < FLAGS_SHOWN; i++) {
		buf_puts(out, LI);
		put_flag(out, &f[i], 1);
		buf_puts(out, "<br>" MUTED);
		put_flag_times(out, &f[i], cleared);
		buf_puts(out, "</span></li>\n");
	}
	if (n > FLAGS_SHOWN)
		buf_printf(out, "<li style=\"margin:0;list-style:none;color:" COLOR_MUTED "\">and %zu "
		    "more (<code>tlslogd flagged --all</code>)</li>\n", n - FLAGS_SHOWN);
	buf_puts(out, "</ul>\n");
}

static void
html_body(struct buf *out, const struct summary *s, const struct summary_view *v)
{
	buf_puts(out, "<p style=\"margin:0 0 4px;font-size:16px\">");
	put_headline(out, s, 1);
	buf_puts(out, "</p>\n<p style=\"margin:0\">");
	put_flag_line(out, s, v);
	buf_puts(out, "</p>\n");
	html_changes(out, s);
	html_flags(out, "Newly flagged", s->raised, s->nraised, 0);
	html_flags(out, "Cleared (quiet for flag_quiet)", s->cleared, s->ncleared, 1);
	html_chart(out, s);
	html_causes(out, s, v);
	html_peers(out, s);
	html_counts(out, "Failures by kind", s->kinds, s->nkinds, s, "kind");
	if (s->nservers > 1)
		html_counts(out, "Failures by server", s->servers, s->nservers, s, "server");
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
	    "table-layout:fixed;background-color:#ffffff;border:1px solid #dddddd\"><tr><td "
	    "align=\"left\" style=\"padding:16px 20px;font-family:Arial,Helvetica,sans-serif;"
	    "font-size:14px;line-height:1.45;color:#222222;" BREAK "\">\n");
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
		html_body(out, s, v);
	}
	buf_puts(out, "<p style=\"margin:22px 0 0;font-size:12px;color:" COLOR_MUTED "\">Details: "
	    "<code>tlslogd query --peer PEER</code>; flags: <code>tlslogd flagged</code>.</p>\n");
	buf_puts(out, "</td></tr></table>\n</td></tr></table>\n</body>\n</html>\n");
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peerhist.c: a peer's success history as one sentence (see peerhist.h).
 *
 * "every day" is said only when each day from the first success of the
 * window to the last success has a row; otherwise "on 5 of the 7 days
 * until": a partner that sends twice a week is not said to send daily. The
 * volume is what the peer did most of: messages, else logins, else sessions.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peerhist.h"
#include "reportdb.h"
#include "util.h"

#define VALUE_MAX 253	/* longest value shown (a host name's limit) */

/* A copy of column c, kept to printable ASCII and cut; NULL for NULL. */
static char *
clean_dup(const struct reportdb_rows *r, int c)
{
	size_t len;
	const char *t = reportdb_text(r, c, &len);

	if (t == NULL)
		return NULL;
	if (len > VALUE_MAX)
		len = VALUE_MAX;
	char *s = xstrndup(t, len);
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	return s;
}

/* The peer's days in the window ending with its last success. */
static int
read_days(struct reportdb *db, const char *peer, struct peerhist *h, int64_t last_day)
{
	struct reportdb_rows *r = reportdb_peer_history(db, peer, last_day - h->window + 1, last_day);
	int rc = 0;
	int64_t first_day = -1;

	while (r != NULL && (rc = reportdb_next(r)) == 1) {
		if (first_day < 0) {
			first_day = reportdb_int(r, 0);
			h->first = reportdb_int(r, 1);
		}
		h->days++;
		h->messages += reportdb_int(r, 3);
		h->sessions += reportdb_int(r, 4);
		h->logins += reportdb_int(r, 5);
	}
	reportdb_rows_free(r);
	if (r == NULL || rc < 0)
		return -1;
	h->span = first_day < 0 ? 0 : (int)(last_day - first_day + 1);
	return 0;
}

/* The failures after the last success (after all time when none). */
static int
read_failures(struct reportdb *db, const char *peer, struct peerhist *h)
{
	struct reportdb_rows *r = reportdb_peer_failures_after(db, peer, h->known ? h->last : -1);
	int rc = 0;

	while (r != NULL && (rc = reportdb_next(r)) == 1) {
		int64_t first = reportdb_int(r, 2);
		if (h->fail_kind == NULL)
			h->fail_kind = clean_dup(r, 0);
		if (h->failures == 0 || first < h->fail_first)
			h->fail_first = first;
		h->failures += reportdb_int(r, 1);
	}
	reportdb_rows_free(r);
	return r == NULL || rc < 0 ? -1 : 0;
}

int
peerhist_read(struct reportdb *db, const char *peer, int window, struct peerhist *h)
{
	int absent = 0, rc = 0;
	int64_t last_day = 0;

	memset(h, 0, sizeof(*h));
	h->window = window > 0 ? window : 1;
	struct reportdb_rows *r = reportdb_peer_last_success(db, peer, &absent);
	if (r == NULL && !absent)
		return -1;
	if (r != NULL && (rc = reportdb_next(r)) == 1) {
		h->known = 1;
		last_day = reportdb_int(r, 0);
		h->last = reportdb_int(r, 1);
		h->version = clean_dup(r, 2);
		const char *dir = reportdb_text(r, 3, NULL);
		h->out = dir != NULL && strcmp(dir, "out") == 0;
		h->host = clean_dup(r, 4);
		h->login = (int)reportdb_int(r, 5);
	}
	reportdb_rows_free(r);
	/* No success of this peer: is any success counted at all? */
	int kept = h->known ? 1 : absent ? 0 : reportdb_peer_days_kept(db);
	h->untracked = kept == 0;
	if (rc < 0 || kept < 0 || (h->known && read_days(db, peer, h, last_day) < 0) ||
	    read_failures(db, peer, h) < 0) {
		peerhist_free(h);
		return -1;
	}
	return 0;
}

void
peerhist_free(struct peerhist *h)
{
	if (h == NULL)
		return;
	free(h->version);
	free(h->host);
	free(h->fail_kind);
	memset(h, 0, sizeof(*h));
}

int
peerhist_worth_saying(const struct peerhist *h)
{
	return h->known || (!h->untracked && h->failures > 0);
}

enum { PUT_DATE, PUT_DATE_TIME, PUT_TIME };

/* "2026-12-01", "2026-12-01 09:14" or "09:14", UTC. */
static void
put_utc(struct buf *out, int64_t when, int what)
{
	char text[32];
	time_t t = (time_t)when;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(text, sizeof(text), what == PUT_DATE ? "%Y-%m-%d" : what == PUT_TIME ? "%H:%M" :
	    "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(text, sizeof(text), "%lld", (long long)when);
	buf_puts(out, text);
}

static const char *
plural(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void
peerhist_sentence(struct buf *out, const struct peerhist *h)
{
	if (!h->known) {
		buf_printf(out, "no successful session in the last %d %s: not a known partner",
		    h->window, plural(h->window, "day", "days"));
		return;
	}
	buf_puts(out, h->login ? "logged in" : h->out ? "delivered" : "received");
	if (h->version != NULL)
		buf_printf(out, " over %s", h->version);
	else
		buf_puts(out, " in clear text");
	if (h->days == 1 && h->span == 1) {
		buf_puts(out, " on ");
		put_utc(out, h->last, PUT_DATE);
		buf_puts(out, " until ");
		put_utc(out, h->last, PUT_TIME);
	} else {
		if (h->days == h->span) {
			buf_puts(out, " every day from ");
			put_utc(out, h->first, PUT_DATE);
		} else {
			buf_printf(out, " on %d of the %d days", h->days, h->window);
		}
		buf_puts(out, " until ");
		put_utc(out, h->last, PUT_DATE_TIME);
	}
	if (h->messages > 0)
		buf_printf(out, " (%lld %s)", (long long)h->messages,
		    plural(h->messages, "message", "messages"));
	else if (h->logins > 0)
		buf_printf(out, " (%lld %s)", (long long)h->logins, plural(h->logins, "login", "logins"));
	else if (h->sessions > 0)
		buf_printf(out, " (%lld %s)", (long long)h->sessions,
		    plural(h->sessions, "session", "sessions"));
	if (h->failures > 0) {
		buf_puts(out, "; fails since ");
		put_utc(out, h->fail_first, PUT_DATE_TIME);
		buf_printf(out, " with %s", h->fail_kind ? h->fail_kind : "?");
	} else {
		buf_puts(out, "; no failure since");
	}
}

/* s kept to printable ASCII and cut. */
static void
put_clean(struct buf *out, const char *s)
{
	for (size_t i = 0; s[i] && i < VALUE_MAX; i++)
		buf_putc(out, (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i]);
}

void
peerhist_headline(struct buf *out, const char *peer, const char *host, const struct peerhist *h)
{
	if (host == NULL)
		host = h->host;
	if (host != NULL && strcmp(host, peer) != 0) {
		put_clean(out, host);
		buf_puts(out, " [");
		put_clean(out, peer);
		buf_putc(out, ']');
	} else {
		put_clean(out, peer);
	}
	buf_puts(out, ": ");
	peerhist_sentence(out, h);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary.c: collect what a period of the database holds (see summary.h).
 *
 * The queries are reportdb's (reportdb.h); this file folds their rows:
 *   1. failures per (server, kind, period): one pass over both periods; the
 *      totals per kind and per server are sums of its few rows;
 *   2. failures per bar of the chart: one pass over the index alone;
 *   3. failures per peer in each period, worst first: one pass; its first
 *      rows are the worst peers, those without failures before are new, and
 *      those without failures now (the last rows) recovered;
 *   4. for each of the worst peers, two passes over its own events: its
 *      causes (with a reverse name, an HELO, a user and the number of users
 *      of each), then the most frequent reason of its main cause;
 *   5. the causes of the period against the period before, with the values
 *      their advice names (reportdb_causes);
 *   6. the flags raised and cleared in the period, by the indexes of flags;
 *   7. for each regression flagged in the period, its history (peerhist.h:
 *      index ranges of peer_days and events_peer_ip), and the failing peers
 *      without any success on record (one probe of peer_days each).
 * All of it runs in one read transaction: one snapshot, even while the daemon
 * writes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "peerhist.h"
#include "reportdb.h"
#include "summary.h"
#include "util.h"

/* Most bars a chart gets; longer periods get longer buckets. */
#define MAX_BARS 48

static char *
column_dup(const struct reportdb_rows *r, int c)
{
	size_t len;
	const char *t = reportdb_text(r, c, &len);

	return t == NULL ? NULL : xstrndup(t, len);
}

/* Equal names as SQLite's NOCASE compares them (ASCII), NULL equal to NULL. */
static int
same_name(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcasecmp(a, b) == 0;
}

static struct summary_count *
find_count(struct summary_count **list, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (same_name((*list)[i].name, name))
			return &(*list)[i];
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	struct summary_count *c = &(*list)[(*n)++];
	c->name = name ? xstrdup(name) : NULL;
	c->cur = c->prev = 0;
	return c;
}

static int
by_count(const void *a, const void *b)
{
	const struct summary_count *x = a, *y = b;

	if (x->cur != y->cur)
		return x->cur > y->cur ? -1 : 1;
	if (x->prev != y->prev)
		return x->prev > y->prev ? -1 : 1;
	if (x->name == NULL || y->name == NULL)
		return x->name == NULL ? (y->name == NULL ? 0 : 1) : -1;
	return strcasecmp(x->name, y->name);
}

/* Bucket length: an hour up to 48 hours, then the shortest of these giving at most MAX_BARS. */
static int64_t
bucket_for(int64_t len)
{
	static const int64_t steps[] = { 3600, 2 * 3600, 3 * 3600, 4 * 3600, 6 * 3600,
		12 * 3600, 86400, 2 * 86400, 7 * 86400 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (len <= 48 * 3600 || (len + steps[i] - 1) / steps[i] < MAX_BARS)
			return steps[i];
	int64_t days = (len / MAX_BARS + 86399) / 86400;
	return days * 86400;
}

struct collector {
	struct reportdb *db;
	const struct summary_opts *o;
	struct summary *s;
	int64_t prev;		/* the start of the period before */
};

/* Read every row of r with fold; 0, or -1 when r is NULL or a step failed (logged). */
static int
each_row(struct reportdb_rows *r, void (*fold)(struct collector *, const struct reportdb_rows *),
    struct collector *c)
{
	int rc = -1;

	while (r != NULL && (rc = reportdb_next(r)) == 1)
		fold(c, r);
	reportdb_rows_free(r);
	return rc == 0 ? 0 : -1;
}

static void
fold_count(struct collector *c, const struct reportdb_rows *r)
{
	struct summary *s = c->s;
	struct summary_count *k = find_count(&s->kinds, &s->nkinds, reportdb_text(r, 1, NULL));
	struct summary_count *sv = find_count(&s->servers, &s->nservers, reportdb_text(r, 0, NULL));
	int64_t n = reportdb_int(r, 3);

	if (reportdb_int(r, 2)) {
		k->cur += n;
		sv->cur += n;
		s->total += n;
	} else {
		k->prev += n;
		sv->prev += n;
		s->prev_total += n;
	}
}

static int
collect_counts(struct collector *c)
{
	struct summary *s = c->s;

	if (each_row(reportdb_summary_counts(c->db, c->prev, s->since, s->until, c->o->server), fold_count, c) < 0)
		return -1;
	if (s->nkinds > 1)	/* qsort must not get NULL, even for nothing */
		qsort(s->kinds, s->nkinds, sizeof(*s->kinds), by_count);
	if (s->nservers > 1)
		qsort(s->servers, s->nservers, sizeof(*s->servers), by_count);
	return 0;
}

static void
fold_bar(struct collector *c, const struct reportdb_rows *r)
{
	struct summary *s = c->s;
	int64_t i = reportdb_int(r, 0) - s->bucket_start / s->bucket;

	if (i >= 0 && (size_t)i < s->nbars)
		s->bars[i] = reportdb_int(r, 1);
}

static int
collect_bars(struct collector *c)
{
	struct summary *s = c->s;

	s->bucket = bucket_for(s->until - s->since);
	s->bucket_start = s->since / s->bucket * s->bucket;
	s->nbars = (size_t)((s->until - 1 - s->bucket_start) / s->bucket + 1);
	s->bars = xcalloc(s->nbars, sizeof(*s->bars));
	return each_row(reportdb_summary_bars(c->db, s->since, s->until, s->bucket, c->o->server), fold_bar, c);
}

/* A peer of a peers row: its names, its counts, and while it is known its only kind. */
static void
peer_from_row(struct summary_peer *p, const struct reportdb_rows *r)
{
	memset(p, 0, sizeof(*p));
	p->ip = column_dup(r, 0);
	p->host = column_dup(r, 1);
	p->count = reportdb_int(r, 2);
	p->prev = reportdb_int(r, 3);
	p->nservers = reportdb_int(r, 4);
	p->server = p->nservers == 1 ? column_dup(r, 5) : NULL;
	p->kind = column_dup(r, 6);
	p->last = reportdb_int(r, 7);
}

static void
add_peer(struct summary_peer **list, size_t *n, size_t max, const struct reportdb_rows *r)
{
	if (*n >= max)
		return;
	if (*list == NULL)
		*list = xcalloc(max, sizeof(**list));
	peer_from_row(&(*list)[(*n)++], r);
}

/* Rows come worst first: the first are the worst peers; new and recovered ones in their order. */
static void
fold_peer(struct collector *c, const struct reportdb_rows *r)
{
	struct summary *s = c->s;
	int64_t cur = reportdb_int(r, 2), prev = reportdb_int(r, 3);

	if (cur > 0) {
		s->npeers_cur++;
		add_peer(&s->peers, &s->npeers, c->o->top, r);
	}
	if (cur > 0 && prev == 0) {
		s->nfresh_all++;
		add_peer(&s->fresh, &s->nfresh, c->o->changes, r);
	} else if (cur == 0 && prev > 0) {
		s->nrecovered_all++;
		add_peer(&s->recovered, &s->nrecovered, c->o->changes, r);
	}
}

static void
peer_free(struct summary_peer *p)
{
	free(p->ip);
	free(p->host);
	free(p->server);
	free(p->kind);
	free(p->direction);
	free(p->mta);
	free(p->reverse);
	free(p->helo);
	free(p->reason);
	free(p->user);
	free(p->flag);
}

/* Its causes, the most frequent reason of the main one, and an active flag. */
static int
peer_details(struct collector *c, struct summary_peer *p)
{
	struct reportdb_rows *r = reportdb_summary_peer_causes(c->db, p->ip, p->host, c->s->since,
	    c->s->until, c->o->server);
	int rc = -1;

	free(p->kind);
	p->kind = NULL;
	while (r != NULL && (rc = reportdb_next(r)) == 1) {
		int64_t first = reportdb_int(r, 8), last = reportdb_int(r, 9);
		if (p->ncauses == 0 || first < p->first)
			p->first = first;
		if (p->ncauses == 0 || last > p->last)
			p->last = last;
		if (p->ncauses++ > 0)
			continue;
		p->kind = column_dup(r, 0);
		p->direction = column_dup(r, 1);
		p->mta = column_dup(r, 2);
		p->kind_count = reportdb_int(r, 3);
		p->users = reportdb_int(r, 4);
		p->reverse = column_dup(r, 5);
		p->helo = column_dup(r, 6);
		p->user = column_dup(r, 7);
	}
	reportdb_rows_free(r);
	if (rc != 0)
		return -1;
	if (p->kind == NULL)
		return 0;

	r = reportdb_summary_peer_reason(c->db, p->ip, p->host, c->s->since, c->s->until, p->kind,
	    p->direction, p->mta, c->o->server);
	rc = r ? reportdb_next(r) : -1;
	if (rc == 1)
		p->reason = column_dup(r, 0);
	reportdb_rows_free(r);
	if (rc < 0)
		return -1;

	if (p->ip == NULL)
		return 0;
	r = reportdb_active_flag(c->db, p->ip, c->o->now, c->o->quiet);
	rc = r ? reportdb_next(r) : -1;
	if (rc == 1)
		p->flag = column_dup(r, 0);
	reportdb_rows_free(r);
	return rc < 0 ? -1 : 0;
}

static int
collect_peers(struct collector *c)
{
	struct summary *s = c->s;

	if (each_row(reportdb_summary_peers(c->db, c->prev, s->since, s->until, c->o->server), fold_peer, c) < 0)
		return -1;
	for (size_t i = 0; i < s->npeers; i++)
		if (peer_details(c, &s->peers[i]) < 0)
			return -1;
	return 0;
}

static void
fold_cause(struct collector *c, const struct reportdb_rows *r)
{
	struct summary *s = c->s;

	if (reportdb_int(r, 3) == 0)
		return;		/* gone since: the kinds say so */
	s->causes = xreallocarray(s->causes, s->ncauses + 1, sizeof(*s->causes));
	struct summary_cause *k = &s->causes[s->ncauses++];
	memset(k, 0, sizeof(*k));
	k->kind = column_dup(r, 0);
	k->direction = column_dup(r, 1);
	k->mta = column_dup(r, 2);
	k->cur = reportdb_int(r, 3);
	k->prev = reportdb_int(r, 4);
	k->peers = reportdb_int(r, 5);
}

static struct summary_cause *
find_cause(struct summary *s, const struct reportdb_cause *rc)
{
	for (size_t i = 0; i < s->ncauses; i++) {
		struct summary_cause *k = &s->causes[i];
		if (same_name(k->kind, rc->kind) && same_name(k->direction, rc->direction) &&
		    same_name(k->mta, rc->mta))
			return k;
	}
	return NULL;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* The causes with their counts before, then the reason and the advice's values of each. */
static int
collect_causes(struct collector *c)
{
	struct summary *s = c->s;
	struct reportdb_filter f;
	struct reportdb_cause *rc = NULL;
	size_t n = 0;

	if (each_row(reportdb_summary_causes(c->db, c->prev, s->since, s->until, c->o->server), fold_cause, c) < 0)
		return -1;
	memset(&f, 0, sizeof(f));
	f.type = REPORTDB_PEER_ALL;
	f.since = f.until = 1;
	f.t_since = s->since;
	f.t_until = s->until - 1;	/* reportdb's until is inclusive, the summary's is not */
	f.server = c->o->server;
	if (reportdb_causes(c->db, &f, &rc, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct summary_cause *k = find_cause(s, &rc[i]);
		if (k == NULL)
			continue;
		k->reason = dup_or_null(rc[i].reason);
		k->ip = dup_or_null(rc[i].ip);
		k->host = dup_or_null(rc[i].host);
		k->domain = dup_or_null(rc[i].domain);
	}
	reportdb_causes_free(rc, n);
	return 0;
}

/* The columns of reportdb_summary_flags, in order. */
static void
fold_flag(struct summary_flag **list, size_t *n, const struct reportdb_rows *r)
{
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	struct summary_flag *f = &(*list)[(*n)++];
	f->peer = column_dup(r, 0);
	f->peer_kind = column_dup(r, 1);
	f->threshold = column_dup(r, 2);
	f->why = column_dup(r, 3);
	f->main_kind = column_dup(r, 4);
	f->host = column_dup(r, 5);
	f->count = reportdb_int(r, 6);
	f->first_event = reportdb_int(r, 7);
	f->last_event = reportdb_int(r, 8);
	f->flagged = reportdb_int(r, 9);
	f->cleared = reportdb_int(r, 10);	/* NULL: 0 */
}

static void
fold_raised(struct collector *c, const struct reportdb_rows *r)
{
	fold_flag(&c->s->raised, &c->s->nraised, r);
}

static void
fold_cleared(struct collector *c, const struct reportdb_rows *r)
{
	fold_flag(&c->s->cleared, &c->s->ncleared, r);
}

static int
collect_flags(struct collector *c)
{
	struct summary *s = c->s;
	int64_t now = c->o->now, quiet = c->o->quiet;

	if (each_row(reportdb_summary_flags(c->db, 0, s->since, s->until, now, quiet), fold_raised,
	    c) < 0 || each_row(reportdb_summary_flags(c->db, 1, s->since, s->until, now, quiet),
	    fold_cleared, c) < 0)
		return -1;
	s->active = reportdb_summary_active(c->db, s->until, now, quiet);
	return s->active < 0 ? -1 : 0;
}

/* The regressions among the flags raised, each with its history. */
static int
collect_regressions(struct collector *c)
{
	struct summary *s = c->s;
	int window = c->o->regression_days > 0 ? c->o->regression_days :
	    CONF_DEFAULT_REGRESSION_DAYS;

	for (size_t i = 0; i < s->nraised; i++) {
		const struct summary_flag *f = &s->raised[i];
		struct peerhist h;
		struct buf b;
		if (f->threshold == NULL || strcmp(f->threshold, CONF_REGRESSION) != 0 ||
		    f->peer == NULL)
			continue;
		if (peerhist_read(c->db, f->peer, window, &h) < 0)
			return -1;
		buf_init(&b);
		peerhist_headline(&b, f->peer, f->host, &h);
		peerhist_free(&h);
		s->regressions = xreallocarray(s->regressions, s->nregressions + 1,
		    sizeof(*s->regressions));
		struct summary_regression *g = &s->regressions[s->nregressions++];
		g->peer = xstrdup(f->peer);
		g->headline = xstrdup(b.data);
		g->count = f->count;
		buf_free(&b);
	}
	return 0;
}

static void
fold_noise(struct collector *c, const struct reportdb_rows *r)
{
	struct summary *s = c->s;

	s->nnoise_all++;
	if (s->nnoise >= c->o->changes)
		return;
	s->noise = xreallocarray(s->noise, s->nnoise + 1, sizeof(*s->noise));
	struct summary_noise *p = &s->noise[s->nnoise++];
	p->ip = column_dup(r, 0);
	p->count = reportdb_int(r, 1);
	p->host = column_dup(r, 2);
	p->kind = column_dup(r, 3);
}

/*
 * The failing peers that never succeeded and no threshold flagged; none
 * when the database counts no success at all (before schema 12, or no
 * success rule matched yet).
 */
static int
collect_noise(struct collector *c)
{
	int absent = 0, kept = reportdb_peer_days_kept(c->db);

	if (kept <= 0)
		return kept;	/* no success counted at all: every peer would be noise */
	struct reportdb_rows *r = reportdb_summary_unknown_peers(c->db, c->s->since, c->s->until,
	    c->o->now, c->o->quiet, c->o->server, &absent);

	if (r == NULL)
		return absent ? 0 : -1;
	return each_row(r, fold_noise, c);
}

struct summary *
summary_collect(struct reportdb *db, const struct summary_opts *opts)
{
	struct collector c;
	int ok;

	memset(&c, 0, sizeof(c));
	c.db = db;
	c.o = opts;
	c.s = xcalloc(1, sizeof(*c.s));
	c.s->since = opts->since;
	c.s->until = opts->until;
	c.prev = opts->since - (opts->until - opts->since);
	if (reportdb_begin(db) < 0) {
		summary_free(c.s);
		return NULL;
	}
	ok = collect_counts(&c) == 0 && collect_bars(&c) == 0 && collect_peers(&c) == 0 &&
	    collect_causes(&c) == 0 && collect_flags(&c) == 0 && collect_regressions(&c) == 0 &&
	    collect_noise(&c) == 0;
	reportdb_end(db);
	if (!ok) {
		summary_free(c.s);
		return NULL;
	}
	return c.s;
}

static void
flags_free(struct summary_flag *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].peer);
		free(list[i].peer_kind);
		free(list[i].threshold);
		free(list[i].why);
		free(list[i].main_kind);
		free(list[i].host);
	}
	free(list);
}

static void
peers_free(struct summary_peer *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		peer_free(&list[i]);
	free(list);
}

static void
counts_free(struct summary_count *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].name);
	free(list);
}

void
summary_free(struct summary *s)
{
	if (s == NULL)
		return;
	counts_free(s->kinds, s->nkinds);
	counts_free(s->servers, s->nservers);
	peers_free(s->peers, s->npeers);
	peers_free(s->fresh, s->nfresh);
	peers_free(s->recovered, s->nrecovered);
	for (size_t i = 0; i < s->ncauses; i++) {
		struct summary_cause *k = &s->causes[i];
		free(k->kind);
		free(k->direction);
		free(k->mta);
		free(k->reason);
		free(k->ip);
		free(k->host);
		free(k->domain);
	}
	free(s->causes);
	flags_free(s->raised, s->nraised);
	flags_free(s->cleared, s->ncleared);
	for (size_t i = 0; i < s->nregressions; i++) {
		free(s->regressions[i].peer);
		free(s->regressions[i].headline);
	}
	free(s->regressions);
	for (size_t i = 0; i < s->nnoise; i++) {
		free(s->noise[i].ip);
		free(s->noise[i].host);
		free(s->noise[i].kind);
	}
	free(s->noise);
	free(s->bars);
	free(s);
}

int
summary_is_empty(const struct summary *s)
{
	return s->total == 0 && s->nraised == 0 && s->ncleared == 0;
}

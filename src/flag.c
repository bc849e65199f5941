/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flag.c: flag the peers that fail again and again (see flag.h).
 *
 * Two small hash tables: the windows (per peer and threshold, the times of
 * its last COUNT events, oldest overwritten first) and the active flags (per
 * peer and threshold name, as in the database). A window forgotten to save
 * memory is read again from the database when its peer comes back, so
 * forgetting changes nothing but the cost of that one event. On a fleet's
 * database a window also keeps, for the open transaction only, a view of
 * its peer's events in the database, and a third table holds the views read
 * ahead for the transaction's waiting events until their windows take them
 * (flag.h). The statements are flagdb.h's, on the store's engine; this file
 * only decides.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cidr.h"
#include "domain.h"
#include "flag.h"
#include "flagdb.h"
#include "log.h"
#include "util.h"

#define BUCKETS 4096
#define MAX_SLOTS (1u << 20)	/* event times kept in all windows together */
#define DOMAIN_MAX 253		/* the longest host name */

/* Events in time order: a query's rows, or a window's view (below). */
struct event_list {
	int64_t *times;
	unsigned char *kinds;
	size_t n, size;
};

struct window {
	struct window *next;
	char *peer;
	int is_domain;
	size_t th;		/* index of the threshold */
	int64_t *times;		/* the newest (by event time) up to cap times, ascending */
	unsigned char *kinds;
	size_t n, cap;
	size_t own;		/* events this process stored */
	int64_t newest;
	/* The last cleared flag an event of this window was counted into, and its period. */
	int64_t past_id, past_from, past_to;
	struct view *view;	/* on a fleet's database, or NULL */
};

/*
 * On a fleet's database (flag.h): the events of a window's peer and kinds
 * from `from` to `to` stored up to the last event of the window seen, as the
 * open transaction (txn: f->flushes + 1 when it was read; 0: none) read
 * them, with its own events added since; active: another daemon's active
 * flag then (0: none, or handed on).
 */
struct view {
	uint64_t txn;
	int64_t from, to, active;
	struct event_list events;
};

struct active {
	struct active *next;
	int64_t id;
	char *peer;
	int is_domain;
	char *threshold;
	char *why;
	char *main_kind;
	char *host;
	int64_t first_event, last_event, count;
	int64_t flagged;	/* when it crossed: earlier when events are read late */
	int64_t unsaved;	/* events counted since the flags row was last written */
	int raise_action;	/* its action_flag is recorded (due or done) */
};

/* A failure that may make its peer a regression, judged at the flush (flag.h). */
struct candidate {
	char *peer;
	char *host;		/* NULL */
	int64_t time;		/* of the failure, or (late) of the first success counted */
	enum event_kind kind;
	int late;		/* successes counted, maybe after failures they came before */
	int success;		/* had_success read ahead on a fleet's database; -1: not */
};

struct pending {
	struct flag_notice n;
	char *strings[6];	/* owned copies behind the pointers of n */
};

/*
 * On a fleet's database, the events of a transaction wait to be looked at
 * (flag.h): up to WAIT_MAX of them, then the windows of their peers are read
 * in one query, and the events are looked at in their order.
 */
#define WAIT_MAX 1024

struct waiting {
	int64_t time, id;
	enum event_kind kind;
	char *ip, *host, *domain;	/* owned copies, or NULL */
	size_t ip_len, host_len;
};

/* The view of a window read ahead for the waiting events, until its window takes it. */
struct ahead {
	struct ahead *next;
	const char *peer;	/* the waiting event's */
	int is_domain;
	size_t th;
	int64_t from, to, active;
	int taken;
	struct event_list events;
};

struct flagger {
	struct store *store;
	const struct conf *conf;
	uint32_t *masks;	/* per threshold: the kinds it counts */
	char **kind_lists;	/* per threshold: ",kind,kind," for SQL's instr() */
	uint32_t *domain_masks;	/* per threshold: the kinds it counts for a domain */
	char **domain_kind_lists;	/* the same for SQL */
	struct window *windows[BUCKETS];
	size_t slots;
	int64_t max_window;
	int64_t latest;		/* newest event time seen */
	/*
	 * No event of the database newer than this is missing from the windows
	 * in memory: the newest event stored when the flagger started (or was
	 * reset), or of a window it forgot since. A new window whose period
	 * begins after it needs no query: this process saw all its events.
	 */
	int64_t seed_horizon;
	struct active *actives[BUCKETS];
	struct cidr *nets;	/* allowed addresses and networks (cidr.h) */
	size_t nnets;
	char **domains;		/* allowed domains, without a leading '.' */
	size_t ndomains;
	struct pending *pending;
	size_t npending;
	struct flagdb *db;	/* the statements, on the store's engine */
	int fleet;		/* other daemons write the database too (flagdb.h) */
	int act_flag, act_clear;	/* record the actions as due (flag_record_actions) */
	int act_regression;	/* ... a regression's raise action */
	int unsaved;		/* some active flag has events not yet in its row */
	uint32_t regression_mask;	/* the kinds that make a regression; 0: none */
	struct candidate *candidates;	/* failures to judge at the flush, in order */
	size_t ncandidates, candidates_cap;
	char *regression_list;	/* the regression kinds as ",kind,kind," for SQL */
	struct fail_slot *fail_cache;	/* FAIL_CACHE entries (observe_regression) */
	uint64_t flushes;	/* flag_flush calls so far: the open transaction's number */
	struct waiting *waiting;	/* a fleet's events to look at, in order (WAIT_MAX) */
	size_t nwaiting;
	struct ahead **ahead;	/* BUCKETS chains: the views read for them */
	int64_t fail_horizon;	/* a success older than this may have failures unseen */
	int64_t fail_horizon_next;	/* ... from the next transaction on (pushed out of it) */
};

static int action_due(struct flagger *f, int64_t flag_id, int raised);
static void drop_waiting(struct flagger *f);

static uint32_t
hash(const char *s, size_t extra)
{
	uint64_t h = util_fnv1a(s, strlen(s)) ^ (extra * UINT64_C(0x9e3779b97f4a7c15));
	return (uint32_t)(h % BUCKETS);
}

/* The kinds w counts, for SQL's instr(): a domain's are flag_domain_kinds of the threshold's. */
static const char *
kind_list(const struct flagger *f, size_t th, int is_domain)
{
	return is_domain ? f->domain_kind_lists[th] : f->kind_lists[th];
}

/* ---- event lists ---- */

static void
list_free(struct event_list *l)
{
	free(l->times);
	free(l->kinds);
	memset(l, 0, sizeof(*l));
}

/* Room for one more event at the end of l. */
static void
list_grow(struct event_list *l)
{
	if (l->n < l->size)
		return;
	l->size = l->size ? 2 * l->size : 64;
	l->times = xreallocarray(l->times, l->size, sizeof(*l->times));
	l->kinds = xreallocarray(l->kinds, l->size, 1);
}

/* A query's row (in time order): appended. */
static int
list_row(void *ctx, int64_t time, int kind)
{
	struct event_list *l = ctx;

	list_grow(l);
	l->times[l->n] = time;
	l->kinds[l->n++] = (unsigned char)kind;
	return 0;
}

/* An event of time t: put in its place by time (after those of the same time). */
static void
list_insert(struct event_list *l, int64_t t, unsigned char kind)
{
	size_t i;

	list_grow(l);
	for (i = l->n; i > 0 && l->times[i - 1] > t; i--) {
		l->times[i] = l->times[i - 1];
		l->kinds[i] = l->kinds[i - 1];
	}
	l->times[i] = t;
	l->kinds[i] = kind;
	l->n++;
}

/* w's view (not NULL): freed. */
static void
free_view(struct window *w)
{
	list_free(&w->view->events);
	free(w->view);
	w->view = NULL;
}

/* w's view, made empty when it has none. */
static struct view *
view_of(struct window *w)
{
	if (w->view == NULL)
		w->view = xcalloc(1, sizeof(*w->view));
	return w->view;
}

/* ---- names ---- */

size_t
flag_active_count(const struct flagger *f)
{
	size_t n = 0;

	if (f == NULL)
		return 0;
	for (size_t b = 0; b < BUCKETS; b++)
		for (const struct active *a = f->actives[b]; a != NULL; a = a->next)
			n++;
	return n;
}

/* ---- the allow-list ---- */

static void
load_allow(struct flagger *f)
{
	for (size_t i = 0; i < f->conf->nallow; i++) {
		const char *w = f->conf->allow[i];
		struct cidr net;

		/* conf.c took only addresses, networks and domains (one parser: cidr.h). */
		if (cidr_parse(w, 1, &net) == 0) {
			f->nets = xreallocarray(f->nets, f->nnets + 1, sizeof(*f->nets));
			f->nets[f->nnets++] = net;
		} else {
			f->domains = xreallocarray(f->domains, f->ndomains + 1, sizeof(*f->domains));
			f->domains[f->ndomains++] = xstrdup(w[0] == '.' ? w + 1 : w);
		}
	}
}

/* host equals domain or ends in "." domain, ignoring case. */
static int
in_domain(const char *host, size_t host_len, const char *domain)
{
	size_t d = strlen(domain);

	if (host_len < d || strncasecmp(host + host_len - d, domain, d) != 0)
		return 0;
	return host_len == d || host[host_len - d - 1] == '.';
}

static int
allowed(const struct flagger *f, const struct event *ev)
{
	const char *ip = ev->field[EF_PEER_IP];
	const char *host = ev->field[EF_PEER_HOST];

	if (ip != NULL && f->nnets > 0) {
		struct cidr addr;
		/* ::ffff:192.0.2.77 is 192.0.2.77, inside an allowed 192.0.2.0/24. */
		for (size_t i = 0; cidr_parse_addr(ip, &addr) == 0 && i < f->nnets; i++)
			if (cidr_contains(&f->nets[i], &addr))
				return 1;
	}
	for (size_t i = 0; host != NULL && i < f->ndomains; i++)
		if (in_domain(host, ev->field_len[EF_PEER_HOST], f->domains[i]))
			return 1;
	return 0;
}

/* ---- notices ---- */

static void
queue_notice(struct flagger *f, int raised, const struct active *a, int64_t cleared)
{
	f->pending = xreallocarray(f->pending, f->npending + 1, sizeof(*f->pending));
	struct pending *p = &f->pending[f->npending++];
	memset(p, 0, sizeof(*p));
	p->strings[0] = xstrdup(a->peer);
	p->strings[1] = xstrdup(a->threshold);
	p->strings[2] = xstrdup(a->why);
	p->strings[3] = a->main_kind ? xstrdup(a->main_kind) : NULL;
	p->strings[4] = a->host ? xstrdup(a->host) : NULL;
	p->n.raised = raised;
	p->n.peer = p->strings[0];
	p->n.peer_kind = a->is_domain ? "domain" : "ip";
	p->n.threshold = p->strings[1];
	p->n.why = p->strings[2];
	p->n.main_kind = p->strings[3];
	p->n.host = p->strings[4];
	p->n.count = a->count;
	p->n.first_event = a->first_event;
	p->n.last_event = a->last_event;
	p->n.cleared = cleared;
}

static void
drop_notices(struct flagger *f)
{
	for (size_t i = 0; i < f->npending; i++)
		for (int k = 0; k < 6; k++)
			free(f->pending[i].strings[k]);
	free(f->pending);
	f->pending = NULL;
	f->npending = 0;
}

void
flag_take_notices(struct flagger *f, flag_notice_fn fn, void *ctx)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->npending; i++)
		fn(ctx, &f->pending[i].n);
	drop_notices(f);
}

/* ---- active flags ---- */

static void
free_active(struct active *a)
{
	free(a->peer);
	free(a->threshold);
	free(a->why);
	free(a->main_kind);
	free(a->host);
	free(a);
}

static struct active **
find_active(struct flagger *f, const char *peer, const char *threshold)
{
	struct active **p = &f->actives[hash(peer, strlen(threshold))];

	for (; *p != NULL; p = &(*p)->next)
		if (strcmp((*p)->peer, peer) == 0 && strcmp((*p)->threshold, threshold) == 0)
			return p;
	return p;
}

static void
drop_candidates(struct flagger *f)
{
	for (size_t i = 0; i < f->ncandidates; i++) {
		free(f->candidates[i].peer);
		free(f->candidates[i].host);
	}
	f->ncandidates = 0;
}

static void
forget_all(struct flagger *f)
{
	for (size_t b = 0; b < BUCKETS; b++) {
		while (f->actives[b] != NULL) {
			struct active *a = f->actives[b];
			f->actives[b] = a->next;
			free_active(a);
		}
		while (f->windows[b] != NULL) {
			struct window *w = f->windows[b];
			f->windows[b] = w->next;
			free(w->peer);
			free(w->times);
			free(w->kinds);
			if (w->view != NULL)
				free_view(w);
			free(w);
		}
	}
	f->slots = 0;
	f->unsaved = 0;
	drop_waiting(f);
	drop_notices(f);
	drop_candidates(f);
}

/* One active flag read from the database, kept unless known already. */
static int
load_active(void *ctx, const struct flagdb_flag *r)
{
	struct flagger *f = ctx;
	struct active **slot = find_active(f, r->peer, r->threshold);

	if (*slot != NULL)	/* known already, or (the unique index) impossible */
		return 0;
	struct active *a = xcalloc(1, sizeof(*a));
	a->id = r->id;
	a->peer = xstrdup(r->peer);
	a->is_domain = strcmp(r->peer_kind, "domain") == 0;
	a->threshold = xstrdup(r->threshold);
	a->why = xstrdup(r->why);
	a->main_kind = r->main_kind ? xstrdup(r->main_kind) : NULL;
	a->host = r->host ? xstrdup(r->host) : NULL;
	a->first_event = r->first_event;
	a->last_event = r->last_event;
	a->count = r->count;
	a->raise_action = r->raise_action;
	a->flagged = r->flagged;
	*slot = a;
	return 0;
}

/* Read the active flags from the database: all, or (peer not NULL) the one of peer and threshold. */
static int
load_actives(struct flagger *f, const char *peer, const char *threshold)
{
	return flagdb_actives(f->db, peer, threshold, load_active, f);
}

/* Something the database should hold is not there (the engine said nothing). */
static int
db_missing(struct flagger *f, const char *what)
{
	log_warnx("%s: %s: the flag is not in the database", store_path(f->store), what);
	return -1;
}

/* The seed horizon of a flagger that holds no window: the newest event stored. */
static int
read_seed_horizon(struct flagger *f)
{
	int64_t newest;
	int none;

	f->seed_horizon = INT64_MAX;	/* until known: always ask the database */
	if (flagdb_newest_event(f->db, &newest, &none) < 0)
		return -1;
	f->seed_horizon = none ? INT64_MIN : newest;
	/* Failures stored before: a success older than the newest may be followed by one. */
	if (f->seed_horizon > f->fail_horizon)
		f->fail_horizon = f->seed_horizon;
	return 0;
}

/*
 * Clear the active flag *slot at when (removed from *slot): 0. 1 when it
 * stays active: on a fleet's database another daemon counted a later event
 * into it (its last event is now that one's, its count written). -1 on an
 * error.
 */
static int
clear_active(struct flagger *f, struct active **slot, int64_t when)
{
	struct active *a = *slot;
	int64_t fleet_last;

	int rc = flagdb_clear(f->db, a->id, when, a->first_event, a->last_event, a->flagged,
	    a->unsaved, &fleet_last);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		a->unsaved = 0;
		if (fleet_last > a->last_event)
			a->last_event = fleet_last;
		return 1;
	}
	/* Only a flag whose raise action is recorded has its clear action run. */
	int due = f->act_clear && a->raise_action;
	if (due && action_due(f, a->id, 0) < 0)
		return -1;
	queue_notice(f, 0, a, when);
	f->pending[f->npending - 1].n.action_due = due;
	*slot = a->next;
	free_active(a);
	return 0;
}

/*
 * The flag *slot (not NULL) was quiet for flag_quiet before t (an event's
 * time, or now): cleared then, unless the fleet's last event says it is not
 * quiet. 0 or -1.
 */
static int
clear_if_quiet(struct flagger *f, struct active **slot, int64_t t)
{
	int rc = 1;

	while (rc == 1 && t >= (*slot)->last_event + f->conf->flag_quiet)
		if ((rc = clear_active(f, slot, (*slot)->last_event + f->conf->flag_quiet)) < 0)
			return -1;
	return 0;
}

/* ---- windows ---- */

static void
free_window(struct flagger *f, struct window *w)
{
	f->slots -= w->cap;
	free(w->peer);
	free(w->times);
	free(w->kinds);
	if (w->view != NULL)
		free_view(w);
	free(w);
}

static void
evict_windows(struct flagger *f)
{
	/* First the windows no event can still complete, then, if need be, all. */
	for (int pass = 0; pass < 2 && f->slots > MAX_SLOTS / 2; pass++)
		for (size_t b = 0; b < BUCKETS; b++)
			for (struct window **p = &f->windows[b]; *p != NULL;) {
				struct window *w = *p;
				if (pass == 1 || w->newest < f->latest - f->max_window) {
					*p = w->next;
					if (w->newest > f->seed_horizon)
						f->seed_horizon = w->newest;
					free_window(f, w);
				} else {
					p = &w->next;
				}
			}
}

/* Keep t among the newest (by time, not by arrival) cap times of w, in time order. */
static void
insert_time(struct window *w, int64_t t, unsigned char kind)
{
	if (w->n == w->cap) {
		if (t <= w->times[0])
			return;	/* older than all it keeps: only the database holds it */
		memmove(w->times, w->times + 1, (w->cap - 1) * sizeof(*w->times));
		memmove(w->kinds, w->kinds + 1, w->cap - 1);
		w->n--;
	}
	size_t i = w->n;
	for (; i > 0 && w->times[i - 1] > t; i--) {
		w->times[i] = w->times[i - 1];
		w->kinds[i] = w->kinds[i - 1];
	}
	w->times[i] = t;
	w->kinds[i] = kind;
	w->n++;
	if (t > w->newest)
		w->newest = t;
}

/* The events of w's peer and kinds from `from` to `to` (included), stored up to ev (flagdb.h). */
static struct flagdb_range
range_of(const struct flagger *f, const char *peer, int is_domain, size_t th,
    const struct event *ev, int64_t from, int64_t to)
{
	struct flagdb_range r;

	r.peer = peer;
	r.is_domain = is_domain;
	r.kinds = kind_list(f, th, is_domain);
	r.from = from;
	r.to = to;
	r.max_id = ev->id > 0 ? ev->id : INT64_MAX;
	return r;
}

/* Newest first: fill from the back so that the ring ends up oldest first. */
static int
seed_row(void *ctx, int64_t time, int kind)
{
	struct window *w = ctx;

	w->times[w->cap - 1 - w->n] = time;
	w->kinds[w->cap - 1 - w->n] = (unsigned char)kind;
	return ++w->n >= w->cap;
}

/*
 * A new window for (peer, threshold). *seeded: filled from the database with
 * the newest COUNT of its events since ev's time - WINDOW that were stored up
 * to ev (ev among them; none stored after it, which this flagger has yet to
 * see), when only the database can know events of that period (they are
 * older than the seed horizon); otherwise empty.
 */
static struct window *
seed_window(struct flagger *f, const char *peer, int is_domain, size_t th, const struct event *ev,
    int *seeded)
{
	int64_t t = ev->time;
	const struct conf_threshold *c = &f->conf->thresholds[th];
	struct window *w = xcalloc(1, sizeof(*w));

	w->peer = xstrdup(peer);
	w->is_domain = is_domain;
	w->th = th;
	w->cap = (size_t)c->count;
	w->times = xcalloc(w->cap, sizeof(*w->times));
	w->kinds = xcalloc(w->cap, 1);
	w->newest = INT64_MIN;
	f->slots += w->cap;
	*seeded = f->seed_horizon >= t - c->window;
	if (!*seeded)
		return w;

	struct flagdb_range r = range_of(f, peer, is_domain, th, ev, t - c->window, INT64_MAX);
	if (flagdb_events_newest(f->db, &r, c->count, seed_row, w) < 0) {
		free_window(f, w);
		return NULL;
	}
	size_t n = w->n;
	/* Move the n found to the front, oldest first. */
	memmove(w->times, w->times + (w->cap - n), n * sizeof(*w->times));
	memmove(w->kinds, w->kinds + (w->cap - n), n);
	w->n = n;
	for (size_t i = 0; i < n; i++)
		if (w->times[i] > w->newest)
			w->newest = w->times[i];
	return w;
}

static struct window *
get_window(struct flagger *f, const char *peer, int is_domain, size_t th, const struct event *ev,
    int *seeded)
{
	uint32_t b = hash(peer, th);

	*seeded = 0;
	for (struct window *w = f->windows[b]; w != NULL; w = w->next)
		if (w->th == th && w->is_domain == is_domain && strcmp(w->peer, peer) == 0)
			return w;
	if (f->slots + (size_t)f->conf->thresholds[th].count > MAX_SLOTS)
		evict_windows(f);
	struct window *w = seed_window(f, peer, is_domain, th, ev, seeded);
	if (w == NULL)
		return NULL;
	w->next = f->windows[b];
	f->windows[b] = w;
	return w;
}

static void
format_window(char *out, size_t size, int64_t seconds)
{
	if (seconds % 86400 == 0)
		snprintf(out, size, "%lldd", (long long)(seconds / 86400));
	else if (seconds % 3600 == 0)
		snprintf(out, size, "%lldh", (long long)(seconds / 3600));
	else if (seconds % 60 == 0)
		snprintf(out, size, "%lldm", (long long)(seconds / 60));
	else
		snprintf(out, size, "%llds", (long long)seconds);
}

/* The kind of most of n events. */
static enum event_kind
main_kind_of(const unsigned char *kinds, size_t n)
{
	unsigned counts[KIND_COUNT];
	int best = 0;

	memset(counts, 0, sizeof(counts));
	for (size_t i = 0; i < n; i++)
		if (kinds[i] < KIND_COUNT)
			counts[kinds[i]]++;
	for (int k = 1; k < KIND_COUNT; k++)
		if (counts[k] > counts[best])
			best = k;
	return (enum event_kind)best;
}

/*
 * An event of time t crossed a threshold: the COUNT or more events of a span
 * of at most WINDOW that holds t, the earliest such span.
 */
struct crossing {
	int64_t first, last;	/* its first and last event */
	int64_t flagged;	/* its COUNTth event: when the threshold was crossed */
	int64_t count;
	enum event_kind main_kind;
};

/* t is the newest event of w: the span ends at t and holds w's COUNT newest. 1: crossed, 0: not. */
static int
cross_newest(const struct window *w, int64_t t, int64_t window, struct crossing *x)
{
	if (w->n < w->cap || w->times[0] < t - window)
		return 0;
	x->first = w->times[0];
	x->last = x->flagged = t;
	x->count = (int64_t)w->n;
	x->main_kind = main_kind_of(w->kinds, w->n);
	return 1;
}

/*
 * Does any span of WINDOW that holds t, among the n events of times (in time
 * order; those of [t - WINDOW, t + WINDOW] count), hold COUNT of them? 1
 * (*x: the earliest such span), 0.
 */
static int
cross_span(const struct conf_threshold *c, int64_t t, const int64_t *times,
    const unsigned char *kinds, size_t n, struct crossing *x)
{
	/* Spans [times[i], times[i] + WINDOW] for each times[i] in [t - WINDOW, t]: all hold t. */
	size_t best = 0, bi = 0, j = 0;
	for (size_t i = 0; i < n && times[i] <= t && best < (size_t)c->count; i++) {
		if (times[i] < t - c->window)
			continue;
		if (j < i)
			j = i;
		while (j + 1 < n && times[j + 1] <= times[i] + c->window)
			j++;
		best = j - i + 1;
		bi = i;
	}
	if (best < (size_t)c->count)
		return 0;
	x->first = times[bi];
	x->last = times[bi + best - 1];
	x->flagged = times[bi + (size_t)c->count - 1];
	x->count = (int64_t)best;
	x->main_kind = main_kind_of(kinds + bi, best);
	return 1;
}

/*
 * t came after newer events of its peer (out of time order): every span of
 * WINDOW that holds t, [t - WINDOW, t + WINDOW], is read from the database
 * (which holds every event this flagger saw, and those before it). Without an
 * active flag there are fewer than 2 x COUNT such events, or a flag would
 * hold them. 1: crossed, 0: not, -1: the database failed.
 */
static int
cross_around(struct flagger *f, const struct window *w, const struct event *ev, struct crossing *x)
{
	const struct conf_threshold *c = &f->conf->thresholds[w->th];
	int64_t t = ev->time;
	struct event_list l = { NULL, NULL, 0, 0 };
	struct flagdb_range r = range_of(f, w->peer, w->is_domain, w->th, ev, t - c->window,
	    t + c->window);
	int rc = -1;

	if (flagdb_events(f->db, &r, list_row, &l) == 0)
		rc = cross_span(c, t, l.times, l.kinds, l.n, x);
	list_free(&l);
	return rc;
}

/* Is w's view of the open transaction, and does it hold from to to? */
static int
view_holds(const struct flagger *f, const struct window *w, int64_t from, int64_t to)
{
	const struct view *v = w->view;

	return v != NULL && v->txn == f->flushes + 1 && v->from <= from && to <= v->to;
}

static struct ahead **
find_ahead(struct flagger *f, const char *peer, int is_domain, size_t th)
{
	struct ahead **p = &f->ahead[hash(peer, th)];

	for (; *p != NULL; p = &(*p)->next)
		if ((*p)->th == th && (*p)->is_domain == is_domain && strcmp((*p)->peer, peer) == 0)
			return p;
	return p;
}

/*
 * The first waiting event of w's peer is looked at: the view read ahead for
 * it (the events stored before the first waiting event) becomes w's; each of
 * the peer's waiting events joins it in turn (view_add).
 */
static void
take_ahead(struct flagger *f, struct window *w)
{
	struct ahead *a;

	if (f->ahead == NULL || (a = *find_ahead(f, w->peer, w->is_domain, w->th)) == NULL ||
	    a->taken)
		return;
	a->taken = 1;
	struct view *v = view_of(w);
	list_free(&v->events);
	v->events = a->events;
	memset(&a->events, 0, sizeof(a->events));
	v->txn = f->flushes + 1;
	v->from = a->from;
	v->to = a->to;
	v->active = a->active;
}

/*
 * ev, an event of w, was stored: it joins w's view when the view holds its
 * time, as the database would hand it on to a query made now (flag.h).
 */
static void
view_add(const struct flagger *f, struct window *w, const struct event *ev)
{
	if (view_holds(f, w, ev->time, ev->time))
		list_insert(&w->view->events, ev->time, (unsigned char)ev->kind);
}

/*
 * On a fleet's database, where other daemons' events may fill the window of
 * ev (an event of w's peer without an active flag here): cross_around on w's
 * view, read once in a transaction for the times around ev (two WINDOWs
 * either side, so that the transaction's next events of the peer find them
 * there too), and again only for an event outside them. *fleet_active: the
 * id of another daemon's active flag of the peer and threshold, read with the
 * view (0: none, or handed on before). 1: crossed, 0: not, -1: the database
 * failed.
 */
static int
cross_view(struct flagger *f, struct window *w, const struct event *ev, struct crossing *x,
    int64_t *fleet_active)
{
	const struct conf_threshold *c = &f->conf->thresholds[w->th];
	int64_t t = ev->time;

	if (!view_holds(f, w, t - c->window, t + c->window)) {
		struct flagdb_range r = range_of(f, w->peer, w->is_domain, w->th, ev,
		    t - 2 * c->window, t + 2 * c->window);
		struct view *v = view_of(w);
		v->txn = 0;
		v->events.n = 0;
		if (flagdb_events_and_flag(f->db, &r, c->name, &v->active, list_row,
		    &v->events) < 0)
			return -1;
		v->txn = f->flushes + 1;
		v->from = r.from;
		v->to = r.to;
	}
	struct view *v = w->view;
	*fleet_active = v->active;
	v->active = 0;	/* adopted now, or found gone: not again */
	return cross_span(c, t, v->events.times, v->events.kinds, v->events.n, x);
}

/*
 * The recorded flag of (peer, threshold), already cleared, whose period holds
 * t: from WINDOW before its first event to its clearing. 1 (*id, *from, *to),
 * 0 (none), -1 (the database failed).
 */
static int
find_past(struct flagger *f, const struct window *w, int64_t t, int64_t *id, int64_t *from,
    int64_t *to)
{
	const struct conf_threshold *c = &f->conf->thresholds[w->th];

	return flagdb_find_past(f->db, w->peer, c->name, t, c->window, id, from, to);
}

/* One more event (of time t, read late) of a flag cleared already. */
static int
count_past(struct flagger *f, int64_t id, int64_t t)
{
	return flagdb_count_past(f->db, id, t);
}

/*
 * The events of w's peer from first (the first event of a crossing) on, in
 * time order, stored up to ev, until a quiet period of flag_quiet or until
 * `until` (exclusive): what a flag raised at first would have counted had
 * the events come in time order. *count, *last; *reached: no quiet period
 * lies between the last and `until`. 0 or -1.
 */
struct chain_state {
	int64_t quiet, count, last;
	int broken;		/* a quiet period ended it */
};

static int
chain_row(void *ctx, int64_t time, int kind)
{
	struct chain_state *c = ctx;

	(void)kind;
	if (c->count > 0 && time >= c->last + c->quiet) {
		c->broken = 1;
		return 1;
	}
	c->count++;
	c->last = time;
	return 0;
}

static int
chain(struct flagger *f, const struct window *w, const struct event *ev, int64_t first,
    int64_t until, int64_t *count, int64_t *last, int *reached)
{
	struct chain_state c = { f->conf->flag_quiet, 0, first, 0 };
	struct flagdb_range r = range_of(f, w->peer, w->is_domain, w->th, ev, first, until - 1);

	if (flagdb_events(f->db, &r, chain_row, &c) < 0)
		return -1;
	*count = c.count;
	*last = c.last;
	*reached = !c.broken && until - c.last < c.quiet;
	return 0;
}

struct crossed_state {
	int64_t n, count;
	struct active *a;
};

static int
crossed_row(void *ctx, int64_t time, int kind)
{
	struct crossed_state *c = ctx;

	(void)kind;
	if (++c->n < c->count)
		return 0;
	c->a->flagged = time;	/* written with its count */
	return 1;
}

/* An event read late between an active flag's first event and its crossing: it crossed earlier. */
static int
crossed_at(struct flagger *f, const struct window *w, const struct event *ev, struct active *a)
{
	struct crossed_state c = { 0, f->conf->thresholds[w->th].count, a };
	struct flagdb_range r = range_of(f, w->peer, w->is_domain, w->th, ev, a->first_event,
	    a->flagged - 1);

	return flagdb_events(f->db, &r, crossed_row, &c);
}

/* ---- actions ---- */

static int64_t
wall_clock(void)
{
	return (int64_t)time(NULL);
}

/* Record that a flag's action is due (inside the flag change's transaction); 0 or -1. */
static int
action_due(struct flagger *f, int64_t flag_id, int raised)
{
	return flagdb_action_due(f->db, flag_id, raised, wall_clock());
}

/*
 * The flag's window reaches into the present: its event of time t is no
 * older than the threshold's WINDOW by the wall clock. Only then is an
 * action due (tlslogd.conf(5): catching up acts on nothing old).
 */
static int
is_present(const struct flagger *f, size_t th, int64_t t)
{
	return t >= wall_clock() - f->conf->thresholds[th].window;
}

/* An active flag without a raise action got an event of the present: its action is due now. */
static int
act_if_present(struct flagger *f, struct active *a, size_t th, int64_t t)
{
	if (!f->act_flag || a->raise_action || !is_present(f, th, t))
		return 0;
	if (action_due(f, a->id, 1) < 0)
		return -1;
	a->raise_action = 1;
	queue_notice(f, 1, a, 0);
	f->pending[f->npending - 1].n.catch_up = 1;
	f->pending[f->npending - 1].n.action_due = 1;
	return 0;
}

/* n more events of an active flag's peer, the last at ev: its row is written by flag_flush. */
static void
count_events(struct flagger *f, struct active *a, const struct event *ev, int64_t n)
{
	if (ev->time > a->last_event)
		a->last_event = ev->time;
	if (ev->time < a->first_event)
		a->first_event = ev->time;
	a->count += n;
	a->unsaved += n;
	f->unsaved = 1;
}

/*
 * Write a's row of flags (cleared: 0, or when it cleared): 1 (a->id set), 0
 * when another writer has raised an active flag of the peer and threshold
 * since this flagger read the flags, -1 on an error.
 */
static int
insert_flag(struct flagger *f, struct active *a, int64_t cleared)
{
	struct flagdb_new_flag n;

	n.peer = a->peer;
	n.is_domain = a->is_domain;
	n.threshold = a->threshold;
	n.why = a->why;
	n.main_kind = a->main_kind;
	n.host = a->host;
	n.first_event = a->first_event;
	n.last_event = a->last_event;
	n.count = a->count;
	n.flagged = a->flagged;
	n.cleared = cleared;
	return flagdb_insert(f->db, &n, &a->id);
}

/*
 * a, just written, is active from now on (in *slot): announced, with its
 * raise action due when act (its action is configured) and it is of the present.
 */
static int
activate(struct flagger *f, struct active **slot, struct active *a, int act)
{
	a->next = *slot;
	*slot = a;
	if (act) {
		if (action_due(f, a->id, 1) < 0)
			return -1;
		a->raise_action = 1;
	}
	queue_notice(f, 1, a, 0);
	f->pending[f->npending - 1].n.action_due = a->raise_action;
	return 0;
}

/*
 * Record the flag x made (into *slot), or, cleared not 0, a flag of the past
 * (read out of order, before a newer active flag) already cleared then.
 */
static int
raise_flag(struct flagger *f, struct active **slot, struct window *w,
    const struct event *ev, const struct crossing *x, int64_t cleared)
{
	const struct conf_threshold *c = &f->conf->thresholds[w->th];
	struct active *a = xcalloc(1, sizeof(*a));
	char win[32];

	format_window(win, sizeof(win), c->window);
	a->peer = xstrdup(w->peer);
	a->is_domain = w->is_domain;
	a->threshold = xstrdup(c->name);
	a->why = xasprintf("%lld events of %s in %s", (long long)c->count,
	    c->kinds[1] == NULL ? c->kinds[0] : "its kinds", win);
	a->main_kind = xstrdup(event_kind_name(x->main_kind));
	if (ev->field[EF_PEER_HOST] != NULL && strcmp(ev->field[EF_PEER_HOST], "unknown") != 0)
		a->host = xstrndup(ev->field[EF_PEER_HOST], ev->field_len[EF_PEER_HOST]);
	a->first_event = x->first;
	a->last_event = x->last;
	a->count = x->count;
	a->flagged = x->flagged;

	int rc = insert_flag(f, a, cleared);
	if (rc == 0) {
		/*
		 * Another writer (a scan beside the daemon, or another daemon of
		 * the fleet) has flagged the peer since this flagger read the
		 * flags: take its flag over; it announced the flag already. A
		 * scan beside the daemon counted only its own events: add the
		 * window's that this process stored. The fleet's daemons read
		 * each other's events (the crossing counted those committed):
		 * add this one.
		 */
		free_active(a);
		if (load_actives(f, w->peer, c->name) < 0)
			return -1;
		slot = find_active(f, w->peer, c->name);
		if (*slot == NULL && f->fleet)
			return 0;	/* another daemon's, not committed yet: its next event finds it */
		if (*slot == NULL)
			return db_missing(f, "cannot record a flag");
		count_events(f, *slot, ev, f->fleet ? 1 : (int64_t)(w->own < w->n ? w->own : w->n));
		return act_if_present(f, *slot, w->th, x->last);
	}
	if (rc < 0) {
		free_active(a);
		return -1;
	}
	if (cleared != 0) {
		w->past_id = a->id;
		w->past_from = a->first_event - c->window;
		w->past_to = cleared;
		queue_notice(f, 1, a, 0);
		queue_notice(f, 0, a, cleared);
		free_active(a);
		return 0;
	}
	return activate(f, slot, a, f->act_flag && is_present(f, w->th, x->last));
}

/*
 * Another daemon of the fleet has an active flag of w's peer and threshold:
 * read it and count ev into it when its period holds ev. 1:
 * counted, 0: not (no such flag any more, or it begins after ev), -1: the
 * database failed.
 */
static int
adopt(struct flagger *f, const struct window *w, const struct event *ev)
{
	const struct conf_threshold *c = &f->conf->thresholds[w->th];
	struct active **slot;

	if (load_actives(f, w->peer, c->name) < 0)
		return -1;
	slot = find_active(f, w->peer, c->name);
	if (*slot != NULL && clear_if_quiet(f, slot, ev->time) < 0)
		return -1;
	struct active *a = *find_active(f, w->peer, c->name);
	if (a == NULL || ev->time < a->first_event)
		return 0;
	count_events(f, a, ev, 1);
	if (ev->time < a->flagged && crossed_at(f, w, ev, a) < 0)
		return -1;
	return act_if_present(f, a, w->th, ev->time) < 0 ? -1 : 1;
}

/*
 * One event of (peer, threshold), in whatever order events come: counted
 * into the active flag whose period holds it, or into a past flag that holds
 * it, or looked at for a crossing by its time (module comment of flag.h).
 */
static int
observe_peer(struct flagger *f, const char *peer, int is_domain, size_t th, const struct event *ev)
{
	const struct conf_threshold *c = &f->conf->thresholds[th];
	int64_t t = ev->time, quiet = f->conf->flag_quiet;
	struct active **slot = find_active(f, peer, c->name);

	/* A flag whose quiet period passed before this event was cleared then. */
	if (*slot != NULL && clear_if_quiet(f, slot, t) < 0)
		return -1;
	int seeded;
	struct window *w = get_window(f, peer, is_domain, th, ev, &seeded);
	if (w == NULL)
		return -1;
	if (!seeded)
		insert_time(w, t, (unsigned char)ev->kind);
	w->own++;
	if (f->fleet) {
		take_ahead(f, w);
		view_add(f, w, ev);
	}
	slot = find_active(f, peer, c->name);
	struct active *a = *slot;
	if (a != NULL && t >= a->first_event) {
		count_events(f, a, ev, 1);
		if (t < a->flagged && crossed_at(f, w, ev, a) < 0)
			return -1;
		return act_if_present(f, a, th, t);
	}
	if (w->past_id != 0 && t >= w->past_from && t < w->past_to)
		return count_past(f, w->past_id, t);
	struct crossing x;
	int rc;
	if (f->fleet && a == NULL) {
		/*
		 * On a fleet's database the other daemons' events count too, and
		 * one of them may have flagged the peer: the peer's view holds
		 * both (read ahead for the waiting events, flag.h).
		 */
		int64_t other;
		if ((rc = cross_view(f, w, ev, &x, &other)) < 0)
			return -1;
		if (other != 0) {
			int counted = adopt(f, w, ev);
			if (counted != 0)
				return counted < 0 ? -1 : 0;
			slot = find_active(f, peer, c->name);
			a = *slot;	/* adopted, a flag after t (or none) */
		}
	} else {
		rc = t >= w->newest ? cross_newest(w, t, c->window, &x) :
		    cross_around(f, w, ev, &x);
	}
	if (rc <= 0)
		return rc;	/* no crossing: before an active flag, not part of it */
	/* Read out of order, t may belong to a flag recorded already. */
	rc = find_past(f, w, t, &w->past_id, &w->past_from, &w->past_to);
	if (rc != 0)
		return rc < 0 ? -1 : count_past(f, w->past_id, t);
	if (t < w->newest || a != NULL || x.last > t) {
		/* Events after the crossing were stored already: the flag counts them. */
		int reached;
		int64_t n, last;
		if (chain(f, w, ev, x.first, a != NULL ? a->first_event : INT64_MAX, &n, &last,
		    &reached) < 0)
			return -1;
		if (a != NULL && reached) {
			/* The start of the active flag, read late. */
			struct event early = *ev;
			early.time = x.first;
			count_events(f, a, &early, n);
			if (x.flagged < a->flagged)
				a->flagged = x.flagged;
			return 0;
		}
		x.count = n;
		x.last = last;
	}
	return a == NULL ? raise_flag(f, slot, w, ev, &x, 0) :
	    raise_flag(f, NULL, w, ev, &x, x.last + quiet);
}

/* ---- regressions ---- */

/*
 * Which peers failed, and when last: a direct-mapped cache of this process's
 * regression failures, so that a success counted late (a file read after a
 * newer one) reads the events only for a peer that may have failed after it.
 * Only failures of earlier transactions count: those of the transaction
 * being flushed were judged with its successes in peer_days already. An
 * entry pushed out, and every event stored before the flagger started, raise
 * fail_horizon: a success older than it always looks.
 */
#define FAIL_CACHE 16384

struct fail_slot {
	uint64_t hash;		/* 0: free */
	int64_t judged;		/* the newest failure of the peer in an earlier flush */
	int64_t open;		/* ... in the transaction of flush gen */
	uint64_t gen;
};

/* The slot of peer (its failures of the open transaction moved to judged when it is older). */
static struct fail_slot *
fail_slot(struct flagger *f, const char *peer, uint64_t *hash)
{
	uint64_t h = util_fnv1a(peer, strlen(peer)) | 1;
	struct fail_slot *e = &f->fail_cache[h & (FAIL_CACHE - 1)];

	if (e->hash != 0 && e->gen != f->flushes) {
		if (e->open > e->judged)
			e->judged = e->open;
		e->open = INT64_MIN;
		e->gen = f->flushes;
	}
	*hash = h;
	return e;
}

static void
note_failure(struct flagger *f, const char *peer, int64_t t)
{
	uint64_t h;
	struct fail_slot *e = fail_slot(f, peer, &h);

	if (e->hash != h) {
		/* Pushed out: its failures now raise the horizon, those of the open transaction after it. */
		if (e->hash != 0 && e->judged > f->fail_horizon)
			f->fail_horizon = e->judged;
		if (e->hash != 0 && e->open > f->fail_horizon_next)
			f->fail_horizon_next = e->open;
		e->hash = h;
		e->judged = INT64_MIN;
		e->open = t;
		e->gen = f->flushes;
	} else if (t > e->open) {
		e->open = t;
	}
}

/* May the peer have failed after since, in an earlier transaction, as far as this process knows? */
static int
failed_after(struct flagger *f, const char *peer, int64_t since)
{
	uint64_t h;
	const struct fail_slot *e = fail_slot(f, peer, &h);

	return since < f->fail_horizon || (e->hash == h && e->judged > since);
}

static struct candidate *
add_candidate(struct flagger *f, const char *peer, int64_t t, enum event_kind kind,
    const char *host, size_t host_len)
{
	if (f->ncandidates == f->candidates_cap) {
		f->candidates_cap = f->candidates_cap ? 2 * f->candidates_cap : 64;
		f->candidates = xreallocarray(f->candidates, f->candidates_cap,
		    sizeof(*f->candidates));
	}
	struct candidate *c = &f->candidates[f->ncandidates++];
	c->peer = xstrdup(peer);
	c->host = host != NULL && !(host_len == 7 && memcmp(host, "unknown", 7) == 0) ?
	    xstrndup(host, host_len) : NULL;
	c->time = t;
	c->kind = kind;
	c->late = 0;
	c->success = -1;
	return c;
}

/*
 * A failure of a regression kind from peer: counted into the peer's active
 * regression when it is not older than its first failure, else kept to be
 * judged at the flush, when the successes of the transaction are in
 * peer_days (so that the judgment depends on the times of the lines, not
 * on where the commits fall).
 */
static int
observe_regression(struct flagger *f, const char *peer, const struct event *ev)
{
	struct active **slot = find_active(f, peer, FLAG_REGRESSION);

	note_failure(f, peer, ev->time);
	if (*slot != NULL) {
		/* Quiet for long enough before this failure: it ended then. */
		if (clear_if_quiet(f, slot, ev->time) < 0)
			return -1;
		slot = find_active(f, peer, FLAG_REGRESSION);
	}
	if (*slot != NULL && ev->time >= (*slot)->first_event) {
		count_events(f, *slot, ev, 1);
		return 0;
	}
	add_candidate(f, peer, ev->time, ev->kind, ev->field[EF_PEER_HOST],
	    ev->field_len[EF_PEER_HOST]);
	return 0;
}

void
flag_success(struct flagger *f, const char *peer, size_t len, int64_t first_time)
{
	char text[EVENT_IP_MAX];

	/* Only an address is flagged (a name is the peer of a success without one). */
	if (f == NULL || f->regression_mask == 0 || len >= sizeof(text))
		return;
	memcpy(text, peer, len);
	text[len] = '\0';
	if (!failed_after(f, text, first_time))
		return;
	add_candidate(f, text, first_time, KIND_COUNT, NULL, 0)->late = 1;
}

/*
 * Did the peer succeed in the regression_days before t (a row of peer_days
 * whose first success is before t)? 1, 0, or -1. What it did is said by the
 * readers from peer_days when they show the flag (peerhist.h); the flag
 * itself keeps only what its failures decide, so that it is the same however
 * the reading was cut into transactions and whatever order files came in.
 */
static int
had_success(struct flagger *f, const char *peer, int64_t t)
{
	int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;

	return flagdb_had_success(f->db, peer, day - f->conf->regression_days, day, t);
}

/*
 * On a fleet's database: had_success of every failure to judge at the flush,
 * in one query (peer_days is written before; judging writes only flags). 0 or -1.
 */
static int
read_successes(struct flagger *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->ncandidates; i++)
		n += !f->candidates[i].late;
	if (n == 0)
		return 0;
	struct flagdb_success_query *q = xreallocarray(NULL, n, sizeof(*q));
	size_t k = 0;
	for (size_t i = 0; i < f->ncandidates; i++) {
		const struct candidate *c = &f->candidates[i];
		if (c->late)
			continue;
		int64_t day = c->time >= 0 ? c->time / 86400 : (c->time - 86399) / 86400;
		q[k].peer = c->peer;
		q[k].day_from = day - f->conf->regression_days;
		q[k].day_to = day;
		q[k].t = c->time;
		k++;
	}
	int rc = flagdb_had_successes(f->db, q, n);
	k = 0;
	for (size_t i = 0; rc == 0 && i < f->ncandidates; i++)
		if (!f->candidates[i].late)
			f->candidates[i].success = q[k++].found;
	free(q);
	return rc;
}

/* "succeeded in the 7 days before; fails since with KIND". */
static char *
regression_why(const struct flagger *f, enum event_kind kind)
{
	return xasprintf("succeeded in the %d day%s before; fails since with %s",
	    f->conf->regression_days, f->conf->regression_days == 1 ? "" : "s",
	    event_kind_name(kind));
}

/* The regression now starts at a failure of kind: its why and main kind say so. */
static int
set_first_kind(struct flagger *f, struct active *a, enum event_kind kind)
{
	free(a->why);
	free(a->main_kind);
	a->why = regression_why(f, kind);
	a->main_kind = xstrdup(event_kind_name(kind));
	return flagdb_set_why(f->db, a->id, a->why, a->main_kind);
}

/* The stored failures of the regression kinds of peer from t on, before until. -1 on an error. */
static int64_t
count_failures(struct flagger *f, const char *peer, int64_t t, int64_t until, int64_t *last)
{
	return flagdb_count_failures(f->db, peer, t, until, f->regression_list, last);
}

/* Raise a regression of peer at its failure c, with n failures up to last. */
static int
raise_regression(struct flagger *f, struct active **slot, const struct candidate *c, int64_t n,
    int64_t last)
{
	struct active *a = xcalloc(1, sizeof(*a));

	a->peer = xstrdup(c->peer);
	a->threshold = xstrdup(FLAG_REGRESSION);
	a->why = regression_why(f, c->kind);
	a->main_kind = xstrdup(event_kind_name(c->kind));
	a->host = c->host != NULL ? xstrdup(c->host) : NULL;
	a->first_event = a->flagged = c->time;
	a->last_event = last;
	a->count = n;

	int rc = insert_flag(f, a, 0);
	if (rc == 0) {
		/* Another writer (a scan, another daemon) found the regression first: count into it. */
		struct event ev;
		memset(&ev, 0, sizeof(ev));
		ev.time = c->time;
		free_active(a);
		if (load_actives(f, c->peer, FLAG_REGRESSION) < 0)
			return -1;
		slot = find_active(f, c->peer, FLAG_REGRESSION);
		if (*slot == NULL && f->fleet)
			return 0;	/* another daemon's, not committed yet */
		if (*slot == NULL)
			return db_missing(f, "cannot record a regression");
		count_events(f, *slot, &ev, 1);
		return 0;
	}
	if (rc < 0) {
		free_active(a);
		return -1;
	}
	/* Its action runs when the failure is of the present, as a flag's does. */
	return activate(f, slot, a, f->act_regression && last >= wall_clock() - f->conf->flag_quiet);
}

/*
 * A regression's start read late: failures from t (with a success before
 * it) up to its first failure join it, which now starts at t.
 */
static int
start_earlier(struct flagger *f, struct active *a, int64_t t, enum event_kind kind)
{
	int64_t n = count_failures(f, a->peer, t, a->first_event, NULL);
	struct event early;

	if (n < 0)
		return -1;
	memset(&early, 0, sizeof(early));
	early.time = t;
	count_events(f, a, &early, n);
	if (t < a->flagged)
		a->flagged = t;
	return set_first_kind(f, a, kind);
}

/* A failure c of the transaction, with its successes written: a regression, part of one, or noise. */
static int
judge_failure(struct flagger *f, const struct candidate *c)
{
	struct active **slot = find_active(f, c->peer, FLAG_REGRESSION);
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.time = c->time;
	if (*slot != NULL && c->time >= (*slot)->first_event) {
		count_events(f, *slot, &ev, 1);	/* an earlier candidate raised it */
		return 0;
	}
	int rc = c->success >= 0 ? c->success : had_success(f, c->peer, c->time);
	if (rc <= 0)
		return rc;	/* no success in the period before it: not a regression */
	if (*slot != NULL) {
		/* Before the regression's first failure, after a success: its true start. */
		count_events(f, *slot, &ev, 1);
		if (c->time < (*slot)->flagged)
			(*slot)->flagged = c->time;
		return set_first_kind(f, *slot, c->kind);
	}
	return raise_regression(f, slot, c, 1, c->time);
}

/*
 * Successes of peer counted from time c->time on, read after failures that
 * came after them (a file read after a newer one): the first stored failure
 * of the regression kinds in the regression_days after the success is where
 * the regression starts, as if the lines had been read in time order.
 */
static int
judge_success(struct flagger *f, const struct candidate *c)
{
	struct active **slot = find_active(f, c->peer, FLAG_REGRESSION);
	int64_t day = c->time >= 0 ? c->time / 86400 : (c->time - 86399) / 86400;

	if (*slot != NULL && (*slot)->first_event <= c->time)
		return 0;	/* every failure after it is in the regression already */
	struct candidate failure = *c;
	int k;
	int rc = flagdb_first_failure(f->db, c->peer, c->time,
	    (day + f->conf->regression_days + 1) * 86400, f->regression_list, &failure.time, &k);
	if (rc <= 0)
		return rc;	/* no failure after it, or an error */
	failure.kind = k >= 0 ? (enum event_kind)k : KIND_TLS_HANDSHAKE_FAILED;
	if (*slot != NULL)
		return failure.time < (*slot)->first_event ?
		    start_earlier(f, *slot, failure.time, failure.kind) : 0;
	if ((rc = had_success(f, c->peer, failure.time)) <= 0)
		return rc;
	int64_t last;
	int64_t n = count_failures(f, c->peer, failure.time, INT64_MAX, &last);
	if (n < 0)
		return -1;
	return raise_regression(f, slot, &failure, n, last);
}

/* ev's look at each threshold it counts for: its address's, its domain's (dom: NULL). */
static inline int
observe_thresholds(struct flagger *f, const struct event *ev, const char *dom)
{
	const char *ip = ev->field[EF_PEER_IP];

	if (ev->time > f->latest)
		f->latest = ev->time;
	for (size_t th = 0; th < f->conf->nthresholds; th++) {
		if (!(f->masks[th] & (UINT32_C(1) << ev->kind)))
			continue;
		if (ip != NULL && observe_peer(f, ip, 0, th, ev) < 0)
			return -1;
		/* A domain counts only the kinds the domain as a whole controls (flag.h). */
		if (dom != NULL && (f->domain_masks[th] & (UINT32_C(1) << ev->kind)) &&
		    observe_peer(f, dom, 1, th, ev) < 0)
			return -1;
	}
	return 0;
}

static char *
copy_bytes(const char *s, size_t len)
{
	char *c = xmalloc(len + 1);

	memcpy(c, s, len);
	c[len] = '\0';
	return c;
}

static void
drop_ahead(struct flagger *f)
{
	for (size_t b = 0; f->ahead != NULL && b < BUCKETS; b++)
		while (f->ahead[b] != NULL) {
			struct ahead *a = f->ahead[b];
			f->ahead[b] = a->next;
			list_free(&a->events);
			free(a);
		}
}

static void
drop_waiting(struct flagger *f)
{
	for (size_t i = 0; i < f->nwaiting; i++) {
		free(f->waiting[i].ip);
		free(f->waiting[i].host);
		free(f->waiting[i].domain);
	}
	f->nwaiting = 0;
	drop_ahead(f);
}

/*
 * A waiting event of peer's window th, at time t: its view is to be read
 * (around t, and around the peer's other waiting events), unless the peer
 * has an active flag here already, which counts its events without one.
 */
static void
plan_ahead(struct flagger *f, const char *peer, int is_domain, size_t th, int64_t t)
{
	const struct conf_threshold *c = &f->conf->thresholds[th];
	struct ahead **p = find_ahead(f, peer, is_domain, th);

	if (*p == NULL) {
		if (*find_active(f, peer, c->name) != NULL)
			return;
		struct ahead *a = xcalloc(1, sizeof(*a));
		a->peer = peer;
		a->is_domain = is_domain;
		a->th = th;
		a->from = t - c->window;
		a->to = t + c->window;
		*p = a;
		return;
	}
	if (t - c->window < (*p)->from)
		(*p)->from = t - c->window;
	if (t + c->window > (*p)->to)
		(*p)->to = t + c->window;
}

static int
ahead_row(void *ctx, size_t i, int64_t time, int kind)
{
	struct ahead **list = ctx;

	return list_row(&list[i]->events, time, kind);
}

/*
 * The views of the waiting events' windows, in one query: the events stored
 * before the first waiting one (this transaction's earlier ones, and those
 * other daemons committed), and the other daemons' active flags. 0 or -1.
 */
static int
read_ahead(struct flagger *f)
{
	if (f->ahead == NULL)
		f->ahead = xcalloc(BUCKETS, sizeof(*f->ahead));
	for (size_t i = 0; i < f->nwaiting; i++) {
		const struct waiting *e = &f->waiting[i];
		for (size_t th = 0; th < f->conf->nthresholds; th++) {
			if (!(f->masks[th] & (UINT32_C(1) << e->kind)))
				continue;
			if (e->ip != NULL)
				plan_ahead(f, e->ip, 0, th, e->time);
			if (e->domain != NULL && (f->domain_masks[th] & (UINT32_C(1) << e->kind)))
				plan_ahead(f, e->domain, 1, th, e->time);
		}
	}
	size_t n = 0, k = 0;
	for (size_t b = 0; b < BUCKETS; b++)
		for (const struct ahead *a = f->ahead[b]; a != NULL; a = a->next)
			n++;
	if (n == 0)
		return 0;
	struct ahead **list = xreallocarray(NULL, n, sizeof(*list));
	struct flagdb_view *v = xreallocarray(NULL, n, sizeof(*v));
	for (size_t b = 0; b < BUCKETS; b++)
		for (struct ahead *a = f->ahead[b]; a != NULL; a = a->next, k++) {
			list[k] = a;
			v[k].peer = a->peer;
			v[k].is_domain = a->is_domain;
			v[k].kinds = kind_list(f, a->th, a->is_domain);
			v[k].threshold = f->conf->thresholds[a->th].name;
			v[k].from = a->from;
			v[k].to = a->to;
		}
	int rc = flagdb_views(f->db, v, n, f->waiting[0].id > 0 ? f->waiting[0].id - 1 : INT64_MAX,
	    ahead_row, list);
	for (size_t i = 0; i < n; i++)
		list[i]->active = v[i].active;
	free(v);
	free(list);
	return rc;
}

/* Look at the waiting events, in order, with their windows read ahead. 0 or -1. */
static int
look_at_waiting(struct flagger *f)
{
	int rc = 0;

	if (f->nwaiting == 0)
		return 0;
	if (read_ahead(f) < 0)
		rc = -1;
	for (size_t i = 0; i < f->nwaiting && rc == 0; i++) {
		const struct waiting *e = &f->waiting[i];
		struct event ev;
		memset(&ev, 0, sizeof(ev));
		ev.time = e->time;
		ev.id = e->id;
		ev.kind = e->kind;
		ev.field[EF_PEER_IP] = e->ip;
		ev.field_len[EF_PEER_IP] = e->ip_len;
		ev.field[EF_PEER_HOST] = e->host;
		ev.field_len[EF_PEER_HOST] = e->host_len;
		rc = observe_thresholds(f, &ev, e->domain);
	}
	drop_waiting(f);
	return rc;
}

/* On a fleet's database: ev waits to be looked at (flag.h). 0, or -1 when the database failed. */
static int
wait_event(struct flagger *f, const struct event *ev, const char *dom)
{
	int counted = 0;

	for (size_t th = 0; th < f->conf->nthresholds; th++)
		counted |= (f->masks[th] & (UINT32_C(1) << ev->kind)) != 0;
	if (!counted)
		return 0;
	if (f->waiting == NULL)
		f->waiting = xcalloc(WAIT_MAX, sizeof(*f->waiting));
	struct waiting *e = &f->waiting[f->nwaiting++];
	e->time = ev->time;
	e->id = ev->id;
	e->kind = ev->kind;
	e->ip_len = ev->field_len[EF_PEER_IP];
	e->ip = ev->field[EF_PEER_IP] ? copy_bytes(ev->field[EF_PEER_IP], e->ip_len) : NULL;
	e->host_len = ev->field_len[EF_PEER_HOST];
	e->host = ev->field[EF_PEER_HOST] ? copy_bytes(ev->field[EF_PEER_HOST], e->host_len) : NULL;
	e->domain = dom != NULL ? xstrdup(dom) : NULL;
	return f->nwaiting == WAIT_MAX ? look_at_waiting(f) : 0;
}

int
flag_observe(struct flagger *f, const struct event *ev)
{
	if (f == NULL || (f->conf->nthresholds == 0 && f->regression_mask == 0) || allowed(f, ev))
		return 0;
	const char *ip = ev->field[EF_PEER_IP];
	if (ip != NULL && (f->regression_mask & (UINT32_C(1) << ev->kind)) &&
	    observe_regression(f, ip, ev) < 0)
		return -1;
	if (f->conf->nthresholds == 0)
		return 0;
	char domain[DOMAIN_MAX + 2];
	const char *dom = domain_of_cached(store_domain_cache(f->store),
	    ev->field[EF_PEER_HOST], domain, sizeof(domain));

	return f->fleet ? wait_event(f, ev, dom) : observe_thresholds(f, ev, dom);
}

static int
by_id(const void *a, const void *b)
{
	const struct flagdb_counts *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * On a fleet's database: the counts of the active flags, in one statement,
 * in the order of their ids (so that two daemons lock the rows they share in
 * the same order). 0 or -1.
 */
static int
save_counts(struct flagger *f)
{
	struct flagdb_counts *c = NULL;
	size_t n = 0, size = 0;

	for (size_t b = 0; b < BUCKETS; b++)
		for (const struct active *a = f->actives[b]; a != NULL; a = a->next) {
			if (a->unsaved == 0)
				continue;
			if (n == size) {
				size = size ? 2 * size : 64;
				c = xreallocarray(c, size, sizeof(*c));
			}
			c[n].id = a->id;
			c[n].first = a->first_event;
			c[n].last = a->last_event;
			c[n].flagged = a->flagged;
			c[n++].n = a->unsaved;
		}
	if (n > 0)
		qsort(c, n, sizeof(*c), by_id);
	int rc = flagdb_update_many(f->db, c, n);
	free(c);
	if (rc < 0)
		return -1;
	for (size_t b = 0; b < BUCKETS; b++)
		for (struct active *a = f->actives[b]; a != NULL; a = a->next)
			a->unsaved = 0;
	f->unsaved = 0;
	return 0;
}

/* Free the memory of the windows' views (those of a transaction that ended). */
static void
drop_views(struct flagger *f)
{
	for (size_t b = 0; b < BUCKETS; b++)
		for (struct window *w = f->windows[b]; w != NULL; w = w->next)
			if (w->view != NULL)
				free_view(w);
}

int
flag_flush(struct flagger *f)
{
	if (f == NULL)
		return 0;
	if (look_at_waiting(f) < 0 || (f->fleet && read_successes(f) < 0)) {
		drop_candidates(f);
		return -1;
	}
	/* The failures first: a late success then finds the regression they made. */
	for (size_t i = 0; i < f->ncandidates; i++)
		if (!f->candidates[i].late && judge_failure(f, &f->candidates[i]) < 0) {
			drop_candidates(f);
			return -1;
		}
	for (size_t i = 0; i < f->ncandidates; i++)
		if (f->candidates[i].late && judge_success(f, &f->candidates[i]) < 0) {
			drop_candidates(f);
			return -1;
		}
	drop_candidates(f);
	f->flushes++;	/* the views of the transaction are stale now */
	if (f->fleet)
		drop_views(f);
	if (f->fail_horizon_next > f->fail_horizon)
		f->fail_horizon = f->fail_horizon_next;
	if (!f->unsaved)
		return 0;
	if (f->fleet)
		return save_counts(f);
	for (size_t b = 0; b < BUCKETS; b++)
		for (struct active *a = f->actives[b]; a != NULL; a = a->next) {
			if (a->unsaved == 0)
				continue;
			if (flagdb_update(f->db, a->id, a->first_event, a->last_event, a->flagged,
			    a->unsaved) < 0)
				return -1;
			a->unsaved = 0;
		}
	f->unsaved = 0;
	return 0;
}

int
flag_expire(struct flagger *f, int64_t now)
{
	if (f == NULL)
		return 0;
	if (look_at_waiting(f) < 0)
		return -1;
	for (size_t b = 0; b < BUCKETS; b++)
		for (struct active **p = &f->actives[b]; *p != NULL;) {
			struct active *a = *p;
			if (clear_if_quiet(f, p, now) < 0)
				return -1;
			if (*p == a)
				p = &a->next;	/* not quiet (on a fleet: another daemon's event) */
		}
	return 0;
}

void
flag_record_actions(struct flagger *f, int on_flag, int on_regression, int on_clear)
{
	if (f == NULL)
		return;
	f->act_flag = on_flag;
	f->act_regression = on_regression;
	f->act_clear = on_clear;
}

int
flag_reset(struct flagger *f)
{
	if (f == NULL)
		return 0;
	forget_all(f);
	if (load_actives(f, NULL, NULL) < 0)
		return -1;
	return read_seed_horizon(f);
}

/* The kinds that patterns ("tls_*", "auth_failed"; NULL-terminated, or NULL) select, as bits. */
static uint32_t
kinds_mask(char *const *patterns)
{
	uint32_t mask = 0;

	for (int k = 0; k < KIND_COUNT; k++) {
		const char *name = event_kind_name((enum event_kind)k);
		for (char *const *pat = patterns; pat != NULL && *pat; pat++) {
			size_t len = strlen(*pat);
			if ((*pat)[len - 1] == '*' ? strncmp(name, *pat, len - 1) == 0 :
			    strcmp(name, *pat) == 0) {
				mask |= UINT32_C(1) << k;
				break;
			}
		}
	}
	return mask;
}

/* The kinds of mask as ",kind,kind," (allocated), for SQL's instr(). */
static char *
kinds_text(uint32_t mask)
{
	struct buf list;

	buf_init(&list);
	buf_putc(&list, ',');
	for (int k = 0; k < KIND_COUNT; k++)
		if (mask & (UINT32_C(1) << k))
			buf_printf(&list, "%s,", event_kind_name((enum event_kind)k));
	buf_putc(&list, '\0');
	return list.data;
}

struct flagger *
flag_new(struct store *st, const struct conf *conf)
{
	struct flagger *f = xcalloc(1, sizeof(*f));

	f->store = st;
	f->conf = conf;
	f->latest = INT64_MIN;
	f->fail_horizon = INT64_MIN;
	f->fail_horizon_next = INT64_MIN;
	size_t nth = conf->nthresholds ? conf->nthresholds : 1;
	f->masks = xcalloc(nth, sizeof(*f->masks));
	f->kind_lists = xcalloc(nth, sizeof(*f->kind_lists));
	f->domain_masks = xcalloc(nth, sizeof(*f->domain_masks));
	f->domain_kind_lists = xcalloc(nth, sizeof(*f->domain_kind_lists));
	uint32_t domain_mask = kinds_mask(conf->flag_domain_kinds);
	for (size_t th = 0; th < conf->nthresholds; th++) {
		f->masks[th] = kinds_mask(conf->thresholds[th].kinds);
		f->kind_lists[th] = kinds_text(f->masks[th]);
		f->domain_masks[th] = f->masks[th] & domain_mask;
		f->domain_kind_lists[th] = kinds_text(f->domain_masks[th]);
		if (conf->thresholds[th].window > f->max_window)
			f->max_window = conf->thresholds[th].window;
	}
	load_allow(f);
	if (conf->regression_days > 0)
		f->regression_mask = kinds_mask(conf->regression_kinds);
	f->regression_list = kinds_text(f->regression_mask);
	f->fail_cache = xcalloc(FAIL_CACHE, sizeof(*f->fail_cache));
	f->fleet = store_engine(st) == STORE_POSTGRESQL;
	if ((f->db = flagdb_open(st)) == NULL || load_actives(f, NULL, NULL) < 0 ||
	    read_seed_horizon(f) < 0) {
		flag_free(f);
		return NULL;
	}
	return f;
}

void
flag_free(struct flagger *f)
{
	if (f == NULL)
		return;
	forget_all(f);
	free(f->waiting);
	free(f->ahead);
	flagdb_close(f->db);
	free(f->regression_list);
	free(f->fail_cache);
	free(f->candidates);
	for (size_t th = 0; th < f->conf->nthresholds; th++) {
		free(f->kind_lists[th]);
		free(f->domain_kind_lists[th]);
	}
	free(f->kind_lists);
	free(f->domain_kind_lists);
	free(f->domain_masks);
	free(f->masks);
	free(f->nets);
	for (size_t i = 0; i < f->ndomains; i++)
		free(f->domains[i]);
	free(f->domains);
	free(f);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary.c: collect what a period of the database holds (see summary.h).
 *
 * The work is done by SQLite, and every query over events is bounded by a
 * time range on the events_time index (or by a peer and a time range on
 * events_peer_ip / events_peer_host), so the cost follows the number of
 * events in the two periods read, not the size of the database:
 *   1. failures per (server, kind, period): one pass over both periods; the
 *      totals per kind and per server are sums of its few rows;
 *   2. failures per bar of the chart: one pass over the index alone;
 *   3. failures per (server, peer) in the period, most first: one pass; the
 *      first rows of each server are its top peers;
 *   4. for each top peer, two passes over its own events: its causes (with a
 *      reverse name, an HELO, a user and the number of users of each), then
 *      the most frequent reason of its main cause;
 *   5. the flags raised and cleared in the period, by the indexes of flags.
 * SQLite 3.24 is the oldest we build with: no window functions, and a common
 * table expression used twice would be computed twice, hence plain queries.
 *
 * All of it runs in one read transaction: one snapshot, even while the daemon
 * writes.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "summary.h"
#include "util.h"

/* Most bars a chart gets; longer periods get longer buckets. */
#define MAX_BARS 48

static const char count_sql[] =
    "SELECT server, kind, time >= ?2, count(*) FROM events "
    "WHERE time >= ?1 AND time < ?3 GROUP BY 1, 2, 3";

static const char bars_sql[] =
    "SELECT time / ?3, count(*) FROM events WHERE time >= ?1 AND time < ?2 GROUP BY 1";

/* A peer is its address, or its name when the log gives no address. */
static const char peers_sql[] =
    "SELECT server, peer_ip AS ip, CASE WHEN peer_ip IS NULL THEN peer_host END "
    "COLLATE NOCASE AS host, count(*) AS n FROM events WHERE time >= ?1 AND time < ?2 "
    "GROUP BY server, ip, host ORDER BY server, n DESC, ip, host";

/* The three ways to select one peer's events; ?1 the peer, ?2 ?3 the period, ?4 the server. */
#define BY_IP "peer_ip = ?1"
#define BY_HOST "peer_ip IS NULL AND peer_host = ?1"
#define BY_NONE "peer_ip IS NULL AND peer_host IS NULL AND ?1 IS NULL"
#define PERIOD " AND time >= ?2 AND time < ?3 AND server IS ?4"
#define CAUSES(where) \
    "SELECT kind, direction, mta, count(*), count(DISTINCT user), max(peer_host), " \
    "max(helo), max(user), min(time), max(time) FROM events WHERE " where PERIOD \
    " GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3"
#define REASON(where) \
    "SELECT reason FROM events WHERE " where PERIOD " AND kind = ?5 AND direction = ?6 " \
    "AND mta = ?7 AND reason IS NOT NULL GROUP BY reason ORDER BY count(*) DESC, reason LIMIT 1"

static const char *const causes_sql[] = { CAUSES(BY_IP), CAUSES(BY_HOST), CAUSES(BY_NONE) };
static const char *const reason_sql[] = { REASON(BY_IP), REASON(BY_HOST), REASON(BY_NONE) };

/* ?1 the peer, ?2 flag_quiet, ?3 now. */
static const char peer_flag_sql[] =
    "SELECT threshold FROM flags WHERE peer = ?1 AND cleared IS NULL AND last_event + ?2 > ?3 "
    "ORDER BY count DESC, threshold LIMIT 1";

#define FLAG_COLUMNS "peer, peer_kind, threshold, why, main_kind, host, count, first_event, " \
    "last_event, flagged"
/* ?1 ?2 the period, ?3 flag_quiet, ?4 now. A flag quiet for flag_quiet was cleared then. */
static const char raised_sql[] =
    "SELECT " FLAG_COLUMNS ", coalesce(cleared, CASE WHEN last_event + ?3 <= ?4 "
    "THEN last_event + ?3 END) FROM flags WHERE flagged >= ?1 AND flagged < ?2 "
    "ORDER BY count DESC, flagged, id";
static const char cleared_sql[] =
    "SELECT " FLAG_COLUMNS ", cleared FROM flags WHERE cleared >= ?1 AND cleared < ?2 "
    "UNION ALL SELECT " FLAG_COLUMNS ", last_event + ?3 FROM flags WHERE cleared IS NULL "
    "AND last_event + ?3 >= ?1 AND last_event + ?3 < ?2 AND last_event + ?3 <= ?4 "
    "ORDER BY 7 DESC, 11, 1";
/* Active at the end of the period ?2. */
static const char active_sql[] =
    "SELECT (SELECT count(*) FROM flags WHERE cleared IS NULL AND flagged < ?2 "
    "AND last_event + ?3 > min(?2, ?4)) + "
    "(SELECT count(*) FROM flags WHERE cleared >= ?2 AND flagged < ?2)";

static char *
column_dup(sqlite3_stmt *s, int c)
{
	const unsigned char *t = sqlite3_column_text(s, c);

	return t == NULL ? NULL : xstrndup((const char *)t, (size_t)sqlite3_column_bytes(s, c));
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
	sqlite3 *db;
	const struct summary_opts *o;
	struct summary *s;
	sqlite3_stmt *causes[3], *reason[3], *peer_flag;
};

static int
prepare(struct collector *c, const char *sql, sqlite3_stmt **s)
{
	if (sqlite3_prepare_v2(c->db, sql, -1, s, NULL) != SQLITE_OK) {
		*s = NULL;
		return -1;
	}
	return 0;
}


static void
server_sort(struct summary *s, struct summary_count *list, size_t n)
{
	if (n > 1)
		qsort(list, n, sizeof(*list), by_count);
	s->servers = xcalloc(n ? n : 1, sizeof(*s->servers));
	for (size_t i = 0; i < n; i++) {
		s->servers[i].name = list[i].name;	/* moved */
		s->servers[i].cur = list[i].cur;
		s->servers[i].prev = list[i].prev;
	}
	s->nservers = n;
}

static int
collect_counts(struct collector *c)
{
	struct summary *s = c->s;
	struct summary_count *servers = NULL;
	size_t nservers = 0;
	sqlite3_stmt *st;
	int rc;

	if (prepare(c, count_sql, &st) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, s->since - (s->until - s->since));
	sqlite3_bind_int64(st, 2, s->since);
	sqlite3_bind_int64(st, 3, s->until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *server = (const char *)sqlite3_column_text(st, 0);
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		int cur = sqlite3_column_int(st, 2);
		int64_t n = sqlite3_column_int64(st, 3);
		struct summary_count *k = find_count(&s->kinds, &s->nkinds, kind);
		struct summary_count *sv = find_count(&servers, &nservers, server);

		if (cur) {
			k->cur += n;
			sv->cur += n;
			s->total += n;
		} else {
			k->prev += n;
			sv->prev += n;
			s->prev_total += n;
		}
	}
	sqlite3_finalize(st);
	if (s->nkinds > 1)	/* qsort must not get NULL, even for nothing */
		qsort(s->kinds, s->nkinds, sizeof(*s->kinds), by_count);
	server_sort(s, servers, nservers);
	free(servers);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
collect_bars(struct collector *c)
{
	struct summary *s = c->s;
	sqlite3_stmt *st;
	int rc;

	s->bucket = bucket_for(s->until - s->since);
	s->bucket_start = s->since / s->bucket * s->bucket;
	s->nbars = (size_t)((s->until - 1 - s->bucket_start) / s->bucket + 1);
	s->bars = xcalloc(s->nbars, sizeof(*s->bars));
	if (prepare(c, bars_sql, &st) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, s->since);
	sqlite3_bind_int64(st, 2, s->until);
	sqlite3_bind_int64(st, 3, s->bucket);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t i = sqlite3_column_int64(st, 0) - s->bucket_start / s->bucket;
		if (i >= 0 && (size_t)i < s->nbars)
			s->bars[i] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Its causes, the most frequent reason of the main one, and an active flag. */
static int
peer_details(struct collector *c, struct summary_peer *p, const char *server)
{
	int how = p->ip != NULL ? 0 : p->host != NULL ? 1 : 2;
	const char *key = p->ip != NULL ? p->ip : p->host;
	sqlite3_stmt *st;
	int rc;

	if (c->causes[how] == NULL && prepare(c, causes_sql[how], &c->causes[how]) < 0)
		return -1;
	st = c->causes[how];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->s->since);
	sqlite3_bind_int64(st, 3, c->s->until);
	sqlite3_bind_text(st, 4, server, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t first = sqlite3_column_int64(st, 8), last = sqlite3_column_int64(st, 9);
		if (p->ncauses == 0 || first < p->first)
			p->first = first;
		if (p->ncauses == 0 || last > p->last)
			p->last = last;
		if (p->ncauses++ > 0)
			continue;
		p->kind = column_dup(st, 0);
		p->direction = column_dup(st, 1);
		p->mta = column_dup(st, 2);
		p->kind_count = sqlite3_column_int64(st, 3);
		p->users = sqlite3_column_int64(st, 4);
		p->reverse = column_dup(st, 5);
		p->helo = column_dup(st, 6);
		p->user = column_dup(st, 7);
	}
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (p->kind == NULL)
		return 0;

	if (c->reason[how] == NULL && prepare(c, reason_sql[how], &c->reason[how]) < 0)
		return -1;
	st = c->reason[how];
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->s->since);
	sqlite3_bind_int64(st, 3, c->s->until);
	sqlite3_bind_text(st, 4, server, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, p->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, p->direction, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, p->mta, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		p->reason = column_dup(st, 0);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;

	if (p->ip == NULL)
		return 0;
	if (c->peer_flag == NULL && prepare(c, peer_flag_sql, &c->peer_flag) < 0)
		return -1;
	st = c->peer_flag;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, p->ip, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->o->quiet);
	sqlite3_bind_int64(st, 3, c->o->now);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		p->flag = column_dup(st, 0);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static struct summary_server *
find_server(struct summary *s, const char *name)
{
	for (size_t i = 0; i < s->nservers; i++)
		if (same_name(s->servers[i].name, name))
			return &s->servers[i];
	return NULL;
}

static int
collect_peers(struct collector *c)
{
	struct summary *s = c->s;
	size_t top = s->nservers > 1 ? c->o->top_many : c->o->top;
	sqlite3_stmt *st;
	int rc;

	if (prepare(c, peers_sql, &st) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, s->since);
	sqlite3_bind_int64(st, 2, s->until);
	/* Sorted by server, then worst first: the first rows of each server are its top. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct summary_server *sv = find_server(s, (const char *)sqlite3_column_text(st, 0));
		if (sv == NULL || sv->npeers >= top)
			continue;
		if (sv->peers == NULL)
			sv->peers = xcalloc(top, sizeof(*sv->peers));
		struct summary_peer *p = &sv->peers[sv->npeers++];
		p->ip = column_dup(st, 1);
		p->host = column_dup(st, 2);
		p->count = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	for (size_t i = 0; i < s->nservers; i++)
		for (size_t j = 0; j < s->servers[i].npeers; j++)
			if (peer_details(c, &s->servers[i].peers[j], s->servers[i].name) < 0)
				return -1;
	return 0;
}

static int
collect_flag_list(struct collector *c, const char *sql, struct summary_flag **list, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(c, sql, &st) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, c->s->since);
	sqlite3_bind_int64(st, 2, c->s->until);
	sqlite3_bind_int64(st, 3, c->o->quiet);
	sqlite3_bind_int64(st, 4, c->o->now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*list = xreallocarray(*list, *n + 1, sizeof(**list));
		struct summary_flag *f = &(*list)[(*n)++];
		f->peer = column_dup(st, 0);
		f->peer_kind = column_dup(st, 1);
		f->threshold = column_dup(st, 2);
		f->why = column_dup(st, 3);
		f->main_kind = column_dup(st, 4);
		f->host = column_dup(st, 5);
		f->count = sqlite3_column_int64(st, 6);
		f->first_event = sqlite3_column_int64(st, 7);
		f->last_event = sqlite3_column_int64(st, 8);
		f->flagged = sqlite3_column_int64(st, 9);
		f->cleared = sqlite3_column_int64(st, 10);	/* NULL: 0 */
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
collect_flags(struct collector *c)
{
	struct summary *s = c->s;
	sqlite3_stmt *st;
	int rc;

	if (collect_flag_list(c, raised_sql, &s->raised, &s->nraised) < 0 ||
	    collect_flag_list(c, cleared_sql, &s->cleared, &s->ncleared) < 0)
		return -1;
	if (prepare(c, active_sql, &st) < 0)
		return -1;
	sqlite3_bind_int64(st, 2, s->until);
	sqlite3_bind_int64(st, 3, c->o->quiet);
	sqlite3_bind_int64(st, 4, c->o->now);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		s->active = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

struct summary *
summary_collect(struct sqlite3 *db, const struct summary_opts *opts)
{
	struct collector c;
	int ok;

	memset(&c, 0, sizeof(c));
	c.db = db;
	c.o = opts;
	c.s = xcalloc(1, sizeof(*c.s));
	c.s->since = opts->since;
	c.s->until = opts->until;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("cannot read the database: %s", sqlite3_errmsg(db));
		summary_free(c.s);
		return NULL;
	}
	ok = collect_counts(&c) == 0 && collect_bars(&c) == 0 && collect_peers(&c) == 0 &&
	    collect_flags(&c) == 0;
	if (!ok)
		log_warnx("cannot read the database: %s", sqlite3_errmsg(db));
	for (int i = 0; i < 3; i++) {
		sqlite3_finalize(c.causes[i]);
		sqlite3_finalize(c.reason[i]);
	}
	sqlite3_finalize(c.peer_flag);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
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

void
summary_free(struct summary *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nkinds; i++)
		free(s->kinds[i].name);
	free(s->kinds);
	for (size_t i = 0; i < s->nservers; i++) {
		struct summary_server *sv = &s->servers[i];
		for (size_t j = 0; j < sv->npeers; j++) {
			struct summary_peer *p = &sv->peers[j];
			free(p->ip);
			free(p->host);
			free(p->kind);
			free(p->direction);
			free(p->mta);
			free(p->reverse);
			free(p->helo);
			free(p->reason);
			free(p->user);
			free(p->flag);
		}
		free(sv->peers);
		free(sv->name);
	}
	free(s->servers);
	flags_free(s->raised, s->nraised);
	flags_free(s->cleared, s->ncleared);
	free(s->bars);
	free(s);
}

int
summary_is_empty(const struct summary *s)
{
	return s->total == 0 && s->nraised == 0 && s->ncleared == 0;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flagdb_pg.c: the flagger's statements on PostgreSQL (see flagdb.h), on the
 * store's connection (pgstore.h), inside the writer's transaction.
 *
 * The flags and their actions are the fleet's: every daemon that writes the
 * database reads them and counts into them, so the statements differ from
 * SQLite's where two daemons may meet:
 *   - an active flag is inserted only by the daemon that holds its lock (a
 *     transaction's advisory lock of the peer and threshold, taken without
 *     waiting), and ON CONFLICT on the index of the active flags DO NOTHING:
 *     of two daemons crossing at once, the second neither writes nor waits
 *     (no row returned; the flag it reads is the committed one, or none
 *     while the first's transaction is open: the next event adopts it).
 *     Waiting on another daemon's uncommitted flag, each holding one the
 *     other wants, would be a deadlock: PostgreSQL would abort one batch.
 *     raised_by is this server.
 *   - a due action is inserted ON CONFLICT DO NOTHING: once per flag and
 *     event, whoever records it.
 *   - a clear clears only a flag no other daemon counted a later event into
 *     (its last_event is not after ours): otherwise the row says when its
 *     peer failed last, and the flag stays active.
 *   - "stored up to ev" (flagdb.h): the events of other transactions, and
 *     those of this one (xmin, the inserting transaction) up to ev's id. An
 *     id alone would not do: ids are drawn at insert, not at commit, and a
 *     daemon's events committed after ours may have smaller ones or larger.
 *     pg_current_xact_id() needs PostgreSQL 13.
 *
 * Statements are prepared once per connection under names of their own
 * ("flag_..."): a flagger made again on the same store (a reload) finds them
 * prepared, and a connection made again (pgstore_epoch: the store reconnects
 * after the server restarted) gets them again before its first statement. Values go as text parameters; text that is no valid UTF-8 (a
 * reverse name from the log) is sent with U+FFFD in place of each bad byte,
 * as pgstore.c stores it in events, so that the peer found is the stored one.
 */
#include "config.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "flagdb_engine.h"
#include "log.h"
#include "pgstore.h"
#include "util.h"

#define MAX_PARAMS 12

struct flagdb_pg {
	struct store *store;
	PGconn *conn;
	uint64_t epoch;		/* of the connection the statements are prepared on */
	const char *server;
	/* The parameters of the next statement. */
	int n;
	const char *v[MAX_PARAMS];
	char num[MAX_PARAMS][24];
	char *owned[MAX_PARAMS];
};

/* Events "stored up to" $N: other transactions', and this one's to that id. */
#define UP_TO(n) "(id <= $" n " OR xmin <> pg_current_xact_id()::xid)"
#define EVENTS_OF(col) "SELECT time, kind FROM events WHERE " col " = $1 AND time >= $2 AND " \
	"strpos($4, ',' || kind || ',') > 0 AND " UP_TO("5")

static const struct pgstore_statement statements[] = {
	{ "flag_actives", "SELECT id, peer, peer_kind, threshold, why, main_kind, host, "
	  "first_event, last_event, count, EXISTS (SELECT 1 FROM flag_actions WHERE "
	  "flag_id = flags.id AND event = 'flagged')::int, flagged FROM flags WHERE cleared IS NULL "
	  "AND ($1::text IS NULL OR (peer = $1 AND threshold = $2))" },
	{ "flag_newest", "SELECT max(time) FROM events" },
	{ "flag_range_ip", EVENTS_OF("peer_ip") " AND time <= $3 ORDER BY time" },
	{ "flag_range_domain", EVENTS_OF("peer_domain") " AND time <= $3 ORDER BY time" },
	{ "flag_fleet_ip", "SELECT time, kind, (SELECT id FROM flags WHERE peer = $1 AND "
	  "threshold = $6 AND cleared IS NULL) FROM events WHERE peer_ip = $1 AND time >= $2 AND "
	  "time <= $3 AND strpos($4, ',' || kind || ',') > 0 AND " UP_TO("5") " ORDER BY time" },
	{ "flag_fleet_domain", "SELECT time, kind, (SELECT id FROM flags WHERE peer = $1 AND "
	  "threshold = $6 AND cleared IS NULL) FROM events WHERE peer_domain = $1 AND time >= $2 AND "
	  "time <= $3 AND strpos($4, ',' || kind || ',') > 0 AND " UP_TO("5") " ORDER BY time" },
	/* The windows of flagdb_views: $1..$6 arrays of their peers, is_domain, kinds, from, to, thresholds. */
	{ "flag_views", "WITH q AS (SELECT * FROM unnest($1::text[], $2::int[], $3::text[], "
	  "$4::bigint[], $5::bigint[], $6::text[]) WITH ORDINALITY AS "
	  "q(peer, dom, kinds, lo, hi, threshold, i)) "
	  "SELECT q.i, e.time, e.kind, NULL::bigint FROM q CROSS JOIN LATERAL ("
	  "SELECT time, kind FROM events WHERE q.dom = 0 AND peer_ip = q.peer AND time >= q.lo AND "
	  "time <= q.hi AND strpos(q.kinds, ',' || kind || ',') > 0 AND " UP_TO("7") " UNION ALL "
	  "SELECT time, kind FROM events WHERE q.dom = 1 AND peer_domain = q.peer AND "
	  "time >= q.lo AND time <= q.hi AND strpos(q.kinds, ',' || kind || ',') > 0 AND "
	  UP_TO("7") ") e UNION ALL SELECT q.i, NULL, NULL, f.id FROM q JOIN flags f ON "
	  "f.peer = q.peer AND f.threshold = q.threshold AND f.cleared IS NULL ORDER BY 1, 2" },
	{ "flag_seed_ip", EVENTS_OF("peer_ip") " ORDER BY time DESC LIMIT $3" },
	{ "flag_seed_domain", EVENTS_OF("peer_domain") " ORDER BY time DESC LIMIT $3" },
	/* An active flag only under its lock, taken without waiting (see above). */
	{ "flag_insert", "INSERT INTO flags (peer, peer_kind, threshold, first_event, last_event, "
	  "count, flagged, why, main_kind, host, cleared, raised_by) SELECT $1::text, $2::text, "
	  "$3::text, $4::bigint, $5::bigint, $6::bigint, $7::bigint, $8::text, $9::text, "
	  "$10::text, $11::bigint, $12::text WHERE $11::bigint IS NOT NULL OR "
	  "pg_try_advisory_xact_lock(hashtextextended('tlslogd flag ' || $3 || ' ' || $1, 0)) "
	  "ON CONFLICT (peer, threshold) WHERE cleared IS NULL DO NOTHING RETURNING id" },
	{ "flag_update", "UPDATE flags SET last_event = greatest(last_event, $3), "
	  "first_event = least(first_event, $2), flagged = least(flagged, $4), "
	  "count = count + $5 WHERE id = $1" },
	/*
	 * flag_update of many ($1..$5: arrays of the ids, first, last, flagged,
	 * n). The rows are locked first, in the order of their ids, whatever
	 * plan the update gets: two daemons counting into the same flags then
	 * wait for each other, never on each other (a deadlock).
	 */
	{ "flag_update_many", "WITH u AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], "
	  "$3::bigint[], $4::bigint[], $5::bigint[]) AS u(id, first, last, flagged, n)), "
	  "locked AS (SELECT id FROM flags WHERE id IN (SELECT id FROM u) ORDER BY id FOR UPDATE) "
	  "UPDATE flags SET last_event = greatest(flags.last_event, u.last), "
	  "first_event = least(flags.first_event, u.first), flagged = least(flags.flagged, "
	  "u.flagged), count = flags.count + u.n FROM u, (SELECT id FROM locked) AS l "
	  "WHERE flags.id = u.id AND l.id = u.id" },
	{ "flag_clear", "UPDATE flags SET cleared = CASE WHEN cleared IS NULL AND "
	  "last_event <= $4 THEN $6 ELSE cleared END, last_event = greatest(last_event, $4), "
	  "first_event = least(first_event, $2), flagged = least(flagged, $3), "
	  "count = count + $5 WHERE id = $1 RETURNING cleared, last_event" },
	{ "flag_set_why", "UPDATE flags SET why = $2, main_kind = $3 WHERE id = $1" },
	{ "flag_past_find", "SELECT id, first_event - $4, cleared FROM flags WHERE "
	  "peer = $1 AND threshold = $2 AND cleared IS NOT NULL AND first_event - $4 <= $3 AND "
	  "$3 < cleared ORDER BY id DESC LIMIT 1" },
	{ "flag_past_count", "UPDATE flags SET count = count + 1, "
	  "first_event = least(first_event, $2), last_event = greatest(last_event, $2) "
	  "WHERE id = $1" },
	{ "flag_action_due", "INSERT INTO flag_actions (flag_id, event, due, next_try) "
	  "VALUES ($1, $2, $3, $3) ON CONFLICT (flag_id, event) DO NOTHING" },
	{ "flag_history", "SELECT 1 FROM peer_days WHERE peer = $1 AND day >= $2 AND "
	  "day <= $3 AND first_time < $4 LIMIT 1" },
	/* flag_history of each ($1..$4: arrays of the peers, day_from, day_to, t): the indexes found. */
	{ "flag_histories", "SELECT q.i FROM unnest($1::text[], $2::bigint[], $3::bigint[], "
	  "$4::bigint[]) WITH ORDINALITY AS q(peer, d0, d1, t, i) WHERE EXISTS (SELECT 1 FROM "
	  "peer_days WHERE peer = q.peer AND day >= q.d0 AND day <= q.d1 AND first_time < q.t)" },
	{ "flag_first_failure", "SELECT time, kind FROM events WHERE peer_ip = $1 AND "
	  "time > $2 AND time < $3 AND strpos($4, ',' || kind || ',') > 0 ORDER BY time LIMIT 1" },
	{ "flag_count_failures", "SELECT count(*), max(time) FROM events WHERE "
	  "peer_ip = $1 AND time >= $2 AND time < $3 AND strpos($4, ',' || kind || ',') > 0" },
};

/* ---- parameters ---- */

static void
reset(struct flagdb_pg *p)
{
	for (int i = 0; i < p->n; i++) {
		free(p->owned[i]);
		p->owned[i] = NULL;
	}
	p->n = 0;
}

static void
put_int(struct flagdb_pg *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%lld", (long long)v);
	p->v[p->n] = p->num[p->n];
	p->n++;
}

/* The bytes of the UTF-8 character at s (a NUL ends s), 0 when s starts none. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	cp = s[0] & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* a NUL among them too */
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Text (NULL: SQL NULL), each byte outside valid UTF-8 sent as U+FFFD. */
static void
put_text(struct flagdb_pg *p, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;

	p->v[p->n] = s;
	while (s != NULL && u[i] != '\0' && (k = utf8_len(u + i)) != 0)
		i += k;
	if (s != NULL && u[i] != '\0') {
		struct buf b;
		buf_init(&b);
		for (i = 0; u[i] != '\0'; i += k)
			if ((k = utf8_len(u + i)) == 0) {
				buf_puts(&b, "\xef\xbf\xbd");
				k = 1;
			} else {
				buf_append(&b, s + i, k);
			}
		buf_putc(&b, '\0');
		p->owned[p->n] = b.data;
		p->v[p->n] = b.data;
	}
	p->n++;
}

/* An element of an array's text form: quoted, each byte outside valid UTF-8 as U+FFFD. */
static void
array_element(struct buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k;

	buf_putc(b, '"');
	for (size_t i = 0; u[i] != '\0'; i += k) {
		if ((k = utf8_len(u + i)) == 0) {
			buf_puts(b, "\xef\xbf\xbd");
			k = 1;
			continue;
		}
		if (u[i] == '"' || u[i] == '\\')
			buf_putc(b, '\\');
		buf_append(b, s + i, k);
	}
	buf_putc(b, '"');
}

/* An array's text form, begun in b; each element after array_next(b, its index). */
static void
array_open(struct buf *b)
{
	buf_init(b);
	buf_putc(b, '{');
}

static void
array_next(struct buf *b, size_t i)
{
	if (i > 0)
		buf_putc(b, ',');
}

/* The next parameter: the array opened in b, closed (owned by the parameters from now on). */
static void
put_array(struct flagdb_pg *p, struct buf *b)
{
	buf_putc(b, '}');
	buf_putc(b, '\0');
	p->owned[p->n] = b->data;
	p->v[p->n] = b->data;
	p->n++;
}

/* ---- running ---- */

static int prepare_all(struct flagdb_pg *p);

static int
fail(struct flagdb_pg *p, const char *what, const PGresult *r)
{
	const char *msg = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(p->conn);
	log_warnx("%s: %s: %.*s", store_path(p->store), what, (int)strcspn(msg, "\n"), msg);
	return -1;
}

/* Run the prepared statement name with the parameters set: its result, or NULL (logged). */
static PGresult *
run(struct flagdb_pg *p, const char *name, const char *what)
{
	struct pgstore *ps = store_pg(p->store);

	if (pgstore_epoch(ps) != p->epoch) {
		/* Connected again since: a new session, without our statements. */
		p->conn = (PGconn *)pgstore_conn(ps);
		if (prepare_all(p) < 0) {
			reset(p);
			return NULL;
		}
		p->epoch = pgstore_epoch(ps);
	}
	PGresult *r = PQexecPrepared(p->conn, name, p->n, p->v, NULL, NULL, 0);
	ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	reset(p);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		fail(p, what, r);
		PQclear(r);
		return NULL;
	}
	return r;
}

static int
run_command(struct flagdb_pg *p, const char *name, const char *what)
{
	PGresult *r = run(p, name, what);

	PQclear(r);
	return r != NULL ? 0 : -1;
}

static int64_t
int_at(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static const char *
text_at(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int
kind_at(const PGresult *r, int row, int col)
{
	int kind = event_kind_from_name(PQgetvalue(r, row, col),
	    (size_t)PQgetlength(r, row, col));

	return kind < 0 ? 0 : kind;
}

/* ---- the operations (flagdb.h) ---- */

static void
close_pg(void *impl)
{
	struct flagdb_pg *p = impl;

	if (p == NULL)
		return;
	reset(p);
	free(p);
}

static int
actives_pg(void *impl, const char *peer, const char *threshold, flagdb_flag_fn fn, void *ctx)
{
	struct flagdb_pg *p = impl;

	put_text(p, peer);
	put_text(p, threshold);
	PGresult *r = run(p, "flag_actives", "cannot read the flags");
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct flagdb_flag f;
		f.id = int_at(r, i, 0);
		f.peer = text_at(r, i, 1);
		f.peer_kind = text_at(r, i, 2);
		f.threshold = text_at(r, i, 3);
		f.why = text_at(r, i, 4);
		f.main_kind = text_at(r, i, 5);
		f.host = text_at(r, i, 6);
		f.first_event = int_at(r, i, 7);
		f.last_event = int_at(r, i, 8);
		f.count = int_at(r, i, 9);
		f.raise_action = (int)int_at(r, i, 10);
		f.flagged = int_at(r, i, 11);
		if (fn(ctx, &f))
			break;
	}
	PQclear(r);
	return 0;
}

static int
newest_pg(void *impl, int64_t *newest, int *none)
{
	struct flagdb_pg *p = impl;
	PGresult *r = run(p, "flag_newest", "cannot read the newest event");

	if (r == NULL)
		return -1;
	*none = PQgetisnull(r, 0, 0);
	*newest = *none ? 0 : int_at(r, 0, 0);
	PQclear(r);
	return 0;
}

/* Run name on q ($3: third; $6: threshold unless NULL), hand on the rows; *active: column 2. */
static int
range_rows(struct flagdb_pg *p, const char *name, const struct flagdb_range *q, int64_t third,
    const char *threshold, int64_t *active, flagdb_event_fn fn, void *ctx)
{
	put_text(p, q->peer);
	put_int(p, q->from);
	put_int(p, third);
	put_text(p, q->kinds);
	put_int(p, q->max_id);
	if (threshold != NULL)
		put_text(p, threshold);
	PGresult *r = run(p, name, "cannot read a peer's events");
	if (r == NULL)
		return -1;
	if (active != NULL)
		*active = PQntuples(r) > 0 && !PQgetisnull(r, 0, 2) ? int_at(r, 0, 2) : 0;
	for (int i = 0; i < PQntuples(r); i++)
		if (fn(ctx, int_at(r, i, 0), kind_at(r, i, 1)))
			break;
	PQclear(r);
	return 0;
}

static int
events_pg(void *impl, const struct flagdb_range *q, flagdb_event_fn fn, void *ctx)
{
	return range_rows(impl, q->is_domain ? "flag_range_domain" : "flag_range_ip", q, q->to,
	    NULL, NULL, fn, ctx);
}

static int
events_and_flag_pg(void *impl, const struct flagdb_range *q, const char *threshold,
    int64_t *active, flagdb_event_fn fn, void *ctx)
{
	return range_rows(impl, q->is_domain ? "flag_fleet_domain" : "flag_fleet_ip", q, q->to,
	    threshold, active, fn, ctx);
}

/* The column of v (texts or numbers of each window) as the next parameter, an array. */
enum view_column { VIEW_PEER, VIEW_DOMAIN, VIEW_KINDS, VIEW_FROM, VIEW_TO, VIEW_THRESHOLD };

static void
put_view_column(struct flagdb_pg *p, const struct flagdb_view *v, size_t n, enum view_column col)
{
	struct buf b;

	array_open(&b);
	for (size_t i = 0; i < n; i++) {
		array_next(&b, i);
		switch (col) {
		case VIEW_PEER:
			array_element(&b, v[i].peer);
			break;
		case VIEW_DOMAIN:
			buf_putc(&b, v[i].is_domain ? '1' : '0');
			break;
		case VIEW_KINDS:
			array_element(&b, v[i].kinds);
			break;
		case VIEW_FROM:
			buf_printf(&b, "%lld", (long long)v[i].from);
			break;
		case VIEW_TO:
			buf_printf(&b, "%lld", (long long)v[i].to);
			break;
		case VIEW_THRESHOLD:
			array_element(&b, v[i].threshold);
			break;
		}
	}
	put_array(p, &b);
}

static int
views_pg(void *impl, struct flagdb_view *v, size_t n, int64_t max_id, flagdb_view_fn fn,
    void *ctx)
{
	struct flagdb_pg *p = impl;

	for (size_t i = 0; i < n; i++)
		v[i].active = 0;
	if (n == 0)
		return 0;
	for (int col = VIEW_PEER; col <= VIEW_THRESHOLD; col++)
		put_view_column(p, v, n, (enum view_column)col);
	put_int(p, max_id);
	PGresult *r = run(p, "flag_views", "cannot read the peers' events");
	if (r == NULL)
		return -1;
	for (int row = 0; row < PQntuples(r); row++) {
		int64_t i = int_at(r, row, 0) - 1;
		if (i < 0 || (size_t)i >= n)
			continue;
		if (!PQgetisnull(r, row, 3))
			v[i].active = int_at(r, row, 3);
		else
			fn(ctx, (size_t)i, int_at(r, row, 1), kind_at(r, row, 2));
	}
	PQclear(r);
	return 0;
}

static int
events_newest_pg(void *impl, const struct flagdb_range *q, int64_t limit, flagdb_event_fn fn,
    void *ctx)
{
	return range_rows(impl, q->is_domain ? "flag_seed_domain" : "flag_seed_ip", q, limit,
	    NULL, NULL, fn, ctx);
}

static int
insert_pg(void *impl, const struct flagdb_new_flag *f, int64_t *id)
{
	struct flagdb_pg *p = impl;

	put_text(p, f->peer);
	put_text(p, f->is_domain ? "domain" : "ip");
	put_text(p, f->threshold);
	put_int(p, f->first_event);
	put_int(p, f->last_event);
	put_int(p, f->count);
	put_int(p, f->flagged);
	put_text(p, f->why);
	put_text(p, f->main_kind);
	put_text(p, f->host);
	if (f->cleared != 0)
		put_int(p, f->cleared);
	else
		put_text(p, NULL);
	put_text(p, p->server);
	PGresult *r = run(p, "flag_insert", "cannot record a flag");
	if (r == NULL)
		return -1;
	int found = PQntuples(r) > 0;
	if (found)
		*id = int_at(r, 0, 0);
	PQclear(r);
	return found;
}

static int
update_pg(void *impl, int64_t id, int64_t first, int64_t last, int64_t flagged, int64_t n)
{
	struct flagdb_pg *p = impl;

	put_int(p, id);
	put_int(p, first);
	put_int(p, last);
	put_int(p, flagged);
	put_int(p, n);
	return run_command(p, "flag_update", "cannot update a flag");
}

static int
update_many_pg(void *impl, const struct flagdb_counts *c, size_t n)
{
	struct flagdb_pg *p = impl;

	if (n == 0)
		return 0;
	for (int col = 0; col < 5; col++) {
		struct buf b;
		array_open(&b);
		for (size_t i = 0; i < n; i++) {
			int64_t v = col == 0 ? c[i].id : col == 1 ? c[i].first : col == 2 ? c[i].last :
			    col == 3 ? c[i].flagged : c[i].n;
			array_next(&b, i);
			buf_printf(&b, "%lld", (long long)v);
		}
		put_array(p, &b);
	}
	return run_command(p, "flag_update_many", "cannot update the flags");
}

static int
clear_pg(void *impl, int64_t id, int64_t when, int64_t first, int64_t last, int64_t flagged,
    int64_t n, int64_t *fleet_last)
{
	struct flagdb_pg *p = impl;

	put_int(p, id);
	put_int(p, first);
	put_int(p, flagged);
	put_int(p, last);
	put_int(p, n);
	put_int(p, when);
	PGresult *r = run(p, "flag_clear", "cannot clear a flag");
	if (r == NULL)
		return -1;
	int cleared = 1;
	if (PQntuples(r) > 0 && PQgetisnull(r, 0, 0)) {
		cleared = 0;	/* another daemon counted a later event into it */
		*fleet_last = int_at(r, 0, 1);
	}
	PQclear(r);
	return cleared;
}

static int
set_why_pg(void *impl, int64_t id, const char *why, const char *main_kind)
{
	struct flagdb_pg *p = impl;

	put_int(p, id);
	put_text(p, why);
	put_text(p, main_kind);
	return run_command(p, "flag_set_why", "cannot update a regression");
}

static int
find_past_pg(void *impl, const char *peer, const char *threshold, int64_t t, int64_t window,
    int64_t *id, int64_t *from, int64_t *to)
{
	struct flagdb_pg *p = impl;

	put_text(p, peer);
	put_text(p, threshold);
	put_int(p, t);
	put_int(p, window);
	PGresult *r = run(p, "flag_past_find", "cannot read the past flags");
	if (r == NULL)
		return -1;
	int found = PQntuples(r) > 0;
	if (found) {
		*id = int_at(r, 0, 0);
		*from = int_at(r, 0, 1);
		*to = int_at(r, 0, 2);
	}
	PQclear(r);
	return found;
}

static int
count_past_pg(void *impl, int64_t id, int64_t t)
{
	struct flagdb_pg *p = impl;

	put_int(p, id);
	put_int(p, t);
	return run_command(p, "flag_past_count", "cannot update a past flag");
}

static int
action_due_pg(void *impl, int64_t id, int raised, int64_t now)
{
	struct flagdb_pg *p = impl;

	put_int(p, id);
	put_text(p, raised ? "flagged" : "cleared");
	put_int(p, now);
	return run_command(p, "flag_action_due", "cannot record a due action");
}

static int
had_success_pg(void *impl, const char *peer, int64_t day_from, int64_t day_to, int64_t t)
{
	struct flagdb_pg *p = impl;

	put_text(p, peer);
	put_int(p, day_from);
	put_int(p, day_to);
	put_int(p, t);
	PGresult *r = run(p, "flag_history", "cannot read the peer's successes");
	if (r == NULL)
		return -1;
	int found = PQntuples(r) > 0;
	PQclear(r);
	return found;
}

/* The numbers of q (the days from, to, or t: which) as the next parameter, an array. */
static void
put_success_column(struct flagdb_pg *p, const struct flagdb_success_query *q, size_t n, int which)
{
	struct buf b;

	array_open(&b);
	for (size_t i = 0; i < n; i++) {
		array_next(&b, i);
		if (which == 0)
			array_element(&b, q[i].peer);
		else
			buf_printf(&b, "%lld", (long long)(which == 1 ? q[i].day_from :
			    which == 2 ? q[i].day_to : q[i].t));
	}
	put_array(p, &b);
}

static int
had_successes_pg(void *impl, struct flagdb_success_query *q, size_t n)
{
	struct flagdb_pg *p = impl;

	for (size_t i = 0; i < n; i++)
		q[i].found = 0;
	if (n == 0)
		return 0;
	for (int which = 0; which < 4; which++)
		put_success_column(p, q, n, which);
	PGresult *r = run(p, "flag_histories", "cannot read the peers' successes");
	if (r == NULL)
		return -1;
	for (int row = 0; row < PQntuples(r); row++) {
		int64_t i = int_at(r, row, 0) - 1;
		if (i >= 0 && (size_t)i < n)
			q[i].found = 1;
	}
	PQclear(r);
	return 0;
}

static int
first_failure_pg(void *impl, const char *peer, int64_t t, int64_t until, const char *kinds,
    int64_t *time, int *kind)
{
	struct flagdb_pg *p = impl;

	put_text(p, peer);
	put_int(p, t);
	put_int(p, until);
	put_text(p, kinds);
	PGresult *r = run(p, "flag_first_failure", "cannot read the peer's failures");
	if (r == NULL)
		return -1;
	int found = PQntuples(r) > 0;
	if (found) {
		*time = int_at(r, 0, 0);
		*kind = event_kind_from_name(PQgetvalue(r, 0, 1), (size_t)PQgetlength(r, 0, 1));
	}
	PQclear(r);
	return found;
}

static int64_t
count_failures_pg(void *impl, const char *peer, int64_t t, int64_t until, const char *kinds,
    int64_t *last)
{
	struct flagdb_pg *p = impl;

	put_text(p, peer);
	put_int(p, t);
	put_int(p, until);
	put_text(p, kinds);
	PGresult *r = run(p, "flag_count_failures", "cannot count the peer's failures");
	if (r == NULL)
		return -1;
	int64_t n = int_at(r, 0, 0);
	if (last != NULL)
		*last = PQgetisnull(r, 0, 1) ? t : int_at(r, 0, 1);
	PQclear(r);
	return n;
}

/* Prepare the statements this connection has not prepared yet. 0 or -1. */
static int
prepare_all(struct flagdb_pg *p)
{
	return pgstore_prepare_missing(store_pg(p->store), statements,
	    sizeof(statements) / sizeof(statements[0]), "flag_", "cannot prepare the flag statements");
}

void *
flagdb_pg_open(struct store *st)
{
	struct flagdb_pg *p = xcalloc(1, sizeof(*p));

	p->store = st;
	p->conn = (PGconn *)pgstore_conn(store_pg(st));
	p->server = pgstore_server(store_pg(st));
	p->epoch = pgstore_epoch(store_pg(st));
	if (prepare_all(p) < 0) {
		close_pg(p);
		return NULL;
	}
	return p;
}

const struct flagdb_ops flagdb_pg_ops = {
	.fleet = 1,
	.close = close_pg,
	.actives = actives_pg,
	.newest_event = newest_pg,
	.events = events_pg,
	.events_and_flag = events_and_flag_pg,
	.views = views_pg,
	.events_newest = events_newest_pg,
	.insert = insert_pg,
	.update = update_pg,
	.update_many = update_many_pg,
	.clear = clear_pg,
	.set_why = set_why_pg,
	.find_past = find_past_pg,
	.count_past = count_past_pg,
	.action_due = action_due_pg,
	.had_success = had_success_pg,
	.had_successes = had_successes_pg,
	.first_failure = first_failure_pg,
	.count_failures = count_failures_pg,
};

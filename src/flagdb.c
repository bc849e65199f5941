/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flagdb.c: the flagger's statements on the engine of its store (see
 * flagdb.h): picks the engine's set when the flagger is made and passes each
 * call on to it.
 */
#include "config.h"

#include <stdlib.h>

#include "flagdb.h"
#include "flagdb_engine.h"
#include "util.h"

struct flagdb {
	const struct flagdb_ops *ops;
	void *impl;
};

struct flagdb *
flagdb_open(struct store *st)
{
	const struct flagdb_ops *ops = &flagdb_sqlite_ops;
	void *impl;

#ifdef HAVE_LIBPQ
	if (store_engine(st) == STORE_POSTGRESQL) {
		ops = &flagdb_pg_ops;
		impl = flagdb_pg_open(st);
	} else
#endif
		impl = flagdb_sqlite_open(st);
	if (impl == NULL)
		return NULL;
	struct flagdb *db = xcalloc(1, sizeof(*db));
	db->ops = ops;
	db->impl = impl;
	return db;
}

void
flagdb_close(struct flagdb *db)
{
	if (db == NULL)
		return;
	db->ops->close(db->impl);
	free(db);
}

int
flagdb_fleet(const struct flagdb *db)
{
	return db->ops->fleet;
}

int
flagdb_actives(struct flagdb *db, const char *peer, const char *threshold, flagdb_flag_fn fn,
    void *ctx)
{
	return db->ops->actives(db->impl, peer, threshold, fn, ctx);
}

int
flagdb_newest_event(struct flagdb *db, int64_t *newest, int *none)
{
	return db->ops->newest_event(db->impl, newest, none);
}

int
flagdb_events(struct flagdb *db, const struct flagdb_range *r, flagdb_event_fn fn, void *ctx)
{
	return db->ops->events(db->impl, r, fn, ctx);
}

int
flagdb_events_and_flag(struct flagdb *db, const struct flagdb_range *r, const char *threshold,
    int64_t *active, flagdb_event_fn fn, void *ctx)
{
	return db->ops->events_and_flag(db->impl, r, threshold, active, fn, ctx);
}

int
flagdb_views(struct flagdb *db, struct flagdb_view *v, size_t n, int64_t max_id,
    flagdb_view_fn fn, void *ctx)
{
	return db->ops->views(db->impl, v, n, max_id, fn, ctx);
}

int
flagdb_events_newest(struct flagdb *db, const struct flagdb_range *r, int64_t limit,
    flagdb_event_fn fn, void *ctx)
{
	return db->ops->events_newest(db->impl, r, limit, fn, ctx);
}

int
flagdb_insert(struct flagdb *db, const struct flagdb_new_flag *flag, int64_t *id)
{
	return db->ops->insert(db->impl, flag, id);
}

int
flagdb_update(struct flagdb *db, int64_t id, int64_t first, int64_t last, int64_t flagged,
    int64_t n)
{
	return db->ops->update(db->impl, id, first, last, flagged, n);
}

int
flagdb_update_many(struct flagdb *db, const struct flagdb_counts *c, size_t n)
{
	return db->ops->update_many(db->impl, c, n);
}

int
flagdb_clear(struct flagdb *db, int64_t id, int64_t when, int64_t first, int64_t last,
    int64_t flagged, int64_t n, int64_t *fleet_last)
{
	return db->ops->clear(db->impl, id, when, first, last, flagged, n, fleet_last);
}

int
flagdb_set_why(struct flagdb *db, int64_t id, const char *why, const char *main_kind)
{
	return db->ops->set_why(db->impl, id, why, main_kind);
}

int
flagdb_find_past(struct flagdb *db, const char *peer, const char *threshold, int64_t t,
    int64_t window, int64_t *id, int64_t *from, int64_t *to)
{
	return db->ops->find_past(db->impl, peer, threshold, t, window, id, from, to);
}

int
flagdb_count_past(struct flagdb *db, int64_t id, int64_t t)
{
	return db->ops->count_past(db->impl, id, t);
}

int
flagdb_action_due(struct flagdb *db, int64_t id, int raised, int64_t now)
{
	return db->ops->action_due(db->impl, id, raised, now);
}

int
flagdb_had_success(struct flagdb *db, const char *peer, int64_t day_from, int64_t day_to,
    int64_t t)
{
	return db->ops->had_success(db->impl, peer, day_from, day_to, t);
}

int
flagdb_had_successes(struct flagdb *db, struct flagdb_success_query *q, size_t n)
{
	return db->ops->had_successes(db->impl, q, n);
}

int
flagdb_first_failure(struct flagdb *db, const char *peer, int64_t t, int64_t until,
    const char *kinds, int64_t *time, int *kind)
{
	return db->ops->first_failure(db->impl, peer, t, until, kinds, time, kind);
}

int64_t
flagdb_count_failures(struct flagdb *db, const char *peer, int64_t t, int64_t until,
    const char *kinds, int64_t *last)
{
	return db->ops->count_failures(db->impl, peer, t, until, kinds, last);
}

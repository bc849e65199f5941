/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flagdb_engine.h: what an engine gives flagdb.c (private to the flagdb
 * files). Each operation has the contract of the flagdb.h function of the
 * same name, with the engine's own state (impl) in place of the flagdb.
 */
#ifndef TLSLOGD_FLAGDB_ENGINE_H
#define TLSLOGD_FLAGDB_ENGINE_H

#include "flagdb.h"

struct flagdb_ops {
	int fleet;
	void (*close)(void *impl);
	int (*actives)(void *impl, const char *peer, const char *threshold, flagdb_flag_fn fn,
	    void *ctx);
	int (*newest_event)(void *impl, int64_t *newest, int *none);
	int (*events)(void *impl, const struct flagdb_range *r, flagdb_event_fn fn, void *ctx);
	int (*events_and_flag)(void *impl, const struct flagdb_range *r, const char *threshold,
	    int64_t *active, flagdb_event_fn fn, void *ctx);
	int (*views)(void *impl, struct flagdb_view *v, size_t n, int64_t max_id,
	    flagdb_view_fn fn, void *ctx);
	int (*events_newest)(void *impl, const struct flagdb_range *r, int64_t limit,
	    flagdb_event_fn fn, void *ctx);
	int (*insert)(void *impl, const struct flagdb_new_flag *flag, int64_t *id);
	int (*update)(void *impl, int64_t id, int64_t first, int64_t last, int64_t flagged,
	    int64_t n);
	int (*update_many)(void *impl, const struct flagdb_counts *c, size_t n);
	int (*clear)(void *impl, int64_t id, int64_t when, int64_t first, int64_t last,
	    int64_t flagged, int64_t n, int64_t *fleet_last);
	int (*set_why)(void *impl, int64_t id, const char *why, const char *main_kind);
	int (*find_past)(void *impl, const char *peer, const char *threshold, int64_t t,
	    int64_t window, int64_t *id, int64_t *from, int64_t *to);
	int (*count_past)(void *impl, int64_t id, int64_t t);
	int (*action_due)(void *impl, int64_t id, int raised, int64_t now);
	int (*had_success)(void *impl, const char *peer, int64_t day_from, int64_t day_to,
	    int64_t t);
	int (*had_successes)(void *impl, struct flagdb_success_query *q, size_t n);
	int (*first_failure)(void *impl, const char *peer, int64_t t, int64_t until,
	    const char *kinds, int64_t *time, int *kind);
	int64_t (*count_failures)(void *impl, const char *peer, int64_t t, int64_t until,
	    const char *kinds, int64_t *last);
};

/* SQLite (flagdb_sqlite.c): NULL (logged) when the statements cannot be prepared. */
extern const struct flagdb_ops flagdb_sqlite_ops;
void *flagdb_sqlite_open(struct store *st);

#ifdef HAVE_LIBPQ
/* PostgreSQL (flagdb_pg.c). */
extern const struct flagdb_ops flagdb_pg_ops;
void *flagdb_pg_open(struct store *st);
#endif

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * metrics.h: the daemon's counters in Prometheus' text format, for the
 * node_exporter textfile collector (a file replaced atomically) and for the
 * HTTP endpoint (metrics_http.h).
 *
 * The daemon keeps a struct metrics for what only it sees (commits and their
 * latency, database errors, flags raised and cleared, the start time) and, to
 * render, fills a struct metrics_view with what the follower, the batch, the
 * flagger and the rules count already. Rendering allocates, never blocks and
 * touches no database, so it can run in the event loop at every scrape.
 *
 * The names follow Prometheus' conventions: a "tlslogd_" prefix, base units
 * (seconds, bytes), "_total" on counters, "_info" for the build. Counters
 * count since the daemon started; a reload (SIGHUP) keeps them.
 */
#ifndef TLSLOGD_METRICS_H
#define TLSLOGD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "follow.h"
#include "util.h"

/* Upper bounds of the commit latency histogram, in seconds (then +Inf). */
#define METRICS_COMMIT_BUCKETS 11

struct metrics {
	double start_time;	/* wall clock, seconds since the epoch */
	uint64_t commits;	/* transactions committed */
	uint64_t commit_bucket[METRICS_COMMIT_BUCKETS];	/* cumulative when rendered */
	double commit_seconds;	/* their total duration */
	uint64_t database_errors;	/* commits or reads that failed */
	int database_failing;	/* waiting to retry */
	uint64_t flags_raised, flags_cleared;
	/* What the follower, batch and rules replaced at a reload had counted. */
	struct follow_totals carried;
	struct batch_count *carried_counts;
	size_t ncarried;
	uint64_t carried_limit_hits;
};

/* One source as the metrics show it. */
struct metrics_source {
	const char *name;
	struct follow_lag lag;
};

/* What the rest of the daemon counts, gathered for one rendering. */
struct metrics_view {
	struct follow_totals totals;	/* lines, bytes, ... since the start */
	const struct batch_count *counts;	/* events stored by kind, direction and MTA */
	size_t ncounts;
	const struct metrics_source *sources;
	size_t nsources;
	uint64_t match_limit_hits;	/* lines a pattern gave up on */
	size_t flags_active;
};

void metrics_init(struct metrics *m, double start_time);
void metrics_free(struct metrics *m);
/* A commit succeeded in seconds. */
void metrics_observe_commit(struct metrics *m, double seconds);
/*
 * A reload replaces the follower, the batch and the rules: what v says they
 * counted is kept, and added to what their successors count, so that the
 * counters never go back while the daemon runs.
 */
void metrics_carry(struct metrics *m, const struct metrics_view *v);

/* Append the exposition (text format 0.0.4) of m and v to out. */
void metrics_render(const struct metrics *m, const struct metrics_view *v, struct buf *out);

/*
 * Replace path by text atomically: written to a hidden temporary file in the
 * same folder, synced, made readable by all (0644: node_exporter reads it as
 * another user) and renamed over path. 0, or -1 with errno set (the
 * temporary file removed).
 */
int metrics_write_file(const char *path, const char *text, size_t len);

#endif

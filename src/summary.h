/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary.h: what a period of the database holds, for the nightly summary
 * (`tlslogd summary`): the failures per kind and per server against the
 * period of the same length before, the flags raised and cleared in it, the
 * top failing peers of each server with their main cause, and the failures
 * per hour (or per longer bucket for long periods).
 *
 * Every string of a summary is a copy of a database value as it is: text from
 * the logs, which the renderer (summary_render.h) escapes. Collecting is read
 * only and reads one consistent snapshot of the database.
 */
#ifndef TLSLOGD_SUMMARY_H
#define TLSLOGD_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;

/* A kind or a server: failures in the period and in the period before. */
struct summary_count {
	char *name;		/* NULL: a server the log does not name */
	int64_t cur, prev;
};

struct summary_peer {
	char *ip;		/* the peer's address, or NULL ... */
	char *host;		/* ... then its name; both NULL: the log named no peer */
	int64_t count;		/* failures in the period (on this server) */
	int64_t first, last;
	/* The main cause: the (kind, direction, mta) of most of its failures. */
	char *kind, *direction, *mta;
	int64_t kind_count;
	size_t ncauses;		/* how many different (kind, direction, mta) */
	int64_t users;		/* distinct user names with the main cause */
	/* The most frequent values with the main cause (NULL: not logged). */
	char *reverse, *helo, *reason, *user;
	char *flag;		/* the threshold of a flag active now on its address, or NULL */
};

struct summary_server {
	char *name;		/* NULL: not named in the log */
	int64_t cur, prev;
	struct summary_peer *peers;	/* worst first */
	size_t npeers;
};

struct summary_flag {
	char *peer, *peer_kind, *threshold, *why, *main_kind, *host;
	int64_t count, first_event, last_event, flagged;
	int64_t cleared;	/* 0: active */
};

struct summary {
	int64_t since, until;	/* the period: since <= time < until */
	int64_t total, prev_total;
	struct summary_count *kinds;	/* kinds seen in either period, most now first */
	size_t nkinds;
	struct summary_server *servers;	/* servers with failures in either period, most first */
	size_t nservers;
	struct summary_flag *raised;	/* flagged in the period, the most events first */
	size_t nraised;
	struct summary_flag *cleared;	/* cleared in the period (quiet long enough), ditto */
	size_t ncleared;
	int64_t active;		/* flags active at the end of the period */
	int64_t bucket;		/* seconds per bar of the chart ... */
	int64_t bucket_start;	/* ... the first starting here (aligned, <= since) */
	int64_t *bars;		/* failures per bucket */
	size_t nbars;
};

struct summary_opts {
	int64_t since, until;
	int64_t now;		/* a flag quiet since before now - quiet is cleared */
	int64_t quiet;		/* flag_quiet */
	size_t top;		/* peers listed per server (top_many when several servers) */
	size_t top_many;
};

/* NULL (logged with SQLite's message) when the database cannot be read. */
struct summary *summary_collect(struct sqlite3 *db, const struct summary_opts *opts);
void summary_free(struct summary *s);
/* No failure in the period and no flag raised or cleared: nothing to report. */
int summary_is_empty(const struct summary *s);

#endif

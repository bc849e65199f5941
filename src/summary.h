/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary.h: what a period of the database holds, for the nightly summary
 * (`tlslogd summary`), set against the period of the same length just before
 * it: what a daily summary covered the day before, without any state kept
 * between summaries (the database is only read, and a summary run by hand
 * for another period compares the same way). It holds the failures per kind
 * and per server in both periods, what changed (peers failing now that did
 * not before, peers that failed before and no longer do, kinds that are new
 * or gone), the flags raised and cleared in the period, the causes (kind,
 * direction, MTA) with their counts in both periods, the worst peers with
 * the main cause of each, and the failures per hour (or per longer bucket
 * for long periods). Regressions (partners that succeeded and now fail)
 * come with their history, and the peers failing that never succeeded are
 * counted apart as noise unless a threshold flagged them.
 *
 * Every string of a summary is a copy of a database value as it is: text from
 * the logs, which the renderer (summary_render.h) escapes. Collecting is read
 * only and reads one consistent snapshot of the database (reportdb.h).
 */
#ifndef TLSLOGD_SUMMARY_H
#define TLSLOGD_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

struct reportdb;

/* A kind or a server: failures in the period and in the period before. */
struct summary_count {
	char *name;		/* NULL: a server the log does not name */
	int64_t cur, prev;
};

struct summary_peer {
	char *ip;		/* the peer's address, or NULL ... */
	char *host;		/* ... then its name; both NULL: the log named no peer */
	int64_t count;		/* failures in the period */
	int64_t prev;		/* failures in the period before (0: a new peer) */
	int64_t first, last;	/* in the period; for a recovered peer, last: its last failure */
	char *server;		/* the server it failed on, NULL if several or not named */
	int64_t nservers;
	/* The main cause: the (kind, direction, mta) of most of its failures. */
	char *kind, *direction, *mta;
	int64_t kind_count;
	size_t ncauses;		/* how many different (kind, direction, mta) */
	int64_t users;		/* distinct user names with the main cause */
	/* The most frequent values with the main cause (NULL: not logged). */
	char *reverse, *helo, *reason, *user;
	char *flag;		/* the threshold of a flag active now on its address, or NULL */
};

/* One cause: a kind seen in one direction by one MTA. */
struct summary_cause {
	char *kind, *direction, *mta;
	int64_t cur, prev;	/* failures in the period and before */
	int64_t peers;		/* distinct peers in the period */
	char *reason;		/* the most frequent reason in the period, or NULL */
	char *ip, *host, *domain;	/* for the advice: NULL unless all its events agree */
};

struct summary_flag {
	char *peer, *peer_kind, *threshold, *why, *main_kind, *host;
	int64_t count, first_event, last_event, flagged;
	int64_t cleared;	/* 0: active */
};

/* A regression flagged in the period: a partner that used to succeed (issue 17). */
struct summary_regression {
	char *peer;
	char *headline;		/* "mx.partner.example [192.0.2.7]: delivered over ..." (peerhist.h:
				   printable ASCII, the renderer escapes it for HTML) */
	int64_t count;		/* failures counted by its flag */
};

/* A peer failing in the period that never succeeded, flagged by no threshold: noise. */
struct summary_noise {
	char *ip, *host;	/* its address, a reverse name or NULL */
	char *kind;		/* the kind when all its failures share one, or NULL */
	int64_t count;		/* failures in the period */
};

struct summary {
	int64_t since, until;	/* the period: since <= time < until */
	int64_t total, prev_total;
	struct summary_count *kinds;	/* kinds seen in either period, most now first */
	size_t nkinds;
	struct summary_count *servers;	/* servers with failures in either period, most first */
	size_t nservers;
	int64_t npeers_cur;		/* distinct peers failing in the period */
	struct summary_peer *peers;	/* the worst of them, most failures first */
	size_t npeers;
	struct summary_peer *fresh;	/* failing now, not before: the most failures first ... */
	size_t nfresh;
	int64_t nfresh_all;		/* ... and how many in all */
	struct summary_peer *recovered;	/* failing before, not now: the most failures first ... */
	size_t nrecovered;
	int64_t nrecovered_all;		/* ... and how many in all */
	struct summary_cause *causes;	/* causes seen in the period, most first */
	size_t ncauses;
	struct summary_flag *raised;	/* flagged in the period, the most events first */
	size_t nraised;
	struct summary_flag *cleared;	/* cleared in the period (quiet long enough), ditto */
	size_t ncleared;
	struct summary_regression *regressions;	/* regressions flagged in the period, ditto */
	size_t nregressions;
	struct summary_noise *noise;	/* the most failures first ... */
	size_t nnoise;
	int64_t nnoise_all;		/* ... and how many in all (0 before schema 12) */
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
	size_t top;		/* the worst peers collected */
	size_t changes;		/* the new and the recovered peers collected (of each), and noise */
	int regression_days;	/* the days of a regression's history (0: the default) */
	const char *server;	/* only the failures this server logged (any case); NULL: all */
};

/* NULL (logged) when the database cannot be read. */
struct summary *summary_collect(struct reportdb *db, const struct summary_opts *opts);
void summary_free(struct summary *s);
/* No failure in the period and no flag raised or cleared: nothing to report. */
int summary_is_empty(const struct summary *s);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * flag.h: flag the peers that fail again and again.
 *
 * A threshold of tlslogd.conf ("flag guessing auth_failed 5 10m") flags a
 * peer when COUNT of its events of KINDS fall within WINDOW of event time:
 * their first and last are at most WINDOW apart. A peer is an IP address,
 * and also the registered domain of its reverse name where the log names one
 * (domain.h: ".example.net" for its many hosts), which counts only the kinds
 * of flag_domain_kinds: what the domain as a whole controls (certificates,
 * TLS policy), never one connection's lost connection or timeout, so that a
 * large provider's scattered hiccups are no flag of the provider. A flag is a row of the flags
 * table (sql/004-flags.sql), written in the same transaction as the event
 * that raised it; while it is active, later events of its kinds raise its
 * count (written by flag_flush before each commit); it clears flag_quiet
 * after its last event.
 *
 * Events may come in any order of time (`scan mail.log mail.log.1`, a zcat
 * of rotated files newest first, two logs followed at once): the flags
 * depend on the events' times, not on the order they are read in. An event
 * of time t crosses a threshold when some span [s, s + WINDOW] holding t
 * holds COUNT events, those this process saw and those the database holds
 * (stored before it started, or forgotten since). Read late, an event is
 * counted into the flag whose period holds it: the active flag, if t is not
 * more than WINDOW before its first event (its first event moves back to t);
 * a flag cleared already (the flags table is history), if t lies between
 * WINDOW before its first event and its clearing. A crossing before the
 * active flag with a quiet period of flag_quiet between them is recorded as
 * a flag of the past, cleared flag_quiet after its last event.
 *
 * Every stored event is looked at once (flag_observe), by `tlslogd scan` and
 * by `tlslogd run` alike, so both give the same flags. The cost per event is
 * flat however large the database: each (peer, threshold) keeps the times of
 * its newest COUNT events in memory, and only the first event of a peer seen
 * by this process reads the database (its newest COUNT events, by index), and
 * only when the database may hold events of that window which this process
 * did not see (stored before it started, or forgotten since). An event older
 * than the newest of its peer reads the events around it (at most WINDOW
 * either side, by index) unless a flag holds it already.
 * Memory is bounded: peers quiet for longer than every window are forgotten
 * first.
 *
 * Regressions: a peer that succeeded (a row of peer_days, peerdays.h) in the
 * regression_days before a failure of regression_kinds, and now fails, is
 * flagged at its first such failure, whatever the thresholds: a flag named
 * "regression" (FLAG_REGRESSION) whose why says what used to work. It is
 * judged at flag_flush, when the successes of the transaction are written,
 * by the times of the lines (a success logged before the failure), so that
 * where the commits fall changes nothing; successes counted after failures
 * that came after them (files read newest first) start the regression at
 * the first of those failures, as the time order would have. Later failures
 * count into it; it clears flag_quiet after the last, as every flag does. A
 * peer that never succeeded in the period is no regression (a scanner, a
 * bot).
 *
 * Changes are announced (flag_take_notices) only after the transaction that
 * wrote them was committed; after a rollback, flag_reset forgets what was
 * not committed.
 *
 * On PostgreSQL a fleet of daemons writes one database, and the flags are
 * the fleet's (flagdb.h): a window that this process's events do not fill
 * is read from the database, where the other daemons' committed events
 * count too; the daemon whose event crosses raises the flag, the others adopt
 * it (read when their own events of the peer come) and count into it; a flag
 * clears flag_quiet after the fleet's last event. Two daemons' events
 * committed at the same moment each see only the other's committed ones: a
 * crossing made of exactly those may wait for the peer's next event. A flag's
 * count is the fleet's roughly: it misses the other daemons' events that were
 * in flight (stored, not yet committed) when it was raised, and the start of
 * a flag read late (events older than its first) by two daemons at once may
 * be counted by both. Only a flag's insert is guarded (flagdb_pg.c), so that
 * no daemon waits for another's open transaction there.
 *
 * What that costs on a fleet's database: flag_observe keeps the events of a
 * transaction waiting in memory, and they are looked at, in their order, at
 * flag_flush (or flag_expire, or when 1024 wait): first one query reads, for
 * every peer and threshold of theirs without an active flag here, the
 * peer's events around them that were stored before the first waiting one
 * (this transaction's earlier ones, and every committed one), with another
 * daemon's active flag of it; each waiting event then joins its peer's view
 * before it is judged, as it would be among the rows of a query made for it
 * ("stored up to ev", flagdb.h). The next events to wait (the next 1024, or
 * the next transaction's) read their views again; a window forgotten in
 * between to save memory costs its event a query of its own. The failures that may make a regression read
 * their peers' successes in one query too, and flag_flush writes the counts
 * of the active flags in one statement. A transaction's lookups are thus a
 * few queries, not one or two per event; a crossing (its past flag, its
 * chain of later events), a new flag and a clearing still cost statements of
 * their own.
 * This weakens nothing: in READ COMMITTED each statement sees what was
 * committed before it began, so per-event queries saw another daemon's events
 * only when its commit won a race against our statement, and never those of
 * a transaction still open. The one query is made at the flush, after every
 * event it serves was stored, so it sees at least what the per-event queries
 * made earlier in the transaction would have seen; what was committed after
 * it is what two transactions open at once miss of each other anyway (above),
 * and the next transaction's query reads it. The flag itself is written at
 * the flush, so its advisory lock (flagdb_pg.c) is held only until the commit.
 */
#ifndef TLSLOGD_FLAG_H
#define TLSLOGD_FLAG_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "event.h"
#include "store.h"

struct flagger;

/* The name of a regression's flag (the threshold column; no flag line may take it). */
#define FLAG_REGRESSION CONF_REGRESSION

struct flag_notice {
	int raised;		/* 1: flagged, 0: cleared */
	const char *peer;	/* an IP address or ".domain" */
	const char *peer_kind;	/* "ip" or "domain" */
	const char *threshold;	/* the flag line's NAME */
	const char *why;	/* "5 events of auth_failed in 10m" */
	const char *main_kind;
	const char *host;	/* a reverse name of the peer, or NULL */
	int64_t count;
	int64_t first_event, last_event;
	int64_t cleared;	/* cleared: when */
	int action_due;		/* its action is recorded as due (flag_record_actions) */
	int catch_up;		/* raised before from old events, the flag now reaches the present */
};

typedef void (*flag_notice_fn)(void *ctx, const struct flag_notice *n);

/* NULL (logged) if the active flags cannot be read. conf must outlive the flagger. */
struct flagger *flag_new(struct store *st, const struct conf *conf);
void flag_free(struct flagger *f);

/*
 * A new event was stored (inside the transaction), events in the order of
 * their ids. -1 when the database failed. On a fleet's database it may wait
 * to be looked at until flag_flush (above), which then reports the failure.
 */
int flag_observe(struct flagger *f, const struct event *ev);
/*
 * Successes of peer (an address; len bytes) were counted in the transaction,
 * the first at first_time: judged at the flush when this process may have
 * seen, or the database may hold, a failure of it after them (a file read
 * after a newer one), so that a regression starts at its first failure
 * after a success whatever order the files were read in.
 */
void flag_success(struct flagger *f, const char *peer, size_t len, int64_t first_time);
/*
 * Write what the events since the last flush added to active flags (their
 * count and last event): inside the transaction, just before its commit;
 * flag_observe keeps it in memory, so that a flagged peer's events cost no
 * UPDATE each. -1 when the database failed.
 */
int flag_flush(struct flagger *f);
/* Clear the flags quiet since before now - flag_quiet (inside a transaction). -1 on failure. */
int flag_expire(struct flagger *f, int64_t now);
/* After a commit: hand on the changes it made, in order, and forget them. */
void flag_take_notices(struct flagger *f, flag_notice_fn fn, void *ctx);
/*
 * From now on, record the flag (on_flag) and clear (on_clear) actions as due
 * in the database, in the flag change's transaction (sql/008-flag-actions.sql):
 * a raise action for a flag whose window reaches into the present (the newest
 * event of the window that crossed the threshold, or a later event counted
 * into the flag, is no older than the threshold's WINDOW by the wall clock),
 * a clear action for a flag whose raise action was recorded; on_regression:
 * the raise action of a regression (action_regression, or else action_flag,
 * runs it). Off by default (`tlslogd scan` runs no action).
 */
void flag_record_actions(struct flagger *f, int on_flag, int on_regression, int on_clear);
/* The flags active now, as this flagger sees them (for the metrics). NULL: 0. */
size_t flag_active_count(const struct flagger *f);
/* After a rollback: forget what was not committed, read the active flags again. -1 on failure. */
int flag_reset(struct flagger *f);

#endif

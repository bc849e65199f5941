/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * batch.h: the one writer of a database: its write transaction, the events
 * waiting for their INSERT, the flagger and the positions recorded with them.
 *
 * Everything `tlslogd scan` and `tlslogd run` store goes through one batch,
 * and only the batch begins, commits or rolls back. Its promise is the
 * crash-safety rule of the whole program, written here once: the events made
 * from an input's bytes and the input's position after those bytes (never
 * past a line an unfinished failure holds: the caller's safe offset) are
 * committed in one transaction, with the flags those events changed and the
 * successes those bytes hold (counted per peer and day); all of it or, when
 * anything fails, none of it.
 *
 *   - The transaction begins with the first thing written (batch_begin is
 *     called by whatever writes first: an event, a file record, a position).
 *   - batch_add queues an event; STORE_GROUP of them go in one INSERT, and
 *     each new one (not already stored: events are unique per file and
 *     offset) is shown to the flagger, in order.
 *   - batch_success hands over a success line; it is counted when its
 *     file's position is recorded (peerdays.h says how each line is counted
 *     once).
 *   - batch_position records an input's position: after the queued events.
 *   - batch_commit inserts what is queued, writes the counted successes and
 *     the flags' changes, commits,
 *     and counts what was stored into each input's tally. On failure it rolls
 *     back: the queue is dropped, the open counts forgotten, and the batch is
 *     failed (batch_failed) until batch_rollback starts it again.
 *
 * A tally is one input's count of what it stored; an input keeps its own and
 * hands it to batch_add with each event, and says batch_tally_drop before it
 * goes away with a transaction still open.
 */
#ifndef TLSLOGD_BATCH_H
#define TLSLOGD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "store.h"
#include "success.h"

struct flagger;

struct batch_tally {
	uint64_t events;	/* stored and committed */
	uint64_t duplicates;	/* found already stored */
	uint64_t kind_events[KIND_COUNT];
	/* of the open transaction, counted above once it is committed */
	uint64_t open_events, open_duplicates, open_kind[KIND_COUNT];
	struct batch_tally *next_open;
	int is_open;
};

/* Events stored and committed since the batch was made, per kind, direction and MTA. */
struct batch_count {
	const char *mta;	/* the event's: owned by the rules the events were made with */
	enum event_kind kind;
	enum event_direction direction;
	uint64_t stored;	/* committed */
	uint64_t open;		/* in the open transaction */
};

struct batch;

/* flags may be NULL (no flagging). The store and the flagger outlive the batch. */
struct batch *batch_new(struct store *st, struct flagger *flags);
/* Roll back what is open and free it. NULL is fine. */
void batch_free(struct batch *b);
struct store *batch_store(const struct batch *b);

/* Begin the transaction unless one is open. -1 (logged) when it cannot, or the batch failed. */
int batch_begin(struct batch *b);
int batch_in_txn(const struct batch *b);
/* The database failed since the last batch_rollback: write nothing more. */
int batch_failed(const struct batch *b);
/* Something the caller wrote in the transaction failed (logged): the batch is failed. */
void batch_fail(struct batch *b);

/* Store ev (the batch owns it from now on); its result is counted in tally. */
void batch_add(struct batch *b, struct event *ev, struct batch_tally *tally);
/*
 * A success of the line at offset of file_id (0: a stream), counted into
 * peer_days (peerdays.h) when the file's position is recorded: at most once
 * per line, however often it is read.
 */
void batch_success(struct batch *b, int64_t file_id, int64_t offset, const struct success *s);
/* Events added since the last commit, and rows of successes counted, weighed as events. */
size_t batch_pending(const struct batch *b);
/*
 * Successes waiting for their file's position: a reader records it (inside
 * the transaction, no commit) when there are many, so that they are folded
 * into their rows (peerdays.h) and their memory given back.
 */
size_t batch_successes_waiting(const struct batch *b);
/*
 * In the transaction, after every event added so far: file_id was read up
 * to offset (store_file_set_offset; -1: not recorded, a stream with the
 * file's text), and the successes of its lines before counted (the end of
 * the lines read: a held failure keeps offset behind, never counted) are
 * counted. size: the file's size, -1 unknown.
 */
int batch_position(struct batch *b, int64_t file_id, int64_t offset, int64_t counted,
    int64_t size);
/* Commit (see above). 0, or -1 when it failed and was rolled back. Nothing open: 0. */
int batch_commit(struct batch *b);
/* Roll back what is open (a failed batch stays failed). */
void batch_rollback(struct batch *b);
/* Roll back, and start again: the batch is no longer failed (the daemon's recovery). */
void batch_reset(struct batch *b);
/* An input goes away: its open counts are forgotten (its events stay in the transaction). */
void batch_tally_drop(struct batch *b, struct batch_tally *tally);
/* The committed counts (for the metrics): *n entries, valid until the next batch call. */
const struct batch_count *batch_counts(const struct batch *b, size_t *n);
/* Clear the flags quiet since before now, in a transaction of its own. 0 / -1. */
int batch_expire_flags(struct batch *b, int64_t now);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * batch.c: the one writer of a database (see batch.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "flag.h"
#include "peerdays.h"
#include "util.h"

struct batch {
	struct store *store;
	struct flagger *flags;
	struct peerdays *successes;	/* counted into peer_days at each commit */
	struct event *queue[STORE_GROUP];	/* made, not yet inserted */
	struct batch_tally *queue_tally[STORE_GROUP];
	size_t nqueue;
	size_t pending;		/* events added since the last commit */
	struct batch_tally *open;	/* tallies with counts of the open transaction */
	struct batch_count *counts;	/* per kind, direction and MTA (batch_counts) */
	size_t ncounts;
	int failed;
};

struct batch *
batch_new(struct store *st, struct flagger *flags)
{
	struct batch *b = xcalloc(1, sizeof(*b));

	b->store = st;
	b->flags = flags;
	b->successes = peerdays_new(st);
	return b;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	batch_reset(b);
	peerdays_free(b->successes);
	free(b->counts);
	free(b);
}

struct store *
batch_store(const struct batch *b)
{
	return b->store;
}

int
batch_begin(struct batch *b)
{
	if (b->failed)
		return -1;
	if (store_in_txn(b->store))
		return 0;
	if (store_begin(b->store) < 0) {
		b->failed = 1;
		return -1;
	}
	return 0;
}

int
batch_in_txn(const struct batch *b)
{
	return store_in_txn(b->store);
}

int
batch_failed(const struct batch *b)
{
	return b->failed;
}

void
batch_fail(struct batch *b)
{
	b->failed = 1;
}

/* A new event of the open transaction, in the per kind, direction and MTA counts. */
static void
count_open(struct batch *b, const struct event *ev)
{
	const char *mta = ev->mta != NULL ? ev->mta : "unknown";
	struct batch_count *c;

	for (size_t i = 0; i < b->ncounts; i++) {
		c = &b->counts[i];
		if (c->kind == ev->kind && c->direction == ev->direction && strcmp(c->mta, mta) == 0) {
			c->open++;
			return;
		}
	}
	b->counts = xreallocarray(b->counts, b->ncounts + 1, sizeof(*b->counts));
	c = &b->counts[b->ncounts++];
	c->mta = mta;
	c->kind = ev->kind;
	c->direction = ev->direction;
	c->stored = 0;
	c->open = 1;
}

/* The open counts: added to the committed ones, or forgotten. */
static void
close_counts(struct batch *b, int committed)
{
	for (size_t i = 0; i < b->ncounts; i++) {
		if (committed)
			b->counts[i].stored += b->counts[i].open;
		b->counts[i].open = 0;
	}
}

const struct batch_count *
batch_counts(const struct batch *b, size_t *n)
{
	*n = b->ncounts;
	return b->counts;
}

/* tally has counts of the open transaction: remember to count them at the commit. */
static void
open_tally(struct batch *b, struct batch_tally *t)
{
	if (t->is_open)
		return;
	t->is_open = 1;
	t->next_open = b->open;
	b->open = t;
}

/* The open counts of every tally: added to the committed ones, or forgotten. */
static void
close_tallies(struct batch *b, int committed)
{
	struct batch_tally *t = b->open, *next;

	for (; t != NULL; t = next) {
		next = t->next_open;
		if (committed) {
			t->events += t->open_events;
			t->duplicates += t->open_duplicates;
			for (int k = 0; k < KIND_COUNT; k++)
				t->kind_events[k] += t->open_kind[k];
		}
		t->open_events = t->open_duplicates = 0;
		memset(t->open_kind, 0, sizeof(t->open_kind));
		t->next_open = NULL;
		t->is_open = 0;
	}
	b->open = NULL;
}

/*
 * Insert what is queued, in one INSERT of up to STORE_GROUP rows, and show
 * the new events to the flagger in their order. The events are freed.
 */
static int
flush(struct batch *b)
{
	int64_t ids[STORE_GROUP];
	size_t n = b->nqueue;

	b->nqueue = 0;
	if (n > 0 && !b->failed && (batch_begin(b) < 0 ||
	    store_add_events(b->store, b->queue, n, ids) < 0))
		b->failed = 1;
	for (size_t i = 0; i < n; i++) {
		struct event *ev = b->queue[i];
		struct batch_tally *t = b->queue_tally[i];

		if (!b->failed && t != NULL) {
			open_tally(b, t);
			if (ids[i] == 0)
				t->open_duplicates++;
			else {
				t->open_events++;
				t->open_kind[ev->kind]++;
			}
		}
		if (!b->failed && ids[i] != 0) {
			ev->id = ids[i];
			count_open(b, ev);
			if (b->flags != NULL && flag_observe(b->flags, ev) < 0)
				b->failed = 1;
		}
		event_free(ev);
	}
	return b->failed ? -1 : 0;
}

void
batch_add(struct batch *b, struct event *ev, struct batch_tally *tally)
{
	if (b->failed) {
		event_free(ev);
		return;
	}
	b->queue[b->nqueue] = ev;
	b->queue_tally[b->nqueue] = tally;
	b->nqueue++;
	b->pending++;
	if (b->nqueue == STORE_GROUP)
		flush(b);
}

void
batch_success(struct batch *b, int64_t file_id, int64_t offset, const struct success *s)
{
	if (b->failed || batch_begin(b) < 0)
		return;
	peerdays_add(b->successes, file_id, offset, s);
}

/*
 * A peer's row of successes waits in memory at a fraction of an event's cost:
 * the commit comes after eight times as many (a pending success is folded
 * into its row when its file's position is recorded: batch_successes_waiting).
 */
#define ROWS_PER_EVENT 8

size_t
batch_pending(const struct batch *b)
{
	return b->pending + peerdays_rows(b->successes) / ROWS_PER_EVENT;
}

size_t
batch_successes_waiting(const struct batch *b)
{
	return peerdays_pending(b->successes);
}

int
batch_position(struct batch *b, int64_t file_id, int64_t offset, int64_t counted, int64_t size)
{
	int64_t in_db;

	if (batch_begin(b) < 0 || flush(b) < 0)
		return -1;
	/* Inside the transaction: what another writer counted since is not counted again. */
	if (store_file_counted(b->store, file_id, &in_db) < 0) {
		b->failed = 1;
		return -1;
	}
	peerdays_count_file(b->successes, file_id, in_db);
	if (store_file_set_offset(b->store, file_id, offset, counted, size) < 0) {
		b->failed = 1;
		return -1;
	}
	return 0;
}

/* A row of successes counted: the flagger looks for failures after them (flag_success). */
static void
show_success(void *ctx, const char *peer, size_t len, int64_t first_time)
{
	flag_success(ctx, peer, len, first_time);
}

int
batch_commit(struct batch *b)
{
	if (!store_in_txn(b->store) && b->nqueue == 0)
		return b->failed ? -1 : 0;
	int written = flush(b) == 0 && peerdays_write(b->successes) == 0;
	if (written && b->flags != NULL)
		peerdays_each_row(b->successes, show_success, b->flags);
	if (!written || flag_flush(b->flags) < 0 || store_commit(b->store) < 0) {
		batch_rollback(b);
		b->failed = 1;
		return -1;
	}
	peerdays_committed(b->successes);
	close_tallies(b, 1);
	close_counts(b, 1);
	b->pending = 0;
	return 0;
}

void
batch_rollback(struct batch *b)
{
	if (store_in_txn(b->store))
		store_rollback(b->store);
	for (size_t i = 0; i < b->nqueue; i++)
		event_free(b->queue[i]);
	b->nqueue = 0;
	b->pending = 0;
	peerdays_forget(b->successes);
	close_tallies(b, 0);
	close_counts(b, 0);
}

void
batch_reset(struct batch *b)
{
	batch_rollback(b);
	b->failed = 0;
}

void
batch_tally_drop(struct batch *b, struct batch_tally *tally)
{
	struct batch_tally **p;

	/* Events still queued with it are stored, counted nowhere. */
	for (size_t i = 0; i < b->nqueue; i++)
		if (b->queue_tally[i] == tally)
			b->queue_tally[i] = NULL;
	if (!tally->is_open)
		return;
	for (p = &b->open; *p != NULL; p = &(*p)->next_open)
		if (*p == tally) {
			*p = tally->next_open;
			break;
		}
	tally->is_open = 0;
	tally->next_open = NULL;
}

int
batch_expire_flags(struct batch *b, int64_t now)
{
	if (b->flags == NULL)
		return 0;
	if (batch_begin(b) < 0 || flag_expire(b->flags, now) < 0) {
		batch_rollback(b);
		b->failed = 1;
		return -1;
	}
	return batch_commit(b);
}

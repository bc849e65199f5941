/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * matchpool.c: a file region read and matched on worker threads, results in
 * order (see matchpool.h).
 *
 * The region is cut into blocks of MATCHPOOL_BLOCK; block i goes to slot
 * i % nslots of a small ring, so memory stays bounded whatever the file's
 * size: a worker takes the next block only when its slot is free again,
 * that is when the caller has released the block that used it before. One
 * mutex guards the counters and the slots' states; workers wait for a free
 * slot, the caller for the next block to be done.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "framer.h"
#include "log.h"
#include "matchpool.h"
#include "util.h"

#define SEEK_CHUNK 4096
#define LINE_MARGIN 4096	/* read past a block's end: most last lines end there */

enum slot_state {
	SLOT_FREE,
	SLOT_WORKING,		/* a worker's */
	SLOT_DONE,		/* read and matched, waiting for the caller */
	SLOT_TAKEN		/* the caller's, from matchpool_next */
};

/*
 * Slots and workers are written on every line by their thread: each is
 * aligned to its own cache lines, or two threads would keep taking a line
 * shared by neighbours from each other (false sharing).
 */
#define CACHE_LINE 64

struct slot {
	struct match_block block;	/* first: matchpool_release finds its slot */
	enum slot_state state;
	struct framer fr;	/* the block's buffer */
} __attribute__((aligned(CACHE_LINE)));

struct worker {
	struct matchpool *pool;
	pthread_t thread;
	int started;
	struct rules *rules;	/* rules_fork: this thread's match state */
	struct linematch lm;
	struct match_block *block;	/* being read */
	int deferred;		/* the line being matched is a session end, left to the caller */
	struct linematch_process proc;
	struct success success;	/* the line's, when lm.success points here */
} __attribute__((aligned(CACHE_LINE)));

struct matchpool {
	pthread_mutex_t lock;
	pthread_cond_t slot_free;	/* a block was released, or stop */
	pthread_cond_t block_done;
	int stop;
	int fd;
	int64_t start, end;
	size_t nblocks;		/* of the region */
	size_t next_claim;	/* the next block a worker takes */
	size_t next_take;	/* the next block the caller takes */
	struct slot *slots;
	size_t nslots;
	struct worker *workers;
	int nworkers;
};

/* linematch_ends_fn of a worker: remember the process, skip the line. */
static int
defer_end(void *ctx, const struct linematch_process *p)
{
	struct worker *w = ctx;

	w->deferred = 1;
	w->proc = *p;
	return 0;
}

static struct match_result *
add_result(struct match_block *b, int64_t offset)
{
	if (b->nresults == b->results_cap) {
		b->results_cap = b->results_cap ? 2 * b->results_cap : 64;
		b->results = xreallocarray(b->results, b->results_cap, sizeof(*b->results));
	}
	struct match_result *r = &b->results[b->nresults++];
	memset(r, 0, sizeof(*r));
	r->offset = offset;
	return r;
}

/* A session end left to the caller: the line stays in the block's buffer until it is released. */
static struct match_result *
add_deferred(struct match_block *b, const char *line, size_t len, int64_t offset,
    const struct linematch_process *p)
{
	struct match_result *r = add_result(b, offset);

	r->text = line;
	r->len = len;
	r->proc = *p;
	return r;
}

/* A copy of a success record (it points into the block's buffer): 1 + its index. */
static size_t
add_success(struct match_block *b, const struct success *s)
{
	if (b->nsuccesses == b->successes_cap) {
		b->successes_cap = b->successes_cap ? 2 * b->successes_cap : 64;
		b->successes = xreallocarray(b->successes, b->successes_cap, sizeof(*b->successes));
	}
	b->successes[b->nsuccesses++] = *s;
	return b->nsuccesses;
}

/* framer_line_fn of a worker: match a line the block owns. */
static void
on_line(void *ctx, const char *line, size_t len, int64_t offset, int cut)
{
	struct worker *w = ctx;
	struct match_block *b = w->block;
	struct event *ev = NULL;
	const struct rule *rule = NULL;

	if (offset >= b->end)
		return;		/* the next block's */
	b->lines++;
	if (cut)
		b->cut_lines++;
	/* After a cut line: its middle, as framer_offset would say (the rest is no line). */
	b->resume = offset + (int64_t)len + (cut ? 0 : 1);
	w->deferred = 0;
	struct match_result *r = NULL;
	switch (linematch_line(&w->lm, line, len, &ev, &rule)) {
	case LM_NO_HEADER:
		b->no_header++;
		break;
	case LM_UNKNOWN:
		b->unknown++;
		break;
	case LM_EVENT:
		r = add_result(b, offset);
		r->ev = ev;
		r->rule = rule;
		break;
	case LM_NO_MATCH:
		if (w->deferred)
			r = add_deferred(b, line, len, offset, &w->proc);
		break;
	case LM_IGNORED:
		break;
	}
	if (w->lm.success != NULL && w->success.rule != NULL) {
		if (r == NULL)
			r = add_result(b, offset);
		r->success = add_success(b, &w->success);
	}
}

/*
 * Where the first line starting at or after pos begins: after the first
 * newline at or after pos - 1, or limit when there is none before it. -1 on
 * a read error (errno), -2 when the file ends before limit (it shrank).
 */
static int64_t
first_line_start(int fd, int64_t pos, int64_t limit)
{
	char buf[SEEK_CHUNK];
	int64_t at = pos - 1;

	while (at < limit) {
		size_t want = limit - at < (int64_t)sizeof(buf) ? (size_t)(limit - at) : sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)at);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return -2;
		char *nl = memchr(buf, '\n', (size_t)n);
		if (nl != NULL)
			return at + (nl - buf) + 1;
		at += n;
	}
	return limit;
}

static void
read_block(struct worker *w, struct slot *s, size_t index)
{
	struct matchpool *pool = w->pool;
	struct match_block *b = &s->block;

	b->start = pool->start + (int64_t)index * MATCHPOOL_BLOCK;
	b->end = pool->end - b->start > MATCHPOOL_BLOCK ? b->start + MATCHPOOL_BLOCK : pool->end;
	b->nresults = 0;
	b->nsuccesses = 0;
	b->lines = b->cut_lines = b->no_header = b->unknown = 0;
	b->read_errno = 0;
	b->shrunk = 0;

	/* Block 0 too: a scan may resume in the rest of a line cut the last time. */
	int64_t first = b->start == 0 ? 0 : first_line_start(pool->fd, b->start, b->end);
	if (first < 0) {
		/* Nothing of it read: where to resume is where the block before ended. */
		if (first == -1)
			b->read_errno = errno;
		else
			b->shrunk = 1;
		b->resume = -1;
		return;
	}
	b->resume = first;
	if (first >= b->end)
		return;		/* no line starts here: all of it is the end of an earlier one */
	/*
	 * The block and a little more, then, if its last line goes on, the rest
	 * of that line (at most one maximal line: the buffer has room for it), so
	 * that every line starting in the block is framed, whole or cut, and
	 * stays in the buffer until the block is released. A short read is the
	 * end of a file that shrank under us.
	 */
	framer_reset(&s->fr, first);
	w->block = b;
	int64_t pos = first;
	int64_t want = b->end - first + LINE_MARGIN;
	for (int pass = 0; pass < 2 && pos < pool->end; pass++) {
		size_t room;
		char *space = framer_space_keep(&s->fr, &room);
		if ((int64_t)room > want)
			room = (size_t)want;
		if ((int64_t)room > pool->end - pos)
			room = (size_t)(pool->end - pos);
		ssize_t n;
		do
			n = pread(pool->fd, space, room, (off_t)pos);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			b->read_errno = errno;
			break;
		}
		pos += n;
		framer_commit(&s->fr, (size_t)n, on_line, w);
		if ((size_t)n < room) {
			b->shrunk = 1;	/* the region was complete lines when the scan began */
			break;
		}
		if (s->fr.skipping ? pos >= b->end : framer_offset(&s->fr) >= b->end)
			break;
		want = INT64_MAX;	/* the rest of the last line */
	}
	w->block = NULL;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct matchpool *pool = w->pool;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		struct slot *s = NULL;
		while (!pool->stop && pool->next_claim < pool->nblocks &&
		    (s = &pool->slots[pool->next_claim % pool->nslots])->state != SLOT_FREE)
			pthread_cond_wait(&pool->slot_free, &pool->lock);
		if (pool->stop || pool->next_claim >= pool->nblocks)
			break;
		size_t index = pool->next_claim++;
		s->state = SLOT_WORKING;
		pthread_mutex_unlock(&pool->lock);
		read_block(w, s, index);
		pthread_mutex_lock(&pool->lock);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&pool->block_done);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

struct matchpool *
matchpool_new(const struct linematch *proto, int nthreads, size_t max_line, int fd,
    int64_t start, int64_t end)
{
	struct matchpool *pool = xcalloc(1, sizeof(*pool));

	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->slot_free, NULL);
	pthread_cond_init(&pool->block_done, NULL);
	pool->fd = fd;
	pool->start = start;
	pool->end = end;
	pool->nblocks = end > start ?
	    (size_t)((end - start + MATCHPOOL_BLOCK - 1) / MATCHPOOL_BLOCK) : 0;
	pool->nslots = 2 * (size_t)nthreads + 1;
	pool->slots = xcalloc_aligned(pool->nslots, sizeof(*pool->slots), CACHE_LINE);
	for (size_t i = 0; i < pool->nslots; i++)
		framer_init_sized(&pool->slots[i].fr, max_line, MATCHPOOL_BLOCK, start);
	pool->workers = xcalloc_aligned((size_t)nthreads, sizeof(*pool->workers), CACHE_LINE);
	for (int i = 0; i < nthreads; i++) {
		struct worker *w = &pool->workers[i];
		w->pool = pool;
		w->rules = rules_fork(proto->rules);
		if (w->rules == NULL) {
			matchpool_free(pool);
			return NULL;
		}
		w->lm = *proto;
		w->lm.rules = w->rules;
		w->lm.ends = defer_end;
		w->lm.ends_ctx = w;
		w->lm.success = proto->success != NULL ? &w->success : NULL;
		pool->nworkers = i + 1;
		int err = pthread_create(&w->thread, NULL, worker_main, w);
		if (err != 0) {
			errno = err;
			log_warn("cannot start a matching thread");
			matchpool_free(pool);
			return NULL;
		}
		w->started = 1;
	}
	return pool;
}

struct match_block *
matchpool_next(struct matchpool *pool)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&pool->lock);
	if (pool->next_take < pool->nblocks) {
		s = &pool->slots[pool->next_take % pool->nslots];
		while (s->state != SLOT_DONE)
			pthread_cond_wait(&pool->block_done, &pool->lock);
		s->state = SLOT_TAKEN;
		pool->next_take++;
	}
	pthread_mutex_unlock(&pool->lock);
	return s != NULL ? &s->block : NULL;
}

static void
free_results(struct match_block *b)
{
	for (size_t i = 0; i < b->nresults; i++) {
		event_free(b->results[i].ev);
		b->results[i].ev = NULL;
	}
	b->nresults = 0;
	b->nsuccesses = 0;
}

void
matchpool_release(struct matchpool *pool, struct match_block *b)
{
	struct slot *s = (struct slot *)b;

	free_results(b);
	pthread_mutex_lock(&pool->lock);
	s->state = SLOT_FREE;
	pthread_cond_broadcast(&pool->slot_free);
	pthread_mutex_unlock(&pool->lock);
}

void
matchpool_free(struct matchpool *pool)
{
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stop = 1;
	pthread_cond_broadcast(&pool->slot_free);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->nworkers; i++) {
		struct worker *w = &pool->workers[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		rules_fork_free(w->rules);
	}
	for (size_t i = 0; i < pool->nslots; i++) {
		struct match_block *b = &pool->slots[i].block;
		free_results(b);
		free(b->results);
		free(b->successes);
		framer_free(&pool->slots[i].fr);
	}
	free(pool->slots);
	free(pool->workers);
	pthread_cond_destroy(&pool->slot_free);
	pthread_cond_destroy(&pool->block_done);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

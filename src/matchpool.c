/*
 * matchpool.c: lines matched on worker threads, results in order (see
 * matchpool.h).
 *
 * A fixed ring of blocks, twice as many as workers and two more, so that
 * the reader can fill one and the caller consume one while every worker has
 * one: memory stays bounded whatever the file's size. One mutex guards the
 * blocks' states; workers wait for a queued block, the caller for the oldest
 * one to be done.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "matchpool.h"
#include "util.h"

enum block_state {
	BLOCK_FREE,
	BLOCK_FILLING,		/* the caller's, from matchpool_get */
	BLOCK_QUEUED,		/* submitted, waiting for a worker */
	BLOCK_MATCHING,		/* a worker's */
	BLOCK_DONE,		/* matched, waiting for the caller */
	BLOCK_TAKEN		/* the caller's, from matchpool_next */
};

struct worker {
	struct matchpool *pool;
	pthread_t thread;
	int started;
	struct rules *rules;	/* rules_fork: this thread's match state */
	struct linematch lm;
	int deferred;		/* the line being matched is a session end, left to the caller */
	struct linematch_process proc;
};

struct matchpool {
	pthread_mutex_t lock;
	pthread_cond_t queued;	/* a block was queued, or stop */
	pthread_cond_t done;	/* a block was matched */
	int stop;
	struct match_block *blocks;
	size_t nblocks;
	struct match_block **order;	/* ring of submitted blocks, oldest first */
	size_t head, inflight;
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

static void
add_result(struct match_block *b, size_t line, struct event *ev, const struct rule *rule,
    const struct linematch_process *proc)
{
	if (b->nresults == b->results_cap) {
		b->results_cap = b->results_cap ? 2 * b->results_cap : 64;
		b->results = xreallocarray(b->results, b->results_cap, sizeof(*b->results));
	}
	struct match_result *r = &b->results[b->nresults++];
	r->line = line;
	r->ev = ev;
	r->rule = rule;
	if (proc != NULL)
		r->proc = *proc;
}

static void
match_block(struct worker *w, struct match_block *b)
{
	for (size_t i = 0; i < b->nlines; i++) {
		const struct match_line *l = &b->lines[i];
		struct event *ev = NULL;
		const struct rule *rule = NULL;

		w->deferred = 0;
		switch (linematch_line(&w->lm, l->text, l->len, &ev, &rule)) {
		case LM_NO_HEADER:
			b->no_header++;
			break;
		case LM_UNKNOWN:
			b->unknown++;
			break;
		case LM_EVENT:
			add_result(b, i, ev, rule, NULL);
			break;
		case LM_NO_MATCH:
			if (w->deferred)
				add_result(b, i, NULL, NULL, &w->proc);
			break;
		case LM_IGNORED:
			break;
		}
	}
}

/* The first queued block in submission order, or NULL. Under the lock. */
static struct match_block *
first_queued(struct matchpool *pool)
{
	for (size_t k = 0; k < pool->inflight; k++) {
		struct match_block *b = pool->order[(pool->head + k) % pool->nblocks];
		if (b->state == BLOCK_QUEUED)
			return b;
	}
	return NULL;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct matchpool *pool = w->pool;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		struct match_block *b;
		while ((b = first_queued(pool)) == NULL && !pool->stop)
			pthread_cond_wait(&pool->queued, &pool->lock);
		if (b == NULL)
			break;
		b->state = BLOCK_MATCHING;
		pthread_mutex_unlock(&pool->lock);
		match_block(w, b);
		pthread_mutex_lock(&pool->lock);
		b->state = BLOCK_DONE;
		pthread_cond_broadcast(&pool->done);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

struct matchpool *
matchpool_new(const struct linematch *proto, int nthreads, size_t buf_size)
{
	struct matchpool *pool = xcalloc(1, sizeof(*pool));

	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->queued, NULL);
	pthread_cond_init(&pool->done, NULL);
	pool->nblocks = 2 * (size_t)nthreads + 2;
	pool->blocks = xcalloc(pool->nblocks, sizeof(*pool->blocks));
	pool->order = xcalloc(pool->nblocks, sizeof(*pool->order));
	for (size_t i = 0; i < pool->nblocks; i++)
		pool->blocks[i].buf = xmalloc(buf_size);
	pool->workers = xcalloc((size_t)nthreads, sizeof(*pool->workers));
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
matchpool_get(struct matchpool *pool)
{
	struct match_block *found = NULL;

	pthread_mutex_lock(&pool->lock);
	for (size_t i = 0; i < pool->nblocks; i++)
		if (pool->blocks[i].state == BLOCK_FREE) {
			found = &pool->blocks[i];
			found->state = BLOCK_FILLING;
			break;
		}
	pthread_mutex_unlock(&pool->lock);
	if (found != NULL) {
		found->nlines = 0;
		found->nresults = 0;
		found->no_header = 0;
		found->unknown = 0;
		found->end_offset = 0;
	}
	return found;
}

void
matchpool_add_line(struct match_block *b, const char *text, size_t len, int64_t offset, int cut)
{
	if (b->nlines == b->lines_cap) {
		b->lines_cap = b->lines_cap ? 2 * b->lines_cap : 1024;
		b->lines = xreallocarray(b->lines, b->lines_cap, sizeof(*b->lines));
	}
	struct match_line *l = &b->lines[b->nlines++];
	l->text = text;
	l->len = len;
	l->offset = offset;
	l->cut = cut;
}

void
matchpool_submit(struct matchpool *pool, struct match_block *b)
{
	pthread_mutex_lock(&pool->lock);
	b->state = BLOCK_QUEUED;
	pool->order[(pool->head + pool->inflight) % pool->nblocks] = b;
	pool->inflight++;
	pthread_cond_signal(&pool->queued);
	pthread_mutex_unlock(&pool->lock);
}

void
matchpool_unget(struct matchpool *pool, struct match_block *b)
{
	pthread_mutex_lock(&pool->lock);
	b->state = BLOCK_FREE;
	pthread_mutex_unlock(&pool->lock);
}

struct match_block *
matchpool_next(struct matchpool *pool)
{
	struct match_block *b = NULL;

	pthread_mutex_lock(&pool->lock);
	if (pool->inflight > 0) {
		b = pool->order[pool->head];
		while (b->state != BLOCK_DONE)
			pthread_cond_wait(&pool->done, &pool->lock);
		b->state = BLOCK_TAKEN;
		pool->head = (pool->head + 1) % pool->nblocks;
		pool->inflight--;
	}
	pthread_mutex_unlock(&pool->lock);
	return b;
}

size_t
matchpool_inflight(struct matchpool *pool)
{
	pthread_mutex_lock(&pool->lock);
	size_t n = pool->inflight;
	pthread_mutex_unlock(&pool->lock);
	return n;
}

static void
free_results(struct match_block *b)
{
	for (size_t i = 0; i < b->nresults; i++) {
		event_free(b->results[i].ev);
		b->results[i].ev = NULL;
	}
	b->nresults = 0;
}

void
matchpool_release(struct matchpool *pool, struct match_block *b)
{
	free_results(b);
	pthread_mutex_lock(&pool->lock);
	b->state = BLOCK_FREE;
	pthread_mutex_unlock(&pool->lock);
}

void
matchpool_free(struct matchpool *pool)
{
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stop = 1;
	pthread_cond_broadcast(&pool->queued);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->nworkers; i++) {
		if (pool->workers[i].started)
			pthread_join(pool->workers[i].thread, NULL);
		rules_fork_free(pool->workers[i].rules);
	}
	for (size_t i = 0; i < pool->nblocks; i++) {
		free_results(&pool->blocks[i]);
		free(pool->blocks[i].results);
		free(pool->blocks[i].lines);
		free(pool->blocks[i].buf);
	}
	free(pool->blocks);
	free(pool->order);
	free(pool->workers);
	pthread_cond_destroy(&pool->queued);
	pthread_cond_destroy(&pool->done);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * checkpointer.c: the write-ahead log copied into the database on a thread
 * of its own (see checkpointer.h).
 *
 * The writer's commit hook counts a request and wakes the thread; the thread
 * runs one PASSIVE checkpoint for whatever requests came in meanwhile. When
 * the log is over the limit, the hook waits until a checkpoint that began
 * after this commit has ended.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkpointer.h"
#include "log.h"
#include "util.h"

/* SQLite's SQLITE_DEFAULT_WAL_AUTOCHECKPOINT, given back to the writer at the end. */
#define WRITER_AUTOCHECKPOINT 1000

struct checkpointer {
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* a request, or stop */
	pthread_cond_t idle;	/* a checkpoint ended */
	uint64_t requested;	/* commits that asked for a checkpoint */
	uint64_t done;		/* the requests the last checkpoint ended covered */
	int stop;
	pthread_t thread;
	sqlite3 *db;		/* the thread's own connection */
	sqlite3 *writer;
	char *path;
	int warned;		/* a failed checkpoint was logged */
};

static void
checkpoint(struct checkpointer *c)
{
	int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	/* Busy: another process checkpoints now (a daemon on the same database). */
	if (rc == SQLITE_OK || rc == SQLITE_BUSY || c->warned)
		return;
	/* Nothing is lost: what the log holds stays there, and is copied by a later checkpoint. */
	log_warnx("%s: cannot copy the write-ahead log into the database: %s", c->path,
	    sqlite3_errmsg(c->db));
	c->warned = 1;
}

static void *
run(void *arg)
{
	struct checkpointer *c = arg;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->stop && c->done == c->requested)
			pthread_cond_wait(&c->wake, &c->lock);
		if (c->stop)
			break;
		uint64_t covered = c->requested;
		pthread_mutex_unlock(&c->lock);
		checkpoint(c);
		pthread_mutex_lock(&c->lock);
		c->done = covered;
		pthread_cond_broadcast(&c->idle);
	}
	/* Nobody waits on a stopped checkpointer. */
	c->done = c->requested;
	pthread_cond_broadcast(&c->idle);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* sqlite3_wal_hook: after each commit of the writer, with the log's size in pages. */
static int
on_commit(void *ctx, sqlite3 *db, const char *name, int frames)
{
	struct checkpointer *c = ctx;

	(void)db;
	(void)name;
	pthread_mutex_lock(&c->lock);
	uint64_t mine = ++c->requested;
	pthread_cond_signal(&c->wake);
	if (frames >= CHECKPOINTER_MAX_FRAMES)
		while (c->done < mine)
			pthread_cond_wait(&c->idle, &c->lock);
	pthread_mutex_unlock(&c->lock);
	return SQLITE_OK;
}

/* What checkpointer_start made, the thread stopped or never started. */
static void
free_checkpointer(struct checkpointer *c)
{
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->idle);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c->path);
	free(c);
}

struct checkpointer *
checkpointer_start(const char *path, sqlite3 *writer)
{
	struct checkpointer *c = xcalloc(1, sizeof(*c));

	c->path = xstrdup(path);
	c->writer = writer;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	pthread_cond_init(&c->idle, NULL);
	/* A connection knows the database is in WAL mode once it has read it. */
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK ||
	    sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		log_warnx("%s: no checkpoints on a thread of their own: %s", path,
		    c->db ? sqlite3_errmsg(c->db) : "out of memory");
		free_checkpointer(c);
		return NULL;
	}
	int err = pthread_create(&c->thread, NULL, run, c);
	if (err != 0) {
		log_warnx("%s: no checkpoints on a thread of their own: cannot start a thread (%s)",
		    path, strerror(err));
		free_checkpointer(c);
		return NULL;
	}
	/* Replaces SQLite's automatic checkpoints, which are a commit hook too. */
	sqlite3_wal_hook(writer, on_commit, c);
	return c;
}

void
checkpointer_stop(struct checkpointer *c)
{
	if (c == NULL)
		return;
	sqlite3_wal_autocheckpoint(c->writer, WRITER_AUTOCHECKPOINT);
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	free_checkpointer(c);
}

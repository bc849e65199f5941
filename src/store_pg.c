/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_pg.c: the PostgreSQL engine of the database (store_backend.h), a
 * table of operations over pgstore.h, which holds the SQL. What PostgreSQL
 * does not have is done as store.h says for that case: no database file
 * that could be deleted under the writer (check_file: 0), no write-ahead
 * log of ours to copy (the checkpoints are the server's), nothing to
 * backfill (its schema began with every column that SQLite's migrations
 * had to fill in).
 */
#include "config.h"

#include "log.h"
#include "pgstore.h"
#include "store_backend.h"

void *
store_pg_open(const char *uri, const char *server)
{
	return pgstore_open(uri, server);
}

static void
pg_close(void *impl)
{
	pgstore_close(impl);
}

static const char *
pg_name(const void *impl)
{
	return pgstore_uri(impl);
}

static const char *
pg_server(const void *impl)
{
	return pgstore_server(impl);
}

static struct domain_cache *
pg_domain_cache(void *impl)
{
	return pgstore_domain_cache(impl);
}

static int
pg_backfill_step(void *impl)
{
	(void)impl;
	return 0;
}

static void
pg_checkpoint_in_background(void *impl)
{
	(void)impl;
}

static int
pg_begin(void *impl)
{
	return pgstore_begin(impl);
}

static int
pg_in_txn(const void *impl)
{
	return pgstore_in_txn(impl);
}

static int
pg_commit(void *impl)
{
	return pgstore_commit(impl);
}

static void
pg_rollback(void *impl)
{
	pgstore_rollback(impl);
}

static int
pg_add_events(void *impl, struct event *const *evs, size_t n, int64_t *ids)
{
	return pgstore_add_events(impl, evs, n, ids);
}

static int
pg_add_peer_days(void *impl, const struct store_peer_day *rows, size_t n)
{
	return pgstore_peer_days(impl, rows, n);
}

static int
pg_file_resume(void *impl, const struct store_file_key *key, int64_t size, int64_t *file_id,
    int64_t *offset)
{
	return pgstore_file_resume(impl, key, size, file_id, offset);
}

static int
pg_file_find(void *impl, const struct store_file_key *key, int64_t size, int64_t *file_id,
    int64_t *offset)
{
	return pgstore_file_find(impl, key, size, file_id, offset);
}

static int
pg_file_find_head(void *impl, const char *head, size_t head_len, int64_t *file_id)
{
	return pgstore_file_find_head(impl, head, head_len, file_id);
}

static int
pg_file_active(void *impl, dev_t dev, ino_t ino, int64_t since, int64_t *offset)
{
	return pgstore_file_active(impl, dev, ino, since, offset);
}

static int
pg_file_adopt(void *impl, int64_t file_id, const struct store_file_key *key)
{
	return pgstore_file_adopt(impl, file_id, key);
}

static int
pg_file_set_offset(void *impl, int64_t file_id, int64_t offset, int64_t counted, int64_t size)
{
	return pgstore_file_set_offset(impl, file_id, offset, counted, size);
}

static int
pg_file_counted(void *impl, int64_t file_id, int64_t *counted)
{
	return pgstore_file_counted(impl, file_id, counted);
}

static int
pg_source_get(void *impl, const char *name, int64_t *file_id, int64_t *current_id,
    char **cursor)
{
	return pgstore_source_get(impl, name, file_id, current_id, cursor);
}

static int
pg_source_set(void *impl, const char *name, int64_t file_id, int64_t current_id,
    const char *cursor, int64_t lines, int64_t cut, int64_t unknown)
{
	return pgstore_source_set(impl, name, file_id, current_id, cursor, lines, cut, unknown);
}

static int
pg_file_get(void *impl, int64_t file_id, struct store_file_record *rec)
{
	return pgstore_file_get(impl, file_id, rec);
}

static int
pg_file_set_head(void *impl, int64_t file_id, const char *head, size_t head_len, int whole)
{
	return pgstore_file_set_head(impl, file_id, head, head_len, whole);
}

static int
pg_loss_add(void *impl, int64_t file_id, const char *path, int64_t from, int64_t to,
    const char *reason)
{
	return pgstore_loss_add(impl, file_id, path, from, to, reason);
}

static int
pg_delete_events_before(void *impl, int64_t time, int limit, int *deleted)
{
	return pgstore_delete_events_before(impl, time, limit, deleted);
}

static int
pg_delete_days_before(void *impl, int64_t day, int limit, int *deleted)
{
	return pgstore_delete_days_before(impl, day, limit, deleted);
}

static int
pg_used_bytes(void *impl, int64_t *bytes)
{
	*bytes = 0;
	log_warnx("%s: a size cap (max_database_size, purge --max-size) is for SQLite; a "
	    "PostgreSQL database's space is its server's to manage: use retention in days",
	    pgstore_uri(impl));
	return -1;
}

static void
pg_reclaim(void *impl)
{
	(void)impl;	/* the server's autovacuum makes the space reusable */
}

static int
pg_claim_server(void *impl)
{
	return pgstore_claim_server(impl);
}

static int
pg_check_file(void *impl)
{
	(void)impl;
	return 0;
}

static int
pg_abandon(void *impl)
{
	pgstore_rollback(impl);
	return 0;
}

const struct store_ops store_pg_ops = {
	.engine = STORE_POSTGRESQL,
	.close = pg_close,
	.name = pg_name,
	.server = pg_server,
	.domain_cache = pg_domain_cache,
	.backfill_step = pg_backfill_step,
	.checkpoint_in_background = pg_checkpoint_in_background,
	.begin = pg_begin,
	.in_txn = pg_in_txn,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.add_events = pg_add_events,
	.add_peer_days = pg_add_peer_days,
	.file_resume = pg_file_resume,
	.file_find = pg_file_find,
	.file_find_head = pg_file_find_head,
	.file_active = pg_file_active,
	.file_adopt = pg_file_adopt,
	.file_set_offset = pg_file_set_offset,
	.file_counted = pg_file_counted,
	.source_get = pg_source_get,
	.source_set = pg_source_set,
	.file_get = pg_file_get,
	.file_set_head = pg_file_set_head,
	.loss_add = pg_loss_add,
	.delete_events_before = pg_delete_events_before,
	.delete_days_before = pg_delete_days_before,
	.used_bytes = pg_used_bytes,
	.reclaim = pg_reclaim,
	.claim_server = pg_claim_server,
	.check_file = pg_check_file,
	.abandon = pg_abandon,
};

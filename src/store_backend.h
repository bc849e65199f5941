/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_backend.h: what a database engine gives store.c (see store.h for
 * the promises every engine keeps). Private to the stores: store.c picks the
 * engine when the database is opened (a path: SQLite; a postgresql:// URI:
 * PostgreSQL) and calls it through this table; the rest of the program only
 * knows store.h.
 *
 * Each operation has the contract of the store.h function of the same name,
 * with the engine's own state (impl) in place of the store. An engine without
 * the thing an operation is about does what store.h says for that case: a
 * PostgreSQL database has no file to check, no write-ahead log to copy and
 * no backfill to work, so those succeed at once.
 */
#ifndef TLSLOGD_STORE_BACKEND_H
#define TLSLOGD_STORE_BACKEND_H

#include "store.h"

struct store_ops {
	enum store_engine engine;
	void (*close)(void *impl);
	const char *(*name)(const void *impl);
	const char *(*server)(const void *impl);
	struct domain_cache *(*domain_cache)(void *impl);
	int (*backfill_step)(void *impl);
	void (*checkpoint_in_background)(void *impl);
	int (*begin)(void *impl);
	int (*in_txn)(const void *impl);
	int (*commit)(void *impl);
	void (*rollback)(void *impl);
	int (*add_events)(void *impl, struct event *const *evs, size_t n, int64_t *ids);
	int (*add_peer_days)(void *impl, const struct store_peer_day *rows, size_t n);
	int (*file_resume)(void *impl, const struct store_file_key *key, int64_t size,
	    int64_t *file_id, int64_t *offset);
	int (*file_find)(void *impl, const struct store_file_key *key, int64_t size,
	    int64_t *file_id, int64_t *offset);
	int (*file_find_head)(void *impl, const char *head, size_t head_len, int64_t *file_id);
	int (*file_active)(void *impl, dev_t dev, ino_t ino, int64_t since, int64_t *offset);
	int (*file_adopt)(void *impl, int64_t file_id, const struct store_file_key *key);
	int (*file_set_offset)(void *impl, int64_t file_id, int64_t offset, int64_t counted,
	    int64_t size);
	int (*file_counted)(void *impl, int64_t file_id, int64_t *counted);
	int (*source_get)(void *impl, const char *name, int64_t *file_id, int64_t *current_id,
	    char **cursor);
	int (*source_set)(void *impl, const char *name, int64_t file_id, int64_t current_id,
	    const char *cursor, int64_t lines, int64_t cut, int64_t unknown);
	int (*file_get)(void *impl, int64_t file_id, struct store_file_record *rec);
	int (*file_set_head)(void *impl, int64_t file_id, const char *head, size_t head_len,
	    int whole);
	int (*loss_add)(void *impl, int64_t file_id, const char *path, int64_t from, int64_t to,
	    const char *reason);
	int (*delete_events_before)(void *impl, int64_t time, int limit, int *deleted);
	int (*delete_days_before)(void *impl, int64_t day, int limit, int *deleted);
	int (*used_bytes)(void *impl, int64_t *bytes);
	void (*reclaim)(void *impl);
	int (*claim_server)(void *impl);
	int (*check_file)(void *impl);
	int (*abandon)(void *impl);
};

/* SQLite (store_sqlite.c): open path; NULL (logged) on failure. */
extern const struct store_ops store_sqlite_ops;
void *store_sqlite_open(const char *path, enum store_mode mode);
struct sqlite3 *store_sqlite_db(void *impl);

#ifdef HAVE_LIBPQ
/* PostgreSQL (store_pg.c, over pgstore.h): connect to uri as server. */
extern const struct store_ops store_pg_ops;
void *store_pg_open(const char *uri, const char *server);
#endif

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * retention.c: delete old events a batch at a time (see retention.h).
 *
 * The batch goes by the time index (oldest first), so one step costs the
 * same on a database of a thousand events or of fifty million. The size is
 * the bytes of pages in use (page_count - freelist_count): it also works on
 * a database created without auto_vacuum, whose file never shrinks but whose
 * free pages are reused.
 */
#include "config.h"

#include <sqlite3.h>

#include "log.h"
#include "retention.h"

#define BATCH 500

static int
pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Bytes of the database's pages in use. */
static int
used_bytes(sqlite3 *db, int64_t *bytes)
{
	int64_t pages, free_pages, page_size;

	if (pragma_int(db, "PRAGMA page_count", &pages) < 0 ||
	    pragma_int(db, "PRAGMA freelist_count", &free_pages) < 0 ||
	    pragma_int(db, "PRAGMA page_size", &page_size) < 0)
		return -1;
	*bytes = (pages - free_pages) * page_size;
	return 0;
}

static int
delete_batch(sqlite3 *db, const char *sql, int64_t bound)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, bound);
	sqlite3_bind_int(s, 2, BATCH);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? sqlite3_changes(db) : -1;
}

int
retention_step(struct store *st, int64_t now, int64_t max_age_days, int64_t max_bytes,
    int *days_deleted)
{
	sqlite3 *db = store_db(st);
	int deleted = 0, days = 0;

	if (store_begin(st) < 0)
		return -1;
	if (max_age_days > 0) {
		deleted = delete_batch(db, "DELETE FROM events WHERE id IN (SELECT id FROM events "
		    "WHERE time < ?1 ORDER BY time LIMIT ?2)", now - max_age_days * 86400);
		/* Then the days of successes before the period (the peers' history, peerdays.h). */
		if (deleted == 0)
			days = delete_batch(db, "DELETE FROM peer_days WHERE (peer, day, direction, "
			    "server) IN (SELECT peer, day, direction, server FROM peer_days WHERE "
			    "day < ?1 LIMIT ?2)", (now - max_age_days * 86400) / 86400);
		if (deleted < 0 || days < 0)
			goto fail;
	}
	if (deleted == 0 && days == 0 && max_bytes > 0) {
		int64_t used;
		if (used_bytes(db, &used) < 0)
			goto fail;
		if (used > max_bytes) {
			/* The oldest batch, whatever its age. */
			deleted = delete_batch(db, "DELETE FROM events WHERE id IN (SELECT id FROM "
			    "events WHERE time <= ?1 ORDER BY time LIMIT ?2)", INT64_MAX);
			if (deleted < 0)
				goto fail;
		}
	}
	if (store_commit(st) < 0)
		return -1;
	if (days_deleted != NULL)
		*days_deleted = days;
	if (deleted > 0 || days > 0)
		/* Give the freed pages back (a no-op without auto_vacuum = incremental). */
		sqlite3_exec(db, "PRAGMA incremental_vacuum(256)", NULL, NULL, NULL);
	return deleted + days;
fail:
	log_warnx("%s: retention: %s", store_path(st), sqlite3_errmsg(db));
	store_rollback(st);
	return -1;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * retention.c: delete old events a batch at a time (see retention.h).
 *
 * The policy lives here, the SQL in the store's engines: a batch goes by
 * the time index (oldest first), so one step costs the same on a database
 * of a thousand events or of fifty million, and each batch is a short
 * transaction of its own. On a database a fleet shares, several hosts may
 * run retention at once: each skips the rows another is deleting.
 */
#include "config.h"

#include <stddef.h>

#include "retention.h"

#define BATCH 500

int
retention_step(struct store *st, int64_t now, int64_t max_age_days, int64_t max_bytes,
    int *days_deleted)
{
	int deleted = 0, days = 0;

	if (store_begin(st) < 0)
		return -1;
	if (max_age_days > 0) {
		int64_t before = now - max_age_days * 86400;
		if (store_delete_events_before(st, before, BATCH, &deleted) < 0)
			goto fail;
		/* Then the days of successes before the period (the peers' history, peerdays.h). */
		if (deleted == 0 && store_delete_days_before(st, before / 86400, BATCH, &days) < 0)
			goto fail;
	}
	if (deleted == 0 && days == 0 && max_bytes > 0) {
		int64_t used;
		if (store_used_bytes(st, &used) < 0)
			goto fail;
		/* The oldest batch, whatever its age. */
		if (used > max_bytes &&
		    store_delete_events_before(st, INT64_MAX, BATCH, &deleted) < 0)
			goto fail;
	}
	if (store_commit(st) < 0)
		return -1;
	if (days_deleted != NULL)
		*days_deleted = days;
	if (deleted > 0 || days > 0)
		store_reclaim(st);
	return deleted + days;
fail:
	store_rollback(st);
	return -1;
}

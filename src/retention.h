/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * retention.h: keep the database from growing without end. Events older
 * than the retention period, and the oldest events while the database holds
 * more than its size cap, are deleted a small batch at a time, each batch
 * its own short transaction, so that the daemon's ingestion never waits
 * more than a few milliseconds; the pages freed are given back to the file
 * system (auto_vacuum = incremental, set when the database is created).
 */
#ifndef TLSLOGD_RETENTION_H
#define TLSLOGD_RETENTION_H

#include <stdint.h>

#include "store.h"

/*
 * Delete at most one batch: events older than now - max_age_days (0: no age
 * limit), then the peers' days of successes (peer_days) before that day, or,
 * while the events use more than max_bytes (0: no cap), the oldest events.
 * Returns the number of rows deleted (0: nothing left to do), or -1 (logged);
 * *days_deleted (may be NULL): how many of them were peer_days rows.
 * Must not be called inside a transaction.
 */
int retention_step(struct store *st, int64_t now, int64_t max_age_days, int64_t max_bytes,
    int *days_deleted);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peerdays.h: the successes the writer counts into peer_days (one row per
 * peer, UTC day, direction and server; sql/012-peer-days.sql), exactly once.
 *
 * A success read from a file waits (pending) until the file's read position
 * is recorded: then, inside the transaction, the successes of its lines at
 * or after the file's counted offset in the database (files.counted) are
 * counted, each line once however often it was read (lines read again after
 * a crash, by a scan beside the daemon, or after a file was dropped and
 * read again), and the caller records the new counted offset with the
 * position. Counted successes are summed in memory per row; at the commit
 * each row is written once, by one upsert, in the events' transaction. A
 * success of a stream (no file) is counted at once: a stream is never read
 * twice.
 *
 * Memory: a pending success is its numbers and its strings (peer, host,
 * server), some 90 bytes; a row is some 160. The writer records a file's
 * position (which counts its pending successes into rows) once many wait,
 * and commits once there are many rows, as it does after so many events.
 */
#ifndef TLSLOGD_PEERDAYS_H
#define TLSLOGD_PEERDAYS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "success.h"

struct peerdays;

/* The counts of the writer of st (whose connection they are written on). */
struct peerdays *peerdays_new(struct store *st);
void peerdays_free(struct peerdays *pd);

/* A success of file_id's line at offset; file_id 0: a stream's, counted at once. */
void peerdays_add(struct peerdays *pd, int64_t file_id, int64_t offset, const struct success *s);
/*
 * Count the pending successes of file_id at or after counted (the file's
 * counted offset in the database), each offset once; the others are dropped.
 */
void peerdays_count_file(struct peerdays *pd, int64_t file_id, int64_t counted);
/* Successes waiting for their file's position (peerdays_count_file). */
size_t peerdays_pending(const struct peerdays *pd);
/* Rows counted, waiting for the commit. */
size_t peerdays_rows(const struct peerdays *pd);
/* Each counted row's peer and first success, for the flagger (flag_success). */
typedef void (*peerdays_row_fn)(void *ctx, const char *peer, size_t len, int64_t first_time);
void peerdays_each_row(const struct peerdays *pd, peerdays_row_fn fn, void *ctx);
/* Write the counted rows (inside the transaction). 0, or -1 (logged). */
int peerdays_write(struct peerdays *pd);
/* The transaction was committed: the counted rows are in the database. */
void peerdays_committed(struct peerdays *pd);
/* It was rolled back: rows and pending successes are forgotten (read again). */
void peerdays_forget(struct peerdays *pd);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * checkpointer.h: the write-ahead log copied back into the database file on
 * a thread of its own, while `tlslogd scan` goes on writing.
 *
 * SQLite in WAL mode appends every page a transaction changes to the -wal
 * file; a checkpoint copies them into the database file (a read and a write
 * per page, and an fsync of each file). By default the writer does it itself
 * after any commit that leaves the log over 1000 pages: at 20% failures that
 * was half of what a commit cost the storing thread. A checkpoint may run on
 * another connection while the writer writes (SQLite's PASSIVE mode: it
 * copies what was committed when it began, and blocks nobody).
 *
 * What must not happen is a log that grows without end. SQLite starts
 * writing the log from its beginning again only when a transaction begins
 * after everything in it was copied; a checkpointer always a commit behind
 * never lets that happen. So the writer waits for the checkpointer when the
 * log holds more than CHECKPOINTER_MAX_FRAMES pages: after that wait the log
 * is copied in full, and the next transaction writes it from the start.
 */
#ifndef TLSLOGD_CHECKPOINTER_H
#define TLSLOGD_CHECKPOINTER_H

#include <sqlite3.h>

/* 16 MiB of log with 4 KiB pages: four times SQLite's own threshold. */
#define CHECKPOINTER_MAX_FRAMES 4096

struct checkpointer;

/*
 * Checkpoints of the database at path on a thread with its own connection,
 * for the writer connection writer: its automatic checkpoints are turned
 * off and its commits (sqlite3_wal_hook) ask for one. NULL when the thread
 * or the connection cannot be made (logged): the writer then checkpoints as
 * before.
 */
struct checkpointer *checkpointer_start(const char *path, sqlite3 *writer);
/*
 * Stops the thread after the checkpoint under way, closes its connection and
 * gives the writer its automatic checkpoints back. Before the writer closes.
 */
void checkpointer_stop(struct checkpointer *c);

#endif

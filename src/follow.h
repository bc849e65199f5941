/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * follow.h: the files `tlslogd run` follows, across rotation.
 *
 * A source is a file name from the configuration. Under that name the
 * follower keeps one open file (the current one) and, for a while after a
 * rotation, the previous ones (up to four), still drained because the MTA or
 * syslog may write to them until it reopens its log. Each open file has its
 * own ingest (matcher, correlator, counters) and framer; all write through
 * one batch (batch.h), which follow_commit commits after recording every
 * file's position and, per source, the oldest file not finished under its
 * name and the file under it now.
 *
 * What happens to a file is noticed by follow_poll, which the daemon calls
 * when libev reports a change and on a timer:
 *   - growth: read the new bytes (a partial last line waits for its newline);
 *   - rename and create, delete and recreate, a re-pointed symlink: the name
 *     now leads to another file: the old one is drained, kept open for
 *     ROTATE_GRACE_MS after it stops growing, then finished; the new one is
 *     read from its start;
 *   - copytruncate, or a file rewritten in place: the file no longer begins
 *     with the first line of what was read (checked before any bytes read
 *     are used): the rest of that text is read from its copy among the
 *     rotated files (rotation.h, plain or gzip), then the file is read again
 *     from its start as a new file;
 *   - rotated more than once since it was last looked at: the rotated files
 *     written since are read too, oldest first;
 *   - the name is missing: keep what is open, wait for the file.
 * On start (follow_start) the files a source was reading at the last commit
 * (the oldest not finished and the one under the name) that the name no
 * longer leads to are found among the rotated files by their text, wherever
 * rotation took them, compressed or not, and finished first, then every file
 * rotated after them; one written to in the last ROTATE_GRACE_MS is drained
 * for the grace. What cannot be found is a loss: said and recorded
 * (store_loss_add). A source never seen starts at the end of its file unless
 * from_start.
 */
#ifndef TLSLOGD_FOLLOW_H
#define TLSLOGD_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "ingest.h"
#include "rules.h"
#include "store.h"

struct follower;

struct follow_totals {
	uint64_t lines, bytes, matched, events, cut_lines, no_header, unknown;
	uint64_t kind_events[KIND_COUNT];
};

/* sources: the SOURCE_FILE entries of the configuration (others are ignored). */
/* batch: the writer every source's events and positions go to (batch.h). */
struct follower *follow_new(struct rules *rules, struct batch *batch,
    const struct ingest_options *opt, const struct conf_source *sources, size_t nsources,
    int from_start, int64_t settle_ms);
void follow_free(struct follower *f);

/*
 * Open every source (see above). gap says what happened while nothing was
 * read ("tlslogd was not running", "the configuration was reloaded"), for
 * the log line about a rotated file found. -1 when the database failed.
 */
int follow_start(struct follower *f, int64_t now_ms, const char *gap);
/*
 * Look at every source: rotation, truncation, new bytes (at most budget bytes
 * per file), failures no line joined for settle_ms. Returns 1 when a file has
 * more to read, 0 when all are at their end, -1 when the database failed.
 */
int follow_poll(struct follower *f, int64_t now_ms, size_t budget);
/* Events matched since the last commit. */
size_t follow_pending(const struct follower *f);
/* Bytes read or events made since the last commit (positions to record). */
int follow_dirty(const struct follower *f);
/* Record every position and commit. -1 when the database failed (rolled back). */
int follow_commit(struct follower *f);
/*
 * Close every file without finishing it: their open failures are dropped and
 * read again from the recorded positions by the next follow_start. After a
 * failed commit, this is how the daemon recovers.
 */
void follow_stop(struct follower *f);
/* Counters of every file read since follow_new. */
void follow_totals(const struct follower *f, struct follow_totals *t);
/* to += t, counter by counter. */
void follow_totals_add(struct follow_totals *to, const struct follow_totals *t);
/* Log one line per source: its file, position and how far behind its end it is. */
void follow_log_sources(const struct follower *f);
/*
 * How far source i is behind its writer (for the metrics): the bytes of its
 * file, and of the rotated files still drained, after what was read (0 for
 * a journal: not measurable in bytes), and for how long it has been behind:
 * the seconds since a poll last read everything there was, or since the
 * first poll when none has yet (0 when nothing waits).
 */
struct follow_lag {
	int64_t bytes;
	double seconds;
	int is_journal;
	int open;		/* its file (journal) is open */
};
void follow_lag(const struct follower *f, size_t i, int64_t now_ms, struct follow_lag *lag);
/* Source i's name: its configured file, or its journal's name. */
const char *follow_name(const struct follower *f, size_t i);
/* Source i's configured name, for the daemon's file watchers. */
size_t follow_count(const struct follower *f);
/* Source i's file, for an ev_stat watcher; NULL for a journal source. */
const char *follow_path(const struct follower *f, size_t i);
/* Source i's journal descriptor, for an ev_io watcher; -1 for a file or a journal not open. */
int follow_journal_fd(const struct follower *f, size_t i);

#endif

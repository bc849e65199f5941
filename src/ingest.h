/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest.h: one input's bytes to events: framer -> header -> rules ->
 * correlate, and the input's record in the database (which file it is, how
 * far it was read). `tlslogd scan` feeds it whole files; the follow daemon
 * feeds it the same way as files grow. The events and positions go to the
 * one writer, a batch (batch.h), which several ingests may share.
 *
 * Positions: what an ingest asks the batch to record as read never passes a
 * line still held by the correlator, so a crash re-reads those lines instead
 * of losing them, and the events table's uniqueness per (file, offset) drops
 * what was already stored.
 * At the end of a file still being written (modified within the correlator's
 * linger), a failure whose lines may still be coming is not stored: it is read
 * again, whole, by the next scan. A stream (standard input, a pipe) is
 * committed after every read, so no transaction waits on a slow writer.
 */
#ifndef TLSLOGD_INGEST_H
#define TLSLOGD_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "event.h"
#include "rules.h"
#include "store.h"

struct ingest_stats {
	uint64_t files;
	uint64_t lines;
	uint64_t bytes;
	uint64_t no_header;	/* lines without a recognizable header */
	uint64_t cut_lines;	/* lines longer than the limit */
	uint64_t matched;	/* lines a rule matched */
	uint64_t unknown;	/* lines about TLS or AUTH no rule knows (opt.count_unknown) */
	uint64_t held;		/* failures at the end of a live file, left for the next scan */
	uint64_t events;	/* events stored (committed) */
	uint64_t duplicates;	/* events found already stored */
	uint64_t kind_events[KIND_COUNT];
};

struct ingest_options {
	int forced_set;		/* -1: route each line by its program tag */
	const char *server;	/* host name for lines that carry none (Exim's mainlog) */
	size_t max_line;	/* longer lines are cut */
	size_t batch_events;	/* commit after this many events */
	int64_t linger;		/* seconds a multi-line failure waits for its next line */
	int count_unknown;	/* count lines about TLS or AUTH that no rule knows */
	int count_successes;	/* count the success lines per peer and day (peer_days) */
	int match_threads;	/* > 1: regular files of 1 MiB and more are matched on
				   this many threads (matchpool.h); the events are the same */
};

struct ingest;

void ingest_options_default(struct ingest_options *opt);
/* An input's reading, whose events and positions go to batch. */
struct ingest *ingest_new(struct rules *rules, struct batch *batch,
    const struct ingest_options *opt);
/* Free it (NULL is fine); failures it still holds are dropped, to be read again. */
void ingest_free(struct ingest *ing);
/* Its counters so far (events: those committed). */
void ingest_get_stats(const struct ingest *ing, struct ingest_stats *st);
/* The record of the file it reads (0: none, a stream). */
int64_t ingest_file_id(const struct ingest *ing);
/* The first bytes the file must keep beginning with: their FNV-1a and length. */
void ingest_text(const struct ingest *ing, uint64_t *head_hash, size_t *head_len);

/*
 * Read a file from where the last run stopped to its last complete line (a
 * file that is not regular, such as a pipe, or "-" for standard input, is read
 * to its end, partial last line included). 0 on success; -1 when the file
 * cannot be read (logged; what was read before stays stored) or the database
 * failed (batch_failed: stop).
 */
int ingest_path(struct ingest *ing, const char *path);
/* The same for a file the caller found holds the text of record known_id (rotation.h). */
int ingest_path_known(struct ingest *ing, const char *path, int64_t known_id);

/*
 * The follower (`tlslogd run`): one ingest per open file, all sharing one
 * batch, which the caller commits after recording every file's position
 * (ingest_record_position).
 *
 * attach: identify fd's file in the store; *offset is where to read from:
 * where the last commit left it, or for a file not yet read (offset 0) its
 * end when at_end is set (after its last complete line).
 * feed: n bytes were read into framer_space(fr); frame and match them.
 * settle: finish failures no line joined for idle_ms of the caller's clock.
 * record_position: inside the transaction, the file's position: after its
 * last complete line, never past a line an open failure holds.
 * detach: finished: the file was rotated away and drained, so its partial last
 * line and open failures are final (recorded, the caller commits); otherwise
 * its open failures are dropped, to be read again from the recorded position.
 * All return -1 when the database failed (batch_failed) or, for attach,
 * the file could not be read (logged).
 */
int ingest_attach(struct ingest *ing, int fd, const char *path, int at_end, int64_t known_id,
    int64_t *offset);
/*
 * known_id > 0 (attach): the caller found the text of that record in fd's
 * file (a rotated copy): it is taken as that record, whatever its inode.
 * same_text: 1 when fd still begins with the first line recorded for the
 * file, 0 when it does not (truncated, or rewritten in place: what is read at
 * the old offset is another text, perhaps the rest of a line a stranger
 * wrote), -1 when it cannot be read.
 * relocate: the text continues in fd's file (path): the record points there.
 */
int ingest_same_text(const struct ingest *ing, int fd);
int ingest_relocate(struct ingest *ing, int fd, const char *path);
/*
 * attach_named: the same for an input that is no file (the systemd journal):
 * its record is found by name alone; offsets are the caller's own count of
 * the bytes it fed, which must come out the same when it reads again.
 * record_position: *recorded (may be NULL) is the offset recorded.
 */
int ingest_attach_named(struct ingest *ing, const char *name, int64_t *offset);
struct framer;
/*
 * at_line_start: 1 when offset of fd starts a line (0, or just after a
 * newline). A position recorded in the rest of a line that was cut is not:
 * the reader must framer_skip_line, or the tail, which a stranger may have
 * written to look like a log line, would be read as one.
 */
int ingest_at_line_start(int fd, int64_t offset);
int ingest_feed(struct ingest *ing, struct framer *fr, size_t n, int64_t now_ms);
void ingest_settle(struct ingest *ing, int64_t now_ms, int64_t idle_ms);
int ingest_record_position(struct ingest *ing, int64_t read_offset, int64_t *recorded);
int ingest_detach(struct ingest *ing, struct framer *fr, int finished);

#endif

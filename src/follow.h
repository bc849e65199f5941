/*
 * follow.h: the files `tlslogd run` follows, across rotation.
 *
 * A source is a file name from the configuration. Under that name the
 * follower keeps one open file (the current one) and, for a while after a
 * rotation, the previous one, still drained because the MTA or syslog may
 * write to it until it reopens its log. Each open file has its own ingest
 * (matcher, correlator, counters) and framer; all share the store's
 * transaction, which follow_commit ends after recording every file's position
 * and, per source, the file last read under its name.
 *
 * What happens to a file is noticed by follow_poll, which the daemon calls
 * when libev reports a change and on a timer:
 *   - growth: read the new bytes (a partial last line waits for its newline);
 *   - rename and create, delete and recreate, a re-pointed symlink: the name
 *     now leads to another file: the old one is drained, kept open for
 *     ROTATE_GRACE_MS after it stops growing, then finished; the new one is
 *     read from its start;
 *   - copytruncate: the file is shorter than what was read: what was open is
 *     finished and the file is read again from its start as a new file;
 *   - the name is missing: keep what is open, wait for the file.
 * On start (follow_start) a source whose last file was rotated while tlslogd
 * was down finishes that file first, found under the names logrotate and
 * newsyslog give it (NAME.1, NAME.0, NAME-DATE), and keeps draining it for the
 * grace when it was written to in the last ROTATE_GRACE_MS (a reload right
 * after a rotation); a source never seen starts at
 * the end of its file unless from_start.
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
/* flags: shown every new event (NULL: no flagging). */
struct follower *follow_new(struct rules *rules, struct store *store, struct flagger *flags,
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
/* Bytes read since the last commit (positions to record). */
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
/* Log one line per source: its file, position and how far behind its end it is. */
void follow_log_sources(const struct follower *f);
/* Source i's configured name, for the daemon's file watchers. */
size_t follow_count(const struct follower *f);
/* Source i's file, for an ev_stat watcher; NULL for a journal source. */
const char *follow_path(const struct follower *f, size_t i);
/* Source i's journal descriptor, for an ev_io watcher; -1 for a file or a journal not open. */
int follow_journal_fd(const struct follower *f, size_t i);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * follow.c: the files `tlslogd run` follows, across rotation (see follow.h).
 *
 * Nothing here waits: files are opened non-blocking, read until read()
 * says there is nothing more, and looked at again when the daemon's libev
 * watchers or its timer say so. Every decision about a file is made by
 * comparing what its name leads to now (stat) with what is open (fstat):
 * that covers every way logrotate and newsyslog rotate.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "follow.h"
#include "framer.h"
#include "journal.h"
#include "log.h"
#include "logfile.h"
#include "rotation.h"
#include "util.h"

/* After a rotation the old file is drained until it has been quiet this long. */
#define ROTATE_GRACE_MS 5000
/* At most one "line cut" warning per file per minute; the others are counted. */
#define CUT_WARN_INTERVAL_MS 60000
/* A rotated file is read to its end in one go, this much at a time. */
#define DRAIN_BUDGET (16u << 20)

/*
 * Rotated files drained at once: the MTA (or syslog, before its reload) may
 * still write to the last few; beyond that the oldest is read to its end and
 * closed.
 */
#define OLD_MAX 4

/* tail_read: what the file holds is no longer the text being read (see ingest_same_text). */
#define TAIL_CHANGED 2

struct tail {
	char *name;		/* the name it was opened by */
	int fd;
	dev_t dev;
	ino_t ino;
	struct framer fr;
	struct ingest *ing;	/* its reading (ingest.h) */
	int64_t last_growth_ms;
	int64_t size_seen;	/* the largest size fstat gave */
	uint64_t cuts_reported;
	int64_t cut_warned_ms;
};

struct fsource {
	const char *name;	/* the configuration's file name, or the journal's (journal_source_name) */
	const struct conf_source *conf;
	int is_journal;
	struct journal_tail *journal;	/* is_journal: open, or NULL (waiting to open it) */
	int forced_set;		/* -1: route by program tag */
	struct tail *cur;
	struct tail *old[OLD_MAX];	/* rotated away, still drained, oldest first */
	size_t nold;
	int started;		/* follow_start has looked at it */
	int waiting_logged;	/* "waiting for the file" said once */
	int open_error_logged;
	struct follow_totals closed;	/* of its files already closed */
	struct follow_totals recorded;	/* counters already added to its database row */
	struct follow_totals pending_record;	/* ... once the commit under way succeeds */
	int64_t caught_up_ms;	/* when a poll last found nothing left to read (follow_lag) */
	int64_t polled_ms, first_polled_ms;	/* the last poll, the first one */
};

struct follower {
	struct rules *rules;
	struct store *store;
	struct flagger *flags;
	struct ingest_options opt;
	struct fsource *src;
	size_t n;
	int from_start;
	int64_t settle_ms;
	struct batch *batch;	/* the writer: every file's events and positions */
	int dirty;		/* read or attached since the last commit */
};

static void
add_totals(struct follow_totals *t, const struct ingest_stats *s)
{
	t->lines += s->lines;
	t->bytes += s->bytes;
	t->matched += s->matched;
	t->events += s->events;
	t->cut_lines += s->cut_lines;
	t->no_header += s->no_header;
	t->unknown += s->unknown;
	for (int k = 0; k < KIND_COUNT; k++)
		t->kind_events[k] += s->kind_events[k];
}

static void
add_ingest(struct follow_totals *t, const struct ingest *ing)
{
	struct ingest_stats st;

	ingest_get_stats(ing, &st);
	add_totals(t, &st);
}

static void
source_totals(const struct fsource *s, struct follow_totals *t)
{
	*t = s->closed;
	if (s->cur)
		add_ingest(t, s->cur->ing);
	for (size_t i = 0; i < s->nold; i++)
		add_ingest(t, s->old[i]->ing);
	if (s->journal)
		add_ingest(t, journal_ingest(s->journal));
}

/*
 * Open name and find where to read it from. NULL when it cannot be opened
 * (errno ENOENT: not there yet) or the database failed (batch_failed(f->batch)).
 */
static struct tail *
tail_open(struct follower *f, struct fsource *s, const char *name, int at_end, int64_t known_id,
    int64_t now_ms)
{
	struct stat sb;
	int fd = open(name, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		if (!s->open_error_logged)
			log_warnx("%s: not a regular file: cannot follow it", name);
		s->open_error_logged = 1;
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	struct tail *t = xcalloc(1, sizeof(*t));
	struct ingest_options opt = f->opt;
	int64_t offset = 0;

	opt.forced_set = s->forced_set;
	t->ing = ingest_new(f->rules, f->batch, &opt);
	if (ingest_attach(t->ing, fd, name, at_end, known_id, &offset) < 0) {
		ingest_free(t->ing);
		free(t);
		close(fd);
		errno = EIO;
		return NULL;
	}
	if (offset > 0 && lseek(fd, (off_t)offset, SEEK_SET) < 0) {
		log_warn("%s: cannot seek to byte %lld", name, (long long)offset);
		ingest_detach(t->ing, NULL, 0);
		ingest_free(t->ing);
		free(t);
		close(fd);
		return NULL;
	}
	t->name = xstrdup(name);
	t->fd = fd;
	t->dev = sb.st_dev;
	t->ino = sb.st_ino;
	framer_init(&t->fr, f->opt.max_line, offset);
	if (!ingest_at_line_start(fd, offset))
		framer_skip_line(&t->fr);
	t->last_growth_ms = now_ms;
	f->dirty = 1;
	s->open_error_logged = 0;
	s->waiting_logged = 0;
	return t;
}

/* Close t; finished: rotated away and drained (see ingest_detach). */
static void
tail_close(struct follower *f, struct fsource *s, struct tail *t, int finished)
{
	if (t == NULL)
		return;
	if (ingest_detach(t->ing, &t->fr, finished) < 0)
		batch_fail(f->batch);
	add_ingest(&s->closed, t->ing);
	ingest_free(t->ing);
	framer_free(&t->fr);
	close(t->fd);
	free(t->name);
	free(t);
}

/* Take t off s's rotated files still drained (it is closed by the caller). */
static void
old_remove(struct fsource *s, const struct tail *t)
{
	for (size_t i = 0; i < s->nold; i++)
		if (s->old[i] == t) {
			memmove(&s->old[i], &s->old[i + 1], (s->nold - i - 1) * sizeof(s->old[0]));
			s->nold--;
			return;
		}
}

static int drain(struct follower *f, struct tail *t, int64_t now_ms);

/* t, rotated away, is drained a while longer; with OLD_MAX already, the oldest is finished. */
static void
old_add(struct follower *f, struct fsource *s, struct tail *t, int64_t now_ms)
{
	if (s->nold == OLD_MAX) {
		struct tail *oldest = s->old[0];
		int left = drain(f, oldest, now_ms);
		old_remove(s, oldest);
		tail_close(f, s, oldest, left == 0);
	}
	t->last_growth_ms = now_ms;
	s->old[s->nold++] = t;
}

static void
warn_cut_lines(struct follower *f, struct tail *t, int64_t now_ms)
{
	struct ingest_stats st;

	ingest_get_stats(t->ing, &st);
	uint64_t cuts = st.cut_lines;

	if (cuts == t->cuts_reported || now_ms - t->cut_warned_ms < CUT_WARN_INTERVAL_MS)
		return;
	log_warnx("%s: %llu line%s longer than %zu bytes cut (max_line); the rest of the file is "
	    "read normally", t->name, (unsigned long long)(cuts - t->cuts_reported),
	    cuts - t->cuts_reported == 1 ? "" : "s", f->opt.max_line);
	t->cuts_reported = cuts;
	t->cut_warned_ms = now_ms;
}

/*
 * Read what t has, at most budget bytes: 1 more left, 0 at its end, -1 database
 * failed, TAIL_CHANGED: the file no longer holds t's text.
 */
static int
tail_read(struct follower *f, struct tail *t, int64_t now_ms, size_t budget)
{
	size_t done = 0;

	while (done < budget) {
		size_t room;
		char *space = framer_space(&t->fr, &room);
		if (room > budget - done)
			room = budget - done;
		ssize_t n = read(t->fd, space, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			log_warn("%s: read error at byte %lld", t->name,
			    (long long)framer_offset(&t->fr));
			return 0;	/* tried again at the next poll */
		}
		if (n == 0)
			return 0;
		/*
		 * Only bytes read while the file still began with its text are
		 * that text's: after a copytruncate they may be another text's,
		 * from the middle of a line. They are dropped, and the text's
		 * rest is looked for where it went (poll_source).
		 */
		if (ingest_same_text(t->ing, t->fd) == 0)
			return TAIL_CHANGED;
		if (ingest_feed(t->ing, &t->fr, (size_t)n, now_ms) < 0) {
			batch_fail(f->batch);
			return -1;
		}
		f->dirty = 1;
		t->last_growth_ms = now_ms;
		done += (size_t)n;
		warn_cut_lines(f, t, now_ms);
	}
	return 1;
}

struct follower *
follow_new(struct rules *rules, struct batch *batch,
    const struct ingest_options *opt, const struct conf_source *sources, size_t nsources,
    int from_start, int64_t settle_ms)
{
	struct follower *f = xcalloc(1, sizeof(*f));

	f->rules = rules;
	f->batch = batch;
	f->store = batch_store(batch);
	f->opt = *opt;
	f->from_start = from_start;
	f->settle_ms = settle_ms;
	f->src = xcalloc(nsources ? nsources : 1, sizeof(*f->src));
	for (size_t i = 0; i < nsources; i++) {
		struct fsource *s;
		if (sources[i].type == SOURCE_JOURNAL) {
			s = &f->src[f->n++];
			s->is_journal = 1;
			s->name = journal_source_name(&sources[i]);
		} else {
			s = &f->src[f->n++];
			s->name = sources[i].path;
		}
		s->conf = &sources[i];
		s->forced_set = sources[i].mta ? rules_find_set(rules, sources[i].mta) : -1;
	}
	return f;
}

void
follow_free(struct follower *f)
{
	if (f == NULL)
		return;
	follow_stop(f);
	for (size_t i = 0; i < f->n; i++)
		if (f->src[i].is_journal)
			free((char *)f->src[i].name);
	free(f->src);
	free(f);
}

/* A poll of s begins (follow_lag's clock). */
static void
note_poll(struct fsource *s, int64_t now_ms)
{
	if (s->first_polled_ms == 0)
		s->first_polled_ms = now_ms;
	s->polled_ms = now_ms;
}

/* Open a journal source where its stored cursor says. -1: the database failed. */
static int
journal_start(struct follower *f, struct fsource *s)
{
	int64_t file_id = 0;
	char *cursor = NULL;
	int64_t current_id = 0;
	int seen = store_source_get(f->store, s->name, &file_id, &current_id, &cursor);

	if (seen < 0) {
		batch_fail(f->batch);
		return -1;
	}
	struct ingest_options opt = f->opt;
	opt.forced_set = s->forced_set;
	int failed = 0;
	/*
	 * A source never seen starts at the end of its journal, unless that
	 * journal could not be opened before: then, like a file that appears,
	 * all of it is new.
	 */
	int at_end = !seen && !f->from_start && !s->open_error_logged;
	s->journal = journal_open(s->conf, s->name, cursor, at_end, f->rules, f->batch,
	    &opt, s->open_error_logged, &failed);
	free(cursor);
	if (failed) {
		batch_fail(f->batch);
		return -1;
	}
	if (s->journal == NULL)
		s->open_error_logged = 1;	/* journal_open said why; tried again each tick */
	else if (s->open_error_logged)
		log_info("%s: the journal can be read now", s->name);
	if (s->journal != NULL)
		s->open_error_logged = 0;
	return 0;
}

static void
poll_journal(struct follower *f, struct fsource *s, int64_t now_ms, size_t budget, int *more)
{
	note_poll(s, now_ms);
	if (s->journal == NULL && journal_start(f, s) < 0)
		return;
	if (s->journal == NULL)
		return;
	int rc = journal_read(s->journal, now_ms, budget);
	if (rc < 0) {
		batch_fail(f->batch);
		return;
	}
	if (rc > 0)
		*more = 1;
	else
		s->caught_up_ms = now_ms;
	journal_settle(s->journal, now_ms, f->settle_ms);
}

/* The modification time of fd's file in nanoseconds, 0 when unknown. */
static int64_t
mtime_ns(int fd)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return 0;
	return (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
}

/* Was t written to in the last ROTATE_GRACE_MS (by the wall clock: mtime)? */
static int
recently_written(const struct tail *t)
{
	struct timespec now;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return 0;
	int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	return now_ns - mtime_ns(t->fd) < (int64_t)ROTATE_GRACE_MS * 1000000;
}

/*
 * Text that will never be read: said in one line naming the file and the
 * bytes, and recorded for `tlslogd stats` (in the transaction under way).
 */
static void
report_loss(struct follower *f, struct fsource *s, int64_t file_id, const char *path,
    int64_t from, const char *why)
{
	log_warnx("%s: %s: what %s held after byte %lld was not read and is lost", s->name, why,
	    path, (long long)from);
	if (batch_begin(f->batch) < 0 ||
	    store_loss_add(f->store, file_id, path, from, -1, why) < 0)
		batch_fail(f->batch);
}

/* Read t to its end, now (a rotated file: 1 while the MTA may still write to it). */
static int
drain(struct follower *f, struct tail *t, int64_t now_ms)
{
	int rc;

	while ((rc = tail_read(f, t, now_ms, DRAIN_BUDGET)) == 1)
		;
	return rc;
}

/*
 * Read a compressed rotated file (final: nothing is appended to it) to its
 * end as `tlslogd scan` would, from where its record ends (known_id: the
 * record whose text the caller found in it; 0: found by identity).
 */
static void
read_compressed(struct follower *f, struct fsource *s, const char *path, int64_t known_id)
{
	struct ingest *ing;
	struct ingest_options opt = f->opt;

	opt.forced_set = s->forced_set;
	opt.match_threads = 1;
	ing = ingest_new(f->rules, f->batch, &opt);
	(void)ingest_path_known(ing, path, known_id);	/* logged; a database failure: batch_failed */
	add_ingest(&s->closed, ing);
	ingest_free(ing);
}

/*
 * Read a rotated file to its end: plain, through a tail that is drained for
 * the grace (s->old) when it was written to just now; compressed, in one go.
 * known_id: as read_compressed.
 */
static void
read_rotated(struct follower *f, struct fsource *s, const char *path, int64_t known_id,
    int64_t now_ms, const char *gap)
{
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	int gz = fd >= 0 && logfile_is_gzip_fd(fd);

	if (fd >= 0)
		close(fd);
	if (gz) {
		read_compressed(f, s, path, known_id);
		log_info("%s: rotated to %s while %s: read what was not read of it", s->name, path,
		    gap);
		return;
	}
	struct tail *t = tail_open(f, s, path, 0, known_id, now_ms);
	if (t == NULL)
		return;
	int64_t from = framer_offset(&t->fr);
	int rc = drain(f, t, now_ms);
	log_info("%s: rotated to %s while %s: read its last %lld bytes", s->name, path, gap,
	    (long long)(framer_offset(&t->fr) - from));
	if (rc < 0 || rc == TAIL_CHANGED)
		tail_close(f, s, t, 0);
	else if (recently_written(t))
		old_add(f, s, t, now_ms);	/* the MTA may still write to it (before its reload) */
	else
		tail_close(f, s, t, 1);
}

/* Is r open as s's current file or one of its rotated files still drained? */
static int
is_open(const struct rotated_file *r, const struct fsource *s)
{
	if (s->cur != NULL && r->dev == s->cur->dev && r->ino == s->cur->ino)
		return 1;
	for (size_t i = 0; i < s->nold; i++)
		if (r->dev == s->old[i]->dev && r->ino == s->old[i]->ino)
			return 1;
	return 0;
}

/*
 * The files of s's rotated set written after after_ns (the last write of the
 * file read before them; or at the same time: the clock of file times is
 * coarse) and not open already: a log rotated twice while
 * tlslogd was stopped or stalled has one between the file it knew and the
 * file now under the name. Also older ones whose record was written at
 * about that time and that hold more than it says was read (a rotated file
 * still drained at the last commit, written to after the one it follows). Each is read to its end, oldest first, from where
 * its record ends (a file read before has one) or from its start. said: the
 * caller reported the loss of a text that the oldest unreadable one holds.
 */
static void
read_between(struct follower *f, struct fsource *s, int64_t after_ns, const char *skip,
    int said, int64_t now_ms, const char *gap)
{
	struct rotated_file *files;
	size_t n = rotation_list(s->name, &files);
	struct stat now_named;
	int named = stat(s->name, &now_named) == 0;

	for (size_t i = 0; i < n && !batch_failed(f->batch); i++) {
		struct rotated_file *r = &files[i];

		if ((skip != NULL && strcmp(r->path, skip) == 0) || is_open(r, s) ||
		    (named && r->dev == now_named.st_dev && r->ino == now_named.st_ino))
			continue;
		if (r->mtime_ns < after_ns) {
			/* Older, but read at the time of the last commit and not to its end? */
			int64_t offset;
			int active = store_file_active(f->store, r->dev, r->ino,
			    after_ns / 1000000000 - 1, &offset);
			if (active < 0)
				batch_fail(f->batch);
			if (active <= 0 || offset >= r->size)
				continue;
		}
		if (rotation_unreadable(r->path) && said) {
			said = 0;	/* the oldest holds the text whose loss was said */
			continue;
		}
		if (rotation_unreadable(r->path)) {
			report_loss(f, s, 0, r->path, 0, "rotated while tlslogd was not reading and "
			    "compressed in a format tlslogd cannot read (decompress it and use "
			    "tlslogd scan on it)");
			continue;
		}
		read_rotated(f, s, r->path, 0, now_ms, gap);
	}
	rotation_free(files, n);
}

/*
 * Is the file under s's name the one whose record is rec (its text, under
 * whatever inode)? -1 when the database failed.
 */
static int
named_file_is(struct fsource *s, const struct store_file_record *rec)
{
	struct rotation_text want = {
		(dev_t)rec->dev, (ino_t)rec->ino, (uint64_t)rec->fingerprint,
		(size_t)rec->fingerprint_len
	};
	struct stat sb;

	if (stat(s->name, &sb) < 0)
		return 0;
	if (rec->fingerprint_len == 0)
		return (int64_t)sb.st_dev == rec->dev && (int64_t)sb.st_ino == rec->ino;
	return rotation_has_text(s->name, &want);
}

/*
 * A file read under s's name (its record rec) is not what the name leads to
 * now: it was rotated, copied and truncated, or compressed while tlslogd was
 * not running. Find its text in the rotated set and read its rest. *after_ns:
 * the last write of the file found (else of the record's last commit), for
 * read_between; *found (allocated or NULL): where it was; *said: its loss was
 * said and an unreadable compressed file may hold it.
 */
static void
read_rest_of(struct follower *f, struct fsource *s, const struct store_file_record *rec,
    int64_t now_ms, const char *gap, int64_t *after_ns, char **found, int *said)
{
	struct rotation_text want = {
		(dev_t)rec->dev, (ino_t)rec->ino, (uint64_t)rec->fingerprint,
		(size_t)rec->fingerprint_len
	};
	size_t unreadable = 0;

	*found = NULL;
	*said = 0;
	*after_ns = rec->updated * 1000000000;
	if (rec->fingerprint_len > 0 &&
	    rotation_find_text(s->name, 0, &want, found, after_ns, &unreadable)) {
		read_rotated(f, s, *found, rec->id, now_ms, gap);
	} else if (rec->size >= 0 && rec->offset >= rec->size && unreadable == 0) {
		log_info("%s: %s, read to its end (byte %lld) when last seen, is gone", s->name,
		    rec->path, (long long)rec->offset);
	} else if (rec->fingerprint_len > 0) {
		report_loss(f, s, rec->id, rec->path, rec->offset, unreadable ?
		    "a file read under this name is not among its rotated files that tlslogd can "
		    "read" : "a file read under this name is not among its rotated files");
		*said = unreadable > 0;
	}
}

/*
 * Where the last commit left s: the oldest file not finished (prev_id) and
 * the file under the name (cur_id). Each that the name no longer leads to
 * is finished where rotation took it, then the files rotated after it.
 */
static void
catch_up(struct follower *f, struct fsource *s, int64_t prev_id, int64_t cur_id,
    int64_t now_ms, const char *gap)
{
	int64_t ids[2] = { prev_id, cur_id != prev_id ? cur_id : 0 };
	int64_t after_ns = 0;
	char *path = NULL;
	int said = 0, moved = 0;

	for (int i = 0; i < 2 && !batch_failed(f->batch); i++) {
		struct store_file_record rec;
		int known = ids[i] > 0 ? store_file_get(f->store, ids[i], &rec) : 0;

		if (known < 0)
			batch_fail(f->batch);
		if (known <= 0 || named_file_is(s, &rec))
			continue;
		free(path);
		read_rest_of(f, s, &rec, now_ms, gap, &after_ns, &path, &said);
		moved = 1;
	}
	if (moved && !batch_failed(f->batch))
		read_between(f, s, after_ns, path, said, now_ms, gap);
	free(path);
}

/*
 * t's file no longer holds its text: it was truncated in place (logrotate's
 * copytruncate) or rewritten. What was not read of the text is in a copy in
 * the rotated set, perhaps compressed by now: read it there, through t's own
 * framer and correlator, from where t stopped. Then t is finished, and the
 * files rotated after that copy (copytruncate twice while stalled) are read.
 */
static void
read_rest_from(struct follower *f, struct tail *t, const char *path, int64_t now_ms)
{
	int64_t from = framer_offset(&t->fr);
	int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	struct logfile *lf = fd < 0 ? NULL : logfile_fdopen(fd, path, 0);
	int line_start;

	if (lf == NULL) {
		if (fd >= 0)
			close(fd);
		else
			log_warn("%s: cannot open", path);
		return;
	}
	/* The partial line t holds is read again from the copy. */
	framer_reset(&t->fr, from);
	if (logfile_seek_line(lf, from, &line_start) == from) {
		if (!line_start)
			framer_skip_line(&t->fr);
		for (;;) {
			size_t room;
			char *space = framer_space(&t->fr, &room);
			ssize_t n = logfile_read(lf, space, room);
			if (n <= 0)
				break;
			if (ingest_feed(t->ing, &t->fr, (size_t)n, now_ms) < 0) {
				batch_fail(f->batch);
				break;
			}
		}
	}
	if (!batch_failed(f->batch) && ingest_relocate(t->ing, logfile_fd(lf), path) < 0)
		batch_fail(f->batch);
	log_info("%s: its text goes on in %s: read %lld bytes there", t->name, path,
	    (long long)(framer_offset(&t->fr) - from));
	logfile_close(lf);
}

static void
finish_elsewhere(struct follower *f, struct fsource *s, struct tail *t, int64_t now_ms)
{
	struct rotation_text want = { t->dev, t->ino, 0, 0 };
	char *path = NULL;
	size_t unreadable = 0;
	int64_t after_ns = mtime_ns(t->fd);

	ingest_text(t->ing, &want.head_hash, &want.head_len);
	if (want.head_len > 0 &&
	    rotation_find_text(s->name, 0, &want, &path, &after_ns, &unreadable)) {
		read_rest_from(f, t, path, now_ms);
	} else if (t->size_seen > framer_offset(&t->fr) || unreadable) {
		report_loss(f, s, ingest_file_id(t->ing), t->name, framer_offset(&t->fr),
		    "truncated, and no copy of its text found among its rotated files");
	} else {
		log_info("%s: truncated; it was read to its end as last seen (byte %lld), and no "
		    "copy of it was found among its rotated files", t->name,
		    (long long)framer_offset(&t->fr));
	}
	if (s->cur == t)
		s->cur = NULL;
	old_remove(s, t);
	tail_close(f, s, t, 1);
	read_between(f, s, after_ns, path, path == NULL && unreadable > 0, now_ms,
	    "tlslogd was behind");
	free(path);
}

static void
say_waiting(struct fsource *s)
{
	if (s->waiting_logged)
		return;
	if (errno == ENOENT)
		log_info("%s: not there yet; waiting for it", s->name);
	else if (errno != EIO && errno != EINVAL)
		log_warn("%s: cannot open; trying again", s->name);
	s->waiting_logged = 1;
}

int
follow_start(struct follower *f, int64_t now_ms, const char *gap)
{
	for (size_t i = 0; i < f->n && !batch_failed(f->batch); i++) {
		struct fsource *s = &f->src[i];
		if (s->is_journal) {
			if (s->journal == NULL && journal_start(f, s) < 0)
				break;
			s->started = 1;
			continue;
		}
		int64_t prev_id = 0, cur_id = 0;
		char *cursor = NULL;
		int seen = store_source_get(f->store, s->name, &prev_id, &cur_id, &cursor);

		free(cursor);
		if (seen < 0) {
			batch_fail(f->batch);
			break;
		}
		if (s->cur != NULL)
			continue;
		if (seen && prev_id > 0)
			catch_up(f, s, prev_id, cur_id, now_ms, gap);
		if (batch_failed(f->batch))
			break;
		/* A source never seen starts at the end of its file, unless told otherwise. */
		s->cur = tail_open(f, s, s->name, !seen && !f->from_start, 0, now_ms);
		if (s->cur == NULL && !batch_failed(f->batch))
			say_waiting(s);
		s->started = 1;
	}
	return batch_failed(f->batch) ? -1 : 0;
}

/*
 * The file under the name no longer holds the text being read from it
 * (copytruncate, or rewritten in place): finish that text where it went,
 * then read the name from its start, as a new file.
 */
static void
restart_named(struct follower *f, struct fsource *s, struct tail *t, int64_t now_ms,
    size_t budget, int *more)
{
	struct stat sb;

	log_info("%s: truncated or rewritten in place (%lld bytes now, read up to %lld): reading "
	    "it again from its start", t->name, fstat(t->fd, &sb) == 0 ? (long long)sb.st_size : -1LL,
	    (long long)framer_offset(&t->fr));
	finish_elsewhere(f, s, t, now_ms);
	if (batch_failed(f->batch))
		return;
	s->cur = tail_open(f, s, s->name, 0, 0, now_ms);
	if (s->cur == NULL) {
		if (!batch_failed(f->batch))
			say_waiting(s);
		return;
	}
	if (tail_read(f, s->cur, now_ms, budget) == 1)
		*more = 1;
}

/* The name leads to a new file: t, rotated away, is drained a while longer. */
static void
rotated_away(struct follower *f, struct fsource *s, struct tail *t, int64_t now_ms,
    size_t budget, int *more)
{
	old_add(f, s, t, now_ms);
	s->cur = NULL;
	if (batch_failed(f->batch))
		return;
	/* Rotated more than once since it was last looked at: the files between. */
	read_between(f, s, mtime_ns(t->fd), NULL, 0, now_ms, "tlslogd was behind");
	if (batch_failed(f->batch))
		return;
	s->cur = tail_open(f, s, s->name, 0, 0, now_ms);
	log_info("%s: rotated; reading the new file from its start", s->name);
	if (s->cur == NULL) {
		if (!batch_failed(f->batch))
			say_waiting(s);
	} else if (tail_read(f, s->cur, now_ms, budget) == 1) {
		*more = 1;
	}
}

static void
poll_source(struct follower *f, struct fsource *s, int64_t now_ms, size_t budget, int *more)
{
	struct stat sb;

	note_poll(s, now_ms);
	if (s->cur == NULL) {
		/* Missing at start or after a rename: a file that appears is new, read from its start. */
		s->cur = tail_open(f, s, s->name, 0, 0, now_ms);
		if (s->cur == NULL) {
			if (!batch_failed(f->batch))
				say_waiting(s);
			return;
		}
		log_info("%s: appeared; reading it from its start", s->name);
	}
	struct tail *t = s->cur;
	int rc = tail_read(f, t, now_ms, budget);
	if (rc < 0)
		return;
	if (rc == 1)
		*more = 1;
	int at_end = rc == 0;
	int changed = rc == TAIL_CHANGED;
	if (rc == 0 && fstat(t->fd, &sb) == 0) {
		if ((int64_t)sb.st_size > t->size_seen)
			t->size_seen = (int64_t)sb.st_size;
		changed = (int64_t)sb.st_size < framer_offset(&t->fr) ||
		    ingest_same_text(t->ing, t->fd) == 0;
	}
	if (changed)
		restart_named(f, s, t, now_ms, budget, more);
	else if (rc == 0 && stat(s->name, &sb) == 0 &&
	    (sb.st_dev != t->dev || sb.st_ino != t->ino))
		rotated_away(f, s, t, now_ms, budget, more);
	if (batch_failed(f->batch))
		return;
	for (size_t i = 0; i < s->nold && !batch_failed(f->batch); ) {
		struct tail *o = s->old[i];
		rc = tail_read(f, o, now_ms, budget);
		if (rc == 1) {
			*more = 1;
			at_end = 0;
		}
		if (rc == TAIL_CHANGED) {
			finish_elsewhere(f, s, o, now_ms);	/* takes it off the list */
		} else if (rc == 0 && now_ms - o->last_growth_ms >= ROTATE_GRACE_MS) {
			old_remove(s, o);
			tail_close(f, s, o, 1);
		} else {
			ingest_settle(o->ing, now_ms, f->settle_ms);
			i++;
		}
	}
	if (s->cur != NULL)
		ingest_settle(s->cur->ing, now_ms, f->settle_ms);
	if (at_end)
		s->caught_up_ms = now_ms;
}

int
follow_poll(struct follower *f, int64_t now_ms, size_t budget)
{
	int more = 0;

	for (size_t i = 0; i < f->n && !batch_failed(f->batch); i++) {
		if (f->src[i].is_journal) {
			poll_journal(f, &f->src[i], now_ms, budget, &more);
			continue;
		}
		poll_source(f, &f->src[i], now_ms, budget, &more);
	}
	return batch_failed(f->batch) ? -1 : more;
}

size_t
follow_pending(const struct follower *f)
{
	return batch_pending(f->batch);
}

int
follow_dirty(const struct follower *f)
{
	return f->dirty || batch_in_txn(f->batch) || batch_pending(f->batch) > 0;
}

int
follow_commit(struct follower *f)
{
	if (!follow_dirty(f))
		return batch_failed(f->batch) ? -1 : 0;
	for (size_t i = 0; i < f->n && !batch_failed(f->batch); i++) {
		struct fsource *s = &f->src[i];
		const char *cursor = NULL;
		int64_t file_id = 0;

		for (size_t k = 0; k <= s->nold; k++) {
			struct tail *t = k < s->nold ? s->old[k] : s->cur;
			if (t != NULL)
				(void)ingest_record_position(t->ing, framer_offset(&t->fr), NULL);
		}
		if (s->journal != NULL) {
			(void)journal_record(s->journal, &cursor);
			file_id = ingest_file_id(journal_ingest(s->journal));
		}
		struct follow_totals now;
		source_totals(s, &now);
		/*
		 * The oldest file not finished under the name: while a rotated file is
		 * still drained, a restart must find it (as NAME.1) and read its rest.
		 */
		const struct tail *oldest = s->nold > 0 ? s->old[0] : s->cur;
		if (oldest != NULL)
			file_id = ingest_file_id(oldest->ing);
		if (!batch_failed(f->batch) && (oldest != NULL || s->journal != NULL || s->started) &&
		    (batch_begin(f->batch) < 0 || store_source_set(f->store, s->name, file_id,
		    s->cur != NULL ? ingest_file_id(s->cur->ing) : 0, cursor,
		    (int64_t)(now.lines - s->recorded.lines),
		    (int64_t)(now.cut_lines - s->recorded.cut_lines),
		    (int64_t)(now.unknown - s->recorded.unknown)) < 0))
			batch_fail(f->batch);
		s->pending_record = now;
	}
	/* The positions and the events before them, all or nothing (batch.h). */
	if (batch_failed(f->batch) || batch_commit(f->batch) < 0) {
		batch_rollback(f->batch);
		return -1;
	}
	f->dirty = 0;
	for (size_t i = 0; i < f->n; i++)
		f->src[i].recorded = f->src[i].pending_record;
	return 0;
}

void
follow_stop(struct follower *f)
{
	for (size_t i = 0; i < f->n; i++) {
		tail_close(f, &f->src[i], f->src[i].cur, 0);
		f->src[i].cur = NULL;
		while (f->src[i].nold > 0) {
			struct tail *o = f->src[i].old[f->src[i].nold - 1];
			f->src[i].nold--;
			tail_close(f, &f->src[i], o, 0);
		}
		if (f->src[i].journal != NULL) {
			add_ingest(&f->src[i].closed, journal_ingest(f->src[i].journal));
			journal_close(f->src[i].journal);
			f->src[i].journal = NULL;
		}
		f->src[i].waiting_logged = 0;
	}
	batch_reset(f->batch);
	f->dirty = 0;
}

void
follow_totals(const struct follower *f, struct follow_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < f->n; i++) {
		struct follow_totals st;
		source_totals(&f->src[i], &st);
		follow_totals_add(t, &st);
	}
}

void
follow_totals_add(struct follow_totals *to, const struct follow_totals *t)
{
	to->lines += t->lines;
	to->bytes += t->bytes;
	to->matched += t->matched;
	to->events += t->events;
	to->cut_lines += t->cut_lines;
	to->no_header += t->no_header;
	to->unknown += t->unknown;
	for (int k = 0; k < KIND_COUNT; k++)
		to->kind_events[k] += t->kind_events[k];
}

void
follow_log_sources(const struct follower *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct fsource *s = &f->src[i];
		struct stat sb;

		if (s->is_journal) {
			struct follow_totals t;
			source_totals(s, &t);
			uint64_t usec = s->journal ? journal_last_usec(s->journal) : 0;
			if (s->journal == NULL)
				log_info("source %s: waiting for the journal", s->name);
			else
				log_info("source %s: the last entry read was written %.0f s ago; %llu "
				    "lines, %llu events, %llu lines about TLS or AUTH no rule knows, "
				    "%llu cut",
				    s->name, usec ? (double)time(NULL) - (double)usec / 1e6 : -1.0,
				    (unsigned long long)t.lines, (unsigned long long)t.events,
				    (unsigned long long)t.unknown, (unsigned long long)t.cut_lines);
			continue;
		}
		if (s->cur == NULL) {
			log_info("source %s: waiting for the file", s->name);
			continue;
		}
		int64_t pos = framer_offset(&s->cur->fr);
		int64_t behind = fstat(s->cur->fd, &sb) == 0 ? (int64_t)sb.st_size - pos : -1;
			struct follow_totals t;
		source_totals(s, &t);
		log_info("source %s: byte %lld read, %lld behind the end; %llu lines, %llu events, "
		    "%llu lines about TLS or AUTH no rule knows, %llu cut%s", s->name, (long long)pos,
		    (long long)behind, (unsigned long long)t.lines, (unsigned long long)t.events,
		    (unsigned long long)t.unknown, (unsigned long long)t.cut_lines,
		    s->nold > 0 ? " (draining the rotated file)" : "");
	}
}

/* The bytes of t's file after what was read, 0 when it cannot be known. */
static int64_t
tail_behind(const struct tail *t)
{
	struct stat sb;

	if (t == NULL || fstat(t->fd, &sb) < 0)
		return 0;
	int64_t behind = (int64_t)sb.st_size - framer_offset(&t->fr);
	return behind > 0 ? behind : 0;
}

void
follow_lag(const struct follower *f, size_t i, int64_t now_ms, struct follow_lag *lag)
{
	const struct fsource *s = &f->src[i];

	memset(lag, 0, sizeof(*lag));
	lag->is_journal = s->is_journal;
	lag->open = s->is_journal ? s->journal != NULL : s->cur != NULL;
	if (!s->is_journal) {
		lag->bytes = tail_behind(s->cur);
		for (size_t k = 0; k < s->nold; k++)
			lag->bytes += tail_behind(s->old[k]);
	}
	/*
	 * A file is behind while bytes wait; a journal while its last poll
	 * stopped with more to read. Behind since the last poll that read to
	 * the end, or since the first poll when none did yet.
	 */
	int behind = s->is_journal ? lag->open && s->caught_up_ms < s->polled_ms : lag->bytes > 0;
	int64_t since = s->caught_up_ms > 0 ? s->caught_up_ms : s->first_polled_ms;
	if (behind && since > 0 && now_ms > since)
		lag->seconds = (double)(now_ms - since) / 1000.0;
}

const char *
follow_name(const struct follower *f, size_t i)
{
	return f->src[i].name;
}

size_t
follow_count(const struct follower *f)
{
	return f->n;
}

const char *
follow_path(const struct follower *f, size_t i)
{
	return i < f->n && !f->src[i].is_journal ? f->src[i].name : NULL;
}

int
follow_journal_fd(const struct follower *f, size_t i)
{
	if (i < f->n && f->src[i].journal != NULL)
		return journal_fd(f->src[i].journal);
	return -1;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest.c: one input's reading (see ingest.h): which file it is and where
 * its reading resumes, the bytes read (plain or gzip, on threads for a big
 * file), fed to its pipeline (pipeline.h), whose events and positions go to
 * the batch (batch.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "conf.h"
#include "framer.h"
#include "ingest.h"
#include "log.h"
#include "logfile.h"
#include "matchpool.h"
#include "pipeline.h"
#include "util.h"

#define HEAD_MAX 1024
#define DEFAULT_BATCH 5000
#define DEFAULT_LINGER 10

void
ingest_options_default(struct ingest_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->forced_set = -1;
	opt->max_line = CONF_DEFAULT_MAX_LINE;
	opt->batch_events = DEFAULT_BATCH;
	opt->linger = DEFAULT_LINGER;
	opt->count_successes = 1;
}

/*
 * One input's reading (see ingest.h). Only this file knows its fields; the
 * pipeline (pipeline.h) makes the events, the batch (batch.h) stores them.
 */
struct ingest {
	struct batch *batch;	/* the writer its events and positions go to */
	struct store *store;	/* the batch's, for the file records */
	struct pipeline *pipe;
	struct ingest_options opt;
	uint64_t files;
	uint64_t held;		/* failures at the end of a live file, left for the next scan */
	struct batch_tally stored;	/* what its events came to (batch.h) */
	int64_t file_id;	/* record of the file being read, 0 for a stream */
	int stream_copy;	/* a stream with file_id's text: its position is not recorded */
	int fd;			/* the followed file (ingest_attach), -1 */
	int head_complete;	/* its recorded first line is whole */
	size_t head_len;
	uint64_t head_hash;	/* FNV-1a of the recorded first head_len bytes */
};

/* A finished failure goes to the writer (batch.h), counted in this input's tally. */
static void
emit(void *ctx, struct event *ev)
{
	struct ingest *ing = ctx;

	batch_add(ing->batch, ev, &ing->stored);
}

/* A success line goes to the writer, which counts it once (batch_success). */
static void
on_success(void *ctx, const struct success *s, int64_t offset)
{
	struct ingest *ing = ctx;

	batch_success(ing->batch, ing->file_id, offset, s);
}

struct ingest *
ingest_new(struct rules *rules, struct batch *batch, const struct ingest_options *opt)
{
	struct ingest *ing = xcalloc(1, sizeof(*ing));
	struct pipeline_options popt = {
		.forced_set = opt->forced_set, .server = opt->server, .linger = opt->linger,
		.count_unknown = opt->count_unknown
	};

	ing->batch = batch;
	ing->store = batch_store(batch);
	ing->opt = *opt;
	ing->fd = -1;
	ing->pipe = pipeline_new(rules, &popt, emit, ing);
	if (opt->count_successes)
		pipeline_count_successes(ing->pipe, on_success);
	return ing;
}

void
ingest_free(struct ingest *ing)
{
	if (ing == NULL)
		return;
	batch_tally_drop(ing->batch, &ing->stored);
	pipeline_free(ing->pipe);
	free(ing);
}

void
ingest_get_stats(const struct ingest *ing, struct ingest_stats *st)
{
	const struct pipeline_stats *p = pipeline_stats(ing->pipe);

	memset(st, 0, sizeof(*st));
	st->files = ing->files;
	st->lines = p->lines;
	st->bytes = p->bytes;
	st->no_header = p->no_header;
	st->cut_lines = p->cut_lines;
	st->matched = p->matched;
	st->unknown = p->unknown;
	st->held = ing->held;
	st->events = ing->stored.events;
	st->duplicates = ing->stored.duplicates;
	memcpy(st->kind_events, ing->stored.kind_events, sizeof(st->kind_events));
}

int64_t
ingest_file_id(const struct ingest *ing)
{
	return ing->file_id;
}

void
ingest_text(const struct ingest *ing, uint64_t *head_hash, size_t *head_len)
{
	*head_hash = ing->head_hash;
	*head_len = ing->head_len;
}

/* The record of the input: its events carry it. */
static void
set_file(struct ingest *ing, int64_t file_id)
{
	ing->file_id = file_id;
	pipeline_set_file(ing->pipe, file_id);
}

/*
 * After the last newline of fd's bytes [start, size), looked for back from
 * size over at most search bytes: start when there is none down to start,
 * -1 when the search gave up (no newline within search bytes, a read error).
 */
static int64_t
after_last_newline(int fd, int64_t start, int64_t size, int64_t search)
{
	char buf[16384];
	int64_t pos = size;

	while (pos > start) {
		if (size - pos >= search)
			return -1;
		size_t want = pos - start < (int64_t)sizeof(buf) ? (size_t)(pos - start) : sizeof(buf);
		if (pread(fd, buf, want, (off_t)(pos - (int64_t)want)) != (ssize_t)want)
			return -1;
		for (size_t i = want; i > 0; i--)
			if (buf[i - 1] == '\n')
				return pos - (int64_t)want + (int64_t)i;
		pos -= (int64_t)want;
	}
	return start;
}

int
ingest_at_line_start(int fd, int64_t offset)
{
	char before;

	if (offset <= 0)
		return 1;
	/* A read error here is one the reading itself meets: keep the line rather than lose it. */
	return pread(fd, &before, 1, (off_t)(offset - 1)) != 1 || before == '\n';
}

/* Where a commit may record this input as read to: never past a line the correlator holds. */
static int64_t
safe_offset(const struct ingest *ing, int64_t read_offset)
{
	return pipeline_safe_offset(ing->pipe, read_offset);
}

/*
 * Commit the batch with this input's position (a stream's is not recorded;
 * a stream with a known file's text records only how far its successes
 * were counted).
 */
static int
checkpoint(struct ingest *ing, int64_t read_offset)
{
	if (ing->file_id != 0 && batch_position(ing->batch, ing->file_id,
	    ing->stream_copy ? -1 : safe_offset(ing, read_offset), read_offset, -1) < 0)
		return -1;
	return batch_commit(ing->batch);
}

/*
 * Successes waiting for this many positions are folded into their rows:
 * some 1.5 MB of them at most, however long a scan goes without a commit.
 */
#define SUCCESSES_FOLD 16384

/*
 * Record this input's position in the open transaction without committing,
 * when many successes wait for it: they are then counted into their rows.
 */
static int
fold_successes(struct ingest *ing, int64_t read_offset)
{
	if (ing->file_id == 0 || batch_successes_waiting(ing->batch) < SUCCESSES_FOLD)
		return 0;
	return batch_position(ing->batch, ing->file_id,
	    ing->stream_copy ? -1 : safe_offset(ing, read_offset), read_offset, -1);
}

/*
 * Find the file in the store (store_file_resume: by inode and first line, or
 * by its text) and set ing->file_id; *offset is where its committed reading
 * ended (0 for a file never seen). head: its first line as read now; size:
 * its size (INT64_MAX for a compressed file). Inside a transaction.
 */
static int
identify(struct ingest *ing, const char *path, const struct stat *sb, const char *head,
    size_t head_len, int whole, int64_t size, int64_t *offset)
{
	/* Record the absolute name: the database outlives the working folder. */
	char *abs = realpath(path, NULL);
	struct store_file_key key = {
		.path = abs ? abs : path, .dev = sb->st_dev, .ino = sb->st_ino,
		.head = head, .head_len = head_len, .head_whole = whole
	};
	int64_t file_id;
	int rc = store_file_resume(ing->store, &key, size, &file_id, offset);

	free(abs);
	if (rc < 0) {
		batch_fail(ing->batch);
		return -1;
	}
	set_file(ing, file_id);
	ing->head_complete = whole;
	ing->head_len = head_len;
	ing->head_hash = util_fnv1a(head, head_len);
	return 0;
}

/* The first line of fd (a plain file) now, as identify wants it. -1 on a read error (logged). */
static int
read_head(int fd, const char *path, char *head, size_t *len, int *whole)
{
	ssize_t n = pread(fd, head, HEAD_MAX, 0);

	if (n < 0) {
		log_warn("%s: cannot read", path);
		return -1;
	}
	char *nl = memchr(head, '\n', (size_t)n);
	*len = nl ? (size_t)(nl - head) + 1 : (size_t)n;
	*whole = nl != NULL || (size_t)n == HEAD_MAX;
	return 0;
}

/*
 * A stream has no name to be known by, only its first line: when exactly one
 * record of any log has that whole first line (`zcat mail.log.1.gz | tlslogd
 * scan -` of a file read before), its events take that record's offsets, so
 * that nothing stored is stored again; the record's position is left to the
 * file itself (another log may begin with the same line). The first line is
 * read here, then framed. -1 on a read error (logged) or a database failure.
 */
static int
stream_head(struct ingest *ing, struct logfile *lf, struct framer *fr)
{
	size_t room, got = 0;
	char *space = framer_space(fr, &room);
	size_t want = room < HEAD_MAX ? room : HEAD_MAX;
	char *nl = NULL;

	while (got < want && nl == NULL) {
		ssize_t n = logfile_read(lf, space + got, want - got);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		nl = memchr(space + got, '\n', (size_t)n);
		got += (size_t)n;
	}
	if (got == 0)
		return 0;
	const char *format = logfile_unreadable_compression(space, got);
	if (format == NULL && logfile_is_gzip(space, got))
		format = "gzip";
	if (format != NULL) {
		log_warnx("(standard input): compressed with %s: decompress it first, or name the "
		    "file (a .gz file is read directly)", format);
		return -1;
	}
	size_t len = nl != NULL ? (size_t)(nl - space) + 1 : got;
	int64_t id = 0;
	if (batch_begin(ing->batch) < 0)
		return -1;
	int found = nl != NULL || len == HEAD_MAX ?
	    store_file_find_head(ing->store, space, len, &id) : 0;
	if (found < 0) {
		batch_fail(ing->batch);
		return -1;
	}
	if (found) {
		set_file(ing, id);
		ing->stream_copy = 1;
	}
	pipeline_feed(ing->pipe, fr, got, 0);
	return batch_failed(ing->batch) ? -1 : 0;
}

/*
 * Read lf from offset (where it is) to its end through the framer. stream:
 * standard input or a pipe: commit before every read (it may make us wait).
 * final: nothing will ever be appended (a stream, a compressed file): a last
 * line without its newline is a line. skip_line: offset is in the rest of a
 * cut line. -1 on a read error (logged).
 */
static int
read_all(struct ingest *ing, struct logfile *lf, int64_t offset, int stream, int final,
    int skip_line, int64_t *end_offset)
{
	struct framer fr;
	int rc = 0;

	framer_init(&fr, ing->opt.max_line, offset);
	if (skip_line)
		framer_skip_line(&fr);	/* the last scan stopped in the rest of a cut line */
	if (stream && stream_head(ing, lf, &fr) < 0)
		rc = -1;
	while (rc == 0) {
		size_t room;
		char *space = framer_space(&fr, &room);
		/* A stream may make us wait: never with a transaction open. */
		if (stream && (batch_in_txn(ing->batch) || batch_pending(ing->batch) > 0) &&
		    checkpoint(ing, framer_offset(&fr)) < 0) {
			rc = -1;
			break;
		}
		ssize_t n = logfile_read(lf, space, room);

		if (n < 0) {
			rc = -1;	/* logged */
			break;
		}
		if (n == 0)
			break;
		pipeline_feed(ing->pipe, &fr, (size_t)n, 0);
		if (batch_failed(ing->batch)) {
			rc = -1;
			break;
		}
		if (batch_pending(ing->batch) >= ing->opt.batch_events ?
		    checkpoint(ing, framer_offset(&fr)) < 0 :
		    fold_successes(ing, framer_offset(&fr)) < 0) {
			rc = -1;
			break;
		}
	}
	if (final && rc == 0)
		framer_finish(&fr, pipeline_line, ing->pipe);
	*end_offset = framer_offset(&fr);
	framer_free(&fr);
	return rc;
}

/*
 * Reading with threads (opt.match_threads > 1): workers read and match the
 * file's complete lines in blocks, and this thread takes their results in
 * order (matchpool.h) to the correlator and the store. What was appended
 * after the last complete line when the scan began is read line by line.
 */

/* Smaller files are read line by line: threads would not pay for themselves. */
#define PARALLEL_MIN (1024 * 1024)
/* The threads' buffers take at most this (--max-line 64 MiB: no threads). */
#define PARALLEL_MEMORY (64 * 1024 * 1024)
/* How far back from the end a newline is looked for; a log has one sooner. */
#define REGION_END_SEARCH (4 * 1024 * 1024)

/*
 * How many threads: opt.match_threads, fewer when their buffers (2N + 1 of
 * a maximal line and a block each) would pass PARALLEL_MEMORY; below 2, none.
 */
static int
parallel_threads(const struct ingest *ing)
{
	size_t slot = ing->opt.max_line + MATCHPOOL_BLOCK;
	size_t slots = PARALLEL_MEMORY / slot;
	int n = ing->opt.match_threads;

	if ((size_t)(2 * n + 1) > slots)
		n = slots >= 3 ? (int)((slots - 1) / 2) : 1;
	return n;
}

/*
 * Read [offset, end) of fd with matching threads; *resume: where reading
 * goes on. 1 when the threads cannot be started (nothing was read), -1 on a
 * read error (logged) or a database failure (batch_failed(ing->batch)), else 0.
 */
static int
read_region_parallel(struct ingest *ing, int fd, const char *name, int64_t offset, int64_t end,
    int64_t *resume)
{
	struct matchpool *pool;
	struct match_block *b;
	int rc = 0;

	int threads = parallel_threads(ing);
	if (threads < 2)
		return 1;
	pool = matchpool_new(pipeline_linematch(ing->pipe), threads, ing->opt.max_line, fd, offset,
	    end);
	if (pool == NULL)
		return 1;
	*resume = offset;
	int complete = 1;
	while ((b = matchpool_next(pool)) != NULL) {
		pipeline_block(ing->pipe, b);
		if (b->resume >= 0)
			*resume = b->resume;
		int read_errno = b->read_errno, shrunk = b->shrunk;
		matchpool_release(pool, b);
		if (batch_failed(ing->batch)) {
			rc = -1;
			break;
		}
		if (read_errno != 0) {
			errno = read_errno;
			log_warn("%s: read error at byte %lld", name, (long long)*resume);
			rc = -1;
			break;
		}
		if (shrunk) {
			/* Cut shorter under us: the reader line by line takes it from here. */
			complete = 0;
			break;
		}
		if (batch_pending(ing->batch) >= ing->opt.batch_events ?
		    checkpoint(ing, *resume) < 0 : fold_successes(ing, *resume) < 0) {
			rc = -1;
			break;
		}
	}
	matchpool_free(pool);	/* stops the workers; drops what was not taken */
	if (rc == 0 && complete)
		*resume = end;	/* all of it (even after a cut last line: not in its middle) */
	return rc;
}

/* read_all of a plain regular file, its complete lines on threads when it is big enough. */
static int
read_file(struct ingest *ing, struct logfile *lf, const char *name, int64_t offset, int64_t size,
    int skip_line, int64_t *end_offset)
{
	int64_t end = -1;
	int fd = logfile_fd(lf);

	if (ing->opt.match_threads > 1 && size - offset >= PARALLEL_MIN && !skip_line)
		end = after_last_newline(fd, offset, size, REGION_END_SEARCH);
	if (end - offset >= PARALLEL_MIN) {
		int64_t resume;
		int rc = read_region_parallel(ing, fd, name, offset, end, &resume);
		if (rc < 0) {
			*end_offset = resume;
			return -1;
		}
		if (rc == 0 && logfile_seek(lf, resume) < 0) {
			*end_offset = resume;
			return -1;
		}
		if (rc == 0)
			offset = resume;	/* the rest, appended since, line by line */
	}
	return read_all(ing, lf, offset, 0, 0, skip_line, end_offset);
}

static int attach_known(struct ingest *ing, int64_t known_id, const char *path,
    const struct stat *sb, const char *head, size_t head_len, int whole, int64_t size,
    int64_t *offset);

/*
 * Inside the transaction (a daemon's commit may have moved the file's record
 * while we waited for it): find lf's record (known_id > 0: that one) and go to where its reading
 * ended. *skip_line: that is in the rest of a cut line. *size: the file's
 * size now (INT64_MAX for a compressed file).
 */
static int
resume_file(struct ingest *ing, struct logfile *lf, const char *path, int64_t known_id,
    int64_t *offset, int *skip_line, int64_t *size)
{
	struct stat sb;
	char head[HEAD_MAX];
	const char *h = head;
	size_t head_len;
	int whole, fd = logfile_fd(lf);

	if (fstat(fd, &sb) < 0) {
		log_warn("%s", path);
		return -1;
	}
	if (logfile_compressed(lf)) {
		h = logfile_head(lf, &head_len, &whole);
		*size = INT64_MAX;
	} else {
		if (read_head(fd, path, head, &head_len, &whole) < 0)
			return -1;
		*size = (int64_t)sb.st_size;
	}
	if (known_id > 0 ? attach_known(ing, known_id, path, &sb, h, head_len, whole, *size,
	    offset) < 0 : identify(ing, path, &sb, h, head_len, whole, *size, offset) < 0)
		return -1;
	int line_start;
	int64_t at = logfile_seek_line(lf, *offset, &line_start);
	if (at < 0)
		return -1;
	if (at < *offset) {
		log_warnx("%s: shorter than what was read of it (byte %lld): nothing new", path,
		    (long long)*offset);
		*offset = at;
	}
	*skip_line = !line_start;
	return 0;
}

int
ingest_path(struct ingest *ing, const char *path)
{
	return ingest_path_known(ing, path, 0);
}

int
ingest_path_known(struct ingest *ing, const char *path, int64_t known_id)
{
	int is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "(standard input)" : path;
	struct stat sb;
	int fd, rc, skip_line = 0;
	int64_t offset = 0, end = 0, size = 0;

	/* Standard input is read through a copy: closing it must not close ours. */
	fd = is_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("cannot open %s", path);
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		log_warn("%s", name);
		close(fd);
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		log_warnx("%s: is a directory, not a log file", name);
		close(fd);
		return -1;
	}
	/* Standard input is a stream even when redirected from a file: it has no name to track. */
	int stream = is_stdin || !S_ISREG(sb.st_mode);
	struct logfile *lf = logfile_fdopen(fd, name, stream ? 0 : HEAD_MAX);
	if (lf == NULL) {
		close(fd);
		return -1;
	}
	int compressed = logfile_compressed(lf);
	size_t head_len;
	int whole;
	const char *head = logfile_head(lf, &head_len, &whole);
	const char *format = stream ? NULL : logfile_unreadable_compression(head, head_len);
	if (format != NULL) {
		log_warnx("%s: compressed with %s, which tlslogd does not read: decompress it first "
		    "(or scan it as a stream, e.g. %s -dc FILE | tlslogd scan -)", name, format,
		    strcmp(format, "bzip2") == 0 ? "bzip2" : strcmp(format, "compress") == 0 ?
		    "gzip" : format);
		logfile_close(lf);
		return -1;
	}
	if (batch_begin(ing->batch) < 0)
		goto fail;
	ing->file_id = 0;
	pipeline_start(ing->pipe, 0, stream ? (int64_t)time(NULL) : (int64_t)sb.st_mtime);
	if (!stream && resume_file(ing, lf, path, known_id, &offset, &skip_line, &size) < 0) {
		batch_rollback(ing->batch);
		goto fail;
	}
	ing->files++;
	if (stream || compressed)
		rc = read_all(ing, lf, offset, stream, 1, skip_line, &end);
	else
		rc = read_file(ing, lf, name, offset, size, skip_line, &end);
	if (batch_failed(ing->batch)) {
		batch_rollback(ing->batch);
		goto fail;
	}
	/*
	 * A file still being written may be in the middle of a failure: those
	 * lines wait for the next scan (the position stays before them). Other
	 * open failures are complete. A modification time in the future (a
	 * clock step, a copied file) says nothing about the file being written.
	 */
	int64_t age = -1;
	if (!stream && !compressed && fstat(fd, &sb) == 0)
		age = (int64_t)time(NULL) - (int64_t)sb.st_mtime;
	pipeline_end(ing->pipe, age >= 0 && age <= ing->opt.linger);
	if (checkpoint(ing, end) < 0)
		goto fail;
	ing->held += pipeline_held(ing->pipe);
	pipeline_discard(ing->pipe);
	logfile_close(lf);
	set_file(ing, 0);
	ing->stream_copy = 0;
	return rc;
fail:
	/* Nothing of this file's open failures was committed: drop them. */
	pipeline_discard(ing->pipe);
	logfile_close(lf);
	set_file(ing, 0);
	ing->stream_copy = 0;
	return -1;
}

/*
 * The follower's side. Each followed file has its own ingest (matcher clock,
 * correlator, counters); they share the store and its transaction, which the
 * daemon commits after recording every file's position.
 */

/* Take the record known_id for fd's file (the caller found its text there). */
static int
attach_known(struct ingest *ing, int64_t known_id, const char *path, const struct stat *sb,
    const char *head, size_t head_len, int whole, int64_t size, int64_t *offset)
{
	struct store_file_record rec;
	int found = store_file_get(ing->store, known_id, &rec);

	if (found <= 0) {
		if (found == 0)
			log_warnx("%s: its record (%lld) is gone from the database", path,
			    (long long)known_id);
		if (found < 0)
			batch_fail(ing->batch);
		return -1;
	}
	char *abs = realpath(path, NULL);
	struct store_file_key key = {
		.path = abs ? abs : path, .dev = sb->st_dev, .ino = sb->st_ino,
		.head = head, .head_len = head_len, .head_whole = whole
	};
	int rc = store_file_adopt(ing->store, known_id, &key);
	free(abs);
	if (rc < 0) {
		batch_fail(ing->batch);
		return -1;
	}
	set_file(ing, known_id);
	*offset = rec.offset < size ? rec.offset : size;
	/* The record's first line is what the file must keep starting with. */
	ing->head_len = (size_t)rec.fingerprint_len;
	ing->head_hash = (uint64_t)rec.fingerprint;
	ing->head_complete = ing->head_len == head_len && whole;
	return 0;
}

int
ingest_attach(struct ingest *ing, int fd, const char *path, int at_end, int64_t known_id,
    int64_t *offset)
{
	struct stat sb;
	char head[HEAD_MAX];
	size_t head_len;
	int whole;

	if (batch_begin(ing->batch) < 0)
		return -1;
	/* Inside the transaction: a scan's commit may have moved the file's record. */
	if (fstat(fd, &sb) < 0) {
		log_warn("%s", path);
		return -1;
	}
	if (read_head(fd, path, head, &head_len, &whole) < 0)
		return -1;
	if (known_id > 0) {
		if (attach_known(ing, known_id, path, &sb, head, head_len, whole,
		    (int64_t)sb.st_size, offset) < 0)
			return -1;
	} else if (identify(ing, path, &sb, head, head_len, whole, (int64_t)sb.st_size,
	    offset) < 0)
		return -1;
	ing->fd = fd;
	/* The file is being written now: its RFC 3164 lines are of this year. */
	pipeline_start(ing->pipe, ing->file_id, (int64_t)time(NULL));
	if (*offset == 0 && at_end) {
		/* After the last complete line; no newline in its last MiB: not a text log, its end. */
		int64_t after = after_last_newline(fd, 0, (int64_t)sb.st_size, 1024 * 1024);
		*offset = after < 0 ? (int64_t)sb.st_size : after;
		if (*offset > 0)
			log_info("%s: new file, reading from its end (byte %lld)", path,
			    (long long)*offset);
	}
	ing->files++;
	return 0;
}

int
ingest_same_text(const struct ingest *ing, int fd)
{
	char head[HEAD_MAX];

	if (ing->head_len == 0)
		return 1;
	ssize_t n = pread(fd, head, ing->head_len, 0);
	if (n < 0)
		return -1;
	return (size_t)n == ing->head_len && util_fnv1a(head, ing->head_len) == ing->head_hash;
}

int
ingest_relocate(struct ingest *ing, int fd, const char *path)
{
	struct stat sb;
	char head[HEAD_MAX];
	size_t head_len;
	int whole;

	if (batch_failed(ing->batch) || batch_begin(ing->batch) < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || read_head(fd, path, head, &head_len, &whole) < 0) {
		log_warn("%s", path);
		return 0;	/* the record keeps its old place: found by its text next time */
	}
	char *abs = realpath(path, NULL);
	struct store_file_key key = {
		.path = abs ? abs : path, .dev = sb.st_dev, .ino = sb.st_ino,
		.head = head, .head_len = head_len, .head_whole = whole
	};
	int rc = store_file_adopt(ing->store, ing->file_id, &key);
	free(abs);
	if (rc < 0) {
		batch_fail(ing->batch);
		return -1;
	}
	ing->fd = -1;	/* the file it was attached to holds another text now */
	return 0;
}

int
ingest_feed(struct ingest *ing, struct framer *fr, size_t n, int64_t now_ms)
{
	if (batch_failed(ing->batch))
		return -1;
	pipeline_feed(ing->pipe, fr, n, now_ms);
	return batch_failed(ing->batch) ? -1 : 0;
}

void
ingest_settle(struct ingest *ing, int64_t now_ms, int64_t idle_ms)
{
	pipeline_settle(ing->pipe, now_ms, idle_ms);
}

int
ingest_attach_named(struct ingest *ing, const char *name, int64_t *offset)
{
	size_t len = strlen(name);

	if (batch_begin(ing->batch) < 0)
		return -1;
	/* No device, no inode: the name is the identity, and nothing is ever shorter. */
	struct store_file_key key = {
		.path = name, .dev = 0, .ino = 0, .head = name, .head_len = len, .head_whole = 0
	};
	int64_t file_id;
	if (store_file_resume(ing->store, &key, INT64_MAX, &file_id, offset) < 0) {
		batch_fail(ing->batch);
		return -1;
	}
	ing->fd = -1;
	ing->head_complete = 1;
	ing->head_len = len;
	pipeline_start(ing->pipe, file_id, (int64_t)time(NULL));
	set_file(ing, file_id);
	ing->files++;
	return 0;
}

int
ingest_record_position(struct ingest *ing, int64_t read_offset, int64_t *recorded)
{
	if (ing->file_id == 0 || batch_begin(ing->batch) < 0)
		return -1;
	int64_t pos = safe_offset(ing, read_offset);
	if (!ing->head_complete && ing->fd >= 0 && read_offset > (int64_t)ing->head_len) {
		/* The file was recorded while its first line was incomplete: record it now. */
		char head[HEAD_MAX];
		size_t len;
		int whole;
		if (read_head(ing->fd, "(followed file)", head, &len, &whole) == 0 &&
		    len > ing->head_len && util_fnv1a(head, ing->head_len) == ing->head_hash) {
			if (store_file_set_head(ing->store, ing->file_id, head, len, whole) < 0) {
				batch_fail(ing->batch);
				return -1;
			}
			ing->head_len = len;
			ing->head_hash = util_fnv1a(head, len);
			ing->head_complete = whole;
		}
	}
	struct stat sb;
	int64_t size = ing->fd >= 0 && fstat(ing->fd, &sb) == 0 ? (int64_t)sb.st_size : -1;
	if (batch_position(ing->batch, ing->file_id, pos, read_offset, size) < 0)
		return -1;
	if (recorded != NULL)
		*recorded = pos;
	return 0;
}

int
ingest_detach(struct ingest *ing, struct framer *fr, int finished)
{
	int rc = 0;

	if (finished && !batch_failed(ing->batch)) {
		/* Rotated away and drained: its last partial line and open failures are final. */
		framer_finish(fr, pipeline_line, ing->pipe);
		pipeline_end(ing->pipe, 0);
		rc = ingest_record_position(ing, framer_offset(fr), NULL);
	} else {
		/* Not committed: the lines of open failures are read again next time. */
		pipeline_discard(ing->pipe);
	}
	ing->fd = -1;
	return batch_failed(ing->batch) ? -1 : rc;
}

/*
 * ingest.c: bytes to stored events (see ingest.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "framer.h"
#include "ingest.h"
#include "log.h"
#include "util.h"

#define HEAD_MAX 1024
#define DEFAULT_MAX_LINE (64 * 1024)
#define DEFAULT_BATCH 5000
#define DEFAULT_LINGER 10
#define MAX_OPEN_FAILURES 4096

void
ingest_options_default(struct ingest_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->forced_set = -1;
	opt->max_line = DEFAULT_MAX_LINE;
	opt->batch_events = DEFAULT_BATCH;
	opt->linger = DEFAULT_LINGER;
}

static void
emit(void *ctx, struct event *ev)
{
	struct ingest *ing = ctx;
	int rc;

	if (ing->store_failed) {
		event_free(ev);
		return;
	}
	rc = store_add_event(ing->store, ev);
	if (rc < 0)
		ing->store_failed = 1;
	else if (rc == 0)
		ing->batch_duplicates++;
	else {
		ing->batch_events++;
		ing->batch_kind[ev->kind]++;
	}
	ing->pending++;
	event_free(ev);
}

void
ingest_init(struct ingest *ing, struct rules *rules, struct store *store,
    const struct ingest_options *opt)
{
	memset(ing, 0, sizeof(*ing));
	ing->rules = rules;
	ing->store = store;
	ing->opt = *opt;
	linematch_init(&ing->lm, rules, opt->forced_set, (int64_t)time(NULL));
	ing->lm.server = opt->server;
	ing->corr = correlate_new(emit, ing, opt->linger, MAX_OPEN_FAILURES);
}

void
ingest_free(struct ingest *ing)
{
	correlate_free(ing->corr);
	ing->corr = NULL;
}

static void
on_line(void *ctx, const char *line, size_t len, int64_t offset, int cut)
{
	struct ingest *ing = ctx;
	struct event *ev;
	const struct rule *rule;

	ing->stats.lines++;
	if (cut)
		ing->stats.cut_lines++;
	switch (linematch_line(&ing->lm, line, len, &ev, &rule)) {
	case LM_NO_HEADER:
		ing->stats.no_header++;
		return;
	case LM_NO_MATCH:
	case LM_IGNORED:
		return;
	case LM_EVENT:
		break;
	}
	ing->stats.matched++;
	ev->file_id = ing->file_id;
	ev->offset = ing->file_id ? offset : -1;
	if (ev->time > ing->last_event_time) {
		ing->last_event_time = ev->time;
		correlate_expire(ing->corr, ev->time);
	}
	correlate_add(ing->corr, ev, rule);
}

static void
drop_batch(struct ingest *ing)
{
	ing->pending = 0;
	ing->batch_events = 0;
	ing->batch_duplicates = 0;
	memset(ing->batch_kind, 0, sizeof(ing->batch_kind));
}

/* Commit the batch with the position: never past a line the correlator holds. */
static int
checkpoint(struct ingest *ing, int64_t read_offset)
{
	if (ing->store_failed)
		return -1;
	if (ing->file_id != 0) {
		int64_t pos = read_offset;
		int64_t held = correlate_min_offset(ing->corr);

		if (held >= 0 && held < pos)
			pos = held;
		if (store_file_set_offset(ing->store, ing->file_id, pos) < 0) {
			ing->store_failed = 1;
			return -1;
		}
	}
	if (store_commit(ing->store) < 0) {
		ing->store_failed = 1;
		ing->in_txn = 0;
		return -1;
	}
	ing->in_txn = 0;
	/* Only now are the batch's events stored. */
	ing->stats.events += ing->batch_events;
	ing->stats.duplicates += ing->batch_duplicates;
	for (int k = 0; k < KIND_COUNT; k++)
		ing->stats.kind_events[k] += ing->batch_kind[k];
	drop_batch(ing);
	return 0;
}

static int
begin(struct ingest *ing)
{
	if (ing->in_txn)
		return 0;
	if (store_begin(ing->store) < 0) {
		ing->store_failed = 1;
		return -1;
	}
	ing->in_txn = 1;
	return 0;
}

static void
rollback(struct ingest *ing)
{
	if (ing->in_txn)
		store_rollback(ing->store);
	ing->in_txn = 0;
	drop_batch(ing);
}

/* Read fd from offset to its end through the framer. -1 on a read error (logged). */
static int
read_all(struct ingest *ing, int fd, const char *name, int64_t offset, int stream,
    int64_t *end_offset)
{
	struct framer fr;
	int rc = 0;

	framer_init(&fr, ing->opt.max_line, offset);
	for (;;) {
		size_t room;
		char *space = framer_space(&fr, &room);
		/* A stream may make us wait: never with a transaction open. */
		if (stream && ing->in_txn && checkpoint(ing, framer_offset(&fr)) < 0) {
			rc = -1;
			break;
		}
		ssize_t n = read(fd, space, room);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("%s: read error at byte %lld", name, (long long)framer_offset(&fr));
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		ing->stats.bytes += (uint64_t)n;
		if (begin(ing) < 0) {
			rc = -1;
			break;
		}
		framer_commit(&fr, (size_t)n, on_line, ing);
		if (ing->store_failed) {
			rc = -1;
			break;
		}
		if (ing->pending >= ing->opt.batch_events && checkpoint(ing, framer_offset(&fr)) < 0) {
			rc = -1;
			break;
		}
	}
	if (stream && rc == 0 && begin(ing) == 0)
		framer_finish(&fr, on_line, ing);
	*end_offset = framer_offset(&fr);
	framer_free(&fr);
	return rc;
}

int
ingest_path(struct ingest *ing, const char *path)
{
	int is_stdin = strcmp(path, "-") == 0;
	const char *name = is_stdin ? "(standard input)" : path;
	struct stat sb;
	int fd, rc;
	int64_t offset = 0, end = 0;

	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("cannot open %s", path);
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		log_warn("%s", name);
		goto fail_fd;
	}
	if (S_ISDIR(sb.st_mode)) {
		log_warnx("%s: is a directory, not a log file", name);
		goto fail_fd;
	}
	/* Standard input is a stream even when redirected from a file: it has no name to track. */
	int stream = is_stdin || !S_ISREG(sb.st_mode);
	if (begin(ing) < 0)
		goto fail_fd;
	ing->file_id = 0;
	ing->last_event_time = INT64_MIN;
	header_clock_init(&ing->lm.clock, stream ? (int64_t)time(NULL) : (int64_t)sb.st_mtime);
	if (!stream) {
		char head[HEAD_MAX];
		ssize_t n = pread(fd, head, sizeof(head), 0);

		if (n < 0) {
			log_warn("%s: cannot read", name);
			rollback(ing);
			goto fail_fd;
		}
		char *nl = memchr(head, '\n', (size_t)n);
		size_t head_len = nl ? (size_t)(nl - head) + 1 : (size_t)n;
		/* Record the absolute name: the database outlives the working folder. */
		char *abs = realpath(path, NULL);
		int rc_resume = store_file_resume(ing->store, abs ? abs : path, sb.st_dev, sb.st_ino,
		    head, head_len, (int64_t)sb.st_size, &ing->file_id, &offset);
		free(abs);
		if (rc_resume < 0) {
			ing->store_failed = 1;
			rollback(ing);
			goto fail_fd;
		}
		if (offset > 0 && lseek(fd, (off_t)offset, SEEK_SET) < 0) {
			log_warn("%s: cannot seek to byte %lld", name, (long long)offset);
			rollback(ing);
			goto fail_fd;
		}
	}
	ing->stats.files++;
	rc = read_all(ing, fd, name, offset, stream, &end);
	if (ing->store_failed || begin(ing) < 0) {
		rollback(ing);
		goto fail_fd;
	}
	/*
	 * A file still being written may be in the middle of a failure: those
	 * lines wait for the next scan (the position stays before them). Other
	 * open failures are complete. A modification time in the future (a
	 * clock step, a copied file) says nothing about the file being written.
	 */
	int64_t age = -1;
	if (!stream && fstat(fd, &sb) == 0)
		age = (int64_t)time(NULL) - (int64_t)sb.st_mtime;
	int live = !stream && age >= 0 && age <= ing->opt.linger;
	if (live)
		correlate_expire(ing->corr, ing->last_event_time);
	else
		correlate_flush(ing->corr);
	if (checkpoint(ing, end) < 0)
		goto fail_fd;
	ing->stats.held += correlate_open(ing->corr);
	correlate_discard(ing->corr);
	if (!is_stdin)
		close(fd);
	ing->file_id = 0;
	return rc;
fail_fd:
	/* Nothing of this file's open failures was committed: drop them. */
	correlate_discard(ing->corr);
	if (!is_stdin)
		close(fd);
	ing->file_id = 0;
	return -1;
}

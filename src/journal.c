/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * journal.c: follow the systemd journal with sd-journal (see journal.h).
 *
 * The journal does the hard parts itself: its files rotate, journald
 * restarts, entries of several files interleave; sd_journal_next walks them
 * in order and sd_journal_process notices new files. What is ours: choosing
 * the entries (matches), turning each into a line the header parser knows,
 * and remembering, per line end, the cursor to store when the position
 * recorded is that line end ("marks").
 *
 * Built without libsystemd, a journal source cannot be opened (the
 * configuration check refuses it first); the functions are still here, so
 * that the follower has one code path and no #ifdef.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "journal.h"
#include "log.h"
#include "util.h"

char *
journal_source_name(const struct conf_source *src)
{
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "journal");
	if (src->identifiers != NULL) {
		buf_puts(&b, " identifiers ");
		for (char **p = src->identifiers; *p != NULL; p++)
			buf_printf(&b, "%s%s", p == src->identifiers ? "" : ",", *p);
	}
	if (src->units != NULL) {
		buf_puts(&b, " units ");
		for (char **p = src->units; *p != NULL; p++)
			buf_printf(&b, "%s%s", p == src->units ? "" : ",", *p);
	}
	if (src->directory != NULL)
		buf_printf(&b, " directory %s", src->directory);
	return b.data;	/* the caller frees it */
}

#ifdef HAVE_SYSTEMD

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "framer.h"

/* The journal entry ending at byte end of our line count: its cursor. */
struct mark {
	int64_t end;
	char *cursor;
};

struct journal_tail {
	sd_journal *j;
	char *name;
	char **globs;		/* identifiers with wildcards, matched here; NULL: none */
	char **units;		/* with globs: the units, matched here too */
	int fd;			/* sd_journal_get_fd, -1 */
	int unread;		/* positioned on an entry not read yet */
	struct framer fr;
	struct ingest *ing;	/* its reading (ingest.h); NULL until attached */
	struct mark *marks;	/* entries read since the last recorded position */
	size_t first, nmarks, cap;
	char *cursor;		/* the entry ending at the recorded position; NULL: none yet */
	uint64_t last_usec;
	struct buf line;	/* the current entry as a line */
	int read_error_logged;
};

static int
has_wildcard(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static char **
copy_list(char **list)
{
	size_t n = 0;

	if (list == NULL)
		return NULL;
	while (list[n] != NULL)
		n++;
	char **copy = xcalloc(n + 1, sizeof(*copy));
	for (size_t i = 0; i < n; i++)
		copy[i] = xstrdup(list[i]);
	return copy;
}

static void
free_list(char **list)
{
	for (char **p = list; p != NULL && *p != NULL; p++)
		free(*p);
	free(list);
}

/*
 * An entry is read when its identifier is one of the identifiers OR its unit
 * one of the units (neither given: every entry, routed by its program). The
 * journal selects by exact values itself; with a wildcard among the
 * identifiers every entry is looked at here instead (entry_wanted).
 */
static int
add_matches(struct journal_tail *jt, const struct conf_source *src)
{
	int wild = 0;
	int r = 0;

	for (char **p = src->identifiers; p != NULL && *p != NULL; p++)
		wild |= has_wildcard(*p);
	if (wild) {
		jt->globs = copy_list(src->identifiers);
		jt->units = copy_list(src->units);
		return 0;
	}
	for (char **p = src->identifiers; p != NULL && *p != NULL && r >= 0; p++) {
		char *m = xasprintf("SYSLOG_IDENTIFIER=%s", *p);
		r = sd_journal_add_match(jt->j, m, 0);
		free(m);
	}
	if (r >= 0 && src->identifiers != NULL && src->units != NULL)
		r = sd_journal_add_disjunction(jt->j);
	for (char **p = src->units; p != NULL && *p != NULL && r >= 0; p++) {
		char *m = xasprintf("_SYSTEMD_UNIT=%s", *p);
		r = sd_journal_add_match(jt->j, m, 0);
		free(m);
	}
	if (r < 0)
		log_warnx("%s: cannot select the entries: %s", jt->name, strerror(-r));
	return r < 0 ? -1 : 0;
}

/* The value of field in the current entry, or NULL. */
static const char *
field(sd_journal *j, const char *name, size_t *len)
{
	const void *data;
	size_t n;
	size_t prefix = strlen(name) + 1;

	if (sd_journal_get_data(j, name, &data, &n) < 0 || n < prefix)
		return NULL;
	*len = n - prefix;
	return (const char *)data + prefix;
}

/* With wildcards: the identifier matches one of them, or the unit is one of the units. */
static int
entry_wanted(struct journal_tail *jt, const char *ident, size_t ident_len)
{
	char name[256];
	size_t unit_len = 0;
	const char *unit;

	if (ident_len < sizeof(name)) {
		memcpy(name, ident, ident_len);
		name[ident_len] = '\0';
		for (char **g = jt->globs; *g != NULL; g++)
			if (fnmatch(*g, name, 0) == 0)
				return 1;
	}
	if (jt->units == NULL || (unit = field(jt->j, "_SYSTEMD_UNIT", &unit_len)) == NULL)
		return 0;
	for (char **u = jt->units; *u != NULL; u++)
		if (strlen(*u) == unit_len && memcmp(*u, unit, unit_len) == 0)
			return 1;
	return 0;
}

/* A header word (host, program, pid): blanks and control bytes would split it. */
static void
put_word(struct buf *b, const char *s, size_t n)
{
	size_t from = b->len;

	buf_append(b, s, n);
	for (size_t i = from; i < b->len; i++)
		if ((unsigned char)b->data[i] <= ' ' || b->data[i] == 0x7f)
			b->data[i] = '_';
}

/*
 * The current entry as a line, newline included, in jt->line: its length,
 * or 0 when the entry is not for us (no message, another program, our own).
 */
static size_t
entry_line(struct journal_tail *jt)
{
	size_t msg_len = 0, ident_len = 0, pid_len = 0, host_len = 0;
	const char *msg = field(jt->j, "MESSAGE", &msg_len);
	const char *ident = field(jt->j, "SYSLOG_IDENTIFIER", &ident_len);
	uint64_t usec;

	if (ident == NULL)
		ident = field(jt->j, "_COMM", &ident_len);
	if (msg == NULL || ident == NULL || ident_len == 0 ||
	    sd_journal_get_realtime_usec(jt->j, &usec) < 0)
		return 0;
	if (ident_len == 7 && memcmp(ident, "tlslogd", 7) == 0)
		return 0;	/* our own lines are never input */
	if (jt->globs != NULL && !entry_wanted(jt, ident, ident_len))
		return 0;
	const char *pid = field(jt->j, "SYSLOG_PID", &pid_len);
	if (pid == NULL)
		pid = field(jt->j, "_PID", &pid_len);
	const char *host = field(jt->j, "_HOSTNAME", &host_len);
	if (host == NULL || host_len == 0) {
		host = "localhost";
		host_len = 9;
	}
	jt->last_usec = usec;

	struct buf *b = &jt->line;
	char stamp[32];
	time_t sec = (time_t)(usec / 1000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_reset(b);
	buf_printf(b, "%s.%06u+00:00 ", stamp, (unsigned)(usec % 1000000));
	put_word(b, host, host_len);
	buf_putc(b, ' ');
	put_word(b, ident, ident_len);
	if (pid != NULL && pid_len > 0) {
		buf_putc(b, '[');
		put_word(b, pid, pid_len);
		buf_putc(b, ']');
	}
	buf_puts(b, ": ");
	size_t body = b->len;
	buf_append(b, msg, msg_len);
	/* A message of several lines stays one line. */
	for (size_t i = body; i < b->len; i++)
		if (b->data[i] == '\n')
			b->data[i] = ' ';
	buf_putc(b, '\n');
	return b->len;
}

/* Remember the current entry's cursor as the one ending at byte end. */
static void
mark(struct journal_tail *jt, int64_t end)
{
	char *cursor = NULL;

	if (sd_journal_get_cursor(jt->j, &cursor) < 0 || cursor == NULL)
		return;
	if (jt->nmarks > jt->first && jt->marks[jt->nmarks - 1].end == end) {
		/* Nothing fed since: the later entry replaces it. */
		free(jt->marks[jt->nmarks - 1].cursor);
		jt->marks[jt->nmarks - 1].cursor = cursor;
		return;
	}
	if (jt->nmarks == jt->cap) {
		if (jt->first > 0) {
			memmove(jt->marks, jt->marks + jt->first,
			    (jt->nmarks - jt->first) * sizeof(*jt->marks));
			jt->nmarks -= jt->first;
			jt->first = 0;
		}
		if (jt->nmarks == jt->cap) {
			jt->cap = jt->cap ? jt->cap * 2 : 64;
			jt->marks = xreallocarray(jt->marks, jt->cap, sizeof(*jt->marks));
		}
	}
	jt->marks[jt->nmarks].end = end;
	jt->marks[jt->nmarks].cursor = cursor;
	jt->nmarks++;
}

/* Hand n bytes of line to the pipeline, through the framer (which cuts long lines). */
static int
feed(struct journal_tail *jt, const char *line, size_t n, int64_t now_ms)
{
	while (n > 0) {
		size_t room;
		char *space = framer_space(&jt->fr, &room);
		if (room > n)
			room = n;
		memcpy(space, line, room);
		if (ingest_feed(jt->ing, &jt->fr, room, now_ms) < 0)
			return -1;
		line += room;
		n -= room;
	}
	return 0;
}

static void
position(struct journal_tail *jt, const char *cursor, int at_end)
{
	int r;

	if (cursor != NULL) {
		jt->cursor = xstrdup(cursor);
		r = sd_journal_seek_cursor(jt->j, cursor);
		if (r >= 0)
			r = sd_journal_next(jt->j);
		if (r > 0 && sd_journal_test_cursor(jt->j, cursor) <= 0) {
			/* Vacuumed away: the journal stands on the first entry after it. */
			log_warnx("%s: the entry last read is no longer in the journal (rotated "
			    "away or vacuumed): reading on from the oldest entry after it; entries "
			    "removed before they were read are lost", jt->name);
			jt->unread = 1;
		}
		return;
	}
	if (at_end) {
		char *c = NULL;
		sd_journal_seek_tail(jt->j);
		if (sd_journal_previous(jt->j) > 0) {
			if (sd_journal_get_cursor(jt->j, &c) >= 0)
				jt->cursor = c;
			log_info("%s: new source, reading from the end of the journal", jt->name);
			return;
		}
		/*
		 * Nothing selected in the journal yet: its end is its start. (Staying
		 * "at the tail" would skip all but the last of the first entries.)
		 */
		sd_journal_seek_head(jt->j);
		log_info("%s: new source, the journal has no entry for it yet: reading what "
		    "comes", jt->name);
	} else {
		sd_journal_seek_head(jt->j);
		log_info("%s: new source, reading the journal from its start", jt->name);
	}
}

struct journal_tail *
journal_open(const struct conf_source *src, const char *name, const char *cursor, int at_end,
    struct rules *rules, struct batch *batch, const struct ingest_options *opt, int quiet,
    int *store_failed)
{
	struct journal_tail *jt = xcalloc(1, sizeof(*jt));
	int r;

	jt->name = xstrdup(name);
	jt->fd = -1;
	buf_init(&jt->line);
	if (src->directory != NULL)
		r = sd_journal_open_directory(&jt->j, src->directory, 0);
	else
		r = sd_journal_open(&jt->j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0) {
		if (!quiet)
			log_warnx("%s: cannot open the journal%s%s: %s; trying again every second",
			    name, src->directory ? " in " : "", src->directory ? src->directory : "",
			    strerror(-r));
		jt->j = NULL;
		journal_close(jt);
		return NULL;
	}
	/* Fields are read no longer than a line can be. */
	sd_journal_set_data_threshold(jt->j, opt->max_line + 64);
	if (add_matches(jt, src) < 0) {
		journal_close(jt);
		return NULL;
	}
	jt->ing = ingest_new(rules, batch, opt);
	int64_t offset = 0;
	if (ingest_attach_named(jt->ing, name, &offset) < 0) {
		*store_failed = 1;
		ingest_free(jt->ing);
		jt->ing = NULL;	/* nothing attached: journal_close frees the rest */
		journal_close(jt);
		return NULL;
	}
	framer_init(&jt->fr, opt->max_line, offset);
	position(jt, cursor, at_end);
	r = sd_journal_get_fd(jt->j);
	jt->fd = r >= 0 ? r : -1;
	if (r < 0)
		log_warnx("%s: cannot watch the journal (%s): looking every second", name,
		    strerror(-r));
	return jt;
}

void
journal_close(struct journal_tail *jt)
{
	if (jt == NULL)
		return;
	if (jt->ing != NULL) {
		/* Open failures are dropped: read again from the recorded cursor. */
		ingest_detach(jt->ing, &jt->fr, 0);
		ingest_free(jt->ing);
		framer_free(&jt->fr);
	}
	if (jt->j != NULL)
		sd_journal_close(jt->j);
	for (size_t i = jt->first; i < jt->nmarks; i++)
		free(jt->marks[i].cursor);
	free(jt->marks);
	free_list(jt->globs);
	free_list(jt->units);
	free(jt->cursor);
	buf_free(&jt->line);
	free(jt->name);
	free(jt);
}

int
journal_fd(const struct journal_tail *jt)
{
	return jt->fd;
}

int
journal_read(struct journal_tail *jt, int64_t now_ms, size_t budget)
{
	size_t done = 0;

	sd_journal_process(jt->j);	/* new and removed journal files */
	while (done < budget) {
		int r = 1;
		if (jt->unread)
			jt->unread = 0;
		else
			r = sd_journal_next(jt->j);
		if (r < 0) {
			if (!jt->read_error_logged)
				log_warnx("%s: cannot read the journal: %s; trying again", jt->name,
				    strerror(-r));
			jt->read_error_logged = 1;
			return 0;
		}
		if (r == 0)
			return 0;
		jt->read_error_logged = 0;
		size_t n = entry_line(jt);
		if (n > 0) {
			if (feed(jt, jt->line.data, n, now_ms) < 0)
				return -1;
			done += n;
		}
		mark(jt, framer_offset(&jt->fr));
	}
	return 1;
}

void
journal_settle(struct journal_tail *jt, int64_t now_ms, int64_t idle_ms)
{
	ingest_settle(jt->ing, now_ms, idle_ms);
}

int
journal_record(struct journal_tail *jt, const char **cursor)
{
	int64_t pos;

	if (ingest_record_position(jt->ing, framer_offset(&jt->fr), &pos) < 0)
		return -1;
	/* The last entry ending at or before the position recorded. */
	while (jt->first < jt->nmarks && jt->marks[jt->first].end <= pos) {
		free(jt->cursor);
		jt->cursor = jt->marks[jt->first].cursor;
		jt->marks[jt->first].cursor = NULL;
		jt->first++;
	}
	if (jt->first == jt->nmarks)
		jt->first = jt->nmarks = 0;
	*cursor = jt->cursor;
	return 0;
}

struct ingest *
journal_ingest(struct journal_tail *jt)
{
	return jt->ing;
}

uint64_t
journal_last_usec(const struct journal_tail *jt)
{
	return jt->last_usec;
}

#else /* !HAVE_SYSTEMD */

struct journal_tail {
	int unused;
};

struct journal_tail *
journal_open(const struct conf_source *src, const char *name, const char *cursor, int at_end,
    struct rules *rules, struct batch *batch, const struct ingest_options *opt, int quiet,
    int *store_failed)
{
	(void)src;
	(void)cursor;
	(void)at_end;
	(void)rules;
	(void)batch;
	(void)opt;
	*store_failed = 0;
	if (!quiet)
		log_warnx("source %s: this tlslogd was built without libsystemd and cannot read "
		    "the journal", name);
	return NULL;
}

void
journal_close(struct journal_tail *jt)
{
	free(jt);
}

int
journal_fd(const struct journal_tail *jt)
{
	(void)jt;
	return -1;
}

int
journal_read(struct journal_tail *jt, int64_t now_ms, size_t budget)
{
	(void)jt;
	(void)now_ms;
	(void)budget;
	return 0;
}

void
journal_settle(struct journal_tail *jt, int64_t now_ms, int64_t idle_ms)
{
	(void)jt;
	(void)now_ms;
	(void)idle_ms;
}

int
journal_record(struct journal_tail *jt, const char **cursor)
{
	(void)jt;
	*cursor = NULL;
	return 0;
}

struct ingest *
journal_ingest(struct journal_tail *jt)
{
	(void)jt;
	return NULL;
}

uint64_t
journal_last_usec(const struct journal_tail *jt)
{
	(void)jt;
	return 0;
}

#endif /* HAVE_SYSTEMD */

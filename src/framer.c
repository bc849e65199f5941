/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * framer.c: bytes to lines (see framer.h). Lines are found with memchr in
 * place; the only copy is moving a partial line to the front of the buffer
 * before the next read. The buffer holds one read block plus one maximal line.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "framer.h"
#include "util.h"

#define READ_BLOCK (256 * 1024)

void
framer_init(struct framer *f, size_t max_line, int64_t offset)
{
	framer_init_sized(f, max_line, READ_BLOCK, offset);
}

void
framer_init_sized(struct framer *f, size_t max_line, size_t block, int64_t offset)
{
	memset(f, 0, sizeof(*f));
	f->max_line = max_line ? max_line : 1;
	f->cap = max_line + block;
	f->buf = xmalloc(f->cap);
	f->base = offset;
}

void
framer_free(struct framer *f)
{
	if (f == NULL)
		return;
	free(f->buf);
	f->buf = NULL;
}

char *
framer_space(struct framer *f, size_t *room)
{
	if (f->start > 0) {
		memmove(f->buf, f->buf + f->start, f->len - f->start);
		f->len -= f->start;
		f->base += (int64_t)f->start;
		f->start = 0;
	}
	*room = f->cap - f->len;
	return f->buf + f->len;
}

void
framer_commit(struct framer *f, size_t n, framer_line_fn fn, void *ctx)
{
	f->len += n;
	while (f->start < f->len) {
		char *p = f->buf + f->start;
		size_t avail = f->len - f->start;
		char *nl = memchr(p, '\n', avail);

		if (f->skipping) {
			if (nl == NULL) {
				f->start = f->len;	/* drop it all, still inside the cut line */
				return;
			}
			f->skipping = 0;
			f->start += (size_t)(nl - p) + 1;
			continue;
		}
		if (nl == NULL) {
			if (avail > f->max_line) {
				fn(ctx, p, f->max_line, f->base + (int64_t)f->start, 1);
				f->cut_lines++;
				f->skipping = 1;
				f->start = f->len;
			}
			return;
		}
		size_t len = (size_t)(nl - p);
		if (len > f->max_line) {
			fn(ctx, p, f->max_line, f->base + (int64_t)f->start, 1);
			f->cut_lines++;
		} else {
			fn(ctx, p, len, f->base + (int64_t)f->start, 0);
		}
		f->start += len + 1;
	}
}

void
framer_finish(struct framer *f, framer_line_fn fn, void *ctx)
{
	if (!f->skipping && f->start < f->len) {
		fn(ctx, f->buf + f->start, f->len - f->start, f->base + (int64_t)f->start, 0);
		f->start = f->len;
	}
}

int64_t
framer_offset(const struct framer *f)
{
	/*
	 * Inside the rest of a cut line this is a point in its middle: whoever
	 * resumes there must framer_skip_line (ingest sees it from the byte before).
	 */
	return f->base + (int64_t)f->start;
}

void
framer_skip_line(struct framer *f)
{
	f->skipping = 1;
}

void
framer_reset(struct framer *f, int64_t offset)
{
	f->start = 0;
	f->len = 0;
	f->base = offset;
	f->skipping = 0;
}

char *
framer_space_keep(struct framer *f, size_t *room)
{
	*room = f->cap - f->len;
	return f->buf + f->len;
}

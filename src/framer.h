/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * framer.h: bytes to lines. The caller reads straight into the framer's
 * buffer (framer_space), then framer_commit hands every complete line to a
 * callback and keeps the partial line at the end for the next read. A line
 * longer than max_line is cut: its first max_line bytes are handed on (once,
 * flagged as cut) and the rest up to its newline is skipped, so a 10 MB line
 * costs no more memory than a short one.
 */
#ifndef TLSLOGD_FRAMER_H
#define TLSLOGD_FRAMER_H

#include <stddef.h>
#include <stdint.h>

/* line is not NUL-terminated and excludes the newline; offset is where it starts in the input. */
typedef void (*framer_line_fn)(void *ctx, const char *line, size_t len, int64_t offset, int cut);

struct framer {
	char *buf;
	size_t cap;
	size_t start;		/* first byte not yet framed */
	size_t len;		/* bytes in buf */
	size_t max_line;
	int64_t base;		/* input offset of buf[0] */
	int skipping;		/* inside the rest of a cut line */
	uint64_t cut_lines;
};

void framer_init(struct framer *f, size_t max_line, int64_t offset);
/* The same, with room for reads of up to block bytes (framer_init: 256 KiB) and a maximal line. */
void framer_init_sized(struct framer *f, size_t max_line, size_t block, int64_t offset);
void framer_free(struct framer *f);
/* Where to read next, and how much room there is (never 0). */
char *framer_space(struct framer *f, size_t *room);
/* n bytes were read into framer_space(); hand on every complete line. */
void framer_commit(struct framer *f, size_t n, framer_line_fn fn, void *ctx);
/* The input ended: hand on the partial last line, if any. */
void framer_finish(struct framer *f, framer_line_fn fn, void *ctx);
/* Input offset just after the last complete line (where to resume). */
int64_t framer_offset(const struct framer *f);

/*
 * The input starts inside a line (a resume point in the rest of a line that
 * was cut): drop everything up to and including its newline.
 */
void framer_skip_line(struct framer *f);

/* Start again at offset of another input (or another place of it), with no partial line. */
void framer_reset(struct framer *f, int64_t offset);
/*
 * framer_space without moving the partial line to the front, so that the
 * lines handed on so far stay where they are; room may be 0.
 */
char *framer_space_keep(struct framer *f, size_t *room);

#endif

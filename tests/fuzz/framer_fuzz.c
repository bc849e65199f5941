/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * framer_fuzz.c: libFuzzer target for the framer (src/framer.c), the first
 * stage of every reader: scan, the follower and the journal all cut their
 * bytes into lines with it, and the reads end wherever the kernel or the
 * writer happened to stop, so a line is often split across them.
 *
 * The input is [max_line byte] [control byte] bytes... [k split bytes]: the
 * first byte's low 7 bits are the line limit (0 asks for the smallest, 1);
 * its high bit starts the input inside a line (framer_skip_line, as a resume
 * in the rest of a cut line does): nothing up to the first newline is a
 * line, and while no newline was read the offset is after every byte. The control
 * byte's low 4 bits are k, its high 4 bits choose the start offset; the
 * last k bytes are read sizes (1 + byte), used in turn until the bytes run
 * out. Each read goes through framer_space/framer_commit as ingest does it,
 * then framer_finish ends the input as a stream's end does.
 *
 * A plain model of framer.h's promises must agree with every line handed on:
 * the lines are the input's newline-separated pieces in order, none holds a
 * newline, each with its input offset; a line longer than max_line is handed
 * on once as its first max_line bytes, flagged cut, and nothing else of it is
 * (a line of exactly max_line bytes is whole, not cut); a partial last line
 * comes only from framer_finish, unless it is already longer than max_line.
 * So the lines joined with newlines are the input with each over-long line
 * shortened, whatever the read sizes. framer_offset is checked after every
 * read: just after the last complete line, or inside a cut line's rest.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "framer.h"
#include "fuzz.h"

struct expect {
	const uint8_t *data;	/* the input stream */
	size_t size;
	size_t max_line;	/* the framer's limit (never 0) */
	int64_t base;		/* input offset of data[0] */
	size_t next;		/* where the next line handed on must start in data */
	size_t fed;		/* bytes committed so far */
	int finishing;		/* inside framer_finish */
	int skip;		/* started inside a line (framer_skip_line) */
	size_t lines, cut;
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* The next line of the model: its start is e->next; len and cut as framer.h promises. */
static void
on_line(void *ctx, const char *line, size_t len, int64_t offset, int cut)
{
	struct expect *e = ctx;
	const uint8_t *p = e->data + e->next;
	size_t avail = e->size - e->next;
	const uint8_t *nl;
	size_t whole, want;

	FUZZ_CHECK(e->next < e->size, "a line handed on after the input's end (offset %lld)",
	    (long long)offset);
	nl = memchr(p, '\n', avail);
	whole = nl ? (size_t)(nl - p) : avail;
	want = whole > e->max_line ? e->max_line : whole;
	FUZZ_CHECK(offset == e->base + (int64_t)e->next, "line %zu at offset %lld, expected %lld",
	    e->lines, (long long)offset, (long long)(e->base + (int64_t)e->next));
	FUZZ_CHECK(len == want, "line %zu of %zu bytes, expected %zu (whole %zu, max_line %zu)",
	    e->lines, len, want, whole, e->max_line);
	FUZZ_CHECK(cut == (whole > e->max_line), "line %zu of %zu bytes (max_line %zu) flagged cut=%d",
	    e->lines, whole, e->max_line, cut);
	FUZZ_CHECK(memcmp(line, p, len) == 0, "line %zu differs from the input", e->lines);
	FUZZ_CHECK(memchr(line, '\n', len) == NULL, "line %zu holds a newline", e->lines);
	/* Handed on before its end arrived: only a line already known to be too long. */
	FUZZ_CHECK(e->finishing || cut || (nl != NULL && e->next + whole < e->fed),
	    "line %zu handed on before its newline was read", e->lines);
	FUZZ_CHECK(!e->finishing || nl == NULL, "framer_finish handed on a complete line");
	e->lines++;
	e->cut += (size_t)cut;
	e->next += nl ? whole + 1 : avail;
}

/* framer_offset after e->fed bytes (line_start: after the last newline read): after the last
 * complete line, or, inside the rest of a cut line, after every byte read. */
static int64_t
expected_offset(const struct expect *e, size_t line_start, int newline_read)
{
	if (e->skip && !newline_read)
		return e->base + (int64_t)e->fed;
	if (e->fed - line_start > e->max_line)
		return e->base + (int64_t)e->fed;
	return e->base + (int64_t)line_start;
}

/* Lines the model expects: every newline-separated piece, and a non-empty last one. */
static size_t
count_lines(const uint8_t *data, size_t size)
{
	size_t n = 0, start = 0;

	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n') {
			n++;
			start = i + 1;
		}
	return n + (start < size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct framer f;
	struct expect e;
	size_t k, nsplit, line_start = 0;
	int newline_read = 0;
	const uint8_t *split;

	if (size < 2)
		return 0;
	memset(&e, 0, sizeof(e));
	e.skip = (data[0] & 0x80) != 0;
	e.max_line = data[0] & 0x7f ? data[0] & 0x7f : 1;
	k = data[1] & 15;
	e.base = (int64_t)(data[1] >> 4) * 1000000007;
	nsplit = k < size - 2 ? k : size - 2;
	split = data + size - nsplit;
	e.data = data + 2;
	e.size = size - 2 - nsplit;

	framer_init(&f, data[0] & 0x7f, e.base);
	size_t first = 0;	/* where the model's lines begin */
	if (e.skip) {
		const uint8_t *nl = memchr(e.data, '\n', e.size);
		first = nl ? (size_t)(nl - e.data) + 1 : e.size;
		e.next = first;
		framer_skip_line(&f);
	}
	for (size_t i = 0; e.fed < e.size; i++) {
		size_t room, want, n;
		char *space = framer_space(&f, &room);

		FUZZ_CHECK(room > 0, "no room after %zu bytes", e.fed);
		want = nsplit ? 1 + (size_t)split[i % nsplit] : e.size;
		n = e.size - e.fed;
		if (n > want)
			n = want;
		if (n > room)
			n = room;
		/* As read(2) does: the bytes land in the framer's buffer. */
		memcpy(space, e.data + e.fed, n);
		const uint8_t *nl = memrchr(e.data + e.fed, '\n', n);
		if (nl != NULL) {
			line_start = (size_t)(nl - e.data) + 1;
			newline_read = 1;
		}
		e.fed += n;
		framer_commit(&f, n, on_line, &e);
		FUZZ_CHECK(framer_offset(&f) == expected_offset(&e, line_start, newline_read),
		    "offset %lld after %zu bytes, expected %lld", (long long)framer_offset(&f), e.fed,
		    (long long)expected_offset(&e, line_start, newline_read));
	}
	e.finishing = 1;
	framer_finish(&f, on_line, &e);
	FUZZ_CHECK(e.next == e.size, "the lines end at %zu of %zu bytes", e.next, e.size);
	FUZZ_CHECK(e.lines == count_lines(e.data + first, e.size - first), "%zu lines, expected %zu",
	    e.lines, count_lines(e.data + first, e.size - first));
	FUZZ_CHECK(f.cut_lines == e.cut, "cut_lines %llu, %zu lines were cut",
	    (unsigned long long)f.cut_lines, e.cut);
	framer_free(&f);
	return 0;
}

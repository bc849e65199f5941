/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * framer_test.c: bytes to lines: lines split across reads, partial last
 * lines, CRLF left to the header parser, NUL bytes, lines over the limit,
 * and resuming inside the rest of one.
 */
#include "config.h"

#include <string.h>

#include "framer.h"
#include "tap.h"
#include "util.h"

struct seen {
	struct buf text;	/* lines joined with '|' */
	int lines, cut;
	int64_t last_offset;
};

static void
on_line(void *ctx, const char *line, size_t len, int64_t offset, int cut)
{
	struct seen *s = ctx;

	if (s->lines++)
		buf_putc(&s->text, '|');
	buf_append(&s->text, line, len);
	s->cut += cut;
	s->last_offset = offset;
}

static void
feed(struct framer *f, const char *data, size_t len, struct seen *s)
{
	while (len > 0) {
		size_t room;
		char *space = framer_space(f, &room);
		size_t n = len < room ? len : room;

		memcpy(space, data, n);
		framer_commit(f, n, on_line, s);
		data += n;
		len -= n;
	}
}

int
main(void)
{
	struct framer f;
	struct seen s;

	memset(&s, 0, sizeof(s));
	framer_init(&f, 64, 0);
	feed(&f, "one\ntw", 6, &s);
	is_int(s.lines, 1, "one complete line");
	is_int(framer_offset(&f), 4, "offset after the complete line");
	feed(&f, "o\nthree", 7, &s);
	is_str(s.text.data, "one|two", "line split across two reads is whole");
	is_int(s.last_offset, 4, "second line starts at 4");
	is_int(framer_offset(&f), 8, "partial line not consumed");
	framer_finish(&f, on_line, &s);
	is_str(s.text.data, "one|two|three", "finish hands on the partial line");
	framer_free(&f);

	/* Byte-at-a-time writes. */
	buf_free(&s.text);
	memset(&s, 0, sizeof(s));
	framer_init(&f, 64, 100);
	const char *bytes = "a\nbb\n\nccc\n";
	for (size_t i = 0; i < strlen(bytes); i++)
		feed(&f, bytes + i, 1, &s);
	is_str(s.text.data, "a|bb||ccc", "one byte per read");
	is_int(framer_offset(&f), 100 + 10, "offsets continue from the start offset");
	framer_free(&f);

	/* NUL bytes are data. */
	buf_free(&s.text);
	memset(&s, 0, sizeof(s));
	framer_init(&f, 64, 0);
	feed(&f, "a\0b\nc\n", 6, &s);
	is_int(s.lines, 2, "NUL does not end a line");
	is_int(s.text.len, 5, "NUL kept in the line");
	framer_free(&f);

	/* A line longer than the limit is cut once and the rest skipped. */
	buf_free(&s.text);
	memset(&s, 0, sizeof(s));
	framer_init(&f, 16, 0);
	char big[5000];
	memset(big, 'x', sizeof(big));
	feed(&f, "short\n", 6, &s);
	feed(&f, big, sizeof(big), &s);
	feed(&f, big, sizeof(big), &s);
	feed(&f, "\nafter\n", 7, &s);
	is_int(s.lines, 3, "short, cut, after");
	is_int(s.cut, 1, "one line cut");
	is_int(f.cut_lines, 1, "framer counts it");
	is_str(s.text.data, "short|xxxxxxxxxxxxxxxx|after", "cut line keeps max_line bytes; next line intact");
	is_int(framer_offset(&f), 6 + 10000 + 1 + 6, "offset past everything");
	framer_free(&f);

	/* A long line that ends within the same read. */
	buf_free(&s.text);
	memset(&s, 0, sizeof(s));
	framer_init(&f, 8, 0);
	feed(&f, "0123456789abc\nok\n", 17, &s);
	is_str(s.text.data, "01234567|ok", "cut inside one read");
	is_int(s.cut, 1, "flagged as cut");
	framer_free(&f);

	/*
	 * A line of exactly max_line bytes is not longer than the limit: whole
	 * and not cut, even when a read ends before its newline or the input
	 * ends there (tests/fuzz/regressions/framer).
	 */
	buf_free(&s.text);
	memset(&s, 0, sizeof(s));
	framer_init(&f, 4, 0);
	feed(&f, "abcd", 4, &s);
	is_int(s.lines, 0, "a line of max_line bytes waits for its newline");
	feed(&f, "\nefgh", 5, &s);
	is_str(s.text.data, "abcd", "then it is handed on whole");
	is_int(s.cut, 0, "not flagged as cut");
	is_int(framer_offset(&f), 5, "offset after it");
	framer_finish(&f, on_line, &s);
	is_str(s.text.data, "abcd|efgh", "a last line of max_line bytes is handed on by finish");
	is_int(s.cut + (int)f.cut_lines, 0, "and not cut either");
	framer_free(&f);

	/*
	 * Resuming at a position inside a line (the rest of a cut line): with
	 * framer_skip_line nothing up to its newline is a line, not even when
	 * it ends only in a later read, and finish hands none of it on.
	 */
	buf_free(&s.text);
	memset(&s, 0, sizeof(s));
	framer_init(&f, 16, 1000);
	framer_skip_line(&f);
	feed(&f, "tail of a ", 10, &s);
	is_int(s.lines, 0, "the rest of the line is not a line");
	framer_finish(&f, on_line, &s);
	is_int(s.lines, 0, "nor at the end of the input");
	feed(&f, "forged line\nnext\n", 17, &s);
	is_str(s.text.data, "next", "the first line is the one after the newline");
	is_int(s.last_offset, 1000 + 10 + 12, "at its own offset");
	framer_free(&f);

	buf_free(&s.text);
	return done_testing();
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * header_fuzz.c: libFuzzer target for the line header parser (src/header.c).
 *
 * Each input line (split at newlines, so that one input exercises the
 * parser's per-file state: the year inference and the local-hour cache) is
 * parsed from a heap copy that ends where the line ends. On success every
 * pointer of the result must lie inside the line, the message must end where
 * the line ends (less a CR), the embedded Exim stamp must fit inside the
 * message, and a time without a year must lie within about a year before the
 * reference.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "header.h"

/* Two realistic references: mid-November 2026, and just after a New Year. */
#define REF_NOV 1795329607
#define REF_JAN 1767226500

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* A zone with summer time, so the local-time conversion has work to do. */
	setenv("TZ", "Europe/Berlin", 1);
	return 0;
}

static void
check_inside(const char *what, const char *p, size_t n, const char *line, size_t len)
{
	if (p == NULL)
		return;
	FUZZ_CHECK(p >= line && p <= line + len && n <= (size_t)(line + len - p),
	    "%s outside the line", what);
}

static void
parse_one(struct header_clock *clk, const char *line, size_t len)
{
	const int64_t day = 86400;
	struct line_header h;

	if (header_parse(clk, line, len, &h) != 0)
		return;
	check_inside("host", h.host, h.host_len, line, len);
	check_inside("program", h.program, h.program_len, line, len);
	FUZZ_CHECK(h.msg != NULL, "no message");
	check_inside("msg", h.msg, h.msg_len, line, len);
	/* A CR before the newline (a log copied from elsewhere) is not part of the message. */
	size_t cr = len > 0 && line[len - 1] == '\r';
	FUZZ_CHECK(h.msg + h.msg_len == line + len - cr, "the message does not end with the line");
	FUZZ_CHECK(h.pid >= -1, "pid %ld", h.pid);
	FUZZ_CHECK(header_embedded_stamp_len(h.msg, h.msg_len) <= h.msg_len, "stamp longer than msg");
	/* A time without a year is put in the reference's year or the one before. */
	if (h.format == HEADER_RFC3164)
		FUZZ_CHECK(h.time >= clk->reference - 368 * day && h.time <= clk->reference + 2 * day + 3600,
		    "%lld is too far from the reference %lld", (long long)h.time,
		    (long long)clk->reference);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct header_clock nov, jan;
	size_t start = 0;

	header_clock_init(&nov, REF_NOV);
	header_clock_init(&jan, REF_JAN);
	while (start <= size) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t len = nl ? (size_t)(nl - (data + start)) : size - start;
		char *line = fuzz_copy(data + start, len);

		parse_one(&nov, line, len);
		parse_one(&jan, line, len);
		free(line);
		start += len + 1;
	}
	return 0;
}

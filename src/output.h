/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * output.h: escaping for every place log text is printed. Anything from a log
 * may have been chosen by a remote party (HELO names, reverse names, user
 * names), so it never reaches a terminal, a JSON document or a CSV file
 * unescaped:
 *   - terminal text: control characters, DEL, backslash, bytes that are not
 *     valid UTF-8 and Unicode format controls (bidi overrides and isolates,
 *     zero-width characters, U+FEFF, U+2028/9: they hide or reorder what is
 *     shown) become \xNN per byte (backslash becomes \\), so no escape
 *     sequence reaches the terminal and what is shown is what was logged;
 *   - JSON strings: RFC 8259 escapes, format controls as \uXXXX; bytes that
 *     are not valid UTF-8 become U+FFFD, so the document is always valid UTF-8;
 *   - CSV fields: RFC 4180 quoting around terminal-escaped text (one record per
 *     line, always); every cell a spreadsheet could split out of a field (at
 *     , ; or |, its locale's list separator) that it would run as a formula
 *     (= + - @) starts with an apostrophe.
 */
#ifndef TLSLOGD_OUTPUT_H
#define TLSLOGD_OUTPUT_H

#include <stddef.h>

#include "util.h"

enum output_format {
	OUTPUT_TABLE,
	OUTPUT_JSON,
	OUTPUT_CSV,
	OUTPUT_JSONL		/* one JSON object a line */
};

/* Parse "table", "json", "csv" or "jsonl"; -1 if unknown. */
int output_format_from_name(const char *name);

void output_escape_text(struct buf *out, const char *s, size_t len);
void output_escape_json(struct buf *out, const char *s, size_t len);
void output_escape_csv(struct buf *out, const char *s, size_t len);

/*
 * Append s (already escaped, UTF-8) to out, padded or cut to exactly width
 * columns; a cut is marked with "~". Counts one column per code point.
 */
void output_pad(struct buf *out, const char *s, size_t len, size_t width);

/* Write out to standard output and flush it; -1 (logged) if that failed (a full disk, a closed pipe). */
int output_write_stdout(const struct buf *out);

/*
 * Columns of the terminal on stdout (COLUMNS, then TIOCGWINSZ), or 0 when
 * stdout is not a terminal (a pipe or a file: tables are then never cut).
 */
size_t output_terminal_width(void);

#endif

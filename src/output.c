/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * output.c: escaping for terminal, JSON and CSV output (see output.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "output.h"

int
output_format_from_name(const char *name)
{
	if (strcmp(name, "table") == 0)
		return OUTPUT_TABLE;
	if (strcmp(name, "json") == 0)
		return OUTPUT_JSON;
	if (strcmp(name, "csv") == 0)
		return OUTPUT_CSV;
	if (strcmp(name, "jsonl") == 0)
		return OUTPUT_JSONL;
	return -1;
}

/*
 * Length of the valid UTF-8 sequence at s (1..4), its code point in *cpp, or
 * 0 if it is not one.
 */
static size_t
utf8_seq(const unsigned char *s, size_t len, unsigned *cpp)
{
	unsigned char c = s[0];
	size_t n;
	unsigned cp;

	if (c < 0x80) {
		*cpp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	/* C1 controls (U+0080..U+009F) act on some terminals: treat as invalid. */
	if (n == 2 && cp < 0xA0)
		return 0;
	*cpp = cp;
	return n;
}

/*
 * Whether cp is a character that is invisible or reorders what a reader sees:
 * Unicode's format controls (general category Cf: the bidi embeddings,
 * overrides and isolates U+202A..U+202E and U+2066..U+2069, the marks U+200E,
 * U+200F and U+061C, zero-width U+200B..U+200D, U+2060..U+2064, the byte
 * order mark U+FEFF, the soft hyphen, the tags U+E0000..U+E007F, ...) and the
 * line and paragraph separators U+2028, U+2029. A name like
 * "moc.evil\u202e" shows as something else; such characters are escaped.
 */
static int
is_format_control(unsigned cp)
{
	static const unsigned ranges[][2] = {
		{ 0x00AD, 0x00AD }, { 0x0600, 0x0605 }, { 0x061C, 0x061C }, { 0x06DD, 0x06DD },
		{ 0x070F, 0x070F }, { 0x0890, 0x0891 }, { 0x08E2, 0x08E2 }, { 0x180E, 0x180E },
		{ 0x200B, 0x200F }, { 0x2028, 0x202E }, { 0x2060, 0x2064 }, { 0x2066, 0x206F },
		{ 0xFEFF, 0xFEFF }, { 0xFFF9, 0xFFFB }, { 0x110BD, 0x110BD }, { 0x110CD, 0x110CD },
		{ 0x13430, 0x1343F }, { 0x1BCA0, 0x1BCA3 }, { 0x1D173, 0x1D17A }, { 0xE0001, 0xE0001 },
		{ 0xE0020, 0xE007F },
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return 1;
	return 0;
}

void
output_escape_text(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		unsigned cp;
		size_t n;

		if (c == '\\') {
			buf_append(out, "\\\\", 2);
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			buf_printf(out, "\\x%02x", c);
			i++;
		} else if ((n = utf8_seq(p + i, len - i, &cp)) == 0) {
			buf_printf(out, "\\x%02x", c);
			i++;
		} else if (is_format_control(cp)) {
			for (size_t k = 0; k < n; k++)
				buf_printf(out, "\\x%02x", p[i + k]);
			i += n;
		} else {
			buf_append(out, p + i, n);
			i += n;
		}
	}
}

void
output_escape_json(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	buf_putc(out, '"');
	while (i < len) {
		unsigned char c = p[i];
		unsigned cp;
		size_t n;

		switch (c) {
		case '"': buf_append(out, "\\\"", 2); i++; continue;
		case '\\': buf_append(out, "\\\\", 2); i++; continue;
		case '\n': buf_append(out, "\\n", 2); i++; continue;
		case '\r': buf_append(out, "\\r", 2); i++; continue;
		case '\t': buf_append(out, "\\t", 2); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7F) {
			buf_printf(out, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			buf_putc(out, (char)c);
			i++;
		} else if ((n = utf8_seq(p + i, len - i, &cp)) == 0) {
			/* Not UTF-8 (or a C1 control): U+FFFD keeps the document valid. */
			if (c >= 0xC2 && c <= 0xDF && len - i >= 2 && (p[i + 1] & 0xC0) == 0x80) {
				buf_printf(out, "\\u%04x", ((c & 0x1F) << 6) | (p[i + 1] & 0x3F));
				i += 2;
			} else {
				buf_append(out, "\\ufffd", 6);
				i++;
			}
		} else if (is_format_control(cp)) {
			/* Kept, but never raw: a document shown as it is stays readable. */
			if (cp > 0xFFFF)
				buf_printf(out, "\\u%04x\\u%04x", 0xD800 + ((cp - 0x10000) >> 10),
				    0xDC00 + ((cp - 0x10000) & 0x3FF));
			else
				buf_printf(out, "\\u%04x", cp);
			i += n;
		} else {
			buf_append(out, p + i, n);
			i += n;
		}
	}
	buf_putc(out, '"');
}

/* Characters a spreadsheet may split a line at: the list separators of its locale. */
#define CSV_SPLITS ",;|"

/*
 * The text of a CSV field (terminal-escaped already) with a formula guard:
 * every cell a spreadsheet could split out of it starts with an apostrophe
 * where it would start with = + - @ (after blanks and quotes). Not only the
 * first one: a file written with "," is read with ";" where that is the list
 * separator (Excel in German or French locales), and "x;=cmd|' /C calc'!A0"
 * is then three cells, the second a formula. Returns whether it guarded.
 */
static int
csv_guard(struct buf *out, const char *s, size_t len)
{
	int at_start = 1, guarded = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (at_start && strchr("=+-@", c) != NULL) {
			buf_putc(out, '\'');
			guarded = 1;
			at_start = 0;
		} else if (at_start && (c == ' ' || c == '"')) {
			/* still the start of a cell */
		} else {
			at_start = 0;
		}
		if (strchr(CSV_SPLITS, c) != NULL)
			at_start = 1;
		buf_putc(out, c);
	}
	return guarded;
}

void
output_escape_csv(struct buf *out, const char *s, size_t len)
{
	struct buf tmp, safe;

	buf_init(&tmp);
	buf_init(&safe);
	output_escape_text(&tmp, s, len);
	/*
	 * Spreadsheets run a cell starting with = + - @ as a formula, quoted or
	 * not: such a cell gets a leading apostrophe (OWASP's CSV injection
	 * advice), and so does every cell a list separator could split out.
	 */
	int guard = csv_guard(&safe, tmp.data, tmp.len);
	int quote = guard || (safe.len > 0 && (strpbrk(safe.data, CSV_SPLITS "\"") != NULL ||
	    safe.data[0] == ' ' || safe.data[safe.len - 1] == ' '));
	if (quote)
		buf_putc(out, '"');
	for (size_t i = 0; i < safe.len; i++) {
		if (safe.data[i] == '"')
			buf_putc(out, '"');
		buf_putc(out, safe.data[i]);
	}
	if (quote)
		buf_putc(out, '"');
	buf_free(&safe);
	buf_free(&tmp);
}

void
output_pad(struct buf *out, const char *s, size_t len, size_t width)
{
	size_t cols = 0, i = 0;

	while (i < len) {
		size_t n = 1;
		while (i + n < len && ((unsigned char)s[i + n] & 0xC0) == 0x80)
			n++;
		if (cols + 1 == width && i + n < len) {
			buf_putc(out, '~');
			cols++;
			i = len;
			break;
		}
		if (cols == width)
			break;
		buf_append(out, s + i, n);
		cols++;
		i += n;
	}
	while (cols < width) {
		buf_putc(out, ' ');
		cols++;
	}
}

size_t
output_terminal_width(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;

	if (!isatty(STDOUT_FILENO))
		return 0;	/* a pipe or a file: nothing is cut */
	if (env != NULL) {
		long v = strtol(env, NULL, 10);
		if (v >= 40 && v <= 1000)
			return (size_t)v;
	}
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	return 0;
}

int
output_write_stdout(const struct buf *out)
{
	if ((out->len > 0 && fwrite(out->data, 1, out->len, stdout) != out->len) ||
	    fflush(stdout) != 0 || ferror(stdout)) {
		log_warn("cannot write the output");
		return -1;
	}
	return 0;
}

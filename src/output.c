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
	return -1;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	size_t n;
	unsigned cp;

	if (c < 0x80)
		return 1;
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
	return n;
}

void
output_escape_text(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t n;

		if (c == '\\') {
			buf_append(out, "\\\\", 2);
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			buf_printf(out, "\\x%02x", c);
			i++;
		} else if ((n = utf8_seq(p + i, len - i)) == 0) {
			buf_printf(out, "\\x%02x", c);
			i++;
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
		} else if ((n = utf8_seq(p + i, len - i)) == 0) {
			/* Not UTF-8 (or a C1 control): U+FFFD keeps the document valid. */
			if (c >= 0xC2 && c <= 0xDF && len - i >= 2 && (p[i + 1] & 0xC0) == 0x80) {
				buf_printf(out, "\\u%04x", ((c & 0x1F) << 6) | (p[i + 1] & 0x3F));
				i += 2;
			} else {
				buf_append(out, "\\ufffd", 6);
				i++;
			}
		} else {
			buf_append(out, p + i, n);
			i += n;
		}
	}
	buf_putc(out, '"');
}

void
output_escape_csv(struct buf *out, const char *s, size_t len)
{
	struct buf tmp;

	buf_init(&tmp);
	output_escape_text(&tmp, s, len);
	int quote = tmp.len > 0 && (strpbrk(tmp.data, ",\"") != NULL || tmp.data[0] == ' ' ||
	    tmp.data[tmp.len - 1] == ' ');
	/*
	 * Spreadsheets run a cell starting with = + - @ as a formula, quoted or
	 * not: such a cell gets a leading apostrophe (OWASP's CSV injection advice).
	 */
	int guard = tmp.len > 0 && strchr("=+-@", tmp.data[0]) != NULL;
	if (quote || guard)
		buf_putc(out, '"');
	if (guard)
		buf_putc(out, '\'');
	for (size_t i = 0; i < tmp.len; i++) {
		if (tmp.data[i] == '"')
			buf_putc(out, '"');
		buf_putc(out, tmp.data[i]);
	}
	if (quote || guard)
		buf_putc(out, '"');
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

	if (env != NULL) {
		long v = strtol(env, NULL, 10);
		if (v >= 40 && v <= 1000)
			return (size_t)v;
	}
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
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

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * escape_fuzz.c: libFuzzer target for every escaping of log text on its way
 * out, as round trips: what is escaped must decode, with a small strict
 * decoder written here, back to the original, and must never hold what its
 * sink forbids.
 *   - terminal text (output.c): \\ and \xNN decode back to the input exactly;
 *     no control character, DEL, C1 control or invalid UTF-8 is left;
 *   - JSON strings (output.c): a strict RFC 8259 string that decodes to the
 *     input with each byte that is not UTF-8 replaced by U+FFFD; no raw
 *     control character or DEL;
 *   - CSV fields (output.c): one RFC 4180 field, no CR or LF, that unquotes
 *     to the terminal text, behind an apostrophe when that text starts with
 *     = + - @ (so no field starts a formula);
 *   - padded table cells (output.c): exactly the width asked, in code points;
 *   - HTML (summary_render.c): entities decode back; no raw < > " ' and no &
 *     that does not start one of our entities; a value from a log decodes to
 *     the input, shows no bidirectional control raw;
 *   - quoted-printable (mail.c): lines of at most 76 bytes of printable ASCII
 *     without trailing blanks, no line starting with "." or "From ", decoding
 *     back to the input (plus the final line break it adds); and a whole
 *     message with the input as both bodies has its boundary exactly where
 *     the MIME structure puts it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mail.h"
#include "output.h"
#include "util.h"

/* The HTML escaping is private to summary_render.c: include it to reach it. */
#include "../../src/summary_render.c"

/* summary.c needs SQLite; the renderers of whole summaries are not called here. */
int
summary_is_empty(const struct summary *s)
{
	(void)s;
	return 1;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	return 0;
}

/* ---- UTF-8 (RFC 3629), independent of output.c's ---- */

/* Length of the well-formed sequence at s, 0 if none; *cp its code point. */
static size_t
utf8_len(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0], v, min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0)
		len = 2, v = c & 0x1F, min = 0x80;
	else if ((c & 0xF0) == 0xE0)
		len = 3, v = c & 0x0F, min = 0x800;
	else if ((c & 0xF8) == 0xF0)
		len = 4, v = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

static void
put_utf8(struct buf *b, unsigned cp)
{
	if (cp < 0x80)
		buf_putc(b, (char)cp);
	else if (cp < 0x800) {
		buf_putc(b, (char)(0xC0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xE0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		buf_putc(b, (char)(0xF0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

static int
is_bidi(unsigned cp)
{
	return cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * What terminal output may hold: well-formed UTF-8, no C0 control, DEL or C1
 * control, and (bidi set) no bidirectional control. The number of code points.
 */
static size_t
check_printable(const char *what, const char *s, size_t n, int bidi)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t points = 0;

	for (size_t i = 0; i < n; points++) {
		unsigned cp;
		size_t len = utf8_len(p + i, n - i, &cp);
		FUZZ_CHECK(len > 0, "%s: not UTF-8 at byte %zu", what, i);
		FUZZ_CHECK(cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0),
		    "%s: control U+%04X at byte %zu", what, cp, i);
		FUZZ_CHECK(!bidi || !is_bidi(cp), "%s: bidi control U+%04X at byte %zu", what, cp, i);
		i += len;
	}
	return points;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
hex2(const char *p)
{
	int hi = hexval((unsigned char)p[0]), lo = hi < 0 ? -1 : hexval((unsigned char)p[1]);

	return lo < 0 ? -1 : hi * 16 + lo;
}

/* memcmp, except that an empty buffer may have no data at all. */
static int
same_bytes(const char *a, const char *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

static void
check_same(const char *what, const struct buf *got, const char *want, size_t want_len)
{
	FUZZ_CHECK(got->len == want_len && same_bytes(got->data, want, want_len),
	    "%s: the round trip gives %zu bytes for %zu", what, got->len, want_len);
}

/* ---- terminal text ---- */

/* Undo output_escape_text (and put_value's \uNNNN when uni): 0, or -1 on a stray backslash. */
static int
text_decode(struct buf *out, const char *s, size_t n, int uni)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			buf_putc(out, s[i]);
			continue;
		}
		if (i + 1 < n && s[i + 1] == '\\') {
			buf_putc(out, '\\');
			i++;
		} else if (i + 3 < n && s[i + 1] == 'x' && hex2(s + i + 2) >= 0) {
			buf_putc(out, (char)hex2(s + i + 2));
			i += 3;
		} else if (uni && i + 5 < n && s[i + 1] == 'u' && hex2(s + i + 2) >= 0 &&
		    hex2(s + i + 4) >= 0) {
			put_utf8(out, (unsigned)(hex2(s + i + 2) << 8 | hex2(s + i + 4)));
			i += 5;
		} else
			return -1;
	}
	return 0;
}

static void
fuzz_text(const char *s, size_t n, struct buf *text)
{
	struct buf back;

	output_escape_text(text, s, n);
	check_printable("text", text->data, text->len, 0);
	buf_init(&back);
	FUZZ_CHECK(text_decode(&back, text->data, text->len, 0) == 0, "text: stray backslash");
	check_same("text", &back, s, n);
	buf_free(&back);
}

/* ---- JSON ---- */

static int
json_decode(struct buf *out, const char *s, size_t n)
{
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return -1;
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7F || c == '"')
			return -1;
		if (c != '\\') {
			buf_putc(out, (char)c);
			continue;
		}
		if (++i >= n - 1)
			return -1;
		switch (s[i]) {
		case '"': buf_putc(out, '"'); break;
		case '\\': buf_putc(out, '\\'); break;
		case '/': buf_putc(out, '/'); break;
		case 'b': buf_putc(out, '\b'); break;
		case 'f': buf_putc(out, '\f'); break;
		case 'n': buf_putc(out, '\n'); break;
		case 'r': buf_putc(out, '\r'); break;
		case 't': buf_putc(out, '\t'); break;
		case 'u': {
			if (i + 4 > n - 2)
				return -1;
			int hi = hex2(s + i + 1), lo = hex2(s + i + 3);
			if (hi < 0 || lo < 0)
				return -1;
			unsigned cp = (unsigned)(hi << 8 | lo);
			i += 4;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return -1;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (i + 6 > n - 2 || s[i + 1] != '\\' || s[i + 2] != 'u')
					return -1;
				int h2 = hex2(s + i + 3), l2 = hex2(s + i + 5);
				unsigned low = (unsigned)(h2 << 8 | l2);
				if (h2 < 0 || l2 < 0 || low < 0xDC00 || low > 0xDFFF)
					return -1;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
				i += 6;
			}
			put_utf8(out, cp);
			break;
		}
		default:
			return -1;
		}
	}
	return 0;
}

static void
fuzz_json(const char *s, size_t n)
{
	struct buf json, back, want;
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp;

	buf_init(&json);
	buf_init(&back);
	buf_init(&want);
	output_escape_json(&json, s, n);
	/* The document is UTF-8 as a whole. */
	for (size_t i = 0; i < json.len;) {
		size_t len = utf8_len((const unsigned char *)json.data + i, json.len - i, &cp);
		FUZZ_CHECK(len > 0, "json: not UTF-8 at byte %zu", i);
		i += len;
	}
	FUZZ_CHECK(json_decode(&back, json.data, json.len) == 0, "json: not a strict JSON string");
	for (size_t i = 0; i < n;) {
		size_t len = utf8_len(p + i, n - i, &cp);
		if (len == 0) {
			buf_append(&want, "\xEF\xBF\xBD", 3);
			i++;
		} else {
			buf_append(&want, p + i, len);
			i += len;
		}
	}
	check_same("json", &back, want.data, want.len);
	buf_free(&json);
	buf_free(&back);
	buf_free(&want);
}

/* ---- CSV ---- */

static int
csv_decode(struct buf *out, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (memchr(s, '\n', n) || memchr(s, '\r', n))
		return -1;
	if (s[0] != '"') {
		if (memchr(s, '"', n) || memchr(s, ',', n))
			return -1;
		buf_append(out, s, n);
		return 0;
	}
	if (n < 2 || s[n - 1] != '"')
		return -1;
	for (size_t i = 1; i < n - 1; i++) {
		if (s[i] == '"') {
			if (i + 1 >= n - 1 || s[i + 1] != '"')
				return -1;
			i++;
		}
		buf_putc(out, s[i]);
	}
	return 0;
}

static void
fuzz_csv(const char *s, size_t n, const struct buf *text)
{
	struct buf csv, back, want;

	buf_init(&csv);
	buf_init(&back);
	buf_init(&want);
	output_escape_csv(&csv, s, n);
	FUZZ_CHECK(csv_decode(&back, csv.data, csv.len) == 0, "csv: not one RFC 4180 field");
	/*
	 * The field is the terminal text with apostrophes added, and only where
	 * a cell a spreadsheet could split out (at , ; or |) would start with a
	 * formula character; and then no such cell starts with one.
	 */
	size_t j = 0;
	int at_start = 1;
	for (size_t i = 0; i < back.len; i++) {
		char c = back.data[i];
		if (j < text->len && c == text->data[j]) {
			j++;
		} else {
			FUZZ_CHECK(c == '\'' && at_start && i + 1 < back.len &&
			    strchr("=+-@", back.data[i + 1]) != NULL,
			    "csv: byte %zu is neither the text's nor a formula guard", i);
			buf_putc(&want, c);
			continue;
		}
		if (at_start && c != ' ' && c != '"')
			at_start = 0;
		if (strchr(",;|", c) != NULL)
			at_start = 1;
	}
	FUZZ_CHECK(j == text->len, "csv: the text is cut at byte %zu of %zu", j, text->len);
	at_start = 1;
	for (size_t i = 0; i < back.len; i++) {
		char c = back.data[i];
		FUZZ_CHECK(!at_start || strchr("=+-@", c) == NULL || c == '\0',
		    "csv: a cell starting with a formula at byte %zu", i);
		if (at_start && c != ' ' && c != '"')
			at_start = 0;
		if (c != '\0' && strchr(",;|", c) != NULL)
			at_start = 1;
	}
	if (text->len > 0 && (text->data[0] == ' ' || text->data[text->len - 1] == ' '))
		FUZZ_CHECK(csv.data[0] == '"', "csv: blanks at an edge unquoted");
	buf_free(&csv);
	buf_free(&back);
	buf_free(&want);
}

/* ---- table cells ---- */

static void
fuzz_pad(const struct buf *text, size_t width)
{
	struct buf cell;

	buf_init(&cell);
	output_pad(&cell, text->data, text->len, width);
	FUZZ_CHECK(check_printable("pad", cell.data, cell.len, 0) == width,
	    "pad: not %zu columns", width);
	buf_free(&cell);
}

/* ---- HTML ---- */

static int
html_decode(struct buf *out, const char *s, size_t n)
{
	static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	static const char chr[] = "&<>\"'";

	for (size_t i = 0; i < n; i++) {
		if (strchr("<>\"'", s[i]) != NULL && s[i] != '\0')
			return -1;
		if (s[i] != '&') {
			buf_putc(out, s[i]);
			continue;
		}
		size_t k;
		for (k = 0; k < 5; k++)
			if (n - i >= strlen(ent[k]) && memcmp(s + i, ent[k], strlen(ent[k])) == 0)
				break;
		if (k == 5)
			return -1;
		buf_putc(out, chr[k]);
		i += strlen(ent[k]) - 1;
	}
	return 0;
}

static void
fuzz_html(const char *s, size_t n)
{
	struct buf html, back, plain, cut;
	char *cs = fuzz_cstring((const uint8_t *)s, n);
	size_t cn = strlen(cs);

	buf_init(&html);
	buf_init(&back);
	html_escape(&html, s, n);
	FUZZ_CHECK(html_decode(&back, html.data, html.len) == 0, "html: raw markup or a stray &");
	check_same("html", &back, s, n);

	/* A value from a log, whole: decodes back to the input (up to a NUL). */
	buf_init(&plain);
	put_value(&plain, cs, (size_t)-1, 0);
	check_printable("value", plain.data, plain.len, 1);
	buf_reset(&back);
	FUZZ_CHECK(text_decode(&back, plain.data, plain.len, 1) == 0, "value: stray backslash");
	check_same("value", &back, cs, cn);
	buf_reset(&html);
	put_value(&html, cs, (size_t)-1, 1);
	buf_reset(&back);
	FUZZ_CHECK(html_decode(&back, html.data, html.len) == 0, "value html: raw markup");
	check_same("value html", &back, plain.data, plain.len);

	/*
	 * Cut to the summary's width: still printable, at most VALUE_MAX code
	 * points and a "~" (a bidi control counts one and is shown as 6: \u202e).
	 */
	buf_init(&cut);
	put_value(&cut, cs, VALUE_MAX, 0);
	FUZZ_CHECK(check_printable("cut value", cut.data, cut.len, 1) <= 6 * VALUE_MAX + 1,
	    "cut value");
	buf_reset(&cut);
	put_value(&cut, cs, VALUE_MAX, 1);
	buf_reset(&back);
	FUZZ_CHECK(html_decode(&back, cut.data, cut.len) == 0, "cut value html: raw markup");
	buf_free(&cut);
	buf_free(&plain);
	buf_free(&html);
	buf_free(&back);
	free(cs);
}

/* ---- quoted-printable and the message ---- */

static void
fuzz_qp(const char *s, size_t n)
{
	struct buf qp, back;

	buf_init(&qp);
	buf_init(&back);
	mail_qp_encode(&qp, s, n);
	for (size_t start = 0; start < qp.len;) {
		const char *line = qp.data + start;
		const char *nl = memchr(line, '\n', qp.len - start);
		FUZZ_CHECK(nl != NULL, "qp: the last line has no line break");
		size_t len = (size_t)(nl - line);
		FUZZ_CHECK(len <= 76, "qp: a line of %zu bytes", len);
		FUZZ_CHECK(len == 0 || (line[len - 1] != ' ' && line[len - 1] != '\t'),
		    "qp: a trailing blank");
		FUZZ_CHECK(!(len > 0 && line[0] == '.') && !(len >= 5 && memcmp(line, "From ", 5) == 0),
		    "qp: a line starts with \".\" or \"From \"");
		int soft = len > 0 && line[len - 1] == '=';
		size_t body = soft ? len - 1 : len;
		for (size_t i = 0; i < body; i++) {
			unsigned char c = (unsigned char)line[i];
			FUZZ_CHECK((c >= 33 && c <= 126) || c == ' ' || c == '\t', "qp: byte %02x", c);
			if (c != '=') {
				buf_putc(&back, (char)c);
				continue;
			}
			FUZZ_CHECK(body - i >= 3 && hex2(line + i + 1) >= 0 &&
			    strchr("abcdef", line[i + 1]) == NULL && strchr("abcdef", line[i + 2]) == NULL,
			    "qp: a bad = escape");
			buf_putc(&back, (char)hex2(line + i + 1));
			i += 2;
		}
		if (!soft)
			buf_putc(&back, '\n');
		start += len + 1;
	}
	/* The encoder ends a last line that has no line break with one. */
	size_t want = n + (n > 0 && s[n - 1] != '\n');
	FUZZ_CHECK(back.len == want && same_bytes(back.data, s, n) &&
	    (want == n || back.data[n] == '\n'), "qp: the round trip gives %zu bytes for %zu",
	    back.len, n);
	buf_free(&qp);
	buf_free(&back);
}

static void
fuzz_message(const char *s, size_t n)
{
	static char *const to[] = { "admin@example.org", NULL };
	struct mail_message m = { "tlslogd@mx1.example.org", to, "tlslogd: 3 failures",
	    "mx1.example.org", 1795329607, s, n, s, n };
	struct buf msg;
	char boundary[128];

	buf_init(&msg);
	FUZZ_CHECK(mail_compose(&msg, &m) == 0, "mail_compose refused our headers");
	const char *b = strstr(msg.data, "boundary=\"");
	FUZZ_CHECK(b != NULL, "no boundary");
	b += 10;
	size_t blen = strcspn(b, "\"");
	FUZZ_CHECK(blen + 5 < sizeof(boundary), "boundary length");
	snprintf(boundary, sizeof(boundary), "--%.*s", (int)blen, b);
	int parts = 0, ends = 0, in_headers = 1;
	for (char *line = msg.data; line < msg.data + msg.len;) {
		char *nl = memchr(line, '\n', (size_t)(msg.data + msg.len - line));
		FUZZ_CHECK(nl != NULL, "message: no final line break");
		size_t len = (size_t)(nl - line);
		FUZZ_CHECK(len <= 998, "message: a line of %zu bytes", len);
		if (in_headers && len == 0)
			in_headers = 0;
		if (len == blen + 2 && memcmp(line, boundary, len) == 0)
			parts++;
		else if (len == blen + 4 && memcmp(line, boundary, blen + 2) == 0 &&
		    memcmp(line + blen + 2, "--", 2) == 0)
			ends++;
		else if (len >= 2 && memcmp(line, "--", 2) == 0)
			FUZZ_CHECK(util_memmem(line, len, boundary + 2, blen) == NULL,
			    "message: the boundary inside a body");
		line = nl + 1;
	}
	FUZZ_CHECK(parts == 2 && ends == 1, "message: %d parts, %d ends", parts, ends);
	buf_free(&msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_copy(data, size);
	struct buf text;

	buf_init(&text);
	fuzz_text(s, size, &text);
	fuzz_json(s, size);
	fuzz_csv(s, size, &text);
	fuzz_pad(&text, size > 0 ? data[0] % 64 : 0);
	fuzz_pad(&text, 1);
	fuzz_html(s, size);
	fuzz_qp(s, size);
	if (size > 0 && data[size - 1] % 4 == 0)	/* a quarter of the inputs: it reads /dev/urandom */
		fuzz_message(s, size);
	buf_free(&text);
	free(s);
	return 0;
}

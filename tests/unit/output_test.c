/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * output_test.c: escaping of log text for the terminal, JSON and CSV.
 * Anything from a log may be hostile: no control character reaches a
 * terminal, every JSON string is valid UTF-8, every CSV record is one line.
 */
#include "config.h"

#include <string.h>

#include "output.h"
#include "tap.h"
#include "util.h"

static struct buf b;

static const char *
text(const char *s, size_t len)
{
	buf_reset(&b);
	output_escape_text(&b, s, len);
	return b.data;
}

static const char *
json(const char *s, size_t len)
{
	buf_reset(&b);
	output_escape_json(&b, s, len);
	return b.data;
}

static const char *
csv(const char *s)
{
	buf_reset(&b);
	output_escape_csv(&b, s, strlen(s));
	return b.data;
}

static const char *
pad(const char *s, size_t width)
{
	buf_reset(&b);
	output_pad(&b, s, strlen(s), width);
	return b.data;
}

#define T(s) text(s, sizeof(s) - 1)
#define J(s) json(s, sizeof(s) - 1)

int
main(void)
{
	buf_init(&b);
	is_str(T("mx.example.net"), "mx.example.net", "plain text unchanged");
	is_str(T("\x1b[31mred"), "\\x1b[31mred", "ANSI escape neutralized");
	is_str(T("a\nb\tc\rd"), "a\\x0ab\\x09c\\x0dd", "newline, tab, CR escaped");
	is_str(T("a\0b"), "a\\x00b", "NUL escaped");
	is_str(T("back\\slash"), "back\\\\slash", "backslash doubled");
	is_str(T("caf\xc3\xa9"), "caf\xc3\xa9", "valid UTF-8 kept");
	is_str(T("bad\xff\xfe"), "bad\\xff\\xfe", "invalid UTF-8 escaped");
	is_str(T("\xc2\x9b" "31m"), "\\xc2\\x9b31m", "C1 control (CSI) escaped");
	is_str(T("\xed\xa0\x80"), "\\xed\\xa0\\x80", "UTF-16 surrogate escaped");
	is_str(T("\xe2\x82"), "\\xe2\\x82", "truncated sequence escaped");
	is_str(T("\x7f"), "\\x7f", "DEL escaped");

	is_str(J("plain"), "\"plain\"", "json plain");
	is_str(J("q\"b\\"), "\"q\\\"b\\\\\"", "json quote and backslash");
	is_str(J("a\nb\x01"), "\"a\\nb\\u0001\"", "json control characters");
	is_str(J("a\0b"), "\"a\\u0000b\"", "json NUL");
	is_str(J("caf\xc3\xa9"), "\"caf\xc3\xa9\"", "json valid UTF-8 kept");
	is_str(J("x\xff"), "\"x\\ufffd\"", "json invalid byte becomes U+FFFD");
	is_str(J("\xc2\x9b"), "\"\\u009b\"", "json C1 control escaped");
	is_str(J("</script>"), "\"</script>\"", "json leaves slashes");

	is_str(csv("plain"), "plain", "csv plain");
	is_str(csv("a,b"), "\"a,b\"", "csv comma quoted");
	is_str(csv("say \"hi\""), "\"say \"\"hi\"\"\"", "csv quotes doubled");
	is_str(csv("a\nb"), "a\\x0ab", "csv newline escaped: one record per line");
	is_str(csv("=cmd|' /C calc'!A0"), "\"'=cmd|' /C calc'!A0\"", "csv formula defused with an apostrophe");
	is_str(csv("-1"), "\"'-1\"", "csv leading minus defused");
	/* A spreadsheet may split at ; or | (its locale's list separator): every such cell is guarded. */
	is_str(csv("x;=cmd|' /C calc'!A0;y"), "\"x;'=cmd|' /C calc'!A0;y\"", "csv formula after ; defused");
	is_str(csv("a,+1"), "\"a,'+1\"", "csv formula after , defused");
	is_str(csv("a|@SUM(1)"), "\"a|'@SUM(1)\"", "csv formula after | defused");
	is_str(csv("a; -1"), "\"a; '-1\"", "csv formula after blanks defused");
	is_str(csv("a;\"=1\""), "\"a;\"\"'=1\"\"\"", "csv formula after a quote defused");
	is_str(csv("a;b"), "\"a;b\"", "csv field with ; quoted");
	is_str(csv("a-b=c@d"), "a-b=c@d", "csv: = - @ inside a cell are left alone");
	is_str(csv(""), "", "csv empty field");
	/* Bidi and invisible characters: escaped like C0/C1 in every output. */
	is_str(T("moc.live\xe2\x80\xae" "exe"), "moc.live\\xe2\\x80\\xaeexe", "RLO (U+202E) escaped");
	is_str(T("a\xe2\x80\xac" "b"), "a\\xe2\\x80\\xacb", "PDF (U+202C) escaped");
	is_str(T("a\xe2\x80\x8b" "b"), "a\\xe2\\x80\\x8bb", "zero-width space (U+200B) escaped");
	is_str(T("\xef\xbb\xbf" "a"), "\\xef\\xbb\\xbfa", "BOM (U+FEFF) escaped");
	is_str(T("a\xe2\x81\xa6" "b\xe2\x81\xa9"), "a\\xe2\\x81\\xa6b\\xe2\\x81\\xa9", "isolates (U+2066, U+2069) escaped");
	is_str(T("a\xe2\x80\x8f" "b"), "a\\xe2\\x80\\x8fb", "RLM (U+200F) escaped");
	is_str(T("a\xe2\x80\xa8" "b"), "a\\xe2\\x80\\xa8b", "line separator (U+2028) escaped");
	is_str(T("a\xc2\xad" "b"), "a\\xc2\\xadb", "soft hyphen escaped");
	is_str(T("a\xf3\xa0\x80\x81"), "a\\xf3\\xa0\\x80\\x81", "tag (U+E0001) escaped");
	is_str(T("\xe2\x80\x90\xe2\x82\xac\xd7\x90"), "\xe2\x80\x90\xe2\x82\xac\xd7\x90", "hyphen, euro, hebrew letter kept");
	is_str(csv("a\xe2\x80\xae" "b"), "a\\xe2\\x80\\xaeb", "csv: RLO escaped");
	is_str(J("a\xe2\x80\xae" "b"), "\"a\\u202eb\"", "json: RLO escaped");
	is_str(J("\xef\xbb\xbf"), "\"\\ufeff\"", "json: BOM escaped");
	is_str(J("a\xf3\xa0\x80\x81"), "\"a\\udb40\\udc01\"", "json: tag escaped as a surrogate pair");

	is_str(pad("abc", 5), "abc  ", "pad short");
	is_str(pad("abcdef", 4), "abc~", "cut long with marker");
	is_str(pad("abcd", 4), "abcd", "exact width");
	is_str(pad("\xc3\xa9t\xc3\xa9", 4), "\xc3\xa9t\xc3\xa9 ", "pad counts code points");

	buf_free(&b);
	return done_testing();
}

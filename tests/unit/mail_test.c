/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mail_test.c: quoted-printable as mail.h promises it (lines of at most 76
 * bytes, only printable ASCII, decoding gives the input back byte for byte,
 * no line starting with "." or "From ", trailing blanks kept), and the
 * message: its headers in order, folded, refusing a field with a line break,
 * the boundary absent from the bodies even when a body holds one like it.
 */
#include "config.h"

#include <string.h>

#include "mail.h"
#include "tap.h"

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode quoted-printable (RFC 2045 6.7), strict: -1 on a bad escape. */
static int
qp_decode(const char *s, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '=') {
			buf_putc(out, s[i]);
			continue;
		}
		if (i + 1 < len && s[i + 1] == '\n') {	/* soft line break */
			i++;
			continue;
		}
		if (i + 2 >= len || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
			return -1;
		buf_putc(out, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
		i += 2;
	}
	return 0;
}

/* Every promise about one encoding of in (len bytes); the failures are printed. */
static int
qp_good(const char *in, size_t len, const char *what)
{
	struct buf enc, dec;
	int good = 1;

	buf_init(&enc);
	buf_init(&dec);
	mail_qp_encode(&enc, in, len);
	for (size_t start = 0; start < enc.len;) {
		const char *nl = memchr(enc.data + start, '\n', enc.len - start);
		size_t n = nl ? (size_t)(nl - enc.data) - start : enc.len - start;
		const char *line = enc.data + start;
		if (n > 76 || (n > 0 && line[0] == '.') || (n >= 5 && memcmp(line, "From ", 5) == 0) ||
		    (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))) {
			printf("#   %s: bad line \"%.*s\"\n", what, (int)n, line);
			good = 0;
		}
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)line[i] < 32 || (unsigned char)line[i] > 126)
				if (line[i] != '\t')
					good = 0;
		start += n + 1;
	}
	/* The encoding ends with a line break; so does the input, or it was added. */
	if (qp_decode(enc.data, enc.len, &dec) < 0) {
		printf("#   %s: does not decode\n", what);
		good = 0;
	} else {
		size_t want = len + (len > 0 && in[len - 1] != '\n' ? 1 : 0);
		if (dec.len != want || (len > 0 && memcmp(dec.data, in, len) != 0)) {
			printf("#   %s: decodes to \"%s\"\n", what, dec.data);
			good = 0;
		}
	}
	buf_free(&enc);
	buf_free(&dec);
	return good;
}

int
main(void)
{
	struct buf b;
	char big[3000];

	buf_init(&b);
	mail_qp_encode(&b, "a=b \xc3\xa9\n", 7);
	is_str(b.data, "a=3Db =C3=A9\n", "= and non-ASCII bytes are escaped");
	buf_reset(&b);
	mail_qp_encode(&b, "end \n\t\n", 7);
	is_str(b.data, "end=20\n=09\n", "blanks before a line break are escaped");
	buf_reset(&b);
	mail_qp_encode(&b, ".\nFrom me\nFrom\n", 15);
	is_str(b.data, "=2E\n=46rom me\nFrom\n", "a line never starts with \".\" or \"From \"");
	buf_reset(&b);
	mail_qp_encode(&b, "a\rb\r\n", 5);
	is_str(b.data, "a=0Db=0D\n", "a CR is data, never a line break");

	ok(qp_good("", 0, "empty"), "empty input");
	memset(big, 'x', sizeof(big));
	ok(qp_good(big, sizeof(big), "a long word"), "a 3000-byte word is cut into lines of 76");
	memset(big, ' ', sizeof(big));
	ok(qp_good(big, sizeof(big), "blanks"), "3000 blanks");
	memset(big, '=', sizeof(big));
	ok(qp_good(big, sizeof(big), "equals"), "3000 equal signs");
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 75 == 74 ? '.' : (i * 7919) % 256);
	ok(qp_good(big, sizeof(big), "every byte"), "every byte value, dots at the cut places");
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = "From .\n \t=x"[i % 11];
	ok(qp_good(big, sizeof(big), "short lines"), "short lines of blanks, dots and From");
	for (size_t w = 70; w < 80; w++) {
		memset(big, 'y', w);
		big[w] = '.';
		big[w + 1] = '\n';
		ok(qp_good(big, w + 2, "a dot at the cut"), "a dot after %zu bytes", w);
	}

	/* The message. */
	char *const to[] = { "postmaster@example.com", "a-rather-long-address-of-someone@example.org",
		"ops@example.net", NULL };
	const char *body = "--=_tlslogd_ and the rest\n";
	struct mail_message m = {
		.from = "tlslogd@mx1.example.com", .to = to,
		.subject = "tlslogd: 12 TLS and AUTH failures on mx1.example.com in the last 24h, "
		    "3 peers newly flagged",
		.host = "mx1.example.com", .date = 1795330800,
		.text = body, .text_len = strlen(body), .html = "<p>x</p>\n", .html_len = 9
	};
	buf_reset(&b);
	is_int(mail_compose(&b, &m), 0, "a message is composed");
	ok(strncmp(b.data, "Date: Sun, 22 Nov 2026 07:00:00 +0000\nFrom: tlslogd <tlslogd@mx1.example.com>\n"
	    "To: postmaster@example.com, a-rather-long-address-of-someone@example.org,\n"
	    " ops@example.net\n"
	    "Subject: tlslogd: 12 TLS and AUTH failures on mx1.example.com in the last 24h,\n"
	    " 3 peers newly flagged\nMessage-ID: <20261122070000.", 289) == 0,
	    "headers in order, long ones folded");
	const char *bnd = strstr(b.data, "boundary=\"");
	ok(bnd != NULL, "a boundary parameter");
	if (bnd != NULL) {
		char boundary[80];
		size_t n = strcspn(bnd + 10, "\"");
		snprintf(boundary, sizeof(boundary), "--%.*s", (int)n, bnd + 10);
		size_t count = 0;
		for (const char *p = b.data; (p = strstr(p, boundary)) != NULL; p += strlen(boundary))
			count++;
		is_int(count, 3, "the boundary occurs exactly three times (two parts and the end)");
		ok(strncmp(boundary, "--=_tlslogd_", 12) == 0 && n == 42, "a random boundary");
	}
	ok(strstr(b.data, "\n=3D_tlslogd_ and the rest\n") == NULL &&
	    strstr(b.data, "\n--=3D_tlslogd_ and the rest\n") != NULL,
	    "the body's look-alike is encoded (=3D) and cannot close a part");

	size_t len = b.len;
	m.subject = "injected\nBcc: victim@example.com";
	is_int(mail_compose(&b, &m), -1, "a subject with a line break is refused");
	m.subject = "fine";
	char *const bad_to[] = { "a@example.com\r\nBcc: victim@example.com", NULL };
	m.to = bad_to;
	is_int(mail_compose(&b, &m), -1, "an address with CR LF is refused");
	char *const no_to[] = { NULL };
	m.to = no_to;
	is_int(mail_compose(&b, &m), -1, "no recipient is refused");
	is_int(b.len, len, "nothing is appended when refused");

	char host[256];
	mail_host_name(host, sizeof(host));
	ok(host[0] != '\0' && strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-") == strlen(host), "the host name is a plain DNS name: %s", host);
	buf_free(&b);
	return done_testing();
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mail.h: write an RFC 5322 / MIME message and hand it to a
 * sendmail-compatible program. Generic: knows nothing of tlslogd.
 *
 * The message is multipart/alternative with a text/plain and a text/html
 * part, both UTF-8 and quoted-printable, so that no line of the message is
 * longer than 76 bytes whatever the bodies hold, and no byte of a body can
 * end the headers, start a header or open a MIME part:
 *   - the headers are built only from the fields of struct mail_message,
 *     which the caller composes from its own text; mail_compose refuses a
 *     field that is not printable ASCII (a CR or LF could start a header);
 *   - the boundary is random, and checked not to occur in either encoded body;
 *     it starts with "=_", which quoted-printable text can never hold;
 *   - a line of a body never starts with "." or "From " once encoded (a
 *     sendmail run without -oi would end the message at a lone ".").
 */
#ifndef TLSLOGD_MAIL_H
#define TLSLOGD_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct mail_message {
	const char *from;	/* addr-spec, e.g. tlslogd@mx1.example.com */
	char *const *to;	/* NULL-terminated addr-specs */
	const char *subject;	/* printable ASCII */
	const char *host;	/* right-hand side of the Message-ID */
	int64_t date;		/* UTC seconds */
	const char *text;	/* the text/plain part (UTF-8) */
	size_t text_len;
	const char *html;	/* the text/html part (UTF-8) */
	size_t html_len;
};

/*
 * Append the whole message to out, lines ending in LF (what sendmail reads on
 * its standard input). 0, or -1 when a header field is empty or not printable
 * ASCII (nothing appended; logged).
 */
int mail_compose(struct buf *out, const struct mail_message *m);

/* Quoted-printable (RFC 2045 6.7) of len bytes: lines of at most 76 bytes, LF as line break. */
void mail_qp_encode(struct buf *out, const char *s, size_t len);

/*
 * Run argv[0] (an absolute file name; no shell, no PATH search) with argv and
 * the caller's environment, msg on its standard input and its standard output
 * sent to our standard error. Waits for it. 0 when it exited with status 0;
 * otherwise -1, logged: could not start (with errno), killed, or its exit status.
 */
int mail_send(char *const *argv, const char *msg, size_t len);

/*
 * The host's name (gethostname) if it is a plain DNS name (letters, digits,
 * '-', '.'), else "localhost"; into out of size bytes.
 */
void mail_host_name(char *out, size_t size);

/* Fill buf with size random bytes (from /dev/urandom, else time and pid mixed). */
void mail_random(unsigned char *buf, size_t size);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pguri.c: PostgreSQL connection URIs as text (see pguri.h). No libpq here:
 * a build without PostgreSQL still recognises a URI, to refuse it clearly.
 */
#include "config.h"

#include <string.h>

#include "pguri.h"
#include "util.h"

int
pguri_is(const char *database)
{
	return database != NULL && (strncmp(database, "postgresql://", 13) == 0 ||
	    strncmp(database, "postgres://", 11) == 0);
}

char *
pguri_masked(const char *uri)
{
	struct buf b;
	const char *scheme = strstr(uri, "://");
	const char *p = uri;

	buf_init(&b);
	if (scheme != NULL) {
		const char *auth = scheme + 3;
		size_t alen = strcspn(auth, "/?");
		const char *at = NULL, *colon;

		/* The last '@' of the authority ends the user information. */
		for (const char *q = auth; q < auth + alen; q++)
			if (*q == '@')
				at = q;
		if (at != NULL && (colon = memchr(auth, ':', (size_t)(at - auth))) != NULL) {
			buf_append(&b, uri, (size_t)(colon + 1 - uri));
			buf_puts(&b, "***");
			p = at;
		}
	}
	while (*p != '\0') {
		const char *kw = strstr(p, "password=");
		if (kw == NULL) {
			buf_puts(&b, p);
			break;
		}
		kw += strlen("password=");
		buf_append(&b, p, (size_t)(kw - p));
		buf_puts(&b, "***");
		p = kw + strcspn(kw, "& ");
	}
	buf_putc(&b, '\0');
	return b.data;
}

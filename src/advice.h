/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * advice.h: what an administrator does about a cause of failure. The text
 * for a kind of event, seen in one direction by one MTA, names the setting
 * of that MTA that fixes it or works around it (for a broken STARTTLS: how
 * to stop offering or using TLS for that peer only), with the peer's own
 * address, host name and recipient domain filled in, in the syntax of that
 * MTA's configuration. Printed under `tlslogd query` and in the summary mail.
 *
 * The knowledge is data, not code: the *.advice files of the advice folder
 * (shipped in $(pkgdatadir)/advice, the `advice` setting of tlslogd.conf(5))
 * and then those of the local rules folder, whose entries add to or replace
 * the shipped ones. The format is described at the top of
 * advice/generic.advice.
 */
#ifndef TLSLOGD_ADVICE_H
#define TLSLOGD_ADVICE_H

#include <stddef.h>

#include "event.h"

struct advice;

/*
 * The values an entry's placeholders are filled from; any may be NULL (not
 * known, or several peers). They come from logs: a value that is not a
 * well-formed address (ip) or host name (host, domain) counts as unknown, so
 * the text stays plain printable ASCII.
 */
struct advice_values {
	const char *ip;		/* the peer's address */
	const char *host;	/* its host name (the reverse name or MX host) */
	const char *domain;	/* outgoing: the recipient domain of the delivery */
};

/*
 * Read the *.advice files of dir, then of local_dir (NULL or missing: none),
 * in name order; an entry of a later file replaces an earlier one with the
 * same kind, direction and MTA. Every error is logged as "file:line:
 * message" and the result is NULL when there was any (dir missing too).
 */
struct advice *advice_load(const char *dir, const char *local_dir);
void advice_free(struct advice *a);

/*
 * The advice for a kind seen in direction dir by mta (case-insensitive; NULL
 * or an MTA without entries of its own: the generic entry), with v's values
 * filled in: a new string the caller frees, one paragraph of printable ASCII
 * without newlines (the caller escapes it for HTML and wraps it). NULL when
 * there is nothing useful to say, or a is NULL. v may be NULL.
 */
char *advice_render(const struct advice *a, enum event_kind kind, enum event_direction dir,
    const char *mta, const struct advice_values *v);

/* How many entries were loaded (for tests and `-n` reports). */
size_t advice_count(const struct advice *a);

#endif

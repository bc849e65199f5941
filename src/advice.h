/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * advice.h: what an administrator does about a cause of failure. The text
 * for a kind of event, seen in one direction by one MTA, names the setting
 * of that MTA that fixes it or works around it (for a broken STARTTLS: how
 * to stop offering or using TLS for that peer only). Printed under
 * `tlslogd query` and in the summary mail.
 */
#ifndef TLSLOGD_ADVICE_H
#define TLSLOGD_ADVICE_H

#include "event.h"

/*
 * A short paragraph of plain printable ASCII (no newline, no markup; the
 * caller escapes it for HTML and wraps it), or NULL when there is nothing
 * useful to say (a kind that does not happen in that direction). mta is
 * "postfix", "exim", "sendmail" or "dovecot" (case-insensitive); any other
 * name or NULL gives the advice without MTA-specific settings. The string
 * is static: never freed, valid for the life of the program.
 */
const char *advice_text(enum event_kind kind, const char *mta, enum event_direction dir);

#endif

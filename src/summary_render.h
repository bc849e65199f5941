/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * summary_render.h: a summary (summary.h) as the administrator reads it: a
 * plain-text report, an HTML document for mail programs (inline styles, a bar
 * chart of failures per hour made of table cells: no scripts, no images, no
 * style sheets), and a one-line subject.
 *
 * Every value that came from a log (peer names, HELO names, users, reasons,
 * server names) is escaped as output.h escapes terminal text (control
 * characters, backslashes and invalid UTF-8 become \xNN), has bidirectional
 * overrides shown as \u202e and the like, is cut to a readable length, and in
 * HTML is entity-escaped too. The subject holds only our own words, numbers
 * and the host's name (never a value from a log), so it needs no encoding.
 */
#ifndef TLSLOGD_SUMMARY_RENDER_H
#define TLSLOGD_SUMMARY_RENDER_H

#include "advice.h"
#include "summary.h"
#include "util.h"

struct summary_view {
	const char *host;	/* the name of the host tlslogd runs on (mail_host_name) */
	int until_now;		/* the period ends now: "flagged now" */
	int last;		/* ... and began a duration ago: "in the last 24h" */
	const struct advice *advice;	/* the "What to do" texts (NULL: none) */
};

void summary_render_subject(struct buf *out, const struct summary *s, const struct summary_view *v);
void summary_render_text(struct buf *out, const struct summary *s, const struct summary_view *v);
void summary_render_html(struct buf *out, const struct summary *s, const struct summary_view *v);

#endif

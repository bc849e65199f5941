/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pipeline_test.c: the pipeline alone, without a database: a four-line
 * Postfix STARTTLS failure becomes one event with the kind and peer, the
 * file id and the offset of the line that finished it; the safe offset stays before a
 * failure still held; a discarded failure makes no event; lines cut or
 * without a header are counted; a stream's events have no offset.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "framer.h"
#include "log.h"
#include "pipeline.h"
#include "rules.h"
#include "tap.h"

#define MAX_EVENTS 16

struct sink {
	struct event *ev[MAX_EVENTS];
	size_t n;
};

static void
collect(void *ctx, struct event *ev)
{
	struct sink *s = ctx;

	if (s->n < MAX_EVENTS)
		s->ev[s->n++] = ev;
	else
		event_free(ev);
}

static void
sink_clear(struct sink *s)
{
	for (size_t i = 0; i < s->n; i++)
		event_free(s->ev[i]);
	s->n = 0;
}

static const char *const failure[] = {
	"Nov 21 08:31:08 mx1 postfix/smtpd[23509]: SSL_accept error from unknown[203.0.113.50]: -1\n",
	"Nov 21 08:31:08 mx1 postfix/smtpd[23509]: warning: TLS library problem: "
	    "error:0A0000C1:SSL routines::no shared cipher:ssl/statem/statem_srvr.c:2283:\n",
	"Nov 21 08:31:08 mx1 postfix/smtpd[23509]: lost connection after STARTTLS from "
	    "unknown[203.0.113.50]\n",
	"Nov 21 08:31:08 mx1 postfix/smtpd[23509]: disconnect from unknown[203.0.113.50] ehlo=1 "
	    "starttls=0/1 commands=1/2\n",
};

/* Feed text through fr into p as one read. */
static void
feed(struct pipeline *p, struct framer *fr, const char *text)
{
	size_t room, len = strlen(text);
	char *space = framer_space(fr, &room);

	if (len > room)
		len = room;
	memcpy(space, text, len);
	pipeline_feed(p, fr, len, 0);
}

int
main(void)
{
	log_init("pipeline_test");
	const char *dir = getenv("TLSLOGD_PATTERNS");
	struct rules *rules = rules_load(dir ? dir : "patterns", NULL, 0);
	ok(rules != NULL, "the shipped rules load");
	if (rules == NULL)
		return done_testing();

	struct sink sink = { { NULL }, 0 };
	struct pipeline_options opt = { .forced_set = -1, .linger = 10, .count_unknown = 1 };
	struct pipeline *p = pipeline_new(rules, &opt, collect, &sink);
	struct framer fr;
	int64_t offsets[4], at = 0;

	framer_init(&fr, 65536, 0);
	pipeline_start(p, 7, 1795000000);
	for (int i = 0; i < 3; i++) {
		offsets[i] = at;
		feed(p, &fr, failure[i]);
		at += (int64_t)strlen(failure[i]);
	}
	offsets[3] = at;
	is_int(sink.n, 0, "three of the four lines: the failure is held");
	is_int(pipeline_held(p), 1, "one failure held");
	is_int(pipeline_safe_offset(p, framer_offset(&fr)), offsets[0],
	    "the safe offset is its first line");
	feed(p, &fr, failure[3]);
	is_int(sink.n, 1, "the session's end finishes it: one event");
	if (sink.n == 1) {
		struct event *ev = sink.ev[0];
		is_str(event_kind_name(ev->kind), "tls_no_shared_cipher", "the most specific kind");
		is_str(ev->field[EF_PEER_IP], "203.0.113.50", "the peer from the lines that name it");
		is_int(ev->file_id, 7, "the input's file id");
		is_int(ev->offset, offsets[3], "the offset of the line that finished it");
	}
	is_int(pipeline_safe_offset(p, framer_offset(&fr)), framer_offset(&fr),
	    "nothing held: the safe offset is the read offset");
	sink_clear(&sink);

	/* A held failure discarded makes no event: it is read again. */
	feed(p, &fr, failure[0]);
	feed(p, &fr, failure[1]);
	pipeline_discard(p);
	is_int(pipeline_held(p), 0, "discarded");
	pipeline_end(p, 0);
	is_int(sink.n, 0, "and no event from it");

	/* The end of an input finishes what is held (not live). */
	feed(p, &fr, failure[0]);
	feed(p, &fr, failure[1]);
	pipeline_end(p, 0);
	is_int(sink.n, 1, "the end of the input finishes a held failure");
	sink_clear(&sink);

	/* Counters; a stream's events have no offset. */
	const struct pipeline_stats *st = pipeline_stats(p);
	is_int(st->lines, 8, "every line counted");
	feed(p, &fr, "no header here\n");
	is_int(st->no_header, 1, "a line without a header counted");
	framer_free(&fr);
	framer_init(&fr, 256, 0);
	pipeline_start(p, 0, 1795000000);
	char long_line[1024];
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[sizeof(long_line) - 1] = '\0';
	feed(p, &fr, long_line);
	feed(p, &fr, "\n");
	is_int(st->cut_lines, 1, "a line over the limit cut and counted");
	feed(p, &fr, "Nov 21 06:55:03 mx1 postfix/smtpd[1]: warning: unknown[203.0.113.77]: SASL LOGIN "
	    "authentication failed: UGFzc3dvcmQ6, sasl_username=admin\n");
	is_int(sink.n, 1, "an AUTH failure is an event at once");
	if (sink.n == 1)
		ok(sink.ev[0]->file_id == 0 && sink.ev[0]->offset == -1,
		    "a stream's event has no file and no offset");
	sink_clear(&sink);
	framer_free(&fr);
	pipeline_free(p);
	rules_free(rules);
	return done_testing();
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peerhist_test.c: the wording of a peer's history (peerhist.h), each case
 * from a filled struct peerhist: every day or some days of the window, one
 * day, delivered, received or logged in, over a protocol or in clear text,
 * messages, logins or sessions, failing since or not, a peer never seen to
 * succeed; and a hostile host name kept to printable ASCII.
 */
#include "config.h"

#include <string.h>

#include "peerhist.h"
#include "tap.h"

/* 2026-12-01 09:14 UTC, its day, and 2026-12-01 10:02 UTC. */
#define LAST INT64_C(1796116440)
#define DAY INT64_C(20788)
#define FAIL INT64_C(1796119320)

static void
check(const char *peer, const char *host, const struct peerhist *h, const char *want,
    const char *name)
{
	struct buf b;

	buf_init(&b);
	peerhist_headline(&b, peer, host, h);
	is_str(b.data, want, "%s", name);
	buf_free(&b);
}

int
main(void)
{
	struct peerhist h;

	memset(&h, 0, sizeof(h));
	h.window = 7;
	h.known = 1;
	h.last = LAST;
	h.first = (DAY - 6) * 86400 + 28800;
	h.days = h.span = 7;
	h.version = "TLSv1.2";
	h.out = 1;
	h.messages = 312;
	h.sessions = 312;
	h.failures = 4;
	h.fail_first = FAIL;
	h.fail_kind = "tls_protocol_mismatch";
	check("192.0.2.7", "mx.partner.example", &h, "mx.partner.example [192.0.2.7]: delivered "
	    "over TLSv1.2 every day from 2026-11-25 until 2026-12-01 09:14 (312 messages); fails "
	    "since 2026-12-01 10:02 with tls_protocol_mismatch", "a partner that broke");

	h.days = 5;
	h.out = 0;
	h.messages = 0;
	h.version = NULL;
	h.failures = 0;
	check("192.0.2.9", NULL, &h, "192.0.2.9: received in clear text on 5 of the 7 days until "
	    "2026-12-01 09:14 (312 sessions); no failure since", "some days, clear text, sessions");

	h.days = h.span = 1;
	h.login = 1;
	h.logins = 1;
	h.version = "TLS";
	check("192.0.2.10", "192.0.2.10", &h, "192.0.2.10: logged in over TLS on 2026-12-01 until "
	    "09:14 (1 login); no failure since", "one day, a login; a host that is the address");

	h.host = "x\x1b[31m\xc3\xa9<b>";
	check("192.0.2.11", NULL, &h, "x?[31m??" "<b> [192.0.2.11]: logged in over TLS on 2026-12-01 "
	    "until 09:14 (1 login); no failure since", "the history's host, kept printable");
	h.host = NULL;

	memset(&h, 0, sizeof(h));
	h.window = 14;
	h.failures = 50;
	check("203.0.113.50", NULL, &h, "203.0.113.50: no successful session in the last 14 days: "
	    "not a known partner", "a scanner");
	ok(peerhist_worth_saying(&h), "a scanner's failures are worth a line");
	h.untracked = 1;
	ok(!peerhist_worth_saying(&h), "not where no success is counted");
	h.failures = 0;
	h.untracked = 0;
	ok(!peerhist_worth_saying(&h), "nor for a peer without successes or failures");
	return done_testing();
}

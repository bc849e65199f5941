/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * correlate_test.c: joining the lines of one failure. Uses hand-built events
 * and rules, so it tests the joining logic alone, independent of the
 * shipped patterns.
 */
#include "config.h"

#include <string.h>

#include "correlate.h"
#include "tap.h"

#define MAX_OUT 32

static struct event *out[MAX_OUT];
static int nout;

static void
collect(void *ctx, struct event *ev)
{
	(void)ctx;
	if (nout < MAX_OUT)
		out[nout++] = ev;
	else
		event_free(ev);
}

static void
reset(void)
{
	for (int i = 0; i < nout; i++)
		event_free(out[i]);
	nout = 0;
}

static struct rule r_accept = { .id = "accept", .role = ROLE_PART, .kind = KIND_TLS_HANDSHAKE_FAILED };
static struct rule r_lib = { .id = "lib", .role = ROLE_DETAIL, .kind = KIND_TLS_HANDSHAKE_FAILED };
static struct rule r_lost = { .id = "lost", .role = ROLE_PART, .kind = KIND_TLS_LOST_CONNECTION };
static struct rule r_end = { .id = "end", .role = ROLE_END, .kind = KIND_TLS_HANDSHAKE_FAILED };
static struct rule r_alone = { .id = "auth", .role = ROLE_ALONE, .kind = KIND_AUTH_FAILED };
static struct rule r_summary = { .id = "attack", .role = ROLE_SUMMARY, .kind = KIND_AUTH_FAILED };
static struct rule r_hint = { .id = "hint", .role = ROLE_HINT, .kind = KIND_TLS_LOST_CONNECTION };
static struct rule r_close = { .id = "close", .role = ROLE_CLOSE, .kind = KIND_TLS_HANDSHAKE_FAILED };
static struct rule r_sent = { .id = "sent", .role = ROLE_END, .kind = KIND_TLS_DOWNGRADED };
static struct rule r_status = { .id = "status", .role = ROLE_ALONE, .kind = KIND_TLS_NOT_OFFERED };
static struct rule r_tally = { .id = "tally", .role = ROLE_TALLY, .kind = KIND_AUTH_WITHOUT_TLS };
static struct rule r_reject = { .id = "reject", .role = ROLE_HINT, .kind = KIND_TLS_HANDSHAKE_FAILED };

static int64_t offset;

static struct event *
ev(long pid, int64_t t, enum event_kind kind, const char *ip, const char *reason, const char *raw)
{
	struct event *e = event_new();

	e->mta = "postfix";
	e->time = t;
	e->pid = pid;
	e->kind = kind;
	event_set(e, EF_SERVER, "mx1", 3);
	event_set(e, EF_PROGRAM, "postfix/smtpd", 13);
	if (ip)
		event_set(e, EF_PEER_IP, ip, strlen(ip));
	if (reason)
		event_set(e, EF_REASON, reason, strlen(reason));
	event_set(e, EF_RAW, raw, strlen(raw));
	e->file_id = 1;
	e->offset = offset;
	offset += 100;
	return e;
}

int
main(void)
{
	struct correlator *c = correlate_new(collect, NULL, 10, 4);

	/* The Postfix sequence, with another process's lines interleaved. */
	offset = 0;
	correlate_add(c, ev(100, 1000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.10", NULL, "accept"), &r_accept);
	correlate_add(c, ev(200, 1000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.20", NULL, "other accept"), &r_accept);
	correlate_add(c, ev(100, 1000, KIND_TLS_NO_SHARED_CIPHER, NULL, "no shared cipher", "lib"), &r_lib);
	correlate_add(c, ev(100, 1000, KIND_TLS_LOST_CONNECTION, "192.0.2.10", NULL, "lost"), &r_lost);
	is_int(nout, 0, "nothing emitted before the session ends");
	is_int(correlate_open(c), 2, "two processes open");
	is_int(correlate_min_offset(c), 0, "oldest held line is the first");
	correlate_add(c, ev(100, 1001, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.10", NULL, "disconnect"), &r_end);
	is_int(nout, 1, "disconnect finishes the failure: one event");
	if (nout == 1) {
		is_str(event_kind_name(out[0]->kind), "tls_no_shared_cipher", "most specific kind wins");
		is_str(out[0]->field[EF_REASON], "no shared cipher", "reason of the specific line");
		is_str(out[0]->field[EF_PEER_IP], "192.0.2.10", "peer from the part line");
		is_int(out[0]->time, 1000, "time of the first line");
		is_int(out[0]->offset, 400, "offset of the completing line");
		is_str(out[0]->field[EF_RAW], "accept\nlib\nlost\ndisconnect", "raw holds every line");
	}
	is_int(correlate_min_offset(c), 100, "the other process still holds its line");
	reset();

	/* Two failures in a row from the same process and peer, without disconnect lines. */
	correlate_add(c, ev(300, 2000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.30", NULL, "a1"), &r_accept);
	correlate_add(c, ev(300, 2000, KIND_TLS_LOST_CONNECTION, "192.0.2.30", NULL, "l1"), &r_lost);
	correlate_add(c, ev(300, 2001, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.30", NULL, "a2"), &r_accept);
	is_int(nout, 1, "a second accept error starts a second failure");
	correlate_add(c, ev(300, 2001, KIND_TLS_LOST_CONNECTION, "192.0.2.30", NULL, "l2"), &r_lost);
	correlate_add(c, ev(300, 2001, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.30", NULL, "d2"), &r_end);
	is_int(nout, 2, "two failures, two events");
	reset();

	/* A different peer on the same process is another failure. */
	correlate_add(c, ev(400, 3000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.40", NULL, "x"), &r_accept);
	correlate_add(c, ev(400, 3000, KIND_TLS_LOST_CONNECTION, "192.0.2.41", NULL, "y"), &r_lost);
	is_int(nout, 1, "another peer finishes the open failure");
	reset();
	correlate_flush(c);
	is_int(nout, 2, "flush emits everything still open (the other process too)");
	is_int(correlate_open(c), 0, "nothing open after flush");
	is_int(correlate_min_offset(c), -1, "no held offset after flush");
	reset();

	/* An end line alone is not an event. */
	correlate_add(c, ev(500, 4000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.50", NULL, "d"), &r_end);
	is_int(nout, 0, "a disconnect without failure is no event");
	/* An alone line is emitted at once and does not disturb open entries. */
	correlate_add(c, ev(600, 4000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.60", NULL, "a"), &r_accept);
	correlate_add(c, ev(600, 4000, KIND_AUTH_FAILED, "192.0.2.60", NULL, "auth"), &r_alone);
	is_int(nout, 1, "alone line emitted at once");
	is_int(correlate_open(c), 1, "the open failure stays open");
	reset();

	/*
	 * A summary line (Sendmail's possible SMTP attack) is an event only when
	 * no alone event of its kind, process and peer came before it.
	 */
	correlate_add(c, ev(610, 4000, KIND_AUTH_FAILED, "192.0.2.61", NULL, "attack"), &r_summary);
	is_int(nout, 1, "a summary line alone is an event");
	correlate_add(c, ev(611, 4000, KIND_AUTH_FAILED, "192.0.2.62", NULL, "auth"), &r_alone);
	correlate_add(c, ev(611, 4001, KIND_AUTH_FAILED, "192.0.2.62", NULL, "auth"), &r_alone);
	correlate_add(c, ev(611, 4003, KIND_AUTH_FAILED, "192.0.2.62", NULL, "attack"), &r_summary);
	is_int(nout, 3, "a summary after alone failures of its process and peer sums them up");
	correlate_add(c, ev(612, 4004, KIND_AUTH_FAILED, "192.0.2.62", NULL, "attack"), &r_summary);
	correlate_add(c, ev(611, 4005, KIND_AUTH_FAILED, "192.0.2.63", NULL, "attack"), &r_summary);
	is_int(nout, 5, "another process or another peer: a summary of its own");
	correlate_add(c, ev(613, 4006, KIND_AUTH_FAILED, "192.0.2.64", NULL, "auth"), &r_alone);
	correlate_add(c, ev(613, 4006 + 7200, KIND_AUTH_FAILED, "192.0.2.64", NULL, "attack"), &r_summary);
	is_int(nout, 7, "a summary two hours later: not of that session");
	reset();

	/* A detail with no partner is still an event (e.g. a local TLS problem). */
	correlate_add(c, ev(700, 4001, KIND_TLS_LOCAL_ERROR, NULL, "cannot load certificate", "lib"), &r_lib);
	correlate_expire(c, 4001 + 11);
	is_int(nout, 2, "idle entries expire after linger (the detail and the open accept)");
	reset();

	/* Lines more than linger apart are separate failures. */
	correlate_add(c, ev(800, 5000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.80", NULL, "a"), &r_accept);
	correlate_add(c, ev(800, 5100, KIND_TLS_LOST_CONNECTION, "192.0.2.80", NULL, "l"), &r_lost);
	is_int(nout, 1, "a late line does not join an old failure");
	correlate_flush(c);
	reset();

	/* Without a pid every part line is its own failure; a detail joins the latest. */
	correlate_add(c, ev(-1, 7000, KIND_TLS_NO_SHARED_CIPHER, "192.0.2.10", "no shared cipher", "e1"), &r_accept);
	correlate_add(c, ev(-1, 7002, KIND_TLS_LOST_CONNECTION, "192.0.2.10", NULL, "e2"), &r_lost);
	correlate_add(c, ev(-1, 7004, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.10", NULL, "e3"), &r_accept);
	correlate_add(c, ev(-1, 7004, KIND_TLS_CERT_REJECTED_BY_PEER, NULL, NULL, "legacy"), &r_lib);
	correlate_flush(c);
	is_int(nout, 3, "three connections without pids: three events");
	if (nout == 3) {
		int joined = 0;
		for (int i = 0; i < nout; i++)
			joined += strcmp(out[i]->field[EF_RAW], "e3\nlegacy") == 0 &&
			    out[i]->kind == KIND_TLS_CERT_REJECTED_BY_PEER;
		is_int(joined, 1, "the detail joined the connection it followed");
	}
	reset();

	/* A hint alone, or closed by a session end that says nothing failed, is no event. */
	correlate_add(c, ev(900, 8000, KIND_TLS_LOST_CONNECTION, "192.0.2.91", NULL, "lost"), &r_hint);
	is_int(correlate_open(c), 1, "a hint is held");
	correlate_add(c, ev(900, 8000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.91", NULL, "disc ok"), &r_close);
	is_int(nout, 0, "a hint closed by a clean session end is no event");
	is_int(correlate_open(c), 0, "and nothing stays open");
	correlate_add(c, ev(901, 8000, KIND_TLS_LOST_CONNECTION, "192.0.2.92", NULL, "lost"), &r_hint);
	correlate_expire(c, 8000 + 11);
	correlate_flush(c);
	is_int(nout, 0, "a hint nobody joined expires without an event");
	/* ... but a failure line joining it makes one event of both. */
	correlate_add(c, ev(902, 8100, KIND_TLS_LOST_CONNECTION, "192.0.2.93", NULL, "lost"), &r_hint);
	correlate_add(c, ev(902, 8100, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.93", NULL, "disc 0/1"), &r_end);
	is_int(nout, 1, "a hint joined by a failed session end is one event");
	if (nout == 1)
		is_str(event_kind_name(out[0]->kind), "tls_lost_connection", "with the hint's kind");
	reset();
	/* A close line still closes a real failure, which stays an event. */
	correlate_add(c, ev(903, 8200, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.94", NULL, "accept"), &r_accept);
	correlate_add(c, ev(903, 8200, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.94", NULL, "disc"), &r_close);
	is_int(nout, 1, "a close line finishes a real failure as an event");
	reset();

	/* A failed handshake then a delivery in clear text to the same server: downgraded. */
	correlate_add(c, ev(910, 8300, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.95", NULL, "connect err"), &r_accept);
	correlate_add(c, ev(910, 8300, KIND_TLS_NO_SHARED_CIPHER, NULL, "sslv3 alert handshake failure", "lib"), &r_lib);
	struct event *sent = ev(910, 8301, KIND_TLS_DOWNGRADED, "192.0.2.95", NULL, "sent");
	sent->downgraded = 1;	/* as linematch sets it for a rule of kind tls_downgraded */
	correlate_add(c, sent, &r_sent);
	is_int(nout, 1, "the delivery in clear ends the failure");
	if (nout == 1) {
		is_str(event_kind_name(out[0]->kind), "tls_no_shared_cipher",
		    "the cause stays the kind after a delivery in clear");
		is_str(out[0]->field[EF_REASON], "sslv3 alert handshake failure", "and keeps its reason");
		is_int(out[0]->downgraded, 1, "the delivery in clear is kept as downgraded");
	}
	reset();
	/* With no cause named, the outcome is the kind. */
	correlate_add(c, ev(912, 8350, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.98", NULL, "connect err"), &r_accept);
	sent = ev(912, 8351, KIND_TLS_DOWNGRADED, "192.0.2.98", NULL, "sent");
	sent->downgraded = 1;
	correlate_add(c, sent, &r_sent);
	is_int(nout, 1, "a failure with no cause, then a delivery in clear: one event");
	if (nout == 1) {
		is_str(event_kind_name(out[0]->kind), "tls_downgraded", "downgraded outranks handshake_failed");
		is_int(out[0]->downgraded, 1, "and is downgraded");
	}
	reset();
	/* A delivery to another server does not join. */
	correlate_add(c, ev(911, 8400, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.96", NULL, "connect err"), &r_accept);
	correlate_add(c, ev(911, 8401, KIND_TLS_DOWNGRADED, "192.0.2.97", NULL, "sent"), &r_sent);
	correlate_flush(c);
	is_int(nout, 1, "a delivery to another server: the failure alone");
	if (nout == 1)
		is_str(event_kind_name(out[0]->kind), "tls_handshake_failed", "not downgraded");
	reset();

	/* A delivery status written once per recipient is one failure. */
	{
		struct event *a = ev(920, 8500, KIND_TLS_NOT_OFFERED, "192.0.2.98", NULL, "rcpt1");
		struct event *b = ev(920, 8500, KIND_TLS_NOT_OFFERED, "192.0.2.98", NULL, "rcpt2");
		struct event *d = ev(920, 8600, KIND_TLS_NOT_OFFERED, "192.0.2.98", NULL, "retry");
		struct event *in1 = ev(921, 8500, KIND_AUTH_FAILED, "192.0.2.99", NULL, "auth1");
		struct event *in2 = ev(921, 8500, KIND_AUTH_FAILED, "192.0.2.99", NULL, "auth2");
		a->direction = b->direction = d->direction = DIR_OUT;
		event_set(a, EF_QUEUE_ID, "4bXk2Q", 6);
		event_set(b, EF_QUEUE_ID, "4bXk2Q", 6);
		event_set(d, EF_QUEUE_ID, "4bXk2Q", 6);
		event_set(in1, EF_QUEUE_ID, "5AMKx1", 6);
		event_set(in2, EF_QUEUE_ID, "5AMKx1", 6);
		correlate_add(c, a, &r_status);
		correlate_add(c, b, &r_status);
		is_int(nout, 1, "the second recipient's status line is the same failure");
		correlate_add(c, d, &r_status);
		is_int(nout, 2, "the next delivery attempt, later, is another");
		correlate_add(c, in1, &r_alone);
		correlate_add(c, in2, &r_alone);
		is_int(nout, 4, "inbound lines of one session (Sendmail's queue id) stay one each");
	}
	reset();

	/* Without a pid: lines of one delivery (message id) join; a hint gives its cause. */
	{
		struct event *h = ev(-1, 9000, KIND_TLS_CERT_MISSING, "192.0.2.100", "Certificate is required", "recv");
		struct event *p = ev(-1, 9000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.100", "error on first read", "defer1");
		struct event *p2 = ev(-1, 9000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.100", "error on first read", "defer2");
		struct event *o = ev(-1, 9001, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.100", "error on first read", "other");
		event_set(h, EF_QUEUE_ID, "1xV3nj-0003XC-15", 16);
		event_set(p, EF_QUEUE_ID, "1xV3nj-0003XC-15", 16);
		event_set(p2, EF_QUEUE_ID, "1xV3nj-0003XC-15", 16);
		event_set(o, EF_QUEUE_ID, "1xV3nk-0003XD-16", 16);
		correlate_add(c, h, &r_hint);
		correlate_add(c, p, &r_accept);
		correlate_add(c, p2, &r_accept);
		correlate_add(c, o, &r_accept);
		correlate_flush(c);
		is_int(nout, 2, "one delivery (hint and two recipients) and another message");
		if (nout == 2) {
			int i = strncmp(out[0]->field[EF_RAW], "recv", 4) == 0 ? 0 : 1;
			is_str(out[i]->field[EF_RAW], "recv\ndefer1\ndefer2", "the hint and both defer lines");
			is_str(event_kind_name(out[i]->kind), "tls_cert_missing", "the hint's cause wins");
		}
	}
	reset();

	/* Bounded: more open processes than max_open finish the oldest early. */
	for (int pid = 1; pid <= 6; pid++)
		correlate_add(c, ev(pid, 6000 + pid, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.90", NULL, "a"), &r_accept);
	is_int(correlate_open(c), 4, "open entries bounded by max_open");
	is_int(nout, 2, "the oldest were finished early, not lost");
	correlate_flush(c);
	is_int(nout, 6, "every failure emitted once");
	reset();

	/* correlate_has_process: the process key of joining, for lines not made into events. */
	correlate_add(c, ev(77, 7000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.77", NULL, "a"), &r_accept);
	ok(correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtpd", 13, 77),
	    "has_process: the open process is found");
	ok(!correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtpd", 13, 78),
	    "has_process: another pid is not");
	ok(!correlate_has_process(c, "postfix", "mx2", 3, "postfix/smtpd", 13, 77),
	    "has_process: another server is not");
	ok(!correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtp", 12, 77),
	    "has_process: another program is not");
	ok(!correlate_has_process(c, "postfix", NULL, 0, "postfix/smtpd", 13, 77),
	    "has_process: no server is not the server mx1");
	correlate_add(c, ev(77, 7001, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.77", NULL, "end"), &r_end);
	ok(!correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtpd", 13, 77),
	    "has_process: not after its end line");
	reset();

	/* Peer addresses in canonical text: IPv4 as written, or rewritten when it was not. */
	struct event *e4 = ev(1, 1, KIND_AUTH_FAILED, "198.51.100.7", NULL, "x");
	event_canonicalize_ip(e4);
	is_str(e4->field[EF_PEER_IP], "198.51.100.7", "canonical IPv4 is kept");
	event_set(e4, EF_PEER_IP, "0.0.0.255", 9);
	event_canonicalize_ip(e4);
	is_str(e4->field[EF_PEER_IP], "0.0.0.255", "IPv4 with one- and three-digit parts");
	event_set(e4, EF_PEER_IP, "2001:DB8:0:0::1", 15);
	event_canonicalize_ip(e4);
	is_str(e4->field[EF_PEER_IP], "2001:db8::1", "IPv6 is rewritten by inet_ntop");
	event_set(e4, EF_PEER_IP, "FE80::1%eth0", 12);
	event_canonicalize_ip(e4);
	is_str(e4->field[EF_PEER_IP], "fe80::1%eth0", "a scoped IPv6 address keeps its zone");
	event_set(e4, EF_PEER_IP, "unknown", 7);
	event_canonicalize_ip(e4);
	ok(e4->field[EF_PEER_IP] == NULL, "Postfix's unknown[unknown] is no address: dropped");
	event_set(e4, EF_PEER_IP, "31m\x1b]0;x.example[192.0.2.66", 27);
	event_canonicalize_ip(e4);
	ok(e4->field[EF_PEER_IP] == NULL, "text made up to look like an address is dropped");
	event_free(e4);

	correlate_free(c);

	/*
	 * Many open failures at once (the process index): every one is found,
	 * closed processes are not, and entries moved by the closing of others
	 * stay findable; a full table finishes the entry idle longest.
	 */
	enum { MANY = 3000 };
	c = correlate_new(collect, NULL, 1000000, MANY);
	for (long pid = 1; pid <= MANY; pid++)
		correlate_add(c, ev(pid, 5000 + pid, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.1", NULL,
		    "accept"), &r_accept);
	int found = 0;
	for (long pid = 1; pid <= MANY; pid++)
		found += correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtpd", 13, pid);
	is_int(found, MANY, "all %d open failures are found by their process", MANY);
	ok(!correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtpd", 13, MANY + 1),
	    "a process with nothing open is not");
	ok(!correlate_has_process(c, "postfix", "mx2", 3, "postfix/smtpd", 13, 7),
	    "nor the same pid on another server");
	/* Close every third one: the entries moved into their places must still be found. */
	for (long pid = 3; pid <= MANY; pid += 3) {
		correlate_add(c, ev(pid, 9000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.1", NULL, "end"),
		    &r_end);
		reset();
	}
	found = 0;
	int wrong = 0;
	for (long pid = 1; pid <= MANY; pid++) {
		int has = correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtpd", 13, pid);
		if (pid % 3 == 0)
			wrong += has;
		else
			found += has;
	}
	is_int(found, MANY - MANY / 3, "after closing a third, the others are all found");
	is_int(wrong, 0, "and none of the closed ones");
	is_int((int)correlate_open(c), MANY - MANY / 3, "open failures counted right");
	/* Fill it up: the oldest open failure (pid 1) is finished for a new one. */
	for (long pid = MANY + 1; pid <= MANY + MANY / 3 + 1; pid++)
		correlate_add(c, ev(pid, 9500, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.1", NULL,
		    "accept"), &r_accept);
	is_int((int)correlate_open(c), MANY, "a full table stays at its bound");
	ok(!correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtpd", 13, 1),
	    "the failure idle longest was finished to make room");
	ok(correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtpd", 13, MANY + 1),
	    "the new ones are found");
	is_int(nout, 1, "the finished one was emitted");
	reset();
	correlate_discard(c);
	ok(!correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtpd", 13, 2),
	    "nothing is found after discard");
	correlate_add(c, ev(2, 9600, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.1", NULL, "accept"),
	    &r_accept);
	ok(correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtpd", 13, 2),
	    "and a new one after it is");
	correlate_free(c);
	reset();

	/*
	 * Tally lines (Postfix's "disconnect from ... auth=0/1" without STARTTLS): the
	 * failure only when nothing else of the session was matched.
	 */
	c = correlate_new(collect, NULL, 10, 8);
	r_accept.tallied = r_end.tallied = r_alone.tallied = r_close.tallied = 1;
	r_tally.tallied = r_reject.tallied = 1;
	correlate_add(c, ev(800, 10000, KIND_AUTH_WITHOUT_TLS, "192.0.2.80", NULL, "tally"), &r_tally);
	is_int(nout, 1, "a tally line alone in its session is an event");
	if (nout == 1)
		is_str(out[0]->field[EF_RAW], "tally", "made of the tally line");
	reset();
	correlate_add(c, ev(801, 10000, KIND_AUTH_FAILED, "192.0.2.81", NULL, "sasl"), &r_alone);
	correlate_add(c, ev(801, 10000, KIND_AUTH_FAILED, "192.0.2.81", NULL, "sasl"), &r_alone);
	ok(correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtpd", 13, 801),
	    "a session with a failure counted is asked for its end");
	correlate_add(c, ev(801, 10001, KIND_AUTH_WITHOUT_TLS, "192.0.2.81", NULL, "tally"), &r_tally);
	is_int(nout, 2, "after SASL failures the tally line adds nothing");
	ok(!correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtpd", 13, 801),
	    "and the session is forgotten");
	reset();
	correlate_add(c, ev(801, 10002, KIND_AUTH_WITHOUT_TLS, "192.0.2.81", NULL, "tally"), &r_tally);
	is_int(nout, 1, "the next session of the same process and peer is judged on its own");
	reset();
	correlate_add(c, ev(802, 10000, KIND_AUTH_FAILED, "192.0.2.82", NULL, "sasl"), &r_alone);
	correlate_add(c, ev(802, 10001, KIND_AUTH_WITHOUT_TLS, "192.0.2.83", NULL, "tally"), &r_tally);
	is_int(nout, 2, "a failure of another peer does not explain the tally");
	reset();
	correlate_add(c, ev(803, 10000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.84", NULL, "reject"), &r_reject);
	correlate_add(c, ev(803, 10001, KIND_TLS_REQUIRED, "192.0.2.84", NULL, "tally"), &r_tally);
	is_int(nout, 0, "a reject explains the session's tally, and is no event itself");
	is_int(correlate_open(c), 0, "the tally line closed the session");
	correlate_add(c, ev(804, 10000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.85", NULL, "accept"), &r_accept);
	correlate_add(c, ev(804, 10001, KIND_AUTH_WITHOUT_TLS, "192.0.2.85", NULL, "tally"), &r_tally);
	is_int(nout, 1, "an open failure of the session is finished, the tally adds nothing");
	if (nout == 1)
		is_str(event_kind_name(out[0]->kind), "tls_handshake_failed", "the failure keeps its kind");
	reset();
	/* A failed handshake ended by its own disconnect line, then a new session without TLS. */
	correlate_add(c, ev(805, 10000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.86", NULL, "accept"), &r_accept);
	correlate_add(c, ev(805, 10000, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.86", NULL, "end"), &r_end);
	correlate_add(c, ev(805, 10003, KIND_AUTH_WITHOUT_TLS, "192.0.2.86", NULL, "tally"), &r_tally);
	is_int(nout, 2, "a session ended before does not explain the next one's tally");
	reset();
	correlate_add(c, ev(806, 10000, KIND_AUTH_FAILED, "192.0.2.87", NULL, "sasl"), &r_alone);
	correlate_add(c, ev(806, 10001, KIND_TLS_HANDSHAKE_FAILED, "192.0.2.87", NULL, "close"), &r_close);
	correlate_add(c, ev(806, 10002, KIND_AUTH_WITHOUT_TLS, "192.0.2.87", NULL, "tally"), &r_tally);
	is_int(nout, 2, "nor one closed by a close line");
	reset();
	correlate_add(c, ev(807, 10000, KIND_AUTH_FAILED, "192.0.2.88", NULL, "sasl"), &r_alone);
	correlate_add(c, ev(807, 10000 + CORRELATE_SESSION_MAX + 1, KIND_AUTH_WITHOUT_TLS, "192.0.2.88",
	    NULL, "tally"), &r_tally);
	is_int(nout, 2, "a failure longer ago than a session lasts does not explain it");
	reset();
	/* A session's marks found behind those of 200 sessions after it, each of them forgotten. */
	correlate_add(c, ev(900, 20000, KIND_AUTH_FAILED, "192.0.2.90", NULL, "sasl"), &r_alone);
	correlate_add(c, ev(900, 20000, KIND_AUTH_FAILED, "192.0.2.90", NULL, "sasl"), &r_alone);
	for (long pid = 1000; pid < 1200; pid++)
		correlate_add(c, ev(pid, 20001, KIND_AUTH_FAILED, "192.0.2.91", NULL, "sasl"), &r_alone);
	reset();
	correlate_add(c, ev(900, 20002, KIND_AUTH_WITHOUT_TLS, "192.0.2.90", NULL, "tally"), &r_tally);
	is_int(nout, 0, "the tally of a session with older marks than 200 others adds nothing");
	ok(!correlate_has_process(c, "postfix", "mx1", 3, "postfix/smtpd", 13, 900),
	    "and both of its marks are forgotten");
	correlate_add(c, ev(1100, 20002, KIND_AUTH_WITHOUT_TLS, "192.0.2.91", NULL, "tally"), &r_tally);
	correlate_add(c, ev(1100, 20003, KIND_AUTH_WITHOUT_TLS, "192.0.2.91", NULL, "tally"), &r_tally);
	is_int(nout, 1, "one of the others: its first tally adds nothing, the next is an event");
	reset();
	correlate_free(c);
	return done_testing();
}

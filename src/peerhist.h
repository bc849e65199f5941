/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peerhist.h: what a peer did right, as one sentence, for the readers that
 * put regressions first (query --peer, the summary): "delivered over TLSv1.2
 * every day from 2026-11-24 until 2026-12-01 09:14 (312 messages); fails
 * since 2026-12-01 10:02 with tls_protocol_mismatch", or "no successful
 * session in the last 7 days: not a known partner".
 *
 * The history is read from peer_days (schema 12) by the peer's key only: its
 * last success, then its days in the window of days ending with that
 * success (regression_days), then its failures after it. Times and days
 * are UTC, as everywhere the readers print them (query's "TIME (UTC)", the
 * summary's periods) and as peer_days counts its days. Every value from the log (a host name, a version, a kind) is
 * kept to printable ASCII, so the sentence needs only the escaping of its
 * output (HTML, JSON), never a terminal's.
 */
#ifndef TLSLOGD_PEERHIST_H
#define TLSLOGD_PEERHIST_H

#include <stdint.h>

#include "util.h"

struct reportdb;

struct peerhist {
	int untracked;		/* the database counts no success (none in peer_days, or none
				   before schema 12): "never succeeded" would mean nothing */
	int window;		/* days looked at, ending with the last success */
	int known;		/* a success on record */
	int64_t last;		/* the last success */
	int64_t first;		/* the first success of the first day of the window with one */
	int days;		/* days of the window with a success ... */
	int span;		/* ... of the days from first to last (both counted) */
	char *version;		/* the protocol of the last success; NULL: clear text */
	char *host;		/* the peer's name as last logged with a success, or NULL */
	int out;		/* the last success was a delivery to the peer (else from it) */
	int login;		/* ... a login */
	int64_t messages, sessions, logins;	/* in the window */
	int64_t failures;	/* failures after the last success (all, when none) */
	int64_t fail_first;	/* the first of them */
	char *fail_kind;	/* their most frequent kind */
};

/*
 * Read the history of peer (an address, as stored) over window days (1 or
 * more). 0, or -1 (logged) on a database error; a database without
 * peer_days reads as no success on record.
 */
int peerhist_read(struct reportdb *db, const char *peer, int window, struct peerhist *h);
void peerhist_free(struct peerhist *h);
/*
 * Whether h says anything: a success on record, or failures of a peer that
 * never succeeded, in a database that counts successes (some peer has one).
 */
int peerhist_worth_saying(const struct peerhist *h);
/* The sentence (without the peer's name) appended to out. */
void peerhist_sentence(struct buf *out, const struct peerhist *h);
/*
 * "mx.partner.example [192.0.2.7]: " and the sentence; host (or the
 * history's) may be NULL. Values are kept to printable ASCII.
 */
void peerhist_headline(struct buf *out, const char *peer, const char *host,
    const struct peerhist *h);

#endif

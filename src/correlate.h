/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * correlate.h: join the lines an MTA writes about one failure into one event.
 *
 * A failed TLS handshake is often several lines from one process: Postfix's
 * smtpd writes "SSL_accept error from host[ip]: -1", then "warning: TLS
 * library problem: ...:no shared cipher:..." (no peer), then "lost connection
 * after STARTTLS from host[ip]" and "disconnect from host[ip] ...". Each
 * matched line arrives here with its rule's role (rules.h); lines with role
 * part, detail or end are joined per process, i.e. per (mta, server, program,
 * pid), because one smtpd / sendmail / exim process handles one connection at
 * a time (a log without pids, such as Exim's default main log, has no
 * process to follow: there each part line starts a new failure). The joined
 * event keeps the time of its first line, the peer from
 * whichever line names it, and the most specific kind with its reason.
 *
 * A hint line (rules.h) opens or joins an entry like a part line, but an
 * entry made of hints only is dropped instead of emitted; a close line
 * finishes an entry like an end line without making it a failure. A summary
 * line (Sendmail's "possible SMTP attack: command=AUTH, count=N") is emitted
 * at once unless an alone event of its kind, process and peer was emitted
 * before it within an hour: then it sums up failures already counted. Alone
 * lines are emitted at once, except an outbound line that repeats a
 * delivery's status for another recipient (same rule, process, queue id and
 * peer within linger).
 *
 * A tally line (a session end whose counters say that a command was refused,
 * Postfix's "disconnect from ... auth=0/1") is the failure only when nothing
 * else of its session was matched: it finishes the process's open entry when
 * that entry is about the same peer (or names none) and is then dropped; it is
 * dropped as well when an inbound line of the same process and peer (a SASL
 * failure, a reject) was matched within CORRELATE_SESSION_MAX seconds before
 * it and no other tally line came in between; otherwise it is emitted alone.
 *
 * An open entry is finished (emitted) when
 *   - a line with role end arrives for its process (the session is over);
 *   - a part line arrives that cannot belong to it: a rule already seen in the
 *     entry (a second failure) or a different peer;
 *   - no line joined it for `linger` seconds of log time (correlate_expire);
 *   - the input ends (correlate_flush), or too many entries are open.
 * Lines of other processes interleaved between them change nothing.
 */
#ifndef TLSLOGD_CORRELATE_H
#define TLSLOGD_CORRELATE_H

#include <stdint.h>

#include "event.h"
#include "rules.h"

/* How long a session may last between its last matched line and its tally line. */
#define CORRELATE_SESSION_MAX 900

/* Receives each finished event; takes ownership of it. */
typedef void (*correlate_emit_fn)(void *ctx, struct event *ev);

struct correlator;

/* linger: seconds of log time an entry waits for more lines; max_open: bound on open entries. */
struct correlator *correlate_new(correlate_emit_fn emit, void *ctx, int64_t linger, size_t max_open);
void correlate_free(struct correlator *c);

/* Add a matched line's event (ownership passes to the correlator). */
void correlate_add(struct correlator *c, struct event *ev, const struct rule *rule);
/* Finish entries that have been idle for longer than linger at log time `now`. */
void correlate_expire(struct correlator *c, int64_t now);
/*
 * The daemon's wall clock: entries remember when a line last joined them
 * (correlate_set_clock before adding), and correlate_expire_idle finishes
 * those no line joined for idle_ms, whatever the time in the log says.
 */
void correlate_set_clock(struct correlator *c, int64_t now_ms);
void correlate_expire_idle(struct correlator *c, int64_t idle_ms);
/* Finish every open entry. */
void correlate_flush(struct correlator *c);
/*
 * Drop every open entry without emitting it: its lines will be read again
 * (the caller kept its position at correlate_min_offset()).
 */
void correlate_discard(struct correlator *c);
/*
 * Is an entry open for the process (mta, server, program, pid), as
 * correlate_add would find it for an event with those fields? server and
 * program may be NULL (not logged).
 */
int correlate_has_process(const struct correlator *c, const char *mta, const char *server,
    size_t server_len, const char *program, size_t program_len, long pid);
/* Number of open entries. */
size_t correlate_open(const struct correlator *c);
/* Lowest input offset of a line held in an open entry, or -1 if none is open. */
int64_t correlate_min_offset(const struct correlator *c);

#endif

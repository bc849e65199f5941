/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reportdb.h: the read side of the database, for the commands that report
 * (query, top, flagged, stats, summary). Every SQL text they run and every
 * column name they depend on lives in reportdb.c, so that a schema change
 * (or a second database engine) touches one file; the commands keep their
 * options and their output, and none of them includes <sqlite3.h>.
 *
 * The database is opened read-only (store.h): in WAL mode a reader never
 * blocks the daemon and never sees half of its batch.
 *
 * A query gives a struct reportdb_rows, read one row at a time with
 * reportdb_next(); the accessors read the current row's columns, whose
 * numbers each query below names. Text is NUL-terminated, NULL for an SQL
 * NULL, and valid until the next reportdb_next() or reportdb_rows_free().
 * Every failure is logged with the database path and SQLite's message.
 *
 * The same holds on PostgreSQL (a postgresql:// URI): the same queries in
 * its dialect, the same rows and columns, in the same order where the order
 * is promised (text sorts as SQLite's, byte by byte, NULL first), so that a
 * report reads the same from either engine (tests/pg-readers.sh).
 */
#ifndef TLSLOGD_REPORTDB_H
#define TLSLOGD_REPORTDB_H

#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

struct reportdb;
struct reportdb_rows;

/*
 * Open path read-only: an SQLite file, or a PostgreSQL database when path is
 * a postgresql:// or postgres:// URI (reportdb_pg.h: read-only, tlslogd's
 * schema of a version this binary knows). NULL (logged) if it cannot be read.
 */
struct reportdb *reportdb_open(const char *path);
void reportdb_close(struct reportdb *db);
/* The file's path, or the URI with its password masked. */
const char *reportdb_path(const struct reportdb *db);
/* 1 when the database is PostgreSQL, 0 when it is an SQLite file. */
int reportdb_is_postgresql(const struct reportdb *db);
/* PostgreSQL: the database's size in bytes; -1 on an error (logged), or on SQLite (stat its file). */
int64_t reportdb_server_bytes(struct reportdb *db);
/*
 * A read transaction: every query between reportdb_begin() and reportdb_end()
 * reads one snapshot of the database, even while the daemon writes. 0 or -1
 * (logged).
 */
int reportdb_begin(struct reportdb *db);
void reportdb_end(struct reportdb *db);

/* 1: a row is there to read; 0: no more rows; -1: an error (logged). */
int reportdb_next(struct reportdb_rows *r);
void reportdb_rows_free(struct reportdb_rows *r);
int reportdb_null(const struct reportdb_rows *r, int col);
int64_t reportdb_int(const struct reportdb_rows *r, int col);
/* NULL for an SQL NULL; *len (if len) its length in bytes. */
const char *reportdb_text(const struct reportdb_rows *r, int col, size_t *len);

/* ---- events of a peer (query) ---- */

enum reportdb_peer_type {
	REPORTDB_PEER_ALL,	/* every event (query --follow without --peer) */
	REPORTDB_PEER_NAME,	/* a reverse or HELO name of one label ("mx1") */
	REPORTDB_PEER_IP,	/* one address */
	REPORTDB_PEER_NET,	/* a network */
	REPORTDB_PEER_DOMAIN	/* "domain" or ".domain": a name with a dot */
};

/* The columns of an event row, in the order of tlslogd.rules(5). */
enum {
	REPORTDB_EV_TIME, REPORTDB_EV_SERVER, REPORTDB_EV_MTA, REPORTDB_EV_PROGRAM,
	REPORTDB_EV_PID, REPORTDB_EV_DIRECTION, REPORTDB_EV_KIND, REPORTDB_EV_PEER_HOST,
	REPORTDB_EV_PEER_IP, REPORTDB_EV_PEER_PORT, REPORTDB_EV_HELO, REPORTDB_EV_USER,
	REPORTDB_EV_MECH, REPORTDB_EV_REASON, REPORTDB_EV_TLS_VERSION, REPORTDB_EV_CIPHER,
	REPORTDB_EV_QUEUE_ID, REPORTDB_EV_SOURCE, REPORTDB_EV_OFFSET, REPORTDB_EV_RAW,
	REPORTDB_EV_DOWNGRADED,
	REPORTDB_EV_ID,		/* the event's row id: after the named columns, not printed */
	REPORTDB_EV_COLUMNS = REPORTDB_EV_ID
};
/* The names of the event columns (the JSON and CSV keys). */
extern const char *const reportdb_event_columns[REPORTDB_EV_COLUMNS];

/* Which events: a peer and the filters; NULL / 0 for "any". */
struct reportdb_filter {
	enum reportdb_peer_type type;
	char text[300];		/* canonical address, network address, name, or domain without dot */
	char key[260];		/* DOMAIN: its registered domain, "" if none */
	struct cidr net;	/* NET */
	uint32_t kinds;		/* bit 1 << enum event_kind for each kind wanted; 0: any */
	const char *server, *direction;
	int since, until;	/* whether t_since / t_until apply */
	int64_t t_since, t_until;
};

/*
 * Fill f's peer from the text of --peer (an address, a network, a domain
 * with or without a leading dot, or a name of one label); an IPv4-mapped
 * IPv6 address (::ffff:192.0.2.7) is the IPv4 one. The filters are left as
 * they are. 0, or -1 (logged) when PEER is a malformed network or domain.
 *
 * A domain ("partner.example", ".partner.example") selects the events whose
 * reverse name or HELO name is the domain or ends with ".domain", and the
 * outgoing events whose failed delivery was to a recipient in exactly that
 * domain (recipient_domain, schema 11). A text that is not a well-formed
 * host name ("[192.0.2.7]", "User") is a name, matched exactly.
 */
int reportdb_filter_peer(struct reportdb_filter *f, const char *peer);

/*
 * What f's peer was matched as, for "no events for PEER (...)": "as a
 * domain: its hosts, HELO names and recipient domain", "as a reverse or HELO
 * name"; NULL for an address or a network, which are what they are.
 */
const char *reportdb_filter_tried(const struct reportdb_filter *f);

/*
 * Add to *kinds the kinds a --kind value names: one kind or several,
 * comma-separated ("tls_cert_expired,auth_failed"), "tls" for every tls_*
 * kind and "auth" for every auth_* one. 0, or -1 (logged, *kinds as it
 * was) when a name is not a kind.
 */
int reportdb_parse_kinds(const char *list, uint32_t *kinds);

/*
 * The events f selects, newest first, at most limit (0: all). An address,
 * or an IPv4 network, matches the IPv4-mapped IPv6 form of it too.
 */
struct reportdb_rows *reportdb_events(struct reportdb *db, const struct reportdb_filter *f,
    long long limit);

/*
 * For `query --follow`: the events f selects with a row id above after, in
 * the order they were stored, at most limit; those with an id at or below
 * replay_to must also be at or after f->t_since (the replay of --since),
 * later ones are taken whatever their time.
 */
struct reportdb_rows *reportdb_events_after(struct reportdb *db, const struct reportdb_filter *f,
    int64_t after, int64_t replay_to, long long limit);

/* The row id of the newest event, 0 if none; -1 on an error (logged). */
int64_t reportdb_last_event_id(struct reportdb *db);

/* One cause: a kind, seen in one direction by one MTA. */
struct reportdb_cause {
	char *kind, *direction, *mta, *reason;	/* reason: the most frequent one, or NULL */
	char *ip, *host, *domain;		/* for the advice: NULL unless all events agree */
	int several;				/* bit 0: ip, 1: host, 2: domain differ */
	int64_t count, first, last;
	int64_t reasons;			/* distinct reasons seen */
};

/* The causes among the events f selects, most frequent first; 0 or -1 (logged). */
int reportdb_causes(struct reportdb *db, const struct reportdb_filter *f,
    struct reportdb_cause **out, size_t *n);
void reportdb_causes_free(struct reportdb_cause *c, size_t n);

/* ---- top ---- */

enum reportdb_top_by {
	REPORTDB_BY_PEER, REPORTDB_BY_KIND, REPORTDB_BY_SERVER, REPORTDB_BY_DOMAIN,
	REPORTDB_BY_USER
};

/*
 * The keys with the most events among those f selects (t_since always,
 * t_until if until, and its peer, kinds, server and direction), worst
 * first, at most limit (0: all). Columns: 0 the key, 1 the count, 2 by peer
 * a reverse name seen, by user the number of distinct addresses, else the
 * number of distinct peers, 3 and 4 the first and last event. By user,
 * only the events that name a user. By server with a peer: where the peer
 * fails.
 */
struct reportdb_rows *reportdb_top(struct reportdb *db, enum reportdb_top_by by,
    const struct reportdb_filter *f, long long limit);

/* ---- flagged ---- */

/* The columns of a flag row. */
enum {
	REPORTDB_FL_PEER, REPORTDB_FL_PEER_KIND, REPORTDB_FL_THRESHOLD, REPORTDB_FL_COUNT,
	REPORTDB_FL_FIRST, REPORTDB_FL_LAST, REPORTDB_FL_FLAGGED, REPORTDB_FL_CLEARED,
	REPORTDB_FL_MAIN_KIND, REPORTDB_FL_HOST, REPORTDB_FL_WHY,
	REPORTDB_FL_REGRESSION,	/* 1: a regression flag (threshold CONF_REGRESSION), 0: not */
	REPORTDB_FL_COLUMNS
};
extern const char *const reportdb_flag_columns[REPORTDB_FL_COLUMNS];

/*
 * The flags active at now (not cleared, not quiet for quiet seconds), most
 * events first; or with all, every flag, newest first, with "cleared" the
 * row's or, once passed, last_event + quiet. Regression flags first, either
 * way.
 */
struct reportdb_rows *reportdb_flags(struct reportdb *db, int all, int64_t now, int64_t quiet);

/* ---- stats ---- */

/*
 * Of the events server logged (any case; NULL: every server's): their
 * number and the time of the first and last; 0 or -1 (logged).
 */
int reportdb_event_span(struct reportdb *db, const char *server, int64_t *total, int64_t *first,
    int64_t *last);
/*
 * Such events as rows of 0 a kind, 1 a time (the latest of the row's) and 2
 * the number of events the row stands for, in no promised order: one row
 * per event on SQLite (read from its time index), one per kind on
 * PostgreSQL. The sums per kind are the counts.
 */
struct reportdb_rows *reportdb_kind_times(struct reportdb *db, const char *server);
/*
 * The sources of the daemon: 0 name, 1 file path, 2 offset, 3 journal cursor,
 * 4 lines, 5 lines cut, 6 lines unknown, 7 updated, 8 the server (the
 * tlslogd host) reading it on PostgreSQL, NULL on SQLite; by server and
 * name. On PostgreSQL, server (not NULL) keeps that host's only; an SQLite
 * file is one host's. *absent set (and NULL returned) when the database is
 * too old to have them.
 */
struct reportdb_rows *reportdb_sources(struct reportdb *db, const char *server, int *absent);
/*
 * The latest limit losses: 0 time, 1 path, 2 from, 3 to (NULL: its end),
 * 4 reason, 5 the count of all; server and *absent as for reportdb_sources.
 */
struct reportdb_rows *reportdb_losses(struct reportdb *db, const char *server, int limit,
    int *absent);

/* ---- summary ---- */

/*
 * The summary (summary.h) reads two periods of the same length: the one
 * before, [prev, since), and the period, [since, until), of the events one
 * server logged (any case), or of every server's when server is NULL (its
 * flags are the database's, whoever logged their events).
 *
 * Failures per server, kind and period: 0 server, 1 kind, 2 in the period
 * (1) or before (0), 3 the count.
 */
struct reportdb_rows *reportdb_summary_counts(struct reportdb *db, int64_t prev, int64_t since,
    int64_t until, const char *server);
/* Failures per bar of bucket seconds in the period: 0 time / bucket, 1 the count. */
struct reportdb_rows *reportdb_summary_bars(struct reportdb *db, int64_t since, int64_t until,
    int64_t bucket, const char *server);
/*
 * The peers (an address, or a name when the log gives no address, or
 * neither) failing in either period, most failures in the period first, then
 * most before: 0 ip, 1 host, 2 failures in the period, 3 before, 4 the
 * number of servers, 5 a server, 6 the kind when all its failures share one
 * (else NULL), 7 its last failure.
 */
struct reportdb_rows *reportdb_summary_peers(struct reportdb *db, int64_t prev, int64_t since,
    int64_t until, const char *server);
/*
 * The causes (kind, direction, MTA) of one peer (ip, else host, else
 * neither) in the period, most first: 0 kind, 1 direction, 2 mta, 3 count,
 * 4 distinct users, 5 a reverse name, 6 a HELO, 7 a user, 8 first, 9 last.
 */
struct reportdb_rows *reportdb_summary_peer_causes(struct reportdb *db, const char *ip,
    const char *host, int64_t since, int64_t until, const char *server);
/* The most frequent reason of one peer's cause in the period: 0 the reason (no row: none). */
struct reportdb_rows *reportdb_summary_peer_reason(struct reportdb *db, const char *ip,
    const char *host, int64_t since, int64_t until, const char *kind, const char *direction,
    const char *mta, const char *server);
/* The causes in either period: 0 kind, 1 direction, 2 mta, 3 in the period, 4 before, 5 peers in the period. */
struct reportdb_rows *reportdb_summary_causes(struct reportdb *db, int64_t prev, int64_t since,
    int64_t until, const char *server);
/* The threshold of a flag active at now on ip (quiet: flag_quiet): 0 threshold; no row: none. */
struct reportdb_rows *reportdb_active_flag(struct reportdb *db, const char *ip, int64_t now,
    int64_t quiet);
/*
 * The flags raised in [since, until) (cleared: those cleared in it, a flag
 * quiet for quiet seconds counting as cleared then, if before now), the most
 * events first: 0 peer, 1 peer_kind, 2 threshold, 3 why, 4 main_kind, 5 host,
 * 6 count, 7 first_event, 8 last_event, 9 flagged, 10 cleared (NULL: active).
 */
struct reportdb_rows *reportdb_summary_flags(struct reportdb *db, int cleared, int64_t since,
    int64_t until, int64_t now, int64_t quiet);
/* How many flags were active at until (now and quiet as above); -1 on an error (logged). */
int64_t reportdb_summary_active(struct reportdb *db, int64_t until, int64_t now, int64_t quiet);

/* ---- peer_days: the successes of a peer (issue 17) ---- */

/*
 * A peer's last success: 0 day, 1 last_time, 2 last_version (NULL: clear
 * text), 3 direction, 4 host, 5 whether that row counts logins. No row: no
 * success on record; NULL with *absent set: a database older than schema 12.
 */
struct reportdb_rows *reportdb_peer_last_success(struct reportdb *db, const char *peer,
    int *absent);
/*
 * A peer's successes per day in [from_day, to_day] (UTC days, time / 86400),
 * oldest first: 0 day, 1 first success, 2 last success, 3 messages, 4
 * sessions (TLS and clear text), 5 logins.
 */
struct reportdb_rows *reportdb_peer_history(struct reportdb *db, const char *peer, int64_t from_day,
    int64_t to_day);
/* A peer's failures after a time, per kind, most first: 0 kind, 1 count, 2 first. */
struct reportdb_rows *reportdb_peer_failures_after(struct reportdb *db, const char *peer,
    int64_t after);
/*
 * The addresses among the events f selects (a name or a domain), the most
 * events first, at most limit: 0 address, 1 a reverse name.
 */
struct reportdb_rows *reportdb_filter_addresses(struct reportdb *db,
    const struct reportdb_filter *f, long long limit);
/*
 * The addresses failing in [since, until) that never succeeded (no row in
 * peer_days) and have no flag active at now (quiet: flag_quiet), the most
 * failures first: 0 address, 1 failures, 2 a reverse name, 3 the kind when
 * all share one. *absent as for reportdb_peer_last_success.
 */
struct reportdb_rows *reportdb_summary_unknown_peers(struct reportdb *db, int64_t since,
    int64_t until, int64_t now, int64_t quiet, const char *server, int *absent);
/*
 * Whether the database keeps a success history at all (peer_days has a
 * row): 1 or 0 (0 too before schema 12), -1 on an error (logged). Without
 * one, "never succeeded" says nothing about a peer.
 */
int reportdb_peer_days_kept(struct reportdb *db);

/* ---- peers: the successes of peer_days (schema 12) ---- */

/*
 * The success counters of a peer_days row, in the order of the table; the
 * names (reportdb_counter_names) are its column names and the JSON keys.
 */
enum reportdb_counter {
	REPORTDB_CLEAR, REPORTDB_SSL3, REPORTDB_TLS10, REPORTDB_TLS11, REPORTDB_TLS12,
	REPORTDB_TLS13, REPORTDB_TLS_OTHER, REPORTDB_AEAD, REPORTDB_CBC, REPORTDB_DES3,
	REPORTDB_RC4, REPORTDB_CIPHER_OTHER, REPORTDB_MESSAGES, REPORTDB_LOGINS,
	REPORTDB_COUNTERS
};
extern const char *const reportdb_counter_names[REPORTDB_COUNTERS];
/* The counters of a protocol: clear to tls_other. Their sum is a peer's "total". */
#define REPORTDB_PROTOCOLS (REPORTDB_TLS_OTHER + 1)

/*
 * The columns of a peers row. The counters are sums over the days read;
 * "matched" the sum of the counters selected (all protocols when none is),
 * "total" the sum of the protocol counters.
 *   reportdb_peers: a peer in one direction on one server, over the period;
 *     DAY the last UTC day (time / 86400) on which it did what was selected,
 *     LAST and LAST_VERSION that day's last success and the protocol of that
 *     day's last TLS success (the table keeps no finer time: LAST is the
 *     selected success's day, not its time, unless LAST_VERSION is the one
 *     selected); FIRST its first success in the period; DAYS the days on
 *     which it did what was selected, DAYS_SEEN the days with any success;
 *     HOST its name on its latest day, MTA the MTAs that logged it
 *     (comma-separated).
 *   reportdb_peer_days: one row of peer_days; FIRST, LAST, LAST_VERSION the
 *     day's; DAYS and DAYS_SEEN are 1.
 */
enum {
	REPORTDB_PS_PEER, REPORTDB_PS_DIRECTION, REPORTDB_PS_SERVER, REPORTDB_PS_MTA,
	REPORTDB_PS_HOST,
	REPORTDB_PS_COUNTER,	/* the first of the REPORTDB_COUNTERS counters */
	REPORTDB_PS_MATCHED = REPORTDB_PS_COUNTER + REPORTDB_COUNTERS,
	REPORTDB_PS_TOTAL, REPORTDB_PS_DAY, REPORTDB_PS_FIRST, REPORTDB_PS_LAST,
	REPORTDB_PS_LAST_VERSION, REPORTDB_PS_DAYS, REPORTDB_PS_DAYS_SEEN,
	REPORTDB_PS_COLUMNS
};

/*
 * The rows of peer_days in f's period: a day is read whole when any of its
 * successes is in it (its last success at or after t_since, its first at or
 * before t_until if until), with f's direction and server
 * (case-insensitive) if set, and f's peer unless REPORTDB_PEER_ALL (an
 * address, also in its IPv4-mapped form; a network; a name: the peer or its
 * host, case-insensitive; a domain: a peer or host that is it or ends with
 * ".domain"); f's kinds are not read. select: bit 1 << enum reportdb_counter
 * for each counter asked (the days on which one of them is not 0); 0: every
 * day.
 *
 * reportdb_peers: grouped by peer, direction and server; the peers that
 * delivered or received messages or logged in first, then by matched,
 * total, last, peer; at most limit (0: all).
 * reportdb_peer_days: newest day first, then peer, direction, server.
 */
struct reportdb_rows *reportdb_peers(struct reportdb *db, const struct reportdb_filter *f,
    uint32_t select, long long limit);
struct reportdb_rows *reportdb_peer_days(struct reportdb *db, const struct reportdb_filter *f,
    uint32_t select, long long limit);
/* The number of rows of peer_days, and the first day's first success (0 if none); 0 or -1 (logged). */
int reportdb_peer_days_span(struct reportdb *db, int64_t *rows, int64_t *first);


#endif

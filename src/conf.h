/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf.h: tlslogd.conf(5). One setting per line, "keyword value"; "#"
 * starts a comment. Every mistake is reported as "file:line: message" and
 * parsing goes on to find them all. Commands read it for the database path
 * and the patterns folder; `tlslogd run` for its sources and its limits.
 */
#ifndef TLSLOGD_CONF_H
#define TLSLOGD_CONF_H

#include <stddef.h>
#include <stdint.h>

enum source_type {
	SOURCE_FILE,
	SOURCE_JOURNAL
};

/* One "source" line: a log file, or the systemd journal. */
struct conf_source {
	enum source_type type;
	char *path;		/* SOURCE_FILE: the file to follow */
	char *mta;		/* NULL: route each line by its program tag */
	char **identifiers;	/* SOURCE_JOURNAL: SYSLOG_IDENTIFIERs (NULL-terminated) or NULL */
	char **units;		/* SOURCE_JOURNAL: systemd units (NULL-terminated) or NULL */
	char *directory;	/* SOURCE_JOURNAL: a journal folder instead of the system's */
	int lineno;		/* where it was configured (0: command line) */
};

/* One "flag NAME KINDS COUNT WINDOW" line: COUNT events of KINDS within WINDOW flag a peer. */
struct conf_threshold {
	char *name;
	char **kinds;		/* NULL-terminated; "tls_*" ends in a wildcard, "*" is every kind */
	int64_t count;
	int64_t window;		/* seconds */
};

struct conf {
	char *path;		/* the file read, or NULL when none was */
	char *database;
	char *patterns;
	char *advice;		/* folder of the shipped *.advice files (advice.h) */
	char *local_rules;		/* local rules folder, added to and overriding patterns */
	int local_rules_is_default;	/* not named by the user: may be missing */
	char *timezone;
	/* The daemon. */
	struct conf_source *sources;
	size_t nsources;
	long batch_events;	/* commit after this many events ... */
	long batch_interval_ms;	/* ... or this long after the first uncommitted line */
	size_t max_line;	/* longer lines are cut */
	int from_start;		/* a file never seen is read from its start, not its end */
	char *user;		/* started as root: run as this user ... */
	char *group;		/* ... and group (default: the user's) */
	char *server;		/* host name for lines that carry none */
	int64_t retention_days;		/* events older than this are purged; 0: never */
	int64_t retention_bytes;	/* database size cap; 0: none */
	/* Flagging repeat offenders. */
	struct conf_threshold *thresholds;
	size_t nthresholds;
	int thresholds_given;	/* a flag line was read: the defaults are replaced */
	int64_t flag_quiet;	/* seconds without events after which a flag clears */
	char **flag_domain_kinds;	/* NULL-terminated: the kinds a domain is flagged for */
	/* Regressions: a peer that succeeded in the last regression_days days and now fails. */
	int regression_days;	/* 0: no regression flags */
	char **regression_kinds;	/* NULL-terminated, "tls_cert_*" by prefix (empty: none) */
	int peer_history;	/* count the successes per peer and day (peer_days) */
	char **allow;		/* NULL-terminated: IP, CIDR, domain (".example.net") never flagged */
	size_t nallow;
	char **action_flag;	/* argv templates (NULL: none), %ip% %host% ... see tlslogd.conf(5) */
	char **action_clear;
	char **action_regression;	/* for a regression flag (NULL: action_flag runs) */
	int64_t action_timeout;	/* seconds */
	/* Metrics for Prometheus (metrics.h). */
	char *metrics_file;	/* the textfile collector's file, or NULL */
	int64_t metrics_interval;	/* seconds between two writes of it */
	char *metrics_listen;	/* the /metrics endpoint's address, or NULL: off */
	/* The summary email. */
	char **sendmail;	/* argv of the sendmail-compatible program (default below) */
	char *mail_from;	/* From: of the summary (NULL: tlslogd@ the host's name) */
	char **mail_to;		/* default recipients of `tlslogd summary --mail` (NULL: none) */
};

#define CONF_DEFAULT_SENDMAIL "/usr/sbin/sendmail -t -oi"

/* Defaults of the daemon's settings, documented in tlslogd.conf(5). */
#define CONF_DEFAULT_BATCH_EVENTS 1000
#define CONF_DEFAULT_BATCH_INTERVAL_MS 100
#define CONF_DEFAULT_MAX_LINE (64 * 1024)	/* also scan's (ingest.c) */
#define CONF_MIN_MAX_LINE 256
#define CONF_MAX_MAX_LINE (64 * 1024 * 1024)
#define CONF_DEFAULT_RETENTION_DAYS 400
#define CONF_DEFAULT_FLAG_QUIET (24 * 3600)
/*
 * The kinds a domain is flagged for: what the domain as a whole controls (its
 * certificates, its TLS versions and ciphers, its STARTTLS, its DANE or
 * MTA-STS policy, whether its clients use TLS), never a lost connection, a
 * timeout, a handshake failure without a cause, a port scanner's plaintext,
 * our own TLS set-up or a password (those are one host's, or ours).
 */
#define CONF_DEFAULT_FLAG_DOMAIN_KINDS "tls_cert_*,tls_no_shared_cipher,tls_protocol_mismatch," \
	"tls_weak_crypto,tls_not_offered,tls_starttls_refused,tls_required,tls_policy_failure"
/*
 * Regressions (issue 17): the threshold NAME of a regression flag, which no
 * "flag" line may take; how many days of success make a peer a partner; and
 * the kinds a configuration causes (a certificate, a cipher, a protocol,
 * STARTTLS, a policy, a handshake that failed), never a lost connection, a
 * timeout or a password.
 */
#define CONF_REGRESSION "regression"
#define CONF_DEFAULT_REGRESSION_DAYS 7
#define CONF_MAX_REGRESSION_DAYS 366
#define CONF_DEFAULT_REGRESSION_KINDS "tls_no_shared_cipher,tls_protocol_mismatch," \
	"tls_non_tls_peer,tls_cert_untrusted,tls_cert_expired,tls_cert_host_mismatch," \
	"tls_cert_missing,tls_cert_rejected_by_peer,tls_weak_crypto,tls_not_offered," \
	"tls_starttls_refused,tls_required,tls_downgraded,tls_policy_failure,tls_handshake_failed"
#define CONF_DEFAULT_ACTION_TIMEOUT 30
#define CONF_DEFAULT_METRICS_INTERVAL 10

/*
 * The settings table: one entry per keyword of tlslogd.conf(5) drives the
 * parser, the defaults of conf_init, the bounds of the command line's
 * equivalents (--max-line) and the check that the man page and the sample
 * configuration name every setting (tests/unit/conf_test.c).
 */
enum conf_syntax {
	CONF_STRING,	/* the rest of the line, as it is */
	CONF_COUNT,	/* a whole number */
	CONF_SIZE,	/* bytes, with an optional k, M or G suffix (powers of 1024) */
	CONF_MILLIS,	/* milliseconds, with an optional ms or s suffix */
	CONF_DAYS,	/* days, with an optional d suffix */
	CONF_DURATION,	/* seconds, written as a duration (90s, 10m, 1h, 2d) */
	CONF_CUSTOM	/* its own handler */
};

/* The C type of a number's field in struct conf. */
enum conf_ctype {
	CONF_C_NONE,
	CONF_C_LONG,
	CONF_C_SIZE,
	CONF_C_INT64,
	CONF_C_INT
};

struct conf_setting {
	const char *name;
	enum conf_syntax syntax;
	enum conf_ctype ctype;	/* numbers only */
	size_t offset;		/* of its field in struct conf (not CONF_CUSTOM) */
	int64_t min, max;	/* numbers: the accepted range, in the unit stored */
	int64_t def;		/* numbers: the default */
	const char *def_string;	/* CONF_STRING: the default, or NULL */
	const char *zero_word;	/* numbers: a word that stores 0 ("forever", "none"), or NULL */
	const char *expect;	/* numbers: what the error message says is expected */
	/* CONF_CUSTOM: parse value (free of comments, not empty); the number of errors logged. */
	int (*parse)(struct conf *conf, char *value, const char *path, int lineno);
};

/* The table, n entries; and the entry of one keyword, or NULL. */
const struct conf_setting *conf_settings(size_t *n);
const struct conf_setting *conf_setting(const char *name);

/*
 * The thresholds when the file has no "flag" line (the sample configuration's):
 * password guessing (auth_failed 5 in 10m) and broken TLS (tls_* 3 in 1h).
 */
void conf_default_thresholds(struct conf *conf);
/* "65536", "64k", "500M", "2G" (k, M, G: powers of 1024) into bytes; -1 if not a size. */
int conf_parse_size(const char *s, int64_t *bytes);
/* A plain mail address (local@domain) that is safe in a header: 1 or 0. */
int conf_valid_address(const char *address);
/* Add a source given on the command line (--follow FILE). */
void conf_add_file_source(struct conf *conf, const char *path, const char *mta);

/* Fill conf with the compiled-in defaults. */
void conf_init(struct conf *conf);
void conf_free(struct conf *conf);
/*
 * Read path into conf. A missing file is an error only when must_exist is set
 * (the user named it); otherwise the defaults stay. 0 or -1 (logged).
 */
int conf_load(struct conf *conf, const char *path, int must_exist);
/* Is tz a zone the C library will understand (a tz database name, or a POSIX rule)? */
int conf_valid_timezone(const char *tz);

#endif

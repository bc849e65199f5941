/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rules.h: the pattern sets of patterns/NAME.rules files (format: tlslogd.rules(5)).
 *
 * A rules folder is loaded once: every set's patterns are compiled with PCRE2
 * (JIT-compiled, where available, at their first match) and every mistake is
 * reported as "file:line: message" before anything runs. Matching then routes a line to a set by its program
 * tag, skips rules whose literal is absent (most lines stop there), and runs
 * the remaining patterns, first match wins. The reason table maps a failure's
 * reason text to a kind for every MTA alike.
 */
#ifndef TLSLOGD_RULES_H
#define TLSLOGD_RULES_H

#include <stddef.h>

#include "event.h"

enum rule_role {
	ROLE_ALONE,	/* the line alone is one failure */
	ROLE_PART,	/* one line of a multi-line failure, names the peer */
	ROLE_DETAIL,	/* one line of a multi-line failure, names no peer */
	ROLE_END,	/* closes the process's session; never an event alone */
	ROLE_CLOSE,	/* ends the process's session without saying it failed: closes
			   what is open, drops what only hint lines made */
	ROLE_HINT,	/* part of a failure only if a part, detail or end line joins it
			   (a line also written around successful sessions) */
	ROLE_TALLY,	/* a session end whose counters alone say that a command was
			   refused: an event only when no other line of the session
			   (same process and peer) was matched */
	ROLE_SUMMARY,	/* sums up failures the MTA may also have logged one by one: an
			   event only when no alone line of its kind, process and peer
			   came before it (Sendmail's "possible SMTP attack") */
	ROLE_IGNORE,	/* a known line that is not a failure (a successful handshake):
			   never an event; only `test-rules --missed` looks for these */
	ROLE_SUCCESS	/* a session, message or login that succeeded: never an event,
			   counted per peer and day (success.h); tried on every line
			   with its literal, whatever the failure rules made of it */
};

/* What one line of a success rule is ("counts"). */
enum rule_counts {
	COUNTS_SESSION,		/* a TLS or clear-text session */
	COUNTS_MESSAGE,		/* a message received or delivered */
	COUNTS_LOGIN		/* a login (IMAP, POP3, submission) */
};

struct rule_expect {
	char *field;		/* field name, or kind/direction/mta/program/pid/server */
	char *value;		/* NULL: expected to be NULL ("-") */
};

struct rule_example {
	char *line;
	int lineno;
	int must_match;		/* example: 1, nomatch: 0 */
	struct rule_expect *expects;
	size_t nexpects;
};

struct rule {
	char *id;
	const char *file;	/* owned by struct rules */
	int lineno;
	int set;
	char **programs;	/* globs on the last component of the tag; NULL: all */
	size_t nprograms;
	enum event_kind kind;
	int classify;		/* look the reason up in the reason table */
	enum event_direction direction;
	enum rule_role role;
	enum rule_counts counts;	/* role success: what a line is */
	char *literal;
	size_t literal_len;
	int literal_bit;	/* index in its set's literal scan, -1: searched with memmem */
	char *unless;		/* role success: a line with this text is none of the rule's; NULL */
	size_t unless_len;
	int unless_bit;		/* as literal_bit */
	char *note;		/* the reason when the pattern captured none (what the rule infers); NULL */
	char *pattern;
	void *code;		/* pcre2_code */
	int *group_field;	/* capture group number -> event field, -1 none, EF_COUNT: peer_port */
	int ngroups;
	struct rule_example *examples;
	size_t nexamples;
	int order;		/* place in its set: a local rule takes the place of the one it replaces */
	int local;		/* from the local rules folder */
	int disabled;		/* "disabled yes", or replaced by a local rule of the same id */
	int tallied;		/* its set has a rule with role tally: the correlator follows
				   the inbound sessions of its lines */
};

/* Where a rule's fields are in the matched message. */
#define RULE_MAX_GROUPS 32
struct rule_match {
	const struct rule *rule;
	const char *msg;
	size_t start[RULE_MAX_GROUPS];	/* per capture group; SIZE_MAX: unset */
	size_t end[RULE_MAX_GROUPS];
	int ngroups;
};

struct rules;

/*
 * Load every *.rules file of dir (in name order), then those of local_dir
 * (may be NULL; a local_dir that does not exist is fine when
 * local_may_be_missing). A local file extends the set of its "mta" (or makes
 * a new one); a local rule with the id of a shipped rule replaces it in its
 * place, or with "disabled yes" removes it; local reason entries come before
 * the shipped ones. Each error is logged as "file:line: message"; parsing
 * goes on to find them all, then NULL is returned if there was any.
 */
struct rules *rules_load(const char *dir, const char *local_dir, int local_may_be_missing);
void rules_free(struct rules *rules);

/*
 * For another thread: a matcher that shares the loaded rules (which matching
 * never changes) and has its own match data, JIT stack and route cache, the
 * state matching writes to. The original must outlive it. NULL when PCRE2
 * cannot allocate. rules_fork_free (or rules_free) frees only what it owns.
 */
struct rules *rules_fork(const struct rules *rules);
void rules_fork_free(struct rules *copy);

size_t rules_count(const struct rules *rules);
/*
 * How many matches of these rules (this fork's, for a fork) PCRE2 gave up at
 * a match, depth, heap or JIT stack limit: lines no rule could judge. The
 * first is logged once (log_warnx); the daemon adds up its forks' counts.
 */
unsigned long rules_limit_hits(const struct rules *rules);
const struct rule *rules_get(const struct rules *rules, size_t i);
size_t rules_set_count(const struct rules *rules);
const char *rules_set_mta(const struct rules *rules, int set);
int rules_set_headerless(const struct rules *rules, int set);

/* The set for an MTA name (--mta), or -1. */
int rules_find_set(const struct rules *rules, const char *mta);
/* The set for a program tag (NULL: a line without one), or -1. */
int rules_route(struct rules *rules, const char *program, size_t len);

/*
 * Try the set's rules on msg; daemon is the last component of the program
 * tag (may be NULL). Returns the first rule that matched, or NULL.
 */
const struct rule *rules_match(struct rules *rules, int set, const char *daemon, size_t daemon_len,
    const char *msg, size_t len, struct rule_match *m);

/*
 * Whether the rules with role end or close need to run on a line: asked at
 * most once per line, and only when such a rule's literal is in it. A
 * consumer whose correlator drops those lines (their process has no failure
 * open) says 0, and the rules are skipped.
 */
typedef int (*rules_ends_fn)(void *ctx);

/*
 * rules_match, except that an end or close rule is skipped when ends(ctx)
 * says 0, unless a later rule of the set may match the line too (the first
 * match must still win). So a line whose first match is an end or close rule
 * may give NULL; every other line gives what rules_match gives. ends may be
 * NULL: rules_match.
 */
const struct rule *rules_match_ends(struct rules *rules, int set, const char *daemon,
    size_t daemon_len, const char *msg, size_t len, rules_ends_fn ends, void *ctx,
    struct rule_match *m);

/* Try the set's ignore rules (known non-failures); the first that matches, or NULL. */
const struct rule *rules_match_ignore(struct rules *rules, int set, const char *daemon,
    size_t daemon_len, const char *msg, size_t len, struct rule_match *m);

/*
 * Try the set's success rules (role success) on the line the last
 * rules_match / rules_match_ends call scanned (the same msg, len and set;
 * another line is scanned again): the first that matches, or NULL. A line
 * without the literal of any success rule costs one test of that scan; a
 * rule is not tried on a line that holds its "unless" text.
 */
const struct rule *rules_match_success(struct rules *rules, int set, const char *daemon,
    size_t daemon_len, const char *msg, size_t len, struct rule_match *m);
/*
 * Off: the success rules' literals leave the scan and rules_match_success
 * finds nothing, so that a line costs what it did without them (the
 * configuration's peer_history no). On by default; a fork (rules_fork)
 * takes the setting of its original as it is then.
 */
void rules_count_successes(struct rules *rules, int on);
/* Whether the set has success rules (a caller that does not count them asks nothing). */
int rules_set_has_success(const struct rules *rules, int set);

/* Try one rule alone (for checking its examples); 1 on a match, else 0. */
int rules_match_one(struct rules *rules, const struct rule *r, const char *daemon,
    size_t daemon_len, const char *msg, size_t len, struct rule_match *m);

/*
 * Look reason text up in the reason table. On a hit returns 1 and sets the
 * kind and the normalized text (owned by rules); 0 when no entry matches.
 */
int rules_classify(const struct rules *rules, const char *reason, size_t len,
    enum event_kind *kind, const char **norm, size_t *norm_len);

#endif

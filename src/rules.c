/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rules.c: load, compile and match the pattern sets (see rules.h and
 * tlslogd.rules(5)).
 *
 * Loading is strict and exhaustive: an administrator who edits a rules file
 * sees every mistake at once, each as "file:line: message", and a folder with
 * any mistake loads nothing. Matching is the hot path: routing a program tag
 * to its set goes through a small cache (a log has a handful of distinct
 * tags), the literals of all of a set's rules are found in one pass over the
 * line (below), a rule whose literal is absent is skipped, and one
 * match-data block is reused for every match. PCRE2 runs in byte mode (no
 * UTF): log lines may be invalid UTF-8. A match limit and a bounded JIT stack
 * keep any single line from taking more than a few milliseconds.
 */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fnmatch.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rules.h"
#include "util.h"

#define ROUTE_CACHE 16
#define TAG_MAX 128
#define MATCH_LIMIT 200000
#define DEPTH_LIMIT 5000
#define JIT_STACK_MIN (32 * 1024)
#define JIT_STACK_MAX (512 * 1024)

/*
 * The literal scan: the distinct literals of a set (up to 64) are found in one
 * pass over the message, Wu-Manber style. Let m be the length of the set's
 * shortest literal: every literal's first m bytes are its window. A window
 * slides over the message; its last two bytes index a table that says how far
 * it may move without passing over the end of any literal's window (m - 1
 * for a pair that ends no window prefix of any literal). Only at a pair that
 * ends some literal's window (shift 0) are the literals ending there
 * compared. A normal log line costs one table lookup per m - 1 bytes,
 * however many rules the set has, instead of one memmem per rule. The table
 * is indexed by the low 7 bits of both bytes (16 KiB, so that it stays in
 * the L1 cache): pairs that differ only in the high bit share a slot, which
 * holds the smallest shift of them, so nothing is ever skipped.
 */
#define SCAN_MAX 64
#define SCAN_SLOTS (128 * 128)

/*
 * A short literal shrinks the window of its whole set, and so slows the scan
 * of every line of that MTA (Postfix's "auth=0/": a window of 7 bytes instead
 * of 10). Where every rule with such a literal is anchored on a longer fixed
 * start ("^disconnect from ..."), the literal stays out of the window: it
 * keeps its bit, which is set after the scan only in a message that starts
 * with that text, by a memchr for the literal's rarest byte (its last one
 * that is not a lower-case letter, a digit or a space). The bit then says
 * "the literal is in the message" for every message its rules could match,
 * which is all a bit is used for.
 */
#define GATE_BELOW 10

static unsigned
scan_slot(unsigned char b0, unsigned char b1)
{
	return (unsigned)(b0 & 0x7f) << 7 | (b1 & 0x7f);
}

/* The tables of one sliding window over some of a set's literals. */
struct scan_window {
	size_t window;			/* m: the length of the shortest literal; 0: none */
	uint8_t *shift;			/* [SCAN_SLOTS] by the window's last two bytes: scan_slot() */
	uint64_t by_last[256];		/* the literals whose window ends with this byte */
	uint64_t by_before_last[256];	/* ... whose window's byte before the last is this one */
};

struct literal_scan {
	const char *text[SCAN_MAX];
	size_t len[SCAN_MAX];
	size_t n;
	const char *gate[SCAN_MAX];	/* a gated literal (NULL: a window literal): the start ... */
	size_t gate_len[SCAN_MAX];	/* ... every one of its rules' messages has */
	size_t rare[SCAN_MAX];		/* a gated literal's rarest byte: where memchr looks */
	uint64_t gated;			/* the bits of the gated literals */
};

/*
 * The failure rules of a set that may run on a line, in file order, and the
 * scan of their literals. A set whose rules all run on every program has one
 * view, of all its rules. A set with rules for some programs only (Postfix:
 * smtpd's rules, smtp's) also gets a view per program that its lines come
 * from, made at the program's first line (view_for): the rules that do not
 * apply to that program are left out, and so are their literals from the
 * scan. A qmgr or cleanup line is then scanned for the one literal of the
 * rule that runs on every Postfix program, in steps of that literal's length,
 * and an smtpd line for smtpd's literals only. The bits are the set's (of its
 * literal_scan), so a view's scan finds a subset of what the whole set's
 * would: those of the rules that may match.
 */
/*
 * One pass over a line for some of a set's literals: the window over those
 * not gated, the gates of the others.
 */
struct scan_part {
	uint64_t gated;			/* the gated literals */
	unsigned char gate_first[256];	/* 1: one of their gates starts with this byte */
	struct scan_window main;	/* over the literals that are not gated */
};

struct rule_view {
	int set;
	int complete;			/* every rule of the view has a literal in the scan */
	int filtered;			/* made for one program: all its rules apply to it */
	struct scan_part all;		/* the literals of its failure and success rules */
	struct scan_part failures;	/* ... of its failure rules alone (successes not counted) */
	size_t *rule_idx;		/* its rules, in file order */
	size_t nrules;
	uint64_t *bit;			/* per rule_idx entry: its literal's scan bit; 0: none */
	uint64_t *later_bits;	/* per rule_idx entry: the scan bits of the rules after it */
	unsigned char *later_unscanned;	/* ... 1: some rule after it has no bit in the scan */
	uint64_t fail_bits;		/* the scan bits of its failure rules */
	size_t *success_idx;		/* its success rules (role success), in file order */
	size_t nsuccess;
	uint64_t success_bits;		/* their scan bits */
	int success_complete;		/* every one of them has a bit */
};

struct rule_set {
	char *mta;
	struct literal_scan scan;
	char **programs;	/* globs on the whole tag */
	size_t nprograms;
	int headerless;
	int by_program;		/* some failure or success rule runs on some programs only */
	struct rule_view all;	/* all its failure rules */
	size_t *ignore_idx;	/* its rules with role ignore */
	size_t nignore;
};

struct reason_entry {
	enum event_kind kind;
	char *text;
	size_t len;
	char *lower;		/* text in ASCII lower case */
	unsigned bigram;	/* bigram_hash of its first two bytes (len >= 2) */
};

/*
 * rules_classify looks for every entry in the reason: a set of the reason's
 * byte pairs (hashed to BIGRAM_BITS) skips the entries whose first pair is
 * not in it, which is nearly all of them, without a search.
 */
#define BIGRAM_BITS 10

static unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static unsigned
bigram_hash(unsigned char a, unsigned char b)
{
	return ((unsigned)a * 31u + b) & ((1u << BIGRAM_BITS) - 1);
}

/*
 * JIT compiling every pattern at load took most of the start-up (31M of 69M
 * instructions with the shipped rules), and a log exercises a few of them: a
 * pattern is JIT-compiled just before its first match instead (rule_jit).
 * The rules are shared by the forks of other threads, so the first match of
 * a rule compiles it under a lock, and a flag per rule (set after the
 * compile, read before every match) tells the others it is done: no thread
 * matches a pattern while another compiles it. The result is the same as
 * compiling at load: every match runs the JIT code when there is any.
 */
struct jit_once {
	pthread_mutex_t lock;
	atomic_uchar *done;	/* per rule index */
};

struct route_entry {
	char tag[TAG_MAX];
	size_t len;
	int set;
};

/*
 * The views of one matcher (each fork makes its own: nothing shared is
 * written while other threads match): VIEW_MAX at most, then a program
 * without one of its own is matched with its whole set's view; and which
 * view each of the last DAEMON_CACHE programs (last tag component) uses.
 */
#define VIEW_MAX 16
#define DAEMON_CACHE 16

struct daemon_entry {
	char name[TAG_MAX];
	size_t len;
	int set;		/* -1: a free entry */
	int null;		/* for lines without a program (name "") */
	const struct rule_view *view;
};

struct rules {
	char **files;		/* paths, for diagnostics */
	size_t nfiles;
	struct rule *rules;
	size_t nrules;
	struct rule_set *sets;
	size_t nsets;
	struct reason_entry *reasons;
	size_t nreasons;
	size_t nlocal_reasons;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
	struct route_entry route[ROUTE_CACHE];
	size_t route_next;
	const struct route_entry *route_last;	/* the entry of the last tag routed; NULL */
	struct rule_view *views[VIEW_MAX];	/* this matcher's views per program */
	size_t nviews;
	struct daemon_entry daemons[DAEMON_CACHE];
	size_t daemon_next;
	const struct daemon_entry *daemon_last;	/* the last one used */
	const struct rules *forked_from;	/* rules_fork: whose rules these are; NULL */
	struct jit_once *jit;		/* the original's, shared by its forks */
	unsigned long limit_hits;	/* matches given up at a PCRE2 limit (rules_limit_hits) */
	int count_successes;	/* scan for the success rules' literals too (default) */
	/* The line rules_match_ends scanned last, for rules_match_success. */
	const char *scanned_msg;
	size_t scanned_len;
	int scanned_set;
	const struct rule_view *scanned_view;
	uint64_t scanned_found;
	int limit_logged;		/* the first one was logged */
};

/* Parser state for one file. */
struct parse {
	struct rules *rules;
	const char *file;
	int lineno;
	int errors;
	int set;		/* this file's set, -1 before "mta" */
	int local;		/* a file of the local rules folder */
	int is_reason_file;
	struct rule *rule;	/* rule being read, NULL before the first */
	int seen_kind, seen_direction, seen_pattern, seen_counts;
};

static void
perr(struct parse *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
perr(struct parse *ps, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s:%d: %s", ps->file, ps->lineno, msg);
	ps->errors++;
}

static char **
split_words(const char *s, size_t *n)
{
	char **words = NULL;
	size_t count = 0;

	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		const char *w = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		words = xreallocarray(words, count + 1, sizeof(*words));
		words[count++] = xstrndup(w, (size_t)(s - w));
	}
	*n = count;
	return words;
}

static void
free_words(char **words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(words[i]);
	free(words);
}

static int
valid_id(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

/* Map the pattern's named groups to event fields; reports unknown names. */
static int
map_groups(struct parse *ps, struct rule *r)
{
	uint32_t count = 0, namecount = 0, entry_size = 0;
	PCRE2_SPTR table;

	pcre2_pattern_info(r->code, PCRE2_INFO_CAPTURECOUNT, &count);
	if (count + 1 > RULE_MAX_GROUPS) {
		perr(ps, "rule %s: pattern has %u capture groups, at most %d are allowed", r->id,
		    count, RULE_MAX_GROUPS - 1);
		return -1;
	}
	r->ngroups = (int)count + 1;
	r->group_field = xcalloc((size_t)r->ngroups, sizeof(int));
	for (int i = 0; i < r->ngroups; i++)
		r->group_field[i] = -1;
	pcre2_pattern_info(r->code, PCRE2_INFO_NAMECOUNT, &namecount);
	pcre2_pattern_info(r->code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
	pcre2_pattern_info(r->code, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < namecount; i++) {
		const unsigned char *e = table + (size_t)i * entry_size;
		int group = (e[0] << 8) | e[1];
		const char *name = (const char *)e + 2;
		int f;

		if (name[0] == '_')
			continue;	/* helper group, documented as ignored */
		if (strcmp(name, "peer_port") == 0)
			f = EF_COUNT;
		else {
			f = event_field_from_name(name, strlen(name));
			if (f < EF_FIRST_CAPTURE || f > EF_LAST_CAPTURE) {
				perr(ps, "rule %s: unknown field name \"%s\" in pattern (fields: peer_host "
				    "peer_ip peer_port helo user mech reason tls_version cipher queue_id)",
				    r->id, name);
				return -1;
			}
		}
		if (group < r->ngroups)
			r->group_field[group] = f;
	}
	return 0;
}

static void
compile_pattern(struct parse *ps, struct rule *r)
{
	int errcode;
	PCRE2_SIZE erroff;
	PCRE2_UCHAR msg[256];

	r->code = pcre2_compile((PCRE2_SPTR)r->pattern, PCRE2_ZERO_TERMINATED, PCRE2_DUPNAMES,
	    &errcode, &erroff, NULL);
	if (r->code == NULL) {
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		perr(ps, "rule %s: bad pattern at offset %zu: %s", r->id, (size_t)erroff, (char *)msg);
		return;
	}
	/* JIT-compiled at its first match (rule_jit): most rules never run on a given log. */
	map_groups(ps, r);
}

/* Does the rule's pattern capture the peer (peer_ip or peer_host)? */
static int
names_peer(const struct rule *r)
{
	for (int g = 1; g < r->ngroups; g++)
		if (r->group_field[g] == EF_PEER_IP || r->group_field[g] == EF_PEER_HOST)
			return 1;
	return 0;
}

/* Validate and finish the rule being read, if any. */
static void
end_rule(struct parse *ps)
{
	struct rule *r = ps->rule;

	if (r == NULL)
		return;
	int saved = ps->lineno;
	ps->lineno = r->lineno;
	if (r->disabled) {
		/* "disabled yes": only removes the rule of that id. */
		if (!r->local)
			perr(ps, "rule %s: \"disabled\" is for local rules files", r->id);
		else if (ps->seen_pattern || ps->seen_kind)
			perr(ps, "rule %s: a disabled rule has nothing but \"disabled yes\"", r->id);
		ps->lineno = saved;
		ps->rule = NULL;
		return;
	}
	/* A rule that recognizes non-failures needs no kind or direction. */
	if (!ps->seen_kind && r->role != ROLE_IGNORE && r->role != ROLE_SUCCESS)
		perr(ps, "rule %s: no kind", r->id);
	if (!ps->seen_direction && r->role != ROLE_IGNORE)
		perr(ps, "rule %s: no direction", r->id);
	if (r->role == ROLE_SUCCESS) {
		/* Counted per peer: off the hot path only behind a literal. */
		if (ps->seen_kind)
			perr(ps, "rule %s: a success rule has no kind (it is no failure)", r->id);
		if (!ps->seen_counts)
			perr(ps, "rule %s: a success rule says what a line is: counts session, "
			    "message or login", r->id);
		if (r->literal == NULL)
			perr(ps, "rule %s: a success rule needs a literal", r->id);
		if (r->code != NULL && !names_peer(r))
			perr(ps, "rule %s: a success rule captures peer_ip or peer_host", r->id);
	} else if (ps->seen_counts)
		perr(ps, "rule %s: \"counts\" is for success rules (role success)", r->id);
	if (r->unless != NULL && r->role != ROLE_SUCCESS)
		perr(ps, "rule %s: \"unless\" is for success rules (role success)", r->id);
	if (!ps->seen_pattern)
		perr(ps, "rule %s: no pattern", r->id);
	if (r->nexamples == 0 && ps->seen_pattern)
		perr(ps, "rule %s: no example (every rule carries at least one)", r->id);
	ps->lineno = saved;
	ps->rule = NULL;
}

static struct rule_example *
last_example(struct parse *ps)
{
	struct rule *r = ps->rule;

	if (r == NULL || r->nexamples == 0 || !r->examples[r->nexamples - 1].must_match)
		return NULL;
	return &r->examples[r->nexamples - 1];
}

static void
add_example(struct parse *ps, const char *value, int must_match)
{
	struct rule *r = ps->rule;

	r->examples = xreallocarray(r->examples, r->nexamples + 1, sizeof(*r->examples));
	struct rule_example *ex = &r->examples[r->nexamples++];
	memset(ex, 0, sizeof(*ex));
	ex->line = xstrdup(value);
	ex->lineno = ps->lineno;
	ex->must_match = must_match;
}

/* The latest rule with this id (a local one after the shipped one it replaces), or -1. */
static int
find_rule(const struct rules *rules, const char *id)
{
	for (size_t i = rules->nrules; i-- > 0;)
		if (strcmp(rules->rules[i].id, id) == 0)
			return (int)i;
	return -1;
}

static void
start_rule(struct parse *ps, const char *value)
{
	struct rules *rules = ps->rules;
	int order = (int)rules->nrules;

	end_rule(ps);
	if (ps->set < 0) {
		perr(ps, "\"rule\" before \"mta\": a rules file starts with \"mta NAME\"");
		return;
	}
	if (!valid_id(value)) {
		perr(ps, "bad rule id \"%s\" (letters, digits, '_', '.', '-')", value);
		return;
	}
	int old = find_rule(rules, value);
	if (old >= 0) {
		struct rule *o = &rules->rules[old];
		if (!ps->local || o->local) {
			perr(ps, "duplicate rule id \"%s\" (first at %s:%d)", value, o->file, o->lineno);
			return;
		}
		if (o->set != ps->set) {
			perr(ps, "rule %s replaces a rule of mta %s, but this file is for mta %s", value,
			    rules->sets[o->set].mta, rules->sets[ps->set].mta);
			return;
		}
		/* A local rule takes the shipped one's place. */
		o->disabled = 1;
		order = o->order;
	}
	rules->rules = xreallocarray(rules->rules, rules->nrules + 1, sizeof(*rules->rules));
	struct rule *r = &rules->rules[rules->nrules++];
	memset(r, 0, sizeof(*r));
	r->order = order;
	r->local = ps->local;
	r->id = xstrdup(value);
	r->file = ps->file;
	r->lineno = ps->lineno;
	r->set = ps->set;
	r->role = ROLE_ALONE;
	ps->rule = r;
	ps->seen_kind = ps->seen_direction = ps->seen_pattern = ps->seen_counts = 0;
}

static void
file_directive(struct parse *ps, const char *kw, const char *value)
{
	struct rules *rules = ps->rules;

	if (strcmp(kw, "reason") == 0) {
		if (ps->set >= 0) {
			perr(ps, "\"reason\" belongs in the reason table file, not in an MTA set");
			return;
		}
		ps->is_reason_file = 1;
		const char *sp = value;
		while (*sp && *sp != ' ' && *sp != '\t')
			sp++;
		int kind = event_kind_from_name(value, (size_t)(sp - value));
		while (*sp == ' ' || *sp == '\t')
			sp++;
		if (kind < 0) {
			perr(ps, "unknown kind \"%.*s\"", (int)(sp - value), value);
			return;
		}
		if (*sp == '\0') {
			perr(ps, "reason without text: \"reason KIND TEXT\"");
			return;
		}
		rules->reasons = xreallocarray(rules->reasons, rules->nreasons + 1, sizeof(*rules->reasons));
		/* Local entries go before the shipped ones, in their own order. */
		size_t at = ps->local ? rules->nlocal_reasons++ : rules->nreasons;
		memmove(&rules->reasons[at + 1], &rules->reasons[at],
		    (rules->nreasons - at) * sizeof(*rules->reasons));
		rules->nreasons++;
		struct reason_entry *e = &rules->reasons[at];
		e->kind = (enum event_kind)kind;
		e->text = xstrdup(sp);
		e->len = strlen(sp);
		e->lower = xstrdup(sp);
		for (size_t i = 0; i < e->len; i++)
			e->lower[i] = (char)ascii_lower((unsigned char)e->lower[i]);
		e->bigram = e->len >= 2 ?
		    bigram_hash((unsigned char)e->lower[0], (unsigned char)e->lower[1]) : 0;
		return;
	}
	if (strcmp(kw, "mta") == 0) {
		if (ps->is_reason_file) {
			perr(ps, "\"mta\" in the reason table file");
			return;
		}
		if (ps->set >= 0) {
			perr(ps, "second \"mta\" in one file");
			return;
		}
		if (!valid_id(value)) {
			perr(ps, "bad mta name \"%s\"", value);
			return;
		}
		for (size_t i = 0; i < rules->nsets; i++)
			if (strcmp(rules->sets[i].mta, value) == 0) {
				if (ps->local) {
					ps->set = (int)i;	/* a local file extends the set */
					return;
				}
				perr(ps, "mta \"%s\" already defined by another file", value);
				return;
			}
		rules->sets = xreallocarray(rules->sets, rules->nsets + 1, sizeof(*rules->sets));
		struct rule_set *s = &rules->sets[rules->nsets];
		memset(s, 0, sizeof(*s));
		s->mta = xstrdup(value);
		ps->set = (int)rules->nsets++;
		return;
	}
	if (ps->set < 0) {
		perr(ps, "\"%s\" before \"mta\": a rules file starts with \"mta NAME\"", kw);
		return;
	}
	struct rule_set *s = &rules->sets[ps->set];
	if (strcmp(kw, "programs") == 0) {
		size_t n;
		char **words = split_words(value, &n);
		if (n == 0)
			perr(ps, "\"programs\" needs at least one glob");
		if (!ps->local) {
			free_words(s->programs, s->nprograms);
			s->programs = NULL;
			s->nprograms = 0;
		}
		/* In a local file, the globs are added to the set's. */
		s->programs = xreallocarray(s->programs, s->nprograms + n, sizeof(*s->programs));
		memcpy(s->programs + s->nprograms, words, n * sizeof(*words));
		s->nprograms += n;
		free(words);
	} else if (strcmp(kw, "headerless") == 0) {
		if (strcmp(value, "yes") == 0)
			s->headerless = 1;
		else if (strcmp(value, "no") == 0)
			s->headerless = 0;
		else
			perr(ps, "headerless: expected yes or no, not \"%s\"", value);
	} else {
		perr(ps, "unknown keyword \"%s\"", kw);
	}
}

static void
rule_directive(struct parse *ps, const char *kw, const char *value)
{
	struct rule *r = ps->rule;

	if (strcmp(kw, "programs") == 0) {
		free_words(r->programs, r->nprograms);
		r->programs = split_words(value, &r->nprograms);
		if (r->nprograms == 0)
			perr(ps, "\"programs\" needs at least one glob");
	} else if (strcmp(kw, "kind") == 0) {
		int k = event_kind_from_name(value, strlen(value));
		if (k < 0)
			perr(ps, "unknown kind \"%s\" (see tlslogd.rules(5))", value);
		else
			r->kind = (enum event_kind)k;
		ps->seen_kind = 1;
	} else if (strcmp(kw, "classify") == 0) {
		if (strcmp(value, "reason") == 0)
			r->classify = 1;
		else
			perr(ps, "classify: only \"classify reason\" is known, not \"%s\"", value);
	} else if (strcmp(kw, "direction") == 0) {
		int d = event_direction_from_name(value);
		if (d < 0)
			perr(ps, "direction: expected in or out, not \"%s\"", value);
		else
			r->direction = (enum event_direction)d;
		ps->seen_direction = 1;
	} else if (strcmp(kw, "role") == 0) {
		if (strcmp(value, "alone") == 0)
			r->role = ROLE_ALONE;
		else if (strcmp(value, "part") == 0)
			r->role = ROLE_PART;
		else if (strcmp(value, "detail") == 0)
			r->role = ROLE_DETAIL;
		else if (strcmp(value, "end") == 0)
			r->role = ROLE_END;
		else if (strcmp(value, "close") == 0)
			r->role = ROLE_CLOSE;
		else if (strcmp(value, "hint") == 0)
			r->role = ROLE_HINT;
		else if (strcmp(value, "tally") == 0)
			r->role = ROLE_TALLY;
		else if (strcmp(value, "summary") == 0)
			r->role = ROLE_SUMMARY;
		else if (strcmp(value, "ignore") == 0)
			r->role = ROLE_IGNORE;
		else if (strcmp(value, "success") == 0)
			r->role = ROLE_SUCCESS;
		else
			perr(ps, "role: expected alone, part, detail, end, close, hint, tally, "
			    "summary, ignore or success, not \"%s\"", value);
	} else if (strcmp(kw, "counts") == 0) {
		if (strcmp(value, "session") == 0)
			r->counts = COUNTS_SESSION;
		else if (strcmp(value, "message") == 0)
			r->counts = COUNTS_MESSAGE;
		else if (strcmp(value, "login") == 0)
			r->counts = COUNTS_LOGIN;
		else
			perr(ps, "counts: expected session, message or login, not \"%s\"", value);
		ps->seen_counts = 1;
	} else if (strcmp(kw, "literal") == 0) {
		free(r->literal);
		r->literal = xstrdup(value);
		r->literal_len = strlen(value);
		if (r->literal_len == 0)
			perr(ps, "empty literal");
	} else if (strcmp(kw, "unless") == 0) {
		free(r->unless);
		r->unless = xstrdup(value);
		r->unless_len = strlen(value);
		if (r->unless_len == 0)
			perr(ps, "empty \"unless\"");
	} else if (strcmp(kw, "note") == 0) {
		free(r->note);
		r->note = xstrdup(value);
	} else if (strcmp(kw, "pattern") == 0) {
		if (ps->seen_pattern) {
			perr(ps, "rule %s: second pattern (one pattern per rule)", r->id);
			return;
		}
		ps->seen_pattern = 1;
		r->pattern = xstrdup(value);
		compile_pattern(ps, r);
	} else if (strcmp(kw, "disabled") == 0) {
		if (strcmp(value, "yes") == 0)
			r->disabled = 1;
		else if (strcmp(value, "no") != 0)
			perr(ps, "disabled: expected yes or no, not \"%s\"", value);
	} else if (strcmp(kw, "example") == 0) {
		add_example(ps, value, 1);
	} else if (strcmp(kw, "nomatch") == 0) {
		add_example(ps, value, 0);
	} else if (strcmp(kw, "expect") == 0) {
		struct rule_example *ex = last_example(ps);
		if (ex == NULL) {
			perr(ps, "\"expect\" must follow an \"example\"");
			return;
		}
		const char *sp = value;
		while (*sp && *sp != ' ' && *sp != '\t')
			sp++;
		size_t nlen = (size_t)(sp - value);
		while (*sp == ' ' || *sp == '\t')
			sp++;
		static const char *const extra[] = { "kind", "direction", "mta", "program", "pid",
			"server", "peer_port", NULL };
		int known = event_field_from_name(value, nlen) >= 0;
		for (int i = 0; !known && extra[i]; i++)
			known = strlen(extra[i]) == nlen && memcmp(extra[i], value, nlen) == 0;
		if (!known || nlen == 0) {
			perr(ps, "expect: unknown field \"%.*s\"", (int)nlen, value);
			return;
		}
		ex->expects = xreallocarray(ex->expects, ex->nexpects + 1, sizeof(*ex->expects));
		struct rule_expect *e = &ex->expects[ex->nexpects++];
		e->field = xstrndup(value, nlen);
		e->value = strcmp(sp, "-") == 0 ? NULL : xstrdup(sp);
	} else {
		perr(ps, "unknown keyword \"%s\" in rule %s", kw, r->id);
	}
}

static void
parse_line(struct parse *ps, char *line)
{
	char *p = line, *kw, *value;
	size_t n;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return;
	kw = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p) {
		*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
	}
	value = p;
	/* Trailing blanks matter only in a literal (or an unless text). */
	int text = strcmp(kw, "literal") == 0 || strcmp(kw, "unless") == 0;
	if (!text) {
		n = strlen(value);
		while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
			value[--n] = '\0';
	}
	if (*value == '\0' && !text) {
		perr(ps, "\"%s\" without a value", kw);
		return;
	}
	if (strcmp(kw, "rule") == 0)
		start_rule(ps, value);
	else if (ps->rule != NULL)
		rule_directive(ps, kw, value);
	else if (ps->set >= 0 || strcmp(kw, "mta") == 0 || strcmp(kw, "reason") == 0)
		file_directive(ps, kw, value);
	else if (strcmp(kw, "programs") == 0 || strcmp(kw, "headerless") == 0)
		perr(ps, "\"%s\" before \"mta\": a rules file starts with \"mta NAME\"", kw);
	else
		perr(ps, "unknown keyword \"%s\"", kw);
}

static int
parse_file(struct rules *rules, const char *path, int local)
{
	struct parse ps = { .rules = rules, .file = path, .set = -1, .local = local };
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (fp == NULL) {
		log_warn("%s", path);
		return 1;
	}
	while ((n = getline(&line, &cap, fp)) >= 0) {
		ps.lineno++;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			perr(&ps, "NUL byte in line");
			continue;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		parse_line(&ps, line);
	}
	if (ferror(fp)) {
		log_warn("%s", path);
		ps.errors++;
	}
	end_rule(&ps);
	if (ps.set < 0 && !ps.is_reason_file && ps.errors == 0) {
		ps.lineno = 1;
		perr(&ps, "neither an MTA set (\"mta NAME\") nor a reason table (\"reason ...\")");
	}
	free(line);
	fclose(fp);
	return ps.errors;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The fixed text a message must start with for pattern to match: what follows
 * a leading "^" up to the first byte with a meaning in a pattern (a byte
 * before a quantifier does not count), or 0 bytes. Conservative: none for a
 * pattern with an alternative at its top level (not all anchored), with
 * \\Q quoting or with comments, which this does not follow.
 */
static size_t
anchored_prefix(const char *pat)
{
	int depth = 0;

	if (pat[0] != '^' || strstr(pat, "\\Q") != NULL || strstr(pat, "(?#") != NULL ||
	    strstr(pat, "(?x") != NULL)
		return 0;
	for (const char *q = pat; *q != '\0'; q++) {
		if (*q == '\\') {
			if (*++q == '\0')
				return 0;
		} else if (*q == '[') {
			q++;
			if (*q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q != '\0' && *q != ']') {
				if (*q == '\\' && q[1] != '\0')
					q++;
				q++;
			}
			if (*q == '\0')
				return 0;
		} else if (*q == '(') {
			depth++;
		} else if (*q == ')') {
			depth--;
		} else if (*q == '|' && depth == 0) {
			return 0;
		}
	}
	size_t n = 0;
	while (pat[1 + n] != '\0' && strchr("\\^$.|?*+()[]{}", pat[1 + n]) == NULL)
		n++;
	if (n > 0 && pat[1 + n] != '\0' && strchr("?*+{", pat[1 + n]) != NULL)
		n--;
	return n;
}

/*
 * Give a text of a rule (its literal, or what it is matched unless) a bit in
 * its set's scan: the bit, or -1 for a text of one byte or past 64 (memmem
 * then looks for it). A short text is gated by its rule's anchored start
 * while every rule that shares it has one (the start they all have in common).
 */
static int
scan_add(struct literal_scan *scan, const char *text, size_t len, const char *pattern)
{
	size_t start = len < GATE_BELOW ? anchored_prefix(pattern) : 0;
	const char *gate = start > len ? pattern + 1 : NULL;

	if (len < 2)
		return -1;
	for (size_t i = 0; i < scan->n; i++)
		if (scan->len[i] == len && memcmp(scan->text[i], text, len) == 0) {
			if (scan->gate[i] == NULL)
				return (int)i;
			size_t common = 0;
			while (gate != NULL && common < scan->gate_len[i] && common < start &&
			    scan->gate[i][common] == gate[common])
				common++;
			if (common > len)
				scan->gate_len[i] = common;
			else
				scan->gate[i] = NULL;
			return (int)i;
		}
	if (scan->n == SCAN_MAX)
		return -1;
	scan->text[scan->n] = text;
	scan->len[scan->n] = len;
	scan->gate[scan->n] = gate;
	scan->gate_len[scan->n] = gate ? start : 0;
	return (int)scan->n++;
}

/* The window, the shift table and the window ends of the literals in mask. */
static void
window_build(const struct literal_scan *scan, struct scan_window *w, uint64_t mask)
{
	size_t m = SIZE_MAX;
	for (size_t k = 0; k < scan->n; k++)
		if ((mask >> k & 1) && scan->len[k] < m)
			m = scan->len[k];
	if (m == SIZE_MAX)
		return;		/* no literal */
	/* Shifts are bytes: a longer window would not move further than 255 anyway. */
	if (m > 256)
		m = 256;
	w->window = m;
	w->shift = xmalloc(SCAN_SLOTS);
	memset(w->shift, (int)(m - 1), SCAN_SLOTS);
	for (size_t k = 0; k < scan->n; k++) {
		if (!(mask >> k & 1))
			continue;
		const unsigned char *t = (const unsigned char *)scan->text[k];
		for (size_t q = 1; q < m; q++) {
			unsigned slot = scan_slot(t[q - 1], t[q]);
			if (w->shift[slot] > m - 1 - q)
				w->shift[slot] = (uint8_t)(m - 1 - q);
		}
		w->by_last[t[m - 1]] |= (uint64_t)1 << k;
		w->by_before_last[t[m - 2]] |= (uint64_t)1 << k;
	}
}

/* Once every literal is in: which are gated, and the rare bytes of those. */
static void
scan_build(struct literal_scan *scan)
{
	for (size_t k = 0; k < scan->n; k++) {
		if (scan->gate[k] == NULL)
			continue;
		scan->gated |= (uint64_t)1 << k;
		scan->rare[k] = scan->len[k] - 1;
		for (size_t i = scan->len[k]; i-- > 0;) {
			char c = scan->text[k][i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ')) {
				scan->rare[k] = i;
				break;
			}
		}
	}
}

/* A scan of the literals in mask: the window over those not gated, the gates of the others. */
static void
part_build(const struct literal_scan *scan, struct scan_part *p, uint64_t mask)
{
	p->gated = scan->gated & mask;
	for (uint64_t g = p->gated; g != 0; g &= g - 1)
		p->gate_first[(unsigned char)scan->gate[__builtin_ctzll(g)][0]] = 1;
	window_build(scan, &p->main, mask & ~scan->gated);
}

/* The literals whose window ends at p[j] and that start at p[j + 1 - m]. */
static inline uint64_t
scan_verify(const struct literal_scan *scan, const struct scan_window *w, const unsigned char *p,
    size_t len, size_t j, uint64_t found)
{
	size_t at = j + 1 - w->window;

	for (uint64_t cand = w->by_last[p[j]] & w->by_before_last[p[j - 1]] & ~found;
	    cand != 0; cand &= cand - 1) {
		int k = __builtin_ctzll(cand);
		if (scan->len[k] <= len - at && scan->text[k][0] == (char)p[at] &&
		    memcmp(scan->text[k], p + at, scan->len[k]) == 0)
			found |= (uint64_t)1 << k;
	}
	return found;
}

/* Slide the window so that it ends at each of j .. stop - 1 it must see. */
static inline uint64_t
scan_range(const struct literal_scan *scan, const struct scan_window *w, const unsigned char *p,
    size_t len, size_t j, size_t stop, uint64_t found)
{
	while (j < stop) {
		unsigned s = w->shift[scan_slot(p[j - 1], p[j])];
		if (s == 0) {
			found = scan_verify(scan, w, p, len, j, found);
			s = 1;
		}
		j += s;
	}
	return found;
}

/*
 * Which of the set's window literals occur in msg: bit i for literal i. Each
 * step of a window waits for the table lookup of the one before, so two
 * windows slide at once, over the first and the second half of the window
 * ends: two independent chains that the processor overlaps.
 */
static uint64_t
scan_window(const struct literal_scan *scan, const struct scan_window *w, const char *msg,
    size_t len)
{
	const unsigned char *p = (const unsigned char *)msg;
	const uint8_t *shift = w->shift;
	size_t m = w->window;
	uint64_t found = 0;

	if (shift == NULL || len < m)
		return 0;
	size_t j1 = m - 1, mid = (m - 1 + len) / 2, j2 = mid;
	while (j1 < mid && j2 < len) {
		unsigned s1 = shift[scan_slot(p[j1 - 1], p[j1])];
		unsigned s2 = shift[scan_slot(p[j2 - 1], p[j2])];
		if (s1 == 0) {
			found = scan_verify(scan, w, p, len, j1, found);
			s1 = 1;
		}
		if (s2 == 0) {
			found = scan_verify(scan, w, p, len, j2, found);
			s2 = 1;
		}
		j1 += s1;
		j2 += s2;
	}
	found = scan_range(scan, w, p, len, j1, mid, found);
	return scan_range(scan, w, p, len, j2, len, found);
}

/* Is gated literal k in msg (which starts with its gate)? */
static int
gated_in(const struct literal_scan *scan, int k, const char *msg, size_t len)
{
	const char *t = scan->text[k];
	size_t n = scan->len[k], r = scan->rare[k];
	const char *p = msg + r, *end = msg + len - (n - 1 - r);

	while (p < end && (p = memchr(p, t[r], (size_t)(end - p))) != NULL) {
		if (memcmp(p - r, t, n) == 0)
			return 1;
		p++;
	}
	return 0;
}

/* The gated literals of mask in msg: those whose gate msg starts with and that it holds. */
static uint64_t
scan_gated(const struct literal_scan *scan, uint64_t mask, const char *msg, size_t len)
{
	uint64_t found = 0;

	for (uint64_t g = mask; g != 0; g &= g - 1) {
		int k = __builtin_ctzll(g);
		if (len >= scan->gate_len[k] && len >= scan->len[k] && msg[0] == scan->gate[k][0] &&
		    memcmp(msg, scan->gate[k], scan->gate_len[k]) == 0 && gated_in(scan, k, msg, len))
			found |= (uint64_t)1 << k;
	}
	return found;
}

/* Which of the part's literals occur in msg (a gated one: if msg starts with its gate). */
static inline uint64_t
scan_line(const struct literal_scan *scan, const struct scan_part *p, const char *msg, size_t len)
{
	uint64_t found = scan_window(scan, &p->main, msg, len);

	if (len > 0 && p->gate_first[(unsigned char)msg[0]])
		found |= scan_gated(scan, p->gated, msg, len);	/* (nearly every line is let go at once) */
	return found;
}

/* The scan, completeness and later bits of a view whose set and rules are in. */
static void
view_finish(const struct rules *rules, struct rule_view *v)
{
	uint64_t bits = 0;
	unsigned char unscanned = 0;

	/* What the rules after each one may match: rules_match_ends skips end rules on it. */
	v->later_bits = xcalloc(v->nrules ? v->nrules : 1, sizeof(*v->later_bits));
	v->later_unscanned = xcalloc(v->nrules ? v->nrules : 1, 1);
	v->bit = xcalloc(v->nrules ? v->nrules : 1, sizeof(*v->bit));
	for (size_t k = v->nrules; k-- > 0;) {
		const struct rule *r = &rules->rules[v->rule_idx[k]];
		v->bit[k] = r->literal_bit >= 0 ? (uint64_t)1 << r->literal_bit : 0;
		v->later_bits[k] = bits;
		v->later_unscanned[k] = unscanned;
		if (r->literal_bit >= 0)
			bits |= (uint64_t)1 << r->literal_bit;
		else
			unscanned = 1;
	}
	v->complete = !unscanned;
	v->fail_bits = bits;
	v->success_bits = 0;
	v->success_complete = 1;
	uint64_t unless_bits = 0;	/* scanned too, but no reason to try a rule */
	for (size_t k = 0; k < v->nsuccess; k++) {
		const struct rule *r = &rules->rules[v->success_idx[k]];
		if (r->literal_bit >= 0)
			v->success_bits |= (uint64_t)1 << r->literal_bit;
		else
			v->success_complete = 0;
		if (r->unless != NULL && r->unless_bit >= 0)
			unless_bits |= (uint64_t)1 << r->unless_bit;
	}
	part_build(&rules->sets[v->set].scan, &v->all, bits | v->success_bits | unless_bits);
	part_build(&rules->sets[v->set].scan, &v->failures, bits);
}

static void
view_free(struct rule_view *v)
{
	free(v->all.main.shift);
	free(v->failures.main.shift);
	free(v->rule_idx);
	free(v->bit);
	free(v->later_bits);
	free(v->later_unscanned);
	free(v->success_idx);
}

static void
daemons_init(struct rules *rules)
{
	for (size_t i = 0; i < DAEMON_CACHE; i++)
		rules->daemons[i].set = -1;
	rules->daemon_next = 0;
	rules->daemon_last = NULL;
}

/* What matching writes to: match data, context and JIT stack; one per thread. */
static int
match_state_init(struct rules *rules)
{
	daemons_init(rules);
	rules->md = pcre2_match_data_create(RULE_MAX_GROUPS, NULL);
	rules->mctx = pcre2_match_context_create(NULL);
	rules->jit_stack = pcre2_jit_stack_create(JIT_STACK_MIN, JIT_STACK_MAX, NULL);
	if (rules->md == NULL || rules->mctx == NULL) {
		log_warnx("cannot allocate PCRE2 match data");
		return -1;
	}
	pcre2_set_match_limit(rules->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(rules->mctx, DEPTH_LIMIT);
	if (rules->jit_stack)
		pcre2_jit_stack_assign(rules->mctx, NULL, rules->jit_stack);
	return 0;
}

static void
match_state_free(struct rules *rules)
{
	pcre2_match_data_free(rules->md);
	pcre2_match_context_free(rules->mctx);
	pcre2_jit_stack_free(rules->jit_stack);
	for (size_t i = 0; i < rules->nviews; i++) {
		view_free(rules->views[i]);
		free(rules->views[i]);
	}
}

static int
rules_finish(struct rules *rules)
{
	/* Rules by their place: a local replacement stands where the shipped rule stood. */
	size_t *byorder = xcalloc(rules->nrules, sizeof(*byorder));
	for (size_t i = 0; i < rules->nrules; i++) {
		size_t j = i;
		while (j > 0 && rules->rules[byorder[j - 1]].order > rules->rules[i].order) {
			byorder[j] = byorder[j - 1];
			j--;
		}
		byorder[j] = i;
	}
	for (size_t k = 0; k < rules->nrules; k++) {
		size_t i = byorder[k];
		struct rule *r = &rules->rules[i];
		struct rule_set *s = &rules->sets[r->set];
		if (r->disabled)
			continue;
		if (r->role == ROLE_IGNORE) {
			/* Not on the hot path: their literals stay out of the scan. */
			r->literal_bit = -1;
			s->ignore_idx = xreallocarray(s->ignore_idx, s->nignore + 1, sizeof(*s->ignore_idx));
			s->ignore_idx[s->nignore++] = i;
			continue;
		}
		if (r->role == ROLE_SUCCESS)
			continue;	/* after every failure rule: those keep their bits first */
		struct rule_view *v = &s->all;
		v->rule_idx = xreallocarray(v->rule_idx, v->nrules + 1, sizeof(*v->rule_idx));
		v->rule_idx[v->nrules++] = i;
		r->literal_bit = scan_add(&s->scan, r->literal, r->literal_len, r->pattern);
		if (r->nprograms > 0)
			s->by_program = 1;
	}
	/* The success rules' literals and unless texts join the same scan: one pass finds all. */
	for (size_t k = 0; k < rules->nrules; k++) {
		size_t i = byorder[k];
		struct rule *r = &rules->rules[i];
		struct rule_set *s = &rules->sets[r->set];
		if (r->disabled || r->role != ROLE_SUCCESS)
			continue;
		struct rule_view *v = &s->all;
		v->success_idx = xreallocarray(v->success_idx, v->nsuccess + 1, sizeof(*v->success_idx));
		v->success_idx[v->nsuccess++] = i;
		r->literal_bit = scan_add(&s->scan, r->literal, r->literal_len, r->pattern);
		if (r->unless != NULL)
			r->unless_bit = scan_add(&s->scan, r->unless, r->unless_len, r->pattern);
		if (r->nprograms > 0)
			s->by_program = 1;
	}
	free(byorder);
	for (size_t i = 0; i < rules->nsets; i++) {
		scan_build(&rules->sets[i].scan);
		rules->sets[i].all.set = (int)i;
		view_finish(rules, &rules->sets[i].all);
	}
	for (size_t i = 0; i < rules->nrules; i++)
		if (rules->rules[i].role == ROLE_TALLY && !rules->rules[i].disabled)
			for (size_t j = 0; j < rules->nrules; j++)
				if (rules->rules[j].set == rules->rules[i].set)
					rules->rules[j].tallied = 1;
	rules->jit = xcalloc(1, sizeof(*rules->jit));
	pthread_mutex_init(&rules->jit->lock, NULL);
	rules->jit->done = xcalloc(rules->nrules ? rules->nrules : 1, sizeof(*rules->jit->done));
	return match_state_init(rules);
}

/* Add the *.rules files of dir, in name order, to rules->files; -1 if dir cannot be read. */
static int
list_files(struct rules *rules, const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t first = rules->nfiles;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len <= 6 || de->d_name[0] == '.' || strcmp(de->d_name + len - 6, ".rules") != 0)
			continue;
		rules->files = xreallocarray(rules->files, rules->nfiles + 1, sizeof(*rules->files));
		rules->files[rules->nfiles++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	*count = rules->nfiles - first;
	if (*count > 0) /* files is still NULL when no file was found */
		qsort(rules->files + first, *count, sizeof(*rules->files), cmp_names);
	return 0;
}

struct rules *
rules_load(const char *dir, const char *local_dir, int local_may_be_missing)
{
	struct rules *rules = xcalloc(1, sizeof(*rules));
	size_t nshipped = 0, nlocal = 0;
	int errors = 0;

	rules->count_successes = 1;

	if (list_files(rules, dir, &nshipped) < 0) {
		log_warn("cannot read rules folder %s", dir);
		rules_free(rules);
		return NULL;
	}
	if (nshipped == 0) {
		log_warnx("%s: no *.rules files", dir);
		rules_free(rules);
		return NULL;
	}
	if (local_dir != NULL && list_files(rules, local_dir, &nlocal) < 0 &&
	    !(errno == ENOENT && local_may_be_missing)) {
		log_warn("cannot read local rules folder %s", local_dir);
		rules_free(rules);
		return NULL;
	}
	for (size_t i = 0; i < rules->nfiles; i++)
		errors += parse_file(rules, rules->files[i], i >= nshipped);
	if (errors == 0 && rules->nsets == 0) {
		log_warnx("%s: no MTA set (no file with \"mta NAME\")", dir);
		errors++;
	}
	if (errors > 0 || rules_finish(rules) < 0) {
		rules_free(rules);
		return NULL;
	}
	return rules;
}

void
rules_free(struct rules *rules)
{
	if (rules == NULL)
		return;
	if (rules->forked_from != NULL) {
		rules_fork_free(rules);
		return;
	}
	for (size_t i = 0; i < rules->nrules; i++) {
		struct rule *r = &rules->rules[i];
		free(r->id);
		free_words(r->programs, r->nprograms);
		free(r->literal);
		free(r->unless);
		free(r->note);
		free(r->pattern);
		pcre2_code_free(r->code);
		free(r->group_field);
		for (size_t j = 0; j < r->nexamples; j++) {
			struct rule_example *ex = &r->examples[j];
			free(ex->line);
			for (size_t k = 0; k < ex->nexpects; k++) {
				free(ex->expects[k].field);
				free(ex->expects[k].value);
			}
			free(ex->expects);
		}
		free(r->examples);
	}
	free(rules->rules);
	for (size_t i = 0; i < rules->nsets; i++) {
		free(rules->sets[i].mta);
		free_words(rules->sets[i].programs, rules->sets[i].nprograms);
		free(rules->sets[i].ignore_idx);
		view_free(&rules->sets[i].all);
	}
	free(rules->sets);
	for (size_t i = 0; i < rules->nreasons; i++) {
		free(rules->reasons[i].text);
		free(rules->reasons[i].lower);
	}
	free(rules->reasons);
	for (size_t i = 0; i < rules->nfiles; i++)
		free(rules->files[i]);
	free(rules->files);
	if (rules->jit != NULL) {
		pthread_mutex_destroy(&rules->jit->lock);
		free(rules->jit->done);
		free(rules->jit);
	}
	match_state_free(rules);
	free(rules);
}

struct rules *
rules_fork(const struct rules *rules)
{
	struct rules *copy = xmalloc(sizeof(*copy));

	*copy = *rules;
	copy->forked_from = rules;
	copy->limit_hits = 0;
	copy->limit_logged = 0;
	memset(copy->route, 0, sizeof(copy->route));
	copy->route_next = 0;
	copy->route_last = NULL;
	memset(copy->views, 0, sizeof(copy->views));
	copy->nviews = 0;	/* (match_state_init empties its program cache) */
	copy->scanned_msg = NULL;
	copy->scanned_view = NULL;
	if (match_state_init(copy) < 0) {
		rules_fork_free(copy);
		return NULL;
	}
	return copy;
}

void
rules_fork_free(struct rules *copy)
{
	if (copy == NULL)
		return;
	match_state_free(copy);
	free(copy);
}

size_t
rules_count(const struct rules *rules)
{
	return rules->nrules;
}

const struct rule *
rules_get(const struct rules *rules, size_t i)
{
	return i < rules->nrules ? &rules->rules[i] : NULL;
}

size_t
rules_set_count(const struct rules *rules)
{
	return rules->nsets;
}

const char *
rules_set_mta(const struct rules *rules, int set)
{
	return set >= 0 && (size_t)set < rules->nsets ? rules->sets[set].mta : NULL;
}

int
rules_set_headerless(const struct rules *rules, int set)
{
	return set >= 0 && (size_t)set < rules->nsets && rules->sets[set].headerless;
}

int
rules_find_set(const struct rules *rules, const char *mta)
{
	for (size_t i = 0; i < rules->nsets; i++)
		if (strcmp(rules->sets[i].mta, mta) == 0)
			return (int)i;
	return -1;
}

static int
route_uncached(const struct rules *rules, const char *tag)
{
	for (size_t i = 0; i < rules->nsets; i++)
		for (size_t j = 0; j < rules->sets[i].nprograms; j++)
			if (fnmatch(rules->sets[i].programs[j], tag, 0) == 0)
				return (int)i;
	return -1;
}

/* A tag not in the route cache: routed by the globs, and put in the cache. */
static int
route_miss(struct rules *rules, const char *program, size_t len)
{
	char tag[TAG_MAX];

	memcpy(tag, program, len);
	tag[len] = '\0';
	int set = route_uncached(rules, tag);
	struct route_entry *e = &rules->route[rules->route_next++ % ROUTE_CACHE];
	memcpy(e->tag, tag, len + 1);
	e->len = len;
	e->set = set;
	rules->route_last = e;
	return set;
}

int
rules_route(struct rules *rules, const char *program, size_t len)
{
	const struct route_entry *e = rules->route_last;

	if (program == NULL) {
		for (size_t i = 0; i < rules->nsets; i++)
			if (rules->sets[i].headerless)
				return (int)i;
		return -1;
	}
	if (len >= TAG_MAX || len == 0)
		return len == 0 ? route_miss(rules, program, len) : -1;
	/* Four lines in ten come from the program of the line before. */
	if (e != NULL && e->len == len && e->tag[len - 1] == program[len - 1] &&
	    memcmp(e->tag, program, len) == 0)
		return e->set;
	for (size_t i = 0; i < ROUTE_CACHE; i++) {
		e = &rules->route[i];
		if (e->len == len && e->tag[len - 1] == program[len - 1] && memcmp(e->tag, program, len) == 0) {
			rules->route_last = e;
			return e->set;
		}
	}
	return route_miss(rules, program, len);
}

static int
program_applies(const struct rule *r, const char *daemon, size_t len)
{
	char name[TAG_MAX];

	if (r->nprograms == 0)
		return 1;
	if (daemon == NULL || len >= TAG_MAX)
		return 0;
	memcpy(name, daemon, len);
	name[len] = '\0';
	for (size_t i = 0; i < r->nprograms; i++)
		if (fnmatch(r->programs[i], name, 0) == 0)
			return 1;
	return 0;
}

/* Is the rule's literal in msg (found: the set's scan of msg)? */
static int
literal_in(const struct rule *r, uint64_t found, const char *msg, size_t len)
{
	if (r->literal_bit >= 0)
		return (found & ((uint64_t)1 << r->literal_bit)) != 0;
	return r->literal_len == 0 || util_memmem(msg, len, r->literal, r->literal_len) != NULL;
}

/* Does msg hold the text that the rule is matched unless (found: the set's scan of msg)? */
static int
unless_in(const struct rule *r, uint64_t found, const char *msg, size_t len)
{
	if (r->unless_bit >= 0)
		return (found & ((uint64_t)1 << r->unless_bit)) != 0;
	return util_memmem(msg, len, r->unless, r->unless_len) != NULL;
}

/*
 * A match that PCRE2 gave up (a match, depth, heap or JIT stack limit: a
 * line built to make a pattern backtrack) is a line no rule could judge:
 * count it, and say so once, so that it is never lost without a word.
 */
static void
match_failed(struct rules *rules, const struct rule *r, int rc)
{
	if (rc != PCRE2_ERROR_MATCHLIMIT && rc != PCRE2_ERROR_DEPTHLIMIT &&
	    rc != PCRE2_ERROR_HEAPLIMIT && rc != PCRE2_ERROR_JIT_STACKLIMIT) {
		log_debug("rule %s: match error %d", r->id, rc);
		return;
	}
	rules->limit_hits++;
	if (!rules->limit_logged) {
		rules->limit_logged = 1;
		log_warnx("rule %s: a line reached the PCRE2 match limit and was not matched (error %d); "
		    "such lines are counted, not logged again", r->id, rc);
	}
}

unsigned long
rules_limit_hits(const struct rules *rules)
{
	return rules->limit_hits;
}

/*
 * Make sure the rule's pattern is JIT-compiled (where the JIT is available)
 * before it runs: JIT_DONE, or JIT_NONE when it could not be (the
 * interpreter then runs it: slower, same result).
 */
#define JIT_NONE 1
#define JIT_DONE 2

static inline int
rule_jit(const struct rules *rules, const struct rule *r)
{
	struct jit_once *jit = rules->jit;
	size_t i = (size_t)(r - rules->rules);
	int state = atomic_load_explicit(&jit->done[i], memory_order_acquire);

	if (state != 0)
		return state;
	pthread_mutex_lock(&jit->lock);
	state = atomic_load_explicit(&jit->done[i], memory_order_relaxed);
	if (state == 0) {
		state = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0 ? JIT_DONE : JIT_NONE;
		atomic_store_explicit(&jit->done[i], (unsigned char)state, memory_order_release);
	}
	pthread_mutex_unlock(&jit->lock);
	return state;
}

/*
 * Run one rule's literal check (found: the set's scan of msg) and pattern;
 * fills m on a match. applies: the caller knows that the rule runs on the
 * daemon (a view made for it).
 */
static int
try_rule(struct rules *rules, const struct rule *r, uint64_t found, const char *daemon,
    size_t daemon_len, int applies, const char *msg, size_t len, struct rule_match *m)
{
	if (!literal_in(r, found, msg, len))
		return 0;
	if (r->unless != NULL && unless_in(r, found, msg, len))
		return 0;
	if (!applies && !program_applies(r, daemon, daemon_len))
		return 0;
	/* The JIT's own entry skips pcre2_match's checks of what it knows (a tenth of a short match). */
	int rc = rule_jit(rules, r) == JIT_DONE ?
	    pcre2_jit_match(r->code, (PCRE2_SPTR)msg, len, 0, 0, rules->md, rules->mctx) :
	    pcre2_match(r->code, (PCRE2_SPTR)msg, len, 0, 0, rules->md, rules->mctx);
	if (rc < 0) {
		if (rc != PCRE2_ERROR_NOMATCH)
			match_failed(rules, r, rc);
		return 0;
	}
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rules->md);
	m->rule = r;
	m->msg = msg;
	m->ngroups = r->ngroups;
	for (int g = 0; g < r->ngroups; g++) {
		if (g < rc && ov[2 * g] != PCRE2_UNSET) {
			m->start[g] = ov[2 * g];
			m->end[g] = ov[2 * g + 1];
		} else {
			m->start[g] = SIZE_MAX;
			m->end[g] = SIZE_MAX;
		}
	}
	return 1;
}

/*
 * A new view of the set's rules that run on daemon, or NULL when this
 * matcher has VIEW_MAX already. One with the same rules is shared.
 */
static const struct rule_view *
view_make(struct rules *rules, int set, const char *daemon, size_t len)
{
	const struct rule_view *all = &rules->sets[set].all;
	size_t *idx = xcalloc(all->nrules ? all->nrules : 1, sizeof(*idx));
	size_t n = 0;

	size_t *sidx = xcalloc(all->nsuccess ? all->nsuccess : 1, sizeof(*sidx));
	size_t ns = 0;

	for (size_t i = 0; i < all->nrules; i++)
		if (program_applies(&rules->rules[all->rule_idx[i]], daemon, len))
			idx[n++] = all->rule_idx[i];
	for (size_t i = 0; i < all->nsuccess; i++)
		if (program_applies(&rules->rules[all->success_idx[i]], daemon, len))
			sidx[ns++] = all->success_idx[i];
	for (size_t i = 0; i < rules->nviews; i++) {
		const struct rule_view *v = rules->views[i];
		if (v->set == set && v->nrules == n && memcmp(v->rule_idx, idx, n * sizeof(*idx)) == 0 &&
		    v->nsuccess == ns && memcmp(v->success_idx, sidx, ns * sizeof(*sidx)) == 0) {
			free(idx);
			free(sidx);
			return v;
		}
	}
	if (rules->nviews == VIEW_MAX) {
		free(idx);
		free(sidx);
		return NULL;
	}
	struct rule_view *v = xcalloc(1, sizeof(*v));
	v->set = set;
	v->filtered = 1;
	v->rule_idx = idx;
	v->nrules = n;
	v->success_idx = sidx;
	v->nsuccess = ns;
	view_finish(rules, v);
	rules->views[rules->nviews++] = v;
	return v;
}

/* Is e the cache entry of daemon (len bytes; null: none) in the set? */
static inline int
daemon_is(const struct daemon_entry *e, int set, const char *daemon, size_t len, int null)
{
	return e->set == set && e->len == len && e->null == null &&
	    (len == 0 || (e->name[0] == daemon[0] && e->name[len - 1] == daemon[len - 1] &&
	    memcmp(e->name, daemon, len) == 0));
}

/* The view for lines of daemon (the tag's last component; may be NULL) in the set. */
static const struct rule_view *
view_for(struct rules *rules, int set, const char *daemon, size_t len)
{
	const struct daemon_entry *e = rules->daemon_last;
	int null = daemon == NULL;

	if (null)
		len = 0;
	if (len >= TAG_MAX)
		return &rules->sets[set].all;
	/* Most lines come from the program of the line before, or of one of the last few. */
	if (e != NULL && daemon_is(e, set, daemon, len, null))
		return e->view;
	for (size_t i = 0; i < DAEMON_CACHE; i++) {
		e = &rules->daemons[i];
		if (daemon_is(e, set, daemon, len, null)) {
			rules->daemon_last = e;
			return e->view;
		}
	}
	const struct rule_view *v = view_make(rules, set, daemon, len);
	struct daemon_entry *d = &rules->daemons[rules->daemon_next++ % DAEMON_CACHE];
	if (len > 0)
		memcpy(d->name, daemon, len);
	d->len = len;
	d->null = null;
	d->set = set;
	d->view = v != NULL ? v : &rules->sets[set].all;
	rules->daemon_last = d;
	return d->view;
}

const struct rule *
rules_match(struct rules *rules, int set, const char *daemon, size_t daemon_len,
    const char *msg, size_t len, struct rule_match *m)
{
	return rules_match_ends(rules, set, daemon, daemon_len, msg, len, NULL, NULL, m);
}

const struct rule *
rules_match_ends(struct rules *rules, int set, const char *daemon, size_t daemon_len,
    const char *msg, size_t len, rules_ends_fn ends, void *ctx, struct rule_match *m)
{
	int ends_matter = -1;	/* not asked yet */

	if (set < 0 || (size_t)set >= rules->nsets)
		return NULL;
	const struct rule_set *s = &rules->sets[set];
	const struct rule_view *v = s->by_program ? view_for(rules, set, daemon, daemon_len) : &s->all;
	uint64_t found = scan_line(&s->scan, rules->count_successes ? &v->all : &v->failures, msg,
	    len);
	rules->scanned_msg = msg;
	rules->scanned_len = len;
	rules->scanned_set = set;
	rules->scanned_view = v;
	rules->scanned_found = found;
	if ((found & v->fail_bits) == 0 && v->complete)
		return NULL;	/* the common case: no literal of any rule in the line */
	for (size_t i = 0; i < v->nrules; i++) {
		if (v->bit[i] != 0 && (found & v->bit[i]) == 0)
			continue;	/* its literal is not in the line: most rules, at one test */
		const struct rule *r = &rules->rules[v->rule_idx[i]];

		/*
		 * A session end that matters to no one: skipped, unless a later
		 * rule may match (then this one, if it matches, must win).
		 */
		if (ends != NULL && (r->role == ROLE_END || r->role == ROLE_CLOSE) &&
		    (found & v->later_bits[i]) == 0 && !v->later_unscanned[i] &&
		    literal_in(r, found, msg, len)) {
			if (ends_matter < 0)
				ends_matter = ends(ctx) != 0;
			if (!ends_matter)
				return NULL;
		}
		if (try_rule(rules, r, found, daemon, daemon_len, v->filtered, msg, len, m))
			return r;
	}
	return NULL;
}

const struct rule *
rules_match_success(struct rules *rules, int set, const char *daemon, size_t daemon_len,
    const char *msg, size_t len, struct rule_match *m)
{
	if (set < 0 || (size_t)set >= rules->nsets || !rules->count_successes)
		return NULL;
	const struct rule_set *s = &rules->sets[set];
	const struct rule_view *v;
	uint64_t found;
	if (rules->scanned_msg == msg && rules->scanned_len == len && rules->scanned_set == set) {
		v = rules->scanned_view;
		found = rules->scanned_found;
		rules->scanned_msg = NULL;	/* the next line may sit at the same address */
	} else {
		v = s->by_program ? view_for(rules, set, daemon, daemon_len) : &s->all;
		if (v->nsuccess == 0)
			return NULL;
		found = scan_line(&s->scan, &v->all, msg, len);
	}
	if ((found & v->success_bits) == 0 && v->success_complete)
		return NULL;	/* nearly every line */
	for (size_t i = 0; i < v->nsuccess; i++) {
		const struct rule *r = &rules->rules[v->success_idx[i]];
		if (r->literal_bit >= 0 && (found & ((uint64_t)1 << r->literal_bit)) == 0)
			continue;
		if (try_rule(rules, r, found, daemon, daemon_len, v->filtered, msg, len, m))
			return r;
	}
	return NULL;
}

void
rules_count_successes(struct rules *rules, int on)
{
	rules->count_successes = on;
}

int
rules_set_has_success(const struct rules *rules, int set)
{
	return set >= 0 && (size_t)set < rules->nsets && rules->sets[set].all.nsuccess > 0;
}

const struct rule *
rules_match_ignore(struct rules *rules, int set, const char *daemon, size_t daemon_len,
    const char *msg, size_t len, struct rule_match *m)
{
	if (set < 0 || (size_t)set >= rules->nsets)
		return NULL;
	const struct rule_set *s = &rules->sets[set];
	for (size_t i = 0; i < s->nignore; i++) {
		const struct rule *r = &rules->rules[s->ignore_idx[i]];
		if (try_rule(rules, r, 0, daemon, daemon_len, 0, msg, len, m))
			return r;
	}
	return NULL;
}

int
rules_match_one(struct rules *rules, const struct rule *r, const char *daemon,
    size_t daemon_len, const char *msg, size_t len, struct rule_match *m)
{
	const struct rule_set *s = &rules->sets[r->set];
	uint64_t found = scan_line(&s->scan, &s->all.all, msg, len);

	return try_rule(rules, r, found, daemon, daemon_len, 0, msg, len, m);
}

/*
 * Is the entry's text in the reason (both in lower case, e->len <= len)? A
 * memchr for its first byte and a compare there: glibc's memmem prepares
 * each search at a cost of hundreds of instructions, on a reason of a few
 * dozen bytes that is searched for one entry after another.
 */
static int
reason_in(const char *lower, size_t len, const struct reason_entry *e)
{
	const char *p = lower, *last = lower + (len - e->len);

	while (p <= last && (p = memchr(p, e->lower[0], (size_t)(last - p) + 1)) != NULL) {
		if (memcmp(p, e->lower, e->len) == 0)
			return 1;
		p++;
	}
	return 0;
}

int
rules_classify(const struct rules *rules, const char *reason, size_t len,
    enum event_kind *kind, const char **norm, size_t *norm_len)
{
	char lower[EVENT_FIELD_MAX];
	uint64_t pairs[(1u << BIGRAM_BITS) / 64];

	if (reason == NULL)
		return 0;
	if (len > sizeof(lower))
		len = sizeof(lower);	/* no longer in an event (event_set cuts it there) */
	memset(pairs, 0, sizeof(pairs));
	for (size_t i = 0; i < len; i++) {
		lower[i] = (char)ascii_lower((unsigned char)reason[i]);
		if (i > 0) {
			unsigned h = bigram_hash((unsigned char)lower[i - 1], (unsigned char)lower[i]);
			pairs[h / 64] |= (uint64_t)1 << (h % 64);
		}
	}
	for (size_t i = 0; i < rules->nreasons; i++) {
		const struct reason_entry *e = &rules->reasons[i];
		int first_pair_in = e->len < 2 ||
		    (pairs[e->bigram / 64] & ((uint64_t)1 << (e->bigram % 64))) != 0;
		if (e->len > len || !first_pair_in)
			continue;
		if (reason_in(lower, len, e)) {
			*kind = e->kind;
			*norm = e->text;
			*norm_len = e->len;
			return 1;
		}
	}
	return 0;
}

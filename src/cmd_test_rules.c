/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_test_rules.c: `tlslogd test-rules`: try the rules on log lines without
 * a database, the way an administrator checks a new or changed rule, and
 * `--check`: verify every example of every rule (the test suite runs it).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd.h"
#include "framer.h"
#include "header.h"
#include "linematch.h"
#include "log.h"
#include "output.h"
#include "rules.h"
#include "util.h"

static const char test_rules_usage[] =
    "usage: tlslogd test-rules [--check] [--details] [--missed] [--mta NAME]\n"
    "                          [--patterns DIR] [--local-rules DIR] [-c FILE]\n"
    "                          [--timezone TZ] [FILE|-]\n"
    "\n"
    "Read log lines (default: standard input) and report: lines read, matches by\n"
    "kind and rule, the lines that mention TLS or AUTH but no rule took (grouped\n"
    "by shape, with a count and one example each), lines without a header, and\n"
    "matches given up at the PCRE2 limit. No database is used; lines are not\n"
    "joined into multi-line events.\n"
    "\n"
    "      --check          verify the examples of every rule instead, and exit\n"
    "                       non-zero if one fails\n"
    "      --details        also print each matched line with its rule and fields\n"
    "      --missed         also print every line that mentions TLS, SSL, STARTTLS,\n"
    "                       certificate, cipher, AUTH or SASL but matched no rule\n"
    "      --mta NAME       treat every line as written by NAME\n"
    "      --patterns DIR   rules folder (default: from the configuration)\n"
    "      --local-rules DIR  local rules that add to or replace the shipped ones\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "      --timezone TZ    zone of log times written without one\n"
    "  -h, --help           this help\n";

#define SHAPES_MAX 512	/* shapes of unmatched lines kept; the rest are counted as others */
#define SHAPE_LEN 100	/* bytes of a message that make its shape */
#define SHAPES_SHOWN 20
#define NO_HEADER_SHOWN 5

/* Lines about TLS or AUTH that no rule took, with the same shape. */
struct shape {
	char *key;		/* the message with digits, [...] and <...> blurred */
	char *example;		/* the first such line */
	size_t example_len;
	unsigned long count;
};

/* Matches of one (rule, kind); the kind may differ from the rule's by the reason table. */
struct hit {
	const struct rule *rule;
	enum event_kind kind;
	unsigned long count;
};

struct tester {
	struct linematch lm;
	struct header_clock clock;	/* for the shapes' messages */
	int missed, details;
	unsigned long lines, matched, ignored, no_header, suspicious, other_shapes;
	struct shape *shapes;
	size_t nshapes;
	struct hit *hits;
	size_t nhits, hits_cap;
	struct buf no_header_shown;
	struct buf out;
};

/*
 * The shape of a message: runs of digits become "#", text in [...] and
 * <...> becomes "[]" and "<>" (addresses, user names, queue ids in brackets),
 * cut at SHAPE_LEN bytes. Lines that differ only there are one shape.
 */
static char *
shape_of(const char *msg, size_t len)
{
	char *key = xmalloc(SHAPE_LEN + 1);
	size_t n = 0;

	for (size_t i = 0; i < len && n < SHAPE_LEN; i++) {
		char c = msg[i];
		if (c >= '0' && c <= '9') {
			while (i + 1 < len && msg[i + 1] >= '0' && msg[i + 1] <= '9')
				i++;
			key[n++] = '#';
		} else if (c == '[' || c == '<') {
			char close = c == '[' ? ']' : '>';
			size_t j = i + 1;
			while (j < len && msg[j] != close && j - i < 256)
				j++;
			key[n++] = c;
			if (j < len && msg[j] == close && n < SHAPE_LEN) {
				key[n++] = close;
				i = j;
			}
		} else {
			key[n++] = c;
		}
	}
	key[n] = '\0';
	return key;
}

static void
count_shape(struct tester *t, const char *line, size_t len)
{
	struct line_header h;
	const char *msg = line;
	size_t msg_len = len;

	if (header_parse(&t->clock, line, len, &h) == 0) {
		msg = h.msg;
		msg_len = h.msg_len;
	}
	char *key = shape_of(msg, msg_len);
	for (size_t i = 0; i < t->nshapes; i++)
		if (strcmp(t->shapes[i].key, key) == 0) {
			t->shapes[i].count++;
			free(key);
			return;
		}
	if (t->nshapes == SHAPES_MAX) {
		t->other_shapes++;
		free(key);
		return;
	}
	if (t->shapes == NULL)
		t->shapes = xcalloc(SHAPES_MAX, sizeof(*t->shapes));
	struct shape *sh = &t->shapes[t->nshapes++];
	sh->key = key;
	sh->example = xmalloc(len + 1);
	memcpy(sh->example, line, len);
	sh->example[len] = '\0';
	sh->example_len = len;
	sh->count = 1;
}

static void
count_hit(struct tester *t, const struct rule *r, enum event_kind kind)
{
	for (size_t i = 0; i < t->nhits; i++)
		if (t->hits[i].rule == r && t->hits[i].kind == kind) {
			t->hits[i].count++;
			return;
		}
	if (t->nhits == t->hits_cap) {
		t->hits_cap = t->hits_cap ? 2 * t->hits_cap : 32;
		t->hits = xrealloc(t->hits, t->hits_cap * sizeof(*t->hits));
	}
	t->hits[t->nhits].rule = r;
	t->hits[t->nhits].kind = kind;
	t->hits[t->nhits].count = 1;
	t->nhits++;
}

/* " (end)" for the roles whose lines are not failures of their own. */
static const char *
role_note(enum rule_role role)
{
	switch (role) {
	case ROLE_END: return " (end)";
	case ROLE_CLOSE: return " (close)";
	case ROLE_HINT: return " (hint)";
	case ROLE_SUMMARY: return " (summary)";
	case ROLE_SUCCESS: return " (success)";
	default: return "";
	}
}

static int
by_count_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->rule->id, y->rule->id);
}

static int
by_count_shape(const void *a, const void *b)
{
	const struct shape *x = a, *y = b;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->key, y->key);
}

/* The short report (after the details, if asked for); frees what it reports. */
static void
report(struct tester *t, const struct rules *rules)
{
	struct buf *out = &t->out;

	buf_printf(out, "%lu lines read\n", t->lines);
	if (t->nhits > 0) {
		qsort(t->hits, t->nhits, sizeof(*t->hits), by_count_hit);
		buf_printf(out, "\nmatched, by kind and rule (lines; end, close, hint and summary lines\n"
		    "add to or close the failures of their process, or are none alone):\n");
		for (size_t i = 0; i < t->nhits; i++)
			buf_printf(out, "  %8lu  %-26s %s%s\n", t->hits[i].count,
			    event_kind_name(t->hits[i].kind), t->hits[i].rule->id,
			    role_note(t->hits[i].rule->role));
	}
	if (t->nshapes > 0) {
		qsort(t->shapes, t->nshapes, sizeof(*t->shapes), by_count_shape);
		buf_printf(out, "\nmention TLS/AUTH but no rule took them, by shape (%lu lines):\n",
		    t->suspicious);
		for (size_t i = 0; i < t->nshapes; i++) {
			if (i < SHAPES_SHOWN) {
				buf_printf(out, "  %8lu  ", t->shapes[i].count);
				output_escape_text(out, t->shapes[i].key, strlen(t->shapes[i].key));
				buf_printf(out, "\n            e.g. ");
				output_escape_text(out, t->shapes[i].example, t->shapes[i].example_len);
				buf_putc(out, '\n');
			} else {
				t->other_shapes += t->shapes[i].count;
			}
			free(t->shapes[i].key);
			free(t->shapes[i].example);
		}
		if (t->other_shapes > 0)
			buf_printf(out, "  %8lu  (lines of other shapes)\n", t->other_shapes);
	}
	if (t->no_header > 0) {
		buf_printf(out, "\nwithout a header (not read as log lines):\n");
		buf_append(out, t->no_header_shown.data, t->no_header_shown.len);
		if (t->no_header > NO_HEADER_SHOWN)
			buf_printf(out, "  ... and %lu more\n", t->no_header - NO_HEADER_SHOWN);
	}
	unsigned long limit = rules_limit_hits(rules);
	if (limit > 0)
		buf_printf(out, "\n%lu match%s given up at the PCRE2 match limit (lines no rule could judge)\n",
		    limit, limit == 1 ? "" : "es");
	buf_putc(out, '\n');
	free(t->shapes);
	free(t->hits);
	buf_free(&t->no_header_shown);
}

static void
print_event(struct buf *out, const struct event *ev, const struct rule *r)
{
	char iso[32];

	time_t t = (time_t)ev->time;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(iso, sizeof(iso), "%lld", (long long)ev->time);
	buf_printf(out, "  rule %s (%s:%d)\n", r->id, r->file, r->lineno);
	buf_printf(out, "    %-12s %s\n", "time", iso);
	buf_printf(out, "    %-12s %s\n", "mta", ev->mta);
	buf_printf(out, "    %-12s %s\n", "kind", event_kind_name(ev->kind));
	buf_printf(out, "    %-12s %s\n", "direction", event_direction_name(ev->direction));
	if (ev->pid >= 0)
		buf_printf(out, "    %-12s %ld\n", "pid", ev->pid);
	if (ev->peer_port >= 0)
		buf_printf(out, "    %-12s %ld\n", "peer_port", ev->peer_port);
	for (int f = 0; f < EF_COUNT; f++) {
		if (f == EF_RAW || ev->field[f] == NULL)
			continue;
		buf_printf(out, "    %-12s ", event_field_name((enum event_field)f));
		output_escape_text(out, ev->field[f], ev->field_len[f]);
		buf_putc(out, '\n');
	}
}

static void
test_line(void *ctx, const char *line, size_t len, int64_t offset, int cut)
{
	struct tester *t = ctx;
	struct event *ev;
	const struct rule *r;

	(void)offset;
	(void)cut;
	t->lines++;
	switch (linematch_line(&t->lm, line, len, &ev, &r)) {
	case LM_EVENT:
		t->matched++;
		count_hit(t, r, ev->kind);
		if (t->details) {
			buf_printf(&t->out, "line %lu: ", t->lines);
			output_escape_text(&t->out, line, len);
			buf_putc(&t->out, '\n');
			print_event(&t->out, ev, r);
		}
		event_free(ev);
		break;
	case LM_IGNORED:
		t->ignored++;
		break;
	case LM_UNKNOWN:	/* not asked for (count_unknown is off) */
	case LM_NO_HEADER:
		t->no_header++;
		if (t->no_header <= NO_HEADER_SHOWN) {
			buf_printf(&t->no_header_shown, "  line %lu: ", t->lines);
			output_escape_text(&t->no_header_shown, line, len > 200 ? 200 : len);
			buf_putc(&t->no_header_shown, '\n');
		}
		/* FALLTHROUGH */
	case LM_NO_MATCH:
		if (linematch_mentions_tls_or_auth(line, len)) {
			t->suspicious++;
			count_shape(t, line, len);
			if (t->missed) {
				buf_printf(&t->out, "missed line %lu: ", t->lines);
				output_escape_text(&t->out, line, len);
				buf_putc(&t->out, '\n');
			}
		}
		break;
	}
	if (t->out.len > 65536) {
		fwrite(t->out.data, 1, t->out.len, stdout);
		buf_reset(&t->out);
	}
}

/* The value of an expect field in ev, as text; NULL when the event has none. */
static const char *
event_value(const struct event *ev, const char *field, char *tmp, size_t size)
{
	if (strcmp(field, "kind") == 0)
		return event_kind_name(ev->kind);
	if (strcmp(field, "direction") == 0)
		return event_direction_name(ev->direction);
	if (strcmp(field, "mta") == 0)
		return ev->mta;
	if (strcmp(field, "pid") == 0 || strcmp(field, "peer_port") == 0) {
		long v = field[1] == 'i' ? ev->pid : ev->peer_port;
		if (v < 0)
			return NULL;
		snprintf(tmp, size, "%ld", v);
		return tmp;
	}
	int f = event_field_from_name(field, strlen(field));
	return f >= 0 ? ev->field[f] : NULL;
}

static int
check_examples(struct rules *rules)
{
	struct linematch lm;
	unsigned long checked = 0, failures = 0;

	linematch_init(&lm, rules, -1, (int64_t)time(NULL));
	for (size_t i = 0; i < rules_count(rules); i++) {
		const struct rule *r = rules_get(rules, i);

		if (r->disabled)
			continue;	/* replaced by a local rule: its examples need not hold */
		for (size_t j = 0; j < r->nexamples; j++) {
			const struct rule_example *ex = &r->examples[j];
			struct event *ev = NULL;
			const struct rule *got = NULL;
			size_t len = strlen(ex->line);
			enum linematch_result res;

			checked++;
			lm.only_rule = r;
			res = linematch_line(&lm, ex->line, len, &ev, &got);
			if (!ex->must_match) {
				if (res == LM_EVENT || res == LM_IGNORED) {
					log_warnx("%s:%d: rule %s matches this nomatch line", r->file,
					    ex->lineno, r->id);
					failures++;
				}
				event_free(ev);
				continue;
			}
			if (r->role == ROLE_IGNORE) {
				/* A known non-failure: no failure rule may take it. */
				lm.only_rule = NULL;
				lm.want_ignored = 1;
				res = linematch_line(&lm, ex->line, len, &ev, &got);
				lm.want_ignored = 0;
				if (res != LM_IGNORED || got != r) {
					log_warnx("%s:%d: rule %s: example is %s", r->file, ex->lineno,
					    r->id, res == LM_EVENT ? "taken as a failure by another rule" :
					    res == LM_IGNORED ? "taken by another ignore rule" :
					    "not matched");
					failures++;
				}
				event_free(ev);
				continue;
			}
			if (res != LM_EVENT) {
				log_warnx("%s:%d: rule %s does not match its example%s", r->file,
				    ex->lineno, r->id, res == LM_NO_HEADER ?
				    " (no syslog or Exim header recognized)" : "");
				failures++;
				continue;
			}
			for (size_t k = 0; k < ex->nexpects; k++) {
				const struct rule_expect *e = &ex->expects[k];
				char tmp[32];
				const char *v = event_value(ev, e->field, tmp, sizeof(tmp));

				if ((v == NULL) != (e->value == NULL) ||
				    (v != NULL && strcmp(v, e->value) != 0)) {
					log_warnx("%s:%d: rule %s: %s is \"%s\", expected \"%s\"", r->file,
					    ex->lineno, r->id, e->field, v ? v : "-",
					    e->value ? e->value : "-");
					failures++;
				}
			}
			event_free(ev);
			lm.only_rule = NULL;
			ev = NULL;
			if (r->role == ROLE_SUCCESS) {
				/* Counted by this rule, not an earlier success rule of the set. */
				struct success sc = { 0 };
				lm.success = &sc;
				linematch_line(&lm, ex->line, len, &ev, &got);
				lm.success = NULL;
				event_free(ev);
				if (sc.rule != r) {
					log_warnx("%s:%d: rule %s: example is %s", r->file, ex->lineno,
					    r->id, sc.rule == NULL ? "not counted (no peer address or name)" :
					    "counted by earlier success rule");
					if (sc.rule != NULL)
						log_warnx("%s:%d: (earlier rule %s)", sc.rule->file,
						    sc.rule->lineno, sc.rule->id);
					failures++;
				}
				continue;
			}
			/* The whole set must pick this rule, not an earlier one. */
			if (linematch_line(&lm, ex->line, len, &ev, &got) == LM_EVENT && got != r) {
				log_warnx("%s:%d: rule %s: example is taken by earlier rule %s (%s:%d)",
				    r->file, ex->lineno, r->id, got->id, got->file, got->lineno);
				failures++;
			}
			event_free(ev);
		}
	}
	printf("%zu rules, %lu examples checked, %lu failure%s\n", rules_count(rules), checked,
	    failures, failures == 1 ? "" : "s");
	return failures ? EXIT_TROUBLE : EXIT_OK;
}

int
cmd_test_rules(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'C' },
		{ "missed", no_argument, NULL, 'm' },
		{ "details", no_argument, NULL, 'D' },
		{ "mta", required_argument, NULL, 'M' },
		{ "patterns", required_argument, NULL, 'P' },
		{ "local-rules", required_argument, NULL, 'R' },
		{ "config", required_argument, NULL, 'c' },
		{ "timezone", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct common_opts common = { 0 };
	const char *mta = NULL;
	int check = 0, missed = 0, details = 0, ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C': check = 1; break;
		case 'm': missed = 1; break;
		case 'D': details = 1; break;
		case 'M': mta = optarg; break;
		case 'P': common.patterns = optarg; break;
		case 'R': common.local_rules = optarg; break;
		case 'c': common.config = optarg; break;
		case 'T': common.timezone = optarg; break;
		case 'h': fputs(test_rules_usage, stdout); return EXIT_OK;
		default: return cmd_bad_option("test-rules", "c:h", argc, argv);
		}
	}
	if (argc - optind > 1 || (check && argc - optind > 0)) {
		log_warnx("test-rules: at most one input file, and none with --check");
		fputs(test_rules_usage, stderr);
		return EXIT_USAGE;
	}
	struct conf conf;
	if (cmd_setup(&common, &conf) < 0) {
		conf_free(&conf);
		return EXIT_USAGE;
	}
	struct rules *rules = cmd_load_rules(&conf);
	if (rules != NULL)
		rules_count_successes(rules, 1);	/* the success rules' examples are checked too */
	if (rules == NULL) {
		conf_free(&conf);
		return EXIT_USAGE;
	}
	int status;
	if (check) {
		status = check_examples(rules);
		goto done;
	}
	int forced = -1;
	if (mta != NULL && (forced = rules_find_set(rules, mta)) < 0) {
		log_warnx("--mta %s: no rules for this MTA in %s", mta, conf.patterns);
		status = EXIT_USAGE;
		goto done;
	}
	const char *path = optind < argc ? argv[optind] : "-";
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (fp == NULL) {
		log_warn("cannot open %s", path);
		status = EXIT_TROUBLE;
		goto done;
	}
	struct tester t;
	memset(&t, 0, sizeof(t));
	/* As scan does: the file's time is the reference for years left out of dates. */
	struct stat sb;
	int64_t reference = (int64_t)time(NULL);
	if (fp != stdin && fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode))
		reference = (int64_t)sb.st_mtime;
	linematch_init(&t.lm, rules, forced, reference);
	t.lm.want_ignored = 1;
	t.missed = missed;
	t.details = details;
	header_clock_init(&t.clock, reference);
	buf_init(&t.out);
	buf_init(&t.no_header_shown);
	struct framer fr;
	framer_init(&fr, 64 * 1024, 0);
	status = EXIT_OK;
	for (;;) {
		size_t room;
		char *space = framer_space(&fr, &room);
		size_t n = fread(space, 1, room, fp);
		if (n == 0)
			break;
		framer_commit(&fr, n, test_line, &t);
	}
	if (ferror(fp)) {
		log_warn("%s: read error", path);
		status = EXIT_TROUBLE;
	}
	framer_finish(&fr, test_line, &t);
	framer_free(&fr);
	if (fp != stdin)
		fclose(fp);
	report(&t, rules);
	buf_printf(&t.out, "%lu lines, %lu matched a rule, %lu known as no failure, %lu mention "
	    "TLS/AUTH but matched none, %lu without a header\n", t.lines, t.matched, t.ignored,
	    t.suspicious, t.no_header);
	fwrite(t.out.data, 1, t.out.len, stdout);
	buf_free(&t.out);
done:
	rules_free(rules);
	conf_free(&conf);
	return status;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf_test.c: the settings table of conf.c is what tlslogd.conf(5) and the
 * sample configuration describe: every keyword the parser knows is documented
 * in the man page and shown in contrib/tlslogd.conf, and neither names one the
 * parser does not know. The table drives the parser: each number is taken at
 * its limits and refused just outside them, conf_init gives the table's
 * defaults (scan's max_line default is the same), and a file with several
 * mistakes reports each one as file:line.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ingest.h"
#include "tap.h"

#define MAX_NAMES 128

struct names {
	char *v[MAX_NAMES];
	size_t n;
};

static void
names_add(struct names *ns, const char *w, size_t len)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strlen(ns->v[i]) == len && strncmp(ns->v[i], w, len) == 0)
			return;
	if (ns->n < MAX_NAMES)
		ns->v[ns->n++] = strndup(w, len);
}

static void
names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	ns->n = 0;
}

static int
names_has(const struct names *ns, const char *w)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], w) == 0)
			return 1;
	return 0;
}

/* A keyword: lower-case letters and '_' up to a blank, a quote or the end. */
static size_t
keyword_len(const char *p)
{
	size_t n = 0;

	while ((p[n] >= 'a' && p[n] <= 'z') || p[n] == '_')
		n++;
	return p[n] == '\0' || p[n] == ' ' || p[n] == '\n' || p[n] == '"' ? n : 0;
}

static FILE *
open_src(const char *rel)
{
	const char *dir = getenv("TLSLOGD_SRCDIR");
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "..", rel);
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		printf("# cannot read %s\n", path);
	return fp;
}

/* The keywords of the man page: the tag after each .TP of section KEYWORDS. */
static void
man_keywords(struct names *ns)
{
	FILE *fp = open_src("doc/tlslogd.conf.5.in");
	char line[1024];
	int in_keywords = 0, after_tp = 0;

	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, ".SH", 3) == 0)
			in_keywords = strstr(line, "KEYWORDS") != NULL;
		if (in_keywords && after_tp) {
			const char *p = strchr(line, ' ');
			if (line[0] == '.' && line[1] == 'B' && p != NULL) {
				size_t n = keyword_len(p + 1);
				if (n > 0)
					names_add(ns, p + 1, n);
			}
		}
		after_tp = strncmp(line, ".TP", 3) == 0;
	}
	fclose(fp);
}

/* The keywords of the sample: "keyword value" lines, commented out or not. */
static void
sample_keywords(struct names *ns)
{
	FILE *fp = open_src("contrib/tlslogd.conf");
	char line[1024];

	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		const char *p = line[0] == '#' ? line + 1 : line;
		size_t n = keyword_len(p);
		if (n > 0 && p[n] == ' ')
			names_add(ns, p, n);
	}
	fclose(fp);
}

static void
test_documented(void)
{
	struct names man = { .n = 0 }, sample = { .n = 0 };
	size_t n;
	const struct conf_setting *s = conf_settings(&n);

	man_keywords(&man);
	sample_keywords(&sample);
	ok(man.n > 0 && sample.n > 0, "the man page and the sample were read");
	for (size_t i = 0; i < n; i++) {
		ok(names_has(&man, s[i].name), "tlslogd.conf(5) documents %s", s[i].name);
		ok(names_has(&sample, s[i].name), "contrib/tlslogd.conf shows %s", s[i].name);
	}
	for (size_t i = 0; i < man.n; i++)
		ok(conf_setting(man.v[i]) != NULL, "the man page's %s is a setting", man.v[i]);
	for (size_t i = 0; i < sample.n; i++)
		ok(conf_setting(sample.v[i]) != NULL, "the sample's %s is a setting", sample.v[i]);
	names_free(&man);
	names_free(&sample);
}

static int64_t
get_number(const struct conf *conf, const struct conf_setting *s)
{
	const char *field = (const char *)conf + s->offset;

	switch (s->ctype) {
	case CONF_C_LONG: {
		long x;
		memcpy(&x, field, sizeof(x));
		return x;
	}
	case CONF_C_SIZE: {
		size_t x;
		memcpy(&x, field, sizeof(x));
		return (int64_t)x;
	}
	case CONF_C_INT64: {
		int64_t x;
		memcpy(&x, field, sizeof(x));
		return x;
	}
	case CONF_C_INT: {
		int x;
		memcpy(&x, field, sizeof(x));
		return x;
	}
	default:
		return -1;
	}
}

/* Load "NAME VALUE" (VALUE in the setting's stored unit) into a fresh conf. */
static int
load_one(const struct conf_setting *s, int64_t v, struct conf *conf)
{
	char path[] = "/tmp/conf_test.XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");
	const char *unit = s->syntax == CONF_DURATION ? "s" : "";

	fprintf(fp, "%s %lld%s\n", s->name, (long long)v, unit);
	fclose(fp);
	conf_init(conf);
	int rc = conf_load(conf, path, 1);
	unlink(path);
	return rc;
}

static void
test_limits(void)
{
	size_t n;
	const struct conf_setting *s = conf_settings(&n);
	struct conf conf;

	for (size_t i = 0; i < n; i++) {
		if (s[i].syntax == CONF_STRING || s[i].syntax == CONF_CUSTOM)
			continue;
		conf_init(&conf);
		is_int(get_number(&conf, &s[i]), s[i].def, "%s: conf_init gives the default",
		    s[i].name);
		conf_free(&conf);
		is_int(load_one(&s[i], s[i].min, &conf), 0, "%s: its minimum is taken", s[i].name);
		is_int(get_number(&conf, &s[i]), s[i].min, "%s: and stored", s[i].name);
		conf_free(&conf);
		is_int(load_one(&s[i], s[i].min - 1, &conf), -1, "%s: below it is refused",
		    s[i].name);
		conf_free(&conf);
		if (s[i].max == INT64_MAX)
			continue;
		is_int(load_one(&s[i], s[i].max, &conf), 0, "%s: its maximum is taken", s[i].name);
		is_int(get_number(&conf, &s[i]), s[i].max, "%s: and stored", s[i].name);
		conf_free(&conf);
		is_int(load_one(&s[i], s[i].max + 1, &conf), -1, "%s: above it is refused",
		    s[i].name);
		conf_free(&conf);
	}
}

static void
test_max_line(void)
{
	const struct conf_setting *s = conf_setting("max_line");
	struct ingest_options opt;
	struct conf conf;

	ingest_options_default(&opt);
	conf_init(&conf);
	is_int(opt.max_line, conf.max_line, "scan and the daemon cut lines at the same default");
	is_int(s->min, 256, "max_line: from 256 bytes (scan --max-line's minimum)");
	is_int(s->max, 64 * 1024 * 1024, "max_line: to 64 MiB (scan --max-line's maximum)");
	conf_free(&conf);
}

/* A file with a mistake on lines 1, 3, 4 and 6 reports each, by file:line. */
static void
test_every_mistake(void)
{
	char path[] = "/tmp/conf_test.XXXXXX", err[] = "/tmp/conf_err.XXXXXX";
	int fd = mkstemp(path), efd = mkstemp(err), saved = dup(2);
	FILE *fp = fdopen(fd, "w");
	struct conf conf;
	char line[1024], want[64];
	int seen[8] = { 0 };

	fputs("max_line 12\ndatabase /tmp/x.db\nbatch_interval 0\nfrobnicate 1\n"
	    "retention 400d\nmail_to a@example.com nobody\n", fp);
	fclose(fp);
	fflush(stderr);
	dup2(efd, 2);
	conf_init(&conf);
	int rc = conf_load(&conf, path, 1);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	is_int(rc, -1, "a file with mistakes is refused");
	fp = fopen(err, "r");
	while (fp != NULL && fgets(line, sizeof(line), fp) != NULL)
		for (int l = 1; l <= 6; l++) {
			snprintf(want, sizeof(want), "%s:%d: ", path, l);
			if (strstr(line, want) != NULL)
				seen[l]++;
		}
	if (fp != NULL)
		fclose(fp);
	ok(seen[1] == 1 && seen[3] == 1 && seen[4] == 1 && seen[6] == 1,
	    "each mistake is reported once as file:line (lines 1, 3, 4, 6)");
	ok(seen[2] == 0 && seen[5] == 0, "the good lines are not");
	is_str(conf.mail_to ? conf.mail_to[0] : NULL, "a@example.com",
	    "mail_to keeps its good address");
	conf_free(&conf);
	unlink(path);
	unlink(err);
}

int
main(void)
{
	test_documented();
	test_limits();
	test_max_line();
	test_every_mistake();
	return done_testing();
}

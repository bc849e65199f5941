/*
 * conf.c: read tlslogd.conf (see conf.h and tlslogd.conf(5)).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "util.h"

void
conf_init(struct conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->database = xstrdup(TLSLOGD_DEFAULT_DB);
	conf->patterns = xstrdup(TLSLOGD_DEFAULT_PATTERNS);
	conf->local_rules = xstrdup(TLSLOGD_DEFAULT_LOCAL_RULES);
	conf->local_rules_is_default = 1;
}

void
conf_free(struct conf *conf)
{
	if (conf == NULL)
		return;
	free(conf->path);
	free(conf->database);
	free(conf->patterns);
	free(conf->local_rules);
	free(conf->timezone);
	memset(conf, 0, sizeof(*conf));
}

int
conf_valid_timezone(const char *tz)
{
	const char *dir = getenv("TZDIR");
	int named = 1;
	char *path;
	int rc;

	if (*tz == ':')
		tz++;
	if (*tz == '\0' || strstr(tz, "..") != NULL)
		return 0;
	/* A POSIX rule ("CET-1CEST,M3.5.0,M10.5.0/3") has digits or a comma; a name does not. */
	for (const char *p = tz; *p; p++) {
		if (*p == ' ' || *p == '\t')
			return 0;
		if ((*p >= '0' && *p <= '9') || *p == ',')
			named = 0;
	}
	if (!named)
		return 1;
	path = xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
	rc = access(path, R_OK) == 0;
	free(path);
	return rc || strcmp(tz, "UTC") == 0;
}

static void
set_string(char **slot, const char *value)
{
	free(*slot);
	*slot = xstrdup(value);
}

int
conf_load(struct conf *conf, const char *path, int must_exist)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, errors = 0;

	if (fp == NULL) {
		if (errno == ENOENT && !must_exist)
			return 0;
		log_warn("cannot read configuration %s", path);
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) >= 0) {
		char *p = line, *kw, *value;

		lineno++;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			log_warnx("%s:%d: NUL byte in line", path, lineno);
			errors++;
			continue;
		}
		/* "#" after a blank starts a comment, to the end of the line. */
		for (ssize_t i = 1; i < n; i++)
			if (line[i] == '#' && (line[i - 1] == ' ' || line[i - 1] == '\t')) {
				line[i] = '\0';
				n = i;
				break;
			}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
		    line[n - 1] == '\t'))
			line[--n] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		kw = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		value = p;
		if (*value == '\0') {
			log_warnx("%s:%d: \"%s\" needs a value", path, lineno, kw);
			errors++;
		} else if (strcmp(kw, "database") == 0) {
			set_string(&conf->database, value);
		} else if (strcmp(kw, "patterns") == 0) {
			set_string(&conf->patterns, value);
		} else if (strcmp(kw, "local_rules") == 0) {
			set_string(&conf->local_rules, value);
			conf->local_rules_is_default = 0;
		} else if (strcmp(kw, "timezone") == 0) {
			if (conf_valid_timezone(value))
				set_string(&conf->timezone, value);
			else {
				log_warnx("%s:%d: unknown time zone \"%s\" (a name from the tz "
				    "database, e.g. Europe/Berlin, or a POSIX TZ string)", path, lineno,
				    value);
				errors++;
			}
		} else {
			log_warnx("%s:%d: unknown keyword \"%s\"", path, lineno, kw);
			errors++;
		}
	}
	if (ferror(fp)) {
		log_warn("%s: read error", path);
		errors++;
	}
	free(line);
	fclose(fp);
	if (errors > 0)
		return -1;
	set_string(&conf->path, path);
	return 0;
}

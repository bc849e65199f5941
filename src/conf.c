/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf.c: read tlslogd.conf (see conf.h and tlslogd.conf(5)).
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "conf.h"
#include "event.h"
#include "log.h"
#include "listen_address.h"
#include "timeparse.h"
#include "util.h"

/* Next blank-separated word of *p (modified in place), or NULL. */
static char *
next_word(char **p)
{
	char *w = *p;

	while (*w == ' ' || *w == '\t')
		w++;
	if (*w == '\0')
		return NULL;
	char *e = w;
	while (*e && *e != ' ' && *e != '\t')
		e++;
	if (*e)
		*e++ = '\0';
	*p = e;
	return w;
}

/* Words of value (already free of comments) as a NULL-terminated list. */
static char **
split_words(char *value)
{
	char **list = xcalloc(1, sizeof(*list));
	size_t n = 0;

	for (char *w; (w = next_word(&value)) != NULL;) {
		list = xreallocarray(list, n + 2, sizeof(*list));
		list[n++] = xstrdup(w);
		list[n] = NULL;
	}
	return list;
}

static void
free_list(char **list)
{
	if (list == NULL)
		return;
	for (char **p = list; *p; p++)
		free(*p);
	free(list);
}

/* Split "a,b,c" into a NULL-terminated list; NULL if an element is empty. */
static char **
split_list(const char *value)
{
	size_t n = 1;
	for (const char *p = value; *p; p++)
		n += *p == ',';
	char **list = xcalloc(n + 1, sizeof(*list));
	const char *start = value;
	for (size_t i = 0; i < n; i++) {
		const char *end = strchr(start, ',');
		size_t len = end ? (size_t)(end - start) : strlen(start);
		if (len == 0) {
			free_list(list);
			return NULL;
		}
		list[i] = xstrndup(start, len);
		start = end ? end + 1 : start + len;
	}
	return list;
}

static void
free_thresholds(struct conf *conf)
{
	for (size_t i = 0; i < conf->nthresholds; i++) {
		free(conf->thresholds[i].name);
		free_list(conf->thresholds[i].kinds);
	}
	free(conf->thresholds);
	conf->thresholds = NULL;
	conf->nthresholds = 0;
}

static void
add_threshold(struct conf *conf, const char *name, char **kinds, int64_t count, int64_t window)
{
	conf->thresholds = xreallocarray(conf->thresholds, conf->nthresholds + 1,
	    sizeof(*conf->thresholds));
	struct conf_threshold *t = &conf->thresholds[conf->nthresholds++];
	t->name = xstrdup(name);
	t->kinds = kinds;
	t->count = count;
	t->window = window;
}

void
conf_default_thresholds(struct conf *conf)
{
	free_thresholds(conf);
	add_threshold(conf, "guessing", split_list("auth_failed"), 5, 600);
	add_threshold(conf, "tls", split_list("tls_*"), 3, 3600);
}

static void
free_sources(struct conf *conf)
{
	for (size_t i = 0; i < conf->nsources; i++) {
		free(conf->sources[i].path);
		free(conf->sources[i].mta);
		free_list(conf->sources[i].identifiers);
		free_list(conf->sources[i].units);
		free(conf->sources[i].directory);
	}
	free(conf->sources);
	conf->sources = NULL;
	conf->nsources = 0;
}

static struct conf_source *
new_source(struct conf *conf, enum source_type type, int lineno)
{
	conf->sources = xreallocarray(conf->sources, conf->nsources + 1, sizeof(*conf->sources));
	struct conf_source *src = &conf->sources[conf->nsources++];
	memset(src, 0, sizeof(*src));
	src->type = type;
	src->lineno = lineno;
	return src;
}

void
conf_add_file_source(struct conf *conf, const char *path, const char *mta)
{
	struct conf_source *src = new_source(conf, SOURCE_FILE, 0);

	src->path = xstrdup(path);
	src->mta = mta ? xstrdup(mta) : NULL;
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
	free(conf->advice);
	free(conf->timezone);
	free(conf->user);
	free(conf->group);
	free(conf->server);
	free_sources(conf);
	free_thresholds(conf);
	free_list(conf->flag_domain_kinds);
	free_list(conf->allow);
	free_list(conf->action_flag);
	free_list(conf->action_clear);
	free_list(conf->action_regression);
	free_list(conf->regression_kinds);
	free_list(conf->sendmail);
	free(conf->mail_from);
	free_list(conf->mail_to);
	free(conf->metrics_file);
	free(conf->metrics_listen);
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

/*
 * "source PATH [mta NAME]" or
 * "source journal [identifiers A,B] [units U,V] [directory DIR]".
 */
static int
parse_source(struct conf *conf, char *value, const char *path, int lineno)
{
	char *p = value;
	char *what = next_word(&p);
	struct conf_source *src;

	if (strcmp(what, "journal") == 0) {
		src = new_source(conf, SOURCE_JOURNAL, lineno);
		for (char *w; (w = next_word(&p)) != NULL;) {
			char *arg = next_word(&p);
			if (strcmp(w, "directory") == 0) {
				if (arg == NULL || arg[0] != '/' || src->directory != NULL) {
					log_warnx("%s:%d: source journal: directory needs one absolute "
					    "folder name", path, lineno);
					return -1;
				}
				src->directory = xstrdup(arg);
				continue;
			}
			char ***slot = strcmp(w, "identifiers") == 0 ? &src->identifiers :
			    strcmp(w, "units") == 0 ? &src->units : NULL;
			if (slot == NULL) {
				log_warnx("%s:%d: source journal: unknown option \"%s\" (identifiers, "
				    "units or directory)", path, lineno, w);
				return -1;
			}
			if (arg == NULL || *slot != NULL || (*slot = split_list(arg)) == NULL) {
				log_warnx("%s:%d: source journal: %s needs one comma-separated list "
				    "without empty names", path, lineno, w);
				return -1;
			}
		}
		return 0;
	}
	if (what[0] != '/') {
		log_warnx("%s:%d: source: \"%s\" is neither an absolute file name nor \"journal\"",
		    path, lineno, what);
		return -1;
	}
	src = new_source(conf, SOURCE_FILE, lineno);
	src->path = xstrdup(what);
	for (char *w; (w = next_word(&p)) != NULL;) {
		char *arg = next_word(&p);
		if (strcmp(w, "mta") != 0 || arg == NULL || src->mta != NULL) {
			log_warnx("%s:%d: source %s: expected \"mta NAME\" after the file name, not "
			    "\"%s\"", path, lineno, src->path, w);
			return -1;
		}
		src->mta = xstrdup(arg);
	}
	return 0;
}

/* A whole number in [min, max] with an optional unit suffix; -1 if not. */
static int
parse_number(const char *value, int64_t min, int64_t max, const char *units, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(value, &end, 10);

	if (end == value || errno != 0 || v < 0)
		return -1;
	int64_t mult = 1;
	if (*end != '\0') {
		if (units == NULL)
			return -1;
		if (strcmp(units, "size") == 0) {
			if (strcmp(end, "k") == 0 || strcmp(end, "K") == 0)
				mult = 1024;
			else if (strcmp(end, "M") == 0)
				mult = 1024 * 1024;
			else if (strcmp(end, "G") == 0)
				mult = INT64_C(1024) * 1024 * 1024;
			else
				return -1;
		} else if (strcmp(units, "ms") == 0) {
			if (strcmp(end, "ms") == 0)
				mult = 1;
			else if (strcmp(end, "s") == 0)
				mult = 1000;
			else
				return -1;
		} else if (strcmp(units, "days") == 0) {
			if (strcmp(end, "d") != 0)
				return -1;
		} else {
			return -1;
		}
	}
	if (v > max / mult)
		return -1;
	v *= mult;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
conf_parse_size(const char *s, int64_t *bytes)
{
	return parse_number(s, 0, INT64_MAX, "size", bytes);
}

/*
 * A plain mail address, local@domain: no blanks, no control characters, none
 * of the characters that would end a header or an address list.
 */
int
conf_valid_address(const char *a)
{
	const char *at = strrchr(a, '@');

	if (at == NULL || at == a || at[1] == '\0' || strlen(a) > 254)
		return 0;
	for (const char *p = a; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("<>(),;:\\\"[]", *p) != NULL)
			return 0;
	return 1;
}
#define valid_address conf_valid_address

/* An IP address, a network in CIDR notation, or a domain name. */
static int
valid_allow(const char *w)
{
	struct cidr net;
	const char *slash = strchr(w, '/');

	if (cidr_parse(w, 1, &net) == 0)
		return 1;
	if (slash != NULL)
		return 0;
	/* A domain: letters, digits, '-', '.', an optional leading '.', and a letter in it. */
	const char *p = *w == '.' ? w + 1 : w;
	int letters = 0;
	if (*p == '\0' || strchr(p, '.') == NULL)
		return 0;
	for (; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			letters++;
		else if (!((*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return 0;
	}
	return letters > 0;
}

/* Every kind of list is a kind or a prefix with "*"; else -1 (logged, as "KW NAME: ..."). */
static int
check_kinds(char **list, const char *path, int lineno, const char *kw, const char *name)
{
	for (char **k = list; *k; k++) {
		size_t len = strlen(*k);
		int wild = len > 0 && (*k)[len - 1] == '*';
		if (!wild && event_kind_from_name(*k, len) < 0) {
			log_warnx("%s:%d: %s%s%s: unknown kind \"%s\" (see tlslogd.rules(5); "
			    "\"tls_*\" and \"auth_*\" select by prefix)", path, lineno, kw,
			    name ? " " : "", name ? name : "", *k);
			return -1;
		}
	}
	return 0;
}

/* "flag NAME KINDS COUNT WINDOW", or "flag none". */
static int
parse_threshold(struct conf *conf, char *value, const char *path, int lineno)
{
	char *p = value;
	char *name = next_word(&p), *kinds = next_word(&p), *count = next_word(&p);
	char *window = next_word(&p), *extra = next_word(&p);

	if (strcmp(name, "none") == 0 && kinds == NULL)
		return 0;	/* no thresholds: nothing is flagged */
	if (strcmp(name, CONF_REGRESSION) == 0) {
		log_warnx("%s:%d: flag: the name \"%s\" is reserved for the flags of partners that "
		    "used to succeed and now fail (see regression_days)", path, lineno, name);
		return -1;
	}
	if (window == NULL || extra != NULL) {
		log_warnx("%s:%d: flag: expected \"flag NAME KINDS COUNT WINDOW\" (for example "
		    "\"flag guessing auth_failed 5 10m\") or \"flag none\"", path, lineno);
		return -1;
	}
	for (size_t i = 0; i < conf->nthresholds; i++)
		if (strcmp(conf->thresholds[i].name, name) == 0) {
			log_warnx("%s:%d: flag: the name \"%s\" is used twice", path, lineno, name);
			return -1;
		}
	char **list = split_list(kinds);
	if (list == NULL) {
		log_warnx("%s:%d: flag %s: KINDS is a comma-separated list without empty names",
		    path, lineno, name);
		return -1;
	}
	if (check_kinds(list, path, lineno, "flag", name) < 0) {
		free_list(list);
		return -1;
	}
	int64_t n, w = timeparse_duration(window);
	if (parse_number(count, 1, 10000, NULL, &n) < 0 || w <= 0) {
		log_warnx("%s:%d: flag %s: COUNT is a number from 1 to 10000 and WINDOW a duration "
		    "such as 10m or 1h, not \"%s %s\"", path, lineno, name, count, window);
		free_list(list);
		return -1;
	}
	add_threshold(conf, name, list, n, w);
	return 0;
}

/* "local_rules DIR": named by the user, so it must exist. */
static int
parse_local_rules(struct conf *conf, char *value, const char *path, int lineno)
{
	(void)path;
	(void)lineno;
	set_string(&conf->local_rules, value);
	conf->local_rules_is_default = 0;
	return 0;
}

static int
parse_timezone(struct conf *conf, char *value, const char *path, int lineno)
{
	if (!conf_valid_timezone(value)) {
		log_warnx("%s:%d: unknown time zone \"%s\" (a name from the tz database, e.g. "
		    "Europe/Berlin, or a POSIX TZ string)", path, lineno, value);
		return 1;
	}
	set_string(&conf->timezone, value);
	return 0;
}

static int
parse_source_line(struct conf *conf, char *value, const char *path, int lineno)
{
	return parse_source(conf, value, path, lineno) < 0;
}

static int
parse_start(struct conf *conf, char *value, const char *path, int lineno)
{
	if (strcmp(value, "end") == 0)
		conf->from_start = 0;
	else if (strcmp(value, "beginning") == 0)
		conf->from_start = 1;
	else {
		log_warnx("%s:%d: start: expected \"end\" or \"beginning\", not \"%s\"", path,
		    lineno, value);
		return 1;
	}
	return 0;
}

/* The first "flag" line of a file replaces the default thresholds. */
static int
parse_flag(struct conf *conf, char *value, const char *path, int lineno)
{
	if (!conf->thresholds_given) {
		free_thresholds(conf);
		conf->thresholds_given = 1;
	}
	return parse_threshold(conf, value, path, lineno) < 0;
}

/* "flag_domain_kinds KINDS" or "flag_domain_kinds none" (no domain is flagged). */
static int
parse_flag_domain_kinds(struct conf *conf, char *value, const char *path, int lineno)
{
	char **list = strcmp(value, "none") == 0 ? xcalloc(1, sizeof(*list)) : split_list(value);

	if (list == NULL || strchr(value, ' ') != NULL || strchr(value, '\t') != NULL) {
		log_warnx("%s:%d: flag_domain_kinds: expected a comma-separated list of kinds "
		    "(for example \"tls_cert_*,tls_policy_failure\") or \"none\"", path, lineno);
		free_list(list);
		return 1;
	}
	if (check_kinds(list, path, lineno, "flag_domain_kinds", NULL) < 0) {
		free_list(list);
		return 1;
	}
	free_list(conf->flag_domain_kinds);
	conf->flag_domain_kinds = list;
	return 0;
}

/*
 * "regression_kinds KIND ..." (blank- or comma-separated, "tls_cert_*" by
 * prefix) or "regression_kinds none" (no regression flag).
 */
static int
parse_regression_kinds(struct conf *conf, char *value, const char *path, int lineno)
{
	char **list = xcalloc(1, sizeof(*list));
	size_t n = 0;

	for (char *p = value; *p; p++)
		if (*p == ',')
			*p = ' ';
	for (char *w; (w = next_word(&value)) != NULL;) {
		list = xreallocarray(list, n + 2, sizeof(*list));
		list[n++] = xstrdup(w);
		list[n] = NULL;
	}
	if (n == 1 && strcmp(list[0], "none") == 0) {
		free(list[0]);
		list[0] = NULL;
	}
	if (check_kinds(list, path, lineno, "regression_kinds", NULL) < 0) {
		free_list(list);
		return 1;
	}
	free_list(conf->regression_kinds);
	conf->regression_kinds = list;
	return 0;
}

/* "allow PEER ...": each peer is checked, each bad one reported. */
static int
parse_allow(struct conf *conf, char *value, const char *path, int lineno)
{
	int errors = 0;

	for (char *w; (w = next_word(&value)) != NULL;) {
		if (!valid_allow(w)) {
			log_warnx("%s:%d: allow: \"%s\" is not an IP address, a network "
			    "(192.0.2.0/24, 2001:db8::/32) or a domain (example.net)", path, lineno, w);
			errors++;
			continue;
		}
		conf->allow = xreallocarray(conf->allow, conf->nallow + 2, sizeof(*conf->allow));
		conf->allow[conf->nallow++] = xstrdup(w);
		conf->allow[conf->nallow] = NULL;
	}
	return errors;
}

/* A command run without a shell: its argv, the program by its absolute name. */
static int
parse_command(char ***slot, const char *kw, const char *what, char *value, const char *path,
    int lineno)
{
	if (value[0] != '/') {
		log_warnx("%s:%d: %s: the %s must be an absolute file name (it is run without a "
		    "shell), not \"%s\"", path, lineno, kw, what, value);
		return 1;
	}
	free_list(*slot);
	*slot = split_words(value);
	return 0;
}

static int
parse_action_flag(struct conf *conf, char *value, const char *path, int lineno)
{
	return parse_command(&conf->action_flag, "action_flag", "command", value, path, lineno);
}

static int
parse_action_clear(struct conf *conf, char *value, const char *path, int lineno)
{
	return parse_command(&conf->action_clear, "action_clear", "command", value, path, lineno);
}

static int
parse_action_regression(struct conf *conf, char *value, const char *path, int lineno)
{
	return parse_command(&conf->action_regression, "action_regression", "command", value, path,
	    lineno);
}

static int
parse_sendmail(struct conf *conf, char *value, const char *path, int lineno)
{
	return parse_command(&conf->sendmail, "sendmail", "program", value, path, lineno);
}

static int
parse_mail_from(struct conf *conf, char *value, const char *path, int lineno)
{
	if (!valid_address(value)) {
		log_warnx("%s:%d: mail_from: \"%s\" is not a mail address such as "
		    "tlslogd@mx1.example.com", path, lineno, value);
		return 1;
	}
	set_string(&conf->mail_from, value);
	return 0;
}

/* "mail_to ADDRESS ...": added to those of earlier lines; each bad one reported. */
static int
parse_mail_to(struct conf *conf, char *value, const char *path, int lineno)
{
	int errors = 0;
	size_t count = 0;

	while (conf->mail_to && conf->mail_to[count])
		count++;
	for (char *w; (w = next_word(&value)) != NULL;) {
		if (!valid_address(w)) {
			log_warnx("%s:%d: mail_to: \"%s\" is not a mail address", path, lineno, w);
			errors++;
			continue;
		}
		conf->mail_to = xreallocarray(conf->mail_to, count + 2, sizeof(*conf->mail_to));
		conf->mail_to[count++] = xstrdup(w);
		conf->mail_to[count] = NULL;
	}
	return errors;
}

/* "metrics_listen PORT|ADDRESS:PORT|[IPV6]:PORT": checked now, so `run -n` says what is wrong. */
static int
parse_metrics_listen(struct conf *conf, char *value, const char *path, int lineno)
{
	struct listen_address addr;
	const char *why;

	if (listen_address_parse(value, &addr, &why) < 0) {
		log_warnx("%s:%d: metrics_listen: \"%s\": %s", path, lineno, value, why);
		return 1;
	}
#ifndef HAVE_MICROHTTPD
	log_warnx("%s:%d: metrics_listen: this tlslogd was built without libmicrohttpd; "
	    "use metrics_file (the node_exporter textfile collector) instead", path, lineno);
	return 1;
#endif
	set_string(&conf->metrics_listen, value);
	return 0;
}

/* "peer_history yes" (the default) or "peer_history no". */
static int
parse_peer_history(struct conf *conf, char *value, const char *path, int lineno)
{
	if (strcmp(value, "yes") == 0)
		conf->peer_history = 1;
	else if (strcmp(value, "no") == 0)
		conf->peer_history = 0;
	else {
		log_warnx("%s:%d: peer_history: expected yes or no, not \"%s\"", path, lineno, value);
		return 1;
	}
	return 0;
}

#define STR(name, field, def) \
	{ name, CONF_STRING, CONF_C_NONE, offsetof(struct conf, field), 0, 0, 0, def, NULL, NULL, \
	  NULL }
#define NUM(name, syntax, ctype, field, min, max, def, zero, expect) \
	{ name, syntax, ctype, offsetof(struct conf, field), min, max, def, NULL, zero, expect, NULL }
#define CUSTOM(name, fn) \
	{ name, CONF_CUSTOM, CONF_C_NONE, 0, 0, 0, 0, NULL, NULL, NULL, fn }

/*
 * Every keyword of tlslogd.conf(5), in the order of the man page. The limits
 * are those of the command line too (--max-line: conf_setting("max_line")).
 */
static const struct conf_setting settings[] = {
	STR("database", database, TLSLOGD_DEFAULT_DB),
	STR("patterns", patterns, TLSLOGD_DEFAULT_PATTERNS),
	CUSTOM("local_rules", parse_local_rules),
	STR("advice", advice, TLSLOGD_DEFAULT_ADVICE),
	CUSTOM("timezone", parse_timezone),
	CUSTOM("source", parse_source_line),
	NUM("batch_events", CONF_COUNT, CONF_C_LONG, batch_events, 1, 1000000,
	    CONF_DEFAULT_BATCH_EVENTS, NULL, "a number from 1 to 1000000"),
	NUM("batch_interval", CONF_MILLIS, CONF_C_LONG, batch_interval_ms, 1, 60000,
	    CONF_DEFAULT_BATCH_INTERVAL_MS, NULL,
	    "milliseconds from 1 to 60000 (\"200\", \"200ms\" or \"1s\")"),
	NUM("max_line", CONF_SIZE, CONF_C_SIZE, max_line, CONF_MIN_MAX_LINE, CONF_MAX_MAX_LINE,
	    CONF_DEFAULT_MAX_LINE, NULL, "a size from 256 to 64M (\"65536\", \"64k\")"),
	CUSTOM("start", parse_start),
	STR("user", user, NULL),
	STR("group", group, NULL),
	STR("server", server, NULL),
	NUM("retention", CONF_DAYS, CONF_C_INT64, retention_days, 1, 100000,
	    CONF_DEFAULT_RETENTION_DAYS, "forever", "days (\"400\" or \"400d\") or \"forever\""),
	NUM("max_database_size", CONF_SIZE, CONF_C_INT64, retention_bytes, 1024 * 1024,
	    INT64_C(1) << 50, 0, "none", "a size of at least 1M (\"500M\", \"2G\") or \"none\""),
	CUSTOM("flag", parse_flag),
	NUM("flag_quiet", CONF_DURATION, CONF_C_INT64, flag_quiet, 1, INT64_MAX,
	    CONF_DEFAULT_FLAG_QUIET, NULL, "a duration such as 24h or 7d"),
	CUSTOM("flag_domain_kinds", parse_flag_domain_kinds),
	NUM("regression_days", CONF_DAYS, CONF_C_INT, regression_days, 0, CONF_MAX_REGRESSION_DAYS,
	    CONF_DEFAULT_REGRESSION_DAYS, "none",
	    "days from 0 to 366 (\"7\" or \"7d\"; 0 or \"none\": no regression flag)"),
	CUSTOM("regression_kinds", parse_regression_kinds),
	CUSTOM("peer_history", parse_peer_history),
	CUSTOM("allow", parse_allow),
	CUSTOM("action_flag", parse_action_flag),
	CUSTOM("action_clear", parse_action_clear),
	CUSTOM("action_regression", parse_action_regression),
	NUM("action_timeout", CONF_DURATION, CONF_C_INT64, action_timeout, 1, 3600,
	    CONF_DEFAULT_ACTION_TIMEOUT, NULL, "a duration from 1s to 1h"),
	STR("metrics_file", metrics_file, NULL),
	NUM("metrics_interval", CONF_DURATION, CONF_C_INT64, metrics_interval, 1, 3600,
	    CONF_DEFAULT_METRICS_INTERVAL, NULL, "a duration from 1s to 1h"),
	CUSTOM("metrics_listen", parse_metrics_listen),
	CUSTOM("sendmail", parse_sendmail),
	CUSTOM("mail_from", parse_mail_from),
	CUSTOM("mail_to", parse_mail_to),
};

const struct conf_setting *
conf_settings(size_t *n)
{
	*n = sizeof(settings) / sizeof(settings[0]);
	return settings;
}

const struct conf_setting *
conf_setting(const char *name)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

/* Store v in the number field of s. */
static void
store_number(struct conf *conf, const struct conf_setting *s, int64_t v)
{
	char *field = (char *)conf + s->offset;

	switch (s->ctype) {
	case CONF_C_LONG: {
		long x = (long)v;
		memcpy(field, &x, sizeof(x));
		break;
	}
	case CONF_C_SIZE: {
		size_t x = (size_t)v;
		memcpy(field, &x, sizeof(x));
		break;
	}
	case CONF_C_INT64:
		memcpy(field, &v, sizeof(v));
		break;
	case CONF_C_INT: {
		int x = (int)v;
		memcpy(field, &x, sizeof(x));
		break;
	}
	case CONF_C_NONE:
		break;
	}
}

/* A value of s's syntax within its limits into *v; -1 if not one. */
static int
parse_value(const struct conf_setting *s, const char *value, int64_t *v)
{
	static const char *const units[] = {
		[CONF_COUNT] = NULL, [CONF_SIZE] = "size", [CONF_MILLIS] = "ms", [CONF_DAYS] = "days"
	};

	if (s->zero_word != NULL && strcmp(value, s->zero_word) == 0) {
		*v = 0;
		return 0;
	}
	if (s->syntax == CONF_DURATION) {
		*v = timeparse_duration(value);
		return *v >= s->min && *v <= s->max ? 0 : -1;
	}
	return parse_number(value, s->min, s->max, units[s->syntax], v);
}

/* One "keyword value" line; the number of errors logged. */
static int
parse_setting(struct conf *conf, const char *kw, char *value, const char *path, int lineno)
{
	const struct conf_setting *s = conf_setting(kw);
	int64_t v;

	if (*value == '\0') {
		log_warnx("%s:%d: \"%s\" needs a value", path, lineno, kw);
		return 1;
	}
	if (s == NULL) {
		log_warnx("%s:%d: unknown keyword \"%s\"", path, lineno, kw);
		return 1;
	}
	switch (s->syntax) {
	case CONF_CUSTOM:
		return s->parse(conf, value, path, lineno);
	case CONF_STRING:
		set_string((char **)(void *)((char *)conf + s->offset), value);
		return 0;
	default:
		if (parse_value(s, value, &v) < 0) {
			log_warnx("%s:%d: %s: expected %s, not \"%s\"", path, lineno, kw, s->expect,
			    value);
			return 1;
		}
		store_number(conf, s, v);
		return 0;
	}
}

void
conf_init(struct conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		const struct conf_setting *s = &settings[i];
		if (s->syntax == CONF_STRING && s->def_string != NULL)
			set_string((char **)(void *)((char *)conf + s->offset), s->def_string);
		else if (s->syntax != CONF_STRING && s->syntax != CONF_CUSTOM)
			store_number(conf, s, s->def);
	}
	conf->local_rules = xstrdup(TLSLOGD_DEFAULT_LOCAL_RULES);
	conf->local_rules_is_default = 1;
	conf_default_thresholds(conf);
	conf->flag_domain_kinds = split_list(CONF_DEFAULT_FLAG_DOMAIN_KINDS);
	conf->regression_kinds = split_list(CONF_DEFAULT_REGRESSION_KINDS);
	conf->peer_history = 1;
	char sendmail[] = CONF_DEFAULT_SENDMAIL;
	conf->sendmail = split_words(sendmail);
}

/*
 * Cut a comment ("#" at the start or after a blank) and the blanks around;
 * split the keyword from the value. 0, or -1 for a line with nothing.
 */
static int
split_line(char *line, ssize_t n, char **kw, char **value)
{
	char *p = line;

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
		return -1;
	*kw = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	*value = p;
	return 0;
}

int
conf_load(struct conf *conf, const char *path, int must_exist)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL, *kw, *value;
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
		lineno++;
		if (memchr(line, '\0', (size_t)n) != NULL) {
			log_warnx("%s:%d: NUL byte in line", path, lineno);
			errors++;
			continue;
		}
		if (split_line(line, n, &kw, &value) == 0)
			errors += parse_setting(conf, kw, value, path, lineno);
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

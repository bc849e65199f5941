/*
 * conf.c: read tlslogd.conf (see conf.h and tlslogd.conf(5)).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "event.h"
#include "log.h"
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

void
conf_init(struct conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->database = xstrdup(TLSLOGD_DEFAULT_DB);
	conf->patterns = xstrdup(TLSLOGD_DEFAULT_PATTERNS);
	conf->local_rules = xstrdup(TLSLOGD_DEFAULT_LOCAL_RULES);
	conf->local_rules_is_default = 1;
	conf->batch_events = CONF_DEFAULT_BATCH_EVENTS;
	conf->batch_interval_ms = CONF_DEFAULT_BATCH_INTERVAL_MS;
	conf->max_line = CONF_DEFAULT_MAX_LINE;
	conf->retention_days = CONF_DEFAULT_RETENTION_DAYS;
	conf->flag_quiet = CONF_DEFAULT_FLAG_QUIET;
	conf->action_timeout = CONF_DEFAULT_ACTION_TIMEOUT;
	conf_default_thresholds(conf);
	char sendmail[] = CONF_DEFAULT_SENDMAIL;
	conf->sendmail = split_words(sendmail);
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
	free(conf->timezone);
	free(conf->user);
	free(conf->group);
	free(conf->server);
	free_sources(conf);
	free_thresholds(conf);
	free_list(conf->allow);
	free_list(conf->action_flag);
	free_list(conf->action_clear);
	free_list(conf->sendmail);
	free(conf->mail_from);
	free_list(conf->mail_to);
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
	unsigned char addr[16];
	char ip[64];
	const char *slash = strchr(w, '/');
	size_t len = slash ? (size_t)(slash - w) : strlen(w);

	if (len < sizeof(ip)) {
		memcpy(ip, w, len);
		ip[len] = '\0';
		int v4 = inet_pton(AF_INET, ip, addr) == 1;
		int v6 = !v4 && inet_pton(AF_INET6, ip, addr) == 1;
		if (v4 || v6) {
			if (slash == NULL)
				return 1;
			char *end;
			long bits = strtol(slash + 1, &end, 10);
			return end != slash + 1 && *end == '\0' && bits >= 0 && bits <= (v4 ? 32 : 128);
		}
	}
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

/* "flag NAME KINDS COUNT WINDOW", or "flag none". */
static int
parse_threshold(struct conf *conf, char *value, const char *path, int lineno)
{
	char *p = value;
	char *name = next_word(&p), *kinds = next_word(&p), *count = next_word(&p);
	char *window = next_word(&p), *extra = next_word(&p);

	if (strcmp(name, "none") == 0 && kinds == NULL)
		return 0;	/* no thresholds: nothing is flagged */
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
	for (char **k = list; *k; k++) {
		size_t len = strlen(*k);
		int wild = len > 0 && (*k)[len - 1] == '*';
		int known = wild;
		if (!wild)
			known = event_kind_from_name(*k, len) >= 0;
		if (!known) {
			log_warnx("%s:%d: flag %s: unknown kind \"%s\" (see tlslogd.rules(5); "
			    "\"tls_*\" and \"auth_*\" select by prefix)", path, lineno, name, *k);
			free_list(list);
			return -1;
		}
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

int
conf_load(struct conf *conf, const char *path, int must_exist)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, errors = 0, thresholds_seen = 0;

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
		} else if (strcmp(kw, "source") == 0) {
			if (parse_source(conf, value, path, lineno) < 0)
				errors++;
		} else if (strcmp(kw, "batch_events") == 0) {
			int64_t v;
			if (parse_number(value, 1, 1000000, NULL, &v) < 0) {
				log_warnx("%s:%d: batch_events: expected a number from 1 to 1000000, not "
				    "\"%s\"", path, lineno, value);
				errors++;
			} else
				conf->batch_events = (long)v;
		} else if (strcmp(kw, "batch_interval") == 0) {
			int64_t v;
			if (parse_number(value, 1, 60000, "ms", &v) < 0) {
				log_warnx("%s:%d: batch_interval: expected milliseconds from 1 to 60000 "
				    "(\"200\", \"200ms\" or \"1s\"), not \"%s\"", path, lineno, value);
				errors++;
			} else
				conf->batch_interval_ms = (long)v;
		} else if (strcmp(kw, "max_line") == 0) {
			int64_t v;
			if (parse_number(value, 1024, 16 * 1024 * 1024, "size", &v) < 0) {
				log_warnx("%s:%d: max_line: expected a size from 1k to 16M (\"65536\", "
				    "\"64k\"), not \"%s\"", path, lineno, value);
				errors++;
			} else
				conf->max_line = (size_t)v;
		} else if (strcmp(kw, "start") == 0) {
			if (strcmp(value, "end") == 0)
				conf->from_start = 0;
			else if (strcmp(value, "beginning") == 0)
				conf->from_start = 1;
			else {
				log_warnx("%s:%d: start: expected \"end\" or \"beginning\", not \"%s\"",
				    path, lineno, value);
				errors++;
			}
		} else if (strcmp(kw, "user") == 0) {
			set_string(&conf->user, value);
		} else if (strcmp(kw, "group") == 0) {
			set_string(&conf->group, value);
		} else if (strcmp(kw, "server") == 0) {
			set_string(&conf->server, value);
		} else if (strcmp(kw, "retention") == 0) {
			int64_t v;
			if (strcmp(value, "forever") == 0)
				conf->retention_days = 0;
			else if (parse_number(value, 1, 100000, "days", &v) < 0) {
				log_warnx("%s:%d: retention: expected days (\"400\" or \"400d\") or "
				    "\"forever\", not \"%s\"", path, lineno, value);
				errors++;
			} else
				conf->retention_days = v;
		} else if (strcmp(kw, "max_database_size") == 0) {
			int64_t v;
			if (strcmp(value, "none") == 0)
				conf->retention_bytes = 0;
			else if (parse_number(value, 1024 * 1024, INT64_C(1) << 50, "size", &v) < 0) {
				log_warnx("%s:%d: max_database_size: expected a size of at least 1M "
				    "(\"500M\", \"2G\") or \"none\", not \"%s\"", path, lineno, value);
				errors++;
			} else
				conf->retention_bytes = v;
		} else if (strcmp(kw, "flag") == 0) {
			if (!thresholds_seen) {
				free_thresholds(conf);	/* the file's replace the defaults */
				thresholds_seen = 1;
				conf->thresholds_given = 1;
			}
			if (parse_threshold(conf, value, path, lineno) < 0)
				errors++;
		} else if (strcmp(kw, "flag_quiet") == 0) {
			int64_t v = timeparse_duration(value);
			if (v <= 0) {
				log_warnx("%s:%d: flag_quiet: expected a duration such as 24h or 7d, not "
				    "\"%s\"", path, lineno, value);
				errors++;
			} else
				conf->flag_quiet = v;
		} else if (strcmp(kw, "allow") == 0) {
			char *rest = value;
			for (char *w; (w = next_word(&rest)) != NULL;) {
				if (!valid_allow(w)) {
					log_warnx("%s:%d: allow: \"%s\" is not an IP address, a network "
					    "(192.0.2.0/24, 2001:db8::/32) or a domain (example.net)", path,
					    lineno, w);
					errors++;
					continue;
				}
				conf->allow = xreallocarray(conf->allow, conf->nallow + 2,
				    sizeof(*conf->allow));
				conf->allow[conf->nallow++] = xstrdup(w);
				conf->allow[conf->nallow] = NULL;
			}
		} else if (strcmp(kw, "action_flag") == 0 || strcmp(kw, "action_clear") == 0) {
			char ***slot = kw[7] == 'f' ? &conf->action_flag : &conf->action_clear;
			if (value[0] != '/') {
				log_warnx("%s:%d: %s: the command must be an absolute file name (it is run "
				    "without a shell), not \"%s\"", path, lineno, kw, value);
				errors++;
			} else {
				free_list(*slot);
				*slot = split_words(value);
			}
		} else if (strcmp(kw, "sendmail") == 0) {
			if (value[0] != '/') {
				log_warnx("%s:%d: sendmail: the program must be an absolute file name (it "
				    "is run without a shell), not \"%s\"", path, lineno, value);
				errors++;
			} else {
				free_list(conf->sendmail);
				conf->sendmail = split_words(value);
			}
		} else if (strcmp(kw, "mail_from") == 0) {
			if (!valid_address(value)) {
				log_warnx("%s:%d: mail_from: \"%s\" is not a mail address such as "
				    "tlslogd@mx1.example.com", path, lineno, value);
				errors++;
			} else
				set_string(&conf->mail_from, value);
		} else if (strcmp(kw, "mail_to") == 0) {
			char *rest = value;
			for (char *w; (w = next_word(&rest)) != NULL;) {
				if (!valid_address(w)) {
					log_warnx("%s:%d: mail_to: \"%s\" is not a mail address", path,
					    lineno, w);
					errors++;
					continue;
				}
				size_t count = 0;
				while (conf->mail_to && conf->mail_to[count])
					count++;
				conf->mail_to = xreallocarray(conf->mail_to, count + 2,
				    sizeof(*conf->mail_to));
				conf->mail_to[count] = xstrdup(w);
				conf->mail_to[count + 1] = NULL;
			}
		} else if (strcmp(kw, "action_timeout") == 0) {
			int64_t v = timeparse_duration(value);
			if (v <= 0 || v > 3600) {
				log_warnx("%s:%d: action_timeout: expected a duration from 1s to 1h, not "
				    "\"%s\"", path, lineno, value);
				errors++;
			} else
				conf->action_timeout = v;
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

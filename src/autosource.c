/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * autosource.c: the mail logs this machine has (see autosource.h), and
 * whether the daemon's user can read the ones it will follow.
 *
 * Detection only looks: it never creates, opens for writing or follows
 * anything, so `run -n` can show its result. A file found is one that exists
 * now as a regular file; a log that appears later is not picked up until the
 * configuration is reloaded (SIGHUP) or the daemon restarted.
 *
 * Dovecot's configuration is read the way Dovecot assembles it on Debian and
 * RHEL (dovecot.conf, then conf.d/ *.conf in name order, then local.conf); the
 * last top-level "log_path = FILE" wins, and "syslog" or a /dev path means
 * Dovecot logs through syslog (so into the mail log found above).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "autosource.h"
#include "log.h"
#include "util.h"

/* The mail logs of the usual layouts, in the order they are looked for. */
static const struct {
	const char *path;
	const char *mta;	/* NULL: syslog lines routed by program name */
} candidates[] = {
	{ "/var/log/mail.log", NULL },		/* Debian, Ubuntu */
	{ "/var/log/maillog", NULL },		/* RHEL family */
	{ "/var/log/exim4/mainlog", "exim" },	/* Debian's exim4 */
	{ "/var/log/exim_mainlog", "exim" },	/* cPanel */
};

/* root + path, root without its trailing slashes ("" for the real root). */
static char *
under_root(const char *root, const char *path)
{
	size_t n = root ? strlen(root) : 0;

	while (n > 0 && root[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s", (int)n, n ? root : "", path);
}

static int
is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int
has_source(const struct conf *conf, const char *path)
{
	for (size_t i = 0; i < conf->nsources; i++)
		if (conf->sources[i].type == SOURCE_FILE && strcmp(conf->sources[i].path, path) == 0)
			return 1;
	return 0;
}

/* "log_path = VALUE" at the top level of one Dovecot file: the value replaces *value. */
static void
dovecot_scan_file(const char *file, char **value)
{
	FILE *f = fopen(file, "r");
	char line[4096];
	int depth = 0;

	if (f == NULL)
		return;		/* unreadable or absent: Dovecot's defaults (syslog) */
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line + strspn(line, " \t");
		if (*p == '#')
			continue;
		for (char *c = p; *c; c++) {
			if (*c == '{')
				depth++;
			else if (*c == '}' && depth > 0)
				depth--;
		}
		if (depth != 0 || strncmp(p, "log_path", 8) != 0)
			continue;
		p += 8;
		p += strspn(p, " \t");
		if (*p++ != '=')
			continue;
		p += strspn(p, " \t");
		size_t n = strcspn(p, "\r\n");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
			p++;
			n -= 2;
		}
		free(*value);
		*value = xstrndup(p, n);
	}
	fclose(f);
}

/* Dovecot's own log file (as Dovecot names it, without root), or NULL when it logs to syslog. */
static char *
dovecot_log_path(const char *root)
{
	char *value = NULL, *file, *pattern;
	glob_t g;

	file = under_root(root, "/etc/dovecot/dovecot.conf");
	dovecot_scan_file(file, &value);
	free(file);
	pattern = under_root(root, "/etc/dovecot/conf.d/*.conf");
	if (glob(pattern, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			dovecot_scan_file(g.gl_pathv[i], &value);
		globfree(&g);
	}
	free(pattern);
	file = under_root(root, "/etc/dovecot/local.conf");
	dovecot_scan_file(file, &value);
	free(file);
	if (value != NULL && (value[0] != '/' || strncmp(value, "/dev/", 5) == 0)) {
		free(value);
		value = NULL;
	}
	return value;
}

/* The system journal, every entry routed by its program name. */
static void
add_journal(struct conf *conf)
{
	conf->sources = xreallocarray(conf->sources, conf->nsources + 1, sizeof(*conf->sources));
	struct conf_source *src = &conf->sources[conf->nsources++];
	memset(src, 0, sizeof(*src));
	src->type = SOURCE_JOURNAL;
}

int
autosource_detect(struct conf *conf, const char *root)
{
	int added = 0;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		char *path = under_root(root, candidates[i].path);
		if (is_regular(path) && !has_source(conf, path)) {
			conf_add_file_source(conf, path, candidates[i].mta);
			added++;
		}
		free(path);
	}
	int mail_logs = added;
	char *dovecot = dovecot_log_path(root);
	if (dovecot != NULL) {
		char *path = under_root(root, dovecot);
		if (is_regular(path) && !has_source(conf, path)) {
			conf_add_file_source(conf, path, "dovecot");
			added++;
		} else if (!is_regular(path)) {
			log_info("Dovecot's log_path %s is not a file (yet): not followed", dovecot);
		}
		free(path);
		free(dovecot);
	}
	if (mail_logs == 0) {
#ifdef HAVE_SYSTEMD
		add_journal(conf);
		added++;
#else
		(void)add_journal;
		log_warnx("no mail log found (/var/log/mail.log, /var/log/maillog, "
		    "/var/log/exim4/mainlog, /var/log/exim_mainlog) and this build of tlslogd "
		    "cannot read the systemd journal: add a \"source FILE\" line to %s",
		    conf->path ? conf->path : TLSLOGD_DEFAULT_CONF);
		if (added == 0)
			return -1;
#endif
	}
	return added;
}

/* "FILE:LINE: source PATH" for a configured source, "source PATH" for one found or given. */
static char *
source_where(const struct conf *conf, const struct conf_source *s)
{
	if (s->lineno > 0 && conf->path != NULL)
		return xasprintf("%s:%d: source %s", conf->path, s->lineno, s->path);
	return xasprintf("source %s", s->path);
}

/* Open each file source as the present user; the number of sources that cannot be followed. */
static int
check_files(const struct conf *conf, int missing_is_error, const char *who)
{
	int errors = 0;

	for (size_t i = 0; i < conf->nsources; i++) {
		const struct conf_source *s = &conf->sources[i];
		if (s->type != SOURCE_FILE)
			continue;
		char *where = source_where(conf, s);
		struct stat st;
		int fd = open(s->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
				log_warnx("%s: is a folder, not a log file", where);
				errors++;
			}
			close(fd);
		} else if (errno == ENOENT && !missing_is_error) {
			log_warnx("%s: does not exist (yet): followed once it appears", where);
		} else if (errno == ENOENT) {
			log_warnx("%s: does not exist", where);
			errors++;
		} else {
			log_warn("%s: cannot be read by %s", where, who);
			errors++;
		}
		free(where);
	}
	return errors;
}

/* In a child: become user/group as privdrop() would, then check_files(). */
static int
check_files_as(const struct conf *conf, int missing_is_error)
{
	struct passwd *pw;
	gid_t gid;

	errno = 0;
	if ((pw = getpwnam(conf->user)) == NULL) {
		log_warnx("user %s: %s", conf->user, errno ? "cannot look it up" : "no such user");
		return -1;
	}
	gid = pw->pw_gid;
	if (conf->group != NULL) {
		struct group *gr;
		errno = 0;
		if ((gr = getgrnam(conf->group)) == NULL) {
			log_warnx("group %s: %s", conf->group,
			    errno ? "cannot look it up" : "no such group");
			return -1;
		}
		gid = gr->gr_gid;
	}
	char *who = conf->group ? xasprintf("user %s, group %s", conf->user, conf->group)
	    : xasprintf("user %s", conf->user);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		log_warn("fork");
		free(who);
		return -1;
	}
	if (pid == 0) {
		if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(pw->pw_uid) < 0) {
			log_warn("cannot become %s to check the sources", who);
			_exit(2);
		}
		_exit(check_files(conf, missing_is_error, who) > 0 ? 1 : 0);
	}
	free(who);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			log_warn("waitpid");
			return -1;
		}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int
autosource_check_readable(const struct conf *conf, int missing_is_error)
{
	if (geteuid() == 0 && conf->user != NULL)
		return check_files_as(conf, missing_is_error);
	struct passwd *pw = getpwuid(geteuid());
	char *who = pw ? xasprintf("user %s", pw->pw_name) : xasprintf("uid %ld", (long)geteuid());
	int errors = check_files(conf, missing_is_error, who);
	free(who);
	return errors > 0 ? -1 : 0;
}

/* A list as the configuration writes it: "a,b,c". */
static void
print_list(const char *name, char **list)
{
	if (list == NULL)
		return;
	printf(" %s ", name);
	for (size_t i = 0; list[i] != NULL; i++)
		printf("%s%s", i ? "," : "", list[i]);
}

void
autosource_print(const struct conf *conf, int found)
{
	printf("%s:\n", found ? "no \"source\" line in the configuration; found on this machine"
	    : "sources");
	for (size_t i = 0; i < conf->nsources; i++) {
		const struct conf_source *s = &conf->sources[i];
		if (s->type == SOURCE_JOURNAL) {
			printf("  source journal");
			print_list("identifiers", s->identifiers);
			print_list("units", s->units);
			if (s->directory != NULL)
				printf(" directory %s", s->directory);
		} else {
			printf("  source %s", s->path);
		}
		if (s->mta != NULL)
			printf(" mta %s", s->mta);
		putchar('\n');
	}
}

/*
 * conf.h: tlslogd.conf(5). One setting per line, "keyword value"; "#"
 * starts a comment. Every mistake is reported as "file:line: message" and
 * parsing goes on to find them all. Commands read it for the database path
 * and the patterns folder; the daemon's settings join them later.
 */
#ifndef TLSLOGD_CONF_H
#define TLSLOGD_CONF_H

struct conf {
	char *path;		/* the file read, or NULL when none was */
	char *database;
	char *patterns;
	char *local_rules;		/* local rules folder, added to and overriding patterns */
	int local_rules_is_default;	/* not named by the user: may be missing */
	char *timezone;
};

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

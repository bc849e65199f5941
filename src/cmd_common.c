/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_common.c: what every subcommand does first: read the configuration,
 * then let the command line override it.
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "cmd.h"
#include "log.h"
#include "util.h"

int
cmd_setup(const struct common_opts *opts, struct conf *conf)
{
	conf_init(conf);
	if (opts->config != NULL) {
		if (conf_load(conf, opts->config, 1) < 0)
			return -1;
	} else if (conf_load(conf, TLSLOGD_DEFAULT_CONF, 0) < 0) {
		return -1;
	}
	if (opts->db != NULL) {
		free(conf->database);
		conf->database = xstrdup(opts->db);
	}
	if (opts->patterns != NULL) {
		free(conf->patterns);
		conf->patterns = xstrdup(opts->patterns);
	}
	if (opts->local_rules != NULL) {
		free(conf->local_rules);
		conf->local_rules = xstrdup(opts->local_rules);
		conf->local_rules_is_default = 0;
	}
	if (opts->timezone != NULL) {
		if (!conf_valid_timezone(opts->timezone)) {
			log_warnx("--timezone: unknown time zone \"%s\" (a name from the tz database, "
			    "e.g. Europe/Berlin, or a POSIX TZ string)", opts->timezone);
			return -1;
		}
		free(conf->timezone);
		conf->timezone = xstrdup(opts->timezone);
	}
	if (conf->timezone != NULL) {
		/* The zone in which logs without one were written; the C library reads TZ. */
		if (setenv("TZ", conf->timezone, 1) < 0) {
			log_warn("cannot set the time zone");
			return -1;
		}
	}
	tzset();
	return 0;
}

struct rules *
cmd_load_rules(const struct conf *conf)
{
	/* An empty local_rules turns the local folder off. */
	const char *local = conf->local_rules && *conf->local_rules ? conf->local_rules : NULL;
	struct rules *rules = rules_load(conf->patterns, local, conf->local_rules_is_default);

	if (rules == NULL)
		log_warnx("rules in %s%s%s not loaded", conf->patterns, local ? " and " : "",
		    local ? local : "");
	return rules;
}

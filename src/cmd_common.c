/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_common.c: what every subcommand does first: read the configuration,
 * then let the command line override it.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "event.h"
#include "log.h"
#include "output.h"
#include "reportdb.h"
#include "timeparse.h"
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
	else
		rules_count_successes(rules, conf->peer_history);	/* peer_history no: not scanned */
	return rules;
}

int
cmd_open_db(const struct common_opts *opts, struct conf *conf, const struct cmd_when *when,
    size_t nwhen, struct reportdb **db)
{
	int64_t now = (int64_t)time(NULL);

	*db = NULL;
	if (cmd_setup(opts, conf) < 0)
		return cmd_close_db(NULL, conf, EXIT_USAGE);
	/* After the configuration: its time zone applies to dates without one. */
	for (size_t i = 0; i < nwhen; i++) {
		if (when[i].text != NULL && timeparse_point(when[i].text, now, when[i].out) < 0) {
			log_warnx("--%s: \"%s\" is not a time: expected " TIMEPARSE_FORMS,
			    when[i].option, when[i].text);
			return cmd_close_db(NULL, conf, EXIT_USAGE);
		}
	}
	if ((*db = reportdb_open(conf->database)) == NULL)
		return cmd_close_db(NULL, conf, EXIT_TROUBLE);
	return EXIT_OK;
}

int
cmd_close_db(struct reportdb *db, struct conf *conf, int status)
{
	reportdb_close(db);
	conf_free(conf);
	return status;
}

int
cmd_filter_options(struct reportdb_filter *f, const char *peer)
{
	if (f->direction != NULL && event_direction_from_name(f->direction) < 0) {
		log_warnx("--direction: expected in or out, not \"%s\"", f->direction);
		return -1;
	}
	if (f->server != NULL && *f->server == '\0') {
		log_warnx("--server: expected a server name");
		return -1;
	}
	return reportdb_filter_peer(f, peer != NULL && *peer != '\0' ? peer : NULL);
}

int
cmd_bad_option(const char *cmd, const char *optstring, int argc, char **argv)
{
	const char *arg = optind > 0 && optind - 1 < argc ? argv[optind - 1] : "";
	int is_long = strncmp(arg, "--", 2) == 0;
	int missing = is_long ? optopt != 0 : optopt != 0 && optopt != ':' &&
	    strchr(optstring, optopt) != NULL;
	int len = (int)strcspn(arg, "=");

	if (is_long)
		fprintf(stderr, "tlslogd %s: %s %.*s%s; see tlslogd %s --help\n", cmd,
		    missing ? "option" : "unknown option", len, arg, missing ? " needs a value" : "",
		    cmd);
	else
		fprintf(stderr, "tlslogd %s: %s -%c%s; see tlslogd %s --help\n", cmd,
		    missing ? "option" : "unknown option", optopt ? optopt : '?',
		    missing ? " needs a value" : "", cmd);
	return EXIT_USAGE;
}

int
cmd_checked(const char *cmd)
{
	printf("tlslogd %s: configuration OK\n", cmd);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_TROUBLE;
}

int
cmd_format_option(const char *name)
{
	int f = output_format_from_name(name);

	if (f < 0)
		log_warnx("--format: expected table, json, jsonl or csv, not \"%s\"", name);
	return f;
}

int
cmd_limit_option(const char *text, long long *limit)
{
	char *end;
	long long v = strtoll(text, &end, 10);

	if (end == text || *end != '\0' || v < 0) {
		log_warnx("--limit: expected a number (0: all), not \"%s\"", text);
		return -1;
	}
	*limit = v;
	return 0;
}

void
cmd_put_text(struct buf *out, const struct reportdb_rows *rows, int c, enum output_format fmt)
{
	int json = fmt == OUTPUT_JSON || fmt == OUTPUT_JSONL;

	if (reportdb_null(rows, c)) {
		buf_puts(out, json ? "null" : fmt == OUTPUT_TABLE ? "-" : "");
		return;
	}
	size_t len;
	const char *t = reportdb_text(rows, c, &len);
	if (json)
		output_escape_json(out, t, len);
	else if (fmt == OUTPUT_CSV)
		output_escape_csv(out, t, len);
	else
		output_escape_text(out, t, len);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd.h: the subcommands of tlslogd and what they share: exit codes, the
 * options every command takes (-c, --db, --patterns, --timezone) and how
 * they combine with the configuration file.
 */
#ifndef TLSLOGD_CMD_H
#define TLSLOGD_CMD_H

#include "conf.h"
#include "rules.h"

/* Exit codes, documented in tlslogd(8). */
enum {
	EXIT_OK = 0,
	EXIT_TROUBLE = 1,	/* an input or the database failed */
	EXIT_USAGE = 2,		/* bad command line, configuration or rules */
	EXIT_BUSY = 3		/* run: another daemon holds the database */
};

/* Options common to every command; NULL when not given. */
struct common_opts {
	const char *config;
	const char *db;
	const char *patterns;
	const char *local_rules;
	const char *timezone;
};

/*
 * Load the configuration (the named one, or the default if it exists), apply
 * the command-line overrides and the time zone. 0 or -1 (logged).
 */
int cmd_setup(const struct common_opts *opts, struct conf *conf);
/* Load the shipped and local rules the configuration names; NULL (logged) on error. */
struct rules *cmd_load_rules(const struct conf *conf);

int cmd_scan(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_test_rules(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_purge(int argc, char **argv);
int cmd_flagged(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_summary(int argc, char **argv);

#endif

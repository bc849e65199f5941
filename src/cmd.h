/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd.h: the subcommands of tlslogd and what they share: exit codes, the
 * options every command takes (-c, --db, --patterns, --timezone) and how
 * they combine with the configuration file.
 */
#ifndef TLSLOGD_CMD_H
#define TLSLOGD_CMD_H

#include <stdint.h>

#include "conf.h"
#include "output.h"
#include "rules.h"

struct reportdb;

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

/* A point in time given on the command line, read in the configuration's time zone. */
struct cmd_when {
	const char *option;	/* "since", for the message */
	const char *text;	/* NULL: not given, *out untouched */
	int64_t *out;
};

/*
 * The prologue of every command that reports (query, top, flagged, stats,
 * summary): load the configuration (cmd_setup), read the nwhen points in
 * time (timeparse_point, relative to now), open the database read-only
 * (reportdb.h). EXIT_OK with *db set; or EXIT_USAGE (configuration, a
 * time) or EXIT_TROUBLE (the database), logged, with conf freed.
 */
int cmd_open_db(const struct common_opts *opts, struct conf *conf, const struct cmd_when *when,
    size_t nwhen, struct reportdb **db);
/* The epilogue: close db, free conf; returns status. */
int cmd_close_db(struct reportdb *db, struct conf *conf, int status);
/*
 * getopt_long returned '?' (with opterr = 0): one line on stderr, "tlslogd
 * CMD: unknown option --foo; see tlslogd CMD --help" (or "option --peer
 * needs a value"), not the whole usage; returns EXIT_USAGE. optstring: the
 * one given to getopt_long.
 */
int cmd_bad_option(const char *cmd, const char *optstring, int argc, char **argv);
/* --format NAME of a reader: its output_format, or -1 (the message logged). */
int cmd_format_option(const char *name);
/* --limit N of a reader where 0 means all rows: 0 and *limit, or -1 (logged). */
int cmd_limit_option(const char *text, long long *limit);
struct reportdb_filter;
/*
 * The filters a reader's options set (--peer PEER, --server, --direction),
 * checked and f's peer filled (reportdb_filter_peer): 0, or -1 (logged).
 */
int cmd_filter_options(struct reportdb_filter *f, const char *peer);
struct buf;
struct reportdb_rows;
/* Column c of a reader's row, escaped for fmt: NULL is "-" in a table, null in JSON, empty in CSV. */
void cmd_put_text(struct buf *out, const struct reportdb_rows *rows, int c, enum output_format fmt);
/*
 * -n, --check in every command: the configuration (and what the command
 * would open) is fine; prints "tlslogd CMD: configuration OK" on stdout and
 * returns EXIT_OK.
 */
int cmd_checked(const char *cmd);

int cmd_scan(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_test_rules(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_purge(int argc, char **argv);
int cmd_flagged(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_peers(int argc, char **argv);

#endif

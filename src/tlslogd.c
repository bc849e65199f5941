/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tlslogd.c: the entry point. Picks the subcommand and runs it; owns nothing
 * else. Commands return their exit status (cmd.h).
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"

static const char main_usage[] =
    "usage: tlslogd COMMAND [OPTIONS]\n"
    "       tlslogd --help | --version\n"
    "\n"
    "Find TLS and SMTP AUTH failures in the logs of Postfix, Exim, Sendmail and\n"
    "Dovecot, store each as one event in SQLite, and answer questions about them.\n"
    "\n"
    "Commands:\n"
    "  run                 the daemon: follow the configured logs as they are written\n"
    "  scan FILE...        read log files (or - for standard input) into the database\n"
    "  query --peer PEER   print the failures of one peer (an address, a network,\n"
    "                      a host or a .domain), newest first, and what to do\n"
    "  test-rules [FILE]   show what the rules make of log lines (no database);\n"
    "                      --check verifies every rule's examples\n"
    "  flagged [--all]     the peers that fail again and again, worst first\n"
    "  top [--by WHAT]     failures since 24h by peer, kind, server or domain,\n"
    "                      worst first\n"
    "  summary [--mail]    the daily report: failures against the day before, flags,\n"
    "                      top peers and what to do; --mail sends it by sendmail\n"
    "  peers [--below 1.2] who would break if old TLS were turned off: the peers\n"
    "                      whose successes used TLS older than 1.2 (or clear text, a\n"
    "                      cipher family) in 30 days; without a selector, every mix\n"
    "  stats               the database's size, events per kind, sources and positions\n"
    "  purge               delete events older than the retention period now\n"
    "\n"
    "\"tlslogd COMMAND --help\" describes a command's options.\n"
    "Exit status: 0 success, 1 an input or the database failed, 2 bad usage,\n"
    "configuration or rules.\n"
    "Configuration: " TLSLOGD_DEFAULT_CONF "\n"
    "Database:      " TLSLOGD_DEFAULT_DB "\n"
    "Rules:         " TLSLOGD_DEFAULT_PATTERNS "\n"
    "Local rules:   " TLSLOGD_DEFAULT_LOCAL_RULES "\n";

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "scan", cmd_scan },
	{ "query", cmd_query },
	{ "test-rules", cmd_test_rules },
	{ "run", cmd_run },
	{ "stats", cmd_stats },
	{ "purge", cmd_purge },
	{ "flagged", cmd_flagged },
	{ "top", cmd_top },
	{ "summary", cmd_summary },
	{ "peers", cmd_peers },
};

int
main(int argc, char **argv)
{
	/* Output escaping is byte-based; keep the C library's behaviour predictable. */
	setlocale(LC_ALL, "C");
	log_init("tlslogd");
	if (argc < 2) {
		fputs(main_usage, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(main_usage, stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("tlslogd %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	log_warnx("unknown command \"%s\"; \"tlslogd --help\" lists them", argv[1]);
	return EXIT_USAGE;
}

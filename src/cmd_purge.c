/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_purge.c: `tlslogd purge`: apply the retention now (what `tlslogd run`
 * does on its own every minute), for databases filled by `tlslogd scan`
 * from cron, or after lowering the retention.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "log.h"
#include "retention.h"
#include "store.h"

static const char purge_usage[] =
    "usage: tlslogd purge [-q] [-c FILE] [--db PATH|URI] [--days N] [--max-size SIZE]\n"
    "\n"
    "Delete the events older than the retention period (configuration:\n"
    "retention, default 400 days), then the peers' days of successes before it,\n"
    "and, while the database holds more than its size cap (max_database_size),\n"
    "the oldest events, a small batch at a time.\n"
    "\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "      --db PATH|URI    database: a file, or postgresql://... (default: from the\n"
    "                       configuration)\n"
    "      --days N         keep N days instead (0: no age limit)\n"
    "      --max-size SIZE  keep at most SIZE bytes of events (k, M, G; 0: no cap)\n"
    "  -q, --quiet          print nothing but errors\n"
    "  -h, --help           this help\n";

int
cmd_purge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "days", required_argument, NULL, 'N' },
		{ "max-size", required_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct common_opts common;
	int ch, quiet = 0;
	int64_t days = -1, max_bytes = -1;

	memset(&common, 0, sizeof(common));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': common.config = optarg; break;
		case 'D': common.db = optarg; break;
		case 'N': {
			char *end;
			long long v = strtoll(optarg, &end, 10);
			if (end == optarg || *end != '\0' || v < 0 || v > 100000) {
				log_warnx("--days: expected a number of days from 0 to 100000");
				return EXIT_USAGE;
			}
			days = v;
			break;
		}
		case 'S':
			if (conf_parse_size(optarg, &max_bytes) < 0) {
				log_warnx("--max-size: expected a size such as 500M or 2G (0: no cap)");
				return EXIT_USAGE;
			}
			break;
		case 'q': quiet = 1; break;
		case 'h': fputs(purge_usage, stdout); return EXIT_OK;
		default: return cmd_bad_option("purge", "c:qh", argc, argv);
		}
	}
	if (optind < argc) {
		log_warnx("purge: unexpected argument \"%s\"", argv[optind]);
		return EXIT_USAGE;
	}
	struct conf conf;
	if (cmd_setup(&common, &conf) < 0) {
		conf_free(&conf);
		return EXIT_USAGE;
	}
	if (days < 0)
		days = conf.retention_days;
	if (max_bytes < 0)
		max_bytes = conf.retention_bytes;
	struct store *store = store_open_server(conf.database, STORE_READ_WRITE, conf.server);
	if (store == NULL) {
		conf_free(&conf);
		return EXIT_TROUBLE;
	}
	int64_t total = 0, total_days = 0, now = (int64_t)time(NULL);
	int n, n_days, status = EXIT_OK;
	while ((n = retention_step(store, now, days, max_bytes, &n_days)) > 0) {
		total += n - n_days;
		total_days += n_days;
	}
	if (n < 0)
		status = EXIT_TROUBLE;
	if (!quiet) {
		printf("%lld event%s deleted from %s", (long long)total, total == 1 ? "" : "s",
		    store_path(store));
		if (total_days > 0)
			printf(", and %lld day%s of peer successes", (long long)total_days,
			    total_days == 1 ? "" : "s");
		printf("\n");
	}
	store_close(store);
	conf_free(&conf);
	return status;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_scan.c: `tlslogd scan`: read whole log files (or standard input) into
 * the database, each from where the previous scan of it stopped, and print
 * what was found.
 */
#include "config.h"

#include <getopt.h>
#ifdef HAVE_MALLOPT
#include <malloc.h>
#endif
#include <sched.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "cmd.h"
#include "flag.h"
#include "ingest.h"
#include "log.h"
#include "rotation.h"
#include "rules.h"
#include "store.h"
#include "util.h"

static const char scan_usage[] =
    "usage: tlslogd scan [-q] [-c FILE] [--db PATH|URI] [--patterns DIR] [--local-rules DIR]\n"
    "                    [--mta NAME] [--server NAME] [--timezone TZ] [--max-line BYTES]\n"
    "                    [-j N] FILE...\n"
    "\n"
    "Read mail log files (\"-\": standard input) and store every TLS and AUTH\n"
    "failure in the database. A file scanned before is read from where the last\n"
    "scan stopped; a different file at the same path is read from its start.\n"
    "\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "      --db PATH|URI    database: a file, or postgresql://... (default: from the\n"
    "                       configuration)\n"
    "      --patterns DIR   rules folder (default: from the configuration)\n"
    "      --local-rules DIR  local rules that add to or replace the shipped ones\n"
    "                       (default " TLSLOGD_DEFAULT_LOCAL_RULES ", if it exists)\n"
    "      --mta NAME       treat every line as written by NAME (postfix, exim, sendmail)\n"
    "                       instead of routing each line by its program tag\n"
    "      --server NAME    host name for lines that carry none (Exim's mainlog), and\n"
    "                       this host's name in a PostgreSQL database (default: the\n"
    "                       configuration's server, else the host name)\n"
    "      --timezone TZ    zone of log times written without one (default: the\n"
    "                       configuration's timezone, else the TZ variable)\n"
    "      --max-line BYTES longer lines are cut (default 65536)\n"
    "  -j, --jobs N         read and match on N threads when 1 MiB or more of a file\n"
    "                       is to be read (default: the processors it may run on,\n"
    "                       at most 4; 1: one thread)\n"
    "  -q, --quiet          print nothing but errors\n"
    "  -h, --help           this help\n";

/* More matching threads than this gain nothing: the store is one thread. */
#define DEFAULT_MAX_JOBS 4
#define MAX_JOBS 64

/* The processors this process may run on (taskset, a cpuset), at most DEFAULT_MAX_JOBS. */
static int
default_jobs(void)
{
	long n = -1;

#ifdef HAVE_SCHED_GETAFFINITY
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
#endif
	if (n < 1)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > DEFAULT_MAX_JOBS ? DEFAULT_MAX_JOBS : (int)n;
}

static double
elapsed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

struct flag_counts {
	unsigned raised, cleared;
};

static void
count_notice(void *ctx, const struct flag_notice *n)
{
	struct flag_counts *c = ctx;

	if (n->raised)
		c->raised++;
	else
		c->cleared++;
}

static void
print_summary(const struct ingest *ing, const char *db, double secs,
    const struct flag_counts *flags)
{
	struct ingest_stats st;
	const struct ingest_stats *s = &st;

	ingest_get_stats(ing, &st);
	printf("scanned %llu file%s, %llu line%s (%.1f MB) in %.2f s",
	    (unsigned long long)s->files, s->files == 1 ? "" : "s",
	    (unsigned long long)s->lines, s->lines == 1 ? "" : "s", (double)s->bytes / 1e6, secs);
	if (secs >= 0.05)
		printf(" (%.0f lines/s)", (double)s->lines / secs);
	printf("\n%llu new event%s stored in %s", (unsigned long long)s->events,
	    s->events == 1 ? "" : "s", db);
	if (s->duplicates)
		printf(" (%llu already stored)", (unsigned long long)s->duplicates);
	printf("\n");
	for (int k = 0; k < KIND_COUNT; k++)
		if (s->kind_events[k])
			printf("  %-28s %llu\n", event_kind_name((enum event_kind)k),
			    (unsigned long long)s->kind_events[k]);
	if (s->held)
		printf("%llu failure%s at the end of a file still being written left for the next scan\n",
		    (unsigned long long)s->held, s->held == 1 ? "" : "s");
	if (s->no_header)
		printf("%llu line%s without a syslog or Exim header skipped\n",
		    (unsigned long long)s->no_header, s->no_header == 1 ? "" : "s");
	if (s->cut_lines)
		printf("%llu line%s longer than the limit cut\n",
		    (unsigned long long)s->cut_lines, s->cut_lines == 1 ? "" : "s");
	if (flags->raised || flags->cleared)
		printf("%u flag%s raised, %u cleared (tlslogd flagged lists the peers)\n",
		    flags->raised, flags->raised == 1 ? "" : "s", flags->cleared);
}

int
cmd_scan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "patterns", required_argument, NULL, 'P' },
		{ "local-rules", required_argument, NULL, 'R' },
		{ "mta", required_argument, NULL, 'M' },
		{ "server", required_argument, NULL, 'S' },
		{ "timezone", required_argument, NULL, 'T' },
		{ "max-line", required_argument, NULL, 'L' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct common_opts common = { 0 };
	struct ingest_options iopt;
	const char *mta = NULL;
	int quiet = 0, ch;

	ingest_options_default(&iopt);
	iopt.match_threads = default_jobs();
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:j:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': common.config = optarg; break;
		case 'D': common.db = optarg; break;
		case 'P': common.patterns = optarg; break;
		case 'R': common.local_rules = optarg; break;
		case 'M': mta = optarg; break;
		case 'S': iopt.server = optarg; break;
		case 'T': common.timezone = optarg; break;
		case 'L': {
			const struct conf_setting *s = conf_setting("max_line");
			char *end;
			long long v = strtoll(optarg, &end, 10);
			if (end == optarg || *end != '\0' || v < s->min || v > s->max) {
				log_warnx("--max-line: expected a number of bytes from %lld to %lld",
				    (long long)s->min, (long long)s->max);
				return EXIT_USAGE;
			}
			iopt.max_line = (size_t)v;
			break;
		}
		case 'j': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || v < 1 || v > MAX_JOBS) {
				log_warnx("--jobs: expected a number of threads from 1 to %d", MAX_JOBS);
				return EXIT_USAGE;
			}
			iopt.match_threads = (int)v;
			break;
		}
		case 'q': quiet = 1; break;
		case 'h': fputs(scan_usage, stdout); return EXIT_OK;
		default: return cmd_bad_option("scan", "c:j:qh", argc, argv);
		}
	}
	if (optind >= argc) {
		log_warnx("scan: no file given (use \"-\" for standard input)");
		fputs(scan_usage, stderr);
		return EXIT_USAGE;
	}

	struct conf conf;
	if (cmd_setup(&common, &conf) < 0) {
		conf_free(&conf);
		return EXIT_USAGE;
	}
	iopt.count_successes = conf.peer_history;
	if (iopt.server == NULL)
		iopt.server = conf.server;
	struct rules *rules = cmd_load_rules(&conf);
	if (rules == NULL) {
		conf_free(&conf);
		return EXIT_USAGE;
	}
	if (mta != NULL && (iopt.forced_set = rules_find_set(rules, mta)) < 0) {
		log_warnx("--mta %s: no rules for this MTA in %s", mta, conf.patterns);
		rules_free(rules);
		conf_free(&conf);
		return EXIT_USAGE;
	}
	struct store *store = store_open_server(conf.database, STORE_READ_WRITE, iopt.server);
	/* What an upgrade left to do on old events (flagging by domain reads them) first. */
	if (store != NULL && store_backfill(store) < 0) {
		store_close(store);
		store = NULL;
	}
	if (store == NULL) {
		rules_free(rules);
		conf_free(&conf);
		return EXIT_TROUBLE;
	}

	store_checkpoint_in_background(store);

	struct flagger *flags = flag_new(store, &conf);
	if (flags == NULL) {
		store_close(store);
		rules_free(rules);
		conf_free(&conf);
		return EXIT_TROUBLE;
	}

	struct timespec start;
	struct flag_counts counts = { 0, 0 };
	int status = EXIT_OK;

#if defined(HAVE_MALLOPT) && defined(M_TRIM_THRESHOLD)
	/*
	 * Events are made on the matching threads and freed on this one, a
	 * block's worth (up to a MiB at a high failure rate) at a time. With
	 * glibc's default the arena gives that memory back to the kernel each
	 * time and faults it in again for the next block: at 20% failures
	 * that was half the page faults of a scan. Memory a scan freed is kept
	 * up to 8 MiB.
	 */
	if (iopt.match_threads > 1)
		mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
#endif
	clock_gettime(CLOCK_MONOTONIC, &start);
	/* Flags do not depend on the order (flag.h); a set read in order needs no late reading. */
	rotation_sort_paths(argv + optind, argc - optind);
	struct batch *batch = batch_new(store, flags);
	struct ingest *ing = ingest_new(rules, batch, &iopt);
	for (int i = optind; i < argc; i++) {
		if (ingest_path(ing, argv[i]) < 0)
			status = EXIT_TROUBLE;
		if (batch_failed(batch)) {
			log_warnx("stopped: the database failed; events committed before are kept");
			break;
		}
	}
	if (!batch_failed(batch)) {
		/* Flags whose quiet period has passed by now are cleared, as the daemon would. */
		if (batch_expire_flags(batch, (int64_t)time(NULL)) < 0)
			status = EXIT_TROUBLE;
		flag_take_notices(flags, count_notice, &counts);
	}
	if (!quiet)
		print_summary(ing, store_path(store), elapsed(&start), &counts);
	ingest_free(ing);
	batch_free(batch);
	flag_free(flags);
	store_close(store);
	rules_free(rules);
	conf_free(&conf);
	return status;
}

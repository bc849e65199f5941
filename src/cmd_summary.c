/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_summary.c: `tlslogd summary`: the report an administrator reads with
 * the morning coffee (summary.h collects it, summary_render.h writes it),
 * printed as text or HTML, or mailed with --mail as a two-part MIME message
 * through the sendmail-compatible program of the configuration (mail.h).
 *
 * The database is opened read-only. Nothing from a log goes into the mail's
 * headers: the subject holds our own words and numbers and the host's name;
 * the addresses come from the command line or the configuration, checked.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "log.h"
#include "mail.h"
#include "output.h"
#include "reportdb.h"
#include "summary.h"
#include "summary_render.h"
#include "timeparse.h"
#include "util.h"

static const char summary_usage[] =
    "usage: tlslogd summary [--since WHEN] [--until WHEN] [--server NAME]\n"
    "                       [--format text|html] [--skip-empty] [-n] [-c FILE]\n"
    "                       [--db PATH]\n"
    "       tlslogd summary --mail [ADDRESS...] [--sendmail PATH] [--since WHEN]\n"
    "                       [--until WHEN] [--server NAME] [--skip-empty] [-c FILE]\n"
    "                       [--db PATH]\n"
    "\n"
    "Summarize a period (default: the last 24 hours) against the period of the\n"
    "same length before: what changed (new and recovered peers, new kinds, flags\n"
    "raised and cleared), each cause once with what to do about it, the worst\n"
    "peers one line each, and the failures per hour. WHEN is a duration back\n"
    "from now (24h, 7d) or an ISO 8601 date or time.\n"
    "\n"
    "With --mail, send it as a mail with a text and an HTML part to the ADDRESSes,\n"
    "or to mail_to of the configuration, through its sendmail program (default\n"
    "\"" CONF_DEFAULT_SENDMAIL "\"), and print nothing.\n"
    "\n"
    "  -s, --since WHEN     start of the period (default 24h)\n"
    "  -u, --until WHEN     end of the period (default now)\n"
    "      --server NAME    only the failures this server logged (case-insensitive);\n"
    "                       the flags are the database's, whoever logged their events\n"
    "  -f, --format FMT     text (default) or html, on standard output\n"
    "  -m, --mail           mail it instead (to the ADDRESSes given, or mail_to)\n"
    "      --sendmail PATH  run PATH -t -oi instead of the configured sendmail\n"
    "      --skip-empty     no failure and no flag change in the period: print or\n"
    "                       send nothing (otherwise a short \"all quiet\" report)\n"
    "  -n, --check          check the options, configuration and database, then exit\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "      --db PATH        database (default: from the configuration)\n"
    "  -h, --help           this help\n";

/* The worst peers collected, and the new and the recovered (each) named. */
#define TOP_PEERS 10
#define CHANGED_PEERS 6

/* An address given to --mail or in mail_to: safe in a header and as an argument. */
static int
good_address(const char *a)
{
	return a[0] != '-' && conf_valid_address(a);
}

static int
send_summary(const struct conf *conf, char *const *to, char **sendmail_argv,
    const struct summary *s, const struct summary_view *view)
{
	struct buf text, html, subject, msg;
	char *from = conf->mail_from ? xstrdup(conf->mail_from) :
	    xasprintf("tlslogd@%s", view->host);
	int rc = -1;

	buf_init(&text);
	buf_init(&html);
	buf_init(&subject);
	buf_init(&msg);
	summary_render_text(&text, s, view);
	summary_render_html(&html, s, view);
	summary_render_subject(&subject, s, view);
	struct mail_message m = {
		.from = from, .to = to, .subject = subject.data, .host = view->host,
		.date = (int64_t)time(NULL), .text = text.data, .text_len = text.len,
		.html = html.data, .html_len = html.len
	};
	if (mail_compose(&msg, &m) == 0)
		rc = mail_send(sendmail_argv, msg.data, msg.len);
	buf_free(&text);
	buf_free(&html);
	buf_free(&subject);
	buf_free(&msg);
	free(from);
	return rc;
}

int
cmd_summary(int argc, char **argv)
{
	enum { OPT_SENDMAIL = 256, OPT_SKIP_EMPTY, OPT_SERVER };
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' },
		{ "mail", no_argument, NULL, 'm' },
		{ "sendmail", required_argument, NULL, OPT_SENDMAIL },
		{ "skip-empty", no_argument, NULL, OPT_SKIP_EMPTY },
		{ "server", required_argument, NULL, OPT_SERVER },
		{ "check", no_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct common_opts common;
	const char *since_arg = "24h", *until_arg = NULL, *sendmail = NULL, *server = NULL;
	static const char optstring[] = "s:u:f:mnc:h";
	int ch, html = 0, format_given = 0, mail = 0, skip_empty = 0, check = 0;

	memset(&common, 0, sizeof(common));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (ch) {
		case 's': since_arg = optarg; break;
		case 'u': until_arg = optarg; break;
		case 'f':
			if (strcmp(optarg, "html") == 0)
				html = 1;
			else if (strcmp(optarg, "text") != 0) {
				log_warnx("--format: expected text or html, not \"%s\"", optarg);
				return EXIT_USAGE;
			}
			format_given = 1;
			break;
		case 'm': mail = 1; break;
		case 'n': check = 1; break;
		case OPT_SENDMAIL: sendmail = optarg; break;
		case OPT_SKIP_EMPTY: skip_empty = 1; break;
		case OPT_SERVER: server = optarg; break;
		case 'c': common.config = optarg; break;
		case 'D': common.db = optarg; break;
		case 'h': fputs(summary_usage, stdout); return EXIT_OK;
		default: return cmd_bad_option("summary", optstring, argc, argv);
		}
	}
	if (!mail && optind < argc) {
		log_warnx("summary: unexpected argument \"%s\" (addresses go with --mail)",
		    argv[optind]);
		return EXIT_USAGE;
	}
	if (mail && format_given) {
		log_warnx("summary: --mail sends both a text and an HTML part: no --format");
		return EXIT_USAGE;
	}
	if (!mail && sendmail != NULL) {
		log_warnx("summary: --sendmail goes with --mail");
		return EXIT_USAGE;
	}
	if (server != NULL && *server == '\0') {
		log_warnx("--server: expected a server name");
		return EXIT_USAGE;
	}
	if (sendmail != NULL && sendmail[0] != '/') {
		log_warnx("--sendmail: the program must be an absolute file name (it is run "
		    "without a shell), not \"%s\"", sendmail);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		if (!good_address(argv[i])) {
			log_warnx("--mail: \"%s\" is not a mail address such as "
			    "postmaster@example.com", argv[i]);
			return EXIT_USAGE;
		}
	}

	struct conf conf;
	if (cmd_setup(&common, &conf) < 0) {
		conf_free(&conf);
		return EXIT_USAGE;
	}
	int64_t now = (int64_t)time(NULL), since, until = now;
	if (timeparse_point(since_arg, now, &since) < 0) {
		log_warnx("--since: \"%s\" is not a time: expected " TIMEPARSE_FORMS, since_arg);
		conf_free(&conf);
		return EXIT_USAGE;
	}
	if (until_arg != NULL && timeparse_point(until_arg, now, &until) < 0) {
		log_warnx("--until: \"%s\" is not a time: expected " TIMEPARSE_FORMS, until_arg);
		conf_free(&conf);
		return EXIT_USAGE;
	}
	if (since >= until) {
		log_warnx("summary: the period is empty: --since is not before --until");
		conf_free(&conf);
		return EXIT_USAGE;
	}
	char *const *to = NULL;
	if (mail) {
		to = optind < argc ? argv + optind : conf.mail_to;
		if (to == NULL || to[0] == NULL) {
			log_warnx("summary --mail: no recipient: give addresses after --mail, or set "
			    "mail_to in %s", conf.path ? conf.path : TLSLOGD_DEFAULT_CONF);
			conf_free(&conf);
			return EXIT_USAGE;
		}
		for (char *const *a = to; *a; a++) {
			if (!good_address(*a)) {
				log_warnx("mail_to: \"%s\" cannot be a recipient", *a);
				conf_free(&conf);
				return EXIT_USAGE;
			}
		}
	}

	struct reportdb *db = reportdb_open(conf.database);
	if (db == NULL)
		return cmd_close_db(NULL, &conf, EXIT_TROUBLE);
	if (check)
		return cmd_close_db(db, &conf, cmd_checked("summary"));
	struct summary_opts opts = {
		.since = since, .until = until, .now = now, .quiet = conf.flag_quiet,
		.top = TOP_PEERS, .changes = CHANGED_PEERS, .regression_days = conf.regression_days,
		.server = server
	};
	struct summary *s = summary_collect(db, &opts);
	if (s == NULL)
		log_warnx("%s: no summary", reportdb_path(db));	/* a URI's password masked */
	reportdb_close(db);
	if (s == NULL) {
		conf_free(&conf);
		return EXIT_TROUBLE;
	}

	char host[256];
	mail_host_name(host, sizeof(host));
	struct summary_view view = { .host = host, .until_now = until_arg == NULL,
		.last = until_arg == NULL && timeparse_duration(since_arg) >= 0 };
	/* Without the advice files the summary still goes out (advice_load logged why). */
	struct advice *adv = advice_load(conf.advice, conf.local_rules);
	if (adv == NULL)
		log_warnx("the summary goes without advice");
	view.advice = adv;
	int status = EXIT_OK;
	if (skip_empty && summary_is_empty(s)) {
		log_debug("summary: nothing to report");
	} else if (mail) {
		char *override[] = { (char *)sendmail, "-t", "-oi", NULL };
		if (send_summary(&conf, to, sendmail ? override : conf.sendmail, s, &view) < 0)
			status = EXIT_TROUBLE;
	} else {
		struct buf out;
		buf_init(&out);
		if (html)
			summary_render_html(&out, s, &view);
		else
			summary_render_text(&out, s, &view);
		if (output_write_stdout(&out) < 0)
			status = EXIT_TROUBLE;
		buf_free(&out);
	}
	summary_free(s);
	advice_free(adv);
	conf_free(&conf);
	return status;
}

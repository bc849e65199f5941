/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cmd_run.c: `tlslogd run`, the daemon: follow the configured logs with
 * libev and store every failure as it is written.
 *
 * One thread, one libev loop. Files are watched with ev_stat (inotify where
 * libev has it) and looked at again every second by a timer, as a safety net
 * for changes inotify does not report; regular files are never watched with
 * ev_io (they are always "readable"). What was read is committed when
 * batch_events events are waiting or batch_interval after the first
 * uncommitted read, whichever comes first, so a failure is queryable well
 * within a second while a burst is still written in large transactions.
 *
 * When the database fails (full disk, read-only, corrupt), every file is
 * closed without losing anything: the positions stay at the last commit, and
 * a retry timer opens them again from there once the database takes writes.
 *
 * Signals: SIGTERM/SIGINT commit and exit 0; SIGHUP reads the configuration
 * and the rules again (a broken new one is refused and the old one keeps
 * running) and reopens every file; SIGUSR1 logs the counters.
 *
 * Metrics (metrics.h), when configured: the same counters written for the
 * node_exporter textfile collector every metrics_interval, and served on
 * metrics_listen's /metrics from this loop.
 */
#include "config.h"

#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "autosource.h"
#include "batch.h"
#include "cmd.h"
#include "flag.h"
#include "follow.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "notify.h"
#include "output.h"
#include "privdrop.h"
#include "retention.h"
#include "rules.h"
#include "store.h"
#include "timeparse.h"
#include "util.h"
#include "writerlock.h"

#define READ_BUDGET (4u << 20)	/* bytes per file per turn: other files and signals get their turn */
#define TICK_SECONDS 1.0
#define RETRY_SECONDS 5.0
#define PURGE_SECONDS 60.0	/* retention: look for old events this often ... */
#define PURGE_NEXT_SECONDS 0.05	/* ... and while there are more, take the next batch after this */
#define FLAG_EXPIRE_SECONDS 10.0	/* without retention: quiet flags are cleared this often */

static const char run_usage[] =
    "usage: tlslogd run [-d] [-n] [-c FILE] [--db PATH|URI] [--patterns DIR] [--local-rules DIR]\n"
    "                   [--timezone TZ] [--server NAME] [--from-start]\n"
    "                   [--follow FILE [--mta NAME]]...\n"
    "\n"
    "Follow the mail logs named by the configuration's \"source\" lines (or by\n"
    "--follow) and store every TLS and AUTH failure as it is written. Rotated,\n"
    "truncated, deleted and recreated files are followed; a restart resumes where\n"
    "the last commit ended.\n"
    "\n"
    "  -c, --config FILE    configuration file (default " TLSLOGD_DEFAULT_CONF ")\n"
    "  -d, --foreground     stay in the foreground and log to stderr (otherwise: syslog,\n"
    "                       and into the background unless started by systemd)\n"
    "  -n, --check          check the configuration and the rules, then exit\n"
    "      --db PATH|URI    database: a file, or postgresql://... (default: from the\n"
    "                       configuration)\n"
    "      --patterns DIR   rules folder (default: from the configuration)\n"
    "      --local-rules DIR  local rules that add to or replace the shipped ones\n"
    "      --timezone TZ    zone of log times written without one\n"
    "      --server NAME    host name for lines that carry none (Exim's mainlog), and\n"
    "                       this host's name in a PostgreSQL database (default: the\n"
    "                       configuration's server, else the host name)\n"
    "      --follow FILE    follow FILE (repeatable; with it the configuration's\n"
    "                       sources are not used)\n"
    "      --mta NAME       the MTA of the --follow FILE before it, instead of routing\n"
    "                       each line by its program tag\n"
    "      --from-start     read files never seen before from their start, not their end\n"
    "  -h, --help           this help\n";

struct daemon {
	struct ev_loop *loop;
	struct common_opts common;
	struct conf_source *cli_sources;	/* --follow */
	size_t ncli;
	const char *cli_server;
	int cli_from_start;
	struct conf conf;
	int found;		/* no source configured: conf's sources were found by looking */
	struct rules *rules;
	struct store *store;
	struct writerlock *lock;	/* one daemon per database (writerlock.h) */
	struct follower *fol;
	struct flagger *flags;
	struct batch *batch;	/* the one writer: events, positions, flags (batch.h) */
	struct action_runner *actions;	/* runs the actions the record holds as due */
	int actions_due;	/* the notices just taken made some due */
	ev_stat *watch;		/* one per source: its file */
	ev_io *jwatch;		/* one per source: its journal */
	size_t nwatch;		/* sources watched; 0 while the database fails */
	ev_timer tick;
	ev_timer commit;
	ev_timer retry;
	ev_timer purge;
	ev_idle more;
	ev_signal sig_term, sig_int, sig_hup, sig_usr1;
	struct metrics metrics;
	struct metrics_http *http;	/* the /metrics endpoint, or NULL */
	char *http_listen;	/* the address it listens on */
	ev_timer metrics_tick;	/* writes conf.metrics_file */
	int metrics_errno;	/* of the last failed write of it: logged once */
	int failed;		/* the database failed: waiting for the retry timer */
	int gone;		/* the database file was deleted or replaced: stopping */
	int status;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Configuration, then the command line; the sources from --follow replace the configured ones. */
static int
load_conf(struct daemon *d, struct conf *conf)
{
	if (cmd_setup(&d->common, conf) < 0)
		return -1;
	if (d->ncli > 0) {
		for (size_t i = 0; i < conf->nsources; i++) {
			free(conf->sources[i].path);
			free(conf->sources[i].mta);
		}
		conf->nsources = 0;
		for (size_t i = 0; i < d->ncli; i++)
			conf_add_file_source(conf, d->cli_sources[i].path, d->cli_sources[i].mta);
	}
	if (d->cli_server != NULL) {
		free(conf->server);
		conf->server = xstrdup(d->cli_server);
	}
	if (d->cli_from_start)
		conf->from_start = 1;
	/* No source configured: what this machine has (autosource.h). */
	d->found = 0;
	if (conf->nsources == 0) {
		int found = autosource_detect(conf, getenv(AUTOSOURCE_ROOT_ENV));
		if (found < 0)
			return -1;
		d->found = found > 0;
	}
	if (conf->nsources == 0) {
		log_warnx("nothing to follow: add \"source FILE\" lines to %s or give --follow FILE",
		    conf->path ? conf->path : TLSLOGD_DEFAULT_CONF);
		return -1;
	}
	return 0;
}

/* Every source's MTA must have rules; journal sources need journal support. */
static int
check_sources(const struct conf *conf, const struct rules *rules)
{
	int errors = 0;

	for (size_t i = 0; i < conf->nsources; i++) {
		const struct conf_source *s = &conf->sources[i];
		const char *where = conf->path && s->lineno ? conf->path : "--follow";

		if (s->type == SOURCE_JOURNAL) {
#ifndef HAVE_SYSTEMD
			log_warnx("%s:%d: source journal: this build of tlslogd cannot read the "
			    "systemd journal (built without libsystemd: configure --with-systemd "
			    "after installing libsystemd-dev)", where, s->lineno);
			errors++;
#endif
			if (s->mta != NULL && rules_find_set(rules, s->mta) < 0) {
				log_warnx("%s:%d: source journal: no rules for the MTA \"%s\" in %s",
				    where, s->lineno, s->mta, conf->patterns);
				errors++;
			}
		} else if (s->mta != NULL && rules_find_set(rules, s->mta) < 0) {
			log_warnx("%s:%d: source %s: no rules for the MTA \"%s\" in %s", where,
			    s->lineno, s->path, s->mta, conf->patterns);
			errors++;
		}
	}
	return errors ? -1 : 0;
}

/*
 * A failure no line joined for this long (by the clock) is complete: the
 * linger, the time `tlslogd scan` gives it in the log's own time. With a
 * shorter wait the daemon would cut a failure whose lines a slow writer
 * spreads over a few seconds into two events where scan stores one.
 */
static int64_t
settle_ms(const struct ingest_options *opt)
{
	return opt->linger * 1000;
}

static void
fill_options(const struct daemon *d, struct ingest_options *opt)
{
	ingest_options_default(opt);
	opt->server = d->conf.server;
	opt->max_line = d->conf.max_line;
	opt->batch_events = (size_t)d->conf.batch_events;
	opt->count_unknown = 1;		/* for stats and SIGUSR1 */
	opt->count_successes = d->conf.peer_history;
}

static void stop_watchers(struct daemon *d);

/* The flagger records the configured actions as due; the runner runs them from the record. */
static void
record_actions(struct daemon *d)
{
	flag_record_actions(d->flags, d->conf.action_flag != NULL,
	    d->conf.action_regression != NULL || d->conf.action_flag != NULL,
	    d->conf.action_clear != NULL);
	action_runner_set_store(d->actions, d->store);
}
static void start_watchers(struct daemon *d);

/* ---- flag and clear notices ---- */

#define NOTICE_VALUE_MAX 255

/* Cut an escaped value to NOTICE_VALUE_MAX bytes (escapes are ASCII), "..." marking the cut. */
static void
cut_notice_value(struct buf *b)
{
	if (b->len > NOTICE_VALUE_MAX) {
		b->len = NOTICE_VALUE_MAX - 3;
		buf_puts(b, "...");
	}
	buf_putc(b, '\0');
}

/* One line per flag and clear; values from the log escaped and cut. */
static void
on_notice(void *ctx, const struct flag_notice *n)
{
	struct daemon *d = ctx;
	struct buf peer, host;
	char first[32], last[32];

	buf_init(&peer);
	buf_init(&host);
	output_escape_text(&peer, n->peer, strlen(n->peer));
	if (n->host != NULL)
		output_escape_text(&host, n->host, strlen(n->host));
	/* A DNS name has at most 253 bytes: anything longer is cut, visibly. */
	cut_notice_value(&peer);
	cut_notice_value(&host);
	timeparse_format_iso(n->first_event, first, sizeof(first));
	timeparse_format_iso(n->raised ? n->last_event : n->cleared, last, sizeof(last));
	if (n->catch_up)
		log_info("flagged %s (%s) earlier from old events has an event of the present now: "
		    "its action is due", peer.data, n->threshold);
	else if (n->raised)
		log_info("flagged %s%s%s%s (%s): %s, mostly %s, from %s to %s", peer.data,
		    n->host ? " (" : "", host.data, n->host ? ")" : "", n->threshold, n->why,
		    n->main_kind ? n->main_kind : "-", first, last);
	else
		log_info("cleared %s (%s): %lld events from %s, quiet since %s", peer.data,
		    n->threshold, (long long)n->count, first, last);

	if (n->raised && !n->catch_up)
		d->metrics.flags_raised++;
	else if (!n->raised)
		d->metrics.flags_cleared++;
	/* The flagger recorded the action as due in the committed transaction: the runner runs it. */
	if (n->action_due)
		d->actions_due = 1;
	buf_free(&peer);
	buf_free(&host);
}

/* After a commit: log its flag changes and start the actions it made due. */
static void
take_notices(struct daemon *d)
{
	d->actions_due = 0;
	flag_take_notices(d->flags, on_notice, d);
	if (d->actions_due)
		action_runner_run_due(d->actions);
}

static void
database_failed(struct daemon *d)
{
	log_warnx("the database %s failed: ingestion stopped, positions kept at the last commit; "
	    "trying again every %.0f s", store_path(d->store), RETRY_SECONDS);
	stop_watchers(d);	/* a journal's descriptor closes with it */
	follow_stop(d->fol);
	/* What the rolled-back transaction flagged is forgotten; it is seen again when re-read. */
	flag_reset(d->flags);
	d->failed = 1;
	d->metrics.database_errors++;
	d->metrics.database_failing = 1;
	ev_timer_stop(d->loop, &d->commit);
	ev_idle_stop(d->loop, &d->more);
	ev_timer_again(d->loop, &d->retry);
}

/* Another daemon holds the database (writerlock_acquire's holder: its pid, or -1). */
static void
log_busy(const char *db, pid_t holder, const char *what_then)
{
	if (holder > 0)
		log_warnx("the database %s is in use by another tlslogd run (pid %ld)%s", db,
		    (long)holder, what_then);
	else
		log_warnx("the database %s is in use by another tlslogd run (pid unknown)%s", db,
		    what_then);
}

/* A size cap on a database that cannot have one (logged): 1, else 0. */
static int
size_cap_refused(const struct conf *conf, struct store *store)
{
	if (conf->retention_bytes == 0 || store_engine(store) != STORE_POSTGRESQL ||
	    !store_is_postgresql(conf->database))
		return 0;
	log_warnx("%s: max_database_size is for an SQLite database; a PostgreSQL database's "
	    "space is its server's to manage: use retention (days)",
	    conf->path != NULL ? conf->path : "the configuration");
	return 1;
}

/* Two settings that may be unset (NULL) are the same. */
static int
same_string(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * The one writer's hold on the database of conf: the lock file beside an
 * SQLite database, taken before it is opened (writerlock.h); on PostgreSQL
 * the claim on this server's records, taken once connected
 * (store_claim_server). EXIT_OK with *lock (NULL on PostgreSQL) and *store,
 * or the exit status (logged; what_then ends the message when another
 * daemon holds it).
 */
static int
open_writer(const struct conf *conf, struct writerlock **lock, struct store **store,
    const char *what_then)
{
	pid_t holder = 0;

	*lock = NULL;
	*store = NULL;
	if (!store_is_postgresql(conf->database) &&
	    (*lock = writerlock_acquire(conf->database, &holder)) == NULL) {
		if (holder != 0)
			log_busy(conf->database, holder, what_then);
		return holder != 0 ? EXIT_BUSY : EXIT_TROUBLE;
	}
	*store = store_open_server(conf->database, STORE_READ_WRITE, conf->server);
	if (*store == NULL) {
		writerlock_release(*lock);
		*lock = NULL;
		return EXIT_TROUBLE;
	}
	int status = EXIT_OK;
	if (size_cap_refused(conf, *store)) {
		status = EXIT_USAGE;
	} else {
		int claimed = store_claim_server(*store);
		if (claimed == 0)
			log_warnx("the database %s is in use by another tlslogd run for server %s%s",
			    store_path(*store), store_server(*store), what_then);
		if (claimed <= 0)
			status = claimed == 0 ? EXIT_BUSY : EXIT_TROUBLE;
	}
	if (status != EXIT_OK) {
		store_close(*store);
		*store = NULL;
		writerlock_release(*lock);
		*lock = NULL;
	}
	return status;
}

/*
 * The database file was deleted or replaced (store_check_file logged which):
 * what is not committed is rolled back and the daemon stops, rather than
 * commit into a file no one will read again.
 */
static void
database_gone(struct daemon *d)
{
	log_warnx("stopping: nothing more is committed into %s. Started again, tlslogd reads "
	    "again what came after the last commit if the database it is given has it (the "
	    "old file put back); a new database starts where the \"start\" setting says",
	    store_path(d->store));
	stop_watchers(d);
	follow_stop(d->fol);
	(void)store_abandon(d->store);	/* logged */
	d->gone = d->failed = 1;
	d->status = EXIT_TROUBLE;
	ev_timer_stop(d->loop, &d->commit);
	ev_timer_stop(d->loop, &d->retry);
	ev_idle_stop(d->loop, &d->more);
	ev_break(d->loop, EVBREAK_ALL);
}

static void
commit_now(struct daemon *d)
{
	ev_timer_stop(d->loop, &d->commit);
	if (d->failed)
		return;
	if (store_check_file(d->store) < 0) {
		database_gone(d);
		return;
	}
	int64_t started = now_ms(), dirty = follow_dirty(d->fol);
	if (follow_commit(d->fol) < 0) {
		database_failed(d);
		return;
	}
	if (dirty)
		metrics_observe_commit(&d->metrics, (double)(now_ms() - started) / 1000.0);
	take_notices(d);
}

/* Read what the files have; commit when the batch is full, or arm the batch timer. */
static void
poll_files(struct daemon *d)
{
	if (d->failed)
		return;
	int rc = follow_poll(d->fol, now_ms(), READ_BUDGET);
	if (rc < 0) {
		database_failed(d);
		return;
	}
	if (rc > 0)
		ev_idle_start(d->loop, &d->more);
	else
		ev_idle_stop(d->loop, &d->more);
	if (follow_pending(d->fol) >= (size_t)d->conf.batch_events)
		commit_now(d);
	else if (follow_dirty(d->fol) && !ev_is_active(&d->commit)) {
		ev_timer_set(&d->commit, (double)d->conf.batch_interval_ms / 1000.0, 0.0);
		ev_timer_start(d->loop, &d->commit);
	}
}

static void
on_stat(struct ev_loop *loop, ev_stat *w, int revents)
{
	(void)loop;
	(void)revents;
	poll_files(w->data);
}

static void
on_journal(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	poll_files(w->data);
}

static void
on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	poll_files(w->data);
}

static void
on_more(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)revents;
	poll_files(w->data);
}

static void
on_commit(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	commit_now(w->data);
}

static void
on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;

	(void)revents;
	if (store_check_file(d->store) < 0) {
		database_gone(d);
		return;
	}
	if (follow_start(d->fol, now_ms(), "the database was failing") < 0 ||
	    follow_commit(d->fol) < 0) {
		follow_stop(d->fol);
		d->metrics.database_errors++;
		return;		/* still failing: the timer repeats */
	}
	d->metrics.database_failing = 0;
	take_notices(d);
	log_info("the database %s takes writes again: ingestion resumed", store_path(d->store));
	d->failed = 0;
	ev_timer_stop(loop, &d->retry);
	start_watchers(d);
	poll_files(d);
}

/* Backfill and retention: one small batch per call, the loop runs in between. */
static void
on_purge(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;

	(void)revents;
	if (d->failed)
		return;
	commit_now(d);
	if (d->failed)
		return;
	/* Flags quiet for flag_quiet are cleared, in a transaction of their own. */
	if (batch_expire_flags(d->batch, (int64_t)time(NULL)) < 0) {
		database_failed(d);
		return;
	}
	take_notices(d);
	/* What an upgrade left to do on old events, a step at a time, before retention. */
	int more = store_backfill_step(d->store);
	if (more < 0) {
		database_failed(d);
		return;
	}
	if (more > 0) {
		w->repeat = PURGE_NEXT_SECONDS;
		ev_timer_again(loop, w);
		return;
	}
	if (d->conf.retention_days == 0 && d->conf.retention_bytes == 0) {
		if (w->repeat != FLAG_EXPIRE_SECONDS) {
			w->repeat = FLAG_EXPIRE_SECONDS;	/* the backfill is over */
			ev_timer_again(loop, w);
		}
		return;
	}
	int days;
	int n = retention_step(d->store, (int64_t)time(NULL), d->conf.retention_days,
	    d->conf.retention_bytes, &days);
	if (n > 0)
		log_debug("retention: %d old events and %d days of peer successes deleted", n - days,
		    days);
	w->repeat = n > 0 ? PURGE_NEXT_SECONDS : PURGE_SECONDS;
	ev_timer_again(loop, w);
}

static void
log_counters(struct daemon *d)
{
	struct follow_totals t;

	follow_totals(d->fol, &t);
	log_info("%llu lines read (%.1f MB), %llu matched a rule, %llu events stored, %llu lines "
	    "about TLS or AUTH no rule knows, %llu lines without a header, %llu lines cut",
	    (unsigned long long)t.lines, (double)t.bytes / 1e6, (unsigned long long)t.matched,
	    (unsigned long long)t.events, (unsigned long long)t.unknown,
	    (unsigned long long)t.no_header, (unsigned long long)t.cut_lines);
	for (int k = 0; k < KIND_COUNT; k++)
		if (t.kind_events[k])
			log_info("  %s: %llu", event_kind_name((enum event_kind)k),
			    (unsigned long long)t.kind_events[k]);
	unsigned long limit = rules_limit_hits(d->rules);
	if (limit > 0)
		log_info("%lu line%s no rule could judge: a pattern gave up at its PCRE2 match limit "
		    "(since the rules were loaded)", limit, limit == 1 ? "" : "s");
	follow_log_sources(d->fol);
	if (d->failed)
		log_info("the database is failing: waiting to retry");
}

/* ---- metrics ---- */

/* What the follower, the batch, the rules and the flagger count now; sources: to free. */
static void
metrics_view_of(struct daemon *d, struct metrics_view *v, struct metrics_source **sources)
{
	memset(v, 0, sizeof(*v));
	*sources = NULL;
	if (d->fol != NULL) {
		follow_totals(d->fol, &v->totals);
		v->nsources = follow_count(d->fol);
		*sources = xcalloc(v->nsources ? v->nsources : 1, sizeof(**sources));
		for (size_t i = 0; i < v->nsources; i++) {
			(*sources)[i].name = follow_name(d->fol, i);
			follow_lag(d->fol, i, now_ms(), &(*sources)[i].lag);
		}
		v->sources = *sources;
	}
	if (d->batch != NULL)
		v->counts = batch_counts(d->batch, &v->ncounts);
	if (d->rules != NULL)
		v->match_limit_hits = rules_limit_hits(d->rules);
	v->flags_active = flag_active_count(d->flags);
}

/* The exposition of this moment (metrics_render_fn, for the endpoint too). */
static void
render_metrics(void *ctx, struct buf *out)
{
	struct daemon *d = ctx;
	struct metrics_view v;
	struct metrics_source *sources;

	metrics_view_of(d, &v, &sources);
	metrics_render(&d->metrics, &v, out);
	free(sources);
}

/* Before a reload replaces the follower, batch and rules: keep what they counted. */
static void
carry_metrics(struct daemon *d)
{
	struct metrics_view v;
	struct metrics_source *sources;

	metrics_view_of(d, &v, &sources);
	metrics_carry(&d->metrics, &v);
	free(sources);
}

/* Write conf.metrics_file; a failure is logged once until it changes or the file is written. */
static void
write_metrics_file(struct daemon *d)
{
	struct buf text;

	if (d->conf.metrics_file == NULL)
		return;
	buf_init(&text);
	render_metrics(d, &text);
	if (metrics_write_file(d->conf.metrics_file, text.data, text.len) < 0) {
		if (errno != d->metrics_errno)
			log_warn("metrics_file %s: cannot write it (trying again every %lld s)",
			    d->conf.metrics_file, (long long)d->conf.metrics_interval);
		d->metrics_errno = errno;
	} else if (d->metrics_errno != 0) {
		log_info("metrics_file %s: written again", d->conf.metrics_file);
		d->metrics_errno = 0;
	}
	buf_free(&text);
}

static void
on_metrics_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	write_metrics_file(w->data);
}

/* Start (or, after a reload, change) the metrics file's timer and the endpoint. */
static void
start_metrics(struct daemon *d)
{
	ev_timer_stop(d->loop, &d->metrics_tick);
	if (d->conf.metrics_file != NULL) {
		double every = (double)d->conf.metrics_interval;
		ev_timer_set(&d->metrics_tick, every, every);
		ev_timer_start(d->loop, &d->metrics_tick);
		write_metrics_file(d);
	}
	const char *listen = d->conf.metrics_listen;
	if (d->http != NULL && listen != NULL && strcmp(listen, d->http_listen) == 0)
		return;		/* unchanged: the connections stay */
	metrics_http_stop(d->http);
	d->http = NULL;
	free(d->http_listen);
	d->http_listen = NULL;
	if (listen == NULL)
		return;
	struct listen_address addr;
	const char *why;
	if (listen_address_parse(listen, &addr, &why) < 0) {
		log_warnx("metrics_listen %s: %s", listen, why);	/* conf_load checked it */
		return;
	}
	d->http = metrics_http_start(d->loop, &addr, render_metrics, d);
	if (d->http != NULL)
		d->http_listen = xstrdup(listen);
}

/* SIGHUP: a new configuration and new rules, or, if either is broken, the old ones. */
static void
reload(struct daemon *d)
{
	struct conf conf;
	struct rules *rules;

	notify_systemd("RELOADING=1");
	if (load_conf(d, &conf) < 0 || (rules = cmd_load_rules(&conf)) == NULL) {
		log_warnx("reload refused: the running configuration and rules stay in use");
		conf_free(&conf);
		notify_systemd("READY=1");
		return;
	}
	if (check_sources(&conf, rules) < 0) {
		log_warnx("reload refused: the running configuration and rules stay in use");
		rules_free(rules);
		conf_free(&conf);
		notify_systemd("READY=1");
		return;
	}
	struct store *store = d->store;
	struct writerlock *lock = d->lock;
	if (size_cap_refused(&conf, d->store)) {
		log_warnx("reload refused: the running configuration and rules stay in use");
		rules_free(rules);
		conf_free(&conf);
		notify_systemd("READY=1");
		return;
	}
	if (strcmp(conf.database, d->conf.database) != 0 ||
	    (store_is_postgresql(conf.database) && !same_string(conf.server, d->conf.server))) {
		if (open_writer(&conf, &lock, &store, "") != EXIT_OK) {
			log_warnx("reload refused: the new database cannot be opened");
			rules_free(rules);
			conf_free(&conf);
			notify_systemd("READY=1");
			return;
		}
	}
	if (store_check_file(d->store) < 0)	/* also while the database was failing */
		database_gone(d);
	else
		commit_now(d);
	if (d->gone) {
		if (store != d->store) {
			store_close(store);
			writerlock_release(lock);
		}
		rules_free(rules);
		conf_free(&conf);
		return;
	}
	stop_watchers(d);
	carry_metrics(d);
	follow_free(d->fol);
	batch_free(d->batch);
	flag_free(d->flags);
	d->flags = NULL;
	action_runner_set_store(d->actions, NULL);
	if (store != d->store) {
		store_close(d->store);
		writerlock_release(d->lock);
	}
	rules_free(d->rules);
	conf_free(&d->conf);
	d->conf = conf;
	d->rules = rules;
	d->store = store;
	d->lock = lock;
	d->flags = flag_new(d->store, &d->conf);	/* NULL (logged): no flagging until fixed */
	record_actions(d);
	d->batch = batch_new(d->store, d->flags);

	struct ingest_options opt;
	fill_options(d, &opt);
	d->fol = follow_new(d->rules, d->batch, &opt, d->conf.sources, d->conf.nsources,
	    d->conf.from_start, settle_ms(&opt));
	d->failed = 0;
	if (follow_start(d->fol, now_ms(), "the configuration was reloaded") < 0 ||
	    follow_commit(d->fol) < 0)
		database_failed(d);
	else
		start_watchers(d);
	start_metrics(d);
	log_info("configuration and rules reloaded: %zu rules, %zu source%s", rules_count(d->rules),
	    follow_count(d->fol), follow_count(d->fol) == 1 ? "" : "s");
	notify_systemd("READY=1");
	poll_files(d);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	(void)revents;
	switch (w->signum) {
	case SIGHUP:
		reload(d);
		break;
	case SIGUSR1:
		log_counters(d);
		break;
	default:
		log_info("signal %d: committing and stopping", w->signum);
		notify_systemd("STOPPING=1");
		/* Actions not started stay due in the record: the next start runs them. */
		action_runner_stop(d->actions);
		poll_files(d);
		commit_now(d);
		if (d->failed)
			d->status = EXIT_TROUBLE;
		ev_break(loop, EVBREAK_ALL);
		break;
	}
}

/* Files by ev_stat (inotify); journals by the descriptor sd-journal gives. */
static void
start_watchers(struct daemon *d)
{
	stop_watchers(d);
	d->nwatch = follow_count(d->fol);
	d->watch = xcalloc(d->nwatch ? d->nwatch : 1, sizeof(*d->watch));
	d->jwatch = xcalloc(d->nwatch ? d->nwatch : 1, sizeof(*d->jwatch));
	for (size_t i = 0; i < d->nwatch; i++) {
		const char *path = follow_path(d->fol, i);
		int fd = follow_journal_fd(d->fol, i);

		if (path != NULL) {
			ev_stat_init(&d->watch[i], on_stat, path, TICK_SECONDS);
			d->watch[i].data = d;
			ev_stat_start(d->loop, &d->watch[i]);
		}
		if (fd >= 0) {
			ev_io_init(&d->jwatch[i], on_journal, fd, EV_READ);
			d->jwatch[i].data = d;
			ev_io_start(d->loop, &d->jwatch[i]);
		}
	}
}

static void
stop_watchers(struct daemon *d)
{
	for (size_t i = 0; i < d->nwatch; i++) {
		ev_stat_stop(d->loop, &d->watch[i]);
		ev_io_stop(d->loop, &d->jwatch[i]);
	}
	free(d->watch);
	free(d->jwatch);
	d->watch = NULL;
	d->jwatch = NULL;
	d->nwatch = 0;
}

/* The database's folder, for the privilege drop to prepare. */
static char *
db_folder(const char *db)
{
	char *dir = xstrdup(db);
	char *slash = strrchr(dir, '/');

	if (slash == NULL) {
		free(dir);
		return NULL;
	}
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

static int
parse_args(struct daemon *d, int argc, char **argv, int *foreground, int *check)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'd' },
		{ "check", no_argument, NULL, 'n' },
		{ "db", required_argument, NULL, 'D' },
		{ "patterns", required_argument, NULL, 'P' },
		{ "local-rules", required_argument, NULL, 'R' },
		{ "timezone", required_argument, NULL, 'T' },
		{ "server", required_argument, NULL, 'S' },
		{ "follow", required_argument, NULL, 'F' },
		{ "mta", required_argument, NULL, 'M' },
		{ "from-start", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:dnh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': d->common.config = optarg; break;
		case 'd': *foreground = 1; break;
		case 'n': *check = 1; break;
		case 'D': d->common.db = optarg; break;
		case 'P': d->common.patterns = optarg; break;
		case 'R': d->common.local_rules = optarg; break;
		case 'T': d->common.timezone = optarg; break;
		case 'S': d->cli_server = optarg; break;
		case 'B': d->cli_from_start = 1; break;
		case 'F':
			if (optarg[0] != '/') {
				char *cwd = getcwd(NULL, 0);
				if (cwd == NULL) {
					log_warn("--follow %s: cannot name it absolutely", optarg);
					return -1;
				}
				char *abs = xasprintf("%s/%s", cwd, optarg);
				free(cwd);
				d->cli_sources = xreallocarray(d->cli_sources, d->ncli + 1,
				    sizeof(*d->cli_sources));
				memset(&d->cli_sources[d->ncli], 0, sizeof(d->cli_sources[0]));
				d->cli_sources[d->ncli++].path = abs;
			} else {
				d->cli_sources = xreallocarray(d->cli_sources, d->ncli + 1,
				    sizeof(*d->cli_sources));
				memset(&d->cli_sources[d->ncli], 0, sizeof(d->cli_sources[0]));
				d->cli_sources[d->ncli++].path = xstrdup(optarg);
			}
			break;
		case 'M':
			if (d->ncli == 0 || d->cli_sources[d->ncli - 1].mta != NULL) {
				log_warnx("--mta %s: give it after the --follow FILE it is for", optarg);
				return -1;
			}
			d->cli_sources[d->ncli - 1].mta = xstrdup(optarg);
			break;
		case 'h': fputs(run_usage, stdout); return 1;
		default: cmd_bad_option("run", "c:dnh", argc, argv); return -1;
		}
	}
	if (optind < argc) {
		log_warnx("run: unexpected argument \"%s\" (files to follow are given with --follow)",
		    argv[optind]);
		return -1;
	}
	return 0;
}

static void
free_daemon(struct daemon *d)
{
	for (size_t i = 0; i < d->ncli; i++) {
		free(d->cli_sources[i].path);
		free(d->cli_sources[i].mta);
	}
	free(d->cli_sources);
	follow_free(d->fol);
	batch_free(d->batch);
	flag_free(d->flags);
	action_runner_free(d->actions);
	metrics_free(&d->metrics);
	free(d->http_listen);
	store_close(d->store);
	writerlock_release(d->lock);
	rules_free(d->rules);
	conf_free(&d->conf);
}

int
cmd_run(int argc, char **argv)
{
	struct daemon d;
	int foreground = 0, check = 0;

	memset(&d, 0, sizeof(d));
	int rc = parse_args(&d, argc, argv, &foreground, &check);
	if (rc != 0) {
		free_daemon(&d);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	if (load_conf(&d, &d.conf) < 0 || (d.rules = cmd_load_rules(&d.conf)) == NULL ||
	    check_sources(&d.conf, d.rules) < 0) {
		free_daemon(&d);
		return EXIT_USAGE;
	}
	if (check) {
		/* Every file must be there and readable by the daemon's user. */
		if (autosource_check_readable(&d.conf, 1) < 0) {
			free_daemon(&d);
			return EXIT_USAGE;
		}
		char *db = store_name(d.conf.database);
		printf("%s: configuration OK: %zu source%s, %zu rules for %zu MTAs, database %s\n",
		    d.conf.path ? d.conf.path : "(no configuration file)", d.conf.nsources,
		    d.conf.nsources == 1 ? "" : "s", rules_count(d.rules), rules_set_count(d.rules),
		    db);
		free(db);
		autosource_print(&d.conf, d.found);
		free_daemon(&d);
		return EXIT_OK;
	}
	/* The database, its -wal and -shm: 0640, readable by the group, by no one else. */
	umask(027);
	if (geteuid() == 0) {
		if (d.conf.user != NULL) {
			/* An SQLite database's folder is made for the user; a URI has none. */
			char *dir = store_is_postgresql(d.conf.database) ? NULL :
			    db_folder(d.conf.database);
			int drop = privdrop(d.conf.user, d.conf.group, dir);
			free(dir);
			if (drop < 0) {
				free_daemon(&d);
				return EXIT_TROUBLE;
			}
		} else {
			log_warnx("running as root: set \"user\" in the configuration to run as an "
			    "unprivileged user");
		}
	}
	/* A file it cannot read is a configuration error, not something to wait for. */
	if (autosource_check_readable(&d.conf, 0) < 0) {
		free_daemon(&d);
		return EXIT_USAGE;
	}
	/*
	 * One daemon per database, decided before anything is read; as the user
	 * the daemon runs as, so that its next start can write the lock file too.
	 */
	if ((rc = open_writer(&d.conf, &d.lock, &d.store,
	    ": not starting a second one, which would store every failure twice")) != EXIT_OK) {
		free_daemon(&d);
		return rc;
	}
	if (!foreground) {
		log_to_syslog(1);
		/* systemd (Type=notify) keeps the process it started; anything else gets a daemon. */
		if (!notify_expected() && daemon(0, 0) < 0) {
			log_warn("cannot go into the background");
			free_daemon(&d);
			return EXIT_TROUBLE;
		}
		/* The lock came along (an flock belongs to the open file); the pid changed. */
		(void)writerlock_set_pid(d.lock);
	}
	signal(SIGPIPE, SIG_IGN);

	d.loop = ev_default_loop(EVFLAG_AUTO);
	if (d.loop == NULL) {
		log_warnx("cannot start the event loop (libev)");
		free_daemon(&d);
		return EXIT_TROUBLE;
	}
	if ((d.flags = flag_new(d.store, &d.conf)) == NULL) {
		free_daemon(&d);
		return EXIT_TROUBLE;
	}
	d.actions = action_runner_new(d.loop, &d.conf);
	record_actions(&d);
	d.batch = batch_new(d.store, d.flags);
	struct ingest_options opt;
	fill_options(&d, &opt);
	d.fol = follow_new(d.rules, d.batch, &opt, d.conf.sources, d.conf.nsources,
	    d.conf.from_start, settle_ms(&opt));

	metrics_init(&d.metrics, (double)time(NULL));
	ev_timer_init(&d.tick, on_tick, TICK_SECONDS, TICK_SECONDS);
	ev_init(&d.metrics_tick, on_metrics_tick);
	d.metrics_tick.data = &d;
	ev_timer_init(&d.commit, on_commit, 0.2, 0.0);
	ev_timer_init(&d.retry, on_retry, RETRY_SECONDS, RETRY_SECONDS);
	ev_timer_init(&d.purge, on_purge, 0.0, FLAG_EXPIRE_SECONDS);
	ev_idle_init(&d.more, on_more);
	d.tick.data = d.commit.data = d.retry.data = d.more.data = d.purge.data = &d;
	ev_signal_init(&d.sig_term, on_signal, SIGTERM);
	ev_signal_init(&d.sig_int, on_signal, SIGINT);
	ev_signal_init(&d.sig_hup, on_signal, SIGHUP);
	ev_signal_init(&d.sig_usr1, on_signal, SIGUSR1);
	d.sig_term.data = d.sig_int.data = d.sig_hup.data = d.sig_usr1.data = &d;
	ev_signal_start(d.loop, &d.sig_term);
	ev_signal_start(d.loop, &d.sig_int);
	ev_signal_start(d.loop, &d.sig_hup);
	ev_signal_start(d.loop, &d.sig_usr1);
	ev_timer_start(d.loop, &d.tick);
	ev_timer_again(d.loop, &d.purge);

	if (follow_start(d.fol, now_ms(), "tlslogd was not running") < 0 ||
	    follow_commit(d.fol) < 0)
		database_failed(&d);
	else
		start_watchers(&d);
	start_metrics(&d);
	log_info("following %zu source%s into %s", follow_count(d.fol),
	    follow_count(d.fol) == 1 ? "" : "s", store_path(d.store));
	notify_systemd("READY=1");
	poll_files(&d);

	if (!d.gone)
		ev_run(d.loop, 0);

	stop_watchers(&d);
	write_metrics_file(&d);		/* the last counts, for the collector */
	ev_timer_stop(d.loop, &d.metrics_tick);
	metrics_http_stop(d.http);
	d.http = NULL;
	action_runner_free(d.actions);	/* its watchers live on the loop */
	d.actions = NULL;
	ev_loop_destroy(d.loop);
	rc = d.status;
	free_daemon(&d);
	return rc;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * action.c: build and start the flag/clear commands, and the daemon's
 * runner of the actions the record holds as due (see action.h); the record's
 * statements, per engine, are actiondb.h's.
 */
#include "config.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "actiondb.h"
#include "log.h"
#include "timeparse.h"
#include "util.h"

/* The value of one placeholder (without its %), or NULL if it is not one. */
static const char *
placeholder(const char *name, size_t len, const struct flag_notice *n, char *tmp, size_t size)
{
#define IS(s) (len == sizeof(s) - 1 && memcmp(name, s, len) == 0)
	int is_domain = strcmp(n->peer_kind, "domain") == 0;

	if (IS("ip"))
		return is_domain ? "" : n->peer;
	if (IS("domain"))
		return is_domain ? n->peer + 1 : "";
	if (IS("peer"))
		return n->peer;
	if (IS("host"))
		return n->host ? n->host : "";
	if (IS("kind"))
		return n->main_kind ? n->main_kind : "";
	if (IS("threshold"))
		return n->threshold;
	if (IS("why"))
		return n->why;
	if (IS("event"))
		return n->raised ? "flagged" : "cleared";
	if (IS("count")) {
		snprintf(tmp, size, "%lld", (long long)n->count);
		return tmp;
	}
	if (IS("first")) {
		timeparse_format_iso(n->first_event, tmp, size);
		return tmp;
	}
	if (IS("last")) {
		timeparse_format_iso(n->last_event, tmp, size);
		return tmp;
	}
	return NULL;
#undef IS
}

/*
 * arg with its placeholders replaced. A value never becomes an option: one
 * that begins the argument (nothing of the template before it) with '-' or
 * '+' (a HELO "-oProxyCommand=...", the domain of ".-evil.com") has that
 * character replaced by '?' (no host name can start with either). Control
 * characters but tab become '?'.
 */
static char *
expand(const char *arg, const struct flag_notice *n)
{
	struct buf out;

	buf_init(&out);
	for (const char *p = arg; *p;) {
		const char *end;
		char tmp[64];
		const char *v;

		if (*p == '%' && (end = strchr(p + 1, '%')) != NULL &&
		    (v = placeholder(p + 1, (size_t)(end - p - 1), n, tmp, sizeof(tmp))) != NULL) {
			if (out.len == 0 && (*v == '-' || *v == '+')) {
				buf_putc(&out, '?');
				v++;
			}
			for (; *v; v++)
				buf_putc(&out, ((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f ?
				    '?' : *v);
			p = end + 1;
		} else {
			buf_putc(&out, *p++);
		}
	}
	buf_putc(&out, '\0');
	return out.data;
}

char **
action_argv(char *const *template, const struct flag_notice *n)
{
	size_t count = 0;

	while (template[count] != NULL)
		count++;
	char **argv = xcalloc(count + 1, sizeof(*argv));
	for (size_t i = 0; i < count; i++)
		argv[i] = i == 0 ? xstrdup(template[0]) : expand(template[i], n);
	return argv;
}

void
action_free_argv(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

pid_t
action_spawn(char *const *argv)
{
	static char *const env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"LC_ALL=C", NULL };
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("cannot start %s", argv[0]);
		return -1;
	}
	if (pid == 0) {
		/* The child: only async-signal-safe calls until execve. */
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			dup2(fd, STDOUT_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		setpgid(0, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		execve(argv[0], argv, env);
		_exit(127);
	}
	setpgid(pid, pid);	/* also from here: no race with a kill of the group */
	return pid;
}

char *const *
action_template(const struct conf *conf, int raised, const char *threshold)
{
	if (!raised)
		return conf->action_clear;
	if (conf->action_regression != NULL && threshold != NULL &&
	    strcmp(threshold, CONF_REGRESSION) == 0)
		return conf->action_regression;
	return conf->action_flag;
}

/* ---- the runner (see action.h) ---- */

#define DUE_BATCH 64		/* due rows looked at per call */
#define CHECK_SECONDS 5.0	/* look for due actions (retries, a restart) this often */
#define RETRY_FIRST 10		/* seconds before the first retry, doubled each time ... */
#define RETRY_MAX 3600		/* ... up to this */
#define LEASE_MARGIN 60		/* a fleet's claim outlasts action_timeout by this (actiondb.h) */

struct action_slot {
	struct action_runner *runner;
	pid_t pid;		/* 0: free */
	int64_t id;		/* its flag_actions row */
	int attempts;		/* starts, this one included */
	char *name;		/* the command, for the log */
	char *peer;		/* escaped, for the log */
	ev_child child;
	ev_timer timeout;
};

struct action_runner {
	struct ev_loop *loop;
	const struct conf *conf;
	struct store *store;
	struct actiondb *db;	/* the record's statements; NULL: not prepared yet */
	struct action_slot slots[ACTION_SLOTS];
	ev_timer check;
	int stopped;
	int read_failed;	/* the last look at the record failed (logged once) */
	int released;		/* the claims of an earlier process were released (once) */
};

static int64_t
wall_now(void)
{
	return (int64_t)time(NULL);
}

static void
finalize_all(struct action_runner *r)
{
	actiondb_close(r->db);
	r->db = NULL;
}

static int64_t
retry_delay(int attempts)
{
	int64_t d = RETRY_FIRST;

	for (int i = 1; i < attempts && d < RETRY_MAX; i++)
		d *= 2;
	return d < RETRY_MAX ? d : RETRY_MAX;
}

static void
slot_free(struct action_slot *a)
{
	free(a->name);
	free(a->peer);
	a->name = a->peer = NULL;
	a->pid = 0;
	a->id = 0;
}

/* The command of slot a ended: done, or failed (how) and tried again later or given up. */
static void
slot_done(struct action_slot *a, const char *how)
{
	struct action_runner *r = a->runner;

	ev_child_stop(r->loop, &a->child);
	ev_timer_stop(r->loop, &a->timeout);
	if (how == NULL) {
		if (r->db != NULL && a->id != 0)
			actiondb_done(r->db, a->id, wall_now());
	} else if (a->attempts >= ACTION_ATTEMPTS) {
		log_warnx("action %s (pid %ld): %s; for %s: given up after %d attempts", a->name,
		    (long)a->pid, how, a->peer, a->attempts);
		if (r->db != NULL && a->id != 0)
			actiondb_give_up(r->db, a->id, wall_now(), how, 1);
	} else {
		int64_t delay = retry_delay(a->attempts);
		log_warnx("action %s (pid %ld): %s; for %s: attempt %d of %d, trying again in %lld s",
		    a->name, (long)a->pid, how, a->peer, a->attempts, ACTION_ATTEMPTS,
		    (long long)delay);
		if (r->db != NULL && a->id != 0)
			actiondb_retry(r->db, a->id, wall_now() + delay);
	}
	slot_free(a);
	action_runner_run_due(r);
}

static void
on_exit_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct action_slot *a = w->data;
	char how[64];

	(void)loop;
	(void)revents;
	if (WIFEXITED(w->rstatus) && WEXITSTATUS(w->rstatus) == 0) {
		slot_done(a, NULL);
		return;
	}
	if (WIFEXITED(w->rstatus))
		snprintf(how, sizeof(how), "failed with exit status %d%s", WEXITSTATUS(w->rstatus),
		    WEXITSTATUS(w->rstatus) == 127 ? " (cannot be run?)" : "");
	else
		snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(w->rstatus));
	slot_done(a, how);
}

static void
on_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct action_slot *a = w->data;

	(void)loop;
	(void)revents;
	log_warnx("action %s (pid %ld): still running after %lld s: killed", a->name,
	    (long)a->pid, (long long)a->runner->conf->action_timeout);
	kill(-a->pid, SIGKILL);
	/* Its exit is reported by the child watcher. */
}

static int
is_running(const struct action_runner *r, int64_t id)
{
	for (size_t i = 0; i < ACTION_SLOTS; i++)
		if (r->slots[i].pid != 0 && r->slots[i].id == id)
			return 1;
	return 0;
}

static struct action_slot *
free_slot(struct action_runner *r)
{
	for (size_t i = 0; i < ACTION_SLOTS; i++)
		if (r->slots[i].pid == 0)
			return &r->slots[i];
	return NULL;
}

/* The peer, made printable and cut, for the log. */
static char *
log_peer(const char *peer)
{
	struct buf b;

	buf_init(&b);
	for (const char *p = peer; *p && b.len < 253; p++)
		buf_putc(&b, (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
	buf_putc(&b, '\0');
	return b.data;
}

/* Start row d's command in slot a; its start is counted even if it cannot start (a failure too). */
static void
start_row(struct action_runner *r, struct action_slot *a, const struct actiondb_row *d,
    char *const *template)
{
	int attempts = d->attempts + 1;

	if (actiondb_start(r->db, d, wall_now() + r->conf->action_timeout + LEASE_MARGIN) <= 0)
		return;	/* another host of the fleet runs it, or it cannot be claimed (logged) */
	char **argv = action_argv(template, &d->n);
	pid_t pid = action_spawn(argv);
	if (pid > 0) {
		a->runner = r;
		a->pid = pid;
		a->id = d->id;
		a->attempts = attempts;
		a->name = xstrdup(argv[0]);
		a->peer = log_peer(d->n.peer);
		ev_child_init(&a->child, on_exit_cb, pid, 0);
		a->child.data = a;
		ev_child_start(r->loop, &a->child);
		ev_timer_init(&a->timeout, on_timeout_cb, (double)r->conf->action_timeout, 0.0);
		a->timeout.data = a;
		ev_timer_start(r->loop, &a->timeout);
	} else if (attempts >= ACTION_ATTEMPTS) {
		actiondb_give_up(r->db, d->id, wall_now(), "cannot be started", 1);
	} else {
		actiondb_retry(r->db, d->id, wall_now() + retry_delay(attempts));
	}
	action_free_argv(argv);
}

/* Whether to start a due row: 1 yes, 0 not yet, -1 given up (logged and recorded). */
static int
consider_row(struct action_runner *r, const struct actiondb_row *d, char *const **template)
{
	const char *why = NULL;

	if (is_running(r, d->id))
		return 0;
	*template = action_template(r->conf, d->raised, d->n.threshold);
	if (!d->raised && d->raise_gave_up)
		why = "its flag's action was given up";
	else if (!d->raised && !d->raise_done)
		return 0;	/* after the flag's action */
	else if (d->raised && d->attempts == 0 && d->flag_cleared)
		why = "the flag cleared before its action could run";
	else if (*template == NULL || (*template)[0] == NULL)
		why = d->raised ? "no action_flag (nor action_regression) is configured now" :
		    "no action_clear is configured now";
	else if (d->attempts >= ACTION_ATTEMPTS)
		why = "started too often (the daemon died while it ran?)";
	if (why == NULL)
		return 1;
	char *peer = log_peer(d->n.peer);
	log_info("%s action for %s (%s) not run: %s", d->raised ? "flag" : "clear", peer,
	    d->n.threshold, why);
	free(peer);
	actiondb_give_up(r->db, d->id, wall_now(), why, d->raised);
	return -1;
}

int
action_runner_run_due(struct action_runner *r)
{
	if (r == NULL || r->store == NULL || r->stopped || free_slot(r) == NULL)
		return 0;
	if (r->db == NULL && (r->db = actiondb_open(r->store)) == NULL)
		return -1;
	if (!r->released) {
		/* Once a process: later, claims of this server are this process's own. */
		actiondb_release_own(r->db, wall_now());
		r->released = 1;
	}
	struct actiondb_row rows[DUE_BATCH];
	int got = actiondb_due(r->db, wall_now(), rows, DUE_BATCH, r->read_failed);
	r->read_failed = got < 0;	/* logged once until it can be read again */
	size_t n = got > 0 ? (size_t)got : 0;
	for (size_t i = 0; i < n; i++) {
		struct action_slot *a = free_slot(r);
		char *const *template;
		if (a != NULL && consider_row(r, &rows[i], &template) > 0)
			start_row(r, a, &rows[i], template);
		actiondb_row_free(&rows[i]);
	}
	return r->read_failed ? -1 : 0;
}

static void
on_check(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	action_runner_run_due(w->data);
}

struct action_runner *
action_runner_new(struct ev_loop *loop, const struct conf *conf)
{
	struct action_runner *r = xcalloc(1, sizeof(*r));

	r->loop = loop;
	r->conf = conf;
	ev_timer_init(&r->check, on_check, 0.0, CHECK_SECONDS);
	r->check.data = r;
	return r;
}

void
action_runner_set_store(struct action_runner *r, struct store *st)
{
	if (r == NULL)
		return;
	finalize_all(r);
	/* Results of commands still running would be written to the wrong record: not written. */
	if (st != r->store)
		for (size_t i = 0; i < ACTION_SLOTS; i++)
			if (r->slots[i].pid != 0)
				r->slots[i].id = 0;
	r->store = st;
	if (st != NULL && !r->stopped)
		ev_timer_again(r->loop, &r->check);
	else
		ev_timer_stop(r->loop, &r->check);
}

void
action_runner_stop(struct action_runner *r)
{
	if (r == NULL)
		return;
	r->stopped = 1;
	ev_timer_stop(r->loop, &r->check);
}

void
action_runner_free(struct action_runner *r)
{
	if (r == NULL)
		return;
	ev_timer_stop(r->loop, &r->check);
	for (size_t i = 0; i < ACTION_SLOTS; i++)
		if (r->slots[i].pid != 0) {
			ev_child_stop(r->loop, &r->slots[i].child);
			ev_timer_stop(r->loop, &r->slots[i].timeout);
			slot_free(&r->slots[i]);
		}
	finalize_all(r);
	free(r);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * action.h: run the administrator's command when a peer is flagged or
 * cleared (tlslogd.conf: action_flag, action_clear; action_regression for a
 * regression flag).
 *
 * The command is an argv template, run with execve: never through a shell.
 * Placeholders (%ip%, %host%, %domain%, %peer%, %kind%, %count%, %threshold%,
 * %why%, %event%) are replaced inside each argument by the value as it is,
 * so a value from the log (a reverse name, an HELO) can only ever be part of
 * one argument: quotes, ";", "$(...)", blanks and newlines arrive verbatim.
 * Control characters other than tab are replaced by '?', so that a value
 * cannot break the lines of a script's own log. A value never becomes an
 * option: one that begins an argument with '-' or '+' (a reverse name or a
 * domain chosen by the peer: "-oProxyCommand=x", ".-evil.com") begins it
 * with '?' instead; a template that wants the value in an option writes the
 * option itself ("--host=%host%").
 *
 * The runner (the daemon's) runs the actions the record holds as due
 * (flag_actions, sql/008-flag-actions.sql; the flagger writes them in the
 * transaction of the flag change): at most ACTION_SLOTS at a time, each
 * killed (its process group) after action_timeout. An action is done when
 * its command exited with status 0, and only then; one that failed, was
 * killed or timed out is tried again after a back-off (10 s, doubling, at
 * most ACTION_ATTEMPTS starts, each failure logged), one the daemon died
 * while running is started again by the next daemon. So an action runs at
 * least once, and may run twice: commands must be idempotent. A clear
 * action waits until its flag's action is done, and is given up with it;
 * a flag action never started whose flag has cleared since is given up
 * with its clear action (a peer is not banned and freed for what it did
 * while no daemon ran).
 *
 * On PostgreSQL the record is a fleet's, and every daemon's runner reads it:
 * a runner starts only the actions it claimed (actiondb.h), so that each
 * runs on one host (ran_by), once per flag.
 */
#ifndef TLSLOGD_ACTION_H
#define TLSLOGD_ACTION_H

#include <sys/types.h>

#include "conf.h"
#include "flag.h"
#include "store.h"

#define ACTION_SLOTS 4		/* commands running at the same time */
#define ACTION_ATTEMPTS 6	/* starts of one action before it is given up */

/* The argv for a notice (NULL-terminated, allocated; free with action_free_argv). */
char **action_argv(char *const *template, const struct flag_notice *n);
void action_free_argv(char **argv);
/*
 * The template of a flag's action (raised) or of its clear action: a flag
 * whose threshold is CONF_REGRESSION runs action_regression when it is
 * configured, else action_flag; a clear runs action_clear. NULL: none.
 */
char *const *action_template(const struct conf *conf, int raised, const char *threshold);
/*
 * Start argv[0] with argv, standard input and output on /dev/null, in its own
 * process group, with a minimal environment. Returns its pid, or -1 (logged).
 */
pid_t action_spawn(char *const *argv);

struct action_runner;
struct ev_loop;

/*
 * A runner on the daemon's loop, for conf's action_flag, action_clear and
 * action_timeout (conf must outlive it; a reload changes it in place). It
 * looks for due actions every few seconds once it has a store.
 */
struct action_runner *action_runner_new(struct ev_loop *loop, const struct conf *conf);
/* Running commands are left to finish on their own; their results are not recorded. */
void action_runner_free(struct action_runner *r);
/* The database of the record (NULL: none, before it is closed). */
void action_runner_set_store(struct action_runner *r, struct store *st);
/*
 * Start the due actions whose time has come, as far as the slots go. Call
 * after a commit that made actions due; the runner's timer calls it too. -1
 * when the record cannot be read (logged once until it can again).
 */
int action_runner_run_due(struct action_runner *r);
/* Start nothing any more (the daemon stops): what is due stays due. */
void action_runner_stop(struct action_runner *r);

#endif

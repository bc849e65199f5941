/*
 * action.h: run the administrator's command when a peer is flagged or
 * cleared (tlslogd.conf: action_flag, action_clear).
 *
 * The command is an argv template, run with execve: never through a shell.
 * Placeholders (%ip%, %host%, %domain%, %peer%, %kind%, %count%, %threshold%,
 * %why%, %event%) are replaced inside each argument by the value as it is,
 * so a value from the log (a reverse name, an HELO) can only ever be part of
 * one argument: quotes, ";", "$(...)", blanks and newlines arrive verbatim.
 * Control characters other than tab are replaced by '?', so that a value
 * cannot break the lines of a script's own log.
 */
#ifndef TLSLOGD_ACTION_H
#define TLSLOGD_ACTION_H

#include <sys/types.h>

#include "flag.h"

/* The argv for a notice (NULL-terminated, allocated; free with action_free_argv). */
char **action_argv(char *const *template, const struct flag_notice *n);
void action_free_argv(char **argv);
/*
 * Start argv[0] with argv, standard input and output on /dev/null, in its own
 * process group, with a minimal environment. Returns its pid, or -1 (logged).
 */
pid_t action_spawn(char *const *argv);

#endif

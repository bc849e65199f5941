/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * action_test.c: the argv of the flag/clear command: every placeholder
 * replaced inside its own argument, values verbatim (no splitting, no
 * quoting needed), control characters made harmless, unknown placeholders
 * and lone percent signs left alone, a value never an option (a leading
 * - or + where it starts an argument becomes ?). A regression flag's command
 * is action_regression when set, else action_flag.
 */
#include "config.h"

#include <string.h>

#include "action.h"
#include "flag.h"
#include "tap.h"

int
main(void)
{
	struct flag_notice n;
	char *const template[] = { "/usr/local/sbin/ban", "--ip=%ip%", "%host%", "%why%",
		"%count%", "%event%", "%domain%", "%nosuch%", "100%", "%kind%:%threshold%", NULL };

	memset(&n, 0, sizeof(n));
	n.raised = 1;
	n.peer = "192.0.2.7";
	n.peer_kind = "ip";
	n.threshold = "guessing";
	n.why = "5 events of auth_failed in 10m";
	n.main_kind = "auth_failed";
	n.host = "x'\"`id`;$(touch pwned) |&\n\x1b[31mred\x7f";
	n.count = 5;

	char **argv = action_argv(template, &n);
	is_str(argv[0], "/usr/local/sbin/ban", "the command itself");
	is_str(argv[1], "--ip=192.0.2.7", "a placeholder inside an argument");
	is_str(argv[2], "x'\"`id`;$(touch pwned) |&??[31mred?", "a hostile value stays one argument; control characters become ?");
	is_str(argv[3], "5 events of auth_failed in 10m", "a value with blanks stays one argument");
	is_str(argv[4], "5", "the count");
	is_str(argv[5], "flagged", "the event");
	is_str(argv[6], "", "no domain for an address");
	is_str(argv[7], "%nosuch%", "an unknown placeholder is left alone");
	is_str(argv[8], "100%", "a lone percent sign is left alone");
	is_str(argv[9], "auth_failed:guessing", "two placeholders in one argument");
	ok(argv[10] == NULL, "argv ends with NULL");
	action_free_argv(argv);

	n.peer = ".example.net";
	n.peer_kind = "domain";
	n.raised = 0;
	char *const t2[] = { "/bin/true", "%ip%", "%domain%", "%peer%", "%event%", NULL };
	argv = action_argv(t2, &n);
	is_str(argv[1], "", "no address for a domain");
	is_str(argv[2], "example.net", "the domain without its dot");
	is_str(argv[3], ".example.net", "the peer as flagged");
	is_str(argv[4], "cleared", "a clear");
	action_free_argv(argv);

	/* A value from the log never becomes an option, wherever it starts an argument. */
	n.peer = ".-evil.com";
	n.peer_kind = "domain";
	n.host = "-oProxyCommand=touch /tmp/pwned";
	n.main_kind = NULL;
	char *const t3[] = { "/bin/true", "%domain%", "%host%", "%kind%%host%", "--host=%host%",
		"-x%host%", "%ip%%domain%", "%peer%", NULL };
	argv = action_argv(t3, &n);
	is_str(argv[1], "?evil.com", "a domain starting with - is no option");
	is_str(argv[2], "?oProxyCommand=touch /tmp/pwned", "a host name starting with - is no option");
	is_str(argv[3], "?oProxyCommand=touch /tmp/pwned", "nor after an empty value");
	is_str(argv[4], "--host=-oProxyCommand=touch /tmp/pwned", "inside the template's own option it stays");
	is_str(argv[5], "-x-oProxyCommand=touch /tmp/pwned", "after the template's text it stays");
	is_str(argv[6], "?evil.com", "after an empty address");
	is_str(argv[7], ".-evil.com", "the peer starts with its dot");
	action_free_argv(argv);
	n.host = "+x";
	char *const t4[] = { "/bin/true", "%host%", NULL };
	argv = action_argv(t4, &n);
	is_str(argv[1], "?x", "nor does a value starting with +");
	action_free_argv(argv);


	/* Which command: a regression flag's own, else action_flag; a clear, action_clear. */
	struct conf conf;
	char *flag[] = { "/f", NULL }, *clear[] = { "/c", NULL }, *regression[] = { "/r", NULL };
	memset(&conf, 0, sizeof(conf));
	conf.action_flag = flag;
	conf.action_clear = clear;
	ok(action_template(&conf, 1, "regression") == flag, "no action_regression: a regression runs action_flag");
	conf.action_regression = regression;
	ok(action_template(&conf, 1, "regression") == regression, "a regression runs action_regression");
	ok(action_template(&conf, 1, "tls") == flag, "a threshold's flag runs action_flag");
	ok(action_template(&conf, 0, "regression") == clear, "a regression's clear runs action_clear");
	ok(action_template(&conf, 1, NULL) == flag, "no threshold: action_flag");
	conf.action_flag = NULL;
	ok(action_template(&conf, 1, "tls") == NULL, "no action_flag: none for a threshold's flag");
	return done_testing();
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * action_test.c: the argv of the flag/clear command: every placeholder
 * replaced inside its own argument, values verbatim (no splitting, no
 * quoting needed), control characters made harmless, unknown placeholders
 * and lone percent signs left alone, a value never an option (a leading
 * - or + where it starts an argument becomes ?). And the domain a reverse name is
 * flagged under.
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

	char buf[300];
	const char *d = flag_domain_of("mail3.Example.NET", buf, sizeof(buf));
	is_str(d ? d : "(null)", ".example.net", "domain of a reverse name, lower case");
	d = flag_domain_of("mx.example.co.uk", buf, sizeof(buf));
	is_str(d ? d : "(null)", ".example.co.uk", "under a country's second level");
	d = flag_domain_of("a.b.example.de", buf, sizeof(buf));
	is_str(d ? d : "(null)", ".example.de", "a country code with a long second level");
	ok(flag_domain_of("unknown", buf, sizeof(buf)) == NULL, "Postfix's unknown is no domain");
	ok(flag_domain_of("192.0.2.7", buf, sizeof(buf)) == NULL, "an address is no domain");
	ok(flag_domain_of("localhost", buf, sizeof(buf)) == NULL, "a single label is no domain");
	ok(flag_domain_of("x;$(id).example.net", buf, sizeof(buf)) == NULL, "odd characters: no domain");
	ok(flag_domain_of("co.uk", buf, sizeof(buf)) == NULL, "a public suffix alone is no domain");
	d = flag_domain_of("mx01.web.de", buf, sizeof(buf));
	is_str(d ? d : "(null)", ".web.de", "a short name under a country code is a domain");
	d = flag_domain_of("example.net.", buf, sizeof(buf));
	is_str(d ? d : "(null)", ".example.net", "a trailing dot");
	return done_testing();
}

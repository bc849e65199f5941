/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * domain_test.c: the registered domain of a reverse name (domain.h), by the
 * Public Suffix List: what flagging and peer_domain use. The cases the old
 * guess (the last two labels, three under a short list of generic second
 * levels) got wrong are here: a second level it did not know ("gv.at"), a
 * wildcard rule ("*.kawasaki.jp"), a provider's private suffix (EC2 hosts,
 * each its own customer's, have no domain of their own to lump together).
 */
#include "config.h"

#include <string.h>

#include "domain.h"
#include "tap.h"

static void
domain_is(const char *host, const char *want, const char *what)
{
	char buf[300];
	const char *d = domain_of(host, buf, sizeof(buf));

	is_str(d ? d : "(null)", want ? want : "(null)", "%s", what);
}

int
main(void)
{
	char small[8];

	domain_is("mail3.Example.NET", ".example.net", "domain of a reverse name, lower case");
	domain_is("mx.example.co.uk", ".example.co.uk", "under a country's second level");
	domain_is("a.b.example.de", ".example.de", "a country code with a long second level");
	domain_is("mail-wm1-f54.google.com", ".google.com", "a provider's fleet: its registered domain");
	domain_is("unknown", NULL, "Postfix's unknown is no domain");
	domain_is("192.0.2.7", NULL, "an address is no domain");
	domain_is("2001:db8::7", NULL, "an IPv6 address is no domain");
	domain_is("[192.0.2.7]", NULL, "a bracketed address is no domain");
	domain_is("localhost", NULL, "a single label is no domain");
	domain_is("x;$(id).example.net", NULL, "odd characters: no domain");
	domain_is("mx..example.net", NULL, "an empty label: no domain");
	domain_is("co.uk", NULL, "a public suffix alone is no domain");
	domain_is("mx01.web.de", ".web.de", "a short name under a country code is a domain");
	domain_is("example.net.", ".example.net", "a trailing dot");
	domain_is("", NULL, "an empty name");
	/* What only the list knows. */
	domain_is("mx1.example.gv.at", ".example.gv.at", "a second level the guess did not know");
	domain_is("mx.city.example.kawasaki.jp", ".city.example.kawasaki.jp",
	    "a wildcard rule (*.kawasaki.jp)");
	domain_is("ec2-198-51-100-7.compute-1.amazonaws.com", NULL,
	    "an EC2 host: a private suffix, no provider-wide domain");
	domain_is("mx.example.com.au", ".example.com.au", "com.au");
	ok(domain_of("mx.example.net", small, sizeof(small)) == NULL, "too long for the buffer: NULL");
	ok(domain_of(NULL, small, sizeof(small)) == NULL, "no host: NULL");
	return done_testing();
}

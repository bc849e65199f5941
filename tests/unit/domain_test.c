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

#include <stdio.h>

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

	/* The cache gives what domain_of gives, for many names that share slots. */
	struct domain_cache *c = domain_cache_new();
	static const char *const names[] = { "mx1.example.gv.at", "co.uk", "Mail.Example.NET",
	    "192.0.2.1", "ec2-198-51-100-7.compute-1.amazonaws.com", "mx01.web.de", "localhost",
	    "mx.example.net.", "mx.example.com.au" };
	int same = 1;
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 2000; i++) {
			char host[64], want[300], got[300];
			if (i < (int)(sizeof(names) / sizeof(names[0])))
				snprintf(host, sizeof(host), "%s", names[i]);
			else
				snprintf(host, sizeof(host), "mx%d.d%d.example%s", i, i % 37,
				    i % 3 ? ".co.uk" : ".net");
			const char *w = domain_of(host, want, sizeof(want));
			const char *g = domain_of_cached(c, host, got, sizeof(got));
			if ((w == NULL) != (g == NULL) || (w != NULL && strcmp(w, g) != 0)) {
				printf("# %s: %s, cached %s\n", host, w ? w : "NULL", g ? g : "NULL");
				same = 0;
			}
		}
	ok(same, "the cache answers as domain_of, hit or miss, over 2000 names three times");
	ok(domain_of_cached(c, "mx.example.net", small, sizeof(small)) == NULL,
	    "a cached answer too long for the buffer: NULL");
	char out[300];
	ok(domain_of_cached(NULL, "mx.example.net", out, sizeof(out)) != NULL,
	    "no cache: domain_of");
	domain_cache_free(c);
	return done_testing();
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cidr_test.c: the one parser and matcher of addresses and networks. An
 * IPv4-mapped IPv6 address is the IPv4 one, in a network and in equality;
 * host bits are cleared; malformed text is refused.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "tap.h"

static int
in(const char *net, const char *ip)
{
	struct cidr n;

	if (cidr_parse(net, 1, &n) < 0)
		return -1;
	return cidr_contains_text(&n, ip);
}

static const char *
canon(const char *net)
{
	static char text[64];
	struct cidr n;
	char a[46];

	if (cidr_parse(net, 1, &n) < 0)
		return "invalid";
	cidr_format(&n, a, sizeof(a));
	snprintf(text, sizeof(text), "%s/%d", a, n.prefix);
	return text;
}

int
main(void)
{
	struct cidr c;

	/* IPv4-mapped IPv6 is the IPv4 address. */
	is_int(in("192.0.2.0/24", "::ffff:192.0.2.77"), 1, "mapped address inside an IPv4 /24");
	is_int(in("192.0.2.0/24", "::FFFF:c000:024d"), 1, "mapped address in hex form too");
	is_int(in("192.0.2.0/24", "::ffff:198.51.100.1"), 0, "mapped address outside");
	is_int(in("192.0.2.77", "::ffff:192.0.2.77"), 1, "a bare IPv4 address equals its mapped form");
	is_int(in("::ffff:192.0.2.0/120", "192.0.2.9"), 1, "a mapped network is the IPv4 one");
	is_str(canon("::ffff:192.0.2.0/120"), "192.0.2.0/24", "mapped /120 is IPv4 /24");
	is_int(cidr_parse("::ffff:192.0.2.0/64", 0, &c), -1, "a mapped network shorter than /96 is refused");
	ok(cidr_parse_addr("::ffff:192.0.2.77", &c) == 0 && c.family == AF_INET, "mapped parses as AF_INET");
	is_int(in("::/0", "::ffff:192.0.2.1"), 0, "an IPv6 network does not hold a mapped IPv4 address");

	/* Plain matching. */
	is_int(in("192.0.2.0/24", "192.0.2.255"), 1, "IPv4 inside");
	is_int(in("192.0.2.0/24", "192.0.3.0"), 0, "IPv4 outside");
	is_int(in("192.0.2.128/25", "192.0.2.127"), 0, "a prefix not on a byte boundary");
	is_int(in("192.0.2.128/25", "192.0.2.200"), 1, "a prefix not on a byte boundary, inside");
	is_int(in("0.0.0.0/0", "203.0.113.5"), 1, "/0 holds every IPv4 address");
	is_int(in("2001:db8::/32", "2001:db8:1::25"), 1, "IPv6 inside");
	is_int(in("2001:db8::/32", "2001:db9::25"), 0, "IPv6 outside");
	is_int(in("2001:db8::/32", "192.0.2.1"), 0, "families differ");
	is_int(in("192.0.2.0/24", "not-an-ip"), 0, "text that is no address is in no network");
	is_str(canon("192.0.2.77/24"), "192.0.2.0/24", "host bits are cleared");
	is_str(canon("2001:DB8::1/32"), "2001:db8::/32", "IPv6 host bits cleared, text canonical");
	is_str(canon("192.0.2.7"), "192.0.2.7/32", "a bare address is a /32");

	/* Malformed. */
	is_int(cidr_parse("192.0.2.0/33", 0, &c), -1, "/33 is refused");
	is_int(cidr_parse("2001:db8::/129", 0, &c), -1, "/129 is refused");
	is_int(cidr_parse("192.0.2.0/", 0, &c), -1, "an empty length is refused");
	is_int(cidr_parse("192.0.2.0/-1", 0, &c), -1, "a negative length is refused");
	is_int(cidr_parse("192.0.2.0/24x", 0, &c), -1, "trailing text is refused");
	is_int(cidr_parse("192.0.2.0", 0, &c), -1, "a bare address when a network is required");
	is_int(cidr_parse("example.net/24", 1, &c), -1, "a name is no network");
	is_int(cidr_parse_addr(NULL, &c), -1, "NULL is no address");
	return done_testing();
}

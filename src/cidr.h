/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cidr.h: IP addresses and networks, parsed and matched in one place (the
 * query's --peer, the configuration's allow list, flagging).
 *
 * An IPv4-mapped IPv6 address (::ffff:192.0.2.77, what a dual-stack server
 * logs for an IPv4 client) is the IPv4 address it maps: it parses as
 * AF_INET, so it is inside 192.0.2.0/24 and equal to 192.0.2.77; a network
 * written in the mapped form (::ffff:192.0.2.0/120) is the IPv4 one (/24).
 * Generic: knows nothing of tlslogd.
 */
#ifndef TLSLOGD_CIDR_H
#define TLSLOGD_CIDR_H

#include <stddef.h>

/* An address (prefix = its full length) or a network with its host bits cleared. */
struct cidr {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* 4 bytes for AF_INET */
	int prefix;			/* 0..32 or 0..128 */
};

/* Parse an address; the mapped form becomes AF_INET. 0, or -1 when s is not one. */
int cidr_parse_addr(const char *s, struct cidr *out);
/*
 * Parse "ADDR/LEN" (with allow_bare, also a bare address: a /32 or /128),
 * clearing the host bits. 0, or -1 when s is not one.
 */
int cidr_parse(const char *s, int allow_bare, struct cidr *out);
/* 1 when addr (an address, as cidr_parse_addr gives) is inside net. */
int cidr_contains(const struct cidr *net, const struct cidr *addr);
/* 1 when the text ip is an address inside net; 0 otherwise (not an address too). */
int cidr_contains_text(const struct cidr *net, const char *ip);
/* The address part as text (inet_ntop), into out of size >= 46. */
void cidr_format(const struct cidr *c, char *out, size_t size);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cidr.c: IP addresses and networks (see cidr.h). inet_pton does the
 * parsing; the mapped IPv6 form is folded to IPv4 here, once.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

static const unsigned char mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int
cidr_parse_addr(const char *s, struct cidr *out)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return -1;
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = AF_INET;
		out->prefix = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->addr) != 1)
		return -1;
	if (memcmp(out->addr, mapped_prefix, sizeof(mapped_prefix)) == 0) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->family = AF_INET;
		out->prefix = 32;
		return 0;
	}
	out->family = AF_INET6;
	out->prefix = 128;
	return 0;
}

static void
clear_host_bits(struct cidr *c)
{
	int bits = c->family == AF_INET ? 32 : 128;

	for (int b = c->prefix; b < bits; b++)
		c->addr[b / 8] &= (unsigned char)~(0x80 >> (b % 8));
}

int
cidr_parse(const char *s, int allow_bare, struct cidr *out)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	char host[64];
	char *end;

	if (slash == NULL)
		return allow_bare ? cidr_parse_addr(s, out) : -1;
	if ((size_t)(slash - s) >= sizeof(host) || slash[1] < '0' || slash[1] > '9')
		return -1;
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	long len = strtol(slash + 1, &end, 10);
	if (*end != '\0' || len < 0)
		return -1;
	int v6_text = strchr(host, ':') != NULL;
	if (cidr_parse_addr(host, out) < 0)
		return -1;
	if (out->family == AF_INET && v6_text) {
		/* ::ffff:192.0.2.0/120 is 192.0.2.0/24; shorter prefixes reach beyond the mapped range. */
		if (len < 96 || len > 128)
			return -1;
		len -= 96;
	}
	if (len > (out->family == AF_INET ? 32 : 128))
		return -1;
	out->prefix = (int)len;
	clear_host_bits(out);
	return 0;
}

int
cidr_contains(const struct cidr *net, const struct cidr *addr)
{
	if (net->family != addr->family)
		return 0;
	int full = net->prefix / 8, rest = net->prefix % 8;
	if (memcmp(net->addr, addr->addr, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (addr->addr[full] & mask);
}

int
cidr_contains_text(const struct cidr *net, const char *ip)
{
	struct cidr a;

	return cidr_parse_addr(ip, &a) == 0 && cidr_contains(net, &a);
}

void
cidr_format(const struct cidr *c, char *out, size_t size)
{
	if (inet_ntop(c->family, c->addr, out, (socklen_t)size) == NULL && size > 0)
		out[0] = '\0';
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listen_address.c: the address a listening socket of tlslogd's is given in
 * tlslogd.conf ("metrics_listen"), parsed once for the configuration check
 * and the daemon (see listen_address.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "listen_address.h"

/* "9500" into *port: 1 to 65535, digits only. */
static int
parse_port(const char *s, unsigned *port)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

int
listen_address_parse(const char *s, struct listen_address *addr, const char **why)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_text;
	unsigned port;

	memset(addr, 0, sizeof(*addr));
	if (strchr(s, ':') == NULL) {
		snprintf(host, sizeof(host), "127.0.0.1");
		port_text = s;
	} else if (s[0] == '[') {
		const char *close = strchr(s, ']');
		size_t n = close != NULL ? (size_t)(close - s - 1) : 0;
		if (close == NULL || close[1] != ':' || n == 0 || n >= sizeof(host)) {
			*why = "an IPv6 address is written [ADDRESS]:PORT";
			return -1;
		}
		memcpy(host, s + 1, n);
		host[n] = '\0';
		port_text = close + 2;
	} else {
		const char *colon = strrchr(s, ':');
		size_t n = (size_t)(colon - s);
		if (strchr(s, ':') != colon) {
			*why = "an IPv6 address is written [ADDRESS]:PORT";
			return -1;
		}
		if (n == 0 || n >= sizeof(host)) {
			*why = "expected PORT, ADDRESS:PORT or [IPV6]:PORT";
			return -1;
		}
		memcpy(host, s, n);
		host[n] = '\0';
		port_text = colon + 1;
	}
	if (parse_port(port_text, &port) < 0) {
		*why = "the port is a number from 1 to 65535";
		return -1;
	}
	struct sockaddr_in *v4 = (struct sockaddr_in *)&addr->sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr->sa;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		addr->len = sizeof(*v4);
		snprintf(addr->text, sizeof(addr->text), "%s:%u", host, port);
	} else if (s[0] == '[' && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		addr->len = sizeof(*v6);
		snprintf(addr->text, sizeof(addr->text), "[%s]:%u", host, port);
	} else {
		*why = "the address is an IPv4 or [IPv6] address, not a name";
		return -1;
	}
	return 0;
}

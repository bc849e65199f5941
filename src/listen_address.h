/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * listen_address.h: "PORT", "ADDRESS:PORT" or "[IPV6]:PORT", the way
 * tlslogd.conf names a socket to listen on. A port alone means the loopback
 * address (127.0.0.1): nothing tlslogd serves is meant for other hosts
 * unless the administrator names an address. Names are refused: what a
 * name resolves to can change under a running daemon.
 */
#ifndef TLSLOGD_LISTEN_ADDRESS_H
#define TLSLOGD_LISTEN_ADDRESS_H

#include <sys/socket.h>

struct listen_address {
	struct sockaddr_storage sa;
	socklen_t len;
	char text[64];		/* as the log says it: 127.0.0.1:9500, [::1]:9500 */
};

/* Parse s into addr: 0, or -1 with why (a short phrase) set. */
int listen_address_parse(const char *s, struct listen_address *addr, const char **why);

#endif

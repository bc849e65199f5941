/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * domain.c: registered domains by the Public Suffix List (see domain.h).
 *
 * libpsl does the matching (its rules, wildcards and exceptions); this file
 * only decides what a host name is, lowers its case (libpsl wants lower-case
 * input) and keeps the one list of the process.
 */
#include "config.h"

#include <arpa/inet.h>
#include <libpsl.h>
#include <pthread.h>
#include <string.h>

#include "domain.h"

#define DOMAIN_MAX 253

/* The process's list: loaded once (pthread_once), never changed after. */
static struct {
	pthread_once_t once;
	const psl_ctx_t *psl;
} list = { PTHREAD_ONCE_INIT, NULL };

static void
load_list(void)
{
	/* The distribution's file when it is newer than the built-in data (libpsl decides). */
	psl_ctx_t *latest = psl_latest(NULL);

	list.psl = latest != NULL ? latest : psl_builtin();
}

static const psl_ctx_t *
the_list(void)
{
	pthread_once(&list.once, load_list);
	return list.psl;
}

static int
is_ip(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

const char *
domain_of(const char *host, char *out, size_t size)
{
	size_t len = host ? strlen(host) : 0;
	char lower[DOMAIN_MAX + 1];

	if (len == 0 || len > DOMAIN_MAX || strcmp(host, "unknown") == 0 || is_ip(host) ||
	    host[0] == '[' || host[0] == '.')
		return NULL;
	if (host[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++) {
		char c = host[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.') || (c == '.' && i > 0 && host[i - 1] == '.'))
			return NULL;
		lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	lower[len] = '\0';
	const psl_ctx_t *psl = the_list();
	const char *reg = psl ? psl_registrable_domain(psl, lower) : NULL;
	if (reg == NULL)
		return NULL;	/* a single label, or a public suffix itself */
	size_t dlen = strlen(reg);
	if (dlen + 2 > size)
		return NULL;
	out[0] = '.';
	memcpy(out + 1, reg, dlen + 1);
	return out;
}

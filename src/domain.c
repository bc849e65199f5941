/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * domain.c: registered domains by the Public Suffix List (see domain.h).
 *
 * libpsl does the matching (its rules, wildcards and exceptions); this file
 * only decides what a host name is, lowers its case (libpsl wants lower-case
 * input) and keeps the one list of the process. The cache is direct-mapped
 * by a hash of the name as it was asked for: a name is compared whole, so a
 * collision only costs a lookup.
 */
#include "config.h"

#include <arpa/inet.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "util.h"

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

/* 4096 slots of 136 bytes: about 560 KB, for the few thousand hosts of a busy day. */
#define CACHE_SLOTS 4096
#define CACHED_MAX 63		/* longer names are looked up each time */

struct cached {
	uint8_t len;		/* of host; 0: an empty slot */
	uint8_t has_domain;
	char host[CACHED_MAX + 1];
	char domain[CACHED_MAX + 2];	/* ".example.net": never longer than its host */
};

struct domain_cache {
	struct cached slot[CACHE_SLOTS];
};

struct domain_cache *
domain_cache_new(void)
{
	return xcalloc(1, sizeof(struct domain_cache));
}

void
domain_cache_free(struct domain_cache *c)
{
	free(c);
}

const char *
domain_of_cached(struct domain_cache *c, const char *host, char *out, size_t size)
{
	size_t len = host ? strlen(host) : 0;

	if (c == NULL || len == 0 || len > CACHED_MAX)
		return domain_of(host, out, size);
	struct cached *e = &c->slot[util_fnv1a(host, len) % CACHE_SLOTS];
	if (e->len != len || memcmp(e->host, host, len) != 0) {
		char dom[CACHED_MAX + 2];
		e->len = (uint8_t)len;
		memcpy(e->host, host, len + 1);
		e->has_domain = domain_of(host, dom, sizeof(dom)) != NULL;
		if (e->has_domain)
			memcpy(e->domain, dom, strlen(dom) + 1);
	}
	if (!e->has_domain)
		return NULL;
	size_t dlen = strlen(e->domain);
	if (dlen + 1 > size)
		return NULL;
	memcpy(out, e->domain, dlen + 1);
	return out;
}

/* ---- the recipient domain ---- */

/* A domain name we dare to store and print: letters, digits, '-', '.', '_', a dot, no "..". */
static int
valid_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > DOMAIN_MAX || s[0] == '.' || s[0] == '-' || strchr(s, '.') == NULL)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_'))
			return 0;
	}
	return strstr(s, "..") == NULL;
}

/* The address starting at s (up to '>', ',', blank or end): its domain into out, or NULL. */
static const char *
address_domain(const char *s, char *out, size_t size)
{
	size_t len = strcspn(s, ">, \t\n");
	const char *at = NULL;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '@')
			at = s + i;
	if (at == NULL || (size_t)(s + len - at - 1) >= size)
		return NULL;
	size_t n = (size_t)(s + len - at - 1);
	for (size_t i = 0; i < n; i++) {
		char c = at[1 + i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	return valid_name(out) ? out : NULL;
}

const char *
domain_of_recipient(const char *raw, char *out, size_t size)
{
	/* Postfix and Sendmail "to=<a@b>", Sendmail "to=a@b"; Exim's delivery and defer markers. */
	static const char *const marks[] = { " to=<", " to=", " == ", " ** ", " => ", NULL };

	for (size_t m = 0; raw != NULL && marks[m] != NULL; m++) {
		const char *p = strstr(raw, marks[m]);
		if (p != NULL && address_domain(p + strlen(marks[m]), out, size) != NULL)
			return out;
	}
	return NULL;
}

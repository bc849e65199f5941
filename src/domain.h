/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * domain.h: the registered domain of a host name, by the Public Suffix List.
 *
 * The list is libpsl's: the system's copy (Debian's publicsuffix package,
 * /usr/share/publicsuffix) when it is newer than the one built into libpsl,
 * otherwise the built-in one; it is loaded once per process, on first use,
 * and read only after that (any thread may ask). Its private section counts:
 * a cloud customer's name under a provider's suffix ("*.compute-1.amazonaws.com")
 * is its own, never the provider's. The domain is what the events store as
 * peer_domain (sql/005, sql/010), what flagging counts a provider's hosts
 * under (flag.h) and what "query --peer .example.net" looks up.
 */
#ifndef TLSLOGD_DOMAIN_H
#define TLSLOGD_DOMAIN_H

#include <stddef.h>

/*
 * The registered domain of host, lower case, with a leading dot
 * ("mail3.Example.co.uk" -> ".example.co.uk"), in out (size bytes), or NULL:
 * no host, "unknown", an address, a name with characters no host name has, a
 * single label, a public suffix itself ("co.uk", an EC2 host under
 * "*.compute-1.amazonaws.com"), or too long for out. A trailing dot is ignored.
 */
const char *domain_of(const char *host, char *out, size_t size);

/*
 * The same answers, remembered: libpsl's lookup costs a few thousand
 * instructions, and the hosts of a log repeat (the same few providers fail
 * again and again), so the one writer and the flagger each keep a small
 * cache of the names they asked about last. A cache belongs to one thread.
 */
struct domain_cache;
struct domain_cache *domain_cache_new(void);
void domain_cache_free(struct domain_cache *c);
const char *domain_of_cached(struct domain_cache *c, const char *host, char *out, size_t size);

/*
 * The recipient domain of the first delivery named in an event's raw lines
 * (Postfix and Sendmail "to=<user@domain>", Sendmail "to=user@domain", Exim
 * "== user@domain", "**", "=>"), lower-cased into out; NULL when none is
 * named or it is not a well-formed domain name (letters, digits, '-', '_',
 * '.', with a dot). Stored as recipient_domain (sql/011); the advice names it.
 */
const char *domain_of_recipient(const char *raw, char *out, size_t size);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * success.c: a success rule's match to a success record (success.h), and the
 * two classifications the census asks about: the protocol of a tls_version
 * text and the family of a cipher name, for the names the MTAs write
 * (OpenSSL's "TLSv1.2" and "ECDHE-RSA-AES256-GCM-SHA384" in Postfix and
 * Sendmail, GnuTLS's "TLS1.3" and "AES_256_GCM" in Exim, Dovecot's bare
 * "TLS"). Both run once per success line, on the matching thread.
 */
#include "config.h"

#include <string.h>

#include "success.h"
#include "util.h"

static int
has(const char *text, size_t len, const char *word)
{
	return util_memmem(text, len, word, strlen(word)) != NULL;
}

enum success_protocol
success_protocol_of(const char *t, size_t len)
{
	/* "TLSv1.2" (OpenSSL), "TLS1.2" (GnuTLS in Exim's X=), "TLSv1" (OpenSSL's 1.0). */
	if (len >= 4 && memcmp(t, "SSLv", 4) == 0)
		return len == 5 && t[4] == '3' ? SP_SSL3 : SP_TLS_OTHER;
	if (len < 3 || memcmp(t, "TLS", 3) != 0)
		return SP_TLS_OTHER;
	size_t i = 3;
	if (i < len && t[i] == 'v')
		i++;
	if (len - i == 1 && t[i] == '1')
		return SP_TLS10;
	if (len - i != 3 || t[i] != '1' || t[i + 1] != '.')
		return SP_TLS_OTHER;
	switch (t[i + 2]) {
	case '0': return SP_TLS10;
	case '1': return SP_TLS11;
	case '2': return SP_TLS12;
	case '3': return SP_TLS13;
	default: return SP_TLS_OTHER;
	}
}

const char *
success_protocol_name(enum success_protocol p)
{
	switch (p) {
	case SP_SSL3: return "SSLv3";
	case SP_TLS10: return "TLSv1";
	case SP_TLS11: return "TLSv1.1";
	case SP_TLS12: return "TLSv1.2";
	case SP_TLS13: return "TLSv1.3";
	case SP_TLS_OTHER: return "TLS";
	default: return NULL;
	}
}

enum success_cipher
success_cipher_of(const char *t, size_t len)
{
	char up[128];

	if (len == 0)
		return SC_NONE;
	if (len > sizeof(up))
		len = sizeof(up);
	for (size_t i = 0; i < len; i++)
		up[i] = t[i] >= 'a' && t[i] <= 'z' ? (char)(t[i] - 'a' + 'A') : t[i];
	if (has(up, len, "GCM") || has(up, len, "CCM") || has(up, len, "CHACHA20") ||
	    has(up, len, "POLY1305"))
		return SC_AEAD;
	if (has(up, len, "RC4") || has(up, len, "ARCFOUR"))
		return SC_RC4;
	if (has(up, len, "3DES") || has(up, len, "DES-CBC3") || has(up, len, "DES_CBC3") ||
	    has(up, len, "DES-EDE3") || has(up, len, "DES_EDE3"))
		return SC_DES3;
	/* OpenSSL names CBC suites without the mode: "ECDHE-RSA-AES128-SHA", "AES256-SHA256". */
	if (has(up, len, "CBC") || has(up, len, "AES") || has(up, len, "CAMELLIA") ||
	    has(up, len, "SEED") || has(up, len, "ARIA") || has(up, len, "IDEA"))
		return SC_CBC;
	return SC_OTHER;
}

/*
 * The common case, an IPv4 address already in canonical form (four numbers
 * of 0-255 without leading zeros): copied without inet_pton's round trip.
 * 0 for anything else, which event_ip_canonical then reads. One test per
 * byte: this runs for nearly every success line.
 */
static int
canonical_ipv4(const char *v, size_t len, char *out)
{
	const unsigned char *p = (const unsigned char *)v, *end = p + len;

	if (len < 7 || len > 15)
		return 0;
	for (int part = 0;; part++) {
		/* A byte's value as a digit: above 9 for anything else. */
		unsigned d = p < end ? (unsigned)*p - '0' : 10;
		if (d > 9)
			return 0;
		unsigned n = d;
		if (++p < end && (d = (unsigned)*p - '0') <= 9) {
			if (n == 0)
				return 0;	/* a leading zero */
			n = n * 10 + d;
			if (++p < end && (d = (unsigned)*p - '0') <= 9) {
				if ((n = n * 10 + d) > 255)
					return 0;
				p++;
			}
		}
		if (part == 3)
			break;
		if (p == end || *p++ != '.')
			return 0;
	}
	if (p != end)
		return 0;
	memcpy(out, v, len);
	out[len] = '\0';
	return 1;
}

/*
 * The canonical form of the address v (vlen bytes) into s->ip: its length,
 * 0 for no address. The last one read is kept (as logged and canonical),
 * and the same text again is copied from it.
 */
static size_t
peer_ip(struct success *s, const char *v, size_t vlen)
{
	if (vlen > 0 && vlen == s->last_ip_text_len && memcmp(v, s->last_ip_text, vlen) == 0) {
		memcpy(s->ip, s->last_ip, s->last_ip_len + 1);
		return s->last_ip_len;
	}
	size_t n = canonical_ipv4(v, vlen, s->ip) ? vlen : event_ip_canonical(v, vlen, s->ip);
	if (n > 0 && vlen < sizeof(s->last_ip_text)) {
		memcpy(s->last_ip_text, v, vlen);
		s->last_ip_text_len = vlen;
		memcpy(s->last_ip, s->ip, n + 1);
		s->last_ip_len = n;
	}
	return n;
}

/* Does the rule's pattern capture tls_version (so that its absence means clear text)? */
static int
says_protocol(const struct rule *r)
{
	for (int g = 1; g < r->ngroups; g++)
		if (r->group_field[g] == EF_TLS_VERSION)
			return 1;
	return 0;
}

int
success_fill(struct success *s, const struct rule_match *m, int64_t time, const char *mta,
    const char *server, size_t server_len)
{
	const struct rule *r = m->rule;
	const char *version = NULL;
	size_t version_len = 0;
	int cipher_seen = 0;

	s->rule = NULL;
	s->time = time;
	s->mta = mta;
	s->direction = r->direction;
	s->counts = r->counts;
	s->protocol = SP_CLEAR;
	s->cipher = SC_NONE;
	s->ip[0] = '\0';
	s->ip_len = 0;
	s->host = NULL;
	s->host_len = 0;
	s->server = server;
	s->server_len = server_len;
	for (int g = 1; g < m->ngroups; g++) {
		if (m->start[g] == SIZE_MAX)
			continue;
		const char *v = m->msg + m->start[g];
		size_t vlen = m->end[g] - m->start[g];
		switch (r->group_field[g]) {
		case EF_PEER_IP:
			if (s->ip_len == 0)
				s->ip_len = peer_ip(s, v, vlen);
			break;
		case EF_PEER_HOST:
			if (s->host == NULL && vlen > 0 && vlen <= 255) {
				s->host = v;
				s->host_len = vlen;
			}
			break;
		case EF_TLS_VERSION:
			if (version == NULL && vlen > 0) {	/* the first set, as for events */
				version = v;
				version_len = vlen;
			}
			break;
		case EF_CIPHER:
			if (cipher_seen++)
				break;
			if (vlen == s->last_cipher_len && vlen > 0 && memcmp(v, s->last_cipher, vlen) == 0) {
				s->cipher = s->last_family;
				break;
			}
			s->cipher = success_cipher_of(v, vlen);
			if (vlen <= sizeof(s->last_cipher)) {
				memcpy(s->last_cipher, v, vlen);
				s->last_cipher_len = vlen;
				s->last_family = s->cipher;
			}
			break;
		default:
			break;
		}
	}
	/* Postfix's "unknown", Exim's absent name: a peer is its address, else its name. */
	if (s->host != NULL && s->host_len == 7 && memcmp(s->host, "unknown", 7) == 0) {
		s->host = NULL;
		s->host_len = 0;
	}
	if (s->ip_len == 0 && s->host == NULL)
		return -1;
	if (version != NULL)
		s->protocol = success_protocol_of(version, version_len);
	else if (!says_protocol(r) && r->counts != COUNTS_SESSION)
		s->protocol = SP_UNSAID;	/* a message or login line that never says */
	else
		s->cipher = SC_NONE;
	s->rule = r;
	return 0;
}

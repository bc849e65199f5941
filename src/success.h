/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * success.h: one log line that says a session, a message or a login went
 * right, as a success rule (role success, tlslogd.rules(5)) read it: the
 * peer, the direction, the time, and the protocol and cipher family when the
 * line names them. Successes are no events: the writer sums them per peer
 * and day (peerdays.h), so that a partner whose mail arrived over TLS every
 * day until Tuesday stands apart from a scanner that never delivered
 * anything, and the census can say who still uses old TLS.
 *
 * A record points into the line it was read from (host, server): it is
 * valid while the line is, which is until the consumer returns.
 */
#ifndef TLSLOGD_SUCCESS_H
#define TLSLOGD_SUCCESS_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "rules.h"

/* The protocol of a success: the columns of peer_days (sql/012-peer-days.sql). */
enum success_protocol {
	SP_CLEAR,	/* no TLS: the rule's tls_version group did not match */
	SP_SSL3,
	SP_TLS10,
	SP_TLS11,
	SP_TLS12,
	SP_TLS13,
	SP_TLS_OTHER,	/* TLS, version not logged or not known (Dovecot's ", TLS") */
	SP_UNSAID,	/* a message or login rule without a tls_version group: its
			   line never says (Postfix's status=sent); neither TLS nor
			   clear text. A session rule without one is clear text. */
	SP_COUNT
};

enum success_cipher {
	SC_NONE,	/* not logged (or clear text) */
	SC_AEAD,	/* AES-GCM, AES-CCM, ChaCha20-Poly1305 */
	SC_CBC,		/* AES, Camellia, SEED, ARIA in CBC mode */
	SC_DES3,
	SC_RC4,
	SC_OTHER,
	SC_COUNT
};

struct success {
	const struct rule *rule;	/* the success rule; NULL: the line is none */
	int64_t time;
	const char *mta;		/* owned by the rules */
	enum event_direction direction;
	enum rule_counts counts;
	enum success_protocol protocol;
	enum success_cipher cipher;
	char ip[EVENT_IP_MAX];	/* canonical address; "" when the line has none */
	size_t ip_len;		/* its length; 0: none */
	const char *host;		/* the peer's name as logged; NULL */
	size_t host_len;
	const char *server;		/* the host that logged it; NULL */
	size_t server_len;
	/* The cipher name read last and its family: most lines name the same one. */
	char last_cipher[64];
	size_t last_cipher_len;
	enum success_cipher last_family;
	/*
	 * The address read last, as logged and canonical (ip): a session's lines
	 * name the same peer one after the other (Postfix's TLS summary, then
	 * client=), and an IPv6 address costs inet_pton and inet_ntop.
	 */
	char last_ip_text[EVENT_IP_MAX];
	size_t last_ip_text_len;	/* 0: none */
	char last_ip[EVENT_IP_MAX];
	size_t last_ip_len;
};

/*
 * Fill s from a success rule's match m of a line (time, mta, server: from the
 * line's header, server may be NULL). 0, or -1 when the line names no peer
 * that can be counted (no valid address and no name): s->rule is then NULL.
 */
int success_fill(struct success *s, const struct rule_match *m, int64_t time, const char *mta,
    const char *server, size_t server_len);

/* The protocol named by a tls_version text ("TLSv1.2", "TLS1.3", "SSLv3", "TLS"). */
enum success_protocol success_protocol_of(const char *text, size_t len);
/* The family of a cipher name (OpenSSL "ECDHE-RSA-AES128-SHA", GnuTLS "AES_256_GCM"). */
enum success_cipher success_cipher_of(const char *text, size_t len);
/* "TLSv1.2", ... as stored in peer_days.last_version; NULL for SP_CLEAR. */
const char *success_protocol_name(enum success_protocol p);

#endif

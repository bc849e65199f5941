/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * event.c: the event record and the vocabulary of tlslogd.rules(5). The kind and
 * field names here are the names stored in the database and printed by every
 * output format, so they are part of the interface: never rename one.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "util.h"

static const char *const kind_names[KIND_COUNT] = {
	[KIND_TLS_NO_SHARED_CIPHER] = "tls_no_shared_cipher",
	[KIND_TLS_PROTOCOL_MISMATCH] = "tls_protocol_mismatch",
	[KIND_TLS_NON_TLS_PEER] = "tls_non_tls_peer",
	[KIND_TLS_LOST_CONNECTION] = "tls_lost_connection",
	[KIND_TLS_TIMEOUT] = "tls_timeout",
	[KIND_TLS_CERT_UNTRUSTED] = "tls_cert_untrusted",
	[KIND_TLS_CERT_EXPIRED] = "tls_cert_expired",
	[KIND_TLS_CERT_HOST_MISMATCH] = "tls_cert_host_mismatch",
	[KIND_TLS_CERT_MISSING] = "tls_cert_missing",
	[KIND_TLS_CERT_REJECTED_BY_PEER] = "tls_cert_rejected_by_peer",
	[KIND_TLS_WEAK_CRYPTO] = "tls_weak_crypto",
	[KIND_TLS_NOT_OFFERED] = "tls_not_offered",
	[KIND_TLS_STARTTLS_REFUSED] = "tls_starttls_refused",
	[KIND_TLS_REQUIRED] = "tls_required",
	[KIND_TLS_DOWNGRADED] = "tls_downgraded",
	[KIND_TLS_LOCAL_ERROR] = "tls_local_error",
	[KIND_TLS_POLICY_FAILURE] = "tls_policy_failure",
	[KIND_TLS_HANDSHAKE_FAILED] = "tls_handshake_failed",
	[KIND_AUTH_FAILED] = "auth_failed",
	[KIND_AUTH_TEMP_FAILURE] = "auth_temp_failure",
	[KIND_AUTH_ABORTED] = "auth_aborted",
	[KIND_AUTH_WITHOUT_TLS] = "auth_without_tls",
	[KIND_AUTH_MECH_UNSUPPORTED] = "auth_mech_unsupported",
};

static const char *const field_names[EF_COUNT] = {
	[EF_SERVER] = "server",
	[EF_PROGRAM] = "program",
	[EF_PEER_HOST] = "peer_host",
	[EF_PEER_IP] = "peer_ip",
	[EF_HELO] = "helo",
	[EF_USER] = "user",
	[EF_MECH] = "mech",
	[EF_REASON] = "reason",
	[EF_TLS_VERSION] = "tls_version",
	[EF_CIPHER] = "cipher",
	[EF_QUEUE_ID] = "queue_id",
	[EF_RAW] = "raw",
};

struct event *
event_new(void)
{
	struct event *ev = xmalloc(sizeof(*ev) + EVENT_INLINE);

	memset(ev, 0, sizeof(*ev));
	ev->pid = -1;
	ev->peer_port = -1;
	ev->offset = -1;
	ev->text = (char *)(ev + 1);
	ev->text_cap = EVENT_INLINE;
	return ev;
}

static int
text_inline(const struct event *ev)
{
	return ev->text == (const char *)(ev + 1);
}

void
event_free(struct event *ev)
{
	if (ev == NULL)
		return;
	if (!text_inline(ev))
		free(ev->text);
	free(ev);
}

/*
 * Room for need more bytes at the end of ev's text, for a new value of field
 * skip (EF_COUNT: none). Replaced values leave their bytes behind; when the
 * room runs out, the live fields but skip move to a new buffer, twice what
 * they and need take, so it stays within twice the largest event. skip keeps
 * pointing to its bytes where they were. Returns the buffer left, for the
 * caller to free once done with a value that may lie in it (NULL: nothing to
 * free; the inline room is never written again once left).
 */
static char *
reserve(struct event *ev, size_t need, int skip)
{
	if (ev->text_cap - ev->text_used >= need)
		return NULL;
	size_t live = 0;
	for (int f = 0; f < EF_COUNT; f++)
		if (f != skip && ev->field[f] != NULL)
			live += ev->field_len[f] + 1;
	size_t cap = 2 * (live + need);
	char *text = xmalloc(cap);
	size_t used = 0;
	for (int f = 0; f < EF_COUNT; f++) {
		if (f == skip || ev->field[f] == NULL)
			continue;
		memcpy(text + used, ev->field[f], ev->field_len[f] + 1);
		ev->field[f] = text + used;
		used += ev->field_len[f] + 1;
	}
	char *old = text_inline(ev) ? NULL : ev->text;
	ev->text = text;
	ev->text_used = used;
	ev->text_cap = cap;
	return old;
}

void
event_set(struct event *ev, enum event_field f, const char *value, size_t len)
{
	size_t max = f == EF_RAW ? EVENT_RAW_MAX : EVENT_FIELD_MAX;

	if (value == NULL) {
		ev->field[f] = NULL;
		ev->field_len[f] = 0;
		return;
	}
	if (len > max)
		len = max;
	char *old = reserve(ev, len + 1, f);
	char *dst = ev->text + ev->text_used;
	/* value may be one of ev's fields: before text_used, in old, or inline. */
	memcpy(dst, value, len);
	dst[len] = '\0';
	ev->text_used += len + 1;
	ev->field[f] = dst;
	ev->field_len[f] = len;
	free(old);
}

void
event_append_raw(struct event *ev, const char *line, size_t len)
{
	size_t old_len = ev->field_len[EF_RAW];

	if (ev->field[EF_RAW] == NULL) {
		event_set(ev, EF_RAW, line, len);
		return;
	}
	if (old_len + 1 >= EVENT_RAW_MAX)
		return;
	if (len > EVENT_RAW_MAX - old_len - 1)
		len = EVENT_RAW_MAX - old_len - 1;
	char *old = NULL;
	char *raw = ev->field[EF_RAW];
	if (raw + old_len + 1 == ev->text + ev->text_used &&
	    ev->text_cap - ev->text_used >= 1 + len) {
		/* The raw text is the last field: it grows where it is. */
		ev->text_used += 1 + len;
	} else {
		/* Otherwise it moves to the end, with room for the line. */
		old = reserve(ev, old_len + 1 + len + 1, EF_RAW);
		const char *from = ev->field[EF_RAW];
		raw = ev->text + ev->text_used;
		memcpy(raw, from, old_len);
		ev->text_used += old_len + 1 + len + 1;
		ev->field[EF_RAW] = raw;
	}
	raw[old_len] = '\n';
	memcpy(raw + old_len + 1, line, len);
	raw[old_len + 1 + len] = '\0';
	ev->field_len[EF_RAW] = old_len + 1 + len;
	free(old);
}

const char *
event_kind_name(enum event_kind kind)
{
	if ((int)kind < 0 || kind >= KIND_COUNT)
		return "unknown";
	return kind_names[kind];
}

int
event_kind_from_name(const char *name, size_t len)
{
	for (int i = 0; i < KIND_COUNT; i++)
		if (strlen(kind_names[i]) == len && memcmp(kind_names[i], name, len) == 0)
			return i;
	return -1;
}

int
event_kind_specificity(enum event_kind kind)
{
	switch (kind) {
	case KIND_TLS_HANDSHAKE_FAILED:
		return 0;
	case KIND_TLS_DOWNGRADED:
		return 1;	/* an outcome, not a cause (event.downgraded keeps it) */
	case KIND_TLS_LOST_CONNECTION:
	case KIND_TLS_TIMEOUT:
		return 2;
	default:
		return 3;
	}
}

const char *
event_direction_name(enum event_direction dir)
{
	return dir == DIR_OUT ? "out" : "in";
}

int
event_direction_from_name(const char *name)
{
	if (strcmp(name, "in") == 0)
		return DIR_IN;
	if (strcmp(name, "out") == 0)
		return DIR_OUT;
	return -1;
}

const char *
event_field_name(enum event_field f)
{
	if ((int)f < 0 || f >= EF_COUNT)
		return "?";
	return field_names[f];
}

int
event_field_from_name(const char *name, size_t len)
{
	for (int i = 0; i < EF_COUNT; i++)
		if (strlen(field_names[i]) == len && memcmp(field_names[i], name, len) == 0)
			return i;
	return -1;
}

/*
 * A link-local IPv6 address with its zone ("fe80::1%eth0"): canonical before
 * the "%", the zone kept. Its length in out, or 0.
 */
static size_t
scoped_v6(const char *ip, char out[EVENT_IP_MAX])
{
	const char *pct = strchr(ip, '%');
	unsigned char addr[16];
	char head[INET6_ADDRSTRLEN];

	if (pct == NULL || (size_t)(pct - ip) >= sizeof(head) || strlen(pct) > 32)
		return 0;
	memcpy(head, ip, (size_t)(pct - ip));
	head[pct - ip] = '\0';
	if (inet_pton(AF_INET6, head, addr) != 1 || inet_ntop(AF_INET6, addr, out, INET6_ADDRSTRLEN) == NULL)
		return 0;
	size_t n = strlen(out);
	memcpy(out + n, pct, strlen(pct) + 1);
	return strlen(out);
}

size_t
event_ip_canonical(const char *ip, size_t len, char out[EVENT_IP_MAX])
{
	unsigned char addr[16];
	char text[INET6_ADDRSTRLEN + 32];

	if (len >= sizeof(text) || memchr(ip, '\0', len) != NULL)
		return 0;	/* too long, or a NUL inside: no address */
	memcpy(text, ip, len);
	text[len] = '\0';
	if (inet_pton(AF_INET, text, addr) == 1) {
		/* inet_ntop's "%u.%u.%u.%u" without printf. */
		size_t n = 0;
		for (int i = 0; i < 4; i++) {
			unsigned v = addr[i];
			if (i > 0)
				out[n++] = '.';
			if (v >= 100)
				out[n++] = (char)('0' + v / 100);
			if (v >= 10)
				out[n++] = (char)('0' + v / 10 % 10);
			out[n++] = (char)('0' + v % 10);
		}
		out[n] = '\0';
		return n;
	}
	if (inet_pton(AF_INET6, text, addr) == 1)
		return inet_ntop(AF_INET6, addr, out, INET6_ADDRSTRLEN) != NULL ? strlen(out) : 0;
	return scoped_v6(text, out);
}

void
event_canonicalize_ip(struct event *ev)
{
	const char *ip = ev->field[EF_PEER_IP];
	char text[EVENT_IP_MAX];

	if (ip == NULL)
		return;
	size_t n = event_ip_canonical(ip, ev->field_len[EF_PEER_IP], text);
	if (n == 0) {
		/*
		 * No address: Postfix's "unknown[unknown]" (the client left before
		 * its address was known) or text made up to look like one. Kept, it
		 * would be flagged and handed to actions as an address.
		 */
		event_set(ev, EF_PEER_IP, NULL, 0);
	} else if (n != ev->field_len[EF_PEER_IP] || memcmp(text, ip, n) != 0) {
		event_set(ev, EF_PEER_IP, text, n);	/* most addresses are already so */
	}
}

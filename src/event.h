/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * event.h: one normalized failure event, the unit that flows from the rules
 * through the correlator into the store, and the shared vocabulary (kinds,
 * directions, field names) of tlslogd.rules(5). An event owns copies of its
 * strings, so it outlives the line buffer it was parsed from.
 */
#ifndef TLSLOGD_EVENT_H
#define TLSLOGD_EVENT_H

#include <stddef.h>
#include <stdint.h>

enum event_kind {
	KIND_TLS_NO_SHARED_CIPHER,
	KIND_TLS_PROTOCOL_MISMATCH,
	KIND_TLS_NON_TLS_PEER,
	KIND_TLS_LOST_CONNECTION,
	KIND_TLS_TIMEOUT,
	KIND_TLS_CERT_UNTRUSTED,
	KIND_TLS_CERT_EXPIRED,
	KIND_TLS_CERT_HOST_MISMATCH,
	KIND_TLS_CERT_MISSING,
	KIND_TLS_CERT_REJECTED_BY_PEER,
	KIND_TLS_WEAK_CRYPTO,
	KIND_TLS_NOT_OFFERED,
	KIND_TLS_STARTTLS_REFUSED,
	KIND_TLS_REQUIRED,
	KIND_TLS_DOWNGRADED,
	KIND_TLS_LOCAL_ERROR,
	KIND_TLS_POLICY_FAILURE,
	KIND_TLS_HANDSHAKE_FAILED,
	KIND_AUTH_FAILED,
	KIND_AUTH_TEMP_FAILURE,
	KIND_AUTH_ABORTED,
	KIND_AUTH_WITHOUT_TLS,
	KIND_AUTH_MECH_UNSUPPORTED,
	KIND_COUNT
};

enum event_direction {
	DIR_IN,
	DIR_OUT,
	DIR_COUNT
};

/* Text fields of an event; names as in tlslogd.rules(5). */
enum event_field {
	EF_SERVER,
	EF_PROGRAM,
	EF_PEER_HOST,
	EF_PEER_IP,
	EF_HELO,
	EF_USER,
	EF_MECH,
	EF_REASON,
	EF_TLS_VERSION,
	EF_CIPHER,
	EF_QUEUE_ID,
	EF_RAW,
	EF_COUNT
};

/* Fields a rule's named groups may set: EF_PEER_HOST .. EF_QUEUE_ID, plus peer_port. */
#define EF_FIRST_CAPTURE EF_PEER_HOST
#define EF_LAST_CAPTURE EF_QUEUE_ID

/* Longest value kept for one captured field; longer values are cut. */
#define EVENT_FIELD_MAX 1024
/* Longest raw text kept for one event (all its lines). */
#define EVENT_RAW_MAX 8192

struct event {
	int64_t time;			/* UTC, seconds since the epoch */
	const char *mta;		/* postfix, exim, ...: owned by the rules, valid while they are loaded */
	enum event_kind kind;
	enum event_direction direction;
	long pid;			/* -1: not logged */
	long peer_port;			/* -1: not logged */
	char *field[EF_COUNT];		/* NULL: not logged */
	size_t field_len[EF_COUNT];	/* values may hold any byte, NUL too */
	int64_t file_id;		/* store's id of the source file, 0: none */
	int64_t offset;			/* byte offset of the line that completed it, -1: none */
	int64_t id;			/* its row in the events table once stored, 0 before */
	int downgraded;			/* TLS failed and the mail went out in clear text; the
				   kind stays the cause where a line names one */
	/*
	 * The fields' bytes, each NUL-terminated, in one buffer the event owns:
	 * first the EVENT_INLINE bytes allocated with the event itself, a larger
	 * buffer when they are outgrown. An event is made on a matching thread
	 * and freed on the storing one; one allocation instead of one per field
	 * keeps the two threads from queueing on the allocator's lock.
	 */
	char *text;
	size_t text_used, text_cap;
};

#define EVENT_INLINE 768

struct event *event_new(void);
void event_free(struct event *ev);
/*
 * Replace field f with a copy of len bytes (cut at EVENT_FIELD_MAX, or
 * EVENT_RAW_MAX for raw). value may be another field of ev. Pointers to ev's
 * fields taken before are no longer valid after event_set or event_append_raw.
 */
void event_set(struct event *ev, enum event_field f, const char *value, size_t len);
/* Append a line to the raw text, separated by a newline. */
void event_append_raw(struct event *ev, const char *line, size_t len);

const char *event_kind_name(enum event_kind kind);
/* Returns the kind, or -1 when the name is not in the vocabulary. */
int event_kind_from_name(const char *name, size_t len);
/* How specific a kind is when several lines of one failure disagree. */
int event_kind_specificity(enum event_kind kind);

const char *event_direction_name(enum event_direction dir);
int event_direction_from_name(const char *name);

const char *event_field_name(enum event_field f);
int event_field_from_name(const char *name, size_t len);

/* Room for a canonical address with a link-local zone ("fe80::1%eth0"). */
#define EVENT_IP_MAX (46 + 32)
/*
 * The canonical text (inet_ntop's) of an address of len bytes, NUL-terminated
 * in out: its length, or 0 when the text is no address.
 */
size_t event_ip_canonical(const char *ip, size_t len, char out[EVENT_IP_MAX]);
/* Rewrite peer_ip in canonical text form (inet_ntop) when it parses as an address. */
void event_canonicalize_ip(struct event *ev);

#endif

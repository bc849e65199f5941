/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * peerdays.c: successes to peer_days rows, exactly once (see peerdays.h).
 *
 * Two structures, both emptied by each commit or rollback:
 *   - the pending successes: one byte vector of entries (numbers, then the
 *     peer, host and server bytes), in the order they were read; a file's
 *     are taken out when its position is recorded, the others stay;
 *   - the rows: an open-addressing table of row indexes, keyed by a hash of
 *     (peer, day, direction, server), over an array of rows whose strings
 *     live in one arena. Counting a success is a hash, a probe or two and a
 *     few additions; writing is one upsert per row at the commit, sixteen
 *     rows to a statement.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "peerdays.h"
#include "util.h"

/* The counters of a row, in the order of the upsert's columns (clear .. logins). */
enum {
	C_CLEAR, C_SSL3, C_TLS10, C_TLS11, C_TLS12, C_TLS13, C_TLS_OTHER,
	C_AEAD, C_CBC, C_DES3, C_RC4, C_CIPHER_OTHER,
	C_MESSAGES, C_LOGINS,
	C_COUNT
};
_Static_assert((int)C_COUNT == (int)STORE_PD_COUNT && (int)C_LOGINS == (int)STORE_PD_LOGINS &&
    (int)C_AEAD == (int)STORE_PD_AEAD, "a row's counters are in the store's order");

/* A success waiting for its file's position (its strings follow it in the vector). */
struct pending {
	int64_t file_id;
	int64_t offset;
	int64_t time;
	const char *mta;
	uint8_t direction, counts, protocol, cipher;
	uint16_t peer_len, host_len, server_len;
	uint32_t size;		/* of the entry with its strings, a multiple of 8 */
};

struct row {
	uint64_t hash;
	int64_t day;
	int direction;
	const char *mta;
	size_t peer, peer_len;		/* offsets in the arena */
	size_t server, server_len;
	size_t host, host_len;		/* host_len 0: none */
	int64_t first_time, last_time;
	int64_t last_tls_time;
	int last_protocol;		/* of the last TLS success, -1: none */
	uint32_t n[C_COUNT];
};

struct peerdays {
	struct store *store;
	unsigned char *pending;		/* entries */
	size_t pending_used, pending_cap, npending;
	struct row *rows;
	size_t nrows, rows_cap;
	uint32_t *slots;		/* row index + 1, 0: free */
	size_t nslots;			/* a power of two, at least twice nrows */
	char *arena;
	size_t arena_used, arena_cap;
};

struct peerdays *
peerdays_new(struct store *st)
{
	struct peerdays *pd = xcalloc(1, sizeof(*pd));

	pd->store = st;
	return pd;
}

void
peerdays_free(struct peerdays *pd)
{
	if (pd == NULL)
		return;
	free(pd->pending);
	free(pd->rows);
	free(pd->slots);
	free(pd->arena);
	free(pd);
}

static size_t
arena_put(struct peerdays *pd, const char *s, size_t len)
{
	if (pd->arena_used + len > pd->arena_cap) {
		size_t cap = pd->arena_cap ? pd->arena_cap : 4096;
		while (cap < pd->arena_used + len)
			cap *= 2;
		pd->arena = xrealloc(pd->arena, cap);
		pd->arena_cap = cap;
	}
	size_t at = pd->arena_used;
	memcpy(pd->arena + at, s, len);
	pd->arena_used += len;
	return at;
}

static void
grow_slots(struct peerdays *pd)
{
	size_t n = pd->nslots ? pd->nslots * 2 : 1024;

	free(pd->slots);
	pd->slots = xcalloc(n, sizeof(*pd->slots));
	pd->nslots = n;
	for (size_t i = 0; i < pd->nrows; i++) {
		size_t j = (size_t)pd->rows[i].hash & (n - 1);
		while (pd->slots[j] != 0)
			j = (j + 1) & (n - 1);
		pd->slots[j] = (uint32_t)(i + 1);
	}
}

#define HASH_MUL 0x9e3779b97f4a7c15ULL

/*
 * h mixed with len bytes at s, eight at a time: FNV-1a's loop of a multiply
 * per byte was a third of the cost of counting a success. Never stored: the
 * rows' table only.
 */
static uint64_t
hash_bytes(uint64_t h, const char *s, size_t len)
{
	uint64_t w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * HASH_MUL;
		h ^= h >> 29;
	}
	/* The last 0-7 bytes as one word, under their count. */
	w = (uint64_t)len << 56;
	if (len & 4) {
		uint32_t x;
		memcpy(&x, s, 4);
		w |= x;
		s += 4;
	}
	if (len & 2) {
		uint16_t x;
		memcpy(&x, s, 2);
		w ^= (uint64_t)x << 32;
		s += 2;
	}
	if (len & 1)
		w ^= (uint64_t)(unsigned char)*s << 48;
	h = (h ^ w) * HASH_MUL;
	return h ^ h >> 29;
}

/* The row of (peer, day, direction, server), made when new. */
static struct row *
row_of(struct peerdays *pd, const char *peer, size_t peer_len, int64_t day, int direction,
    const char *server, size_t server_len, const char *mta)
{
	uint64_t h = hash_bytes((uint64_t)day << 1 | (uint64_t)direction, peer, peer_len);
	h = hash_bytes(h, server, server_len);
	h ^= h >> 32;		/* the table takes the low bits */

	if (2 * (pd->nrows + 1) > pd->nslots)
		grow_slots(pd);
	size_t j = (size_t)h & (pd->nslots - 1);
	for (; pd->slots[j] != 0; j = (j + 1) & (pd->nslots - 1)) {
		struct row *r = &pd->rows[pd->slots[j] - 1];
		if (r->hash == h && r->day == day && r->direction == direction &&
		    r->peer_len == peer_len && r->server_len == server_len &&
		    memcmp(pd->arena + r->peer, peer, peer_len) == 0 &&
		    memcmp(pd->arena + r->server, server, server_len) == 0)
			return r;
	}
	if (pd->nrows == pd->rows_cap) {
		pd->rows_cap = pd->rows_cap ? 2 * pd->rows_cap : 256;
		pd->rows = xreallocarray(pd->rows, pd->rows_cap, sizeof(*pd->rows));
	}
	struct row *r = &pd->rows[pd->nrows];
	memset(r, 0, sizeof(*r));
	r->hash = h;
	r->day = day;
	r->direction = direction;
	r->mta = mta;
	r->peer = arena_put(pd, peer, peer_len);
	r->peer_len = peer_len;
	r->server = arena_put(pd, server, server_len);
	r->server_len = server_len;
	r->first_time = INT64_MAX;
	r->last_time = INT64_MIN;
	r->last_tls_time = INT64_MIN;
	r->last_protocol = -1;
	pd->slots[j] = (uint32_t)(++pd->nrows);
	return r;
}

/* Count one success (e: its numbers; its strings beside). */
static void
count(struct peerdays *pd, const struct pending *e, const char *peer, const char *host,
    const char *server)
{
	int64_t day = e->time >= 0 ? e->time / 86400 : (e->time - 86399) / 86400;
	struct row *r = row_of(pd, peer, e->peer_len, day, e->direction, server, e->server_len,
	    e->mta);

	if (e->time < r->first_time)
		r->first_time = e->time;
	if (e->time >= r->last_time) {
		r->last_time = e->time;
		if (e->host_len > 0 && (e->host_len != r->host_len ||
		    memcmp(pd->arena + r->host, host, e->host_len) != 0)) {
			r->host = arena_put(pd, host, e->host_len);
			r->host_len = e->host_len;
		}
	}
	static const int protocol_counter[SP_COUNT] = {
		[SP_CLEAR] = C_CLEAR, [SP_SSL3] = C_SSL3, [SP_TLS10] = C_TLS10, [SP_TLS11] = C_TLS11,
		[SP_TLS12] = C_TLS12, [SP_TLS13] = C_TLS13, [SP_TLS_OTHER] = C_TLS_OTHER,
		[SP_UNSAID] = -1
	};
	static const int cipher_counter[SC_COUNT] = {
		[SC_NONE] = -1, [SC_AEAD] = C_AEAD, [SC_CBC] = C_CBC, [SC_DES3] = C_DES3,
		[SC_RC4] = C_RC4, [SC_OTHER] = C_CIPHER_OTHER
	};
	if (protocol_counter[e->protocol] >= 0)
		r->n[protocol_counter[e->protocol]]++;
	if (cipher_counter[e->cipher] >= 0)
		r->n[cipher_counter[e->cipher]]++;
	if (e->protocol != SP_CLEAR && e->protocol != SP_UNSAID && e->time >= r->last_tls_time) {
		r->last_tls_time = e->time;
		r->last_protocol = e->protocol;
	}
	if (e->counts == COUNTS_MESSAGE)
		r->n[C_MESSAGES]++;
	else if (e->counts == COUNTS_LOGIN)
		r->n[C_LOGINS]++;
}

/* The length of the peer of s: its address, else its name (success_fill keeps 255 bytes). */
static size_t
peer_len_of(const struct success *s)
{
	if (s->ip_len > 0)
		return s->ip_len;
	return s->host_len < 256 ? s->host_len : 255;
}

/*
 * Write the peer of s (its peer_len_of bytes) at buf: its address, else its
 * name in lower case (names differ in case between MTAs).
 */
static void
peer_put(const struct success *s, char *buf, size_t len)
{
	if (s->ip_len > 0) {
		memcpy(buf, s->ip, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s->host[i];
		buf[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
}

void
peerdays_add(struct peerdays *pd, int64_t file_id, int64_t offset, const struct success *s)
{
	size_t peer_len = peer_len_of(s);
	size_t host_len = s->host_len, server_len = s->server != NULL ? s->server_len : 0;
	const char *server = s->server != NULL ? s->server : "";

	if (server_len > 255)
		server_len = 255;
	struct pending e = {
		.file_id = file_id, .offset = offset, .time = s->time, .mta = s->mta,
		.direction = (uint8_t)s->direction, .counts = (uint8_t)s->counts,
		.protocol = (uint8_t)s->protocol, .cipher = (uint8_t)s->cipher,
		.peer_len = (uint16_t)peer_len, .host_len = (uint16_t)host_len,
		.server_len = (uint16_t)server_len
	};
	if (file_id == 0) {
		char peer[256];
		peer_put(s, peer, peer_len);
		count(pd, &e, peer, s->host, server);	/* a stream is read once */
		return;
	}
	size_t size = (sizeof(e) + peer_len + host_len + server_len + 7) & ~(size_t)7;
	e.size = (uint32_t)size;
	if (pd->pending_used + size > pd->pending_cap) {
		size_t cap = pd->pending_cap ? pd->pending_cap : 64 * 1024;
		while (cap < pd->pending_used + size)
			cap *= 2;
		pd->pending = xrealloc(pd->pending, cap);
		pd->pending_cap = cap;
	}
	unsigned char *p = pd->pending + pd->pending_used;
	memcpy(p, &e, sizeof(e));
	peer_put(s, (char *)p + sizeof(e), peer_len);
	if (host_len > 0)
		memcpy(p + sizeof(e) + peer_len, s->host, host_len);
	memcpy(p + sizeof(e) + peer_len + host_len, server, server_len);
	pd->pending_used += size;
	pd->npending++;
}

void
peerdays_count_file(struct peerdays *pd, int64_t file_id, int64_t counted)
{
	size_t kept = 0, nkept = 0;
	int64_t next = counted;	/* the first offset not counted yet */

	for (size_t at = 0; at < pd->pending_used;) {
		struct pending e;
		memcpy(&e, pd->pending + at, sizeof(e));
		const char *peer = (const char *)pd->pending + at + sizeof(e);
		if (e.file_id != file_id) {
			/* Another file's: it waits for its own position. */
			if (kept != at)
				memmove(pd->pending + kept, pd->pending + at, e.size);
			kept += e.size;
			nkept++;
		} else if (e.offset >= next) {
			/* Counted before (a line read again) when it is before what was counted. */
			count(pd, &e, peer, peer + e.peer_len, peer + e.peer_len + e.host_len);
			next = e.offset + 1;
		}
		at += e.size;
	}
	pd->pending_used = kept;
	pd->npending = nkept;
}

size_t
peerdays_pending(const struct peerdays *pd)
{
	return pd->npending;
}

size_t
peerdays_rows(const struct peerdays *pd)
{
	return pd->nrows;
}

void
peerdays_each_row(const struct peerdays *pd, peerdays_row_fn fn, void *ctx)
{
	for (size_t i = 0; i < pd->nrows; i++)
		fn(ctx, pd->arena + pd->rows[i].peer, pd->rows[i].peer_len, pd->rows[i].first_time);
}

/* Row r as the store takes it (its strings stay in the arena). */
static void
row_out(const struct peerdays *pd, const struct row *r, struct store_peer_day *out)
{
	out->peer = pd->arena + r->peer;
	out->peer_len = r->peer_len;
	out->day = r->day;
	out->direction = (enum event_direction)r->direction;
	out->server = pd->arena + r->server;
	out->server_len = r->server_len;
	out->mta = r->mta != NULL ? r->mta : "";
	out->host = r->host_len > 0 ? pd->arena + r->host : NULL;
	out->host_len = r->host_len;
	out->first_time = r->first_time;
	out->last_time = r->last_time;
	out->last_version = r->last_protocol >= 0 ?
	    success_protocol_name((enum success_protocol)r->last_protocol) : NULL;
	for (int c = 0; c < C_COUNT; c++)
		out->n[c] = r->n[c];
}

/* Two rows in the order of peer_days' key: (peer, day, direction, server). */
static int
compare_rows(const void *a, const void *b)
{
	const struct store_peer_day *x = a, *y = b;
	size_t n = x->peer_len < y->peer_len ? x->peer_len : y->peer_len;
	int c = memcmp(x->peer, y->peer, n);

	if (c != 0 || x->peer_len != y->peer_len)
		return c != 0 ? c : (x->peer_len < y->peer_len ? -1 : 1);
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->direction != y->direction)
		return x->direction < y->direction ? -1 : 1;
	n = x->server_len < y->server_len ? x->server_len : y->server_len;
	c = memcmp(x->server, y->server, n);
	if (c != 0 || x->server_len == y->server_len)
		return c;
	return x->server_len < y->server_len ? -1 : 1;
}

/*
 * Written in the order of the table's key: on a database that a fleet's
 * writers share, two transactions that add to the same rows then lock them
 * in the same order, and never wait on each other in a cycle (a deadlock,
 * which PostgreSQL breaks by failing one of them).
 */
int
peerdays_write(struct peerdays *pd)
{
	if (pd->nrows == 0)
		return 0;
	struct store_peer_day *out = xreallocarray(NULL, pd->nrows, sizeof(*out));
	for (size_t i = 0; i < pd->nrows; i++)
		row_out(pd, &pd->rows[i], &out[i]);
	qsort(out, pd->nrows, sizeof(*out), compare_rows);
	int rc = store_add_peer_days(pd->store, out, pd->nrows);
	free(out);
	return rc;
}

/* The rows were written and committed, or are to be forgotten: empty them. */
static void
clear_rows(struct peerdays *pd)
{
	if (pd->nrows > 0)
		memset(pd->slots, 0, pd->nslots * sizeof(*pd->slots));
	pd->nrows = 0;
	pd->arena_used = 0;
}

void
peerdays_committed(struct peerdays *pd)
{
	clear_rows(pd);
}

void
peerdays_forget(struct peerdays *pd)
{
	clear_rows(pd);
	pd->pending_used = 0;
	pd->npending = 0;
}

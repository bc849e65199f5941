/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * correlate.c: join the lines of one failure into one event (see correlate.h).
 *
 * The open entries live in a bounded array, so that a flood of
 * half-finished sessions cannot grow memory without limit; when it is full,
 * the entry idle longest is finished early. They are found by their process
 * through a hash table: the matcher asks about every session end of the log
 * (correlate_has_process), and a flood of open failures must not make each of
 * those a walk over thousands of entries (it made a scan 6 times slower).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "correlate.h"
#include "util.h"

#define SEEN_MAX 8
#define RECENT_MAX 64	/* delivery status lines remembered to drop per-recipient repeats */
#define SESSION_MAX 256	/* inbound sessions remembered for their tally line */
/*
 * Alone events remembered for summary lines: (process, kind, peer) of the
 * last ones. A summary line comes within one SMTP session of the failures it
 * sums up, but Sendmail sleeps between the AUTH commands of an attack, so the
 * window is a session's length, not the linger.
 */
#define EMITTED_MAX 4096
#define SUMMARY_WINDOW 3600

struct entry {
	struct event *ev;
	uint64_t key;		/* process_key of its process */
	uint32_t next;		/* the next entry of its bucket, + 1; 0: none */
	const struct rule *seen[SEEN_MAX];	/* part rules already joined */
	size_t nseen;
	int64_t first_offset;
	int64_t last_time;
	int64_t seen_ms;	/* caller's clock when a line last joined (the daemon's idle check) */
	int real;	/* a part, detail or end line joined: not only hints */
};

/* An alone line of a delivery, already emitted: (process, rule, queue id, peer) hashed. */
struct recent {
	uint64_t hash;
	int64_t time;
};

/* An inbound session (process and peer) with a matched line, until its end is read. */
struct session_mark {
	uint64_t hash;		/* session_hash(); 0: free */
	uint64_t proc;		/* its process alone: proc_hash() */
	unsigned pidkey;	/* process_key() & 1023 */
	int64_t time;
};

struct correlator {
	struct recent recent[RECENT_MAX];
	size_t recent_next;
	struct session_mark session[SESSION_MAX];	/* inbound sessions with a line matched */
	size_t session_next;
	size_t nsession;	/* marks in use */
	uint16_t session_pids[1024];	/* marks in use by process_key() & 1023 */
	struct recent emitted[EMITTED_MAX];	/* alone events, for summary lines */
	size_t emitted_next;
	struct entry *entries;
	size_t n;
	size_t max_open;
	uint32_t *buckets;	/* the first entry of each, + 1; 0: empty */
	size_t mask;		/* buckets - 1 (a power of two, at least twice max_open) */
	int64_t linger;
	int64_t now_ms;
	correlate_emit_fn emit;
	void *ctx;
};

struct correlator *
correlate_new(correlate_emit_fn emit, void *ctx, int64_t linger, size_t max_open)
{
	struct correlator *c = xcalloc(1, sizeof(*c));

	c->emit = emit;
	c->ctx = ctx;
	c->linger = linger;
	c->max_open = max_open ? max_open : 1;
	if (c->max_open > UINT32_MAX / 4)
		c->max_open = UINT32_MAX / 4;
	c->entries = xcalloc(c->max_open, sizeof(*c->entries));
	size_t nbuckets = 16;
	while (nbuckets < 2 * c->max_open)
		nbuckets *= 2;
	c->buckets = xcalloc(nbuckets, sizeof(*c->buckets));
	c->mask = nbuckets - 1;
	return c;
}

void
correlate_free(struct correlator *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		event_free(c->entries[i].ev);
	free(c->entries);
	free(c->buckets);
	free(c);
}

static int
same_field(const struct event *a, const struct event *b, enum event_field f)
{
	if (a->field[f] == NULL || b->field[f] == NULL)
		return a->field[f] == b->field[f];
	return a->field_len[f] == b->field_len[f] &&
	    memcmp(a->field[f], b->field[f], a->field_len[f]) == 0;
}

static int
same_process(const struct event *a, const struct event *b)
{
	return a->mta == b->mta && a->pid == b->pid && same_field(a, b, EF_SERVER) &&
	    same_field(a, b, EF_PROGRAM);
}

static int
has_peer(const struct event *ev)
{
	return ev->field[EF_PEER_IP] != NULL || ev->field[EF_PEER_HOST] != NULL;
}

/* Both name a peer, and not the same one. */
static int
other_peer(const struct event *a, const struct event *b)
{
	if (!has_peer(a) || !has_peer(b))
		return 0;
	if (a->field[EF_PEER_IP] != NULL && b->field[EF_PEER_IP] != NULL)
		return !same_field(a, b, EF_PEER_IP);
	if (a->field[EF_PEER_HOST] != NULL && b->field[EF_PEER_HOST] != NULL)
		return !same_field(a, b, EF_PEER_HOST);
	return 0;
}

/* Both carry a queue id (Exim's message id, Postfix's queue id), and not the same one. */
static int
other_queue_id(const struct event *a, const struct event *b)
{
	return a->field[EF_QUEUE_ID] != NULL && b->field[EF_QUEUE_ID] != NULL &&
	    !same_field(a, b, EF_QUEUE_ID);
}

/*
 * The bucket key of a process: its MTA (the set's name: one pointer each)
 * and pid. The server and program, which same_process() compares too, are
 * left out: they rarely tell apart processes of the same pid, and hashing
 * their bytes on every session end cost more than the walk it saves.
 */
static uint64_t
process_key(const char *mta, long pid)
{
	uint64_t h = (uint64_t)(uintptr_t)mta * UINT64_C(0x9e3779b97f4a7c15);
	return (h ^ (uint64_t)pid) * UINT64_C(0xff51afd7ed558ccd) >> 20;
}

static uint64_t
event_key(const struct event *ev)
{
	return process_key(ev->mta, ev->pid);
}

static void
link_entry(struct correlator *c, size_t i)
{
	uint32_t *head = &c->buckets[c->entries[i].key & c->mask];

	c->entries[i].next = *head;
	*head = (uint32_t)i + 1;
}

static void
unlink_entry(struct correlator *c, size_t i)
{
	uint32_t *p = &c->buckets[c->entries[i].key & c->mask];

	while (*p != (uint32_t)i + 1)
		p = &c->entries[*p - 1].next;
	*p = c->entries[i].next;
}

/* Emit entry i, or drop it when only hint lines made it. */
static void
finish(struct correlator *c, size_t i)
{
	struct event *ev = c->entries[i].ev;
	int real = c->entries[i].real;

	unlink_entry(c, i);
	if (i != c->n - 1) {
		/* The last entry takes its place. */
		unlink_entry(c, c->n - 1);
		c->entries[i] = c->entries[c->n - 1];
		link_entry(c, i);
	}
	c->n--;
	memset(&c->entries[c->n], 0, sizeof(c->entries[c->n]));
	if (real)
		c->emit(c->ctx, ev);
	else
		event_free(ev);
}

static void
merge(struct entry *e, struct event *ev)
{
	struct event *into = e->ev;

	if (event_kind_specificity(ev->kind) > event_kind_specificity(into->kind)) {
		into->kind = ev->kind;
		if (ev->field[EF_REASON] != NULL)
			event_set(into, EF_REASON, ev->field[EF_REASON], ev->field_len[EF_REASON]);
	}
	for (int f = 0; f < EF_COUNT; f++) {
		if (f == EF_RAW || into->field[f] != NULL || ev->field[f] == NULL)
			continue;
		event_set(into, (enum event_field)f, ev->field[f], ev->field_len[f]);
	}
	if (into->peer_port < 0)
		into->peer_port = ev->peer_port;
	into->downgraded |= ev->downgraded;
	if (ev->field[EF_RAW] != NULL)
		event_append_raw(into, ev->field[EF_RAW], ev->field_len[EF_RAW]);
	if (ev->offset > into->offset)
		into->offset = ev->offset;
	if (ev->file_id != 0)
		into->file_id = ev->file_id;
	if (ev->time > e->last_time)
		e->last_time = ev->time;
	event_free(ev);
}

static int
seen(const struct entry *e, const struct rule *r)
{
	for (size_t i = 0; i < e->nseen; i++)
		if (e->seen[i] == r)
			return 1;
	return 0;
}

static void
open_entry(struct correlator *c, struct event *ev, const struct rule *rule)
{
	if (c->n == c->max_open) {
		size_t oldest = 0;
		for (size_t i = 1; i < c->n; i++)
			if (c->entries[i].last_time < c->entries[oldest].last_time)
				oldest = i;
		finish(c, oldest);
	}
	struct entry *e = &c->entries[c->n++];
	memset(e, 0, sizeof(*e));
	e->ev = ev;
	e->key = event_key(ev);
	link_entry(c, c->n - 1);
	e->first_offset = ev->offset;
	e->last_time = ev->time;
	e->seen_ms = c->now_ms;
	e->real = rule->role != ROLE_HINT;
	if (rule->role == ROLE_PART || rule->role == ROLE_HINT)
		e->seen[e->nseen++] = rule;
}

/*
 * Add bytes to a hash (kept in memory only, compared with hashes of this
 * run): eight bytes a step, the rest one by one, then the length, so that
 * ("ab","c") and ("a","bc") differ. Byte by byte, the hashes of each
 * session line's process and peer took 3 of every 100 instructions of a scan.
 */
static uint64_t
hash_more(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t n = len;
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 29;
	}
	for (; n > 0; p++, n--)
		h = (h ^ *p) * UINT64_C(0x100000001b3);
	h ^= (uint64_t)len << 1 | 1;
	h *= UINT64_C(0xff51afd7ed558ccd);
	return h ^ (h >> 32);
}

/*
 * An MTA writes a delivery's status once per recipient: a second outbound line
 * of the same rule, process, queue id and peer within linger is the same
 * failure. (Inbound, Sendmail puts its queue id on every line of a session,
 * and each refused AUTH of that session is a failure of its own.)
 */
static int
repeated_delivery(struct correlator *c, const struct event *ev, const struct rule *rule)
{
	static const enum event_field key[] = { EF_SERVER, EF_PROGRAM, EF_QUEUE_ID, EF_PEER_IP,
		EF_PEER_HOST };
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	if (ev->direction != DIR_OUT || ev->field[EF_QUEUE_ID] == NULL)
		return 0;
	h = hash_more(h, &rule, sizeof(rule));
	h = hash_more(h, ev->mta, strlen(ev->mta));
	h = hash_more(h, &ev->pid, sizeof(ev->pid));
	for (size_t k = 0; k < sizeof(key) / sizeof(key[0]); k++)
		h = ev->field[key[k]] ? hash_more(h, ev->field[key[k]], ev->field_len[key[k]]) :
		    hash_more(h, "", 0);
	for (size_t i = 0; i < RECENT_MAX; i++)
		if (c->recent[i].hash == h && c->recent[i].time <= ev->time &&
		    ev->time <= c->recent[i].time + c->linger)
			return 1;
	c->recent[c->recent_next].hash = h;
	c->recent[c->recent_next].time = ev->time;
	c->recent_next = (c->recent_next + 1) % RECENT_MAX;
	return 0;
}

/* The hash of (process, kind, peer) by which a summary line knows the alone events it sums up. */
static uint64_t
summary_key(const struct event *ev)
{
	static const enum event_field key[] = { EF_SERVER, EF_PROGRAM, EF_PEER_IP, EF_PEER_HOST };
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	int kind = (int)ev->kind;

	h = hash_more(h, ev->mta, strlen(ev->mta));
	h = hash_more(h, &ev->pid, sizeof(ev->pid));
	h = hash_more(h, &kind, sizeof(kind));
	for (size_t k = 0; k < sizeof(key) / sizeof(key[0]); k++)
		h = ev->field[key[k]] ? hash_more(h, ev->field[key[k]], ev->field_len[key[k]]) :
		    hash_more(h, "", 0);
	return h;
}

static void
remember_emitted(struct correlator *c, const struct event *ev)
{
	c->emitted[c->emitted_next].hash = summary_key(ev);
	c->emitted[c->emitted_next].time = ev->time;
	c->emitted_next = (c->emitted_next + 1) % EMITTED_MAX;
}

/* Was an alone event of the summary line's kind, process and peer emitted before it? */
static int
summed_up(const struct correlator *c, const struct event *ev)
{
	uint64_t h = summary_key(ev);

	for (size_t i = 0; i < EMITTED_MAX; i++)
		if (c->emitted[i].hash == h && c->emitted[i].time <= ev->time &&
		    ev->time <= c->emitted[i].time + SUMMARY_WINDOW)
			return 1;
	return 0;
}

/* Same non-empty queue id and no other peer: lines about one delivery. */
static int
same_delivery(const struct event *a, const struct event *b)
{
	return a->field[EF_QUEUE_ID] != NULL && same_field(a, b, EF_QUEUE_ID) &&
	    !other_peer(a, b);
}

/* The hash of a process as same_process() compares it; server and program may be NULL. */
static uint64_t
proc_hash(const char *mta, const char *server, size_t server_len, const char *program,
    size_t program_len, long pid)
{
	uint64_t h = UINT64_C(0x84222325cbf29ce4);

	h = hash_more(h, mta, strlen(mta));
	h = hash_more(h, &pid, sizeof(pid));
	h = server ? hash_more(h, server, server_len) : hash_more(h, "", 0);
	h = program ? hash_more(h, program, program_len) : hash_more(h, "", 0);
	return h;
}

/*
 * The session of an inbound line: its process (*proc) and its process and
 * peer address, hashed; 0 when the line has no pid or no peer address (no
 * session to follow).
 */
static uint64_t
session_hash(const struct event *ev, uint64_t *proc)
{
	if (ev->direction != DIR_IN || ev->pid < 0 || ev->field[EF_PEER_IP] == NULL)
		return 0;
	*proc = proc_hash(ev->mta, ev->field[EF_SERVER], ev->field_len[EF_SERVER],
	    ev->field[EF_PROGRAM], ev->field_len[EF_PROGRAM], ev->pid);
	uint64_t h = hash_more(*proc, ev->field[EF_PEER_IP], ev->field_len[EF_PEER_IP]);
	return h ? h : 1;
}

/* Remember that a line of this inbound session was matched (its tally line then adds nothing). */
static void
session_note(struct correlator *c, const struct event *ev)
{
	uint64_t proc;
	uint64_t h = session_hash(ev, &proc);

	if (h == 0)
		return;
	struct session_mark *m = &c->session[c->session_next];
	if (m->hash != 0) {
		c->nsession--;
		c->session_pids[m->pidkey]--;
	}
	m->hash = h;
	m->proc = proc;
	m->pidkey = event_key(ev) & 1023;
	m->time = ev->time;
	c->nsession++;
	c->session_pids[m->pidkey]++;
	c->session_next = (c->session_next + 1) % SESSION_MAX;
}

/*
 * The session of ev (a line that ends it) is over: forget its marks. Returns
 * whether a line of it was matched within CORRELATE_SESSION_MAX seconds
 * before ev.
 */
static int
session_end(struct correlator *c, const struct event *ev)
{
	uint64_t proc;
	unsigned key = (unsigned)(event_key(ev) & 1023);
	unsigned left = c->nsession ? c->session_pids[key] : 0;
	int found = 0;

	/* Its marks are among those of its pidkey, which the newest first reach soonest. */
	uint64_t h = left ? session_hash(ev, &proc) : 0;
	if (h == 0)
		return 0;
	for (size_t k = 1; k <= SESSION_MAX && left > 0; k++) {
		struct session_mark *m = &c->session[(c->session_next + SESSION_MAX - k) % SESSION_MAX];
		if (m->hash == 0 || m->pidkey != key)
			continue;
		left--;
		if (m->hash == h) {
			if (m->time <= ev->time && ev->time <= m->time + CORRELATE_SESSION_MAX)
				found = 1;
			m->hash = 0;
			c->nsession--;
			c->session_pids[key]--;
		}
	}
	return found;
}

/* The index of the entry open for ev's process, or c->n. */
static size_t
find_entry(const struct correlator *c, const struct event *ev)
{
	for (uint32_t k = c->buckets[event_key(ev) & c->mask]; k != 0; k = c->entries[k - 1].next)
		if (same_process(c->entries[k - 1].ev, ev))
			return k - 1;
	return c->n;
}

/*
 * A tally line: finishes what its process has open; is the failure itself
 * only when nothing else of its session was matched (see correlate.h).
 */
static void
add_tally(struct correlator *c, struct event *ev)
{
	size_t i = find_entry(c, ev);
	int explained = 0;

	if (i < c->n) {
		/* An entry of the same peer, or of none, is this session's failure. */
		explained = !other_peer(c->entries[i].ev, ev);
		finish(c, i);
	}
	if (session_end(c, ev))
		explained = 1;
	if (explained)
		event_free(ev);
	else
		c->emit(c->ctx, ev);
}

void
correlate_add(struct correlator *c, struct event *ev, const struct rule *rule)
{
	if (rule->role == ROLE_TALLY) {
		add_tally(c, ev);
		return;
	}
	if (rule->tallied) {
		if (rule->role != ROLE_END && rule->role != ROLE_CLOSE)
			session_note(c, ev);
		else
			session_end(c, ev);
	}
	if (rule->role == ROLE_ALONE) {
		if (repeated_delivery(c, ev, rule)) {
			event_free(ev);
		} else {
			remember_emitted(c, ev);
			c->emit(c->ctx, ev);
		}
		return;
	}
	if (rule->role == ROLE_SUMMARY) {
		if (summed_up(c, ev))
			event_free(ev);
		else
			c->emit(c->ctx, ev);
		return;
	}
	/* At most one entry per process: a conflict finishes it before a new one opens. */
	size_t i = find_entry(c, ev);
	if (i < c->n) {
		struct entry *e = &c->entries[i];
		int starts = rule->role == ROLE_PART || rule->role == ROLE_HINT;
		int conflict = ev->time > e->last_time + c->linger;

		if (starts && other_peer(e->ev, ev))
			conflict = 1;
		/* A rule seen again is a second failure, unless it repeats a delivery's status per recipient. */
		if (starts && seen(e, rule) && !same_delivery(e->ev, ev))
			conflict = 1;
		/*
		 * Without a pid (Exim's default main log) there is no process to
		 * follow: each hint line, and each part line that is not about the
		 * same delivery (message id), starts a failure; detail and end lines
		 * join the line right before them.
		 */
		if (ev->pid < 0 && (rule->role == ROLE_HINT ||
		    (rule->role == ROLE_PART && e->real && !same_delivery(e->ev, ev))))
			conflict = 1;
		if (ev->pid < 0 && other_queue_id(e->ev, ev))
			conflict = 1;
		int ends = rule->role == ROLE_END || rule->role == ROLE_CLOSE;
		if (ends && (other_peer(e->ev, ev) || other_queue_id(e->ev, ev)))
			conflict = 1;
		if (!conflict) {
			if (starts && e->nseen < SEEN_MAX)
				e->seen[e->nseen++] = rule;
			if (rule->role != ROLE_HINT && rule->role != ROLE_CLOSE)
				e->real = 1;
			e->seen_ms = c->now_ms;
			merge(e, ev);
			if (ends)
				finish(c, i);
			return;
		}
		finish(c, i);
	}
	if (rule->role == ROLE_END || rule->role == ROLE_CLOSE) {
		/* A session end with no failure before it is not an event. */
		event_free(ev);
		return;
	}
	open_entry(c, ev, rule);
}

void
correlate_expire(struct correlator *c, int64_t now)
{
	for (size_t i = 0; i < c->n;) {
		if (c->entries[i].last_time + c->linger < now)
			finish(c, i);
		else
			i++;
	}
}

void
correlate_set_clock(struct correlator *c, int64_t now_ms)
{
	c->now_ms = now_ms;
}

void
correlate_expire_idle(struct correlator *c, int64_t idle_ms)
{
	for (size_t i = 0; i < c->n;) {
		if (c->entries[i].seen_ms + idle_ms <= c->now_ms)
			finish(c, i);
		else
			i++;
	}
}

void
correlate_flush(struct correlator *c)
{
	while (c->n > 0)
		finish(c, c->n - 1);
}

void
correlate_discard(struct correlator *c)
{
	for (size_t i = 0; i < c->n; i++)
		event_free(c->entries[i].ev);
	memset(c->entries, 0, c->n * sizeof(*c->entries));
	memset(c->buckets, 0, (c->mask + 1) * sizeof(*c->buckets));
	c->n = 0;
}

static int
same_text(const char *a, size_t a_len, const char *b, size_t b_len)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a_len == b_len && memcmp(a, b, a_len) == 0;
}

int
correlate_has_process(const struct correlator *c, const char *mta, const char *server,
    size_t server_len, const char *program, size_t program_len, long pid)
{
	uint64_t key = process_key(mta, pid);

	if (c->nsession > 0 && pid >= 0 && c->session_pids[key & 1023] > 0) {
		/* Its session end must reach the correlator to close the session's mark. */
		uint64_t proc = proc_hash(mta, server, server_len, program, program_len, pid);
		for (size_t i = 0; i < SESSION_MAX; i++)
			if (c->session[i].hash != 0 && c->session[i].proc == proc)
				return 1;
	}
	for (uint32_t k = c->buckets[key & c->mask]; k != 0; k = c->entries[k - 1].next) {
		const struct event *ev = c->entries[k - 1].ev;

		/* same_process(), on the fields of an event not built. */
		if (ev->mta == mta && ev->pid == pid &&
		    same_text(ev->field[EF_SERVER], ev->field_len[EF_SERVER], server, server_len) &&
		    same_text(ev->field[EF_PROGRAM], ev->field_len[EF_PROGRAM], program, program_len))
			return 1;
	}
	return 0;
}

size_t
correlate_open(const struct correlator *c)
{
	return c->n;
}

int64_t
correlate_min_offset(const struct correlator *c)
{
	int64_t min = -1;

	for (size_t i = 0; i < c->n; i++)
		if (c->entries[i].first_offset >= 0 &&
		    (min < 0 || c->entries[i].first_offset < min))
			min = c->entries[i].first_offset;
	return min;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * event_test.c: an event's fields live in one buffer it owns (event.h).
 * Checks what that buffer must keep true whatever the order of the calls:
 * every field keeps its bytes when another one is set, grown or moved; a
 * field may be set from another field of the same event; the raw text grows
 * line by line and stops at EVENT_RAW_MAX; replacing a field many times does
 * not grow the buffer without bound. Run under ASan (--enable-sanitizers) a
 * stale pointer into a moved buffer is a use after free.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "event.h"
#include "tap.h"

static int
field_is(const struct event *ev, enum event_field f, const char *want, size_t len)
{
	return ev->field[f] != NULL && ev->field_len[f] == len &&
	    memcmp(ev->field[f], want, len) == 0 && ev->field[f][len] == '\0';
}

static void
test_set_and_grow(void)
{
	struct event *ev = event_new();
	char big[EVENT_FIELD_MAX + 10];

	event_set(ev, EF_PEER_IP, "192.0.2.1", 9);
	event_set(ev, EF_PEER_HOST, "mx.example.net", 14);
	ok(field_is(ev, EF_PEER_IP, "192.0.2.1", 9) && field_is(ev, EF_PEER_HOST, "mx.example.net", 14),
	    "two fields in the inline room");
	/* Outgrow the inline room several times over: the earlier fields move along. */
	for (int f = EF_HELO; f <= EF_QUEUE_ID; f++) {
		memset(big, 'a' + f, sizeof(big));
		event_set(ev, (enum event_field)f, big, sizeof(big));
	}
	int all = 1;
	for (int f = EF_HELO; f <= EF_QUEUE_ID; f++) {
		memset(big, 'a' + f, sizeof(big));
		all &= field_is(ev, (enum event_field)f, big, EVENT_FIELD_MAX);
	}
	ok(all, "fields longer than EVENT_FIELD_MAX are cut there, each keeps its bytes");
	ok(field_is(ev, EF_PEER_IP, "192.0.2.1", 9) && field_is(ev, EF_PEER_HOST, "mx.example.net", 14),
	    "the first fields kept theirs through the moves");
	ok(ev->text_cap >= ev->text_used, "the buffer's use within its size");

	event_set(ev, EF_HELO, NULL, 0);
	ok(ev->field[EF_HELO] == NULL && ev->field_len[EF_HELO] == 0, "a field set to NULL is gone");
	event_free(ev);
}

static void
test_set_from_own_field(void)
{
	struct event *ev = event_new();
	char big[600];

	memset(big, 'x', sizeof(big));
	event_set(ev, EF_REASON, big, sizeof(big));
	/* The next set must move the buffer; its value lies in the old one. */
	event_set(ev, EF_REASON, ev->field[EF_REASON] + 100, 500);
	ok(field_is(ev, EF_REASON, big, 500), "a field set from its own bytes while the buffer moves");
	event_set(ev, EF_USER, ev->field[EF_REASON], 3);
	ok(field_is(ev, EF_USER, "xxx", 3) && field_is(ev, EF_REASON, big, 500),
	    "a field set from another field");
	event_free(ev);
}

static void
test_raw(void)
{
	struct event *ev = event_new();
	char want[EVENT_RAW_MAX + 1];
	size_t want_len = 0;
	char line[100];

	event_append_raw(ev, "first line", 10);
	memcpy(want, "first line", 10);
	want_len = 10;
	ok(field_is(ev, EF_RAW, want, want_len), "the first line is the raw text");
	for (int i = 0; i < 200 && want_len + 1 < EVENT_RAW_MAX; i++) {
		int n = snprintf(line, sizeof(line), "line %d of a long failure%*s", i, 40 + i % 30, ".");
		/* A field set between lines: the raw text is no longer the last one. */
		if (i % 7 == 3)
			event_set(ev, EF_CIPHER, line, (size_t)n);
		event_append_raw(ev, line, (size_t)n);
		size_t add = (size_t)n;
		if (add > EVENT_RAW_MAX - want_len - 1)
			add = EVENT_RAW_MAX - want_len - 1;
		want[want_len] = '\n';
		memcpy(want + want_len + 1, line, add);
		want_len += 1 + add;
	}
	ok(want_len == EVENT_RAW_MAX, "the test reached the raw text's limit");
	ok(field_is(ev, EF_RAW, want, want_len), "lines appended in and out of place, cut at EVENT_RAW_MAX");
	event_append_raw(ev, "more", 4);
	ok(field_is(ev, EF_RAW, want, want_len), "nothing is appended past the limit");
	ok(ev->text_cap <= 2 * (EVENT_RAW_MAX + EVENT_FIELD_MAX), "the buffer stays bounded: %zu bytes",
	    ev->text_cap);
	event_free(ev);
}

static void
test_replace_many_times(void)
{
	struct event *ev = event_new();
	char value[EVENT_FIELD_MAX];

	memset(value, 'r', sizeof(value));
	event_set(ev, EF_PEER_HOST, "keep.example.net", 16);
	for (int i = 0; i < 10000; i++)
		event_set(ev, EF_REASON, value, (size_t)(i % EVENT_FIELD_MAX) + 1);
	ok(field_is(ev, EF_REASON, value, (10000 - 1) % EVENT_FIELD_MAX + 1), "the last value set stays");
	ok(field_is(ev, EF_PEER_HOST, "keep.example.net", 16), "the other field is untouched");
	ok(ev->text_cap <= 8 * EVENT_FIELD_MAX, "replaced values do not pile up: %zu bytes", ev->text_cap);
	event_free(ev);
}

int
main(void)
{
	test_set_and_grow();
	test_set_from_own_field();
	test_raw();
	test_replace_many_times();
	return done_testing();
}

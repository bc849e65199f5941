/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * util.h: generic helpers that know nothing of tlslogd: allocation that
 * succeeds or exits, bounded string copies, a growable byte buffer.
 */
#ifndef TLSLOGD_UTIL_H
#define TLSLOGD_UTIL_H

#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
/* xcalloc on an align boundary (a power of two, a multiple of sizeof(void *)); free() frees it. */
void *xcalloc_aligned(size_t n, size_t size, size_t align);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copy at most size-1 bytes and terminate; returns strlen(src). */
size_t util_strlcpy(char *dst, const char *src, size_t size);

/* Find needle in haystack (memmem). */
const char *util_memmem(const char *hay, size_t hay_len, const char *needle, size_t needle_len);

/* A growable byte buffer; data is always NUL-terminated after len bytes. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_putc(struct buf *b, char c);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 64-bit FNV-1a hash of len bytes. */
uint64_t util_fnv1a(const void *data, size_t len);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz share: the patterns folder,
 * a private scratch folder, a file written from the input, copies of the input
 * that end exactly where it ends (so that ASan sees a read one byte past it),
 * and a check that stops the run with a message when a property fails.
 */
#ifndef TLSLOGD_FUZZ_H
#define TLSLOGD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FUZZ_PATTERNS
#define FUZZ_PATTERNS "patterns"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property the target promises failed: report it as a crash (libFuzzer saves the input). */
#define FUZZ_CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} \
} while (0)

/* The shipped patterns: $TLSLOGD_PATTERNS, else the source tree's folder. */
static inline const char *
fuzz_patterns(void)
{
	const char *p = getenv("TLSLOGD_PATTERNS");

	return p && *p ? p : FUZZ_PATTERNS;
}

/* A scratch folder of this process, made once, left for the system to clean. */
static inline const char *
fuzz_tmpdir(void)
{
	static char dir[64];

	if (dir[0] == '\0') {
		const char *base = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/tlslogd-fuzz-XXXXXX", base && *base ? base : "/tmp");
		if (mkdtemp(dir) == NULL) {
			perror("mkdtemp");
			abort();
		}
	}
	return dir;
}

/* Write len bytes to path (replacing it). */
static inline void
fuzz_write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || (len > 0 && fwrite(data, 1, len, fp) != len) || fclose(fp) != 0) {
		perror(path);
		abort();
	}
}

/* A heap copy of len bytes, not terminated: reading past it is an ASan report. */
static inline char *
fuzz_copy(const uint8_t *data, size_t len)
{
	char *p = malloc(len ? len : 1);

	if (p == NULL)
		abort();
	if (len > 0)
		memcpy(p, data, len);
	return p;
}

/* A heap copy with a NUL after len bytes (for functions that take C strings). */
static inline char *
fuzz_cstring(const uint8_t *data, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		abort();
	if (len > 0)
		memcpy(p, data, len);
	p[len] = '\0';
	return p;
}

#endif

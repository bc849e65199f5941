/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rotation.h: the files a log was rotated into.
 *
 * logrotate and newsyslog rename (or copy) a log to NAME.1, NAME.0,
 * NAME-20261207 or NAME.01 (Exim's exicyclog), and may compress it to
 * NAME.1.gz. All of these are "the same log": the log name is the file's
 * base name without its compression suffix and then without its rotation
 * suffix (a dot and digits, or a dash and a date made of digits, dashes and
 * underscores). The rotated set of a file is every other file in its folder
 * with the same log name.
 *
 * A record of what was read (store.h) is matched by content only within one
 * log name: mail.log and mail.err may begin with the same line (syslog
 * writes one message to both), but mail.log.1 whose first line is that of a
 * file read as mail.log is that file, renamed, copied or compressed.
 */
#ifndef TLSLOGD_ROTATION_H
#define TLSLOGD_ROTATION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest log name kept; longer base names are cut (they still compare). */
#define ROTATION_NAME_MAX 256

/* path's log name into out (at most ROTATION_NAME_MAX bytes with its NUL). */
void rotation_log_name(const char *path, char *out, size_t size);
/* Is path compressed in a way tlslogd cannot read (bzip2, xz, zstd, lz4, compress)? */
int rotation_unreadable(const char *path);

struct rotated_file {
	char *path;
	int64_t mtime_ns;	/* last modification, nanoseconds since the epoch */
	int64_t size;
	dev_t dev;
	ino_t ino;
};

/*
 * The regular files of path's rotated set (path itself excluded), oldest
 * first: by modification time, then by rotation number (NAME.2 before
 * NAME.1). *out is allocated; free it with rotation_free. Returns their
 * number, 0 when there are none or the folder cannot be read.
 */
size_t rotation_list(const char *path, struct rotated_file **out);
void rotation_free(struct rotated_file *files, size_t n);

/*
 * Where a text is now: the file of path's rotated set (or path itself when
 * with_self) that begins with the first head_len bytes whose FNV-1a is
 * head_hash (head_len > 0), preferring the same device and inode, then a
 * plain file to a compressed one (gzip runs with both on disk). 1 and *found
 * (allocated) and *found_mtime_ns (may be NULL: its modification time) when
 * there is one, else 0; *unreadable (may be NULL): the
 * number of files of the set compressed in a format tlslogd cannot read,
 * which may hold it.
 */
struct rotation_text {
	dev_t dev;
	ino_t ino;
	uint64_t head_hash;
	size_t head_len;
};
int rotation_find_text(const char *path, int with_self, const struct rotation_text *want,
    char **found, int64_t *found_mtime_ns, size_t *unreadable);
/* Does the file at path (plain or gzip) begin with want's text? */
int rotation_has_text(const char *path, const struct rotation_text *want);

/*
 * Order paths so that the files of each rotated set among them (two or more
 * with the same folder and log name) are oldest first, in the places the
 * set's names had; other paths keep their places. By name: NAME is the
 * newest, NAME.2 older than NAME.1, NAME-DATE by its date; between a
 * numbered and a dated name, by modification time. "-" stays where it is.
 */
void rotation_sort_paths(char **paths, int n);

#endif

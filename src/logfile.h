/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * logfile.h: a log file's text, whether it is stored plain or compressed
 * with gzip (read through zlib).
 *
 * logrotate compresses rotated logs (mail.log.2.gz; mail.log.1.gz without
 * delaycompress); what the daemon had not read of a log before it was
 * rotated and compressed is in there, and `tlslogd scan mail.log.1.gz` must
 * read it where the record of the uncompressed file ended. Offsets are
 * always offsets in the text, never in the compressed bytes. A file is taken
 * as gzip by its first two bytes (1f 8b), not by its name. A compressed file
 * is read once, from its start (zlib cannot jump), and never grows.
 */
#ifndef TLSLOGD_LOGFILE_H
#define TLSLOGD_LOGFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct logfile;

/*
 * Take fd (opened for reading, at its start); name is for messages. The
 * text's first line (at most head_max bytes; 0: none, as for a pipe) is read
 * here, for logfile_head. NULL when fd cannot be read (logged); fd is then not closed.
 */
struct logfile *logfile_fdopen(int fd, const char *name, size_t head_max);
/* Close it and its descriptor. NULL is fine. */
void logfile_close(struct logfile *lf);
int logfile_fd(const struct logfile *lf);
int logfile_compressed(const struct logfile *lf);
/*
 * The text's first bytes as read at open: up to and with the first newline,
 * or at most head_max bytes. *whole: 1 when they end in a newline or are
 * head_max long (the first line can no longer change as the file grows).
 */
const char *logfile_head(const struct logfile *lf, size_t *len, int *whole);
/* Read up to n bytes of text: > 0, 0 at its end, -1 on an error (logged). */
ssize_t logfile_read(struct logfile *lf, void *buf, size_t n);
/*
 * Go to offset in the text (only forward for a compressed file). Returns the
 * offset reached: less than asked when the text is shorter; -1 on an error
 * (logged).
 */
int64_t logfile_seek(struct logfile *lf, int64_t offset);

/*
 * logfile_seek, and *line_start: whether offset starts a line (0, or just
 * after a newline). A position in the rest of a cut line does not: the
 * reader must skip to the next newline, or a tail that a stranger wrote to
 * look like a log line would be read as one. Returns as logfile_seek.
 */
int64_t logfile_seek_line(struct logfile *lf, int64_t offset, int *line_start);

/* Do bytes (the first n of a file) begin with gzip's magic (1f 8b)? */
int logfile_is_gzip(const void *bytes, size_t n);
/* Is fd's file gzip-compressed (its first two bytes)? 0 when it cannot be read. */
int logfile_is_gzip_fd(int fd);
/*
 * The compression other than gzip that bytes (the first n of a file) begin
 * with: "xz", "bzip2", "zstd", "lz4" or "compress", which tlslogd does not
 * read; NULL for anything else (a text, gzip, garbage).
 */
const char *logfile_unreadable_compression(const void *bytes, size_t n);

#endif

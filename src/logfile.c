/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * logfile.c: a log file's text, plain or gzip-compressed (see logfile.h).
 *
 * zlib's gz* functions do the decompression; a plain file is read with
 * read(2) so that a file still growing is read as it grows. Errors are
 * logged here with the file's name, since only this module knows whether a
 * failure was the disk's or the compressed data's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "logfile.h"
#include "util.h"

/* The discard buffer of a forward seek in a compressed file. */
#define SKIP_BLOCK 65536

struct logfile {
	int fd;
	gzFile gz;		/* NULL: a plain file */
	char *name;
	char *head;
	size_t head_len;
	int head_whole;
	int64_t offset;		/* in the text, of the next byte logfile_read gives */
};

int
logfile_is_gzip(const void *bytes, size_t n)
{
	const unsigned char *b = bytes;

	return n >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

int
logfile_is_gzip_fd(int fd)
{
	unsigned char magic[2];

	return pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	    logfile_is_gzip(magic, sizeof(magic));
}

/* zlib's message for the last error on gz, or errno's. */
static void
gz_warn(struct logfile *lf, const char *what)
{
	int zerr = Z_OK;
	const char *msg = gzerror(lf->gz, &zerr);

	if (zerr == Z_ERRNO)
		log_warn("%s: %s", lf->name, what);
	else
		log_warnx("%s: %s: %s", lf->name, what, msg);
}

/* The first line (at most max bytes) of the text, read from its start. */
static int
read_head(struct logfile *lf, size_t max)
{
	lf->head = xmalloc(max ? max : 1);
	if (max == 0)
		return 0;	/* a stream: no head wanted (it cannot be read twice) */
	if (lf->gz == NULL) {
		ssize_t n = pread(lf->fd, lf->head, max, 0);
		if (n < 0) {
			log_warn("%s: cannot read", lf->name);
			return -1;
		}
		lf->head_len = (size_t)n;
	} else {
		int n = gzread(lf->gz, lf->head, (unsigned)max);
		if (n < 0) {
			gz_warn(lf, "cannot decompress");
			return -1;
		}
		lf->head_len = (size_t)n;
		if (gzrewind(lf->gz) < 0) {
			gz_warn(lf, "cannot decompress");
			return -1;
		}
	}
	char *nl = memchr(lf->head, '\n', lf->head_len);
	if (nl != NULL)
		lf->head_len = (size_t)(nl - lf->head) + 1;
	lf->head_whole = nl != NULL || (max > 0 && lf->head_len == max);
	return 0;
}

struct logfile *
logfile_fdopen(int fd, const char *name, size_t head_max)
{
	struct logfile *lf = xcalloc(1, sizeof(*lf));

	lf->fd = fd;
	lf->name = xstrdup(name);
	if (logfile_is_gzip_fd(fd)) {
		/* zlib reads from the descriptor it is given, and closes it: give it a copy. */
		/* (zlib takes the descriptor's position when opened as the text's start.) */
		int copy = dup(fd);
		if (copy < 0 || lseek(copy, 0, SEEK_SET) < 0 ||
		    (lf->gz = gzdopen(copy, "rb")) == NULL) {
			log_warn("%s: cannot open for decompression", name);
			if (copy >= 0)
				close(copy);
			goto fail;
		}
		gzbuffer(lf->gz, 128 * 1024);
	}
	if (read_head(lf, head_max) < 0)
		goto fail;
	return lf;
fail:
	if (lf->gz != NULL)
		gzclose_r(lf->gz);
	free(lf->head);
	free(lf->name);
	free(lf);
	return NULL;
}

void
logfile_close(struct logfile *lf)
{
	if (lf == NULL)
		return;
	if (lf->gz != NULL)
		gzclose_r(lf->gz);
	close(lf->fd);
	free(lf->head);
	free(lf->name);
	free(lf);
}

int
logfile_fd(const struct logfile *lf)
{
	return lf->fd;
}

int
logfile_compressed(const struct logfile *lf)
{
	return lf->gz != NULL;
}

const char *
logfile_head(const struct logfile *lf, size_t *len, int *whole)
{
	*len = lf->head_len;
	*whole = lf->head_whole;
	return lf->head;
}

ssize_t
logfile_read(struct logfile *lf, void *buf, size_t n)
{
	if (lf->gz == NULL) {
		ssize_t r;
		do
			r = read(lf->fd, buf, n);
		while (r < 0 && errno == EINTR);
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			log_warn("%s: read error at byte %lld", lf->name, (long long)lf->offset);
		if (r > 0)
			lf->offset += r;
		return r;
	}
	if (n > (size_t)INT32_MAX)
		n = (size_t)INT32_MAX;
	int r = gzread(lf->gz, buf, (unsigned)n);
	if (r < 0) {
		/* A file cut short (still being compressed, or damaged) ends here. */
		gz_warn(lf, "cannot decompress");
		errno = EIO;
		return -1;
	}
	lf->offset += r;
	return r;
}

int64_t
logfile_seek(struct logfile *lf, int64_t offset)
{
	if (lf->gz == NULL) {
		if (lseek(lf->fd, (off_t)offset, SEEK_SET) < 0) {
			log_warn("%s: cannot seek to byte %lld", lf->name, (long long)offset);
			return -1;
		}
		lf->offset = offset;
		return offset;
	}
	if (offset < lf->offset) {
		if (gzrewind(lf->gz) < 0) {
			gz_warn(lf, "cannot decompress");
			return -1;
		}
		lf->offset = 0;
	}
	char *skip = NULL;
	while (lf->offset < offset) {
		if (skip == NULL)
			skip = xmalloc(SKIP_BLOCK);
		int64_t want = offset - lf->offset;
		ssize_t r = logfile_read(lf, skip, want < SKIP_BLOCK ? (size_t)want : SKIP_BLOCK);
		if (r < 0) {
			free(skip);
			return -1;
		}
		if (r == 0)
			break;
	}
	free(skip);
	return lf->offset;
}

int64_t
logfile_seek_line(struct logfile *lf, int64_t offset, int *line_start)
{
	char before = '\n';

	*line_start = 1;
	if (offset <= 0)
		return logfile_seek(lf, 0);
	if (lf->gz == NULL) {
		/* A read error here is one the reading itself meets: keep the line rather than lose it. */
		if (pread(lf->fd, &before, 1, (off_t)(offset - 1)) == 1)
			*line_start = before == '\n';
		return logfile_seek(lf, offset);
	}
	int64_t at = logfile_seek(lf, offset - 1);
	if (at != offset - 1)
		return at;
	ssize_t n = logfile_read(lf, &before, 1);
	if (n < 0)
		return -1;
	*line_start = n == 0 || before == '\n';
	return lf->offset;
}

const char *
logfile_unreadable_compression(const void *bytes, size_t n)
{
	static const struct {
		const char *name;
		unsigned char magic[6];
		size_t len;
	} formats[] = {
		{ "xz", { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6 },
		{ "bzip2", { 'B', 'Z', 'h' }, 3 },
		{ "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
		{ "lz4", { 0x04, 0x22, 0x4d, 0x18 }, 4 },
		{ "compress", { 0x1f, 0x9d }, 2 },
	};

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (n >= formats[i].len && memcmp(bytes, formats[i].magic, formats[i].len) == 0)
			return formats[i].name;
	return NULL;
}

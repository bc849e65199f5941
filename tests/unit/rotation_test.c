/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rotation_test.c: a log's name without rotation suffixes, its rotated set
 * in order, finding a text in it (plain or gzip), and logfile's reading of a
 * compressed file: its head, a forward seek, whether an offset starts a line.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include "log.h"
#include "logfile.h"
#include "rotation.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/rotation_test.XXXXXX";

static const char *
log_name(const char *path)
{
	static char out[ROTATION_NAME_MAX];

	rotation_log_name(path, out, sizeof(out));
	return out;
}

static char *
in_dir(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* Write text to name in dir, gzip-compressed when gz, with the given modification time. */
static void
make_file(const char *name, const char *text, int gz, time_t mtime)
{
	char *path = in_dir(name);

	if (gz) {
		gzFile g = gzopen(path, "wb");
		gzwrite(g, text, (unsigned)strlen(text));
		gzclose(g);
	} else {
		FILE *f = fopen(path, "w");
		fputs(text, f);
		fclose(f);
	}
	struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
	utimes(path, tv);
	free(path);
}

static struct rotation_text
text_of(const char *first_line)
{
	struct rotation_text t = { 0, 0, util_fnv1a(first_line, strlen(first_line)),
	    strlen(first_line) };
	return t;
}

static void
test_log_names(void)
{
	is_str(log_name("/var/log/mail.log"), "mail.log", "a live log is its own name");
	is_str(log_name("/var/log/mail.log.1"), "mail.log", "NAME.1");
	is_str(log_name("/var/log/mail.log.12.gz"), "mail.log", "NAME.12.gz");
	is_str(log_name("mail.log-20261207"), "mail.log", "dateext");
	is_str(log_name("mail.log-2026-12-07.gz"), "mail.log", "dateext with dashes, compressed");
	is_str(log_name("/var/log/exim4/mainlog.01"), "mainlog", "exicyclog's NAME.01");
	is_str(log_name("maillog-20261207.xz"), "maillog", "RHEL's maillog, xz");
	is_str(log_name("/var/log/mail.err"), "mail.err", "mail.err is another log");
	is_str(log_name("mail.log-old"), "mail.log-old", "a dash not followed by a digit stays");
	is_str(log_name("mail.log."), "mail.log.", "a dot without digits stays");
	ok(rotation_unreadable("mail.log.2.xz") && rotation_unreadable("a.bz2") &&
	    rotation_unreadable("a.zst"), "xz, bzip2 and zstd are not readable");
	ok(!rotation_unreadable("mail.log.2.gz") && !rotation_unreadable("mail.log.1"),
	    "gzip and plain files are");
}

static void
test_rotated_set(void)
{
	struct rotated_file *files;
	char *live = in_dir("mail.log");

	make_file("mail.log", "live\n", 0, 5000);
	make_file("mail.log.1", "one\n", 0, 4000);
	make_file("mail.log.2.gz", "two\n", 1, 3000);
	make_file("mail.log.3.gz", "three\n", 1, 3000);	/* the same time: by its number */
	make_file("mail.log-20261207", "dated\n", 0, 2000);
	make_file("mail.err", "other log\n", 0, 4500);
	make_file("mail.log.1.xz", "unreadable\n", 0, 3500);
	size_t n = rotation_list(live, &files);
	is_int(n, 5, "five rotated files, the live one and mail.err left out");
	if (n == 5) {
		is_str(strrchr(files[0].path, '/') + 1, "mail.log-20261207", "the oldest first");
		is_str(strrchr(files[1].path, '/') + 1, "mail.log.3.gz", "NAME.3 before NAME.2");
		is_str(strrchr(files[2].path, '/') + 1, "mail.log.2.gz", "then NAME.2");
		is_str(strrchr(files[3].path, '/') + 1, "mail.log.1.xz", "then by time");
		is_str(strrchr(files[4].path, '/') + 1, "mail.log.1", "the newest last");
	}
	rotation_free(files, n);

	char *found = NULL;
	size_t unreadable = 0;
	struct rotation_text want = text_of("two\n");
	ok(rotation_find_text(live, 0, &want, &found, NULL, &unreadable) == 1 && found != NULL &&
	    strcmp(strrchr(found, '/') + 1, "mail.log.2.gz") == 0,
	    "a text found inside a gzip file");
	is_int(unreadable, 1, "the xz file counted as one that may hold it");
	free(found);
	want = text_of("other log\n");
	ok(rotation_find_text(live, 0, &want, &found, NULL, NULL) == 0 && found == NULL,
	    "another log's text is not in this log's set");
	want = text_of("live\n");
	ok(rotation_find_text(live, 0, &want, &found, NULL, NULL) == 0,
	    "the live file is not among its rotated files");
	ok(rotation_find_text(live, 1, &want, &found, NULL, NULL) == 1, "unless asked for");
	free(found);
	/* Both the copy and its compressed version (gzip still running): the plain one. */
	make_file("mail.log.4", "both\n", 0, 1000);
	make_file("mail.log.4.gz", "both\n", 1, 1000);
	want = text_of("both\n");
	ok(rotation_find_text(live, 0, &want, &found, NULL, NULL) == 1 &&
	    strcmp(strrchr(found, '/') + 1, "mail.log.4") == 0, "a plain file before a gzip one");
	free(found);
	want = text_of("thre\n");
	ok(rotation_find_text(live, 0, &want, &found, NULL, NULL) == 0,
	    "a whole first line is matched whole, not as a prefix");
	/* A record made while its first line was still being written has only its start. */
	want = text_of("thr");
	ok(rotation_find_text(live, 0, &want, &found, NULL, NULL) == 1 &&
	    strcmp(strrchr(found, '/') + 1, "mail.log.3.gz") == 0,
	    "an incomplete first line is matched as the start of one");
	free(found);
	free(live);
}

static void
test_gzip_reading(void)
{
	char *path = in_dir("read.gz");
	char buf[64];
	int line_start;

	make_file("read.gz", "first line\nsecond line\nthird\n", 1, 1000);
	int fd = open(path, O_RDONLY);
	ok(logfile_is_gzip_fd(fd), "gzip by its magic bytes");
	struct logfile *lf = logfile_fdopen(fd, path, 1024);
	ok(lf != NULL && logfile_compressed(lf), "opened for decompression");
	if (lf == NULL) {
		free(path);
		return;
	}
	size_t len;
	int whole;
	const char *head = logfile_head(lf, &len, &whole);
	ok(len == 11 && memcmp(head, "first line\n", 11) == 0 && whole,
	    "its head is its first line, whole");
	is_int(logfile_seek_line(lf, 11, &line_start), 11, "a seek forward in the text");
	ok(line_start, "byte 11 starts a line");
	ssize_t n = logfile_read(lf, buf, sizeof(buf));
	ok(n == 18 && memcmp(buf, "second line\nthird\n", 18) == 0, "the text from there");
	is_int(logfile_seek_line(lf, 14, &line_start), 14, "a seek back (from the start again)");
	ok(!line_start, "byte 14 is inside a line");
	is_int(logfile_seek(lf, 1000), 29, "a seek past the end stops at it");
	is_int(logfile_read(lf, buf, sizeof(buf)), 0, "and reads nothing more");
	logfile_close(lf);

	/* A gzip file cut short (still being written): the read fails, nothing crashes. */
	char *cut = in_dir("cut.gz");
	struct stat sb;
	stat(path, &sb);
	int in = open(path, O_RDONLY), out = open(cut, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char all[256];
	ssize_t got = read(in, all, sizeof(all));
	ok(got > 20 && write(out, all, (size_t)got - 12) == got - 12, "a copy without its trailer");
	close(in);
	close(out);
	fd = open(cut, O_RDONLY);
	lf = logfile_fdopen(fd, cut, 1024);
	ok(lf != NULL, "a cut gzip file opens");
	if (lf != NULL) {
		ssize_t r, total = 0;
		while ((r = logfile_read(lf, buf, sizeof(buf))) > 0)
			total += r;
		ok(r < 0 || total <= 29, "reading it ends (an error or its text), not a crash");
		logfile_close(lf);
	}
	free(cut);
	free(path);
}

int
main(void)
{
	log_init("rotation_test");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_log_names();
	test_rotated_set();
	test_gzip_reading();
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	return done_testing();
}

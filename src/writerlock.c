/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * writerlock.c: one daemon per database (see writerlock.h).
 *
 * flock(2) has no "who holds it?": writerlock_holder asks by taking a shared
 * lock for an instant. A daemon starting in that instant would find the lock
 * taken, so writerlock_acquire tries again for a short while before it
 * believes another daemon holds it; a daemon holds it for good, so a second
 * daemon is refused after that short while, not at once.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "writerlock.h"

#define TRY_MS 20		/* between two tries ... */
#define TRIES 25		/* ... this many times: half a second */

struct writerlock {
	int fd;
	char *path;
};

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The pid written in the lock file, or -1 when it holds none. */
static pid_t
read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *end;
	errno = 0;
	long pid = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || pid <= 0)
		return -1;
	return (pid_t)pid;
}

/*
 * Open (creating it, and its folder one level up as store.c does, when
 * missing) the lock file path for writing: a regular file, never through a
 * symbolic link. The descriptor, or -1 (logged).
 */
static int
open_lock(const char *path)
{
	int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
	int fd = open(path, flags, 0640);

	if (fd < 0 && errno == ENOENT) {
		char *dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0750) < 0 && errno != EEXIST)
				log_warn("cannot create the database folder %s", dir);
		}
		free(dir);
		fd = open(path, flags, 0640);
	}
	if (fd < 0) {
		log_warn("cannot open the lock file %s", path);
		return -1;
	}
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		log_warnx("the lock file %s is not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

struct writerlock *
writerlock_acquire(const char *db, pid_t *holder)
{
	struct writerlock *wl = xcalloc(1, sizeof(*wl));

	*holder = 0;
	wl->path = xasprintf("%s.lock", db);
	if ((wl->fd = open_lock(wl->path)) < 0)
		goto fail;
	for (int tries = 0; flock(wl->fd, LOCK_EX | LOCK_NB) < 0; tries++) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			log_warn("cannot lock %s", wl->path);
			goto fail;
		}
		if (tries == TRIES) {
			*holder = read_pid(wl->fd);
			goto fail;
		}
		pause_ms(TRY_MS);
	}
	if (writerlock_set_pid(wl) < 0)
		goto fail;
	return wl;
fail:
	writerlock_release(wl);
	return NULL;
}

int
writerlock_set_pid(struct writerlock *wl)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	/* Written over the old pid, then cut: a reader never sees an empty file in between. */
	if (pwrite(wl->fd, buf, (size_t)n, 0) != n || ftruncate(wl->fd, n) < 0) {
		log_warn("cannot write the pid into %s", wl->path);
		return -1;
	}
	return 0;
}

void
writerlock_release(struct writerlock *wl)
{
	if (wl == NULL)
		return;
	if (wl->fd >= 0)
		close(wl->fd);	/* the lock goes with the last descriptor */
	free(wl->path);
	free(wl);
}

pid_t
writerlock_holder(const char *db)
{
	char *path = xasprintf("%s.lock", db);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	pid_t pid = 0;

	free(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	while (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			pid = -1;
			goto out;
		}
		/* Held: a daemon that has just taken the lock writes its pid in a moment. */
		for (int tries = 0; (pid = read_pid(fd)) < 0 && tries < TRIES; tries++)
			pause_ms(TRY_MS);
		if (pid < 0)
			errno = EAGAIN;
		goto out;
	}
	/* Free: no daemon (the shared lock goes with the descriptor). */
out:;
	int err = errno;
	close(fd);
	errno = err;
	return pid;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * writerlock.h: one daemon per database.
 *
 * Two `tlslogd run` on one database would each read the same logs and store
 * every failure twice. The daemon therefore holds, for its whole life, an
 * flock(2) on a lock file beside the database (DB.lock, holding the
 * daemon's pid): a second daemon finds it taken and refuses to start. The
 * lock is an flock, not a POSIX lock, and not on the database itself:
 * SQLite locks the database with POSIX locks, which a process loses when it
 * closes any descriptor of the file; an flock belongs to the open file
 * description, so it is kept across fork() (daemon(3)) and dropped by the
 * kernel when the last holder exits, even after SIGKILL: a stale lock file
 * never blocks a start.
 *
 * The lock file is created by the user the daemon runs as (take the lock
 * after dropping privileges), so that the next start, as that user, can
 * open it for writing again. It is never removed: removing a lock file
 * while another process opens it would give two processes two "locks".
 */
#ifndef TLSLOGD_WRITERLOCK_H
#define TLSLOGD_WRITERLOCK_H

#include <sys/types.h>

struct writerlock;

/*
 * Take the lock of the database db and write our pid into it. The lock, or
 * NULL with *holder set to the pid of the daemon that holds it (> 0; -1 if
 * it wrote no pid), not logged; or NULL with *holder 0 when the lock file
 * cannot be used (logged). A lock held only for a moment (writerlock_holder
 * asking) is waited out.
 */
struct writerlock *writerlock_acquire(const char *db, pid_t *holder);

/* Write the current pid into the lock file again (after daemon(3) forked). 0 or -1 (logged). */
int writerlock_set_pid(struct writerlock *wl);

/* Give the lock up. Accepts NULL. */
void writerlock_release(struct writerlock *wl);

/*
 * Whether a daemon holds the database db: its pid (> 0), 0 when none does
 * (also when there is no lock file), or -1 with errno set when it cannot be
 * told (the lock file cannot be opened or holds no pid). Never blocks a
 * daemon for longer than an instant.
 */
pid_t writerlock_holder(const char *db);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mkdir_race.c: an LD_PRELOAD library that plays the attacker of the
 * database folder's creation, deterministically: right after the program's
 * mkdir(RACE_DIR) succeeds, the new folder is moved away and, by RACE_MODE,
 * replaced with a symbolic link to RACE_TARGET ("link") or with a folder
 * owned by uid RACE_UID ("dir"): what someone who can write the parent can do
 * between a mkdir and a chown by path. Other paths are created as usual.
 * Used by tests/privdrop-race.sh.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int mkdir(const char *path, mode_t mode);

int
mkdir(const char *path, mode_t mode)
{
	const char *dir = getenv("RACE_DIR"), *how = getenv("RACE_MODE");
	char moved[4096];

	if (syscall(SYS_mkdirat, AT_FDCWD, path, mode) < 0)
		return -1;
	if (dir == NULL || how == NULL || strcmp(path, dir) != 0)
		return 0;
	snprintf(moved, sizeof(moved), "%s.made", path);
	if (rename(path, moved) < 0)
		abort();
	if (strcmp(how, "link") == 0) {
		if (symlink(getenv("RACE_TARGET"), path) < 0)
			abort();
	} else {
		if (syscall(SYS_mkdirat, AT_FDCWD, path, 0750) < 0 ||
		    chown(path, (uid_t)atoi(getenv("RACE_UID")), (gid_t)-1) < 0)
			abort();
	}
	return 0;
}

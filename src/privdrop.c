/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * privdrop.c: leave root for good (see privdrop.h).
 *
 * Order matters: supplementary groups and the group first (they need root),
 * then the user; afterwards setuid(0) must fail, or the drop did not happen.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

/*
 * Create dir (0750) for uid:gid when it is missing; an existing one is left
 * as it is. The folder is given away through a descriptor of what mkdir made,
 * never by its path: between mkdir and a chown by path, whoever can write the
 * parent could swap in a symbolic link (chown follows it: any file of root's
 * would become the daemon user's) or a folder of their own. So it is opened
 * without following a link, and refused unless it is what was made: a folder
 * of ours (a user cannot move a folder they cannot write into another one)
 * with no permission beyond 0750. 0, or -1 (logged).
 */
static int
prepare_dir(const char *dir, uid_t uid, gid_t gid)
{
	struct stat sb;
	int fd;

	if (mkdir(dir, 0750) < 0) {
		if (errno == EEXIST)
			return 0;
		log_warn("cannot create %s", dir);
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		log_warn("%s, just created, cannot be opened as a folder (replaced?): refusing it", dir);
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 07777 & ~(mode_t)0750) != 0) {
		log_warnx("%s is not the folder just created (replaced?): refusing it", dir);
		close(fd);
		return -1;
	}
	if (fchown(fd, uid, gid) < 0) {
		log_warn("cannot give %s to user %ld", dir, (long)uid);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
privdrop(const char *user, const char *group, const char *db_dir)
{
	struct passwd *pw;
	gid_t gid;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("user %s: %s", user, errno ? "cannot look it up" : "no such user");
		return -1;
	}
	gid = pw->pw_gid;
	if (group != NULL) {
		struct group *gr;
		errno = 0;
		if ((gr = getgrnam(group)) == NULL) {
			log_warnx("group %s: %s", group, errno ? "cannot look it up" : "no such group");
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (pw->pw_uid == 0) {
		log_warnx("user %s is root: nothing to drop to", user);
		return -1;
	}
	if (db_dir != NULL && prepare_dir(db_dir, pw->pw_uid, gid) < 0)
		return -1;
	/* Supplementary groups: only the one group (adm, to read the logs, is the usual choice). */
	if (setgroups(1, &gid) < 0) {
		log_warn("setgroups");
		return -1;
	}
	if (setgid(gid) < 0 || setegid(gid) < 0) {
		log_warn("setgid %ld", (long)gid);
		return -1;
	}
	if (setuid(pw->pw_uid) < 0 || seteuid(pw->pw_uid) < 0) {
		log_warn("setuid %s", user);
		return -1;
	}
	if (setuid(0) == 0 || seteuid(0) == 0 || getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
	    getgid() != gid || getegid() != gid) {
		log_warnx("dropping root to %s did not hold: refusing to run", user);
		return -1;
	}
	log_info("running as user %s, group %ld", user, (long)gid);
	return 0;
}

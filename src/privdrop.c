/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * privdrop.c: leave root for good (see privdrop.h).
 *
 * Order matters: supplementary groups and the group first (they need root),
 * then the user; afterwards setuid(0) must fail, or the drop did not happen.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

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
	if (db_dir != NULL && mkdir(db_dir, 0750) == 0) {
		if (chown(db_dir, pw->pw_uid, gid) < 0) {
			log_warn("cannot give %s to %s", db_dir, user);
			return -1;
		}
	} else if (db_dir != NULL && errno != EEXIST) {
		log_warn("cannot create %s", db_dir);
		return -1;
	}
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

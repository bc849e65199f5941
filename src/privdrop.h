/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * privdrop.h: leave root. Started as root (outside systemd, which starts the
 * daemon as its user directly), `tlslogd run` prepares the database folder
 * for its user, then becomes that user and group for good. Every step is
 * checked; any failure is fatal to the caller.
 */
#ifndef TLSLOGD_PRIVDROP_H
#define TLSLOGD_PRIVDROP_H

/*
 * Become user (and group, or the user's primary group when NULL), after
 * creating db_dir (0750) for them if it is missing. The new folder is given
 * to them through a descriptor, never by path, and refused when it was
 * replaced (a symbolic link, another folder) between its creation and the
 * hand-over. 0, or -1 (logged).
 */
int privdrop(const char *user, const char *group, const char *db_dir);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * autosource.h: what `tlslogd run` follows when the configuration names no
 * source (tlslogd.conf(5), SOURCES FOUND BY LOOKING), and whether the
 * sources it will follow can be read at all.
 *
 * Looked for, in this order, each added when it is a regular file:
 *   /var/log/mail.log          Debian, Ubuntu (rsyslog's mail facility)
 *   /var/log/maillog           RHEL, Fedora, Rocky, Alma
 *   /var/log/exim4/mainlog     Debian's exim4 (mta exim)
 *   /var/log/exim_mainlog      cPanel (mta exim)
 *   Dovecot's own log          when log_path in /etc/dovecot names a file (mta dovecot)
 * and the systemd journal when none of the first four exists (Debian 12
 * without rsyslog). Detection reads only the local file system.
 */
#ifndef TLSLOGD_AUTOSOURCE_H
#define TLSLOGD_AUTOSOURCE_H

#include "conf.h"

/*
 * For the tests only: a folder standing for "/" in every path looked at (the
 * paths of the sources found start with it too). Documented in tlslogd(8),
 * ENVIRONMENT, as not meant for production.
 */
#define AUTOSOURCE_ROOT_ENV "TLSLOGD_AUTOSOURCE_ROOT"

/*
 * Add to conf the sources found under root (NULL or "": the real "/"), with
 * lineno 0. Returns how many were added, or -1 (logged) when nothing can be
 * followed (no log file, and a build without the journal).
 */
int autosource_detect(struct conf *conf, const char *root);

/*
 * Can the daemon read every file source? As the configured user and group when
 * running as root with "user" set (checked in a child that drops to them),
 * otherwise as the caller. One line per problem: a missing file is an error
 * when missing_is_error, otherwise a warning (the daemon follows it once it
 * appears). 0, or -1 when any source cannot be followed.
 */
int autosource_check_readable(const struct conf *conf, int missing_is_error);

/* Print, one line each, what the daemon will follow (for `run -n`). */
void autosource_print(const struct conf *conf, int found);

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.h: the program's own diagnostics. Commands print to stderr with the
 * program name; the daemon switches the sink to syslog. The `x`
 * variants do not append strerror(errno). Only main decides to exit: these
 * functions never do.
 */
#ifndef TLSLOGD_LOG_H
#define TLSLOGD_LOG_H

void log_init(const char *progname);
void log_set_verbose(int verbose);
/* Send everything to syslog (the daemon) instead of stderr. */
void log_to_syslog(int on);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

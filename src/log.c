/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * log.c: write the program's own diagnostics to stderr, one line each,
 * prefixed with the program name, or (the daemon without -d) to syslog with
 * facility daemon and the tag "tlslogd", which no rules set routes, so that
 * tlslogd never reads its own lines as input. errno is preserved across
 * every call so that callers can log and still return the original error.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const char *log_progname = "tlslogd";
static int log_verbose;
static int log_syslog;

void
log_to_syslog(int on)
{
	if (on && !log_syslog)
		openlog("tlslogd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!on && log_syslog)
		closelog();
	log_syslog = on;
}

void
log_init(const char *progname)
{
	log_progname = progname;
}

void
log_set_verbose(int verbose)
{
	log_verbose = verbose;
}

static void
log_vwrite(int priority, const char *fmt, va_list ap, const char *suffix)
{
	if (log_syslog) {
		char msg[1024];
		vsnprintf(msg, sizeof(msg), fmt, ap);
		if (suffix)
			syslog(priority, "%s: %s", msg, suffix);
		else
			syslog(priority, "%s", msg);
		return;
	}
	/* One message, one piece: scan's matching threads may log too. */
	flockfile(stderr);
	fprintf(stderr, "%s: ", log_progname);
	vfprintf(stderr, fmt, ap);
	if (suffix)
		fprintf(stderr, ": %s", suffix);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

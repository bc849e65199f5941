/*
 * log.c: write the program's own diagnostics to stderr, one line each,
 * prefixed with the program name. errno is preserved across every call so
 * that callers can log and still return the original error.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *log_progname = "tlslogd";
static int log_verbose;

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
log_vwrite(const char *fmt, va_list ap, const char *suffix)
{
	fprintf(stderr, "%s: ", log_progname);
	vfprintf(stderr, fmt, ap);
	if (suffix)
		fprintf(stderr, ": %s", suffix);
	fputc('\n', stderr);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(fmt, ap, NULL);
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
	log_vwrite(fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

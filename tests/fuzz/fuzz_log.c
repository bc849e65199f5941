/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_log.c: log.h for the fuzz targets, in place of src/log.c. Every message
 * is still formatted (a wrong argument for a format is still a sanitizer
 * report), then dropped: a fuzzer runs millions of inputs, and a warning per
 * bad input would bury its own report on stderr.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static void
sink(const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
}

void
log_init(const char *progname)
{
	(void)progname;
}

void
log_set_verbose(int verbose)
{
	(void)verbose;
}

void
log_to_syslog(int on)
{
	(void)on;
}

#define SINK(name) \
	void name(const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		sink(fmt, ap); \
		va_end(ap); \
	}
SINK(log_warn)
SINK(log_warnx)
SINK(log_info)
SINK(log_debug)

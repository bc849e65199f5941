/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * conf_fuzz.c: libFuzzer target for the configuration parser (src/conf.c).
 *
 * The input is written to a file and read with conf_load, as `-c FILE` reads
 * it; the result is freed (leaks are reports). What a file that loads must
 * promise: the mail addresses are safe in a header, every flag threshold has
 * kinds, a count and a window above zero, every file source has a path.
 * Each line is also given to the value checkers alone.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	return 0;
}

static void
check_loaded(const struct conf *c)
{
	FUZZ_CHECK(c->database != NULL && c->patterns != NULL, "no database or patterns");
	if (c->mail_from != NULL)
		FUZZ_CHECK(conf_valid_address(c->mail_from), "mail_from %s", c->mail_from);
	for (char **to = c->mail_to; to && *to; to++)
		FUZZ_CHECK(conf_valid_address(*to), "mail_to %s", *to);
	for (size_t i = 0; i < c->nthresholds; i++) {
		const struct conf_threshold *t = &c->thresholds[i];
		FUZZ_CHECK(t->name && t->kinds && t->kinds[0] && t->count > 0 && t->window > 0,
		    "threshold %zu", i);
	}
	for (size_t i = 0; i < c->nsources; i++)
		FUZZ_CHECK(c->sources[i].type != SOURCE_FILE || c->sources[i].path != NULL,
		    "source %zu without a path", i);
	FUZZ_CHECK(c->max_line > 0 && c->batch_events > 0, "limits");
	if (c->timezone != NULL)
		FUZZ_CHECK(conf_valid_timezone(c->timezone), "timezone %s", c->timezone);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[128];
	struct conf conf;

	snprintf(path, sizeof(path), "%s/tlslogd.conf", fuzz_tmpdir());
	fuzz_write_file(path, data, size);
	conf_init(&conf);
	if (conf_load(&conf, path, 1) == 0)
		check_loaded(&conf);
	conf_free(&conf);

	/* The value checkers on each line. */
	char *text = fuzz_cstring(data, size);
	for (char *line = text, *next; line != NULL; line = next) {
		int64_t bytes;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (conf_parse_size(line, &bytes) == 0)
			FUZZ_CHECK(bytes >= 0, "size %s is %lld", line, (long long)bytes);
		(void)conf_valid_address(line);
		if (*line != '\0')
			(void)conf_valid_timezone(line);
	}
	free(text);
	return 0;
}

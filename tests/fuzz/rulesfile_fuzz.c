/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rulesfile_fuzz.c: libFuzzer target for the rules-file parser (rules_load
 * in src/rules.c, tlslogd.rules(5)).
 *
 * The input is written as the one file of a patterns folder and loaded; then
 * as a local rules file over a small shipped set, where its rules may extend
 * the set, replace the shipped rule by id or disable it. A set that loads is
 * used as `tlslogd test-rules` uses it: every rule's examples are matched
 * with that rule alone, and each example line goes through linematch; and
 * the literal scan built from the file's literals, and first-match-wins, are
 * checked against a plain loop on each example (rules_oracle.h). Every set is
 * freed (leaks are reports).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "event.h"
#include "fuzz.h"
#include "linematch.h"
#include "rules.h"

/* The literal scan and the sets are private to rules.c: include it to check them. */
#include "../../src/rules.c"
#include "rules_oracle.h"

#define REFERENCE 1795329607	/* mid-November 2026 */

static const char base_rules[] =
    "mta postfix\n"
    "programs postfix/*\n"
    "\n"
    "rule postfix-ssl-accept-error\n"
    "  programs smtpd\n"
    "  kind tls_handshake_failed\n"
    "  classify reason\n"
    "  direction in\n"
    "  role part\n"
    "  literal SSL_accept error from\n"
    "  pattern ^SSL_accept error from (?:unknown(?=\\[)|(?<peer_host>[^\\s\\[]+))?"
    "\\[(?<peer_ip>[^\\]]+)\\](?::(?<peer_port>\\d+))?: (?:-?\\d+|(?<reason>.+))$\n"
    "  example Nov 21 06:40:07 mx1 postfix/smtpd[23456]: SSL_accept error from "
    "unknown[192.0.2.10]: -1\n"
    "  expect peer_ip 192.0.2.10\n"
    "\n"
    "rule postfix-session-end\n"
    "  programs smtpd\n"
    "  kind tls_handshake_failed\n"
    "  direction in\n"
    "  role end\n"
    "  literal disconnect from\n"
    "  pattern ^disconnect from (?<peer_host>[^\\s\\[]+)\\[(?<peer_ip>[^\\]]+)\\]\n"
    "\n"
    "reason tls_no_shared_cipher no shared cipher\n";

static char shipped[128], own[128], local[128];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[160];

	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	snprintf(shipped, sizeof(shipped), "%s/shipped", fuzz_tmpdir());
	snprintf(own, sizeof(own), "%s/own", fuzz_tmpdir());
	snprintf(local, sizeof(local), "%s/local", fuzz_tmpdir());
	if (mkdir(shipped, 0700) < 0 || mkdir(own, 0700) < 0 || mkdir(local, 0700) < 0) {
		perror("mkdir");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/postfix.rules", shipped);
	fuzz_write_file(path, base_rules, sizeof(base_rules) - 1);
	return 0;
}

/* What test-rules does with a loaded set: each example against its rule, and through linematch. */
static void
use(struct rules *rules)
{
	struct linematch lm;
	struct rule_match m;

	linematch_init(&lm, rules, -1, REFERENCE);
	lm.want_ignored = 1;
	for (size_t i = 0; i < rules_count(rules); i++) {
		const struct rule *r = rules_get(rules, i);
		FUZZ_CHECK(r != NULL && r->id != NULL && r->set >= 0 &&
		    (size_t)r->set < rules_set_count(rules), "rule %zu", i);
		for (size_t e = 0; e < r->nexamples; e++) {
			const char *line = r->examples[e].line;
			struct event *ev = NULL;
			const struct rule *hit = NULL;

			lm.only_rule = r;
			if (linematch_line(&lm, line, strlen(line), &ev, &hit) == LM_EVENT)
				event_free(ev);
			lm.only_rule = NULL;
			if (linematch_line(&lm, line, strlen(line), &ev, &hit) == LM_EVENT)
				event_free(ev);
			(void)rules_match_one(rules, r, NULL, 0, line, strlen(line), &m);
			/* The example's message (or the line) on every set. */
			const char *msg = strstr(line, ": ");
			msg = msg ? msg + 2 : line;
			for (size_t s = 0; s < rules_set_count(rules); s++)
				oracle_check(rules, (int)s, NULL, 0, msg, strlen(msg));
		}
	}
	for (size_t s = 0; s < rules_set_count(rules); s++) {
		const char *mta = rules_set_mta(rules, (int)s);
		FUZZ_CHECK(mta != NULL && rules_find_set(rules, mta) == (int)s, "set %zu", s);
	}
	(void)rules_route(rules, "postfix/smtpd", 13);
	enum event_kind kind;
	const char *norm;
	size_t norm_len;
	(void)rules_classify(rules, "error:0A0000C1:SSL routines::no shared cipher", 45, &kind,
	    &norm, &norm_len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[160];
	struct rules *rules;

	snprintf(path, sizeof(path), "%s/fuzz.rules", own);
	fuzz_write_file(path, data, size);
	if ((rules = rules_load(own, NULL, 1)) != NULL)
		use(rules);
	rules_free(rules);

	snprintf(path, sizeof(path), "%s/local.rules", local);
	fuzz_write_file(path, data, size);
	if ((rules = rules_load(shipped, local, 0)) != NULL)
		use(rules);
	rules_free(rules);
	return 0;
}

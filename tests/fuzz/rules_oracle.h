/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rules_oracle.h: checks of the rules engine against a plain reimplementation,
 * for the fuzz targets that include src/rules.c itself (its literal scan and
 * its sets are private to it).
 *
 *   - the one-pass literal scans of a set (of all its rules' literals, and
 *     of its failure rules' alone) find a literal exactly when memmem finds
 *     it (a gated literal: in a message that starts with its gate);
 *   - rules_match gives the first rule of the set, in order, whose literal
 *     memmem finds, whose programs apply and whose pattern matches: the scan's
 *     shortcuts change nothing.
 */
#ifndef TLSLOGD_RULES_ORACLE_H
#define TLSLOGD_RULES_ORACLE_H

/* The literals of bits (and the part's gated ones) the part's scan finds in msg are those in it. */
static void
check_scan(const struct rule_set *s, const struct scan_part *p, uint64_t bits, const char *msg,
    size_t len)
{
	uint64_t covered = p->gated | bits;
	uint64_t found = scan_line(&s->scan, p, msg, len);

	for (size_t k = 0; k < s->scan.n; k++) {
		if (!(covered >> k & 1))
			continue;
		int in = util_memmem(msg, len, s->scan.text[k], s->scan.len[k]) != NULL;
		/* A gated literal is looked for only in a message that starts with its gate. */
		if (s->scan.gate[k] != NULL)
			in = in && len >= s->scan.gate_len[k] &&
			    memcmp(msg, s->scan.gate[k], s->scan.gate_len[k]) == 0;
		int bit = (found >> k & 1) != 0;
		FUZZ_CHECK(in == bit, "set %s: literal %zu \"%.*s\": memmem %d, scan %d", s->mta, k,
		    (int)s->scan.len[k], s->scan.text[k], in, bit);
	}
}

static void
oracle_check(struct rules *rs, int set, const char *daemon, size_t daemon_len, const char *msg,
    size_t len)
{
	const struct rule_set *s;
	struct rule_match m;

	if (set < 0 || (size_t)set >= rs->nsets)
		return;
	s = &rs->sets[set];
	/*
	 * The view of all the set's rules: the literals its two scans cover
	 * (failure and success rules, failure rules alone).
	 */
	const struct rule_view *v = &s->all;
	check_scan(s, &v->all, v->fail_bits | v->success_bits, msg, len);
	check_scan(s, &v->failures, v->fail_bits, msg, len);

	const struct rule *want = NULL;
	for (size_t i = 0; i < v->nrules && want == NULL; i++) {
		const struct rule *r = &rs->rules[v->rule_idx[i]];
		if (r->disabled)
			continue;
		if (r->literal_len > 0 && util_memmem(msg, len, r->literal, r->literal_len) == NULL)
			continue;
		if (!program_applies(r, daemon, daemon_len))
			continue;
		if (pcre2_match(r->code, (PCRE2_SPTR)msg, len, 0, 0, rs->md, rs->mctx) >= 0)
			want = r;
	}
	const struct rule *got = rules_match(rs, set, daemon, daemon_len, msg, len, &m);
	FUZZ_CHECK(got == want, "set %s: rules_match %s, in order %s", s->mta,
	    got ? got->id : "-", want ? want->id : "-");
}

#endif

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * advice_test.c: the advice for every kind, direction and MTA is either
 * nothing or one clean paragraph (printable ASCII, ends a sentence, no words
 * run together), never names another MTA's settings, and names the right
 * setting where the issue asks for one: the per-peer way to stop offering or
 * using TLS, keeping AUTH behind TLS, and the tools against password
 * guessing.
 */
#include "config.h"

#include <string.h>

#include "advice.h"
#include "event.h"
#include "tap.h"

/* Settings and commands that belong to one MTA only. */
static const char *const postfix_words[] = { "smtpd_", "smtp_tls_", "smtp_sasl_", "postfix ",
	"Postfix", "postscreen", "postmap", "master.cf", NULL };
static const char *const exim_words[] = { "Exim", "hosts_avoid_tls", "tls_advertise_hosts",
	"hosts_require_tls", "tls_verify_hosts", "acl_smtp", "public_name", "client_send", NULL };
static const char *const sendmail_words[] = { "Sendmail", "sendmail", "Try_TLS", "Srv_Features",
	"TLS_Srv", "TLS_Clt", "confAUTH", "confSERVER", "confCLIENT", "makemap", "AuthInfo",
	"FEATURE(", NULL };
static const char *const dovecot_words[] = { "disable_plaintext_auth", "ssl_cert", "doveadm",
	"doveconf", "ssl_min_protocol", NULL };

static const struct {
	const char *mta;
	const char *const *words;
} mtas[] = {
	{ "postfix", postfix_words },
	{ "exim", exim_words },
	{ "sendmail", sendmail_words },
	{ "dovecot", dovecot_words },
	{ "courier", NULL },
	{ NULL, NULL },
};
#define NMTAS (sizeof(mtas) / sizeof(mtas[0]))

/* The first of words found in text, or NULL. */
static const char *
find_word(const char *text, const char *const *words)
{
	for (size_t i = 0; words != NULL && words[i] != NULL; i++)
		if (strstr(text, words[i]) != NULL)
			return words[i];
	return NULL;
}

/* NULL when the paragraph is clean, else what is wrong with it. */
static const char *
paragraph_fault(const char *text)
{
	size_t len = strlen(text);

	if (len < 40)
		return "too short";
	if (len > 1200)
		return "too long for a paragraph";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c > 0x7e)
			return "a control character or a byte outside printable ASCII";
		if (c == ' ' && text[i + 1] == ' ')
			return "two spaces in a row";
		/* A sentence glued to the next one by string concatenation: "it.Tell". */
		if (i > 0 && (c == '.' || c == ';' || c == ':') && text[i - 1] >= 'a' &&
		    text[i - 1] <= 'z' && text[i + 1] >= 'A' && text[i + 1] <= 'Z')
			return "words run together";
	}
	if (text[0] == ' ' || text[len - 1] == ' ')
		return "leading or trailing blank";
	if (text[len - 1] != '.' && text[len - 1] != ')')
		return "does not end a sentence";
	return NULL;
}

/* text contains every one of the NULL-terminated needles. */
static int
has_all(const char *text, const char *const *needles)
{
	if (text == NULL)
		return 0;
	for (size_t i = 0; needles[i] != NULL; i++)
		if (strstr(text, needles[i]) == NULL)
			return 0;
	return 1;
}

#define HAS(kind, mta, dir, ...) do { \
	const char *const needles_[] = { __VA_ARGS__, NULL }; \
	const char *t_ = advice_text(kind, mta, dir); \
	if (!ok(has_all(t_, needles_), "%s %s %s names %s", event_kind_name(kind), \
	    event_direction_name(dir), mta ? mta : "(none)", needles_[0])) \
		printf("#   got: %s\n", t_ ? t_ : "(null)"); \
} while (0)

int
main(void)
{
	/* Every kind x direction x MTA: nothing, or a clean paragraph without foreign settings. */
	int bad_paragraphs = 0, foreign = 0, kinds_without = 0;
	for (int k = 0; k < KIND_COUNT; k++) {
		int any = 0;
		for (int d = 0; d < DIR_COUNT; d++)
			for (size_t m = 0; m < NMTAS; m++) {
				const char *t = advice_text((enum event_kind)k, mtas[m].mta,
				    (enum event_direction)d);
				if (t == NULL)
					continue;
				any = 1;
				const char *fault = paragraph_fault(t);
				if (fault != NULL) {
					bad_paragraphs++;
					printf("# %s %s %s: %s: %s\n", event_kind_name((enum event_kind)k),
					    event_direction_name((enum event_direction)d),
					    mtas[m].mta ? mtas[m].mta : "(none)", fault, t);
				}
				for (size_t o = 0; o < NMTAS; o++) {
					if (o == m)
						continue;
					const char *w = find_word(t, mtas[o].words);
					if (w != NULL) {
						foreign++;
						printf("# %s %s %s names %s's \"%s\": %s\n",
						    event_kind_name((enum event_kind)k),
						    event_direction_name((enum event_direction)d),
						    mtas[m].mta ? mtas[m].mta : "(none)", mtas[o].mta, w, t);
					}
				}
			}
		if (!any) {
			kinds_without++;
			printf("# no advice at all for %s\n", event_kind_name((enum event_kind)k));
		}
	}
	is_int(bad_paragraphs, 0, "every advice is one clean paragraph of printable ASCII");
	is_int(foreign, 0, "no advice names the settings of another MTA");
	is_int(kinds_without, 0, "every kind has advice in some direction");

	/* Broken STARTTLS on the other side: the per-peer way out, for each MTA. */
	static const enum event_kind broken[] = { KIND_TLS_HANDSHAKE_FAILED,
		KIND_TLS_LOST_CONNECTION, KIND_TLS_TIMEOUT, KIND_TLS_NO_SHARED_CIPHER,
		KIND_TLS_PROTOCOL_MISMATCH, KIND_TLS_WEAK_CRYPTO };
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		enum event_kind k = broken[i];
		HAS(k, "postfix", DIR_OUT, "smtp_tls_policy_maps", "none\"", "postmap");
		HAS(k, "exim", DIR_OUT, "hosts_avoid_tls", "smtp transport");
		HAS(k, "sendmail", DIR_OUT, "\"Try_TLS:mx.example.net NO\"", "access_db");
		HAS(k, "postfix", DIR_IN, "smtpd_discard_ehlo_keyword_address_maps", "starttls\"");
		HAS(k, "exim", DIR_IN, "tls_advertise_hosts = ! 192.0.2.7 : *");
		HAS(k, "sendmail", DIR_IN, "\"Srv_Features:192.0.2.7 S\"", "access_db");
	}
	HAS(KIND_TLS_STARTTLS_REFUSED, "postfix", DIR_OUT, "smtp_tls_policy_maps", "none\"");
	HAS(KIND_TLS_STARTTLS_REFUSED, "exim", DIR_OUT, "hosts_avoid_tls");
	HAS(KIND_TLS_STARTTLS_REFUSED, "sendmail", DIR_OUT, "Try_TLS:");
	HAS(KIND_TLS_DOWNGRADED, "postfix", DIR_OUT, "smtp_tls_policy_maps", "none\"", "encrypt\"");
	HAS(KIND_TLS_DOWNGRADED, "exim", DIR_OUT, "hosts_avoid_tls", "hosts_require_tls");
	HAS(KIND_TLS_DOWNGRADED, "sendmail", DIR_OUT, "Try_TLS:", "TLS_Srv:");
	HAS(KIND_TLS_NOT_OFFERED, "postfix", DIR_OUT, "smtp_tls_policy_maps");
	HAS(KIND_TLS_NOT_OFFERED, "exim", DIR_OUT, "hosts_require_tls");
	HAS(KIND_TLS_REQUIRED, "postfix", DIR_IN, "smtpd_tls_security_level", "master.cf");

	/* Certificates. */
	HAS(KIND_TLS_CERT_EXPIRED, "postfix", DIR_OUT, "smtp_tls_policy_maps");
	HAS(KIND_TLS_CERT_EXPIRED, NULL, DIR_OUT, "expired", "postmaster");
	HAS(KIND_TLS_CERT_UNTRUSTED, NULL, DIR_OUT, "self-signed", "openssl s_client");
	HAS(KIND_TLS_CERT_UNTRUSTED, "postfix", DIR_OUT, "smtp_tls_CAfile");
	HAS(KIND_TLS_CERT_REJECTED_BY_PEER, "postfix", DIR_IN, "smtpd_tls_chain_files");
	HAS(KIND_TLS_LOCAL_ERROR, "postfix", DIR_IN, "smtpd_tls_cert_file", "smtpd_tls_key_file");
	HAS(KIND_TLS_LOCAL_ERROR, "exim", DIR_IN, "tls_certificate", "tls_privatekey");
	HAS(KIND_TLS_LOCAL_ERROR, "sendmail", DIR_IN, "confSERVER_CERT", "confSERVER_KEY");
	HAS(KIND_TLS_LOCAL_ERROR, "dovecot", DIR_IN, "ssl_cert", "ssl_server_cert_file");

	/* AUTH: wrong password, no TLS on 587, guessing. */
	for (size_t m = 0; m < NMTAS; m++) {
		HAS(KIND_AUTH_FAILED, mtas[m].mta, DIR_IN, "password", "guessing", "fail2ban");
		HAS(KIND_AUTH_WITHOUT_TLS, mtas[m].mta, DIR_IN, "STARTTLS", "TLS");
	}
	HAS(KIND_AUTH_FAILED, "postfix", DIR_IN, "postscreen", "smtpd_client_auth_rate_limit");
	HAS(KIND_AUTH_FAILED, "exim", DIR_IN, "ratelimit");
	HAS(KIND_AUTH_FAILED, "sendmail", DIR_IN, "ratecontrol");
	HAS(KIND_AUTH_FAILED, "dovecot", DIR_IN, "auth_failure_delay");
	HAS(KIND_AUTH_FAILED, "postfix", DIR_OUT, "smtp_sasl_password_maps");
	HAS(KIND_AUTH_WITHOUT_TLS, "postfix", DIR_IN, "587", "smtpd_tls_auth_only = yes");
	HAS(KIND_AUTH_WITHOUT_TLS, "exim", DIR_IN, "587", "tls_in_cipher");
	HAS(KIND_AUTH_WITHOUT_TLS, "sendmail", DIR_IN, "587", "confAUTH_OPTIONS");
	HAS(KIND_AUTH_WITHOUT_TLS, "dovecot", DIR_IN, "disable_plaintext_auth");
	HAS(KIND_AUTH_WITHOUT_TLS, NULL, DIR_IN, "587");
	HAS(KIND_AUTH_TEMP_FAILURE, NULL, DIR_IN, "do not block");

	/* Kinds of one direction give nothing in the other. */
	ok(advice_text(KIND_TLS_NOT_OFFERED, "postfix", DIR_IN) == NULL, "tls_not_offered: nothing for in");
	ok(advice_text(KIND_TLS_STARTTLS_REFUSED, "exim", DIR_IN) == NULL,
	    "tls_starttls_refused: nothing for in");
	ok(advice_text(KIND_TLS_REQUIRED, "sendmail", DIR_OUT) == NULL, "tls_required: nothing for out");
	ok(advice_text(KIND_TLS_DOWNGRADED, NULL, DIR_IN) == NULL, "tls_downgraded: nothing for in");

	/* An MTA's advice is its own, names are case-insensitive, unknowns get the generic text. */
	const char *generic = advice_text(KIND_TLS_HANDSHAKE_FAILED, NULL, DIR_OUT);
	ok(generic != NULL && advice_text(KIND_TLS_HANDSHAKE_FAILED, "postfix", DIR_OUT) != generic,
	    "postfix gets its own text, not the generic one");
	ok(advice_text(KIND_TLS_HANDSHAKE_FAILED, "courier", DIR_OUT) == generic,
	    "an unknown MTA gets the generic text");
	ok(advice_text(KIND_TLS_HANDSHAKE_FAILED, "Postfix", DIR_OUT) ==
	    advice_text(KIND_TLS_HANDSHAKE_FAILED, "postfix", DIR_OUT), "MTA names are case-insensitive");
	ok(advice_text(KIND_TLS_HANDSHAKE_FAILED, "dovecot", DIR_OUT) == generic,
	    "dovecot sends no SMTP: the generic text outgoing");
	ok(advice_text((enum event_kind)KIND_COUNT, "postfix", DIR_IN) == NULL, "a kind out of range: NULL");
	ok(advice_text(KIND_AUTH_FAILED, "postfix", (enum event_direction)DIR_COUNT) == NULL,
	    "a direction out of range: NULL");
	return done_testing();
}

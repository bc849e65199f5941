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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "advice.h"
#include "domain.h"
#include "log.h"
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

/* The shipped advice, rendered for one peer; every text is kept until the end. */
static struct advice *shipped;
static char *pool[4096];
static size_t npool;
static const struct advice_values peer4 = { "198.51.100.31", "mx.partner.example", "partner.example" };

static const char *
keep(char *t)
{
	if (t != NULL && npool < sizeof(pool) / sizeof(pool[0]))
		pool[npool++] = t;
	return t;
}

static const char *
render(const struct advice *a, enum event_kind kind, const char *mta, enum event_direction dir,
    const struct advice_values *v)
{
	return keep(advice_render(a, kind, dir, mta, v));
}

static const char *
advice_text(enum event_kind kind, const char *mta, enum event_direction dir)
{
	return render(shipped, kind, mta, dir, &peer4);
}

static int
same_text(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

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

static void values_and_files(void);

int
main(void)
{
	log_init("advice_test");
	shipped = advice_load(ADVICE_DIR, NULL);
	ok(shipped != NULL && advice_count(shipped) > 100, "the shipped advice files load");
	if (shipped == NULL)
		return done_testing();
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
		HAS(k, "sendmail", DIR_OUT, "\"Try_TLS:mx.partner.example NO\"", "access_db");
		HAS(k, "postfix", DIR_IN, "smtpd_discard_ehlo_keyword_address_maps", "starttls\"");
		HAS(k, "exim", DIR_IN, "tls_advertise_hosts = ! 198.51.100.31 : *");
		HAS(k, "sendmail", DIR_IN, "\"Srv_Features:198.51.100.31 S\"", "access_db");
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
	ok(generic != NULL && !same_text(advice_text(KIND_TLS_HANDSHAKE_FAILED, "postfix", DIR_OUT), generic),
	    "postfix gets its own text, not the generic one");
	ok(same_text(advice_text(KIND_TLS_HANDSHAKE_FAILED, "courier", DIR_OUT), generic),
	    "an unknown MTA gets the generic text");
	ok(same_text(advice_text(KIND_TLS_HANDSHAKE_FAILED, "Postfix", DIR_OUT),
	    advice_text(KIND_TLS_HANDSHAKE_FAILED, "postfix", DIR_OUT)), "MTA names are case-insensitive");
	ok(same_text(advice_text(KIND_TLS_HANDSHAKE_FAILED, "dovecot", DIR_OUT), generic),
	    "dovecot sends no SMTP: the generic text outgoing");
	ok(advice_text((enum event_kind)KIND_COUNT, "postfix", DIR_IN) == NULL, "a kind out of range: NULL");
	ok(advice_text(KIND_AUTH_FAILED, "postfix", (enum event_direction)DIR_COUNT) == NULL,
	    "a direction out of range: NULL");
	values_and_files();
	advice_free(shipped);
	for (size_t i = 0; i < npool; i++)
		free(pool[i]);
	return done_testing();
}

/* Every text of the shipped files rendered for v: how many contain needle. */
static int
count_texts(const struct advice_values *v, const char *needle)
{
	int n = 0;
	for (int k = 0; k < KIND_COUNT; k++)
		for (int d = 0; d < DIR_COUNT; d++)
			for (size_t m = 0; m < NMTAS; m++) {
				const char *t = render(shipped, (enum event_kind)k, mtas[m].mta,
				    (enum event_direction)d, v);
				if (t != NULL && strstr(t, needle) != NULL)
					n++;
			}
	return n;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		perror(path);
}

static void
values_and_files(void)
{
	/* The peer's own values, never the documentation's. */
	is_int(count_texts(&peer4, "192.0.2.7"), 0, "no text names 192.0.2.7 when the address is known");
	is_int(count_texts(&peer4, "example.net"), 0, "no text names example.net when the names are known");
	is_int(count_texts(&peer4, "%{"), 0, "every placeholder is filled");
	ok(count_texts(&peer4, "198.51.100.31") >= 20, "the peer's address is in the texts");
	ok(count_texts(&peer4, "partner.example") >= 20, "its host name and domain are in the texts");
	HAS(KIND_TLS_HANDSHAKE_FAILED, "postfix", DIR_IN, "\"198.51.100.31/32 starttls\"");
	HAS(KIND_TLS_HANDSHAKE_FAILED, "postfix", DIR_OUT, "\"partner.example none\"");
	HAS(KIND_TLS_CERT_EXPIRED, "postfix", DIR_OUT, "\"partner.example encrypt\"");
	HAS(KIND_TLS_HANDSHAKE_FAILED, "exim", DIR_OUT, "hosts_avoid_tls = 198.51.100.31");
	HAS(KIND_TLS_HANDSHAKE_FAILED, "postfix", DIR_IN, "/etc/postfix/main.cf");
	HAS(KIND_TLS_HANDSHAKE_FAILED, "sendmail", DIR_IN, "makemap hash /etc/mail/access");
	HAS(KIND_TLS_HANDSHAKE_FAILED, "exim", DIR_IN, "update-exim4.conf", "/etc/exim4/");

	/* IPv6 in each MTA's syntax; IPv4-mapped addresses as IPv4. */
	const struct advice_values v6 = { "2001:DB8::1", NULL, NULL };
	const char *t = render(shipped, KIND_TLS_HANDSHAKE_FAILED, "postfix", DIR_IN, &v6);
	ok(t && strstr(t, "\"2001:db8::1/128 starttls\""), "postfix: an IPv6 cidr key");
	t = render(shipped, KIND_TLS_HANDSHAKE_FAILED, "exim", DIR_IN, &v6);
	ok(t && strstr(t, "! 2001::db8::::1 : *"), "exim: an IPv6 address with its colons doubled");
	t = render(shipped, KIND_TLS_HANDSHAKE_FAILED, "sendmail", DIR_IN, &v6);
	ok(t && strstr(t, "\"Srv_Features:IPv6:2001:db8::1 S\""), "sendmail: the IPv6: prefix");
	t = render(shipped, KIND_TLS_HANDSHAKE_FAILED, "sendmail", DIR_OUT, &v6);
	ok(t && strstr(t, "Try_TLS:IPv6:2001:db8::1 NO"), "sendmail: the address when no host name");
	const struct advice_values mapped = { "::ffff:192.0.2.77", NULL, NULL };
	t = render(shipped, KIND_TLS_HANDSHAKE_FAILED, "postfix", DIR_IN, &mapped);
	ok(t && strstr(t, "\"192.0.2.77/32 starttls\""), "an IPv4-mapped address is written as IPv4");

	/* Unknown or hostile values: a word in capitals, never the value. */
	const struct advice_values bad = { "not-an-ip", "evil\033[2J.example", "a b" };
	t = render(shipped, KIND_TLS_HANDSHAKE_FAILED, "sendmail", DIR_OUT, &bad);
	ok(t && strstr(t, "Try_TLS:HOSTNAME NO") && !strchr(t, '\033'), "a hostile host name is not used");
	t = render(shipped, KIND_TLS_HANDSHAKE_FAILED, "postfix", DIR_OUT, NULL);
	ok(t && strstr(t, "\"DOMAIN none\""), "no values: DOMAIN");

	/* The recipient domain of a delivery line. */
	char dom[256];
	const char *d = domain_of_recipient("x postfix/smtp[1]: Q: to=<bob@Partner.Example>, relay=mx",
	    dom, sizeof(dom));
	ok(d && strcmp(d, "partner.example") == 0, "postfix to=<bob@partner.example>");
	d = domain_of_recipient("2026-11-21 1tB-000 == gina@partner.example.net R=dnslookup", dom,
	    sizeof(dom));
	ok(d && strcmp(d, "partner.example.net") == 0, "exim == gina@partner.example.net");
	d = domain_of_recipient("sm-mta[1]: Q: to=adam@legacy.example.net, delay=0", dom, sizeof(dom));
	ok(d && strcmp(d, "legacy.example.net") == 0, "sendmail to=adam@legacy.example.net");
	ok(domain_of_recipient("SSL_connect error to mx[192.0.2.1]:25", dom, sizeof(dom)) == NULL,
	    "no delivery line: no domain");

	/* A local folder replaces an entry by its key and adds variables; errors name file and line. */
	char dir[] = "/tmp/advice_testXXXXXX";
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return;
	}
	char path[256];
	snprintf(path, sizeof(path), "%s/local.advice", dir);
	write_file(path, "# mine\nset postfix_dir /usr/local/etc/postfix\n"
	    "advice tls_handshake_failed in postfix\n\tOurs: %{ip_cidr} in %{postfix_dir}, 100%%.\n");
	struct advice *a = advice_load(ADVICE_DIR, dir);
	t = a ? render(a, KIND_TLS_HANDSHAKE_FAILED, "postfix", DIR_IN, &peer4) : NULL;
	ok(t && strcmp(t, "Ours: 198.51.100.31/32 in /usr/local/etc/postfix, 100%.") == 0,
	    "a local entry replaces the shipped one");
	t = a ? render(a, KIND_TLS_HANDSHAKE_FAILED, "postfix", DIR_OUT, &peer4) : NULL;
	ok(t && strstr(t, "/usr/local/etc/postfix/tls_policy"), "a local set changes every entry");
	advice_free(a);
	write_file(path, "advice tls_nosuch in postfix\n\ttext\nadvice auth_failed in postfix\n"
	    "\tthe %{nosuch} value\nbogus line\n");
	ok(advice_load(ADVICE_DIR, dir) == NULL, "errors: nothing loaded (see the three lines above)");
	unlink(path);
	rmdir(dir);
	ok(advice_load("/nonexistent/advice", NULL) == NULL, "a missing folder is an error");
}

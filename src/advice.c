/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * advice.c: the advice for each cause of failure (see advice.h).
 *
 * The advice is a table: (kind, directions, MTA) -> text. A lookup takes the
 * entry for the event's MTA if there is one, else the generic entry of the
 * kind (MTA NULL), else nothing. Texts are assembled from the phrases below
 * by string-literal concatenation, so that one workaround ("stop using TLS
 * for that peer only") is written, and checked against the MTA's manual,
 * once. An administrator pastes these settings into a live configuration:
 * every setting name here was checked against the MTA's own documentation
 * (Postfix postconf(5) and cidr_table(5), the Exim specification's chapters
 * on the smtp transport, TLS and authenticators, Sendmail's cf/README and
 * op guide, Dovecot's settings reference), and examples use the documentation
 * names and addresses (example.net, 192.0.2.7) so nobody can mistake them
 * for a value to keep.
 *
 * Why the per-peer workarounds look the way they do:
 *   - Postfix looks up smtp_tls_policy_maps by next-hop destination (the
 *     recipient domain, or "[host]" for a transport or relayhost next hop),
 *     not by MX host name; incoming, STARTTLS can be hidden from one client
 *     with smtpd_discard_ehlo_keyword_address_maps (smtpd_tls_security_level
 *     is per service, not per client).
 *   - Exim: hosts_avoid_tls is an option of the smtp transport;
 *     tls_advertise_hosts is a main option and its list needs the trailing
 *     "*" or STARTTLS disappears for everyone.
 *   - Sendmail: Try_TLS: (outgoing) and Srv_Features: with the flag S
 *     (incoming) are access map entries, read only with FEATURE(`access_db').
 * Dovecot serves IMAP and POP3 clients, not other servers: its advice is
 * about the client program and Dovecot's own settings.
 */
#include "config.h"

#include <stddef.h>
#include <strings.h>

#include "advice.h"

#define D_IN (1u << DIR_IN)
#define D_OUT (1u << DIR_OUT)
#define D_BOTH (D_IN | D_OUT)

/* ---- phrases shared by several kinds ---- */

/* Stop offering STARTTLS to one client. */
#define IN_OFF_POSTFIX \
	"In Postfix, hide STARTTLS from that client only: smtpd_discard_ehlo_keyword_address_maps = " \
	"cidr:/etc/postfix/no_starttls.cidr in main.cf, with a line such as \"192.0.2.7/32 starttls\" " \
	"(its address) in that file, then postfix reload. Keep smtpd_tls_security_level = may on " \
	"port 25 (not encrypt), or such a client cannot deliver at all."
#define IN_OFF_EXIM \
	"In Exim, stop advertising STARTTLS to that client only with the main option " \
	"tls_advertise_hosts = ! 192.0.2.7 : * (its address; the final * keeps STARTTLS for " \
	"everyone else), then reload Exim."
#define IN_OFF_SENDMAIL \
	"In Sendmail, stop offering STARTTLS to that client only with the access map entry " \
	"\"Srv_Features:192.0.2.7 S\" (its address or host name; needs FEATURE(`access_db')), " \
	"then rebuild the map: makemap hash /etc/mail/access < /etc/mail/access."

/* Stop using TLS towards one server. */
#define OUT_OFF_POSTFIX \
	"In Postfix, stop using TLS for that destination only: an entry \"example.net none\" in " \
	"smtp_tls_policy_maps (e.g. hash:/etc/postfix/tls_policy), keyed by the next-hop " \
	"domain, or \"[mx.example.net]\" when the next hop is a host from transport_maps or " \
	"relayhost; then postmap /etc/postfix/tls_policy."
#define OUT_OFF_EXIM \
	"In Exim, stop using TLS for that server only: hosts_avoid_tls = 192.0.2.7 (its address " \
	"or host name) on the smtp transport (remote_smtp), then reload Exim."
#define OUT_OFF_SENDMAIL \
	"In Sendmail, stop using STARTTLS with that server only: the access map entry " \
	"\"Try_TLS:mx.example.net NO\" (its host name or address; needs FEATURE(`access_db')), " \
	"then makemap hash /etc/mail/access < /etc/mail/access."

/* Relax a verifying policy for one destination while its certificate is broken. */
#define OUT_RELAX_POSTFIX \
	"Postfix only holds the mail when a verifying level (verify, secure, dane) applies to " \
	"that destination; to deliver encrypted meanwhile, put \"example.net encrypt\" in " \
	"smtp_tls_policy_maps (first, before any MTA-STS lookup), postmap it, and remove it " \
	"once fixed."
#define OUT_RELAX_EXIM \
	"Exim only holds the mail when the host is in tls_verify_hosts or hosts_require_dane " \
	"on the smtp transport; with the default tls_try_verify_hosts it delivers encrypted " \
	"anyway. Take the host out of those lists for a while if the mail must go."
#define OUT_RELAX_SENDMAIL \
	"Sendmail only holds the mail when the access map requires verification for that " \
	"server (an entry such as \"TLS_Srv:mx.example.net VERIFY\"); relax that entry for a " \
	"while and rebuild the map with makemap."

#define BROKEN_IN \
	"Single failures are usually scanners or bots and need nothing. If a real sender " \
	"fails like this every time, its STARTTLS is broken and its mail may never arrive; tell " \
	"its postmaster and, until it is fixed, stop offering STARTTLS to it."
#define BROKEN_OUT \
	"If every delivery to this server fails like this, its STARTTLS is broken; tell its " \
	"postmaster and, until it is fixed, stop using TLS with that server only."
#define BROKEN_DOVECOT \
	"For an IMAP or POP3 client, one failure is often a scanner. If it is one of your " \
	"users every time, check the program's security setting: STARTTLS on ports 143 and " \
	"110, SSL/TLS on 993 and 995, and that it supports the TLS versions your " \
	"ssl_min_protocol allows."

#define GUESS_GENERIC \
	"Wrong user name or password. One user failing a few times from a familiar address is " \
	"a person with a changed or mistyped password saved in a mail program: contact them. " \
	"Many user names, or many attempts from one address, are password guessing: block the " \
	"address (fail2ban), offer AUTH only over TLS, and only on the submission ports " \
	"(587, 465) if your users allow it."

/* ---- the table ---- */

struct advice {
	enum event_kind kind;
	unsigned dirs;		/* D_IN, D_OUT or both */
	const char *mta;	/* NULL: any MTA (the generic entry) */
	const char *text;
};

static const struct advice advice[] = {
	/* ---- certificates ---- */
	{ KIND_TLS_CERT_EXPIRED, D_OUT, NULL,
	  "The server's certificate has expired or is not yet valid. Only its administrator "
	  "can fix that: tell the postmaster of that domain. Mail is held only where your "
	  "policy verifies certificates (DANE, MTA-STS or a verify level for that domain)." },
	{ KIND_TLS_CERT_EXPIRED, D_OUT, "postfix",
	  "The server's certificate has expired or is not yet valid; tell the postmaster of "
	  "that domain. " OUT_RELAX_POSTFIX },
	{ KIND_TLS_CERT_EXPIRED, D_OUT, "exim",
	  "The server's certificate has expired or is not yet valid; tell the postmaster of "
	  "that domain. " OUT_RELAX_EXIM },
	{ KIND_TLS_CERT_EXPIRED, D_OUT, "sendmail",
	  "The server's certificate has expired or is not yet valid; tell the postmaster of "
	  "that domain. " OUT_RELAX_SENDMAIL },
	{ KIND_TLS_CERT_EXPIRED, D_IN, NULL,
	  "The client presented an expired client certificate. That matters only where you "
	  "relay or grant access by client certificate; the client's administrator must renew "
	  "it. For ordinary incoming mail it is harmless." },

	{ KIND_TLS_CERT_UNTRUSTED, D_OUT, NULL,
	  "The server's certificate could not be verified: self-signed, from an unknown CA, or "
	  "sent without its intermediate certificates (check with openssl s_client -starttls smtp "
	  "-connect mx.example.net:25 -showcerts). Self-signed certificates are common on port 25 "
	  "and harmless with opportunistic TLS; if many servers fail like this, your own CA "
	  "bundle is missing." },
	{ KIND_TLS_CERT_UNTRUSTED, D_OUT, "postfix",
	  "The server's certificate could not be verified: self-signed, from an unknown CA, or "
	  "sent without its intermediates (openssl s_client -starttls smtp -connect "
	  "mx.example.net:25 -showcerts). If many servers fail like this, set smtp_tls_CAfile "
	  "(e.g. /etc/ssl/certs/ca-certificates.crt). " OUT_RELAX_POSTFIX },
	{ KIND_TLS_CERT_UNTRUSTED, D_OUT, "exim",
	  "The server's certificate could not be verified: self-signed, from an unknown CA, or "
	  "sent without its intermediates (openssl s_client -starttls smtp -connect "
	  "mx.example.net:25 -showcerts). If many servers fail like this, set "
	  "tls_verify_certificates = system on the smtp transport. " OUT_RELAX_EXIM },
	{ KIND_TLS_CERT_UNTRUSTED, D_OUT, "sendmail",
	  "The server's certificate could not be verified: self-signed, from an unknown CA, or "
	  "sent without its intermediates (openssl s_client -starttls smtp -connect "
	  "mx.example.net:25 -showcerts). If many servers fail like this, point confCACERT_PATH "
	  "and confCACERT at your CA certificates. " OUT_RELAX_SENDMAIL },
	{ KIND_TLS_CERT_UNTRUSTED, D_IN, NULL,
	  "The client's certificate is not signed by a CA you trust. That matters only where "
	  "you relay or grant access by client certificate: add the CA that issued it to the "
	  "CAs you accept for clients, or have the client use a certificate you trust." },

	{ KIND_TLS_CERT_HOST_MISMATCH, D_OUT, NULL,
	  "The server's certificate does not name the host you connected to (often a hosting "
	  "provider's default certificate, or an MX name missing from the subjectAltName). "
	  "Tell that domain's postmaster; with opportunistic TLS the mail still goes out "
	  "encrypted." },
	{ KIND_TLS_CERT_HOST_MISMATCH, D_OUT, "postfix",
	  "The server's certificate does not name the host you connected to (often a hosting "
	  "provider's default certificate, or an MX name missing from the subjectAltName); tell "
	  "that domain's postmaster. " OUT_RELAX_POSTFIX },
	{ KIND_TLS_CERT_HOST_MISMATCH, D_OUT, "exim",
	  "The server's certificate does not name the host you connected to (often a hosting "
	  "provider's default certificate, or an MX name missing from the subjectAltName); tell "
	  "that domain's postmaster. Exim checks the name for hosts in tls_verify_cert_hostnames. "
	  OUT_RELAX_EXIM },
	{ KIND_TLS_CERT_HOST_MISMATCH, D_OUT, "sendmail",
	  "The server's certificate does not name the host you connected to (often a hosting "
	  "provider's default certificate, or an MX name missing from the subjectAltName); tell "
	  "that domain's postmaster. " OUT_RELAX_SENDMAIL },
	{ KIND_TLS_CERT_HOST_MISMATCH, D_IN, NULL,
	  "The client's certificate does not match its name. That matters only where you grant "
	  "access by client certificate; the client's administrator must issue a matching one." },

	{ KIND_TLS_CERT_MISSING, D_IN, NULL,
	  "The client sent no certificate where you require one (relaying by client "
	  "certificate). Install the certificate in that client, or let it use SMTP AUTH "
	  "instead." },
	{ KIND_TLS_CERT_MISSING, D_IN, "postfix",
	  "The client sent no certificate where you require one (smtpd_tls_req_ccert, or "
	  "relaying by permit_tls_clientcerts). Install the certificate in that client, or let "
	  "it use SMTP AUTH instead." },
	{ KIND_TLS_CERT_MISSING, D_IN, "exim",
	  "The client sent no certificate although it is in tls_verify_hosts. Install the "
	  "certificate in that client, or take it out of tls_verify_hosts and let it use SMTP "
	  "AUTH instead." },
	{ KIND_TLS_CERT_MISSING, D_IN, "sendmail",
	  "The client sent no certificate where the access map requires a verified one "
	  "(a TLS_Clt: entry with VERIFY). Install the certificate in that client, or relax "
	  "that entry and let it use SMTP AUTH instead." },
	{ KIND_TLS_CERT_MISSING, D_IN, "dovecot",
	  "The client sent no certificate although ssl_verify_client_cert requires one. Install "
	  "the certificate in that mail program, or stop requiring client certificates." },
	{ KIND_TLS_CERT_MISSING, D_OUT, NULL,
	  "No certificate where one was required: the server asked for a client certificate "
	  "you do not send, or sent none of its own. If the server requires a client "
	  "certificate, configure one for your outgoing connections; otherwise tell its "
	  "postmaster." },
	{ KIND_TLS_CERT_MISSING, D_OUT, "postfix",
	  "No certificate where one was required: if the server requires a client certificate, "
	  "set smtp_tls_cert_file and smtp_tls_key_file (or smtp_tls_chain_files); otherwise "
	  "tell its postmaster." },
	{ KIND_TLS_CERT_MISSING, D_OUT, "exim",
	  "No certificate where one was required: if the server requires a client certificate, "
	  "set tls_certificate and tls_privatekey on the smtp transport; otherwise tell its "
	  "postmaster." },
	{ KIND_TLS_CERT_MISSING, D_OUT, "sendmail",
	  "No certificate where one was required: if the server requires a client certificate, "
	  "define confCLIENT_CERT and confCLIENT_KEY; otherwise tell its postmaster." },

	{ KIND_TLS_CERT_REJECTED_BY_PEER, D_IN, NULL,
	  "The client rejected your server certificate (bad certificate, unknown CA, expired). "
	  "Check what you serve with openssl s_client -starttls smtp -connect your.mx:25 "
	  "-showcerts: it must be current, name the host, and come with its intermediate "
	  "certificates." },
	{ KIND_TLS_CERT_REJECTED_BY_PEER, D_IN, "postfix",
	  "The client rejected your server certificate (bad certificate, unknown CA, expired). "
	  "Check what you serve with openssl s_client -starttls smtp -connect your.mx:25 "
	  "-showcerts: it must be current, name the host, and come with its intermediates "
	  "(smtpd_tls_chain_files, or smtpd_tls_cert_file holding the certificate followed by "
	  "the intermediates); postfix reload after every renewal." },
	{ KIND_TLS_CERT_REJECTED_BY_PEER, D_IN, "exim",
	  "The client rejected your server certificate (bad certificate, unknown CA, expired). "
	  "Check what you serve with openssl s_client -starttls smtp -connect your.mx:25 "
	  "-showcerts: it must be current, name the host, and the tls_certificate file must hold "
	  "the certificate followed by the intermediates; reload Exim after a renewal." },
	{ KIND_TLS_CERT_REJECTED_BY_PEER, D_IN, "sendmail",
	  "The client rejected your server certificate (bad certificate, unknown CA, expired). "
	  "Check what you serve with openssl s_client -starttls smtp -connect your.mx:25 "
	  "-showcerts: the confSERVER_CERT file must be current and name the host, with the "
	  "intermediates available; restart sendmail after a renewal." },
	{ KIND_TLS_CERT_REJECTED_BY_PEER, D_IN, "dovecot",
	  "The mail program rejected your server certificate (bad certificate, unknown CA, "
	  "expired). Check it with openssl s_client -connect your.imap:993 -showcerts: it must be "
	  "current, name the host the users type, and the ssl_cert file (ssl_server_cert_file "
	  "in Dovecot 2.4) must hold the certificate followed by the intermediates; doveadm "
	  "reload after a renewal." },
	{ KIND_TLS_CERT_REJECTED_BY_PEER, D_OUT, NULL,
	  "The server rejected the client certificate you send: it is expired, or from a CA "
	  "that server does not accept. Renew it, or stop sending one if that server does not "
	  "require it." },
	{ KIND_TLS_CERT_REJECTED_BY_PEER, D_OUT, "postfix",
	  "The server rejected the client certificate you send (smtp_tls_cert_file or "
	  "smtp_tls_chain_files): it is expired, or from a CA that server does not accept. "
	  "Renew it, or leave those settings empty if no server needs a client certificate." },
	{ KIND_TLS_CERT_REJECTED_BY_PEER, D_OUT, "exim",
	  "The server rejected the client certificate you send (tls_certificate on the smtp "
	  "transport): it is expired, or from a CA that server does not accept. Renew it, or "
	  "unset it if no server needs a client certificate." },
	{ KIND_TLS_CERT_REJECTED_BY_PEER, D_OUT, "sendmail",
	  "The server rejected the client certificate you send (confCLIENT_CERT): it is "
	  "expired, or from a CA that server does not accept. Renew it, or leave it undefined "
	  "if no server needs a client certificate." },

	/* ---- negotiation ---- */
	{ KIND_TLS_NO_SHARED_CIPHER, D_IN, NULL,
	  "The client and your server share no cipher. Usually the client is old; if every "
	  "client fails like this, your certificate or key is not loaded. Opportunistic TLS on "
	  "port 25 can be permissive (the alternative is plain text); else stop offering "
	  "STARTTLS to that client only." },
	{ KIND_TLS_NO_SHARED_CIPHER, D_IN, "postfix",
	  "The client and your server share no cipher. Usually the client is old; if every "
	  "client fails like this, your certificate or key is not loaded (check "
	  "smtpd_tls_cert_file and smtpd_tls_key_file). Port 25 can stay permissive with "
	  "smtpd_tls_ciphers = medium; strict settings belong in smtpd_tls_mandatory_ciphers. "
	  IN_OFF_POSTFIX },
	{ KIND_TLS_NO_SHARED_CIPHER, D_IN, "exim",
	  "The client and your server share no cipher. Usually the client is old; if every "
	  "client fails like this, your tls_certificate or tls_privatekey is not loaded. A strict "
	  "tls_require_ciphers in the main section applies to every client. " IN_OFF_EXIM },
	{ KIND_TLS_NO_SHARED_CIPHER, D_IN, "sendmail",
	  "The client and your server share no cipher. Usually the client is old; if every "
	  "client fails like this, confSERVER_CERT or confSERVER_KEY is not loaded. A strict "
	  "confCIPHER_LIST applies to every client. " IN_OFF_SENDMAIL },
	{ KIND_TLS_NO_SHARED_CIPHER, D_IN, "dovecot",
	  "The mail program and Dovecot share no cipher: the program is too old for your "
	  "ssl_cipher_list. Update the program rather than weakening ssl_cipher_list for "
	  "everyone." },
	{ KIND_TLS_NO_SHARED_CIPHER, D_OUT, NULL,
	  "The server offers only ciphers your side refuses. Tell its postmaster; until it is "
	  "fixed, stop using TLS for that server only." },
	{ KIND_TLS_NO_SHARED_CIPHER, D_OUT, "postfix",
	  "The server offers only ciphers your side refuses. Tell its postmaster; meanwhile "
	  "allow older ciphers for it only (\"example.net may ciphers=medium\" in "
	  "smtp_tls_policy_maps) or, if that fails too, use none instead of may. " OUT_OFF_POSTFIX },
	{ KIND_TLS_NO_SHARED_CIPHER, D_OUT, "exim",
	  "The server offers only ciphers your side refuses (tls_require_ciphers on the smtp "
	  "transport). Tell its postmaster; until it is fixed: " OUT_OFF_EXIM },
	{ KIND_TLS_NO_SHARED_CIPHER, D_OUT, "sendmail",
	  "The server offers only ciphers your side refuses (confCIPHER_LIST, "
	  "confCLIENT_SSL_OPTIONS). Tell its postmaster; until it is fixed: " OUT_OFF_SENDMAIL },

	{ KIND_TLS_PROTOCOL_MISMATCH, D_IN, NULL,
	  "The client and your server share no TLS version: usually the client only speaks SSLv3, "
	  "TLS 1.0 or 1.1. For opportunistic TLS on port 25 refusing old versions means plain "
	  "text or no mail; allow them there, or stop offering STARTTLS to that client only." },
	{ KIND_TLS_PROTOCOL_MISMATCH, D_IN, "postfix",
	  "The client and your server share no TLS version: usually the client only speaks SSLv3, "
	  "TLS 1.0 or 1.1. Port 25 can stay permissive (smtpd_tls_protocols = !SSLv2, !SSLv3) "
	  "while smtpd_tls_mandatory_protocols stays strict for submission. " IN_OFF_POSTFIX },
	{ KIND_TLS_PROTOCOL_MISMATCH, D_IN, "exim",
	  "The client and your server share no TLS version: usually the client only speaks SSLv3, "
	  "TLS 1.0 or 1.1, refused by openssl_options (OpenSSL) or tls_require_ciphers (GnuTLS) "
	  "in the main section. " IN_OFF_EXIM },
	{ KIND_TLS_PROTOCOL_MISMATCH, D_IN, "sendmail",
	  "The client and your server share no TLS version: usually the client only speaks SSLv3, "
	  "TLS 1.0 or 1.1, refused by confSERVER_SSL_OPTIONS or OpenSSL's own minimum. "
	  IN_OFF_SENDMAIL },
	{ KIND_TLS_PROTOCOL_MISMATCH, D_IN, "dovecot",
	  "The mail program and Dovecot share no TLS version: the program is older than your "
	  "ssl_min_protocol. Update the program rather than lowering ssl_min_protocol for "
	  "everyone." },
	{ KIND_TLS_PROTOCOL_MISMATCH, D_OUT, NULL,
	  "The server only speaks TLS versions your side refuses (SSLv3, TLS 1.0 or 1.1). Tell its "
	  "postmaster; until it is fixed, stop using TLS for that server only." },
	{ KIND_TLS_PROTOCOL_MISMATCH, D_OUT, "postfix",
	  "The server only speaks TLS versions your side refuses (SSLv3, TLS 1.0 or 1.1). Tell its "
	  "postmaster; meanwhile allow older versions for it only (\"example.net may "
	  "protocols=!SSLv2:!SSLv3\" in smtp_tls_policy_maps) or, if that fails too, use none "
	  "instead of may. " OUT_OFF_POSTFIX },
	{ KIND_TLS_PROTOCOL_MISMATCH, D_OUT, "exim",
	  "The server only speaks TLS versions your side refuses (openssl_options or "
	  "tls_require_ciphers). Tell its postmaster; until it is fixed: " OUT_OFF_EXIM },
	{ KIND_TLS_PROTOCOL_MISMATCH, D_OUT, "sendmail",
	  "The server only speaks TLS versions your side refuses (confCLIENT_SSL_OPTIONS or "
	  "OpenSSL's own minimum). Tell its postmaster; until it is fixed: " OUT_OFF_SENDMAIL },

	{ KIND_TLS_WEAK_CRYPTO, D_IN, NULL,
	  "A key, DH group or digest was too weak: the client's, or your own DH parameters. If "
	  "many clients fail, use DH parameters of at least 2048 bits (openssl dhparam -out "
	  "dh2048.pem 2048); if it is one old client, it must be updated." },
	{ KIND_TLS_WEAK_CRYPTO, D_IN, "postfix",
	  "A key, DH group or digest was too weak: the client's, or your own DH parameters. If "
	  "many clients fail, point smtpd_tls_dh1024_param_file at 2048-bit parameters (openssl "
	  "dhparam -out /etc/postfix/dh2048.pem 2048; the name is historical). If it is one old "
	  "client: " IN_OFF_POSTFIX },
	{ KIND_TLS_WEAK_CRYPTO, D_IN, "exim",
	  "A key, DH group or digest was too weak: the client's, or your own DH parameters. If "
	  "many clients fail, set tls_dhparam to a file of 2048-bit parameters. If it is one old "
	  "client: " IN_OFF_EXIM },
	{ KIND_TLS_WEAK_CRYPTO, D_IN, "sendmail",
	  "A key, DH group or digest was too weak: the client's, or your own DH parameters. If "
	  "many clients fail, set confDH_PARAMETERS to a file of 2048-bit parameters. If it is "
	  "one old client: " IN_OFF_SENDMAIL },
	{ KIND_TLS_WEAK_CRYPTO, D_IN, "dovecot",
	  "A key, DH group or digest was too weak: the mail program's, or your DH parameters "
	  "(ssl_dh, at least 2048 bits). If it is one old program, it must be updated." },
	{ KIND_TLS_WEAK_CRYPTO, D_OUT, NULL,
	  "The server uses a key, DH group or signature your TLS library refuses (1024-bit DH, "
	  "SHA-1 or MD5 signatures). Tell its postmaster; until it is fixed, stop using TLS for "
	  "that server only." },
	{ KIND_TLS_WEAK_CRYPTO, D_OUT, "postfix",
	  "The server uses a key, DH group or signature your TLS library refuses (1024-bit DH, "
	  "SHA-1 or MD5 signatures). Tell its postmaster; until it is fixed: " OUT_OFF_POSTFIX },
	{ KIND_TLS_WEAK_CRYPTO, D_OUT, "exim",
	  "The server uses a key, DH group or signature your TLS library refuses (1024-bit DH, "
	  "SHA-1 or MD5 signatures). Tell its postmaster; until it is fixed: " OUT_OFF_EXIM },
	{ KIND_TLS_WEAK_CRYPTO, D_OUT, "sendmail",
	  "The server uses a key, DH group or signature your TLS library refuses (1024-bit DH, "
	  "SHA-1 or MD5 signatures). Tell its postmaster; until it is fixed: " OUT_OFF_SENDMAIL },

	/* ---- broken STARTTLS on the other side ---- */
	{ KIND_TLS_HANDSHAKE_FAILED, D_IN, NULL,
	  "The TLS handshake with this client failed without a more specific cause. " BROKEN_IN },
	{ KIND_TLS_HANDSHAKE_FAILED, D_IN, "postfix",
	  "The TLS handshake with this client failed without a more specific cause. " BROKEN_IN
	  " " IN_OFF_POSTFIX },
	{ KIND_TLS_HANDSHAKE_FAILED, D_IN, "exim",
	  "The TLS handshake with this client failed without a more specific cause. " BROKEN_IN
	  " " IN_OFF_EXIM },
	{ KIND_TLS_HANDSHAKE_FAILED, D_IN, "sendmail",
	  "The TLS handshake with this client failed without a more specific cause. " BROKEN_IN
	  " " IN_OFF_SENDMAIL },
	{ KIND_TLS_HANDSHAKE_FAILED, D_IN, "dovecot",
	  "The TLS handshake with this client failed without a more specific cause. "
	  BROKEN_DOVECOT },
	{ KIND_TLS_HANDSHAKE_FAILED, D_OUT, NULL,
	  "The TLS handshake with this server failed without a more specific cause. " BROKEN_OUT },
	{ KIND_TLS_HANDSHAKE_FAILED, D_OUT, "postfix",
	  "The TLS handshake with this server failed without a more specific cause. " BROKEN_OUT
	  " " OUT_OFF_POSTFIX },
	{ KIND_TLS_HANDSHAKE_FAILED, D_OUT, "exim",
	  "The TLS handshake with this server failed without a more specific cause. " BROKEN_OUT
	  " " OUT_OFF_EXIM },
	{ KIND_TLS_HANDSHAKE_FAILED, D_OUT, "sendmail",
	  "The TLS handshake with this server failed without a more specific cause. " BROKEN_OUT
	  " " OUT_OFF_SENDMAIL },

	{ KIND_TLS_LOST_CONNECTION, D_IN, NULL,
	  "The client hung up during the TLS handshake. " BROKEN_IN },
	{ KIND_TLS_LOST_CONNECTION, D_IN, "postfix",
	  "The client hung up during the TLS handshake. " BROKEN_IN " " IN_OFF_POSTFIX },
	{ KIND_TLS_LOST_CONNECTION, D_IN, "exim",
	  "The client hung up during the TLS handshake. " BROKEN_IN " " IN_OFF_EXIM },
	{ KIND_TLS_LOST_CONNECTION, D_IN, "sendmail",
	  "The client hung up during the TLS handshake. " BROKEN_IN " " IN_OFF_SENDMAIL },
	{ KIND_TLS_LOST_CONNECTION, D_IN, "dovecot",
	  "The client hung up during the TLS handshake. " BROKEN_DOVECOT },
	{ KIND_TLS_LOST_CONNECTION, D_OUT, NULL,
	  "The server hung up during the TLS handshake. " BROKEN_OUT },
	{ KIND_TLS_LOST_CONNECTION, D_OUT, "postfix",
	  "The server hung up during the TLS handshake. " BROKEN_OUT " " OUT_OFF_POSTFIX },
	{ KIND_TLS_LOST_CONNECTION, D_OUT, "exim",
	  "The server hung up during the TLS handshake. " BROKEN_OUT " " OUT_OFF_EXIM },
	{ KIND_TLS_LOST_CONNECTION, D_OUT, "sendmail",
	  "The server hung up during the TLS handshake. " BROKEN_OUT " " OUT_OFF_SENDMAIL },

	{ KIND_TLS_TIMEOUT, D_IN, NULL,
	  "The TLS handshake with this client timed out. " BROKEN_IN },
	{ KIND_TLS_TIMEOUT, D_IN, "postfix",
	  "The TLS handshake with this client timed out. " BROKEN_IN " " IN_OFF_POSTFIX },
	{ KIND_TLS_TIMEOUT, D_IN, "exim",
	  "The TLS handshake with this client timed out. " BROKEN_IN " " IN_OFF_EXIM },
	{ KIND_TLS_TIMEOUT, D_IN, "sendmail",
	  "The TLS handshake with this client timed out. " BROKEN_IN " " IN_OFF_SENDMAIL },
	{ KIND_TLS_TIMEOUT, D_IN, "dovecot",
	  "The TLS handshake with this client timed out. " BROKEN_DOVECOT },
	{ KIND_TLS_TIMEOUT, D_OUT, NULL,
	  "The TLS handshake with this server timed out (a firewall dropping large packets can do "
	  "that too). " BROKEN_OUT },
	{ KIND_TLS_TIMEOUT, D_OUT, "postfix",
	  "The TLS handshake with this server timed out (a firewall dropping large packets can do "
	  "that too). " BROKEN_OUT " " OUT_OFF_POSTFIX },
	{ KIND_TLS_TIMEOUT, D_OUT, "exim",
	  "The TLS handshake with this server timed out (a firewall dropping large packets can do "
	  "that too). " BROKEN_OUT " " OUT_OFF_EXIM },
	{ KIND_TLS_TIMEOUT, D_OUT, "sendmail",
	  "The TLS handshake with this server timed out (a firewall dropping large packets can do "
	  "that too). " BROKEN_OUT " " OUT_OFF_SENDMAIL },

	{ KIND_TLS_STARTTLS_REFUSED, D_OUT, NULL,
	  "The server advertised STARTTLS but answered it with an error: its TLS is broken "
	  "(often a missing certificate on its side). Tell its postmaster; until it is fixed, "
	  "stop using TLS for that server only." },
	{ KIND_TLS_STARTTLS_REFUSED, D_OUT, "postfix",
	  "The server advertised STARTTLS but answered it with an error: its TLS is broken "
	  "(often a missing certificate on its side). Tell its postmaster; until it is fixed: "
	  OUT_OFF_POSTFIX },
	{ KIND_TLS_STARTTLS_REFUSED, D_OUT, "exim",
	  "The server advertised STARTTLS but answered it with an error: its TLS is broken "
	  "(often a missing certificate on its side). Tell its postmaster; until it is fixed: "
	  OUT_OFF_EXIM },
	{ KIND_TLS_STARTTLS_REFUSED, D_OUT, "sendmail",
	  "The server advertised STARTTLS but answered it with an error: its TLS is broken "
	  "(often a missing certificate on its side). Tell its postmaster; until it is fixed: "
	  OUT_OFF_SENDMAIL },

	{ KIND_TLS_NON_TLS_PEER, D_IN, NULL,
	  "The client spoke plain text or HTTP where TLS was expected (on port 465, 993 or 995, "
	  "or right after STARTTLS). Scanners do this all the time; if it is one of your users, "
	  "their program must use SSL/TLS on 465, 993 and 995, or STARTTLS on 587, 143 and 110." },
	{ KIND_TLS_NON_TLS_PEER, D_OUT, NULL,
	  "The server answered in plain text where TLS was expected: usually a relay set up for "
	  "TLS from the first byte (port 465) that really wants STARTTLS on port 587, or the "
	  "other way round. Check the port and mode configured for that relay." },
	{ KIND_TLS_NON_TLS_PEER, D_OUT, "postfix",
	  "The server answered in plain text where TLS was expected: usually a relay set up for "
	  "TLS from the first byte that really wants STARTTLS. smtp_tls_wrappermode = yes is for "
	  "port 465 only; for [smtp.example.net]:587 leave it at no and use STARTTLS." },
	{ KIND_TLS_NON_TLS_PEER, D_OUT, "exim",
	  "The server answered in plain text where TLS was expected: usually a relay set up for "
	  "TLS from the first byte that really wants STARTTLS. protocol = smtps on the smtp "
	  "transport is for port 465 only; for port 587 use protocol = smtp, with STARTTLS." },

	/* ---- policy ---- */
	{ KIND_TLS_NOT_OFFERED, D_OUT, NULL,
	  "The server did not offer STARTTLS although your policy requires TLS for it, so the "
	  "mail waits in the queue. Ask its postmaster to enable TLS; if the mail may travel in "
	  "plain text, relax the requirement for that destination only." },
	{ KIND_TLS_NOT_OFFERED, D_OUT, "postfix",
	  "The server did not offer STARTTLS although your policy requires TLS for it, so the "
	  "mail waits in the queue. Ask its postmaster to enable TLS; if the mail may travel in "
	  "plain text, change its entry in smtp_tls_policy_maps from encrypt (or verify, secure) "
	  "to \"example.net may\" and postmap the table (or lower smtp_tls_security_level if "
	  "that is what requires it)." },
	{ KIND_TLS_NOT_OFFERED, D_OUT, "exim",
	  "The server did not offer STARTTLS although it is in hosts_require_tls on the smtp "
	  "transport, so the mail waits in the queue. Ask its postmaster to enable TLS; if the "
	  "mail may travel in plain text, take the host out of hosts_require_tls." },
	{ KIND_TLS_NOT_OFFERED, D_OUT, "sendmail",
	  "The server did not offer STARTTLS although the access map requires encryption for it "
	  "(a TLS_Srv: or TLS_Rcpt: entry with ENCR or VERIFY), so the mail waits in the queue. "
	  "Ask its postmaster to enable TLS; if the mail may travel in plain text, relax that "
	  "entry and rebuild the map with makemap." },

	{ KIND_TLS_REQUIRED, D_IN, NULL,
	  "The client tried to send or authenticate without STARTTLS where you require TLS. If "
	  "it is one of your users, set the program to STARTTLS on port 587 (or SSL/TLS on 465). "
	  "Do not require TLS on port 25 from the whole internet: many legitimate servers still "
	  "send in plain text." },
	{ KIND_TLS_REQUIRED, D_IN, "postfix",
	  "The client tried to send or authenticate without STARTTLS where you require TLS. If "
	  "it is one of your users, set the program to STARTTLS on port 587 (or SSL/TLS on 465). "
	  "smtpd_tls_security_level = encrypt belongs on the submission service in master.cf "
	  "(-o smtpd_tls_security_level=encrypt), not on port 25, where may is right." },
	{ KIND_TLS_REQUIRED, D_IN, "exim",
	  "The client tried to send or authenticate without STARTTLS where you require TLS. If "
	  "it is one of your users, set the program to STARTTLS on port 587 (or SSL/TLS on 465). "
	  "An ACL that refuses sessions without $tls_in_cipher should only apply to the "
	  "submission ports, not to port 25." },
	{ KIND_TLS_REQUIRED, D_IN, "sendmail",
	  "The client tried to send or authenticate without STARTTLS where you require TLS. If "
	  "it is one of your users, set the program to STARTTLS on port 587 (or SSL/TLS on 465). "
	  "A TLS_Clt: entry in the access map with ENCR should name your own clients, not the "
	  "whole internet on port 25." },
	{ KIND_TLS_REQUIRED, D_IN, "dovecot",
	  "The mail program tried to log in without TLS, which Dovecot refuses (ssl = required, "
	  "or disable_plaintext_auth = yes; auth_allow_cleartext = no in 2.4). Keep that, and "
	  "set the program to STARTTLS on 143 or 110, or SSL/TLS on 993 or 995." },

	{ KIND_TLS_DOWNGRADED, D_OUT, NULL,
	  "TLS failed with that server and the mail went out in plain text. Find out why from "
	  "its other events. If its TLS is broken for good, stop trying it; if this mail must "
	  "not travel in plain text, require TLS for that destination instead." },
	{ KIND_TLS_DOWNGRADED, D_OUT, "postfix",
	  "TLS failed with that server and the mail went out in plain text. Find out why from "
	  "its other events. In smtp_tls_policy_maps, \"example.net none\" stops trying TLS "
	  "with it, \"example.net encrypt\" never sends to it in plain text (the mail waits "
	  "instead); postmap the table after editing." },
	{ KIND_TLS_DOWNGRADED, D_OUT, "exim",
	  "TLS failed with that server and the mail went out in plain text. Find out why from "
	  "its other events. On the smtp transport, hosts_avoid_tls stops trying TLS with it; "
	  "hosts_require_tls (or tls_tempfail_tryclear = false) never falls back to plain text, "
	  "the mail waits instead." },
	{ KIND_TLS_DOWNGRADED, D_OUT, "sendmail",
	  "TLS failed with that server and the mail went out in plain text. Find out why from "
	  "its other events. In the access map, \"Try_TLS:mx.example.net NO\" stops trying TLS "
	  "with it, \"TLS_Srv:mx.example.net ENCR:128\" requires encryption (the mail waits "
	  "instead); rebuild the map with makemap." },

	{ KIND_TLS_POLICY_FAILURE, D_OUT, NULL,
	  "A DANE or MTA-STS policy failed: the server's certificate does not match the domain's "
	  "TLSA records (often after a key change without a DNS update) or its MTA-STS policy. "
	  "The mail waits in the queue, as it should. Check the domain with a DANE or MTA-STS "
	  "checker and tell its postmaster." },
	{ KIND_TLS_POLICY_FAILURE, D_OUT, "postfix",
	  "A DANE or MTA-STS policy failed: the server's certificate does not match the domain's "
	  "TLSA records (often after a key change without a DNS update) or its MTA-STS policy. "
	  "The mail waits, as it should; posttls-finger -c -l dane example.net shows what fails. "
	  "Tell the domain's postmaster. " OUT_RELAX_POSTFIX },
	{ KIND_TLS_POLICY_FAILURE, D_OUT, "exim",
	  "A DANE policy failed: the server's certificate does not match the domain's TLSA "
	  "records (often after a key change without a DNS update). The mail waits, as it should. "
	  "Tell the domain's postmaster; to deliver meanwhile, take the host out of "
	  "hosts_require_dane on the smtp transport for a while." },
	{ KIND_TLS_POLICY_FAILURE, D_IN, NULL, NULL },

	{ KIND_TLS_LOCAL_ERROR, D_BOTH, NULL,
	  "Your own TLS set-up is broken: the certificate or key cannot be read, or they do not "
	  "match. Fix it first; while it is broken every peer fails or falls back to plain text. "
	  "The key matches when openssl x509 -noout -pubkey -in cert.pem and openssl pkey -pubout "
	  "-in key.pem print the same." },
	{ KIND_TLS_LOCAL_ERROR, D_BOTH, "postfix",
	  "Your own TLS set-up is broken: check smtpd_tls_cert_file and smtpd_tls_key_file (or "
	  "smtpd_tls_chain_files; the smtp_ ones for outgoing mail), that the files exist, and "
	  "that the key matches (openssl x509 -noout -pubkey -in cert.pem and openssl pkey "
	  "-pubout -in key.pem print the same). postfix check, then postfix reload." },
	{ KIND_TLS_LOCAL_ERROR, D_BOTH, "exim",
	  "Your own TLS set-up is broken: check tls_certificate and tls_privatekey (main section; "
	  "on the smtp transport for outgoing mail), that the Exim user can read both, and that "
	  "the key matches (openssl x509 -noout -pubkey -in cert.pem and openssl pkey -pubout -in "
	  "key.pem print the same). Then reload Exim." },
	{ KIND_TLS_LOCAL_ERROR, D_BOTH, "sendmail",
	  "Your own TLS set-up is broken: check confSERVER_CERT, confSERVER_KEY (confCLIENT_CERT, "
	  "confCLIENT_KEY for outgoing mail), confCACERT and confCACERT_PATH. Sendmail refuses a "
	  "key file readable by group or others; the key must match the certificate. Rebuild "
	  "sendmail.cf and restart sendmail." },
	{ KIND_TLS_LOCAL_ERROR, D_BOTH, "dovecot",
	  "Dovecot's own TLS set-up is broken: check ssl_cert and ssl_key (ssl_server_cert_file "
	  "and ssl_server_key_file in 2.4; in 2.3 the value needs the < before the path, ssl_cert "
	  "= </etc/ssl/certs/mail.pem), that the key matches the certificate, and what doveconf "
	  "-n shows; then doveadm reload." },

	/* ---- authentication ---- */
	{ KIND_AUTH_FAILED, D_IN, NULL, GUESS_GENERIC },
	{ KIND_AUTH_FAILED, D_IN, "postfix", GUESS_GENERIC
	  " In Postfix: fail2ban's postfix-sasl jail reads these lines; smtpd_client_auth_rate_limit "
	  "(Postfix 3.1 and later) limits AUTH attempts per client; postscreen keeps most bots away "
	  "from port 25; better still, enable smtpd_sasl_auth_enable only on the submission and "
	  "submissions services in master.cf, not in main.cf." },
	{ KIND_AUTH_FAILED, D_IN, "exim", GUESS_GENERIC
	  " In Exim: fail2ban's exim jail reads the authenticator failed lines; a ratelimit "
	  "condition in acl_smtp_auth limits AUTH attempts per address; auth_advertise_hosts "
	  "decides who is offered AUTH at all." },
	{ KIND_AUTH_FAILED, D_IN, "sendmail", GUESS_GENERIC
	  " In Sendmail: fail2ban's sendmail-auth jail reads these lines; FEATURE(`ratecontrol') "
	  "and FEATURE(`conncontrol') limit connections per client (ClientRate: and ClientConn: "
	  "entries in the access map)." },
	{ KIND_AUTH_FAILED, D_IN, "dovecot", GUESS_GENERIC
	  " In Dovecot: fail2ban's dovecot jail reads these lines, and auth_failure_delay slows "
	  "every wrong guess; doveadm auth test USER checks a user's password by hand." },
	{ KIND_AUTH_FAILED, D_OUT, NULL,
	  "Your server failed to authenticate to the other server (a relay host or smarthost): "
	  "the credentials configured on your side are wrong or expired, or the account is "
	  "locked. Check them with the provider." },
	{ KIND_AUTH_FAILED, D_OUT, "postfix",
	  "Your server failed to authenticate to the relay host: check its entry in "
	  "smtp_sasl_password_maps (the key must match relayhost exactly, e.g. "
	  "[smtp.example.net]:587), postmap the file after editing, and set "
	  "smtp_sasl_mechanism_filter if the provider wants one mechanism." },
	{ KIND_AUTH_FAILED, D_OUT, "exim",
	  "Your server failed to authenticate to the relay host: check client_send (or "
	  "client_username and client_password) of the client authenticator used for it, and "
	  "hosts_require_auth or hosts_try_auth on the smtp transport." },
	{ KIND_AUTH_FAILED, D_OUT, "sendmail",
	  "Your server failed to authenticate to the relay host: check its AuthInfo: entry "
	  "(FEATURE(`authinfo') or the access map), e.g. AuthInfo:smtp.example.net \"U:smmsp\" "
	  "\"I:user\" \"P:password\" \"M:PLAIN\", and rebuild it with makemap." },

	{ KIND_AUTH_TEMP_FAILURE, D_IN, NULL,
	  "Authentication failed on your side: the back end (Dovecot auth, saslauthd, LDAP or "
	  "SQL) was unreachable or returned an error. Not the client's fault, do not block it; "
	  "check that the back end runs and answers." },
	{ KIND_AUTH_TEMP_FAILURE, D_IN, "postfix",
	  "Authentication failed on your side: Postfix could not get an answer from its SASL "
	  "server (smtpd_sasl_type and smtpd_sasl_path, e.g. dovecot and private/auth). Not the "
	  "client's fault, do not block it; check that socket and the back end's log." },
	{ KIND_AUTH_TEMP_FAILURE, D_IN, "exim",
	  "Authentication failed on your side: the server authenticator's back end (driver = "
	  "dovecot with server_socket, saslauthd, LDAP or SQL lookups) failed. Not the client's "
	  "fault, do not block it; check the back end and its log." },
	{ KIND_AUTH_TEMP_FAILURE, D_IN, "sendmail",
	  "Authentication failed on your side: Cyrus SASL (Sendmail.conf, usually pwcheck_method: "
	  "saslauthd) could not check the password. Not the client's fault, do not block it; "
	  "check saslauthd and its back end." },
	{ KIND_AUTH_TEMP_FAILURE, D_IN, "dovecot",
	  "Authentication failed on Dovecot's side: a passdb or userdb back end (LDAP, SQL) "
	  "failed. Not the user's fault, do not block it; read the auth process's log, and test "
	  "with doveadm auth test USER." },
	{ KIND_AUTH_TEMP_FAILURE, D_OUT, NULL,
	  "The other server's authentication back end failed; not your fault. The mail is "
	  "retried; tell that server's administrator if it goes on." },

	{ KIND_AUTH_ABORTED, D_IN, NULL,
	  "The client gave up in the middle of AUTH. Mail programs do this when a password "
	  "prompt is cancelled or a mechanism cannot be finished; bots do it in bulk. A few are "
	  "harmless; many from one address are password guessing: block it (fail2ban)." },
	{ KIND_AUTH_ABORTED, D_OUT, NULL,
	  "Your server cancelled its own AUTH, usually for lack of credentials for a mechanism "
	  "the relay insists on. Check the credentials and mechanisms configured for that "
	  "relay." },

	{ KIND_AUTH_WITHOUT_TLS, D_IN, NULL,
	  "The client tried AUTH without TLS and was refused, which is right: passwords must "
	  "not travel in plain text. Nearly always a mail program set to port 587 (or 25) "
	  "without encryption: set it to STARTTLS on 587, or SSL/TLS on 465. Many of these from "
	  "unknown addresses are bots: treat them as password guessing." },
	{ KIND_AUTH_WITHOUT_TLS, D_IN, "postfix",
	  "The client tried AUTH without TLS and was refused, which is right: passwords must "
	  "not travel in plain text. Nearly always a mail program set to port 587 without "
	  "encryption: set it to STARTTLS on 587, or SSL/TLS on 465. Keep smtpd_tls_auth_only = "
	  "yes; do not loosen it for one user." },
	{ KIND_AUTH_WITHOUT_TLS, D_IN, "exim",
	  "The client tried AUTH without TLS and was refused, which is right: passwords must "
	  "not travel in plain text. Nearly always a mail program set to port 587 without "
	  "encryption: set it to STARTTLS on 587, or SSL/TLS on 465. Keep AUTH for TLS sessions "
	  "only (server_advertise_condition = ${if def:tls_in_cipher} in the authenticator); do "
	  "not loosen it for one user." },
	{ KIND_AUTH_WITHOUT_TLS, D_IN, "sendmail",
	  "The client tried AUTH without TLS and was refused, which is right: passwords must "
	  "not travel in plain text. Nearly always a mail program set to port 587 without "
	  "encryption: set it to STARTTLS on 587, or SSL/TLS on 465. Keep the p flag of "
	  "confAUTH_OPTIONS (define(`confAUTH_OPTIONS', `A p')); do not loosen it for one user." },
	{ KIND_AUTH_WITHOUT_TLS, D_IN, "dovecot",
	  "The client tried to log in without TLS and was refused, which is right. Keep "
	  "disable_plaintext_auth = yes (auth_allow_cleartext = no in Dovecot 2.4), and set the "
	  "mail program to STARTTLS on 143 or 110, or SSL/TLS on 993 or 995." },
	{ KIND_AUTH_WITHOUT_TLS, D_OUT, NULL,
	  "Your server tried to authenticate to a relay without TLS and was refused. Require "
	  "TLS towards that relay, so credentials never travel in plain text." },
	{ KIND_AUTH_WITHOUT_TLS, D_OUT, "postfix",
	  "Your server tried to authenticate to the relay without TLS and was refused. Require "
	  "TLS towards it: \"[smtp.example.net]:587 encrypt\" in smtp_tls_policy_maps (postmap "
	  "it), or smtp_tls_security_level = encrypt when all mail goes to the relayhost." },
	{ KIND_AUTH_WITHOUT_TLS, D_OUT, "exim",
	  "Your server tried to authenticate to the relay without TLS and was refused. Require "
	  "TLS towards it: hosts_require_tls = smtp.example.net on the smtp transport used for "
	  "the smarthost." },
	{ KIND_AUTH_WITHOUT_TLS, D_OUT, "sendmail",
	  "Your server tried to authenticate to the relay without TLS and was refused. Require "
	  "TLS towards it: \"TLS_Srv:smtp.example.net ENCR:128\" in the access map, rebuilt with "
	  "makemap." },

	{ KIND_AUTH_MECH_UNSUPPORTED, D_IN, NULL,
	  "The client asked for an authentication mechanism you do not offer (such as CRAM-MD5 "
	  "where only PLAIN and LOGIN are offered). Set the mail program to normal password, or "
	  "offer the mechanism if your password store supports it." },
	{ KIND_AUTH_MECH_UNSUPPORTED, D_IN, "postfix",
	  "The client asked for an authentication mechanism you do not offer. Postfix offers "
	  "what its SASL server offers (with Dovecot SASL: auth_mechanisms), filtered by "
	  "smtpd_sasl_security_options and smtpd_sasl_tls_security_options. Set the mail program "
	  "to normal password, or offer the mechanism." },
	{ KIND_AUTH_MECH_UNSUPPORTED, D_IN, "exim",
	  "The client asked for an authentication mechanism you do not offer: Exim offers one "
	  "mechanism per server authenticator (its public_name). Set the mail program to normal "
	  "password, or add an authenticator for the mechanism." },
	{ KIND_AUTH_MECH_UNSUPPORTED, D_IN, "sendmail",
	  "The client asked for an authentication mechanism you do not offer: Sendmail offers "
	  "confAUTH_MECHANISMS as far as Cyrus SASL supports them. Set the mail program to normal "
	  "password, or add the mechanism." },
	{ KIND_AUTH_MECH_UNSUPPORTED, D_IN, "dovecot",
	  "The client asked for an authentication mechanism Dovecot does not offer "
	  "(auth_mechanisms; the default is plain only, add login for old Outlook versions). Set "
	  "the mail program to normal password, or add the mechanism." },
	{ KIND_AUTH_MECH_UNSUPPORTED, D_OUT, NULL,
	  "The relay does not offer the mechanism your side uses. Configure a mechanism the "
	  "relay lists in its EHLO answer." },
	{ KIND_AUTH_MECH_UNSUPPORTED, D_OUT, "postfix",
	  "The relay does not offer the mechanism your side uses: set smtp_sasl_mechanism_filter "
	  "to one it lists (e.g. plain, login), and install the Cyrus SASL plugins for it "
	  "(libsasl2-modules on Debian)." },
	{ KIND_AUTH_MECH_UNSUPPORTED, D_OUT, "exim",
	  "The relay does not offer the mechanism your side uses: define a client authenticator "
	  "whose public_name the relay lists in its EHLO answer." },
	{ KIND_AUTH_MECH_UNSUPPORTED, D_OUT, "sendmail",
	  "The relay does not offer the mechanism your side uses: name one it lists in the M: "
	  "part of its AuthInfo: entry, or in confAUTH_MECHANISMS." },
};

const char *
advice_text(enum event_kind kind, const char *mta, enum event_direction dir)
{
	const struct advice *generic = NULL;

	if ((unsigned)kind >= KIND_COUNT || (unsigned)dir >= DIR_COUNT)
		return NULL;
	for (size_t i = 0; i < sizeof(advice) / sizeof(advice[0]); i++) {
		const struct advice *a = &advice[i];
		if (a->kind != kind || !(a->dirs & (1u << dir)))
			continue;
		if (a->mta == NULL) {
			if (generic == NULL)
				generic = a;
		} else if (mta != NULL && strcasecmp(a->mta, mta) == 0) {
			return a->text;
		}
	}
	return generic ? generic->text : NULL;
}

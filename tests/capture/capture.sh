#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# capture.sh - record REAL log lines of a real MTA failing TLS and SMTP AUTH.
#
#   tests/capture/capture.sh [-k] [-i] MTA [OUTFILE]
#
# MTA is one of: postfix exim dovecot sendmail.  The script
#   1. makes a scratch folder (/run/tlslogd-capture.XXXXXX) with a private CA,
#      server and client certificates (valid, expired, self-signed, wrong name),
#   2. writes a private configuration for the MTA into that folder -- the
#      system configuration in /etc is never used or changed -- that listens
#      ONLY on 127.0.0.1 (high ports) and logs to a file in the folder,
#   3. starts the MTA and provokes failures and normal sessions with
#      openssl s_client, swaks and the helpers in helpers/ (a misbehaving TLS
#      client, a line-by-line SMTP/IMAP/POP3 client, and a fake remote MX on
#      127.0.0.2 for outbound tests),
#   4. stops the MTA and copies its log to OUTFILE (default:
#      ./<mta>-<version>.log) and the list of provoking steps, with the time
#      each started, to OUTFILE.steps.
#
# -i  install the MTA's Debian packages first (apt-get; postfix, exim4 and
#     sendmail conflict with each other: installing one removes the other)
# -k  keep the scratch folder (it is removed otherwise)
#
# Safety: everything listens on and connects to 127.0.0.0/8 only; the
# helpers refuse other addresses; Postfix/Exim/Sendmail route every message
# to 127.0.0.2 or to an error transport; every wait is bounded by timeout(1).
# Must run as root (the MTAs need it to start).  Debian 12 is assumed.

set -u
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
KEEP=
INSTALL=
while getopts ki opt; do
	case $opt in
	k) KEEP=yes ;;
	i) INSTALL=yes ;;
	*) sed -n '2,30s/^# \{0,1\}//p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
MTA=${1:-}
OUT=${2:-}
case $MTA in
postfix | exim | dovecot | sendmail) ;;
*) sed -n '2,30s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "capture.sh: must run as root" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Common helpers
# ---------------------------------------------------------------------------

# In /run, not /tmp: Sendmail refuses files below a world-writable folder.
S=$(mktemp -d /run/tlslogd-capture.XXXXXX) || exit 1
chmod 755 "$S"          # the MTAs' unprivileged users must reach their files
mkdir -p "$S/out"        # client transcripts, one file per step
STEPS=$S/steps.txt
: >"$STEPS"
FAKEMX_PIDS=
POLICY_RC_CREATED=

log() { echo "capture.sh: $*" >&2; }

# step NAME TEXT: note which provocation starts now (with the time, so the
# log lines can be matched to it), and leave a gap between provocations.
step() {
	sleep 1
	printf '%s %s: %s\n' "$(date '+%H:%M:%S')" "$1" "$2" >>"$STEPS"
	CUR=$1
}

# t SECONDS CMD...: run CMD with a hard time limit, output to the step's file.
t() {
	local secs=$1
	shift
	timeout -k 2 "$secs" "$@" >>"$S/out/$CUR.txt" 2>&1 </dev/null
	return 0
}

# tin SECONDS INPUT CMD...: the same, with INPUT (printf format) on stdin.
tin() {
	local secs=$1 input=$2
	shift 2
	# shellcheck disable=SC2059
	printf "$input" | timeout -k 2 "$secs" "$@" >>"$S/out/$CUR.txt" 2>&1
	return 0
}

badclient() { t 40 python3 "$HERE/helpers/badclient.py" "$@"; }
chat() { t 60 python3 "$HERE/helpers/chat.py" "$@"; }

# wait_for FILE REGEX SECONDS: wait until FILE has a line matching REGEX.
wait_for() {
	local i=0
	while [ $i -lt $(($3 * 5)) ]; do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
		i=$((i + 1))
	done
	log "timed out waiting for /$2/ in $1"
	return 1
}

# wait_port ADDR PORT SECONDS: wait until something listens there.
wait_port() {
	local i=0
	while [ $i -lt $(($3 * 5)) ]; do
		timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null && return 0
		sleep 0.2
		i=$((i + 1))
	done
	log "nothing listens on $1:$2"
	return 1
}

# Keep apt from starting a freshly installed daemon with the distribution's
# configuration (which would listen on all interfaces).
guard_services() {
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		POLICY_RC_CREATED=yes
	fi
}

install_pkgs() {
	guard_services
	timeout 600 apt-get install -y -q "$@" >"$S/apt.log" 2>&1 ||
		{ log "apt-get install $* failed, see $S/apt.log"; exit 1; }
}

# Certificates: a private CA, and leaf certificates issued by it with chosen
# validity dates (openssl ca can back-date, openssl x509 -req cannot).
make_certs() {
	local d=$S/pki
	mkdir -p "$d/new"
	: >"$d/index.txt"
	echo 1000 >"$d/serial"
	cat >"$d/ca.cnf" <<-EOF
	[ ca ]
	default_ca = c
	[ c ]
	dir = $d
	database = $d/index.txt
	new_certs_dir = $d/new
	serial = $d/serial
	default_md = sha256
	policy = p
	copy_extensions = copy
	unique_subject = no
	[ p ]
	commonName = supplied
	EOF
	selfsigned() { # NAME CN
		openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
			-keyout "$S/$1.key" -out "$S/$1.crt" -subj "/CN=$2" \
			-addext "subjectAltName=DNS:$2" >/dev/null 2>&1
	}
	issue() { # NAME CN START END [SAN]
		openssl req -new -newkey rsa:2048 -nodes -keyout "$S/$1.key" \
			-out "$d/$1.csr" -subj "/CN=$2" \
			-addext "subjectAltName=${5:-DNS:$2}" >/dev/null 2>&1
		openssl ca -batch -notext -config "$d/ca.cnf" -cert "$S/ca.crt" \
			-keyfile "$S/ca.key" -in "$d/$1.csr" -out "$S/$1.crt" \
			-startdate "$3" -enddate "$4" >/dev/null 2>&1
	}
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
		-keyout "$S/ca.key" -out "$S/ca.crt" \
		-subj "/O=tlslogd capture/CN=tlslogd capture CA" \
		-addext basicConstraints=critical,CA:true \
		-addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1
	# A CA that signed nothing we use: clients that trust only it reject us.
	openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
		-keyout "$S/otherca.key" -out "$S/otherca.crt" \
		-subj "/O=tlslogd capture/CN=unrelated CA" >/dev/null 2>&1
	local now later
	now=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
	later=$(date -u -d '+1 year' +%Y%m%d%H%M%SZ)
	issue mx mx.test "$now" "$later" "DNS:mx.test,DNS:localhost,IP:127.0.0.1"
	# IP:127.0.0.2 lets clients that check the name against the address
	# (Exim, Sendmail) accept the good and the expired fake MX by name.
	issue good good.test "$now" "$later" "DNS:good.test,IP:127.0.0.2"
	issue mismatch other.test "$now" "$later"
	issue expired expired.test 20200101000000Z 20210101000000Z "DNS:expired.test,IP:127.0.0.2"
	issue client client.test "$now" "$later"
	issue client-expired client.test 20200101000000Z 20210101000000Z
	selfsigned selfsigned selfsigned.test
	selfsigned client-self rogue.test
	cat "$S/mx.crt" "$S/ca.crt" >"$S/mx-chain.crt"
	chmod 644 "$S"/*.crt "$S"/*.key
	[ -s "$S/expired.crt" ] && [ -s "$S/client-self.crt" ] ||
		{ log "certificate generation failed"; exit 1; }
}

# fakemx NAME PORT ARGS...: a fake remote MX on 127.0.0.2:PORT (helpers/fakemx.py).
# Fails if something already listens there (a left-over from an earlier run
# would present other certificates).
fakemx() {
	local name=$1 port=$2 pid
	shift 2
	if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.2/$port" 2>/dev/null; then
		log "127.0.0.2:$port is already in use"
		exit 1
	fi
	timeout -k 2 900 python3 "$HERE/helpers/fakemx.py" --listen "127.0.0.2:$port" \
		--name "$name" --lifetime 850 "$@" >>"$S/fakemx.log" 2>&1 &
	pid=$!
	FAKEMX_PIDS="$FAKEMX_PIDS $pid"
	wait_port 127.0.0.2 "$port" 10 && kill -0 "$pid" 2>/dev/null ||
		{ log "fake MX $name did not start (see $S/fakemx.log)"; exit 1; }
}

# Common client provocations.  PORT is a STARTTLS port of the MTA.
sc() { # NAME PORT ARGS...: openssl s_client, giving up after 15 s
	local port=$2
	step "$1" "openssl s_client -connect 127.0.0.1:$port ${*:3}"
	t 15 openssl s_client -connect "127.0.0.1:$port" "${@:3}"
}

cleanup() {
	set +eu
	type mta_stop >/dev/null 2>&1 && mta_stop
	# fakemx runs under timeout(1), which passes the signal on to python
	for p in $FAKEMX_PIDS; do kill "$p" 2>/dev/null; done
	[ -n "$POLICY_RC_CREATED" ] && rm -f /usr/sbin/policy-rc.d
	if [ -n "$KEEP" ]; then log "scratch folder kept: $S"; else rm -rf "$S"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# finish LOGFILE VERSION: copy the MTA's log and the step list out.
finish() {
	[ -n "$OUT" ] || OUT=$PWD/$MTA-$2.log
	cp "$1" "$OUT" && cp "$STEPS" "$OUT.steps" ||
		{ log "could not write $OUT"; exit 1; }
	log "$(wc -l <"$OUT") lines written to $OUT (steps in $OUT.steps)"
}

# ---------------------------------------------------------------------------
# Postfix (>= 3.4: maillog_file + postlogd), SASL through a private Dovecot
# auth instance, outbound deliveries to fake MXes on 127.0.0.2.
# ---------------------------------------------------------------------------

# dovecot_sasl SOCKET: a Dovecot that only does authentication (for Postfix
# and Exim), users alice/secret and bob@mx.test/secret, logging to $S.
dovecot_sasl() {
	mkdir -p "$S/dovecot-sasl"
	printf 'alice:{PLAIN}secret::::::\nbob@mx.test:{PLAIN}secret::::::\n' >"$S/passwd"
	chmod 644 "$S/passwd"
	cat >"$S/dovecot-sasl.conf" <<-EOF
	base_dir = $S/dovecot-sasl
	instance_name = tlslogd-sasl
	protocols =
	listen = 127.0.0.1
	log_path = $S/dovecot-sasl.log
	ssl = no
	auth_mechanisms = plain login
	auth_verbose = yes
	disable_plaintext_auth = no
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN $S/passwd
	}
	userdb {
	  driver = static
	  args = uid=nobody gid=nogroup home=/nonexistent
	}
	service auth {
	  unix_listener $1 {
	    mode = 0666
	  }
	}
	EOF
	timeout 20 dovecot -c "$S/dovecot-sasl.conf" || { log "dovecot (SASL) did not start"; exit 1; }
	wait_for "$S/dovecot-sasl.log" 'starting up' 10
	local i=0
	while [ ! -S "$1" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
}

run_postfix() {
	[ -n "$INSTALL" ] && install_pkgs postfix dovecot-core swaks netcat-openbsd
	command -v postconf >/dev/null || { log "postfix is not installed (try -i)"; exit 1; }
	local Q=$S/pf-queue L=$S/maillog ver
	C=$S/pf-etc   # global: mta_stop needs it at exit
	ver=$(postconf -d -h mail_version)
	mkdir -p "$C" "$Q" "$S/pf-data"
	chown postfix "$S/pf-data"
	cp "$S/mx.key" "$S/mx-chain.crt" "$C/"

	# Postfix lives in $C (config), $Q (queue); only 127.0.0.1 is served.
	cat >"$C/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $Q
	data_directory = $S/pf-data
	meta_directory = /etc/postfix
	mail_owner = postfix
	setgid_group = postdrop
	myhostname = mx.test
	mydomain = test
	myorigin = \$myhostname
	mydestination =
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	mynetworks = 127.0.0.0/8
	alias_maps =
	alias_database =
	local_recipient_maps =
	biff = no
	# The log: postlogd(8) writes it (master.cf "postlog" service)
	maillog_file = $L
	maillog_file_prefixes = /var, /dev/stdout, $S
	# Nothing leaves except to the fake MXes listed in the transport map
	relayhost =
	default_transport = error:capture.sh routes nothing else
	relay_transport = \$default_transport
	transport_maps = texthash:$C/transport
	smtp_dns_support_level = disabled
	smtp_connect_timeout = 5s
	# a deferred message may be retried after 2 s (plaintext fallback test)
	minimal_backoff_time = 2s
	maximal_backoff_time = 4s
	# Outbound TLS: per-destination levels in the policy map
	smtp_tls_security_level = may
	smtp_tls_policy_maps = texthash:$C/tls_policy
	smtp_tls_CAfile = $S/ca.crt
	smtp_tls_loglevel = 1
	# Inbound TLS: TLS 1.2+ only
	smtpd_tls_chain_files = $C/mx.key, $C/mx-chain.crt
	smtpd_tls_security_level = may
	smtpd_tls_protocols = >=TLSv1.2
	smtpd_tls_mandatory_protocols = >=TLSv1.2
	smtpd_tls_loglevel = 1
	smtpd_tls_CAfile = $S/ca.crt
	smtpd_starttls_timeout = 4s
	# SASL through Dovecot, only over TLS
	smtpd_sasl_auth_enable = yes
	smtpd_sasl_type = dovecot
	smtpd_sasl_path = private/auth
	smtpd_tls_auth_only = yes
	smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated reject_unauth_destination
	EOF

	# master.cf: no chroot; four listeners on 127.0.0.1.
	#   2525 plain SMTP with STARTTLS (may), AUTH only after STARTTLS
	#   2465 smtps (wrapper mode, TLS at connect)
	#   2587 submission, TLS required (encrypt)
	#   2526 client certificate required (smtpd_tls_req_ccert)
	cat >"$C/master.cf" <<-EOF
	127.0.0.1:2525 inet n - n - - smtpd
	127.0.0.1:2465 inet n - n - - smtpd
	  -o syslog_name=postfix/smtps
	  -o smtpd_tls_wrappermode=yes
	127.0.0.1:2587 inet n - n - - smtpd
	  -o syslog_name=postfix/submission
	  -o smtpd_tls_security_level=encrypt
	127.0.0.1:2526 inet n - n - - smtpd
	  -o syslog_name=postfix/ccert
	  -o smtpd_tls_security_level=encrypt
	  -o smtpd_tls_req_ccert=yes
	pickup    unix  n       -       n       60      1       pickup
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	tlsmgr    unix  -       -       n       1000?   1       tlsmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	smtp      unix  -       -       n       -       -       smtp
	relay     unix  -       -       n       -       -       smtp
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	EOF

	# Outbound: one fake MX per failure, all on 127.0.0.2.
	cat >"$C/transport" <<-EOF
	good.test        smtp:[127.0.0.2]:2601
	selfsigned.test  smtp:[127.0.0.2]:2602
	expired.test     smtp:[127.0.0.2]:2603
	mismatch.test    smtp:[127.0.0.2]:2604
	notls.test       smtp:[127.0.0.2]:2605
	refuse.test      smtp:[127.0.0.2]:2606
	nocipher.test    smtp:[127.0.0.2]:2607
	fallback.test    smtp:[127.0.0.2]:2612
	oldtls.test      smtp:[127.0.0.2]:2608
	wantcert.test    smtp:[127.0.0.2]:2610
	wantcert12.test  smtp:[127.0.0.2]:2611
	EOF
	cat >"$C/tls_policy" <<-EOF
	[127.0.0.2]:2601 secure match=good.test
	[127.0.0.2]:2602 verify match=selfsigned.test
	[127.0.0.2]:2603 secure match=expired.test
	[127.0.0.2]:2604 secure match=mismatch.test
	[127.0.0.2]:2605 encrypt
	[127.0.0.2]:2606 encrypt
	[127.0.0.2]:2607 encrypt exclude=kRSA
	[127.0.0.2]:2612 may exclude=kRSA
	[127.0.0.2]:2608 encrypt
	[127.0.0.2]:2610 encrypt
	[127.0.0.2]:2611 encrypt
	EOF
	fakemx good.test 2601 --cert "$S/good.crt" --key "$S/good.key" || exit 1
	fakemx selfsigned.test 2602 --cert "$S/selfsigned.crt" --key "$S/selfsigned.key"
	fakemx expired.test 2603 --cert "$S/expired.crt" --key "$S/expired.key"
	fakemx other.test 2604 --cert "$S/mismatch.crt" --key "$S/mismatch.key"
	fakemx notls.test 2605 --mode notls
	fakemx refuse.test 2606 --mode refuse
	# only a kRSA cipher suite, TLS 1.2: the "kRSA excluded" client finds none
	fakemx nocipher.test 2607 --cert "$S/good.crt" --key "$S/good.key" \
		--tls-max 1.2 --ciphers AES256-SHA
	fakemx oldtls.test 2608 --cert "$S/good.crt" --key "$S/good.key" \
		--tls-max 1.0 --ciphers 'DEFAULT:@SECLEVEL=0'
	fakemx wantcert.test 2610 --cert "$S/good.crt" --key "$S/good.key" --require-cert "$S/ca.crt"
	fakemx wantcert12.test 2611 --cert "$S/good.crt" --key "$S/good.key" --require-cert "$S/ca.crt" --tls-max 1.2
	fakemx fallback.test 2612 --cert "$S/good.crt" --key "$S/good.key" \
		--tls-max 1.2 --ciphers AES256-SHA

	# Start: queue directories, the SASL service, then Postfix itself.
	timeout 60 postfix -c "$C" set-permissions >"$S/pf-setperm.log" 2>&1
	timeout 60 postfix -c "$C" check >"$S/pf-check.log" 2>&1
	dovecot_sasl "$Q/private/auth"
	mta_stop() {
		timeout 60 postfix -c "$C" stop >/dev/null 2>&1
		[ -f "$S/dovecot-sasl/master.pid" ] && timeout 20 doveadm -c "$S/dovecot-sasl.conf" stop
		sleep 1
	}
	timeout 60 postfix -c "$C" start >"$S/pf-start.log" 2>&1 ||
		{ log "postfix did not start: $(cat "$S/pf-start.log")"; exit 1; }
	wait_port 127.0.0.1 2525 20 || exit 1
	wait_port 127.0.0.1 2587 5

	local P=2525 SW="swaks --server 127.0.0.1:2525 --helo client.test --from sender@mx.test --to rcpt@good.test"

	# ---- inbound: successful sessions (no event expected) ----
	step in-ok-starttls "swaks STARTTLS, mail to good.test (also a verified outbound delivery)"
	t 40 $SW --tls
	step in-ok-auth "swaks STARTTLS + AUTH PLAIN alice/secret on 2587"
	t 40 swaks --server 127.0.0.1:2587 --helo client.test --from alice@mx.test --to rcpt@good.test \
		--tls --auth PLAIN --auth-user alice --auth-password secret
	step in-ok-smtps "swaks smtps (wrapper mode, 2465)"
	t 40 swaks --server 127.0.0.1:2465 --helo client.test --from sender@mx.test --to rcpt@good.test --tls-on-connect
	step in-ok-ccert "swaks with a client certificate signed by our CA on 2526"
	t 40 swaks --server 127.0.0.1:2526 --helo client.test --from sender@mx.test --to rcpt@good.test \
		--tls --tls-cert "$S/client.crt" --tls-key "$S/client.key"
	step in-ok-tls-then-close "s_client STARTTLS handshake OK, then closes without a word"
	t 15 openssl s_client -connect 127.0.0.1:$P -starttls smtp -name client.test

	# ---- inbound: handshake failures ----
	sc in-nocipher $P -starttls smtp -name client.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
	sc in-tls1 $P -starttls smtp -name client.test -tls1 -cipher 'DEFAULT@SECLEVEL=0'
	sc in-tls1_1 $P -starttls smtp -name client.test -tls1_1 -cipher 'DEFAULT@SECLEVEL=0'
	sc in-unknown-ca $P -starttls smtp -name client.test -verify_return_error -CAfile "$S/otherca.crt"
	step in-http-smtps "HTTP request to the smtps port 2465"
	badclient 127.0.0.1 2465 none http
	step in-plain-smtps "plaintext EHLO to the smtps port 2465"
	badclient 127.0.0.1 2465 none plain
	step in-plain-after-starttls "STARTTLS accepted, then plaintext EHLO instead of a ClientHello"
	badclient 127.0.0.1 $P smtp plain
	step in-close-after-starttls "STARTTLS accepted, then the client closes at once"
	badclient 127.0.0.1 $P smtp close
	step in-eof-mid-handshake "ClientHello sent, server's answer read, then close (EOF)"
	badclient 127.0.0.1 $P smtp hello
	step in-rst-mid-handshake "ClientHello sent, then TCP RST"
	badclient 127.0.0.1 $P smtp reset
	step in-stall-after-starttls "STARTTLS accepted, client silent for 8 s (smtpd_starttls_timeout=4s)"
	badclient 127.0.0.1 $P smtp stall 8
	step in-eof-smtps "smtps: ClientHello, then close"
	badclient 127.0.0.1 2465 none hello

	# ---- inbound: client certificates (2526 requires one) ----
	step in-ccert-none "s_client without a certificate on 2526"
	tin 15 'EHLO client.test\nQUIT\n' openssl s_client -connect 127.0.0.1:2526 -starttls smtp -name client.test -crlf -quiet -ign_eof
	step in-ccert-self "s_client with a self-signed client certificate on 2526"
	tin 15 'EHLO client.test\nQUIT\n' openssl s_client -connect 127.0.0.1:2526 -starttls smtp -name client.test -crlf -quiet -ign_eof \
		-cert "$S/client-self.crt" -key "$S/client-self.key"
	step in-ccert-expired "s_client with an expired client certificate (our CA) on 2526"
	tin 15 'EHLO client.test\nQUIT\n' openssl s_client -connect 127.0.0.1:2526 -starttls smtp -name client.test -crlf -quiet -ign_eof \
		-cert "$S/client-expired.crt" -key "$S/client-expired.key"

	# ---- inbound: SMTP AUTH (each from its own 127.0.0.x: Dovecot delays
	# repeated failures from one address, see auth-penalty below) ----
	local SWA="swaks --helo client.test --from alice@mx.test --to rcpt@good.test"
	step in-auth-login-bad "127.0.0.11: swaks STARTTLS + AUTH LOGIN alice/wrong on 2587"
	t 40 $SWA -li 127.0.0.11 --server 127.0.0.1:2587 --tls --auth LOGIN --auth-user alice --auth-password wrong
	step in-auth-plain-bad "127.0.0.12: swaks STARTTLS + AUTH PLAIN bob@mx.test/wrong on 2525"
	t 40 $SWA -li 127.0.0.12 --server 127.0.0.1:2525 --tls --auth PLAIN --auth-user bob@mx.test --auth-password wrong
	step in-auth-plain-unknown "127.0.0.13: swaks smtps + AUTH PLAIN nosuchuser/x on 2465"
	t 40 $SWA -li 127.0.0.13 --server 127.0.0.1:2465 --tls-on-connect --auth PLAIN --auth-user nosuchuser --auth-password x
	step in-auth-abort "127.0.0.14: AUTH LOGIN over TLS (smtps), client answers '*' (abort)"
	chat --tls-on-connect --bind 127.0.0.14 127.0.0.1 2465 smtp 'EHLO client.test' 'AUTH LOGIN' '*' 'QUIT'
	step in-auth-mech "127.0.0.15: AUTH CRAM-MD5 (not offered) over TLS (smtps)"
	chat --tls-on-connect --bind 127.0.0.15 127.0.0.1 2465 smtp 'EHLO client.test' 'AUTH CRAM-MD5' 'QUIT'
	step in-auth-backend "127.0.0.16: AUTH LOGIN over TLS; the Dovecot auth process (child of our SASL Dovecot) is killed between user name and password"
	(
		sleep 2
		auth_pid=$(ps -o pid=,args= --ppid "$(cat "$S/dovecot-sasl/master.pid")" | awk '$2 ~ /auth$/ {print $1}')
		[ -n "$auth_pid" ] && kill -9 $auth_pid
	) &
	local killer=$!
	chat --tls-on-connect --bind 127.0.0.16 127.0.0.1 2465 smtp 'EHLO client.test' 'AUTH LOGIN' 'YWxpY2U=' '@sleep:4' 'c2VjcmV0' 'QUIT'
	wait "$killer"
	sleep 1
	step in-auth-ok-li "127.0.0.17: AUTH LOGIN alice/secret over TLS (success)"
	t 40 $SWA -li 127.0.0.17 --server 127.0.0.1:2587 --tls --auth LOGIN --auth-user alice --auth-password secret
	step in-auth-penalty "127.0.0.18: one session, AUTH PLAIN alice/wrong x3: Dovecot's growing auth penalty outlasts Postfix's wait"
	chat --tls-on-connect --bind 127.0.0.18 127.0.0.1 2465 smtp 'EHLO client.test' \
		'AUTH PLAIN AGFsaWNlAHdyb25n' 'AUTH PLAIN AGFsaWNlAHdyb25n' 'AUTH PLAIN AGFsaWNlAHdyb25n' 'QUIT'
	step in-auth-no-tls "AUTH PLAIN in cleartext on 2525 (smtpd_tls_auth_only=yes: 503, not logged)"
	chat 127.0.0.1 $P smtp 'EHLO client.test' 'AUTH PLAIN AGFsaWNlAHNlY3JldA==' 'QUIT'
	step in-mail-no-tls "MAIL FROM in cleartext on the encrypt port 2587 (530, not logged)"
	chat 127.0.0.1 2587 smtp 'EHLO client.test' 'MAIL FROM:<a@mx.test>' 'QUIT'
	step in-auth-no-tls-587 "AUTH PLAIN in cleartext on the encrypt port 2587 (530, not logged)"
	chat 127.0.0.1 2587 smtp 'EHLO client.test' 'AUTH PLAIN AGFsaWNlAHNlY3JldA==' 'QUIT'

	# ---- outbound: our smtp client meets bad servers on 127.0.0.2 ----
	local d
	for d in selfsigned expired mismatch notls refuse nocipher oldtls wantcert wantcert12 fallback; do
		step "out-$d" "mail to rcpt@$d.test (sendmail command), delivered to the fake MX $(grep "^$d.test" "$C/transport" | awk '{print $2}'), TLS policy: $(grep -F "$(grep "^$d.test" "$C/transport" | awk '{print $2}' | sed 's/^smtp://')" "$C/tls_policy" | cut -d' ' -f2-)"
		printf 'Subject: capture %s\n\ntest\n' "$d" |
			timeout 20 sendmail -C "$C" -f sender@mx.test "rcpt@$d.test" >>"$S/out/$CUR.txt" 2>&1
		wait_for "$L" "to=<rcpt@$d.test>.*status=" 30
	done
	# Opportunistic TLS falls back to plaintext only for a message that has
	# already waited minimal_backoff_time: retry the fallback.test message.
	local qid
	qid=$(sed -n 's/.*smtp\[[0-9]*\]: \([0-9A-F]*\): to=<rcpt@fallback.test>.*/\1/p' "$L" | head -1)
	if [ -n "$qid" ]; then
		sleep 3
		step out-fallback-retry "postqueue -i $qid: second attempt for rcpt@fallback.test (TLS level may)"
		t 20 postqueue -c "$C" -i "$qid"
		wait_for "$L" "$qid: to=<rcpt@fallback.test>.*status=sent" 20
	fi

	step stop "postfix stop"
	mta_stop
	finish "$L" "$ver"
}

# ---------------------------------------------------------------------------
# Dovecot (IMAP + POP3 login processes, passwd-file users), log_path in $S.
#   10143 imap (STARTTLS), 10993 imaps, 10110 pop3 (STLS), 10995 pop3s
#   IMAP: TLS 1.2+, no cleartext authentication (disable_plaintext_auth)
#   POP3: a client certificate from our CA is required
#         (ssl_verify_client_cert + auth_ssl_require_client_cert)
# ---------------------------------------------------------------------------
run_dovecot() {
	[ -n "$INSTALL" ] && install_pkgs dovecot-core dovecot-imapd dovecot-pop3d
	command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/imap-login ] ||
		{ log "dovecot-imapd is not installed (try -i)"; exit 1; }
	local L=$S/dovecot.log ver
	ver=$(dovecot --version | awk '{print $1}')
	mkdir -p "$S/dovecot-run" "$S/mail"
	chmod 1777 "$S/mail"
	printf 'alice:{PLAIN}secret::::::\nbob@mx.test:{PLAIN}secret::::::\n' >"$S/passwd"
	chmod 644 "$S/passwd"
	DC=$S/dovecot.conf   # global: mta_stop needs it at exit
	cat >"$DC" <<-EOF
	base_dir = $S/dovecot-run
	instance_name = tlslogd-capture
	protocols = imap pop3
	listen = 127.0.0.1
	log_path = $L
	auth_verbose = yes
	ssl = yes
	ssl_cert = <$S/mx-chain.crt
	ssl_key = <$S/mx.key
	ssl_ca = <$S/ca.crt
	ssl_min_protocol = TLSv1.2
	ssl_require_crl = no
	disable_plaintext_auth = yes
	auth_mechanisms = plain login
	mail_location = maildir:$S/mail/%u
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN $S/passwd
	}
	userdb {
	  driver = static
	  args = uid=nobody gid=nogroup home=$S/mail/%u
	}
	service imap-login {
	  inet_listener imap {
	    port = 10143
	  }
	  inet_listener imaps {
	    port = 10993
	    ssl = yes
	  }
	}
	service pop3-login {
	  inet_listener pop3 {
	    port = 10110
	  }
	  inet_listener pop3s {
	    port = 10995
	    ssl = yes
	  }
	}
	protocol pop3 {
	  ssl_verify_client_cert = yes
	  auth_ssl_require_client_cert = yes
	}
	EOF
	mta_stop() {
		[ -f "$S/dovecot-run/master.pid" ] && timeout 20 doveadm -c "$DC" stop >/dev/null 2>&1
		sleep 1
	}
	timeout 20 dovecot -c "$DC" >"$S/dovecot-start.log" 2>&1 ||
		{ log "dovecot did not start: $(cat "$S/dovecot-start.log")"; exit 1; }
	wait_port 127.0.0.1 10143 20 || exit 1
	wait_port 127.0.0.1 10995 5

	local I=10143 IS=10993 P=10110 PS=10995
	# ---- successful sessions (no event expected) ----
	step ok-imap-starttls "127.0.0.21: IMAP STARTTLS + LOGIN alice secret"
	chat --bind 127.0.0.21 127.0.0.1 $I imap 'a STARTTLS' '@starttls' 'b LOGIN alice secret' 'c LOGOUT'
	step ok-imaps-auth "127.0.0.21: imaps + AUTHENTICATE PLAIN bob@mx.test"
	chat --tls-on-connect --bind 127.0.0.21 127.0.0.1 $IS imap 'a AUTHENTICATE PLAIN AGJvYkBteC50ZXN0AHNlY3JldA==' 'b LOGOUT'
	step ok-pop3s-ccert "pop3s with a client certificate from our CA, USER/PASS alice"
	tin 15 'USER alice\nPASS secret\nQUIT\n' openssl s_client -connect 127.0.0.1:$PS -quiet -crlf -ign_eof \
		-cert "$S/client.crt" -key "$S/client.key"
	step ok-imaps-no-login "imaps: TLS OK, then LOGOUT without logging in"
	chat --tls-on-connect 127.0.0.1 $IS imap 'a LOGOUT'

	# ---- handshake failures ----
	sc nocipher-imap $I -starttls imap -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
	sc tls1_1-imaps $IS -tls1_1 -cipher 'DEFAULT@SECLEVEL=0'
	sc tls1-pop3 $P -starttls pop3 -tls1 -cipher 'DEFAULT@SECLEVEL=0'
	sc unknown-ca-imaps $IS -verify_return_error -CAfile "$S/otherca.crt"
	step http-imaps "HTTP request to imaps"
	badclient 127.0.0.1 $IS none http
	step plain-imaps "plaintext to imaps"
	badclient 127.0.0.1 $IS none plain
	step plain-after-starttls-imap "IMAP STARTTLS accepted, then plaintext instead of a ClientHello"
	badclient 127.0.0.1 $I imap plain
	step close-after-starttls-imap "IMAP STARTTLS accepted, then the client closes at once"
	badclient 127.0.0.1 $I imap close
	step eof-mid-handshake-imaps "imaps: ClientHello, server answer read, then close"
	badclient 127.0.0.1 $IS none hello
	step rst-mid-handshake-pop3s "pop3s: ClientHello, then TCP RST"
	badclient 127.0.0.1 $PS none reset
	step close-at-once-imaps "imaps: connect and close without a byte"
	badclient 127.0.0.1 $IS none close

	# ---- authentication (each failure from its own 127.0.0.x: auth penalty) ----
	step login-bad-imap "127.0.0.22: IMAP STARTTLS + LOGIN alice wrong"
	chat --bind 127.0.0.22 127.0.0.1 $I imap 'a STARTTLS' '@starttls' 'b LOGIN alice wrong' 'c LOGOUT'
	step login-unknown-imaps "127.0.0.23: imaps LOGIN nosuchuser x"
	chat --tls-on-connect --bind 127.0.0.23 127.0.0.1 $IS imap 'a LOGIN nosuchuser x' 'b LOGOUT'
	step auth-plain-bad-x3-imaps "127.0.0.24: imaps, AUTHENTICATE PLAIN bob@mx.test/wrong three times, then disconnect"
	chat --tls-on-connect --bind 127.0.0.24 127.0.0.1 $IS imap \
		'a AUTHENTICATE PLAIN AGJvYkBteC50ZXN0AHdyb25n' 'b AUTHENTICATE PLAIN AGJvYkBteC50ZXN0AHdyb25n' \
		'c AUTHENTICATE PLAIN AGJvYkBteC50ZXN0AHdyb25n' '@close'
	step auth-abort-imaps "127.0.0.25: imaps AUTHENTICATE PLAIN, client answers '*'"
	chat --tls-on-connect --bind 127.0.0.25 127.0.0.1 $IS imap 'a AUTHENTICATE PLAIN' '*' 'b LOGOUT'
	step auth-mech-imaps "127.0.0.26: imaps AUTHENTICATE CRAM-MD5 (not offered)"
	chat --tls-on-connect --bind 127.0.0.26 127.0.0.1 $IS imap 'a AUTHENTICATE CRAM-MD5' 'b LOGOUT'
	step login-cleartext-imap "127.0.0.27: IMAP LOGIN alice secret without STARTTLS (disable_plaintext_auth)"
	chat --bind 127.0.0.27 127.0.0.1 $I imap 'a LOGIN alice secret' 'b LOGOUT'
	step login-bad-then-ok-imaps "127.0.0.28: imaps LOGIN alice wrong, then LOGIN alice secret"
	chat --tls-on-connect --bind 127.0.0.28 127.0.0.1 $IS imap 'a LOGIN alice wrong' 'b LOGIN alice secret' 'c LOGOUT'

	# ---- POP3: client certificate required ----
	step pop3-no-tls "127.0.0.29: POP3 USER/PASS without STLS (certificate required)"
	chat --bind 127.0.0.29 127.0.0.1 $P pop3 'USER alice' 'PASS secret' 'QUIT'
	step pop3s-no-cert "127.0.0.1: pop3s without a client certificate, USER/PASS alice"
	tin 15 'USER alice\nPASS secret\nQUIT\n' openssl s_client -connect 127.0.0.1:$PS -quiet -crlf -ign_eof
	step pop3s-self-cert "pop3s with a self-signed client certificate, USER/PASS alice"
	tin 15 'USER alice\nPASS secret\nQUIT\n' openssl s_client -connect 127.0.0.1:$PS -quiet -crlf -ign_eof \
		-cert "$S/client-self.crt" -key "$S/client-self.key"
	step pop3s-expired-cert "pop3s with an expired client certificate from our CA, USER/PASS alice"
	tin 15 'USER alice\nPASS secret\nQUIT\n' openssl s_client -connect 127.0.0.1:$PS -quiet -crlf -ign_eof \
		-cert "$S/client-expired.crt" -key "$S/client-expired.key"

	sleep 2
	step stop "doveadm stop"
	mta_stop
	finish "$L" "$ver"
}

# start_fakemxes: the remote MXes for outbound tests (Exim, Sendmail), all on
# 127.0.0.2, one port per failure.
start_fakemxes() {
	fakemx good.test 2601 --cert "$S/good.crt" --key "$S/good.key" || exit 1
	fakemx selfsigned.test 2602 --cert "$S/selfsigned.crt" --key "$S/selfsigned.key"
	fakemx expired.test 2603 --cert "$S/expired.crt" --key "$S/expired.key"
	fakemx other.test 2604 --cert "$S/mismatch.crt" --key "$S/mismatch.key"
	fakemx notls.test 2605 --mode notls
	fakemx refuse.test 2606 --mode refuse
	fakemx nocipher.test 2607 --cert "$S/good.crt" --key "$S/good.key" \
		--tls-max 1.2 --ciphers AES256-SHA
	fakemx oldtls.test 2608 --cert "$S/good.crt" --key "$S/good.key" \
		--tls-max 1.0 --ciphers 'DEFAULT:@SECLEVEL=0'
	fakemx wantcert.test 2610 --cert "$S/good.crt" --key "$S/good.key" --require-cert "$S/ca.crt"
	fakemx wantcert12.test 2611 --cert "$S/good.crt" --key "$S/good.key" --require-cert "$S/ca.crt" --tls-max 1.2
	fakemx fallback.test 2612 --cert "$S/good.crt" --key "$S/good.key" \
		--tls-max 1.2 --ciphers AES256-SHA
}

# ---------------------------------------------------------------------------
# Exim (Debian's exim4-daemon-heavy: GnuTLS), private configuration (-C),
# log_file_path in $S.  Ports: 2525 SMTP+STARTTLS, 2465 TLS on connect,
# 2587 submission (an ACL rejects MAIL without TLS).  AUTH PLAIN/LOGIN by
# the plaintext authenticator (alice/secret), advertised only under TLS.
# Client certificates are required from 127.0.0.31-33 (tls_verify_hosts).
# ---------------------------------------------------------------------------
run_exim() {
	[ -n "$INSTALL" ] && install_pkgs exim4-daemon-heavy swaks
	command -v exim4 >/dev/null || { log "exim4 is not installed (try -i)"; exit 1; }
	local ver L
	ver=$(exim4 -bV | sed -n 's/^Exim version \([^ ]*\).*/\1/p')
	mkdir -p "$S/exim-spool" "$S/exim-log"
	chown Debian-exim:Debian-exim "$S/exim-spool" "$S/exim-log"
	L=$S/exim-log/mainlog
	EC=$S/exim.conf   # global: mta_stop needs it at exit
	cat >"$EC" <<-EOF
	primary_hostname = mx.test
	keep_environment =
	exim_user = Debian-exim
	exim_group = Debian-exim
	spool_directory = $S/exim-spool
	log_file_path = $S/exim-log/%slog
	pid_file_path = $S/exim.pid
	local_interfaces = <; 127.0.0.1.2525 ; 127.0.0.1.2465 ; 127.0.0.1.2587
	tls_on_connect_ports = 2465
	never_users = root
	host_lookup =
	rfc1413_hosts =
	# TLS (GnuTLS priority string): TLS 1.2 and 1.3 only
	tls_advertise_hosts = *
	tls_certificate = $S/mx-chain.crt
	tls_privatekey = $S/mx.key
	tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2
	tls_verify_certificates = $S/ca.crt
	tls_try_verify_hosts = *
	tls_verify_hosts = 127.0.0.31 : 127.0.0.32 : 127.0.0.33
	auth_advertise_hosts = \${if eq{\$tls_in_cipher}{}{}{*}}
	acl_smtp_mail = acl_check_mail
	acl_smtp_rcpt = acl_check_rcpt
	begin acl
	acl_check_mail:
	  deny    condition = \${if and{{eq{\$received_port}{2587}}{eq{\$tls_in_cipher}{}}}}
	          message = 530 5.7.0 Must issue a STARTTLS command first
	  accept
	acl_check_rcpt:
	  accept  authenticated = *
	  accept  hosts = 127.0.0.0/8
	  deny    message = relay not permitted
	begin routers
	EOF
	# One manualroute router and one smtp transport per fake MX (a transport
	# name built from \$domain would be tainted).  The TLS policy is in each
	# transport.
	local d port opts
	for d in good selfsigned expired mismatch notls refuse nocipher oldtls wantcert wantcert12 fallback; do
		printf 'to_%s:\n  driver = manualroute\n  domains = %s.test\n  route_list = * 127.0.0.2\n  self = send\n  transport = remote_%s\n' \
			"$d" "$d" "$d" >>"$EC"
	done
	cat >>"$EC" <<-EOF
	nowhere:
	  driver = redirect
	  data = :fail: capture.sh routes nothing else
	begin transports
	EOF
	for d in good:2601:verify selfsigned:2602:verify expired:2603:verify mismatch:2604:verify \
		notls:2605:require refuse:2606:require nocipher:2607:nocipher oldtls:2608:require \
		wantcert:2610:require wantcert12:2611:require fallback:2612:nocipher-may; do
		port=$(echo "$d" | cut -d: -f2)
		opts=$(echo "$d" | cut -d: -f3)
		{
			echo "remote_${d%%:*}:"
			echo "  driver = smtp"
			echo "  port = $port"
			echo "  helo_data = mx.test"
			echo "  tls_verify_certificates = $S/ca.crt"
			case $opts in
			verify)
				echo "  hosts_require_tls = *"
				echo "  tls_verify_hosts = *"
				echo "  tls_verify_cert_hostnames = *" ;;
			require)
				echo "  hosts_require_tls = *"
				echo "  tls_try_verify_hosts = *" ;;
			nocipher)
				echo "  hosts_require_tls = *"
				echo "  tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.2:-RSA" ;;
			nocipher-may)
				echo "  tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.2:-RSA" ;;
			esac
		} >>"$EC"
	done
	cat >>"$EC" <<-EOF
	begin retry
	*  *  F,1h,10m
	begin authenticators
	plain_server:
	  driver = plaintext
	  public_name = PLAIN
	  server_prompts = :
	  server_condition = \${if eq{\$auth2}{carol@broken.test}{\${readfile{$S/no-such-file}}}{\${if and{{eq{\$auth2}{alice}}{eq{\$auth3}{secret}}}}}}
	  server_set_id = \$auth2
	login_server:
	  driver = plaintext
	  public_name = LOGIN
	  server_prompts = <| Username: | Password:
	  server_condition = \${if and{{eq{\$auth1}{alice}}{eq{\$auth2}{secret}}}}
	  server_set_id = \$auth1
	EOF
	timeout 20 exim4 -C "$EC" -bV >"$S/exim-check.log" 2>&1 ||
		{ log "bad exim configuration: $(cat "$S/exim-check.log")"; exit 1; }
	start_fakemxes
	mta_stop() {
		[ -s "$S/exim.pid" ] && kill "$(cat "$S/exim.pid")" 2>/dev/null
		sleep 1
	}
	timeout 20 exim4 -C "$EC" -bd >"$S/exim-start.log" 2>&1 ||
		{ log "exim did not start: $(cat "$S/exim-start.log")"; exit 1; }
	wait_port 127.0.0.1 2525 20 || exit 1

	local P=2525 SWA="swaks --helo client.test --from alice@mx.test --to rcpt@good.test"
	# ---- successful sessions (no event expected) ----
	step in-ok-starttls "swaks STARTTLS to 2525, mail to good.test (also a verified outbound delivery)"
	t 40 swaks --server 127.0.0.1:$P --helo client.test --from sender@mx.test --to rcpt@good.test --tls
	step in-ok-auth "127.0.0.21: swaks STARTTLS + AUTH PLAIN alice/secret on 2587"
	t 40 $SWA -li 127.0.0.21 --server 127.0.0.1:2587 --tls --auth PLAIN --auth-user alice --auth-password secret
	step in-ok-smtps "swaks TLS on connect (2465) + AUTH LOGIN alice/secret"
	t 40 $SWA --server 127.0.0.1:2465 --tls-on-connect --auth LOGIN --auth-user alice --auth-password secret
	step in-ok-ccert "127.0.0.31: swaks STARTTLS with a client certificate from our CA (required from this address)"
	t 40 $SWA -li 127.0.0.31 --server 127.0.0.1:$P --tls --tls-cert "$S/client.crt" --tls-key "$S/client.key"
	step in-ok-tls-then-close "s_client STARTTLS handshake OK, then closes without a word"
	t 15 openssl s_client -connect 127.0.0.1:$P -starttls smtp -name client.test

	# ---- inbound handshake failures ----
	sc in-nocipher $P -starttls smtp -name client.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
	sc in-tls1 $P -starttls smtp -name client.test -tls1 -cipher 'DEFAULT@SECLEVEL=0'
	sc in-tls1_1 $P -starttls smtp -name client.test -tls1_1 -cipher 'DEFAULT@SECLEVEL=0'
	sc in-unknown-ca $P -starttls smtp -name client.test -verify_return_error -CAfile "$S/otherca.crt"
	step in-http-smtps "HTTP request to the TLS-on-connect port 2465"
	badclient 127.0.0.1 2465 none http
	step in-plain-smtps "plaintext EHLO to the TLS-on-connect port 2465"
	badclient 127.0.0.1 2465 none plain
	step in-plain-after-starttls "STARTTLS accepted, then plaintext EHLO instead of a ClientHello"
	badclient 127.0.0.1 $P smtp plain
	step in-close-after-starttls "STARTTLS accepted, then the client closes at once"
	badclient 127.0.0.1 $P smtp close
	step in-eof-mid-handshake "ClientHello sent, server's answer read, then close (EOF)"
	badclient 127.0.0.1 $P smtp hello
	step in-rst-mid-handshake "ClientHello sent, then TCP RST"
	badclient 127.0.0.1 $P smtp reset
	step in-eof-smtps "2465: ClientHello, then close"
	badclient 127.0.0.1 2465 none hello

	# ---- inbound client certificates (required from 127.0.0.31-33) ----
	step in-ccert-none "127.0.0.32: swaks STARTTLS without a client certificate"
	t 40 $SWA -li 127.0.0.32 --server 127.0.0.1:$P --tls
	step in-ccert-self "127.0.0.33: swaks STARTTLS with a self-signed client certificate"
	t 40 $SWA -li 127.0.0.33 --server 127.0.0.1:$P --tls --tls-cert "$S/client-self.crt" --tls-key "$S/client-self.key"
	step in-ccert-expired "127.0.0.31: swaks STARTTLS with an expired client certificate from our CA"
	t 40 $SWA -li 127.0.0.31 --server 127.0.0.1:$P --tls --tls-cert "$S/client-expired.crt" --tls-key "$S/client-expired.key"

	# ---- inbound SMTP AUTH ----
	step in-auth-login-bad "127.0.0.11: swaks STARTTLS + AUTH LOGIN alice/wrong on 2587"
	t 40 $SWA -li 127.0.0.11 --server 127.0.0.1:2587 --tls --auth LOGIN --auth-user alice --auth-password wrong
	step in-auth-plain-bad "127.0.0.12: swaks STARTTLS + AUTH PLAIN bob@mx.test/wrong on 2525"
	t 40 $SWA -li 127.0.0.12 --server 127.0.0.1:$P --tls --auth PLAIN --auth-user bob@mx.test --auth-password wrong
	step in-auth-abort "127.0.0.14: AUTH LOGIN over TLS (2465), client answers '*'"
	chat --tls-on-connect --bind 127.0.0.14 127.0.0.1 2465 smtp 'EHLO client.test' 'AUTH LOGIN' '*' 'QUIT'
	step in-auth-mech "127.0.0.15: AUTH CRAM-MD5 (not offered) over TLS (2465)"
	chat --tls-on-connect --bind 127.0.0.15 127.0.0.1 2465 smtp 'EHLO client.test' 'AUTH CRAM-MD5' 'QUIT'
	step in-auth-backend "127.0.0.16: AUTH PLAIN carol@broken.test over TLS: server_condition fails to expand (file missing)"
	t 40 $SWA -li 127.0.0.16 --server 127.0.0.1:2465 --tls-on-connect --auth PLAIN --auth-user carol@broken.test --auth-password x
	step in-auth-bad-x3 "127.0.0.18: one session over TLS, AUTH PLAIN alice/wrong three times"
	chat --tls-on-connect --bind 127.0.0.18 127.0.0.1 2465 smtp 'EHLO client.test' \
		'AUTH PLAIN AGFsaWNlAHdyb25n' 'AUTH PLAIN AGFsaWNlAHdyb25n' 'AUTH PLAIN AGFsaWNlAHdyb25n' 'QUIT'
	step in-auth-no-tls "127.0.0.19: AUTH PLAIN in cleartext on 2525 (AUTH advertised only under TLS)"
	chat --bind 127.0.0.19 127.0.0.1 $P smtp 'EHLO client.test' 'AUTH PLAIN AGFsaWNlAHNlY3JldA==' 'QUIT'
	step in-mail-no-tls "127.0.0.20: MAIL FROM in cleartext on 2587 (ACL: STARTTLS required)"
	chat --bind 127.0.0.20 127.0.0.1 2587 smtp 'EHLO client.test' 'MAIL FROM:<a@mx.test>' 'QUIT'

	# ---- outbound: our smtp transport meets bad servers on 127.0.0.2 ----
	for d in selfsigned expired mismatch notls refuse nocipher oldtls wantcert wantcert12 fallback; do
		step "out-$d" "exim4 -odi: mail to rcpt@$d.test, transport remote_$d ($(grep -A6 "^remote_$d:" "$EC" | grep -E 'port|tls' | sed 's/^ *//' | grep -v tls_verify_certificates | tr '\n' ';'))"
		printf 'Subject: capture %s\n\ntest\n' "$d" |
			timeout 30 exim4 -C "$EC" -odi -f sender@mx.test "rcpt@$d.test" >>"$S/out/$CUR.txt" 2>&1
	done

	sleep 1
	step stop "kill the exim daemon"
	mta_stop
	finish "$L" "$ver"
}

# ---------------------------------------------------------------------------
# Sendmail (Debian's sendmail-bin, OpenSSL, Cyrus SASL), private sendmail.cf
# built with m4, LogLevel 12.  Sendmail logs only through syslog(3): a private
# rsyslogd (its own config, socket /dev/log, which must not exist yet) writes
# mail.* to $S/maillog in the traditional format.  Cyrus SASL reads its
# configuration from /etc/sasl2/Sendmail.conf: created for the run (only if
# absent) and removed again; the user database is in $S.
#   2525 MTA (STARTTLS), 2465 SMTPS (M=s), 2587 MSA (M=Ea)
#   access db: relay for 127/8, client certificates required from
#   127.0.0.31-33, TLS required from 127.0.0.20 (TLS_Clt:), server policies
#   (TLS_Srv:) for the fake MXes, which listen on 127.0.1.x port 2600.
# ---------------------------------------------------------------------------
run_sendmail() {
	[ -n "$INSTALL" ] && install_pkgs sendmail-bin sendmail-cf rsyslog sasl2-bin libsasl2-modules swaks
	command -v sendmail-mta >/dev/null && [ -f /usr/share/sendmail/cf/m4/cf.m4 ] ||
		{ log "sendmail-bin/sendmail-cf are not installed (try -i)"; exit 1; }
	command -v rsyslogd >/dev/null || { log "rsyslog is not installed (try -i)"; exit 1; }
	[ -e /dev/log ] && { log "/dev/log exists: a system syslog runs; stop it or adapt the script"; exit 1; }
	local ver L=$S/maillog
	ver=$(sendmail-mta -d0.1 -bv root </dev/null 2>/dev/null | sed -n 's/^Version //p' | head -1)
	ver=${ver%.*}   # 8.17.1.9 -> 8.17.1 (the release; .9 is Debian's patch level)

	# syslog
	mkdir -p "$S/rsyslog"
	cat >"$S/rsyslog.conf" <<-EOF
	global(workDirectory="$S/rsyslog" localHostname="mx")
	module(load="imuxsock" SysSock.Name="/dev/log")
	\$ActionFileDefaultTemplate RSYSLOG_TraditionalFileFormat
	mail.*  $L
	EOF
	timeout 20 rsyslogd -f "$S/rsyslog.conf" -i "$S/rsyslog.pid" ||
		{ log "rsyslogd did not start"; exit 1; }
	local i=0
	while [ ! -S /dev/log ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done

	# SASL: users alice@mx.test and bob@mx.test, password secret
	SASL_CONF_CREATED=
	if [ ! -e /etc/sasl2/Sendmail.conf ]; then
		mkdir -p /etc/sasl2
		printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: %s\nmech_list: PLAIN LOGIN\n' \
			"$S/sasldb2" >/etc/sasl2/Sendmail.conf
		SASL_CONF_CREATED=yes
	fi
	echo secret | saslpasswd2 -f "$S/sasldb2" -p -c -u mx.test alice
	echo secret | saslpasswd2 -f "$S/sasldb2" -p -c -u mx.test bob
	chmod 600 "$S/sasldb2"

	# maps
	mkdir -p "$S/sm-queue" "$S/sm-clientqueue"
	chmod 700 "$S/sm-queue"
	chown smmsp:smmsp "$S/sm-clientqueue" 2>/dev/null
	printf 'postmaster: root\nMAILER-DAEMON: postmaster\n' >"$S/aliases"
	printf 'hosts files\naliases files\n' >"$S/service.switch"
	# a hosts file that gives this machine's name the FQDN mx.test (else
	# Sendmail sleeps a minute looking for a qualified name).  Sendmail asks
	# the C library, so every sendmail-mta runs in a private mount namespace
	# where this file is bind-mounted over /etc/hosts (see smrun); the real
	# /etc/hosts is not touched.
	printf '127.0.0.1\tlocalhost\n127.0.1.254\tmx.test %s\n' "$(hostname)" >"$S/hosts"
	smrun() { # SECONDS CMD...
		local secs=$1
		shift
		timeout -k 2 "$secs" unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$S/hosts" "$@"
	}
	cat >"$S/access" <<-EOF
	Connect:127	RELAY
	TLS_Clt:127.0.0.31	VERIFY
	TLS_Clt:127.0.0.32	VERIFY
	TLS_Clt:127.0.0.33	VERIFY
	TLS_Clt:127.0.0.20	ENCR:128
	TLS_Srv:127.0.1.1	VERIFY
	TLS_Srv:127.0.1.2	VERIFY
	TLS_Srv:127.0.1.3	VERIFY
	TLS_Srv:127.0.1.5	ENCR:128
	TLS_Srv:127.0.1.6	ENCR:128
	TLS_Srv:127.0.1.7	ENCR:128
	TLS_Srv:127.0.1.8	ENCR:128
	TLS_Srv:127.0.1.9	ENCR:128
	EOF
	cat >"$S/mailertable" <<-EOF
	good.test	esmtp:[127.0.1.1]
	selfsigned.test	esmtp:[127.0.1.2]
	expired.test	esmtp:[127.0.1.3]
	mismatch.test	esmtp:[127.0.1.4]
	notls.test	esmtp:[127.0.1.5]
	refuse.test	esmtp:[127.0.1.6]
	nocipher.test	esmtp:[127.0.1.7]
	oldtls.test	esmtp:[127.0.1.8]
	wantcert.test	esmtp:[127.0.1.9]
	fallback.test	esmtp:[127.0.1.10]
	.	error:5.1.2:550 capture.sh routes nothing else
	EOF
	makemap hash "$S/access" <"$S/access" && makemap hash "$S/mailertable" <"$S/mailertable" ||
		{ log "makemap failed"; exit 1; }
	makemap hash "$S/aliases" < <(sed 's/: */\t/' "$S/aliases") 2>/dev/null

	# Sendmail refuses a world-readable private key
	cp "$S/mx.key" "$S/sm-mx.key" && chmod 600 "$S/sm-mx.key"
	SMC=$S/sendmail.cf   # global: mta_stop needs it at exit
	cat >"$S/sendmail.mc" <<-EOF
	divert(-1)
	divert(0)dnl
	include(\`/usr/share/sendmail/cf/m4/cf.m4')dnl
	VERSIONID(\`tlslogd capture')dnl
	OSTYPE(\`linux')dnl
	define(\`confLOG_LEVEL', \`12')dnl
	define(\`confDOMAIN_NAME', \`mx.test')dnl
	define(\`QUEUE_DIR', \`$S/sm-queue')dnl
	define(\`MSP_QUEUE_DIR', \`$S/sm-clientqueue')dnl
	define(\`confPID_FILE', \`$S/sendmail.pid')dnl
	define(\`STATUS_FILE', \`$S/sendmail.st')dnl
	define(\`ALIAS_FILE', \`$S/aliases')dnl
	define(\`confSERVICE_SWITCH_FILE', \`$S/service.switch')dnl
	define(\`confHOSTS_FILE', \`$S/hosts')dnl
	define(\`confDONT_PROBE_INTERFACES', \`True')dnl
	define(\`confDONT_BLAME_SENDMAIL', \`GroupReadableKeyFile,GroupWritableDirPathSafe')dnl
	define(\`confCACERT_PATH', \`$S')dnl
	define(\`confCACERT', \`$S/ca.crt')dnl
	define(\`confSERVER_CERT', \`$S/mx-chain.crt')dnl
	define(\`confSERVER_KEY', \`$S/sm-mx.key')dnl
	define(\`confTO_STARTTLS', \`4s')dnl
	define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl
	TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl
	define(\`confAUTH_OPTIONS', \`A p y')dnl
	define(\`ESMTP_MAILER_ARGS', \`TCP \$h 2600')dnl
	define(\`confTO_CONNECT', \`5s')dnl
	FEATURE(\`nocanonify')dnl
	FEATURE(\`access_db', \`hash $S/access')dnl
	FEATURE(\`mailertable', \`hash $S/mailertable')dnl
	DAEMON_OPTIONS(\`Family=inet, Name=MTA, Port=2525, Addr=127.0.0.1')dnl
	DAEMON_OPTIONS(\`Family=inet, Name=SMTPS, Port=2465, Addr=127.0.0.1, M=s')dnl
	DAEMON_OPTIONS(\`Family=inet, Name=MSA, Port=2587, Addr=127.0.0.1, M=Ea')dnl
	MAILER(\`local')dnl
	MAILER(\`smtp')dnl
	EOF
	m4 "$S/sendmail.mc" >"$SMC" 2>"$S/m4.log" || { log "m4 failed: $(cat "$S/m4.log")"; exit 1; }

	# fake MXes: one loopback address each, port 2600
	fakemx2() { # NAME ADDR ARGS...
		local name=$1 addr=$2 pid
		shift 2
		timeout -k 2 900 python3 "$HERE/helpers/fakemx.py" --listen "$addr:2600" \
			--name "$name" --lifetime 850 "$@" >>"$S/fakemx.log" 2>&1 &
		pid=$!
		FAKEMX_PIDS="$FAKEMX_PIDS $pid"
		wait_port "$addr" 2600 10 && kill -0 "$pid" 2>/dev/null ||
			{ log "fake MX $name did not start (see $S/fakemx.log)"; exit 1; }
	}
	fakemx2 good.test 127.0.1.1 --cert "$S/good.crt" --key "$S/good.key"
	fakemx2 selfsigned.test 127.0.1.2 --cert "$S/selfsigned.crt" --key "$S/selfsigned.key"
	fakemx2 expired.test 127.0.1.3 --cert "$S/expired.crt" --key "$S/expired.key"
	fakemx2 other.test 127.0.1.4 --cert "$S/mismatch.crt" --key "$S/mismatch.key"
	fakemx2 notls.test 127.0.1.5 --mode notls
	fakemx2 refuse.test 127.0.1.6 --mode refuse
	fakemx2 nocipher.test 127.0.1.7 --cert "$S/good.crt" --key "$S/good.key" \
		--tls-max 1.2 --ciphers 'AECDH-AES256-SHA:@SECLEVEL=0'
	fakemx2 oldtls.test 127.0.1.8 --cert "$S/good.crt" --key "$S/good.key" \
		--tls-max 1.0 --ciphers 'DEFAULT:@SECLEVEL=0'
	fakemx2 wantcert.test 127.0.1.9 --cert "$S/good.crt" --key "$S/good.key" --require-cert "$S/ca.crt"
	fakemx2 fallback.test 127.0.1.10 --cert "$S/good.crt" --key "$S/good.key" \
		--tls-max 1.2 --ciphers 'AECDH-AES256-SHA:@SECLEVEL=0'

	mta_stop() {
		[ -s "$S/sendmail.pid" ] && kill "$(head -1 "$S/sendmail.pid")" 2>/dev/null
		sleep 2
		[ -s "$S/rsyslog.pid" ] && kill "$(cat "$S/rsyslog.pid")" 2>/dev/null
		sleep 1
		[ -S /dev/log ] && rm -f /dev/log
		[ -n "$SASL_CONF_CREATED" ] && rm -f /etc/sasl2/Sendmail.conf && rmdir /etc/sasl2 2>/dev/null
		return 0
	}
	smrun 20 sendmail-mta -C "$SMC" -bd -q1h >"$S/sm-start.log" 2>&1 ||
		{ log "sendmail did not start: $(cat "$S/sm-start.log")"; exit 1; }
	wait_port 127.0.0.1 2525 20 || exit 1

	local P=2525 SWA="swaks --helo client.test --from alice@mx.test --to rcpt@good.test"
	# ---- successful sessions (no event expected) ----
	step in-ok-starttls "swaks STARTTLS to 2525, mail to good.test (also a verified outbound delivery)"
	t 40 swaks --server 127.0.0.1:$P --helo client.test --from sender@mx.test --to rcpt@good.test --tls
	# (these three quit after RCPT: the log must stay short at LogLevel 12)
	step in-ok-auth "127.0.0.21: swaks STARTTLS + AUTH PLAIN alice/secret on 2587, quit after RCPT"
	t 40 $SWA -li 127.0.0.21 --server 127.0.0.1:2587 --tls --auth PLAIN --auth-user alice --auth-password secret --quit-after RCPT
	step in-ok-smtps "swaks SMTPS (2465) + AUTH LOGIN alice/secret, quit after RCPT"
	t 40 $SWA --server 127.0.0.1:2465 --tls-on-connect --auth LOGIN --auth-user alice --auth-password secret --quit-after RCPT
	step in-ok-ccert "127.0.0.31: swaks STARTTLS with a client certificate from our CA (required from this address), quit after RCPT"
	t 40 $SWA -li 127.0.0.31 --server 127.0.0.1:$P --tls --tls-cert "$S/client.crt" --tls-key "$S/client.key" --quit-after RCPT

	# ---- inbound handshake failures ----
	sc in-nocipher $P -starttls smtp -name client.test -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
	sc in-tls1 $P -starttls smtp -name client.test -tls1 -cipher 'DEFAULT@SECLEVEL=0'
	sc in-unknown-ca $P -starttls smtp -name client.test -verify_return_error -CAfile "$S/otherca.crt"
	step in-http-smtps "HTTP request to the SMTPS port 2465"
	badclient 127.0.0.1 2465 none http
	step in-plain-after-starttls "STARTTLS accepted, then plaintext EHLO instead of a ClientHello"
	badclient 127.0.0.1 $P smtp plain
	step in-close-after-starttls "STARTTLS accepted, then the client closes at once"
	badclient 127.0.0.1 $P smtp close
	step in-eof-mid-handshake "ClientHello sent, server's answer read, then close (EOF)"
	badclient 127.0.0.1 $P smtp hello
	step in-rst-mid-handshake "ClientHello sent, then TCP RST"
	badclient 127.0.0.1 $P smtp reset
	step in-stall-after-starttls "STARTTLS accepted, client silent for 8 s (Timeout.starttls=4s)"
	badclient 127.0.0.1 $P smtp stall 8

	# ---- inbound client certificates (TLS_Clt:127.0.0.31-33 VERIFY) ----
	step in-ccert-none "127.0.0.32: swaks STARTTLS without a client certificate"
	t 40 $SWA -li 127.0.0.32 --server 127.0.0.1:$P --tls
	step in-ccert-self "127.0.0.33: swaks STARTTLS with a self-signed client certificate"
	t 40 $SWA -li 127.0.0.33 --server 127.0.0.1:$P --tls --tls-cert "$S/client-self.crt" --tls-key "$S/client-self.key"
	step in-ccert-expired "127.0.0.31: swaks STARTTLS with an expired client certificate from our CA"
	t 40 $SWA -li 127.0.0.31 --server 127.0.0.1:$P --tls --tls-cert "$S/client-expired.crt" --tls-key "$S/client-expired.key"

	# ---- inbound SMTP AUTH ----
	step in-auth-login-bad "127.0.0.11: swaks STARTTLS + AUTH LOGIN alice/wrong on 2587"
	t 40 $SWA -li 127.0.0.11 --server 127.0.0.1:2587 --tls --auth LOGIN --auth-user alice --auth-password wrong
	step in-auth-plain-unknown "127.0.0.13: swaks STARTTLS + AUTH PLAIN nosuchuser/x on 2525"
	t 40 $SWA -li 127.0.0.13 --server 127.0.0.1:$P --tls --auth PLAIN --auth-user nosuchuser --auth-password x
	step in-auth-abort "127.0.0.14: AUTH LOGIN over TLS (2465), client answers '*'"
	chat --tls-on-connect --bind 127.0.0.14 127.0.0.1 2465 smtp 'EHLO client.test' 'AUTH LOGIN' '*' 'QUIT'
	step in-auth-mech "127.0.0.15: AUTH CRAM-MD5 (not offered) over TLS (2465)"
	chat --tls-on-connect --bind 127.0.0.15 127.0.0.1 2465 smtp 'EHLO client.test' 'AUTH CRAM-MD5' 'QUIT'
	step in-auth-bad-x3 "127.0.0.18: one session over TLS, AUTH PLAIN alice/wrong three times"
	chat --tls-on-connect --bind 127.0.0.18 127.0.0.1 2465 smtp 'EHLO client.test' \
		'AUTH PLAIN AGFsaWNlAHdyb25n' 'AUTH PLAIN AGFsaWNlAHdyb25n' 'AUTH PLAIN AGFsaWNlAHdyb25n' 'QUIT'
	step in-auth-no-tls "127.0.0.19: AUTH PLAIN in cleartext on 2525 (AuthOptions p)"
	chat --bind 127.0.0.19 127.0.0.1 $P smtp 'EHLO client.test' 'AUTH PLAIN AGFsaWNlAHNlY3JldA==' 'QUIT'
	step in-mail-no-tls "127.0.0.20: MAIL FROM in cleartext (TLS_Clt:127.0.0.20 ENCR:128)"
	chat --bind 127.0.0.20 127.0.0.1 $P smtp 'EHLO client.test' 'MAIL FROM:<a@mx.test>' 'RCPT TO:<rcpt@good.test>' 'QUIT'

	# ---- outbound: deliveries to the fake MXes ----
	for d in selfsigned expired mismatch notls refuse nocipher oldtls wantcert fallback; do
		step "out-$d" "sendmail-mta -odi: mail to rcpt@$d.test ($(grep "^$d.test" "$S/mailertable" | cut -f2), $(grep -F "$(grep "^$d.test" "$S/mailertable" | sed 's/.*\[\(.*\)\]/\1/')" "$S/access" | tr '\t' ' ' || echo 'no TLS_Srv entry'))"
		printf 'Subject: capture %s\n\ntest\n' "$d" |
			smrun 40 sendmail-mta -C "$SMC" -odi -f sender@mx.test "rcpt@$d.test" >>"$S/out/$CUR.txt" 2>&1
	done

	sleep 2
	step stop "kill sendmail, then rsyslogd"
	mta_stop
	finish "$L" "$ver"
}

case $MTA in
postfix) make_certs; run_postfix ;;
exim) make_certs; run_exim ;;
dovecot) make_certs; run_dovecot ;;
sendmail) make_certs; run_sendmail ;;
esac

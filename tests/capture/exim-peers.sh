#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# exim-peers.sh - record REAL Exim log lines of two private Exim instances,
# one the server and one the client of the other, failing TLS and AUTH.
#
#   tests/capture/exim-peers.sh [-k] OUTDIR
#
# Writes OUTDIR/exim-peers-server.log (the receiving Exim's mainlog),
# OUTDIR/exim-peers-client.log (the sending Exim's mainlog) and
# OUTDIR/exim-peers.steps (each provocation with the time it started).
# Needs the installed exim4 (Debian: GnuTLS), openssl and python3 with
# the cryptography module.  Everything runs from a scratch folder with
# configurations given by -C; only 127.0.0.1 and 127.0.0.3 (the server's two
# interfaces, high ports) are used.  Must run as root (Exim's daemon needs
# it to bind and to drop to its own user).  -k keeps the scratch folder.
#
# The server (one daemon) chooses its personality by the port that was
# connected ($received_port), so one daemon serves every case:
#   2525 STARTTLS, good certificate, AUTH PLAIN/LOGIN advertised to all and an
#        AUTH ACL that refuses it without TLS; 127.0.0.3:2525 offers no TLS
#   2465 TLS on connect                2526 a key that is not the certificate's
#   2527 an expired certificate        2528 a self-signed certificate
#   2529 an outdated OCSP response     2530 TLS 1.3 only
# The client is exim4 -odi with one manualroute router and one smtp
# transport per case (a domain per case).

set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
KEEP=
[ "${1:-}" = -k ] && { KEEP=yes; shift; }
OUTDIR=${1:?usage: exim-peers.sh [-k] OUTDIR}
[ "$(id -u)" = 0 ] || { echo "exim-peers.sh: must run as root" >&2; exit 1; }
S=$(mktemp -d /run/tlslogd-eximpeers.XXXXXX) || exit 1
chmod 755 "$S"
STEPS=$S/steps.txt
: >"$STEPS"
log() { echo "exim-peers.sh: $*" >&2; }
step() {
	sleep 1
	printf '%s %s: %s\n' "$(date '+%H:%M:%S')" "$1" "$2" >>"$STEPS"
	CUR=$1
}
cleanup() {
	[ -s "$S/srv.pid" ] && kill "$(cat "$S/srv.pid")" 2>/dev/null
	[ -n "${CLOSER_PID:-}" ] && kill "$CLOSER_PID" 2>/dev/null
	if [ -n "$KEEP" ]; then log "scratch folder kept: $S"; else rm -rf "$S"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- certificates: a CA, good / expired / self-signed server certificates,
# a stray key, an OCSP response that expired in 2021 ----
d=$S/pki
mkdir -p "$d/new"
: >"$d/index.txt"
echo 1000 >"$d/serial"
cat >"$d/ca.cnf" <<EOF
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
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout "$S/ca.key" \
	-out "$S/ca.crt" -subj "/O=tlslogd capture/CN=tlslogd capture CA" \
	-addext basicConstraints=critical,CA:true \
	-addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1
issue() { # NAME CN START END
	openssl req -new -newkey rsa:2048 -nodes -keyout "$S/$1.key" -out "$d/$1.csr" \
		-subj "/CN=$2" -addext "subjectAltName=DNS:$2,IP:127.0.0.1" >/dev/null 2>&1
	openssl ca -batch -notext -config "$d/ca.cnf" -cert "$S/ca.crt" -keyfile "$S/ca.key" \
		-in "$d/$1.csr" -out "$S/$1.crt" -startdate "$3" -enddate "$4" >/dev/null 2>&1
}
issue mx mx.test "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" "$(date -u -d '+1 year' +%Y%m%d%H%M%SZ)"
issue expired mx.test 20200101000000Z 20210101000000Z
issue stray stray.test 20200101000000Z 20300101000000Z
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout "$S/self.key" \
	-out "$S/self.crt" -subj "/CN=mx.test" -addext "subjectAltName=DNS:mx.test,IP:127.0.0.1" >/dev/null 2>&1
python3 - "$S/mx.crt" "$S/ca.crt" "$S/ca.key" "$S/ocsp-old.der" <<'PY' || { log "no OCSP response"; exit 1; }
import sys, datetime
from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.hazmat.primitives import serialization, hashes
cert = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read())
ca = x509.load_pem_x509_certificate(open(sys.argv[2], 'rb').read())
key = serialization.load_pem_private_key(open(sys.argv[3], 'rb').read(), None)
t = datetime.datetime(2021, 1, 1)
b = ocsp.OCSPResponseBuilder().add_response(cert=cert, issuer=ca, algorithm=hashes.SHA1(),
    cert_status=ocsp.OCSPCertStatus.GOOD, this_update=t, next_update=t + datetime.timedelta(days=1),
    revocation_time=None, revocation_reason=None).responder_id(ocsp.OCSPResponderEncoding.HASH, ca)
open(sys.argv[4], 'wb').write(b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
PY
chmod 644 "$S"/*.crt "$S"/*.key "$S"/*.der

# ---- the server ----
mkdir -p "$S/srv-spool" "$S/srv-log" "$S/cli-spool" "$S/cli-log"
chown Debian-exim:Debian-exim "$S/srv-spool" "$S/srv-log" "$S/cli-spool" "$S/cli-log"
cat >"$S/srv.conf" <<EOF
primary_hostname = mx.test
keep_environment =
exim_user = Debian-exim
exim_group = Debian-exim
spool_directory = $S/srv-spool
log_file_path = $S/srv-log/%slog
pid_file_path = $S/srv.pid
local_interfaces = <; 127.0.0.1.2525 ; 127.0.0.3.2525 ; 127.0.0.1.2465 ; 127.0.0.1.2526 ; \\
	127.0.0.1.2527 ; 127.0.0.1.2528 ; 127.0.0.1.2529 ; 127.0.0.1.2530
tls_on_connect_ports = 2465
never_users = root
host_lookup =
rfc1413_hosts =
tls_advertise_hosts = \${if eq{\$received_ip_address}{127.0.0.3}{}{*}}
tls_certificate = \${if eq{\$received_port}{2527}{$S/expired.crt}{\${if eq{\$received_port}{2528}{$S/self.crt}{$S/mx.crt}}}}
tls_privatekey = \${if eq{\$received_port}{2526}{$S/stray.key}{\${if eq{\$received_port}{2527}{$S/expired.key}{\${if eq{\$received_port}{2528}{$S/self.key}{$S/mx.key}}}}}}
tls_ocsp_file = \${if eq{\$received_port}{2529}{$S/ocsp-old.der}{}}
tls_require_ciphers = \${if eq{\$received_port}{2530}{NORMAL:-VERS-ALL:+VERS-TLS1.3}{NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2}}
auth_advertise_hosts = *
acl_smtp_auth = acl_check_auth
acl_smtp_rcpt = acl_check_rcpt
begin acl
acl_check_auth:
  deny    !encrypted = *
          message = STARTTLS required before AUTH
  accept
acl_check_rcpt:
  accept
begin routers
drop:
  driver = redirect
  data = :blackhole:
begin authenticators
plain_server:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and{{eq{\$auth2}{alice}}{eq{\$auth3}{secret}}}}
  server_set_id = \$auth2
login_server:
  driver = plaintext
  public_name = LOGIN
  server_prompts = <| Username: | Password:
  server_condition = \${if and{{eq{\$auth1}{alice}}{eq{\$auth2}{secret}}}}
  server_set_id = \$auth1
EOF

# ---- the client: one router + transport per case ----
# case:host list:port:transport options (';' separates options)
CASES='
ok:127.0.0.1:2525:hosts_require_tls = *;tls_verify_hosts = *;tls_verify_cert_hostnames = *
authok:127.0.0.1:2525:hosts_require_tls = *;hosts_require_auth = *
authbad:127.0.0.1:2525:hosts_require_tls = *;hosts_require_auth = *
authcancel:127.0.0.1:2525:hosts_require_tls = *;hosts_require_auth = *
authnotls:127.0.0.1:2525:hosts_require_auth = *;hosts_avoid_tls = *
notoffered:127.0.0.3+127.0.0.1:2525:hosts_require_tls = *
notofferedonly:127.0.0.3:2525:hosts_require_tls = *
brokenkey:127.0.0.1:2526:hosts_require_tls = *
brokenkeymay:127.0.0.1:2526:
brokenkeynoclear:127.0.0.1:2526:tls_tempfail_tryclear = false
expired:127.0.0.1:2527:hosts_require_tls = *;tls_verify_hosts = *
expiredmay:127.0.0.1:2527:tls_verify_hosts = *
selfsigned:127.0.0.1:2528:hosts_require_tls = *;tls_verify_hosts = *
selfsignedtry:127.0.0.1:2528:hosts_require_tls = *;tls_try_verify_hosts = *
ocsp:127.0.0.1:2529:hosts_require_tls = *;hosts_require_ocsp = *
ocsptry:127.0.0.1:2529:hosts_require_tls = *
noproto:127.0.0.1:2530:hosts_require_tls = *;tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.2
noprotomay:127.0.0.1:2530:tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.2
smtpsclose:127.0.0.1:2531:protocol = smtps
smtpsok:127.0.0.1:2465:protocol = smtps
plainsmtps:127.0.0.1:2525:protocol = smtps
dane:127.0.0.1:2525:hosts_require_dane = *
'
{
	cat <<-EOF
	primary_hostname = relay.test
	keep_environment =
	exim_user = Debian-exim
	exim_group = Debian-exim
	spool_directory = $S/cli-spool
	log_file_path = $S/cli-log/%slog
	pid_file_path = $S/cli.pid
	log_selector = +outgoing_port
	never_users = root
	host_lookup =
	begin routers
	EOF
	echo "$CASES" | while IFS=: read -r c hosts port opts; do
		[ -n "$c" ] || continue
		printf '%s:\n  driver = manualroute\n  domains = %s.test\n  route_list = * "%s"\n  self = send\n  transport = t_%s\n' \
			"$c" "$c" "$(echo "$hosts" | sed "s/+/ : /g")" "$c"
	done
	echo "begin transports"
	echo "$CASES" | while IFS=: read -r c hosts port opts; do
		[ -n "$c" ] || continue
		printf 't_%s:\n  driver = smtp\n  port = %s\n  helo_data = relay.test\n  allow_localhost\n  tls_verify_certificates = %s\n' \
			"$c" "$port" "$S/ca.crt"
		[ -n "$opts" ] && echo "$opts" | tr ';' '\n' | sed 's/^/  /'
	done
	cat <<-EOF
	begin retry
	*  *  F,1h,10m
	EOF
} >"$S/cli.conf"
# The authenticators cannot see the case's domain: -DPASS=... gives the
# password, -DCANCEL a LOGIN client whose client_send expansion is forced to fail.
cat >>"$S/cli.conf" <<'EOF'
begin authenticators
.ifdef CANCEL
login_client:
  driver = plaintext
  public_name = LOGIN
  client_send = : alice : ${if eq{a}{b}{x}fail}
.else
plain_client:
  driver = plaintext
  public_name = PLAIN
  client_send = ^alice^PASS
.endif
EOF
sed -i '1i .ifndef PASS\nPASS = secret\n.endif' "$S/cli.conf"

exim4 -C "$S/srv.conf" -bV >"$S/srv-check.txt" 2>&1 || { log "server config: $(cat "$S/srv-check.txt")"; exit 1; }
exim4 -C "$S/cli.conf" -bV >"$S/cli-check.txt" 2>&1 || { log "client config: $(cat "$S/cli-check.txt")"; exit 1; }
VER=$(exim4 -bV | sed -n '1s/^Exim version \([^ ]*\).*/\1/p')

# A peer that accepts and closes at once (for TLS on connect).
python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 2531)); s.listen(5)
t = time.time() + 600
while time.time() < t:
    c, _ = s.accept(); c.close()
' &
CLOSER_PID=$!

timeout 20 exim4 -C "$S/srv.conf" -bd || { log "server did not start"; exit 1; }
for i in $(seq 50); do
	timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2530' 2>/dev/null && break
	sleep 0.2
done

send() { # CASE [exim options]
	local c=$1
	shift
	# each case starts without the hints of the one before (retry times)
	rm -f "$S"/cli-spool/db/*
	printf 'Subject: capture %s\n\ntest\n' "$c" |
		timeout 60 exim4 -C "$S/cli.conf" "$@" -odi -f sender@relay.test "rcpt@$c.test" >>"$S/out.txt" 2>&1
}
CHAT="timeout 60 python3 $HERE/helpers/chat.py"

step ok "client -> 2525: STARTTLS, certificate verified (success)"
send ok
step authok "client -> 2525: STARTTLS + AUTH PLAIN alice/secret, AUTH required (success)"
send authok
step authbad "client -> 2525: STARTTLS + AUTH PLAIN alice/wrong, AUTH required"
send authbad -DPASS=wrong
step authcancel "client -> 2525: STARTTLS + AUTH LOGIN whose client_send expansion is forced to fail"
send authcancel -DCANCEL
step authnotls "client -> 2525: AUTH PLAIN alice/secret without STARTTLS (hosts_avoid_tls); the server's AUTH ACL refuses"
send authnotls
step chat-authnotls "127.0.0.19 -> 2525: AUTH PLAIN alice/secret in clear text (helpers/chat.py)"
$CHAT --bind 127.0.0.19 127.0.0.1 2525 smtp 'EHLO client.test' 'AUTH PLAIN AGFsaWNlAHNlY3JldA==' 'QUIT' >>"$S/out.txt" 2>&1
step chat-authbad "127.0.0.11 -> 2525: STARTTLS + AUTH PLAIN alice/wrong (helpers/chat.py)"
$CHAT --bind 127.0.0.11 127.0.0.1 2525 smtp 'EHLO client.test' 'STARTTLS' @starttls 'EHLO client.test' 'AUTH PLAIN AGFsaWNlAHdyb25n' 'QUIT' >>"$S/out.txt" 2>&1
step notoffered "client -> 127.0.0.3:2525 (no STARTTLS offered), then 127.0.0.1:2525; hosts_require_tls"
send notoffered
step notofferedonly "client -> 127.0.0.3:2525 only (no STARTTLS offered); hosts_require_tls"
send notofferedonly
step brokenkey "client -> 2526 (server key does not match its certificate); hosts_require_tls"
send brokenkey
step brokenkeymay "client -> 2526 (server key does not match its certificate); opportunistic TLS"
send brokenkeymay
step brokenkeynoclear "client -> 2526 (server key does not match its certificate); tls_tempfail_tryclear = false"
send brokenkeynoclear
step expired "client -> 2527 (expired server certificate); hosts_require_tls, tls_verify_hosts"
send expired
step expiredmay "client -> 2527 (expired server certificate); tls_verify_hosts, TLS not required"
send expiredmay
step selfsigned "client -> 2528 (self-signed server certificate); hosts_require_tls, tls_verify_hosts"
send selfsigned
step selfsignedtry "client -> 2528 (self-signed server certificate); tls_try_verify_hosts (success, CV=no)"
send selfsignedtry
step ocsp "client -> 2529 (server's OCSP response expired in 2021); hosts_require_ocsp"
send ocsp
step ocsptry "client -> 2529 (server's OCSP response expired in 2021); OCSP not required"
send ocsptry
step noproto "client TLS 1.2 only -> 2530 (TLS 1.3 only); hosts_require_tls"
send noproto
step noprotomay "client TLS 1.2 only -> 2530 (TLS 1.3 only); TLS not required"
send noprotomay
step smtpsclose "client protocol=smtps -> 127.0.0.1:2531, a peer that accepts and closes at once"
send smtpsclose
step smtpsok "client protocol=smtps -> 2465 (success)"
send smtpsok
step plainsmtps "client protocol=smtps -> 2525 (a STARTTLS port: the server sends its banner in clear)"
send plainsmtps
step dane "client -> 2525 with hosts_require_dane = * (the host is an address: no DNSSEC)"
send dane
step chat-smtps-ok "127.0.0.21 -> 2465 TLS on connect + AUTH PLAIN alice/secret, then QUIT (success)"
$CHAT --tls-on-connect --bind 127.0.0.21 127.0.0.1 2465 smtp 'EHLO client.test' 'AUTH PLAIN AGFsaWNlAHNlY3JldA==' 'QUIT' >>"$S/out.txt" 2>&1
sleep 1
step stop "kill the server"
kill "$(cat "$S/srv.pid")"
sleep 1
mkdir -p "$OUTDIR"
cp "$S/srv-log/mainlog" "$OUTDIR/exim-$VER-peers-server.log"
cp "$S/cli-log/mainlog" "$OUTDIR/exim-$VER-peers-client.log"
cp "$STEPS" "$OUTDIR/exim-$VER-peers.steps"
cat "$S/srv-log/paniclog" "$S/cli-log/paniclog" 2>/dev/null | sed 's/^/paniclog: /' >&2
log "written to $OUTDIR"

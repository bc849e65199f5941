#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""fakemx.py - a tiny SMTP server on a loopback address, used as the REMOTE
peer when an MTA under test delivers mail (outbound TLS failures).

It only ever listens on the address it is given (capture.sh passes
127.0.0.2) and exits by itself after --lifetime seconds.  It accepts every
message and throws it away.

  --mode starttls   offer STARTTLS and do the handshake (default)
  --mode notls      do not offer STARTTLS at all
  --mode refuse     offer STARTTLS but answer it with 454
  --cert/--key      the certificate it presents
  --tls-max/--tls-min  1.0 1.1 1.2 1.3
  --ciphers         OpenSSL cipher string for TLS <= 1.2
  --dhparam         DH parameters file (for DHE cipher suites)
  --require-cert CA ask for a client certificate and fail without one
"""
import argparse
import socket
import socketserver
import ssl
import sys
import threading
import time

p = argparse.ArgumentParser()
p.add_argument("--listen", required=True, help="ADDR:PORT")
p.add_argument("--name", default="fakemx.test")
p.add_argument("--mode", default="starttls", choices=["starttls", "notls", "refuse"])
p.add_argument("--cert")
p.add_argument("--key")
p.add_argument("--tls-min")
p.add_argument("--tls-max")
p.add_argument("--ciphers")
p.add_argument("--dhparam")
p.add_argument("--require-cert")
p.add_argument("--lifetime", type=float, default=900)
a = p.parse_args()

host, port = a.listen.rsplit(":", 1)
if not host.startswith("127."):
    sys.exit("fakemx: refusing to listen on a non-loopback address")

VERS = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
        "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
ctx = None
if a.mode == "starttls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if a.ciphers:
        ctx.set_ciphers(a.ciphers)
    if a.tls_min:
        ctx.minimum_version = VERS[a.tls_min]
    if a.tls_max:
        ctx.maximum_version = VERS[a.tls_max]
    if a.dhparam:
        ctx.load_dh_params(a.dhparam)
    if a.require_cert:
        ctx.load_verify_locations(a.require_cert)
        ctx.verify_mode = ssl.CERT_REQUIRED


class Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def handle(self):
        s = self.request
        f = s.makefile("rb")
        tls = False

        def send(text):
            s.sendall(text.encode() + b"\r\n")

        send("220 %s ESMTP fakemx" % a.name)
        while True:
            line = f.readline(2000)
            if not line:
                return
            cmd = line.decode("latin-1").strip()
            up = cmd.upper()
            if up.startswith(("EHLO", "HELO")):
                caps = ["250-" + a.name, "250-PIPELINING", "250-8BITMIME"]
                if a.mode != "notls" and not tls:
                    caps.append("250-STARTTLS")
                caps.append("250 SIZE 10240000")
                s.sendall(("\r\n".join(caps) + "\r\n").encode())
            elif up == "STARTTLS" and a.mode == "refuse":
                send("454 4.7.0 TLS not available due to local problem")
            elif up == "STARTTLS" and a.mode == "starttls" and not tls:
                send("220 2.0.0 Ready to start TLS")
                try:
                    s = ctx.wrap_socket(s, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    print("fakemx %s: handshake failed: %s" % (a.listen, e), file=sys.stderr)
                    return
                f = s.makefile("rb")
                tls = True
            elif up == "DATA":
                send("354 End data with <CR><LF>.<CR><LF>")
                while True:
                    l = f.readline(10000)
                    if not l or l in (b".\r\n", b".\n"):
                        break
                send("250 2.0.0 Ok: queued as FAKEMX")
            elif up == "QUIT":
                send("221 2.0.0 Bye")
                return
            elif up.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                send("250 2.1.0 Ok")
            else:
                send("502 5.5.2 Error: command not recognized")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


srv = Server((host, int(port)), Handler)
threading.Timer(a.lifetime, srv.shutdown).start()
srv.serve_forever()

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""badclient.py - a misbehaving TLS client for provoking handshake failures.

  badclient.py HOST PORT PROTO ACTION [SECONDS]

HOST must be a loopback address.  PROTO says how TLS is started:
  smtp  EHLO + STARTTLS      imap  a STARTTLS      pop3  STLS
  none  TLS at once (wrapper-mode ports: smtps, imaps, pop3s)
ACTION is what the client does once the server expects the ClientHello:
  close  close the connection at once (vanishes before the handshake)
  hello  send a ClientHello, read the server's answer, then close (EOF in
         the middle of the handshake)
  reset  like hello, but abort with a TCP RST (SO_LINGER 0)
  stall  say nothing for SECONDS (lets the server's handshake timer fire)
  plain  keep talking plaintext (EHLO / a CAPABILITY) instead of TLS
  http   send an HTTP request instead of TLS
Every socket operation has a timeout; the script never runs longer than
about SECONDS + 20 s.
"""
import socket
import ssl
import struct
import sys
import time

host, port, proto, action = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
wait = float(sys.argv[5]) if len(sys.argv) > 5 else 10
if not host.startswith("127."):
    sys.exit("badclient: refusing to contact a non-loopback address")

s = socket.create_connection((host, port), timeout=10)
f = s.makefile("rb")


def smtp_reply():
    while True:
        l = f.readline(4096)
        if not l or l[3:4] != b"-":
            return l


if proto == "smtp":
    smtp_reply()
    s.sendall(b"EHLO client.test\r\n")
    smtp_reply()
    s.sendall(b"STARTTLS\r\n")
    smtp_reply()
elif proto == "imap":
    f.readline(4096)
    s.sendall(b"a STARTTLS\r\n")
    f.readline(4096)
elif proto == "pop3":
    f.readline(4096)
    s.sendall(b"STLS\r\n")
    f.readline(4096)

if action == "close":
    pass
elif action == "stall":
    s.settimeout(wait)
    try:
        s.recv(1)
    except OSError:
        pass
elif action in ("plain", "http"):
    if action == "http":
        s.sendall(b"GET / HTTP/1.0\r\nHost: mx.test\r\n\r\n")
    elif proto in ("imap",):
        s.sendall(b"b CAPABILITY\r\n")
    else:
        s.sendall(b"EHLO client.test\r\n")
    s.settimeout(3)
    try:
        s.recv(4096)
    except OSError:
        pass
elif action in ("hello", "reset"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inb, outb, server_hostname="mx.test")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    s.sendall(outb.read())
    s.settimeout(3)
    try:
        s.recv(65536)
    except OSError:
        pass
    time.sleep(0.3)
    if action == "reset":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
else:
    sys.exit("badclient: unknown action " + action)
s.close()

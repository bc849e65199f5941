#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""chat.py - talk SMTP, IMAP or POP3 to a loopback server one command at a
time (waiting for each reply, so the server never sees pipelining).

  chat.py [--tls-on-connect] [--bind ADDR] HOST PORT PROTO ITEM...

PROTO is smtp, imap or pop3.  Each ITEM is a command line to send, or
  @starttls   start TLS now (after the server accepted STARTTLS/STLS)
  @sleep:N    wait N seconds
  @close      drop the connection without a goodbye
The transcript goes to standard output.  Every read has a 15 s timeout.
"""
import socket
import ssl
import sys
import time

args = sys.argv[1:]
tls_on_connect = False
bind = None
while args and args[0].startswith("--"):
    if args[0] == "--tls-on-connect":
        tls_on_connect = True
        args = args[1:]
    elif args[0] == "--bind":  # source address, e.g. 127.0.0.15
        bind = args[1]
        args = args[2:]
    else:
        sys.exit("chat: unknown option " + args[0])
host, port, proto, items = args[0], int(args[1]), args[2], args[3:]
if not host.startswith("127."):
    sys.exit("chat: refusing to contact a non-loopback address")

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

if bind and not bind.startswith("127."):
    sys.exit("chat: refusing a non-loopback source address")
s = socket.create_connection((host, port), timeout=15,
                             source_address=(bind, 0) if bind else None)
if tls_on_connect:
    s = ctx.wrap_socket(s, server_hostname="mx.test")
f = s.makefile("rb")
tag = None


def read_reply():
    """Read one complete reply; return its last line."""
    while True:
        l = f.readline(8192)
        if not l:
            print("<<< (connection closed)")
            return b""
        print("<<< " + l.decode("latin-1").rstrip())
        if proto == "smtp" and l[3:4] != b"-":
            return l
        if proto == "pop3":
            return l
        if proto == "imap":
            if l.startswith(b"+") or tag is None or l.startswith(tag.encode() + b" "):
                return l


try:
    if proto == "imap":
        tag = None  # greeting: read one line
        l = f.readline(8192)
        print("<<< " + l.decode("latin-1").rstrip())
    else:
        read_reply()
    for item in items:
        if item == "@starttls":
            s = ctx.wrap_socket(s, server_hostname="mx.test")
            f = s.makefile("rb")
            print("--- TLS started: %s %s" % (s.version(), s.cipher()[0]))
            continue
        if item.startswith("@sleep:"):
            time.sleep(float(item[7:]))
            continue
        if item == "@close":
            break
        if proto == "imap" and " " in item and not item.startswith(("*", "+")):
            first = item.split(" ", 1)[0]
            # a tagged command, unless it is the answer to a "+" continuation
            if first.isalnum() and len(first) <= 4:
                tag = first
        print(">>> " + item)
        s.sendall(item.encode() + b"\r\n")
        if not read_reply():
            break
except (OSError, ssl.SSLError) as e:
    print("!!! " + str(e))
s.close()

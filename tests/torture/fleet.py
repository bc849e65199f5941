#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""fleet.py: three daemons (servers mx1, mx2, mx3) write one PostgreSQL
database at once while their logs grow in torn writes, rotate and the daemons
are killed (SIGKILL) at random moments. At the end:

  - each server's events (by the file records it wrote) equal those of a
    one-shot `tlslogd scan` of everything its log received (compared by kind
    and address: 0 lost, 0 doubled), and so do the successes it counted;
  - a partner that failed once on each server, within the window of a
    threshold of 3, is flagged exactly once for the whole fleet (one row of
    flags, raised by one of the three), and its action ran (once, or twice
    where a daemon was killed after running it but before recording it);
  - no server's daemon wrote another's file records.

usage: fleet.py TLSLOGD PATTERNS_DIR WORKDIR URI   (run from the source tree: it
uses contrib/bench/genlog). Exit 0 when all holds, 1 when not.
"""
import os
import random
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from dbrows import rows  # noqa: E402 (the folder of this script)

SERVERS = ("mx1", "mx2", "mx3")
PARTNER = "203.0.113.77"


def partner_failure(server, pid):
    """A Postfix inbound TLS failure of the partner (no shared cipher), logged now."""
    stamp = time.strftime("%b %d %H:%M:%S", time.localtime())
    stamp = stamp[:4] + ("%2d" % int(stamp[4:6])) + stamp[6:]
    prog = "postfix/smtpd[%d]" % pid
    peer = "partner.example.net[%s]" % PARTNER
    msgs = ["connect from %s" % peer,
            "SSL_accept error from %s: -1" % peer,
            "warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:"
            "../ssl/statem/statem_srvr.c:2226:",
            "lost connection after STARTTLS from %s" % peer,
            "disconnect from %s ehlo=1 starttls=0/1 commands=1/2" % peer]
    return [("%s %s %s: %s\n" % (stamp, server, prog, m)).encode() for m in msgs]


class Host:
    def __init__(self, name, exe, pats, wd, uri, seed):
        self.name, self.exe, self.pats, self.uri = name, exe, pats, uri
        self.dir = os.path.join(wd, name)
        os.makedirs(self.dir, exist_ok=True)
        self.live = os.path.join(self.dir, "mail.log")
        open(self.live, "wb").close()
        self.written = open(os.path.join(self.dir, "all.log"), "wb")
        self.out = open(os.path.join(self.dir, "d.out"), "ab")
        self.conf = os.path.join(self.dir, "tlslogd.conf")
        with open(self.conf, "w") as f:
            f.write("database %s\nserver %s\n" % (uri, name))
            f.write("flag fleet tls_no_shared_cipher 3 10m\n")
            # The partner's address alone: its name's domain (.example.net) would be
            # flagged too, with an action of its own, by the same three failures.
            f.write("flag_domain_kinds none\n")
            # A command is split at blanks, never by a shell (no quotes): a script.
            f.write("action_flag %s %%peer%% %s\n" % (os.path.join(wd, "action.sh"), name))
        with open(os.path.join(wd, "action.sh"), "w") as f:
            f.write("#!/bin/sh\necho \"$1 $2\" >>%s\n" % os.path.join(wd, "actions.log"))
        os.chmod(os.path.join(wd, "action.sh"), 0o755)
        self.src = subprocess.run(["contrib/bench/genlog", "--lines", "12000", "--rate", "0.05",
                                   "--seed", str(seed), "--mta", "postfix"], capture_output=True,
                                  check=True).stdout.splitlines(keepends=True)
        self.rnd = random.Random(seed)
        self.kills = 0
        self.p = None

    def started(self):
        with open(os.path.join(self.dir, "d.out"), "rb") as f:
            return f.read().count(b"following 1 source")

    def start(self, wait=False):
        """Start the daemon; wait: until it recorded its file (a first start, which
        has no record yet of a file that a rotation could take away)."""
        before = self.started()
        self.p = subprocess.Popen([self.exe, "run", "-d", "-c", self.conf, "--patterns", self.pats,
                                   "--from-start", "--follow", self.live],
                                  stdout=self.out, stderr=subprocess.STDOUT)
        t = time.time()
        while wait and self.started() == before:
            if self.p.poll() is not None or time.time() - t > 120:
                raise RuntimeError("%s: the daemon did not start" % self.name)
            time.sleep(0.05)

    def append(self, lines):
        data = b"".join(lines)
        self.written.write(data)
        self.written.flush()
        with open(self.live, "ab") as f:
            i = 0
            while i < len(data):
                n = self.rnd.randint(1, 4096)
                f.write(data[i:i + n])
                f.flush()
                i += n

    def kill(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGKILL)
            self.kills += 1
        self.p.wait()

    def rotate(self):
        """As logrotate does: the older files shift by one, the live one becomes .1."""
        if os.path.exists(self.live + ".1"):
            os.rename(self.live + ".1", self.live + ".2")
        os.rename(self.live, self.live + ".1")
        open(self.live, "wb").close()


def settle(uri, quiet=7, seconds=120):
    """Until the fleet's event count stays the same for quiet seconds (more than
    the 5 s after which a daemon whose transaction failed tries again)."""
    last, since, t = -2, time.time(), time.time()
    while time.time() - t < seconds:
        time.sleep(0.5)
        try:
            c = int(rows(uri, "select count(*) from events")[0][0])
        except (RuntimeError, IndexError, ValueError):
            c = -1
        if c != last:
            last, since = c, time.time()
        elif time.time() - since >= quiet:
            return


def main():
    exe, pats, wd, uri = sys.argv[1:5]
    os.makedirs(wd, exist_ok=True)
    random.seed(7)
    hosts = [Host(name, exe, pats, wd, uri, 21 + i) for i, name in enumerate(SERVERS)]
    for h in hosts:
        h.start(wait=True)
    nchunks = len(hosts[0].src) // 500
    for k in range(nchunks):
        for h in hosts:
            h.append(h.src[k * 500:(k + 1) * 500])
            if k == nchunks // 2:
                h.append(partner_failure(h.name, 40000 + k))
            if k in (5, 15):
                h.rotate()
            if random.random() < 0.25:
                time.sleep(random.uniform(0, 0.2))
                h.kill()
                h.start()
    settle(uri)
    status = 0
    for h in hosts:
        h.p.send_signal(signal.SIGTERM)
        if h.p.wait(timeout=30) != 0:
            print("%s: the daemon exited %d at SIGTERM" % (h.name, h.p.returncode))
            status = 1
        h.written.close()

    cols = ("clear", "ssl3", "tls10", "tls11", "tls12", "tls13", "tls_other", "aead", "cbc",
            "des3", "rc4", "cipher_other", "messages", "logins")
    for h in hosts:
        ref = os.path.join(h.dir, "ref.db")
        subprocess.run([exe, "scan", "-q", "-c", "/dev/null", "--db", ref, "--patterns", pats,
                        os.path.join(h.dir, "all.log")], check=True)
        a = sorted(rows(uri, "select e.kind, e.peer_ip, count(*) from events e join files f on "
                        "f.id = e.file_id where f.server = '%s' group by 1, 2" % h.name))
        b = sorted(rows(ref, "select kind, peer_ip, count(*) from events group by 1, 2"))
        print("%s: %d SIGKILLs, the fleet database holds %d of its events, a one-shot scan %d"
              % (h.name, h.kills, sum(int(r[2]) for r in a), sum(int(r[2]) for r in b)))
        if a != b:
            da, db_ = {r[:2]: r[2] for r in a}, {r[:2]: r[2] for r in b}
            diff = [k for k in sorted(set(da) | set(db_)) if da.get(k) != db_.get(k)]
            print("  %d (kind, address) differ (fleet, scan), the first 10:" % len(diff))
            for k in diff[:10]:
                print("    %s: %s, %s" % (k, da.get(k), db_.get(k)))
            status = 1
    # The successes: the fleet's peer_days against the three scans' summed.
    q = ("select peer, day, direction, " + ", ".join("sum(%s)" % c for c in cols) +
         " from peer_days group by 1, 2, 3")
    fleet = sorted(rows(uri, q))
    summed = {}
    for h in hosts:
        for r in rows(os.path.join(h.dir, "ref.db"), q):
            v = summed.setdefault(r[:3], [0] * len(cols))
            for i, x in enumerate(r[3:]):
                v[i] += int(x)
    want = sorted(k + tuple(str(x) for x in v) for k, v in summed.items())
    print("successes: the fleet counted %d peer days, the scans %d"
          % (len(fleet), len(want)))
    if fleet != want or not want:
        print("  the successes differ (or none were counted)")
        status = 1
    flags = rows(uri, "select threshold, raised_by, count from flags where peer = '%s'" % PARTNER)
    print("flags of the partner: %s" % flags)
    if len(flags) != 1 or flags[0][0] != "fleet" or flags[0][1] not in SERVERS:
        print("  expected one flag \"fleet\" raised by one of %s" % ", ".join(SERVERS))
        status = 1
    actions = os.path.join(wd, "actions.log")
    ran = open(actions).read().split("\n")[:-1] if os.path.exists(actions) else []
    print("actions run: %s" % ran)
    # At least once; twice only where a daemon was killed between the command's
    # end and its record (tlslogd.conf(5): commands must be idempotent).
    if not ran or any(not r.startswith(PARTNER + " ") for r in ran) or \
            len(ran) > 1 + sum(h.kills for h in hosts):
        print("  expected the flag's action to run once (twice at most after a kill)")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""kill-rotate.py: the daemon killed (SIGKILL) at random moments while a log is
appended in torn writes, renamed away twice, copy-truncated once and rotated
once while the daemon is down; the events it stores must equal those of a
one-shot `tlslogd scan` of everything written (compared by kind and address),
and so must the successes it counts per peer and day (peer_days: each line
once, whatever was read twice after a kill).

usage: kill-rotate.py TLSLOGD PATTERNS_DIR WORKDIR [DATABASE]   (run from the
source tree: it uses contrib/bench/genlog). DATABASE: where the daemon writes, a
postgresql:// URI (read with psql) or by default WORKDIR/d.db; the one-shot scan
writes an SQLite file, so that the engines are compared too. Exit 0 when equal,
1 when not.
"""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from dbrows import rows  # noqa: E402 (the folder of this script)


def main():
    exe, pats, wd = sys.argv[1:4]
    os.makedirs(wd, exist_ok=True)
    random.seed(5)
    src = subprocess.run(["contrib/bench/genlog", "--lines", "40000", "--rate", "0.05",
                          "--seed", "11", "--mta", "postfix"], capture_output=True,
                         check=True).stdout.splitlines(keepends=True)
    live = f"{wd}/mail.log"
    db = sys.argv[4] if len(sys.argv) > 4 else f"{wd}/d.db"
    written = open(f"{wd}/all.log", "wb")
    open(live, "wb").close()
    out = open(f"{wd}/d.out", "ab")

    def start():
        return subprocess.Popen([exe, "run", "-d", "-c", "/dev/null", "--db", db, "--patterns", pats,
                                 "--from-start", "--follow", live], stdout=out,
                                stderr=subprocess.STDOUT)

    def append(lines):
        data = b"".join(lines)
        written.write(data)
        written.flush()
        with open(live, "ab") as f:
            i = 0
            while i < len(data):
                n = random.randint(1, 4096)
                f.write(data[i:i + n])
                f.flush()
                i += n

    def count():
        try:
            return int(rows(db, "select count(*) from events")[0][0])
        except (sqlite3.Error, RuntimeError, IndexError):
            return -1

    def settle():
        # Progress-based: until the count stays the same for a second (at most 30 s).
        last, t = -2, time.time()
        while time.time() - t < 30:
            time.sleep(1)
            c = count()
            if c == last:
                return
            last = c

    kills = 0
    p = start()
    time.sleep(1)
    for k, ch in enumerate([src[i:i + 1000] for i in range(0, len(src), 1000)]):
        append(ch)
        if k in (8, 20):
            settle()
            os.rename(live, live + ".1")
            open(live, "wb").close()
        if k == 14:
            settle()
            os.system(f"cp {live} {wd}/copy && : > {live}")
        if k == 27 and p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait()
            kills += 1
            os.rename(live, live + ".1")
            open(live, "wb").close()
            p = start()
        elif random.random() < 0.3:
            time.sleep(random.uniform(0, 0.3))
            p.send_signal(signal.SIGKILL)
            p.wait()
            kills += 1
            p = start()
    settle()
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)
    written.close()
    subprocess.run([exe, "scan", "-c", "/dev/null", "--db", f"{wd}/ref.db", "--patterns", pats,
                    f"{wd}/all.log"], capture_output=True)
    q = "select kind, peer_ip, count(*) from events group by 1, 2"
    a = sorted(rows(db, q))
    b = sorted(rows(f"{wd}/ref.db", q))
    print(f"{kills} SIGKILLs: the daemon stored {sum(int(r[2]) for r in a)} events, "
          f"a one-shot scan {sum(int(r[2]) for r in b)}")
    status = 0
    if a != b:
        da, db_ = dict(((r[0], r[1]), r[2]) for r in a), dict(((r[0], r[1]), r[2]) for r in b)
        diff = [(k, da.get(k, 0), db_.get(k, 0)) for k in sorted(set(da) | set(db_))
                if da.get(k, 0) != db_.get(k, 0)]
        print(f"{len(diff)} (kind, address) differ (daemon, scan), the first 10:")
        for k, x, y in diff[:10]:
            print(f"    {k[0]} {k[1]}: {x}, {y}")
        status = 1
    cols = ("clear", "ssl3", "tls10", "tls11", "tls12", "tls13", "tls_other", "aead", "cbc",
            "des3", "rc4", "cipher_other", "messages", "logins")
    q = ("select peer, day, direction, min(first_time), max(last_time), " +
         ", ".join(f"sum({c})" for c in cols) + " from peer_days group by 1, 2, 3")
    a = sorted(rows(db, q))
    b = sorted(rows(f"{wd}/ref.db", q))
    total = lambda rs: sum(sum(int(v) for v in r[5:]) for r in rs)
    print(f"successes: the daemon counted {total(a)} in {len(a)} peer days, "
          f"a one-shot scan {total(b)} in {len(b)}")
    if not b:
        print("the scan counted no success: the test would prove nothing")
        status = 1
    if a != b:
        da, db_ = {r[:3]: r[3:] for r in a}, {r[:3]: r[3:] for r in b}
        diff = [k for k in sorted(set(da) | set(db_)) if da.get(k) != db_.get(k)]
        print(f"{len(diff)} peer days differ (daemon, scan), the first 10:")
        for k in diff[:10]:
            print(f"    {k}: {da.get(k)}, {db_.get(k)}")
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())

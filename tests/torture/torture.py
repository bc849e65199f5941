#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""torture.py: tlslogd's record against the truth, under every way logs are
rotated, while the daemon runs, is stopped or is frozen, is killed at random
moments, and `tlslogd scan` reads the live logs beside it.

A writer appends uniquely identifiable failures to six logs, one per logrotate
mode (create, copytruncate, compress, delaycompress, dateext,
copytruncate+compress), at TORTURE_RATE failures a second (default 1500), in
torn writes (random pieces of 1 to 4096 bytes): Postfix SASL AUTH failures,
each with a user name of its own (t1, t2, ...), one four-line STARTTLS failure
per round from an address of its own (10.0.0.1, ...), and noise lines. The
real logrotate rotates the logs (`logrotate -f -s STATE CONF`, rotate 1000:
no rotated file is deleted), each mode with the daemon running, stopped
(SIGTERM or SIGKILL, started again after the rotation) and frozen (SIGSTOP,
SIGCONT after); TORTURE_KILLS more SIGKILLs come at random moments, and every
few seconds `tlslogd scan --db SAME_DB LIVE_FILE` runs beside the daemon.

The writer pauses while logrotate copies and truncates (what is written
between the copy and the truncate is lost to every reader: not tlslogd's
loss) and while it compresses without delaycompress; after a rename it goes
on writing to the old file for up to half a second, then reopens the name,
as syslog does after its HUP. Each file holds whole rounds, so every failure
is in one file, all its lines in order.

At the end the daemon is left to catch up (until it has committed every live
log to its end and its event count has stopped moving, or nothing moved for
TORTURE_STALL seconds), stopped, and its events compared with the truth:

    lost N, duplicated N, forged N, integrity ok|bad

and the figures (failures written, rate, rotations, kills, scans, seconds).
Exit 0 when nothing was lost, doubled or forged and the database is intact;
1 otherwise; 77 when logrotate is not installed.

usage: torture.py TLSLOGD PATTERNS_DIR WORKDIR
environment: TORTURE_SECONDS (20), TORTURE_KILLS (5), TORTURE_RATE (1500),
TORTURE_SCAN_EVERY (3 s; 0: no scans), TORTURE_STALL (20 s), TORTURE_SEED
(random), LOGROTATE (the binary; default: found in PATH, /usr/sbin, /sbin);
to look at one case, TORTURE_MODES and TORTURE_STATES (comma lists of the
names above; default all), e.g. TORTURE_MODES=create TORTURE_STATES=running.
"""
import collections
import gzip
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

# mode name -> (log file name, logrotate directives)
MODES = collections.OrderedDict([
    ("create", ("create.log", ["create"])),
    ("copytruncate", ("ctrunc.log", ["copytruncate"])),
    ("compress", ("compress.log", ["create", "compress"])),
    ("delaycompress", ("delaycomp.log", ["create", "compress", "delaycompress"])),
    ("dateext", ("dateext.log", ["create", "dateext", "dateformat -%Y%m%d-%s"])),
    ("copytruncate+compress", ("ctcomp.log", ["copytruncate", "compress"])),
])
STATES = ["running", "stopped", "frozen"]
# The writer must not write while logrotate runs these (see above).
PAUSE_MODES = {"copytruncate", "copytruncate+compress", "compress"}
# After these the writer reopens the name at once (the old file is compressed away).
REOPEN_AT_ONCE = {"compress"}
# After these it goes on writing to the renamed file a while, then reopens.
REOPEN_LATER = {"create", "delaycompress", "dateext"}

AUTH_PER_ROUND = 20


def env_num(name, default):
    v = os.environ.get(name)
    return type(default)(v) if v not in (None, "") else default


def find_logrotate():
    exe = os.environ.get("LOGROTATE") or shutil.which("logrotate")
    for cand in ([exe] if exe else []) + ["/usr/sbin/logrotate", "/sbin/logrotate"]:
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


def stamp():
    return time.strftime("%b %e %H:%M:%S")


def tls_ip(n):
    return "10.%d.%d.%d" % ((n >> 16) & 255, (n >> 8) & 255, n & 255)


class Writer(threading.Thread):
    """Appends rounds of failures to the logs, round-robin; records the truth."""

    def __init__(self, paths, rate, rng):
        super().__init__(daemon=True)
        self.paths = paths
        self.rate = rate
        self.rng = rng
        self.fds = {p: self._open(p) for p in paths}
        self.cv = threading.Condition()
        self.pausing = False
        self.paused = False
        self.stopping = False
        self.reopen_due = {}
        self.truth = {}		# key -> the live log it was written to
        self.failures = 0
        self.rounds = 0
        self.auth_n = 0
        self.tls_n = 0
        self.started = None
        self.error = None

    @staticmethod
    def _open(path):
        return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def _round(self):
        ts = stamp()
        self.tls_n += 1
        t = self.tls_n
        ip = tls_ip(t)
        pid = 30000 + t % 9000
        tls = [
            "%s mx1 postfix/smtpd[%d]: SSL_accept error from unknown[%s]: -1\n" % (ts, pid, ip),
            "%s mx1 postfix/smtpd[%d]: warning: TLS library problem: error:0A0000C1:SSL "
            "routines::no shared cipher:ssl/statem/statem_srvr.c:2283:\n" % (ts, pid),
            "%s mx1 postfix/smtpd[%d]: lost connection after STARTTLS from unknown[%s]\n"
            % (ts, pid, ip),
            "%s mx1 postfix/smtpd[%d]: disconnect from unknown[%s] ehlo=1 starttls=0/1 "
            "commands=1/2\n" % (ts, pid, ip),
        ]
        keys = ["tls_no_shared_cipher " + ip]
        lines = []
        for i in range(AUTH_PER_ROUND):
            self.auth_n += 1
            n = self.auth_n
            apid = 20000 + n % 9000
            if n % 3 == 0:
                lines.append("%s mx1 postfix/smtpd[%d]: connect from unknown[198.51.100.%d]\n"
                             % (ts, apid, n % 254 + 1))
            lines.append("%s mx1 postfix/smtpd[%d]: warning: unknown[192.0.2.%d]: SASL LOGIN "
                         "authentication failed: UGFzc3dvcmQ6, sasl_username=t%d\n"
                         % (ts, apid, n % 254 + 1, n))
            keys.append("t%d" % n)
            if i % 5 == 0:
                lines.append(tls[i // 5])
        return "".join(lines).encode(), keys

    def _write_torn(self, fd, data):
        i = 0
        while i < len(data):
            n = self.rng.randint(1, 4096)
            i += os.write(fd, data[i:i + n])

    def _between_rounds(self):
        with self.cv:
            while self.pausing and not self.stopping:
                self.paused = True
                self.cv.notify_all()
                self.cv.wait()
            self.paused = False
            now = time.time()
            for p in [p for p, due in self.reopen_due.items() if due <= now]:
                self._reopen(p)
                del self.reopen_due[p]
                self.cv.notify_all()
            return not self.stopping

    def _reopen(self, path):
        os.close(self.fds[path])
        self.fds[path] = self._open(path)

    def run(self):
        self.started = time.time()
        try:
            while self._between_rounds():
                path = self.paths[self.rounds % len(self.paths)]
                data, keys = self._round()
                self._write_torn(self.fds[path], data)
                for k in keys:
                    self.truth[k] = path
                self.failures += len(keys)
                self.rounds += 1
                ahead = self.failures / self.rate - (time.time() - self.started)
                if ahead > 0:
                    time.sleep(ahead)
        except Exception as e:  # reported by the main thread
            self.error = repr(e)
        with self.cv:
            self.paused = True
            self.cv.notify_all()

    # --- called by the main thread ---
    def pause(self):
        with self.cv:
            self.pausing = True
            while not self.paused and self.is_alive():
                self.cv.wait(0.1)

    def resume(self):
        with self.cv:
            self.pausing = False
            self.cv.notify_all()

    def reopen_now(self, path):
        """While paused: the name leads to a new file; write there."""
        with self.cv:
            self._reopen(path)
            self.reopen_due.pop(path, None)

    def reopen_later(self, path, delay):
        with self.cv:
            self.reopen_due[path] = time.time() + delay

    def wait_reopened(self, path):
        with self.cv:
            while path in self.reopen_due and self.is_alive():
                self.cv.wait(0.1)

    def wait_rounds(self, n):
        """Until n more rounds are written (progress, not time)."""
        want = self.rounds + n
        while self.rounds < want and self.is_alive():
            time.sleep(0.01)

    def stop(self):
        with self.cv:
            self.stopping = True
            self.pausing = False
            self.cv.notify_all()
        self.join()
        for fd in self.fds.values():
            os.close(fd)


class Daemon:
    """tlslogd run -d, started, stopped, frozen and killed; counts what happened."""

    def __init__(self, exe, pats, db, paths, out):
        self.argv = [exe, "run", "-d", "-c", "/dev/null", "--db", db, "--patterns", pats,
                     "--from-start"]
        for p in paths:
            self.argv += ["--follow", p]
        self.out = out
        self.p = None
        self.frozen = False
        self.starts = 0
        self.kills = 0
        self.terms = 0
        self.unexpected = []

    def start(self):
        self.p = subprocess.Popen(self.argv, stdout=self.out, stderr=subprocess.STDOUT)
        self.frozen = False
        self.starts += 1

    def check(self):
        """The daemon must be running: if it exited on its own, say so and start it again."""
        if self.p is not None and self.p.poll() is not None:
            self.unexpected.append(self.p.returncode)
            self.start()

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()
        self.kills += 1
        self.p = None
        self.frozen = False

    def term(self):
        if self.frozen:
            self.thaw()
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=30)
            if rc != 0:
                self.unexpected.append(rc)
        except subprocess.TimeoutExpired:
            self.unexpected.append("no exit 30 s after SIGTERM")
            self.p.kill()
            self.p.wait()
        self.terms += 1
        self.p = None

    def freeze(self):
        self.p.send_signal(signal.SIGSTOP)
        self.frozen = True
        end = time.time() + 10
        while time.time() < end:
            try:
                with open("/proc/%d/status" % self.p.pid) as f:
                    if re.search(r"^State:\s+[Tt]", f.read(), re.M):
                        return
            except OSError:
                return
            time.sleep(0.005)

    def thaw(self):
        self.p.send_signal(signal.SIGCONT)
        self.frozen = False


class Scanner(threading.Thread):
    """`tlslogd scan --db SAME_DB LIVE_FILE` every few seconds, beside the daemon."""

    def __init__(self, exe, pats, db, paths, every, rng, out):
        super().__init__(daemon=True)
        self.argv = [exe, "scan", "-q", "-c", "/dev/null", "--patterns", pats, "--db", db]
        self.paths, self.every, self.rng, self.out = paths, every, rng, out
        self.stopping = threading.Event()
        self.scans = 0
        self.failed = 0

    def run(self):
        if self.every <= 0:
            return
        while not self.stopping.wait(self.rng.uniform(0.5, 1.5) * self.every):
            path = self.rng.choice(self.paths)
            rc = subprocess.run(self.argv + [path], stdout=self.out,
                                stderr=subprocess.STDOUT).returncode
            self.scans += 1
            if rc != 0:
                self.failed += 1

    def stop(self):
        self.stopping.set()
        self.join()


def db_query(db, q):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    try:
        return c.execute(q).fetchall()
    finally:
        c.close()


def caught_up_state(db, paths):
    """(events, committed offsets of the live logs), and whether each live log is committed to its end."""
    try:
        n = db_query(db, "SELECT count(*) FROM events")[0][0]
        rows = db_query(db, "SELECT path, offset FROM files")
    except sqlite3.Error:
        return None, False
    offsets = collections.defaultdict(set)
    for path, off in rows:
        offsets[path].add(off)
    done = all(os.path.getsize(p) in offsets.get(p, ()) for p in paths)
    return (n, tuple(sorted((p, max(offsets.get(p, {-1}))) for p in paths))), done


def wait_caught_up(db, paths, stall, daemon):
    """Until every live log is committed to its end and nothing moved for 2 s;
    or nothing moved for stall seconds. Returns (caught up, seconds waited)."""
    t0 = time.time()
    last, last_change, stable_since = None, time.time(), None
    while time.time() - t0 < 10 * stall:
        daemon.check()
        state, done = caught_up_state(db, paths)
        now = time.time()
        if state != last:
            last, last_change, stable_since = state, now, now
        if done and now - stable_since >= 2.0:
            return True, now - t0
        if now - last_change >= stall:
            return False, now - t0
        time.sleep(0.25)
    return False, time.time() - t0


def keys_in_files(folder, names):
    """Every failure key found in the live logs and their rotations: key -> file."""
    found = {}
    auth = re.compile(rb"sasl_username=(t\d+)$")
    tls = re.compile(rb"SSL_accept error from unknown\[([^]]*)\]")
    for f in sorted(os.listdir(folder)):
        if not any(f == n or f.startswith(n + ".") or f.startswith(n + "-") for n in names):
            continue
        path = os.path.join(folder, f)
        opener = gzip.open if f.endswith(".gz") else open
        with opener(path, "rb") as fh:
            for line in fh:
                line = line.rstrip(b"\n")
                m = auth.search(line)
                if m:
                    found[m.group(1).decode()] = f
                    continue
                m = tls.search(line)
                if m:
                    found["tls_no_shared_cipher " + m.group(1).decode()] = f
    return found


def logrotate_conf(folder, mode):
    name, directives = MODES[mode]
    path = os.path.join(folder, "logrotate-%s.conf" % name.split(".")[0])
    with open(path, "w") as f:
        f.write("%s {\n    rotate 1000\n    missingok\n" % os.path.join(folder, "logs", name))
        for d in directives:
            f.write("    %s\n" % d)
        f.write("}\n")
    os.chmod(path, 0o644)
    return path


def main():
    if len(sys.argv) != 4:
        print(__doc__.split("usage: ")[1].split("\n")[0], file=sys.stderr)
        return 2
    exe, pats, work = sys.argv[1:4]
    logrotate = find_logrotate()
    if logrotate is None:
        print("SKIP: logrotate is not installed (the torture test rotates with the real one)")
        return 77
    seconds = env_num("TORTURE_SECONDS", 20.0)
    kills_wanted = env_num("TORTURE_KILLS", 5)
    rate = env_num("TORTURE_RATE", 1500.0)
    scan_every = env_num("TORTURE_SCAN_EVERY", 3.0)
    stall = env_num("TORTURE_STALL", 20.0)
    seed = env_num("TORTURE_SEED", random.randrange(1 << 30))
    rng = random.Random(seed)

    os.makedirs(os.path.join(work, "logs"), exist_ok=True)
    os.chmod(work, 0o755)
    os.chmod(os.path.join(work, "logs"), 0o755)
    db = os.path.join(work, "t.db")
    state = os.path.join(work, "logrotate.state")
    confs = {m: logrotate_conf(work, m) for m in MODES}
    paths = {m: os.path.join(work, "logs", MODES[m][0]) for m in MODES}
    live = list(paths.values())
    for p in live:
        open(p, "ab").close()
    out = open(os.path.join(work, "daemon.out"), "ab")
    scan_out = open(os.path.join(work, "scan.out"), "ab")
    lr_out = os.path.join(work, "logrotate.out")

    # The schedule: every (mode, state) once in each cycle, shuffled, and the
    # random SIGKILLs among them, spread over the run.
    modes = [m for m in os.environ.get("TORTURE_MODES", ",".join(MODES)).split(",") if m]
    states = [s for s in os.environ.get("TORTURE_STATES", ",".join(STATES)).split(",") if s]
    unknown = [x for x in modes if x not in MODES] + [x for x in states if x not in STATES]
    if unknown or not modes or not states:
        print("unknown or no TORTURE_MODES / TORTURE_STATES: %s" % unknown, file=sys.stderr)
        return 2
    combos = [(m, s) for m in modes for s in states]
    n_rot = max(len(combos), int(seconds / 1.5))
    rotations = []
    while len(rotations) < n_rot:
        cycle = combos[:]
        rng.shuffle(cycle)
        rotations += cycle
    actions = [("rotate",) + r for r in rotations] + [("kill",)] * kills_wanted
    rng.shuffle(actions)
    # The first cycle of rotations stays complete even if the run is cut short: keep order otherwise.
    step = seconds / (len(actions) + 1)

    daemon = Daemon(exe, pats, db, live, out)
    writer = Writer(live, rate, rng)
    scanner = Scanner(exe, pats, db, live, scan_every, random.Random(seed + 1), scan_out)
    t_start = time.time()
    daemon.start()
    writer.start()
    scanner.start()

    rotated = collections.Counter()
    by_state = collections.Counter()
    lr_errors = []
    last_dateext = 0
    random_kills = 0
    stop_kills = 0

    def rotate(mode):
        nonlocal last_dateext
        path = paths[mode]
        writer.wait_reopened(path)
        if mode == "dateext":
            # One rotation a second at most: the name has the time in seconds.
            while int(time.time()) <= last_dateext:
                time.sleep(0.05)
        pause = mode in PAUSE_MODES
        if pause:
            writer.pause()
        r = subprocess.run([logrotate, "-f", "-s", state, confs[mode]], capture_output=True)
        if mode == "dateext":
            last_dateext = int(time.time())
        if r.returncode != 0:
            lr_errors.append("%s: exit %d: %s" % (mode, r.returncode,
                                                   r.stderr.decode(errors="replace").strip()))
        with open(lr_out, "ab") as f:
            f.write(r.stdout + r.stderr)
        if mode in REOPEN_AT_ONCE:
            writer.reopen_now(path)
        if pause:
            writer.resume()
        if mode in REOPEN_LATER:
            writer.reopen_later(path, rng.uniform(0, 0.5))
        rotated[mode] += 1

    for i, action in enumerate(actions):
        due = t_start + (i + 1) * step + rng.uniform(-0.3, 0.3) * step
        while time.time() < due:
            time.sleep(min(0.05, max(0, due - time.time())))
        if writer.error:
            break
        daemon.check()
        if action[0] == "kill":
            daemon.kill()
            random_kills += 1
            daemon.start()
            continue
        _, mode, st = action
        by_state[st] += 1
        if st == "running":
            rotate(mode)
        elif st == "stopped":
            if rng.random() < 0.5:
                daemon.term()
            else:
                daemon.kill()
                stop_kills += 1
            rotate(mode)
            writer.wait_rounds(3)
            daemon.start()
        else:
            daemon.freeze()
            rotate(mode)
            writer.wait_rounds(3)
            daemon.thaw()

    # The scans end first: a scan's position row at a log's final size would
    # look like the daemon's having caught up.
    scanner.stop()
    writer.stop()
    t_written = time.time() - writer.started
    daemon.check()
    if daemon.frozen:
        daemon.thaw()
    caught, waited = wait_caught_up(db, live, stall, daemon)
    daemon.term()
    elapsed = time.time() - t_start

    # --- the record against the truth ---
    truth = writer.truth
    stored = collections.Counter(k for (k,) in db_query(
        db, "SELECT coalesce(user, kind || ' ' || peer_ip) FROM events"))
    lost = [k for k in truth if k not in stored]
    duplicated = sum(c - 1 for k, c in stored.items() if k in truth and c > 1)
    dup_keys = [k for k, c in stored.items() if k in truth and c > 1]
    forged_keys = [k for k in stored if k not in truth]
    forged = sum(stored[k] for k in forged_keys)
    integrity = db_query(db, "PRAGMA integrity_check")
    integrity_ok = integrity == [("ok",)]
    in_files = keys_in_files(os.path.join(work, "logs"), [MODES[m][0] for m in MODES])
    not_in_files = [k for k in truth if k not in in_files]

    print("lost %d, duplicated %d, forged %d, integrity %s"
          % (len(lost), duplicated, forged, "ok" if integrity_ok else "bad"))
    print("failures written %d in %.1f s (%.0f/s) to %d logs; rotations %d (%s); by state %s; "
          "SIGKILLs %d (%d at random moments, %d to stop it), SIGTERMs %d, starts %d; "
          "scans beside it %d (%d failed); seconds %.1f (catching up %.1f); seed %d"
          % (writer.failures, t_written, writer.failures / max(t_written, 1e-9), len(live),
             sum(rotated.values()), ", ".join("%s %d" % (m, rotated[m]) for m in MODES),
             ", ".join("%s %d" % (s, by_state[s]) for s in STATES),
             daemon.kills, random_kills, stop_kills, daemon.terms, daemon.starts,
             scanner.scans, scanner.failed, elapsed, waited, seed))
    bad = bool(lost or duplicated or forged or not integrity_ok)
    if lost:
        where = collections.Counter(in_files.get(k, "(in no file)") for k in lost)
        print("lost, by the file they are in now: " +
              ", ".join("%s %d" % kv for kv in where.most_common(12)))
        print("lost, the first 5: " + ", ".join(sorted(lost)[:5]))
    if dup_keys:
        where = collections.Counter(in_files.get(k, "(in no file)") for k in dup_keys)
        print("duplicated, by the file they are in now: " +
              ", ".join("%s %d" % kv for kv in where.most_common(12)))
    if forged_keys:
        print("forged, the first 5: " + ", ".join(sorted(forged_keys)[:5]))
    if not integrity_ok:
        print("integrity_check: %s" % integrity[:5])
    if not caught:
        print("the daemon did not catch up: nothing moved for %.0f s" % stall)
    if not_in_files:
        bad = True
        print("TEST ERROR: %d failures written are in no file (the rotation lost them, not "
              "tlslogd): %s" % (len(not_in_files), ", ".join(not_in_files[:5])))
    if lr_errors:
        bad = True
        print("TEST ERROR: logrotate failed %d times: %s" % (len(lr_errors), lr_errors[0]))
    if writer.error:
        bad = True
        print("TEST ERROR: the writer failed: %s" % writer.error)
    if daemon.unexpected:
        bad = True
        print("the daemon exited on its own or badly %d times: %s"
              % (len(daemon.unexpected), daemon.unexpected[:5]))
    if writer.failures / max(t_written, 1e-9) < 1000:
        print("note: the writer wrote fewer than 1,000 failures a second (a loaded machine)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

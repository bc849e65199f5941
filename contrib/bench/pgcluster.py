# SPDX-License-Identifier: BSD-2-Clause
"""pgcluster: a private PostgreSQL cluster for the benchmark (contrib/bench/run
--postgresql), the twin of tests/pg-lib.sh, so that measuring tlslogd on
PostgreSQL needs no server of the system's and leaves nothing behind.

The cluster is made by initdb in a folder of its own under /tmp (a Unix
socket's path must stay short), as the postgres user when we run as root
(PostgreSQL refuses to run as root), with the superuser tlslogd trusted on
the socket; it listens on that socket only (listen_addresses=''). Unlike the
tests' cluster it keeps fsync and synchronous_commit on: a benchmark of
stored events must pay for making them durable, as a real server does.
Everything else is PostgreSQL's default. Cluster is a context manager: the
server is stopped (immediate mode) and its folder removed on the way out,
also after SIGINT or SIGTERM.

PostgreSQL's programs are looked for as pg-lib.sh does: $TLSLOGD_PG_BINDIR,
then `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin;
TLSLOGD_PG_BINDIR=none means "no PostgreSQL".

This module knows nothing of tlslogd: it makes a cluster, databases, and runs
SQL through psql (no Python driver needed).
"""
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PROGRAMS = ("initdb", "pg_ctl", "postgres", "pg_isready", "createdb", "dropdb", "psql")
USER = "tlslogd"


class PgError(Exception):
    """A cluster or SQL step failed; str() says which, with the server's words."""


def find_bindir():
    """(folder of PostgreSQL's programs, None), or (None, why there is none)."""
    env = os.environ.get("TLSLOGD_PG_BINDIR", "")
    if env == "none":
        return None, "TLSLOGD_PG_BINDIR=none"
    cands = [env] if env else []
    try:
        out = subprocess.run(["pg_config", "--bindir"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, universal_newlines=True)
        cands.append(out.stdout.strip())
    except OSError:
        pass

    def version(path):
        return [int(x) for x in re.findall(r"\d+", path)]

    cands += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    for d in cands:
        if d and all(os.access(os.path.join(d, p), os.X_OK) for p in PROGRAMS):
            if os.getuid() == 0 and not _has_user("postgres"):
                return None, "running as root and there is no postgres user to run the cluster as"
            return d, None
    return None, ("PostgreSQL's server programs not found (%s: Debian's postgresql package; "
                  "or set TLSLOGD_PG_BINDIR)" % ", ".join(PROGRAMS))


def _has_user(name):
    import pwd
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class Cluster:
    """A running private cluster: `with Cluster(bindir) as pg: uri = pg.createdb("x")`."""

    def __init__(self, bindir):
        self.bindir = bindir
        self.dir = None
        self.old_term = None

    def prog(self, name):
        return os.path.join(self.bindir, name)

    def as_owner(self, argv):
        """argv run as the cluster's owner (postgres when we are root)."""
        if os.getuid() != 0:
            return argv
        if shutil.which("runuser"):
            return ["runuser", "-u", "postgres", "--"] + argv
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] + argv

    def _run(self, argv, what, log=None):
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
        if p.returncode != 0:
            tail = p.stdout.strip()
            if log and os.path.exists(log):
                with open(log, errors="replace") as f:
                    tail += "\n" + "".join(f.readlines()[-15:])
            raise PgError("%s failed (exit %d): %s" % (what, p.returncode, tail.strip()))
        return p.stdout

    def __enter__(self):
        self.old_term = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="tlslogd-pg.", dir="/tmp")
        if os.getuid() == 0:
            shutil.chown(self.dir, user="postgres")
        data = os.path.join(self.dir, "data")
        log = os.path.join(self.dir, "server.log")
        self._run(self.as_owner([self.prog("initdb"), "-D", data, "-U", USER, "-A", "trust",
                                 "-E", "UTF8", "--locale=C", "--no-sync"]), "initdb")
        self._run(self.as_owner([self.prog("pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60",
                                 "-o", "-k %s -c listen_addresses=''" % self.dir, "start"]),
                  "pg_ctl start", log)
        t0 = time.monotonic()
        while subprocess.call([self.prog("pg_isready"), "-q", "-h", self.dir, "-U", USER,
                               "-d", "postgres"]) != 0:
            if time.monotonic() - t0 > 60:
                raise PgError("the cluster is not ready after 60 s (see %s)" % log)
            time.sleep(0.1)

    def stop(self):
        if self.dir is None:
            return
        data = os.path.join(self.dir, "data")
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            subprocess.call(self.as_owner([self.prog("pg_ctl"), "-D", data, "-m", "immediate",
                                           "-w", "stop"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
        if self.old_term is not None:
            signal.signal(signal.SIGTERM, self.old_term)
            self.old_term = None

    def uri(self, db):
        return "postgresql://%s@/%s?host=%s" % (USER, db, self.dir)

    def version(self):
        return self.sql("postgres", "SHOW server_version").strip()

    def createdb(self, db):
        """A new, empty database db (dropped first if it exists); its URI."""
        self.dropdb(db)
        self._run([self.prog("createdb"), "-h", self.dir, "-U", USER, "-E", "UTF8", db], "createdb " + db)
        return self.uri(db)

    def dropdb(self, db):
        self._run([self.prog("dropdb"), "-h", self.dir, "-U", USER, "--if-exists", db], "dropdb " + db)

    def psql_argv(self, db, stop_on_error=True):
        argv = [self.prog("psql"), "-X", "-q", "-At", "-h", self.dir, "-U", USER, "-d", db]
        return argv + (["-v", "ON_ERROR_STOP=1"] if stop_on_error else [])

    def sql(self, db, sql):
        """The rows sql prints (unaligned, "|" between fields); PgError if it fails."""
        return self._run(self.psql_argv(db) + ["-c", sql], "psql (%s)" % sql[:60])

    def copy_in(self, db, sql, lines):
        """Run a COPY ... FROM STDIN sql fed with lines (strings in COPY's text
        format, each ending in a newline); the number of lines sent."""
        p = subprocess.Popen(self.psql_argv(db) + ["-c", sql], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True, encoding="utf-8")
        n = 0
        try:
            for chunk in lines:
                p.stdin.write(chunk)
                n += chunk.count("\n")
            p.stdin.close()
        except BrokenPipeError:
            pass
        out = p.stdout.read()
        if p.wait() != 0:
            raise PgError("%s failed (exit %d): %s" % (sql[:60], p.returncode, out.strip()))
        return n

    def session(self, db):
        """A Session: one connection kept open for quick, repeated queries."""
        return Session(self.psql_argv(db, stop_on_error=False))


class Session:
    """One psql kept running, for polling without a connection each time.
    query() returns the first line the statement printed, or None when it
    failed (a table not made yet, say): each statement is followed by an
    \\echo of a marker, so that a failure cannot leave us waiting."""
    MARK = "--tlslogd-bench--"

    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, universal_newlines=True)

    def query(self, sql):
        self.p.stdin.write("%s;\n\\echo %s\n" % (sql, self.MARK))
        self.p.stdin.flush()
        first = None
        while True:
            line = self.p.stdout.readline()
            if line == "":
                raise PgError("psql ended")
            line = line.rstrip("\n")
            if line == self.MARK:
                return first
            if first is None:
                first = line

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        self.p.wait()

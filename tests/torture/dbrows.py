# SPDX-License-Identifier: BSD-2-Clause
"""dbrows.py: the rows of a query in a tlslogd database, SQLite or PostgreSQL,
for the torture scripts (kill-rotate.py, fleet.py), which compare the same
queries on either engine."""

import sqlite3
import subprocess


def rows(db, q):
    """The rows of q in db (an SQLite file or a postgresql:// URI), as tuples of
    strings (NULL as the empty string, as psql -At prints it)."""
    if db.startswith(("postgresql://", "postgres://")):
        out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-d", db, "-c", q],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip())
        return [tuple(line.split("\t")) for line in out.stdout.splitlines()]
    return [tuple("" if v is None else str(v) for v in r)
            for r in sqlite3.connect(db, timeout=5).execute(q)]

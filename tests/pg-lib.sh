# SPDX-License-Identifier: BSD-2-Clause
# pg-lib.sh: a private PostgreSQL cluster for one test script, so that the
# PostgreSQL tests need no server of the system's and leave nothing behind.
# Sourced after tests/lib.sh:
#
#   . "$TLSLOGD_SRCDIR/tests/lib.sh"
#   . "$TLSLOGD_SRCDIR/tests/pg-lib.sh"
#   pg_start                # or the whole script is skipped (TAP "1..0 # SKIP why");
#                           # once a script's cluster runs, a no-op
#   pg_createdb NAME        # sets pg_uri, a postgresql:// URI of the database
#
# The cluster is made by initdb in a folder of its own (under /tmp: a Unix
# socket's path must stay short), as the postgres user when the test runs as
# root (PostgreSQL refuses to run as root), with the superuser tlslogd
# trusted on the socket. It listens on a socket in that folder and on no
# network address (listen_addresses=''). It is stopped (immediate mode:
# nothing of it needs to last) and its folder removed when the script exits,
# also after SIGINT, SIGTERM or SIGHUP; then tests/lib.sh cleans up as usual.
#
# PostgreSQL's programs are looked for in $TLSLOGD_PG_BINDIR, then in
# `pg_config --bindir`, then in the newest /usr/lib/postgresql/*/bin;
# TLSLOGD_PG_BINDIR=none skips the PostgreSQL tests.

# Sourced once: under TLSLOGD_TEST_ENGINE=postgresql tests/lib.sh has
# already started the script's cluster, which a pg-*.sh test then shares.
[ -z "${pg_lib_sourced:-}" ] || return 0
pg_lib_sourced=1
pg_dir=
pg_bindir=
pg_uri=

# The folder of initdb, pg_ctl, postgres, pg_isready and createdb, or nothing.
pg_find_bindir() {
	for d in "${TLSLOGD_PG_BINDIR:-}" "$(pg_config --bindir 2>/dev/null)" \
	    $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] &&
		    [ -x "$d/postgres" ] && [ -x "$d/pg_isready" ] && [ -x "$d/createdb" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

# pg_as CMD...: CMD as the cluster's owner (postgres when we are root).
pg_as() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
	elif command -v runuser >/dev/null 2>&1; then
		runuser -u postgres -- "$@"
	else
		setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
	fi
}

# pg_skip WHY: the whole script is skipped.
pg_skip() {
	echo "1..0 # SKIP $1"
	exit 0
}

# pg_bail WHY LOG: the cluster could not be made although PostgreSQL is there: an error.
pg_bail() {
	echo "Bail out! $1"
	[ -f "$2" ] && sed 's/^/# /' "$2"
	exit 1
}

pg_stop() {
	[ -n "$pg_dir" ] || return 0
	if [ -f "$pg_dir/data/postmaster.pid" ]; then
		pg_as "$pg_bindir/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1
	fi
	rm -rf "$pg_dir"
	pg_dir=
}

pg_start() {
	[ -z "$pg_dir" ] || return 0
	[ "${TLSLOGD_PG_BINDIR:-}" != none ] || pg_skip "TLSLOGD_PG_BINDIR=none"
	pg_bindir=$(pg_find_bindir) ||
		pg_skip "PostgreSQL's server programs not found (initdb, pg_ctl: Debian's postgresql package)"
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		pg_skip "running as root and there is no postgres user to run the cluster as"
	fi
	trap 'pg_stop; test_cleanup' EXIT
	trap 'exit 143' INT TERM HUP
	pg_dir=$(mktemp -d /tmp/tlslogd-pg.XXXXXX) || pg_bail "cannot make a folder in /tmp"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$pg_dir" || pg_bail "cannot give $pg_dir to postgres"
	fi
	pg_as "$pg_bindir/initdb" -D "$pg_dir/data" -U tlslogd -A trust -E UTF8 --locale=C \
	    --no-sync >"$pg_dir/initdb.log" 2>&1 || pg_bail "initdb failed" "$pg_dir/initdb.log"
	# fsync off: a test's cluster need not survive a power cut.
	pg_as "$pg_bindir/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
	    -o "-k $pg_dir -c listen_addresses='' -c fsync=off" start >/dev/null 2>&1 ||
		pg_bail "the cluster did not start" "$pg_dir/server.log"
	tries=0
	until "$pg_bindir/pg_isready" -q -h "$pg_dir" -U tlslogd -d postgres; do
		tries=$((tries + 1))
		[ "$tries" -lt 600 ] || pg_bail "the cluster is not ready after 60 s" "$pg_dir/server.log"
		sleep 0.1
	done
}

# pg_createdb NAME: a new database in the cluster; pg_uri names it.
pg_createdb() {
	"$pg_bindir/createdb" -h "$pg_dir" -U tlslogd -E UTF8 "$1" ||
		pg_bail "createdb $1 failed" "$pg_dir/server.log"
	pg_uri="postgresql://tlslogd@/$1?host=$pg_dir"
}

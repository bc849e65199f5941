# SPDX-License-Identifier: BSD-2-Clause
# pg-engine.sh: the shell tests' databases on PostgreSQL, so that a test
# written for SQLite runs unchanged on the other engine (issue 18: the
# store, reader, flag and daemon tests run against both engines).
#
# tests/lib.sh sources this file when TLSLOGD_TEST_ENGINE=postgresql, after
# pg_start (tests/pg-lib.sh) made the script's private cluster, and calls
# pg_engine_setup: TLSLOGD then names a small wrapper that sources this file
# again and execs the real tlslogd (so a daemon's pid stays the one the test
# holds) with its databases mapped:
#
#   --db PATH (or --db=PATH)     the URI of PATH's database
#   -c FILE whose "database PATH" names no URI: that line is rewritten, in
#                                place, to the URI (so that SIGHUP reads it)
#
# PATH's database is named from PATH's place in the test's scratch folder
# (t3/t.db is t_t3_t_db), so that two folders' t.db are two databases. A
# file at PATH stands for the database, as the SQLite file would: a writer
# (scan, run, purge) whose PATH has no file makes the database afresh (an
# old one of that name dropped: a test that removed t.db starts anew) and
# writes the file, which holds the database's name and the file's path (a
# file moved keeps its database; a copy, its original still there, gets a
# copy: CREATE DATABASE ... TEMPLATE). A reader whose PATH has no file gets
# the URI of a database that does not exist, and fails as on SQLite. A PATH
# whose file is not ours (a real SQLite file, garbage) or whose folder
# cannot be written is passed on unchanged: such a test is SQLite's alone
# and says so (only_on sqlite, test_engine_is in tests/lib.sh).
#
# sql and dbq (tests/lib.sh, tests/follow-lib.sh) ask the same database
# with psql, rows printed as sqlite3 prints them (fields joined by "|",
# NULL empty).

pg_engine_mark="tlslogd-test-database"

# pg_engine_name PATH: the database's name for PATH (63 bytes at most).
pg_engine_name() {
	case $1 in
	/*) _p=$1 ;;
	*) _p=$PWD/$1 ;;
	esac
	_p=${_p#"$pg_engine_scratch"/}
	_n=t_$(printf '%s' "$_p" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9' '_')
	if [ ${#_n} -gt 60 ]; then
		_n=$(printf '%s' "$_n" | cut -c1-48)_$(printf '%s' "$_p" | cksum | cut -d' ' -f1)
	fi
	echo "$_n"
}

# pg_engine_uri NAME: the URI of database NAME in the script's cluster.
pg_engine_uri() {
	echo "postgresql://tlslogd@/$1?host=$pg_dir"
}

# pg_engine_psql DATABASE QUERY...: psql on DATABASE, rows as sqlite3 prints them.
pg_engine_psql() {
	_d=$1
	shift
	for _q do
		set -- "$@" -c "$_q"
		shift
	done
	PGOPTIONS="-c client_min_messages=warning" "$pg_bindir/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$pg_dir" -U tlslogd -d "$_d" "$@"
}

# pg_engine_db PATH MODE: the URI PATH stands for; MODE "write" makes the
# database when PATH has no file yet. Prints nothing (and returns 1) when
# PATH is to be passed on unchanged.
pg_engine_db() {
	case $1 in
	postgresql://* | postgres://*) return 1 ;;
	esac
	_name=$(pg_engine_name "$1")
	if [ -f "$1" ]; then
		_line=$(head -n 1 "$1" 2>/dev/null)
		case $_line in
		"$pg_engine_mark "*) ;;
		*) return 1 ;;
		esac
		_rest=${_line#"$pg_engine_mark "}
		_was=${_rest%% *}
		_from=${_rest#* }
		# A copy (cp a.db b.db, a.db still there) is a database of its own.
		if [ "$_was" != "$_name" ] && [ -f "$_from" ] &&
		    [ "$(head -n 1 "$_from" 2>/dev/null)" = "$_line" ]; then
			pg_engine_make "$1" "$_name" "TEMPLATE $_was" || return 1
			_was=$_name
		fi
		pg_engine_uri "$_was"
		return 0
	fi
	[ ! -e "$1" ] || return 1
	if [ "$2" = write ]; then
		# Two writers started at once make the database once.
		if mkdir "$1.making" 2>/dev/null; then
			pg_engine_make "$1" "$_name" ""
			_rc=$?
			rmdir "$1.making"
			[ $_rc -eq 0 ] || return 1
		elif ! pg_engine_wait "$1"; then
			return 1
		fi
	fi
	pg_engine_uri "$_name"
}

# pg_engine_make PATH NAME [TEMPLATE]: database NAME made afresh, PATH its file.
pg_engine_make() {
	case $1 in
	/*) _abs=$1 ;;
	*) _abs=$PWD/$1 ;;
	esac
	pg_engine_psql postgres "DROP DATABASE IF EXISTS $2 WITH (FORCE)" \
	    "CREATE DATABASE $2 $3 STRATEGY file_copy" >/dev/null &&
		echo "$pg_engine_mark $2 $_abs" >"$1.new" && mv "$1.new" "$1"
}

# pg_engine_wait PATH: wait (60 s at most, on a loaded machine) for another writer to make PATH's database.
pg_engine_wait() {
	_i=0
	while [ -d "$1.making" ] && [ $_i -lt 3000 ]; do
		sleep 0.02
		_i=$((_i + 1))
	done
	[ -f "$1" ]
}

# pg_engine_conf FILE: FILE's "database PATH" rewritten to PATH's URI.
pg_engine_conf() {
	[ -f "$1" ] && [ -w "$1" ] || return 0
	_path=$(sed -n 's/^[[:space:]]*database[[:space:]][[:space:]]*\([^[:space:]#]*\).*/\1/p' "$1" | tail -n 1)
	[ -n "$_path" ] || return 0
	_uri=$(pg_engine_db "$_path" "$2") || return 0
	# The URI holds no "|"; "&" is sed's, escaped.
	_rep=$(printf '%s' "$_uri" | sed 's/&/\\\&/g')
	sed "s|^\([[:space:]]*database[[:space:]][[:space:]]*\)[^[:space:]#]*|\1$_rep|" "$1" >"$1.engine" &&
		cat "$1.engine" >"$1" && rm -f "$1.engine"
}

# pg_engine_exec ARG...: exec the real tlslogd with its databases mapped.
pg_engine_exec() {
	case ${1:-} in
	scan | run | purge) _mode=write ;;
	*) _mode=read ;;
	esac
	# run -n checks a configuration: it makes no database.
	for _a do
		[ "$_a" != -n ] || _mode=read
	done
	_n=$#
	_next=
	while [ "$_n" -gt 0 ]; do
		_a=$1
		shift
		_n=$((_n - 1))
		case $_next in
		db) _u=$(pg_engine_db "$_a" "$_mode") && _a=$_u ;;
		conf) pg_engine_conf "$_a" "$_mode" ;;
		esac
		_next=
		case $_a in
		--db) _next=db ;;
		--db=*) _u=$(pg_engine_db "${_a#--db=}" "$_mode") && _a=--db=$_u ;;
		-c | --config) _next=conf ;;
		--config=*) pg_engine_conf "${_a#--config=}" "$_mode" ;;
		-c?*) pg_engine_conf "${_a#-c}" "$_mode" ;;
		esac
		set -- "$@" "$_a"
	done
	exec "$pg_engine_real" "$@"
}

# pg_engine_sql PATH QUERY: lib.sh's sql (and follow-lib.sh's dbq) on PATH's database.
pg_engine_sql() {
	_uri=$(pg_engine_db "$1" read) || {
		echo "pg-engine: $1 stands for no PostgreSQL database" >&2
		return 1
	}
	_d=${_uri#postgresql://tlslogd@/}
	pg_engine_psql "${_d%%\?*}" "$2"
}

# pg_engine_setup: TLSLOGD becomes the wrapper (in the cluster's folder).
pg_engine_setup() {
	pg_engine_real=$TLSLOGD
	pg_engine_scratch=$test_scratch
	mkdir "$pg_dir/bin" || pg_bail "cannot make $pg_dir/bin"
	cat >"$pg_dir/bin/tlslogd" <<EOF
#!/bin/sh
pg_dir='$pg_dir' pg_bindir='$pg_bindir'
pg_engine_real='$pg_engine_real' pg_engine_scratch='$pg_engine_scratch'
. '$TLSLOGD_SRCDIR/tests/pg-engine.sh'
pg_engine_exec "\$@"
EOF
	chmod +x "$pg_dir/bin/tlslogd" || pg_bail "cannot make the wrapper"
	TLSLOGD=$pg_dir/bin/tlslogd
}

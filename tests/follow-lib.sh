# SPDX-License-Identifier: BSD-2-Clause
# follow-lib.sh: what the tests of `tlslogd run` (tests/follow*.sh) share,
# sourced after lib.sh: starting and stopping the daemon, waiting for the
# database, and writing real Postfix lines together with the truth they must
# produce.
#
# Every failure line a test writes has a key: the user name of an AUTH
# failure (u1, u2, ...), or "tls_no_shared_cipher IP" for a multi-line TLS
# failure. The helpers that write a failure also append its key to ./truth;
# check_events compares the database's events with it, so that a test checks
# every failure stored exactly once and nothing else.
#
# Each follow_test runs in a folder of its own (t1, t2, ...), its daemon's
# stderr in daemon.err there; when the test ends, its daemons and writers are
# killed, and if it failed the end of daemon.err is shown with its output.

# --- processes -----------------------------------------------------------------

follow_pids="$test_scratch/bg.pids"
: >"$follow_pids"

# bg_add PID: kill PID when the test ends.
bg_add() {
	echo "$1" >>"$follow_pids"
}

bg_kill_all() {
	for _p in $(cat "$follow_pids" 2>/dev/null); do
		kill -KILL "$_p" 2>/dev/null
	done
	: >"$follow_pids"
}

# The test's own last words (an unmount, say), run after the processes are gone.
follow_on_exit=
daemon_wrap=

follow_cleanup() {
	bg_kill_all
	if [ -n "$follow_on_exit" ]; then
		eval "$follow_on_exit"
	fi
	if [ "$1" != 0 ] && [ -s daemon.err ]; then
		echo "--- end of daemon.err:"
		tail -n 40 daemon.err
	fi
}

# follow_test NAME BODY: test_expect_success in a folder of its own, cleaned
# up after. Lines the body writes to $notes are printed as TAP comments.
notes="$test_scratch/notes"
follow_test() {
	test_expect_success "$1" '
		mkdir "$test_scratch/t$test_count" && cd "$test_scratch/t$test_count" || exit 1
		trap "follow_cleanup \$?" EXIT
		'"$2"
	if [ -s "$notes" ]; then
		sed 's/^/# /' "$notes"
		: >"$notes"
	fi
}

# --- waiting -------------------------------------------------------------------

# now_ms: a clock in milliseconds (GNU date, or Python's where date has no %N).
if [ "$(date +%N)" != N ] && [ "$(date +%N)" != %N ]; then
	now_ms() {
		echo $(($(date +%s%N) / 1000000))
	}
else
	now_ms() {
		python3 -c "import time; print(int(time.time() * 1000))"
	}
fi

# wait_for CMD WANT [SECONDS]: poll CMD (eval'd) every 50 ms until it prints
# WANT; after SECONDS (10) say what it printed last and fail.
wait_for() {
	_end=$(($(now_ms) + ${3:-10} * 1000))
	while :; do
		_got=$(eval "$1" 2>/dev/null)
		[ "$_got" = "$2" ] && return 0
		if [ "$(now_ms)" -ge "$_end" ]; then
			echo "timed out after ${3:-10} s: $1 printed \"$_got\", expected \"$2\""
			return 1
		fi
		sleep 0.05
	done
}

# A fixed bound fails on a loaded machine as soon as the work takes longer
# than its author's machine took. Waits for work of some size (events to
# store, a writer to finish) are bounded by a stall instead: they fail only
# when what they watch has not moved for SECONDS.

# wait_count CMD WANT [SECONDS]: poll CMD (eval'd) every 50 ms until it
# prints WANT; fail when what it prints stayed the same for SECONDS (10).
wait_count() {
	_last=
	_end=$(($(now_ms) + ${3:-10} * 1000))
	while :; do
		_got=$(eval "$1" 2>/dev/null)
		[ "$_got" = "$2" ] && return 0
		if [ "$_got" != "$_last" ]; then
			_last=$_got
			_end=$(($(now_ms) + ${3:-10} * 1000))
		elif [ "$(now_ms)" -ge "$_end" ]; then
			echo "no progress for ${3:-10} s: $1 printed \"$_got\", expected \"$2\""
			return 1
		fi
		sleep 0.05
	done
}

# wait_moving SECONDS COND PROGRESS: poll COND (eval'd) until it succeeds;
# fail when PROGRESS (eval'd: a count, a size) printed the same for SECONDS.
wait_moving() {
	_last=
	_end=$(($(now_ms) + $1 * 1000))
	while ! eval "$2" >/dev/null 2>&1; do
		_got=$(eval "$3" 2>/dev/null)
		if [ "$_got" != "$_last" ]; then
			_last=$_got
			_end=$(($(now_ms) + $1 * 1000))
		elif [ "$(now_ms)" -ge "$_end" ]; then
			echo "no progress for $1 s waiting for: $2 ($3 stayed at \"$_got\")"
			return 1
		fi
		sleep 0.05
	done
}

# wait_until SECONDS CMD: poll CMD (eval'd) until it succeeds; fail after SECONDS.
wait_until() {
	_end=$(($(now_ms) + $1 * 1000))
	while ! eval "$2" >/dev/null 2>&1; do
		if [ "$(now_ms)" -ge "$_end" ]; then
			echo "timed out after $1 s waiting for: $2"
			return 1
		fi
		sleep 0.05
	done
}

# log_count REGEX: how many lines of daemon.err match.
log_count() {
	_c=$(grep -c -- "$1" daemon.err 2>/dev/null)
	echo "${_c:-0}"
}

# wait_log REGEX [SECONDS]: wait until daemon.err has a line matching REGEX.
wait_log() {
	wait_until "${2:-10}" "grep -q -- '$1' daemon.err" || {
		echo "daemon.err has no line matching: $1"
		return 1
	}
}

# --- the daemon ----------------------------------------------------------------

# daemon_run ARG...: `tlslogd run -d ARG...` in the background, stderr
# appended to daemon.err, pid in $dpid. Unlike lib.sh's daemon_start it
# returns only once the daemon says it follows its sources (its starting
# positions are taken), keeps the log of earlier runs, and the daemon is
# killed when the test (not the script) ends. $daemon_wrap, if set, names a
# program that sets things up and execs its arguments.
daemon_run() {
	_before=$(log_count "following [0-9]* source")
	# shellcheck disable=SC2086
	$daemon_wrap "$TLSLOGD" run -d "$@" 2>>daemon.err &
	dpid=$!
	bg_add "$dpid"
	# lib.sh's exit trap kills it too, should the test itself be cut short.
	echo "$dpid" >>"$test_scratch/.daemons"
	# One step, not work that grows: a bound a passing run never reaches; a
	# daemon that exits (refused, say) is not waited for.
	wait_until 60 "[ \$(log_count 'following [0-9]* source') -gt $_before ] || ! kill -0 $dpid" &&
		[ "$(log_count 'following [0-9]* source')" -gt "$_before" ] || {
		echo "the daemon did not start: tlslogd run -d $*"
		return 1
	}
}

# run_follow DB FILE... [OPTION...]: the daemon on the shipped rules, no configuration file.
run_follow() {
	_db=$1
	shift
	_args=
	for _f in "$@"; do
		case $_f in
		-*) _args="$_args $_f" ;;
		*) _args="$_args --follow $_f" ;;
		esac
	done
	# shellcheck disable=SC2086
	daemon_run -c /dev/null --patterns "$TLSLOGD_PATTERNS" --db "$_db" $_args
}

# daemon_term [SIGNAL]: SIGTERM (or SIGNAL), then wait for the daemon
# (SIGKILL after 10 s); the status is its exit status.
daemon_term() {
	kill -"${1:-TERM}" "$dpid" 2>/dev/null
	# Polled. It was a background watchdog subshell, killed once the daemon
	# had stopped; under bash (make check's shell), follow-dbfail.sh's small
	# file system was then gone right after daemon_term in 2 of 10 runs, for
	# a reason not found; polled, 0 of 10.
	_i=0
	while daemon_alive && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	if daemon_alive; then
		kill -KILL "$dpid" 2>/dev/null
		echo "tlslogd did not stop within 10 s of SIGTERM" >>daemon.err
	fi
	wait "$dpid"
}

# daemon_kill9: SIGKILL and reap.
daemon_kill9() {
	kill -KILL "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	return 0
}

daemon_alive() {
	kill -0 "$dpid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$dpid/status" 2>/dev/null
}

# --- the database --------------------------------------------------------------

# dbq DB QUERY: a read-only query (never creates DB), waiting out a busy database.
dbq() {
	if test_engine_is postgresql; then
		pg_engine_sql "$1" "$2"
	elif command -v sqlite3 >/dev/null 2>&1; then
		sqlite3 -batch -noheader -cmd ".timeout 5000" "file:$1?mode=ro" "$2"
	else
		python3 -c 'import sqlite3,sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=5)
for r in c.execute(sys.argv[2]): print("|".join("" if v is None else str(v) for v in r))' "$1" "$2"
	fi
}

# committed DB FILE: is FILE's whole size committed in DB (a files row for
# its path whose offset is its size)?
committed() {
	_size=$(wc -c <"$2") &&
	test "$(dbq "$1" "SELECT count(*) FROM files WHERE path = '$2' AND \"offset\" = $_size")" -gt 0
}

# wait_committed DB FILE [SECONDS]: wait until the daemon has committed FILE to its end.
wait_committed() {
	wait_until "${3:-10}" "committed '$1' '$2'" || {
		echo "$2: $(wc -c <"$2") bytes; the positions of $1:"
		dbq "$1" "SELECT path, \"offset\" FROM files"
		return 1
	}
}

# "user" and "offset" quoted: PostgreSQL's user is the session's user.
event_key="coalesce(\"user\", kind || ' ' || peer_ip)"

count() {
	dbq "$1" "SELECT count(*) FROM events"
}

# wait_events DB N [SECONDS]: wait until DB holds N events; fail when the
# count stayed the same for SECONDS (10), however long the whole takes.
wait_events() {
	wait_count "count $1" "$2" "${3:-10}"
}

# check_events DB [TRUTH]: the events of DB are the failures of TRUTH (./truth), each once.
check_events() {
	sort "${2:-truth}" >truth.sorted &&
	dbq "$1" "SELECT $event_key FROM events" | sort >events.sorted &&
	test_cmp truth.sorted events.sorted
}

# duplicates DB: the keys stored more than once, with their counts.
duplicates() {
	dbq "$1" "SELECT k, count(*) FROM (SELECT $event_key AS k FROM events) GROUP BY k HAVING count(*) > 1"
}

# --- log lines -----------------------------------------------------------------

# Every line has the same time: lines of one session more than a few seconds
# apart in log time would be taken for separate failures, and a log's times
# do not go backwards.
stamp="Nov 21 08:32:00"

# auth_line N [PREFIX]: a Postfix AUTH failure, one line, one event whose user
# is PREFIX (u) followed by N; its address and pid vary with N.
auth_line() {
	printf '%s mx1 postfix/smtpd[%d]: warning: unknown[192.0.2.%d]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=%s%d\n' \
		"$stamp" $((20000 + $1 % 9000)) $(($1 % 254 + 1)) "${2:-u}" "$1"
}

# noise_line N: a Postfix line that is no failure.
noise_line() {
	printf '%s mx1 postfix/smtpd[%d]: connect from unknown[198.51.100.%d]\n' \
		"$stamp" $((20000 + $1 % 9000)) $(($1 % 254 + 1))
}

# tls_ip N: the address of TLS failure N, a real one for any N up to 60000
# (198.18.0.0/15, the benchmarking range): tlslogd keeps no made-up address.
tls_ip() {
	echo "198.$((18 + $1 / 62500)).$(($1 / 250 % 250)).$(($1 % 250 + 1))"
}

# tls_line N PART: line PART (1-4) of a Postfix STARTTLS failure (no shared
# cipher) from tls_ip N, pid 30000+N: the four lines are one event.
tls_line() {
	_ip=$(tls_ip "$1")
	case $2 in
	1) printf '%s mx1 postfix/smtpd[%d]: SSL_accept error from unknown[%s]: -1\n' "$stamp" $((30000 + $1)) "$_ip" ;;
	2) printf '%s mx1 postfix/smtpd[%d]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:ssl/statem/statem_srvr.c:2283:\n' "$stamp" $((30000 + $1)) ;;
	3) printf '%s mx1 postfix/smtpd[%d]: lost connection after STARTTLS from unknown[%s]\n' "$stamp" $((30000 + $1)) "$_ip" ;;
	4) printf '%s mx1 postfix/smtpd[%d]: disconnect from unknown[%s] ehlo=1 starttls=0/1 commands=1/2\n' "$stamp" $((30000 + $1)) "$_ip" ;;
	esac
}

# fail N [PREFIX]: print an AUTH failure and record its key in ./truth.
fail() {
	auth_line "$1" "$2"
	echo "${2:-u}$1" >>truth
}

# fails FROM TO [PREFIX]: fail for every N from FROM to TO, a noise line after every third.
fails() {
	_i=$1
	while [ "$_i" -le "$2" ]; do
		fail "$_i" "$3"
		[ $((_i % 3)) = 0 ] && noise_line "$_i"
		_i=$((_i + 1))
	done
}

# tls_key N: record the key of TLS failure N in ./truth.
tls_key() {
	echo "tls_no_shared_cipher $(tls_ip "$1")" >>truth
}

# keys_of_log FILE...: the keys of the failures written to FILEs (for
# tests whose writer runs in the background).
keys_of_log() {
	sed -n -e 's/.*sasl_username=//p' \
		-e 's/.*SSL_accept error from unknown\[\([^]]*\)\].*/tls_no_shared_cipher \1/p' "$@"
}

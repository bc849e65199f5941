#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make-seeds.sh: (re)build the seed corpora of tests/fuzz/corpus from the test
# corpus, the sample logs, the shipped patterns and the sample configuration.
# Run from anywhere; the seeds are committed, so this is only needed when
# those sources change. Every seed is small (a few KB at most).
set -eu

fuzz=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$fuzz/../.." && pwd)
out=$fuzz/corpus
logs=$(ls "$top"/tests/corpus/*/*.log "$top"/contrib/samples/*.log)

rm -rf "$out"
mkdir -p "$out"

# chunks DIR LINES FILE...: the files cut into pieces of LINES lines.
chunks() {
	dir=$1 n=$2
	shift 2
	mkdir -p "$dir"
	for f in "$@"; do
		base=$(basename "$(dirname "$f")")-$(basename "$f")
		split -l "$n" -d -a 3 "$f" "$dir/$base."
	done
}

# Header and rules engine: a few lines each. The correlator: longer runs, so
# that the lines of one session meet.
chunks "$out/header" 8 $logs
chunks "$out/rules" 8 $logs
chunks "$out/correlate" 24 $logs
# The whole scan pipeline: the same runs as the correlator's.
chunks "$out/ingest" 24 $logs

# The framer: a line limit byte and a control byte (low 4 bits: how many read
# sizes end the input; high 4 bits: the start offset), the bytes, the read
# sizes (framer_fuzz.c). Pieces of the logs with limits from 1 to 255 and
# reads from one byte to whole lines, and a few hand-made shapes.
mkdir -p "$out/framer"
i=0
for f in $logs; do
	i=$((i + 1))
	lim=$(printf '\\%03o' $((i * 37 % 256)))
	ctl=$(printf '\\%03o' $((i % 16 * 16 + 3)))
	sizes=$(printf '\\%03o\\%03o\\%03o' $((i * 13 % 256)) $((i * 7 % 17)) $((i * 101 % 256)))
	{
		printf "$lim$ctl"
		head -n 6 "$f"
		printf "$sizes"
	} >"$out/framer/$(basename "$(dirname "$f")")-$(basename "$f").head"
done
printf '\100\000' >"$out/framer/empty"
printf '\004\001\n\n\n\n\000' >"$out/framer/newlines"
printf '\004\002abcd\nabcde\nabc\r\n\000\003' >"$out/framer/at-limit"
printf '\010\021a\000b\nccccccccccccccccccccccccc\ndd\001' >"$out/framer/nul-and-cut"
printf '\020\000partial last line' >"$out/framer/partial"

# The rules-file parser: each rule block of the shipped sets with its set's
# "mta"/"programs" lines, and the reason table in pieces.
mkdir -p "$out/rulesfile"
for f in "$top"/patterns/*.rules; do
	base=$(basename "$f" .rules)
	awk -v dir="$out/rulesfile" -v base="$base" '
		/^mta / || /^programs / || /^headerless/ { head = head $0 "\n"; next }
		/^rule / { if (block != "") emit(); block = $0 "\n"; inrule = 1; next }
		/^reason / { r = r $0 "\n"; if (++nr % 25 == 0) { print r > (dir "/" base ".reasons." nr); r = "" } next }
		inrule { block = block $0 "\n" }
		function emit() { n++; printf "%s%s", head, block > (dir "/" base "." n); close(dir "/" base "." n) }
		END { if (block != "") emit(); if (r != "") print r > (dir "/" base ".reasons.end") }
	' "$f"
done

# The configuration parser: the sample with its settings uncommented, and
# each of its settings alone.
mkdir -p "$out/conf"
sed -n 's/^#\([a-z_]\{3,\} .*\)/\1/p' "$top/contrib/tlslogd.conf" >"$out/conf/sample"
i=0
while IFS= read -r line; do
	i=$((i + 1))
	printf '%s\n' "$line" >"$out/conf/setting.$i"
done <"$out/conf/sample"

# The time arguments.
mkdir -p "$out/timeparse"
i=0
for t in 90s 30m 24h 7d 2w 0s 2026-11-22 2026-11-22T06:40 "2026-11-22 06:40:07" \
    2026-11-22T06:40:07Z 2026-11-22T06:40:07+01:00 2026-11-22T06:40-0530 \
    2026-03-29T02:30 2026-10-25T02:30 1970-01-01T00:00:00Z 9999-12-31T23:59:60Z; do
	i=$((i + 1))
	printf '%s' "$t" >"$out/timeparse/seed.$i"
done

# The escapers: values from the hostile-names corpus, and hand-made bytes.
mkdir -p "$out/escape"
head -n 20 "$top/tests/corpus/postfix/hostile-names.log" | split -l 1 -d -a 3 - "$out/escape/hostile."
printf 'plain text' >"$out/escape/plain"
printf '=cmd|calc,"x"\r\n\t' >"$out/escape/csv-formula"
printf 'caf\303\251 \342\200\256gnp.exe \302\205 \355\240\200 \377\376' >"$out/escape/utf8"
printf '<script>&amp;"\x27</script>\n.\nFrom me\n' >"$out/escape/html-mail"
printf '\033[31mred\033[0m\\x41\000nul' >"$out/escape/ansi"
awk 'BEGIN { for (i = 0; i < 200; i++) printf "a \t"; printf "\n" }' >"$out/escape/long-line"

# A dictionary for the line targets: the rules' literals, the programs and
# header pieces, so that mutations reach the patterns (PCRE2's JIT code is not
# instrumented, so the fuzzer cannot see its way into a pattern by coverage).
{
	sed -n 's/^  literal //p' "$top"/patterns/*.rules | sort -u
	printf '%s\n' 'postfix/smtpd[' 'postfix/smtp[' 'exim[' 'sendmail[' 'dovecot: ' \
	    'imap-login: ' 'Nov 22 06:40:07 mx1 ' '2026-11-22T06:40:07.123456+01:00 mx1 ' \
	    '2026-11-22 06:40:07 ' '<22>1 ' 'unknown[' ']:25' '[192.0.2.1]' '[2001:db8::1]' \
	    ' from ' ' to ' 'TLS' 'SSL' 'STARTTLS' 'SASL' 'disconnect from ' 'lost connection'
} | LC_ALL=C awk '{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); printf "\"%s\"\n", $0 }' >"$fuzz/lines.dict"

du -sh "$out"

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# actions.sh: the shipped actions (contrib/actions) against a fake nft,
# fail2ban-client and logger on PATH that record their argv: each does what
# its comment says, twice is harmless (tlslogd runs an action at least once),
# a domain flag (empty %ip%) does nothing, and a value that is no address
# never reaches the command.
. "$TLSLOGD_SRCDIR/tests/lib.sh"

actions="$TLSLOGD_SRCDIR/contrib/actions"
mkdir bin || exit 99
# The fakes: one line per call, arguments separated by "|"; nft keeps a set in state/.
for cmd in fail2ban-client logger; do
	printf '#!/bin/sh\n(IFS="|"; printf "%%s\\n" "%s|$*") >>"%s/calls"\n' "$cmd" "$PWD" >bin/$cmd
done
cat >bin/nft <<EOF2
#!/bin/sh
(IFS="|"; printf "%s\n" "nft|\$*") >>"$PWD/calls"
st="$PWD/state"
case "\$1 \$2" in
"list table") test -e "\$st/table" ;;
"-f -") cat >"\$st/ruleset" && : >"\$st/table" ;;
"add element") echo "\$5" >>"\$st/elements" ;;
"delete element") grep -q "^\$5\\\$" "\$st/elements" 2>/dev/null || exit 1; grep -v "^\$5\\\$" "\$st/elements" >"\$st/e"; mv "\$st/e" "\$st/elements" ;;
"get element") grep -q "^\$5\\\$" "\$st/elements" 2>/dev/null ;;
*) exit 3 ;;
esac
EOF2
chmod +x bin/* && mkdir state || exit 99
PATH="$PWD/bin:$PATH"

test_expect_success 'nftables: flag adds with a timeout, twice is harmless; clear deletes, twice is harmless' '
	"$actions/tlslogd-nft" flag 192.0.2.7 2h &&
	"$actions/tlslogd-nft" flag 192.0.2.7 2h &&
	grep -q "ip saddr @ban4 drop" state/ruleset &&
	test "$(grep -c "^nft|-f|-" calls)" = 1 &&
	test "$(grep -c "^nft|add|element|inet|tlslogd|ban4|{ 192.0.2.7 timeout 2h }$" calls)" = 2 &&
	"$actions/tlslogd-nft" clear 192.0.2.7 &&
	"$actions/tlslogd-nft" clear 192.0.2.7 &&
	grep "^nft|delete|element|inet|tlslogd|ban4|{ 192.0.2.7 }$" calls &&
	test ! -s state/elements &&
	"$actions/tlslogd-nft" flag 2001:db8::1 &&
	grep "^nft|add|element|inet|tlslogd|ban6|{ 2001:db8::1 timeout 1h }$" calls
'

test_expect_success 'nftables: a domain flag does nothing; a value that is no address is refused' '
	: >calls &&
	"$actions/tlslogd-nft" flag "" &&
	test_exit_code 2 "$actions/tlslogd-nft" flag "?evil.com" &&
	test_exit_code 2 "$actions/tlslogd-nft" flag "1.2.3.4 }; flush ruleset; {" &&
	test_exit_code 2 "$actions/tlslogd-nft" flag -oX &&
	test ! -s calls
'

test_expect_success 'fail2ban: banip on flag, unbanip on clear, each twice' '
	: >calls &&
	for i in 1 2; do "$actions/tlslogd-fail2ban" flag postfix-sasl 192.0.2.7 || exit 1; done &&
	for i in 1 2; do "$actions/tlslogd-fail2ban" clear postfix-sasl 192.0.2.7 || exit 1; done &&
	"$actions/tlslogd-fail2ban" flag postfix-sasl "" &&
	test_exit_code 2 "$actions/tlslogd-fail2ban" flag -x 192.0.2.7 &&
	printf "%s\n" "fail2ban-client|set|postfix-sasl|banip|192.0.2.7" "fail2ban-client|set|postfix-sasl|banip|192.0.2.7" \
		"fail2ban-client|set|postfix-sasl|unbanip|192.0.2.7" "fail2ban-client|set|postfix-sasl|unbanip|192.0.2.7" >expected &&
	test_cmp expected calls
'

test_expect_success 'log: one syslog line per run, options ended before the text' '
	: >calls &&
	"$actions/tlslogd-log" flagged .example.net "5 events of auth_failed in 10m" &&
	"$actions/tlslogd-log" cleared 192.0.2.7 &&
	printf "%s\n" "logger|-t|tlslogd-action|-p|authpriv.notice|--|flagged .example.net: 5 events of auth_failed in 10m" \
		"logger|-t|tlslogd-action|-p|authpriv.notice|--|cleared 192.0.2.7" >expected &&
	test_cmp expected calls
'

test_expect_success 'the sample configuration names only actions that exist' '
	sed -n "s/^#*action_\(flag\|clear\) \([^ ]*\).*/\2/p" "$TLSLOGD_SRCDIR/contrib/tlslogd.conf" | sort -u >named &&
	test -s named &&
	while read -r p; do test -x "$actions/${p##*/}" || { echo "no $p"; exit 1; }; done <named
'

test_done

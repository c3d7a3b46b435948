#!/bin/bash
# A connections meter with action reset: a client over its limit gets a
# TCP RST from XDP at once; a SYN flood from 64 spoofed sources inside
# 198.18.0.0/15 is answered with RSTs (counted by sluiced and seen
# arriving at the flooding host) while a client in another tier is still
# served; switched to action drop by a reload, the same flood is dropped
# and answered with nothing.  Per source, every SYN sent is accounted
# for: passed (seen past XDP by the gateway's netfilter) + reset (RSTs
# seen arriving at the flooding host) = sent (hping3's count).
. "$(dirname "$0")/lib.sh"
netns_init hping3 nft
lab_up

SOURCES=64	# spoofed sources 198.19.1.1 .. 198.19.64.1 (never assigned)
PER_SOURCE=100	# SYNs each, 2 ms apart

write_cfg() {	# ACTION
	cfg_header enforce
	cfg_tier normal "$ANY" "{unit: connections, rate: 2/s, burst: 3, action: $1}"
	cfg_tier vip 198.18.10.0/24 "$REQ_10_20"
}

# One counter per spoofed source: on the gateway, the SYNs that got past
# XDP (netfilter runs after it); on the flooding host, the gateway's
# RSTs addressed to that source (its stack drops them after this).
nft_counters() {	# HOST MATCH...: a table "lab" with a rule per source
	local host=$1 s
	{
		echo "table inet lab {"
		echo "  chain c { type filter hook prerouting priority -300;"
		for ((s = 1; s <= SOURCES; s++)); do
			printf '    %s counter comment "%d"\n' "${2//@S@/198.19.$s.1}" "$s"
		done
		echo "  }"
		echo "}"
	} | on "$host" nft -f -
}
nft_counters gw 'ip saddr @S@ tcp flags & (syn | ack) == syn'
nft_counters abuser "ip saddr $LAB_GW4 ip daddr @S@ tcp flags & rst == rst"

per_source() {	# HOST: "S PACKETS" per source
	on "$1" nft -j list chain inet lab c |
		jq -r '.nftables[] | .rule? // empty |
			"\(.comment) \([.expr[] | .counter? // empty | .packets] | add)"' | sort -n
}

# Sends the flood in waves of 16 hping3 (rate-limited, never
# --rand-source); hping.S holds what source S sent.
flood() {
	local s wave=()
	for ((s = 1; s <= SOURCES; s++)); do
		# SIGINT after the last packet: hping3 would wait 1 s for replies.
		timeout -s INT 0.4 nsenter --net="/run/netns/$(lab_ns abuser)" -- \
			hping3 -q -S -p 80 -a "198.19.$s.1" -c $PER_SOURCE -i u2000 \
			"$LAB_GW4" >"$T_DIR/hping.$s" 2>&1 &
		wave+=($!)
		# Only these: the live client runs in the background too.
		((s % 16)) || { wait "${wave[@]}"; wave=(); }
	done
	((${#wave[@]} == 0)) || wait "${wave[@]}"
}

sent_per_source() {
	local s
	for ((s = 1; s <= SOURCES; s++)); do
		echo "$s $(awk '/packets transmitted/ { n += $1 } END { print n + 0 }' "$T_DIR/hping.$s")"
	done
}

# Joins "S N" lists (sent, passed before/after, RSTs before/after) into
# "S SENT PASSED RESET" lines.
accounting() {	# SENT PASSED0 PASSED1 RST0 RST1 (files)
	join "$1" <(join "$2" "$3") | join - <(join "$4" "$5") |
		awk '{ print $1, $2, $4 - $3, $6 - $5 }'
}

cfg=$T_DIR/sluice.yaml

test_client() {
	local t0 results el ok refused
	write_cfg reset >"$cfg"
	sluiced_up "$cfg"
	subtest "a client over its connection limit is reset, not left waiting"
	t0=$(now_ms)
	results=$(for _ in 1 2 3 4 5 6 7 8; do http_one 198.18.1.11 2; done)
	el=$(elapsed_since "$t0")
	ok=$(grep -c '^0 200$' <<<"$results")
	refused=$(grep -c '^7 000$' <<<"$results")
	assert_range "connections answered (burst 3, ${el} ms)" 3 "$(gcra_max 3 2 "$el")" "$ok"
	assert_eq "the others refused by a RST (curl exit 7), none timed out" \
		$((8 - ok)) "$refused"
}

# Floods and checks the books: per source and against sluiced's counters.
flood_check() {	# ACTION (reset or drop)
	local before after t0 el sent passed reset dropped bad max d=$T_DIR
	per_source gw >"$d/p0"
	per_source abuser >"$d/r0"
	before=$(tiers_json)
	t0=$(now_ms)
	flood
	el=$(elapsed_since "$t0")
	after=$(tiers_json)
	per_source gw >"$d/p1"
	per_source abuser >"$d/r1"
	sent_per_source | sort -n >"$d/sent"
	accounting "$d/sent" "$d/p0" "$d/p1" "$d/r0" "$d/r1" >"$d/books"
	read -r sent passed reset < <(awk '{ s += $2; p += $3; r += $4 } END { print s + 0, p + 0, r + 0 }' "$d/books")
	note "sent $sent SYNs in ${el} ms"
	assert_eq "sources accounted for" $SOURCES "$(wc -l <"$d/books")"
	assert_ge "SYNs sent" $((SOURCES * PER_SOURCE * 9 / 10)) "$sent"
	max=$(gcra_max 3 2 "$el")
	bad=$(awk -v m="$max" '$3 < 3 || $3 > m { printf "198.19.%s.1: %s passed; ", $1, $3 }' "$d/books")
	assert_eq "every source: SYNs passed within 3..$max (burst 3, 2/s): sources outside" none "${bad:-none}"
	assert_eq "SYNs passed: sluiced's counter equals the gateway's" "$passed" \
		"$(count_delta "$before" "$after" normal passed)"
	if [[ $1 == reset ]]; then
		bad=$(awk '$3 + $4 != $2 { printf "198.19.%s.1: %s sent, %s passed, %s reset; ", $1, $2, $3, $4 }' "$d/books")
		assert_eq "every source: passed + reset = sent: sources off" none "${bad:-none}"
		assert_eq "SYNs answered with RST: sluiced's counter equals the RSTs seen" "$reset" \
			"$(count_delta "$before" "$after" normal reset)"
		assert_eq "nothing dropped" 0 "$(count_delta "$before" "$after" normal dropped)"
	else
		assert_eq "no RSTs counted" 0 "$(count_delta "$before" "$after" normal reset)"
		assert_eq "no RSTs reached the flooding host" 0 "$reset"
		dropped=$(count_delta "$before" "$after" normal dropped)
		assert_eq "SYNs dropped: all that did not pass" $((sent - passed)) "$dropped"
	fi
}

test_flood_reset() {
	local before after
	write_cfg reset >"$cfg"
	sluiced_up "$cfg"
	subtest "SYN flood from $SOURCES spoofed sources, action reset"
	live_start 198.18.10.11
	before=$(tiers_json)
	flood_check reset
	live_stop
	after=$(tiers_json)
	assert_eq "the VIP client served throughout ($LIVE_N requests)" "$LIVE_N" "$LIVE_OK"
	assert_eq "no VIP request refused" 0 \
		$(($(count_delta "$before" "$after" vip dropped) +
		   $(count_delta "$before" "$after" vip reset)))
}

test_flood_drop() {
	local got el
	write_cfg reset >"$cfg"
	sluiced_up "$cfg"
	subtest "reload to action drop: the same flood is dropped, not answered"
	cfg_install "$cfg" write_cfg drop
	assert_exit "sluicectl reload" 0 ctl reload	# or the file watcher got there first
	assert_wait "sluiced runs the action drop config" 5 wait_applied "$cfg" 0
	assert_eq "normal tier's action after reload" drop \
		"$(tiers_json | jq -r '.tiers[] | select(.name == "normal") | .limits[0].action')"
	flood_check drop
	# SYNs are retransmitted after 1 s: with 0.8 s to connect, a refused
	# connection attempt is simply lost.
	read -r got el < <(http_burst 198.18.1.13 8 0.8)
	assert_eq "a real client over the limit: connections answered" 3 "$got"
}

run_tests client flood_reset flood_drop
finish

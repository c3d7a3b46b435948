#!/bin/bash
# A connections meter with action reset: a client over its limit gets a
# TCP RST from XDP at once; a SYN flood from 64 spoofed sources inside
# 198.18.0.0/15 is answered with RSTs (counted by sluiced and seen
# arriving at the flooding host) while a client in another tier is still
# served; switched to action drop by a reload, the same flood is dropped
# and answered with nothing.
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

# RSTs from the gateway reaching the flooding host (addressed to the
# spoofed sources, so its stack drops them after this counter).
on abuser nft -f - <<EOF
table inet lab {
	chain rst {
		type filter hook prerouting priority -300;
		ip saddr $LAB_GW4 tcp flags & rst == rst counter
	}
}
EOF
rsts_seen() {
	on abuser nft -j list chain inet lab rst |
		jq '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .packets] | add // 0'
}

# Sends the flood in waves of 16 hping3 (rate-limited, never
# --rand-source); prints how many SYNs left.
flood() {
	local s out=$T_DIR/hping.out
	: >"$out"
	for ((s = 1; s <= SOURCES; s++)); do
		# SIGINT after the last packet: hping3 would wait 1 s for replies.
		timeout -s INT 0.4 nsenter --net="/run/netns/$(lab_ns abuser)" -- \
			hping3 -q -S -p 80 -a "198.19.$s.1" -c $PER_SOURCE -i u2000 \
			"$LAB_GW4" >>"$out" 2>&1 &
		((s % 16)) || wait
	done
	wait
	awk '/packets transmitted/ { n += $1 } END { print n + 0 }' "$out"
}

cfg=$T_DIR/sluice.yaml
write_cfg reset >"$cfg"
sluiced_up "$cfg"

subtest "a client over its connection limit is reset, not left waiting"
t0=$(now_ms)
results=$(for i in 1 2 3 4 5 6 7 8; do http_one 198.18.1.11 2; done)
el=$(($(now_ms) - t0))
ok=$(grep -c '^0 200$' <<<"$results")
refused=$(grep -c '^7 ' <<<"$results")
assert_range "connections answered (burst 3, ${el} ms)" 3 "$(gcra_max 3 2 "$el")" "$ok"
assert_eq "the others refused by a RST (curl exit 7), none timed out" \
	$((8 - ok)) "$refused"

subtest "SYN flood from $SOURCES spoofed sources, action reset"
before=$(tiers_json)
rst0=$(rsts_seen)
live_start 198.18.10.11
t0=$(now_ms)
sent=$(flood)
el=$(($(now_ms) - t0))
live_stop
after=$(tiers_json)
note "sent $sent SYNs in ${el} ms"
assert_ge "SYNs sent" $((SOURCES * PER_SOURCE * 9 / 10)) "$sent"
passed=$(count_delta "$before" "$after" normal passed)
reset=$(count_delta "$before" "$after" normal reset)
assert_le "SYNs admitted (burst 3 per source)" \
	$((SOURCES * $(gcra_max 3 2 "$el"))) "$passed"
assert_ge "SYNs answered with RST by XDP" $((sent - SOURCES * $(gcra_max 3 2 "$el"))) "$reset"
rsts=$(($(rsts_seen) - rst0))
assert_ge "RSTs that reached the flooding host (of $reset)" $((reset * 95 / 100)) "$rsts"
assert_eq "the VIP client served throughout ($LIVE_N requests)" "$LIVE_N" "$LIVE_OK"
assert_eq "no VIP request refused" 0 \
	$(($(count_delta "$before" "$after" vip dropped) +
	   $(count_delta "$before" "$after" vip reset)))

subtest "reload to action drop: the same flood is dropped, not answered"
normal_action() {
	tiers_json | jq -r '.tiers[] | select(.name == "normal") | .limits[0].action'
}
action_is_drop() { [[ $(normal_action) == drop ]]; }
write_cfg drop >"$cfg.new" && mv "$cfg.new" "$cfg"
ctl reload >/dev/null	# or inotify got there first
wait_for 5 action_is_drop
assert_eq "normal tier's action after reload" drop "$(normal_action)"
before=$(tiers_json)
rst0=$(rsts_seen)
sent=$(flood)
after=$(tiers_json)
assert_eq "no RSTs counted" 0 "$(count_delta "$before" "$after" normal reset)"
assert_ge "SYNs dropped" $((sent - SOURCES * 5)) \
	"$(count_delta "$before" "$after" normal dropped)"
assert_eq "no RSTs reached the flooding host" 0 $(($(rsts_seen) - rst0))
# SYNs are retransmitted after 1 s: with 0.8 s to connect, a refused
# connection attempt is simply lost.
read -r got el < <(http_burst 198.18.1.13 8 0.8)
assert_eq "a real client over the limit: connections answered" 3 "$got"

finish

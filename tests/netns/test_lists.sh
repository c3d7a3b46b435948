#!/bin/bash
# Tier verdicts: a denylisted range (IPv4, IPv6, and a /32 inside a
# metered /24: the longest prefix wins) is dropped at XDP and never
# reaches nginx; an allowlisted range bypasses every meter.
. "$(dirname "$0")/lib.sh"
netns_init
lab_up

cfg=$T_DIR/sluice.yaml
{
	cfg_lab enforce "$REQ_1_5" "$REQ_10_20" "198.18.10.0/24, 2001:2:0:10::/64"
	cfg_tier blocked "198.18.66.0/24, 2001:2:0:66::/64, 198.18.10.29/32" "verdict: drop"
	cfg_tier monitors "198.18.99.0/24, 2001:2:0:99::/64" "verdict: pass"
} >"$cfg"
log=$LAB_RUN/nginx/access.log

denied() {	# SRC
	local src=$1 before after rc code r
	sluiced_up "$cfg"
	subtest "denylisted $src"
	before=$(tiers_json)
	read -r rc code < <(http_one "$src" 1)
	after=$(tiers_json)
	assert_eq "$src: connection times out (curl exit 28)" "28 000" "$rc $code"
	assert_ge "$src: packets counted as denylisted" 1 \
		"$(count_delta "$before" "$after" blocked denylisted)"
	for r in passed dropped reset; do
		assert_eq "$src: blocked tier, $r" 0 "$(count_delta "$before" "$after" blocked "$r")"
	done
	assert_eq "$src: requests in nginx's access log" 0 \
		"$(grep -c "^$src " "$log")"
}

test_deny_v4() { denied 198.18.66.10; }
test_deny_v6() { denied 2001:2:0:66::10; }
test_deny_32_in_vip() { denied 198.18.10.29; }

test_deny_neighbours() {
	local got
	sluiced_up "$cfg"
	subtest "a /32 denylisted inside the VIP range leaves its neighbours alone"
	read -r got _ < <(http_burst 198.18.10.28 20 1)
	assert_eq "198.18.10.28 (vip): answered 200 of 20" 20 "$got"
	assert_eq "198.18.10.28: requests in nginx's access log" 20 \
		"$(grep -c "^198\.18\.10\.28 " "$log")"
}

allowed() {	# SRC
	local src=$1 before after got
	sluiced_up "$cfg"
	subtest "allowlisted $src: 100 requests at once, no meter applies"
	before=$(tiers_json)
	read -r got _ < <(http_burst "$src" 100 2)
	after=$(tiers_json)
	assert_eq "$src: answered 200 of 100" 100 "$got"
	# Every packet of every connection: at least the 100 requests.
	assert_ge "$src: packets counted as allowlisted" 100 \
		"$(count_delta "$before" "$after" monitors allowlisted)"
	assert_eq "$src: nothing metered in its tier" 0 \
		$(($(count_delta "$before" "$after" monitors passed) +
		   $(count_delta "$before" "$after" monitors dropped) +
		   $(count_delta "$before" "$after" monitors reset)))
}

test_allow_v4() { allowed 198.18.99.10; }
test_allow_v6() { allowed 2001:2:0:99::10; }

run_tests deny_v4 deny_v6 deny_32_in_vip deny_neighbours allow_v4 allow_v6
finish

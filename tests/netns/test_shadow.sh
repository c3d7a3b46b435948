#!/bin/bash
# Shadow mode: nothing is dropped or reset, and what would have been is
# counted (shadow_http for the example's action http, shadow_drop for
# action drop; denylisted for a drop tier).
# sluicectl mode switches to enforce and back at runtime.
. "$(dirname "$0")/lib.sh"
netns_init
lab_up

cfg=$T_DIR/sluice.yaml
{
	cfg_header shadow
	cfg_tier normal "$ANY" "$REQ_1_5"
	cfg_tier partner 198.18.20.0/24 "{unit: requests, rate: 5/s, burst: 10, action: drop}"
	cfg_tier blocked 198.18.66.0/24 "verdict: drop"
} >"$cfg"
mode_now() { status_json | jq -r .mode; }

start_shadow() {
	sluiced_up "$cfg" "sluiced starts in shadow mode"
	assert_eq "sluicectl status: mode" shadow "$(mode_now)"
}

set_mode() {	# MODE: sluicectl mode MODE answers with it, and status shows it
	assert_eq "sluicectl -j mode $1" "$1" "$(ctl -j mode "$1" | jq -r '(.data // .).mode')"
	assert_eq "sluicectl status: mode" "$1" "$(mode_now)"
}

# 20 requests at once: all answered, passed within the limit, the rest
# counted under SHADOW_REASON, nothing dropped or reset.
shadow_batch() {	# SRC TIER BURST RATE ACTION SHADOW_REASON
	local src=$1 tier=$2 before after got el passed r
	before=$(tiers_json)
	read -r got el < <(http_burst "$src" 20 1)
	after=$(tiers_json)
	assert_eq "$tier $src ($5): answered 200 of 20" 20 "$got"
	passed=$(count_delta "$before" "$after" "$tier" passed)
	assert_range "$tier: passed (within the limit)" "$3" "$(gcra_max "$3" "$4" "$el")" "$passed"
	assert_eq "$tier: $6 makes up the rest" $((20 - passed)) \
		"$(count_delta "$before" "$after" "$tier" "$6")"
	for r in reset dropped; do
		assert_eq "$tier: $r" 0 "$(count_delta "$before" "$after" "$tier" "$r")"
	done
}

test_shadow_counts() {
	local before after got el passed conns rc code
	start_shadow
	subtest "shadow: every request answered, would-be refusals counted"
	shadow_batch 198.18.1.11 normal 5 1 "action http" shadow_http

	read -r got el conns < <(http_keepalive 198.18.1.12 20 1)
	assert_eq "normal 198.18.1.12, keep-alive: answered 200 of 20" 20 "$got"
	assert_eq "normal 198.18.1.12, keep-alive: one connection" 1 "$conns"

	shadow_batch 198.18.20.11 partner 10 5 "action drop" shadow_drop

	before=$(tiers_json)
	read -r rc code < <(http_one 198.18.66.10 1)
	after=$(tiers_json)
	assert_eq "blocked 198.18.66.10: answered" "0 200" "$rc $code"
	assert_ge "blocked: counted as denylisted" 1 \
		"$(count_delta "$before" "$after" blocked denylisted)"
}

test_mode_enforce() {
	local got el rc code
	start_shadow
	subtest "sluicectl mode enforce"
	set_mode enforce
	read -r got el < <(http_burst 198.18.1.13 20 1)
	assert_eq "normal 198.18.1.13: answered 200 of 20" 5 "$got"
	read -r rc code < <(http_one 198.18.66.11 1)
	assert_eq "blocked 198.18.66.11: times out (curl exit 28)" "28 000" "$rc $code"
}

test_mode_shadow() {
	local got el
	start_shadow
	set_mode enforce
	subtest "sluicectl mode shadow"
	set_mode shadow
	read -r got el < <(http_burst 198.18.1.14 20 1)
	assert_eq "normal 198.18.1.14: answered 200 of 20" 20 "$got"
}

run_tests shadow_counts mode_enforce mode_shadow
finish

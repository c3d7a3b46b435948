#!/bin/bash
# Shadow mode: nothing is dropped or reset, and what would have been is
# counted (shadow_reset for the example's action http, shadow_drop for
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
sluiced_up "$cfg" "sluiced starts in shadow mode"
mode_now() { ctl -j status | jq -r '(.data // .).mode'; }
assert_eq "sluicectl status: mode" shadow "$(mode_now)"

subtest "shadow: every request answered, would-be refusals counted"
before=$(tiers_json)
read -r got el < <(http_burst 198.18.1.11 20 1)
after=$(tiers_json)
assert_eq "normal 198.18.1.11: answered 200 of 20" 20 "$got"
passed=$(count_delta "$before" "$after" normal passed)
assert_range "normal: passed (within the limit)" 5 "$(gcra_max 5 1 "$el")" "$passed"
assert_eq "normal (action http): shadow_reset makes up the rest" $((20 - passed)) \
	"$(count_delta "$before" "$after" normal shadow_reset)"
assert_eq "normal: reset" 0 "$(count_delta "$before" "$after" normal reset)"

read -r got el conns < <(http_keepalive 198.18.1.12 20 1)
assert_eq "normal 198.18.1.12, keep-alive: answered 200 of 20" 20 "$got"
assert_eq "normal 198.18.1.12, keep-alive: one connection" 1 "$conns"

before=$(tiers_json)
read -r got el < <(http_burst 198.18.20.11 20 1)
after=$(tiers_json)
assert_eq "partner 198.18.20.11 (action drop): answered 200 of 20" 20 "$got"
passed=$(count_delta "$before" "$after" partner passed)
assert_eq "partner: shadow_drop makes up the rest" $((20 - passed)) \
	"$(count_delta "$before" "$after" partner shadow_drop)"
assert_eq "partner: dropped" 0 "$(count_delta "$before" "$after" partner dropped)"

before=$(tiers_json)
read -r rc code < <(http_one 198.18.66.10 1)
after=$(tiers_json)
assert_eq "blocked 198.18.66.10: answered" "0 200" "$rc $code"
assert_ge "blocked: counted as denylisted" 1 \
	"$(count_delta "$before" "$after" blocked denylisted)"

subtest "sluicectl mode enforce"
assert_ok "sluicectl mode enforce" ctl mode enforce
assert_eq "sluicectl status: mode" enforce "$(mode_now)"
read -r got el < <(http_burst 198.18.1.13 20 1)
assert_eq "normal 198.18.1.13: answered 200 of 20" 5 "$got"
read -r rc code < <(http_one 198.18.66.11 1)
assert_eq "blocked 198.18.66.11: times out (curl exit 28)" 28 "$rc"

subtest "sluicectl mode shadow"
assert_ok "sluicectl mode shadow" ctl mode shadow
assert_eq "sluicectl status: mode" shadow "$(mode_now)"
read -r got el < <(http_burst 198.18.1.14 20 1)
assert_eq "normal 198.18.1.14: answered 200 of 20" 20 "$got"

finish

#!/bin/bash
# shellcheck disable=SC2317 # test_* functions are called by run_tests
# Two interfaces carrying traffic: the lab's veth and a second veth from
# the gateway to an extra client host (198.19.250.0/24).  One tier takes
# 198.18.1.0/24 (the lab's normal host) and 198.19.250.0/24 (the far
# host) with key {v4_prefix: 15}, so clients on both interfaces share one
# client key, 198.18.0.0/15.  Buckets are per interface: each interface
# admits that key its own burst; `sluicectl -j tiers` sums both
# interfaces' counters (checked against each interface's pinned
# sl_counters); `sluicectl -j client` shows the interface where the key has
# the fewest tokens.
. "$(dirname "$0")/lib.sh"
netns_init python3
lab_up

FAR_IF=tgx$$ FAR=198.19.250
far_up far "$FAR_IF" "$FAR" || { t_fail "creating the far host"; finish; }
CFG=$T_DIR/sluice.yaml
{
	cfg_top "$LAB_GW_IF, $FAR_IF"
	cfg_tier normal "$ANY" "$REQ_SLOW"
	cfg_tier shared "198.18.1.0/24, $FAR.0/24" "key: {v4_prefix: 15}" "$REQ_SLOW"
} >"$CFG"
KEY=198.18.0.0/15

start() {
	daemon_start "$CFG" || { t_fail "sluiced starts on $LAB_GW_IF and $FAR_IF"; return 1; }
}

burst_is() {	# SRC N WANT: N requests at once from SRC, WANT answered 200
	local got
	read -r got _ < <(http_burst "$1" "$2" 1)
	assert_eq "$1 ($(if_of "$1")): answered 200 of $2" "$3" "$got"
}

if_of() { [[ $1 == "$FAR".* ]] && echo "$FAR_IF" || echo "$LAB_GW_IF"; }

tokens_are() {	# ADDR WANT: sluicectl -j client ADDR's tokens and key
	local c
	c=$(client_json "$1")
	assert_eq "client $1: key" "$KEY" "$(jq -r .key <<<"$c")"
	assert_eq "client $1: tokens (the interface with the fewest)" "$2" \
		"$(jq -r '.meters[0].tokens' <<<"$c")"
}

# Every reason of TIER: sluicectl's figure is the sum of the two
# interfaces' pinned counters.
sums_match() {	# TIER
	local t id r sum got bad=0
	t=$(tiers_json)
	id=$(jq -r --arg n "$1" '.tiers[] | select(.name == $n) | .id' <<<"$t")
	for r in $(jq -r --arg n "$1" '.tiers[] | select(.name == $n) | .counters | keys[]' <<<"$t"); do
		sum=$(($(pinned_count "$LAB_GW_IF" "$id" "$r") + $(pinned_count "$FAR_IF" "$id" "$r")))
		got=$(count_of "$t" "$1" "$r")
		[[ $sum == "$got" ]] || { echo "$r: tiers $got, interfaces $sum"; bad=1; }
	done
	return "$bad"
}

test_per_interface_buckets() {
	local st id t
	start || return
	st=$(ctl -j status)
	assert_eq "status lists both interfaces" "$LAB_GW_IF native $FAR_IF native" \
		"$(jq -r '[.interfaces[] | .name, .attach] | join(" ")' <<<"$st")"
	assert_eq "$FAR_IF runs the program status names" \
		"$(jq -r --arg i "$FAR_IF" '.interfaces[] | select(.name == $i) | .prog_id' <<<"$st")" \
		"$(xdp_id_of "$FAR_IF")"
	assert_eq "$LAB_GW_IF's pinned tier ids" "0 normal, 1 shared" \
		"$(pinned_tier_names "$LAB_GW_IF" | paste -sd, | sed 's/,/, /g')"
	assert_eq "$FAR_IF's: the same" "0 normal, 1 shared" \
		"$(pinned_tier_names "$FAR_IF" | paste -sd, | sed 's/,/, /g')"

	burst_is 198.18.1.11 20 5
	burst_is "$FAR.10" 20 5	# the same key, its own bucket on the other interface
	burst_is 198.18.1.12 20 0	# the same key again on each: both spent
	burst_is "$FAR.11" 20 0
	tokens_are 198.18.1.11 0
	tokens_are "$FAR.10" 0

	id=$(tier_id shared)
	assert_eq "$LAB_GW_IF: shared passed" 5 "$(pinned_count "$LAB_GW_IF" "$id" passed)"
	assert_eq "$LAB_GW_IF: shared http (429s)" 35 "$(pinned_count "$LAB_GW_IF" "$id" http)"
	assert_eq "$FAR_IF: shared passed" 5 "$(pinned_count "$FAR_IF" "$id" passed)"
	assert_eq "$FAR_IF: shared http (429s)" 35 "$(pinned_count "$FAR_IF" "$id" http)"
	t=$(tiers_json)
	assert_eq "tiers: shared passed, both interfaces" 10 "$(count_of "$t" shared passed)"
	assert_eq "tiers: shared http, both interfaces" 70 "$(count_of "$t" shared http)"
	assert_eq "tiers: normal passed (no traffic)" 0 "$(count_of "$t" normal passed)"
	# The connections' other packets (unmetered) trickle in as they
	# close: compare once they have settled.
	wait_for 3 sums_match shared
	assert_ok "tiers: every reason of shared is the sum of the interfaces' pinned counters" \
		sums_match shared
}

# The key's bucket is spent differently on each interface; client shows
# the interface with the fewest tokens, whichever address of the key it
# is asked about.
test_client_fewest_tokens() {
	start || return
	assert_eq "client 198.18.1.11 before any traffic: known" false \
		"$(client_json 198.18.1.11 | jq -r .known)"
	tokens_are 198.18.1.11 5
	burst_is "$FAR.10" 2 2		# far: 3 left, lab: not known yet
	assert_eq "client 198.18.1.11: known (on $FAR_IF only)" true \
		"$(client_json 198.18.1.11 | jq -r .known)"
	tokens_are 198.18.1.11 3
	burst_is 198.18.1.13 1 1	# lab: 4 left, far: 3
	tokens_are 198.18.1.11 3
	tokens_are "$FAR.12" 3
	burst_is 198.18.1.13 3 3	# lab: 1 left, far: 3
	tokens_are 198.18.1.11 1
	tokens_are "$FAR.12" 1
	burst_is "$FAR.12" 3 3		# far: 0 left, lab: 1
	tokens_are 198.18.1.11 0
	burst_is 198.18.1.14 3 1	# lab: the last one
}

run_tests per_interface_buckets client_fewest_tokens
finish

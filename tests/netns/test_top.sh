#!/bin/bash
# shellcheck disable=SC2317 # test_* functions are called by run_tests
# sluicectl top: who is being limited right now.  Light traffic is
# sampled packet by packet, so a client refused 15 times shows exactly
# 15 refusals, with its tier, key and the limit that refused it; a
# client whose requests all pass is listed by --by passed only; --tier
# and -n filter; --watch redraws until interrupted (one JSON line each
# with -j).  Under a UDP flood from one source the sampling period grows
# past 1 and the estimate stays within 30 % of the exact counter.
. "$(dirname "$0")/lib.sh"
netns_init python3
lab_up

CFG=$T_DIR/sluice.yaml
SLOW=198.18.1.11	# normal: requests 1/h, burst 5, action reset
FAST=198.18.10.11	# vip: requests 1000/s, burst 1000
BULK=198.18.66.11	# bulk: packets 10/s, burst 10, action drop

write_cfg() {
	{
		cfg_top "$LAB_GW_IF" "$SOCK" 65536
		cfg_tier normal "$ANY" '{unit: requests, rate: 1/h, burst: 5, action: reset}'
		cfg_tier vip 198.18.10.0/24 '{unit: requests, rate: 1000/s, burst: 1000}'
		cfg_tier bulk 198.18.66.0/24 '{unit: packets, rate: 10/s, burst: 10}'
	} >"$CFG"
}

top_json() { ctl -j top "$@" | jq -c '.data // .'; }
period_is_one() { [[ $(top_json | jq -r '.interfaces[0].sample_period') == 1 ]]; }
# The row of KEY in a top answer, or "null".
row_of() { jq -c --arg k "$2" '[.clients[] | select(.key == $k)][0]' <<<"$1"; }	# JSON KEY

test_light() {
	local before after t got row
	write_cfg
	sluiced_up "$CFG"
	# A fresh daemon starts at 1 in 64 and halves the period on every
	# quiet drain (4 a second).
	assert_wait "sampling every packet while traffic is light" 10 period_is_one
	before=$(tiers_json)
	read -r got _ < <(http_burst "$SLOW" 20 1)
	assert_eq "$SLOW: 5 of 20 requests answered" 5 "$got"
	read -r got _ < <(http_burst "$FAST" 10 1)
	assert_eq "$FAST: 10 of 10 requests answered" 10 "$got"
	after=$(tiers_json)

	t=$(top_json)
	assert_eq "top: by refused" refused "$(jq -r .by <<<"$t")"
	assert_eq "top: the refused client is first" "$SLOW/32" "$(jq -r '.clients[0].key' <<<"$t")"
	row=$(row_of "$t" "$SLOW/32")
	assert_eq "top: its tier" normal "$(jq -r .tier <<<"$row")"
	assert_eq "top: its interface" "$LAB_GW_IF" "$(jq -r .interface <<<"$row")"
	assert_eq "top: refused packets equal the tier's resets (every packet sampled)" \
		"$(count_delta "$before" "$after" normal reset)" "$(jq -r .refused <<<"$row")"
	assert_eq "top: refused by reset" reset "$(jq -r .refused_by.reason <<<"$row")"
	assert_eq "top: the limit that refused it" "requests 1/h b5 reset" \
		"$(jq -r .refused_by.limit <<<"$row")"
	assert_ge "top: it also passed packets (handshakes, 5 requests)" 5 "$(jq -r .passed <<<"$row")"
	assert_eq "top: a client with nothing refused is left out" null "$(row_of "$t" "$FAST/32")"
	assert_le "top: the window is at most 10 s" 10 "$(jq -r '.window_s | floor' <<<"$t")"

	t=$(top_json --by passed)
	row=$(row_of "$t" "$FAST/32")
	assert_eq "top --by passed: lists $FAST" vip "$(jq -r .tier <<<"$row")"
	assert_eq "top --by passed: nothing refused it" null "$(jq -r .refused_by <<<"$row")"
	assert_ge "top --by passed: its 10 requests at least" 10 "$(jq -r .passed <<<"$row")"
	assert_eq "top --tier vip --by bytes: only vip clients" vip \
		"$(top_json --tier vip --by bytes | jq -r '[.clients[].tier] | unique | join(",")')"
	assert_eq "top -n 1 --by passed: one row" 1 "$(top_json -n 1 --by passed | jq '.clients | length')"

	assert_exit "sluicectl top (table)" 0 ctl top
	assert_has "top: the header" "top clients by refused over the last" "$T_OUT"
	assert_has "top: sampling shown" "every packet on $LAB_GW_IF" "$T_OUT"
	assert_eq "top: the row" "$LAB_GW_IF normal $SLOW/32 reset: requests 1/h b5 reset" \
		"$(awk -v k="$SLOW/32" '$3 == k { print $1, $2, $3, $7, $8, $9, $10, $11 }' <<<"$T_OUT")"
	assert_exit "top --tier nosuch: refused" 1 ctl top --tier nosuch
	assert_has "top --tier nosuch: says why" "no tier named 'nosuch'" "$T_OUT"
	assert_exit "top -n 0: usage" 2 ctl top -n 0
	assert_exit "top --by size: usage" 2 ctl top --by size
	assert_has "top --by size: says what is expected" "expected refused, passed or bytes" "$T_OUT"
	assert_exit "status --by refused: top's option elsewhere" 2 ctl status --by refused
	assert_has "status --by: says so" "applies to top only" "$T_OUT"
	assert_exit "top 5 without --watch: usage" 2 ctl top 5
}

test_watch() {
	local out
	write_cfg
	sluiced_up "$CFG"
	http_burst "$SLOW" 10 1 >/dev/null
	out=$T_DIR/watch.out
	timeout --preserve-status -s INT 2.2 "$SLUICECTL" -s "$SOCK" top --watch 0.5 >"$out" 2>&1
	assert_eq "top --watch: interrupted, exits 0" 0 "$?"
	assert_ge "top --watch 0.5: redrew at least 3 times in 2.2 s" 3 "$(grep -c '^top clients by refused' "$out")"
	timeout --preserve-status -s INT 1.7 "$SLUICECTL" -s "$SOCK" -j top --watch=0.5 >"$out" 2>&1
	assert_eq "-j top --watch: exits 0" 0 "$?"
	assert_ge "-j top --watch: one JSON object per line" 2 "$(jq -r .by <"$out" | grep -c refused)"
	assert_eq "-j top --watch: every line parses" "$(wc -l <"$out")" "$(jq -c . <"$out" | wc -l)"
}

test_flood() {
	local before after t row exact est lost period
	write_cfg
	sluiced_up "$CFG"
	assert_wait "sampling every packet before the flood" 10 period_is_one
	before=$(tiers_json)
	udp_from "$BULK" 100000
	after=$(tiers_json)
	t=$(top_json)
	period=$(jq -r '.interfaces[0].sample_period' <<<"$t")
	lost=$(jq -r '.interfaces[0].samples_lost' <<<"$t")
	note "100000 datagrams: sampled 1 in $period at the end, $lost samples overwritten"
	assert_ge "the flood made the sampling coarser" 2 "$period"
	row=$(row_of "$t" "$BULK/32")
	assert_eq "top: the flooding source is first" "$BULK/32" "$(jq -r '.clients[0].key' <<<"$t")"
	assert_eq "top: refused by dropped" dropped "$(jq -r .refused_by.reason <<<"$row")"
	exact=$(count_delta "$before" "$after" bulk dropped)
	est=$(jq -r .refused <<<"$row")
	note "dropped: $exact counted, $est estimated"
	# The first drains of a sudden flood find their rings overwritten;
	# the samples read then stand in for the lost ones too.
	assert_range "top: the estimate is within 30 % of the counter" \
		$((exact * 7 / 10)) $((exact * 13 / 10)) "$est"
	assert_wait "the period comes back down once the flood is over" 10 period_is_one
}

run_tests light watch flood
finish

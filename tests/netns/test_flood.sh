#!/bin/bash
# shellcheck disable=SC2317 # test_* functions are called by run_tests
# The flood guard end to end.  The tier "guarded" (198.19.0.0/16, the
# spoofed range, and 198.18.1.0/24, the lab's normal host) has
# flood_guard {new_clients: 100/s, burst: 100}, a packets meter (200/s,
# burst 200) and a requests meter (1/h, burst 5).  A spoofed-source UDP
# flood from the abuser host (20,000 sources in 198.19.0.0/16, one
# datagram each, in chunks of 200 10 ms apart: about a second; small
# chunks so that no frame is lost on the way) gets client entries only as
# fast as the guard and the tier's shared bucket admit them; every other
# source is dropped as flood_drop.  Exactly: entries created + flood_drop
# = sources sent; entries at most what the two buckets admit in the
# flood's measured duration (GCRA: burst + rate x elapsed each).  Known
# clients keep their own buckets: each gets exactly its burst of
# requests during and after the flood.  The same tier with no
# flood_guard at all gets the default guard (a hundredth of the
# 65536-entry table per second, burst twice that), read back from
# `sluicectl -j tiers`, and the same exact accounting holds under a
# shorter flood (10,000 sources).
. "$(dirname "$0")/lib.sh"
netns_init python3
lab_up

CFG=$T_DIR/sluice.yaml
GUARD_RATE=100 GUARD_BURST=100	# new clients per second, and burst
PKT_RATE=200 PKT_BURST=200	# the packets meter: the shared bucket's too

write_cfg() {	# MODE [GUARD: the flood_guard line, "" for none]
	local guard=${2-"flood_guard: {new_clients: $GUARD_RATE/s, burst: $GUARD_BURST}"}
	{
		cfg_top "$LAB_GW_IF" "$SOCK" 65536 "$1"
		cfg_tier normal "$ANY" "$REQ_SLOW"
		cfg_tier guarded "198.19.0.0/16, 198.18.1.0/24" ${guard:+"$guard"} \
			"{unit: packets, rate: $PKT_RATE/s, burst: $PKT_BURST}" "$REQ_SLOW"
	} >"$CFG"
}

flood_seen() { (($(count_of "$(tiers_json)" guarded flood_drop) > 0)); }

# The most entries a flood of ELAPSED ms can create: what the guard
# admits plus what the shared bucket admits past it.
entries_max() {	# ELAPSED_MS
	echo $(($(gcra_max "$GUARD_BURST" "$GUARD_RATE" "$1") + $(gcra_max "$PKT_BURST" "$PKT_RATE" "$1")))
}

snapshot() {	# sets S_TIERS S_NEW S_FULL S_ENTRIES
	S_TIERS=$(tiers_json)
	S_NEW=$(pinned_event "$LAB_GW_IF" client_new)
	S_FULL=$(pinned_event "$LAB_GW_IF" client_full)
	S_ENTRIES=$(pinned_clients "$LAB_GW_IF")
}

# What a flood of SENT sources in ELAPSED ms did since the snapshot;
# DROP_REASON is where the guard's refusals are counted.
flood_checks() {	# SENT ELAPSED DROP_REASON
	local t0=$S_TIERS n0=$S_NEW f0=$S_FULL e0=$S_ENTRIES new drop max
	snapshot
	new=$((S_NEW - n0))
	drop=$(count_delta "$t0" "$S_TIERS" guarded "$3")
	max=$(entries_max "$2")
	note "$1 sources in $2 ms: $new got an entry, $drop refused"
	assert_eq "every source got an entry or was refused as $3 (entries + $3)" \
		"$1" $((new + drop))
	# Both buckets start full, less the 2 the known clients took from
	# the guard's if it has not refilled since.
	assert_range "entries created: the guard's and the shared bucket's admissions" \
		$((GUARD_BURST + PKT_BURST - 2)) "$max" "$new"
	assert_eq "sl_clients holds exactly the entries created (no eviction)" \
		$((e0 + new)) "$S_ENTRIES"
	assert_eq "no failed insert (client_full)" "$f0" "$S_FULL"
	assert_eq "normal tier: flood_drop" 0 "$(count_delta "$t0" "$S_TIERS" normal flood_drop)"
}

known() {	# ADDR: make ADDR a known client (one datagram: no request token)
	udp_from "$1"
	assert_eq "client $1 is known before the flood" true "$(client_json "$1" | jq -r .known)"
}

burst_is() {	# SRC WANT
	local got
	read -r got _ < <(http_burst "$1" 20 1)
	assert_eq "$1: answered 200 of 20" "$2" "$got"
}

test_flood() {
	local t0 sent el before after
	write_cfg enforce
	daemon_start "$CFG" || { t_fail "sluiced starts"; return; }
	known 198.18.1.11
	known 198.18.1.12
	snapshot
	before=$S_TIERS
	t0=$(now_ms)
	spoof_udp abuser 1 20000 200 10 >"$T_DIR/flood.out" &
	local flood=$!
	wait_for 10 flood_seen || t_fail "no flood_drop within 10 s of the flood's start"
	burst_is 198.18.1.11 5		# a known client during the flood
	if kill -0 "$flood" 2>/dev/null; then note "the burst ended while the flood went on"
	else note "the flood had ended before the burst did (slow machine)"; fi
	wait "$flood"
	el=$(($(now_ms) - t0))
	read -r sent _ <"$T_DIR/flood.out"
	assert_eq "spoofed sources sent" 20000 "$sent"
	flood_checks "$sent" "$el" flood_drop
	burst_is 198.18.1.12 5		# and after it
	after=$(tiers_json)
	assert_eq "guarded: http (the known clients' refused requests, answered at the edge)" 30 \
		"$(count_delta "$before" "$after" guarded http)"
	assert_eq "client 198.18.1.11: request tokens" 0 \
		"$(client_json 198.18.1.11 | jq -r '.meters[] | select(.unit == "requests") | .tokens')"

	# A second later the guard has refilled: a new client gets its entry.
	sleep 1
	assert_eq "client 198.18.1.13 unknown" false "$(client_json 198.18.1.13 | jq -r .known)"
	burst_is 198.18.1.13 5
	assert_eq "client 198.18.1.13 has its entry" true "$(client_json 198.18.1.13 | jq -r .known)"
}

# Shadow mode: the guard's refusals are counted as shadow_drop and
# passed; entries are still limited the same way.
# Two known clients, then a flood of SENT sources in chunks of 200
# PAUSE_MS apart, and what it did (flood_checks).
known_then_flood() {	# SENT PAUSE_MS DROP_REASON
	local t0 sent el
	known 198.18.1.11
	known 198.18.1.12
	snapshot
	t0=$(now_ms)
	read -r sent _ < <(spoof_udp abuser 1 "$1" 200 "$2")
	el=$(($(now_ms) - t0))
	assert_eq "spoofed sources sent" "$1" "$sent"
	flood_checks "$sent" "$el" "$3"
}

test_flood_shadow() {
	write_cfg shadow
	daemon_start "$CFG" || { t_fail "sluiced starts"; return; }
	known_then_flood 5000 5 shadow_drop
	assert_eq "guarded: flood_drop in shadow mode" 0 "$(count_of "$S_TIERS" guarded flood_drop)"
	burst_is 198.18.1.11 20		# shadow: nothing refused
}

# No flood_guard in the config: the default guard, flood_guard_default()
# of the 65536-entry table: 65536 / 100 = 655 new clients per second (at
# least 100), burst 1310.  Its figures come from sluicectl -j tiers;
# flood_checks then holds them to the same exact accounting.
test_flood_default() {
	local g rate
	write_cfg enforce ""
	assert_fails "the config says nothing about floods" grep -q flood_guard "$CFG"
	daemon_start "$CFG" || { t_fail "sluiced starts"; return; }
	g=$(tiers_json | jq -c '.tiers[] | select(.name == "guarded") | .flood_guard')
	note "guarded: flood_guard $g"
	assert_eq "guarded: the default flood guard" true "$(jq -r .default <<<"$g")"
	rate=$((65536 / 100 < 100 ? 100 : 65536 / 100))
	assert_eq "guarded: new clients, a hundredth of the table per second" \
		"$rate/s" "$(jq -r .new_clients <<<"$g")"
	assert_eq "guarded: burst, two seconds' worth" $((2 * rate)) "$(jq -r .burst <<<"$g")"
	assert_eq "normal: the default flood guard too" \
		'{"new_clients":"655/s","burst":1310,"default":true}' \
		"$(tiers_json | jq -c '.tiers[] | select(.name == "normal") | .flood_guard')"
	GUARD_RATE=$(jq -r '.new_clients | rtrimstr("/s")' <<<"$g")
	GUARD_BURST=$(jq -r .burst <<<"$g")
	known_then_flood 10000 10 flood_drop
	assert_ge "the default guard refused sources (flood_drop)" 1 \
		"$(count_of "$S_TIERS" guarded flood_drop)"
	burst_is 198.18.1.11 5		# a known client keeps its bucket
}

run_tests flood flood_shadow flood_default
finish

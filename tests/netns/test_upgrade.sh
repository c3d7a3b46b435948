#!/bin/bash
# Upgrades keep state.  build/sluiced enforces and counts; build/abi-next/
# sluiced is the same code with one verdict reason, one parser event and
# one map more and a grown sl_global (-DSL_ABI_NEXT, made by `make all`).
# Started over the first one's pins it adopts them: client buckets
# (exact tokens: the meters refill once an hour) and counters carry on,
# the new map is created and pinned, the changed config map recreated.
# Going back to build/sluiced adopts again (the newer map stays pinned).
# Pins that cannot be carried over are refused at start with the
# documented message and left exactly as they were: a schema version
# from the future, and a foreign sl_clients in a fresh pin directory.
# A temporary pin left by a start that died mid-replace is removed.
# The steps run straight through: each starts from what the last left.
. "$(dirname "$0")/lib.sh"
NEXT=$BUILD/abi-next/sluiced
FIRST=$SLUICED
netns_init
[[ -x $NEXT ]] || skip_all "$NEXT not built yet (make all builds it)"
lab_up

cfg=$T_DIR/sluice.yaml
# Action reset: both builds answer alike (test_upgrade_release.sh covers
# a limit whose answer changes between releases).
cfg_lab enforce '{unit: requests, rate: 1/h, burst: 5, action: reset}' \
	'{unit: requests, rate: 1/h, burst: 20, action: reset}' >"$cfg"
pins=$GW_PINS
A=198.18.1.11 B=198.18.1.12 C=198.18.1.13 V=198.18.10.11

# The SL_ABI_NEXT event lands after every entry before its #ifdef.
EV_NEXT=$(abi_enum sl_event SL_EV_ABI_NEXT)

counter() { count_of "$@"; }	# JSON TIER REASON, strictly
tokens() { client_json "$1" | jq -r '.meters[0].tokens // empty'; }
map_id() { pinned_map_id "$LAB_GW_IF" "$1"; }
value_size() { pinned_value_size "$LAB_GW_IF" "$1"; }
link_id() { ctl -j status | jq -r '(.data // .).interfaces[0].link_id'; }

stop_term() {	# WHAT: SIGTERM, which leaves enforcement and pins
	daemon_term
	assert_eq "$1: exit status on SIGTERM" 0 "$DAEMON_RC"
}

# Everything a start must carry over, against what was recorded.
check_state() {	# WHAT
	local t
	t=$(tiers_json)
	assert_eq "$1: normal passed" "$N_PASSED" "$(counter "$t" normal passed)"
	assert_eq "$1: normal reset" "$N_RESET" "$(counter "$t" normal reset)"
	assert_eq "$1: vip passed" "$V_PASSED" "$(counter "$t" vip passed)"
	assert_eq "$1: vip reset" "$V_RESET" "$(counter "$t" vip reset)"
	assert_ge "$1: normal unmetered (handshakes; later stragglers only add)" \
		"$N_UNMETERED" "$(counter "$t" normal unmetered)"
	assert_eq "$1: $A tokens" "$TOK_A" "$(tokens $A)"
	assert_eq "$1: $B tokens" "$TOK_B" "$(tokens $B)"
	assert_eq "$1: $V tokens" "$TOK_V" "$(tokens $V)"
	assert_eq "$1: sl_clients is the same map" "$CLIENTS_ID" "$(map_id sl_clients)"
	assert_eq "$1: sl_counters is the same map" "$COUNTERS_ID" "$(map_id sl_counters)"
	assert_eq "$1: the same pinned link" "$LINK_ID" "$(link_id)"
}

record_state() {
	local t
	t=$(tiers_json)
	N_PASSED=$(counter "$t" normal passed) N_RESET=$(counter "$t" normal reset)
	V_PASSED=$(counter "$t" vip passed) V_RESET=$(counter "$t" vip reset)
	N_UNMETERED=$(counter "$t" normal unmetered)
	TOK_A=$(tokens $A) TOK_B=$(tokens $B) TOK_V=$(tokens $V)
}

test_first() {
	subtest "the first build enforces and counts"
	SLUICED=$FIRST
	sluiced_up "$cfg" "build/sluiced starts on fresh pins"
	read -r got _ < <(http_burst $A 8 1)
	assert_eq "$A: 200s of 8 (burst 5)" 5 "$got"
	read -r got _ < <(http_burst $B 3 1)
	assert_eq "$B: 200s of 3" 3 "$got"
	read -r got _ < <(http_burst $V 25 1)
	assert_eq "$V: 200s of 25 (burst 20)" 20 "$got"
	record_state
	assert_eq "normal passed" 8 "$N_PASSED"
	assert_eq "normal reset" 3 "$N_RESET"
	assert_eq "vip passed" 20 "$V_PASSED"
	assert_eq "vip reset" 5 "$V_RESET"
	assert_eq "$A tokens" 0 "$TOK_A"
	assert_eq "$B tokens" 2 "$TOK_B"
	assert_eq "$V tokens" 0 "$TOK_V"
	CLIENTS_ID=$(map_id sl_clients) COUNTERS_ID=$(map_id sl_counters)
	GLOBAL_ID=$(map_id sl_global) LINK_ID=$(link_id)
	assert_eq "sl_global value size" 32 "$(value_size sl_global)"
	assert_fails "no sl_abi_next pinned yet" test -e "$pins/sl_abi_next"
	stop_term "build/sluiced"
	assert_ok "enforcement stays: an XDP program attached" test -n "$(xdp_prog_id)"
}

test_upgrade() {
	subtest "upgrade: build/abi-next/sluiced over the same pins"
	local prog mark t
	prog=$(xdp_prog_id)
	mark=$(log_mark)
	# What a start that died between pinning and renaming would leave.
	bpftool map create "$pins/sl_tiers~new" type array key 4 value 4 entries 1 name stale
	SLUICED=$NEXT
	sluiced_up "$cfg" "abi-next sluiced starts over the pins"
	assert_fails "a stale temporary pin is removed" test -e "$pins/sl_tiers~new"
	log=$(log_since "$mark")
	assert_ok "the log says it adopted" grep -q "adopted state, running" <<<"$log"
	assert_ok "its program replaced the old one in the link" \
		test "$(xdp_prog_id)" != "$prog"
	check_state "after the upgrade"
	t=$(tiers_json)
	assert_eq "the new reason is reported (a counter row slot it had spare)" 0 \
		"$(counter "$t" normal abi_next)"
	assert_ok "the new map is pinned" test -e "$pins/sl_abi_next"
	assert_ok "the log says the new map was created" \
		grep -q "no pinned sl_abi_next (state): created empty" <<<"$log"
	assert_eq "sl_global (config) was recreated: value size" 40 "$(value_size sl_global)"
	assert_ok "sl_global is a new map" test "$(map_id sl_global)" != "$GLOBAL_ID"
	assert_ok "the log says so" grep -q \
		"pinned map sl_global (switches, config) has value 32 B where this sluiced expects value 40 B" <<<"$log"
	assert_ok "the log says the pin was replaced" \
		grep -q "sl_global replaced by one of the new layout" <<<"$log"
	assert_fails "no temporary pin left" test -e "$pins/sl_global~new"

	read -r got _ < <(http_burst $B 5 1)
	assert_eq "$B gets what its bucket held: 200s of 5" "$TOK_B" "$got"
	read -r got _ < <(http_burst $C 8 1)
	assert_eq "fresh $C: 200s of 8 (burst 5)" 5 "$got"
	assert_ge "the new event counts in the adopted sl_evcount (slot $EV_NEXT)" 1 \
		"$(pinned_event "$LAB_GW_IF" abi_next)"
	record_state
	assert_eq "normal passed carried on and counts on" 15 "$N_PASSED"
	assert_eq "normal reset" 9 "$N_RESET"
	assert_eq "$B tokens" 0 "$TOK_B"
	GLOBAL_ID=$(map_id sl_global)
	stop_term "abi-next sluiced"
}

test_downgrade() {
	subtest "downgrade: build/sluiced over the abi-next pins"
	local mark
	mark=$(log_mark)
	SLUICED=$FIRST
	sluiced_up "$cfg" "build/sluiced starts over the newer pins"
	log=$(log_since "$mark")
	assert_ok "the log says it adopted" grep -q "adopted state, running" <<<"$log"
	check_state "after the downgrade"
	assert_eq "$C tokens" 0 "$(tokens $C)"
	assert_eq "sl_global recreated again: value size" 32 "$(value_size sl_global)"
	assert_ok "the newer build's map stays pinned for its return" test -e "$pins/sl_abi_next"
	assert_ok "the log says it is left alone" \
		grep -q "pin sl_abi_next is none of this sluiced's (a newer one's?): left as it is" <<<"$log"
	read -r got _ < <(http_burst $C 3 1)
	assert_eq "$C stays limited: 200s of 3" 0 "$got"
	record_state
	assert_eq "normal reset counts on" 12 "$N_RESET"
}

# The first word of the pinned sl_global, rewritten in place.
set_abi_version() {	# N
	local bytes
	bytes=$(bpftool -j map lookup pinned "$pins/sl_global" key 0 0 0 0 |
		jq -r '.value[4:] | join(" ")')
	# shellcheck disable=SC2046,SC2086 # one argument per byte
	bpftool map update pinned "$pins/sl_global" key 0 0 0 0 \
		value $(le32 "$1") $bytes
}

# A start that must fail: its exit status; what it printed in REF_LOG.
start_refused() {	# WHAT
	sluiced_refused "$cfg"
	assert_eq "$1: sluiced exits with 1" 1 "$REF_RC"
}

test_refuse_version() {
	subtest "refused: pins of a schema version this sluiced does not speak"
	local before prog
	stop_term "build/sluiced"
	set_abi_version 2
	before=$(pins_of "$LAB_GW_IF") prog=$(xdp_prog_id)
	start_refused "schema version 2"
	assert_ok "the documented message" grep -qF \
		"pinned state has schema version 2, this sluiced speaks 1: refusing to start, the pins are left as they are; go back to the sluiced that made them, or drop them with \`sluiced --detach -c FILE\` (per-client buckets and counters are lost) and start again" "$REF_LOG"
	assert_eq "the pins are the same" "$before" "$(pins_of "$LAB_GW_IF")"
	assert_eq "sl_clients is untouched" "$CLIENTS_ID" "$(map_id sl_clients)"
	assert_eq "the XDP program still enforces" "$prog" "$(xdp_prog_id)"
	set_abi_version 1
	sluiced_up "$cfg" "with the version put back, it starts"
	check_state "nothing was lost"
}

test_refuse_foreign() {
	subtest "refused: a foreign sl_clients in a fresh pin directory"
	local ids
	assert_ok "sluicectl detach" ctl detach
	wait_for 5 daemon_gone
	wait "$DAEMON_PID"
	DAEMON_PID=
	assert_fails "pins removed" test -e "$pins"
	mkdir -p "$pins"
	bpftool map create "$pins/sl_global" type array key 4 value 32 entries 1 name sl_global
	bpftool map create "$pins/sl_clients" type hash key 20 value 24 entries 1024 name sl_clients
	ids="$(map_id sl_global) $(map_id sl_clients)"
	start_refused "foreign sl_clients"
	assert_ok "the documented message names the map, the difference and what to do" grep -qF \
		"pinned map sl_clients holds per-client buckets and has type hash, value 24 B where this sluiced expects type lru_hash, value 32 B: its state cannot be carried over; refusing to start, the pins are left as they are; go back to the sluiced that made them, or drop them with \`sluiced --detach -c FILE\`" "$REF_LOG"
	assert_eq "nothing was pinned beside them" "sl_clients sl_global" "$(pins_of "$LAB_GW_IF")"
	assert_eq "they are the same maps" "$ids" "$(map_id sl_global) $(map_id sl_clients)"
	assert_eq "nothing attached" "" "$(xdp_prog_id)"
	rm -rf "$pins"
}

test_first
test_upgrade
test_downgrade
test_refuse_version
test_refuse_foreign
finish

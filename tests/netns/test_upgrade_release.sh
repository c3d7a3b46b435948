#!/bin/bash
# The upgrade operators run today: from the first release (commit
# 261febe, built here from git into $BUILD/release-261febe/ and reused
# from there) to build/sluiced, back to the first release, and forward
# again, all over the same pins.  The first release sized its counter
# maps by its enums (sl_stats, 65 tiers x 11 reasons; sl_events, 11
# events); build/sluiced moves their counts into sl_counters and
# sl_evcount and unpins them (README "Upgrades", user/kern/migrate.c).
# Asserted at every step: the same sl_clients map and the same pinned
# link, client buckets exact (the meters refill once an hour), every
# counter of every tier and reason exact, packets and bytes, and the
# migration's log lines with the real figures.  Readings are exact
# because nothing comes in between them: the gateway and the addresses
# sending here know each other's MAC for good (no ARP), and each reading
# waits until the counters have stood still for a second.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
RELEASE=261febe
REL=$BUILD/release-$RELEASE/build
CUR=$BUILD
netns_init git make tar

cfg=$T_DIR/sluice.yaml
{
	cfg_header enforce
	cfg_tier normal "$ANY" '{unit: requests, rate: 1/h, burst: 5, action: http}'
	cfg_tier vip 198.18.10.0/24 '{unit: requests, rate: 1/h, burst: 20, action: reset}'
} >"$cfg"
pins=/sys/fs/bpf/sluice/$LAB_GW_IF
# normal: A spent, B partly, C, D and E fresh at their step; vip: V spent, W partly.
A=198.18.1.11 B=198.18.1.12 C=198.18.1.13 D=198.18.1.14 E=198.18.1.15
V=198.18.10.11 W=198.18.10.12
declare -A TOK

# ---- the first release's binaries --------------------------------------------

# Built once, in a temporary tree that becomes $REL's parent by one
# rename: an interrupted build or two runs at once never leave half a
# tree to be reused.  MAKEFLAGS from a calling make (BUILD=...) stays out.
release_build() {
	local top=${REL%/build} tmp log=$T_DIR/release-build.log t0
	if [[ -x $REL/sluiced && -x $REL/sluicectl ]]; then
		echo "built before, reused"
		return 0
	fi
	if ! git -C "$NETNS_TOP" cat-file -e "$RELEASE^{commit}" 2>/dev/null; then
		echo "the first release's commit $RELEASE is not in the repository at $NETNS_TOP (a shallow clone?): fetch the whole history (git fetch --unshallow) and run again"
		return 1
	fi
	tmp=$(mktemp -d "$top.tmp.XXXXXX") || return 1
	t0=$(now_ms)
	if ! git -C "$NETNS_TOP" archive "$RELEASE" | tar -x -C "$tmp" ||
	   ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$tmp" -j2 BUILD=build \
		build/sluiced build/sluicectl >"$log" 2>&1; then
		echo "building $RELEASE in $tmp failed: $(tail -5 "$log" | tr '\n' ' ')"
		rm -rf "$tmp"
		return 1
	fi
	# Another run may have got there first: then its tree is used.
	mv -T "$tmp" "$top" 2>/dev/null || rm -rf "$tmp"
	if [[ -x $REL/sluiced && -x $REL/sluicectl ]]; then
		echo "built in $(elapsed_since "$t0") ms"
	else
		echo "$top exists without build/sluiced and build/sluicectl: remove it"
		return 1
	fi
}

# ---- readings ----------------------------------------------------------------

# Every tier's every counter, packets and bytes, by tier id.
counters() {
	tiers_json | jq -cS '{tiers: ([.tiers[] | {id, name, counters}] | sort_by(.id))}'
}
tokens() { client_json "$1" | jq -r '.meters[0].tokens // empty'; }
map_id() { bpftool -j map show pinned "$pins/$1" 2>/dev/null | jq -r '.id // empty'; }
entries() { bpftool -j map show pinned "$pins/$1" 2>/dev/null | jq -r '.max_entries // empty'; }
link_id() { bpftool -j link show pinned "$pins/link" 2>/dev/null | jq -r '.id // empty'; }
status_link() { status_json | jq -r '.interfaces[0].link_id'; }

# A pinned per-CPU array read row by row, summed over CPUs: packets for
# the counter maps, the count for the event maps.
rows() {	# MAP
	bpftool -j map dump pinned "$pins/$1" | jq -c 'sort_by(.formatted.key) |
		[.[].formatted.values | map(.value | .packets? // .) | add]'
}
total() { jq 'add' <<<"$1"; }	# ROWS
packets() { jq '[.tiers[].counters[].packets] | add' <<<"$1"; }	# COUNTERS

# A's counters plus B's, tier by tier and reason by reason (strict: a
# tier or reason missing from B is an error, not a 0; but the reasons
# added after the first release count 0 in a B of the first release).
counters_sum() {	# A B
	jq -cnS --argjson a "$1" --argjson b "$2" '{tiers: [$a.tiers[] | . as $t |
		([$b.tiers[] | select(.id == $t.id)][0] // error("no tier \($t.id)")) as $u |
		.counters |= with_entries(.key as $r |
			($u.counters[$r] // (if ($r == "http" or $r == "shadow_http" or $r == "edge_conn" or $r == "breaker" or $r == "shed")
				then {packets: 0, bytes: 0}
				else error("no reason \($r)") end)) as $v |
			.value.packets += $v.packets | .value.bytes += $v.bytes)]}'
}

# Equal JSON: a pass says how many numbers agree, a failure where they differ.
assert_same() {	# WHAT WANT GOT
	local diff
	if [[ $2 == "$3" ]]; then
		t_pass "$1: all $(jq '[.. | numbers] | length' <<<"$3") numbers"
		return
	fi
	diff=$(jq -rn --argjson a "$2" --argjson b "${3:-null}" '
		[($a, $b) | paths(numbers)] | unique[] as $p |
		select(($a | getpath($p)) != ($b | getpath($p))) |
		"\($p | map(tostring) | join(".")) \($a | getpath($p)) -> \($b | getpath($p))"' 2>&1 |
		head -6 | paste -sd';')
	t_fail "$1: expected -> got: ${diff:-${3:-nothing}}"
}

rows_sum() { jq -cn --argjson a "$1" --argjson b "$2" '[range($a | length) | $a[.] + $b[.]]'; }

# The counters have not changed for MS ms (polled by wait_for).
# shellcheck disable=SC2317  # called through wait_for
still_for() {	# MS
	local now
	now=$(counters) || return 1
	if [[ $now != "${STILL_SEEN:-}" ]]; then
		STILL_SEEN=$now STILL_T0=$(now_ms)
		return 1
	fi
	elapsed_ge "$STILL_T0" "$1"
}

settled() {	# WHAT: the counters, once nothing has come in for a second
	STILL_SEEN=
	if wait_for 15 still_for 1000; then
		SETTLED=$STILL_SEEN
	else
		t_fail "$1: the counters kept changing for 15 s"
		SETTLED=$(counters)
	fi
}

# ---- steps -------------------------------------------------------------------

# sluiced of DIR over the pins, and DIR's sluicectl from now on; SLUICED
# is build/sluiced again at once, so what detaches leftovers at the end
# is the current build.  Sets MARK (the log before the start).
# shellcheck disable=SC2034  # SLUICED and SLUICECTL are lib.sh's
start_of() {	# DIR WHAT
	MARK=$(log_mark)
	SLUICECTL=$1/sluicectl SLUICED=$1/sluiced
	if daemon_start "$cfg"; then
		SLUICED=$CUR/sluiced
		t_pass "$2"
		return 0
	fi
	SLUICED=$CUR/sluiced
	t_fail "$2"
	finish
}

stop_term() {	# WHAT: SIGTERM, which leaves enforcement and the pins
	local prog
	prog=$(xdp_prog_id)
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	assert_eq "$1: exit status on SIGTERM" 0 $?
	DAEMON_PID=
	assert_eq "$1: enforcement stays, the same XDP program" "$prog" "$(xdp_prog_id)"
	assert_eq "$1: the link stays pinned" "$LINK_ID" "$(link_id)"
	assert_eq "$1: sl_clients stays pinned" "$CLIENTS_ID" "$(map_id sl_clients)"
}

burst_is() {	# SRC N WANT: N requests at once, WANT of them answered 200
	local got
	read -r got _ < <(http_burst "$1" "$2" 1)
	assert_eq "$1: 200s of $2" "$3" "$got"
}

tokens_are() {	# WHAT ADDR=TOKENS...: sluicectl client, exactly
	local what=$1 kv
	shift
	for kv in "$@"; do
		assert_eq "$what: ${kv%=*} tokens" "${kv#*=}" "$(tokens "${kv%=*}")"
	done
}

# Since the last start: the first log line with TEXT, and the count of
# warnings and errors.
logged() { log_since "$MARK" | grep -F -- "$1" | head -1; }	# TEXT
warnings() { log_since "$MARK" | grep -c '^<[0-4]>'; }

# The two lines of a start that moved the first release's counters.
migrated() {	# WHAT PACKETS EVENTS
	assert_eq "$1: log: sl_stats moved ($2 packets)" \
		"<6>$LAB_GW_IF: the first release's sl_stats moved into sl_counters ($2 packets in 715 rows) and unpinned" \
		"$(logged "sl_stats moved")"
	assert_eq "$1: log: sl_events moved ($3 events)" \
		"<6>$LAB_GW_IF: the first release's sl_events moved into sl_evcount ($3 events in 11 rows) and unpinned" \
		"$(logged "sl_events moved")"
	assert_fails "$1: sl_stats is unpinned" test -e "$pins/sl_stats"
	assert_fails "$1: sl_events is unpinned" test -e "$pins/sl_events"
}

test_build() {
	subtest "the first release ($RELEASE), built from git"
	local out
	if out=$(release_build); then
		t_pass "$REL/sluiced and sluicectl: $out"
	else
		t_fail "$out"
		finish
	fi
}

test_first() {
	subtest "the first release enforces and counts"
	local st a
	start_of "$REL" "the first release's sluiced starts on fresh pins"
	burst_is $A 8 5
	burst_is $B 3 3
	burst_is $V 25 20
	burst_is $W 12 12
	settled "the first release"
	OLD=$SETTLED
	assert_eq "normal passed" 8 "$(count_of "$OLD" normal passed)"
	assert_eq "normal reset" 3 "$(count_of "$OLD" normal reset)"
	assert_eq "vip passed" 32 "$(count_of "$OLD" vip passed)"
	assert_eq "vip reset" 5 "$(count_of "$OLD" vip reset)"
	assert_eq "normal dropped" 0 "$(count_of "$OLD" normal dropped)"
	tokens_are "the first release" $A=0 $B=2 $V=0 $W=8
	for a in $A $B $V $W; do TOK[$a]=$(tokens "$a"); done
	st=$(status_json)
	LINK_ID=$(link_id) CLIENTS_ID=$(map_id sl_clients)
	assert_eq "status: the pinned link" "$LINK_ID" "$(jq -r '.interfaces[0].link_id' <<<"$st")"
	assert_eq "status: the XDP program" "$(xdp_prog_id)" "$(jq -r '.interfaces[0].prog_id' <<<"$st")"
	assert_eq "sl_stats: 65 tiers x 11 reasons" 715 "$(entries sl_stats)"
	assert_eq "sl_events: 11 events" 11 "$(entries sl_events)"
	assert_fails "no sl_counters yet" test -e "$pins/sl_counters"
	stop_term "the first release"
	OLD_ROWS=$(rows sl_stats) OLD_EV=$(rows sl_events)
	assert_eq "sl_stats holds what its sluicectl showed" "$(packets "$OLD")" "$(total "$OLD_ROWS")"
}

test_upgrade() {
	subtest "upgrade: build/sluiced over the first release's pins"
	local prog new ev
	prog=$(xdp_prog_id)
	start_of "$CUR" "build/sluiced starts over the first release's pins"
	assert_ok "its program replaced the first release's in the link" \
		test "$(xdp_prog_id)" != "$prog"
	assert_eq "log: adopted" \
		"<6>$LAB_GW_IF: adopted state, running XDP program $(xdp_prog_id) (native, link $LINK_ID)" \
		"$(logged "adopted state")"
	assert_eq "the same pinned link" "$LINK_ID" "$(link_id)"
	assert_eq "status: the same link" "$LINK_ID" "$(status_link)"
	assert_eq "sl_clients is the same map" "$CLIENTS_ID" "$(map_id sl_clients)"
	assert_eq "log: sl_counters created" \
		"<6>$LAB_GW_IF: no pinned sl_counters (counters): created empty" \
		"$(logged "no pinned sl_counters")"
	assert_eq "log: sl_evcount created" \
		"<6>$LAB_GW_IF: no pinned sl_evcount (event counters): created empty" \
		"$(logged "no pinned sl_evcount")"
	assert_eq "log: no warning or error" 0 "$(warnings)"
	migrated "upgrade" "$(total "$OLD_ROWS")" "$(total "$OLD_EV")"
	assert_ok "sl_counters is pinned" test -e "$pins/sl_counters"
	assert_ok "sl_evcount is pinned" test -e "$pins/sl_evcount"
	assert_same "every counter of every tier and reason, as the first release showed" \
		"$OLD" "$(jq -cS --argjson o "$OLD" '{tiers: [.tiers[] | .id as $i |
			($o.tiers[] | select(.id == $i) | .counters | keys) as $k |
			.counters |= with_entries(select(.key as $r | $k | index($r)))]}' <<<"$(counters)")"
	# Reasons added since (http, shadow_http, edge_conn, breaker, shed) start from zero.
	assert_eq "reasons the first release did not have: all zero" 0 \
		"$(jq --argjson o "$OLD" '[.tiers[] | .id as $i |
			($o.tiers[] | select(.id == $i) | .counters | keys) as $k |
			.counters | to_entries[] | select(.key as $r | $k | index($r) | not) |
			.value.packets + .value.bytes] | add // 0' <<<"$(counters)")"
	assert_eq "sl_counters holds them all" "$(total "$OLD_ROWS")" "$(total "$(rows sl_counters)")"
	ev=$(rows sl_evcount)
	assert_same "sl_evcount: the first release's events, row by row" "$OLD_EV" "$(jq -c '.[:11]' <<<"$ev")"
	assert_eq "sl_evcount: nothing in the rows beyond" 0 "$(jq '.[11:] | add' <<<"$ev")"
	tokens_are "after the upgrade" $A="${TOK[$A]}" $B="${TOK[$B]}" $V="${TOK[$V]}" $W="${TOK[$W]}"

	burst_is $A 3 0
	burst_is $B 3 2
	burst_is $C 8 5
	burst_is $W 4 4
	settled "build/sluiced"
	new=$SETTLED
	assert_eq "normal passed counts on from the first release's" 15 "$(count_of "$new" normal passed)"
	# The first release answered the http limit with a RST (reset);
	# this build answers with a 429 (http): the refusals add up.
	assert_eq "normal refused (reset, then http) counts on" 10 \
		$(($(count_of "$new" normal reset) + $(count_of "$new" normal http)))
	assert_eq "normal: this build's refusals are edge answers" 7 "$(count_of "$new" normal http)"
	assert_eq "vip passed counts on" 36 "$(count_of "$new" vip passed)"
	assert_eq "vip reset" 5 "$(count_of "$new" vip reset)"
	tokens_are "build/sluiced" $A=0 $B=0 $C=0 $W=4
	COUNTERS_ID=$(map_id sl_counters) EVCOUNT_ID=$(map_id sl_evcount)
	stop_term "build/sluiced"
	NEW=$new NEW_ROWS=$(rows sl_counters) NEW_EV=$(rows sl_evcount)
	assert_eq "sl_counters holds what sluicectl showed" "$(packets "$NEW")" "$(total "$NEW_ROWS")"
}

test_downgrade() {
	subtest "downgrade: the first release over build/sluiced's pins"
	local down prog
	prog=$(xdp_prog_id)
	start_of "$REL" "the first release's sluiced starts over build/sluiced's pins"
	assert_ok "its program replaced build/sluiced's in the link" \
		test "$(xdp_prog_id)" != "$prog"
	assert_eq "log: adopted" \
		"<6>$LAB_GW_IF: adopted state, running XDP program $(xdp_prog_id) (native, link $LINK_ID)" \
		"$(logged "adopted state")"
	assert_eq "log: a new sl_stats" \
		"<4>$LAB_GW_IF: pinned map sl_stats is missing: created empty" \
		"$(logged "pinned map sl_stats")"
	assert_eq "log: a new sl_events" \
		"<4>$LAB_GW_IF: pinned map sl_events is missing: created empty" \
		"$(logged "pinned map sl_events")"
	assert_eq "log: no other warning or error" 2 "$(warnings)"
	assert_eq "the same pinned link" "$LINK_ID" "$(link_id)"
	assert_eq "status: the same link" "$LINK_ID" "$(status_link)"
	assert_eq "sl_clients is the same map" "$CLIENTS_ID" "$(map_id sl_clients)"
	tokens_are "after the downgrade: buckets carry on" $A=0 $B=0 $C=0 $W=4
	settled "the first release again"
	assert_eq "its counters start from zero in a new sl_stats" 0 "$(packets "$SETTLED")"
	assert_eq "sl_stats: 715 rows" 715 "$(entries sl_stats)"
	assert_eq "sl_counters stays pinned for the next upgrade, the same map" \
		"$COUNTERS_ID" "$(map_id sl_counters)"
	assert_eq "sl_evcount stays pinned, the same map" "$EVCOUNT_ID" "$(map_id sl_evcount)"
	assert_same "sl_counters is left as it was" "$NEW_ROWS" "$(rows sl_counters)"

	burst_is $W 6 4
	burst_is $A 2 0
	burst_is $D 3 3
	settled "the first release again"
	down=$SETTLED
	assert_eq "normal passed" 3 "$(count_of "$down" normal passed)"
	assert_eq "normal reset" 2 "$(count_of "$down" normal reset)"
	assert_eq "vip passed" 4 "$(count_of "$down" vip passed)"
	assert_eq "vip reset" 2 "$(count_of "$down" vip reset)"
	tokens_are "the first release again" $W=0 $D=2
	stop_term "the first release again"
	DOWN=$down DOWN_ROWS=$(rows sl_stats) DOWN_EV=$(rows sl_events)
	assert_eq "sl_stats holds what its sluicectl showed" "$(packets "$DOWN")" "$(total "$DOWN_ROWS")"
}

test_upgrade_again() {
	subtest "upgrade again: the downgrade's counters are added in"
	local after
	start_of "$CUR" "build/sluiced starts over the pins again"
	assert_eq "the same pinned link" "$LINK_ID" "$(link_id)"
	assert_eq "sl_clients is the same map" "$CLIENTS_ID" "$(map_id sl_clients)"
	assert_eq "sl_counters is adopted, the same map" "$COUNTERS_ID" "$(map_id sl_counters)"
	assert_eq "sl_evcount is adopted, the same map" "$EVCOUNT_ID" "$(map_id sl_evcount)"
	assert_eq "log: adopted" \
		"<6>$LAB_GW_IF: adopted state, running XDP program $(xdp_prog_id) (native, link $LINK_ID)" \
		"$(logged "adopted state")"
	assert_eq "log: no warning or error (nothing created)" 0 "$(warnings)"
	assert_eq "log: nothing created empty" 0 "$(log_since "$MARK" | grep -c 'created empty')"
	migrated "upgrade again" "$(total "$DOWN_ROWS")" "$(total "$DOWN_EV")"
	assert_same "every counter: build/sluiced's plus the downgrade's" \
		"$(counters_sum "$NEW" "$DOWN")" "$(counters)"
	assert_same "sl_evcount: its events plus the downgrade's, row by row" \
		"$(rows_sum "$NEW_EV" "$(jq -c '. + [range(64 - length) | 0]' <<<"$DOWN_EV")")" \
		"$(rows sl_evcount)"
	tokens_are "after the second upgrade" $A=0 $D=2 $W=0

	burst_is $D 4 2
	burst_is $E 7 5
	after=$(counters)
	assert_eq "normal passed counts on" 25 "$(count_of "$after" normal passed)"
	assert_eq "normal refused (reset, then http) counts on" 16 \
		$(($(count_of "$after" normal reset) + $(count_of "$after" normal http)))
	assert_eq "vip passed" 40 "$(count_of "$after" vip passed)"
	assert_eq "vip reset" 7 "$(count_of "$after" vip reset)"
	tokens_are "build/sluiced again" $D=0 $E=0
}

# No ARP can come in between two readings: the gateway and every
# address that sends here know each other's MAC for good.
neigh_static() {	# ADDR...
	local a h gw mac
	gw=$(on gw ip -j link show "$LAB_GW_IF" | jq -r '.[0].address')
	for a in "$@"; do
		h=$(host_of "$a") &&
		mac=$(on "$h" ip -j link show eth0 | jq -r '.[0].address') &&
		on gw ip neigh replace "$a" dev "$LAB_GW_IF" lladdr "$mac" nud permanent &&
		on "$h" ip neigh replace "$LAB_GW4" dev eth0 lladdr "$gw" nud permanent ||
			return 1
	done
}

test_build
lab_up
neigh_static $A $B $C $D $E $V $W || t_fail "static neighbours on the gateway and the clients"
test_first
test_upgrade
test_downgrade
test_upgrade_again
finish

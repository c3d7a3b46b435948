#!/bin/bash
# sluiced's mechanics: the lab's gateway and one of its clients, a
# second gateway interface for add/remove, UDP from the client.  Covers
# -t, start and pins, status/tiers/client over the socket, mode, each
# reload path on its own (SIGHUP and sluicectl reload on a config the
# file watcher cannot see, the watcher on a file replaced by rename; sl_tiers
# checked with bpftool), a broken reload, interfaces added and removed
# by a reload, kill -9 and SIGTERM with enforcement left on and the
# pins adopted by the next start, and --detach (offline and through
# the daemon).  Traffic semantics belong to the other tests/netns suites.
. "$(dirname "$0")/lib.sh"
netns_init
lab_up

IF2=tgB$$			# a second interface, for add/remove
# shellcheck disable=SC2034  # read by lib.sh (leak checks, cleanup)
T_IFACES=("$IF2")
CL4=198.18.1.10			# normal's primary address: the udp tier's client
PINS=/sys/fs/bpf/sluice/$LAB_GW_IF
CFG=$T_DIR/sluice.yaml

ip link add "$IF2" netns "$(lab_ns gw)" type veth peer name p-if2 netns "$(lab_ns sw)" &&
	on gw ip link set "$IF2" up && on sw ip link set p-if2 up ||
	{ t_fail "creating the second gateway interface $IF2"; finish; }

# ---- the daemon --------------------------------------------------------------

write_cfg() {	# BURST [RATE] [IFACES]: the udp tier meters our client
	cat <<EOT
interfaces: [${3:-$LAB_GW_IF}]
control_socket: $SOCK
metrics: {listen: off}
client_table_size: 4096
log_level: debug
tiers:
  - name: normal
    match: [0.0.0.0/0, "::/0"]
    limits:
      - {unit: packets, rate: 100/s, burst: 100}
  - name: udp
    match: [198.18.1.0/24]
    limits:
      - {unit: packets, rate: ${2:-1/s}, burst: $1}
EOT
}

# Replace the file in one step, as an editor or config manager would.
install_cfg() { write_cfg "$@" >"$CFG.new" && mv "$CFG.new" "$CFG"; }

dctl() { ctl -j "$@" | jq -c '.data // .'; return "${PIPESTATUS[0]}"; }	# CMD [ARG]
up() { ctl status >/dev/null 2>&1; }
dstart() { sluiced_up "$1" "${2:-sluiced starts and answers on its socket}"; }	# CFG [WHAT]

xdp_id() {	# IFNAME: id of the XDP program on it, or nothing
	on gw ip -j -d link show "$1" |
		jq -r '.[0].xdp.prog.id // .[0].xdp.progs[0].id // empty'
}

global_field() { bpftool -j map dump pinned "$PINS/sl_global" | jq ".[0].formatted.value.$1"; }

# The udp tier's burst as sl_tiers holds it, in the live half.
live_burst() {
	local gen id
	gen=$(global_field tier_gen)
	id=$(dctl tiers | jq '.tiers[] | select(.name == "udp") | .id')
	bpftool -j map dump pinned "$PINS/sl_tiers" |
		jq --argjson s $((gen * 64 + id)) '.[] | select(.formatted.key == $s) | .formatted.value.meters[0].burst'
}
burst_is() { [[ $(live_burst) == "$1" ]]; }

udp_send() {	# N: N datagrams from the client to the gateway, back to back
	on normal python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[2], 0))
for _ in range(int(sys.argv[1])):
    s.sendto(b"sluice", (sys.argv[3], 9))' "$1" "$CL4" "$LAB_GW4"
}

udp_count() { count_of "$(tiers_json)" udp "$1"; }	# REASON: packets of the udp tier
tier_ids() { dctl tiers | jq -c '[.tiers[] | {(.name): .id}] | add'; }

# ---- the tests ---------------------------------------------------------------

test_config_test() {
	local out rc=0
	subtest "sluiced -t"
	write_cfg 5 >"$CFG"
	out=$("$SLUICED" -t -c "$CFG" 2>&1) || rc=$?
	assert_eq "-t on a valid file: exit status" 0 "$rc"
	assert_eq "-t on a valid file: output" "$CFG: ok" "$out"
	write_cfg fast >"$T_DIR/bad.yaml"
	rc=0
	out=$("$SLUICED" -t -c "$T_DIR/bad.yaml" 2>&1) || rc=$?
	assert_eq "-t on a broken file: exit status" 1 "$rc"
	assert_eq "-t names file, line, column and key" \
		"$T_DIR/bad.yaml:$(yaml_at "$T_DIR/bad.yaml" "fast"): tiers[1].limits[0].burst: expected a burst (1..4294967295), got 'fast'" \
		"$out"
	assert_fails "-t touched nothing: no pins" test -e "$PINS"
	assert_ok "--help lists --detach" bash -c "'$SLUICED' --help | grep -q -- --detach"
}

test_start() {
	local st p
	write_cfg 5 >"$CFG"
	dstart "$CFG"
	st=$(dctl status)
	assert_eq "status: interface" "$LAB_GW_IF" "$(jq -r '.interfaces[0].name' <<<"$st")"
	assert_eq "status: attach mode (veth has native XDP)" native "$(jq -r '.interfaces[0].attach' <<<"$st")"
	assert_eq "status: the program on the interface is the one reported" \
		"$(jq -r '.interfaces[0].prog_id' <<<"$st")" "$(xdp_id "$LAB_GW_IF")"
	assert_eq "status: mode" enforce "$(jq -r .mode <<<"$st")"
	assert_eq "status: pid" "$DAEMON_PID" "$(jq -r .pid <<<"$st")"
	assert_eq "status: client table size" 4096 "$(jq -r .client_table.size <<<"$st")"
	assert_eq "status: config hash" "$(cfg_hash "$CFG")" "$(jq -r .config.hash <<<"$st")"
	for p in sl_global sl_tiers sl_pfx_v4 sl_pfx_v6 sl_clients sl_flood sl_counters \
		 sl_evcount sl_tier_names link; do
		assert_ok "pinned: $PINS/$p" test -e "$PINS/$p"
	done
	assert_eq "control socket mode" 600 "$(stat -c %a "$SOCK")"
	assert_eq "sl_global.abi_version" 1 "$(global_field abi_version)"
}

rates_seen() {	# the udp tier's passed rate was sampled above 0
	dctl tiers | jq -e '.tiers[] | select(.name == "udp") | .rates.passed.pps > 0' >/dev/null
}

test_counters() {
	local t0 el passed c
	write_cfg 5 >"$CFG"
	dstart "$CFG"
	subtest "counters and client state over the socket"
	t0=$(now_ms)
	udp_send 20
	el=$(elapsed_since "$t0")
	passed=$(udp_count passed)
	assert_range "udp tier (1/s, burst 5): passed of 20 sent at once (${el} ms)" 5 \
		"$(gcra_max 5 1 "$el")" "$passed"
	assert_eq "udp tier: dropped, the rest" $((20 - passed)) "$(udp_count dropped)"
	c=$(dctl client "$CL4")
	assert_eq "client $CL4: tier" udp "$(jq -r .tier <<<"$c")"
	assert_eq "client $CL4: key" "$CL4/32" "$(jq -r .key <<<"$c")"
	assert_eq "client $CL4: known" true "$(jq -r .known <<<"$c")"
	assert_le "client $CL4: tokens left" "$(gcra_max 0 1 "$(elapsed_since "$t0")")" \
		"$(jq -r '.meters[0].tokens' <<<"$c")"
	assert_wait "tiers: the udp tier's passed rate sampled (pps > 0)" 3 rates_seen
	assert_eq "client 198.18.2.10 (not in the udp prefix): tier" normal \
		"$(dctl client 198.18.2.10 | jq -r .tier)"
}

mode_is() { [[ $(global_field mode) == "$1" ]]; }

test_mode() {
	local mark
	cfg_unwatched
	write_cfg 5 >"$CFG_REAL"
	dstart "$CFG_LINK"
	subtest "mode: live switch, the config's mode returns on reload"
	assert_eq "mode shadow" shadow "$(dctl mode shadow | jq -r .mode)"
	assert_eq "status after mode shadow" shadow "$(dctl status | jq -r .mode)"
	assert_eq "sl_global.mode" 1 "$(global_field mode)"
	mark=$(log_mark)
	kill -HUP "$DAEMON_PID"
	assert_wait "sl_global.mode back to 0 after SIGHUP" 5 mode_is 0
	assert_eq "after SIGHUP the config's mode (enforce)" enforce "$(dctl status | jq -r .mode)"
	assert_wait "log: SIGHUP's reload" 3 log_has_re "$mark" 'SIGHUP: '
}

# Traffic, then a reload by HOW (SIGHUP, watcher, sluicectl) to burst
# WANT: applied through that path alone, tier ids and counters kept.
reload_check() {	# HOW WANT
	local how=$1 want=$2 ids0 counts0 mark out
	if [[ $how == watcher ]]; then
		write_cfg 5 >"$CFG"
		dstart "$CFG"
	else
		cfg_unwatched
		write_cfg 5 >"$CFG_REAL"
		dstart "$CFG_LINK"
	fi
	udp_send 20
	ids0=$(tier_ids)
	counts0="$(udp_count passed) $(udp_count dropped)"
	mark=$(log_mark)
	case $how in
	SIGHUP)
		write_cfg "$want" >"$CFG_REAL"	# in place: the watcher cannot see it
		kill -HUP "$DAEMON_PID"
		assert_wait "SIGHUP: sl_tiers (live half) holds the new burst $want" 5 burst_is "$want"
		assert_wait "log: the change applied by SIGHUP" 3 \
			log_has "$mark" "SIGHUP: tier udp changed"
		no_watcher_reload "$mark"
		;;
	watcher)
		install_cfg "$want"
		assert_wait "file replaced by rename (inotify): new burst $want" 5 burst_is "$want"
		assert_wait "log: the change applied by the file watcher" 3 \
			log_has "$mark" "file changed: tier udp changed"
		;;
	sluicectl)
		write_cfg "$want" >"$CFG_REAL"	# in place: the watcher cannot see it
		assert_eq "before sluicectl reload: the old burst" 5 "$(live_burst)"
		out=$(dctl reload)
		assert_eq "sluicectl reload: exit status" 0 $?
		assert_eq "sluicectl reload: changed" true "$(jq -r .changed <<<"$out")"
		assert_eq "sluicectl reload: new burst" "$want" "$(live_burst)"
		no_watcher_reload "$mark"
		;;
	esac
	assert_eq "tier ids unchanged by the reload" "$ids0" "$(tier_ids)"
	assert_eq "udp tier's counters (passed dropped) kept by the reload" "$counts0" \
		"$(udp_count passed) $(udp_count dropped)"
}

test_reload_sighup() { reload_check SIGHUP 7; }
test_reload_watcher() { reload_check watcher 9; }
test_reload_sluicectl() { reload_check sluicectl 11; }

refused_with() { log_has "$3" "reload ($1) refused: $2"; }	# WHY MSG MARK

test_broken() {
	local mark out rc=0 msg
	install_cfg 11
	dstart "$CFG"
	subtest "a broken config changes nothing"
	mark=$(log_mark)
	install_cfg 13 "fast"
	msg="$CFG:$(yaml_at "$CFG" "fast"): tiers[1].limits[0].rate: expected a positive rate like 10 (per second), 10/s, 600/m, 3600/h or 0.5/s, got 'fast'"
	assert_wait "log: the file watcher's reload refused, with the whole message" 5 \
		refused_with "file changed" "$msg" "$mark"
	out=$(dctl reload 2>&1) || rc=$?
	assert_eq "sluicectl reload refused it: exit status" 1 "$rc"
	assert_eq "sluicectl reload: the whole message" "reload: $msg" "$(jq -r .error <<<"$out")"
	kill -HUP "$DAEMON_PID"
	assert_wait "log: SIGHUP's reload refused, with the whole message" 5 \
		refused_with SIGHUP "$msg" "$mark"
	assert_ok "sluiced still running" kill -0 "$DAEMON_PID"
	assert_eq "sl_tiers still holds the old burst" 11 "$(live_burst)"
	assert_ok "status answers" up
}

test_ifaces() {
	write_cfg 11 >"$CFG"
	dstart "$CFG"
	subtest "interfaces added and removed by a reload"
	install_cfg 11 "" "$LAB_GW_IF, $IF2"
	assert_wait "$IF2 attached and pinned" 5 test -e "/sys/fs/bpf/sluice/$IF2/link"
	assert_eq "status lists both" "$LAB_GW_IF $IF2" "$(dctl status | jq -r '[.interfaces[].name] | join(" ")')"
	assert_ok "$IF2 has an XDP program" test -n "$(xdp_id "$IF2")"
	install_cfg 11
	assert_wait "$IF2's pins are gone" 5 test ! -e "/sys/fs/bpf/sluice/$IF2"
	assert_eq "$IF2 has no XDP program" "" "$(xdp_id "$IF2")"
	assert_eq "status lists one" "$LAB_GW_IF" "$(dctl status | jq -r '[.interfaces[].name] | join(" ")')"
	assert_eq "$LAB_GW_IF still has its burst" 11 "$(live_burst)"
}

test_kill9() {
	local prog clients passed got sent
	write_cfg 5 >"$CFG"
	dstart "$CFG"
	udp_send 20
	sent=$(now_ms)
	subtest "kill -9: enforcement stays, the restart adopts the pins"
	prog=$(xdp_id "$LAB_GW_IF")
	clients=$(bpftool -j map show pinned "$PINS/sl_clients" | jq .id)
	passed=$(udp_count passed)
	daemon_kill9
	assert_eq "XDP program still attached" "$prog" "$(xdp_id "$LAB_GW_IF")"
	wait_elapsed "$sent" 1000	# a token back for the traffic while down
	udp_send 20
	dstart "$CFG" "sluiced restarts over the pins"
	assert_eq "sl_clients is the same map (id)" "$clients" \
		"$(bpftool -j map show pinned "$PINS/sl_clients" | jq .id)"
	got=$(udp_count passed)
	assert_ge "passed counter carried on (was $passed, traffic while down)" $((passed + 1)) "$got"
	assert_eq "client $CL4 still known" true "$(dctl client "$CL4" | jq -r .known)"
	assert_ok "the log says it adopted" grep -q "adopted state" "$DAEMON_LOG"
	assert_eq "the pinned link is the one in use" \
		"$(bpftool -j link show pinned "$PINS/link" | jq .id)" \
		"$(dctl status | jq '.interfaces[0].link_id')"
}

test_sigterm() {
	local rc=0
	write_cfg 5 >"$CFG"
	dstart "$CFG"
	subtest "SIGTERM: clean exit, enforcement stays; --detach without a daemon"
	kill -TERM "$DAEMON_PID"
	assert_wait "sluiced exits on SIGTERM" 5 daemon_gone
	wait "$DAEMON_PID" || rc=$?
	assert_eq "exit status after SIGTERM" 0 "$rc"
	DAEMON_PID=
	assert_ok "XDP program still attached" test -n "$(xdp_id "$LAB_GW_IF")"
	assert_ok "pins remain" test -e "$PINS/link"
	assert_fails "socket removed" test -e "$SOCK"
	assert_exit "sluicectl status with the daemon stopped: exit 3 (not running)" 3 ctl status
	assert_ok "sluiced --detach (no daemon running)" on gw "$SLUICED" --detach -c "$CFG"
	assert_fails "pins removed" test -e "$PINS"
	assert_eq "XDP program removed" "" "$(xdp_id "$LAB_GW_IF")"
}

test_detach() {
	local rc=0
	write_cfg 5 >"$CFG"
	dstart "$CFG" "sluiced starts afresh"
	subtest "--detach through the running daemon"
	assert_eq "fresh counters" 0 "$(udp_count passed)"
	assert_ok "sluiced --detach" on gw "$SLUICED" --detach -c "$CFG"
	assert_wait "the daemon exits" 5 daemon_gone
	wait "$DAEMON_PID" || rc=$?
	assert_eq "its exit status" 0 "$rc"
	DAEMON_PID=
	assert_fails "pins removed" test -e "$PINS"
	assert_eq "XDP program removed" "" "$(xdp_id "$LAB_GW_IF")"
	assert_fails "socket removed" test -e "$SOCK"
}

run_tests config_test start counters mode reload_sighup reload_watcher \
	reload_sluicectl broken ifaces kill9 sigterm detach
finish

#!/bin/bash
# shellcheck disable=SC2317 # test_* functions are called by run_tests
# Each refusal to start, end to end: the pin directory locked by another
# sluiced, the control socket answered by another daemon, a foreign XDP
# program on the interface (left attached and untouched), a missing
# interface, an invalid config, a control_socket path that is not a
# socket.  Each: exit status 1, the exact message, nothing left behind
# (no pins, no program of sluiced's attached, no socket, also on an
# interface a partial start had already set up), and the daemon that was
# there first still enforcing.
. "$(dirname "$0")/lib.sh"
netns_init python3
lab_up

IDLE=tid$$			# a second gateway interface (an idle bridge)
NOSUCH=tno$$			# never created
SOCK_B=$T_DIR/b.sock		# the second daemon's socket
CFG_A=$T_DIR/a.yaml CFG_B=$T_DIR/b.yaml
idle_up "$IDLE" || { t_fail "creating $IDLE"; finish; }

# ---- helpers -----------------------------------------------------------------

write_a() {	# the first daemon: the lab's interface, this run's socket
	{ cfg_top "$LAB_GW_IF"; cfg_tier normal "$ANY" "$REQ_SLOW"; } >"$CFG_A"
}

write_b() {	# IFACES SOCKET: the second daemon's config
	{ cfg_top "$1" "$2"; cfg_tier normal "$ANY" "$REQ_SLOW"; } >"$CFG_B"
}

a_up() {	# the first daemon; sets A_PROG
	write_a
	daemon_start "$CFG_A" || { t_fail "sluiced starts on $LAB_GW_IF"; return 1; }
	A_PROG=$(xdp_prog_id)
	assert_ok "the first sluiced enforces on $LAB_GW_IF (program $A_PROG)" test -n "$A_PROG"
}

# The first daemon is as it was, and still enforces: a fresh client gets
# exactly its burst, counted by the first daemon.
a_still_works() {	# SRC
	local before after got
	assert_eq "the first sluiced answers on $SOCK (pid)" "$DAEMON_PID" \
		"$(ctl -j status | jq -r .pid)"
	assert_eq "its program is still the one on $LAB_GW_IF" "$A_PROG" "$(xdp_prog_id)"
	assert_ok "its pins are in place" test -e "$PIN_ROOT/$LAB_GW_IF/link" -a \
		-e "$PIN_ROOT/$LAB_GW_IF/sl_clients"
	before=$(tiers_json)
	read -r got _ < <(http_burst "$1" 20 1)
	after=$(tiers_json)
	assert_eq "it still enforces: $1 answered 200 of 20 (burst 5)" 5 "$got"
	assert_eq "it counted them: passed" 5 "$(count_delta "$before" "$after" normal passed)"
	assert_eq "it counted them: http (429s from the edge)" 15 "$(count_delta "$before" "$after" normal http)"
}

refusal_is() {	# WHAT LINE: exit status 1 and exactly LINE among what it printed
	assert_eq "$1: exit status" 1 "$REF_RC"
	assert_line "$1: the message" "$REF_LOG" "$2"
}

# A foreign XDP program, as another tool would attach it (bpftool, in
# drv or generic mode); the lab's XDP_PASS object.  Sets FOREIGN.
foreign_attach() {	# xdpdrv|xdpgeneric
	pass_attach gw "$LAB_GW_IF" "$1"
	FOREIGN=$(xdp_id_of "$LAB_GW_IF")
	T_UNDO+=("on gw ip link set dev $LAB_GW_IF xdpgeneric off; on gw ip link set dev $LAB_GW_IF xdpdrv off")
	assert_ok "a foreign XDP program ($1) is on $LAB_GW_IF: $FOREIGN" test -n "$FOREIGN"
}

# ---- the tests ---------------------------------------------------------------

# A second sluiced on the same interface: the flock on the pin directory
# refuses it, and what it had already set up on the idle bridge (listed first)
# is rolled back.
test_locked() {
	a_up || return
	write_b "$IDLE, $LAB_GW_IF" "$SOCK_B"
	sluiced_refused "$CFG_B"
	refusal_is "second sluiced on $LAB_GW_IF" \
		"<3>$LAB_GW_IF: another sluiced manages this interface (it holds $PIN_ROOT/$LAB_GW_IF): stop it first, or talk to it with sluicectl"
	assert_ok "it had set up $IDLE first (generic XDP)" \
		grep -q "^<6>$IDLE: attached XDP program [0-9]* (generic, link [0-9]*)\$" "$REF_LOG"
	assert_untouched "rolled back" "$IDLE"
	assert_no_socket "no socket of its own" "$SOCK_B"
	a_still_works 198.18.1.11
}

# Another daemon answers on the socket: refused before anything is
# loaded, and the socket is left to its owner.
test_socket_in_use() {
	a_up || return
	write_b "$IDLE" "$SOCK"
	sluiced_refused "$CFG_B"
	refusal_is "second sluiced on $SOCK" \
		"<3>another sluiced answers on $SOCK: stop it first (sluicectl -s $SOCK detach), or give this one another control_socket"
	assert_eq "it loaded nothing: no line after the refusal" 1 "$(grep -vc '^<7>' "$REF_LOG")"
	assert_untouched "nothing set up" "$IDLE"
	a_still_works 198.18.1.12
}

# A program attached by another tool is never replaced: not in the mode
# it runs in, not in the other.
foreign_case() {	# xdpdrv|xdpgeneric ATTACH
	local mode got
	foreign_attach "$1"
	mode=$(xdp_mode_of "$LAB_GW_IF")
	{ cfg_top "{name: $LAB_GW_IF, attach: $2}"; cfg_tier normal "$ANY" "$REQ_SLOW"; } >"$CFG_B"
	sluiced_refused "$CFG_B"
	refusal_is "foreign $1 program, attach: $2" \
		"<3>$LAB_GW_IF: another XDP program (id $FOREIGN) is attached and sluiced will not replace it: remove it (ip link set dev $LAB_GW_IF xdp off, or xdpgeneric off) or configure another interface"
	assert_eq "the foreign program is still attached" "$FOREIGN" "$(xdp_id_of "$LAB_GW_IF")"
	assert_eq "in the mode it had ($mode)" "$mode" "$(xdp_mode_of "$LAB_GW_IF")"
	assert_eq "it is still the lab's XDP_PASS program" lab_pass \
		"$(bpftool -j prog show id "$FOREIGN" | jq -r .name)"
	assert_none "pins under $PIN_ROOT/$LAB_GW_IF" "$(pins_of "$LAB_GW_IF")"
	assert_no_socket "no socket" "$SOCK"
	read -r got _ < <(http_burst 198.18.1.13 20 1)
	assert_eq "traffic is not limited (200 of 20)" 20 "$got"
	on gw ip link set dev "$LAB_GW_IF" "${1/drv/}" off
	assert_none "removed again: XDP program on $LAB_GW_IF" "$(xdp_id_of "$LAB_GW_IF")"
	T_UNDO=()
}

test_foreign_native_auto() { foreign_case xdpdrv auto; }
test_foreign_generic_auto() { foreign_case xdpgeneric auto; }
test_foreign_native_generic() { foreign_case xdpdrv generic; }
test_foreign_generic_native() { foreign_case xdpgeneric native; }

# A missing interface, alone and after one that was set up (rolled back).
test_missing_iface() {
	local line="<3>$NOSUCH: no such interface in this network namespace (No such device): check \`interfaces\` in the config"
	write_b "$NOSUCH" "$SOCK"
	sluiced_refused "$CFG_B"
	refusal_is "interfaces: [$NOSUCH]" "$line"
	assert_untouched "interfaces: [$NOSUCH]" "$NOSUCH"
	assert_no_socket "interfaces: [$NOSUCH]" "$SOCK"

	write_b "$LAB_GW_IF, $NOSUCH" "$SOCK"
	sluiced_refused "$CFG_B"
	refusal_is "interfaces: [$LAB_GW_IF, $NOSUCH]" "$line"
	assert_ok "it had attached $LAB_GW_IF first" \
		grep -q "^<6>$LAB_GW_IF: attached XDP program" "$REF_LOG"
	assert_untouched "rolled back" "$LAB_GW_IF"
	assert_no_socket "rolled back" "$SOCK"
}

# An invalid config: the error as `sluiced -t` and the README give it,
# with file, line and column; nothing loaded.
invalid_case() {	# WHAT LINE_NO COL KEYPATH MESSAGE
	local cfg=$T_DIR/invalid.yaml want="$T_DIR/invalid.yaml:$2:$3: $4: $5"
	sluiced_refused "$cfg"
	refusal_is "$1" "<3>$want"
	assert_eq "$1: the only thing it printed" 1 "$(wc -l <"$REF_LOG")"
	assert_eq "$1: sluiced -t says the same" "$want" "$("$SLUICED" -t -c "$cfg" 2>&1)"
	assert_untouched "$1" "$LAB_GW_IF"
	assert_no_socket "$1" "$SOCK"
}

test_invalid_config() {
	{ cfg_top "$LAB_GW_IF"; cfg_tier normal "$ANY" \
		'{unit: requests, rate: fast, burst: 5}'; } >"$T_DIR/invalid.yaml"
	# line 11:      - {unit: requests, rate: fast, burst: 5}
	invalid_case "rate: fast" 11 32 "tiers[0].limits[0].rate" \
		"expected a positive rate like 10 (per second), 10/s, 600/m, 3600/h or 0.5/s, got 'fast'"
	{ cfg_top "$LAB_GW_IF"; cfg_tier normal "$ANY" "$REQ_SLOW"
	  cfg_tier vip 198.18.10.1/24 "$REQ_SLOW"; } >"$T_DIR/invalid.yaml"
	# line 13:     match: [198.18.10.1/24]
	invalid_case "a prefix with host bits" 13 13 "tiers[1].match[0]" \
		"expected a prefix without host bits (198.18.10.0/24), got '198.18.10.1/24'"
}

# control_socket names a file that is not a socket.  sluiced opens its
# socket before it attaches anything, so the refusal leaves nothing.
test_socket_not_a_socket() {
	local path=$T_DIR/not-a-socket
	: >"$path"
	write_b "$LAB_GW_IF" "$path"
	sluiced_refused "$CFG_B"
	refusal_is "control_socket is a regular file" \
		"<3>$path exists and is not a socket: remove it or set control_socket to another path"
	assert_ok "the file is left as it was" test -f "$path" -a ! -s "$path"
	assert_eq "nothing attached to $LAB_GW_IF afterwards" "" "$(xdp_id_of "$LAB_GW_IF")"
	assert_eq "no pins under $PIN_ROOT/$LAB_GW_IF afterwards" "" "$(pins_of "$LAB_GW_IF")"
}

run_tests locked socket_in_use foreign_native_auto foreign_generic_auto \
	foreign_native_generic foreign_generic_native missing_iface \
	invalid_config socket_not_a_socket
finish

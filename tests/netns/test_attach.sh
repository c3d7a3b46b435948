#!/bin/bash
# shellcheck disable=SC2317 # test_* functions are called by run_tests
# XDP attach modes end to end.  `attach: generic` on the lab's veth:
# sluicectl and the kernel both say generic, and requests are limited
# exactly as in native mode (RSTs included, sent by generic XDP_TX).  A
# change of attach mode by reload or restart is not applied, with the
# documented warnings, until a detach.  `attach: auto` on an interface
# without native XDP (a bridge in the gateway with a veth to an extra
# client host as its port; this kernel has no dummy driver) falls back to
# generic with a warning, enforces there, while the veth beside it stays
# native; `attach: native` on it is refused, and what was attached
# before it is rolled back.
. "$(dirname "$0")/lib.sh"
netns_init python3
lab_up

FAR_IF=tgx$$ BR=tbr$$		# the bridge in the gateway, and its port
FAR=198.19.250			# the far host's /24 (.10-.29), gateway .1
far_up far "$FAR_IF" "$FAR" "$BR" || { t_fail "creating the far host"; finish; }
CFG=$T_DIR/sluice.yaml

write_cfg() {	# IFACES
	{ cfg_top "$1"; cfg_tier normal "$ANY" "$REQ_SLOW"; } >"$CFG"
}

status_of() {	# IFNAME FIELD: from sluicectl -j status
	ctl -j status | jq -r --arg i "$1" --arg f "$2" '.interfaces[] | select(.name == $i) | .[$f]'
}

# What sluicectl, the kernel and sluiced's log say about IFNAME's program.
attached_as() {	# IFNAME MODE
	local prog
	prog=$(status_of "$1" prog_id)
	assert_eq "$1: sluicectl status says" "$2" "$(status_of "$1" attach)"
	assert_eq "$1: the kernel runs it in" "$2" "$(xdp_mode_of "$1")"
	assert_eq "$1: the program on it is the one sluicectl reports" "$prog" "$(xdp_id_of "$1")"
	assert_line "$1: the log says" "$DAEMON_LOG" \
		"<6>$1: attached XDP program $prog ($2, link $(status_of "$1" link_id))"
}

limited() {	# SRC IFNAME: a fresh client gets exactly its burst, counted on IFNAME
	local p0 r0 got id
	id=$(tier_id normal)
	p0=$(pinned_count "$2" "$id" passed) r0=$(pinned_count "$2" "$id" http)
	read -r got _ < <(http_burst "$1" 20 1)
	assert_eq "$1 through $2: answered 200 of 20 (burst 5)" 5 "$got"
	assert_eq "$2 counted: passed" $((p0 + 5)) "$(pinned_count "$2" "$id" passed)"
	assert_eq "$2 counted: http (a 429 from the edge for each refused request)" $((r0 + 15)) \
		"$(pinned_count "$2" "$id" http)"
}

test_generic() {
	write_cfg "{name: $LAB_GW_IF, attach: generic}"
	daemon_start "$CFG" || { t_fail "sluiced starts"; return; }
	attached_as "$LAB_GW_IF" generic
	assert_ok "ip -d link shows xdpgeneric" \
		bash -c "nsenter --net=/run/netns/$(lab_ns gw) ip -d link show $LAB_GW_IF | grep -qw xdpgeneric"
	assert_eq "no fallback warning" 0 "$(grep -c 'native XDP failed' "$DAEMON_LOG")"
	local before after got
	before=$(tiers_json)
	read -r got _ < <(http_burst 198.18.1.11 20 1)
	after=$(tiers_json)
	assert_eq "198.18.1.11: answered 200 of 20 (burst 5)" 5 "$got"
	assert_eq "tiers: passed" 5 "$(count_delta "$before" "$after" normal passed)"
	assert_eq "tiers: http (a 429 from the edge for each refused request)" 15 \
		"$(count_delta "$before" "$after" normal http)"
	assert_eq "tiers: dropped" 0 "$(count_delta "$before" "$after" normal dropped)"
	assert_eq "client 198.18.1.11: tokens" 0 "$(client_json 198.18.1.11 | jq -r '.meters[0].tokens')"
}

# Switching a running interface between modes needs a detach: a reload
# and a restart keep the mode it runs in (and the state), and say so.
test_attach_change() {
	local got
	write_cfg "{name: $LAB_GW_IF, attach: generic}"
	daemon_start "$CFG" || { t_fail "sluiced starts"; return; }
	read -r got _ < <(http_burst 198.18.1.11 20 1)
	assert_eq "generic: 198.18.1.11 answered 200 of 20" 5 "$got"

	write_cfg "{name: $LAB_GW_IF, attach: native}"
	assert_ok "sluicectl reload" ctl reload
	assert_line "reload: the warning" "$DAEMON_LOG" \
		"<4>$LAB_GW_IF: attach mode changed to native: the program stays in generic XDP until \`sluiced --detach\` and a restart"
	assert_eq "still generic (sluicectl)" generic "$(status_of "$LAB_GW_IF" attach)"
	assert_eq "still generic (kernel)" generic "$(xdp_mode_of "$LAB_GW_IF")"

	kill -TERM "$DAEMON_PID"
	wait_for 5 daemon_gone
	wait "$DAEMON_PID"
	DAEMON_PID=
	daemon_start "$CFG" || { t_fail "sluiced restarts with attach: native"; return; }
	assert_line "restart: the warning" "$DAEMON_LOG" \
		"<4>$LAB_GW_IF: the adopted program runs in generic XDP, the config asks for native: run \`sluiced --detach\` and start again to switch"
	assert_eq "still generic after the restart (sluicectl)" generic "$(status_of "$LAB_GW_IF" attach)"
	assert_eq "still generic after the restart (kernel)" generic "$(xdp_mode_of "$LAB_GW_IF")"
	read -r got _ < <(http_burst 198.18.1.11 20 1)
	assert_eq "the adopted bucket of 198.18.1.11 is still spent: 200 of 20" 0 "$got"

	assert_ok "sluicectl detach" ctl detach
	wait_for 5 daemon_gone
	DAEMON_PID=
	daemon_start "$CFG" || { t_fail "sluiced starts afresh"; return; }
	attached_as "$LAB_GW_IF" native
	read -r got _ < <(http_burst 198.18.1.11 20 1)
	assert_eq "native now, state gone: 198.18.1.11 answered 200 of 20" 5 "$got"
}

# attach: auto on both: the veth stays native, the bridge falls back.
test_auto_fallback() {
	write_cfg "$LAB_GW_IF, $BR"
	daemon_start "$CFG" || { t_fail "sluiced starts"; return; }
	assert_line "the fallback warning for $BR" "$DAEMON_LOG" \
		"<4>$BR: native XDP failed (Operation not supported): falling back to generic XDP, which is slower (the driver may lack XDP support; set attach: generic to silence this)"
	assert_eq "the only fallback warning (none for $LAB_GW_IF)" 1 \
		"$(grep -c 'native XDP failed' "$DAEMON_LOG")"
	attached_as "$LAB_GW_IF" native
	attached_as "$BR" generic
	assert_none "XDP program on the bridge's port $FAR_IF" "$(xdp_id_of "$FAR_IF")"
	limited "$FAR.10" "$BR"
	limited 198.18.1.11 "$LAB_GW_IF"
	assert_eq "tiers sums both: passed" 10 "$(count_of "$(tiers_json)" normal passed)"
}

test_native_refused() {
	write_cfg "$LAB_GW_IF, {name: $BR, attach: native}"
	sluiced_refused "$CFG"
	assert_eq "exit status" 1 "$REF_RC"
	assert_line "the message" "$REF_LOG" \
		"<3>$BR: the driver has no native XDP (Operation not supported): set attach: auto or generic"
	assert_ok "it had attached $LAB_GW_IF first" \
		grep -q "^<6>$LAB_GW_IF: attached XDP program" "$REF_LOG"
	assert_untouched "rolled back" "$LAB_GW_IF"
	assert_untouched "nothing left" "$BR"
	assert_no_socket "no socket" "$SOCK"
}

run_tests generic attach_change auto_fallback native_refused
finish

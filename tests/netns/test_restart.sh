#!/bin/bash
# sluiced dies under traffic: after kill -9 the XDP program keeps
# enforcing from its pins; a restarted sluiced adopts them, so buckets
# and counters carry on instead of restarting from zero.  SIGTERM leaves
# enforcement in place too; sluicectl detach removes program and pins.
. "$(dirname "$0")/lib.sh"
netns_init
lab_up

cfg=$T_DIR/sluice.yaml
cfg_lab enforce "$REQ_1_5" "$REQ_10_20" >"$cfg"
pins=$GW_PINS
normal_passed() { count_of "$(tiers_json)" normal passed; }

live_check() {	# the live VIP client, stopped
	subtest "the live VIP client throughout"
	live_stop 10
	assert_ge "VIP requests made" 10 "$LIVE_N"
	assert_eq "VIP requests answered 200" "$LIVE_N" "$LIVE_OK"
}

test_kill9() {
	local prog got el spent passed0 down_passed spent12 now_prog c
	sluiced_up "$cfg"
	prog=$(xdp_prog_id)
	live_start 198.18.10.11	# traffic throughout

	subtest "before the kill"
	read -r got el < <(http_burst 198.18.1.11 20 1)
	assert_eq "normal 198.18.1.11: answered 200 of 20" 5 "$got"
	spent=$(($(now_ms) - el))	# when the burst began: refill counts from there
	passed0=$(normal_passed)
	assert_ge "normal tier: passed requests counted" 5 "$passed0"

	subtest "kill -9 sluiced: enforcement continues"
	daemon_kill9
	assert_eq "XDP program still attached" "$prog" "$(xdp_prog_id)"
	if [[ -n $(ls -A "$pins" 2>/dev/null) ]]; then t_pass "pins under $pins remain"
	else t_fail "no pins under $pins"; fi
	read -r got el < <(http_burst 198.18.1.12 20 1)
	assert_range "fresh normal 198.18.1.12 while the daemon is dead: 200 of 20" 5 \
		"$(gcra_max 5 1 "$el")" "$got"
	down_passed=$got
	spent12=$(($(now_ms) - el))
	read -r got el < <(http_burst 198.18.1.11 5 1)
	assert_le "198.18.1.11 is still limited" "$(gcra_max 0 1 $(($(now_ms) - spent)))" "$got"
	down_passed=$((down_passed + got))
	assert_exit "sluicectl status with the daemon dead: exit 3 (not running)" 3 ctl status
	assert_has "sluicectl says the daemon is not running" "sluiced is not running" "$T_OUT"

	subtest "restart: pins adopted, state carried on"
	sluiced_up "$cfg" "sluiced restarts over its pins"
	now_prog=$(xdp_prog_id)
	if [[ $now_prog == "$prog" ]]; then note "same XDP program ($prog)"
	else note "XDP program $prog replaced by $now_prog"; fi
	assert_ge "normal tier's passed counter carried on (was $passed0, +$down_passed while down)" \
		$((passed0 + down_passed)) "$(normal_passed)"
	c=$(client_json 198.18.1.12)
	assert_eq "client 198.18.1.12 known to the new daemon" true "$(jq -r .known <<<"$c")"
	# A bucket refills at 1/s: what it may hold now, had nothing reset it.
	assert_le "client 198.18.1.12's bucket is not refilled" \
		"$(gcra_max 0 1 $(($(now_ms) - spent12)))" "$(jq -r '.meters[0].tokens' <<<"$c")"
	read -r got el < <(http_burst 198.18.1.12 20 1)
	assert_le "198.18.1.12 is still limited" "$(gcra_max 0 1 $(($(now_ms) - spent12)))" "$got"
	read -r got el < <(http_burst 198.18.1.13 20 1)
	assert_range "fresh normal 198.18.1.13: answered 200 of 20" 5 "$(gcra_max 5 1 "$el")" "$got"
	live_check
}

test_sigterm() {
	local passed1 got el rc=0
	sluiced_up "$cfg"
	live_start 198.18.10.12
	subtest "SIGTERM: clean exit, enforcement stays"
	read -r got el < <(http_burst 198.18.1.14 20 1)
	assert_eq "normal 198.18.1.14: answered 200 of 20" 5 "$got"
	passed1=$(normal_passed)
	kill -TERM "$DAEMON_PID"
	assert_wait "sluiced exits on SIGTERM" 5 daemon_gone
	wait "$DAEMON_PID" || rc=$?
	assert_eq "sluiced's exit status" 0 "$rc"
	DAEMON_PID=
	assert_ok "an XDP program still attached" test -n "$(xdp_prog_id)"
	read -r got el < <(http_burst 198.18.1.15 20 1)
	assert_range "fresh normal 198.18.1.15 with the daemon stopped: 200 of 20" 5 \
		"$(gcra_max 5 1 "$el")" "$got"
	sluiced_up "$cfg" "sluiced restarts after SIGTERM"
	assert_ge "counters carried on again" $((passed1 + got)) "$(normal_passed)"
	live_check
}

test_detach() {
	sluiced_up "$cfg"
	subtest "sluicectl detach removes program and pins"
	assert_exit "sluicectl detach" 0 ctl detach
	assert_wait "sluiced has exited" 5 daemon_gone
	wait "$DAEMON_PID"
	assert_eq "sluiced's exit status after detach" 0 $?
	DAEMON_PID=
	assert_eq "XDP program on $LAB_GW_IF" "" "$(xdp_prog_id)"
	assert_fails "pins under $pins" test -e "$pins"
	assert_fails "socket removed" test -e "$SOCK"
}

run_tests kill9 sigterm detach
finish

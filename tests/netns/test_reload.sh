#!/bin/bash
# Hot reload under live traffic: a reload (sluicectl reload, then SIGHUP)
# changes the partner tier's rate and the new rate holds; a normal
# client's spent bucket is not refilled by it; a broken config is
# refused with the whole message naming file, line, column and key, and
# the old limits still enforce.  A VIP client keeps being served.
#
# Each reload must be the path it names: the config is a symlink in the
# directory sluiced watches, pointing into one it does not, and is
# written in place there, so the file watcher never sees a change; the
# reload's own answer (sluicectl: changed, and the summary) or the log
# line of its source (SIGHUP) shows that it applied the change, and no
# "file changed" reload appears in the log.
. "$(dirname "$0")/lib.sh"
netns_init
lab_up

write_cfg() {	# PARTNER_RATE PARTNER_BURST [BROKEN_RATE]
	cfg_header enforce
	cfg_tier normal "$ANY" "$REQ_1_5"
	cfg_tier vip 198.18.10.0/24 "$REQ_10_20"
	cfg_tier partner 198.18.20.0/24 \
		"{unit: requests, rate: ${3:-$1/s}, burst: $2, action: http}"
}

partner_burst() {
	tiers_json | jq -r '.tiers[] | select(.name == "partner") | .limits[0].burst'
}

# What sluiced must say about rate 'fast' in FILE (the path it was given).
fast_error() {	# FILE
	echo "$1:$(yaml_at "$CFG_REAL" fast): tiers[2].limits[0].rate: expected a positive rate like 10 (per second), 10/s, 600/m, 3600/h or 0.5/s, got 'fast'"
}

start() {	# PARTNER_RATE PARTNER_BURST: sluiced on an unwatched config, a live VIP client
	cfg_unwatched
	write_cfg "$1" "$2" >"$CFG_REAL"
	sluiced_up "$CFG_LINK"
	assert_eq "sluiced runs $CFG_LINK" "$CFG_LINK" "$(status_json | jq -r .config.path)"
	live_start 198.18.10.11
}

live_check() {
	subtest "the live VIP client throughout"
	live_stop 10
	assert_ge "VIP requests made" 10 "$LIVE_N"
	assert_eq "VIP requests answered 200" "$LIVE_N" "$LIVE_OK"
}

test_sluicectl() {
	local got el spent mark out
	start 5 10
	subtest "before: partner 5/s burst 10"
	read -r got el < <(http_burst 198.18.20.11 20 1)
	assert_range "partner 198.18.20.11: answered 200 of 20" 10 "$(gcra_max 10 5 "$el")" "$got"

	subtest "sluicectl reload: partner 1/s burst 2"
	read -r got el < <(http_burst 198.18.1.11 20 1)
	spent=$(($(now_ms) - el))	# when the burst began: refill counts from there
	assert_eq "normal 198.18.1.11 spends its burst" 5 "$got"
	mark=$(log_mark)
	write_cfg 1 2 >"$CFG_REAL"	# in place: the watcher cannot see it
	assert_eq "before the reload, sluiced still runs the old config" 10 "$(partner_burst)"
	out=$(ctl -j reload 2>&1)
	assert_eq "sluicectl reload exits 0" 0 $?
	assert_eq "sluicectl reload: changed" true "$(jq -r '(.data // .).changed' <<<"$out")"
	# partner says nothing about floods: the default guard of the
	# 65536-entry table (655/s, burst 1310) on both sides.
	assert_eq "sluicectl reload: its summary has the partner change" \
		"tier partner changed: limit key /32 /64: requests 5/s burst 10 http; flood guard 655/s burst 1310 -> limit key /32 /64: requests 1/s burst 2 http; flood guard 655/s burst 1310" \
		"$(jq -r '(.data // .).summary[]' <<<"$out" | grep '^tier partner')"
	assert_ok "log: the change applied by sluicectl" \
		log_has_re "$mark" 'sluicectl: tier partner changed'
	no_watcher_reload "$mark"
	assert_eq "running config hash is the file's" "$(cfg_hash "$CFG_LINK")" "$(running_hash)"
	assert_eq "partner's burst after reload" 2 "$(partner_burst)"
	read -r got el < <(http_burst 198.18.1.11 5 1)
	assert_le "normal 198.18.1.11: its bucket was not refilled by the reload" \
		"$(gcra_max 0 1 $(($(now_ms) - spent)))" "$got"
	read -r got el < <(http_burst 198.18.20.12 20 1)
	assert_range "new partner client 198.18.20.12: answered 200 of 20" 2 "$(gcra_max 2 1 "$el")" "$got"
	spent=$(($(now_ms) - el))
	# A token is back 1 s after the batch's last request, at the latest.
	wait_elapsed $((spent + el)) 1000
	read -r got el < <(http_burst 198.18.20.12 20 1)
	assert_range "198.18.20.12 a second later: the new rate holds" 1 \
		"$(gcra_max 0 1 $(($(now_ms) - spent)))" "$got"
	live_check
}

broken_check() {	# HOW: a config with rate 'fast' is refused (sluicectl or SIGHUP)
	local out rc=0 mark got el msg
	start 1 2
	subtest "$1 with a broken config: refused, the old limits enforce"
	mark=$(log_mark)
	write_cfg 9 99 fast >"$CFG_REAL"
	msg=$(fast_error "$CFG_LINK")
	if [[ $1 == sluicectl ]]; then
		out=$(ctl reload 2>&1) || rc=$?
		assert_eq "sluicectl reload refuses it: exit status" 1 "$rc"
		assert_eq "the error names file, line, column and key" "sluicectl: reload: $msg" "$out"
	else
		kill -HUP "$DAEMON_PID"
		assert_wait "log: SIGHUP's reload refused" 5 \
			log_has "$mark" "reload (SIGHUP) refused: $msg"
		assert_ok "log: the whole message" grep -qF "reload (SIGHUP) refused: $msg" "$DAEMON_LOG"
	fi
	no_watcher_reload "$mark"
	assert_ok "sluiced still running" kill -0 "$DAEMON_PID"
	assert_eq "partner's burst unchanged" 2 "$(partner_burst)"
	read -r got el < <(http_burst 198.18.20.13 20 1)
	assert_range "new partner client 198.18.20.13: answered 200 of 20" 2 "$(gcra_max 2 1 "$el")" "$got"
	live_check
}

test_broken_sluicectl() { broken_check sluicectl; }
test_broken_sighup() { broken_check SIGHUP; }

test_sighup() {
	local mark got el
	start 1 2
	subtest "SIGHUP: partner 2/s burst 4"
	mark=$(log_mark)
	write_cfg 2 4 >"$CFG_REAL"	# in place: the watcher cannot see it
	kill -HUP "$DAEMON_PID"
	assert_wait "sluiced runs the new config" 5 wait_applied "$CFG_LINK" 0
	assert_ok "log: the change applied by SIGHUP" \
		log_has_re "$mark" 'SIGHUP: tier partner changed: .* -> .*requests 2/s burst 4 http'
	no_watcher_reload "$mark"
	assert_eq "partner's burst after SIGHUP" 4 "$(partner_burst)"
	read -r got el < <(http_burst 198.18.20.14 20 1)
	assert_range "new partner client 198.18.20.14: answered 200 of 20" 4 "$(gcra_max 4 2 "$el")" "$got"
	live_check
}

run_tests sluicectl broken_sluicectl sighup broken_sighup
finish

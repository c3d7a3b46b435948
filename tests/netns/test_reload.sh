#!/bin/bash
# Hot reload under live traffic: a reload (sluicectl reload, then SIGHUP)
# changes the partner tier's rate and the new rate holds; a normal
# client's spent bucket is not refilled by it; a broken config is
# refused with a message naming the key, and the old limits still
# enforce.  A VIP client keeps being served throughout.
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

# Replace the file in one step: the daemon may watch it (inotify).
install_cfg() { "$@" >"$cfg.new" && mv "$cfg.new" "$cfg"; }

partner_burst() {
	tiers_json | jq -r '.tiers[] | select(.name == "partner") | .limits[0].burst'
}
partner_burst_is() { [[ $(partner_burst) == "$1" ]]; }

cfg=$T_DIR/sluice.yaml
install_cfg write_cfg 5 10
sluiced_up "$cfg"
live_start 198.18.10.11

subtest "before: partner 5/s burst 10"
read -r got el < <(http_burst 198.18.20.11 20 1)
assert_range "partner 198.18.20.11: answered 200 of 20" 10 "$(gcra_max 10 5 "$el")" "$got"

subtest "sluicectl reload: partner 1/s burst 2"
read -r got el < <(http_burst 198.18.1.11 20 1)
spent=$(($(now_ms) - el))	# when the burst began: refill counts from there
assert_eq "normal 198.18.1.11 spends its burst" 5 "$got"
install_cfg write_cfg 1 2
out=$(ctl -j reload 2>&1)
assert_eq "sluicectl reload exits 0" 0 $?
note "reload said: $(tr -d '\n' <<<"$out" | cut -c1-200)"
wait_for 5 partner_burst_is 2
assert_eq "partner's burst after reload" 2 "$(partner_burst)"
read -r got el < <(http_burst 198.18.1.11 5 1)
assert_le "normal 198.18.1.11: its bucket was not refilled by the reload" \
	"$(gcra_max 0 1 $(($(now_ms) - spent)))" "$got"
read -r got el < <(http_burst 198.18.20.12 20 1)
assert_range "new partner client 198.18.20.12: answered 200 of 20" 2 "$(gcra_max 2 1 "$el")" "$got"
sleep 1.2
read -r got el < <(http_burst 198.18.20.12 20 1)
assert_range "198.18.20.12 a second later: the new rate holds" 1 "$(gcra_max 1 1 "$el")" "$got"

subtest "a broken config is refused and the old limits enforce"
install_cfg write_cfg 9 99 fast
out=$(ctl reload 2>&1)
rc=$?
if ((rc != 0)); then t_pass "sluicectl reload refuses it (exit $rc): $(head -1 <<<"$out" | cut -c1-160)"
else t_fail "sluicectl reload accepted a config with rate 'fast'"; fi
if grep -q 'rate' <<<"$out"; then t_pass "the error names the key"
else t_fail "the error does not name the key: $out"; fi
assert_ok "sluiced still running" kill -0 "$DAEMON_PID"
assert_eq "partner's burst unchanged" 2 "$(partner_burst)"
read -r got el < <(http_burst 198.18.20.13 20 1)
assert_range "new partner client 198.18.20.13: answered 200 of 20" 2 "$(gcra_max 2 1 "$el")" "$got"

subtest "SIGHUP: partner 2/s burst 4"
install_cfg write_cfg 2 4
kill -HUP "$DAEMON_PID"
wait_for 5 partner_burst_is 4
assert_eq "partner's burst after SIGHUP" 4 "$(partner_burst)"
read -r got el < <(http_burst 198.18.20.14 20 1)
assert_range "new partner client 198.18.20.14: answered 200 of 20" 4 "$(gcra_max 4 2 "$el")" "$got"

subtest "SIGHUP with a broken config"
install_cfg write_cfg 9 99 fast
kill -HUP "$DAEMON_PID"
sleep 0.5
assert_ok "sluiced still running" kill -0 "$DAEMON_PID"
assert_eq "partner's burst unchanged" 4 "$(partner_burst)"

subtest "the live VIP client throughout"
live_stop 10
assert_ge "VIP requests made" 10 "$LIVE_N"
assert_eq "VIP requests answered 200" "$LIVE_N" "$LIVE_OK"

finish

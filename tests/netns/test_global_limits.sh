#!/bin/bash
# shellcheck disable=SC2317 # helpers called through assert_wait and assert_ok
# Global limits across three gateways sharing one real redis-server
# (issue 12), on lib_gateways.sh's topology: one client namespace
# reaching gw1, gw2 and gw3 by three addresses, each gateway running
# nginx and its own sluiced, with the tier "normal" limited to 30
# requests/s, burst 30, action http, scope global (sync every 100 ms,
# on_down local).  Requests come from tests/netns/glob_send.py, paced,
# a new connection each; what passed is the 200s counted at the client.
#
#   accuracy   198.18.5.10 sends 90/s round robin over the three for
#              SECS, then (after the bucket refilled) 90/s skewed
#              70/20/10: each time the total passed across the three is
#              within 5% of 30 x the measured elapsed + one burst (30);
#              meanwhile 198.18.5.11 sends 45/s to gw1 only and gets the
#              full 30/s there (same bound)
#   outage     198.18.5.12 sends 45/s to each gateway; Redis stops for
#              10 s: every gateway shows sluice_redis_up 0 and
#              sluice_global_fallback 1 and enforces its local meter at
#              the full rate (each passes 30/s of its 45/s: within
#              30 x window + burst, and at least 95% of 30 x window);
#              Redis restarts (empty): each reconnects (within its
#              backoff, at most 5 s + 25% jitter), and from two sync
#              intervals after the last reconnect on the sum passed keeps
#              to the global limit (rate and one burst: the restarted
#              Redis starts the client's bucket full; when that burst is
#              spent and the sum is at the rate itself is reported)
#   auth       Redis restarted with --requirepass, every sluiced
#              restarted with a wrong password_file: one clear log line
#              each (AUTH refused, WRONGPASS, global limits fall back),
#              sluice_redis_errors_total{kind="auth"} counts, the daemon
#              stays up, and each gateway enforces its local limit
#
# The accuracy figures are printed as lines the bench reads
# (tools/bench/global.sh):
#   accuracy: phase=P client=ADDR gateways=N offered=N passed=N expected=N elapsed_ms=N error_pct=X
# Knobs: GLOB_SECONDS (default 30) per accuracy phase; GLOB_PARTS
# (default "accuracy outage auth") the parts to run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_gateways.sh"
netns_init redis-server redis-cli

SECS=${GLOB_SECONDS:-30}
PARTS=${GLOB_PARTS:-accuracy outage auth}
RATE=30 BURST=30 SYNC_MS=100
C_RR=${CLI_SRC[0]} C_ONE=${CLI_SRC[1]} C_DOWN=${CLI_SRC[2]} C_AUTH=${CLI_SRC[3]}

gws_up || { t_fail "the three gateways, the client and redis-server come up"; finish; }
t_pass "the three gateways, the client and redis-server come up"

all_up() {	# CFG_EXTRA: (re)start sluiced on every gateway with gws_cfg K EXTRA
	local k
	for ((k = 1; k <= GW_N; k++)); do
		gws_cfg "$k" "${1:-}" >"${GW_CFG[k]}"
		gws_start "$k" || { t_fail "gateway $k: sluiced starts"; finish; }
	done
	t_pass "sluiced answers on all three gateways"
}

all_metric() {	# NAME VALUE [LABELS]: every gateway's sample is VALUE (else says which)
	local k v bad=0
	for ((k = 1; k <= GW_N; k++)); do
		v=$(gws_metric "$k" "$1" "${3:-}")
		[[ $v == "$2" ]] || { echo "gw$k: $1 ${3:-} is ${v:-absent}"; bad=1; }
	done
	return "$bad"
}

# Within PCT% of WANT (a decimal): pass/fail with the figures.
assert_near() {	# WHAT WANT GOT PCT
	local err
	err=$(awk -v w="$2" -v g="$3" 'BEGIN { printf "%.2f", w ? (g - w) * 100 / w : 0 }')
	if awk -v e="$err" -v p="$4" 'BEGIN { exit !(e <= p && e >= -p) }'; then
		t_pass "$1: $3, expected $2 (error $err%, allowed ±$4%)"
	else
		t_fail "$1: $3, expected $2 ±$4% (error $err%)"
	fi
}

# The figures of one client in OUT: prints the bench's line, checks 5%.
accuracy() {	# PHASE OUT CLIENT GATEWAYS
	local phase=$1 out=$2 c=$3 n=$4 offered passed el want err k per=()
	offered=$(gws_offered "$out" "$c")
	passed=$(gws_count "$out" "$c")
	el=$(gws_span "$out" "$c")
	want=$(awk -v r="$RATE" -v b="$BURST" -v e="$el" 'BEGIN { printf "%.0f", r * e / 1000 + b }')
	err=$(awk -v w="$want" -v g="$passed" 'BEGIN { printf "%.2f", (g - w) * 100 / w }')
	for ((k = 1; k <= GW_N; k++)); do
		per+=("$(gws_count "$out" "$c" "${GW_ADDR[k]}")")
	done
	echo "accuracy: phase=$phase client=$c gateways=$n offered=$offered passed=$passed expected=$want elapsed_ms=$el error_pct=$err"
	note "passed per gateway: ${per[*]}; other outcomes: $(awk -v c="$c" '$2 == c && $4 != 200 && $4 != 429 { print $4 }' "$out" | sort | uniq -c | tr '\n' ' ')"
	assert_near "$phase, $c: passed across $n gateway(s) vs $RATE x ${el} ms + $BURST" "$want" "$passed" 5
}

# ---- accuracy ------------------------------------------------------------------

part_accuracy() {
	local out=$T_DIR/rr.out t0
	subtest "round robin: $C_RR 90/s over three gateways for $SECS s, $C_ONE 45/s to gw1 only"
	gws_send "$out" "$SECS" "$C_RR>${GW_ADDR[1]}@30" "$C_RR>${GW_ADDR[2]}@30" \
		"$C_RR>${GW_ADDR[3]}@30" "$C_ONE>${GW_ADDR[1]}@45" ||
		t_fail "glob_send.py failed: $(tail -2 "$out.err")"
	t0=$(now_ms)
	accuracy round_robin "$out" "$C_RR" 3
	accuracy one_gateway "$out" "$C_ONE" 1
	# The next phase starts from a full bucket, as this one did.
	wait_elapsed "$t0" $((BURST * 1000 / RATE + 2 * SYNC_MS + 500))
	out=$T_DIR/skew.out
	subtest "skewed: $C_RR 90/s as 70/20/10 over gw1, gw2, gw3 for $SECS s"
	gws_send "$out" "$SECS" "$C_RR>${GW_ADDR[1]}@63" "$C_RR>${GW_ADDR[2]}@18" \
		"$C_RR>${GW_ADDR[3]}@9" || t_fail "glob_send.py failed: $(tail -2 "$out.err")"
	accuracy skewed "$out" "$C_RR" 3
}

# ---- outage ----------------------------------------------------------------------

# The first time (ms) at or after FROM_MS from which on the passed
# requests of OUT keep to the global limit with SLACK on top: in no
# window [t1, t2] that starts there or later do more pass than
# 1.05 x RATE x (t2 - t1) + SLACK.  FROM_MS itself when that holds
# from the start.
held_from() {	# OUT FROM_MS SLACK
	awk -v f="$2" -v r="$RATE" -v slack="$3" -v c="$C_DOWN" '
		$1 >= f && $2 == c { t[++n] = $1; p[n] = ($4 == 200) }
		END {
			k = 1.05 * r / 1000
			for (i = 1; i <= n; i++) cum[i] = cum[i - 1] + p[i]
			# m: the most any window starting at i or later exceeds by.
			m = -1e18
			at = f
			for (i = n; i >= 1; i--) {
				v = cum[i] - k * t[i]
				if (v > m) m = v
				if (m > cum[i - 1] - k * t[i] + slack) { at = i < n ? t[i + 1] : t[i]; break }
			}
			printf "%.0f\n", (at > f ? at : f)
		}' "$1"
}

part_outage() {
	local out=$T_DIR/outage.out pid t0 t_stop t_start t_up=() k w lo hi last=0 back spent got list
	subtest "Redis stopped for 10 s under load: $C_DOWN 45/s to each gateway"
	gws_send "$out" 24 "$C_DOWN>${GW_ADDR[1]}@45" "$C_DOWN>${GW_ADDR[2]}@45" \
		"$C_DOWN>${GW_ADDR[3]}@45" &
	pid=$!
	t0=$(now_ms)
	wait_elapsed "$t0" 4000
	t_stop=$(now_ms)
	redis_stop
	assert_wait "every gateway: sluice_redis_up 0" 3 all_metric sluice_redis_up 0
	assert_wait "every gateway: sluice_global_fallback 1 (local)" 3 all_metric sluice_global_fallback 1
	wait_elapsed "$t_stop" 10000
	t_start=$(now_ms)
	redis_start || t_fail "redis-server restarts"
	# When each gateway is back: its connection in Redis' CLIENT LIST
	# (from its address on the redis bridge), polled every ~50 ms.
	while (($(elapsed_since "$t_start") < 9000)) && ((${#t_up[@]} < GW_N)); do
		list=$(redis_cli client list 2>/dev/null)
		for ((k = 1; k <= GW_N; k++)); do
			[[ -z ${t_up[k]:-} && $list == *"addr=198.18.200.$((10 + k)):"* ]] &&
				t_up[k]=$(now_ms)
		done
		sleep 0.03
	done
	for ((k = 1; k <= GW_N; k++)); do
		if [[ -n ${t_up[k]:-} ]]; then
			assert_le "gw$k reconnects after the restart, ms (its backoff: at most 5 s + 25%)" 6500 $((t_up[k] - t_start))
			((t_up[k] > last)) && last=${t_up[k]}
		else
			t_fail "gw$k: not connected to Redis within 9 s of the restart"
		fi
	done
	assert_wait "every gateway: sluice_redis_up 1 again" 2 all_metric sluice_redis_up 1
	assert_wait "every gateway: sluice_global_fallback 0 (synced) again" 2 all_metric sluice_global_fallback 0
	wait "$pid" || t_fail "glob_send.py failed: $(tail -2 "$out.err")"

	# While down, once the grants expired (max(10 x sync, 1 s)): each
	# gateway's local meter at the full rate, 30 of its 45/s.
	w=$((t_start - t_stop - 1500))
	lo=$(awk -v r="$RATE" -v w="$w" 'BEGIN { print int(0.95 * r * w / 1000) }')
	hi=$(($(gcra_max "$BURST" "$RATE" "$w") + 1))
	for ((k = 1; k <= GW_N; k++)); do
		got=$(gws_count "$out" "$C_DOWN" "${GW_ADDR[k]}" $((t_stop + 1500)) "$t_start")
		assert_range "gw$k while Redis is down: passed in $w ms (local meter, 30/s of 45/s)" "$lo" "$hi" "$got"
	done
	note "passed, all gateways: before the stop $(gws_count "$out" "$C_DOWN" "" "$t0" "$t_stop") in $((t_stop - t0)) ms, down $(gws_count "$out" "$C_DOWN" "" "$t_stop" "$t_start") in $((t_start - t_stop)) ms"
	((last)) || return 0
	# The restarted Redis is empty: the client's bucket there starts
	# full, and its burst is spent at the fallback's pace while the
	# hosts' shares settle.  So the limit is back when from then on no
	# more pass than the rate and one burst allow (asserted), and the
	# sum is at the rate itself once that burst is spent (reported).
	back=$(held_from "$out" "$last" $((BURST + 1)))
	spent=$(held_from "$out" "$last" $((RATE * 2 * SYNC_MS / 1000 + 1)))
	echo "outage: down_ms=$((t_start - t_stop)) reconnect_ms=$(for ((k = 1; k <= GW_N; k++)); do printf '%s,' $((t_up[k] - t_start)); done | sed 's/,$//') back_after_last_reconnect_ms=$((back - last)) burst_spent_after_ms=$((spent - last))"
	assert_le "the global limit (rate + one burst) holds again, ms after the last gateway reconnected (two sync intervals + 50 ms polling)" \
		$((2 * SYNC_MS + 50)) $((back - last))
}

# ---- auth ------------------------------------------------------------------------

part_auth() {
	local out=$T_DIR/auth.out k marks=() got lo hi n
	subtest "a wrong password: Redis with --requirepass, sluiced with a wrong password_file"
	echo "not-the-password" >"$T_DIR/wrong.pass"
	for ((k = 1; k <= GW_N; k++)); do
		gws_stop "$k" || t_fail "gateway $k: sluiced stops on sluicectl detach"
		marks[k]=$(wc -l <"${GW_LOG[k]}")
	done
	redis_restart_auth "sluice-$$-secret" || t_fail "redis-server restarts with --requirepass"
	all_up "password_file: \"$T_DIR/wrong.pass\""
	for ((k = 1; k <= GW_N; k++)); do
		assert_wait "gw$k logs the refused AUTH" 5 \
			eval "tail -n +$((marks[k] + 1)) '${GW_LOG[k]}' | grep -q 'AUTH refused: WRONGPASS'"
	done
	assert_wait "every gateway: sluice_redis_up 0" 2 all_metric sluice_redis_up 0
	assert_wait "every gateway: sluice_global_fallback 1" 2 all_metric sluice_global_fallback 1
	gws_send "$out" 5 "$C_AUTH>${GW_ADDR[1]}@45" "$C_AUTH>${GW_ADDR[2]}@45" \
		"$C_AUTH>${GW_ADDR[3]}@45" || t_fail "glob_send.py failed: $(tail -2 "$out.err")"
	lo=$(awk -v r="$RATE" 'BEGIN { print int(0.95 * r * 5) }')
	hi=$(($(gcra_max "$BURST" "$RATE" "$(gws_span "$out" "$C_AUTH")") + 1))
	for ((k = 1; k <= GW_N; k++)); do
		got=$(gws_count "$out" "$C_AUTH" "${GW_ADDR[k]}")
		assert_range "gw$k: passed of 45/s for 5 s (its local limit: burst + 30/s)" "$lo" "$hi" "$got"
		n=$(tail -n +$((marks[k] + 1)) "${GW_LOG[k]}" | grep -c 'AUTH refused')
		assert_eq "gw$k: the refusal logged once, not once per retry" 1 "$n"
		got=$(gws_metric "$k" sluice_redis_errors_total 'kind="auth"')
		assert_ge "gw$k: sluice_redis_errors_total{kind=\"auth\"}" 2 "${got%%.*}"
		assert_ok "gw$k: sluiced still running and answering" gws_ctl "$k" status
	done
	tail -n +$((marks[1] + 1)) "${GW_LOG[1]}" | grep 'AUTH refused' | head -1 | sed 's/^/        log: /'
}

# ---- the run -----------------------------------------------------------------------

all_up
assert_wait "every gateway syncs with Redis (sluice_redis_up 1)" 5 all_metric sluice_redis_up 1
for p in $PARTS; do
	case $p in
	accuracy|outage|auth) "part_$p" ;;
	*) t_fail "GLOB_PARTS: no part '$p' (accuracy outage auth)" ;;
	esac
done

if (($(t_failures))); then
	for ((k = 1; k <= GW_N; k++)); do
		echo "-- gw$k: sluiced log (last 15 lines but debug)"
		grep -v '^<7>' "${GW_LOG[k]}" | tail -15 | sed 's/^/   /'
	done
fi
subtest "the gateways stop"
gws_down
left=$(gws_leaks)
if [[ -z $left ]]; then t_pass "gateways: no pins, XDP program, sluiced or socket left"
else t_fail "gateways left: $(tr '\n' ' ' <<<"$left")"; fi
finish

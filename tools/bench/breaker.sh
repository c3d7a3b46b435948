#!/bin/bash
# How fast a breaker reacts: nginx in the receiver's namespace proxies to
# tools/lab.d/flip_backend.py, sluiced on the receiver's interface has one
# service on port 80 with a breaker and on_open: fallback, and
# tools/bench/breaker_client.py sends requests one after another (a new
# connection each) from the sender's namespace, flips the backend to 500
# and times every answer on arrival.  Two trips, each ROUNDS times from a
# fresh sluiced (an empty window):
#
#   rate         consecutive_failures off, failure_rate 0.5, min_requests
#                MINREQ over a 10 s window, after MINREQ/2 healthy
#                answers: from the failing answer that meets the rate
#                condition in the window to the first answer from the
#                edge (the daemon's 100 ms tick decides it); target at
#                most 300 ms
#   consecutive  the rates off, consecutive_failures RUN: the request
#                right after the failure that completes the run must be
#                answered at the edge (the TC program opens the gate on
#                that response); target 0 requests passed after it
#
# Reports the median and max of each and writes $BUILD/bench/breaker.json.
#
# Environment (defaults): BENCH_BRK_ROUNDS=7 repetitions of each trip,
#   BENCH_BRK_MIN_REQUESTS=20, BENCH_BRK_RUN=5
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib.sh

bench_sluiced_require
bench_start breaker jq nginx python3 nsenter

bench_sluiced_prepare slbk$$
FLIP_PORT=8090
STATUS=$BENCH_TMP/flip.status
FLIP_LOG=$BENCH_TMP/flip.log

brk_cfg() {	# BREAKER_KEYS
	bench_sluiced_cfg_head
	cat <<-EOF
	tiers:
	  - {name: all, match: [0.0.0.0/0, "::/0"], verdict: pass}
	services:
	  - name: api
	    port: 80
	    breaker: $1
	    on_open: fallback
	    fallback: {status: 200, content_type: application/json, body: '{"status":"degraded","data":[]}'}
	EOF
}

# One repetition: a fresh sluiced, the client's JSON line.
rep() {	# rate|consecutive
	local keys
	case $1 in
	rate) keys="{window: 10s, min_requests: $MINREQ, failure_rate: 0.5, slow_rate: 0, consecutive_failures: 0, open: 30s, jitter: 0}" ;;
	consecutive) keys="{window: 10s, failure_rate: 0, slow_rate: 0, consecutive_failures: $RUN, open: 30s, jitter: 0}" ;;
	esac
	brk_cfg "$keys" >"$CFG"
	echo 200 >"$STATUS"
	bench_sluiced_start
	ip netns exec "$NS_TX" python3 tools/bench/breaker_client.py "$1" "$RX_ADDR" \
		/api "$STATUS" $((MINREQ / 2)) 10 "$MINREQ" 0.5 "$RUN" 3 5 ||
		bench_die "breaker_client.py failed"
	bench_sluiced_stop
}

echo 200 >"$STATUS"
: >"$FLIP_LOG"
ip netns exec "$NS_RX" python3 tools/lab.d/flip_backend.py "$FLIP_PORT" "$STATUS" \
	"$FLIP_LOG" 2>"$BENCH_TMP/flip.err" &
BENCH_PIDS+=("$!")
for _ in $(seq 50); do
	ip netns exec "$NS_RX" ss -Hltn "sport = :$FLIP_PORT" | grep -q . && break
	sleep 0.1
done
nginx_start "" "proxy_pass http://127.0.0.1:$FLIP_PORT;"

: >"$BENCH_TMP/rows"
for ((r = 0; r < ROUNDS; r++)); do
	for m in rate consecutive; do
		bench_log "breaker: round $((r + 1)) of $ROUNDS, $m trip"
		rep "$m" | jq -c --argjson round "$r" '. + {round: $round}' >>"$BENCH_TMP/rows"
	done
done

jq -s --argjson minreq "$MINREQ" --argjson run "$RUN" '
	def med: sort | if length == 0 then null
		elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def stat(f): map(f | select(. != null)) | {median: med, max: max, n: length};
	(map(select(.mode == "rate"))) as $r |
	(map(select(.mode == "consecutive"))) as $c |
	{rows: .,
	 rate: {min_requests: $minreq, failure_rate: 0.5, window_s: 10, target_ms: 300,
		reaction_ms: ($r | stat(.reaction_ms)),
		passed_after_condition: ($r | stat(.passed_after_condition)),
		missed: ($r | map(select(.reaction_ms == null)) | length)},
	 consecutive: {consecutive_failures: $run, target_passed_after_run: 0,
		passed_after_run: ($c | stat(.passed_after_run)),
		gap_ms: ($c | stat(.gap_ms)),
		missed: ($c | map(select(.passed_after_run == null)) | length)}}' \
	"$BENCH_TMP/rows" >"$OUT/breaker.json"

printf '\nBreaker reaction times, %s repetitions each (fresh sluiced, requests one after another)\n' "$ROUNDS"
jq -r '.rate | "  rate trip (failure_rate 0.5, min_requests \(.min_requests), 10 s window): condition met -> first edge answer: median \(.reaction_ms.median) ms, max \(.reaction_ms.max) ms (target <= 300 ms); requests past it meanwhile: median \(.passed_after_condition.median), max \(.passed_after_condition.max); missed \(.missed)"' "$OUT/breaker.json"
jq -r '.consecutive | "  consecutive trip (\(.consecutive_failures) failures): requests to the backend after the run: median \(.passed_after_run.median), max \(.passed_after_run.max) (target 0); the next answer from the edge after median \(.gap_ms.median) ms, max \(.gap_ms.max) ms; missed \(.missed)"' "$OUT/breaker.json"
echo "wrote $OUT/breaker.json"

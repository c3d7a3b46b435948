#!/bin/bash
# Load test: the classic limiter table.  One client (hey, new connection
# per request) against nginx through sluice with a requests meter of
# 150/s per client, burst 15; offered 100, 200 and 300 requests/s.
#
# Refused requests are answered at the edge: the meter's action is
# `reset`, so the request segment is turned into a TCP RST with XDP_TX and
# the client fails at once (with `drop` it would wait for its timeout and
# retransmit, and the table would show the timeout instead).
#
# Environment (defaults):
#   BENCH_LOAD_SECONDS=10   per row
#   BENCH_LOAD_QPS="100 200 300"
#   BENCH_LOAD_LIMIT=150 BENCH_LOAD_BURST=15
# Writes $BUILD/bench/loadtest.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib.sh

bench_start loadtest jq nginx hey curl
nginx_start

rows=()
for q in $QPS; do
	bench_log "loadtest: $q requests/s offered, limit $LIMIT/s"
	# A fresh limiter per row: every row starts with a full bucket.
	fg_start "$BENCH_TMP/fg.json" --rx-prog sluice --sources 0 \
		--seconds 0 --warmup 0 --sl-unit requests --sl-rate "$LIMIT" \
		--sl-burst "$BURST" --sl-action reset
	h=$(hey_run "$q" "$SECS")
	fg_stop
	rows+=("$(jq -c --slurpfile s "$FG_OUT" '$s[0] as $s | . + {
		sluice_passed: $s.sluice.passed, sluice_reset: $s.sluice.reset}' \
		<<<"$h")")
done
printf '%s\n' "${rows[@]}" |
	jq -s --argjson l "$LIMIT" --argjson b "$BURST" \
	'map({limit_qps: $l, burst: $b} + .)' >"$OUT/loadtest.json"

printf '\nLoad test: limit %s requests/s (burst %s, action reset), %s s per row\n' \
	"$LIMIT" "$BURST" "$SECS"
printf '  %8s %8s %8s %9s %9s %10s\n' offered sent passed "avg ms" "p99 ms" \
	rejected
jq -r '.[] | [.offered_qps, .sent_qps, .passed_qps, .avg_ms, .p99_ms,
	      (.rejection_rate * 1000 | round / 10)] | @tsv' \
	"$OUT/loadtest.json" |
while IFS=$'\t' read -r o s p a q r; do
	printf '  %8s %8s %8s %9s %9s %9s%%\n' "$o" "$s" "$p" "$a" "$q" "$r"
done
printf '\nwrote %s\n' "$OUT/loadtest.json"

#!/bin/bash
# What the services' HTTP statistics cost nginx: wrk with keep-alive
# through the bench's veth pair against nginx, in rounds, three setups
# in turn each round (the order rotating, so drift falls on all alike):
#
#   none         no sluice on the interface
#   sluice       sluiced with one limit tier that admits everything and no
#                services: the XDP limiter and the TC programs, nothing
#                pending, so the egress program stops at its lookup miss
#   services     the same with a service on port 80: every request
#                classified and noted pending at XDP, every response
#                matched, timed and counted by the TC egress program
#
# Per row: requests/s and wrk's p99 latency; per round the ratios
# services/sluice (what the statistics add) and sluice/none; the medians
# over the rounds.  Writes $BUILD/bench/services.json.
#
# Environment (defaults): BENCH_SVC_SECONDS=5 per row, BENCH_SVC_ROUNDS=3,
#   BENCH_SVC_CONNS=50 wrk connections (2 threads)
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib.sh

bench_sluiced_require
bench_start services jq nginx wrk nsenter

bench_sluiced_prepare slbs$$

sluice_cfg() {	# services|sluice
	bench_sluiced_cfg_head
	cat <<-EOF
	tiers:
	  - name: all
	    match: [0.0.0.0/0, "::/0"]
	    limits:
	      - {unit: requests, rate: 10000000/s, burst: 10000000, action: http}
	EOF
	[[ $1 == services ]] || return 0
	cat <<-EOF
	services:
	  - {name: api, port: 80}
	EOF
}

sluice_start() {	# services|sluice
	sluice_cfg "$1" >"$CFG"
	bench_sluiced_start
}

sluice_stop() { bench_sluiced_stop; }

# The service's counters: requests and 2xx responses, summed over CPUs.
svc_counts() {
	bpftool -j map dump pinned "$PIN_DIR/sl_svc_stats" 2>/dev/null | jq -c '
		[.[] | select(.formatted.key == 0) | .formatted.values[].value] |
		{requests: (map(.requests) | add), ok: (map(.responses[2]) | add)}' \
		2>/dev/null || echo null
}

# wrk's requests/s and p99 in ms, from its done().
cat >"$BENCH_TMP/svc.lua" <<'EOF'
function done(summary, latency, requests)
	io.write(string.format('{"requests":%d,"errors":%d,"duration_us":%d,"p99_us":%d,"p50_us":%d}\n',
		summary.requests, summary.errors.connect + summary.errors.read +
		summary.errors.write + summary.errors.status + summary.errors.timeout,
		summary.duration, latency:percentile(99), latency:percentile(50)))
end
EOF

row() {	# SETUP ROUND: one JSON row
	local setup=$1 round=$2 w sc=null
	case $setup in
	sluice|services) sluice_start "$setup" ;;
	esac
	ip netns exec "$NS_TX" wrk -t2 -c "$CONNS" -d "${SECS}s" --timeout 2s \
		-s "$BENCH_TMP/svc.lua" "http://$RX_ADDR/" >"$BENCH_TMP/wrk.out" 2>&1 ||
		{ cat "$BENCH_TMP/wrk.out" >&2; bench_die "wrk failed"; }
	w=$(grep -h '^{' "$BENCH_TMP/wrk.out") || bench_die "wrk printed no result"
	[[ $setup == services ]] && sc=$(svc_counts)
	sluice_stop
	jq -cn --argjson w "$w" --argjson sc "$sc" --arg setup "$setup" \
		--argjson round "$round" '
		{setup: $setup, round: $round,
		 requests_per_s: ($w.requests / ($w.duration_us / 1e6) | . * 10 | round / 10),
		 p50_ms: ($w.p50_us / 1000), p99_ms: ($w.p99_us / 1000),
		 errors: $w.errors, counted: $sc}'
}

nginx_start
: >"$BENCH_TMP/rows"
SETUPS=(none sluice services)
for ((r = 0; r < ROUNDS; r++)); do
	for ((k = 0; k < 3; k++)); do
		s=${SETUPS[(r + k) % 3]}
		bench_log "services: round $((r + 1)), $s, $CONNS connections, ${SECS} s"
		row "$s" "$r" >>"$BENCH_TMP/rows"
	done
done
jq -s '
	def med: sort | if length == 0 then null else .[length / 2 | floor] end;
	def by(s): map(select(.setup == s));
	. as $rows |
	[range(0; (map(.round) | max) + 1)] as $rs |
	{rows: $rows,
	 median: (["none", "sluice", "services"] | map(. as $s | {($s): {
		requests_per_s: ($rows | by($s) | map(.requests_per_s) | med),
		p99_ms: ($rows | by($s) | map(.p99_ms) | med)}}) | add),
	 ratio_services_to_sluice: ($rs | map(. as $r |
		($rows | map(select(.round == $r)) | (by("services")[0].requests_per_s /
		 by("sluice")[0].requests_per_s))) | med | . * 1000 | round / 1000),
	 ratio_sluice_to_none: ($rs | map(. as $r |
		($rows | map(select(.round == $r)) | (by("sluice")[0].requests_per_s /
		 by("none")[0].requests_per_s))) | med | . * 1000 | round / 1000)}' \
	"$BENCH_TMP/rows" >"$OUT/services.json"

printf '\nServices statistics against none: wrk keep-alive, %s connections, %s s a row, %s rounds (medians)\n' \
	"$CONNS" "$SECS" "$ROUNDS"
jq -r '.median | to_entries[] | "  \(.key | . + "          " | .[0:10]) \(.value.requests_per_s) requests/s, p99 \(.value.p99_ms) ms"' \
	"$OUT/services.json"
jq -r '"  services/sluice throughput: \(.ratio_services_to_sluice) (target >= 0.97); sluice/none: \(.ratio_sluice_to_none)"' \
	"$OUT/services.json"
jq -r '.rows[] | select(.setup == "services") | "  round \(.round): sluice counted \(.counted.requests // "?") requests, \(.counted.ok // "?") 2xx"' \
	"$OUT/services.json"
echo "wrote $OUT/services.json"

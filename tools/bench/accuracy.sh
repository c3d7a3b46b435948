#!/bin/bash
# Accuracy: one client flooded from both CPUs (floodgen, one source, every
# packet far over the limit); sluice's passed packets per second over the
# window against the configured rate, on the precise and the coarse clock.
# The burst is 20 ms of the rate (at least 10), so the coarse clock's 4 ms
# steps never overflow it.
#
# Environment (defaults):
#   BENCH_ACC_SECONDS=10          window per run
#   BENCH_ACC_RATES="10 1000 100000 1000000"   packets per second
#   BENCH_ACC_CLOCKS="precise coarse"
# Writes $BUILD/bench/accuracy.json: a list of {"rate", "clock",
# "passed_per_s", "error_pct", "offered_mpps"}.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib.sh

bench_start accuracy jq

rows=()
for rate in $RATES; do
	burst=$((rate / 50 > 10 ? rate / 50 : 10))
	for clock in $CLOCKS; do
		bench_log "accuracy: $rate/s, $clock clock"
		opt=()
		[[ $clock == coarse ]] && opt=(--sl-coarse)
		j=$(fg --rx-prog sluice --sources 1 --seconds "$SECS" --warmup 1 \
			--sl-rate "$rate" --sl-burst "$burst" "${opt[@]}")
		rows+=("$(jq -c --argjson rate "$rate" --arg clock "$clock" '{
			rate: $rate, clock: $clock,
			passed_per_s: (.sluice.passed_per_s * 100 | round / 100),
			error_pct: ((.sluice.passed_per_s - $rate) / $rate * 100
				    * 100 | round / 100),
			offered_mpps: (.mpps * 100 | round / 100)}' <<<"$j")")
	done
done
printf '%s\n' "${rows[@]}" | jq -s . >"$OUT/accuracy.json"

printf '\nAccuracy: one source flooded from %s CPUs, %s s window\n' \
	"$(nproc)" "$SECS"
printf '  %10s  %-8s %14s %9s %13s\n' configured clock "passed/s" error \
	"offered Mpps"
jq -r '.[] | [.rate, .clock, .passed_per_s, .error_pct, .offered_mpps]
	| @tsv' "$OUT/accuracy.json" |
while IFS=$'\t' read -r r c p e m; do
	printf '  %10s  %-8s %14s %8s%% %13s\n' "$r" "$c" "$p" "$e" "$m"
done
printf '\nwrote %s\n' "$OUT/accuracy.json"

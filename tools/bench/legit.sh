#!/bin/bash
# A legitimate client under a 1M-source flood: hey at a fixed rate (new
# connection per request) against nginx, through sluice or iptables
# hashlimit, without and with the flood.  Both limiters hold the same
# per-source limit, far above what the client needs.  sluice's tier is
# the one a config that says nothing about floods gets (the default flood
# guard for its client table, the clock the config loader picks: floodgen
# --sl-guard default); with BENCH_GUARD=RATE:BURST, that flood guard and
# the coarse clock instead.
#
#   none       no limiter (XDP_PASS only): what the flood does unopposed
#   sluice     the client's entry exists before the flood starts
#   sluice_new the client's first packet arrives during the flood, when
#              the flood guard has stopped admitting new sources
#   iptables   hashlimit per source in raw PREROUTING
#
# The flood is paced (BENCH_LEGIT_PPS, the same for every limiter) and the
# generator runs at nice 19, so that nginx and hey get the CPU they ask
# for: it stands in for an attacker elsewhere.  The generator still shares
# the two vCPUs, and the receiver's work for the flood runs in its
# threads, so when the server is busy the flood slows down: the flood
# Mpps column says what actually arrived.
#
# Environment (defaults):
#   BENCH_LEGIT_SECONDS=10 BENCH_LEGIT_QPS=100 BENCH_LEGIT_SOURCES=1000000
#   BENCH_LEGIT_PPS=1500000                       offered flood rate
#   BENCH_LEGIT_RATE=2000 BENCH_LEGIT_BURST=4000  per-source packets/s
#   BENCH_GUARD=default   (or RATE:BURST, new clients per second)
# Writes $BUILD/bench/legit.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib.sh

bench_start legit jq nginx hey curl iptables
nginx_start

SL=(--rx-prog sluice --sl-rate "$RATE" --sl-burst "$BURST" --sl-guard "$GUARD")
[[ $GUARD == default ]] || SL+=(--sl-coarse)
FLOOD=(--sources "$NSRC" --pps "$PPS" --nice 19 --seconds 0 --warmup 1)

rows=()
row() {	# limiter flood(0|1) hey-json
	local j=$3
	if (($2)); then
		j=$(jq -c --slurpfile f "$FG_OUT" '. + {flood_mpps: $f[0].mpps,
			flood_dropped: ($f[0].sluice // {} |
				((.dropped // 0) + (.flood_drop // 0)))}' <<<"$j")
	fi
	rows+=("$(jq -c --arg l "$1" --argjson f "$2" \
		'{limiter: $l, flood: ($f == 1)} + .' <<<"$j")")
}

warm() {	# give the client its entry
	local i
	for i in 1 2 3; do
		ip netns exec "$NS_TX" curl -s -m 1 -o /dev/null "http://$RX_ADDR/" || true
	done
}

for lim in none sluice sluice_new iptables; do
	for flood in 0 1; do
		[[ $lim == sluice_new && $flood == 0 ]] && continue
		bench_log "legit: $lim, flood $flood"
		case $lim in
		none|iptables)	rx=(--rx-prog pass) ;;
		*)		rx=("${SL[@]}") ;;
		esac
		[[ $lim == iptables ]] && ipt_add "$RATE/second" "$BURST"
		if ((flood)); then
			if [[ $lim == sluice_new ]]; then
				fg_start "$BENCH_TMP/fg.json" "${rx[@]}" "${FLOOD[@]}"
				sleep 2
			else
				fg_start "$BENCH_TMP/fg.json" "${rx[@]}" "${FLOOD[@]}" \
					--gen-wait
				warm
				fg_go
				sleep 1
			fi
		else
			fg_start "$BENCH_TMP/fg.json" "${rx[@]}" --sources 0 \
				--seconds 0
			warm
		fi
		h=$(hey_run "$QPS" "$SECS")
		fg_stop
		row "$lim" "$flood" "$h"
		[[ $lim == iptables ]] && ipt_del
	done
done
printf '%s\n' "${rows[@]}" | jq -s . >"$OUT/legit.json"

printf '\nLegitimate client, %s requests/s for %s s; flood: %s spoofed sources, %s pps offered\n' \
	"$QPS" "$SECS" "$NSRC" "$PPS"
# served/s: a client that waits on lost SYNs sends less than it offers.
printf '  %-11s %-5s %9s %9s %8s %8s %8s %8s %11s\n' limiter flood served/s \
	success "avg ms" "p50 ms" "p90 ms" "p99 ms" "flood Mpps"
jq -r '.[] | [.limiter, (if .flood then "yes" else "no" end), .passed_qps,
	      ((.success_rate * 1000 | round / 10 | tostring) + "%"),
	      .avg_ms, .p50_ms, .p90_ms, .p99_ms, (.flood_mpps // "-")] | @tsv' \
	"$OUT/legit.json" |
while IFS=$'\t' read -r l f q s a p5 p9 p99 m; do
	printf '  %-11s %-5s %9s %9s %8s %8s %8s %8s %11s\n' "$l" "$f" "$q" \
		"$s" "$a" "$p5" "$p9" "$p99" "$m"
done
printf '\nwrote %s\n' "$OUT/legit.json"

#!/bin/bash
# The flood bench: one veth pair between two namespaces, a live-frames
# generator on one end, and on the other, in turn:
#   xdp_drop      a trivial XDP_DROP program: the ceiling
#   sluice        the limiter, drop-heavy: every source over its limit
#                 (flood guard and coarse clock on, as the README advises)
#   sluice_notop  sluice without the top-talker sampler (--sl-top off):
#                 what `sluicectl top` costs is sluice against it
#   sluice_plain  the same limits without flood guard and coarse clock
#   sluice_coarse, sluice_guard   one of the two (not run by default)
#   sluice_pass   every source under its limit: packets go on to the stack
#   iptables      hashlimit per source, raw PREROUTING, same rate and burst
#   nft           a dynamic set with one limit per source, same hook, same
#                 rate and burst
# Each scenario is counted the same way: frames the receiving veth's NAPI
# loop consumed per second (rx_packets), whatever then happened to them.
#
# Environment (defaults):
#   BENCH_SECONDS=5  measurement window per scenario
#   BENCH_WARMUP=2   seconds of flood before the window
#   BENCH_ROUNDS=1   rounds (interleaved); the tables show medians
#   BENCH_SOURCES="1 65536 1000000"
#   BENCH_SCENARIOS="xdp_drop sluice sluice_notop sluice_plain sluice_pass iptables nft"
#   BENCH_KIND=udp   udp | syn | http
#   BENCH_RATE=6/minute BENCH_BURST=1   the per-source limit of every
#                    limiter: low enough that even 1M sources at the
#                    peers' speed are far over it (drop-heavy for all)
#   BENCH_GUARD=10000:20000  sluice's new-client rate (per second:burst)
#   BENCH_CLIENTS=1048576    sluice's client table
# Writes $BUILD/bench/flood.json (medians, with ratios) and
# $BUILD/bench/flood_raw.jsonl (every run, every counter).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib.sh

bench_start flood iptables nft jq
RAW=$OUT/flood_raw.jsonl
: >"$RAW"

# One scenario: floodgen's JSON plus what the peers' counters say.
run_one() {	# scenario sources
	local sc=$1 n=$2 j d0=0 d1=0 rx0 rx1
	local base=(--sources "$n" --kind "$KIND" --seconds "$SECS"
		    --warmup "$WARM")
	local sl=(--rx-prog sluice --sl-clients "$CLIENTS")

	rx0=$(rx_packets)
	case $sc in
	xdp_drop)	j=$(fg "${base[@]}" --rx-prog drop) ;;
	sluice)		j=$(fg "${base[@]}" "${sl[@]}" --sl-rate "$RATE" \
				--sl-burst "$BURST" --sl-guard "$GUARD" \
				--sl-coarse) ;;
	sluice_notop)	j=$(fg "${base[@]}" "${sl[@]}" --sl-rate "$RATE" \
				--sl-burst "$BURST" --sl-guard "$GUARD" \
				--sl-coarse --sl-top off) ;;
	sluice_plain)	j=$(fg "${base[@]}" "${sl[@]}" --sl-rate "$RATE" \
				--sl-burst "$BURST") ;;
	sluice_coarse)	j=$(fg "${base[@]}" "${sl[@]}" --sl-rate "$RATE" \
				--sl-burst "$BURST" --sl-coarse) ;;
	sluice_guard)	j=$(fg "${base[@]}" "${sl[@]}" --sl-rate "$RATE" \
				--sl-burst "$BURST" --sl-guard "$GUARD") ;;
	sluice_pass)	j=$(fg "${base[@]}" "${sl[@]}" --sl-rate 100000000 \
				--sl-burst 1000000 --sl-guard "$GUARD" \
				--sl-coarse) ;;
	iptables)	ipt_add "$RATE" "$BURST"
			j=$(fg "${base[@]}" --rx-prog pass)
			d1=$(ipt_drops)
			ipt_del ;;
	nft)		nft_add "$RATE" "$BURST"
			j=$(fg "${base[@]}" --rx-prog pass)
			d1=$(nft_drops)
			nft_del ;;
	*)		bench_die "unknown scenario $sc" ;;
	esac
	rx1=$(rx_packets)
	# Share of the frames the limiter dropped: from sluice's counters in
	# the window, from the peers' rule counters over the whole run.
	jq -c --arg sc "$sc" --argjson n "$n" --argjson d "$((d1 - d0))" \
	   --argjson rx "$((rx1 - rx0))" '
		{scenario: $sc, sources: $n} + . +
		{dropped_share: (if .sluice then
			((.sluice.dropped + .sluice.flood_drop) /
			 ([.rx_packets, 1] | max))
		 elif $d > 0 then ($d / ([$rx, 1] | max)) else null end)}' \
		<<<"$j" >>"$RAW"
}

rx_packets() {
	ip -n "$NS_RX" -s -j link show veth1 | jq '.[0].stats64.rx.packets'
}

for ((r = 1; r <= ROUNDS; r++)); do
	for n in $SOURCES; do
		for sc in $SCENARIOS; do
			bench_log "flood: round $r/$ROUNDS, $n sources, $sc"
			run_one "$sc" "$n"
		done
	done
done

# Medians per (scenario, sources), then the ratios within each source
# count: to the ceiling and to each peer (null where it is the row itself
# or the reference was not run).
# sluice against sluice_notop: the two run back to back in each round,
# so their ratio round by round, then its median, is steadier than the
# ratio of two medians when the machine's speed drifts between rounds.
jq -s '
	def median: sort | if length == 0 then null
		elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def ratio($a; $b): if $a == null or $b == null or $b == 0 then null
		else ($a / $b * 1000 | round / 1000) end;
	(group_by(.sources) | map({key: (.[0].sources | tostring), value:
		([map(select(.scenario == "sluice") | .mpps),
		  map(select(.scenario == "sluice_notop") | .mpps)] | transpose
		 | map(select(.[0] != null and .[1] != null and .[1] > 0)
		       | .[0] / .[1]) | median
		 | if . == null then null else . * 1000 | round / 1000 end)})
	 | from_entries) as $pair |
	group_by(.sources) | map(
		(group_by(.scenario) | map({scenario: .[0].scenario,
			sources: .[0].sources,
			mpps: (map(.mpps) | median * 1000 | round / 1000)})) as $rows
		| ($rows | map({key: .scenario, value: .mpps}) | from_entries) as $m
		| $rows[] | . + {
			ratio_ceiling: (if .scenario == "xdp_drop" then null
				else ratio(.mpps; $m.xdp_drop) end),
			ratio_iptables: (if .scenario == "iptables" then null
				else ratio(.mpps; $m.iptables) end),
			ratio_nft: (if .scenario == "nft" then null
				else ratio(.mpps; $m.nft) end)}
		| if .scenario == "sluice" then
			. + {ratio_notop: ($pair[.sources | tostring] // null)}
		  else . end)
	| sort_by(.sources)' "$RAW" >"$OUT/flood.json"

# The tables, one per source count, scenarios in the order run.
order=$(jq -Rn --arg s "$SCENARIOS" '$s | split(" ") | map(select(. != ""))')
for n in $SOURCES; do
	printf '\n%s sources (%s, %s s window, %s round(s), median)\n' \
		"$n" "$KIND" "$SECS" "$ROUNDS"
	printf '  %-13s %8s %9s %9s %9s %9s\n' scenario Mpps ceiling \
		iptables nft dropped
	jq -r --argjson n "$n" --argjson order "$order" --slurpfile raw "$RAW" '
		def f: if . == null then "-" else tostring end;
		map(select(.sources == $n)) as $rows
		| $order[] as $sc | $rows[] | select(.scenario == $sc)
		| [.scenario, .mpps, (.ratio_ceiling | f), (.ratio_iptables | f),
		   (.ratio_nft | f),
		   ([$raw[] | select(.sources == $n and .scenario == $sc)
		     | .dropped_share | select(. != null)]
		    | if length == 0 then "-"
		      else (add / length * 1000 | round / 10 | tostring) + "%" end)]
		| @tsv' "$OUT/flood.json" |
	while IFS=$'\t' read -r sc m rc ri rn dr; do
		printf '  %-13s %8s %9s %9s %9s %9s\n' "$sc" "$m" "$rc" "$ri" \
			"$rn" "$dr"
	done
done
printf '\nwrote %s and %s\n' "$OUT/flood.json" "$RAW"

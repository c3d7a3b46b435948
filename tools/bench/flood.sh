#!/bin/bash
# The flood bench: one veth pair between two namespaces, a live-frames
# generator on one end, and on the other, in turn:
#   xdp_drop      a trivial XDP_DROP program: the ceiling
#   sluice        the limiter, drop-heavy: every source over its limit
#                 (flood guard and coarse clock on, as the README advises)
#   sluice_default  the tier the config loader builds when the config says
#                 nothing about floods: the default flood guard for the
#                 client table (flood_guard_default) and the clock the
#                 loader picks (cfg_tier_to_abi: coarse at this limit)
#   sluice_notop  sluice without the top-talker sampler (--sl-top off):
#                 what `sluicectl top` costs is sluice against it
#   sluice_plain  the same limits without flood guard and coarse clock
#   sluice_coarse, sluice_guard   one of the two (not run by default)
#   sluice_pass   every source under its limit: packets go on to the stack
#   iptables      hashlimit per source, raw PREROUTING, same rate and burst
#   nft           a dynamic set with one limit per source, same hook, same
#                 rate and burst
# in each family: IPv4, and IPv6 with one source per /64 (sluice keys
# IPv6 by /64; ip6tables hashlimit --hashlimit-srcmask 64; nft's set is
# keyed by ip6 saddr & ffff:ffff:ffff:ffff::).
#
# Mixed floods: BENCH_MIXED_SOURCES sources of which a share (each of
# BENCH_MIXED_SHARES) is admitted: the generator's first share * N
# sources, as address ranges.  sluice puts them in a second tier far
# under its limit (known clients: entries made in the warm-up), the rest
# meet the drop-heavy tier; the peers accept them before their limit;
#   oracle        a stateless XDP program (oracle.bpf.c) that passes
#                 exactly those sources and drops the rest: the best any
#                 limiter can do with the same packets (ratio_oracle)
# Each scenario is counted the same way: frames the receiving veth's NAPI
# loop consumed per second (rx_packets), whatever then happened to them.
#
# Environment (defaults):
#   BENCH_SECONDS=5  measurement window per scenario
#   BENCH_WARMUP=2   seconds of flood before the window
#   BENCH_ROUNDS=1   rounds (interleaved); the tables show medians
#   BENCH_SOURCES="1 65536 1000000"   (none: no drop-heavy floods)
#   BENCH_SCENARIOS="xdp_drop sluice sluice_default sluice_notop sluice_plain
#                    sluice_pass iptables nft"
#   BENCH_FAMILIES="ipv4 ipv6"
#   BENCH_MIXED_SOURCES=65536  BENCH_MIXED_SHARES="0.1 0.25 0.5"
#   BENCH_MIXED_SCENARIOS="oracle sluice sluice_default"  (iptables and
#                    nft may be added: they accept the admitted ranges
#                    before their limit)
#                    BENCH_MIXED_SHARES=none runs no mixed flood
#   BENCH_KIND=udp   udp | syn | http
#   BENCH_SPREAD=all all: every generator CPU walks every source, so each
#                    receiving CPU sees them all; rss: each CPU sends every
#                    CPU-count-th source only, as a NIC's RSS keeps a source
#                    on one queue (rows say which: `spread`)
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

bench_start flood iptables ip6tables nft jq
[[ $SOURCES != none ]] || SOURCES=""
[[ $MSHARES != none ]] || MSHARES=""
RAW=$OUT/flood_raw.jsonl
: >"$RAW"
for fam in $FAMILIES; do
	case $fam in
	ipv4) ;;
	ipv6) bench_ipv6_up ;;
	*) bench_die "BENCH_FAMILIES: unknown family '$fam' (ipv4 ipv6)" ;;
	esac
done
for sc in $SCENARIOS; do
	[[ $sc != oracle ]] ||
		bench_die "BENCH_SCENARIOS: oracle only runs in the mixed floods (BENCH_MIXED_SCENARIOS)"
done

# One scenario: floodgen's JSON plus what the peers' counters say.
run_one() {	# scenario sources family [mixed-share]
	local sc=$1 n=$2 fam=$3 mix=${4:-} j d1=0 rx0 rx1 ex=()
	local base=(--sources "$n" --kind "$KIND" --seconds "$SECS"
		    --warmup "$WARM" --family "$fam" --spread "$SPREAD")
	local sl=(--rx-prog sluice --sl-clients "$CLIENTS" --sl-rate "$RATE"
		  --sl-burst "$BURST")

	[[ $fam == ipv6 ]] && base+=(--dst "$RX6_ADDR")
	if [[ -n $mix ]]; then
		base+=(--mixed "$mix")
		mapfile -t ex < <("$FLOODGEN" "${base[@]}" --print-admitted)
	fi
	rx0=$(rx_packets)
	case $sc in
	xdp_drop)	j=$(fg "${base[@]}" --rx-prog drop) ;;
	oracle)		j=$(fg "${base[@]}" --rx-prog oracle) ;;
	sluice)		j=$(fg "${base[@]}" "${sl[@]}" --sl-guard "$GUARD" \
				--sl-coarse) ;;
	sluice_default)	j=$(fg "${base[@]}" "${sl[@]}" --sl-guard default) ;;
	sluice_notop)	j=$(fg "${base[@]}" "${sl[@]}" --sl-guard "$GUARD" \
				--sl-coarse --sl-top off) ;;
	sluice_plain)	j=$(fg "${base[@]}" "${sl[@]}") ;;
	sluice_coarse)	j=$(fg "${base[@]}" "${sl[@]}" --sl-coarse) ;;
	sluice_guard)	j=$(fg "${base[@]}" "${sl[@]}" --sl-guard "$GUARD") ;;
	sluice_pass)	j=$(fg "${base[@]}" --rx-prog sluice \
				--sl-clients "$CLIENTS" --sl-rate 100000000 \
				--sl-burst 1000000 --sl-guard "$GUARD" \
				--sl-coarse) ;;
	iptables)	ipt_add "$RATE" "$BURST" "$fam" "${ex[@]}"
			j=$(fg "${base[@]}" --rx-prog pass)
			d1=$(ipt_drops "$fam")
			ipt_del "$fam" ;;
	nft)		nft_add "$RATE" "$BURST" "$fam" "${ex[@]}"
			j=$(fg "${base[@]}" --rx-prog pass)
			d1=$(nft_drops "$fam")
			nft_del "$fam" ;;
	*)		bench_die "unknown scenario $sc" ;;
	esac
	rx1=$(rx_packets)
	# Share of the frames the limiter dropped: from sluice's counters in
	# the window, from the peers' rule counters over the whole run.  The
	# share passed: what reached the IP layers in the window (every XDP
	# receiver), the rest of the peers' frames.
	jq -c --arg sc "$sc" --argjson n "$n" --arg fam "$fam" --arg sp "$SPREAD" \
	   --arg mix "$mix" --argjson d "$d1" --argjson rx "$((rx1 - rx0))" \
	   --argjson peer "$([[ $sc == iptables || $sc == nft ]] && echo 1 || echo 0)" '
		{scenario: $sc, family: $fam, sources: $n, spread: $sp}
		+ (if $mix == "" then {} else {mixed: ($mix | tonumber)} end)
		+ . +
		{dropped_share: (if .sluice then
			((.sluice.dropped + .sluice.flood_drop) /
			 ([.rx_packets, 1] | max))
		 elif $d > 0 then ($d / ([$rx, 1] | max)) else null end),
		 passed_share: (if $peer == 1 then
			(if $rx > 0 then 1 - $d / $rx else null end)
		 else [.stack_packets / ([.rx_packets, 1] | max), 1] | min end)}' \
		<<<"$j" >>"$RAW"
}

rx_packets() {
	ip -n "$NS_RX" -s -j link show veth1 | jq '.[0].stats64.rx.packets'
}

# Mixed shares as numbers, so that "0.10" and "0.1" are one share.
for s in $MSHARES; do
	[[ $s =~ ^(0(\.[0-9]+)?|1(\.0+)?)$ ]] ||
		bench_die "BENCH_MIXED_SHARES: '$s' is not a share between 0 and 1"
done
MSHARES=$(for s in $MSHARES; do jq -n "$s"; done | tr '\n' ' ')

for ((r = 1; r <= ROUNDS; r++)); do
	for n in $SOURCES; do
		for fam in $FAMILIES; do
			for sc in $SCENARIOS; do
				bench_log "flood: round $r/$ROUNDS, $fam, $n sources, $sc"
				run_one "$sc" "$n" "$fam"
			done
		done
	done
	for s in $MSHARES; do
		for fam in $FAMILIES; do
			for sc in $MSCENARIOS; do
				bench_log "flood: round $r/$ROUNDS, $fam, $MSOURCES sources, $s admitted, $sc"
				run_one "$sc" "$MSOURCES" "$fam" "$s"
			done
		done
	done
done

# Medians per (family, sources, mixed share, scenario), then the ratios
# within each (family, sources, share): to each peer and, in the mixed
# floods, to the oracle; to the ceiling, the XDP_DROP row of the same
# family and sources (the mixed rows too: no mixed flood runs one).
# IPv6 rows: ratio_ipv4, their ratio_ceiling (mixed: ratio_oracle; the
# reference rows xdp_drop and oracle: Mpps) over the IPv4 row's.
# sluice against sluice_notop: the two run back to back in each round,
# so their ratio round by round, then its median, is steadier than the
# ratio of two medians when the machine's speed drifts between rounds.
jq -s '
	def median: sort | if length == 0 then null
		elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r3: if . == null then null else . * 1000 | round / 1000 end;
	def ratio($a; $b): if $a == null or $b == null or $b == 0 then null
		else ($a / $b | r3) end;
	def fs: "\(.family)/\(.sources)";
	def ref: .scenario == "xdp_drop" or .scenario == "oracle";
	def head: if ref then .mpps elif .mixed != null then .ratio_oracle
		else .ratio_ceiling end;
	map(.family //= "ipv4") |
	(map(select(.mixed == null)) | group_by([.family, .sources])
	 | map({key: (.[0] | fs), value:
		([map(select(.scenario == "sluice") | .mpps),
		  map(select(.scenario == "sluice_notop") | .mpps)] | transpose
		 | map(select(.[0] != null and .[1] != null and .[1] > 0)
		       | .[0] / .[1]) | median | r3)})
	 | from_entries) as $pair |
	(group_by([.family, .sources, .mixed]) | map(group_by(.scenario)
		| map(.[0] as $f | {scenario: $f.scenario, family: $f.family,
			sources: $f.sources, spread: ($f.spread // "all")}
		  + (if $f.mixed == null then {} else {mixed: $f.mixed} end)
		  + {mpps: (map(.mpps) | median | r3),
		     passed_share: (map(.passed_share | select(. != null))
			| median | r3)}))) as $groups |
	([$groups[][] | select(.mixed == null and .scenario == "xdp_drop")
	  | {key: fs, value: .mpps}] | from_entries) as $ceil |
	[$groups[] | (map({key: .scenario, value: .mpps}) | from_entries) as $m
	 | .[] | . + {
		ratio_ceiling: (if .scenario == "xdp_drop" and .mixed == null
			then null else ratio(.mpps; $ceil[fs]) end),
		ratio_iptables: (if .scenario == "iptables" then null
			else ratio(.mpps; $m.iptables) end),
		ratio_nft: (if .scenario == "nft" then null
			else ratio(.mpps; $m.nft) end)}
	 | if .mixed != null then . + {ratio_oracle:
		(if .scenario == "oracle" then null
		 else ratio(.mpps; $m.oracle) end)} else . end
	 | if .scenario == "sluice" and .mixed == null then
		. + {ratio_notop: ($pair[fs] // null)} else . end] as $rows |
	$rows | map(. as $x | if .family == "ipv6" then . + {ratio_ipv4:
		([$rows[] | select(.family == "ipv4" and
			.scenario == $x.scenario and .sources == $x.sources and
			.mixed == $x.mixed)][0] // null | if . == null then null
		 else ratio($x | head; head) end)} else . end)
	| sort_by(.family, .mixed, .sources)' "$RAW" >"$OUT/flood.json"

# The tables: one per family and source count, then one per family and
# mixed share; scenarios in the order run.
table() {	# family sources mixed-share|"" scenarios
	local fam=$1 n=$2 mix=$3 order head
	order=$(jq -Rn --arg s "$4" '$s | split(" ") | map(select(. != ""))')
	if [[ -z $mix ]]; then
		printf '\n%s, %s sources (%s, %s s window, %s round(s), median)\n' \
			"${fam/ip/IP}" "$n" "$KIND" "$SECS" "$ROUNDS"
		head=(ceiling iptables nft dropped)
	else
		printf '\n%s mixed, %s sources, %s admitted (%s, %s s window, %s round(s), median)\n' \
			"${fam/ip/IP}" "$n" "$mix" "$KIND" "$SECS" "$ROUNDS"
		head=(oracle ceiling iptables nft passed)
	fi
	[[ $fam == ipv6 ]] && head+=(ipv4)
	printf '  %-14s %8s' scenario Mpps
	printf ' %9s' "${head[@]}"
	printf '\n'
	jq -r --argjson n "$n" --arg fam "$fam" --arg mix "$mix" \
	      --argjson order "$order" --slurpfile raw "$RAW" '
		def f: if . == null then "-" else tostring end;
		def pct: if . == null then "-"
			else (. * 1000 | round / 10 | tostring) + "%" end;
		($mix | if . == "" then null else tonumber end) as $m |
		def here: .family == $fam and .sources == $n and .mixed == $m;
		map(select(here)) as $rows
		| $order[] as $sc | $rows[] | select(.scenario == $sc)
		| [.scenario, .mpps]
		  + (if $m == null then
			[(.ratio_ceiling | f), (.ratio_iptables | f),
			 (.ratio_nft | f),
			 ([$raw[] | (.family //= "ipv4")
			   | select(here and .scenario == $sc)
			   | .dropped_share | select(. != null)]
			  | if length == 0 then null else add / length end
			  | pct)]
		     else
			[(.ratio_oracle | f), (.ratio_ceiling | f),
			 (.ratio_iptables | f), (.ratio_nft | f),
			 (.passed_share | pct)]
		     end)
		  + (if $fam == "ipv6" then [(.ratio_ipv4 | f)] else [] end)
		| @tsv' "$OUT/flood.json" |
	while IFS=$'\t' read -r -a c; do
		printf '  %-14s %8s' "${c[0]}" "${c[1]}"
		printf ' %9s' "${c[@]:2}"
		printf '\n'
	done
}

for fam in $FAMILIES; do
	for n in $SOURCES; do
		table "$fam" "$n" "" "$SCENARIOS"
	done
done
for fam in $FAMILIES; do
	for s in $MSHARES; do
		table "$fam" "$MSOURCES" "$s" "$MSCENARIOS"
	done
done
printf '\nwrote %s and %s\n' "$OUT/flood.json" "$RAW"

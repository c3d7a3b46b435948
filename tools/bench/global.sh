#!/bin/bash
# Global limits (issue 12): what keeping clients in step with Redis
# costs, and how close three gateways hold one client to its limit.
#
#   cost      sluiced on the receiver's interface with one global tier
#             (30/s, burst 30, sync every SYNC), a redis-server of its
#             own in the receiver's namespace (no persistence), and
#             build/tools/globfill keeping N clients of that tier active
#             (demand added to each every sync interval, straight into
#             the pinned sl_glob_use: no traffic).  For each N, a fresh
#             sluiced and an empty Redis, WARM seconds to settle, then
#             over SECS seconds: Redis round trips, commands and syncs
#             per second (sluice_redis_*_total), the EVALSHA calls Redis
#             counted (INFO commandstats), the mean sync duration, and
#             the CPU seconds per second of sluiced and of redis-server
#             (/proc/PID/stat), and the failures by kind
#             (sluice_redis_errors_total: a round trip past TIMEOUT fails
#             the sync, and the next waits for the reconnect's backoff)
#   accuracy  tests/netns/test_global_limits.sh's accuracy part, phases
#             of ACC_SECS: three gateways, 90/s round robin and skewed
#             70/20/10, one client on one gateway; its "accuracy:" lines
#             (offered, passed, expected, error %)
#
# Writes $BUILD/bench/global.json.  Environment (defaults):
#   BENCH_GLOB_CLIENTS="1000 10000 100000", BENCH_GLOB_SECONDS=10,
#   BENCH_GLOB_WARMUP=3, BENCH_GLOB_SYNC=100ms, BENCH_GLOB_TIMEOUT=50ms
#   (the redis section's defaults), BENCH_GLOB_ACC_SECONDS=10,
#   BENCH_GLOB_PARTS="cost accuracy"
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib.sh

GLOBFILL=$BUILD/tools/globfill
METRICS=127.0.0.1:9469
REDIS_PORT=6391
bench_sluiced_require
[[ -x $GLOBFILL ]] || bench_die "$GLOBFILL missing: run make"
bench_start global jq redis-server redis-cli nsenter curl
bench_sluiced_prepare slbg$$
REDIS_DIR=$BENCH_TMP/redis
REDIS_PID=
case $SYNC in
*ms) SYNC_MS=${SYNC%ms} ;;
*s) SYNC_MS=$((${SYNC%s} * 1000)) ;;
*) bench_die "BENCH_GLOB_SYNC: expected Nms or Ns, got '$SYNC'" ;;
esac

in_rx() { ip netns exec "$NS_RX" "$@"; }
rcli() { in_rx redis-cli -p "$REDIS_PORT" "$@"; }

glob_cfg() {
	bench_sluiced_cfg_head | sed "s|^metrics: .*|metrics: {listen: \"$METRICS\"}|"
	cat <<-EOF
	redis: {address: "127.0.0.1:$REDIS_PORT", sync_interval: $SYNC, timeout: $TIMEOUT, on_down: local, host_id: bench}
	tiers:
	  - name: global
	    match: [0.0.0.0/0]
	    limits:
	      - {unit: requests, rate: 30, burst: 30, action: http, scope: global}
	EOF
}

redis_up() {
	mkdir -p "$REDIS_DIR"
	# Not in_rx: $! must be redis-server itself, not a subshell.
	ip netns exec "$NS_RX" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' \
		--appendonly no --dir "$REDIS_DIR" --logfile "$REDIS_DIR/redis.log" >/dev/null 2>&1 &
	REDIS_PID=$!
	BENCH_PIDS+=("$REDIS_PID")
	for _ in $(seq 50); do
		[[ $(rcli ping 2>/dev/null) == PONG ]] && return 0
		sleep 0.1
	done
	bench_die "redis-server did not answer (see $REDIS_DIR/redis.log)"
}

metric() {	# NAME: its value in sluiced's /metrics (0 if absent)
	in_rx curl -s -m 2 "http://$METRICS/metrics" |
		awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'
}

errors() {	# sluice_redis_errors_total by kind, as a JSON object
	in_rx curl -s -m 2 "http://$METRICS/metrics" |
		awk -F'[{}"= ]+' '$1 == "sluice_redis_errors_total" { printf "%s\"%s\":%s", n++ ? "," : "{", $3, $4 }
			END { print n ? "}" : "{}" }'
}

cpu_ticks() {	# PID: utime + stime (clock ticks)
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

evalsha_calls() {
	rcli info commandstats | tr -d '\r' |
		awk -F'[:=,]' '$1 == "cmdstat_evalsha" { print $3; exit } END { print 0 }' | head -1
}

# Every figure sampled at once, as one JSON object.
sample() {
	jq -n --argjson t "$(date +%s.%N)" --argjson cpu "$(cpu_ticks "$SL_PID")" \
		--argjson rcpu "$(cpu_ticks "$REDIS_PID")" \
		--argjson rt "$(metric sluice_redis_round_trips_total)" \
		--argjson cmds "$(metric sluice_redis_commands_total)" \
		--argjson syncs "$(metric sluice_redis_syncs_total)" \
		--argjson dsum "$(metric sluice_redis_sync_duration_seconds_sum)" \
		--argjson dn "$(metric sluice_redis_sync_duration_seconds_count)" \
		--argjson evalsha "$(evalsha_calls)" \
		--argjson active "$(metric "sluice_global_clients{interface=\"$IF\"}")" \
		--argjson err "$(errors)" \
		'{t: $t, cpu: $cpu, rcpu: $rcpu, rt: $rt, cmds: $cmds, syncs: $syncs,
		  dsum: $dsum, dn: $dn, evalsha: $evalsha, active: $active, err: $err}'
}

cost_one() {	# N: one JSON row
	local n=$1 tier fill a b hz
	glob_cfg >"$CFG"
	rcli flushall >/dev/null
	bench_sluiced_start
	tier=$(ctl -j tiers | jq -er '(.data // .).tiers[] | select(.name == "global") | .id') ||
		bench_die "sluicectl -j tiers: no tier named global"
	"$GLOBFILL" --if "$IF" --tier "$tier" --clients "$n" \
		--interval "$SYNC_MS" \
		>"$BENCH_TMP/fill.json" 2>"$BENCH_TMP/fill.err" &
	fill=$!
	BENCH_PIDS+=("$fill")
	for _ in $(seq 100); do
		grep -q 'globfill: ready' "$BENCH_TMP/fill.err" && break
		kill -0 "$fill" 2>/dev/null || { cat "$BENCH_TMP/fill.err" >&2; bench_die "globfill failed"; }
		sleep 0.1
	done
	sleep "$WARM"
	a=$(sample)
	sleep "$SECS"
	b=$(sample)
	kill -INT "$fill"
	wait "$fill" || true
	BENCH_PIDS=("${BENCH_PIDS[@]/$fill/}")
	bench_sluiced_stop
	hz=$(getconf CLK_TCK)
	jq -n --argjson n "$n" --argjson a "$a" --argjson b "$b" --argjson hz "$hz" \
		--slurpfile fill "$BENCH_TMP/fill.json" '
		($b.t - $a.t) as $s |
		def per(f): ((($b | f) - ($a | f)) / $s * 1000 | round) / 1000;
		{clients: $n, active: $b.active, seconds: (($s * 100 | round) / 100),
		 syncs_per_s: per(.syncs), round_trips_per_s: per(.rt),
		 commands_per_s: per(.cmds), evalsha_per_s: per(.evalsha),
		 sync_ms_mean: (if $b.dn > $a.dn then ((($b.dsum - $a.dsum) / ($b.dn - $a.dn) * 1e5 | round) / 100) else null end),
		 sluiced_cpu_s_per_s: ((($b.cpu - $a.cpu) / $hz / $s * 1000 | round) / 1000),
		 redis_cpu_s_per_s: ((($b.rcpu - $a.rcpu) / $hz / $s * 1000 | round) / 1000),
		 errors: ($b.err | with_entries(.value -= ($a.err[.key] // 0)) | with_entries(select(.value > 0))),
		 globfill_cpu_s: ($fill[0].cpu_s // null)}'
}

# The test's accuracy part; its "accuracy:" lines as JSON rows.
accuracy_rows() {
	local out=$BENCH_TMP/accuracy.out
	GLOB_PARTS=accuracy GLOB_SECONDS=$ACC_SECS BUILD=$BUILD \
		tests/netns/test_global_limits.sh >"$out" 2>&1 || true
	grep -E '^netns/test_global_limits: ' "$out" | tail -1 >"$BENCH_TMP/acc.result" || true
	[[ -s $BENCH_TMP/acc.result ]] || { tail -20 "$out" >&2; bench_die "test_global_limits.sh did not finish"; }
	grep '^accuracy: ' "$out" | sed 's/^accuracy: //' | awk '{
		printf "{"
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			v = kv[2]
			if (v !~ /^-?[0-9]+(\.[0-9]+)?$/) v = "\"" v "\""
			printf "%s\"%s\":%s", (i > 1 ? "," : ""), kv[1], v
		}
		print "}" }'
}

: >"$BENCH_TMP/cost.rows"
: >"$BENCH_TMP/acc.rows"
echo '"not run"' >"$BENCH_TMP/acc.result.json"
for part in $PARTS; do
	case $part in
	cost)
		redis_up
		for n in $CLIENTS; do
			bench_log "global: sync cost at $n active clients (${SECS} s)"
			cost_one "$n" >>"$BENCH_TMP/cost.rows"
		done
		;;
	accuracy)
		bench_log "global: accuracy, three gateways (tests/netns/test_global_limits.sh, ${ACC_SECS} s phases)"
		accuracy_rows >"$BENCH_TMP/acc.rows"
		jq -R . "$BENCH_TMP/acc.result" >"$BENCH_TMP/acc.result.json"
		;;
	*) bench_die "BENCH_GLOB_PARTS: no part '$part' (cost accuracy)" ;;
	esac
done

jq -n --arg sync "$SYNC" --arg timeout "$TIMEOUT" --slurpfile cost "$BENCH_TMP/cost.rows" \
	--slurpfile acc "$BENCH_TMP/acc.rows" --slurpfile res "$BENCH_TMP/acc.result.json" \
	'{sync_interval: $sync, timeout: $timeout, limit: {rate: 30, burst: 30}, cost: $cost,
	  accuracy: $acc, accuracy_test: $res[0]}' >"$OUT/global.json"

printf '\nGlobal limits: sync cost (sync every %s, timeout %s, one host, Redis on loopback)\n' "$SYNC" "$TIMEOUT"
printf '  %8s %8s %8s %10s %10s %10s %9s %12s %10s  %s\n' clients active syncs/s round_tr/s commands/s evalsha/s sync_ms sluiced_cpu redis_cpu errors
jq -r '.cost[] | [.clients, .active, .syncs_per_s, .round_trips_per_s, .commands_per_s,
	.evalsha_per_s, (.sync_ms_mean // "-"), .sluiced_cpu_s_per_s, .redis_cpu_s_per_s,
	(.errors | to_entries | map("\(.key) \(.value)") | join(", ") | if . == "" then "none" else . end)] |
	@tsv' "$OUT/global.json" |
	awk -F'\t' '{ printf "  %8s %8s %8s %10s %10s %10s %9s %12s %10s  %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }'
printf '  (cpu: CPU seconds per second)\n\nGlobal limits: accuracy, three gateways, limit 30/s burst 30 (%s)\n' \
	"$(jq -r .accuracy_test "$OUT/global.json")"
jq -r '.accuracy[] | "  \(.phase): \(.client) over \(.gateways) gateway(s): offered \(.offered), passed \(.passed), expected \(.expected) (30/s x \(.elapsed_ms) ms + 30), error \(.error_pct)%"' \
	"$OUT/global.json"
echo "wrote $OUT/global.json"

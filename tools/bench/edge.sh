#!/bin/bash
# Edge answers against nginx limit_req: many clients far over a per-client
# limit of RATE requests/s (burst BURST), answered either at the edge by
# sluiced (a requests meter with action http, nginx behind it unlimited)
# or by nginx itself (limit_req, limit_req_status 429, burst BURST-1
# nodelay: nginx admits burst+1 back to back, sluice burst).  Per row:
#
#   rejected/s      over-limit answers the clients got: HTTP 429s, plus
#                   connections reset (or closed without an answer: wrk
#                   counts both as read errors) and refused (connect
#                   errors); today sluice's action http is a TCP RST, and
#                   once the edge 429 reply lands its answers count as 429s
#   CPU/10k         CPU seconds on the gateway per 10,000 rejections:
#                   softirq time from /proc/stat, machine-wide (it includes
#                   the clients' side of the veth and anything else this
#                   VM runs), less an idle baseline measured in this run,
#                   plus nginx's own CPU (utime+stime of master and workers)
#
# The clients: PROCS wrk processes (one thread each, CONNS connections in
# all) in the sender's namespace, closed loop (as fast as answers come
# back); nftables there spreads new connections round-robin over CLIENTS
# source addresses 198.19.255.10 and up (SNAT), so each is one client of
# the limit.  Modes: close (a new connection per request) and keepalive.
# Every row starts a fresh nginx (and sluiced), so every client starts
# with a full bucket and no connection from an earlier row.
#
# sluiced runs for real (this build's $BUILD/sluiced, its own config,
# control socket and interface name, so its pins under
# /sys/fs/bpf/sluice/<if> are this run's) and is detached after its row,
# pass or fail.
#
# Environment (defaults):
#   BENCH_EDGE_SECONDS=10 per row      BENCH_EDGE_IDLE=3  idle baseline, s
#   BENCH_EDGE_CLIENTS=200 (1-240)     BENCH_EDGE_CONNS=200 BENCH_EDGE_PROCS=2
#   BENCH_EDGE_MODES="close keepalive"
#   BENCH_EDGE_SETUPS="sluice sluice_kernel nginx" (sluice_kernel: without
#   edge_connections, so the kernel makes every refused connection)
#   BENCH_EDGE_RATE=1 BENCH_EDGE_BURST=5   per client, requests/s
# Writes $BUILD/bench/edge.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/lib.sh

bench_sluiced_require
bench_start edge jq nginx wrk nft nsenter ss
((CLIENTS >= 1 && CLIENTS <= 240)) || bench_die "BENCH_EDGE_CLIENTS=$CLIENTS: 1 to 240"
((BURST >= 1 && PROCS >= 1 && CONNS >= PROCS)) ||
	bench_die "BENCH_EDGE_BURST >= 1 and BENCH_EDGE_CONNS >= BENCH_EDGE_PROCS >= 1"

bench_sluiced_prepare slbe$$
HZ=$(getconf CLK_TCK)

# ---- the clients: CLIENTS source addresses, SNAT round-robin -------------

client_addr() { echo "198.19.255.$((10 + $1))"; }	# N (0-based)

for ((i = 0; i < CLIENTS; i++)); do
	echo "address add $(client_addr "$i")/32 dev veth0"
done | ip -n "$NS_TX" -batch -
map=$(for ((i = 0; i < CLIENTS; i++)); do printf '%d : %s, ' "$i" "$(client_addr "$i")"; done)
ip netns exec "$NS_TX" nft -f - <<EOF
table ip slbedge {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr $TX_ADDR ip daddr $RX_ADDR tcp dport 80 snat ip to numgen inc mod $CLIENTS map { ${map%, } }
	}
}
EOF
# Conntrack (for the SNAT) takes the edge's resets as they come, and
# forgets closed connections quickly; ports for a closed loop.
ip netns exec "$NS_TX" sysctl -qw net.netfilter.nf_conntrack_tcp_be_liberal=1 \
	net.netfilter.nf_conntrack_tcp_timeout_time_wait=1 \
	net.netfilter.nf_conntrack_tcp_timeout_close=1 \
	net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1

# wrk counts the answers by status; one JSON line from its done().
cat >"$BENCH_TMP/edge.lua" <<'EOF'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) n200, n429, nother = 0, 0, 0 end
function response(status, headers, body)
	if status == 200 then n200 = n200 + 1
	elseif status == 429 then n429 = n429 + 1
	else nother = nother + 1 end
end
function done(summary, latency, requests)
	local a, b, c = 0, 0, 0
	for _, t in ipairs(threads) do
		a = a + t:get("n200"); b = b + t:get("n429"); c = c + t:get("nother")
	end
	local e = summary.errors
	io.write(string.format('{"responses":%d,"ok":%d,"s429":%d,"other":%d,' ..
		'"connect":%d,"read":%d,"write":%d,"timeout":%d,"duration_us":%d}\n',
		summary.requests, a, b, c, e.connect, e.read, e.write, e.timeout,
		summary.duration))
end
EOF

# ---- sluiced --------------------------------------------------------------

sluice_cfg() {	# on|off: edge_connections
	local ec=
	[[ $1 == on ]] && ec="edge_connections: {ports: [80]}"
	bench_sluiced_cfg_head
	cat <<-EOF
	$ec
	tiers:
	  - name: rest
	    match: [0.0.0.0/0, "::/0"]
	    verdict: pass
	  - name: edge
	    match: [198.19.255.0/24]
	    limits:
	      - {unit: requests, rate: $RATE/s, burst: $BURST, action: http}
	EOF
}

sluice_start() {	# on|off
	sluice_cfg "$1" >"$CFG"
	bench_sluiced_start
}

sluice_stop() { bench_sluiced_stop; }

sluice_counts() {	# the edge tier's counters: {passed, reset, http}
	ctl -j tiers | jq -c '(.data // .).tiers[] | select(.name == "edge") |
		.counters | {passed: .passed.packets, reset: .reset.packets,
			     http: (.http.packets // null)}'
}

# ---- nginx and the CPU it uses ---------------------------------------------

# Both setups answer with empty_gif (a content handler: limit_req runs in
# an earlier phase, which return would skip).
NGINX_LOC="empty_gif;"
# Both setups' nginx listens with `deferred` (TCP_DEFER_ACCEPT) unless
# BENCH_EDGE_LISTEN says otherwise: nginx takes a connection when its
# first data arrives, so one whose request the edge refused (and reset)
# never reaches it at all.
NGINX_LISTEN=${LISTEN:-}
[[ $NGINX_LISTEN != none ]] || NGINX_LISTEN=
nginx_limited() {
	nginx_start "limit_req_zone \$binary_remote_addr zone=edge:10m rate=${RATE}r/s;
		limit_req zone=edge burst=$((BURST - 1)) nodelay;
		limit_req_status 429;
		limit_req_log_level info;" "$NGINX_LOC"
}

nginx_stop() {
	kill -TERM "$NGINX_PID" 2>/dev/null
	wait "$NGINX_PID" 2>/dev/null || true
	BENCH_PIDS=("${BENCH_PIDS[@]/$NGINX_PID/}")
}

softirq_ticks() { awk '$1 == "cpu" { print $8; exit }' /proc/stat; }

proc_ticks() {	# PID...: their utime + stime, in clock ticks
	local p t=0 f
	for p; do
		# After the command name: state is field 0, utime 11, stime 12.
		f=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		read -ra f <<<"$f"
		t=$((t + f[11] + f[12]))
	done
	echo "$t"
}

now_ns() { date +%s%N; }

# ---- the rows ---------------------------------------------------------------

wrk_run() {	# MODE: PROCS wrk for SECS; their JSON lines summed
	local mode=$1 p pids=() hdr=() c
	[[ $mode == close ]] && hdr=(-H "Connection: close")
	for ((p = 0; p < PROCS; p++)); do
		c=$((CONNS / PROCS + (p < CONNS % PROCS)))
		ip netns exec "$NS_TX" wrk -t1 -c "$c" -d "${SECS}s" --timeout 2s \
			-s "$BENCH_TMP/edge.lua" "${hdr[@]}" "http://$RX_ADDR/" \
			>"$BENCH_TMP/wrk.$p" 2>&1 &
		pids+=("$!")
	done
	BENCH_PIDS+=("${pids[@]}")
	wait "${pids[@]}" || true
	for p in "${pids[@]}"; do BENCH_PIDS=("${BENCH_PIDS[@]/$p/}"); done
	for ((p = 0; p < PROCS; p++)); do
		grep -h '^{' "$BENCH_TMP/wrk.$p" ||
			{ cat "$BENCH_TMP/wrk.$p" >&2; bench_die "wrk $p printed no result"; }
	done | jq -cs 'reduce .[] as $r ({}; reduce ($r | keys[]) as $k (.;
		.[$k] += $r[$k]))'
}

idle_rate() {	# softirq ticks per second with nothing of ours running
	local s0 t0
	s0=$(softirq_ticks) t0=$(now_ns)
	sleep "$IDLE"
	awk -v s="$(($(softirq_ticks) - s0))" -v t="$(($(now_ns) - t0))" \
		'BEGIN { printf "%.3f", s / (t / 1e9) }'
}

# Not in a subshell: sluiced and nginx are this shell's, for the cleanup.
row() {	# SETUP MODE: one JSON row on stdout
	local setup=$1 mode=$2 npids s0 s1 n0 n1 d0=0 d1=0 t0 t1 w est sl=null
	case $setup in
	sluice) nginx_start "" "$NGINX_LOC"; sluice_start on ;;
	sluice_kernel) nginx_start "" "$NGINX_LOC"; sluice_start off ;;
	*) nginx_limited ;;
	esac
	mapfile -t npids < <(ps -o pid= --ppid "$NGINX_PID" | tr -d ' ')
	npids+=("$NGINX_PID")
	s0=$(softirq_ticks) n0=$(proc_ticks "${npids[@]}") t0=$(now_ns)
	[[ -n $SL_PID ]] && d0=$(proc_ticks "$SL_PID")
	# Not in a subshell either: the cleanup stops the wrk processes.
	wrk_run "$mode" >"$BENCH_TMP/wrk.json"
	w=$(<"$BENCH_TMP/wrk.json")
	s1=$(softirq_ticks) n1=$(proc_ticks "${npids[@]}") t1=$(now_ns)
	[[ -n $SL_PID ]] && { d1=$(proc_ticks "$SL_PID"); sl=$(sluice_counts); }
	# Server sockets still open once the clients are done (the edge's
	# resets leave nginx's side of the connection until it times out).
	est=$(ip netns exec "$NS_RX" ss -Htn state established '( sport = :80 )' | wc -l)
	sluice_stop
	nginx_stop
	jq -cn --argjson w "$w" --argjson sl "$sl" --arg setup "$setup" \
		--arg mode "$mode" --argjson dt "$(((t1 - t0) / 1000000))" \
		--argjson hz "$HZ" --argjson idle "$IDLE_RATE" \
		--argjson soft "$((s1 - s0))" --argjson ng "$((n1 - n0))" \
		--argjson sd "$((d1 - d0))" --argjson est "$est" \
		--argjson clients "$CLIENTS" --argjson conns "$CONNS" \
		--argjson rate "$RATE" --argjson burst "$BURST" '
		def r(n): . * n | round / n;
		($dt / 1000) as $s | ($w.s429 + $w.read + $w.write + $w.connect) as $rej |
		(($soft - $idle * $s) / $hz) as $net | ($ng / $hz) as $nc |
		{setup: $setup, mode: $mode, seconds: ($s | r(100)),
		 clients: $clients, conns: $conns, rate: $rate, burst: $burst,
		 requests: ($w.responses + $w.read + $w.write + $w.connect + $w.timeout),
		 ok: $w.ok, http_429: $w.s429, other_status: $w.other,
		 reset: ($w.read + $w.write), refused: $w.connect, timeouts: $w.timeout,
		 rejected: $rej, rejected_per_s: ($rej / $s | r(10)),
		 ok_per_s: ($w.ok / $s | r(10)),
		 softirq_s: ($soft / $hz), softirq_idle_s: ($idle * $s / $hz | r(100)),
		 nginx_cpu_s: $nc, sluiced_cpu_s: ($sd / $hz),
		 cpu_s: ($net + $nc | r(100)),
		 cpu_s_per_10k: (if $rej > 0 then ($net + $nc) / $rej * 10000 | r(1000)
				 else null end),
		 server_sockets_after: $est, sluice: $sl}'
}

IDLE_RATE=$(idle_rate)
bench_log "edge: idle softirq $IDLE_RATE ticks/s (machine-wide)"
: >"$BENCH_TMP/rows"
for mode in $MODES; do
	for setup in $SETUPS; do
		case $setup in sluice|sluice_kernel|nginx) ;;
		*) bench_die "BENCH_EDGE_SETUPS: unknown setup '$setup' (sluice sluice_kernel nginx)" ;;
		esac
		case $mode in close|keepalive) ;;
		*) bench_die "BENCH_EDGE_MODES: unknown mode '$mode' (close keepalive)" ;;
		esac
		bench_log "edge: $setup, $mode, $CONNS connections from $CLIENTS clients, ${SECS} s"
		row "$setup" "$mode" >>"$BENCH_TMP/rows"
	done
done
idle2=$(idle_rate)
bench_log "edge: idle softirq at the end $idle2 ticks/s"
# Each sluice row against the nginx row of its mode.
jq -s '
	(map(select(.setup == "nginx")) | map({(.mode): .cpu_s_per_10k}) | add // {}) as $n |
	map(. + (if (.setup | startswith("sluice")) and ($n[.mode] // 0) > 0 and .cpu_s_per_10k != null
		 then {cpu_ratio_to_nginx: (.cpu_s_per_10k / $n[.mode] * 1000 | round / 1000)}
		 else {} end))' "$BENCH_TMP/rows" >"$OUT/edge.json"

printf '\nEdge answers against nginx limit_req: %s clients, limit %s/s burst %s each,\n' \
	"$CLIENTS" "$RATE" "$BURST"
printf '%s wrk connections (%s processes), %s s per row; idle softirq %s and %s ticks/s\n' \
	"$CONNS" "$PROCS" "$SECS" "$IDLE_RATE" "$idle2"
printf '  %-7s %-9s %10s %8s %8s %8s %8s %8s %9s %7s %8s\n' setup mode rejected/s \
	429 reset refused ok/s softirq nginx_cpu CPU/10k sockets
jq -r '.[] | [.setup, .mode, .rejected_per_s, .http_429, .reset, .refused,
	      .ok_per_s, (.softirq_s - .softirq_idle_s | . * 100 | round / 100),
	      .nginx_cpu_s, (.cpu_s_per_10k // "-"), .server_sockets_after] | @tsv' \
	"$OUT/edge.json" |
while IFS=$'\t' read -r s m r h x f o q n c k; do
	printf '  %-7s %-9s %10s %8s %8s %8s %8s %8s %9s %7s %8s\n' "$s" "$m" "$r" \
		"$h" "$x" "$f" "$o" "$q" "$n" "$c" "$k"
done
jq -r '.[] | select(.cpu_ratio_to_nginx) |
	"  \(.mode): \(.setup) CPU per rejection = \(.cpu_ratio_to_nginx) x nginx limit_req'"'"'s (target <= 0.333)"' \
	"$OUT/edge.json"
printf '\nwrote %s\n' "$OUT/edge.json"

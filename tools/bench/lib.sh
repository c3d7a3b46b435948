# shellcheck shell=bash
# Shared by the bench scripts (sourced): their knobs (bench_knobs, one
# table for all) and start (bench_start), the two namespaces, the peers'
# rules, nginx, hey, and small helpers.  Addresses:
#   198.19.255.2/24  veth0 in the sender's namespace (the generator, hey)
#   198.19.255.1/24  veth1 in the receiver's namespace (the limiter, nginx)
#   flood sources    198.18.0.0 - 198.19.254.255 (130,816 addresses), then
#                    100.64.0.0/10: spoofed sources only, never routed and
#                    never a destination.  Neither namespace has any route
#                    but its connected /24, so nothing answers them.
#   2001:2:0:ffff::1/128  veth1's IPv6 address, for the IPv6 floods only
#                    (bench_ipv6_up); the sender has no IPv6 at all
#   IPv6 sources     2001:2:0:NNNN::2, one per /64 of 2001:2::/48 (65,536),
#                    then 2001:db8:HHHH:LLLL::2 (2001:db8::/32, spoofed
#                    sources only).  The receiver has no IPv6 route but
#                    its own address: nothing answers them either.

BUILD=${BUILD:-build}
FLOODGEN=$BUILD/tools/floodgen
RX_ADDR=198.19.255.1
TX_ADDR=198.19.255.2
RX6_ADDR=2001:2:0:ffff::1
NS_TX=
NS_RX=
BENCH_TMP=
BENCH_PIDS=()

# Every bench's knobs, one a line: SCRIPT VARIABLE ENVIRONMENT DEFAULT
# (the rest of the line).  Each script's top says what its knobs mean.
BENCH_KNOBS='
flood    SECS       BENCH_SECONDS        5
flood    WARM       BENCH_WARMUP         2
flood    ROUNDS     BENCH_ROUNDS         1
flood    SOURCES    BENCH_SOURCES        1 65536 1000000
flood    SCENARIOS  BENCH_SCENARIOS      xdp_drop sluice sluice_default sluice_notop sluice_plain sluice_pass iptables nft
flood    FAMILIES   BENCH_FAMILIES       ipv4 ipv6
flood    MSHARES    BENCH_MIXED_SHARES   0.1 0.25 0.5
flood    MSOURCES   BENCH_MIXED_SOURCES  65536
flood    MSCENARIOS BENCH_MIXED_SCENARIOS oracle sluice sluice_default
flood    KIND       BENCH_KIND           udp
flood    SPREAD     BENCH_SPREAD         all
flood    RATE       BENCH_RATE           6/minute
flood    BURST      BENCH_BURST          1
flood    GUARD      BENCH_GUARD          10000:20000
flood    CLIENTS    BENCH_CLIENTS        1048576
legit    SECS       BENCH_LEGIT_SECONDS  10
legit    QPS        BENCH_LEGIT_QPS      100
legit    NSRC       BENCH_LEGIT_SOURCES  1000000
legit    PPS        BENCH_LEGIT_PPS      1500000
legit    RATE       BENCH_LEGIT_RATE     2000
legit    BURST      BENCH_LEGIT_BURST    4000
legit    GUARD      BENCH_GUARD          default
accuracy SECS       BENCH_ACC_SECONDS    10
accuracy RATES      BENCH_ACC_RATES      10 1000 100000 1000000
accuracy CLOCKS     BENCH_ACC_CLOCKS     precise coarse
loadtest SECS       BENCH_LOAD_SECONDS   10
loadtest QPS        BENCH_LOAD_QPS       100 200 300
loadtest LIMIT      BENCH_LOAD_LIMIT     150
loadtest BURST      BENCH_LOAD_BURST     15
edge     SECS       BENCH_EDGE_SECONDS   10
edge     IDLE       BENCH_EDGE_IDLE      3
edge     CLIENTS    BENCH_EDGE_CLIENTS   200
edge     CONNS      BENCH_EDGE_CONNS     200
edge     PROCS      BENCH_EDGE_PROCS     2
edge     MODES      BENCH_EDGE_MODES     close keepalive
edge     SETUPS     BENCH_EDGE_SETUPS    sluice sluice_kernel nginx
edge     RATE       BENCH_EDGE_RATE      1
edge     BURST      BENCH_EDGE_BURST     5
edge     LISTEN     BENCH_EDGE_LISTEN    deferred
services SECS       BENCH_SVC_SECONDS    5
services ROUNDS     BENCH_SVC_ROUNDS     3
services CONNS      BENCH_SVC_CONNS      50
breaker  ROUNDS     BENCH_BRK_ROUNDS     7
breaker  MINREQ     BENCH_BRK_MIN_REQUESTS 20
breaker  RUN        BENCH_BRK_RUN        5
global   SECS       BENCH_GLOB_SECONDS   10
global   WARM       BENCH_GLOB_WARMUP    3
global   CLIENTS    BENCH_GLOB_CLIENTS   1000 10000 100000
global   SYNC       BENCH_GLOB_SYNC      100ms
global   TIMEOUT    BENCH_GLOB_TIMEOUT   50ms
global   ACC_SECS   BENCH_GLOB_ACC_SECONDS 10
global   PARTS      BENCH_GLOB_PARTS     cost accuracy
'

bench_log() { printf '%s\n' "$*" >&2; }
bench_die() { bench_log "bench: $*"; exit 1; }

# Everything a bench needs, checked up front so a run never dies halfway.
bench_require() {	# tool...
	local t
	[[ $(id -u) == 0 ]] || bench_die "run as root (namespaces, XDP)"
	[[ -x $FLOODGEN ]] || bench_die "$FLOODGEN missing: run make"
	for t in ip "$@"; do
		command -v "$t" >/dev/null || bench_die "$t not found (make deps)"
	done
}

bench_cleanup() {
	local p
	for p in "${BENCH_PIDS[@]}"; do
		# A killed process's status is not an error (set -e in a trap).
		kill "$p" 2>/dev/null && { wait "$p" 2>/dev/null || true; }
	done
	BENCH_PIDS=()
	[[ -n $NS_TX ]] && ip netns del "$NS_TX" 2>/dev/null
	[[ -n $NS_RX ]] && ip netns del "$NS_RX" 2>/dev/null
	[[ -n $BENCH_TMP ]] && rm -rf "$BENCH_TMP"
	NS_TX='' NS_RX='' BENCH_TMP=''
	return 0
}

# SCRIPT's knobs (BENCH_KNOBS): each variable from its environment
# variable, else its default.
bench_knobs() {	# SCRIPT
	local s var env def
	while read -r s var env def; do
		[[ -n $s && $s == "$1" ]] || continue
		printf -v "$var" '%s' "${!env:-$def}"
	done <<<"$BENCH_KNOBS"
}

# The start of every bench: its knobs, OUT ($BUILD/bench), the tools it
# needs, the namespaces.
bench_start() {	# SCRIPT tool...
	bench_knobs "$1"
	shift
	OUT=$BUILD/bench
	bench_require "$@"
	mkdir -p "$OUT"
	bench_ns_up
}

# Two namespaces joined by one veth pair with one queue per CPU, so each
# generator thread feeds its own receive queue and NAPI instance.
bench_ns_up() {
	local q
	q=$(nproc)
	NS_TX=slb-$$-tx
	NS_RX=slb-$$-rx
	BENCH_TMP=$(mktemp -d /tmp/sluice-bench.XXXXXX)
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
	ip netns add "$NS_TX"
	ip netns add "$NS_RX"
	# No IPv6: its neighbour discovery would be counted with the flood.
	ip netns exec "$NS_TX" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$NS_RX" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip link add veth0 numtxqueues "$q" numrxqueues "$q" netns "$NS_TX" \
		type veth peer name veth1 numtxqueues "$q" numrxqueues "$q" \
		netns "$NS_RX"
	ip -n "$NS_TX" addr add "$TX_ADDR/24" dev veth0
	ip -n "$NS_RX" addr add "$RX_ADDR/24" dev veth1
	ip -n "$NS_TX" link set lo up
	ip -n "$NS_RX" link set lo up
	ip -n "$NS_TX" link set veth0 up
	ip -n "$NS_RX" link set veth1 up
	# A reset sluice sends with XDP_TX arrives on veth0 as an XDP frame,
	# which veth only takes when veth0 has an XDP program of its own.
	ip -n "$NS_TX" link set dev veth0 xdpdrv \
		object "$BUILD/tools/bench/bench_gen.bpf.o" program bench_pass
	# Same stack behaviour whatever the host's defaults: no reverse-path
	# filter, so packets that pass the limiter are delivered locally (and
	# discarded there: nothing listens on the flood's port, and an ICMP
	# error to a spoofed source finds no route).
	ip netns exec "$NS_RX" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.veth1.rp_filter=0
}

# IPv6 on the receiving veth, for the IPv6 floods: one /128 and no route,
# no duplicate address detection, no router solicitations (the sender
# keeps IPv6 off, so nothing it sends is neighbour discovery).
bench_ipv6_up() {
	local c=net.ipv6.conf.veth1
	ip netns exec "$NS_RX" sysctl -qw $c.accept_dad=0 $c.accept_ra=0 \
		$c.router_solicitations=0 $c.disable_ipv6=0
	ip -n "$NS_RX" addr add "$RX6_ADDR/128" dev veth1 nodad
}

# floodgen between the bench's namespaces; extra options follow.  Its
# progress lines go to $BENCH_TMP/fg.log, shown when it fails.
fg() {
	"$FLOODGEN" --rx-netns "$NS_RX" --tx-netns "$NS_TX" --rx-dev veth1 \
		--tx-dev veth0 --dst "$RX_ADDR" --batch "${BENCH_BATCH:-256}" \
		"$@" 2>"$BENCH_TMP/fg.log" || {
		cat "$BENCH_TMP/fg.log" >&2
		bench_die "floodgen $* failed"
	}
}

# floodgen in the background until stopped (the HTTP tests); its JSON
# goes to $1.  Returns once the receiver is attached (and the flood, if
# any, is running).
fg_start() {	# out-file floodgen-options...
	local out=$1
	shift
	"$FLOODGEN" --rx-netns "$NS_RX" --tx-netns "$NS_TX" --rx-dev veth1 \
		--tx-dev veth0 --dst "$RX_ADDR" --batch "${BENCH_BATCH:-256}" \
		"$@" >"$out" 2>"$out.err" &
	FG_PID=$!
	FG_OUT=$out
	BENCH_PIDS+=("$FG_PID")
	fg_wait_for ready
}

fg_wait_for() {	# ready | flooding
	local i
	for ((i = 0; i < 300; i++)); do
		grep -q "floodgen: $1" "$FG_OUT.err" 2>/dev/null && return 0
		kill -0 "$FG_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$FG_OUT.err" >&2
	bench_die "floodgen did not get to '$1'"
}

# Start the flood held back by --gen-wait.
fg_go() {
	kill -USR1 "$FG_PID"
	fg_wait_for flooding
}

# Stop it; its JSON is then in $FG_OUT.  Not in a subshell: only this
# shell can wait for it.
fg_stop() {
	kill -INT "$FG_PID" 2>/dev/null
	wait "$FG_PID" 2>/dev/null || true
	BENCH_PIDS=("${BENCH_PIDS[@]/$FG_PID/}")
}

# ---- the peers: per-source limits at the same rate and burst ------------
# FAMILY ipv4 (default) or ipv6; IPv6 sources are keyed by their /64.
# EXEMPT: source ranges (FIRST-LAST) accepted before the limit, the
# admitted sources of a mixed flood.

# iptables hashlimit in raw PREROUTING: the earliest hook, before
# conntrack, where an operator would put a flood filter.
ipt_cmd() { [[ ${1:-ipv4} == ipv6 ]] && echo ip6tables || echo iptables; }

ipt_add() {	# rate burst [FAMILY [EXEMPT...]]
	local ipt mask=() r
	ipt=$(ipt_cmd "${3:-}")
	[[ ${3:-} == ipv6 ]] && mask=(--hashlimit-srcmask 64)
	for r in "${@:4}"; do
		ip netns exec "$NS_RX" "$ipt" -t raw -A PREROUTING \
			-m iprange --src-range "$r" -j ACCEPT
	done
	ip netns exec "$NS_RX" "$ipt" -t raw -A PREROUTING \
		-m hashlimit --hashlimit-mode srcip "${mask[@]}" \
		--hashlimit-name slbench \
		--hashlimit-above "$1" --hashlimit-burst "$2" \
		--hashlimit-htable-size 1048576 --hashlimit-htable-max 1048576 \
		--hashlimit-htable-expire 120000 -j DROP
}

ipt_del() {	# [FAMILY]
	ip netns exec "$NS_RX" "$(ipt_cmd "${1:-}")" -t raw -F PREROUTING
}

# nftables: a dynamic set holding one limit per source (per /64), same
# hook.
nft_add() {	# rate burst [FAMILY [EXEMPT...]]
	local t=ip type=ipv4_addr key="ip saddr" src="ip saddr" ex=""
	if [[ ${3:-} == ipv6 ]]; then
		t=ip6 type=ipv6_addr key="ip6 saddr & ffff:ffff:ffff:ffff::"
		src="ip6 saddr"
	fi
	(($# > 3)) && ex="$src { $(IFS=,; echo "${*:4}") } accept"
	ip netns exec "$NS_RX" nft -f - <<-EOF
	table $t slbench {
		set flood {
			type $type
			size 1048576
			flags dynamic,timeout
			timeout 2m
		}
		chain pre {
			type filter hook prerouting priority raw; policy accept;
			$ex
			update @flood { $key limit rate over $1 burst $2 packets } counter drop
		}
	}
	EOF
}

nft_fam() { [[ ${1:-ipv4} == ipv6 ]] && echo ip6 || echo ip; }

nft_del() {	# [FAMILY]
	ip netns exec "$NS_RX" nft delete table "$(nft_fam "${1:-}")" slbench \
		2>/dev/null || true
}

# Packets the peer's drop rule counted.
ipt_drops() {	# [FAMILY]
	ip netns exec "$NS_RX" "$(ipt_cmd "${1:-}")" -t raw -L PREROUTING -v -x -n |
		awk '$3 == "DROP" { print $1; exit }'
}

# The set is flushed first: nft fetches every element of a table's sets
# to list one of its chains (at 1M elements that takes minutes).
nft_drops() {	# [FAMILY]
	ip netns exec "$NS_RX" nft flush set "$(nft_fam "${1:-}")" slbench flood
	ip netns exec "$NS_RX" nft list chain "$(nft_fam "${1:-}")" slbench pre |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

# ---- nginx and hey -------------------------------------------------------

# nginx in the receiver's namespace; DIRECTIVES (optional) go inside
# http {} (the edge bench's limit_req), LOCATION is what location / does
# (default: return 200; limit_req needs a content handler such as
# empty_gif, since return ends the request before limit_req's phase).
# NGINX_LISTEN: more listen parameters (the edge bench's "deferred").
# NGINX_PID: its master.
nginx_start() {	# [DIRECTIVES [LOCATION]]
	local d=$BENCH_TMP/nginx loc=${2:-'return 200 "ok\n";'}
	mkdir -p "$d/logs"
	cat >"$d/nginx.conf" <<-EOF
	daemon off;
	worker_processes 2;
	pid $d/nginx.pid;
	error_log $d/logs/error.log warn;
	pcre_jit off;
	events { worker_connections 4096; }
	http {
		access_log off;
		client_body_temp_path $d/body;
		proxy_temp_path $d/proxy;
		fastcgi_temp_path $d/fastcgi;
		uwsgi_temp_path $d/uwsgi;
		scgi_temp_path $d/scgi;
		${1:-}
		server {
			listen $RX_ADDR:80 reuseport backlog=4096 ${NGINX_LISTEN:-};
			location / { $loc }
		}
	}
	EOF
	ip netns exec "$NS_RX" nginx -p "$d" -c "$d/nginx.conf" &
	NGINX_PID=$!
	BENCH_PIDS+=("$NGINX_PID")
	for _ in $(seq 50); do
		ip netns exec "$NS_TX" curl -s -m 1 -o /dev/null \
			"http://$RX_ADDR/" && return 0
		sleep 0.1
	done
	cat "$d/logs/error.log" >&2
	bench_die "nginx did not come up"
}

# hey at a fixed offered rate from the sender's namespace; prints one
# JSON object.  Refused requests fail fast (the limiter answers with a
# reset), so a short client timeout only matters for lost packets.
hey_run() {	# qps seconds [workers]
	local qps=$1 secs=$2 c=${3:-10} out
	out=$BENCH_TMP/hey.out
	ip netns exec "$NS_TX" hey -z "${secs}s" -c "$c" \
		-q "$(awk -v q="$qps" -v c="$c" 'BEGIN { print q / c }')" \
		-t 2 -disable-keepalive "http://$RX_ADDR/" >"$out" 2>&1 || true
	awk -v secs="$secs" -v offered="$qps" '
		/Average:/ { avg = $2 }
		/ 50% in / { p50 = $3 }
		/ 90% in / { p90 = $3 }
		/ 99% in / { p99 = $3 }
		/\[200\]/ { ok += $2 }
		/^  \[[0-9]+\]\t/ { if ($0 !~ /responses/) err += substr($1, 2) + 0 }
		/responses$/ && !/\[200\]/ { other += $2 }
		END {
			n = ok + err + other
			printf "{\"offered_qps\":%s,\"sent\":%d,\"sent_qps\":%.1f,", offered, n, n / secs
			printf "\"ok\":%d,\"passed_qps\":%.1f,\"failed\":%d,", ok, ok / secs, err + other
			printf "\"success_rate\":%.4f,\"rejection_rate\":%.4f,", n ? ok / n : 0, n ? (err + other) / n : 0
			printf "\"avg_ms\":%.2f,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f}\n", avg * 1000, p50 * 1000, p90 * 1000, p99 * 1000
		}' "$out"
}

# Median of numbers on stdin.
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) { print "null"; exit }
		print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---- sluiced in the receiver's namespace -------------------------------------
# For benches that run the daemon: SLUICED, SLUICECTL, SOCK, CFG (written
# by the caller), SL_LOG and PIN_DIR set by the caller; SL_PID is ours.

ctl() { timeout 10 "$SLUICECTL" -s "$SOCK" "$@"; }

# Before bench_start: this build's daemon and CLI, or stop here.
bench_sluiced_require() {
	SLUICED=$BUILD/sluiced
	SLUICECTL=$BUILD/sluicectl
	[[ -x $SLUICED && -x $SLUICECTL ]] ||
		bench_die "$SLUICED or $SLUICECTL missing: run make"
}

# The head of a bench's sluiced config, up to `tiers:` (excluded).
bench_sluiced_cfg_head() {
	cat <<-EOF
	interfaces: [$IF]
	control_socket: $SOCK
	metrics: {listen: off}
	client_table_size: 4096
	log_level: info
	mode: enforce
	EOF
}

# After bench_start: the receiving veth renamed IFNAME (sluiced pins by
# interface name: a name of this run's, not veth1), the daemon's files in
# the run's directory, and a cleanup that stops it, pass or fail.
bench_sluiced_prepare() {	# IFNAME
	IF=$1
	PIN_DIR=/sys/fs/bpf/sluice/$IF
	SOCK=$BENCH_TMP/sluiced.sock
	CFG=$BENCH_TMP/sluice.yaml
	SL_LOG=$BENCH_TMP/sluiced.log
	SL_PID=
	trap 'set +e; bench_sluiced_stop; bench_cleanup' EXIT
	ip -n "$NS_RX" link set veth1 down
	ip -n "$NS_RX" link set veth1 name "$IF"
	ip -n "$NS_RX" link set "$IF" up
}

# In the receiver's network namespace but the host's mount namespace
# (nsenter, not ip netns exec), so the pins are in the real /sys/fs/bpf.
bench_sluiced_start() {
	local i
	nsenter --net="/run/netns/$NS_RX" -- "$SLUICED" -c "$CFG" >>"$SL_LOG" 2>&1 &
	SL_PID=$!
	for ((i = 0; i < 150; i++)); do
		ctl status >/dev/null 2>&1 && return 0
		kill -0 "$SL_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$SL_LOG" >&2
	bench_die "sluiced did not answer on $SOCK"
}

# sluicectl detach (programs and pins go, the daemon exits); else SIGTERM
# and sluiced --detach with this run's config (never without one: an
# unreadable config detaches every interface under the pin root).
bench_sluiced_stop() {
	local i
	[[ -n ${SL_PID:-} ]] || return 0
	ctl detach >/dev/null 2>&1 || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$SL_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SL_PID" 2>/dev/null; then
		kill -TERM "$SL_PID" 2>/dev/null
		sleep 1
		kill -0 "$SL_PID" 2>/dev/null && kill -KILL "$SL_PID" 2>/dev/null
	fi
	wait "$SL_PID" 2>/dev/null || true
	SL_PID=
	if [[ -e $PIN_DIR ]] && "$SLUICED" -t -c "$CFG" >/dev/null 2>&1; then
		nsenter --net="/run/netns/$NS_RX" -- "$SLUICED" --detach -c "$CFG" \
			>>"$SL_LOG" 2>&1 || true
	fi
	[[ ! -e $PIN_DIR ]] || bench_log "bench: $PIN_DIR left behind (see $SL_LOG)"
	return 0
}

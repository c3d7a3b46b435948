# shellcheck shell=bash
# Three gateways sharing one Redis (issue 12), sourced after lib.sh by
# the global-limit tests; tools/bench/global.sh uses it too.  Namespaces
# (lab_ns names, so `on HOST CMD` works):
#
#                     198.18.200.0/24 (a bridge in redis)
#   redis  br0 .1 ── redis-server :6390 ──┬── gw1 r0 .11
#                                          ├── gw2 r0 .12
#                                          └── gw3 r0 .13
#   cli    eth1 198.18.211.2 ──── gw1 $GW_IF[1] 198.18.211.1 (XDP, nginx :80, sluiced)
#          eth2 198.18.212.2 ──── gw2 $GW_IF[2] 198.18.212.1
#          eth3 198.18.213.2 ──── gw3 $GW_IF[3] 198.18.213.1
#          lo   198.18.5.10-.13: the client's source addresses (CLI_SRC),
#               one client key reaching all three gateways
#
# Each gateway's client-facing veth has a per-process name (tgg<k><pid>:
# sluiced pins by interface name in the one bpffs), nginx answers 200 on
# port 80 (location /), and sluiced has its own config, control socket,
# metrics listener (127.0.0.1:9469 in its namespace) and log under
# $T_DIR/gw<k>/.
#
#   gws_up                     the namespaces, links, nginx, redis-server
#   gws_cfg K [REDIS KEYS]     gateway K's config on stdout: the redis
#                              section (extra flow keys appended) and the
#                              tier "normal" with GWS_LIMIT
#   gws_start K CFG / gws_stop K   sluiced of gateway K (stop: detach)
#   gws_ctl K ARGS             sluicectl on gateway K's socket
#   gws_metric K NAME [LABELS] one sample of gateway K's /metrics
#   redis_start [ARGS] / redis_stop / redis_restart_auth PASS
#   redis_cli ARGS             redis-cli against the test's redis
#   gws_send OUT SECONDS STREAM...   tests/netns/glob_send.py from the
#                              client (STREAM: SRC>DST@RATE); OUT has one
#                              line per request: SEND_MS SRC DST OUTCOME
#   gws_count OUT [SRC] [DST] [FROM_MS] [TO_MS]   200s in OUT
#   gws_offered OUT [SRC] [DST] [FROM_MS] [TO_MS] requests in OUT
#   gws_span OUT [SRC]         ms from the first request to the last
#   gws_down                   everything above stopped and removed; the
#                              leak check (gws_leaks) is empty after it
# GWS_LIMIT is the tier's limit (default the issue's global 30/s burst 30).

GW_N=3
REDIS_ADDR=198.18.200.1
REDIS_PORT=6390
GW_METRICS=127.0.0.1:9469
CLI_SRC=(198.18.5.10 198.18.5.11 198.18.5.12 198.18.5.13)
GWS_LIMIT=${GWS_LIMIT:-'{unit: requests, rate: 30, burst: 30, action: http, scope: global}'}
GWS_SYNC=${GWS_SYNC:-100ms}
GW_IF=() GW_ADDR=() GW_PID=() GW_SOCK=() GW_LOG=() GW_CFG=()
REDIS_PID=
REDIS_PASS=
GWS_IS_UP=0
for ((k = 1; k <= GW_N; k++)); do
	GW_IF[k]=tgg$k$$
	GW_ADDR[k]=198.18.$((210 + k)).1
done

gws_ns_add() {	# HOST
	local ns
	ns=$(lab_ns "$1")
	T_NETNS+=("$ns")
	ip netns add "$ns" &&
	ip -n "$ns" link set lo up &&
	on "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}

# The lab's XDP_PASS program for pass_attach (lib_hosts.sh), built where
# it looks for it; gws_down removes $LAB_RUN.
gws_pass_build() {
	mkdir -p "$LAB_RUN"
	# shellcheck disable=SC2046 # as tools/lab: the multiarch include dirs
	clang -O2 -g -target bpf -Wall -Werror $(clang -v -E - </dev/null 2>&1 |
		sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }') \
		-c "$NETNS_TOP/tools/lab.d/xdp_pass.bpf.c" -o "$LAB_RUN/xdp_pass.bpf.o"
}

# The lab's nginx (tools/lab.d/nginx.conf.in: 200 on location /) on the
# gateway's address; no IPv6 here.
gws_nginx_start() {	# K
	local k=$1 d=$T_DIR/gw$1/nginx
	mkdir -p "$d"
	sed -e "s|@RUN@|$d|g" -e "s|@GW4@|${GW_ADDR[k]}|g" -e '/@GW6@/d' \
		"$NETNS_TOP/tools/lab.d/nginx.conf.in" >"$d/nginx.conf"
	on "gw$k" nginx -q -e "$d/error.log" -p "$d/" -c "$d/nginx.conf"
}

gws_answers() {	# K: the gateway's nginx answers the client (no sluiced yet)
	[[ $(on cli curl -s -o /dev/null -m 1 --interface "${CLI_SRC[0]}" \
		-w '%{http_code}' "http://${GW_ADDR[$1]}/") == 200 ]]
}

gws_up() {
	local k net
	GWS_IS_UP=1
	T_UNDO+=("gws_down")
	gws_pass_build || return 1
	gws_ns_add redis && gws_ns_add cli || return 1
	on redis ip link add br0 type bridge stp_state 0 forward_delay 0 \
		mcast_snooping 0 &&
	on redis ip addr add "$REDIS_ADDR/24" dev br0 &&
	on redis ip link set br0 up || return 1
	for ((k = 1; k <= GW_N; k++)); do
		net=198.18.$((210 + k))
		mkdir -p "$T_DIR/gw$k"
		GW_SOCK[k]=$T_DIR/gw$k/sluiced.sock GW_LOG[k]=$T_DIR/gw$k/sluiced.log
		GW_CFG[k]=$T_DIR/gw$k/sluice.yaml
		: >"${GW_LOG[k]}"
		gws_ns_add "gw$k" || return 1
		# To redis: r0 here, a bridge port there.
		ip link add r0 netns "$(lab_ns "gw$k")" type veth \
			peer name "g$k" netns "$(lab_ns redis)" &&
		on redis ip link set "g$k" master br0 up &&
		on "gw$k" ip addr add "198.18.200.$((10 + k))/24" dev r0 &&
		on "gw$k" ip link set r0 up || return 1
		# To the client: the veth sluiced attaches to.
		ip link add "${GW_IF[k]}" netns "$(lab_ns "gw$k")" type veth \
			peer name "eth$k" netns "$(lab_ns cli)" &&
		on "gw$k" ip addr add "$net.1/24" dev "${GW_IF[k]}" &&
		on "gw$k" ip link set "${GW_IF[k]}" up &&
		on "gw$k" ip route add 198.18.5.0/24 via "$net.2" &&
		on cli ip addr add "$net.2/24" dev "eth$k" &&
		on cli ip link set "eth$k" up || return 1
		# The edge's XDP_TX answers reach the client only when its
		# end of the veth runs XDP too (see tools/lab.d/xdp_pass.bpf.c).
		pass_attach cli "eth$k" || return 1
		gws_nginx_start "$k" || return 1
	done
	for net in "${CLI_SRC[@]}"; do
		on cli ip addr add "$net/32" dev lo || return 1
	done
	redis_start || return 1
	for ((k = 1; k <= GW_N; k++)); do
		wait_for 5 gws_answers "$k" || { echo "gateway $k: nginx does not answer" >&2; return 1; }
	done
}

# ---- redis -------------------------------------------------------------------

redis_cli() {	# ARGS...
	local auth=()
	[[ -z $REDIS_PASS ]] || auth=(-a "$REDIS_PASS" --no-auth-warning)
	on redis timeout 5 redis-cli -h "$REDIS_ADDR" -p "$REDIS_PORT" "${auth[@]}" "$@"
}

redis_ready() { [[ $(redis_cli ping 2>/dev/null) == PONG ]]; }

# A fresh redis-server (nothing persisted: the data are gone after a
# stop); with REDIS_PASS set, it requires that password.
redis_start() {
	local d=$T_DIR/redis args=()
	mkdir -p "$d"
	[[ -z $REDIS_PASS ]] || args=(--requirepass "$REDIS_PASS")
	# nsenter itself, not `on`: $! must be redis-server, not a subshell.
	nsenter --net="/run/netns/$(lab_ns redis)" -- redis-server --bind "$REDIS_ADDR" --port "$REDIS_PORT" \
		--save '' --appendonly no --dir "$d" --protected-mode no \
		--logfile "$d/redis.log" "${args[@]}" >/dev/null 2>&1 &
	REDIS_PID=$!
	wait_for 5 redis_ready && return 0
	echo "redis-server did not answer on $REDIS_ADDR:$REDIS_PORT (see $d/redis.log)" >&2
	return 1
}

redis_stop() { proc_stop "$REDIS_PID"; REDIS_PID=; }

redis_restart_auth() {	# PASSWORD
	redis_stop
	REDIS_PASS=$1
	redis_start
}

# ---- sluiced on a gateway ----------------------------------------------------

gws_cfg() {	# K [EXTRA REDIS KEYS]
	local k=$1
	cat <<-EOF
	interfaces: [${GW_IF[k]}]
	control_socket: ${GW_SOCK[k]}
	metrics: {listen: "$GW_METRICS"}
	client_table_size: 65536
	log_level: ${GWS_LOG_LEVEL:-info}
	mode: enforce
	redis: {address: "$REDIS_ADDR:$REDIS_PORT", sync_interval: $GWS_SYNC, on_down: local, host_id: gw$k${2:+, $2}}
	tiers:
	  - name: normal
	    match: [0.0.0.0/0]
	    limits:
	      - $GWS_LIMIT
	EOF
}

gws_ctl() { local k=$1; shift; timeout 10 "$SLUICECTL" -s "${GW_SOCK[k]}" "$@"; }

gws_gone() { ! gws_alive "$1"; }
gws_alive() { [[ -n ${GW_PID[$1]:-} ]] && kill -0 "${GW_PID[$1]}" 2>/dev/null; }
gws_answering() { gws_ctl "$1" status >/dev/null 2>&1 || ! gws_alive "$1"; }

gws_start() {	# K [CFG]: CFG (default gateway K's own) copied to its place
	local k=$1
	[[ -z ${2:-} || $2 == "${GW_CFG[k]}" ]] || cp "$2" "${GW_CFG[k]}" || return 1
	nsenter --net="/run/netns/$(lab_ns "gw$k")" -- \
		"$SLUICED" -c "${GW_CFG[k]}" >>"${GW_LOG[k]}" 2>&1 &
	GW_PID[k]=$!
	wait_for 15 gws_answering "$k"
	gws_ctl "$k" status >/dev/null 2>&1 && return 0
	echo "gateway $k: sluiced did not answer on ${GW_SOCK[k]} (log ${GW_LOG[k]}):" >&2
	tail -5 "${GW_LOG[k]}" >&2
	return 1
}

# sluicectl detach; SIGKILL after 5 s (then its pins are detached
# offline below).  1 when it had to be killed.
gws_stop() {	# K
	local k=$1 rc=0
	[[ -n ${GW_PID[k]:-} ]] || return 0
	if gws_alive "$k"; then
		gws_ctl "$k" detach >/dev/null 2>&1
		if ! wait_for 5 gws_gone "$k"; then
			kill -9 "${GW_PID[k]}" 2>/dev/null
			rc=1
		fi
	fi
	wait "${GW_PID[k]}" 2>/dev/null
	GW_PID[k]=
	gws_detach_left "$k"
	return $rc
}

# Pins a killed daemon left: detached offline with the gateway's own
# config (never without one: that would detach the whole pin root);
# pins of an interface that is gone are dead state.
gws_detach_left() {	# K
	local k=$1
	[[ -e $PIN_ROOT/${GW_IF[k]} ]] || return 0
	if [[ -e /run/netns/$(lab_ns "gw$k") && -s ${GW_CFG[k]} ]]; then
		on "gw$k" "$SLUICED" --detach -c "${GW_CFG[k]}" >>"${GW_LOG[k]}" 2>&1
	fi
	on "gw$k" ip link show "${GW_IF[k]}" >/dev/null 2>&1 ||
		rm -rf "${PIN_ROOT:?}/${GW_IF[k]}"
}

gws_metric() {	# K NAME [LABELS]: the sample's value ("" if none)
	local n=$2
	[[ -z ${3:-} ]] || n+="{$3}"
	on "gw$1" curl -s -m 2 "http://$GW_METRICS/metrics" |
		awk -v n="$n" '$1 == n { print $2; exit }'
}

gws_metric_is() { [[ $(gws_metric "$1" "$2" "${4:-}") == "$3" ]]; }	# K NAME VALUE [LABELS]

# ---- traffic and counting ----------------------------------------------------

gws_send() {	# OUT SECONDS STREAM...
	local out=$1
	shift
	on cli python3 "$NETNS_TOP/tests/netns/glob_send.py" "$@" >"$out" 2>"$out.err"
}

# Lines of OUT that match SRC, DST ("" any) and FROM_MS <= SEND_MS < TO_MS.
gws_select() {	# OUT [SRC] [DST] [FROM_MS] [TO_MS] [OUTCOME]
	awk -v s="${2:-}" -v d="${3:-}" -v f="${4:-0}" -v t="${5:-0}" -v o="${6:-}" '
		(s == "" || $2 == s) && (d == "" || $3 == d) && $1 >= f &&
		(t == 0 || $1 < t) && (o == "" || $4 == o) { n++ }
		END { print n + 0 }' "$1"
}
gws_count() { gws_select "$1" "${2:-}" "${3:-}" "${4:-0}" "${5:-0}" 200; }
gws_offered() { gws_select "$1" "${2:-}" "${3:-}" "${4:-0}" "${5:-0}"; }

gws_span() {	# OUT [SRC]: ms from the first request to the last (+ one interval)
	awk -v s="${2:-}" '(s == "" || $2 == s) { if (!n++) a = $1; b = $1 }
		END { print (n > 1 ? int((b - a) * n / (n - 1)) : 0) }' "$1"
}

# ---- teardown ----------------------------------------------------------------

gws_leaks() {	# what is left of the gateways (pins, XDP, sluiced), one a line
	local k p
	for ((k = 1; k <= GW_N; k++)); do
		[[ -e $PIN_ROOT/${GW_IF[k]} ]] && echo "pins $PIN_ROOT/${GW_IF[k]}"
		gws_alive "$k" && echo "sluiced pid ${GW_PID[k]}"
		[[ -S ${GW_SOCK[k]:-/nonexistent} ]] && echo "socket ${GW_SOCK[k]}"
		[[ -e /run/netns/$(lab_ns "gw$k") ]] || continue
		p=$(on "gw$k" ip -j -d link show "${GW_IF[k]}" 2>/dev/null |
			jq -r '.[0].xdp.prog.id // .[0].xdp.progs[0].id // empty')
		[[ -z $p ]] || echo "XDP program $p on ${GW_IF[k]}"
	done
	return 0
}

# Safe to call twice.  The namespaces themselves go with T_NETNS at
# lib.sh's teardown.
gws_down() {
	local k pid
	((GWS_IS_UP)) || return 0
	for ((k = 1; k <= GW_N; k++)); do
		gws_stop "$k"
		pid=$(cat "$T_DIR/gw$k/nginx/nginx.pid" 2>/dev/null) &&
			proc_stop "$pid"
	done
	redis_stop
	rm -rf "$LAB_RUN"
	rmdir "$(dirname "$LAB_RUN")" 2>/dev/null
	GWS_IS_UP=0
	return 0
}

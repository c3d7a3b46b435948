# shellcheck shell=bash
# Helpers for scripts that drive the lab (tools/demo.sh, tests/netns):
# run a command in a lab host, make HTTP requests from a client address,
# run sluiced in the gateway and read its counters with sluicectl.
#
# The caller sets SLUICED and SLUICECTL (binaries), SOCK (control
# socket) and DAEMON_LOG; DAEMON_PID is set by daemon_start.

# shellcheck source=topology.sh
. "$(dirname "${BASH_SOURCE[0]}")/topology.sh"

LAB_D=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DAEMON_PID=

now_ms() { echo $(($(date +%s%N) / 1000000)); }

wait_for() {	# SECONDS CMD...: run CMD every 0.1 s until it succeeds
	local end	# or SECONDS of real time have passed (then 1)
	end=$(($(now_ms) + $(awk -v s="$1" 'BEGIN { print int(s * 1000) }')))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		(($(now_ms) < end)) || return 1
		sleep 0.1
	done
}

# ---- hosts -------------------------------------------------------------------

on() {	# HOST CMD...: run CMD in a lab host's namespace
	local ns
	ns=$(lab_ns "$1")
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

host_of() {	# ADDR: the lab client that owns ADDR
	local h net
	for h in "${LAB_CLIENTS[@]}"; do
		for net in ${LAB_NETS[$h]}; do
			if [[ $1 == "$net".* || $1 == "$net"::* ]]; then
				echo "$h"
				return 0
			fi
		done
	done
	echo "host_of: no lab host owns $1" >&2
	return 1
}

gw_url() {	# SRC [PATH]: the gateway's URL in SRC's address family
	if [[ $1 == *:* ]]; then echo "http://[$LAB_GW6]${2:-/}"
	else echo "http://$LAB_GW4${2:-/}"; fi
}

# ---- the flip backend ----------------------------------------------------------

# flip_backend.py in the gateway's namespace on 127.0.0.1:PORT, answering
# the status in STATUS_FILE (200 to start), behind the lab's nginx at
# LOCATION (a prefix: LOCATION/anything); LOG_FILE is its own access
# log, empty once this returns.  FLIP_PID is its pid; flip_backend_down
# stops it and removes the location.
flip_backend_up() {	# PORT STATUS_FILE LOG_FILE LOCATION
	local port=$1 status=$2 log=$3 loc=$4
	echo 200 >"$status"
	: >"$log"
	on gw python3 "$LAB_D/flip_backend.py" "$port" "$status" "$log" \
		>>"$log.err" 2>&1 &
	FLIP_PID=$!
	FLIP_CONF=$LAB_RUN/nginx/conf.d/gw/flip-$port.conf
	printf 'location %s {\n\tproxy_pass http://127.0.0.1:%s;\n}\n' "$loc" "$port" \
		>"$FLIP_CONF"
	on gw nginx -q -p "$LAB_RUN/nginx/" -c "$LAB_RUN/nginx.conf" -s reload \
		2>>"$log.err"
	# From the gateway itself (over lo, past no XDP program): nginx has
	# reloaded and the backend answers (its X-Backend: a worker on the
	# old config answers 200 too, and a backend not yet up a 502).
	wait_for 5 flip_backend_answers "$loc" || {
		echo "flip backend on :$port behind $loc does not answer (see $log.err)" >&2
		return 1
	}
	: >"$log"
}

flip_backend_answers() {	# LOCATION
	[[ $(on gw curl -s -o /dev/null -m 1 -w '%{http_code} %header{x-backend}' \
		"http://$LAB_GW4$1/ready") == "200 flip" ]]
}

flip_backend_down() {
	[[ -n ${FLIP_PID:-} ]] && kill "$FLIP_PID" 2>/dev/null
	[[ -n ${FLIP_CONF:-} ]] && rm -f "$FLIP_CONF"
	FLIP_PID='' FLIP_CONF=''
	return 0
}

# ---- sluiced -----------------------------------------------------------------

ctl() { timeout 10 "$SLUICECTL" -s "$SOCK" "$@"; }

daemon_gone() { ! kill -0 "$DAEMON_PID" 2>/dev/null; }

# sluiced runs in the gateway's netns but the host's mount namespace
# (nsenter --net, not ip netns exec), so it pins in the real /sys/fs/bpf
# and a restarted daemon finds its state.
daemon_start() {	# CONFIG [ARGS...]
	local cfg=$1
	shift
	nsenter --net="/run/netns/$(lab_ns gw)" -- \
		"$SLUICED" -c "$cfg" "$@" >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	wait_for 15 daemon_answers_or_gone
	ctl status >/dev/null 2>&1 && return 0
	echo "sluiced did not answer on $SOCK (its log: $DAEMON_LOG)"
	return 1
}

daemon_answers_or_gone() { ctl status >/dev/null 2>&1 || daemon_gone; }

# The way an operator stops it for good: detach removes programs and
# pins, and the daemon exits.  Returns 1, saying so on stderr, when it
# did not exit within 5 s and had to be killed with SIGKILL (its pins
# may then be left).  DAEMON_DETACHED=1 when sluicectl detach was
# answered.
daemon_halt() {
	local rc=0
	DAEMON_DETACHED=0
	[[ -n $DAEMON_PID ]] || return 0
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		ctl detach >/dev/null 2>&1 && DAEMON_DETACHED=1
		if ! wait_for 5 daemon_gone; then
			echo "sluiced (pid $DAEMON_PID) still running 5 s after sluicectl detach: killed with SIGKILL" >&2
			kill -9 "$DAEMON_PID" 2>/dev/null
			rc=1
		fi
	fi
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	return $rc
}

daemon_stop() { daemon_halt || true; }	# never fails (the demo's cleanup)

daemon_kill9() {
	kill -9 "$DAEMON_PID" 2>/dev/null || true
	wait "$DAEMON_PID" 2>/dev/null || true
	DAEMON_PID=
}

xdp_prog_id() {	# the id of the XDP program on the gateway interface, or nothing
	on gw ip -j -d link show "$LAB_GW_IF" |
		jq -r '.[0].xdp.prog.id // .[0].xdp.progs[0].id // empty'
}

# sluicectl -j prints the protocol's data object (user/common/proto.h).
tiers_json() { ctl -j tiers | jq -c '.data // .'; }
client_json() { ctl -j client "$1" | jq -c '.data // .'; }

# Strict: a tier or reason that is not in JSON is an error (on stderr,
# status 1, nothing on stdout), never a 0 that an "expect 0" would pass.
count_of() {	# JSON TIER REASON: packets counted for TIER under REASON
	jq -er --arg t "$2" --arg r "$3" '
		[.tiers[] | select(.name == $t)] as $m |
		if ($m | length) != 1 then
			error("count_of: \($m | length) tiers named \"\($t)\" (tiers: \([.tiers[].name] | join(" ")))")
		elif ($m[0].counters[$r].packets | type) != "number" then
			error("count_of: tier \($t) has no counter \"\($r)\" (counters: \($m[0].counters | keys | join(" ")))")
		else $m[0].counters[$r].packets end' <<<"$1"
}

# Prints "error" if either lookup fails, and fails the check when the
# caller has t_fail (tests/netns/lib.sh): arithmetic on "error" would
# read it as 0.
count_delta() {	# BEFORE AFTER TIER REASON
	local a b
	if a=$(count_of "$1" "$3" "$4") && b=$(count_of "$2" "$3" "$4"); then
		echo $((b - a))
		return 0
	fi
	echo error
	declare -F t_fail >/dev/null && t_fail "count_delta: no counter $4 for tier $3"
	return 1
}

# ---- traffic -----------------------------------------------------------------

# Kill what curl left behind: a request dropped by XDP stays in the
# socket's send queue after curl gives up, and the orphan's later
# retransmissions would be admitted as the bucket refills, skewing the
# next batch's counters.
kill_orphans() {	# HOST
	on "$1" ss -K -tn dst "$LAB_GW4" >/dev/null 2>&1 || true
	on "$1" ss -K -tn dst "[$LAB_GW6]" >/dev/null 2>&1 || true
}

url_args() {	# SRC N: URL_ARGS=(-o /dev/null URL ...) for N requests
	local i
	URL_ARGS=()
	for ((i = 1; i <= $2; i++)); do
		URL_ARGS+=(-o /dev/null "$(gw_url "$1" "/?n=$i")")
	done
}

# N requests at once from SRC, a new connection each (curl --parallel).
# Prints "GOT ELAPSED_MS": how many were answered 200 and how long the
# batch took.  A request refused with action http is answered at once
# (a 429 from the edge), one refused with action reset fails at once (a
# RST); one refused with action drop goes unanswered, so curl waits for
# it until MAXTIME (seconds).  http_burst_codes prints "OK 429S OTHER
# ELAPSED_MS" instead (other: any other status, or no answer).
http_burst() {	# SRC N [MAXTIME]
	local ok el
	read -r ok _ _ el < <(http_burst_codes "$@")
	echo "$ok $el"
}

http_burst_codes() {	# SRC N [MAXTIME]
	local src=$1 n=$2 m=${3:-1} host t0 got
	host=$(host_of "$src") || return 1
	url_args "$src" "$n"
	t0=$(now_ms)
	# curl fails when a request timed out: expected, hence || true.
	got=$(on "$host" curl -s --no-progress-meter -Z --parallel-immediate --parallel-max "$n" \
		-m "$m" --interface "$src" -H 'Connection: close' \
		-w '%{http_code}\n' "${URL_ARGS[@]}" |
		awk '$1 == 200 { ok++; next } $1 == 429 { lim++; next } { other++ }
		     END { print ok + 0, lim + 0, other + 0 }') || true
	echo "$got $(($(now_ms) - t0))"
	kill_orphans "$host"
}

# N requests one after another from SRC over one keep-alive connection
# (curl reopens it only after a request was reset or timed out; a
# request reset on a reused connection is retried once).  Prints
# "GOT ELAPSED_MS CONNECTS".
http_keepalive() {	# SRC N [MAXTIME]
	local src=$1 n=$2 m=${3:-1} host t0 out
	host=$(host_of "$src") || return 1
	url_args "$src" "$n"
	t0=$(now_ms)
	out=$(on "$host" curl -s -m "$m" --interface "$src" \
		-w '%{http_code} %{num_connects}\n' "${URL_ARGS[@]}" |
		awk '$1 == 200 { ok++ } { c += $2 } END { print ok + 0, c + 0 }') || true
	echo "${out% *} $(($(now_ms) - t0)) ${out#* }"
	kill_orphans "$host"
}

# One request; prints curl's exit status and the HTTP code ("0 200",
# "7 000" for a refused/reset connection, "28 000" for a timeout).
http_one() {	# SRC [MAXTIME]
	local src=$1 m=${2:-1} host code rc=0
	host=$(host_of "$src") || return 1
	code=$(on "$host" curl -s -o /dev/null -m "$m" --interface "$src" \
		-w '%{http_code}' "$(gw_url "$src")") || rc=$?
	echo "$rc $code"
}

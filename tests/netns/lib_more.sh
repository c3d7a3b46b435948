# shellcheck shell=bash
# More helpers for tests/netns scripts, on top of lib.sh (which this
# sources): named test functions with cleanup between them, extra client
# namespaces and gateway interfaces owned by the script, refused starts,
# strict counter lookups, per-interface counters read from the pins, and
# a spoofed-source UDP sender.
#
#   . "$(dirname "$0")/lib_more.sh"
#   netns_init python3; lab_up
#   test_foo() { ...assertions...; }
#   run_tests foo bar          # test_foo, test_bar; cleanup after each
#   finish
#
# A script's arguments select tests by name (substring): `test_start.sh
# locked` runs only the tests whose names contain "locked".
#
# Cleanup between tests (more_cleanup) stops the test's daemon (lib.sh's
# daemon_stop: sluicectl detach, kill -9 if that fails), removes what a
# refused or killed daemon left on the script's own interfaces (an
# offline `sluiced --detach` whose config names only those interfaces and
# this run's socket), and runs the test's MORE_UNDO commands.  Anything
# it had to remove once the daemon was stopped is a failure, named.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MORE_ARGS=("$@")	# the script's arguments: test name filters
MORE_NETNS=()		# namespaces made here besides the lab's
MORE_IFS=()		# gateway interfaces besides LAB_GW_IF sluiced may pin
MORE_UNDO=()		# commands the current test wants run at its cleanup
PIN_ROOT=/sys/fs/bpf/sluice
ABI_H=$NETNS_TOP/include/sluice_abi.h

# ---- tests -------------------------------------------------------------------

more_selected() {	# NAME: selected by the script's arguments?
	local f
	((${#MORE_ARGS[@]})) || return 0
	for f in "${MORE_ARGS[@]}"; do
		[[ $1 == *"$f"* ]] && return 0
	done
	return 1
}

run_tests() {	# NAME...: test_NAME for each selected, more_cleanup after each
	local name
	for name in "$@"; do
		more_selected "$name" || continue
		subtest "$name"
		"test_$name"
		more_cleanup
	done
}

assert_none() {	# WHAT GOT: GOT is empty
	if [[ -z $2 ]]; then t_pass "$1: none"
	else t_fail "$1: expected none, got $2"; fi
}

assert_line() {	# WHAT FILE LINE: FILE has exactly this line
	if grep -qxF -- "$3" "$2"; then t_pass "$1"
	else
		t_fail "$1: no line '$3' in: $(grep -v '^<7>' "$2" | tail -4 | tr '\n' '|')"
	fi
}

# ---- daemons -----------------------------------------------------------------

# A sluiced that is expected to refuse to start.  Sets REF_RC (its exit
# status; 124 if it was still running after 20 s and had to be stopped)
# and REF_LOG (a file with what it printed).
sluiced_refused() {	# CONFIG [ARGS...]
	local cfg=$1
	shift
	REF_LOG=$(mktemp "$T_DIR/refused.XXXXXX")
	timeout -s KILL 20 nsenter --net="/run/netns/$(lab_ns gw)" -- \
		"$SLUICED" -c "$cfg" "$@" >"$REF_LOG" 2>&1
	REF_RC=$?
	((REF_RC == 137)) && REF_RC=124
	cat "$REF_LOG" >>"$DAEMON_LOG"
}

# ---- configs -----------------------------------------------------------------

# Like lib.sh's cfg_header, for other interface lists and sockets.
cfg_top() {	# IFACES [SOCKET] [TABLE] [MODE]
	cat <<EOF
interfaces: [$1]
control_socket: ${2:-$SOCK}
client_table_size: ${3:-4096}
log_level: debug
mode: ${4:-enforce}
tiers:
EOF
}

# 1/h: no token comes back during a test, so every count is exact.
REQ_SLOW='{unit: requests, rate: 1/h, burst: 5, action: http}'

# ---- state on the gateway ----------------------------------------------------

xdp_id_of() {	# IFNAME: id of the XDP program on it (gateway netns), or nothing
	on gw ip -j -d link show "$1" 2>/dev/null |
		jq -r '.[0].xdp.prog.id // .[0].xdp.progs[0].id // empty'
}

xdp_mode_of() {	# IFNAME: native, generic or nothing, as the kernel reports it
	on gw ip -j -d link show "$1" 2>/dev/null |
		jq -r '{"1": "native", "2": "generic", "3": "offload"}[(.[0].xdp.mode // 0) | tostring] // empty'
}

pins_of() {	# IFNAME: the pin files sluiced left for it (none: nothing)
	find "$PIN_ROOT/$1" -mindepth 1 -printf '%f\n' 2>/dev/null | sort | paste -sd' '
}

# Nothing of sluice's on IFNAME: no pins, no XDP program attached.
assert_untouched() {	# WHAT IFNAME
	local p x
	p=$(pins_of "$2") x=$(xdp_id_of "$2")
	if [[ -z $p ]]; then t_pass "$1: no pins under $PIN_ROOT/$2"
	else t_fail "$1: pins under $PIN_ROOT/$2: $p"; fi
	if [[ -z $x ]]; then t_pass "$1: no XDP program on $2"
	else t_fail "$1: XDP program $x on $2"; fi
}

assert_no_socket() {	# WHAT PATH
	if [[ -e $2 ]]; then t_fail "$1: $2 exists"
	else t_pass "$1: no $2"; fi
}

# ---- counters ----------------------------------------------------------------

abi_enum() {	# ENUM MEMBER: the value of MEMBER in include/sluice_abi.h
	awk -v e="enum $1 {" -v m="$2" '
		index($0, e) == 1 { on = 1; v = 0; next }
		on && /^}/ { exit }
		on && $1 ~ /^SL_/ {
			name = $1; sub(/[,=].*/, "", name)
			if ($2 == "=") { v = $3; sub(/,.*/, "", v); v += 0 }
			if (name == m) { print v; found = 1; exit }
			v++
		}
		END { if (!found) exit 1 }' "$ABI_H"
}

# Strict: nothing (and a failure) when the tier or the reason is missing,
# so a misspelled name cannot pass as 0.
count_is() {	# JSON TIER REASON: packets counted for TIER under REASON
	jq -er --arg t "$2" --arg r "$3" '
		[.tiers[] | select(.name == $t)] |
		if length != 1 then error("no tier \($t)")
		else .[0].counters[$r].packets // error("no reason \($r)") end' <<<"$1"
}

delta_is() {	# BEFORE AFTER TIER REASON
	local a b
	a=$(count_is "$1" "$3" "$4") && b=$(count_is "$2" "$3" "$4") &&
		echo $((b - a))
}

abi_define() {	# NAME: the value of `#define NAME N` in include/sluice_abi.h
	awk -v m="$1" '$1 == "#define" && $2 == m { print $3 + 0; found = 1; exit }
		END { if (!found) exit 1 }' "$ABI_H"
}

le32() {	# N: the four bytes of N, little endian, as bpftool takes a key
	printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}

# Counters of one interface, read from its pins (sluicectl sums them).
pinned_count() {	# IFNAME TIER_ID REASON_NAME: packets over every CPU
	local r n
	r=$(abi_enum sl_reason "SL_R_${3^^}") || return 1
	n=$(abi_define SL_REASON_SLOTS) || return 1
	# shellcheck disable=SC2046
	bpftool -j map lookup pinned "$PIN_ROOT/$1/sl_counters" key $(le32 $(($2 * n + r))) |
		jq -e '[.formatted.values[].value.packets] | add'
}

pinned_event() {	# IFNAME EVENT_NAME (client_new, client_full, ...): over every CPU
	local e
	e=$(abi_enum sl_event "SL_EV_${2^^}") || return 1
	# shellcheck disable=SC2046
	bpftool -j map lookup pinned "$PIN_ROOT/$1/sl_evcount" key $(le32 "$e") |
		jq -e '[.formatted.values[].value] | add'
}

pinned_clients() {	# IFNAME: entries in its client table
	bpftool -j map dump pinned "$PIN_ROOT/$1/sl_clients" | jq -e length
}

possible_cpus() {	# as the kernel's per-CPU maps count them
	bpftool -j map lookup pinned "$PIN_ROOT/$1/sl_evcount" key 0 0 0 0 |
		jq -e '.formatted.values | length'
}

# sl_tier_names has no BTF (sluiced makes it): decode its bytes.
pinned_tier_names() {	# IFNAME: "ID NAME" for every tier id in use, as pinned
	bpftool -j map dump pinned "$PIN_ROOT/$1/sl_tier_names" | jq -r '
		def byte: ltrimstr("0x") | explode |
			reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
		.[] | select(.value[0] != "0x00") |
		"\(.key | map(byte) | .[0] + 256 * .[1]) \(.value | map(byte) | until(.[-1] != 0; .[:-1]) | implode)"'
}

tier_id() {	# TIER: its id, from sluicectl tiers
	tiers_json | jq -er --arg t "$1" '.tiers[] | select(.name == $t) | .id'
}

# ---- extra hosts -------------------------------------------------------------

# A client host beside the lab's: namespace $LAB_PREFIX-HOST, its eth0
# joined by a veth to the gateway's IF, addresses NET.10-.29/24 (NET.10
# first), the gateway NET.1 on IF, or on BRIDGE (a new bridge in the
# gateway's netns with IF as its one port, for an interface without
# native XDP).  The host reaches the lab gateway's $LAB_GW4 through NET.1;
# NET must be a /24 inside 198.18.0.0/15 that the lab does not use (the
# gateway routes it by the more specific /24).  http_burst and friends
# work from its addresses.
far_up() {	# HOST IF NET [BRIDGE]
	local host=$1 ifc=$2 net=$3 br=${4:-} ns gwdev i
	ns=$(lab_ns "$host")
	MORE_NETNS+=("$ns")
	MORE_IFS+=("$ifc")
	gwdev=$ifc
	ip netns add "$ns" &&
	ip -n "$ns" link set lo up &&
	ip link add "$ifc" netns "$(lab_ns gw)" type veth peer name eth0 netns "$ns" ||
		return 1
	if [[ -n $br ]]; then
		MORE_IFS+=("$br")
		on gw ip link add "$br" type bridge stp_state 0 forward_delay 0 \
			mcast_snooping 0 &&
		on gw ip link set "$ifc" master "$br" || return 1
		on gw ip link set "$br" up || return 1
		gwdev=$br
	fi
	on gw ip link set "$ifc" up &&
	on gw ip addr add "$net.1/24" dev "$gwdev" || return 1
	# As tools/lab does for p-gw: a veth only delivers the XDP_TX frames
	# (the RSTs) of its peer when it runs an XDP program itself.
	[[ -n $br ]] || pass_attach "$host" eth0 || return 1
	for ((i = LAB_HOST_FIRST; i <= LAB_HOST_LAST; i++)); do
		echo "addr add $net.$i/24 dev eth0"
	done | ip -n "$ns" -b - || return 1
	ip -n "$ns" link set eth0 up &&
	ip -n "$ns" route add "$LAB_GW4/32" via "$net.1" || return 1
	LAB_CLIENTS+=("$host")
	LAB_NETS["$host"]=$net
	# The bridge forwards once its port is up; a request must get through.
	wait_for 5 on "$host" curl -s -o /dev/null -m 1 --interface "$net.10" \
		"http://$LAB_GW4/"
}

# The lab's XDP_PASS program (tools/lab.d/xdp_pass.bpf.c, built by lab
# up), attached as any tool would, not by sluiced.
pass_attach() {	# HOST DEV [xdpdrv|xdpgeneric]
	local pin=/sys/fs/bpf/sluice-test-$LAB_PREFIX-pass rc
	rm -f "$pin"
	bpftool prog load "$LAB_RUN/xdp_pass.bpf.o" "$pin" type xdp &&
		on "$1" bpftool net attach "${3:-xdpdrv}" pinned "$pin" dev "$2"
	rc=$?
	rm -f "$pin"	# the attachment holds the program
	return $rc
}

# An idle interface in the gateway's netns: a bridge without ports (no
# traffic, no native XDP; this kernel has no dummy driver).
idle_up() {	# IF
	MORE_IFS+=("$1")
	on gw ip link add "$1" type bridge && on gw ip link set "$1" up
}

# ---- traffic -----------------------------------------------------------------

udp_from() {	# SRC [N]: N datagrams (default 1) from SRC, a lab address, to the gateway
	on "$(host_of "$1")" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for _ in range(int(sys.argv[3])):
    s.sendto(b"sluice", (sys.argv[2], 9))' "$1" "$LAB_GW4" "${2:-1}"
}

# Spoofed sources, one UDP datagram each to the gateway's port 9, sent
# as raw frames from HOST's eth0: sources 198.19.0.0 + FIRST .. + FIRST +
# COUNT - 1 (all inside 198.19.0.0/16; never assigned to any host), in
# chunks of CHUNK with PAUSE_MS between chunks (0: back to back).  Prints
# "SENT ELAPSED_MS" (elapsed from the first frame to the last).
SPOOF_PY='
import socket, struct, sys, time
ifname, dmac, dst = sys.argv[1:4]
first, count, chunk, pause = (int(a) for a in sys.argv[4:8])
base = struct.unpack("!I", socket.inet_aton("198.19.0.0"))[0]
assert 1 <= first and first + count <= 65536, "sources must stay in 198.19.0.0/16"
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
eth = bytes.fromhex(dmac.replace(":", "")) + s.getsockname()[4] + b"\x08\x00"
dip = socket.inet_aton(dst)
payload = b"sluice"
udp_len = 8 + len(payload)
def csum(h):
    v = sum(struct.unpack("!10H", h))
    v = (v & 0xffff) + (v >> 16)
    return ~((v & 0xffff) + (v >> 16)) & 0xffff
frames = []
for i in range(first, first + count):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0, 64, 17, 0,
                     struct.pack("!I", base + i), dip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    frames.append(eth + ip + struct.pack("!HHHH", 40000, 9, udp_len, 0) + payload)
t0 = time.monotonic()
for n, f in enumerate(frames):
    if n and chunk and n % chunk == 0 and pause:
        time.sleep(pause / 1000)
    s.send(f)
print(len(frames), int((time.monotonic() - t0) * 1000))
'
spoof_udp() {	# HOST FIRST COUNT [CHUNK PAUSE_MS]
	local mac
	mac=$(on gw ip -j link show "$LAB_GW_IF" | jq -r '.[0].address')
	on "$1" python3 -c "$SPOOF_PY" eth0 "$mac" "$LAB_GW4" "$2" "$3" \
		"${4:-0}" "${5:-0}"
}

# ---- cleanup -----------------------------------------------------------------

# Offline detach of this script's interfaces only: a config that names
# them and this run's socket, never the whole pin root.
more_detach_ours() {
	local cfg=$T_DIR/cleanup.yaml ifs
	ifs=$(printf '%s, ' "$LAB_GW_IF" "${MORE_IFS[@]}")
	{ cfg_top "${ifs%, }"; cfg_tier normal "$ANY" "$REQ_SLOW"; } >"$cfg"
	nsenter --net="/run/netns/$(lab_ns gw)" -- "$SLUICED" --detach -c "$cfg" \
		>>"$DAEMON_LOG" 2>&1
}

more_leftovers() {	# what the current test left on our interfaces and socket
	local i
	for i in "$LAB_GW_IF" "${MORE_IFS[@]}"; do
		[[ -e $PIN_ROOT/$i ]] && echo "pins $PIN_ROOT/$i"
	done
	[[ -S $SOCK ]] && echo "socket $SOCK"
	return 0
}

more_cleanup() {
	local left u
	daemon_stop
	for u in "${MORE_UNDO[@]}"; do
		eval "$u" >/dev/null 2>&1
	done
	MORE_UNDO=()
	# The daemon was stopped with a detach: anything still there was
	# left by a refused or killed daemon the test did not clean up after.
	left=$(more_leftovers)
	if [[ -n $left ]]; then
		t_fail "cleanup: left behind once the daemon was stopped: $(tr '\n' ' ' <<<"$left")"
		more_detach_ours
		rm -f "$SOCK"
	fi
	return 0
}

# lib.sh's teardown and leaks, extended: first more_cleanup (which fails
# the suite for anything left once the daemons are stopped), then the
# extra namespaces, then lib.sh's own (the lab).
eval "lib_teardown() $(declare -f teardown | tail -n +2)"
eval "lib_leaks() $(declare -f leaks | tail -n +2)"

teardown() {
	local ns pids
	[[ -z $T_DIR ]] || more_cleanup
	for ns in "${MORE_NETNS[@]}"; do
		[[ -e /run/netns/$ns ]] || continue
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[[ -z $pids ]] || kill -9 $pids 2>/dev/null
		ip netns del "$ns"
	done
	lib_teardown
}

leaks() {
	local i
	lib_leaks
	for i in "${MORE_IFS[@]}"; do
		[[ -e $PIN_ROOT/$i ]] && echo "pins $PIN_ROOT/$i"
	done
	return 0
}

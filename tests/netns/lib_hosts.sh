# shellcheck shell=bash
# Extra hosts and raw traffic for tests/netns (sourced by lib.sh; see its
# top).  What these make is the script's own: namespaces go in T_NETNS,
# gateway interfaces in T_IFACES, so cleanup detaches what a refused
# daemon left on them, the leak checks look at them and teardown
# removes the namespaces.
#
#   far_up HOST IF NET [BRIDGE]: a client host beside the lab's, on its
#     own veth (or a bridge) from the gateway; http_burst and friends
#     work from its addresses NET.10-.29
#   pass_attach HOST DEV [xdpdrv|xdpgeneric]: the lab's XDP_PASS program
#     on DEV, attached as any other tool would (not by sluiced)
#   idle_up IF: an idle interface in the gateway (a bridge without ports)
#   udp_from SRC [N]: N datagrams from SRC, a lab address, to the gateway
#   spoof_udp HOST FIRST COUNT [CHUNK PAUSE_MS]: one datagram each from
#     spoofed sources in 198.19.0.0/16; prints "SENT ELAPSED_MS"

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
	T_NETNS+=("$ns")
	T_IFACES+=("$ifc")
	gwdev=$ifc
	ip netns add "$ns" &&
	ip -n "$ns" link set lo up &&
	ip link add "$ifc" netns "$(lab_ns gw)" type veth peer name eth0 netns "$ns" ||
		return 1
	if [[ -n $br ]]; then
		T_IFACES+=("$br")
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
	# shellcheck disable=SC2034 # read by host_of (tools/lab.d/lib.sh)
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
	T_IFACES+=("$1")
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

#!/bin/bash
# sluiced's mechanics without the lab: one veth pair between two
# namespaces of this test (198.18.250.0/24), sluiced on one end with a
# temp config and socket, UDP from the other end.  Covers -t, start and
# pins, status/tiers/client over the socket, mode, SIGHUP / file-change /
# sluicectl reloads (sl_tiers checked with bpftool), a broken reload,
# interfaces added and removed by a reload, kill -9 and SIGTERM with
# enforcement left on and the pins adopted by the next start, and
# --detach (offline and through the daemon).  Traffic semantics belong
# to the other tests/netns suites.
SUITE=daemon
export LAB_PREFIX=sld$$ LAB_GW_IF=sldA$$
. "$(dirname "$0")/lib.sh"

NS_GW=$(lab_ns gw) NS_CL=$(lab_ns cl)
IF2=sldB$$			# a second interface, for add/remove
GW4=198.18.250.1 CL4=198.18.250.2
PINS=/sys/fs/bpf/sluice/$LAB_GW_IF

# ---- setup and teardown ------------------------------------------------------

init() {
	local c
	[[ $(id -u) == 0 ]] || skip_all "needs root (network namespaces, XDP)"
	for c in ip nsenter jq bpftool python3; do
		command -v "$c" >/dev/null ||
			skip_all "$c not installed (make deps installs it)"
	done
	[[ -x $SLUICED ]] || skip_all "$SLUICED not built yet (make)"
	mountpoint -q /sys/fs/bpf || skip_all "bpffs not mounted at /sys/fs/bpf"
	T_DIR=$(mktemp -d "/tmp/sluice-$LAB_PREFIX.XXXXXX")
	SOCK=$T_DIR/sluiced.sock
	DAEMON_LOG=$T_DIR/sluiced.log
	CFG=$T_DIR/sluice.yaml
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap teardown EXIT
}

# Replaces lib.sh's: no lab here, just our two namespaces.
teardown() {
	if [[ -n $DAEMON_PID ]]; then
		kill -9 "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
	fi
	# Whatever sluiced left: programs and pins of both interfaces.
	if [[ -n $T_DIR && ( -e $PINS || -e /sys/fs/bpf/sluice/$IF2 ) ]]; then
		write_cfg 5 "" "$LAB_GW_IF, $IF2" >"$CFG.down" 2>/dev/null
		nsenter --net="/run/netns/$NS_GW" -- \
			"$SLUICED" --detach -c "$CFG.down" >>"$DAEMON_LOG" 2>&1
	fi
	ip netns del "$NS_GW" 2>/dev/null
	ip netns del "$NS_CL" 2>/dev/null
	if [[ -n $T_DIR && -z ${KEEP_LOGS:-} ]]; then
		rm -rf "$T_DIR"
	elif [[ -n $T_DIR ]]; then
		echo "logs kept in $T_DIR"
	fi
	T_DIR=
	return 0
}

net_up() {
	ip netns add "$NS_GW" && ip netns add "$NS_CL" &&
	ip link add "$LAB_GW_IF" netns "$NS_GW" type veth peer name eth0 netns "$NS_CL" &&
	ip link add "$IF2" netns "$NS_GW" type veth peer name eth1 netns "$NS_CL" &&
	ip -n "$NS_GW" addr add "$GW4/24" dev "$LAB_GW_IF" &&
	ip -n "$NS_CL" addr add "$CL4/24" dev eth0 &&
	ip -n "$NS_GW" link set "$LAB_GW_IF" up && ip -n "$NS_GW" link set "$IF2" up &&
	ip -n "$NS_CL" link set eth0 up && ip -n "$NS_CL" link set eth1 up &&
	ip -n "$NS_GW" link set lo up && ip -n "$NS_CL" link set lo up
}

# ---- the daemon --------------------------------------------------------------

write_cfg() {	# BURST [RATE] [IFACES]: the udp tier meters our client
	cat <<EOF
interfaces: [${3:-$LAB_GW_IF}]
control_socket: $SOCK
client_table_size: 4096
log_level: debug
tiers:
  - name: normal
    match: [0.0.0.0/0, "::/0"]
    limits:
      - {unit: packets, rate: 100/s, burst: 100}
  - name: udp
    match: [198.18.250.0/28]
    limits:
      - {unit: packets, rate: ${2:-1/s}, burst: $1}
EOF
}

# Replace the file in one step, as an editor or config manager would.
install_cfg() { write_cfg "$@" >"$CFG.new" && mv "$CFG.new" "$CFG"; }

# A request to the daemon, the response's data on stdout; sluicectl
# when it is built, else a few lines of python.
dctl() {	# CMD [ARG]
	if [[ -x $SLUICECTL ]]; then
		timeout 10 "$SLUICECTL" -s "$SOCK" -j "$@" | jq -c '.data // .'
		return "${PIPESTATUS[0]}"
	fi
	timeout 10 python3 - "$SOCK" "$@" <<'EOF'
import json, socket, sys
sock, cmd, arg = sys.argv[1], sys.argv[2], sys.argv[3:]
req = {"v": 1, "cmd": cmd}
if arg:
    req["addr" if cmd == "client" else "mode"] = arg[0]
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
s.sendall((json.dumps(req) + "\n").encode())
r = json.loads(s.makefile().readline())
print(json.dumps(r.get("data", r)))
sys.exit(0 if r.get("ok") else 1)
EOF
}

up() { dctl status >/dev/null 2>&1; }

dstart() {	# [WHAT]
	nsenter --net="/run/netns/$NS_GW" -- "$SLUICED" -c "$CFG" >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	if wait_for 15 up; then t_pass "${1:-sluiced starts and answers on its socket}"
	else
		t_fail "${1:-sluiced starts and answers on its socket}"
		finish
	fi
}

gone() { ! kill -0 "$DAEMON_PID" 2>/dev/null; }

xdp_id() {	# IFNAME: id of the XDP program on it, or nothing
	ip -n "$NS_GW" -j -d link show "$1" |
		jq -r '.[0].xdp.prog.id // .[0].xdp.progs[0].id // empty'
}

# The udp tier's burst as sl_tiers holds it, in the live half.
live_burst() {
	local gen id
	gen=$(bpftool -j map dump pinned "$PINS/sl_global" | jq '.[0].formatted.value.tier_gen')
	id=$(dctl tiers | jq '.tiers[] | select(.name == "udp") | .id')
	bpftool -j map dump pinned "$PINS/sl_tiers" |
		jq --argjson s $((gen * 64 + id)) '.[] | select(.formatted.key == $s) | .formatted.value.meters[0].burst'
}
burst_is() { [[ $(live_burst) == "$1" ]]; }

udp_send() {	# N: N datagrams from the client to the gateway, back to back
	ip netns exec "$NS_CL" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[2], 0))
for _ in range(int(sys.argv[1])):
    s.sendto(b"sluice", (sys.argv[3], 9))' "$1" "$CL4" "$GW4"
}

udp_count() {	# REASON: packets counted for the udp tier
	dctl tiers | jq --arg r "$1" '.tiers[] | select(.name == "udp") | .counters[$r].packets'
}

# ---- the tests ---------------------------------------------------------------

init
net_up || { t_fail "creating the namespaces and veth pairs"; finish; }

subtest "sluiced -t"
write_cfg 5 >"$CFG"
out=$("$SLUICED" -t -c "$CFG" 2>&1)
assert_eq "-t on a valid file: exit status" 0 $?
assert_eq "-t on a valid file: output" "$CFG: ok" "$out"
write_cfg fast >"$T_DIR/bad.yaml"
out=$("$SLUICED" -t -c "$T_DIR/bad.yaml" 2>&1)
assert_eq "-t on a broken file: exit status" 1 $?
if [[ $out == "$T_DIR/bad.yaml:"*"burst"* ]]; then t_pass "-t names file, line and key: $out"
else t_fail "-t error message: $out"; fi
assert_fails "-t touched nothing: no pins" test -e "$PINS"
assert_ok "--help lists --detach" bash -c "'$SLUICED' --help | grep -q -- --detach"

subtest "start"
dstart
st=$(dctl status)
assert_eq "status: interface" "$LAB_GW_IF" "$(jq -r '.interfaces[0].name' <<<"$st")"
assert_eq "status: attach mode (veth has native XDP)" native "$(jq -r '.interfaces[0].attach' <<<"$st")"
assert_eq "status: the program on the interface is the one reported" \
	"$(jq -r '.interfaces[0].prog_id' <<<"$st")" "$(xdp_id "$LAB_GW_IF")"
assert_eq "status: mode" enforce "$(jq -r .mode <<<"$st")"
assert_eq "status: pid" "$DAEMON_PID" "$(jq -r .pid <<<"$st")"
assert_eq "status: client table size" 4096 "$(jq -r .client_table.size <<<"$st")"
for p in sl_global sl_tiers sl_pfx_v4 sl_pfx_v6 sl_clients sl_flood sl_counters \
	 sl_evcount sl_tier_names link; do
	assert_ok "pinned: $PINS/$p" test -e "$PINS/$p"
done
assert_eq "control socket mode" 600 "$(stat -c %a "$SOCK")"
assert_eq "sl_global.abi_version" 1 \
	"$(bpftool -j map dump pinned "$PINS/sl_global" | jq '.[0].formatted.value.abi_version')"

subtest "counters and client state over the socket"
udp_send 20
assert_range "udp tier (1/s, burst 5): passed of 20 sent at once" 5 6 "$(udp_count passed)"
assert_range "udp tier: dropped" 14 15 "$(udp_count dropped)"
c=$(dctl client "$CL4")
assert_eq "client $CL4: tier" udp "$(jq -r .tier <<<"$c")"
assert_eq "client $CL4: key" "$CL4/32" "$(jq -r .key <<<"$c")"
assert_eq "client $CL4: known" true "$(jq -r .known <<<"$c")"
assert_le "client $CL4: tokens left" 1 "$(jq -r '.meters[0].tokens' <<<"$c")"
sleep 1.1
assert_eq "tiers: rates sampled (udp tier, passed pps is a number)" number \
	"$(dctl tiers | jq -r '.tiers[] | select(.name == "udp") | .rates.passed.pps | type')"
assert_eq "client 198.18.250.200 (not in the udp prefix): tier" normal \
	"$(dctl client 198.18.250.200 | jq -r .tier)"

subtest "mode: live switch, the config's mode returns on reload"
assert_eq "mode shadow" shadow "$(dctl mode shadow | jq -r .mode)"
assert_eq "status after mode shadow" shadow "$(dctl status | jq -r .mode)"
assert_eq "sl_global.mode" 1 "$(bpftool -j map dump pinned "$PINS/sl_global" | jq '.[0].formatted.value.mode')"
kill -HUP "$DAEMON_PID"
wait_for 5 bash -c "[[ \$(bpftool -j map dump pinned '$PINS/sl_global' | jq '.[0].formatted.value.mode') == 0 ]]"
assert_eq "after SIGHUP the config's mode (enforce)" enforce "$(dctl status | jq -r .mode)"

subtest "reloads"
ids0=$(dctl tiers | jq -c '[.tiers[] | {(.name): .id}] | add')
counts0="$(udp_count passed) $(udp_count dropped)"
write_cfg 7 >"$CFG"	# in place: SIGHUP picks it up
kill -HUP "$DAEMON_PID"
wait_for 5 burst_is 7
assert_eq "SIGHUP: sl_tiers (live half) holds the new burst" 7 "$(live_burst)"
install_cfg 9
wait_for 5 burst_is 9
assert_eq "file replaced by rename (inotify): new burst" 9 "$(live_burst)"
write_cfg 11 >"$CFG.new" && cp "$CFG.new" "$CFG"
out=$(dctl reload)
assert_eq "sluicectl reload: exit status" 0 $?
assert_eq "sluicectl reload: new burst" 11 "$(live_burst)"
assert_eq "tier ids unchanged by reloads" "$ids0" \
	"$(dctl tiers | jq -c '[.tiers[] | {(.name): .id}] | add')"
assert_eq "udp tier's counters (passed dropped) kept by reloads" "$counts0" \
	"$(udp_count passed) $(udp_count dropped)"

subtest "a broken config changes nothing"
install_cfg 13 "fast"
sleep 0.5
out=$(dctl reload 2>&1)
rc=$?
if ((rc != 0)) && [[ $out == *rate* ]]; then t_pass "sluicectl reload refused it (exit $rc)"
else t_fail "sluicectl reload of a broken file: exit $rc, $out"; fi
kill -HUP "$DAEMON_PID"
sleep 0.3
assert_ok "sluiced still running" kill -0 "$DAEMON_PID"
assert_eq "sl_tiers still holds the old burst" 11 "$(live_burst)"
assert_ok "the log says why" grep -q "refused: .*rate" "$DAEMON_LOG"
assert_ok "status answers" up

subtest "interfaces added and removed by a reload"
install_cfg 11 "" "$LAB_GW_IF, $IF2"
wait_for 5 test -e "/sys/fs/bpf/sluice/$IF2/link"
assert_eq "status lists both" 2 "$(dctl status | jq '.interfaces | length')"
assert_ok "$IF2 has an XDP program" test -n "$(xdp_id "$IF2")"
install_cfg 11
wait_for 5 bash -c "! test -e /sys/fs/bpf/sluice/$IF2"
assert_fails "$IF2's pins are gone" test -e "/sys/fs/bpf/sluice/$IF2"
assert_eq "$IF2 has no XDP program" "" "$(xdp_id "$IF2")"
assert_eq "$LAB_GW_IF still has its burst" 11 "$(live_burst)"

subtest "kill -9: enforcement stays, the restart adopts the pins"
prog=$(xdp_id "$LAB_GW_IF")
clients=$(bpftool -j map show pinned "$PINS/sl_clients" | jq .id)
passed=$(udp_count passed)
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
assert_eq "XDP program still attached" "$prog" "$(xdp_id "$LAB_GW_IF")"
udp_send 20
dstart "sluiced restarts over the pins"
assert_eq "sl_clients is the same map (id)" "$clients" \
	"$(bpftool -j map show pinned "$PINS/sl_clients" | jq .id)"
got=$(udp_count passed)
assert_ge "passed counter carried on (was $passed, traffic while down)" $((passed + 1)) "$got"
assert_eq "client $CL4 still known" true "$(dctl client "$CL4" | jq -r .known)"
assert_ok "the log says it adopted" grep -q "adopted state" "$DAEMON_LOG"
assert_eq "the pinned link is the one in use" \
	"$(bpftool -j link show pinned "$PINS/link" | jq .id)" \
	"$(dctl status | jq '.interfaces[0].link_id')"

subtest "SIGTERM: clean exit, enforcement stays; --detach without a daemon"
kill -TERM "$DAEMON_PID"
wait_for 5 gone
wait "$DAEMON_PID"
assert_eq "exit status after SIGTERM" 0 $?
DAEMON_PID=
assert_ok "XDP program still attached" test -n "$(xdp_id "$LAB_GW_IF")"
assert_ok "pins remain" test -e "$PINS/link"
assert_fails "socket removed" test -e "$SOCK"
assert_ok "sluiced --detach (no daemon running)" \
	nsenter --net="/run/netns/$NS_GW" -- "$SLUICED" --detach -c "$CFG"
assert_fails "pins removed" test -e "$PINS"
assert_eq "XDP program removed" "" "$(xdp_id "$LAB_GW_IF")"

subtest "--detach through the running daemon"
dstart "sluiced starts afresh"
assert_eq "fresh counters" 0 "$(udp_count passed)"
assert_ok "sluiced --detach" \
	nsenter --net="/run/netns/$NS_GW" -- "$SLUICED" --detach -c "$CFG"
assert_ok "the daemon exits" wait_for 5 gone
wait "$DAEMON_PID"
assert_eq "its exit status" 0 $?
DAEMON_PID=
assert_fails "pins removed" test -e "$PINS"
assert_eq "XDP program removed" "" "$(xdp_id "$LAB_GW_IF")"
assert_fails "socket removed" test -e "$SOCK"

finish

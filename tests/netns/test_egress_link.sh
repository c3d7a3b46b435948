#!/bin/bash
# shellcheck disable=SC2317 # test_* functions are called by run_tests
# The TC egress program (the services' responses) on the lab's gateway
# interface, as the kernel holds it:
#   lifecycle   status shows it and it is the program on the egress hook;
#               its link is pinned as tc_egress_link; SIGTERM leaves it;
#               a restarted sluiced adopts the same link with its new
#               program; sluiced --detach (offline) and sluicectl detach
#               take it off
#   removed     its link detached by another tool: sluiced attaches a new
#               one within seconds, says why, and the TC ingress link is
#               untouched
#   traffic     nginx's answers and the edge's 429s go out through it
#               (it never drops: each of 20 requests gets one or the
#               other), and the pending table stays empty without
#               services
#   matched     a pending request written by hand (as XDP would) for a
#               curl from a known port: nginx's 200 counted with its
#               latency; the edge's 429 for another is not counted
. "$(dirname "$0")/lib.sh"
netns_init python3
lab_up

cfg=$T_DIR/sluice.yaml
{ cfg_header enforce; cfg_tier normal "$ANY" "$REQ_SLOW"; } >"$cfg"

eg_prog() { tcx_prog_of "$LAB_GW_IF" egress; }
eg_json() { status_json | jq -r ".interfaces[0].$1"; }	# FIELD

test_lifecycle() {
	local id link in
	sluiced_up "$cfg"
	subtest "status shows the egress program; SIGTERM leaves it; restart adopts it"
	id=$(eg_json egress_prog_id) link=$(eg_json egress_link_id)
	in=$(tcx_prog_of "$LAB_GW_IF" ingress)
	assert_ge "egress_prog_id set" 1 "$id"
	assert_eq "sluicectl status -j: egress_prog_id is the one on the egress hook" \
		"$(eg_prog)" "$id"
	assert_has "sluicectl status: an EGRESS PROG ID column" "EGRESS PROG ID" "$(ctl status)"
	assert_line "pinned: tc_egress_link" <(pins_of "$LAB_GW_IF" | tr ' ' '\n') tc_egress_link
	assert_eq "the TC ingress hook holds the edge program" "$(eg_json tc_prog_id)" "$in"
	daemon_term
	leaves_enforcement
	assert_eq "after SIGTERM: the egress program still attached" "$id" "$(eg_prog)"
	sluiced_up "$cfg" "a restarted sluiced adopts the pins"
	assert_eq "the pinned egress link adopted (same link id)" "$link" "$(eg_json egress_link_id)"
	assert_eq "its program is the new daemon's" "$(eg_prog)" "$(eg_json egress_prog_id)"
	assert_fails "a new program, not the old one" test "$(eg_prog)" = "$id"

	subtest "sluiced --detach takes it off, sluicectl detach too"
	daemon_term
	assert_ok "sluiced --detach" on gw "$SLUICED" --detach -c "$cfg"
	assert_eq "after --detach: no egress program" "" "$(eg_prog)"
	assert_eq "after --detach: no pins" "" "$(pins_of "$LAB_GW_IF")"
	sluiced_up "$cfg" "started again on no pins"
	assert_ge "a new egress link" 1 "$(eg_json egress_link_id)"
	assert_exit "sluicectl detach" 0 ctl detach
	assert_wait "sluiced exits" 5 daemon_gone
	assert_eq "after detach: no egress program" "" "$(eg_prog)"
}

eg_link_is_new() {	# OLD_LINK_ID
	local id
	id=$(eg_json egress_link_id)
	[[ $id != 0 && $id != "$1" && -n $(eg_prog) ]]
}

test_removed() {
	local link tc mark
	sluiced_up "$cfg"
	subtest "the egress program detached by someone else: sluiced attaches it again"
	link=$(eg_json egress_link_id) tc=$(eg_json tc_link_id)
	mark=$(log_mark)
	assert_ok "egress link $link detached from outside" tcx_link_detach "$link"
	assert_wait "sluiced attached a new egress link" 5 eg_link_is_new "$link"
	assert_ok "the log says why" log_has "$mark" \
		"the TC egress program was detached by someone else: attaching it again"
	assert_eq "the TC ingress link untouched" "$tc" "$(eg_json tc_link_id)"
	assert_eq "status and the hook agree" "$(eg_prog)" "$(eg_json egress_prog_id)"
}

conns_entries() {
	bpftool -j map dump pinned "$PIN_ROOT/$LAB_GW_IF/sl_conns" 2>/dev/null | jq length
}

conns_none() { [[ $(conns_entries) == 0 ]]; }

test_traffic() {
	local ok=0 edge=0 code
	sluiced_up "$cfg"
	subtest "responses and edge answers pass the egress program"
	for _ in $(seq 20); do
		code=$(on normal curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
			"http://$LAB_GW4/")
		case $code in 200) ok=$((ok + 1)) ;; 429) edge=$((edge + 1)) ;; esac
	done
	assert_eq "nginx's answers (burst 5)" 5 "$ok"
	assert_eq "the edge's 429s, out through the egress hook" 15 "$edge"
	assert_eq "no pending requests without services" 0 "$(conns_entries)"
}

# A pending request of service 0 for the connection from SRC:PORT to the
# gateway's :80, as XDP would write it (sluice_service.h's layout), with
# its arrival AGO_MS ago on bpf_ktime_get_ns()'s clock.
pend() {	# SRC PORT AGO_MS
	local kv
	kv=$(python3 -c "import socket, struct, sys, time
src, port, ago = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
k = struct.pack('<B3x', 4) + struct.pack('>HH', port, 80) + \\
    socket.inet_aton(src).ljust(16, b'\\0') + socket.inet_aton(sys.argv[4]).ljust(16, b'\\0')
v = struct.pack('<QIBBH16x', time.monotonic_ns() - ago * 1000000, 1, 0, 1, 0)
print(' '.join(str(b) for b in k), '|', ' '.join(str(b) for b in v))" "$1" "$2" "$3" "$LAB_GW4")
	# shellcheck disable=SC2086 # the bytes are words
	bpftool map update pinned "$PIN_ROOT/$LAB_GW_IF/sl_conns" key ${kv%|*} value ${kv#*|}
}

# sl_svc_stats[0] summed over CPUs: the sum of its u64 words FIRST..LAST
# (struct sl_svc_stats: responses[c] is word 2 + c, lat_count 21, lat[b]
# 23 + b); bpftool prints the values as bytes.
svc0() {	# FIRST [LAST]
	bpftool -j map lookup pinned "$PIN_ROOT/$LAB_GW_IF/sl_svc_stats" key 0 0 0 0 |
		python3 -c "import json, sys
v, a = json.load(sys.stdin), int(sys.argv[1])
b = int(sys.argv[2]) if len(sys.argv) > 2 else a
print(sum(int.from_bytes(bytes(int(x, 16) for x in c['value'][8 * i:8 * i + 8]), 'little')
          for c in v['values'] for i in range(a, b + 1)))" "$@"
}
svc0_2xx() { svc0 4; }
svc0_4xx() { svc0 6; }
svc0_lat() { svc0 21; }

curl_from() {	# PORT: the status nginx or the edge answered
	on normal curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
		--local-port "$1" "http://$LAB_GW4/"
}

test_matched() {
	local src=198.18.1.10 port=$((41000 + $$ % 1000))
	sluiced_up "$cfg"
	subtest "a response to a pending request is counted; the edge's answer is not"
	assert_ok "pending request written" pend "$src" "$port" 60
	assert_eq "nginx answers" 200 "$(curl_from "$port")"
	assert_eq "its 2xx counted" 1 "$(svc0_2xx)"
	assert_eq "its latency counted" 1 "$(svc0_lat)"
	assert_ge "in a bucket past 50 ms (it was 60 ms old)" 1 \
		"$(svc0 $((23 + 6)) $((23 + 31)))"
	for i in 3 4 5 6; do curl_from $((port + i)) >/dev/null; done	# the burst's rest
	assert_ok "pending request written" pend "$src" $((port + 2)) 1
	assert_eq "the edge answers" 429 "$(curl_from $((port + 2)))"
	assert_eq "not the service's 4xx" 0 "$(svc0_4xx)"
	assert_eq "no latency for it" 1 "$(svc0_lat)"
	assert_wait "both entries gone (the server's FIN, the edge's answer)" 2 conns_none
}

run_tests lifecycle removed traffic matched
finish

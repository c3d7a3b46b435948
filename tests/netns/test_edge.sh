#!/bin/bash
# Edge answers through the TC program, with real nginx and real clients:
# a request refused on an established connection tears down both sides.
#   defect      hey -n 1000 -c 20 -disable-keepalive over a requests
#               limit with action reset: every refused connection is
#               answered (a reset, no timeout), the gateway's ESTABLISHED
#               sockets on :80 are back to the baseline within a second,
#               nginx's error log gets nothing
#   many        the same with 10,000 refusals
#   silent      a client sends its request and stays silent: its server
#               socket goes at once, the client's stays open
#   keepalive   the fifth request of a keep-alive connection gets the
#               edge's HTTP reply (the default 429) on that connection
#   lifecycle   status shows the TC program; SIGTERM leaves it enforcing;
#               a restarted sluiced adopts it; detach removes it
#   tc_removed  the TC link detached by another tool: sluiced attaches a
#               new one within seconds and answers go on tearing down
#               both sides
. "$(dirname "$0")/lib.sh"
netns_init hey
lab_up

cfg=$T_DIR/sluice.yaml
SRC=198.18.1.10		# the normal host's first address (hey's and bash's too)
NGINX_ERR=$LAB_RUN/nginx/error.log

write_cfg() {	# ACTION [BURST]
	cfg_header enforce
	cfg_tier normal "$ANY" "{unit: requests, rate: 1/s, burst: ${2:-5}, action: $1}"
}

# Server-side sockets of nginx on :80 in the gateway, ESTABLISHED or on
# their way there (the accept queue's too).
server_socks() {
	on gw ss -Htn state established "( sport = :80 )" | wc -l
}
socks_at_most() { (($(server_socks) <= $1)); }	# N

err_lines() { wc -l <"$NGINX_ERR" 2>/dev/null || echo 0; }

tc_prog_of() { tcx_prog_of "$1" ingress; }	# IF: program id, or nothing

# hey over fresh connections: "TOTAL 200S RESETS OTHER" from its report.
hey_run() {	# N C
	on normal hey -n "$1" -c "$2" -disable-keepalive -t 5 \
		"http://$LAB_GW4/" >"$T_DIR/hey.out" 2>&1
	awk '/responses$/ && /\[[0-9][0-9][0-9]\]/ {
		if ($1 == "[200]") ok += $2; else other += $2; next }
	     /^ *\[[0-9]+\]\t/ { n = $1; gsub(/[][]/, "", n)
		if (/connection reset by peer/) rs += n; else other += n }
	     END { print ok + 0, rs + 0, other + 0 }' "$T_DIR/hey.out"
}

# The refused connections all answered, the server side gone in time.
refusals() {	# N C
	local base err0 before after t0 el ok rs other max
	base=$(server_socks) err0=$(err_lines)
	before=$(tiers_json)
	t0=$(now_ms)
	read -r ok rs other < <(hey_run "$1" "$2")
	el=$(elapsed_since "$t0")
	after=$(tiers_json)
	note "hey: $ok x 200, $rs reset, $other other, in ${el} ms (baseline $base server sockets)"
	max=$(gcra_max 5 1 "$el")
	assert_range "answered 200 (burst 5, 1/s, ${el} ms)" 5 "$max" "$ok"
	assert_eq "every other request reset (no timeout, no other error)" \
		$(($1 - ok)) "$rs"
	assert_eq "refused requests counted as reset" "$rs" \
		"$(count_delta "$before" "$after" normal reset)"
	assert_wait "the gateway's server sockets on :80 back to $base" 1 \
		socks_at_most "$base"
	assert_eq "events: no TC fallback" 0 "$(pinned_event "$LAB_GW_IF" edge_no_tc)"
	assert_eq "events: no answer failed" 0 \
		$(($(pinned_event "$LAB_GW_IF" edge_client_fail) +
		   $(pinned_event "$LAB_GW_IF" edge_server_fail)))
	assert_eq "nginx's error log: no new lines" "$err0" "$(err_lines)"
}

test_defect() {
	write_cfg reset >"$cfg"
	sluiced_up "$cfg"
	subtest "1000 requests, 20 at a time, fresh connections, action reset"
	refusals 1000 20
}

test_many() {
	write_cfg reset >"$cfg"
	sluiced_up "$cfg"
	subtest "10,000 refusals"
	refusals 10000 50
}

refused_once() { [[ $(count_of "$(tiers_json)" normal reset) == 1 ]]; }

test_silent() {
	local base pid
	write_cfg reset 1 >"$cfg"
	sluiced_up "$cfg"
	subtest "a client that sends its request and goes silent"
	http_one "$SRC" 2 >/dev/null	# takes the burst
	base=$(server_socks)
	silent_start "$SRC"
	pid=$SILENT_PID
	assert_wait "its request refused" 2 refused_once
	assert_wait "its server socket is gone (back to $base) while it stays silent" 1 \
		socks_at_most "$base"
	assert_ok "the client has not closed (still running)" kill -0 "$pid"
	kill "$pid" 2>/dev/null
}

keepalive_5() {	# SRC: five requests on one connection
	local out
	url_args "$1" 5
	out=$(on normal curl -s -m 2 --interface "$1" \
		-w '%{http_code} %{num_connects}\n' "${URL_ARGS[@]}" -D "$T_DIR/h5")
	assert_eq "$1: status codes" "200 200 200 200 429" \
		"$(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }' <<<"$out")"
	assert_eq "$1: connections opened: one for all five" 1 \
		"$(awk '{ n += $2 } END { print n }' <<<"$out")"
	assert_has "$1: the 429 says when to retry" "Retry-After: " "$(cat "$T_DIR/h5")"
	assert_has "$1: and carries RateLimit" 'RateLimit: "normal";r=0;t=' "$(cat "$T_DIR/h5")"
}

test_keepalive() {
	local err0
	write_cfg http 4 >"$cfg"
	sluiced_up "$cfg"
	subtest "keep-alive: requests 1-4 served, the 5th answered 429 on the same connection"
	err0=$(err_lines)
	keepalive_5 "$SRC"
	keepalive_5 "2001:2:0:1::10"
	assert_eq "counted as http" 2 "$(count_of "$(tiers_json)" normal http)"
	assert_wait "the server sockets are gone" 1 socks_at_most 0
	assert_eq "nginx's error log: no new lines" "$err0" "$(err_lines)"
	kill_orphans normal
}

test_lifecycle() {
	local id link before
	write_cfg reset >"$cfg"
	sluiced_up "$cfg"
	subtest "status shows the TC program; SIGTERM leaves it; restart adopts it; detach removes it"
	id=$(status_json | jq -r '.interfaces[0].tc_prog_id')
	link=$(status_json | jq -r '.interfaces[0].tc_link_id')
	assert_eq "sluicectl status -j: tc_prog_id is the one on $LAB_GW_IF" \
		"$(tc_prog_of "$LAB_GW_IF")" "$id"
	assert_has "sluicectl status: a TC PROG ID column" "TC PROG ID" "$(ctl status)"
	assert_line "pinned: tc_link" <(pins_of "$LAB_GW_IF" | tr ' ' '\n') tc_link
	daemon_term
	leaves_enforcement
	assert_eq "after SIGTERM: the TC program still attached" "$id" "$(tc_prog_of "$LAB_GW_IF")"
	subtest "enforcement after SIGTERM: refused requests still tear down the server side"
	before=$(pinned_count "$LAB_GW_IF" "$(pinned_tier_names "$LAB_GW_IF" | awk '$2 == "normal" { print $1 }')" reset)
	read -r _ rs _ < <(hey_run 100 10)
	assert_ge "resets while no sluiced runs" 90 "$rs"
	assert_wait "server sockets back to 0" 1 socks_at_most 0
	sluiced_up "$cfg" "a restarted sluiced adopts the pins"
	assert_eq "the pinned TC link adopted (same link id)" "$link" \
		"$(status_json | jq -r '.interfaces[0].tc_link_id')"
	assert_eq "its program is the new daemon's" "$(tc_prog_of "$LAB_GW_IF")" \
		"$(status_json | jq -r '.interfaces[0].tc_prog_id')"
	assert_ge "counters kept across the restart" $((before + 90)) \
		"$(count_of "$(tiers_json)" normal reset)"
	assert_exit "sluicectl detach" 0 ctl detach
	assert_wait "sluiced exits" 5 daemon_gone
	assert_eq "after detach: no TC program on $LAB_GW_IF" "" "$(tc_prog_of "$LAB_GW_IF")"
}

link_detach() { tcx_link_detach "$1"; }	# LINK_ID

tc_link_is_new() {	# OLD_LINK_ID
	local id
	id=$(status_json | jq -r '.interfaces[0].tc_link_id')
	[[ $id != 0 && $id != "$1" && -n $(tc_prog_of "$LAB_GW_IF") ]]
}

test_tc_removed() {
	local link mark ok rs
	write_cfg reset >"$cfg"
	sluiced_up "$cfg"
	subtest "the TC program detached by someone else: sluiced attaches it again"
	link=$(status_json | jq -r '.interfaces[0].tc_link_id')
	mark=$(log_mark)
	assert_ok "TC link $link detached from outside" link_detach "$link"
	assert_wait "sluiced attached a new TC link" 5 tc_link_is_new "$link"
	assert_ok "the log says why" log_has "$mark" "the TC ingress program was detached by someone else: attaching it again"
	read -r ok rs _ < <(hey_run 100 10)
	assert_eq "afterwards: refused requests reset (100 requests, burst 5)" $((100 - ok)) "$rs"
	assert_wait "afterwards: the server sockets go too" 1 socks_at_most 0
}

run_tests defect many silent keepalive lifecycle tc_removed
finish

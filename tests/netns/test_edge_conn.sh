#!/bin/bash
# shellcheck disable=SC2317 # test_* functions are called by run_tests
# Connections the edge answers itself (edge_connections), with real
# nginx and real clients: once a client is over its request limit, its
# new connections to port 80 are answered by XDP alone (SYN-ACK, the
# 429 and FIN, the last ACKs), and nginx never accepts them.
#   curl        5 x 200, then a complete 429 on an edge connection (IPv4
#               and IPv6); nginx's `accepts` counter does not move for it,
#               sluiced counts it as http and its segments as edge_conn
#   hey         300 requests over fresh connections and over keep-alive:
#               exactly the burst of 200s, every other request a 429, no
#               connection error or timeout; nginx accepted only the
#               connections that carried a 200
#   off         without edge_connections the same refusals reach nginx's
#               accept queue (the difference this makes)
. "$(dirname "$0")/lib.sh"
netns_init hey
lab_up

cfg=$T_DIR/sluice.yaml
SRC=198.18.1.11
SRC6=2001:2:0:1::11

write_cfg() {	# on|off
	if [[ $1 == on ]]; then
		cfg_header enforce | sed 's/^tiers:/edge_connections: {ports: [80], min_wait: 250ms}\ntiers:/'
	else
		cfg_header enforce
	fi
	cfg_tier normal "$ANY" "{unit: requests, rate: 1/h, burst: 5, action: http}"
}

header() { http_header "$1" | tr -d '\r'; }	# NAME
# Connections nginx accepted so far (stub_status counts its own request:
# the difference between two reads is one more than what came between).
nginx_accepts() {
	on gw curl -s --max-time 2 http://127.0.0.1:8080/nginx_status |
		awk 'f { print $1; exit } /^server accepts/ { f = 1 }'
}

check_conn() {	# SRC
	local src=$1 i a0 a1 ra
	for i in 1 2 3 4 5; do
		http_req "$src" / 2
		assert_eq "$src: request $i answered 200 by nginx" 200 "$HTTP_OUTCOME"
	done
	a0=$(nginx_accepts)
	http_req "$src" / 2
	a1=$(nginx_accepts)
	assert_eq "$src: request 6 answered 429" 429 "$HTTP_OUTCOME"
	assert_eq "$src: the status line" "HTTP/1.1 429 Too Many Requests" \
		"$(head -1 "$HTTP_HEADERS" | tr -d '\r')"
	ra=$(header Retry-After)
	assert_range "$src: Retry-After (1/h: up to an hour)" 1 3600 "$ra"
	assert_eq "$src: RateLimit" "\"normal\";r=0;t=$ra" "$(header RateLimit)"
	assert_eq "$src: Connection" close "$(header Connection)"
	assert_eq "$src: the body" \
		"{\"error\":\"too_many_requests\",\"tier\":\"normal\",\"retry_after_s\":$ra}" \
		"$(jq -c . <"$HTTP_BODY")"
	assert_eq "$src: nginx never accepted that connection" 1 $((a1 - a0))
	assert_eq "$src: counted as http" 1 "$(count_of "$(tiers_json)" normal http)"
	# SYN, its ACK, the client's ACK of the reply and its FIN at least.
	assert_range "$src: its other segments counted as edge_conn" 3 10 \
		"$(count_of "$(tiers_json)" normal edge_conn)"
}

test_curl() {
	write_cfg on >"$cfg"
	sluiced_up "$cfg"
	subtest "curl over IPv4"
	check_conn "$SRC"
}

test_curl6() {
	write_cfg on >"$cfg"
	sluiced_up "$cfg"
	subtest "curl over IPv6"
	check_conn "$SRC6"
}

hey_check() {	# WHAT MAX_ACCEPTS N C [HEY ARGS...]
	local what=$1 most=$2 n=$3 before after ok lim other a0 a1
	shift 2
	before=$(tiers_json) a0=$(nginx_accepts)
	read -r ok lim other < <(hey_counts "$@")
	after=$(tiers_json) a1=$(nginx_accepts)
	a1=$((a1 - 1))
	note "$what: $ok x 200, $lim x 429, $other other; nginx accepted $((a1 - a0)) connections"
	assert_eq "$what: 200s = the burst" 5 "$ok"
	assert_eq "$what: every other request a 429" $((n - 5)) "$lim"
	assert_eq "$what: no error, no timeout, no other status" 0 "$other"
	assert_eq "$what: sluiced's http count = the 429s" "$lim" \
		"$(count_delta "$before" "$after" normal http)"
	assert_range "$what: nginx accepted at most $most connections" 0 "$most" $((a1 - a0))
	assert_range "$what: edge connections counted" $((n / 2)) $((n * 10)) \
		"$(count_delta "$before" "$after" normal edge_conn)"
}

test_hey() {
	write_cfg on >"$cfg"
	sluiced_up "$cfg"
	subtest "hey, 300 requests over fresh connections, 20 at a time"
	# The burst's 5, and the connections opened while the last of them
	# was still being answered (at most one per worker).
	hey_check "fresh connections" 25 300 20 -disable-keepalive
}

test_hey_keepalive() {
	write_cfg on >"$cfg"
	sluiced_up "$cfg"
	subtest "hey, 300 requests with keep-alive, 20 connections"
	hey_check "keep-alive" 40 300 20
}

test_off() {
	local a0 a1
	write_cfg off >"$cfg"
	sluiced_up "$cfg"
	subtest "edge_connections off: the refused connections reach nginx"
	a0=$(nginx_accepts)
	hey_counts 100 10 -disable-keepalive >/dev/null
	a1=$(($(nginx_accepts) - 1))
	note "nginx accepted $((a1 - a0)) connections for 100 requests"
	assert_range "nginx accepted (nearly) every connection" 90 100 $((a1 - a0))
	assert_eq "no edge_conn segments" 0 "$(count_of "$(tiers_json)" normal edge_conn)"
}

run_tests curl curl6 hey hey_keepalive off
finish

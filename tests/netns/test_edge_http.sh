#!/bin/bash
# shellcheck disable=SC2317 # test_* functions are called by run_tests
# The edge's HTTP answers, with real nginx and real clients, configured
# as an operator would (reply: keys, or none for the default 429):
#   curl        curl: 5 x 200, then a 429 whose status line, Retry-After,
#               RateLimit-Policy, RateLimit, Content-Type, Content-Length,
#               Connection and JSON body are exact, the delay matching
#               `sluicectl client` at that moment; the same over IPv6
#   hey         hey over many fresh connections and over keep-alive: the
#               200s are exactly the burst, every other request a 429, no
#               connection error or timeout
#   sockets     10,000 edge-answered requests: nginx's connections
#               (stub_status and ss) back to the baseline within a second,
#               nothing in its error log; a client that sends its request
#               and stays silent loses its server socket at once
#   replies     a tier's 503 with a text body, a limit's fallback 200
#               {"status":"degraded","data":[]} overriding it
#   shadow      shadow mode lets the request through, counting shadow_http
. "$(dirname "$0")/lib.sh"
netns_init hey python3
lab_up

cfg=$T_DIR/sluice.yaml
SRC=198.18.1.11
SRC6=2001:2:0:1::11
NGINX_ERR=$LAB_RUN/nginx/error.log

# One tier for everyone: requests at RATE (6/m: a 10 s interval, so the
# delay is a number worth checking), burst 5, action http, ITEMS after.
write_cfg() {	# [RATE] [ITEMS...]
	local rate=${1:-6/m}
	shift $(($# ? 1 : 0))
	cfg_header enforce
	cfg_tier normal "$ANY" "{unit: requests, rate: $rate, burst: 5, action: http}" "$@"
}

header() { http_header "$1" | tr -d '\r'; }	# NAME
server_socks() { on gw ss -Htn state established "( sport = :80 )" | wc -l; }
socks_at_most() { (($(server_socks) <= $1)); }	# N
# nginx's own count of open client connections, less the status request.
nginx_active() {
	on gw curl -s --max-time 2 http://127.0.0.1:8080/nginx_status |
		awk '/^Active connections:/ { print $3 - 1 }'
}
nginx_at_most() { (($(nginx_active) <= $1)); }	# N
err_lines() { wc -l <"$NGINX_ERR" 2>/dev/null || echo 0; }

# The 429 from SRC after its burst, checked field by field.
check_429() {	# SRC
	local src=$1 i ra next c body
	for i in 1 2 3 4 5; do
		http_req "$src" / 2
		assert_eq "$src: request $i answered 200" 200 "$HTTP_OUTCOME"
	done
	http_req "$src" / 2
	c=$(client_json "$src")
	assert_eq "$src: request 6 answered 429" 429 "$HTTP_OUTCOME"
	assert_eq "$src: the status line" "HTTP/1.1 429 Too Many Requests" \
		"$(head -1 "$HTTP_HEADERS" | tr -d '\r')"
	ra=$(header Retry-After)
	# The next token comes at most one interval (10 s) after the refusal.
	assert_range "$src: Retry-After is whole seconds, 1 to 10" 1 10 "$ra"
	next=$(jq -r '.meters[0].next_token_ms' <<<"$c")
	# sluicectl asked a moment later: its rounded-up wait is the same, or
	# a second less if a second boundary passed in between.
	assert_range "$src: Retry-After = sluicectl client's next token, rounded up" \
		$((ra - 1)) "$ra" "$(awk -v n="$next" 'BEGIN { s = int(n / 1000); if (s * 1000 < n) s++; print s }')"
	assert_eq "$src: RateLimit-Policy (burst 5, refilled in 50 s)" \
		'"normal";q=5;w=50' "$(header RateLimit-Policy)"
	assert_eq "$src: RateLimit: none left, back in Retry-After" \
		"\"normal\";r=0;t=$ra" "$(header RateLimit)"
	assert_eq "$src: Content-Type" application/json "$(header Content-Type)"
	assert_eq "$src: Connection" close "$(header Connection)"
	body=$(cat "$HTTP_BODY")
	assert_eq "$src: Content-Length is the body's length" "${#body}" "$(header Content-Length)"
	assert_eq "$src: the body" \
		"{\"error\":\"too_many_requests\",\"tier\":\"normal\",\"retry_after_s\":$ra}" \
		"$(jq -c . <<<"$body")"
	assert_eq "$src: counted as http" 1 "$(count_of "$(tiers_json)" normal http)"
}

test_curl() {
	write_cfg >"$cfg"
	sluiced_up "$cfg"
	subtest "curl over IPv4"
	check_429 "$SRC"
}

test_curl6() {
	write_cfg >"$cfg"
	sluiced_up "$cfg"
	subtest "curl over IPv6"
	check_429 "$SRC6"
}

hey_check() {	# WHAT N C [HEY ARGS...]
	local what=$1 n=$2 before after ok lim other
	shift
	before=$(tiers_json)
	read -r ok lim other < <(hey_counts "$@")
	after=$(tiers_json)
	note "$what: $ok x 200, $lim x 429, $other other"
	assert_eq "$what: 200s = the burst (1/h: nothing refills)" 5 "$ok"
	assert_eq "$what: every other request a 429" $((n - 5)) "$lim"
	assert_eq "$what: no error, no timeout, no other status" 0 "$other"
	assert_eq "$what: sluiced's http count = the 429s" "$lim" \
		"$(count_delta "$before" "$after" normal http)"
	assert_eq "$what: sluiced's passed requests = the 200s" "$ok" \
		"$(count_delta "$before" "$after" normal passed)"
}

test_hey() {
	write_cfg 1/h >"$cfg"
	sluiced_up "$cfg"
	subtest "hey, 300 requests over fresh connections, 20 at a time"
	hey_check "fresh connections" 300 20 -disable-keepalive
}

test_hey_keepalive() {
	write_cfg 1/h >"$cfg"
	sluiced_up "$cfg"
	subtest "hey, 300 requests with keep-alive, 20 connections"
	hey_check "keep-alive" 300 20
}

refused_is() { [[ $(count_of "$(tiers_json)" normal http) == "$1" ]]; }	# N
HEY_SRC=198.18.1.10	# the normal host's first address: hey's and python's

test_sockets() {
	local base nbase err0 pid n
	write_cfg 1/h >"$cfg"
	sluiced_up "$cfg"
	subtest "10,000 requests answered at the edge: nginx holds nothing afterwards"
	base=$(server_socks) nbase=$(nginx_active) err0=$(err_lines)
	note "before: $base server sockets, nginx counts $nbase connections"
	hey_check "10,000 requests" 10000 50 -disable-keepalive
	assert_wait "ss: the gateway's server sockets on :80 back to $base" 1 socks_at_most "$base"
	assert_wait "stub_status: nginx's active connections back to $nbase" 1 nginx_at_most "$nbase"
	assert_eq "nginx's error log: no new lines" "$err0" "$(err_lines)"

	subtest "a client that sends its request and goes silent"
	# hey's address: its burst is spent, the request is refused.
	base=$(server_socks) n=$(count_of "$(tiers_json)" normal http)
	silent_start "$HEY_SRC"
	pid=$SILENT_PID
	assert_wait "its request answered at the edge" 3 refused_is $((n + 1))
	assert_wait "its server socket is gone (back to $base) while it stays silent" 1 \
		socks_at_most "$base"
	assert_ok "the client has not closed (still running)" kill -0 "$pid"
	kill "$pid" 2>/dev/null
}

# sluice_edge_replies_total of TIER and STATUS on the lab interface.
edge_replies() {	# TIER STATUS
	on gw curl -s --max-time 3 http://127.0.0.1:9469/metrics |
		awk -v s="sluice_edge_replies_total{interface=\"$LAB_GW_IF\",tier=\"$1\",status=\"$2\"}" \
			'$1 == s { print $2; f = 1 } END { if (!f) print "none" }'
}
edge_replies_is() { [[ $(edge_replies "$1" "$2") == "$3" ]]; }	# TIER STATUS N

test_replies() {
	local i
	{
		cfg_header enforce | sed 's/^metrics: {listen: off}/metrics: {listen: 127.0.0.1:9469}/'
		cfg_tier normal "$ANY" '{unit: requests, rate: 1/h, burst: 2, action: http}' \
			'reply: {status: 503, content_type: text/plain, body: "busy, back in {retry_after} s"}'
		cfg_tier partner 198.18.20.0/24 \
			'{unit: requests, rate: 1/h, burst: 2, action: http, reply: {status: 200, body: "{\"status\":\"degraded\",\"data\":[]}"}}'
	} >"$cfg"
	sluiced_up "$cfg"
	subtest "a tier's 503"
	for i in 1 2; do http_req "$SRC" / 2; done
	http_req "$SRC" / 2
	assert_eq "503 after the burst" 503 "$HTTP_OUTCOME"
	assert_eq "the status line" "HTTP/1.1 503 Service Unavailable" "$(head -1 "$HTTP_HEADERS" | tr -d '\r')"
	assert_range "Retry-After (1/h: up to an hour)" 1 3600 "$(header Retry-After)"
	assert_eq "the body, with the delay" "busy, back in $(header Retry-After) s" "$(cat "$HTTP_BODY")"
	assert_eq "Content-Type" text/plain "$(header Content-Type)"
	assert_eq "no RateLimit fields on a 503" "" "$(header RateLimit)"
	subtest "a limit's fallback body"
	for i in 1 2; do http_req 198.18.20.11 / 2; done
	http_req 198.18.20.11 / 2
	assert_eq "the fallback's status" 200 "$HTTP_OUTCOME"
	assert_eq "the fallback's body" '{"status":"degraded","data":[]}' "$(cat "$HTTP_BODY")"
	assert_eq "counted as http" 1 "$(count_of "$(tiers_json)" partner http)"
	subtest "sluice_edge_replies_total by tier and status"
	assert_wait "normal: one 503" 5 edge_replies_is normal 503 1
	assert_wait "partner: one 200" 5 edge_replies_is partner 200 1
	assert_eq "normal: no 429 series" none "$(edge_replies normal 429)"
}

test_shadow() {
	local i ok=0
	write_cfg 1/h >"$cfg"
	sed -i 's/^mode: enforce/mode: shadow/' "$cfg"
	sluiced_up "$cfg"
	subtest "shadow mode: the request goes through, shadow_http counted"
	for i in $(seq 8); do
		http_req "$SRC" / 2
		[[ $HTTP_OUTCOME == 200 ]] && ok=$((ok + 1))
	done
	assert_eq "all 8 answered 200 by nginx" 8 "$ok"
	assert_eq "shadow_http: the 3 it would have answered" 3 "$(count_of "$(tiers_json)" normal shadow_http)"
	assert_eq "http: none" 0 "$(count_of "$(tiers_json)" normal http)"
}

run_tests curl curl6 hey hey_keepalive sockets replies shadow
finish

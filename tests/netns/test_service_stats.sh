#!/bin/bash
# shellcheck disable=SC2317 # test_* functions are called by run_tests
# HTTP statistics from the wire, end to end: the lab's nginx as a real
# reverse proxy in front of real backends (LAB_BACKENDS=1), services on
# port 80 told apart by path, real clients, and `sluicectl -j services`
# against what the clients received, exactly:
#   codes      200, 404, 500, 503 and the port's default: one-shot curl,
#              curl with several URLs on one connection, hey keep-alive
#              and hey without: per service requests and responses by
#              class and code equal the clients' tally; nothing pending
#   edge       a requests limit's 429s from the edge count as the
#              service's requests and edge_replies, never as responses
#   latency    /backend/slow at 1500 ms (one-shot, in parallel) and at
#              200 ms (keep-alive): every response in the delay's bucket
#              or the next, p50 and p99 of the 10 s window within one
#              bucket of the delays, slow counted only over the
#              service's `slow` (1s)
#   timeout    a backend slower (3 s) than the service's timeout (1 s),
#              nginx's own above it: a timeout, the late 200 not
#              counted; the connection's next request counted as usual
#   close      nginx closing without an answer (return 444): no_response,
#              one-shot and in the middle of a kept-alive connection
#   cli        sluicectl services (the table), services NAME (detail),
#              an unknown NAME (exit 1), a malformed one (exit 2)
# Counts only; no timing asserts.
. "$(dirname "$0")/lib.sh"
netns_init hey python3
export LAB_BACKENDS=1 LAB_SLOW_TIMEOUT=5s
lab_up

cfg=$T_DIR/sluice.yaml
TALLY=$T_DIR/tally	# "SERVICE CODE" for every request a client made
EDGE_SRC=198.18.66.10 EDGE_SRC2=198.18.66.11

{
	cfg_header enforce
	cfg_tier normal "$ANY" "verdict: pass"
	cfg_tier limited 198.18.66.0/24 \
		"{unit: requests, rate: 1/h, burst: 3, action: http}"
	cat <<'EOF'
services:
  - {name: web, port: 80}
  - {name: ok, port: 80, paths: [/backend/ok], priority: core}
  - {name: errors, port: 80, paths: [/backend/500, /backend/503]}
  - {name: missing, port: 80, paths: [/backend/404], priority: optional}
  - {name: slow, port: 80, paths: [/backend/slow], slow: 1s}
  - {name: stuck, port: 80, paths: ["/backend/slow?ms=3000"], slow: 500ms, timeout: 1s}
  - {name: gone, port: 80, paths: [/backend/close]}
EOF
} >"$cfg"

# The service a path belongs to, as the config above matches it.
svc_of() {	# PATH
	case $1 in
	/backend/ok*) echo ok ;;
	/backend/500* | /backend/503*) echo errors ;;
	/backend/404*) echo missing ;;
	"/backend/slow?ms=3000"*) echo stuck ;;
	/backend/slow*) echo slow ;;
	/backend/close*) echo gone ;;
	*) echo web ;;
	esac
}

# One request per connection from SRC, in turn: tallied by what curl got
# (000: no answer).
oneshot() {	# SRC PATH...
	local src=$1 p code
	shift
	for p in "$@"; do
		code=$(on "$(host_of "$src")" curl -s -o /dev/null --max-time 8 \
			--interface "$src" -w '%{http_code}' "$(gw_url "$src" "$p")")
		echo "$(svc_of "$p") ${code:-000}" >>"$TALLY"
	done
}

# Every PATH in one curl, on one connection while the server keeps it:
# tallied from curl's trace, request by request as sent (curl sends a
# request again on a fresh connection when a reused one closes
# unanswered: both are on the wire); CONNECTS gets how many connections
# curl opened.
keepalive() {	# SRC PATH...
	local src=$1 p args=() out n
	shift
	for p in "$@"; do args+=(-o /dev/null "$(gw_url "$src" "$p")"); done
	out=$(on "$(host_of "$src")" curl -sv --max-time 20 --interface "$src" \
		-w 'connects %{num_connects}\n' "${args[@]}" 2>"$T_DIR/curl.trace")
	CONNECTS=$(awk '$1 == "connects" { n += $2 } END { print n + 0 }' <<<"$out")
	while read -r p code; do
		echo "$(svc_of "$p") $code" >>"$TALLY"
	done < <(tr -d '\r' <"$T_DIR/curl.trace" | awk '
		/^> GET / { if (p != "") print p, "000"; p = $3; next }
		/^< HTTP\/1\.[01] [0-9][0-9][0-9]/ && p != "" { print p, $3; p = "" }
		END { if (p != "") print p, "000" }')
	n=$(grep -c '^> GET ' "$T_DIR/curl.trace")
	((n >= $#)) || t_fail "curl sent $n requests for $# URLs"
}

# hey from the normal host: N requests on C workers (keep-alive unless
# told otherwise), every answer tallied from its status distribution.
hey_run() {	# PATH N C [HEY ARGS...]
	local p=$1 n=$2 c=$3 s k
	shift 3
	on normal hey -n "$n" -c "$c" -t 8 "$@" "http://$LAB_GW4$p" >"$T_DIR/hey.out" 2>&1
	while read -r code k; do
		for ((s = 0; s < k; s++)); do echo "$(svc_of "$p") $code" >>"$TALLY"; done
	done < <(awk '/^Status code distribution:/ { on = 1; next }
		on && /^ *\[[0-9]+\]/ { gsub(/[][]/, "", $1); print $1, $2; next }
		on && NF == 0 { on = 0 }' "$T_DIR/hey.out")
	assert_eq "hey $p: every request answered" "$n" \
		"$(awk '/^Status code distribution:/ { on = 1; next }
			on && /^ *\[[0-9]+\]/ { s += $2 } END { print s + 0 }' "$T_DIR/hey.out")"
}

got() {	# SERVICE CODE_REGEX: tallied requests of SERVICE whose code matches
	awk -v s="$1" -v re="^($2)\$" '$1 == s && $2 ~ re { n++ } END { print n + 0 }' "$TALLY"
}

svc_json() { ctl -j services "$1" | jq -c '.services[0]'; }	# NAME

# sluice's counters of SERVICE against the clients' tally: requests; the
# edge's 429s (the backends send none) as edge_replies; every other answer
# by class and code; 000 as no_response; T (a timed out request the
# client got late) as a timeout; nothing pending.
check_service() {	# SERVICE
	local s=$1 j
	j=$(svc_json "$s")
	assert_eq "$s: requests = what the clients sent" "$(got "$s" '.*')" \
		"$(jq .counters.requests <<<"$j")"
	assert_eq "$s: edge_replies = the 429s" "$(got "$s" 429)" \
		"$(jq .counters.edge_replies <<<"$j")"
	assert_eq "$s: 2xx" "$(got "$s" '2..')" "$(jq '.counters.responses["2xx"]' <<<"$j")"
	assert_eq "$s: 4xx, the edge's 429s not among them" "$(got "$s" '4..')" \
		"$(($(jq '.counters.responses["4xx"]' <<<"$j") + $(got "$s" 429)))"
	assert_eq "$s: 429 as a response: none" 0 "$(jq '.counters.responses["429"]' <<<"$j")"
	assert_eq "$s: 5xx" "$(got "$s" '5..')" "$(jq '.counters.responses["5xx"]' <<<"$j")"
	assert_eq "$s: 500" "$(got "$s" 500)" "$(jq '.counters.responses["500"]' <<<"$j")"
	assert_eq "$s: 503" "$(got "$s" 503)" "$(jq '.counters.responses["503"]' <<<"$j")"
	assert_eq "$s: 1xx, 3xx, other: none" "0 0 0" \
		"$(jq -r '.counters.responses | "\(.["1xx"]) \(.["3xx"]) \(.other)"' <<<"$j")"
	assert_eq "$s: no_response" "$(got "$s" 000)" "$(jq .counters.no_response <<<"$j")"
	assert_eq "$s: timeouts" "$(got "$s" T)" "$(jq .counters.timeouts <<<"$j")"
	assert_eq "$s: every response has a latency" \
		"$(jq '.counters.responses | [.["1xx"], .["2xx"], .["3xx"], .["4xx"], .["5xx"], .other] | add' <<<"$j")" \
		"$(jq .counters.latency_count <<<"$j")"
	assert_eq "$s: nothing pending" 0 "$(jq .pending <<<"$j")"
}

# The histogram's bucket (index) of D ms: the first upper bound >= D.
bucket_of() {	# JSON D_MS
	jq --argjson d "$2" '[.histogram[] | .le] | map(select(. != "+Inf")) |
		[to_entries[] | select(.value * 1000 >= $d)][0].key' <<<"$1"
}

in_buckets() {	# JSON FROM TO: responses in buckets FROM..TO
	jq --argjson a "$2" --argjson b "$3" '[.histogram[$a:$b + 1][].count] | add' <<<"$1"
}

bound_ms() {	# JSON INDEX: the bucket's upper bound in ms (0 below the first)
	jq --argjson i "$2" 'if $i < 0 then 0 else .histogram[$i].le * 1000 end' <<<"$1"
}

ms_within() {	# LO HI V: LO < V <= HI (ms, fractions allowed)
	awk -v lo="$1" -v hi="$2" -v v="$3" 'BEGIN { exit !(v != "null" && v > lo && v <= hi) }'
}

assert_ms_within() {	# WHAT LO HI V
	if ms_within "$2" "$3" "$4"; then t_pass "$1: $4 ms (in ($2, $3])"
	else t_fail "$1: expected ($2, $3] ms, got ${4:-nothing}"; fi
}

# The window has read SERVICE's N responses (2xx over its span).
window_has() {	# SERVICE N
	svc_json "$1" | jq -e --argjson n "$2" \
		'(.window.codes_per_s["2xx"] * .window.span_s + 0.5 | floor) == $n' >/dev/null
}

test_stats() {
	local j b lo hi t0 s src i pids
	: >"$TALLY"
	sluiced_up "$cfg"

	subtest "codes: one-shot curl, curl keep-alive, hey with and without keep-alive"
	oneshot 198.18.1.10 /backend/ok /backend/ok /backend/500 /backend/503 \
		/backend/404 /backend/404 / /backend/ok /backend/503
	keepalive 198.18.1.11 /backend/ok /backend/500 /backend/404 / /backend/ok \
		/backend/503 /backend/503 /backend/ok / /backend/404
	assert_eq "curl's 10 URLs on one connection" 1 "$CONNECTS"
	hey_run /backend/ok 60 2
	hey_run /backend/503 30 3
	hey_run /backend/404 20 2 -disable-keepalive
	hey_run /backend/500 20 1
	hey_run / 20 2
	note "clients received: $(awk '{ print $2 }' "$TALLY" | sort | uniq -c | tr -s ' \n' ' ')"
	for s in web ok errors missing; do check_service "$s"; done

	subtest "edge: a requests limit's 429s are edge replies, not responses"
	oneshot "$EDGE_SRC" /backend/ok /backend/ok /backend/ok /backend/ok \
		/backend/ok /backend/ok /backend/ok /backend/ok
	keepalive "$EDGE_SRC2" /backend/ok /backend/ok /backend/ok /backend/ok \
		/backend/ok /backend/ok
	assert_eq "the edge answered 5 + 3 with 429" 8 "$(got ok 429)"
	check_service ok

	subtest "latency: 1500 ms (one-shot, in parallel), then 200 ms (keep-alive)"
	t0=$(now_ms)
	pids=()
	for i in 1 2 3 4; do
		oneshot "198.18.1.1$i" "/backend/slow?ms=1500" &
		pids+=($!)
	done
	wait "${pids[@]}"	# not sluiced, also a child of this shell
	keepalive 198.18.1.15 $(for _ in $(seq 12); do echo "/backend/slow?ms=200"; done)
	assert_eq "12 slow requests on one connection" 1 "$CONNECTS"
	note "the slow requests took $(elapsed_since "$t0") ms in all"
	check_service slow
	j=$(svc_json slow)
	assert_eq "slow: only the 4 over 1s are slow" 4 "$(jq .counters.slow <<<"$j")"
	b=$(bucket_of "$j" 200)
	assert_eq "200 ms: all 12 in its bucket (<= $(bound_ms "$j" "$b") ms) or the next" \
		12 "$(in_buckets "$j" "$b" $((b + 1)))"
	b=$(bucket_of "$j" 1500)
	assert_eq "1500 ms: all 4 in its bucket (<= $(bound_ms "$j" "$b") ms) or the next" \
		4 "$(in_buckets "$j" "$b" $((b + 1)))"
	assert_wait "the 10 s window has read the 16 responses" 5 window_has slow 16
	j=$(svc_json slow)
	# 12 of 16 at 200 ms: p50 is theirs, p99 the 1500 ms ones'.
	b=$(bucket_of "$j" 200)
	lo=$(bound_ms "$j" $((b - 2))) hi=$(bound_ms "$j" $((b + 1)))
	assert_ms_within "p50 within one bucket of 200 ms" "$lo" "$hi" "$(jq .window.p50_ms <<<"$j")"
	b=$(bucket_of "$j" 1500)
	lo=$(bound_ms "$j" $((b - 2))) hi=$(bound_ms "$j" $((b + 1)))
	assert_ms_within "p99 within one bucket of 1500 ms" "$lo" "$hi" "$(jq .window.p99_ms <<<"$j")"
	assert_eq "slow ratio 4 of 16" 0.25 "$(jq .window.slow_ratio <<<"$j")"

	subtest "timeout: 3 s behind a 1 s service timeout, nginx waiting 5 s"
	t0=$(now_ms) pids=()
	for src in 198.18.1.16 198.18.1.17; do
		( on normal curl -s -o /dev/null --max-time 8 --interface "$src" \
			-w '%{http_code}\n' "http://$LAB_GW4/backend/slow?ms=3000" \
			>"$T_DIR/stuck.$src" ) &
		pids+=($!)
	done
	keepalive 198.18.1.18 "/backend/slow?ms=3000" /backend/ok
	assert_eq "the late 200 and the next request on one connection" 1 "$CONNECTS"
	wait "${pids[@]}"
	note "took $(elapsed_since "$t0") ms"
	for src in 198.18.1.16 198.18.1.17; do
		echo "stuck $(cat "$T_DIR/stuck.$src")" >>"$TALLY"
	done
	assert_eq "the clients got nginx's late 200s" 3 "$(got stuck 200)"
	# Past the service's timeout: sluice's outcome is the timeout.
	sed -i 's/^stuck 200$/stuck T/' "$TALLY"
	check_service stuck
	check_service ok

	subtest "close: nginx closes without an answer (return 444)"
	oneshot 198.18.1.19 /backend/close /backend/close /backend/close
	keepalive 198.18.1.20 /backend/ok /backend/close /backend/ok
	assert_ge "curl got no answer at least 4 times" 4 "$(got gone 000)"
	check_service gone
	check_service ok

	subtest "sluicectl services, services NAME, an unknown NAME"
	assert_exit "sluicectl services" 0 ctl services
	printf '%s\n' "$T_OUT" >"$T_DIR/services.out"	# KEEP_LOGS=1 keeps it
	for s in web ok errors missing slow stuck gone; do
		assert_ok "a row for $s" grep -qE "^$s " <<<"$T_OUT"
	done
	assert_has "web is port 80's default" "default of :80" "$T_OUT"
	assert_has "errors' match" ":80 /backend/500 /backend/503" "$T_OUT"
	assert_exit "sluicectl services slow" 0 ctl services slow
	printf '%s\n' "$T_OUT" >"$T_DIR/service_slow.out"
	assert_has "detail: the service and its id" "service:" "$T_OUT"
	assert_has "detail: its slow" "slow:" "$T_OUT"
	assert_has "detail: the histogram" "LATENCY <=" "$T_OUT"
	assert_exit "an unknown service: exit 1" 1 ctl services nosuch
	assert_has "it says so" "no service named 'nosuch' in the running config" "$T_OUT"
	assert_exit "-j: exit 1 too" 1 ctl -j services nosuch
	assert_has "as {\"error\"}" '"error": "services: no service named' "$T_OUT"
	assert_exit "a malformed name: usage, exit 2" 2 ctl services 'a b'
	for s in web ok errors missing slow stuck gone; do
		assert_eq "$s: nothing pending at the end" 0 "$(svc_json "$s" | jq .pending)"
	done
}

run_tests stats
finish

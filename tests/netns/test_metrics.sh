#!/bin/bash
# The metrics endpoint: sluiced serves Prometheus metrics in the gateway
# namespace (its own loopback, so no other run collides) while clients
# send traffic.  Counters agree with sluicectl -j tiers, promtool finds
# nothing to say, OpenMetrics ends with # EOF, other paths and methods
# are refused, hostile scrapers do not stall the control socket, counters
# carry on across a reload and a restart, a refused bind leaves nothing
# attached, and listen: off listens nowhere.  Services: every
# sluice_service_* family appears for each configured service (and no
# other), its values equal the pinned maps and what the clients got
# (status codes, edge answers, latency buckets, no_response, timeouts,
# pending), and a removed service's series disappear.
. "$(dirname "$0")/lib.sh"
netns_init promtool python3
LAB_BACKENDS=1 lab_up

ADDR=127.0.0.1:9469
cfg=$T_DIR/sluice.yaml

metrics_cfg() {	# LISTEN [EXTRA_TIER]: the lab's tiers, metrics on LISTEN
	cfg_new
	cfg_set metrics "{listen: \"$1\"}"
	# normal: no flood guard (not even the default one), so that the
	# flood-guard series are shown to exist only for tiers with one.
	cfg_add_tier normal "$ANY" "$REQ_1_5" "flood_guard: off"
	cfg_add_tier vip 198.18.10.0/24 "$REQ_10_20" \
		"flood_guard: {new_clients: 100/s, burst: 10}"
	[[ -z ${2:-} ]] || cfg_add_tier "$2" 198.18.30.0/24 "$REQ_SLOW"
	cfg_print
}

scrape() {	# [PATH] [CURL ARGS...]: the body; headers in $T_DIR/scrape.h
	local path=${1:-/metrics}
	shift $(($# ? 1 : 0))
	on gw curl -sS --max-time 3 -D "$T_DIR/scrape.h" "$@" "http://$ADDR$path"
}

code_of() {	# METHOD PATH: the status code
	on gw curl -s --max-time 3 -o /dev/null -w '%{http_code}' -X "$1" "http://$ADDR$2"
}

# The value of one series in a scrape (exact labels, in order).
series() {	# TEXT SERIES
	awk -v s="$2" '$1 == s { print $2; found = 1 } END { exit !found }' <<<"$1"
}

# A family's series on the lab interface: LABELS follow interface.
on_if() {	# TEXT FAMILY [LABELS]
	series "$1" "$2{interface=\"$LAB_GW_IF\"${3:+,$3}}"
}

packets_of() { on_if "$1" sluice_packets_total "tier=\"$2\",reason=\"$3\""; }	# TEXT TIER REASON

# The endpoint renders once a second: poll until it shows what the
# control socket says (traffic has stopped).
agrees() {	# TIER REASON
	local m t
	m=$(scrape) && t=$(tiers_json) || return 1
	[[ $(packets_of "$m" "$1" "$2") == "$(count_of "$t" "$1" "$2")" ]]
}

test_scrape() {
	local m got t
	metrics_cfg "$ADDR" >"$cfg"
	sluiced_up "$cfg"
	read -r got _ < <(http_burst 198.18.1.11 20 1)
	assert_eq "normal 198.18.1.11: answered 200 of 20" 5 "$got"
	read -r got _ < <(http_burst 198.18.10.11 10 1)
	assert_eq "vip 198.18.10.11: answered 200 of 10" 10 "$got"

	subtest "counters agree with sluicectl -j tiers"
	for t in "normal passed" "normal http" "vip passed" "vip http"; do
		# shellcheck disable=SC2086 # two words: tier and reason
		assert_wait "sluice_packets_total $t equals sluicectl tiers" 5 agrees $t
	done
	m=$(scrape)
	assert_ge "normal: passed packets" 5 "$(packets_of "$m" normal passed)"
	assert_ge "normal: http packets (edge answers)" 15 "$(packets_of "$m" normal http)"
	assert_ok "(none) tier: non_ip packets listed" packets_of "$m" "(none)" non_ip
	assert_fails "(none) tier: no passed row" packets_of "$m" "(none)" passed
	assert_ok "bytes listed" on_if "$m" sluice_bytes_total 'tier="normal",reason="passed"'
	assert_ge "client_new events" 2 \
		"$(on_if "$m" sluice_parser_events_total 'event="client_new"')"
	assert_ge "client table entries" 2 "$(on_if "$m" sluice_client_table_entries)"
	assert_eq "client table capacity" 65536 "$(on_if "$m" sluice_client_table_capacity)"
	assert_eq "flood guard of vip: not refusing" 0 \
		"$(on_if "$m" sluice_flood_guard_refusing 'tier="vip"')"
	assert_eq "flood guard of vip: nothing refused" 0 \
		"$(on_if "$m" sluice_flood_guard_refused_packets_total 'tier="vip"')"
	assert_fails "no flood guard series for normal (it has none)" \
		on_if "$m" sluice_flood_guard_refusing 'tier="normal"'
	assert_eq "normal's rate" 1 "$(series "$m" \
		'sluice_limit_rate{tier="normal",unit="requests",meter="0"}')"
	assert_eq "vip's burst" 20 "$(series "$m" \
		'sluice_limit_burst{tier="vip",unit="requests",meter="0"}')"
	assert_eq "mode enforce" 1 "$(series "$m" 'sluice_mode{mode="enforce"}')"
	assert_eq "mode shadow" 0 "$(series "$m" 'sluice_mode{mode="shadow"}')"
	assert_eq "config_info: hash and path" 1 "$(series "$m" \
		"sluice_config_info{hash=\"$(running_hash)\",path=\"$cfg\"}")"
	assert_eq "build_info" 1 "$(series "$m" \
		"sluice_build_info{version=\"$(status_json | jq -r .version)\",abi=\"$(status_json | jq -r .abi)\"}")"
	assert_eq "interface_info" 1 "$(series "$m" \
		"sluice_interface_info{interface=\"$LAB_GW_IF\",attach=\"$(status_json | jq -r '.interfaces[0].attach')\",prog_id=\"$(status_json | jq -r '.interfaces[0].prog_id')\"}")"
	for t in process_start_time_seconds process_cpu_seconds_total \
		 process_resident_memory_bytes process_virtual_memory_bytes \
		 process_open_fds process_max_fds; do
		assert_ok "$t" series "$m" "$t"
	done
	assert_range "process_start_time_seconds: within the last minute" \
		$(($(date +%s) - 60)) "$(date +%s)" \
		"$(series "$m" process_start_time_seconds | cut -d. -f1)"

	subtest "format"
	assert_has "Content-Type: text 0.0.4" "text/plain; version=0.0.4; charset=utf-8" \
		"$(cat "$T_DIR/scrape.h")"
	assert_none "promtool check metrics: nothing to report" \
		"$(promtool check metrics <<<"$m" 2>&1)"
	assert_eq "every family has # HELP and # TYPE" \
		"$(grep -c '^# HELP ' <<<"$m")" "$(grep -c '^# TYPE ' <<<"$m")"
	m=$(scrape /metrics -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5')
	assert_has "OpenMetrics Content-Type" "application/openmetrics-text; version=1.0.0" \
		"$(cat "$T_DIR/scrape.h")"
	assert_eq "OpenMetrics: ends with # EOF" "# EOF" "$(tail -1 <<<"$m")"
	assert_ok "OpenMetrics: counter family named without _total" \
		grep -qx '# TYPE sluice_packets counter' <<<"$m"
}

test_paths() {
	local b
	metrics_cfg "$ADDR" >"$cfg"
	sluiced_up "$cfg"
	b=$(scrape /healthz)
	assert_eq "/healthz: ok" ok "$b"
	assert_eq "GET /healthz: 200" 200 "$(code_of GET /healthz)"
	assert_eq "GET /: 200" 200 "$(code_of GET /)"
	assert_has "/ links to /metrics" 'href="/metrics"' "$(scrape /)"
	assert_eq "GET /nope: 404" 404 "$(code_of GET /nope)"
	assert_eq "POST /metrics: 405" 405 "$(code_of POST /metrics)"
	assert_eq "DELETE /: 405" 405 "$(code_of DELETE /)"
	on gw curl -s -o /dev/null -D "$T_DIR/405.h" -X POST "http://$ADDR/metrics"
	assert_has "405 says Allow: GET, HEAD" "Allow: GET, HEAD" "$(tr -d '\r' <"$T_DIR/405.h")"
	assert_ok "HEAD /metrics: 200, no body" on gw curl -sfI --max-time 3 -o /dev/null \
		"http://$ADDR/metrics"

	subtest "/healthz without a pin"
	local id
	id=$(pinned_map_id "$LAB_GW_IF" sl_counters)
	rm "$GW_PINS/sl_counters"
	T_UNDO+=("[[ -e $GW_PINS/sl_counters ]] || bpftool map pin id $id $GW_PINS/sl_counters")
	assert_wait "/healthz: 503 once sl_counters' pin is gone" 5 healthz_is 503
	bpftool map pin id "$id" "$GW_PINS/sl_counters"
	assert_wait "/healthz: 200 again once it is back" 5 healthz_is 200
}

healthz_is() { [[ $(code_of GET /healthz) == "$1" ]]; }	# CODE

# A scraper that connects and says nothing, one sending 1 MB of headers:
# sluicectl status answers all along, and so does /metrics.
test_hostile() {
	local hold=$T_DIR/hostile.py t0 i
	metrics_cfg "$ADDR" >"$cfg"
	sluiced_up "$cfg"
	cat >"$hold" <<'PY'
import socket, sys, time
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.create_connection((host, port))
if mode == "big":
	s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
	try:
		for i in range(1024):
			s.sendall(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000))
		s.sendall(b"\r\n")
		print(s.recv(64).split(b"\r\n")[0].decode() or "closed")
	except OSError as e:
		print("closed (%s)" % e.strerror)
else:
	time.sleep(float(sys.argv[4]))
	print("idle done")
sys.stdout.flush()
time.sleep(float(sys.argv[4]) if mode == "big" else 0)
PY
	on gw python3 "$hold" idle 127.0.0.1 9469 4 >"$T_DIR/idle.out" 2>&1 &
	local idle=$!
	on gw python3 "$hold" big 127.0.0.1 9469 3 >"$T_DIR/big.out" 2>&1 &
	local big=$!
	T_UNDO+=("kill $idle $big 2>/dev/null")
	sleep 0.3
	for i in 1 2 3; do
		t0=$(now_ms)
		assert_ok "sluicectl status answers while they are connected ($i)" \
			timeout 2 "$SLUICECTL" -s "$SOCK" status
		note "answered in $(elapsed_since "$t0") ms"
		assert_eq "GET /metrics meanwhile: 200 ($i)" 200 "$(code_of GET /metrics)"
	done
	wait "$big" "$idle"
	note "1 MB of headers: $(cat "$T_DIR/big.out")"
	assert_fails "1 MB of headers: refused, never answered 200" \
		grep -qE '^HTTP/1\.[01] 200' "$T_DIR/big.out"
	assert_ok "1 MB of headers: an answer or a close" test -s "$T_DIR/big.out"
	assert_eq "after them: GET /metrics 200" 200 "$(code_of GET /metrics)"
}

# Unwatched (cfg_unwatched): only sluicectl reload applies a change, so
# the reload counts are exact.
test_carry_on() {
	local m before after
	cfg_unwatched
	metrics_cfg "$ADDR" extra >"$CFG_REAL"
	sluiced_up "$CFG_LINK"
	http_burst 198.18.1.12 10 1 >/dev/null
	assert_wait "counters rendered" 5 agrees normal reset
	m=$(scrape)
	before=$(packets_of "$m" normal reset)
	assert_ok "tier extra listed" packets_of "$m" extra passed
	assert_eq "tier extra (no flood_guard: the default one): its refused series" 0 \
		"$(on_if "$m" sluice_flood_guard_refused_packets_total 'tier="extra"')"
	assert_eq "no reload yet" 0 "$(series "$m" 'sluice_config_reloads_total{result="success"}')"

	subtest "reload: tier extra removed"
	metrics_cfg "$ADDR" >"$CFG_REAL"
	assert_ok "sluicectl reload" ctl reload
	m=$(scrape)
	assert_eq "reloads: success 1" 1 "$(series "$m" 'sluice_config_reloads_total{result="success"}')"
	assert_eq "reloads: failure 0" 0 "$(series "$m" 'sluice_config_reloads_total{result="failure"}')"
	assert_fails "tier extra gone" packets_of "$m" extra passed
	assert_fails "its limits gone" series "$m" \
		'sluice_limit_rate{tier="extra",unit="requests",meter="0"}'
	after=$(packets_of "$m" normal reset)
	assert_ge "normal reset: carried on over the reload" "$before" "$after"
	assert_ge "last reload success: now" $(($(date +%s) - 10)) \
		"$(series "$m" sluice_config_last_reload_success_timestamp_seconds)"

	subtest "a refused reload"
	cp "$CFG_REAL" "$T_DIR/good.yaml"
	printf 'tiers: [\n' >"$CFG_REAL"
	assert_fails "sluicectl reload of a broken file fails" ctl reload
	assert_eq "reloads: failure 1" 1 \
		"$(series "$(scrape)" 'sluice_config_reloads_total{result="failure"}')"
	cp "$T_DIR/good.yaml" "$CFG_REAL"

	subtest "restart: counters carry on"
	before=$(packets_of "$(scrape)" normal reset)
	daemon_term
	assert_eq "SIGTERM: exit 0" 0 "$DAEMON_RC"
	sluiced_up "$CFG_LINK" "sluiced restarts over its pins"
	m=$(scrape)
	assert_ge "normal reset: carried on over the restart" "$before" \
		"$(packets_of "$m" normal reset)"
	assert_eq "a new process: no reload yet" 0 \
		"$(series "$m" 'sluice_config_reloads_total{result="success"}')"
}

# Spoofed new sources for ~3 s (3000 datagrams) against a tier whose
# flood guard admits 10 new clients per second: the gauge says refusing
# while it lasts and not after, and the refusals match sluicectl tiers.
test_flood_guard() {
	local flood sent
	{ metrics_cfg "$ADDR"
	  cfg_tier guarded 198.19.0.0/16 "{unit: packets, rate: 100/s, burst: 100}" \
		"flood_guard: {new_clients: 10/s, burst: 10}"; } >"$cfg"
	sluiced_up "$cfg"
	assert_eq "guarded: not refusing before the flood" 0 \
		"$(on_if "$(scrape)" sluice_flood_guard_refusing 'tier="guarded"')"
	spoof_udp abuser 1 3000 100 100 >"$T_DIR/flood.out" &
	flood=$!
	T_UNDO+=("kill $flood 2>/dev/null")
	assert_wait "guarded: refusing during the flood" 10 refusing 1
	wait "$flood"
	read -r sent _ <"$T_DIR/flood.out"
	assert_eq "spoofed sources sent" 3000 "$sent"
	assert_wait "guarded: not refusing once it is over" 5 refusing 0
	assert_wait "refused packets equal sluicectl tiers' flood_drop" 5 \
		flood_agrees
	assert_ge "the flood guard refused packets" 1 \
		"$(on_if "$(scrape)" sluice_flood_guard_refused_packets_total 'tier="guarded"')"
}

refusing() {	# 0|1
	[[ $(on_if "$(scrape)" sluice_flood_guard_refusing 'tier="guarded"') == "$1" ]]
}

flood_agrees() {
	[[ $(on_if "$(scrape)" sluice_flood_guard_refused_packets_total 'tier="guarded"') == \
	   "$(count_of "$(tiers_json)" guarded flood_drop)" ]]
}

test_refused_bind() {
	local holder
	metrics_cfg "$ADDR" >"$cfg"
	# nsenter execs python in place: $! is its pid, and the kill frees the
	# port for the tests after this one.
	nsenter --net="/run/netns/$(lab_ns gw)" -- python3 -c 'import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)	# past TIME_WAIT
s.bind(("127.0.0.1", 9469)); s.listen(1)
print("listening", flush=True); time.sleep(30)' >"$T_DIR/holder.out" &
	holder=$!
	T_UNDO+=("kill $holder 2>/dev/null")
	assert_wait "another process listens on $ADDR" 5 grep -q listening "$T_DIR/holder.out"
	sluiced_refused "$cfg"
	assert_eq "sluiced exits 1" 1 "$REF_RC"
	assert_ok "it says why" grep -q "metrics: cannot listen on $ADDR: Address already in use" "$REF_LOG"
	assert_untouched "refused bind" "$LAB_GW_IF"
	assert_no_socket "refused bind" "$SOCK"
}

test_off_and_v6() {
	local pid
	metrics_cfg off >"$cfg"
	sluiced_up "$cfg"
	pid=$(status_json | jq -r .pid)
	assert_none "listen: off: sluiced listens on no TCP port" \
		"$(on gw ss -Hltnp | grep "pid=$pid,")"
	daemon_stop

	metrics_cfg "[::1]:9469" >"$cfg"
	sluiced_up "$cfg" "sluiced starts with metrics on [::1]:9469"
	assert_eq "GET http://[::1]:9469/healthz: 200" 200 \
		"$(on gw curl -gs --max-time 3 -o /dev/null -w '%{http_code}' 'http://[::1]:9469/healthz')"
}

# ---- services ----------------------------------------------------------------

# The outcomes nginx does not make, from a server of the test's own on
# the gateway (ports 8090 and 8091): it reads a request and closes
# without an answer, at once (/close) or after S seconds (/hold?s=S).
RAW_PY='
import socket, sys, threading, time
def serve(c):
    req = c.recv(4096)
    if req.startswith(b"GET /hold?s="):
        time.sleep(float(req[12:].split(b" ", 1)[0]))
    c.close()
def listen(port):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((sys.argv[1], port))
    l.listen(16)
    while True:
        c = l.accept()[0]
        threading.Thread(target=serve, args=(c,), daemon=True).start()
for p in sys.argv[2:]:
    threading.Thread(target=listen, args=(int(p),), daemon=True).start()
print("listening", flush=True)
time.sleep(120)
'

raw_start() {
	# nsenter execs python in place: $! is its pid.
	nsenter --net="/run/netns/$(lab_ns gw)" -- python3 -c "$RAW_PY" \
		"$LAB_GW4" 8090 8091 >"$T_DIR/raw.out" 2>&1 &
	T_UNDO+=("kill $! 2>/dev/null")
	wait_for 5 grep -q listening "$T_DIR/raw.out"
}

SERVICES='
  - {name: web, port: 80}
  - {name: api, port: 80, paths: [/api/], slow: 100ms}
  - {name: backend, port: 80, paths: [/backend/], slow: 250ms}
  - {name: raw, port: 8090}
  - {name: hang, port: 8091, timeout: 1s, slow: 500ms}
  - {name: secure, port: 443, tls: true}'

svc_metrics_cfg() {	# SERVICES
	cfg_new
	cfg_set metrics "{listen: \"$ADDR\"}"
	cfg_set services "$1"
	cfg_add_tier open "$ANY" "verdict: pass"
	cfg_add_tier capped 198.18.10.0/24 "$REQ_SLOW"
	cfg_print
}

svc_on() { on_if "$1" "$2" "service=\"$3\"${4:+,$4}"; }	# TEXT FAMILY SERVICE [LABELS]

# Requests one after another, a connection each: "CODE..." as curl saw them.
codes_of() {	# SRC PATH N [MAXTIME] [CURL ARGS...]
	local src=$1 path=$2 n=$3 m=${4:-5} i out=()
	shift $(($# < 4 ? $# : 4))
	for ((i = 0; i < n; i++)); do
		http_req "$src" "$path" "$m" "$@"
		out+=("$HTTP_OUTCOME")
	done
	echo "${out[*]}"
}

pending_is() {	# SERVICE N
	[[ $(svc_on "$(scrape)" sluice_service_pending_requests "$1") == "$2" ]]
}

failures_are() {	# SERVICE KIND N
	[[ $(svc_on "$(scrape)" sluice_service_failures_total "$1" "kind=\"$2\"") == "$3" ]]
}

scrape_agrees() { svc_agrees "$(scrape)" "$1"; }	# SERVICE
service_gone() { ! grep -q "service=\"$1\"" <<<"$(scrape)"; }	# SERVICE

# Every family of service SERVICE in the scrape equals the pinned map.
svc_agrees() {	# TEXT SERVICE
	local m=$1 id k f bad=0
	id=$(pinned_svc_id "$LAB_GW_IF" "$2") || return 1
	for f in requests:sluice_service_requests_total edge_replies:sluice_service_edge_replies_total \
		 slow:sluice_service_slow_responses_total lat_count:sluice_service_response_duration_seconds_count \
		 connections:sluice_service_connections_total; do
		[[ $(svc_on "$m" "${f#*:}" "$2") == "$(pinned_svc_stat "$LAB_GW_IF" "$id" "${f%%:*}")" ]] || bad=1
	done
	[[ $(svc_on "$m" sluice_service_failures_total "$2" 'kind="no_response"') == \
	   "$(pinned_svc_stat "$LAB_GW_IF" "$id" no_response)" ]] || bad=1
	[[ $(svc_on "$m" sluice_service_failures_total "$2" 'kind="timeout"') == \
	   "$(pinned_svc_stat "$LAB_GW_IF" "$id" timeouts)" ]] || bad=1
	k=0
	for f in other 1xx 2xx 3xx 4xx 5xx 429 500 502 503 504; do
		[[ $(svc_on "$m" sluice_service_responses_total "$2" "code=\"$f\"") == \
		   "$(pinned_svc_stat "$LAB_GW_IF" "$id" "responses[$k]")" ]] || bad=1
		k=$((k + 1))
	done
	return $bad
}

# The cumulative bucket of SERVICE's histogram at LE.
bucket() { svc_on "$1" sluice_service_response_duration_seconds_bucket "$2" "le=\"$3\""; }	# TEXT SERVICE LE

test_services() {
	local m got hold t s pids slow_ms
	raw_start || t_fail "the raw server did not start"
	svc_metrics_cfg "$SERVICES" >"$cfg"
	sluiced_up "$cfg"

	subtest "traffic with a known outcome each"
	assert_eq "web: 3 x / (a connection each)" "200 200 200" "$(codes_of 198.18.1.11 / 3)"
	assert_eq "web: / without Host (nginx: 400)" 400 "$(codes_of 198.18.1.11 / 1 5 -H 'Host:')"
	assert_eq "web from capped (burst 5): 5 answered, 2 at the edge" \
		"200 200 200 200 200 429 429" "$(codes_of 198.18.10.11 / 7)"
	got=$(on normal curl -s --interface 198.18.1.12 -w '%{http_code} %{num_connects}\n' \
		-o /dev/null "http://$LAB_GW4/api/a" -o /dev/null "http://$LAB_GW4/api/b" \
		-o /dev/null "http://$LAB_GW4/api/c" -o /dev/null "http://$LAB_GW4/api/d" | tr '\n' ' ')
	assert_eq "api: 4 requests kept alive on one connection" "200 1 200 0 200 0 200 0 " "$got"
	assert_eq "backend: ok, errors" "200 200 500 500 503" \
		"$(codes_of 198.18.1.13 /backend/ok 2) $(codes_of 198.18.1.13 /backend/500 2) $(codes_of 198.18.1.13 /backend/503 1)"
	http_req 198.18.1.13 "/backend/slow?ms=300" 5
	assert_eq "backend: a 300 ms answer" 200 "$HTTP_OUTCOME"
	slow_ms=$HTTP_MS
	http_req 198.18.1.13 "/backend/slow?ms=4000" 8
	assert_eq "backend: nginx gives up on the slow one after 2 s" 504 "$HTTP_OUTCOME"
	assert_eq "raw: closed unanswered, 3 times" "reset reset reset" \
		"$(codes_of 198.18.1.14 "http://$LAB_GW4:8090/close" 3)"
	hold=$T_DIR/hold.out
	# Their own HTTP_N: http_req's files apart from each other's.
	(HTTP_N=1000 http_req 198.18.1.15 "http://$LAB_GW4:8090/hold?s=5" 10
	 echo "$HTTP_OUTCOME" >"$hold.raw") &
	pids=$!
	(HTTP_N=2000 http_req 198.18.1.16 "http://$LAB_GW4:8091/hold?s=5" 10
	 echo "$HTTP_OUTCOME" >"$hold.hang") &
	pids+=" $!"
	T_UNDO+=("kill $pids 2>/dev/null")
	assert_wait "raw: 1 pending while its server holds it" 4 pending_is raw 1
	assert_wait "hang (timeout 1s): a timeout before its server closes (5 s)" 4 \
		failures_are hang timeout 1
	# shellcheck disable=SC2086 # two pids
	wait $pids
	assert_eq "raw: the held one closed unanswered" reset "$(cat "$hold.raw")"
	assert_eq "hang: closed unanswered too" reset "$(cat "$hold.hang")"
	assert_wait "nothing pending any more" 4 pending_is raw 0

	subtest "every family, per service, equal to the pinned maps"
	for s in web api backend raw hang secure; do
		assert_wait "$s: /metrics equals sl_svc_stats" 5 scrape_agrees "$s"
	done
	m=$(scrape)
	assert_eq "web: requests (3 + 1 + 7)" 11 "$(svc_on "$m" sluice_service_requests_total web)"
	assert_eq "web: edge replies" 2 "$(svc_on "$m" sluice_service_edge_replies_total web)"
	assert_eq "web: 2xx (the edge's 429s are not its responses)" 8 \
		"$(svc_on "$m" sluice_service_responses_total web 'code="2xx"')"
	assert_eq "web: 4xx" 1 "$(svc_on "$m" sluice_service_responses_total web 'code="4xx"')"
	assert_eq "web: 429" 0 "$(svc_on "$m" sluice_service_responses_total web 'code="429"')"
	assert_eq "api: 4 requests, 4 x 2xx" "4 4" "$(svc_on "$m" sluice_service_requests_total api) $(svc_on "$m" sluice_service_responses_total api 'code="2xx"')"
	for t in "2xx 3" "5xx 4" "500 2" "503 1" "504 1" "502 0" "4xx 0"; do
		assert_eq "backend: ${t% *}" "${t#* }" \
			"$(svc_on "$m" sluice_service_responses_total backend "code=\"${t% *}\"")"
	done
	assert_eq "backend: slow (the 300 ms and the 2 s one)" 2 \
		"$(svc_on "$m" sluice_service_slow_responses_total backend)"
	assert_eq "backend: +Inf bucket = _count = 7 responses" "7 7" \
		"$(bucket "$m" backend +Inf) $(svc_on "$m" sluice_service_response_duration_seconds_count backend)"
	assert_le "backend: at most 5 within 250 ms (the delayed two are not)" 5 "$(bucket "$m" backend 0.25)"
	assert_le "backend: at most 6 within 1.5 s (the 504 took 2 s)" 6 "$(bucket "$m" backend 1.5)"
	if ((slow_ms <= 350)); then
		assert_ge "backend: the 300 ms one within 350 ms (the client saw $slow_ms ms)" 6 "$(bucket "$m" backend 0.35)"
	else
		t_skip "backend: the 300 ms one within 350 ms" "the client saw $slow_ms ms"
	fi
	assert_ok "backend: _sum at least 2.3 s" awk -v s="$(svc_on "$m" sluice_service_response_duration_seconds_sum backend)" \
		'BEGIN { exit !(s >= 2.3) }'
	assert_eq "backend: failures run (a 504 after a 200)" 1 "$(svc_on "$m" sluice_service_consecutive_failures backend)"
	assert_eq "raw: 4 requests, 4 no_response, no timeout" "4 4 0" \
		"$(svc_on "$m" sluice_service_requests_total raw) $(svc_on "$m" sluice_service_failures_total raw 'kind="no_response"') $(svc_on "$m" sluice_service_failures_total raw 'kind="timeout"')"
	assert_eq "raw: 4 consecutive failures" 4 "$(svc_on "$m" sluice_service_consecutive_failures raw)"
	assert_eq "hang: 1 timeout, no no_response (the close came after)" "1 0" \
		"$(svc_on "$m" sluice_service_failures_total hang 'kind="timeout"') $(svc_on "$m" sluice_service_failures_total hang 'kind="no_response"')"
	assert_eq "web: no failure run" 0 "$(svc_on "$m" sluice_service_consecutive_failures web)"
	assert_eq "secure (TLS): no requests" 0 "$(svc_on "$m" sluice_service_requests_total secure)"
	assert_eq "slow threshold of backend" 0.25 "$(series "$m" 'sluice_service_slow_seconds{service="backend"}')"
	assert_eq "slow threshold of web (the default)" 1 "$(series "$m" 'sluice_service_slow_seconds{service="web"}')"

	subtest "format, with every family"
	assert_none "promtool check metrics: nothing to report" \
		"$(promtool check metrics <<<"$m" 2>&1)"
	for f in requests_total edge_replies_total responses_total response_duration_seconds_bucket \
		 response_duration_seconds_sum response_duration_seconds_count slow_responses_total \
		 failures_total pending_requests consecutive_failures slow_seconds; do
		assert_eq "sluice_service_$f: a series per service" 6 \
			"$(grep -E "^sluice_service_${f}\{" <<<"$m" | grep -oE 'service="[^"]*"' | sort -u | wc -l)"
	done
	assert_ok "histogram: # TYPE histogram" grep -qx '# TYPE sluice_service_response_duration_seconds histogram' <<<"$m"
	assert_eq "histogram: 20 buckets a service" 20 \
		"$(grep -c "^sluice_service_response_duration_seconds_bucket{interface=\"$LAB_GW_IF\",service=\"web\"," <<<"$m")"

	subtest "reload: a removed service's series disappear"
	svc_metrics_cfg "$(grep -v 'name: raw' <<<"$SERVICES")" >"$cfg.new"
	mv "$cfg.new" "$cfg"
	assert_wait "raw's series gone" 10 service_gone raw
	m=$(scrape)
	assert_eq "web's count carried on" 11 "$(svc_on "$m" sluice_service_requests_total web)"
	assert_none "promtool check metrics after it" "$(promtool check metrics <<<"$m" 2>&1)"
}

run_tests scrape paths hostile carry_on flood_guard refused_bind off_and_v6 services
finish

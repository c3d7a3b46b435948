#!/bin/bash
# The metrics endpoint: sluiced serves Prometheus metrics in the gateway
# namespace (its own loopback, so no other run collides) while clients
# send traffic.  Counters agree with sluicectl -j tiers, promtool finds
# nothing to say, OpenMetrics ends with # EOF, other paths and methods
# are refused, hostile scrapers do not stall the control socket, counters
# carry on across a reload and a restart, a refused bind leaves nothing
# attached, and listen: off listens nowhere.
. "$(dirname "$0")/lib.sh"
netns_init promtool python3
lab_up

ADDR=127.0.0.1:9469
cfg=$T_DIR/sluice.yaml

metrics_cfg() {	# LISTEN [EXTRA_TIER]: the lab's tiers, metrics on LISTEN
	cfg_new
	cfg_set metrics "{listen: \"$1\"}"
	cfg_add_tier normal "$ANY" "$REQ_1_5"
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
	on gw python3 -c 'import socket, time
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

run_tests scrape paths hostile carry_on flood_guard refused_bind off_and_v6
finish

#!/bin/bash
# A real Prometheus scrapes sluiced in the lab: Debian's prometheus runs
# as a plain process in the gateway namespace (its own temporary storage,
# scrape and rule evaluation every second, the repo's alert rules) while
# clients send bursts over every kind of meter, a short spoofed flood,
# a few malformed and non-IP frames, and requests to services (200s,
# 500s and a slow one through nginx's backends; the backend service has a
# breaker that stays closed).  Then, through its HTTP API: the
# per-tier counts agree exactly with sluicectl -j tiers and with what the
# clients saw, so do the services' requests and status codes, the
# breaker and degrade families are there (closed, level 0), up is 1,
# a rollout of a candidate that changes nothing runs (its cohorts' and
# guards' series exist only while one does: canary + control add up to
# the totals), every rule evaluates ("ok"), and every PromQL expression
# of the Grafana dashboard returns at least one series.
. "$(dirname "$0")/lib.sh"
netns_init prometheus promtool python3

RULES=$NETNS_TOP/tools/monitoring/sluice.rules.yml
DASH=$NETNS_TOP/tools/monitoring/sluice-dashboard.json
METRICS=127.0.0.1:9469
PROM_PID=
LAB_BACKENDS=1 lab_up

# Every unit the dashboard draws a limit for, and a flood guard: requests
# (normal's addresses), connections (partner's), packets (abuser's),
# bytes (vip's), and the flood guard on the spoofed 198.19.0.0/16.  1/h
# rates: no token comes back during the test, so every count is exact.
prom_sluice_cfg() {
	cfg_new
	cfg_set metrics "{listen: \"$METRICS\"}"
	cfg_add_tier rest "$ANY" "verdict: pass"
	cfg_add_tier web 198.18.1.0/24 "$REQ_SLOW"
	cfg_add_tier conn 198.18.20.0/24 "{unit: connections, rate: 1/h, burst: 3, action: reset}"
	cfg_add_tier udp 198.18.66.0/24 "{unit: packets, rate: 1/h, burst: 10, action: drop}"
	cfg_add_tier bulk 198.18.10.0/24 "{unit: bytes, rate: 1KB/s, burst: 1518, action: drop}"
	cfg_add_tier guarded 198.19.0.0/16 "{unit: packets, rate: 1/h, burst: 5, action: drop}" \
		"flood_guard: {new_clients: 10/s, burst: 10}"
	cfg_set services "
  - {name: site, port: 80}
  - {name: backend, port: 80, paths: [/backend/], slow: 250ms, breaker: {min_requests: 1000, consecutive_failures: 1000}}"
	cfg_print
}
TIERS=(web conn udp bulk guarded)
SERVICES=(site backend)

# ---- Prometheus --------------------------------------------------------------

free_port() {	# a free TCP port on the gateway namespace's loopback
	on gw python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

prom_start() {
	local dir=$T_DIR/prom
	mkdir -p "$dir/data"
	PROM_PORT=$(free_port) || return 1
	cat >"$dir/prometheus.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ["$RULES"]
scrape_configs:
  - job_name: sluice
    static_configs: [{targets: ["$METRICS"]}]
EOF
	assert_ok "promtool check config (with the repo's rules)" \
		promtool check config "$dir/prometheus.yml"
	# nsenter --net execs prometheus in place: $! is its pid.
	nsenter --net="/run/netns/$(lab_ns gw)" -- prometheus \
		--config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn \
		>"$dir/log" 2>&1 &
	PROM_PID=$!
	note "prometheus pid $PROM_PID on 127.0.0.1:$PROM_PORT (gateway namespace)"
}

prom_pids() { pgrep -f -- "--storage.tsdb.path=$T_DIR/prom/" || true; }
prom_stop() { proc_stop "$PROM_PID"; PROM_PID=; }

after_test() { prom_stop; }

prom_api() {	# PATH [CURL ARGS...]: the JSON answer, status "success"
	local path=$1
	shift
	on gw curl -sS --max-time 5 "$@" "http://127.0.0.1:$PROM_PORT/api/v1/$path" |
		jq -ec 'select(.status == "success")'
}

prom_query() { prom_api query -G --data-urlencode "query=$1"; }	# EXPR
prom_ready() { on gw curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$PROM_PORT/-/ready"; }

prom_value() {	# EXPR: the value of its one series (fails on 0 or several)
	prom_query "$1" | jq -er '.data.result | select(length == 1) | .[0].value[1]'
}

prom_is() { [[ $(prom_value "$1") == "$2" ]]; }	# EXPR VALUE

# The newest scrape started after T (unix seconds, fractional).
scraped_after() {	# T
	local ts
	ts=$(prom_value "timestamp(up{job=\"sluice\"})") &&
		awk -v a="$ts" -v b="$1" 'BEGIN { exit !(a > b) }'
}

# ---- sluiced's side ----------------------------------------------------------

sel() { echo "{job=\"sluice\",interface=\"$LAB_GW_IF\",tier=\"$1\"${2:+,reason=\"$2\"}}"; }	# TIER [REASON]

# What Prometheus holds for a tier: "reason packets" lines, sorted.
prom_reasons() {	# TIER
	prom_query "sluice_packets_total$(sel "$1")" |
		jq -r '.data.result[] | "\(.metric.reason) \(.value[1])"' | sort
}

# The same from sluicectl -j tiers (the reasons sluiced exports for it).
ctl_reasons() {	# JSON TIER
	jq -r --arg t "$2" '.tiers[] | select(.name == $t) | .counters
		| to_entries[] | "\(.key) \(.value.packets)"' <<<"$1" | sort
}

reason_of() { awk -v r="$2" '$1 == r { print $2; f = 1 } END { if (!f) print 0 }' <<<"$1"; }	# LINES REASON

# sluiced's own /metrics equals sluicectl for every tier (traffic over).
settled() {
	local m t j
	m=$(on gw curl -sS --max-time 3 "http://$METRICS/metrics") && j=$(tiers_json) || return 1
	for t in "${TIERS[@]}"; do
		[[ $(awk -v s="sluice_packets_total{interface=\"$LAB_GW_IF\",tier=\"$t\"," \
			'index($1, s) == 1 { sub(/.*reason="/, "", $1); sub(/".*/, "", $1); print $1, $2 }' \
			<<<"$m" | sort) == "$(ctl_reasons "$j" "$t")" ]] || return 1
	done
}

# A few frames the parser must count apart, raw from HOST's eth0: N IPv4
# packets whose TCP header is cut short (a valid IP header, so the lab's
# bridge passes them on; malformed here) and N frames of the local
# experimental EtherType 0x88b5 (non-IP).
odd_frames() {	# HOST N
	local mac
	mac=$(on gw ip -j link show "$LAB_GW_IF" | jq -r '.[0].address')
	on "$1" python3 -c '
import socket, struct, sys
dmac, dst, n = sys.argv[1], socket.inet_aton(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
eth = bytes.fromhex(dmac.replace(":", "")) + s.getsockname()[4]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 30, 0, 0, 64, 6, 0,
                 socket.inet_aton("198.18.99.10"), dst)
v = sum(struct.unpack("!10H", ip))
v = (v & 0xffff) + (v >> 16)
ip = ip[:10] + struct.pack("!H", ~((v & 0xffff) + (v >> 16)) & 0xffff) + ip[12:]
for _ in range(n):
    s.send(eth + b"\x08\x00" + ip + b"\x9c\x40\x00\x50" + b"\0" * 6)
    s.send(eth + b"\x88\xb5" + b"sluice".ljust(46, b"\0"))
print(n)' "$mac" "$LAB_GW4" "$2"
}

# ---- the test ----------------------------------------------------------------

test_prometheus() {
	local cfg=$T_DIR/sluice.yaml got sent t0 j t p c lines
	prom_sluice_cfg >"$cfg"
	if daemon_start "$cfg" --state-dir "$T_DIR/state"; then
		t_pass "sluiced starts and answers sluicectl"
	else
		t_fail "sluiced starts and answers sluicectl"
		finish
	fi
	prom_start || t_fail "prom_start: no free port in the gateway namespace"
	assert_wait "Prometheus ready" 15 prom_ready
	assert_eq "pgrep finds it by its storage path (as the final check will)" \
		"$PROM_PID" "$(prom_pids)"
	# Its discovery hands targets to the scraper at most every 5 s.
	assert_wait "it scraped sluiced: up{job=\"sluice\"} == 1" 20 prom_is 'up{job="sluice"}' 1

	subtest "traffic over every limit"
	read -r got _ < <(http_burst 198.18.1.11 12 1)
	assert_eq "web (requests, burst 5): 200s of 12" 5 "$got"
	CLIENT_PASSED[web]=$got CLIENT_SENT[web]=12
	read -r got _ < <(http_burst 198.18.20.11 8 1)
	assert_eq "conn (connections, burst 3): 200s of 8" 3 "$got"
	CLIENT_PASSED[conn]=$got CLIENT_SENT[conn]=8
	udp_from 198.18.66.11 25
	CLIENT_PASSED[udp]=10 CLIENT_SENT[udp]=25	# a fresh bucket: its burst, exactly
	udp_from 198.18.10.11 60
	CLIENT_SENT[bulk]=60
	read -r sent _ < <(spoof_udp abuser 1 300)
	assert_eq "guarded: spoofed sources sent" 300 "$sent"
	CLIENT_SENT[guarded]=$sent
	assert_eq "malformed and non-IP frames sent" 5 "$(odd_frames monitor 5)"
	# monitor's addresses are in no limited tier: every request answered.
	for p in ok ok ok 500 "slow?ms=300"; do
		http_req 198.18.99.11 "/backend/$p" 5
		CLIENT_CODES+="$HTTP_OUTCOME "
	done
	assert_eq "backend: the clients' codes" "200 200 200 500 200 " "$CLIENT_CODES"

	subtest "a reload, for the reload panels and annotation"
	assert_ok "sluicectl reload" ctl reload

	subtest "a scrape after the traffic"
	assert_wait "sluiced's /metrics equals sluicectl -j tiers" 10 settled
	t0=$(date +%s.%N)
	assert_wait "Prometheus scraped after that" 10 scraped_after "$t0"
	j=$(tiers_json)

	subtest "per-tier counts: Prometheus, sluicectl, the clients"
	for t in "${TIERS[@]}"; do
		lines=$(prom_reasons "$t")
		assert_eq "$t: every reason as sluicectl -j tiers has it" \
			"$(ctl_reasons "$j" "$t" | tr '\n' ' ')" "$(tr '\n' ' ' <<<"$lines")"
		p=$(reason_of "$lines" passed)
		c=$(($(reason_of "$lines" dropped) + $(reason_of "$lines" reset) +
		     $(reason_of "$lines" http)))
		assert_eq "$t: passed in Prometheus = sluicectl" \
			"$(count_of "$j" "$t" passed)" "$p"
		assert_eq "$t: refused (dropped + reset + http) in Prometheus = sluicectl" \
			$(($(count_of "$j" "$t" dropped) + $(count_of "$j" "$t" reset) +
			   $(count_of "$j" "$t" http))) "$c"
		if [[ -n ${CLIENT_PASSED[$t]:-} ]]; then
			assert_eq "$t: passed = what the clients got through (200s; udp: the burst)" \
				"${CLIENT_PASSED[$t]}" "$p"
			assert_eq "$t: refused = the rest of what they sent" \
				$((CLIENT_SENT[$t] - CLIENT_PASSED[$t])) "$c"
		fi
	done
	assert_ge "bulk: the bytes meter refused some" 1 "$(reason_of "$(prom_reasons bulk)" dropped)"
	assert_eq "bulk: passed + dropped = datagrams sent" "${CLIENT_SENT[bulk]}" \
		$(($(count_of "$j" bulk passed) + $(count_of "$j" bulk dropped)))
	lines=$(prom_reasons guarded)
	assert_ge "guarded: the flood guard refused some" 1 "$(reason_of "$lines" flood_drop)"
	assert_eq "guarded: passed + dropped + flood_drop = spoofed sources" "${CLIENT_SENT[guarded]}" \
		$(($(reason_of "$lines" passed) + $(reason_of "$lines" dropped) + $(reason_of "$lines" flood_drop)))
	assert_eq "guarded: flood-guard refusals = sluicectl's flood_drop" \
		"$(count_of "$j" guarded flood_drop)" \
		"$(prom_value "sluice_flood_guard_refused_packets_total{job=\"sluice\",tier=\"guarded\"}")"
	assert_eq "malformed = frames sent" 5 "$(prom_value "sluice_packets_total$(sel "(none)" malformed)")"
	assert_ge "non_ip: at least the frames sent" 5 "$(prom_value "sluice_packets_total$(sel "(none)" non_ip)")"
	assert_eq "reloads: success 1" 1 "$(prom_value 'sluice_config_reloads_total{job="sluice",result="success"}')"
	assert_eq 'up{job="sluice"}' 1 "$(prom_value 'up{job="sluice"}')"

	subtest "services: Prometheus, the clients"
	assert_eq "backend: requests = what the client sent" 5 "$(prom_value "$(svc_sel sluice_service_requests_total backend)")"
	assert_eq "backend: 2xx = the 200s it got" 4 "$(prom_value "$(svc_sel sluice_service_responses_total backend 'code="2xx"')")"
	assert_eq "backend: 500 = the 500 it got" 1 "$(prom_value "$(svc_sel sluice_service_responses_total backend 'code="500"')")"
	assert_eq "backend: the 300 ms one slow" 1 "$(prom_value "$(svc_sel sluice_service_slow_responses_total backend)")"
	assert_eq "backend: _count = every response" 5 \
		"$(prom_value "$(svc_sel sluice_service_response_duration_seconds_count backend)")"
	assert_eq "backend: slow threshold" 0.25 "$(prom_value 'sluice_service_slow_seconds{job="sluice",service="backend"}')"

	subtest "breakers and degrade: the series the dashboard's rows draw"
	assert_eq "backend's breaker: closed" 1 "$(prom_value 'sluice_breaker_state{job="sluice",service="backend",state="closed"}')"
	assert_eq "backend's breaker: open and half_open 0" 0 \
		"$(prom_value 'sum(sluice_breaker_state{job="sluice",service="backend",state!="closed"})')"
	assert_eq "backend's breaker: no transition" 0 "$(prom_value 'sum(sluice_breaker_transitions_total{job="sluice",service="backend"})')"
	assert_eq "backend's breaker: automatic" 0 "$(prom_value 'sluice_breaker_forced{job="sluice",service="backend"}')"
	assert_eq "site has no breaker" 0 "$(prom_query 'sluice_breaker_state{job="sluice",service="site"}' | jq '.data.result | length')"
	assert_eq "nothing shed (breaker and degrade, both services)" "0 4" \
		"$(prom_query 'sluice_shed_requests_total{job="sluice"}' | jq -r '[.data.result[].value[1] | tonumber] | "\(add) \(length)"')"
	assert_eq "degrade level 0" 0 "$(prom_value 'sluice_degrade_level{job="sluice"}')"
	assert_eq "its source: auto" auto \
		"$(prom_query 'sluice_degrade_level_source{job="sluice"} == 1' | jq -r '[.data.result[].metric.source] | join(" ")')"

	subtest "a rollout, for the rollout row (its cohorts' and guards' series exist only while one runs)"
	# The same policy under another hash: no client's verdict changes.
	{ cat "$cfg"; echo "# a candidate that changes nothing"; } >"$T_DIR/candidate.yaml"
	assert_ok "sluicectl rollout start" ctl rollout start "$T_DIR/candidate.yaml" --every 10m
	assert_wait "Prometheus has the cohorts' packets at a rate" 15 \
		prom_has 'rate(sluice_rollout_packets_total{job="sluice",cohort="canary"}[5s])'
	assert_wait "and the guards' figures" 10 prom_has 'sluice_rollout_guard_ratio{job="sluice"}'
	assert_eq "sluice_rollout_state: step" 1 "$(prom_value 'sluice_rollout_state{job="sluice",state="step"}')"
	assert_eq "sluice_rollout_percent: 5" 5 "$(prom_value 'sluice_rollout_percent{job="sluice"}')"
	assert_eq "control + canary = sluice_packets_total (web, passed)" \
		"$(prom_value "sluice_packets_total$(sel web passed)")" \
		"$(prom_value "sum(sluice_rollout_packets_total{job=\"sluice\",interface=\"$LAB_GW_IF\",tier=\"web\",reason=\"passed\"})")"

	subtest "alert rules"
	assert_wait "every rule evaluated" 10 rules_evaluated
	got=$(prom_api rules | jq -r '.data.groups[].rules[] | select(.health != "ok") | "\(.name): \(.health) \(.lastError // "")"')
	assert_none "every rule's health is ok" "$got"
	assert_eq "rules loaded: every alert of sluice.rules.yml" \
		"$(grep -c -- '- alert:' "$RULES")" "$(prom_api rules | jq '[.data.groups[].rules[]] | length')"

	subtest "every dashboard expression returns data"
	dashboard_exprs
}

prom_has() { prom_query "$1" | jq -e '.data.result | length > 0' >/dev/null; }	# EXPR

rules_evaluated() {
	prom_api rules | jq -e '[.data.groups[].rules[]] | length > 0 and all(.health != "unknown")'
}

svc_sel() { echo "$1{job=\"sluice\",interface=\"$LAB_GW_IF\",service=\"$2\"${3:+,$3}}"; }	# FAMILY SERVICE [LABELS]

# The dashboard's expressions (panel targets, annotations, variable
# queries) with the variables set to what this lab has.
dashboard_exprs() {
	local tiers services item name expr label n res empty=() total=0
	tiers=$(IFS='|'; echo "${TIERS[*]}")
	services=$(IFS='|'; echo "${SERVICES[*]}")
	while IFS= read -r item; do
		name=$(jq -r .name <<<"$item")
		label=$(jq -r '.label // empty' <<<"$item")
		expr=$(jq -r --arg i "$METRICS" --arg f "$LAB_GW_IF" --arg t "$tiers" --arg s "$services" '.expr
			| gsub("\\$\\{?__(rate_interval|interval|range)\\}?"; "5s")
			| gsub("\\$\\{?instance(:[a-z]+)?\\}?"; $i)
			| gsub("\\$\\{?interface(:[a-z]+)?\\}?"; $f)
			| gsub("\\$\\{?tier(:[a-z]+)?\\}?"; $t)
			| gsub("\\$\\{?service(:[a-z]+)?\\}?"; $s)' <<<"$item")
		total=$((total + 1))
		if [[ $expr == *'$'* ]]; then
			t_fail "$name: a variable left unsubstituted: $expr"
			continue
		fi
		res=$(prom_query "$expr") || { t_fail "$name: the query failed: $expr"; continue; }
		if [[ -n $label ]]; then
			n=$(jq --arg l "$label" '[.data.result[] | .metric[$l] // empty] | length' <<<"$res")
		else
			n=$(jq '.data.result | length' <<<"$res")
		fi
		if ((n > 0)); then t_pass "$name: $n series"
		else t_fail "$name: no series from $expr"; empty+=("$name"); fi
	done < <(jq -c '[.panels[], (.panels[] | .panels[]?)] as $p |
		($p[] | .title as $t | .targets[]? | select(.expr) | {name: ($t + "/" + .refId), expr}),
		(.annotations.list[] | select(.expr) | {name: ("annotation/" + .name), expr}),
		(.templating.list[] | select(.type == "query") | (.query.query // .query) as $q
			| ($q | capture("^label_values\\((?<s>.*),\\s*(?<l>[a-zA-Z_]+)\\)$")) as $c
			| {name: ("variable/" + .name), expr: $c.s, label: $c.l})' "$DASH")
	assert_ge "dashboard expressions checked" 60 "$total"
	assert_none "dashboard expressions with no series (of $total)" "${empty[*]}"
}

declare -A CLIENT_PASSED=() CLIENT_SENT=()
CLIENT_CODES=
run_tests prometheus
assert_none "no prometheus left running" "$(prom_pids)"
finish

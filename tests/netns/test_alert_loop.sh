#!/bin/bash
# The alert loop of issue 11 with real parts, all in the lab's gateway
# namespace: Debian's prometheus scrapes sluiced and evaluates the
# shipped degrade rules (tools/monitoring/sluice-degrade.rules.yml), a
# real prometheus-alertmanager routes their alerts to sluiced's webhook
# with the bearer token from credentials_file (the shipped
# tools/monitoring/alertmanager.yml), and nginx proxies service api
# (core) to the lab's flip backend, switched to 500s while a client keeps
# asking (4 requests/s, bounded):
#   the backend fails   the error ratio crosses the rule's threshold,
#             SluiceDegradeServiceFailing fires, Alertmanager posts it,
#             sluicectl -j degrade says level 2, source alert, the
#             alert's fingerprint held; the optional service is answered
#             503 at the edge, the core one still reaches its backend
#   no token  a POST without the token (or with a wrong one), before and
#             while the alert holds the level: 401, counted, and the
#             level, its source and the alerts held do not change
#   recovery  the backend answers 200 again: the alerts resolve in
#             Prometheus, Alertmanager sends the resolution, the level
#             returns to 0 (source auto, no alert held), the optional
#             service reaches its backend again
# Shortened in this test only, so the loop runs in seconds (copies of
# the shipped files in the test's directory; every other line as
# shipped, which the test checks): the rule group's interval 10s -> 1s,
# the rate windows [1m] -> [5s], every `for: 30s` -> 2s, `for: 1m` -> 4s,
# `keep_firing_for: 2m` -> 2s; Alertmanager's group_interval 10s -> 1s,
# the webhook's URL and credentials_file pointed at this run's.  Every
# process (prometheus, alertmanager, sluiced, the backend, the client)
# stops at the end of the test, pass or fail.
. "$(dirname "$0")/lib.sh"
netns_init prometheus promtool prometheus-alertmanager amtool
LAB_BACKENDS=1 lab_up

METRICS=127.0.0.1:9469
HOOK=127.0.0.1:9470
PROM=127.0.0.1:9090	# the gateway namespace is this run's: fixed ports
AM=127.0.0.1:9093
TOKEN=$T_DIR/webhook.token
C4=198.18.1.21
SHIPPED=$NETNS_TOP/tools/monitoring
RULES=$T_DIR/sluice-degrade.rules.yml
PROM_PID='' AM_PID='' LOAD_PID=''
FLIP_STATUS=$T_DIR/flip.status

loop_cfg() {
	cfg_new
	cfg_set metrics "{listen: \"$METRICS\"}"
	cfg_set webhook "{listen: \"$HOOK\", token_file: \"$TOKEN\"}"
	cfg_set services "
  - {name: api, port: 80, paths: [/flip], priority: core}
  - {name: extra, port: 80, paths: [/backend/ok], priority: optional}
  - {name: web, port: 80, priority: core}"
	cfg_add_tier rest "$ANY" "verdict: pass"
	cfg_print
}

# ---- the shipped files, shortened --------------------------------------------

# FILE COPY N: COPY differs from FILE in exactly N lines, all of them
# lines the shortening means to change (nothing else was touched).
changed_lines() { diff "$1" "$2" | grep -c '^>' || true; }	# FILE COPY

rules_copy() {
	sed -e 's/^\(    interval: \)10s$/\11s/' -e 's/\[1m\]/[5s]/g' \
		-e 's/^\(        for: \)30s$/\12s/' -e 's/^\(        for: \)1m$/\14s/' \
		-e 's/^\(        keep_firing_for: \)2m$/\12s/' \
		"$SHIPPED/sluice-degrade.rules.yml" >"$RULES"
	# interval, 4 rate windows, 3 for, 2 keep_firing_for
	assert_eq "the rules' copy: 10 lines shortened, the rest as shipped" 10 \
		"$(changed_lines "$SHIPPED/sluice-degrade.rules.yml" "$RULES")"
	assert_ok "promtool check rules (the copy)" promtool check rules "$RULES"
}

am_copy() {	# the shipped receiver config, pointed at this run's webhook
	sed -e "s|http://127.0.0.1:9470/alertmanager|http://$HOOK/alertmanager|" \
		-e "s|credentials_file: /etc/sluice/webhook.token|credentials_file: $TOKEN|" \
		-e 's/^\(      group_interval: \)10s$/\11s/' \
		"$SHIPPED/alertmanager.yml" >"$T_DIR/am/alertmanager.yml"
	# 2 group_interval, the credentials_file (the URL: same address)
	assert_eq "Alertmanager's copy: 3 lines changed, the rest as shipped" 3 \
		"$(changed_lines "$SHIPPED/alertmanager.yml" "$T_DIR/am/alertmanager.yml")"
	assert_ok "amtool check-config (the copy)" amtool check-config "$T_DIR/am/alertmanager.yml"
}

# ---- Prometheus and Alertmanager ---------------------------------------------

# A server in the gateway's namespace, in the background, its output in
# DIR/log; its pid in SERVER_PID (nsenter --net execs it in place, and
# it stays this shell's child, so proc_stop can wait for it).
gw_server() {	# DIR CMD...
	local dir=$1
	shift
	nsenter --net="/run/netns/$(lab_ns gw)" -- "$@" >"$dir/log" 2>&1 &
	SERVER_PID=$!
}

prom_start() {
	local dir=$T_DIR/prom
	mkdir -p "$dir/data"
	rules_copy
	cat >"$dir/prometheus.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ["$RULES"]
alerting:
  alertmanagers: [{static_configs: [{targets: ["$AM"]}]}]
scrape_configs:
  - job_name: sluice
    static_configs: [{targets: ["$METRICS"]}]
EOF
	assert_ok "promtool check config" promtool check config "$dir/prometheus.yml"
	gw_server "$dir" prometheus --config.file="$dir/prometheus.yml" \
		--storage.tsdb.path="$dir/data" --web.listen-address="$PROM" --log.level=warn
	PROM_PID=$SERVER_PID
	note "prometheus pid $PROM_PID on $PROM (gateway namespace)"
}

am_start() {
	local dir=$T_DIR/am
	mkdir -p "$dir/data"
	am_copy
	gw_server "$dir" prometheus-alertmanager --config.file="$dir/alertmanager.yml" \
		--storage.path="$dir/data" --web.listen-address="$AM" \
		--cluster.listen-address= --log.level=info
	AM_PID=$SERVER_PID
	note "alertmanager pid $AM_PID on $AM (gateway namespace)"
}

servers_left() {	# the test's prometheus and alertmanager still running
	pgrep -f -- "--storage.tsdb.path=$T_DIR/prom/" || true
	pgrep -f -- "--storage.path=$T_DIR/am/" || true
}

ready() { on gw curl -sf --max-time 2 -o /dev/null "http://$1/-/ready"; }	# ADDR

prom_query() {	# EXPR: the JSON answer of an instant query
	on gw curl -sS --max-time 5 -G --data-urlencode "query=$1" \
		"http://$PROM/api/v1/query" | jq -ec 'select(.status == "success")'
}
prom_has() { prom_query "$1" | jq -e '.data.result | length > 0' >/dev/null; }	# EXPR

firing() {	# ALERTNAME: its state in Prometheus is firing
	prom_has "ALERTS{alertname=\"$1\",alertstate=\"firing\",service=\"api\"}"
}
none_firing() { ! prom_has 'ALERTS{alertname=~"SluiceDegrade.*"}'; }

# ---- sluiced's side ----------------------------------------------------------

deg() { ctl -j degrade | jq -c '.data // .'; }
# "LEVEL SOURCE ALERTS": the alerts held as NAME:LEVEL, sorted.
deg_state() {
	deg | jq -r '"\(.level) \(.source) \([.alerts[] | "\(.name):\(.level)"] | sort | join(","))"'
}
deg_is() { [[ $(deg_state) == "$1" ]]; }	# STATE
level_is() { [[ $(deg | jq -r .level) == "$1" ]]; }	# LEVEL

requests() {	# RESULT: sluice_webhook_requests_total{result=RESULT}
	on gw curl -sS --max-time 3 "http://$METRICS/metrics" |
		awk -v s="sluice_webhook_requests_total{result=\"$1\"}" '$1 == s { print $2 }'
}

requests_are() { [[ $(requests "$1") == "$2" ]]; }	# RESULT N
requests_ge() { local n; n=$(requests "$1"); [[ -n $n ]] && ((n >= $2)); }	# RESULT N

hook_post() {	# AUTH_HEADER STATUS LEVEL FINGERPRINT: the status code
	on gw curl -sS -o /dev/null -w '%{http_code}' --max-time 5 \
		${1:+-H "$1"} -H 'Content-Type: application/json' --data-binary \
		"{\"version\":\"4\",\"status\":\"$2\",\"alerts\":[{\"status\":\"$2\",
		  \"labels\":{\"alertname\":\"NoToken\",\"service\":\"api\",\"sluice_degrade\":\"$3\"},
		  \"startsAt\":\"2024-05-01T10:00:00Z\",\"fingerprint\":\"$4\"}]}" \
		"http://$HOOK/alertmanager" 2>/dev/null
}

# Without the token and with a wrong one: 401 each, and nothing changes.
no_token() {	# STATUS LEVEL FINGERPRINT
	local before
	before=$(deg_state)
	assert_eq "no Authorization header: 401" 401 "$(hook_post "" "$@")"
	assert_eq "a wrong token: 401" 401 "$(hook_post "Authorization: Bearer x$(cat "$TOKEN")" "$@")"
	assert_eq "the level, its source and the alerts held unchanged" "$before" "$(deg_state)"
}

# The client that keeps asking: 4 requests/s to api, at most LOAD_MAX.
LOAD_MAX=400
load_start() {
	( for _ in $(seq "$LOAD_MAX"); do
		on "$(host_of "$C4")" curl -s -o /dev/null --max-time 1 \
			--interface "$C4" "$(gw_url "$C4" /flip/load)"
		sleep 0.25
	done ) &
	LOAD_PID=$!
}
load_stop() {
	[[ -n $LOAD_PID ]] || return 0
	kill "$LOAD_PID" 2>/dev/null
	wait "$LOAD_PID" 2>/dev/null
	LOAD_PID=
}

after_test() {
	load_stop
	proc_stop "$AM_PID"
	proc_stop "$PROM_PID"
	AM_PID='' PROM_PID=''
}

# ---- the test ----------------------------------------------------------------

test_loop() {
	local mark t0 fp out
	echo "loop-token-$$-$RANDOM" >"$TOKEN"
	chmod 600 "$TOKEN"
	loop_cfg >"$T_DIR/sluice.yaml"
	sluiced_up "$T_DIR/sluice.yaml"
	T_UNDO+=("flip_backend_down")
	flip_backend_up 8090 "$FLIP_STATUS" "$T_DIR/flip.log" /flip ||
		{ t_fail "nginx proxies /flip to the flip backend"; finish; }
	am_start
	prom_start
	assert_wait "Alertmanager ready" 15 ready "$AM"
	assert_wait "Prometheus ready" 15 ready "$PROM"
	assert_eq "both found by their storage paths" "$PROM_PID $AM_PID" "$(servers_left | tr '\n' ' ' | sed 's/ $//')"
	# Its discovery hands targets to the scraper at most every 5 s.
	assert_wait "Prometheus scrapes sluiced: up == 1" 20 prom_has 'up{job="sluice"} == 1'
	assert_eq "level 0 at start, auto, no alert held" "0 auto " "$(deg_state)"

	subtest "a request without the token changes nothing (level 0)"
	no_token firing 3 0123456789abcdef

	subtest "the backend healthy, the client asking"
	load_start
	http_req "$C4" /backend/ok 2
	assert_eq "the optional service reaches its backend" "200 ok" "$HTTP_OUTCOME $(http_header X-Backend)"
	assert_wait "the rule sees api's outcomes (>= 1/s, the alert's floor)" 20 \
		prom_has 'sluice:service_outcomes:rate1m{service="api"} >= 1'
	assert_ok "api's error ratio 0" prom_has 'sluice:service_error_ratio:rate1m{service="api"} == 0'
	assert_eq "still level 0" 0 "$(deg | jq -r .level)"

	subtest "the backend answers 500s"
	mark=$(log_mark)
	t0=$(now_ms)
	echo 500 >"$FLIP_STATUS"
	assert_wait "SluiceDegradeServiceFailing fires in Prometheus" 30 firing SluiceDegradeServiceFailing
	assert_wait "the degrade level rises to the rule's 2" 20 level_is 2
	note "level 2 $(elapsed_since "$t0") ms after the backend began to fail"
	assert_wait "source alert, the rule's alerts held" 10 deg_is \
		"2 alert SluiceDegradeServiceErrors:1,SluiceDegradeServiceFailing:2"
	fp=$(deg | jq -r '.alerts[] | select(.name == "SluiceDegradeServiceFailing") | .fingerprint')
	assert_ok "the held alert's fingerprint is Alertmanager's ($fp)" \
		log_has "$mark" "webhook: alert $fp (SluiceDegradeServiceFailing) firing: level 2, breaker -"
	assert_ok "logged: the level, its source, what is shed" log_has_re "$mark" \
		"degrade: level [01] -> 2 \(alert: alert SluiceDegradeServiceFailing \($fp\) holds 2\); shed: extra$"
	assert_eq "sluicectl degrade: the optional service shed" '["extra"]' "$(deg | jq -c .shed)"
	http_req "$C4" /backend/ok 2
	assert_eq "the optional service: 503 at the edge, not from its backend" "503 " \
		"$HTTP_OUTCOME $(http_header X-Backend)"
	http_req "$C4" /flip/core 2
	assert_eq "the core service still reaches its (failing) backend" "500 flip" \
		"$HTTP_OUTCOME $(http_header X-Backend)"
	out=$(ctl degrade)
	assert_has "sluicectl degrade names the alert" "SluiceDegradeServiceFailing" "$out"

	subtest "a request without the token changes nothing (level 2)"
	no_token resolved 2 "$fp"

	subtest "the backend recovers"
	mark=$(log_mark)
	t0=$(now_ms)
	echo 200 >"$FLIP_STATUS"
	assert_wait "the alerts resolve in Prometheus" 30 none_firing
	assert_wait "the level returns to 0" 20 level_is 0
	note "level 0 $(elapsed_since "$t0") ms after the backend recovered"
	assert_eq "source auto, no alert held" "0 auto " "$(deg_state)"
	assert_ok "Alertmanager sent the resolution" \
		log_has "$mark" "webhook: alert $fp (SluiceDegradeServiceFailing) resolved: level 2, breaker -"
	assert_ok "logged: back to 0, nothing shed" log_has_re "$mark" "degrade: level [12] -> 0 \(auto: .*\); shed: none$"
	http_req "$C4" /backend/ok 2
	assert_eq "the optional service reaches its backend again" "200 ok" "$HTTP_OUTCOME $(http_header X-Backend)"
	load_stop

	subtest "the webhook's counters"
	assert_wait "unauthorized: the 4 without the token" 5 requests_are unauthorized 4
	assert_wait "ok: Alertmanager's notifications (2 firing, 2 resolved at least)" 5 \
		requests_ge ok 4
	assert_none "no notification errors in Alertmanager's log" \
		"$(grep -i 'level=error' "$T_DIR/am/log" | head -3)"
	assert_none "no errors in Prometheus's log" "$(grep -i 'level=error' "$T_DIR/prom/log" | head -3)"
	after_test
	assert_none "prometheus and alertmanager stopped" "$(servers_left)"
}

run_tests loop
assert_none "no prometheus or alertmanager left running" "$(servers_left)"
finish

#!/bin/bash
# Check the Grafana dashboard: importable (a DS_PROMETHEUS input, every
# panel and query on the ${datasource} variable, the variables and rows it
# needs) and every PromQL expression in it valid.
#   tools/monitoring/check-dashboard.sh [DASHBOARD.json]
# Each expression (panel targets, annotations, variable queries) has its
# variables substituted ($instance -> .*, $__rate_interval -> 1m, ...), is
# parsed by promtool (as a recording rule: `promtool check rules` parses
# PromQL without a server), and each selector in it must name a family
# sluiced exports, with its own labels only, and select job="sluice";
# then it must return data from synthetic series of every family
# (`absent(EXPR)` as an alert that must not fire in `promtool test
# rules`): a division whose sides never match is caught here.  Whether
# the expressions return data from a real sluiced is for the netns test
# against a live Prometheus.  Ends with "monitoring/dashboard: N passed, N failed,
# N skipped"; exit 77 (a skip) without jq or promtool.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
SUITE=monitoring/dashboard
DASH=${1:-tools/monitoring/sluice-dashboard.json}
pass=0 fail=0

for tool in jq promtool; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP: $tool not found (make deps)"
		echo "$SUITE: 0 passed, 0 failed, 1 skipped"
		exit 77
	fi
done

# The families sluiced exports (README, Metrics) and Prometheus's `up`,
# each with its labels; job and instance come from the scrape.
declare -A FAMILY=(
	[sluice_packets_total]="interface tier reason"
	[sluice_bytes_total]="interface tier reason"
	[sluice_parser_events_total]="interface event"
	[sluice_client_table_entries]="interface"
	[sluice_client_table_capacity]="interface"
	[sluice_flood_guard_refusing]="interface tier"
	[sluice_flood_guard_refused_packets_total]="interface tier"
	[sluice_limit_rate]="tier unit meter"
	[sluice_limit_burst]="tier unit meter"
	[sluice_config_reloads_total]="result"
	[sluice_config_last_reload_success_timestamp_seconds]=""
	[sluice_config_info]="hash path"
	[sluice_mode]="mode"
	[sluice_build_info]="version abi"
	[sluice_interface_info]="interface attach prog_id"
	[sluice_service_requests_total]="interface service"
	[sluice_service_edge_replies_total]="interface service"
	[sluice_service_responses_total]="interface service code"
	[sluice_service_response_duration_seconds_bucket]="interface service le"
	[sluice_service_response_duration_seconds_sum]="interface service"
	[sluice_service_response_duration_seconds_count]="interface service"
	[sluice_service_connections_total]="interface service"
	[sluice_service_slow_responses_total]="interface service"
	[sluice_service_failures_total]="interface service kind"
	[sluice_service_pending_requests]="interface service"
	[sluice_service_consecutive_failures]="interface service"
	[sluice_service_slow_seconds]="service"
	[sluice_breaker_state]="service state"
	[sluice_breaker_transitions_total]="service from to"
	[sluice_breaker_forced]="service"
	[sluice_breaker_open_remaining_seconds]="service"
	[sluice_degrade_level]=""
	[sluice_degrade_level_source]="source"
	[sluice_shed_requests_total]="service reason"
	[sluice_rollout_state]="state"
	[sluice_rollout_percent]=""
	[sluice_rollout_step]=""
	[sluice_rollout_ended_total]="outcome"
	[sluice_rollout_packets_total]="interface cohort tier reason"
	[sluice_rollout_guard_ratio]="guard tier cohort"
	[sluice_rollout_guard_samples]="guard tier cohort"
	[sluice_rollout_guard_max_increase]="guard"
	[sluice_rollout_window_remaining_seconds]=""
	[process_start_time_seconds]=""
	[process_cpu_seconds_total]=""
	[process_resident_memory_bytes]=""
	[process_virtual_memory_bytes]=""
	[process_open_fds]=""
	[process_max_fds]=""
	[up]=""
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

result() {	# NAME OK(0/1) WHY
	if (($2 == 0)); then
		printf '  ok    %s\n' "$1"; pass=$((pass + 1))
	else
		printf '  FAIL  %s\n' "$1"; printf '        %s\n' "$3"; fail=$((fail + 1))
	fi
}

if ! jq -e . "$DASH" >/dev/null 2>"$tmp/err"; then
	result "json" 1 "$DASH: $(cat "$tmp/err")"
	echo "$SUITE: $pass passed, $fail failed, 0 skipped"
	exit 1
fi
result "json" 0

structure() {	# NAME JQ_FILTER (true when the dashboard is right)
	if jq -e "$2" "$DASH" >/dev/null 2>&1; then result "$1" 0
	else result "$1" 1 "not true of $DASH: $2"; fi
}

# All panels, those inside collapsed rows too.
P='[.panels[], (.panels[] | .panels[]?)]'
structure "inputs" '[.__inputs[] | select(.name == "DS_PROMETHEUS" and .type == "datasource" and .pluginId == "prometheus")] | length == 1'
structure "requires" '[.__requires[] | select(.id == "grafana" or .id == "prometheus")] | length == 2'
structure "schema" '.schemaVersion >= 36 and (.uid | length > 0) and .id == null'
structure "variables" '[.templating.list[].name] as $v | ["datasource", "instance", "interface", "tier", "service"] - $v == []'
structure "datasource variable" '.templating.list[] | select(.name == "datasource") | .type == "datasource" and .query == "prometheus" and .current.value == "${DS_PROMETHEUS}"'
structure "panels on \${datasource}" "[$P[] | select(.type != \"row\") | .datasource.uid, (.targets[]?.datasource.uid)] | all(. == \"\${datasource}\")"
structure "queries on \${datasource}" '[(.templating.list[] | select(.type == "query") | .datasource.uid), (.annotations.list[] | select(.expr) | .datasource.uid)] | all(. == "${datasource}")'
structure "panel ids unique" "[$P[] | .id] | length == (unique | length)"
structure "panels have a title and a description" "[$P[] | select(.type != \"row\") | (.title | length > 0) and (.description | length > 0)] | all"
structure "rows ready for later issues" '[.panels[] | select(.type == "row" and .collapsed) | .title] as $r | ["Breakers", "Degrade", "Rollout"] - $r == []'
# The services row: request rate, error rate (5xx + no_response + timeout
# over the outcomes), p99 from the histogram and the slow rate.
structure "services row" '[.panels as $p | $p | to_entries[] | select(.value.type == "row" and .value.title == "Services") | .key] as [$i]
	| [.panels[$i + 1:][] | select(.type != "row")] as $s
	| [$s[].targets[].expr] | (any(test("rate\\(sluice_service_requests_total"))
		and any(test("code=\"5xx\"") and test("sluice_service_failures_total") and test("_count"))
		and any(test("histogram_quantile\\(0.99, .*sluice_service_response_duration_seconds_bucket"))
		and any(test("rate\\(sluice_service_slow_responses_total")))'
# The breakers and degrade rows (collapsed: their panels inside them):
# each family of theirs drawn, the state and the level with their
# mappings and sources.
row_exprs() {	# TITLE: the expressions of that collapsed row's panels
	printf '[.panels[] | select(.type == "row" and .title == "%s") | .panels[] | .targets[].expr]' "$1"
}
structure "breakers row" "$(row_exprs Breakers) | (any(test(\"sluice_breaker_state\\\\{[^}]*state=\\\"open\\\"\"))
		and any(test(\"sluice_breaker_state\\\\{[^}]*state=\\\"half_open\\\"\"))
		and any(test(\"increase\\\\(sluice_breaker_transitions_total\"))
		and any(test(\"sluice_breaker_open_remaining_seconds\")) and any(test(\"sluice_breaker_forced\")))"
structure "breaker states mapped" '[.panels[] | select(.type == "row" and .title == "Breakers") | .panels[]
	| select(.type == "state-timeline") | .fieldConfig.defaults.mappings[0].options | [.["0"].text, .["1"].text, .["2"].text]]
	| length > 0 and all(. == ["closed", "half_open", "open"])'
structure "rollout row" "$(row_exprs Rollout) | (any(test(\"sluice_rollout_percent\")) and any(test(\"sluice_rollout_state\"))
		and any(test(\"rate\\\\(sluice_rollout_packets_total\")) and any(test(\"sluice_rollout_guard_ratio\"))
		and any(test(\"sluice_rollout_guard_max_increase\")) and any(test(\"sluice_rollout_ended_total\")))"
structure "degrade row" "$(row_exprs Degrade) | (any(test(\"sluice_degrade_level\\\\{\") and test(\"sluice_degrade_level_source\"))
		and any(test(\"rate\\\\(sluice_shed_requests_total\") and test(\"by \\\\(service, reason\\\\)\")))"

# Every expression, named by where it is: "panel title/refId".
jq -c "[($P[] | .title as \$t | .targets[]? | select(.expr) | {name: (\$t + \"/\" + .refId), expr}),
	(.annotations.list[] | select(.expr) | {name: (\"annotation/\" + .name), expr}),
	(.templating.list[] | select(.type == \"query\") | {name: (\"variable/\" + .name),
		expr: (.query.query // .query | capture(\"^label_values\\\\((?<s>.*),\\\\s*(?<l>[a-zA-Z_]+)\\\\)\$\").s // .),
		label: (.query.query // .query | capture(\",\\\\s*(?<l>[a-zA-Z_]+)\\\\)\$\").l)})]
	| .[]" "$DASH" >"$tmp/exprs"
[[ -s $tmp/exprs ]] || result "expressions" 1 "no expr found in $DASH"

# Synthetic series: every family, two interfaces, two tiers, every reason
# and event, 10 minutes at 15 s; counters rise by one a second.
series() {	# NAME{LABELS} VALUES
	printf '      - series: %s\n        values: %s\n' "'$1'" "'$2'"
}
synthetic() {
	local j='job="sluice",instance="gw1:9469"' i t r e
	for i in eth0 eth1; do
		for t in normal vip; do
			for r in passed dropped reset shadow_drop shadow_reset denylisted allowlisted unmetered flood_drop; do
				series "sluice_packets_total{$j,interface=\"$i\",tier=\"$t\",reason=\"$r\"}" '0+15x40'
				series "sluice_bytes_total{$j,interface=\"$i\",tier=\"$t\",reason=\"$r\"}" '0+9000x40'
			done
			series "sluice_flood_guard_refusing{$j,interface=\"$i\",tier=\"$t\"}" '0x20 1x20'
			series "sluice_flood_guard_refused_packets_total{$j,interface=\"$i\",tier=\"$t\"}" '0+15x40'
		done
		for r in malformed non_ip; do
			series "sluice_packets_total{$j,interface=\"$i\",tier=\"(none)\",reason=\"$r\"}" '0+15x40'
			series "sluice_bytes_total{$j,interface=\"$i\",tier=\"(none)\",reason=\"$r\"}" '0+900x40'
		done
		for e in vlan ipv4_options frag_first frag_later v6_exthdr v6_ext_limit l4_other cas_retry client_new client_full reset_fail; do
			series "sluice_parser_events_total{$j,interface=\"$i\",event=\"$e\"}" '0+15x40'
		done
		series "sluice_client_table_entries{$j,interface=\"$i\"}" '100+10x40'
		series "sluice_client_table_capacity{$j,interface=\"$i\"}" '1024x40'
		series "sluice_interface_info{$j,interface=\"$i\",attach=\"native\",prog_id=\"42\"}" '1x40'
		for s in api web; do
			synthetic_service "$j,interface=\"$i\",service=\"$s\""
		done
	done
	for s in api web; do
		series "sluice_service_slow_seconds{$j,service=\"$s\"}" '0.5x40'
	done
	for t in normal vip; do
		for u in packets bytes; do
			series "sluice_limit_rate{$j,tier=\"$t\",unit=\"$u\",meter=\"0\"}" '100x40'
			series "sluice_limit_burst{$j,tier=\"$t\",unit=\"$u\",meter=\"0\"}" '200x40'
		done
	done
	series "sluice_config_reloads_total{$j,result=\"success\"}" '0+1x40'
	series "sluice_config_reloads_total{$j,result=\"failure\"}" '0x20 1x20'
	series "sluice_config_last_reload_success_timestamp_seconds{$j}" '0+15x40'
	series "sluice_config_info{$j,hash=\"0123abcd\",path=\"/etc/sluice/sluice.yaml\"}" '1x40'
	series "sluice_mode{$j,mode=\"enforce\"}" '1x40'
	series "sluice_mode{$j,mode=\"shadow\"}" '0x40'
	series "sluice_build_info{$j,version=\"1.0\",abi=\"3\"}" '1x40'
	series "process_start_time_seconds{$j}" '0x40'
	series "process_cpu_seconds_total{$j}" '0+0.15x40'
	series "process_resident_memory_bytes{$j}" '8e6x40'
	series "process_open_fds{$j}" '12x40'
	series "process_max_fds{$j}" '1024x40'
	series "up{$j}" '1x40'
	# Breakers: api closed, opening at 5m (half_open at 7m), forced from 7m;
	# web without one.  The level 1 from 5m, by an alert.
	for t in closed:'1x20 0x20' open:'0x20 1x8 0x12' half_open:'0x28 1x12'; do
		series "sluice_breaker_state{$j,service=\"api\",state=\"${t%%:*}\"}" "${t#*:}"
	done
	for t in closed:open:'0x20 1x20' open:half_open:'0x28 1x12' half_open:closed:0x40 half_open:open:0x40 open:closed:0x40 closed:half_open:0x40; do
		IFS=: read -r f to v <<<"$t"
		series "sluice_breaker_transitions_total{$j,service=\"api\",from=\"$f\",to=\"$to\"}" "$v"
	done
	series "sluice_breaker_forced{$j,service=\"api\"}" '0x28 1x12'
	series "sluice_breaker_open_remaining_seconds{$j,service=\"api\"}" '0x20 30-3.75x8 0x12'
	series "sluice_degrade_level{$j}" '0x20 1x20'
	for t in auto:'1x20 0x20' manual:0x40 alert:'0x20 1x20' pinned:0x40; do
		series "sluice_degrade_level_source{$j,source=\"${t%%:*}\"}" "${t#*:}"
	done
	for s in api web; do
		series "sluice_shed_requests_total{$j,service=\"$s\",reason=\"breaker\"}" '0x20 0+5x20'
		series "sluice_shed_requests_total{$j,service=\"$s\",reason=\"degrade\"}" '0x20 0+2x20'
	done
	# A rollout from 5m: step 1 at 5%, step 2 at 25% from 8m; its
	# cohorts' series exist only while it runs.
	for t in idle:'1x20 0x20' shadow:0x40 step:'0x20 1x20' promoted:0x40 rolled_back:0x40 aborted:0x40; do
		series "sluice_rollout_state{$j,state=\"${t%%:*}\"}" "${t#*:}"
	done
	series "sluice_rollout_percent{$j}" '0x20 5x12 25x8'
	series "sluice_rollout_step{$j}" '0x20 1x12 2x8'
	for o in promoted rolled_back aborted; do
		series "sluice_rollout_ended_total{$j,outcome=\"$o\"}" '0x20 1x20'
	done
	for i in tgw0 tgw1; do
		for t in web bulk; do
			for c in canary:1 control:19; do
				series "sluice_rollout_packets_total{$j,interface=\"$i\",cohort=\"${c%:*}\",tier=\"$t\",reason=\"passed\"}" "_x20 0+${c#*:}x20"
				series "sluice_rollout_packets_total{$j,interface=\"$i\",cohort=\"${c%:*}\",tier=\"$t\",reason=\"dropped\"}" "_x20 0+1x20"
			done
		done
	done
	for g in refusal:web refusal:'(all)' edge_replies:'(all)'; do
		for c in canary control; do
			series "sluice_rollout_guard_ratio{$j,guard=\"${g%%:*}\",tier=\"${g#*:}\",cohort=\"$c\"}" '_x20 0.05x20'
			series "sluice_rollout_guard_samples{$j,guard=\"${g%%:*}\",tier=\"${g#*:}\",cohort=\"$c\"}" '_x20 0+100x20'
		done
	done
	for g in refusal edge_replies; do
		series "sluice_rollout_guard_max_increase{$j,guard=\"$g\"}" '_x20 0.02x20'
	done
	series "sluice_rollout_window_remaining_seconds{$j}" '_x20 60-3x20'
}
# One service: 10 requests a step, 1 answered at the edge, 9 responses
# (8 within 50 ms, 1 a 500 slower than 1 s), a no_response; a timeout
# once.
synthetic_service() {	# LABELS
	local l=$1 c b n
	series "sluice_service_requests_total{$l}" '0+10x40'
	series "sluice_service_edge_replies_total{$l}" '0+1x40'
	for c in 1xx:0 2xx:8 3xx:0 4xx:0 5xx:1 other:0 429:0 500:1 502:0 503:0 504:0; do
		series "sluice_service_responses_total{$l,code=\"${c%:*}\"}" "0+${c#*:}x40"
	done
	for b in 0.001:0 0.005:3 0.05:8 1:8 2.5:9 30:9 +Inf:9; do
		n=${b#*:}
		series "sluice_service_response_duration_seconds_bucket{$l,le=\"${b%:*}\"}" "0+${n}x40"
	done
	series "sluice_service_response_duration_seconds_count{$l}" '0+9x40'
	series "sluice_service_response_duration_seconds_sum{$l}" '0+1.4x40'
	series "sluice_service_slow_responses_total{$l}" '0+1x40'
	series "sluice_service_failures_total{$l,kind=\"no_response\"}" '0+1x40'
	series "sluice_service_failures_total{$l,kind=\"timeout\"}" '0x20 1x20'
	series "sluice_service_pending_requests{$l}" '3x40'
	series "sluice_service_consecutive_failures{$l}" '0x20 2x20'
}
synthetic >"$tmp/series"

returns_data() {	# EXPR: 0 when it returns a series from the synthetic ones
	jq -n --arg e "absent($1)" '{groups: [{name: "data", rules: [{alert: "ReturnsNothing", expr: $e}]}]}' >"$tmp/data.rules.yml"
	{
		printf 'rule_files: [data.rules.yml]\nevaluation_interval: 15s\ntests:\n  - interval: 15s\n    input_series:\n'
		cat "$tmp/series"
		printf '    alert_rule_test:\n      - eval_time: 10m\n        alertname: ReturnsNothing\n        exp_alerts: []\n'
	} >"$tmp/data.test.yml"
	(cd "$tmp" && promtool test rules data.test.yml) >"$tmp/out" 2>&1
}

while IFS= read -r item; do
	name=$(jq -r .name <<<"$item")
	expr=$(jq -r '.expr
		| gsub("\\$\\{?__(rate_interval|interval|range)\\}?"; "1m")
		| gsub("\\$\\{?(instance|interface|tier|service)(:[a-z]+)?\\}?"; ".*")' <<<"$item")
	why=""
	[[ $expr == *'$'* ]] && why="a variable left unsubstituted: $expr"
	# Selectors: a name and its matchers.
	while IFS= read -r sel; do
		[[ -z $why && -n $sel ]] || continue
		fam=${sel%%\{*}
		if [[ ! -v FAMILY[$fam] ]]; then
			why="$fam: not a family sluiced exports"; continue
		fi
		[[ $sel == *'job="sluice"'* ]] || why="$sel: does not select job=\"sluice\""
		for l in $(grep -oE '[a-zA-Z_]+[!=]~?"' <<<"${sel#*\{}" | sed -E 's/[!=~"]+$//'); do
			[[ " job instance ${FAMILY[$fam]} " == *" $l "* ]] || why="$sel: $fam has no label $l"
		done
	done < <(grep -oE '[a-zA-Z_:][a-zA-Z0-9_:]*\{[^}]*\}' <<<"$expr")
	label=$(jq -r '.label // empty' <<<"$item")
	if [[ -z $why && -n $label ]]; then
		fam=${expr%%\{*}
		[[ " job instance ${FAMILY[$fam]:-} " == *" $label "* ]] || why="label_values: $fam has no label $label"
	fi
	if [[ -z $why ]]; then
		jq -n --arg e "$expr" '{groups: [{name: "dashboard", rules: [{record: "dashboard:expr", expr: $e}]}]}' >"$tmp/rule.yml"
		promtool check rules "$tmp/rule.yml" >"$tmp/out" 2>&1 || why="$expr: $(grep -v '^Checking\|^$' "$tmp/out" | tr '\n' ' ')"
	fi
	result "expr/$name" "$([[ -z $why ]]; echo $?)" "$why"
	[[ -z $why ]] || continue
	returns_data "$expr"
	result "data/$name" $? "$expr: nothing from synthetic series of every family"
done <"$tmp/exprs"

echo "$SUITE: $pass passed, $fail failed, 0 skipped"
((fail == 0))

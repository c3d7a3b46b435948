#!/bin/bash
# Check the Grafana dashboard: importable (a DS_PROMETHEUS input, every
# panel and query on the ${datasource} variable, the variables and rows it
# needs) and every PromQL expression in it valid.
#   tools/monitoring/check-dashboard.sh [DASHBOARD.json]
# Each expression (panel targets, annotations, variable queries) has its
# variables substituted ($instance -> .*, $__rate_interval -> 1m, ...), is
# parsed by promtool (as a recording rule: `promtool check rules` parses
# PromQL without a server), and each selector in it must name a family
# sluiced exports, with its own labels only, and select job="sluice".
# Whether the expressions return data is for the netns test against a
# live Prometheus.  Ends with "monitoring/dashboard: N passed, N failed,
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
	[process_start_time_seconds]=""
	[process_cpu_seconds_total]=""
	[process_resident_memory_bytes]=""
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
structure "variables" '[.templating.list[].name] as $v | ["datasource", "instance", "interface", "tier"] - $v == []'
structure "datasource variable" '.templating.list[] | select(.name == "datasource") | .type == "datasource" and .query == "prometheus" and .current.value == "${DS_PROMETHEUS}"'
structure "panels on \${datasource}" "[$P[] | select(.type != \"row\") | .datasource.uid, (.targets[]?.datasource.uid)] | all(. == \"\${datasource}\")"
structure "queries on \${datasource}" '[(.templating.list[] | select(.type == "query") | .datasource.uid), (.annotations.list[] | select(.expr) | .datasource.uid)] | all(. == "${datasource}")'
structure "panel ids unique" "[$P[] | .id] | length == (unique | length)"
structure "panels have a title and a description" "[$P[] | select(.type != \"row\") | (.title | length > 0) and (.description | length > 0)] | all"
structure "rows ready for later issues" '[.panels[] | select(.type == "row" and .collapsed) | .title] as $r | ["Services", "Breakers", "Degrade"] - $r == []'

# Every expression, named by where it is: "panel title/refId".
jq -c "[($P[] | .title as \$t | .targets[]? | select(.expr) | {name: (\$t + \"/\" + .refId), expr}),
	(.annotations.list[] | select(.expr) | {name: (\"annotation/\" + .name), expr}),
	(.templating.list[] | select(.type == \"query\") | {name: (\"variable/\" + .name),
		expr: (.query.query // .query | capture(\"^label_values\\\\((?<s>.*),\\\\s*(?<l>[a-zA-Z_]+)\\\\)\$\").s // .),
		label: (.query.query // .query | capture(\",\\\\s*(?<l>[a-zA-Z_]+)\\\\)\$\").l)})]
	| .[]" "$DASH" >"$tmp/exprs"
[[ -s $tmp/exprs ]] || result "expressions" 1 "no expr found in $DASH"

while IFS= read -r item; do
	name=$(jq -r .name <<<"$item")
	expr=$(jq -r '.expr
		| gsub("\\$\\{?__(rate_interval|interval|range)\\}?"; "1m")
		| gsub("\\$\\{?(instance|interface|tier)(:[a-z]+)?\\}?"; ".*")' <<<"$item")
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
done <"$tmp/exprs"

echo "$SUITE: $pass passed, $fail failed, 0 skipped"
((fail == 0))

#!/bin/bash
# Services from the config to the pins: sluiced starts with a services
# section (ids in sl_svc_names), the lab's curl requests are counted per
# service exactly (read from the pinned sl_svc_stats), a reload keeps
# the ids and counts of the services that stay and frees a removed one's,
# a bad services section is refused whole with the running config kept,
# and a restart adopts ids and counts.
. "$(dirname "$0")/lib.sh"
netns_init bpftool jq curl
lab_up

# Written in place behind a symlink: only sluicectl reload applies it.
cfg_unwatched
cfg=$CFG_LINK

svc_cfg() {	# SERVICES (YAML list items, one a line)
	cfg_header enforce
	cfg_tier normal "$ANY" "verdict: pass"
	printf 'services:\n%s\n' "$1"
}

# sl_svc_names has no BTF (sluiced makes it): decode its bytes.
pinned_svc_names() {	# "ID NAME" for every service id in use, as pinned
	bpftool -j map dump pinned "$GW_PINS/sl_svc_names" | jq -r '
		def byte: ltrimstr("0x") | explode |
			reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
		.[] | select(.value[0] != "0x00") |
		"\(.key | map(byte) | .[0] + 256 * .[1]) \(.value | map(byte) | until(.[-1] != 0; .[:-1]) | implode)"'
}

svc_id() { pinned_svc_names | awk -v n="$1" '$2 == n { print $1; f = 1 } END { exit !f }'; }

svc_requests() {	# ID: requests over every CPU
	bpftool -j map lookup pinned "$GW_PINS/sl_svc_stats" key "$1" 0 0 0 |
		jq -e '[.formatted.values[].value.requests] | add'
}

gets() {	# SRC PATH N: N requests, a new connection each; prints how many were answered
	local i ok=0
	for ((i = 0; i < $3; i++)); do
		http_req "$1" "$2" 2
		[[ $HTTP_OUTCOME == [0-9][0-9][0-9] ]] && ok=$((ok + 1))
	done
	echo "$ok"
}

test_services() {
	local web api v2 n mark out rc
	svc_cfg "  - {name: web, port: 80}
  - {name: api, port: 80, paths: [/api], priority: core, slow: 500ms}
  - {name: other, port: 8080}" >"$CFG_REAL"
	sluiced_up "$cfg" "sluiced starts with a services section"

	subtest "ids in sl_svc_names, requests counted per service"
	assert_ok "sl_svc_names pinned" test -e "$GW_PINS/sl_svc_names"
	assert_ok "sl_svc_match pinned" test -e "$GW_PINS/sl_svc_match"
	web=$(svc_id web) api=$(svc_id api)
	assert_eq "three service ids" 3 "$(pinned_svc_names | wc -l)"
	assert_eq "answered: 4 to / (v4, v6)" 4 \
		"$(($(gets 198.18.1.21 / 2) + $(gets 2001:2:0:1::21 / 2)))"
	assert_eq "answered: 3 to /api/..." 3 "$(gets 198.18.1.21 /api/users/1 3)"
	assert_eq "web: 4 requests" 4 "$(svc_requests "$web")"
	assert_eq "api: 3 requests" 3 "$(svc_requests "$api")"
	assert_eq "other: none" 0 "$(svc_requests "$(svc_id other)")"

	subtest "reload: api removed, v2 added, web kept"
	svc_cfg "  - {name: v2, port: 80, paths: [/v2]}
  - {name: web, port: 80}" >"$CFG_REAL"
	out=$(ctl -j reload 2>&1)
	assert_eq "sluicectl reload exits 0" 0 $?
	assert_has "the summary: api removed" "service api removed (id $api freed)" "$out"
	assert_eq "web keeps its id" "$web" "$(svc_id web)"
	assert_eq "web keeps its count" 4 "$(svc_requests "$web")"
	assert_fails "api's name is gone" svc_id api
	assert_eq "api's row zeroed" 0 "$(svc_requests "$api")"
	v2=$(svc_id v2)
	assert_ok "v2 has an id none held before (not $api)" test "$v2" != "$api"
	gets 198.18.1.22 /api/x 2 >/dev/null
	gets 198.18.1.22 /v2/x 1 >/dev/null
	assert_eq "web: /api is its now" 6 "$(svc_requests "$web")"
	assert_eq "v2: 1 request" 1 "$(svc_requests "$v2")"

	subtest "a bad services section is refused whole"
	mark=$(log_mark)
	svc_cfg "  - {name: v2, port: 80, paths: [/v2]}
  - {name: web, port: 80}
  - {name: www, port: 80}" >"$CFG_REAL"
	rc=0
	out=$(ctl reload 2>&1) || rc=$?
	assert_eq "sluicectl reload refuses it: exit status" 1 "$rc"
	assert_has "the error names both services" \
		"expected one default service (no address, no paths) per port, got a second on port 80 (first: services[1] 'web'" "$out"
	assert_eq "the ids are as they were" "$v2 $web" "$(svc_id v2) $(svc_id web)"
	gets 198.18.1.23 / 1 >/dev/null
	assert_eq "web still counts" 7 "$(svc_requests "$web")"

	subtest "restart: ids and counts adopted"
	svc_cfg "  - {name: v2, port: 80, paths: [/v2]}
  - {name: web, port: 80}" >"$CFG_REAL"
	daemon_term
	assert_eq "sluiced exits on SIGTERM" 0 "$DAEMON_RC"
	gets 198.18.1.24 / 1 >/dev/null
	assert_eq "counted with the daemon down" 8 "$(svc_requests "$web")"
	sluiced_up "$cfg" "sluiced restarts over its pins"
	assert_eq "web's id after the restart" "$web" "$(svc_id web)"
	assert_eq "v2's id after the restart" "$v2" "$(svc_id v2)"
	assert_eq "web's count after the restart" 8 "$(svc_requests "$web")"
	n=$(gets 198.18.1.24 /v2/a 2)
	assert_eq "answered 2 to /v2" 2 "$n"
	assert_eq "v2: 3 requests" 3 "$(svc_requests "$v2")"
}

run_tests services
finish

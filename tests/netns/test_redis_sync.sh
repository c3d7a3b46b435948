#!/bin/bash
# Global limits synced through a real redis-server (issue 12), one
# gateway: redis runs in a namespace of its own (198.18.200.1:6390, no
# persistence, its dir under this run's tmp), joined to the gateway by a
# veth; the gateway runs nginx and sluiced with a global limit of
# 30 requests/s (burst 30) on the catch-all tier; the normal client sends
# 90/s with hey for 3 s.
#
#   script    the Lua script alone: the numbers common/glob.c gives
#   synced    the limit holds (passed within what 30/s burst 30 allows
#             in the measured time, and most of it), sluicectl client
#             shows the global block, the metrics show redis up, syncs,
#             round trips, the client, fallback 0
#   outage    redis stopped: sluice_redis_up 0, errors counted, fallback
#             1, one log line saying the global limits fall back, the
#             local limit still holds, sluiced alive; redis back: synced
#             again (up 1, the client's last sync fresh)
#   share     on_down: share: redis stopped, sluiced keeps granting from
#             its local bucket (fallback 2, a valid grant)
#   two_hosts one client key through the daemon's two interfaces (two
#             hosts in Redis, gw1/IF): the sum holds to the global limit
#   auth      redis with --requirepass, sluiced with the wrong password
#             file: one log line naming AUTH and the file, errors of
#             kind auth, the local limit holds, sluiced alive
# The three-gateway accuracy test is a suite of its own (not here).
. "$(dirname "$0")/lib.sh"
netns_init hey redis-server redis-cli

REDIS_NS=$(lab_ns redis)
REDIS_ADDR=198.18.200.1
REDIS_PORT=6390
REDIS_GW_IF=trd$$
METRICS=127.0.0.1:9479
RATE=30 BURST=30
CLIENT=198.18.1.10
REDIS_PID=

lab_up
# The redis host: its own namespace, a veth to the gateway.
T_NETNS+=("$REDIS_NS")
if ! { ip netns add "$REDIS_NS" &&
       ip -n "$REDIS_NS" link set lo up &&
       ip link add "$REDIS_GW_IF" netns "$(lab_ns gw)" type veth peer name eth0 netns "$REDIS_NS" &&
       ip -n "$REDIS_NS" addr add "$REDIS_ADDR/24" dev eth0 &&
       ip -n "$REDIS_NS" link set eth0 up &&
       on gw ip addr add 198.18.200.2/24 dev "$REDIS_GW_IF" &&
       on gw ip link set "$REDIS_GW_IF" up; }; then
	t_fail "creating the redis host"
	finish
fi
mkdir -p "$T_DIR/redis"
# A second interface with a client of its own, sharing the normal
# client's key (198.18.0.0/15) as in test_multi_if.sh.
FAR_IF=tgx$$ FAR=198.19.250
far_up far "$FAR_IF" "$FAR" || { t_fail "creating the far host"; finish; }

redis_cli() { nsenter --net="/run/netns/$REDIS_NS" -- redis-cli -h "$REDIS_ADDR" -p "$REDIS_PORT" "$@"; }
redis_ready() { [[ $(redis_cli "$@" ping 2>/dev/null) == PONG ]]; }

redis_start() {	# [PASSWORD]: a fresh, empty redis-server (with requirepass)
	local auth=()
	[[ -z ${1:-} ]] || auth=(--requirepass "$1")
	nsenter --net="/run/netns/$REDIS_NS" -- redis-server \
		--bind "$REDIS_ADDR" --port "$REDIS_PORT" --save '' --appendonly no --protected-mode no \
		--dir "$T_DIR/redis" --logfile "$T_DIR/redis/redis.log" "${auth[@]}" &
	REDIS_PID=$!
	[[ -z ${1:-} ]] || auth=(-a "$1" --no-auth-warning)
	wait_for 5 redis_ready "${auth[@]}" || { t_fail "redis-server answers"; return 1; }
}

redis_stop() { proc_stop "$REDIS_PID"; REDIS_PID=; }

after_test() { redis_stop; }

glob_cfg() {	# [ON_DOWN] [REDIS EXTRA]: the global limit on the catch-all tier
	cfg_new
	# info: the retries' debug lines would repeat the outage's one line.
	cfg_set log_level info
	cfg_set metrics "{listen: \"$METRICS\"}"
	cfg_set redis "{address: \"$REDIS_ADDR:$REDIS_PORT\", sync_interval: 100ms, on_down: ${1:-local}, host_id: gw1${2:+, $2}}"
	cfg_add_tier normal "$ANY" \
		"{unit: requests, rate: $RATE/s, burst: $BURST, action: http, scope: global}"
	cfg_print
}

scrape() { on gw curl -sS --max-time 3 "http://$METRICS/metrics"; }
metric() {	# NAME{LABELS}: its value in a fresh scrape (empty: none)
	scrape | awk -v s="$1" '$1 == s { print $2; exit }'
}
metric_is() { [[ $(metric "$1") == "$2" ]]; }	# SERIES VALUE
metric_ge() { local v; v=$(metric "$1"); [[ -n $v ]] && ((${v%.*} >= $2)); }	# SERIES MIN

# hey from the normal client: 3 workers at 30/s each for N requests;
# sets PASSED, REFUSED and ELAPSED_MS.
load() {	# N
	local t0 r
	t0=$(now_ms)
	read -r PASSED r other < <(hey_counts "$1" 3 -q 30)
	ELAPSED_MS=$(elapsed_since "$t0")
	REFUSED=$((r + other))
	note "hey: $PASSED passed, $REFUSED refused in $ELAPSED_MS ms"
}

# At most what one 30/s burst 30 bucket admits in the measured time; at
# least half of that past the burst (the global grants follow the same
# bucket, a sync interval late at worst), so the limit is not closed
# either.
assert_limited() {	# WHAT
	local max min
	max=$(gcra_max "$BURST" "$RATE" "$ELAPSED_MS")
	min=$((BURST / 2 + RATE * ELAPSED_MS / 2000))
	assert_range "$1: passed within the limit ($min..$max)" "$min" "$max" "$PASSED"
	assert_ge "$1: some refused" 1 "$REFUSED"
}

client_synced() {	# the client's global block says a sync in the last second
	local ms
	ms=$(client_json "$CLIENT" | jq -er '.global.last_sync_ms') || return 1
	((ms < 1000))
}

# The Lua script as sluiced embeds it (user/daemon/glob_script.c).
script_text() {
	python3 - "$NETNS_TOP/user/daemon/glob_script.c" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
body = src[src.index("glob_script_lua[] ="):]
body = body[:body.index(";\n")]
for m in re.finditer(r'^"(.*)\\n"', body, re.M):
    print(m.group(1).encode().decode("unicode_escape"))
PY
}

# The script on its own, against the numbers tests/unit/test_glob.c
# works out by hand for common/glob.c: the two must agree.
test_script() {
	local sha k=sluice:gl:normal:198.18.1.10 w=sluice:gl:win:198.18.1.10 out
	redis_start || return
	sha=$(redis_cli script load "$(script_text)")
	assert_eq "the script loads" 40 "${#sha}"
	# ARGV: host, ttl 30 s, interval 100 ms, hosts kept 10 s; a client:
	# used 0, demand 3, 30/s, burst 30, window 1 s, token bucket.
	glob_eval() { redis_cli evalsha "$sha" 2 sluice:hosts "$1" "$2" 30000 100000 10000 "${@:3}" | paste -sd' '; }
	# Alone: burst + one interval, 33 (in thousandths), tokens 30, all of
	# it, one host; in front the hosts in sluice:hosts.
	assert_eq "one host: all of it" "1 33000 30000 1000000 1" "$(glob_eval "$k" A 0 3 30 30 1000000 0)"
	# B reports the same demand: half each (tokens still 30 and a bit).
	out=$(glob_eval "$k" B 0 3 30 30 1000000 0)
	assert_eq "two hosts: half, of two" "2 500000 2" "$(awk '{ print $1, $4, $5 }' <<<"$out")"
	assert_range "two hosts: half of 33" 16500 16600 "$(awk '{ print $2 }' <<<"$out")"
	out=$(glob_eval "$k" C 0 3 30 30 1000000 0)
	assert_eq "three hosts: a third, of three" "3 333333 3" "$(awk '{ print $1, $4, $5 }' <<<"$out")"
	assert_range "three hosts: a third of 33" 11000 11100 "$(awk '{ print $2 }' <<<"$out")"
	# A debits what it used: 30 (capped) - 20 = 10; a third of 10 + 3,
	# a little more: A's 3 more within milliseconds raise its average
	# rate to about 33/s (the EWMA weighs them by the time since).
	out=$(glob_eval "$k" A 20 3 30 30 1000000 0)
	assert_range "A used 20: tokens 10" 10000 10100 "$(awk '{ print $3 }' <<<"$out")"
	assert_range "A used 20: allowance about a third of 13" 4333 4800 "$(awk '{ print $2 }' <<<"$out")"
	# Debt: 100 more is floored at -burst.
	assert_eq "debt floored at -burst" -30000 "$(glob_eval "$k" A 100 3 30 30 1000000 0 | awk '{ print $3 }')"
	assert_range "the key expires (ms)" 29000 30000 "$(redis_cli pttl "$k")"
	assert_eq "a host's demand field" 1 "$(redis_cli hexists "$k" h:B)"
	# A sliding window (1), used 5: estimate 5, 30 - 5 left; fixed (2) alike.
	assert_eq "sliding window: 25 of 30 left" "25000 5000 1000000" \
		"$(glob_eval "$w" A 5 7 30 30 1000000 1 | awk '{ print $2, $3, $4 }')"
	assert_range "sliding window: counts add (estimate)" 12000 12000 \
		"$(glob_eval "$w" A 7 7 30 30 1000000 2 | awk '{ print $3 }')"
}

test_synced() {
	local cfg=$T_DIR/synced.yaml c
	redis_start || return
	glob_cfg >"$cfg"
	sluiced_up "$cfg"
	assert_wait "metrics: sluice_redis_up 1" 5 metric_is sluice_redis_up 1
	load 270
	assert_limited "90/s for 3 s, global 30/s"
	assert_wait "sluicectl client: synced within a second" 3 client_synced
	c=$(client_json "$CLIENT")
	assert_eq "global block: token_bucket" token_bucket "$(jq -r .global.algorithm <<<"$c")"
	assert_eq "global block: one host, all of it" "1 1" "$(jq -r '"\(.global.hosts) \(.global.share)"' <<<"$c")"
	assert_eq "global block: a valid grant" true "$(jq -r .global.grant <<<"$c")"
	assert_eq "global block: used as the data path counts it" \
		"$(jq -r .global.used <<<"$c")" "$(jq -r '.global.granted - .global.allowance' <<<"$c")"
	assert_ge "global block: demand counted every request" 270 "$(jq -r .global.demand <<<"$c")"
	assert_ok "sluicectl client (text): the global block" \
		grep -q '^share: *100.0% (1 host)' <<<"$(ctl client "$CLIENT")"
	assert_eq "status: redis up, synced" "true synced" \
		"$(status_json | jq -r '"\(.redis.up) \(.redis.fallback)"')"
	assert_eq "redis: the client's key, with an expiry" 1 \
		"$(redis_cli exists "sluice:gl:normal:$CLIENT")"
	assert_range "redis: its ttl (ms)" 1000 60000 "$(redis_cli pttl "sluice:gl:normal:$CLIENT")"
	assert_eq "redis: this host in sluice:hosts" 1 "$(redis_cli zcard sluice:hosts)"
	m=$(scrape)
	assert_ge "metrics: syncs" 10 "$(awk '$1 == "sluice_redis_syncs_total" { print $2 }' <<<"$m")"
	assert_ge "metrics: round trips" 10 "$(awk '$1 == "sluice_redis_round_trips_total" { print $2 }' <<<"$m")"
	assert_eq "metrics: one active client" 1 \
		"$(awk -v s="sluice_global_clients{interface=\"$LAB_GW_IF\"}" '$1 == s { print $2 }' <<<"$m")"
	assert_eq "metrics: fallback 0 (synced)" 0 "$(awk '$1 == "sluice_global_fallback" { print $2 }' <<<"$m")"
	assert_ok "metrics: a sync duration histogram" \
		grep -q '^sluice_redis_sync_duration_seconds_count [1-9]' <<<"$m"
	assert_none "promtool check metrics" "$(promtool check metrics <<<"$m" 2>&1)"
	# Redis lost its scripts (a restart, SCRIPT FLUSH): NOSCRIPT, loaded
	# again and sent again, no error counted.
	redis_cli script flush >/dev/null
	c=$(metric sluice_redis_syncs_total)
	load 30
	assert_wait "after SCRIPT FLUSH: syncing on" 3 metric_ge sluice_redis_syncs_total $((c + 5))
	assert_eq "after SCRIPT FLUSH: no reply error" 0 "$(metric 'sluice_redis_errors_total{kind="reply"}')"
}

test_outage() {
	local cfg=$T_DIR/outage.yaml mark errs
	redis_start || return
	glob_cfg >"$cfg"
	sluiced_up "$cfg"
	assert_wait "synced first" 5 metric_is sluice_redis_up 1
	mark=$(log_mark)
	redis_stop
	assert_wait "redis stopped: sluice_redis_up 0" 5 metric_is sluice_redis_up 0
	assert_wait "fallback 1 (local)" 2 metric_is sluice_global_fallback 1
	errs=$(scrape | awk '$1 ~ /^sluice_redis_errors_total\{kind="(connect|io|timeout)"\}$/ { n += $2 } END { print n + 0 }')
	assert_ge "errors counted (connect, io or timeout)" 1 "$errs"
	assert_wait "log: the global limits fall back" 2 log_has "$mark" \
		"redis $REDIS_ADDR:$REDIS_PORT (global limits):"
	# The grants of the last sync expire within a second: after that,
	# the local meter alone.
	sleep 1.2
	load 270
	assert_limited "redis down: the local limit"
	assert_eq "log: one line for the outage" 1 \
		"$(log_since "$mark" | grep -c 'global limits fall back')"
	assert_ok "sluiced alive" ctl status
	assert_eq "status: down, local" "false local" \
		"$(status_json | jq -r '"\(.redis.up) \(.redis.fallback)"')"
	mark=$(log_mark)
	redis_start || return
	# The backoff is 5 s at most (plus a quarter of jitter).
	assert_wait "redis back: sluice_redis_up 1" 10 metric_is sluice_redis_up 1
	assert_wait "log: connected again" 2 log_has "$mark" "connected again"
	load 90
	assert_wait "the client synced again" 3 client_synced
	assert_eq "fallback 0 again" 0 "$(metric sluice_global_fallback)"
}

test_share() {
	local cfg=$T_DIR/share.yaml
	redis_start || return
	glob_cfg share >"$cfg"
	sluiced_up "$cfg"
	assert_wait "synced first" 5 metric_is sluice_redis_up 1
	load 30
	redis_stop
	assert_wait "redis stopped: fallback 2 (share)" 5 metric_is sluice_global_fallback 2
	load 90
	assert_eq "on_down share: sluiced still grants" true \
		"$(client_json "$CLIENT" | jq -r .global.grant)"
	assert_eq "hosts last seen: 1" 1 "$(metric sluice_global_hosts)"
	assert_ok "sluiced alive" ctl status
}

test_auth() {
	local cfg=$T_DIR/auth.yaml pw=$T_DIR/redis.password mark
	redis_start right-one || return
	echo wrong-one >"$pw"
	glob_cfg local "password_file: $pw" >"$cfg"
	mark=$(log_mark)
	sluiced_up "$cfg"
	assert_wait "errors of kind auth" 5 \
		metric_ge 'sluice_redis_errors_total{kind="auth"}' 1
	assert_eq "sluice_redis_up 0" 0 "$(metric sluice_redis_up)"
	assert_ok "log: AUTH refused, naming the password file" \
		log_has_re "$mark" "redis $REDIS_ADDR:$REDIS_PORT \\(global limits\\): AUTH refused: .*check password_file $pw"
	load 270
	assert_limited "wrong password: the local limit"
	assert_eq "log: one line, not one per retry" 1 \
		"$(log_since "$mark" | grep -c 'AUTH refused')"
	assert_ok "sluiced alive" ctl status
	assert_eq "fallback 1" 1 "$(metric sluice_global_fallback)"
}

# One client key on two hosts: the daemon's two interfaces sync as
# gw1/IF each, two hosts in Redis.  Alone, each interface's meter would
# pass up to 30 + 30/s each; the global limit holds the sum to one
# bucket, give or take what the design allows: per host one sync
# interval of demand before the first grant (9), one interval granted
# ahead (3) and a unit of rounding.
test_two_hosts() {
	local cfg=$T_DIR/two.yaml t0 a b max c
	redis_start || return
	glob_cfg | sed "s|^interfaces: .*|interfaces: [$LAB_GW_IF, $FAR_IF]|;
		s|^    match: \[.*|&\n    key: {v4_prefix: 15}|" >"$cfg"
	sluiced_up "$cfg"
	assert_wait "synced" 5 metric_is sluice_redis_up 1
	t0=$(now_ms)
	on far hey -n 270 -c 3 -q 30 -t 5 "http://$LAB_GW4/" >"$T_DIR/hey.far" 2>&1 &
	read -r a _ < <(hey_counts 270 3 -q 30)
	wait $!
	ELAPSED_MS=$(elapsed_since "$t0")
	b=$(awk '$1 == "[200]" { print $2 }' "$T_DIR/hey.far")
	PASSED=$((a + ${b:-0}))
	note "normal $a, far ${b:-0} passed in $ELAPSED_MS ms"
	max=$(($(gcra_max "$BURST" "$RATE" "$ELAPSED_MS") + 2 * (9 + 3 + 1)))
	assert_range "two hosts, 90/s each: the sum within one global limit" \
		$((RATE * ELAPSED_MS / 2000)) "$max" "$PASSED"
	assert_eq "redis: two hosts" 2 "$(redis_cli zcard sluice:hosts)"
	assert_eq "hosts are gw1/IF" "$(printf 'gw1/%s\n' "$FAR_IF" "$LAB_GW_IF" | sort | paste -sd' ')" \
		"$(redis_cli zrange sluice:hosts 0 -1 | sort | paste -sd' ')"
	c=$(client_json 198.18.1.10)
	assert_eq "the client's global block: two hosts" 2 "$(jq -r .global.hosts <<<"$c")"
	assert_range "this host's share: about half (%)" 20 80 "$(jq -r '.global.share * 100 | floor' <<<"$c")"
}

run_tests script synced outage share auth two_hosts
finish

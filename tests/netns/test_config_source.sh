#!/usr/bin/env bash
# The central config (issue 12): one namespace runs a redis-server of
# this test's own (its own port and dir, no persistence), three gateway
# namespaces each run sluiced with `config_source:` pointing at it (own
# interface, socket, cache and host_id).  Checked, in order, on the same
# three daemons and one Redis:
#   - with neither Redis nor a cache they start from their own file;
#   - a `config push` through one reaches all three within 1 s (measured
#     from the push to the last gateway seen running it), and each caches
#     it (0600);
#   - a broken push is refused by sluicectl with FILE:LINE:COL and
#     publishes nothing; the same text written straight into Redis and
#     published is refused by every gateway with redis:KEY:LINE:COL in
#     its log, the running hash stays, the invalid counter shows it;
#   - config status: all three same; one paused through a push: it
#     differs; resumed: it catches up;
#   - Redis down at start: the gateways start from the cache and say so;
#     Redis back (empty, then given a new version): they switch to it;
#   - a rollout on one gateway, promoted by hand: the candidate is
#     published through the key like a push, and every gateway runs it.
# No traffic: sluiced's interfaces are idle bridges; nginx is not needed.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
netns_init redis-server redis-cli

RNS=$LAB_PREFIX-redis
RADDR=198.18.210.1
RPORT=6390
KEY=sluice:config
GWS=(1 2 3)
declare -A GPID=()
REDIS_PID=

gw_dir() { echo "$T_DIR/g$1"; }
gw_if() { echo "csg$1$$"; }
gw_ns() { echo "$LAB_PREFIX-g$1"; }
gctl() { local i=$1; shift; timeout 10 "$SLUICECTL" -s "$(gw_dir "$i")/sluiced.sock" "$@"; }
rcli() { nsenter --net="/run/netns/$RNS" -- redis-cli -h "$RADDR" -p "$RPORT" "$@"; }
glog() { cat "$(gw_dir "$1")/sluiced.log"; }

# ---- the namespaces: Redis on a bridge, three gateways on it --------------

net_up() {
	local i ns
	T_NETNS+=("$RNS")
	ip netns add "$RNS" && ip -n "$RNS" link set lo up &&
	ip -n "$RNS" link add br0 type bridge stp_state 0 forward_delay 0 &&
	ip -n "$RNS" addr add "$RADDR/24" dev br0 &&
	ip -n "$RNS" link set br0 up || return 1
	for i in "${GWS[@]}"; do
		ns=$(gw_ns "$i")
		T_NETNS+=("$ns")
		mkdir -p "$(gw_dir "$i")"
		ip netns add "$ns" && ip -n "$ns" link set lo up &&
		ip link add "rv$i" netns "$RNS" type veth peer name eth0 netns "$ns" &&
		ip -n "$RNS" link set "rv$i" master br0 &&
		ip -n "$RNS" link set "rv$i" up &&
		ip -n "$ns" addr add "198.18.210.1$i/24" dev eth0 &&
		ip -n "$ns" link set eth0 up || return 1
		# sluiced's interface: a bridge without ports (no traffic).
		ip -n "$ns" link add "$(gw_if "$i")" type bridge &&
		ip -n "$ns" link set "$(gw_if "$i")" up || return 1
	done
}

redis_up() {
	mkdir -p "$T_DIR/redis"
	nsenter --net="/run/netns/$RNS" -- redis-server --port "$RPORT" \
		--bind "$RADDR" --save '' --appendonly no --dir "$T_DIR/redis" \
		--protected-mode no >>"$T_DIR/redis.log" 2>&1 &
	REDIS_PID=$!
	wait_for 5 rcli PING
}

redis_down() { proc_stop "$REDIS_PID"; REDIS_PID=; }

# ---- the gateways -----------------------------------------------------------

boot_cfg() {	# I: the bootstrap file: where the config comes from
	cat <<EOF
interfaces: [{name: $(gw_if "$1"), attach: generic}]
control_socket: $(gw_dir "$1")/sluiced.sock
metrics: {listen: 127.0.0.1:9464}
client_table_size: 4096
log_level: debug
config_source:
  redis: {address: $RADDR:$RPORT, host_id: gw$1, timeout: 200ms, sync_interval: 1s}
  key: $KEY
  cache: $(gw_dir "$1")/cache/config.yaml
  check_interval: 2s
tiers:
  - {name: boot, match: [$ANY], verdict: pass}
EOF
}

central_cfg() {	# RATE: a central version (its interfaces are ignored)
	cat <<EOF
interfaces: [gw0]
client_table_size: 4096
tiers:
  - name: central
    match: [$ANY]
    limits:
      - {unit: requests, rate: $1/s, burst: 50, action: http}
EOF
}

gw_pid_gone() { ! kill -0 "${GPID[$1]}" 2>/dev/null; }
gw_answers() { gctl "$1" status >/dev/null 2>&1 || gw_pid_gone "$1"; }

gw_start() {	# I
	local d
	d=$(gw_dir "$1")
	boot_cfg "$1" >"$d/boot.yaml"
	nsenter --net="/run/netns/$(gw_ns "$1")" -- "$SLUICED" -c "$d/boot.yaml" \
		--state-dir "$d/state" >>"$d/sluiced.log" 2>&1 &
	GPID[$1]=$!
	wait_for 15 gw_answers "$1"
	gctl "$1" status >/dev/null 2>&1
}

gw_stop() {	# I: detach (pins go), SIGKILL after 5 s
	local i=$1
	[[ -n ${GPID[$i]:-} ]] || return 0
	kill -CONT "${GPID[$i]}" 2>/dev/null
	gctl "$i" detach >/dev/null 2>&1
	wait_for 5 gw_pid_gone "$i" || { t_fail "gw$i: sluiced still running after detach: killed"; kill -9 "${GPID[$i]}"; }
	wait "${GPID[$i]}" 2>/dev/null
	GPID[$i]=
}

gws_stop() {
	local i
	for i in "${GWS[@]}"; do gw_stop "$i"; done
	for i in "${GWS[@]}"; do rm -rf "${PIN_ROOT:?}/$(gw_if "$i")"; done
}

T_UNDO+=("gws_stop" "redis_down")

gw_hash() { gctl "$1" -j status | jq -r '.config.hash'; }	# I
gw_source() { gctl "$1" -j status | jq -r '.config.source'; }	# I
gw_runs() { [[ $(gw_hash "$1") == "$2" ]]; }	# I HASH
gw_subscribed() { [[ $(gctl "$1" -j config status | jq -r '.redis.subscribed') == true ]]; }
all_run() {	# HASH
	local i
	for i in "${GWS[@]}"; do gw_runs "$i" "$1" || return 1; done
}
metric() {	# I NAME{LABELS}: its value on gw I
	nsenter --net="/run/netns/$(gw_ns "$1")" -- curl -s -m 2 http://127.0.0.1:9464/metrics |
		awk -v m="$2" '$1 == m { print $2 }'
}

# ---- the checks ---------------------------------------------------------------

net_up || { t_fail "the namespaces could not be set up"; finish; }

subtest "neither Redis nor a cache: each gateway starts from its own file"
for i in "${GWS[@]}"; do
	if gw_start "$i"; then t_pass "gw$i: sluiced starts"
	else t_fail "gw$i: sluiced does not answer (log: $(glog "$i" | tail -3 | tr '\n' ' '))"; finish; fi
	assert_eq "gw$i: running config from" file "$(gw_source "$i")"
	assert_has "gw$i: log says why" "starting from the config file" "$(glog "$i")"
done

subtest "Redis comes up: every gateway subscribes"
if redis_up; then t_pass "redis-server answers on $RADDR:$RPORT"
else t_fail "redis-server did not start: $(tail -3 "$T_DIR/redis.log")"; finish; fi
for i in "${GWS[@]}"; do
	assert_wait "gw$i: subscribed to $KEY:changed" 15 gw_subscribed "$i"
done

subtest "a pushed config reaches all three within 1 s"
central_cfg 100 >"$T_DIR/v1.yaml"
V1=$(cfg_hash "$T_DIR/v1.yaml")
t0=$(now_ms)
assert_exit "config push v1 through gw1" 0 gctl 1 config push "$T_DIR/v1.yaml"
assert_has "push: says what it published" "published $KEY: hash $V1" "$T_OUT"
declare -A seen=()
while ((${#seen[@]} < 3)) && (($(now_ms) - t0 < 5000)); do
	for i in "${GWS[@]}"; do
		[[ -z ${seen[$i]:-} ]] && gw_runs "$i" "$V1" && seen[$i]=$(elapsed_since "$t0")
	done
done
for i in "${GWS[@]}"; do
	assert_le "gw$i: runs v1, ms after the push started" 1000 "${seen[$i]:-never}"
	assert_eq "gw$i: source" redis "$(gw_source "$i")"
	c=$(gw_dir "$i")/cache/config.yaml
	assert_ok "gw$i: the cache holds v1" cmp -s "$c" "$T_DIR/v1.yaml"
	assert_eq "gw$i: the cache's mode" 600 "$(stat -c %a "$c" 2>/dev/null)"
done
assert_eq "gw2: loads counted" 1 "$(metric 2 sluice_config_source_loads_total)"
assert_eq "gw2: up" 1 "$(metric 2 sluice_config_source_up)"
assert_eq "gw3: info" 1 "$(metric 3 "sluice_config_source_info{source=\"redis\",hash=\"$V1\"}")"

subtest "a broken config: refused by config push, and by every gateway"
central_cfg 100 | sed 's/rate: 100\/s/rate: fast/' >"$T_DIR/broken.yaml"
at=$(yaml_at "$T_DIR/broken.yaml" fast)
assert_exit "config push of a broken file" 1 gctl 1 config push "$T_DIR/broken.yaml"
assert_has "push: FILE:LINE:COL" "$T_DIR/broken.yaml:$at:" "$T_OUT"
assert_eq "nothing published: Redis still holds v1" "$V1" \
	"$(rcli --raw GET "$KEY" | head -c -1 | cmp -s - "$T_DIR/v1.yaml" && echo "$V1")"
rcli -x SET "$KEY" <"$T_DIR/broken.yaml" >/dev/null
rcli PUBLISH "$KEY:changed" by-hand >/dev/null
for i in "${GWS[@]}"; do
	assert_wait "gw$i: refused with redis:$KEY:$at" 5 grep -qF "redis:$KEY:$at: tiers[0].limits[0].rate" "$(gw_dir "$i")/sluiced.log"
	assert_eq "gw$i: still runs v1" "$V1" "$(gw_hash "$i")"
done
assert_eq "gw1: the invalid version counted" 1 "$(metric 1 'sluice_config_source_errors_total{kind="invalid"}')"
status=$(gctl 1 config status)
assert_has "config status: the refused version shown" "refused" "$status"

subtest "config status: all same, then one differs, then it catches up"
assert_exit "config push v1 again" 0 gctl 1 config push "$T_DIR/v1.yaml"
assert_wait "every host reports v1" 10 eval "gctl 1 -j config status | jq -e '.summary.all_same and .summary.hosts == 3'"
assert_exit "config status" 0 gctl 2 config status
assert_has "config status: summary" "3 hosts, all same (hash $V1)" "$T_OUT"
for i in "${GWS[@]}"; do
	assert_has "config status: gw$i's row" "$(printf 'gw%s   redis   %s' "$i" "$V1")" "$T_OUT"
done
kill -STOP "${GPID[3]}"
central_cfg 200 >"$T_DIR/v2.yaml"
V2=$(cfg_hash "$T_DIR/v2.yaml")
assert_exit "config push v2 while gw3 is paused" 0 gctl 1 config push "$T_DIR/v2.yaml"
assert_wait "gw1 and gw2 run v2" 5 eval "gw_runs 1 $V2 && gw_runs 2 $V2"
assert_wait "config status: gw1 and gw2 reported v2" 10 eval "gctl 1 -j config status | jq -e '.summary.same == 2'"
assert_exit "config status with gw3 behind" 0 gctl 1 config status
assert_has "config status: gw3 differs" "3 hosts: 2 same, 1 differs (gw3)" "$T_OUT"
assert_has "config status: gw3's row" "gw3   redis   $V1" "$T_OUT"
kill -CONT "${GPID[3]}"
assert_wait "gw3 resumed: runs v2 (the message waited for it)" 5 gw_runs 3 "$V2"
assert_wait "config status: all same again" 10 eval "gctl 1 -j config status | jq -e '.summary.all_same'"

subtest "Redis down at start: the gateways start from the cache"
gws_stop
redis_down
for i in "${GWS[@]}"; do
	mark=$(wc -l <"$(gw_dir "$i")/sluiced.log")
	gw_start "$i" || { t_fail "gw$i: does not start without Redis"; continue; }
	assert_eq "gw$i: runs the cached v2" "$V2" "$(gw_hash "$i")"
	assert_eq "gw$i: source" cache "$(gw_source "$i")"
	assert_has "gw$i: says so" "starting from the config cache $(gw_dir "$i")/cache/config.yaml (hash $V2)" \
		"$(tail -n +"$((mark + 1))" "$(gw_dir "$i")/sluiced.log")"
done
assert_exit "config status without Redis: exit 1" 1 gctl 1 config status
assert_has "config status: says why" "this host runs hash $V2 from cache" "$T_OUT"
assert_eq "gw1: down" 0 "$(metric 1 sluice_config_source_up)"

subtest "Redis back: they switch to its version"
redis_up || t_fail "redis-server did not restart"
central_cfg 300 >"$T_DIR/v3.yaml"
V3=$(cfg_hash "$T_DIR/v3.yaml")
rcli -x SET "$KEY" <"$T_DIR/v3.yaml" >/dev/null
for i in "${GWS[@]}"; do
	# A SET without PUBLISH: seen when the subscription is back (its
	# backoff is at most 5 s + 25%) or at the next check (2 s here).
	assert_wait "gw$i: runs v3 from Redis" 10 gw_runs "$i" "$V3"
	assert_eq "gw$i: source" redis "$(gw_source "$i")"
done
assert_wait "config status: all three on v3" 10 eval "gctl 3 -j config status | jq -e '.summary.all_same and .summary.hosts == 3'"

subtest "a reload re-reads the bootstrap: the central config stays"
assert_exit "sluicectl reload on gw2" 0 gctl 2 reload
assert_eq "gw2: still v3" "$V3" "$(gw_hash 2)"
assert_eq "gw2: still from" redis "$(gw_source 2)"

subtest "a rollout through gw1, promoted: published like a push, every gateway runs it"
central_cfg 77 >"$T_DIR/v4.yaml"
V4=$(cfg_hash "$T_DIR/v4.yaml")
out=$(gctl 1 -j rollout start "$T_DIR/v4.yaml" --every 1m)
assert_eq "gw1: rollout at step 1" "step 1" "$(jq -r '(.data // .) | "\(.state) \(.step)"' <<<"$out")"
assert_eq "gw1: still runs v3 (the candidate is its canary)" "$V3" "$(gw_hash 1)"
assert_eq "gw2: no rollout of its own" idle "$(gctl 2 -j rollout | jq -r '(.data // .).state')"
out=$(gctl 1 -j rollout promote)
assert_eq "gw1: promoted by sluicectl" "promoted sluicectl" "$(jq -r '(.data // .) | "\(.state) \(.by)"' <<<"$out")"
assert_eq "Redis holds the candidate's bytes" same \
	"$([[ $(rcli GET "$KEY") == "$(cat "$T_DIR/v4.yaml")" ]] && echo same || echo differs)"
for i in "${GWS[@]}"; do
	assert_wait "gw$i: runs the promoted candidate" 5 gw_runs "$i" "$V4"
done
assert_eq "gw1: its source" redis "$(gw_source 1)"

subtest "teardown of the gateways"
gws_stop
for i in "${GWS[@]}"; do
	assert_eq "gw$i: no pins left" "" "$(ls -d "$PIN_ROOT/$(gw_if "$i")" 2>/dev/null)"
done
redis_down
finish

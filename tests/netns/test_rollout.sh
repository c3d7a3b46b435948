#!/bin/bash
# Rollouts (issue 13) with real traffic: forty clients, twenty addresses
# in each of two source ranges (198.18.1.10-29 of the normal host,
# 198.18.2.10-29 of the abuser host), request the gateway's nginx in a
# loop while sluiced rolls a candidate config out to a share of them.
#   - cli: the state without a rollout, promote/abort with none, an
#     invalid candidate (FILE:LINE:COL), the running config, two at
#     once, the sections applied at promotion only;
#   - promote: a candidate raising the normal tier's limit goes through
#     every step (25, 50, 100% every 2 s) and ends as the running config,
#     the config file rewritten with its bytes;
#   - mistake: a candidate refusing almost everyone is rolled back by its
#     guard within its first step's window, and the control clients got
#     every answer throughout;
#   - shadow: the mistake caught in a shadow phase (counted, never
#     enforced: nobody refused), and a good candidate past its shadow;
#   - blocked: a prefix moved to a drop tier blocks only its canary
#     clients, until `rollout abort`; then, with the guards on, it is
#     rolled back by itself;
#   - by_hand: `rollout promote` during the first step;
#   - reload: the running config reloaded during a rollout (the control
#     policy changes, the canary stays);
#   - restart: sluiced stopped during a rollout (the canary keeps
#     enforcing) and started again: the rollout resumes where it was.
# The windows are short (2-5 s) and every wait is measured against the
# daemon's own elapsed time, never a wall-clock bound of ours.
. "$(dirname "$0")/lib.sh"
netns_init
lab_up

CFG=$T_DIR/sluice.yaml
STATE=$T_DIR/state
declare -A NET_OF=([normal]=198.18.1 [abuser]=198.18.2)
ADDRS=()
for h in normal abuser; do
	for i in $(seq 10 29); do ADDRS+=("${NET_OF[$h]}.$i"); done
done

NORMAL_LIMIT="{unit: requests, rate: 100/s, burst: 200, action: http}"

base_cfg() {	# [NORMAL_LIMIT] [EXTRA TIER ARGS...]: the running config
	cfg_new
	cfg_add_tier normal "$ANY" "${1:-$NORMAL_LIMIT}"
	cfg_add_tier vip 198.18.10.0/24 "$REQ_10_20"
	if (($# > 1)); then shift; cfg_add_tier "$@"; fi
	cfg_print
}

start_sluiced() {
	base_cfg >"$CFG"
	mkdir -p "$STATE"
	if daemon_start "$CFG" --state-dir "$STATE"; then
		t_pass "sluiced starts with --state-dir"
	else
		t_fail "sluiced starts with --state-dir"
		finish
	fi
}

roll() { ctl -j rollout "$@" | jq -c '.data // .'; }	# [ACTION ARGS]
roll_state() { roll | jq -r .state; }
state_is() { [[ $(roll_state) == "$1" ]]; }	# STATE

# ---- traffic -----------------------------------------------------------------

# Every address in turn, forever, one request each (MAXTIME s at most),
# in both client namespaces at once; each answer is a line
# "MS ADDR CODE" (000: no answer) in TRAFFIC_LOG.
traffic_start() {	# MAXTIME
	local h
	TRAFFIC_LOG=$T_DIR/traffic.$RANDOM.log
	: >"$TRAFFIC_LOG"
	TRAFFIC_PIDS=()
	for h in normal abuser; do
		on "$h" bash -c '
			while :; do
				for i in $(seq 10 29); do
					c=$(curl -s -o /dev/null -w "%{http_code}" --max-time '"$1"' \
						--interface '"${NET_OF[$h]}"'.$i http://'"$LAB_GW4"'/)
					echo "$(date +%s%3N) '"${NET_OF[$h]}"'.$i $c"
				done
			done' >>"$TRAFFIC_LOG" 2>/dev/null &
		TRAFFIC_PIDS+=($!)
	done
}

traffic_stop() {
	local p
	for p in "${TRAFFIC_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	TRAFFIC_PIDS=()
}
TRAFFIC_PIDS=()
after_test() { traffic_stop; }

# Answers other than 200 to ADDRS (a regex) between two times.
not_200() {	# FROM_MS TO_MS ADDR_REGEX
	awk -v a="$1" -v b="$2" -v re="^($3)\$" \
		'$1 >= a && $1 <= b && $2 ~ re && $3 != "200"' "$TRAFFIC_LOG" | wc -l
}
answers() {	# FROM_MS TO_MS ADDR_REGEX
	awk -v a="$1" -v b="$2" -v re="^($3)\$" '$1 >= a && $1 <= b && $2 ~ re' \
		"$TRAFFIC_LOG" | wc -l
}

# CANARY and CONTROL: the addresses on each policy (sluicectl client:
# now, or when the last rollout ended).
cohorts() {
	local a c
	CANARY=() CONTROL=()
	for a in "${ADDRS[@]}"; do
		c=$(ctl -j client "$a" | jq -r '(.data // .).rollout.cohort // "none"')
		case $c in
		canary) CANARY+=("$a") ;;
		control) CONTROL+=("$a") ;;
		*) t_fail "client $a: no cohort during a rollout ($c)"; return 1 ;;
		esac
	done
}
re_of() { local IFS='|'; echo "${*//./\\.}"; }	# ADDR...: a regex
in_net() { local a; for a in "${@:2}"; do [[ $a == "$1".* ]] && echo "$a"; done; }	# NET ADDR...

probe() {	# ADDR: one request's answer (000: none within 0.5 s)
	on "$(host_of "$1")" curl -s -o /dev/null -w '%{http_code}' --max-time 0.5 \
		--interface "$1" "http://$LAB_GW4/"
}
probe_all() {	# WANT ADDR...: how many did not answer WANT
	local want=$1 a n=0
	shift
	for a in "$@"; do [[ $(probe "$a") == "$want" ]] || n=$((n + 1)); done
	echo "$n"
}

# ---- tests -------------------------------------------------------------------

test_cli() {
	local out cand=$T_DIR/cand.yaml bad=$T_DIR/bad.yaml
	start_sluiced
	subtest "no rollout"
	assert_eq "state idle" idle "$(roll_state)"
	assert_exit "rollout promote with none: exit 1" 1 ctl rollout promote
	assert_has "says none runs" "no rollout runs" "$T_OUT"
	assert_exit "rollout abort with none: exit 1" 1 ctl rollout abort
	assert_exit "rollout bogus: usage, exit 2" 2 ctl rollout bogus
	assert_exit "--every without start: exit 2" 2 ctl rollout --every 2s
	assert_exit "--steps 50,25: exit 2" 2 ctl rollout start "$CFG" --steps 50,25

	subtest "candidates refused"
	base_cfg "{unit: requests, rate: fast, burst: 1}" >"$bad"
	assert_exit "an invalid candidate: exit 1" 1 ctl rollout start "$bad"
	assert_has "its error names FILE:LINE:COL" "$bad:$(yaml_at "$bad" fast):" "$T_OUT"
	assert_exit "the running config: exit 1" 1 ctl rollout start "$CFG"
	assert_has "says so" "is the running config" "$T_OUT"
	assert_eq "still idle" idle "$(roll_state)"

	subtest "start, one at a time, what waits for promotion"
	{ base_cfg "{unit: requests, rate: 200/s, burst: 400, action: http}"; echo "edge_connections: {ports: [80]}"; } >"$cand"
	out=$(roll start "$cand" --steps 10,50,100 --every 1m --max-refusal-increase 0.05)
	assert_eq "started: step 1" "step 1" "$(jq -r '"\(.state) \(.step)"' <<<"$out")"
	assert_eq "at 10%" 10 "$(jq -r .percent <<<"$out")"
	assert_eq "its steps" "10,50,100" "$(jq -r '.params.steps | join(",")' <<<"$out")"
	assert_eq "its max refusal increase" 0.05 "$(jq -r .params.max_refusal_increase <<<"$out")"
	assert_eq "edge_connections applied at promotion only" edge_connections \
		"$(jq -r '.applied_at_promotion | join(",")' <<<"$out")"
	assert_eq "its hash is the file's" "$(cfg_hash "$cand")" "$(jq -r .hash <<<"$out")"
	assert_ok "state persisted" test -s "$STATE/rollout.json" -a -s "$STATE/rollout.yaml"
	assert_ok "the candidate's bytes persisted" cmp -s "$cand" "$STATE/rollout.yaml"
	assert_exit "a second start: exit 1" 1 ctl rollout start "$cand"
	assert_has "says one runs" "runs already" "$T_OUT"
	assert_has "human status: the step" "step 1 of 3 at 10%" "$(ctl rollout)"
	assert_has "human status: the next decision" "step 2 at 50% in" "$(ctl rollout)"
	out=$(roll abort)
	assert_eq "aborted by sluicectl" "aborted sluicectl" "$(jq -r '"\(.state) \(.by)"' <<<"$out")"
	assert_ok "state files gone" test ! -e "$STATE/rollout.json" -a ! -e "$STATE/rollout.yaml"
	assert_eq "the running config unchanged" "$(cfg_hash "$CFG")" "$(running_hash)"
}

test_promote() {
	local cand=$T_DIR/cand.yaml t0 el seen="" p last="" out first=
	start_sluiced
	base_cfg "{unit: requests, rate: 200/s, burst: 400, action: http}" >"$cand"
	traffic_start 0.5
	t0=$(now_ms)
	out=$(roll start "$cand" --steps 25,50,100 --every 2s --min-packets 20)
	assert_eq "started at 25%" 25 "$(jq -r .percent <<<"$out")"
	# Poll the share as it grows, until the end (the daemon's clock
	# decides; our deadline only guards against a hang).
	while :; do
		out=$(roll)
		p=$(jq -r '"\(.state):\(.percent)"' <<<"$out")
		[[ $p == step:25 ]] && first=$out
		[[ $p != "$last" ]] && seen+="$p " && last=$p
		[[ $(jq -r .running <<<"$out") == true ]] || break
		(($(now_ms) - t0 < 60000)) || break
		sleep 0.2
	done
	el=$(elapsed_since "$t0")
	traffic_stop
	subtest "through every step to promoted"
	assert_eq "the states seen" "step:25 step:50 step:100 promoted:0 " "$seen"
	assert_eq "promoted by the guards" "promoted guard" "$(jq -r '"\(.state) \(.by)"' <<<"$out")"
	assert_eq "why" "every step passed (3, last 100%)" "$(jq -r .reason <<<"$out")"
	assert_ge "three windows of 2 s at least (ms)" 6000 "$el"
	assert_ge "the daemon's elapsed: three windows" 6 "$(jq -r '.elapsed_s | floor' <<<"$out")"
	subtest "the candidate is the running config"
	assert_eq "running hash = the candidate's" "$(cfg_hash "$cand")" "$(running_hash)"
	assert_ok "the config file holds the candidate's bytes" cmp -s "$cand" "$CFG"
	assert_eq "normal's burst is the candidate's" 400 \
		"$(tiers_json | jq -r '.tiers[] | select(.name == "normal") | .limits[0].burst')"
	assert_ok "state files gone" test ! -e "$STATE/rollout.json"
	assert_eq "no client refused throughout" 0 "$(not_200 "$t0" "$(now_ms)" "$(re_of "${ADDRS[@]}")")"
	assert_ge "the canary cohort had packets at 25% (the guards judged)" 20 \
		"$(jq -r '.guards[0].canary.packets' <<<"$first")"
	assert_ge "answers during the rollout" 40 "$(answers "$t0" "$(now_ms)" "$(re_of "${ADDRS[@]}")")"
	assert_eq "the last outcome stays shown" promoted "$(roll_state)"
}

test_mistake() {
	local cand=$T_DIR/mistake.yaml t0 t1 out every=5
	start_sluiced
	base_cfg "{unit: packets, rate: 1/h, burst: 1, action: drop}" >"$cand"
	traffic_start 0.2
	t0=$(now_ms)
	out=$(roll start "$cand" --percent 25 --every ${every}s --min-packets 10)
	assert_eq "started at 25%" 25 "$(jq -r .percent <<<"$out")"
	assert_wait "rolled back by itself" 30 state_is rolled_back
	t1=$(now_ms)
	sleep 1	# answers after the rollback, to both cohorts
	traffic_stop
	cohorts	# where each client was when it ended
	assert_ge "canary clients" 1 "${#CANARY[@]}"
	assert_ge "control clients" 1 "${#CONTROL[@]}"
	out=$(roll)
	subtest "rolled back by its guard, within the first window"
	assert_eq "by the guard" guard "$(jq -r .by <<<"$out")"
	assert_has "why: a refusal guard of step 1" "step 1 (25%): " "$(jq -r .reason <<<"$out")"
	assert_has "why: the refusal guard" " refusal: canary " "$(jq -r .reason <<<"$out")"
	assert_eq "within its window of ${every} s: the daemon's elapsed" true "$(jq --argjson w "$every" '.elapsed_s <= $w' <<<"$out")"
	note "rolled back after $(jq -r .elapsed_s <<<"$out") s: $(jq -r .reason <<<"$out")"
	subtest "the clients"
	assert_eq "control clients: every answer 200 throughout" 0 \
		"$(not_200 "$t0" "$(now_ms)" "$(re_of "${CONTROL[@]}")")"
	assert_ge "control clients were answered during it" 1 "$(answers "$t0" "$t1" "$(re_of "${CONTROL[@]}")")"
	assert_ge "canary clients were refused before the rollback" 1 \
		"$(not_200 "$t0" "$t1" "$(re_of "${CANARY[@]}")")"
	assert_eq "canary clients answered 200 again" 0 "$(probe_all 200 "${CANARY[@]}")"
	assert_eq "the running config unchanged" "$(cfg_hash "$CFG")" "$(running_hash)"
}

test_shadow() {
	local cand=$T_DIR/mistake.yaml good=$T_DIR/cand.yaml t0 out
	start_sluiced
	subtest "a mistake caught in the shadow phase: nobody was refused"
	base_cfg "{unit: packets, rate: 1/h, burst: 1, action: drop}" >"$cand"
	traffic_start 0.5
	t0=$(now_ms)
	out=$(roll start "$cand" --shadow-first 5s --every 5s --min-packets 10)
	assert_eq "started in shadow, nobody enforced" "shadow 0" "$(jq -r '"\(.state) \(.percent)"' <<<"$out")"
	assert_eq "sluicectl client: on the running policy" control \
		"$(ctl -j client 198.18.1.10 | jq -r '(.data // .).rollout.cohort')"
	assert_wait "rolled back by itself" 30 state_is rolled_back
	traffic_stop
	out=$(roll)
	assert_has "why: the shadow phase's refusal guard" "shadow: all tiers refusal: canary " "$(jq -r .reason <<<"$out")"
	note "$(jq -r .reason <<<"$out")"
	assert_eq "no client refused at all" 0 "$(not_200 "$t0" "$(now_ms)" "$(re_of "${ADDRS[@]}")")"
	subtest "a good candidate: shadow, then step 1"
	base_cfg "{unit: requests, rate: 200/s, burst: 400, action: http}" >"$good"
	traffic_start 0.5
	roll start "$good" --shadow-first 2s --every 1m --min-packets 10 >/dev/null
	assert_eq "shadow first" shadow "$(roll_state)"
	assert_wait "then step 1" 20 state_is step
	assert_eq "at 5%" 5 "$(roll | jq -r .percent)"
	traffic_stop
	roll abort >/dev/null
}

test_blocked() {
	local cand=$T_DIR/blocked.yaml out cb kb
	start_sluiced
	base_cfg "" blocked 198.18.2.0/24 "verdict: drop" >"$cand"
	out=$(roll start "$cand" --percent 50 --every 1m --max-refusal-increase 1)
	assert_eq "started at 50%" 50 "$(jq -r .percent <<<"$out")"
	cohorts
	mapfile -t cb < <(in_net 198.18.2 "${CANARY[@]}")
	mapfile -t kb < <(in_net 198.18.2 "${CONTROL[@]}")
	assert_ge "canary clients in 198.18.2.0/24" 1 "${#cb[@]}"
	assert_ge "control clients in 198.18.2.0/24" 1 "${#kb[@]}"
	subtest "the blocked prefix blocks its canary clients only"
	assert_eq "canary in 198.18.2.0/24: no answer" 0 "$(probe_all 000 "${cb[@]}")"
	assert_eq "control in 198.18.2.0/24: 200" 0 "$(probe_all 200 "${kb[@]}")"
	assert_eq "198.18.1.0/24, both cohorts: 200" 0 "$(probe_all 200 $(in_net 198.18.1 "${ADDRS[@]}"))"
	assert_eq "sluicectl client: a canary's cohort" canary \
		"$(ctl -j client "${cb[0]}" | jq -r '(.data // .).rollout.cohort')"
	subtest "abort by hand"
	out=$(roll abort)
	assert_eq "aborted by sluicectl" "aborted sluicectl" "$(jq -r '"\(.state) \(.by)"' <<<"$out")"
	assert_eq "every client answered 200 again" 0 "$(probe_all 200 "${ADDRS[@]}")"
	assert_eq "sluicectl client: its cohort in the aborted rollout" "canary false" \
		"$(ctl -j client "${cb[0]}" | jq -r '(.data // .).rollout | "\(.cohort) \(.running)"')"

	subtest "with the guards on, rolled back by itself"
	traffic_start 0.2
	out=$(roll start "$cand" --percent 50 --every 5s --min-packets 10)
	assert_wait "rolled back" 30 state_is rolled_back
	traffic_stop
	out=$(roll)
	assert_has "why: refusal" " refusal: canary " "$(jq -r .reason <<<"$out")"
	assert_eq "within its first window of 5 s: the daemon's elapsed" true "$(jq '.elapsed_s <= 5' <<<"$out")"
	assert_eq "every client answered 200 again" 0 "$(probe_all 200 "${ADDRS[@]}")"
}

test_by_hand() {
	local cand=$T_DIR/cand.yaml out
	start_sluiced
	base_cfg "{unit: requests, rate: 50/s, burst: 300, action: http}" >"$cand"
	roll start "$cand" --every 1m >/dev/null
	assert_eq "running: step 1 at 5%" "step 5" "$(roll | jq -r '"\(.state) \(.percent)"')"
	out=$(roll promote)
	assert_eq "promoted by sluicectl" "promoted sluicectl" "$(jq -r '"\(.state) \(.by)"' <<<"$out")"
	assert_eq "running hash = the candidate's" "$(cfg_hash "$cand")" "$(running_hash)"
	assert_ok "the config file holds the candidate's bytes" cmp -s "$cand" "$CFG"
	assert_eq "normal's burst is the candidate's" 300 \
		"$(tiers_json | jq -r '.tiers[] | select(.name == "normal") | .limits[0].burst')"
	assert_exit "promote again: exit 1" 1 ctl rollout promote
	assert_ok "state files gone" test ! -e "$STATE/rollout.json"
}

# A rollout of the blocked candidate at 50%, guards off: CB/KB its
# canary and control clients in 198.18.2.0/24.
blocked_rollout() {
	local cand=$T_DIR/blocked.yaml
	base_cfg "" blocked 198.18.2.0/24 "verdict: drop" >"$cand"
	roll start "$cand" --percent 50 --every 1m --max-refusal-increase 1 >/dev/null
	cohorts
	mapfile -t CB < <(in_net 198.18.2 "${CANARY[@]}")
	mapfile -t KB < <(in_net 198.18.2 "${CONTROL[@]}")
	assert_ge "canary clients in 198.18.2.0/24" 1 "${#CB[@]}"
	assert_ge "control clients in 198.18.2.0/24" 1 "${#KB[@]}"
}

test_reload() {
	local mark h0
	start_sluiced
	blocked_rollout
	h0=$(roll | jq -r .hash)
	subtest "a reload of the running config during the rollout"
	mark=$(log_mark)
	cfg_install "$CFG" base_cfg "{unit: requests, rate: 100/s, burst: 250, action: http}"
	assert_ok "the new running config applied" wait_applied "$CFG" 10
	assert_ok "log: the rollout kept over the reload" log_has "$mark" "kept over the reload"
	assert_eq "normal's burst is the reloaded one" 250 \
		"$(tiers_json | jq -r '.tiers[] | select(.name == "normal") | .limits[0].burst')"
	assert_eq "the rollout runs on: step 1 at 50%" "step 1 50" "$(roll | jq -r '"\(.state) \(.step) \(.percent)"')"
	assert_eq "the same candidate" "$h0" "$(roll | jq -r .hash)"
	assert_eq "canary in 198.18.2.0/24 still blocked" 0 "$(probe_all 000 "${CB[@]}")"
	assert_eq "control in 198.18.2.0/24 still 200" 0 "$(probe_all 200 "${KB[@]}")"
	assert_ok "sluicectl reload, too" ctl reload
	assert_eq "still step 1 after it" step "$(roll_state)"
	roll abort >/dev/null
	assert_eq "after abort every client 200" 0 "$(probe_all 200 "${ADDRS[@]}")"
}

test_restart() {
	local h0 mark out
	start_sluiced
	blocked_rollout
	h0=$(roll | jq -r .hash)
	subtest "sluiced stopped during the rollout"
	daemon_term
	assert_eq "sluiced exited 0" 0 "$DAEMON_RC"
	assert_ok "its state kept" test -s "$STATE/rollout.json"
	assert_eq "the canary policy keeps enforcing: canary blocked" 0 "$(probe_all 000 "${CB[@]}")"
	assert_eq "control in 198.18.2.0/24: 200" 0 "$(probe_all 200 "${KB[@]}")"
	subtest "started again: the rollout resumes"
	mark=$(log_mark)
	if daemon_start "$CFG" --state-dir "$STATE"; then t_pass "sluiced starts again"
	else t_fail "sluiced starts again"; finish; fi
	out=$(roll)
	assert_eq "step 1 at 50% again" "step 1 50" "$(jq -r '"\(.state) \(.step) \(.percent)"' <<<"$out")"
	assert_eq "the same candidate" "$h0" "$(jq -r .hash <<<"$out")"
	assert_ok "log: resumed" log_has "$mark" "resumed after a restart"
	assert_eq "canary still blocked" 0 "$(probe_all 000 "${CB[@]}")"
	assert_eq "control still 200" 0 "$(probe_all 200 "${KB[@]}")"
	roll abort >/dev/null
	assert_eq "after abort every client 200" 0 "$(probe_all 200 "${ADDRS[@]}")"
	assert_ok "state files gone" test ! -e "$STATE/rollout.json"
}

run_tests cli promote mistake shadow blocked by_hand reload restart
finish

# shellcheck shell=bash
# Shared helpers for tests/netns/test_*.sh: a lab per test process
# (tools/lab), sluiced in the gateway's namespace, real nginx and curl
# (helpers in tools/lab.d/lib.sh), named tests with cleanup between
# them, assertions and the closing "<suite>: N passed, N failed, N skipped".
# It sources, by concern: lib_cfg.sh (configs), lib_http.sh (the live
# client, http_req), lib_pins.sh (XDP programs, pins and per-interface
# counters read with bpftool), lib_hosts.sh (extra hosts and interfaces,
# UDP and spoofed-source traffic); each says what it has at its top.
#
#   . "$(dirname "$0")/lib.sh"
#   netns_init [TOOLS...]      # root, tools, binaries; skips if missing
#   lab_up                     # the lab (LAB_BACKENDS=1: nginx backends too)
#   test_burst() { sluiced_up "$cfg"; assert_eq "what" 5 "$got"; }
#   run_tests burst reload     # each test_NAME in a subshell, cleanup between
#   finish                     # leak check, teardown, the closing line
#
# A suite may also run straight through (daemon_start, subtest, asserts,
# finish) without run_tests.  Selecting tests: TESTS="burst reload", or
# the script's arguments (test_x.sh burst reload), or both; a name picks
# the test of that name, or else every test whose name contains it; a
# name that picks no test is a failure.  Exit status: 0 all passed, 1
# something failed, 77 the whole suite was skipped.  KEEP_LOGS=1 keeps
# the temp directory (configs, sluiced.log, lab.log, http/).
#
# Tests.  run_test NAME runs test_NAME in a subshell: `finish` or a
# failed sluiced_up inside it ends only that test.  After each test,
# in the subshell: after_test (if the suite defines it), the live client
# stopped, sluiced detached (daemon_stop: a SIGKILL is a failure unless
# DAEMON_KILL_OK=1), the test's T_UNDO commands run (strings, eval'd:
# e.g. removing a foreign XDP program it attached).  Then whatever is
# still on this run's interfaces (LAB_GW_IF and T_IFACES) is detached
# offline; that is a failure, named, unless the test stopped a daemon
# without a detach on purpose (daemon_kill9, daemon_term, or it called
# leaves_enforcement).  Last, the harness checks that no pins, XDP
# program, socket or sluiced process are left.  Namespaces a script
# made (T_NETNS) go at teardown, after the same checks.
#
# Results.  t_pass WHAT / t_fail WHAT / t_skip WHAT WHY record one check
# (also from a subshell or $(...): counted through $T_DIR/results);
# subtest TITLE, note TEXT print.  Assertions (WHAT first, then):
#   assert_eq WANT GOT          assert_range LO HI GOT    assert_ge MIN GOT
#   assert_le MAX GOT           assert_ok CMD...          assert_fails CMD...
#   assert_exit RC CMD...       (exact exit status; output in T_OUT)
#   assert_has NEEDLE TEXT      (TEXT contains the whole NEEDLE)
#   assert_none GOT             (GOT is empty)
#   assert_line FILE LINE       (FILE has exactly this line)
#   assert_no_socket PATH       assert_untouched IF (lib_pins.sh)
#   assert_wait SECONDS CMD...  (CMD succeeds within SECONDS, measured)
# wait_for SECONDS CMD... polls CMD every 0.1 s until it succeeds or the
# deadline (real time) passes; gcra_max BURST RATE ELAPSED_MS is the most
# a fresh bucket admits in ELAPSED_MS; now_ms; elapsed_since T0_MS;
# wait_elapsed T0_MS MS waits until MS ms have passed since T0_MS.
#
# sluiced.  daemon_start CFG [ARGS] / sluiced_up CFG [WHAT] (a failure
# ends the test); daemon_stop [kill-ok]; daemon_kill9; daemon_term
# (SIGTERM: it exits, enforcement and pins stay; DAEMON_RC);
# sluiced_refused CFG [ARGS] (a start that must fail: REF_RC, REF_LOG);
# ctl ARGS (sluicectl on this run's socket); tiers_json, client_json
# ADDR, status_json; count_of JSON TIER REASON and count_delta BEFORE
# AFTER TIER REASON look keys up strictly (a misspelled tier or reason
# fails the check); log_mark then log_since MARK: sluiced's log lines
# written since; log_has MARK TEXT, log_has_re MARK REGEX: such a line
# since MARK; no_watcher_reload MARK asserts the file watcher reloaded
# nothing since.  PIN_ROOT is /sys/fs/bpf/sluice, GW_PINS the lab
# interface's pin directory.
#
# HTTP.  http_req SRC [PATH|URL] [MAXTIME] [CURL ARGS...] makes one
# request from SRC and sets HTTP_OUTCOME (the status code: 200, 429,
# 503, ...; "reset" for curl exit 7, 52, 56; "timeout" for 28;
# "error:RC" otherwise), HTTP_CODE, HTTP_RC, HTTP_MS, and HTTP_HEADERS,
# HTTP_BODY (files); http_header NAME prints a header of that reply;
# http_outcome SRC [PATH] [MAXTIME] prints HTTP_OUTCOME.  With
# LAB_BACKENDS=1 the gateway proxies /backend/ok (200), /backend/503,
# /backend/500, /backend/404 and /backend/slow?ms=N to real backends, and
# closes /backend/close without an answer (tools/lab.d).
# http_one, http_burst, http_keepalive (tools/lab.d/lib.sh) count 200s,
# http_burst_codes 200s and 429s.  silent_start SRC: a client that sends
# one request and then neither reads nor closes (SILENT_PID).
#
# Counts are asserted with the bounds GCRA allows, not with timing: a
# fresh bucket admits exactly `burst` requests back to back, and at most
# floor(rate * elapsed) more during a batch that lasted `elapsed`.
set -uo pipefail

NETNS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$NETNS_TOP/$BUILD
SLUICED=$BUILD/sluiced
SLUICECTL=$BUILD/sluicectl
LAB=$NETNS_TOP/tools/lab
SKIP_RC=77

# Own namespaces and an own gateway interface name (sluiced pins by
# interface name) per test process, so a demo or another run can go on
# beside this one.
export LAB_PREFIX=${LAB_PREFIX:-slt$$}
export LAB_GW_IF=${LAB_GW_IF:-tgw$$}
export LAB_RUN=${LAB_RUN:-/run/sluice-lab/$LAB_PREFIX}
# shellcheck source=../../tools/lab.d/lib.sh
. "$NETNS_TOP/tools/lab.d/lib.sh"

SUITE=${SUITE:-netns/$(basename "$0" .sh)}
T_PASS=0 T_FAIL=0 T_SKIP=0
T_DIR=
T_IN_TEST=
LAB_IS_UP=0
SOCK=
DAEMON_LOG=/dev/null
T_IFACES=()	# gateway interfaces besides LAB_GW_IF that the script made
T_NETNS=()	# namespaces the script made besides the lab's
T_UNDO=()	# commands the current test wants run at its cleanup
T_LEFT_OK=0	# 1: the test stopped a daemon with enforcement left on
T_ARGS=("$@")	# the script's arguments: tests to run (see run_tests)
PIN_ROOT=/sys/fs/bpf/sluice
# shellcheck disable=SC2034 # for the scripts that source this
GW_PINS=$PIN_ROOT/$LAB_GW_IF

# ---- results -----------------------------------------------------------------

# Every check is also a line in $T_DIR/results, so checks made in a
# test's subshell or inside $(...) count.
t_record() { [[ -z $T_DIR ]] || echo "$1" >>"$T_DIR/results"; }
t_pass() { T_PASS=$((T_PASS + 1)); t_record pass; printf '  ok    %s\n' "$1"; }
t_fail() { T_FAIL=$((T_FAIL + 1)); t_record fail; printf '  FAIL  %s\n' "$1" >&2; }
t_skip() { T_SKIP=$((T_SKIP + 1)); t_record skip; printf '  skip  %s: %s\n' "$1" "$2"; }
subtest() { printf -- '-- %s\n' "$*"; }
note() { printf '        %s\n' "$*"; }

t_tally() {	# sets T_PASS T_FAIL T_SKIP from the results file
	[[ -n $T_DIR && -e $T_DIR/results ]] || return 0
	read -r T_PASS T_FAIL T_SKIP < <(awk '{ n[$1]++ }
		END { print n["pass"] + 0, n["fail"] + 0, n["skip"] + 0 }' "$T_DIR/results")
}

t_failures() { t_tally; echo "$T_FAIL"; }

assert_eq() {	# WHAT WANT GOT
	if [[ $2 == "$3" ]]; then t_pass "$1: $3"
	else t_fail "$1: expected $2, got ${3:-nothing}"; fi
}

assert_range() {	# WHAT LO HI GOT
	if [[ $4 =~ ^-?[0-9]+$ ]] && (($4 >= $2 && $4 <= $3)); then
		t_pass "$1: $4 (allowed $2..$3)"
	else
		t_fail "$1: expected $2..$3, got ${4:-nothing}"
	fi
}

assert_ge() {	# WHAT MIN GOT
	if [[ $3 =~ ^-?[0-9]+$ ]] && (($3 >= $2)); then t_pass "$1: $3 (>= $2)"
	else t_fail "$1: expected at least $2, got ${3:-nothing}"; fi
}

assert_le() {	# WHAT MAX GOT
	if [[ $3 =~ ^-?[0-9]+$ ]] && (($3 <= $2)); then t_pass "$1: $3 (<= $2)"
	else t_fail "$1: expected at most $2, got ${3:-nothing}"; fi
}

assert_ok() {	# WHAT CMD...: CMD exits 0
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then t_pass "$what"
	else t_fail "$what: '$*' failed: $(tail -3 <<<"$out" | tr '\n' ' ')"; fi
}

assert_fails() {	# WHAT CMD...: CMD exits non-zero
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then t_fail "$what: '$*' succeeded"
	else t_pass "$what: $(tail -1 <<<"$out" | cut -c1-150)"; fi
}

assert_exit() {	# WHAT RC CMD...: CMD exits exactly RC; its output in T_OUT
	local what=$1 want=$2 rc=0
	shift 2
	T_OUT=$("$@" 2>&1) || rc=$?
	if ((rc == want)); then t_pass "$what: exit $rc"
	else t_fail "$what: '$*' exited $rc, expected $want: $(tail -2 <<<"$T_OUT" | tr '\n' ' ')"; fi
}

assert_has() {	# WHAT NEEDLE TEXT: TEXT contains NEEDLE, whole
	if [[ $3 == *"$2"* ]]; then t_pass "$1: \"$2\""
	else t_fail "$1: expected \"$2\" in: ${3:-nothing}"; fi
}

assert_none() {	# WHAT GOT: GOT is empty
	if [[ -z $2 ]]; then t_pass "$1: none"
	else t_fail "$1: expected none, got $2"; fi
}

assert_line() {	# WHAT FILE LINE: FILE has exactly this line
	if grep -qxF -- "$3" "$2"; then t_pass "$1"
	else
		t_fail "$1: no line '$3' in: $(grep -v '^<7>' "$2" | tail -4 | tr '\n' '|')"
	fi
}

assert_no_socket() {	# WHAT PATH
	if [[ -e $2 ]]; then t_fail "$1: $2 exists"
	else t_pass "$1: no $2"; fi
}

assert_wait() {	# WHAT SECONDS CMD...: CMD succeeds before the deadline
	local what=$1 t0=
	t0=$(now_ms)
	shift
	if wait_for "$@"; then t_pass "$what (after $(elapsed_since "$t0") ms)"
	else t_fail "$what: not within $1 s ('${*:2}')"; fi
}

elapsed_since() { echo $(($(now_ms) - $1)); }	# T0_MS
elapsed_ge() { (($(now_ms) - $1 >= $2)); }	# T0_MS MS

# Time itself is the condition (a bucket refilling): until MS ms have
# passed since T0_MS, by the clock, not by a guessed sleep.
wait_elapsed() {	# T0_MS MS
	wait_for $(($2 / 1000 + 2)) elapsed_ge "$1" "$2"
}

gcra_max() {	# BURST RATE ELAPSED_MS: most a fresh bucket admits in that time
	awk -v b="$1" -v r="$2" -v e="$3" 'BEGIN { print b + int(r * e / 1000) }'
}

# ---- setup and teardown ------------------------------------------------------

skip_all() {	# REASON
	echo "SKIP: $1"
	echo "$SUITE: 0 passed, 0 failed, 1 skipped"
	exit $SKIP_RC
}

netns_init() {	# [EXTRA TOOLS...]
	local c
	[[ $(id -u) == 0 ]] || skip_all "needs root (network namespaces, XDP)"
	for c in ip nsenter nginx curl jq ss clang bpftool python3 "$@"; do
		command -v "$c" >/dev/null ||
			skip_all "$c not installed (make deps installs it)"
	done
	[[ -x $SLUICED && -x $SLUICECTL ]] ||
		skip_all "$SLUICED or $SLUICECTL not built yet (make)"
	mountpoint -q /sys/fs/bpf || skip_all "bpffs not mounted at /sys/fs/bpf"
	T_DIR=$(mktemp -d "/tmp/sluice-$LAB_PREFIX.XXXXXX")
	SOCK=$T_DIR/sluiced.sock
	DAEMON_LOG=$T_DIR/sluiced.log
	: >"$DAEMON_LOG"
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap teardown EXIT
}

lab_up() {
	LAB_IS_UP=1
	if ! "$LAB" up >"$T_DIR/lab.log" 2>&1; then
		cat "$T_DIR/lab.log"
		t_fail "tools/lab up"
		T_IN_TEST='' finish
	fi
}

gw_ifaces() { echo "$LAB_GW_IF" "${T_IFACES[@]}"; }

pins_left() {	# the pin directories of this run's interfaces that exist
	local i
	for i in $(gw_ifaces); do
		[[ -e $PIN_ROOT/$i ]] && echo "$PIN_ROOT/$i"
	done
	return 0
}

sluiced_pids() {	# sluiced processes in this lab's gateway namespace
	local p ns
	ns=$(lab_ns gw)
	[[ -e /run/netns/$ns ]] || return 0
	for p in $(ip netns pids "$ns" 2>/dev/null); do
		[[ $(cat "/proc/$p/comm" 2>/dev/null) == sluiced ]] && echo "$p"
	done
	return 0
}

# What a daemon left on this run's interfaces (killed or stopped with
# enforcement on, or refused and not rolled back): detached offline, as
# an operator would, with a config that names only that interface and
# this run's socket, never the whole pin root.  Pins of an interface
# that no longer exists are dead state and removed.
detach_leftovers() {
	local i cfg=$T_DIR/detach.yaml
	for i in $(gw_ifaces); do
		[[ -e $PIN_ROOT/$i ]] || continue
		printf 'interfaces: [%s]\ncontrol_socket: %s\ntiers:\n  - {name: d, match: [%s], verdict: pass}\n' \
			"$i" "$SOCK" "$ANY" >"$cfg"
		on gw "$SLUICED" --detach -c "$cfg" >>"$DAEMON_LOG" 2>&1 && continue
		if on gw ip link show "$i" >/dev/null 2>&1; then
			t_fail "sluiced --detach of what was left on $i failed (see $DAEMON_LOG)"
		else
			rm -rf "${PIN_ROOT:?}/$i"
		fi
	done
}

xdp_off_ours() {	# any XDP program still on this run's interfaces
	local i
	for i in $(gw_ifaces); do
		[[ -n $(xdp_id_of "$i") ]] || continue
		on gw ip link set dev "$i" xdpgeneric off 2>/dev/null
		on gw ip link set dev "$i" xdpdrv off 2>/dev/null
	done
	return 0
}

# Whatever a daemon or a test leaves for the next one: checked before
# the lab's teardown could remove the evidence.
state_leaks() {
	local p i
	for p in $(pins_left); do echo "pins $p"; done
	for i in $(gw_ifaces); do
		p=$(xdp_id_of "$i")
		[[ -z $p ]] || echo "XDP program $p on $i"
	done
	for p in $(sluiced_pids); do echo "sluiced pid $p"; done
	[[ -S $SOCK ]] && echo "socket $SOCK"
	return 0
}

# A test that stops its daemon without a detach (kill -9, SIGTERM) and
# leaves enforcement on says so: its cleanup then detaches offline
# without counting that as something left behind.
leaves_enforcement() { T_LEFT_OK=1; }

run_undo() {	# the T_UNDO commands, once
	local u
	for u in "${T_UNDO[@]}"; do
		eval "$u" >/dev/null 2>&1
	done
	T_UNDO=()
}

# What runs: the live client, sluiced (detached); then T_UNDO.
stop_ours() {
	if [[ -n ${LIVE_PID:-} ]] && kill -0 "$LIVE_PID" 2>/dev/null; then
		kill "$LIVE_PID" 2>/dev/null
		wait "$LIVE_PID" 2>/dev/null
	fi
	LIVE_PID=
	daemon_stop
	run_undo
}

# The end of one test, in its subshell (also on `finish` or an error).
test_cleanup() {
	local left h
	declare -F after_test >/dev/null && after_test
	stop_ours
	left=$(pins_left | tr '\n' ' ')
	if [[ -z $left ]]; then :
	elif ((DAEMON_DETACHED)); then
		t_fail "sluicectl detach left pins behind: $left"
	elif ((!T_LEFT_OK)); then
		t_fail "cleanup: left behind once the daemon was stopped: $left"
	fi
	detach_leftovers
	for h in "${LAB_CLIENTS[@]}"; do
		[[ -e /run/netns/$(lab_ns "$h") ]] && kill_orphans "$h"
	done
	return 0
}

run_test() {	# NAME: test_NAME in a subshell, then the leak check
	local name=$1 mark left p
	printf '== test %s\n' "$name"
	mark=$(log_mark)
	(
		T_IN_TEST=$name DAEMON_DETACHED=0 T_LEFT_OK=0
		trap test_cleanup EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		"test_$name"
	)
	left=$(state_leaks)
	if [[ -n $left ]]; then
		t_fail "$name left behind: $(tr '\n' ' ' <<<"$left")"
		# Clean up anyway, so the next test starts from nothing.
		for p in $(sluiced_pids); do kill -9 "$p" 2>/dev/null; done
		detach_leftovers
		xdp_off_ours
		rm -f "$SOCK"
	fi
	if [[ -n ${T_FAILED_BEFORE:-} ]] && (($(t_failures) > T_FAILED_BEFORE)); then
		echo "-- sluiced log during $name (last 30 lines)"
		log_since "$mark" | tail -30 | sed 's/^/   /'
	fi
}

# The suite's tests in order, or those TESTS and the script's arguments
# select: a name picks the test of that name, else every test whose name
# contains it; a name that picks none is a failure.
run_tests() {	# NAME...
	local n s hit sel=()
	local -A pick=()
	read -ra sel <<<"${TESTS:-}"
	sel+=("${T_ARGS[@]}")
	for s in "${sel[@]}"; do
		hit=0
		for n in "$@"; do [[ $n == "$s" ]] && pick[$n]=1 hit=1; done
		if ((!hit)); then
			for n in "$@"; do [[ $n == *"$s"* ]] && pick[$n]=1 hit=1; done
		fi
		((hit)) || t_fail "'$s' selects no test of $SUITE (tests: $*)"
	done
	for n in "$@"; do
		((${#sel[@]} == 0)) || [[ -n ${pick[$n]:-} ]] || continue
		T_FAILED_BEFORE=$(t_failures)
		run_test "$n"
	done
}

# Safe to call twice: the live client, sluiced, what is left on this
# run's interfaces (finish has counted it), the script's namespaces,
# the lab.
teardown() {
	local ns pids
	stop_ours
	[[ -z $T_DIR || -z $(pins_left) ]] || detach_leftovers
	for ns in "${T_NETNS[@]}"; do
		[[ -e /run/netns/$ns ]] || continue
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[[ -z $pids ]] || kill -9 $pids 2>/dev/null
		ip netns del "$ns"
	done
	if ((LAB_IS_UP)); then
		"$LAB" down >>"$T_DIR/lab.log" 2>&1
		LAB_IS_UP=0
	fi
	if [[ -n $T_DIR && -z ${KEEP_LOGS:-} ]]; then
		rm -rf "$T_DIR"
	elif [[ -n $T_DIR ]]; then
		echo "logs kept in $T_DIR"
	fi
	T_DIR=
	return 0
}

leaks() {	# what the run left behind after teardown, if anything
	local ns
	{
		ip netns list | awk -v p="$LAB_PREFIX-" 'index($1, p) == 1 { print "netns " $1 }'
		for ns in "${T_NETNS[@]}"; do
			[[ -e /run/netns/$ns ]] && echo "netns $ns"
		done
	} | sort -u
	pins_left | sed 's/^/pins /'
	[[ -e $LAB_RUN ]] && echo "lab state $LAB_RUN"
	[[ -S $SOCK ]] && echo "socket $SOCK"
	return 0
}

# In a test: ends that test.  Otherwise: stops sluiced (a SIGKILL or a
# detach that leaves pins fails), records what is left before the lab's
# teardown could remove it, tears down, checks again, prints the line.
finish() {
	local left before
	if [[ -n $T_IN_TEST ]]; then
		t_fail "test $T_IN_TEST ended early"
		exit 1
	fi
	subtest "teardown"
	daemon_stop
	if ((DAEMON_DETACHED)) && left=$(pins_left) && [[ -n $left ]]; then
		t_fail "sluicectl detach left pins behind: $(tr '\n' ' ' <<<"$left")"
	fi
	run_undo
	before=$(state_leaks)
	if [[ -z $before ]]; then t_pass "at the end, before teardown: no pins, XDP program, sluiced or socket left"
	else t_fail "left at the end, before teardown: $(tr '\n' ' ' <<<"$before")"; fi
	t_tally
	if ((T_FAIL)) && [[ -s $DAEMON_LOG ]]; then
		echo "-- sluiced log (last 30 lines)"
		tail -30 "$DAEMON_LOG" | sed 's/^/   /'
	fi
	[[ -z $before ]] || { detach_leftovers; xdp_off_ours; }
	teardown	# from here on checks count in T_PASS/T_FAIL only
	left=$(leaks)
	if [[ -z $left ]]; then t_pass "after teardown: nothing left behind (netns, pins, state)"
	else t_fail "left behind after teardown: $(tr '\n' ' ' <<<"$left")"; fi
	echo "$SUITE: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	trap - EXIT
	((T_FAIL == 0))
	exit
}

# ---- sluiced -----------------------------------------------------------------

# The harness's daemon_stop: a SIGKILL is a failure unless asked for.
# shellcheck disable=SC2120  # callers may pass kill-ok
daemon_stop() {	# [kill-ok]
	daemon_halt && return 0
	if [[ ${1:-} == kill-ok || -n ${DAEMON_KILL_OK:-} ]]; then
		note "sluiced had to be killed with SIGKILL (allowed here)"
	else
		t_fail "daemon_stop: sluiced did not exit after sluicectl detach and was killed with SIGKILL"
	fi
	return 1
}

# Starts sluiced with CONFIG, or fails the suite (in a test: the test):
# nothing else can run.
sluiced_up() {	# CONFIG [WHAT]
	if daemon_start "$1"; then
		t_pass "${2:-sluiced starts and answers sluicectl}"
		return 0
	fi
	t_fail "${2:-sluiced starts and answers sluicectl}"
	finish
}

# SIGTERM: sluiced exits, enforcement and pins stay in place (a test
# that ends so says leaves_enforcement).  DAEMON_RC: its exit status, or
# 124 when it was still running 5 s later (then killed).
daemon_term() {
	local late=0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait_for 5 daemon_gone || { late=1; kill -9 "$DAEMON_PID" 2>/dev/null; }
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_RC=$?
	# shellcheck disable=SC2034 # for the test
	((late)) && DAEMON_RC=124
	DAEMON_PID=
	return 0
}

# A sluiced that is expected to refuse to start.  Sets REF_RC (its exit
# status; 124 if it was still running after 20 s and had to be stopped)
# and REF_LOG (a file with what it printed, also added to DAEMON_LOG).
sluiced_refused() {	# CONFIG [ARGS...]
	local cfg=$1
	shift
	REF_LOG=$(mktemp "$T_DIR/refused.XXXXXX")
	timeout -s KILL 20 nsenter --net="/run/netns/$(lab_ns gw)" -- \
		"$SLUICED" -c "$cfg" "$@" >"$REF_LOG" 2>&1
	REF_RC=$?
	((REF_RC == 137)) && REF_RC=124
	cat "$REF_LOG" >>"$DAEMON_LOG"
}

status_json() { ctl -j status | jq -c '.data // .'; }

# A server a test started itself (Prometheus, Alertmanager): SIGTERM,
# SIGKILL after 10 s; waited for either way.
pid_gone() { ! kill -0 "$1" 2>/dev/null; }	# PID
proc_stop() {	# PID ("" does nothing)
	[[ -n $1 ]] || return 0
	kill "$1" 2>/dev/null
	wait_for 10 pid_gone "$1" || kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

log_mark() { wc -l <"$DAEMON_LOG" 2>/dev/null || echo 0; }
log_since() { tail -n +$(($1 + 1)) "$DAEMON_LOG"; }	# MARK
# Read afresh on every call, so it can be polled (assert_wait).
log_has() { log_since "$1" | grep -qF -- "$2"; }	# MARK TEXT
log_has_re() { log_since "$1" | grep -qE -- "$2"; }	# MARK REGEX

# A reload test's proof that the file watcher applied nothing since MARK
# (sluiced logs each reload with its source: SIGHUP, sluicectl, file changed).
no_watcher_reload() {	# MARK
	assert_eq "log: no reload by the file watcher" 0 "$(log_since "$1" | grep -c 'file changed')"
}

# ---- by concern: configs, traffic, pins, extra hosts ------------------------

# shellcheck source=lib_cfg.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_cfg.sh"
# shellcheck source=lib_http.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_http.sh"
# shellcheck source=lib_pins.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_pins.sh"
# shellcheck source=lib_hosts.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_hosts.sh"

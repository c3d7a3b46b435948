# shellcheck shell=bash
# Shared helpers for tests/netns/test_*.sh: a lab per test process
# (tools/lab), sluiced in the gateway's namespace, real nginx and curl
# (helpers in tools/lab.d/lib.sh), assertions and the closing
# "<suite>: N passed, N failed, N skipped".
#
#   . "$(dirname "$0")/lib.sh"
#   netns_init [TOOLS...]      # root, tools, binaries; skips if missing
#   lab_up                     # the lab; teardown runs on EXIT INT TERM
#   daemon_start "$cfg"
#   subtest "..."; assert_eq "what" 5 "$got"
#   finish                     # tears down, checks for leaks, prints the line
#
# Exit status: 0 all passed, 1 something failed, 77 the whole suite was
# skipped (tests/run counts that as skipped, not failed).  KEEP_LOGS=1
# keeps the temp directory (configs, sluiced.log, lab.log).
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
LAB_IS_UP=0
SOCK=
DAEMON_LOG=/dev/null

# ---- results -----------------------------------------------------------------

t_pass() { T_PASS=$((T_PASS + 1)); printf '  ok    %s\n' "$1"; }
t_fail() { T_FAIL=$((T_FAIL + 1)); printf '  FAIL  %s\n' "$1"; }
t_skip() { T_SKIP=$((T_SKIP + 1)); printf '  skip  %s: %s\n' "$1" "$2"; }
subtest() { printf -- '-- %s\n' "$*"; }
note() { printf '        %s\n' "$*"; }

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
	for c in ip nsenter nginx curl jq ss clang bpftool "$@"; do
		command -v "$c" >/dev/null ||
			skip_all "$c not installed (make deps installs it)"
	done
	[[ -x $SLUICED && -x $SLUICECTL ]] ||
		skip_all "$SLUICED or $SLUICECTL not built yet (make)"
	mountpoint -q /sys/fs/bpf || skip_all "bpffs not mounted at /sys/fs/bpf"
	T_DIR=$(mktemp -d "/tmp/sluice-$LAB_PREFIX.XXXXXX")
	SOCK=$T_DIR/sluiced.sock
	DAEMON_LOG=$T_DIR/sluiced.log
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap teardown EXIT
}

lab_up() {
	LAB_IS_UP=1
	if ! "$LAB" up >"$T_DIR/lab.log" 2>&1; then
		cat "$T_DIR/lab.log"
		t_fail "tools/lab up"
		finish
	fi
}

# Safe to call twice; whatever sluiced leaves goes with the lab.
teardown() {
	if [[ -n ${LIVE_PID:-} ]] && kill -0 "$LIVE_PID" 2>/dev/null; then
		kill "$LIVE_PID" 2>/dev/null
		wait "$LIVE_PID" 2>/dev/null
	fi
	LIVE_PID=
	daemon_stop
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

leaks() {	# what the run left behind, if anything
	ip netns list | awk -v p="$LAB_PREFIX-" 'index($1, p) == 1 { print "netns " $1 }'
	[[ -e /sys/fs/bpf/sluice/$LAB_GW_IF ]] && echo "pins /sys/fs/bpf/sluice/$LAB_GW_IF"
	[[ -e $LAB_RUN ]] && echo "lab state $LAB_RUN"
	[[ -S $SOCK ]] && echo "socket $SOCK"
	return 0
}

finish() {
	local left
	if ((T_FAIL)) && [[ -s $DAEMON_LOG ]]; then
		echo "-- sluiced log (last 30 lines)"
		tail -30 "$DAEMON_LOG" | sed 's/^/   /'
	fi
	subtest "teardown"
	teardown
	left=$(leaks)
	if [[ -z $left ]]; then t_pass "nothing left behind (netns, pins, state)"
	else t_fail "left behind: $(tr '\n' ' ' <<<"$left")"; fi
	echo "$SUITE: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	trap - EXIT
	((T_FAIL == 0))
	exit
}

# ---- configs -----------------------------------------------------------------

# The top of a test config: the lab's interface, this run's socket, a
# client table small enough to load quickly, the mode; tiers follow
# (cfg_tier).
cfg_header() {	# MODE
	cat <<EOF
interfaces:
  - $LAB_GW_IF
control_socket: $SOCK
client_table_size: 65536
log_level: debug
mode: $1
tiers:
EOF
}

# One tier entry.  ITEMS are flow mappings for its limits ("{unit: ...}")
# or keys of the tier itself ("verdict: drop", "key: {v6_prefix: 64}").
cfg_tier() {	# NAME MATCH ITEM...
	local name=$1 match=$2 item limits=()
	shift 2
	printf '  - name: %s\n    match: [%s]\n' "$name" "$match"
	for item in "$@"; do
		if [[ $item == "{"* ]]; then limits+=("$item")
		else printf '    %s\n' "$item"; fi
	done
	((${#limits[@]})) || return 0
	echo "    limits:"
	printf '      - %s\n' "${limits[@]}"
}

# Shorthands: the catch-all match, and the normal and VIP limits of
# examples/sluice.yaml (action http: a refused request is answered with a
# RST for now, so curl fails at once; a test about drop says action: drop).
ANY='0.0.0.0/0, "::/0"'
REQ_1_5='{unit: requests, rate: 1/s, burst: 5, action: http}'
REQ_10_20='{unit: requests, rate: 10/s, burst: 20, action: http}'

# Starts sluiced with CONFIG, or fails the suite: nothing else can run.
sluiced_up() {	# CONFIG [WHAT]
	if daemon_start "$1"; then
		t_pass "${2:-sluiced starts and answers sluicectl}"
		return 0
	fi
	t_fail "${2:-sluiced starts and answers sluicectl}"
	finish
}

# A client that keeps making requests (a new connection every 100 ms,
# well under any tier's rate) until live_stop, which sets LIVE_N and
# LIVE_OK: how many it made, and how many were answered 200.  Call
# live_stop in this shell, not in $(...): only this shell can wait for it.
# With MIN, live_stop first lets the client reach MIN requests (up to
# 10 s), so a test that finishes quickly still sees a client that kept
# going afterwards.
live_start() {	# SRC
	LIVE_STOP=$T_DIR/live.stop LIVE_OUT=$T_DIR/live.out
	rm -f "$LIVE_STOP"
	(
		while [[ ! -e $LIVE_STOP ]]; do
			http_one "$1" 2
			sleep 0.1
		done >"$LIVE_OUT"
	) &
	LIVE_PID=$!
}

live_lines_ge() { (($(wc -l <"$LIVE_OUT") >= $1)); }

live_stop() {	# [MIN]
	[[ -z ${1:-} ]] || wait_for 10 live_lines_ge "$1"
	touch "$LIVE_STOP"
	wait "$LIVE_PID"
	LIVE_PID=
	LIVE_N=$(wc -l <"$LIVE_OUT")
	LIVE_OK=$(grep -c '^0 200$' "$LIVE_OUT")
}

cfg_example() {	# the shipped examples/sluice.yaml, pointed at this lab
	sed -e "s|^\(  - \)gw0\$|\1$LAB_GW_IF|" \
	    -e "s|^control_socket:.*|control_socket: $SOCK|" \
	    -e "s|^client_table_size:.*|client_table_size: 65536|" \
	    "$NETNS_TOP/examples/sluice.yaml"
}

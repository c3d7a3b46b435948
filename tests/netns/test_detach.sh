#!/bin/bash
# shellcheck disable=SC2317 # test_* functions are called by run_tests
# sluiced --detach when the config cannot be read (no such file, a
# directory, permission denied, invalid YAML): it detaches every
# interface under /sys/fs/bpf/sluice/, also one whose device is gone;
# with a running daemon holding them it refuses and says how to reach it;
# with a readable config only the config's interfaces.  And sluicectl
# detach on a running daemon (text and -j).
#
# Detaching "every interface under /sys/fs/bpf/sluice/" would reach pins
# of other runs on this machine, so the whole script runs in a mount
# namespace of its own with a private bpffs on /sys/fs/bpf: everything
# sluiced pins here, and everything --detach can see, is this script's.
if [[ -z ${SLUICE_OWN_BPFFS:-} && $(id -u) == 0 ]] && command -v unshare >/dev/null; then
	exec env SLUICE_OWN_BPFFS=1 unshare --mount --propagation private "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
[[ -n ${SLUICE_OWN_BPFFS:-} ]] || skip_all "needs root and unshare (a private bpffs)"
mount -t bpf bpf /sys/fs/bpf || skip_all "cannot mount a private bpffs on /sys/fs/bpf"
netns_init python3 setpriv
lab_up

IDLE=tid$$
idle_up "$IDLE" || { t_fail "creating $IDLE"; finish; }
CFG=$T_DIR/sluice.yaml
{ cfg_top "$LAB_GW_IF, $IDLE"; cfg_tier normal "$ANY" "$REQ_SLOW"; } >"$CFG"
NOSUCH=$T_DIR/nosuch.yaml
ALL="<4>the config cannot be read: detaching every interface under $PIN_ROOT"

start() {
	daemon_start "$CFG" || { t_fail "sluiced starts on $LAB_GW_IF and $IDLE"; return 1; }
	PROG=$(xdp_prog_id)
}

# sluiced dies: enforcement and pins stay, nobody holds the lock.
start_and_kill() {
	start || return 1
	daemon_kill9
	assert_ok "after kill -9: pins of both interfaces" \
		test -e "$PIN_ROOT/$LAB_GW_IF/link" -a -e "$PIN_ROOT/$IDLE/link"
	assert_eq "after kill -9: the program still on $LAB_GW_IF" "$PROG" "$(xdp_prog_id)"
}

detach_with() {	# CONFIG [PREFIX...]: sluiced --detach -c CONFIG; sets DET_RC, DET_LOG
	local cfg=$1
	shift
	DET_LOG=$(mktemp "$T_DIR/detach.XXXXXX")
	"$@" nsenter --net="/run/netns/$(lab_ns gw)" -- "$SLUICED" --detach -c "$cfg" \
		>"$DET_LOG" 2>&1
	DET_RC=$?
	cat "$DET_LOG" >>"$DAEMON_LOG"
}

all_gone() {	# WHAT
	assert_untouched "$1" "$LAB_GW_IF"
	assert_untouched "$1" "$IDLE"
	if [[ -e $PIN_ROOT ]]; then t_fail "$1: $PIN_ROOT still there: $(ls "$PIN_ROOT")"
	else t_pass "$1: $PIN_ROOT itself removed"; fi
	local got
	read -r got _ < <(http_burst 198.18.1.11 20 1)
	assert_eq "$1: traffic is not limited (200 of 20)" 20 "$got"
}

# The killed daemon's socket file stays: the only config that names it
# cannot be read.  The next sluiced replaces it as stale.
stale_socket() {
	if [[ -S $SOCK ]]; then note "the killed daemon's socket $SOCK is left (a start replaces it)"; fi
	rm -f "$SOCK"
}

unreadable_case() {	# WHAT CONFIG ERROR [PREFIX...]: kill -9, then --detach with CONFIG
	local what=$1 cfg=$2 err=$3
	shift 3
	start_and_kill || return
	detach_with "$cfg" "$@"
	assert_eq "$what: exit status" 0 "$DET_RC"
	assert_line "$what: says why it cannot read the config" "$DET_LOG" "<4>$cfg: cannot read: $err"
	assert_line "$what: says what it does instead" "$DET_LOG" "$ALL"
	assert_line "$what: $LAB_GW_IF detached" "$DET_LOG" "<6>$LAB_GW_IF: XDP program detached, pins removed"
	assert_line "$what: $IDLE detached" "$DET_LOG" "<6>$IDLE: XDP program detached, pins removed"
	all_gone "$what"
	stale_socket
}

test_no_such_file() { unreadable_case "no such file" "$NOSUCH" "No such file or directory"; }

test_directory() { unreadable_case "a directory" "$T_DIR" "Is a directory"; }

# Root reads any file: drop the capabilities that let it, so a mode 000
# file is really unreadable.
test_permission_denied() {
	local f=$T_DIR/unreadable.yaml
	cp "$CFG" "$f" && chmod 000 "$f"
	unreadable_case "permission denied" "$f" "Permission denied" \
		setpriv --inh-caps=-dac_override,-dac_read_search \
		--bounding-set=-dac_override,-dac_read_search
}

test_invalid_yaml() {
	local f=$T_DIR/broken.yaml
	printf 'interfaces: [%s\ntiers: [\n' "$LAB_GW_IF" >"$f"
	start_and_kill || return
	detach_with "$f"
	assert_eq "invalid YAML: exit status" 0 "$DET_RC"
	assert_ok "invalid YAML: the error, with file, line and column" \
		grep -q "^<4>$f:[0-9]*:[0-9]*: YAML syntax: " "$DET_LOG"
	assert_line "invalid YAML: says what it does instead" "$DET_LOG" "$ALL"
	all_gone "invalid YAML"
	stale_socket
}

# Nothing pinned: nothing to do, and it says only why it looked.
test_nothing_pinned() {
	detach_with "$NOSUCH"
	assert_eq "exit status" 0 "$DET_RC"
	assert_eq "what it printed" "<4>$NOSUCH: cannot read: No such file or directory|$ALL" \
		"$(paste -sd'|' "$DET_LOG")"
}

# A running daemon holds the pin directories: refused, with the way to
# reach it; the daemon and its enforcement untouched.
test_running_daemon() {
	local got
	start || return
	detach_with "$NOSUCH"
	assert_eq "exit status" 1 "$DET_RC"
	for i in "$LAB_GW_IF" "$IDLE"; do
		assert_line "$i: says what it needs" "$DET_LOG" \
			"<3>$i: a running sluiced holds it but does not answer on the config's control socket: stop it, or detach through its socket (sluicectl -s SOCKET detach)"
	done
	assert_eq "the daemon still answers (pid)" "$DAEMON_PID" "$(ctl -j status | jq -r .pid)"
	assert_eq "its program is still on $LAB_GW_IF" "$PROG" "$(xdp_prog_id)"
	assert_ok "its pins are in place" test -e "$PIN_ROOT/$LAB_GW_IF/link" -a -e "$PIN_ROOT/$IDLE/link"
	read -r got _ < <(http_burst 198.18.1.11 20 1)
	assert_eq "it still enforces (200 of 20, burst 5)" 5 "$got"
}

# A pinned interface whose device was deleted since.
test_device_gone() {
	start_and_kill || return
	on gw ip link del "$IDLE"
	detach_with "$NOSUCH"
	assert_eq "exit status" 0 "$DET_RC"
	assert_line "$IDLE (deleted): its pins removed" "$DET_LOG" \
		"<6>$IDLE: XDP program detached, pins removed"
	all_gone "device gone"
	stale_socket
	idle_up "$IDLE" || t_fail "creating $IDLE again"
}

# A readable config: only the interfaces it names.
test_readable_config() {
	local one=$T_DIR/one.yaml
	{ cfg_top "$LAB_GW_IF"; cfg_tier normal "$ANY" "$REQ_SLOW"; } >"$one"
	start_and_kill || return
	detach_with "$one"
	assert_eq "exit status" 0 "$DET_RC"
	assert_eq "what it printed" "<6>$LAB_GW_IF: XDP program detached, pins removed" \
		"$(grep -v '^<7>' "$DET_LOG")"
	assert_untouched "the config's interface" "$LAB_GW_IF"
	assert_ok "$IDLE, not in that config, keeps its pins" test -e "$PIN_ROOT/$IDLE/link"
	assert_ok "and its program" test -n "$(xdp_id_of "$IDLE")"
	assert_no_socket "the stale socket was removed (the config names it)" "$SOCK"
	detach_with "$CFG"
	assert_untouched "then with the full config" "$IDLE"
}

test_sluicectl_detach() {
	local out rc
	start || return
	out=$(ctl detach 2>&1)
	rc=$?
	assert_eq "sluicectl detach: exit status" 0 "$rc"
	assert_eq "sluicectl detach: output" "detached: $LAB_GW_IF, $IDLE; sluiced exits" "$out"
	assert_ok "sluiced exits" wait_for 5 daemon_gone
	wait "$DAEMON_PID"
	assert_eq "its exit status" 0 $?
	DAEMON_PID=
	all_gone "sluicectl detach"
	assert_no_socket "sluicectl detach" "$SOCK"

	start || return
	out=$(ctl -j detach 2>&1)
	assert_eq "sluicectl -j detach" "{\"detached\":[\"$LAB_GW_IF\",\"$IDLE\"]}" "$(jq -c . <<<"$out")"
	assert_ok "sluiced exits" wait_for 5 daemon_gone
	DAEMON_PID=
	all_gone "sluicectl -j detach"
}

run_tests no_such_file directory permission_denied invalid_yaml nothing_pinned \
	running_daemon device_gone readable_config sluicectl_detach
finish

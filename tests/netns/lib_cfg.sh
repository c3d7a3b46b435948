# shellcheck shell=bash
# Config helpers of tests/netns/lib.sh (sourced by it): YAML on stdout.
#
#   cfg_header MODE + cfg_tier NAME MATCH ITEM...: this lab's interface,
#     this run's socket, a 65536-entry client table, then the tiers.
#   cfg_lab MODE NORMAL VIP [VIP_MATCH]: cfg_header and the lab's two
#     usual tiers, normal (every address) and vip (198.18.10.0/24).
#   cfg_top IFACES [SOCKET] [TABLE] [MODE]: the same top for other
#     interface lists, sockets, table sizes (default 4096) and modes.
#   The builder: cfg_new (this lab's defaults), cfg_set KEY VALUE (any
#     top-level key: interfaces, mode, malformed, client_table_size,
#     control_socket, log_level, and later services, metrics: VALUE is
#     YAML, flow style or an indented block), cfg_unset KEY, cfg_add_tier
#     NAME MATCH ITEM... (ITEMs: "{unit: ...}" limits, or "verdict: drop",
#     "key: {...}", "flood_guard: {new_clients: 100/s, burst: 10}"),
#     cfg_print.
#   cfg_install FILE CMD...: CMD's output replaces FILE by rename (the
#     file watcher sees it).  cfg_unwatched: CFG_LINK (the path to give
#     sluiced) and CFG_REAL (its target, outside the watched directory):
#     written in place, the watcher never sees a change, so only SIGHUP or
#     sluicectl reload applies it.
#   yaml_at FILE TEXT: "LINE:COL" of TEXT, for whole error messages.
#   cfg_hash FILE (sluicectl config check -j), running_hash, wait_applied
#     FILE [SECONDS]: until sluiced runs FILE.  cfg_example: the shipped
#     examples/sluice.yaml pointed at this lab.
#   Limits: ANY (the catch-all match), REQ_1_5 and REQ_10_20 (the normal
#     and VIP limits of examples/sluice.yaml), REQ_SLOW (1/h, burst 5: no
#     token comes back during a test, so every count is exact).


# Where an error message points: sluiced's FILE:LINE:COL are 1-based and
# name the offending value.
yaml_at() {	# FILE TEXT: "LINE:COL" of TEXT's first occurrence
	awk -v t="$2" 'index($0, t) { print NR ":" index($0, t); exit }' "$1"
}

# The top of a test config: the lab's interface, this run's socket, no
# metrics listener (two daemons may share a namespace; test_metrics.sh
# sets its own), a client table small enough to load quickly, the mode;
# tiers follow (cfg_tier).
cfg_header() {	# MODE
	cat <<EOF
interfaces:
  - $LAB_GW_IF
control_socket: $SOCK
metrics: {listen: off}
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

# The lab's two usual tiers: normal (every address) and vip.
cfg_lab() {	# MODE NORMAL_LIMIT VIP_LIMIT [VIP_MATCH]
	cfg_header "$1"
	cfg_tier normal "$ANY" "$2"
	cfg_tier vip "${4:-198.18.10.0/24}" "$3"
}

# Like cfg_header, for other interface lists, sockets, tables and modes.
cfg_top() {	# IFACES [SOCKET] [TABLE] [MODE]
	cat <<EOT
interfaces: [$1]
control_socket: ${2:-$SOCK}
metrics: {listen: off}
client_table_size: ${3:-4096}
log_level: debug
mode: ${4:-enforce}
tiers:
EOT
}

# The builder: top-level keys in the order first set, then the tiers.
cfg_new() {
	CFG_KEYS=() CFG_TIERS=
	declare -gA CFG_VAL=()
	cfg_set interfaces "[$LAB_GW_IF]"
	cfg_set control_socket "$SOCK"
	cfg_set metrics "{listen: off}"
	cfg_set client_table_size 65536
	cfg_set log_level debug
	cfg_set mode enforce
}

cfg_set() {	# KEY VALUE: VALUE is YAML (scalar, flow, or an indented block)
	[[ -n ${CFG_VAL[$1]+set} ]] || CFG_KEYS+=("$1")
	CFG_VAL[$1]=$2
}

cfg_unset() { unset "CFG_VAL[$1]"; }	# KEY: leave the key out

cfg_add_tier() { CFG_TIERS+=$(cfg_tier "$@")$'\n'; }	# as cfg_tier

cfg_print() {
	local k v
	for k in "${CFG_KEYS[@]}"; do
		[[ -n ${CFG_VAL[$k]+set} ]] || continue
		v=${CFG_VAL[$k]}
		if [[ $v == $'\n'* ]]; then printf '%s:%s\n' "$k" "$v"
		else printf '%s: %s\n' "$k" "$v"; fi
	done
	[[ -z $CFG_TIERS ]] || printf 'tiers:\n%s' "$CFG_TIERS"
}

cfg_install() {	# FILE CMD...: CMD's output replaces FILE in one rename
	local f=$1
	shift
	"$@" >"$f.new" && mv "$f.new" "$f"
}

# A config path whose changes the file watcher cannot see: sluiced
# watches the directory of the path it is given, and CFG_LINK there is
# a symlink to CFG_REAL in another directory, written in place.
cfg_unwatched() {
	mkdir -p "$T_DIR/conf" "$T_DIR/store"
	CFG_LINK=$T_DIR/conf/sluice.yaml CFG_REAL=$T_DIR/store/sluice.yaml
	: >"$CFG_REAL"
	ln -sfn "$CFG_REAL" "$CFG_LINK"
}

cfg_hash() { "$SLUICECTL" -j config check "$1" | jq -er .hash; }	# FILE
running_hash() { status_json | jq -er .config.hash; }
config_applied() { [[ $(running_hash) == "$1" ]]; }	# HASH

wait_applied() {	# FILE [SECONDS]: until sluiced runs FILE's contents
	local h
	h=$(cfg_hash "$1") || { t_fail "wait_applied: $1 does not pass config check"; return 1; }
	wait_for "${2:-5}" config_applied "$h"
}

# Shorthands: the catch-all match, and the normal and VIP limits of
# examples/sluice.yaml (action http: a refused request is answered with a
# RST for now, so curl fails at once; a test about drop says action: drop).
# shellcheck disable=SC2034 # for the scripts that source this
{
	ANY='0.0.0.0/0, "::/0"'
	REQ_1_5='{unit: requests, rate: 1/s, burst: 5, action: http}'
	REQ_10_20='{unit: requests, rate: 10/s, burst: 20, action: http}'
	# 1/h: no token comes back during a test, so every count is exact.
	REQ_SLOW='{unit: requests, rate: 1/h, burst: 5, action: http}'
}

cfg_example() {	# the shipped examples/sluice.yaml, pointed at this lab
	sed -e "s|^\(  - \)gw0\$|\1$LAB_GW_IF|" \
	    -e "s|^control_socket:.*|control_socket: $SOCK|" \
	    -e "s|^  listen: .*|  listen: off|" \
	    -e "s|^client_table_size:.*|client_table_size: 65536|" \
	    "$NETNS_TOP/examples/sluice.yaml"
}


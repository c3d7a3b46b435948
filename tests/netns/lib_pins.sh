# shellcheck shell=bash
# State on the gateway, read as the kernel holds it (sourced by lib.sh;
# see its top): the XDP program on an interface, sluiced's pins under
# $PIN_ROOT/<if>, and the per-interface counters, events and client
# table read from those pins with bpftool (sluicectl sums interfaces).
#
#   xdp_id_of IF, xdp_mode_of IF (native, generic or nothing), pins_of IF
#   assert_untouched WHAT IF: no pins and no XDP program on IF
#   abi_enum ENUM MEMBER, abi_define NAME: values from include/sluice_abi.h
#   tier_id TIER (from sluicectl tiers); pinned_count IF TIER_ID REASON,
#   pinned_event IF EVENT (client_new, client_full, ...): summed over
#   every CPU; pinned_clients IF; possible_cpus IF; pinned_tier_names IF
#   and pinned_svc_names IF ("ID NAME" per id in use), pinned_svc_id IF
#   NAME, pinned_svc_stat IF ID FIELD (sl_svc_stats over every CPU); pinned_map_id IF MAP,
#   pinned_value_size IF MAP; tcx_prog_of IF ingress|egress (the program
#   on a TCX hook), tcx_link_detach LINK_ID (as another tool would).
# Every reader prints nothing and fails when the pin, the key or the
# name is missing, so a misspelled name cannot pass as 0.

ABI_H=$NETNS_TOP/include/sluice_abi.h

# ---- XDP and pins ------------------------------------------------------------

xdp_id_of() {	# IFNAME: id of the XDP program on it (gateway netns), or nothing
	on gw ip -j -d link show "$1" 2>/dev/null |
		jq -r '.[0].xdp.prog.id // .[0].xdp.progs[0].id // empty'
}

xdp_mode_of() {	# IFNAME: native, generic or nothing, as the kernel reports it
	on gw ip -j -d link show "$1" 2>/dev/null |
		jq -r '{"1": "native", "2": "generic", "3": "offload"}[(.[0].xdp.mode // 0) | tostring] // empty'
}

pins_of() {	# IFNAME: the pin files sluiced left for it (none: nothing)
	find "$PIN_ROOT/$1" -mindepth 1 -printf '%f\n' 2>/dev/null | sort | paste -sd' '
}

# Nothing of sluice's on IFNAME: no pins, no XDP program attached.
assert_untouched() {	# WHAT IFNAME
	local p x
	p=$(pins_of "$2") x=$(xdp_id_of "$2")
	if [[ -z $p ]]; then t_pass "$1: no pins under $PIN_ROOT/$2"
	else t_fail "$1: pins under $PIN_ROOT/$2: $p"; fi
	if [[ -z $x ]]; then t_pass "$1: no XDP program on $2"
	else t_fail "$1: XDP program $x on $2"; fi
}

pinned_map_id() {	# IFNAME MAP
	bpftool -j map show pinned "$PIN_ROOT/$1/$2" 2>/dev/null | jq -er .id
}

pinned_value_size() {	# IFNAME MAP
	bpftool -j map show pinned "$PIN_ROOT/$1/$2" 2>/dev/null | jq -er .bytes_value
}

# ---- TCX links -----------------------------------------------------------------

# The programs the kernel runs at IFINDEX's TCX hook, asked of the device
# itself (BPF_PROG_QUERY in the caller's network namespace; link ids are
# global and the same ifindex exists in every namespace, so walking
# every TCX link would see other namespaces' programs too).
TCX_PY='import ctypes, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
NR_BPF, PROG_QUERY = 321, 16
hook = {"ingress": 46, "egress": 47}[sys.argv[2]]
ids = (ctypes.c_uint32 * 64)()
attr = ctypes.create_string_buffer(struct.pack("<IIIIQI", int(sys.argv[1]), hook,
    0, 0, ctypes.addressof(ids), 64), 120)
if libc.syscall(NR_BPF, PROG_QUERY, attr, 120):
    sys.exit(0)	# no such device or nothing attached
for i in range(struct.unpack_from("<I", attr.raw, 24)[0]):
    print(ids[i])'

tcx_prog_of() {	# IFNAME ingress|egress: program id, or nothing
	local ifindex
	ifindex=$(on gw ip -j link show "$1" 2>/dev/null | jq -r ".[0].ifindex // empty")
	[[ -n $ifindex ]] || return 0
	on gw python3 -c "$TCX_PY" "$ifindex" "$2" 2>>"$T_DIR/tcx.err" | head -1
}

tcx_link_detach() {	# LINK_ID: detach it by id, as another tool would
	on gw python3 -c "import ctypes, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 64)
    return libc.syscall(321, cmd, buf, 64)
fd = bpf(30, struct.pack('<III', int(sys.argv[1]), 0, 0))	# LINK_GET_FD_BY_ID
sys.exit(1 if fd < 0 or bpf(34, struct.pack('<I', fd)) else 0)	# LINK_DETACH" "$1"
}

# ---- the ABI -----------------------------------------------------------------

abi_enum() {	# ENUM MEMBER: the value of MEMBER in include/sluice_abi.h
	awk -v e="enum $1 {" -v m="$2" '
		index($0, e) == 1 { on = 1; v = 0; next }
		on && /^}/ { exit }
		on && $1 ~ /^SL_/ {
			name = $1; sub(/[,=].*/, "", name)
			if ($2 == "=") { v = $3; sub(/,.*/, "", v); v += 0 }
			if (name == m) { print v; found = 1; exit }
			v++
		}
		END { if (!found) exit 1 }' "$ABI_H"
}

abi_define() {	# NAME: the value of `#define NAME N` in include/sluice_abi.h
	awk -v m="$1" '$1 == "#define" && $2 == m { print $3 + 0; found = 1; exit }
		END { if (!found) exit 1 }' "$ABI_H"
}

le32() {	# N: the four bytes of N, little endian, as bpftool takes a key
	printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}

# ---- counters, events, clients -----------------------------------------------

tier_id() {	# TIER: its id, from sluicectl tiers
	tiers_json | jq -er --arg t "$1" '.tiers[] | select(.name == $t) | .id'
}

# Counters of one interface, read from its pins (sluicectl sums them).
pinned_count() {	# IFNAME TIER_ID REASON_NAME: packets over every CPU
	local r n
	r=$(abi_enum sl_reason "SL_R_${3^^}") || return 1
	n=$(abi_define SL_REASON_SLOTS) || return 1
	# shellcheck disable=SC2046
	bpftool -j map lookup pinned "$PIN_ROOT/$1/sl_counters" key $(le32 $(($2 * n + r))) |
		jq -e '[.formatted.values[].value.packets] | add'
}

pinned_event() {	# IFNAME EVENT_NAME (client_new, client_full, ...): over every CPU
	local e
	e=$(abi_enum sl_event "SL_EV_${2^^}") || return 1
	# shellcheck disable=SC2046
	bpftool -j map lookup pinned "$PIN_ROOT/$1/sl_evcount" key $(le32 "$e") |
		jq -e '[.formatted.values[].value] | add'
}

pinned_clients() {	# IFNAME: entries in its client table
	bpftool -j map dump pinned "$PIN_ROOT/$1/sl_clients" | jq -e length
}

possible_cpus() {	# IFNAME: CPUs, as the kernel's per-CPU maps count them
	bpftool -j map lookup pinned "$PIN_ROOT/$1/sl_evcount" key 0 0 0 0 |
		jq -e '.formatted.values | length'
}

# sl_tier_names and sl_svc_names have no BTF (sluiced makes them):
# decode their bytes.
pinned_tier_names() { pinned_names "$1" sl_tier_names; }	# IFNAME: "ID NAME" per tier id in use
pinned_svc_names() { pinned_names "$1" sl_svc_names; }	# IFNAME: "ID NAME" per service id in use

pinned_svc_id() {	# IFNAME SERVICE: its id, as pinned
	pinned_svc_names "$1" | awk -v n="$2" '$2 == n { print $1; f = 1 } END { exit !f }'
}

# One field of sl_svc_stats[ID] summed over every CPU: FIELD is a jq path
# into the value (requests, no_response, responses[5], lat[3], ...).
pinned_svc_stat() {	# IFNAME ID FIELD
	# shellcheck disable=SC2046
	bpftool -j map lookup pinned "$PIN_ROOT/$1/sl_svc_stats" key $(le32 "$2") |
		jq -e "[.formatted.values[].value.$3] | add"
}

pinned_names() {	# IFNAME MAP: "ID NAME" for every id in use
	bpftool -j map dump pinned "$PIN_ROOT/$1/$2" | jq -r '
		def byte: ltrimstr("0x") | explode |
			reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));
		.[] | select(.value[0] != "0x00") |
		"\(.key | map(byte) | .[0] + 256 * .[1]) \(.value | map(byte) | until(.[-1] != 0; .[:-1]) | implode)"'
}

# shellcheck shell=bash
# The lab's shape, sourced by tools/lab, tools/demo.sh and tests/netns/lib.sh.
#
#   client hosts (one netns each)          switch netns        gateway netns
#   normal  eth0 ──── p-normal ─┐
#   vip     eth0 ──── p-vip ────┤
#   partner eth0 ──── p-partner ┼── br0 ── p-gw ──── gw0  (XDP, nginx :80)
#   abuser  eth0 ──── p-abuser ─┤
#   monitor eth0 ──── p-monitor ┘
#
# Every client reaches the gateway through the bridge, so the XDP program
# sees all of them arriving on the one interface the config names.
# Only 198.18.0.0/15 and 2001:2::/48 are used.

LAB_PREFIX=${LAB_PREFIX:-sl}
LAB_GW_IF=${LAB_GW_IF:-gw0}
LAB_RUN=${LAB_RUN:-/run/sluice-lab/$LAB_PREFIX}

LAB_GW4=198.18.0.1
LAB_GW6=2001:2::1
LAB_LEN4=15
LAB_LEN6=48

LAB_CLIENTS=(normal vip partner abuser monitor)

# Each client gets hosts .10-.29 of every /24 it lists and ::10-::29 of
# every /64; the first of each family is its primary address.  abuser's
# 198.18.2.0/24 is a default-tier ("normal") range, normal's second /64
# is for the IPv6 key-sharing test.
declare -A LAB_NETS=(
	[normal]="198.18.1 2001:2:0:1 2001:2:0:2"
	[vip]="198.18.10 2001:2:0:10"
	[partner]="198.18.20 2001:2:0:20"
	[abuser]="198.18.66 198.18.2 2001:2:0:66"
	[monitor]="198.18.99 2001:2:0:99"
)
LAB_HOST_FIRST=10
LAB_HOST_LAST=29

lab_ns() {	# HOST -> namespace name
	printf '%s-%s\n' "$LAB_PREFIX" "$1"
}

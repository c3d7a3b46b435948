#!/bin/bash
# make demo: bring up the namespace lab, run sluiced with
# examples/sluice.yaml on the gateway, send traffic from a normal, a VIP,
# a partner, an abusive and a monitoring client, and show what each sent,
# what got through and what sluiced counted.  Everything is torn down on
# exit, pass or fail.  Needs root; `make demo` builds first.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
SLUICED=$BUILD/sluiced
SLUICECTL=$BUILD/sluicectl
LAB=$TOP/tools/lab
CONFIG=$TOP/examples/sluice.yaml
# shellcheck source=lab.d/lib.sh
. "$TOP/tools/lab.d/lib.sh"

die() {
	echo "demo: $*" >&2
	exit 1
}

[[ $(id -u) == 0 ]] || die "needs root (network namespaces, XDP)"
[[ -x $SLUICED && -x $SLUICECTL ]] || die "$SLUICED and $SLUICECTL not built (make)"

TMP=$(mktemp -d /tmp/sluice-demo.XXXXXX)
SOCK=$TMP/sluiced.sock
DAEMON_LOG=$TMP/sluiced.log
lab_made=0

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	daemon_stop
	((lab_made)) && "$LAB" down
	if ((rc)) && [[ -s $DAEMON_LOG ]]; then
		echo "demo: failed; sluiced's log:" >&2
		tail -20 "$DAEMON_LOG" | sed 's/^/   /' >&2
	fi
	rm -rf "$TMP"
	echo "demo: lab and sluiced torn down"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '\n== %s\n' "$*"; }

step "lab: namespaces, a bridge, nginx on the gateway"
lab_made=1
"$LAB" up
"$LAB" status | sed 's/^/   /'

step "sluiced: $(basename "$CONFIG") on $LAB_GW_IF"
# The shipped config as is, but with a private control socket.
sed "s|^control_socket:.*|control_socket: $SOCK|" "$CONFIG" >"$TMP/sluice.yaml"
daemon_start "$TMP/sluice.yaml" || die "sluiced did not start"
ctl -j status | jq -r '(.data // .) | "   sluiced \(.version) pid \(.pid), mode \(.mode); " +
	([.interfaces[] | "\(.name): \(.attach) XDP, program \(.prog_id)"] | join(", "))'
ctl tiers | sed 's/^/   /'

# client host, source address, requests, what it is
traffic=(
	"normal  198.18.1.10  20  a normal client"
	"vip     198.18.10.10 20  a VIP customer"
	"partner 198.18.20.10 20  a partner"
	"abuser  198.18.66.10 20  an abuser in the blocked range"
	"abuser  198.18.2.10  200 the abuser from a normal address"
	"monitor 198.18.99.10 20  a monitoring probe"
)
reasons=(passed http dropped reset denylisted allowlisted)

step "traffic: back-to-back requests at once, a new connection each (curl --parallel, 1 s timeout)"
rows=()
for t in "${traffic[@]}"; do
	read -r host src n what <<<"$t"
	printf '   %-36s %3d requests from %s\n' "$what" "$n" "$src"
	tier=$(client_json "$src" | jq -r .tier)
	before=$(tiers_json)
	read -r got lim _ _ < <(http_burst_codes "$src" "$n" 1)
	after=$(tiers_json)
	counted=
	for r in "${reasons[@]}"; do
		d=$(count_delta "$before" "$after" "$tier" "$r")
		if ((d)); then counted+="${counted:+, }$r $d"; fi
	done
	rows+=("$host|$src|$tier|$n|$got|$lim|${counted:-nothing}")
done

step "what each client saw, and what sluiced counted for it"
{
	echo "CLIENT|ADDRESS|TIER|SENT|HTTP 200|HTTP 429|SLUICED COUNTED (packets)"
	printf '%s\n' "${rows[@]}"
} | column -t -s '|' | sed 's/^/   /'
cat <<'EOF'

   passed: requests a meter admitted.  http: requests a meter refused,
   answered by sluice itself with a 429 (Retry-After, RateLimit) before
   nginx saw them, nginx's side of the connection reset at once; each
   client gets exactly its burst.  denylisted and allowlisted count
   every packet of the client (a denylisted one gets no answer at all).
EOF

step "a refused request as the client sees it: 198.18.1.11 spends its burst of 5, then curl -i"
on normal bash -c 'for i in 1 2 3 4 5; do curl -s -o /dev/null --max-time 2 --interface 198.18.1.11 "$1"; done
	curl -si --max-time 2 --interface 198.18.1.11 "$1"' _ "http://$LAB_GW4/" |
	tr -d '\r' | sed 's/^/   /'
echo

step "sluicectl tiers"
ctl tiers | sed 's/^/   /'

step "the metrics endpoint (curl http://127.0.0.1:9469/metrics on the gateway)"
on gw curl -s --max-time 3 http://127.0.0.1:9469/metrics |
	grep -E '^sluice_packets_total\{.*reason="(passed|http|reset|denylisted|allowlisted)"\} [1-9]' |
	sed 's/^/   /' || echo "   (nothing counted yet: it renders once a second)"

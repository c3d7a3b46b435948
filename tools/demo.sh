#!/bin/bash
# make demo: bring up the namespace lab, run sluiced with
# examples/sluice.yaml on the gateway, send traffic from a normal, a VIP,
# a partner, an abusive and a monitoring client, and show what each sent,
# what got through and what sluiced counted.  Act two reloads it with
# services: a backend behind nginx fails, its breaker opens (the fallback
# from the edge), it recovers, the probes close it; then a manual degrade
# level sheds the optional service.  Everything is torn down on exit,
# pass or fail.  Needs root; `make demo` builds first.
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
	flip_backend_down
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

# ---- act two: a breaker and a degrade level ---------------------------------

FLIP_STATUS=$TMP/flip.status
FLIP_LOG=$TMP/flip.log
C2=198.18.10.11		# a VIP address (10/s, bursts of 20): no 429s here
brk_rows=()

# N requests to PATH from C2, one after another, a new connection each;
# one line per answer: "CODE WHO", WHO being the backend (it names itself
# in X-Backend), nginx (nginx's own answer) or the edge (sluice's answer).
shots() {	# PATH N
	local urls=() i
	for ((i = 1; i <= $2; i++)); do urls+=(-o /dev/null "http://$LAB_GW4$1?n=$i"); done
	on vip curl -s -m 2 --interface "$C2" -H 'Connection: close' \
		-w '%{http_code} %header{x-backend}|%header{server}\n' "${urls[@]}" |
		awk -F'[ |]' '{ print $1, $2 != "" ? "the backend" : $3 ~ /nginx/ ? "nginx" : "the edge" }' || true
}

# "3x 500 from the backend, 2x 200 from the edge" (in order of first answer).
seen() { awk '{ w = $0; sub(/^[^ ]* /, "", w); k = $1 " from " w; if (!(k in n)) o[++m] = k; n[k]++ }
	END { for (i = 1; i <= m; i++) printf "%s%dx %s", (i > 1 ? ", " : ""), n[o[i]], o[i]; print "" }'; }

backend_log() { wc -l <"$FLIP_LOG"; }
brk_state() { ctl -j breaker | jq -r '(.data // .).breakers[] | select(.service == "orders") | .state'; }
state_is() { [[ $(brk_state) == "$1" ]]; }

# One step of act two: N requests to PATH, what the clients got and how
# many reached the backend's log, next to sluicectl breaker (once it
# shows STATE: the daemon's tick follows a trip in the data path).
brk_step() {	# TITLE PATH N STATE
	local before got
	before=$(backend_log)
	got=$(shots "$2" "$3" | seen)
	wait_for 3 state_is "$4" || die "the breaker is not $4 after: $got"
	printf '   clients: %s\n   the backend logged %d of them\n' "$got" $(($(backend_log) - before))
	ctl breaker | sed 's/^/   /'
	brk_rows+=("$1|$3 x $2|$got|$(($(backend_log) - before))|$(brk_state)")
}

step "act two: the orders service behind nginx, with a breaker (sluicectl reload)"
flip_backend_up 8090 "$FLIP_STATUS" "$FLIP_LOG" /orders || die "the flip backend did not come up"
cat >>"$TMP/sluice.yaml" <<'YAML'
services:
  - name: orders
    port: 80
    paths: [/orders]
    priority: core
    breaker: {window: 5s, min_requests: 10, consecutive_failures: 3, open: 2s, jitter: 0, half_open_probes: 2, close_after: 2}
    on_open: fallback
    fallback: {status: 200, content_type: application/json, body: '{"status":"degraded","data":[]}'}
  - {name: recommendations, port: 80, paths: [/api/], priority: optional}
  - {name: web, port: 80}
YAML
sed -n '/^services:/,$p' "$TMP/sluice.yaml" | sed 's/^/   /'
ctl reload >/dev/null || die "sluicectl reload refused the services"
echo "   /orders goes to a backend the demo switches between 200 and 500 (tools/lab.d/flip_backend.py)"

step "the backend is healthy: 3 requests to /orders from $C2"
brk_step healthy /orders 3 closed

step "the backend fails (500s): 6 requests; the 3rd 500 in a row opens the breaker in the data path"
echo 500 >"$FLIP_STATUS"
brk_step "backend fails" /orders 6 open
grep -o 'breaker orders: closed -> open.*' "$DAEMON_LOG" | sed 's/^/   sluiced: /' || true

step "while open: the fallback from the edge (curl -i), then 6 more; the backend's log stays quiet"
on vip curl -si -m 2 --interface "$C2" "http://$LAB_GW4/orders/1" | tr -d '\r' | sed 's/^/   /'
echo
brk_step open /orders 6 open

step "the backend recovers (200s); after 2 s the breaker lets 2 probes through"
echo 200 >"$FLIP_STATUS"
wait_for 5 state_is half_open || die "the breaker did not go half_open"
brk_step "half_open: probes" /orders 2 closed

step "closed: traffic reaches the backend again"
brk_step closed /orders 3 closed
grep -o 'breaker orders: .*' "$DAEMON_LOG" | sed 's/^/   sluiced: /' || true

step "the breaker, step by step"
{
	echo "STEP|SENT|WHAT THE CLIENTS GOT|IN THE BACKEND'S LOG|BREAKER AFTER"
	printf '%s\n' "${brk_rows[@]}"
} | column -t -s '|' | sed 's/^/   /'

step "degrade: sluicectl degrade 1 --reason 'demo drill' sheds the optional service"
ctl degrade 1 --reason 'demo drill' | sed 's/^/   /'
for p in /api/recommendations /orders/2 /; do
	printf '   %-22s %s\n' "$p:" "$(shots "$p" 2 | seen)"
done
echo "   a shed request as the client sees it:"
on vip curl -si -m 2 --interface "$C2" "http://$LAB_GW4/api/recommendations" |
	tr -d '\r' | sed 's/^/   /'
echo

step "sluicectl degrade auto: back to level 0"
ctl degrade auto | sed -n '1p;/^shed/p' | sed 's/^/   /'
printf '   %-22s %s\n' "/api/recommendations:" "$(shots /api/recommendations 2 | seen)"

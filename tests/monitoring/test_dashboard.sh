#!/bin/bash
# The Grafana dashboard: what tools/monitoring/gen-dashboard.py writes
# ("generated"), importable, and every PromQL expression in it parses,
# selects families sluiced exports and returns data
# (tools/monitoring/check-dashboard.sh; its results, and this one, add up
# in the result line).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
dash=tools/monitoring/sluice-dashboard.json
out=$(tools/monitoring/check-dashboard.sh "$dash")
rc=$?
sed '$d' <<<"$out"
((rc == 77)) && { tail -1 <<<"$out"; exit 77; }	# no promtool or jq: skipped
read -r p f s < <(tail -1 <<<"$out" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')
if tools/monitoring/gen-dashboard.py | cmp -s - "$dash"; then
	echo "  ok    generated"; p=$((p + 1))
else
	echo "  FAIL  generated"
	echo "        $dash is not what tools/monitoring/gen-dashboard.py writes: edit the generator, then"
	echo "        tools/monitoring/gen-dashboard.py > $dash"
	f=$((f + 1))
fi
echo "monitoring/dashboard: $p passed, $f failed, $s skipped"
((f == 0))

#!/bin/bash
# The alert rules and the example scrape config, checked with promtool:
#   config    promtool check config tools/monitoring/prometheus.yml
#   rules     promtool check rules tools/monitoring/sluice.rules.yml
#   degrade-rules   the same for sluice-degrade.rules.yml (the alerts that
#             drive degrade levels and breakers through the webhook)
#   alertmanager    amtool check-config tools/monitoring/alertmanager.yml
#   runbook/ALERT   every alert of both files has a summary, a description
#             and a runbook saying what it means, what to check and what
#             to do
#   ALERT/TEST      each test group of tests/monitoring/*.test.yml
#             (promtool test rules, against the rule_files it names:
#             sluice.rules.yml unless it says otherwise), one result per
#             group
# The unit tests compare labels and the summary only: they run against a
# copy of the rules without the description and runbook annotations
# (prose, checked for shape above), each group in a file of its own.
#   TESTS="down flood" tests/monitoring/test_rules.sh   (substrings of names)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
SUITE=monitoring/rules
RULES=tools/monitoring/sluice.rules.yml
DEGRADE_RULES=tools/monitoring/sluice-degrade.rules.yml
pass=0 fail=0 skip=0

if ! command -v promtool >/dev/null; then
	echo "SKIP: promtool not found (make deps: Debian package prometheus)"
	echo "$SUITE: 0 passed, 0 failed, 1 skipped"
	exit 77
fi
# python3 splits the test files into groups; Debian's python3-yaml.
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "SKIP: python3 with yaml not found (make deps: python3-yaml)"
	echo "$SUITE: 0 passed, 0 failed, 1 skipped"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

picked() {	# NAME: selected by $TESTS (substrings), or everything
	local w
	[[ -z ${TESTS:-} ]] && return 0
	for w in $TESTS; do [[ $1 == *"$w"* ]] && return 0; done
	return 1
}

result() {	# NAME RC OUTPUT_FILE
	if (($2 == 0)); then
		printf '  ok    %s\n' "$1"; pass=$((pass + 1))
	else
		printf '  FAIL  %s\n' "$1"; sed 's/^/        /' "$3"; fail=$((fail + 1))
	fi
}

check() {	# NAME COMMAND...: one result from a command's exit status
	local name=$1 rc
	shift
	picked "$name" || return 0
	"$@" >"$tmp/out" 2>&1
	rc=$?
	result "$name" $rc "$tmp/out"
}

check config promtool check config tools/monitoring/prometheus.yml
check rules promtool check rules "$RULES"
check degrade-rules promtool check rules "$DEGRADE_RULES"
if command -v amtool >/dev/null; then
	check alertmanager amtool check-config tools/monitoring/alertmanager.yml
elif picked alertmanager; then
	echo "  skip  alertmanager: amtool not found (make deps: prometheus-alertmanager)"
	skip=$((skip + 1))
fi

# The prose annotations, per alert: present, and a runbook in three parts.
python3 - "$RULES" "$DEGRADE_RULES" >"$tmp/runbooks" <<'PY'
import sys, yaml
for g in [g for f in sys.argv[1:] for g in yaml.safe_load(open(f))["groups"]]:
    for r in g["rules"]:
        if "alert" not in r:
            continue
        a = r.get("annotations", {})
        missing = [k for k in ("summary", "description", "runbook") if not a.get(k)]
        missing += [p for p in ("What it means:", "What to check:", "What to do:")
                    if p not in a.get("runbook", "")]
        print(r["alert"], "|".join(missing) or "-")
PY
while read -r alert missing; do
	picked "runbook/$alert" || continue
	echo "missing: $missing" >"$tmp/out"
	result "runbook/$alert" "$([[ $missing == - ]]; echo $?)" "$tmp/out"
done <"$tmp/runbooks"

# One file per test group, next to copies of the rules without the prose.
python3 - "$tmp" "$RULES" "$DEGRADE_RULES" -- tests/monitoring/*.test.yml >"$tmp/groups" <<'PY'
import os, sys, yaml
args = sys.argv[1:]
out, rules, tests = args[0], args[1:args.index("--")], args[args.index("--") + 1:]
for path in rules:
    doc = yaml.safe_load(open(path))
    for g in doc["groups"]:
        for r in g["rules"]:
            for k in ("description", "runbook"):
                r.get("annotations", {}).pop(k, None)
    yaml.safe_dump(doc, open(os.path.join(out, os.path.basename(path)), "w"))
n = 0
for t in tests:
    spec = yaml.safe_load(open(t))
    base = os.path.basename(t).removesuffix(".test.yml")
    files = [os.path.basename(f) for f in spec.get("rule_files", ["sluice.rules.yml"])]
    for case in spec["tests"]:
        n += 1
        one = dict(spec, rule_files=files, tests=[case])
        path = os.path.join(out, "g%03d.yml" % n)
        yaml.safe_dump(one, open(path, "w"))
        print(path, base + "/" + case.get("name", "test %d" % n))
PY
while read -r file name; do
	picked "$name" || continue
	(cd "$tmp" && promtool test rules "$(basename "$file")") >"$tmp/out" 2>&1
	result "$name" $? "$tmp/out"
done <"$tmp/groups"
if ! [[ -s $tmp/groups ]]; then
	echo "  FAIL  no test groups in tests/monitoring/*.test.yml"; fail=$((fail + 1))
fi

echo "$SUITE: $pass passed, $fail failed, $skip skipped"
((fail == 0))

#!/bin/bash
# tools/bench/plot.py, the charts make bench draws, on the fixtures in
# tests/bench/fixtures/ (small copies of what the bench scripts write):
#   png/NAME        each chart is a PNG, 900 px wide, of a sane height
#                   (flood.json draws three: flood, flood6, flood_mixed)
#   flood/NAME      flood.json's own rules: .family ipv4 or ipv6 (absent:
#                   ipv4, the charts of the absent rows skipped, one line
#                   each), .mixed a share, the file and row named
#   clean           gnuplot said nothing (no warnings) on the fixtures
#   default-out     OUT_DIR defaults to IN_DIR
#   missing         a JSON that is missing is skipped, one line each
#   malformed/NAME  a truncated NAME.json fails naming the file, leaves no
#                   NAME.png, and the other charts are still drawn
#   shape, empty    a wrong field type or an empty file: the file and why
#   gnuplot-fails   a gnuplot that fails halfway leaves no PNG behind
#   no-gnuplot, usage
# Without gnuplot (make deps: gnuplot-nox) the suite is skipped (exit
# 77), which tests/run counts as a failure under CI=true.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
SUITE=bench/plot
PLOT=tools/bench/plot.py
FIX=tests/bench/fixtures
NAMES=(flood loadtest legit testrun accuracy edge)
PNGS=(flood flood6 flood_mixed loadtest legit testrun accuracy edge)
pass=0 fail=0 skip=0

if ! command -v "${GNUPLOT:-gnuplot}" >/dev/null; then
	echo "SKIP: gnuplot not found (make deps: Debian package gnuplot-nox)"
	echo "$SUITE: 0 passed, 0 failed, 1 skipped"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { printf '  ok    %s\n' "$1"; pass=$((pass + 1)); }
bad() {	# NAME WHY [FILE to show]
	printf '  FAIL  %s: %s\n' "$1" "$2"
	[[ -n ${3:-} && -f $3 ]] && sed 's/^/        /' "$3"
	fail=$((fail + 1))
}

# Width and height from the IHDR chunk, after the 8-byte signature.
png_check() {	# FILE: "" when it is a sane PNG, else why not
	local sig w h
	[[ -s $1 ]] || { echo "missing or empty"; return; }
	sig=$(od -An -tx1 -N8 "$1" | tr -d ' \n')
	[[ $sig == 89504e470d0a1a0a ]] || { echo "no PNG signature ($sig)"; return; }
	read -r w h < <(od -An -tu1 -j16 -N8 "$1" | awk '{
		print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4,
		      $5 * 16777216 + $6 * 65536 + $7 * 256 + $8 }')
	((w == 900)) || { echo "width $w, expected 900"; return; }
	((h >= 300 && h <= 1200)) || { echo "height $h, expected 300-1200"; return; }
}

fixtures() {	# DIR [NAME...]: DIR with the fixtures named (default all)
	local n
	mkdir -p "$1"
	local d=$1
	shift
	(($#)) || set -- "${NAMES[@]}"
	for n in "$@"; do cp "$FIX/$n.json" "$d/"; done
}

run() {	# NAME ARGS...: the plotter; rc, stdout and stderr in $tmp/NAME.*
	local n=$1
	shift
	"$PLOT" "$@" >"$tmp/$n.out" 2>"$tmp/$n.err"
	echo $? >"$tmp/$n.rc"
}
rc() { cat "$tmp/$1.rc"; }

# ---- every chart from good input ---------------------------------------
fixtures "$tmp/in"
run all "$tmp/in" "$tmp/out"
if [[ $(rc all) != 0 ]]; then
	bad all "exit $(rc all)" "$tmp/all.err"
fi
for n in "${PNGS[@]}"; do
	why=$(png_check "$tmp/out/$n.png")
	if [[ -z $why ]]; then ok "png/$n"; else bad "png/$n" "$why" "$tmp/all.err"; fi
done
if [[ -s $tmp/all.err ]]; then bad clean "stderr not empty" "$tmp/all.err"
elif (($(grep -c '^plot: wrote ' "$tmp/all.out") != ${#PNGS[@]})); then
	bad clean "expected ${#PNGS[@]} 'plot: wrote' lines" "$tmp/all.out"
else ok clean; fi
if find "$tmp/out" -mindepth 1 ! -name '*.png' | grep -q .; then
	bad leftovers "more than PNGs in OUT_DIR: $(ls -A "$tmp/out" | tr '\n' ' ')"
fi

fixtures "$tmp/same"
run same "$tmp/same"
missing=""
for n in "${PNGS[@]}"; do [[ -z $(png_check "$tmp/same/$n.png") ]] || missing+=" $n"; done
if [[ $(rc same) == 0 && -z $missing ]]; then ok default-out
else bad default-out "exit $(rc same), not drawn in IN_DIR:${missing:- -}" "$tmp/same.err"; fi

# ---- missing input: skipped, one line each -------------------------------
fixtures "$tmp/part" flood loadtest
run part "$tmp/part" "$tmp/part-out"
why=""
[[ $(rc part) == 0 ]] || why+="exit $(rc part); "
for n in legit testrun accuracy edge; do
	(($(grep -c "$tmp/part/$n.json not found: $n.png skipped" "$tmp/part.out") == 1)) ||
		why+="no one skip line for $n.json; "
	[[ ! -e $tmp/part-out/$n.png ]] || why+="$n.png drawn; "
done
(($(grep -c 'skipped' "$tmp/part.out") == 4)) || why+="not 4 skip lines; "
for n in flood loadtest; do
	[[ -z $(png_check "$tmp/part-out/$n.png") ]] || why+="$n.png not drawn; "
done
if [[ -z $why ]]; then ok missing; else bad missing "$why" "$tmp/part.out"; fi

# ---- malformed input: the file named, no PNG, the others drawn -----------
for n in "${NAMES[@]}"; do
	d=$tmp/bad-$n
	fixtures "$d"
	head -c "$(($(stat -c %s "$FIX/$n.json") / 2))" "$FIX/$n.json" >"$d/$n.json"
	run "bad-$n" "$d" "$d/out"
	why=""
	[[ $(rc "bad-$n") == 1 ]] || why+="exit $(rc "bad-$n"), expected 1; "
	grep -q "^plot: $d/$n.json: not valid JSON" "$tmp/bad-$n.err" ||
		why+="no error naming $d/$n.json; "
	for o in "${PNGS[@]}"; do
		if [[ $o == "$n"* ]]; then
			[[ ! -e $d/out/$o.png ]] || why+="$o.png written; "
		else
			[[ -z $(png_check "$d/out/$o.png") ]] || why+="$o.png not drawn; "
		fi
	done
	! find "$d/out" -mindepth 1 ! -name '*.png' | grep -q . || why+="temporary files left; "
	if [[ -z $why ]]; then ok "malformed/$n"; else bad "malformed/$n" "$why" "$tmp/bad-$n.err"; fi
done

fixtures "$tmp/shape" loadtest
jq '.[1].passed_qps = "153.5"' "$FIX/loadtest.json" >"$tmp/shape/loadtest.json"
run shape "$tmp/shape" "$tmp/shape/out"
if [[ $(rc shape) == 1 ]] &&
	grep -qx "plot: $tmp/shape/loadtest.json: row 2: .passed_qps is string, expected number" "$tmp/shape.err" &&
	[[ ! -e $tmp/shape/out/loadtest.png ]]; then ok shape
else bad shape "exit $(rc shape), expected 1 and the file, row and field named" "$tmp/shape.err"; fi

# ---- flood.json: families and mixed rows -----------------------------------
# Rows without .family (flood.sh before IPv6): IPv4, flood.png drawn, the
# other two skipped with one line each.
fixtures "$tmp/v4only" flood
jq 'map(select(.family == "ipv4" and .mixed == null) | del(.family))' \
	"$FIX/flood.json" >"$tmp/v4only/flood.json"
run v4only "$tmp/v4only" "$tmp/v4only/out"
why=""
[[ $(rc v4only) == 0 ]] || why+="exit $(rc v4only); "
[[ -z $(png_check "$tmp/v4only/out/flood.png") ]] || why+="flood.png not drawn; "
for n in flood6 flood_mixed; do
	(($(grep -c "flood.json has no rows for $n.png: skipped" "$tmp/v4only.out") == 1)) ||
		why+="no one skip line for $n.png; "
	[[ ! -e $tmp/v4only/out/$n.png ]] || why+="$n.png drawn; "
done
if [[ -z $why ]]; then ok flood/no-family; else bad flood/no-family "$why" "$tmp/v4only.out"; fi

# Only mixed rows: flood_mixed.png alone.
fixtures "$tmp/mixonly" flood
jq 'map(select(.mixed != null))' "$FIX/flood.json" >"$tmp/mixonly/flood.json"
run mixonly "$tmp/mixonly" "$tmp/mixonly/out"
if [[ $(rc mixonly) == 0 && -z $(png_check "$tmp/mixonly/out/flood_mixed.png") &&
	! -e $tmp/mixonly/out/flood.png && ! -e $tmp/mixonly/out/flood6.png ]]; then
	ok flood/mixed-only
else bad flood/mixed-only "exit $(rc mixonly), expected flood_mixed.png alone" "$tmp/mixonly.err"; fi

# A bad row: the file, row and field named, no flood PNG at all.
flood_bad() {	# NAME JQ-FILTER EXPECTED-MESSAGE
	local d=$tmp/fbad-$1 f
	fixtures "$d" flood
	jq "$2" "$FIX/flood.json" >"$d/flood.json"
	run "fbad-$1" "$d" "$d/out"
	why=""
	[[ $(rc "fbad-$1") == 1 ]] || why+="exit $(rc "fbad-$1"), expected 1; "
	grep -qxF "plot: $d/flood.json: $3" "$tmp/fbad-$1.err" || why+="no '$3'; "
	for f in flood flood6 flood_mixed; do
		[[ ! -e $d/out/$f.png ]] || why+="$f.png written; "
	done
	if [[ -z $why ]]; then ok "flood/$1"; else bad "flood/$1" "$why" "$tmp/fbad-$1.err"; fi
}
flood_bad family '.[2].family = "ipv5"' "row 3: .family is 'ipv5', expected ipv4 or ipv6"
flood_bad family-type '.[4].family = 6' "row 5: .family is number, expected string|missing"
flood_bad mixed-range '(.[-1].mixed) = 1.5' "row 72: .mixed is 1.5, expected a share in (0, 1]"
flood_bad mixed-type '(.[-2].mixed) = "0.5"' "row 71: .mixed is string, expected number|missing"
flood_bad oracle-type '(.[-3].ratio_oracle) = "0.9"' "row 70: .ratio_oracle is string, expected number|null|missing"

fixtures "$tmp/empty" legit
: >"$tmp/empty/legit.json"
run empty "$tmp/empty" "$tmp/empty/out"
if [[ $(rc empty) == 1 ]] && grep -qx "plot: $tmp/empty/legit.json: empty file" "$tmp/empty.err" &&
	[[ ! -e $tmp/empty/out/legit.png ]]; then ok empty
else bad empty "exit $(rc empty), expected 1 and 'empty file' for legit.json" "$tmp/empty.err"; fi

# ---- gnuplot itself failing after half an image --------------------------
cat >"$tmp/fake-gnuplot" <<'EOF'
#!/bin/sh
out=$(sed -n 's/^set output "\(.*\)"$/\1/p' "$1")
printf '\211PNG\r\n\032\n' >"$out"
echo "fake gnuplot: failing on purpose" >&2
exit 1
EOF
chmod +x "$tmp/fake-gnuplot"
fixtures "$tmp/gpfail" testrun
GNUPLOT=$tmp/fake-gnuplot run gpfail "$tmp/gpfail" "$tmp/gpfail/out"
if [[ $(rc gpfail) == 1 ]] && grep -q "failing on purpose" "$tmp/gpfail.err" &&
	! find "$tmp/gpfail/out" -mindepth 1 | grep -q .; then ok gnuplot-fails
else bad gnuplot-fails "exit $(rc gpfail), expected 1 and an empty OUT_DIR: $(ls -A "$tmp/gpfail/out")" "$tmp/gpfail.err"; fi

GNUPLOT=$tmp/no-such-gnuplot run nogp "$tmp/in" "$tmp/nogp"
if [[ $(rc nogp) == 1 ]] && grep -q "gnuplot-nox" "$tmp/nogp.err" && [[ ! -e $tmp/nogp ]]; then
	ok no-gnuplot
else bad no-gnuplot "exit $(rc nogp), expected 1 and a hint to install gnuplot-nox" "$tmp/nogp.err"; fi

run usage a b c
if [[ $(rc usage) == 2 ]] && grep -q '^usage:' "$tmp/usage.err"; then ok usage
else bad usage "exit $(rc usage), expected 2 and a usage line" "$tmp/usage.err"; fi

echo "$SUITE: $pass passed, $fail failed, $skip skipped"
((fail == 0))

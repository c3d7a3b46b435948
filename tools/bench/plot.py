#!/usr/bin/env python3
"""Draw make bench's results as PNG charts, 900 px wide.

  tools/bench/plot.py [IN_DIR] [OUT_DIR]   (defaults build/bench build/bench)

  flood.json     flood.png     IPv4: Mpps per scenario and source count, each
                               bar labelled with its ratio to the ceiling
                 flood6.png    the same for IPv6 (one source per /64)
                 flood_mixed.png  the mixed floods: Mpps per scenario, family
                               and admitted share, labelled with the ratio to
                               the oracle
                               (rows without .family are IPv4; a PNG whose
                               rows are absent is skipped, one line each)
  loadtest.json  loadtest.png  offered vs passed requests/s, and the limit
  legit.json     legit.png     the legitimate client's latency per setup,
                               without and with the flood
  testrun.json   testrun.png   BPF_PROG_TEST_RUN ns per packet
  accuracy.json  accuracy.png  error of the passed rate, per clock
  edge.json      edge.png      over-limit requests answered by sluice at the
                               edge and by nginx limit_req: rejected/s, and
                               CPU seconds per 10,000 rejections

Python's standard library reads the JSON and writes a gnuplot script with
the data inline; gnuplot (Debian's gnuplot-nox, pngcairo terminal) draws
it.  A JSON that is missing is skipped, with one line saying so.  One
that does not parse, or lacks what its chart needs, is an error naming
the file and the field, and leaves no PNG: each chart is drawn to a
temporary file and renamed into place.  The other charts are still drawn.
GNUPLOT names the gnuplot binary (default gnuplot).
Exit: 0 every chart present was drawn, 1 one failed, 2 usage.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

CAVEAT = ("generator and receiver share this machine's CPUs: "
          "compare ratios within a run, not absolute figures")
WIDTH = 900


class BadInput(Exception):
    pass


def load(path, spec):
    """The rows of PATH: a non-empty list of objects whose fields have
    the types in SPEC ({"field": "number|null|missing"}); BadInput otherwise."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if not text.strip():
            raise BadInput("empty file")
        rows = json.loads(text)
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"cannot read it: {e}")
    except json.JSONDecodeError as e:
        raise BadInput(f"not valid JSON: {e}")
    if not isinstance(rows, list):
        raise BadInput(f"expected a list of rows, found {jtype(rows)}")
    if not rows:
        raise BadInput("no rows")
    for i, r in enumerate(rows, 1):
        if not isinstance(r, dict):
            raise BadInput(f"row {i}: expected an object, found {jtype(r)}")
        for key, want in spec.items():
            t = jtype(r[key]) if key in r else "missing"
            if t not in want.split("|"):
                raise BadInput(f"row {i}: .{key} is {t}, expected {want}")
    return rows


def jtype(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number" if math.isfinite(v) else "non-finite number"
    return {str: "string", list: "array", dict: "object"}.get(type(v), "?")


def q(s):
    """A gnuplot double-quoted string, shown as is (noenhanced)."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def qe(s):
    """The same for enhanced text: its markup characters escaped."""
    s = str(s).replace("\\", "\\\\\\\\").replace('"', '\\"')
    for ch in "_^@&~{}":
        s = s.replace(ch, "\\\\" + ch)
    return '"' + s + '"'


def commas(n):
    return f"{int(n):,}"


def num(v, nd=2):
    """A figure as the tables print it: at most ND decimals, no zeros."""
    s = f"{v:.{nd}f}".rstrip("0").rstrip(".")
    return s.replace("-", "−") if s not in ("-0", "") else "0"


def block(name, lines):
    """An inline gnuplot datablock, tab-separated."""
    return f"${name} << EOD\n" + "".join(
        "\t".join(str(c) for c in ln) + "\n" for ln in lines) + "EOD\n"


def preamble(height, title, subtitle):
    sub = "".join("\\n{/=9 " + qe(s)[1:-1] + "}" for s in subtitle)
    return f"""set terminal pngcairo size {WIDTH},{height} font "DejaVu Sans,10" enhanced
set encoding utf8
set title "{{/:Bold=12 {qe(title)[1:-1]}}}{sub}"
set datafile separator "\\t"
set border 3
set tics nomirror
set grid ytics lc rgb "#dddddd"
set key noenhanced reverse Left
set style fill solid 0.9 border rgb "#555555"
"""


def tics(labels):
    """Short names as x tics (a tic label is a format: % doubled)."""
    return "set xtics (" + ", ".join(
        f"{q(l.replace('%', '%%'))} {x}" for x, l in labels) + ") scale 0\n"


def xtics(labels):
    """Longer names under the x axis, one to three lines each: labels,
    not tics, which gnuplot cuts at 50 characters."""
    lines = max(l.count("\n") + 1 for _, l in labels)
    return "unset xtics\n" + "".join(
        f"set label {q(l).replace(chr(10), chr(92) + 'n')} at first {x}, graph 0 "
        "center offset 0,-1 font \",9\" noenhanced\n" for x, l in labels) + \
        f"set bmargin {lines + 1.5}\n"


# ---- flood.json: Mpps per scenario, clustered by source count -----------

FLOOD = {  # scenario: legend, colour; in the order flood.sh runs them
    "xdp_drop": ("XDP_DROP (ceiling)", "#8c8c8c"),
    "oracle": ("oracle (stateless: passes exactly the admitted sources)", "#8c8c8c"),
    "sluice": ("sluice (flood guard, coarse clock)", "#08519c"),
    "sluice_default": ("sluice, default config (default guard, automatic clock)", "#756bb1"),
    "sluice_notop": ("sluice without top-talker samples", "#3f007d"),
    "sluice_plain": ("sluice, no guard, precise clock", "#4292c6"),
    "sluice_coarse": ("sluice, coarse clock only", "#6baed6"),
    "sluice_guard": ("sluice, flood guard only", "#2171b5"),
    "sluice_pass": ("sluice_pass (all under the limit)", "#9ecae1"),
    "iptables": ("iptables hashlimit", "#e6550d"),
    "nft": ("nft dynamic set", "#a63603"),
}
FAMILIES = {"ipv4": "IPv4", "ipv6": "IPv6"}


def flood_check(rows):
    """flood.json's own rules, past the field types: .family ipv4 or
    ipv6 (IPv4 when absent), .mixed a share in (0, 1]."""
    for i, r in enumerate(rows, 1):
        r.setdefault("family", "ipv4")
        if r["family"] not in FAMILIES:
            raise BadInput(f"row {i}: .family is '{r['family']}', expected ipv4 or ipv6")
        if "mixed" in r and not 0 < r["mixed"] <= 1:
            raise BadInput(f"row {i}: .mixed is {r['mixed']}, expected a share in (0, 1]")


def bars(rows, groups, key, label, title, subtitle, tic):
    """Clustered bars: one cluster per group (key(row) in GROUPS), one bar
    per scenario, LABEL(row) on each."""
    seen = list(dict.fromkeys(r["scenario"] for r in rows))
    order = [s for s in FLOOD if s in seen] + [s for s in seen if s not in FLOOD]
    k = len(order)
    w = 0.84 / k
    s = preamble(560, title, subtitle)
    labels = []
    plots = []
    for j, sc in enumerate(order):
        pts = []
        for r in rows:
            if r["scenario"] != sc:
                continue
            x = groups.index(key(r)) + (j - (k - 1) / 2) * w
            pts.append((f"{x:.4f}", r["mpps"]))
            labels.append((f"{x:.4f}", r["mpps"], label(r)))
        s += block(f"F{j}", pts)
        name, colour = FLOOD.get(sc, (sc, "#31a354"))
        plots.append(f"$F{j} using 1:2 with boxes lc rgb {q(colour)} title {q(name)}")
    s += block("L", labels)
    ymax = max(r["mpps"] for r in rows)
    rot = "rotate by 90 left offset 0,0.4" if k > 6 else "offset 0,0.6"
    plots.append(f"$L using 1:2:3 with labels noenhanced {rot} font \",8\" notitle")
    s += tics([(i, tic(g)) for i, g in enumerate(groups)])
    s += f"""set boxwidth {w * 0.92:.4f} absolute
set xrange [-0.5:{len(groups) - 0.5}]
set yrange [0:{ymax * 1.15 if ymax > 0 else 1:.3f}]
set ylabel "received Mpps (millions of frames per second)"
set key below center horizontal
plot {", ".join(plots)}
"""
    return s


def ceiling_label(r):
    if r["scenario"] == "xdp_drop":
        return "1×"
    if r.get("ratio_ceiling") is not None:
        return num(r["ratio_ceiling"]) + "×"
    return num(r["mpps"])


def chart_flood_family(rows, fam):
    srcs = sorted({r["sources"] for r in rows})
    per = "one source per /64, every limiter keyed by the /64; " if fam == "ipv6" else ""
    return bars(rows, srcs, lambda r: r["sources"], ceiling_label,
                f"{FAMILIES[fam]} flood: frames received per second, by limiter and number "
                "of sources",
                [f"{per}on each bar: its ratio to the XDP_DROP ceiling in the same run "
                 "(median of the rounds)", CAVEAT],
                lambda n: f"{commas(n)} source" + ("" if n == 1 else "s"))


def chart_flood_mixed(rows):
    groups = sorted({(r["family"], r["mixed"]) for r in rows})

    def label(r):
        if r["scenario"] == "oracle":
            return "1×"
        if r.get("ratio_oracle") is not None:
            return num(r["ratio_oracle"]) + "×"
        return num(r["mpps"])
    n = sorted({r["sources"] for r in rows})
    return bars(rows, groups, lambda r: (r["family"], r["mixed"]), label,
                "Mixed floods: a share of the sources admitted, the rest far over the limit",
                [f"{' / '.join(commas(x) for x in n)} sources; on each bar: its ratio to the "
                 "oracle (passes exactly the admitted sources, no state) in the same run",
                 CAVEAT],
                lambda g: f"{FAMILIES[g[0]]}, {num(g[1] * 100, 1)}% admitted")


def chart_flood(rows):
    """flood.png, flood6.png, flood_mixed.png: (name, script or None)."""
    flood_check(rows)
    out = []
    for fam, name in (("ipv4", "flood"), ("ipv6", "flood6")):
        sel = [r for r in rows if r["family"] == fam and "mixed" not in r]
        out.append((name, chart_flood_family(sel, fam) if sel else None))
    sel = [r for r in rows if "mixed" in r]
    out.append(("flood_mixed", chart_flood_mixed(sel) if sel else None))
    return out


# ---- loadtest.json: offered vs passed -----------------------------------

def chart_loadtest(rows):
    rows = sorted(rows, key=lambda r: r["offered_qps"])
    limit, burst = rows[0]["limit_qps"], rows[0]["burst"]
    top = max(max(r["offered_qps"], r["sent_qps"], r["passed_qps"]) for r in rows) * 1.12
    s = preamble(500, f"Load test: one client through a {num(limit)} requests/s limit "
                 f"(burst {num(burst)})",
                 ["hey, a new connection per request; a refused request gets a TCP RST "
                  "from XDP (action reset); labels: share rejected", CAVEAT])
    s += block("D", [(r["offered_qps"], r["sent_qps"], r["passed_qps"],
                      f"{num(r['rejection_rate'] * 100, 1)} % rejected")
                     for r in rows])
    s += f"""set xrange [0:{top:.1f}]
set yrange [0:{top:.1f}]
set xlabel "offered load (requests/s)"
set ylabel "requests/s"
set grid xtics ytics lc rgb "#dddddd"
set key top left
plot x with lines dt 2 lw 1.5 lc rgb "#8c8c8c" title "offered",\\
     {limit} with lines dt 3 lw 2 lc rgb "#d62728" title {q(f"limit {num(limit)} requests/s")},\\
     $D using 1:2 with points pt 6 ps 1.6 lc rgb "#636363" title "sent",\\
     $D using 1:3 with linespoints pt 7 ps 1.3 lw 2 lc rgb "#08519c" title "passed (answered by nginx)",\\
     $D using 1:3:4 with labels noenhanced offset 0,-1.3 font ",9" notitle
"""
    return s


# ---- legit.json: latency per setup, without and with the flood ----------

LEGIT = {"none": "no limiter", "sluice": "sluice", "sluice_new": "sluice, new client",
         "iptables": "iptables hashlimit"}


def chart_legit(rows):
    known = list(LEGIT)
    rows = sorted(rows, key=lambda r: (known.index(r["limiter"]) if r["limiter"] in known
                                       else len(known), r["limiter"], r["flood"]))
    pcts = [("p50_ms", "p50", "#c6dbef"), ("p90_ms", "p90", "#6baed6"),
            ("p99_ms", "p99", "#08519c")]
    vals = [r[p] for r in rows for p, _, _ in pcts if r[p] > 0]
    if not vals:
        raise BadInput("no latency above 0 in any row")
    # A decade under the smallest bar, so a value on a decade still shows.
    lo = 10 ** math.floor(math.log10(min(vals)) - 0.3)
    hi = 10 ** math.ceil(math.log10(max(vals) * 1.5))
    missing = any(r[p] <= 0 for r in rows for p, _, _ in pcts)
    sub = [f"hey at {num(rows[0]['offered_qps'])} requests/s, a new connection per request; "
           "percentiles of the requests that succeeded"
           + (" (no bar: too few of them)" if missing else ""), CAVEAT]
    s = preamble(560, "A legitimate client's latency, without and with a spoofed-source flood",
                 sub)
    w = 0.27
    data = []
    for i, r in enumerate(rows):
        data.append([i] + [r[p] if r[p] > 0 else "NaN" for p, _, _ in pcts])
    s += block("D", data)
    tics = []
    for i, r in enumerate(rows):
        flood = (f"flood {num(r['flood_mpps'])} Mpps" if r.get("flood_mpps") is not None
                 else "flood") if r["flood"] else "no flood"
        served = f"served {num(r['passed_qps'], 1)}/s"
        if r["success_rate"] < 1:
            served += f"\n{num(r['success_rate'] * 100, 1)} % ok"
        tics.append((i, f"{LEGIT.get(r['limiter'], r['limiter'])}\n{flood}\n{served}"))
    s += xtics(tics)
    for i in range(1, len(rows)):
        if rows[i]["limiter"] != rows[i - 1]["limiter"]:
            s += f'set arrow from {i - 0.5},graph 0 to {i - 0.5},graph 1 nohead lc rgb "#bbbbbb"\n'
    plots = [f"$D using ($1{(j - 1) * w:+.2f}):({lo}):($1{(j - 1) * w - w * 0.45:+.3f}):"
             f"($1{(j - 1) * w + w * 0.45:+.3f}):({lo}):{j + 2} "
             f"with boxxyerror lc rgb {q(c)} title {q(t)}"
             for j, (_, t, c) in enumerate(pcts)]
    s += f"""set logscale y
set xrange [-0.5:{len(rows) - 0.5}]
set yrange [{lo}:{hi}]
set ylabel "latency (ms, log scale)"
set key top left horizontal
plot {", ".join(plots)}
"""
    return s


# ---- testrun.json: ns per packet -----------------------------------------

TESTRUN = {"baseline_lookup": ("baseline\nclock + 1 lookup", "#8c8c8c"),
           "sluice_pass": ("sluice pass\nunder its limit", "#08519c"),
           "sluice_drop": ("sluice drop\nover its limit", "#4292c6"),
           "xdp_drop": ("XDP_DROP\nonly", "#bdbdbd"),
           "sluice_pass_coarse": ("sluice pass\ncoarse clock", "#2171b5"),
           "sluice_pass_v6": ("sluice pass\nIPv6", "#6baed6")}


def chart_testrun(rows):
    s = preamble(440, "BPF_PROG_TEST_RUN: ns per packet",
                 ["the kernel's mean per run, median of the rounds; label: ratio to the "
                  "baseline (clock + one hash lookup) in the same run"])
    s += block("D", [(i, r["ns_per_pkt"], TESTRUN.get(r["scenario"], ("", "#31a354"))[1],
                      f"{num(r['ns_per_pkt'], 1)} ns" + (
                          f" · {num(r['ratio_baseline'])}×"
                          if r.get("ratio_baseline") is not None else ""))
                     for i, r in enumerate(rows)])
    s += xtics([(i, TESTRUN.get(r["scenario"], (r["scenario"],))[0])
                for i, r in enumerate(rows)])
    ymax = max(r["ns_per_pkt"] for r in rows)
    # Each bar's colour from its row: "#rrggbb" to the integer gnuplot takes.
    s += f"""hex(c) = int("0x" . c[2:7])
set boxwidth 0.6
set xrange [-0.6:{len(rows) - 0.4}]
set yrange [0:{ymax * 1.18:.1f}]
set ylabel "ns per packet"
plot $D using 1:2:(hex(strcol(3))) with boxes lc rgb variable notitle,\\
     $D using 1:2:4 with labels noenhanced offset 0,0.7 font ",9" notitle
"""
    return s


# ---- accuracy.json: error of the passed rate -----------------------------

def chart_accuracy(rows):
    clocks = list(dict.fromkeys(r["clock"] for r in rows))
    rates = sorted({r["rate"] for r in rows})
    if any(r <= 0 for r in rates):
        raise BadInput("a .rate is not above 0")
    err = max([abs(r["error_pct"]) for r in rows] + [2.0]) * 1.3
    s = preamble(460, "Accuracy: one client flooded from every CPU",
                 ["passed packets per second against the configured rate, over the "
                  "window; dashed: the design's ±2 % target"])
    colours = ["#08519c", "#e6550d", "#31a354", "#756bb1"]
    plots = ["0 with lines lc rgb \"#636363\" notitle",
             "2 with lines dt 2 lc rgb \"#d62728\" title \"±2 %\"",
             "-2 with lines dt 2 lc rgb \"#d62728\" notitle"]
    for j, c in enumerate(clocks):
        s += block(f"C{j}", [(r["rate"], r["error_pct"], num(r["error_pct"]) + " %")
                             for r in sorted(rows, key=lambda r: r["rate"])
                             if r["clock"] == c])
        colour = colours[j % len(colours)]
        plots.append(f"$C{j} using 1:2 with linespoints pt 7 ps 1.2 lw 2 lc rgb "
                     f"{q(colour)} title {q(c + ' clock')}")
        plots.append(f"$C{j} using 1:2:3 with labels noenhanced offset 0,{1 - 2 * j} font \",8\" "
                     f"tc rgb {q(colour)} notitle")
    s += tics([(n, commas(n)) for n in rates])
    s += f"""set logscale x
set xrange [{rates[0] / 3}:{rates[-1] * 3}]
set yrange [{-err:.3f}:{err:.3f}]
set xlabel "configured rate (packets/s per client, log scale)"
set ylabel "passed rate error (%)"
set key below center horizontal
plot {", ".join(plots)}
"""
    return s


# ---- edge.json: edge answers against nginx limit_req ----------------------

EDGE = {"sluice": ("sluice, edge connections (action http)", "#08519c"),
        "sluice_kernel": ("sluice, kernel connections", "#6baed6"),
        "nginx": ("nginx limit_req", "#e6550d")}
EDGE_MODES = {"close": "new connection per request", "keepalive": "keep-alive"}


def chart_edge(rows):
    modes = list(dict.fromkeys(r["mode"] for r in rows))
    seen = list(dict.fromkeys(r["setup"] for r in rows))
    setups = [x for x in EDGE if x in seen] + [x for x in seen if x not in EDGE]
    k = len(setups)
    w = 0.8 / k
    r0 = rows[0]
    s = preamble(520, "Over-limit requests answered at the edge, against nginx limit_req",
                 [f"{commas(r0['clients'])} clients, each far over {num(r0['rate'])} "
                  f"requests/s (burst {num(r0['burst'])}); CPU: softirq (machine-wide, "
                  "less an idle baseline) + nginx", CAVEAT])
    # Two panels under one title.
    s = s.replace("set title ", "set multiplot layout 1,2 title ", 1)
    s += tics([(i, EDGE_MODES.get(m, m)) for i, m in enumerate(modes)])
    s += f"""set boxwidth {w * 0.92:.4f} absolute
set xrange [-0.5:{len(modes) - 0.5}]
set key below center horizontal
"""
    panels = [("rejected_per_s", "rejected requests/s", lambda r: commas(r["rejected_per_s"])),
              ("cpu_s_per_10k", "CPU seconds per 10,000 rejections",
               lambda r: num(r["cpu_s_per_10k"], 3) + (
                   f" ({num(r['cpu_ratio_to_nginx'])}× nginx)"
                   if r.get("cpu_ratio_to_nginx") is not None else ""))]
    for p, (field, ylabel, label) in enumerate(panels):
        plots, labels = [], []
        for j, st in enumerate(setups):
            pts = []
            for r in rows:
                if r["setup"] != st or r.get(field) is None:
                    continue
                x = modes.index(r["mode"]) + (j - (k - 1) / 2) * w
                pts.append((f"{x:.4f}", r[field]))
                labels.append((f"{x:.4f}", r[field], label(r)))
            if not pts:
                continue
            s += block(f"E{p}_{j}", pts)
            name, colour = EDGE.get(st, (st, "#31a354"))
            plots.append(f"$E{p}_{j} using 1:2 with boxes lc rgb {q(colour)} title {q(name)}")
        if not plots:
            raise BadInput(f"no row has a .{field}")
        s += block(f"L{p}", labels)
        plots.append(f"$L{p} using 1:2:3 with labels noenhanced offset 0,0.6 font \",8\" notitle")
        top = max(r[field] for r in rows if r.get(field) is not None)
        s += f"""set title {q(ylabel)} noenhanced
set yrange [0:{top * 1.18 if top > 0 else 1:.4f}]
plot {", ".join(plots)}
"""
    return s + "unset multiplot\n"


NUM, NUMN = "number", "number|null|missing"  # NUMN: optional
CHARTS = [
    ("flood", chart_flood, {"scenario": "string", "sources": NUM, "mpps": NUM,
                            "ratio_ceiling": NUMN, "family": "string|missing",
                            "mixed": "number|missing", "ratio_oracle": NUMN,
                            "ratio_ipv4": NUMN, "passed_share": NUMN}),
    ("loadtest", chart_loadtest, {"offered_qps": NUM, "sent_qps": NUM, "passed_qps": NUM,
                                  "rejection_rate": NUM, "limit_qps": NUM, "burst": NUM}),
    ("legit", chart_legit, {"limiter": "string", "flood": "boolean", "offered_qps": NUM,
                            "passed_qps": NUM, "success_rate": NUM, "p50_ms": NUM,
                            "p90_ms": NUM, "p99_ms": NUM, "flood_mpps": NUMN}),
    ("testrun", chart_testrun, {"scenario": "string", "ns_per_pkt": NUM,
                                "ratio_baseline": NUMN}),
    ("accuracy", chart_accuracy, {"rate": NUM, "clock": "string", "error_pct": NUM}),
    ("edge", chart_edge, {"setup": "string", "mode": "string", "rejected_per_s": NUM,
                          "cpu_s_per_10k": NUMN, "cpu_ratio_to_nginx": NUMN,
                          "clients": NUM, "rate": NUM, "burst": NUM}),
]


def render(gnuplot, script, png, tmp):
    """Draw SCRIPT to PNG through a temporary file; an error message or None."""
    part = os.path.join(tmp, os.path.basename(png))
    script = f"set output {q(part)}\n" + script
    with open(part + ".gp", "w", encoding="utf-8") as f:
        f.write(script)
    p = subprocess.run([gnuplot, part + ".gp"], capture_output=True, text=True)
    if p.returncode != 0 or not os.path.exists(part) or not os.path.getsize(part):
        return (p.stderr.strip() or f"exit {p.returncode}, no image").replace("\n", "\n  ")
    if p.stderr.strip():
        print(f"plot: gnuplot on {os.path.basename(png)}: {p.stderr.strip()}", file=sys.stderr)
    os.replace(part, png)
    return None


def main(argv):
    if len(argv) > 2 or any(a.startswith("-") for a in argv):
        print("usage: tools/bench/plot.py [IN_DIR] [OUT_DIR]   "
              "(default build/bench for both)", file=sys.stderr)
        return 2
    indir = argv[0] if argv else "build/bench"
    outdir = argv[1] if len(argv) > 1 else indir
    gnuplot = os.environ.get("GNUPLOT", "gnuplot")
    if not shutil.which(gnuplot):
        print(f"plot: {gnuplot} not found (make deps: Debian package gnuplot-nox)",
              file=sys.stderr)
        return 1
    if not os.path.isdir(indir):
        print(f"plot: {indir}: no such directory (make bench writes it)", file=sys.stderr)
        return 1
    os.makedirs(outdir, exist_ok=True)
    failed = 0
    # Next to the PNGs, so that a finished one is renamed into place.
    with tempfile.TemporaryDirectory(prefix=".plot.", dir=outdir) as tmp:
        for name, chart, spec in CHARTS:
            src = os.path.join(indir, name + ".json")
            if not os.path.exists(src):
                print(f"plot: {src} not found: {name}.png skipped")
                continue
            try:
                out = chart(load(src, spec))
            except BadInput as e:
                print(f"plot: {src}: {e}", file=sys.stderr)
                failed += 1
                continue
            # A chart is one PNG named after its JSON, or several.
            if isinstance(out, str):
                out = [(name, out)]
            for png_name, script in out:
                png = os.path.join(outdir, png_name + ".png")
                if script is None:
                    print(f"plot: {src} has no rows for {png_name}.png: skipped")
                    continue
                err = render(gnuplot, script, png, tmp)
                if err:
                    print(f"plot: gnuplot failed on {src} ({png_name}.png):\n  {err}",
                          file=sys.stderr)
                    failed += 1
                    continue
                print(f"plot: wrote {png}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

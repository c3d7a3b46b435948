#!/usr/bin/env python3
"""Write sluice-dashboard.json (the Grafana dashboard) to stdout.

The JSON is generated so that a later family's panels are a few lines
here, with the selectors, layout and ids kept consistent:
    tools/monitoring/gen-dashboard.py > tools/monitoring/sluice-dashboard.json
tests/monitoring/test_dashboard.sh fails when the JSON is not what this
writes, and tools/monitoring/check-dashboard.sh checks the JSON itself.
Panels are placed left to right, 24 columns a line; row() starts a row.
"""
import json

DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'job="sluice",instance=~"$instance"'
IF = SEL + ',interface=~"$interface"'
TIER = IF + ',tier=~"$tier"'
REFUSED = 'dropped|reset|http|flood_drop|shadow_drop|shadow_reset|shadow_http'
RI = '$__rate_interval'
pid = [0]        # the last panel id
y = [0]          # the grid line being filled, its next column, its height
x = [0]
rowh = [0]
panels = []
into = [panels]  # where the next panel goes: a collapsed row holds its own

def add(p):
    into[0].append(p)

def nid():
    pid[0] += 1
    return pid[0]

def row(title, collapsed=False, repeat=None):
    newline()
    p = {"type": "row", "id": nid(), "title": title, "collapsed": collapsed,
         "gridPos": {"h": 1, "w": 24, "x": 0, "y": y[0]}, "panels": []}
    if repeat:
        p["repeat"] = repeat
    panels.append(p)
    into[0] = p["panels"] if collapsed else panels
    y[0] += 1

def newline():
    if x[0]:
        y[0] += rowh[0]
        x[0] = 0
        rowh[0] = 0

def place(w, h):
    if x[0] + w > 24:
        newline()
    g = {"h": h, "w": w, "x": x[0], "y": y[0]}
    x[0] += w
    rowh[0] = max(rowh[0], h)
    return g

def tgt(expr, legend="", ref="A", instant=False, fmt=None):
    t = {"datasource": DS, "refId": ref, "expr": expr, "legendFormat": legend or "__auto",
         "range": not instant, "instant": instant}
    if fmt:
        t["format"] = fmt
    return t

def refs(targets):
    out = []
    for i, t in enumerate(targets):
        if isinstance(t, tuple):
            t = tgt(*t)
        t["refId"] = chr(65 + i)
        out.append(t)
    return out

def ts(title, desc, targets, unit="short", w=12, h=8, stack=False, overrides=None,
       interp="linear", minv=None, maxv=None, thresholds=None, draw="line"):
    custom = {"drawStyle": draw, "lineInterpolation": interp, "lineWidth": 1,
              "fillOpacity": 10 if not stack else 60, "showPoints": "never",
              "spanNulls": False,
              "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
    defaults = {"unit": unit, "custom": custom}
    if minv is not None:
        defaults["min"] = minv
    if maxv is not None:
        defaults["max"] = maxv
    if thresholds:
        defaults["thresholds"] = {"mode": "absolute", "steps": thresholds}
        custom["thresholdsStyle"] = {"mode": "line"}
    add({
        "type": "timeseries", "id": nid(), "title": title, "description": desc,
        "datasource": DS, "gridPos": place(w, h),
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom",
                               "calcs": ["mean", "max", "lastNotNull"], "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "targets": refs(targets)})

def stat(title, desc, targets, unit="short", w=4, h=4, thresholds=None, mappings=None,
         text="value", calc="lastNotNull"):
    add({
        "type": "stat", "id": nid(), "title": title, "description": desc,
        "datasource": DS, "gridPos": place(w, h),
        "fieldConfig": {"defaults": {
            "unit": unit, "mappings": mappings or [],
            "thresholds": {"mode": "absolute", "steps": thresholds or [{"color": "green", "value": None}]}},
            "overrides": []},
        "options": {"reduceOptions": {"calcs": [calc], "fields": "", "values": False},
                    "colorMode": "background" if thresholds else "value",
                    "graphMode": "none", "textMode": text, "justifyMode": "auto",
                    "orientation": "auto"},
        "targets": refs(targets)})

def timeline(title, desc, targets, mappings, w=24, h=6):
    add({
        "type": "state-timeline", "id": nid(), "title": title, "description": desc,
        "datasource": DS, "gridPos": place(w, h),
        "fieldConfig": {"defaults": {"mappings": mappings, "color": {"mode": "thresholds"},
                                     "thresholds": {"mode": "absolute", "steps": [{"color": "green", "value": None}]},
                                     "custom": {"fillOpacity": 80, "lineWidth": 0}},
                        "overrides": []},
        "options": {"mergeValues": True, "showValue": "auto", "alignValue": "left", "rowHeight": 0.8,
                    "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False},
                    "tooltip": {"mode": "single", "sort": "none"}},
        "targets": refs(targets)})

def states(*names):  # value mappings 0, 1, ...: (text, color)
    return [{"type": "value", "options": {str(i): {"text": t, "color": c, "index": i}
                                          for i, (t, c) in enumerate(names)}}]

def table(title, desc, targets, w=12, h=8, exclude=(), merge=True):
    add({
        "type": "table", "id": nid(), "title": title, "description": desc,
        "datasource": DS, "gridPos": place(w, h),
        "fieldConfig": {"defaults": {"custom": {"align": "auto", "filterable": True}}, "overrides": []},
        "options": {"showHeader": True, "cellHeight": "sm"},
        "transformations": ([{"id": "merge", "options": {}}] if merge else []) + [
            {"id": "organize", "options": {"excludeByName": {k: True for k in ("Time", "__name__", "job") + tuple(exclude)}}}],
        "targets": [dict(t, instant=True, range=False, format="table") for t in refs(targets)]})

def dashed(regex):
    return {"matcher": {"id": "byRegexp", "options": regex},
            "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
                           {"id": "custom.fillOpacity", "value": 0},
                           {"id": "custom.lineWidth", "value": 2}]}

def right_axis(regex, label):
    return {"matcher": {"id": "byRegexp", "options": regex},
            "properties": [{"id": "custom.axisPlacement", "value": "right"},
                           {"id": "custom.axisLabel", "value": label},
                           {"id": "unit", "value": "short"}]}

def color(regex, c):
    return {"matcher": {"id": "byRegexp", "options": regex},
            "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": c}}]}

# ---------------------------------------------------------------- overview
row("Overview")
stat("Scrape", "up{job=\"sluice\"}: 1 when Prometheus scrapes sluiced (alert SluiceDown).",
     [('min(up{%s})' % SEL, "up", "A", True)],
     thresholds=[{"color": "red", "value": None}, {"color": "green", "value": 1}],
     mappings=[{"type": "value", "options": {"0": {"text": "DOWN"}, "1": {"text": "UP"}}}])
stat("Mode", "sluice_mode: enforce or shadow (shadow counts refusals without refusing).",
     [('max by (mode) (sluice_mode{%s}) == 1' % SEL, "{{mode}}", "A", True)], text="name")
stat("Passed", "Packets passed per second, every tier and interface.",
     [('sum(rate(sluice_packets_total{%s,reason="passed"}[%s]))' % (TIER, RI), "passed")], unit="pps")
stat("Refused", "Packets refused per second (dropped, reset, http edge answers, flood_drop; shadow_* would-be refusals).",
     [('sum(rate(sluice_packets_total{%s,reason=~"%s"}[%s]))' % (TIER, REFUSED, RI), "refused")], unit="pps",
     thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 1}])
stat("Since last good reload", "time() - sluice_config_last_reload_success_timestamp_seconds.",
     [('time() - max(sluice_config_last_reload_success_timestamp_seconds{%s})' % SEL, "age", "A", True)], unit="s")
stat("Uptime", "time() - process_start_time_seconds of sluiced.",
     [('time() - max(process_start_time_seconds{%s})' % SEL, "uptime", "A", True)], unit="s")

# ---------------------------------------------------------------- tiers
row("Tiers: passed, refused and the limit")
ts("Packets per tier: passed vs refused, and the limits",
   "Passed and refused packets/s of each tier (summed over the selected interfaces), with the "
   "configured rate of its packets, requests and connections meters (sluice_limit_rate, per "
   "client: a tier of N busy clients passes up to N times it) drawn dashed; requests and "
   "connections limits on the right axis.",
   [('sum by (tier) (rate(sluice_packets_total{%s,reason="passed"}[%s]))' % (TIER, RI), "{{tier}} passed"),
    ('sum by (tier) (rate(sluice_packets_total{%s,reason=~"%s"}[%s]))' % (TIER, REFUSED, RI), "{{tier}} refused"),
    ('max by (tier, unit, meter) (sluice_limit_rate{%s,tier=~"$tier",unit!="bytes"})' % SEL,
     "{{tier}} limit {{unit}}/s per client (meter {{meter}})")],
   unit="pps", overrides=[dashed(".* limit .*"), right_axis(".* limit (requests|connections)/s .*", "limit per client /s")])
ts("Bytes per tier: passed vs refused, and the bytes limit",
   "Passed and refused bytes/s of each tier, with the bytes meters' configured rate per client dashed.",
   [('sum by (tier) (rate(sluice_bytes_total{%s,reason="passed"}[%s]))' % (TIER, RI), "{{tier}} passed"),
    ('sum by (tier) (rate(sluice_bytes_total{%s,reason=~"%s"}[%s]))' % (TIER, REFUSED, RI), "{{tier}} refused"),
    ('max by (tier, unit, meter) (sluice_limit_rate{%s,tier=~"$tier",unit="bytes"})' % SEL,
     "{{tier}} limit {{unit}}/s per client (meter {{meter}})")],
   unit="Bps", overrides=[dashed(".* limit .*")])
ts("Refused share per tier",
   "refused / (refused + passed) per tier (alert SluiceTierRefusingMost above 50% for 5m).",
   [('sum by (tier) (rate(sluice_packets_total{%s,reason=~"%s"}[%s])) / sum by (tier) (rate(sluice_packets_total{%s,reason=~"passed|%s"}[%s]))'
     % (TIER, REFUSED, RI, TIER, REFUSED, RI), "{{tier}}")],
   unit="percentunit", minv=0, maxv=1,
   thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 0.5}])
ts("Refusals by reason",
   "Refused packets/s by reason: dropped, reset (RST sent), http (answered at the edge), "
   "flood_drop (flood guard), denylisted, and shadow_drop/shadow_reset/shadow_http (shadow mode: counted, not refused).",
   [('sum by (reason) (rate(sluice_packets_total{%s,reason=~"%s|denylisted"}[%s]))' % (TIER, REFUSED, RI), "{{reason}}")],
   unit="pps", stack=True)
ts("Packets per tier and interface, by reason",
   "Every verdict reason, per interface and tier: passed, refused, allowlisted, unmetered.",
   [('sum by (interface, tier, reason) (rate(sluice_packets_total{%s}[%s]))' % (TIER, RI), "{{interface}} {{tier}} {{reason}}")],
   unit="pps", w=24)
table("Configured limits",
      "sluice_limit_rate (units per second, per client) and sluice_limit_burst of every meter.",
      [tgt('max by (tier, unit, meter) (sluice_limit_rate{%s,tier=~"$tier"})' % SEL, "rate"),
       tgt('max by (tier, unit, meter) (sluice_limit_burst{%s,tier=~"$tier"})' % SEL, "burst")],
      w=24, h=7)
into[0][-1]["fieldConfig"]["overrides"] = [
    {"matcher": {"id": "byName", "options": "Value #A"}, "properties": [{"id": "displayName", "value": "rate /s"}]},
    {"matcher": {"id": "byName", "options": "Value #B"}, "properties": [{"id": "displayName", "value": "burst"}]}]

# ---------------------------------------------------------------- flood guard / client table
row("Flood guard and client table")
ts("Flood guard refusing new clients",
   "sluice_flood_guard_refusing: 1 while a tier's flood guard refuses clients the table has not "
   "seen (alert SluiceFloodGuardRefusing after 5m).",
   [('max by (interface, tier) (sluice_flood_guard_refusing{%s,tier=~"$tier"})' % IF, "{{interface}} {{tier}}")],
   minv=0, maxv=1, interp="stepAfter")
ts("Flood guard refused packets",
   "Packets refused by the flood guard per second (sluice_flood_guard_refused_packets_total).",
   [('sum by (interface, tier) (rate(sluice_flood_guard_refused_packets_total{%s,tier=~"$tier"}[%s]))' % (IF, RI), "{{interface}} {{tier}}")],
   unit="pps")
ts("Client table fill",
   "sluice_client_table_entries / sluice_client_table_capacity per interface (alert "
   "SluiceClientTableNearFull above 90% for 5m).",
   [('max by (interface) (sluice_client_table_entries{%s}) / max by (interface) (sluice_client_table_capacity{%s})' % (IF, IF), "{{interface}}")],
   unit="percentunit", minv=0, maxv=1,
   thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 0.9}])
ts("New clients and a full table",
   "Parser events client_new (an entry created) and client_full (no entry could be made; the packet "
   "was admitted) per second.",
   [('sum by (interface, event) (rate(sluice_parser_events_total{%s,event=~"client_new|client_full"}[%s]))' % (IF, RI), "{{interface}} {{event}}")],
   unit="ops")

# ---------------------------------------------------------------- parser
row("Malformed and non-IP traffic")
ts("Malformed and non-IP packets",
   "Packets that did not parse (malformed: handled by the malformed policy) and non-IP frames "
   "(ARP, LLDP: always passed), per interface.",
   [('sum by (interface, reason) (rate(sluice_packets_total{%s,reason=~"malformed|non_ip"}[%s]))' % (IF, RI), "{{interface}} {{reason}}")],
   unit="pps")
ts("Malformed share",
   "malformed / every packet, per interface (alert SluiceMalformedTraffic above 1% for 10m).",
   [('sum by (interface) (rate(sluice_packets_total{%s,reason="malformed"}[%s])) / sum by (interface) (rate(sluice_packets_total{%s}[%s]))' % (IF, RI, IF, RI), "{{interface}}")],
   unit="percentunit", minv=0,
   thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 0.01}])
ts("Parser events",
   "sluice_parser_events_total by event: VLAN tags, IPv4 options, fragments, IPv6 extension headers "
   "(and the limit), other L4, compare-and-swap retries, RST failures.",
   [('sum by (event) (rate(sluice_parser_events_total{%s,event!~"client_new|client_full"}[%s]))' % (IF, RI), "{{event}}")],
   unit="ops", w=24)

# ---------------------------------------------------------------- config and daemon
row("Config reloads and the daemon")
ts("Config reloads",
   "Reloads per interval by result (alert SluiceReloadFailing: a failure with no success since).",
   [('sum by (result) (increase(sluice_config_reloads_total{%s}[%s]))' % (SEL, RI), "{{result}}")],
   draw="bars", overrides=[color("failure", "red"), color("success", "green")], w=8)
table("Running config", "sluice_config_info: the hash and path of the config sluiced runs.",
      [tgt('sluice_config_info{%s}' % SEL)], w=8, merge=False, exclude=("Value",))
table("Build", "sluice_build_info: sluiced's version and map ABI.",
      [tgt('sluice_build_info{%s}' % SEL)], w=8, merge=False, exclude=("Value",))
table("Interfaces", "sluice_interface_info: each interface's attach mode and XDP program id.",
      [tgt('sluice_interface_info{%s}' % IF)], w=24, h=6, merge=False, exclude=("Value",))
ts("CPU", "process_cpu_seconds_total of sluiced (control plane only: the data path runs in XDP).",
   [('rate(process_cpu_seconds_total{%s}[%s])' % (SEL, RI), "{{instance}}")], unit="percentunit", w=8)
ts("Resident memory", "process_resident_memory_bytes of sluiced.",
   [('process_resident_memory_bytes{%s}' % SEL, "{{instance}}")], unit="bytes", w=8)
ts("Open file descriptors", "process_open_fds against process_max_fds.",
   [('process_open_fds{%s}' % SEL, "{{instance}} open"), ('process_max_fds{%s}' % SEL, "{{instance}} max")],
   overrides=[dashed(".* max")], w=8)

# ---------------------------------------------------------------- per interface
row("Interface $interface", repeat="interface")
ts("Packets per tier on $interface",
   "Passed and refused packets/s of each tier on this interface.",
   [('sum by (tier) (rate(sluice_packets_total{%s,reason="passed"}[%s]))' % (TIER, RI), "{{tier}} passed"),
    ('sum by (tier) (rate(sluice_packets_total{%s,reason=~"%s"}[%s]))' % (TIER, REFUSED, RI), "{{tier}} refused")],
   unit="pps", w=16)
ts("Client table on $interface",
   "sluice_client_table_entries against sluice_client_table_capacity (dashed) on this interface.",
   [('max(sluice_client_table_entries{%s})' % IF, "entries"),
    ('max(sluice_client_table_capacity{%s})' % IF, "capacity")],
   overrides=[dashed("capacity")], w=8, minv=0)

# ---------------------------------------------------------------- services
# Outcomes: final responses (the histogram's _count) + no_response + timeout
# (`or`: a side without series does not empty the sum; as in the rules).
SVC = IF + ',service=~"$service"'
def svc_rate(fam, extra=""):
    return 'sum by (service) (rate(%s{%s%s}[%s]))' % (fam, SVC, extra, RI)
def svc_or(a, b, extra_a=""):
    return 'sum by (service) (rate(%s{%s%s}[%s]) or rate(%s{%s}[%s]))' % (a, SVC, extra_a, RI, b, SVC, RI)
row("Services")
ts("Requests per service",
   "Requests/s per service, as XDP classified them (sluice_service_requests_total), and those "
   "sluice answered itself at the edge (sluice_service_edge_replies_total, dashed).",
   [(svc_rate("sluice_service_requests_total"), "{{service}}"),
    (svc_rate("sluice_service_edge_replies_total"), "{{service}} at the edge")],
   unit="reqps", w=8, overrides=[dashed(".* at the edge")])
ts("Error rate per service",
   "(5xx + no_response + timeout) / (final responses + no_response + timeout) per service "
   "(alert SluiceServiceErrorRateHigh above 5% for 5m).",
   [('%s / %s' % (svc_or("sluice_service_responses_total", "sluice_service_failures_total", ',code="5xx"'),
                  svc_or("sluice_service_response_duration_seconds_count", "sluice_service_failures_total")),
     "{{service}}")],
   unit="percentunit", minv=0, maxv=1, w=8,
   thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 0.05}])
ts("Latency p99 per service, and its slow threshold",
   "histogram_quantile(0.99) of sluice_service_response_duration_seconds per service (from the "
   "request's arrival at XDP to the response leaving the host), with the service's slow "
   "threshold (sluice_service_slow_seconds) dashed (alert SluiceServiceP99AboveSlow).",
   [('histogram_quantile(0.99, sum by (service, le) (rate(sluice_service_response_duration_seconds_bucket{%s}[%s])))'
     % (SVC, RI), "{{service}} p99"),
    ('max by (service) (sluice_service_slow_seconds{%s,service=~"$service"})' % SEL, "{{service}} slow")],
   unit="s", minv=0, w=8, overrides=[dashed(".* slow")])
ts("Slow responses per service",
   "Responses/s slower than the service's slow threshold (sluice_service_slow_responses_total).",
   [(svc_rate("sluice_service_slow_responses_total"), "{{service}}")], unit="reqps", w=8)
ts("Responses by status class",
   "Responses/s per service and status class (1xx..5xx, other: outside 100..599), and the "
   "requests that got none (no_response, timeout).",
   [('sum by (service, code) (rate(sluice_service_responses_total{%s,code=~".xx|other"}[%s]))' % (SVC, RI),
     "{{service}} {{code}}"),
    ('sum by (service, kind) (rate(sluice_service_failures_total{%s}[%s]))' % (SVC, RI), "{{service}} {{kind}}")],
   unit="reqps", w=8, stack=True)
ts("Pending requests and failure runs",
   "Requests waiting for their response (sluice_service_pending_requests) and the current run "
   "of consecutive failures (sluice_service_consecutive_failures, dashed) per service.",
   [('sum by (service) (sluice_service_pending_requests{%s})' % SVC, "{{service}} pending"),
    ('max by (service) (sluice_service_consecutive_failures{%s})' % SVC, "{{service}} failure run")],
   w=8, minv=0, overrides=[dashed(".* failure run")])

# ---------------------------------------------------------------- breakers
# Collapsed: quiet while every breaker is closed.  The state as a number,
# 0 closed, 1 half_open, 2 open (`or`: the two states' series differ in
# their state label, so both are kept and summed per service).
BRK = SEL + ',service=~"$service"'
BRK_STATE = ('sum by (service) (sluice_breaker_state{%s,state="half_open"} or 2 * sluice_breaker_state{%s,state="open"})'
             % (BRK, BRK))
BRK_STATES = states(("closed", "green"), ("half_open", "yellow"), ("open", "red"))
row("Breakers", collapsed=True)
timeline("Breaker state per service",
         "sluice_breaker_state per service over time: closed, half_open (probing: half_open_probes "
         "requests let through, the rest answered at the edge) or open (every request answered at "
         "the edge with the service's on_open); a forced state included (alert SluiceBreakerOpen "
         "after 3m).",
         [(BRK_STATE, "{{service}}")], BRK_STATES, w=16)
stat("Breaker state now", "The state each breaker is in now, as the data path enforces it.",
     [(BRK_STATE, "{{service}}", "A", True)], w=4, h=6, text="value_and_name",
     thresholds=[{"color": "green", "value": None}, {"color": "yellow", "value": 1}, {"color": "red", "value": 2}],
     mappings=BRK_STATES)
stat("Forced", "sluice_breaker_forced: forced open or closed by sluicectl breaker or an alert "
     "(sluice_breaker label), or automatic.",
     [('max by (service) (sluice_breaker_forced{%s})' % BRK, "{{service}}", "A", True)], w=4, h=6,
     text="value_and_name",
     thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 1}],
     mappings=states(("auto", "green"), ("forced", "orange")))
ts("Breaker transitions",
   "Transitions per interval by service and the states left and entered "
   "(increase of sluice_breaker_transitions_total: a breaker moves a few times an hour, "
   "a per-second rate would read 0.00); closed -> open again and again is a failing upstream.",
   [('sum by (service, from, to) (increase(sluice_breaker_transitions_total{%s}[%s]))' % (BRK, RI),
     "{{service}} {{from}} -> {{to}}")],
   draw="bars", stack=True, minv=0)
ts("Open time remaining",
   "sluice_breaker_open_remaining_seconds: until the open breaker goes half_open (the Retry-After "
   "its 503s count down); each reopening is open times backoff, up to max_open.",
   [('max by (service) (sluice_breaker_open_remaining_seconds{%s})' % BRK, "{{service}}")],
   unit="s", minv=0)

# ---------------------------------------------------------------- degrade
# The level as a series per source: level x (the source that is 1).
LEVEL_BY_SOURCE = ('max by (source) (max by (job, instance) (sluice_degrade_level{%s}) '
                   '* on (job, instance) group_right () (sluice_degrade_level_source{%s} == 1))' % (SEL, SEL))
row("Degrade", collapsed=True)
ts("Degrade level and its source",
   "sluice_degrade_level (0 normal to 3), one line per source it came from "
   "(sluice_degrade_level_source: auto, manual, alert, pinned); from level 1 optional services are "
   "shed, from 2 normal ones, and the tiers' rates scaled by their degrade factors "
   "(alert SluiceDegradedForLong after 15m above 0).",
   [(LEVEL_BY_SOURCE, "level ({{source}})")],
   interp="stepAfter", minv=0, maxv=3, w=16,
   thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 1}, {"color": "red", "value": 2}])
stat("Degrade level now", "sluice_degrade_level in force now.",
     [('max(sluice_degrade_level{%s})' % SEL, "level", "A", True)], w=4, h=8,
     thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 1}, {"color": "red", "value": 2}])
stat("Level source", "Where the level comes from now (sluice_degrade_level_source): auto (the "
     "error rate and p99 controller), manual (sluicectl degrade), alert (Alertmanager's webhook) "
     "or pinned (sluicectl degrade --pin).",
     [('max by (source) (sluice_degrade_level_source{%s}) == 1' % SEL, "{{source}}", "A", True)],
     w=4, h=8, text="name")
ts("Shed requests per service",
   "Requests/s the services' gates answered at the edge instead of passing them "
   "(sluice_shed_requests_total, summed over the interfaces), by service and reason: breaker "
   "(open, or half_open past its probes) or degrade (shed by the level).",
   [('sum by (service, reason) (rate(sluice_shed_requests_total{%s}[%s]))' % (BRK, RI), "{{service}} {{reason}}")],
   unit="reqps", stack=True, w=24)

# ---------------------------------------------------------------- rollout
# The state, share and outcomes are always exported; the cohorts' packets
# and the guards only while a rollout runs (shadow or a step).
ROLL_REFUSED = REFUSED + '|denylisted'
ROLL_STATES = ["idle", "shadow", "step", "promoted", "rolled_back", "aborted"]
row("Rollout", collapsed=True)
ts("Rollout share and state",
   "sluice_rollout_percent: the share of clients (by a stable hash of the source's /32 or /64) the "
   "candidate's policy enforces now (0 in its shadow phase and without a rollout), and "
   "sluice_rollout_step (1 ..).  sluicectl rollout shows the figures and the next decision.",
   [('max(sluice_rollout_percent{%s})' % SEL, "percent"), ('max(sluice_rollout_step{%s})' % SEL, "step")],
   unit="percent", interp="stepAfter", minv=0, w=16, overrides=[right_axis("step", "step")])
stat("Rollout state now", "sluice_rollout_state: idle, shadow (the candidate counts what it would "
     "do, enforcing nothing), step (a share of clients on the candidate), or the last rollout's "
     "outcome: promoted, rolled_back (a guard failed) or aborted.",
     [('max by (state) (sluice_rollout_state{%s}) == 1' % SEL, "{{state}}", "A", True)],
     w=4, h=8, text="name")
stat("Rollouts ended", "sluice_rollout_ended_total over the dashboard's range, by outcome: promoted "
     "(every step's guards held, or sluicectl rollout promote), rolled_back (by a guard), aborted.",
     [('sum by (outcome) (increase(sluice_rollout_ended_total{%s}[$__range]))' % SEL, "{{outcome}}", "A", True)],
     w=4, h=8, text="value_and_name", calc="lastNotNull")
ts("Refused share by cohort",
   "While a rollout runs: refused (or, in shadow, would-be refused: %s) over all packets of each "
   "cohort (sluice_rollout_packets_total): canary on the candidate's policy, control on the "
   "running one.  The guards roll back when canary - control passes --max-refusal-increase." % ROLL_REFUSED.replace('|', ', '),
   [('sum by (cohort) (rate(sluice_rollout_packets_total{%s,reason=~"%s"}[%s])) / '
     'sum by (cohort) (rate(sluice_rollout_packets_total{%s}[%s]))' % (TIER, ROLL_REFUSED, RI, TIER, RI), "{{cohort}}")],
   unit="percentunit", minv=0, overrides=[color("canary", "orange"), color("control", "green")])
ts("Packets by cohort and tier",
   "While a rollout runs: packets/s per cohort and tier (sluice_rollout_packets_total, canary from "
   "the candidate's own counters, control = total - canary).",
   [('sum by (cohort, tier) (rate(sluice_rollout_packets_total{%s}[%s]))' % (TIER, RI), "{{cohort}} {{tier}}")],
   unit="pps", overrides=[dashed("canary.*")])
ts("Guards: canary vs control",
   "While a rollout runs: each guard's rate over the current step's window "
   "(sluice_rollout_guard_ratio; refusal per tier and over all tiers \"(all)\", edge_replies, "
   "http_errors with services), canary dashed, and the allowed increase "
   "(sluice_rollout_guard_max_increase).  A guard judges only with --min-packets per cohort.",
   [('max by (guard, tier, cohort) (sluice_rollout_guard_ratio{%s})' % SEL, "{{guard}} {{tier}} {{cohort}}"),
    ('max by (guard) (sluice_rollout_guard_max_increase{%s})' % SEL, "max increase {{guard}}")],
   unit="percentunit", minv=0, w=16, overrides=[dashed(".*canary"), dashed("max increase.*")])
ts("Window left", "While a rollout runs: sluice_rollout_window_remaining_seconds until the step's "
   "window ends (the next step, or promotion, if the guards hold; 0 while it waits for packets).",
   [('max(sluice_rollout_window_remaining_seconds{%s})' % SEL, "left")], unit="s", minv=0, w=8)

def var(name, label, query, desc):
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "definition": query, "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "refresh": 2, "sort": 1, "multi": True, "includeAll": True, "allValue": ".*",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "description": desc, "hide": 0, "options": [], "regex": ""}

dash = {
    "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus", "description": "The Prometheus that scrapes sluiced (job=\"sluice\")",
                  "type": "datasource", "pluginId": "prometheus", "pluginName": "Prometheus"}],
    "__elements": {},
    "__requires": [
        {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0"},
        {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
        {"type": "panel", "id": "timeseries", "name": "Time series", "version": ""},
        {"type": "panel", "id": "stat", "name": "Stat", "version": ""},
        {"type": "panel", "id": "table", "name": "Table", "version": ""},
        {"type": "panel", "id": "state-timeline", "name": "State timeline", "version": ""}],
    "annotations": {"list": [
        {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
         "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"},
        {"datasource": DS, "enable": True, "iconColor": "orange", "name": "Config reloads",
         "expr": 'changes(sluice_config_last_reload_success_timestamp_seconds{%s}[1m]) > 0' % SEL,
         "step": "1m", "titleFormat": "config reloaded", "textFormat": "{{instance}}"}]},
    "description": "sluice, the XDP rate limiter: passed and refused traffic per tier against its limits, "
                   "flood guard, client table, parser, reloads, and the services' HTTP statistics read from the wire, their circuit breakers, the degrade level and rollouts.  Installed as share/sluice/monitoring/sluice-dashboard.json.",
    "editable": True, "fiscalYearStartMonth": 0, "graphTooltip": 1, "id": None,
    "links": [], "liveNow": False, "panels": panels, "refresh": "30s",
    "schemaVersion": 38, "style": "dark", "tags": ["sluice", "xdp", "rate-limit"],
    "templating": {"list": [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
         "current": {"selected": False, "text": "${DS_PROMETHEUS}", "value": "${DS_PROMETHEUS}"},
         "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 1, "regex": ""},
        var("instance", "Instance", 'label_values(up{job="sluice"}, instance)', "sluiced scrape targets"),
        var("interface", "Interface", 'label_values(sluice_interface_info{job="sluice",instance=~"$instance"}, interface)',
            "interfaces sluiced is attached to"),
        var("tier", "Tier", 'label_values(sluice_packets_total{job="sluice",instance=~"$instance",interface=~"$interface"}, tier)',
            "tiers (\"(none)\": malformed and non-IP)"),
        var("service", "Service", 'label_values(sluice_service_requests_total{job="sluice",instance=~"$instance",interface=~"$interface"}, service)',
            "services of the config (services:)")]},
    "time": {"from": "now-1h", "to": "now"}, "timepicker": {}, "timezone": "",
    "title": "sluice", "uid": "sluice-overview", "version": 1, "weekStart": ""}
print(json.dumps(dash, indent=2))

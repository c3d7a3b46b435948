#!/usr/bin/env python3
"""One repetition of the breaker bench (tools/bench/breaker.sh): requests
one after another, a new connection each, to nginx in front of
flip_backend.py; HEALTHY of them while it answers 200, then it is flipped
to 500 (STATUS_FILE) and requests go on until the edge has answered
AFTER of them (or MAX_S passed).  Each answer is timed on arrival
(CLOCK_MONOTONIC) and classed: ok / fail (the backend's 200 / 500, it
names itself in X-Backend), edge (sluice's answer: no X-Backend), error.
It starts after a random 0..200 ms, so that the repetitions fall on
every phase of the daemon's tick.  Prints one JSON object:

  rate:        the moment the failure-rate condition is first met in the
               window (a backend answer's arrival: at least MIN_REQUESTS
               answers within WINDOW_S before it, FAILURE_RATE of them
               failures) and the first edge answer after it: reaction_ms
  consecutive: the answer that completes a run of RUN failures, and how
               many requests after it still reached the backend
               (passed_after_run: 0 when the very next one is answered at
               the edge) and how long after it the first edge answer came

    breaker_client.py rate|consecutive ADDR PATH STATUS_FILE HEALTHY
                      WINDOW_S MIN_REQUESTS FAILURE_RATE RUN [AFTER [MAX_S]]
"""
import json
import random
import socket
import sys
import time


def request(addr, path):
    """(arrival time, class) of one GET on a new connection."""
    s = socket.create_connection((addr, 80), timeout=2)
    data = b""
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                  % (path.encode(), addr.encode()))
        # The head is enough: the edge's answer and flip's are one segment.
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    finally:
        t = time.monotonic()
        s.close()
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    try:
        code = int(head[0].split()[1])
    except (IndexError, ValueError):
        return t, "error", 0
    backend = any(h.lower().startswith("x-backend:") for h in head[1:])
    if not backend:
        return t, "edge", code
    return t, ("ok" if code < 500 else "fail"), code


def main():
    a = sys.argv[1:]
    mode, addr, path, status = a[0], a[1], a[2], a[3]
    healthy, window, min_req = int(a[4]), float(a[5]), int(a[6])
    rate, run = float(a[7]), int(a[8])
    after = int(a[9]) if len(a) > 9 else 3
    max_s = float(a[10]) if len(a) > 10 else 5.0

    # Not in step with the daemon's 100 ms tick (sluiced has just
    # started): the phase of the trip against the tick is what varies.
    time.sleep(random.uniform(0, 0.2))
    ev = []
    for i in range(healthy):
        ev.append(request(addr, "%s?h=%d" % (path, i)))
    with open(status, "w") as f:
        f.write("500\n")
    t_flip = time.monotonic()
    edges, i = 0, 0
    while edges < after and time.monotonic() - t_flip < max_s:
        e = request(addr, "%s?f=%d" % (path, i))
        ev.append(e)
        edges += e[1] == "edge"
        i += 1

    first_edge = next((k for k, e in enumerate(ev) if e[1] == "edge"), None)
    out = {"mode": mode, "requests": len(ev),
           "to_backend": sum(e[1] in ("ok", "fail") for e in ev),
           "failures": sum(e[1] == "fail" for e in ev),
           "edge": sum(e[1] == "edge" for e in ev),
           "errors": sum(e[1] == "error" for e in ev),
           "edge_codes": sorted({e[2] for e in ev if e[1] == "edge"})}
    if mode == "rate":
        cond = None
        for k, e in enumerate(ev):
            if e[1] not in ("ok", "fail"):
                continue
            win = [x for x in ev[:k + 1]
                   if x[1] in ("ok", "fail") and e[0] - x[0] < window]
            fails = sum(x[1] == "fail" for x in win)
            if len(win) >= min_req and fails >= rate * len(win):
                cond = k
                break
        out["condition_at"] = cond
        if cond is not None and first_edge is not None and first_edge > cond:
            out["reaction_ms"] = round((ev[first_edge][0] - ev[cond][0]) * 1e3, 2)
            out["passed_after_condition"] = sum(
                e[1] in ("ok", "fail") for e in ev[cond + 1:first_edge])
    else:
        streak, done = 0, None
        for k, e in enumerate(ev):
            streak = streak + 1 if e[1] == "fail" else 0
            if streak == run:
                done = k
                break
        out["run_done_at"] = done
        if done is not None and first_edge is not None and first_edge > done:
            out["passed_after_run"] = first_edge - done - 1
            out["gap_ms"] = round((ev[first_edge][0] - ev[done][0]) * 1e3, 2)
    print(json.dumps(out))


main()

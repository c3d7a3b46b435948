#!/usr/bin/env python3
"""A paced HTTP sender for the three-gateway tests (lib_gateways.sh).

  glob_send.py SECONDS STREAM...      STREAM: SRC>DST@RATE (requests/s)

Every stream sends RATE requests per second from SRC to DST:80 for
SECONDS, each on a new connection (Connection: close), on an absolute
schedule: a late request does not shift the ones after it, so what is
offered is RATE x SECONDS whatever the answers.  Each request runs in
its own thread, so a slow answer holds up no other request.

One line per request on stdout, in send order:
  SEND_MS SRC DST OUTCOME
SEND_MS is the wall clock (ms since the epoch, the clock of `date`) at
connect; OUTCOME the HTTP status (200, 429, ...), or reset, timeout,
closed (no status line), error.
"""
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

IP_BIND_ADDRESS_NO_PORT = 24	# the port is chosen at connect: no bind clash
REQUEST = b"GET / HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"


def one(src, dst, out, lock):
    t = time.time()
    outcome = "error"
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(2)
        s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        s.bind((src, 0))
        s.connect((dst, 80))
        s.sendall(REQUEST)
        data = b""
        while b"\r\n" not in data and len(data) < 4096:
            chunk = s.recv(1024)
            if not chunk:
                break
            data += chunk
        parts = data.split(None, 2)
        if data.startswith(b"HTTP/") and len(parts) >= 2:
            outcome = parts[1].decode()
        else:
            outcome = "closed"
    except (ConnectionResetError, ConnectionRefusedError, BrokenPipeError):
        outcome = "reset"
    except socket.timeout:
        outcome = "timeout"
    except OSError:
        outcome = "error"
    finally:
        s.close()
    with lock:
        out.append((t, src, dst, outcome))


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    secs = float(argv[0])
    streams = []
    for spec in argv[1:]:
        src, rest = spec.split(">", 1)
        dst, rate = rest.split("@", 1)
        streams.append((src, dst, float(rate)))
    # Every send time of every stream, merged: (due, src, dst).
    t0 = time.time() + 0.05
    due = []
    for src, dst, rate in streams:
        n = int(round(secs * rate))
        due += [(t0 + i / rate, src, dst) for i in range(n)]
    due.sort()
    out, lock = [], threading.Lock()
    with ThreadPoolExecutor(max_workers=128) as pool:
        for when, src, dst in due:
            wait = when - time.time()
            if wait > 0:
                time.sleep(wait)
            pool.submit(one, src, dst, out, lock)
    out.sort()
    for t, src, dst, outcome in out:
        print(f"{int(t * 1000)} {src} {dst} {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

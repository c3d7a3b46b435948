# shellcheck shell=bash
# A switchable backend behind the lab's nginx, for the breaker and
# degrade tests (sourced after lib.sh, with LAB_BACKENDS=1 lab_up done):
#   flip_up     a python backend on 127.0.0.1:FLIP_PORT in the gateway's
#               namespace, proxied by nginx at /flip; it answers with the
#               status in FLIP_STATUS (200 at start) and the header
#               X-Backend: flip, and logs "STATUS PATH" per request to
#               FLIP_LOG (its own access log)
#   flip_down   stops it and removes its nginx location
#   flip STATUS what it answers from now on
#   flip_seen   how many requests it has answered

FLIP_PORT=${FLIP_PORT:-8090}
FLIP_STATUS=$T_DIR/flip.status
FLIP_LOG=$T_DIR/flip.log
FLIP_PID=
FLIP_CLIENT=${FLIP_CLIENT:-198.18.1.21}	# the client flip_answers asks from

flip_up() {
	echo 200 >"$FLIP_STATUS"
	: >"$FLIP_LOG"
	on gw python3 -c '
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, status, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            code = int(open(status).read().strip())
        except Exception:
            code = 200
        with open(log, "a") as f:
            f.write("%d %s\n" % (code, self.path))
        body = b"flip %d\n" % code
        self.send_response(code)
        self.send_header("X-Backend", "flip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
' "$FLIP_PORT" "$FLIP_STATUS" "$FLIP_LOG" >>"$T_DIR/flip.err" 2>&1 &
	FLIP_PID=$!
	wait_for 5 on gw ss -Hltn "sport = :$FLIP_PORT" ||
		{ t_fail "the flip backend listens"; finish; }
	printf 'location /flip {\n\tproxy_pass http://127.0.0.1:%s;\n}\n' "$FLIP_PORT" \
		>"$LAB_RUN/nginx/conf.d/gw/flip.conf"
	on gw nginx -q -p "$LAB_RUN/nginx/" -c "$LAB_RUN/nginx.conf" -s reload
	wait_for 5 flip_answers || { t_fail "nginx proxies /flip"; finish; }
}
flip_answers() { http_req "$FLIP_CLIENT" /flip/ready 2 && [[ $HTTP_OUTCOME == 200 ]]; }
flip_down() {
	[[ -n ${FLIP_PID:-} ]] && kill "$FLIP_PID" 2>/dev/null
	rm -f "$LAB_RUN/nginx/conf.d/gw/flip.conf"
}
flip() { echo "$1" >"$FLIP_STATUS"; }	# STATUS
flip_seen() { wc -l <"$FLIP_LOG"; }	# requests the backend answered

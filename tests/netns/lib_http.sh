# shellcheck shell=bash
# Traffic helpers of tests/netns/lib.sh (sourced by it; see its top):
# the live client and HTTP requests told apart by outcome.

# ---- traffic -----------------------------------------------------------------

# A client that keeps making requests (a new connection every 100 ms,
# well under any tier's rate) until live_stop, which sets LIVE_N and
# LIVE_OK: how many it made, and how many were answered 200.  Call
# live_stop in this shell, not in $(...): only this shell can wait for it.
# With MIN, live_stop first lets the client reach MIN requests (up to
# 10 s), so a test that finishes quickly still sees a client that kept
# going afterwards.
live_start() {	# SRC
	LIVE_STOP=$T_DIR/live.stop LIVE_OUT=$T_DIR/live.out
	rm -f "$LIVE_STOP"
	: >"$LIVE_OUT"
	(
		while [[ ! -e $LIVE_STOP ]]; do
			http_one "$1" 2
			sleep 0.1
		done >"$LIVE_OUT"
	) &
	LIVE_PID=$!
}

live_lines_ge() { (($(wc -l <"$LIVE_OUT") >= $1)); }

live_stop() {	# [MIN]
	[[ -z ${1:-} ]] || wait_for 10 live_lines_ge "$1"
	touch "$LIVE_STOP"
	wait "$LIVE_PID"
	LIVE_PID=
	# shellcheck disable=SC2034 # LIVE_N, LIVE_OK: for the test
	LIVE_N=$(wc -l <"$LIVE_OUT")
	# shellcheck disable=SC2034
	LIVE_OK=$(grep -c '^0 200$' "$LIVE_OUT")
}

# One request, told apart by outcome; see the top of this file.
http_req() {	# SRC [PATH|URL] [MAXTIME] [CURL ARGS...]
	local src=$1 url=${2:-/} m=${3:-2} host t0
	shift $(($# < 3 ? $# : 3))
	host=$(host_of "$src") || return 1
	[[ $url == http* ]] || url=$(gw_url "$src" "$url")
	mkdir -p "$T_DIR/http"
	HTTP_N=$((${HTTP_N:-0} + 1))
	HTTP_HEADERS=$T_DIR/http/$HTTP_N.headers HTTP_BODY=$T_DIR/http/$HTTP_N.body
	: >"$HTTP_HEADERS"
	: >"$HTTP_BODY"
	HTTP_RC=0
	t0=$(now_ms)
	HTTP_CODE=$(on "$host" curl -sS --max-time "$m" --interface "$src" \
		-D "$HTTP_HEADERS" -o "$HTTP_BODY" -w '%{http_code}' "$@" "$url" \
		2>"$T_DIR/http/$HTTP_N.err") || HTTP_RC=$?
	# shellcheck disable=SC2034 # for the test
	HTTP_MS=$(elapsed_since "$t0")
	case $HTTP_RC in
	0)		HTTP_OUTCOME=$HTTP_CODE ;;
	7|52|56)	HTTP_OUTCOME=reset ;;
	28)		HTTP_OUTCOME=timeout ;;
	*)		HTTP_OUTCOME=error:$HTTP_RC ;;
	esac
	return 0
}

http_outcome() { http_req "$@" && echo "$HTTP_OUTCOME"; }

http_header() {	# NAME: its value in the last reply (the final one)
	awk -v n="$1" 'BEGIN { n = tolower(n) } { sub(/\r$/, "") }
		/^HTTP\// { v = "" }
		tolower(substr($0, 1, index($0, ":") - 1)) == n {
			v = substr($0, index($0, ":") + 1); sub(/^[ \t]+/, "", v) }
		END { print v }' "$HTTP_HEADERS"
}

# A client that connects from SRC, sends one request, then neither reads
# nor closes, for 30 s (stopped by the test's undo list): SILENT_PID.
silent_start() {	# SRC
	on "$(host_of "$1")" python3 -c "import socket, time
s = socket.create_connection(('$LAB_GW4', 80), source_address=('$1', 0))
s.sendall(b'GET / HTTP/1.1\\r\\nHost: gw\\r\\n\\r\\n')
time.sleep(30)" 2>"$T_DIR/silent.err" &
	SILENT_PID=$!
	T_UNDO+=("kill $SILENT_PID 2>/dev/null")
}

# hey from the normal host to the gateway; its report: "200S 429S OTHER" (other: any other status, any error).
hey_counts() {	# N C [HEY ARGS...]
	local n=$1 c=$2
	shift 2
	on normal hey -n "$n" -c "$c" -t 5 "$@" "http://$LAB_GW4/" >"$T_DIR/hey.out" 2>&1
	awk '/responses$/ && /\[[0-9][0-9][0-9]\]/ {
		if ($1 == "[200]") ok += $2; else if ($1 == "[429]") lim += $2
		else other += $2; next }
	     /^ *\[[0-9]+\]\t/ { n = $1; gsub(/[][]/, "", n); other += n }
	     END { print ok + 0, lim + 0, other + 0 }' "$T_DIR/hey.out"
}

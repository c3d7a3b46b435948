#!/bin/bash
# make bench: every benchmark, each reporting ratios measured in this run.
# Results go to $BUILD/bench/*.json, and tools/bench/plot.py draws every
# JSON there (this run's and any earlier one's) as $BUILD/bench/*.png.
#
#   testrun   BPF_PROG_TEST_RUN ns/packet against its baselines  testrun.json
#   flood     live-frames flood on veth: XDP_DROP ceiling, sluice, iptables
#             hashlimit, nft dynamic set at 1 / 64k / 1M sources, IPv4
#             and IPv6 (/64s); mixed floods (10 / 25 / 50 % admitted)
#             against a stateless oracle                       flood.json
#   accuracy  one client flooded from every CPU, passed rate      accuracy.json
#   loadtest  hey against nginx through a 150 requests/s limit    loadtest.json
#   legit     a legitimate client during a 1M-source flood        legit.json
#   edge      over-limit requests answered by sluiced at the edge
#             against nginx limit_req: rejected/s, CPU/10k        edge.json
#   services  nginx through sluice with and without the services'
#             HTTP statistics: requests/s and p99               services.json
#   breaker   a breaker's reaction: rate trip to the first edge
#             answer (ms), requests past a consecutive-failure run  breaker.json
#   global    global limits: Redis round trips and sluiced's CPU per
#             second at 1k / 10k / 100k active clients, and the three-
#             gateway accuracy (offered, passed, expected)      global.json
#
# BENCH_ONLY="flood accuracy" runs a subset; BENCH_SECONDS (default 5) is
# the flood window per scenario; each script lists its other knobs.  On
# 2 vCPUs the whole run takes about 18 minutes (flood: about 9, 66
# scenario runs of 7 s; global: 80 s).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export BUILD

PARTS=${BENCH_ONLY:-"testrun flood accuracy loadtest legit edge services breaker global"}

# Checked first, so that a long run does not end without its charts.
command -v "${GNUPLOT:-gnuplot}" >/dev/null ||
	{ echo "bench: gnuplot not found (make deps: Debian package gnuplot-nox)" >&2; exit 1; }

mkdir -p "$BUILD/bench"
start=$SECONDS
for part in $PARTS; do
	case $part in
	testrun)
		echo "== BPF_PROG_TEST_RUN: ns/packet"
		"$BUILD/tools/testrun" -o "$BUILD/bench/testrun.json"
		;;
	flood)
		echo "== flood: receive rate on veth, live-frames generator"
		tools/bench/flood.sh
		;;
	accuracy)
		echo "== accuracy: one client flooded from every CPU"
		tools/bench/accuracy.sh
		;;
	loadtest)
		echo "== load test: hey -> sluice -> nginx"
		tools/bench/loadtest.sh
		;;
	legit)
		echo "== legitimate client under a flood"
		tools/bench/legit.sh
		;;
	edge)
		echo "== edge answers: sluiced against nginx limit_req"
		tools/bench/edge.sh
		;;
	services)
		echo "== services: what the HTTP statistics cost nginx"
		tools/bench/services.sh
		;;
	breaker)
		echo "== breaker: reaction times of a rate trip and a consecutive-failure trip"
		tools/bench/breaker.sh
		;;
	global)
		echo "== global limits: the sync's cost, and three gateways' accuracy"
		tools/bench/global.sh
		;;
	*)
		echo "bench: unknown part '$part' (testrun flood accuracy loadtest legit edge services breaker global)" >&2
		exit 2
		;;
	esac
	echo
done
echo "== charts"
tools/bench/plot.py "$BUILD/bench" "$BUILD/bench"
echo "bench: done in $((SECONDS - start)) s; results in $BUILD/bench/"

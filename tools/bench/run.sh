#!/bin/bash
# make bench: every benchmark, each reporting ratios measured in this run.
# Results go to $BUILD/bench/*.json.
# The flood bench (floodgen on veth vs iptables/nft) will be added here.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export BUILD

mkdir -p "$BUILD/bench"
echo "== BPF_PROG_TEST_RUN: ns/packet"
"$BUILD/tools/testrun" -o "$BUILD/bench/testrun.json"

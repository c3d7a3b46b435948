#!/bin/bash
# Install every build and test dependency on Debian 12.  Idempotent, and
# fast when everything is present: apt is only touched for what is missing.
set -euo pipefail

PKGS=(
	clang llvm make gcc libc6-dev pkg-config
	libbpf-dev bpftool libelf-dev zlib1g-dev linux-libc-dev
	libyaml-dev libmicrohttpd-dev libhiredis-dev libcmocka-dev libjson-c-dev
	iproute2 ethtool iptables nftables
	nginx redis-server redis-tools wrk hey hping3 curl jq prometheus prometheus-alertmanager
	procps psmisc python3-yaml gnuplot-nox fonts-dejavu-core
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed; then
		missing+=("$p")
	fi
done

if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# bpffs: sluiced pins here; mount it where the host has not.
if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
fi

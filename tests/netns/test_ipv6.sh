#!/bin/bash
# IPv6 clients are keyed by /64 by default: two addresses in one /64
# share a bucket, an address in another /64 has its own; a tier's IPv6
# prefix classifies like its IPv4 one; key {v6_prefix: 128} separates
# the addresses of one /64 again.
. "$(dirname "$0")/lib.sh"
netns_init
lab_up

write_cfg() {	# V6_PREFIX
	cfg_header enforce
	cfg_tier normal "$ANY" "key: {v4_prefix: 32, v6_prefix: $1}" "$REQ_1_5"
	cfg_tier vip "198.18.10.0/24, 2001:2:0:10::/64" "$REQ_10_20"
}

cfg=$T_DIR/sluice.yaml
write_cfg 64 >"$T_DIR/v64.yaml"

test_one_64() {
	local got el spent c
	cp "$T_DIR/v64.yaml" "$cfg"
	sluiced_up "$cfg"
	subtest "one /64, one bucket"
	read -r got el < <(http_burst 2001:2:0:1::10 20 1)
	assert_eq "2001:2:0:1::10: answered 200 of 20" 5 "$got"
	spent=$(($(now_ms) - el))	# when the burst began: refill counts from there
	read -r got el < <(http_burst 2001:2:0:1::11 20 1)
	assert_le "2001:2:0:1::11, same /64: answered 200 of 20" \
		"$(gcra_max 0 1 $(($(now_ms) - spent)))" "$got"
	c=$(client_json 2001:2:0:1::11)
	assert_eq "sluicectl client 2001:2:0:1::11: key" "2001:2:0:1::/64" "$(jq -r .key <<<"$c")"
	assert_eq "sluicectl client 2001:2:0:1::11: tier" normal "$(jq -r .tier <<<"$c")"
	assert_eq "sluicectl client 2001:2:0:1::11: known" true "$(jq -r .known <<<"$c")"
}

test_another_64() {
	local got el
	cp "$T_DIR/v64.yaml" "$cfg"
	sluiced_up "$cfg"
	subtest "another /64, another bucket"
	read -r got el < <(http_burst 2001:2:0:1::12 20 1)
	assert_eq "2001:2:0:1::12 spends the /64's burst: answered 200 of 20" 5 "$got"
	read -r got el < <(http_burst 2001:2:0:2::10 20 1)
	assert_eq "2001:2:0:2::10: answered 200 of 20" 5 "$got"
	assert_eq "sluicectl client 2001:2:0:2::10: key" "2001:2:0:2::/64" \
		"$(client_json 2001:2:0:2::10 | jq -r .key)"
}

test_v6_tier() {
	local got el
	cp "$T_DIR/v64.yaml" "$cfg"
	sluiced_up "$cfg"
	subtest "an IPv6 tier prefix"
	read -r got el < <(http_burst 2001:2:0:10::10 20 1)
	assert_eq "2001:2:0:10::10 (vip): answered 200 of 20" 20 "$got"
	assert_eq "sluicectl client 2001:2:0:10::10: tier" vip \
		"$(client_json 2001:2:0:10::10 | jq -r .tier)"
}

test_v6_prefix_128() {
	local got el
	cp "$T_DIR/v64.yaml" "$cfg"
	sluiced_up "$cfg"
	subtest "key v6_prefix 128: one bucket per address"
	assert_eq "sluicectl client 2001:2:0:1::20 (/64 config): key" 2001:2:0:1::/64 \
		"$(client_json 2001:2:0:1::20 | jq -r .key)"
	cfg_install "$cfg" write_cfg 128
	assert_exit "sluicectl reload" 0 ctl reload	# or the file watcher got there first
	assert_wait "sluiced runs the /128 config" 5 wait_applied "$cfg" 0
	assert_eq "sluicectl client 2001:2:0:1::20: key" 2001:2:0:1::20/128 \
		"$(client_json 2001:2:0:1::20 | jq -r .key)"
	read -r got el < <(http_burst 2001:2:0:1::20 20 1)
	assert_eq "2001:2:0:1::20: answered 200 of 20" 5 "$got"
	read -r got el < <(http_burst 2001:2:0:1::21 20 1)
	assert_eq "2001:2:0:1::21, same /64: answered 200 of 20" 5 "$got"
}

run_tests one_64 another_64 v6_tier v6_prefix_128
finish

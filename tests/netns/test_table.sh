#!/bin/bash
# shellcheck disable=SC2317 # test_* functions are called by run_tests
# A full client table: client_table_size at its minimum (1024) and
# thousands of distinct clients (spoofed UDP sources in 198.19.0.0/16
# from the abuser host, tier "churn", whose packets meter admits each).
# The table is an LRU hash: it stays full (the kernel's LRU evicts in
# batches of up to 128 per CPU, so it holds between 1024 - 128 x CPUs
# and 1024 entries), a client that went quiet is evicted (and gets a
# full bucket when it comes back), one that keeps sending stays, and a
# new client arriving at a full table gets an entry and exactly its
# burst: limited, neither refused nor let through unmetered.
#
# client_full (an insert that found no entry right after) stays 0: the
# LRU evicts rather than fail an insert, so only another CPU evicting the
# fresh entry in between could produce it, and the lab's veth runs XDP
# on one receive queue.  The fail-open path itself is a BPF-level test.
. "$(dirname "$0")/lib.sh"
netns_init python3
lab_up

CFG=$T_DIR/sluice.yaml
CAP=1024	# CFG_CLIENTS_MIN (user/config/config.h)
LRU_BATCH=128	# LOCAL_FREE_TARGET (kernel/bpf/bpf_lru_list.c)
{
	cfg_top "$LAB_GW_IF" "$SOCK" "$CAP"
	# A packets meter too: its UDP is counted, so it gets an entry (a
	# packet no meter counts gives its source none).
	cfg_tier normal "$ANY" "$REQ_SLOW" "{unit: packets, rate: 100000/s, burst: 100000}"
	cfg_tier churn 198.19.0.0/16 "{unit: packets, rate: 1000/s, burst: 1000}"
} >"$CFG"

start() {
	daemon_start "$CFG" || { t_fail "sluiced starts"; return 1; }
	assert_eq "status: client table size" "$CAP" "$(ctl -j status | jq -r .client_table.size)"
	CPUS=$(possible_cpus "$LAB_GW_IF")
}

burst_is() {	# SRC WANT
	local got
	read -r got _ < <(http_burst "$1" 20 1)
	assert_eq "$1: answered 200 of 20" "$2" "$got"
}

known_is() {	# ADDR WANT
	assert_eq "client $1: known" "$2" "$(client_json "$1" | jq -r .known)"
}

# ROUNDS x 256 new sources, 198.19.0.0 + FIRST on; after each round one
# datagram from KEEP (a lab address), if given, and the table's size
# checked.  Sets CHURNED (sources sent) and PEAK (the largest size seen).
churn() {	# FIRST ROUNDS [KEEP]
	local r n
	CHURNED=0 PEAK=0
	for ((r = 0; r < $2; r++)); do
		read -r n _ < <(spoof_udp abuser $(($1 + r * 256)) 256)
		CHURNED=$((CHURNED + n))
		[[ -z ${3:-} ]] || udp_from "$3"
		n=$(pinned_clients "$LAB_GW_IF")
		((n > PEAK)) && PEAK=$n
	done
}

full_checks() {	# NEW0 FULL0 WANT_NEW: after a churn
	assert_le "the table never held more than its size (largest seen)" "$CAP" "$PEAK"
	assert_range "it is full: entries (LRU batches of $LRU_BATCH per CPU, $CPUS CPUs)" \
		$((CAP - LRU_BATCH * CPUS)) "$CAP" "$(pinned_clients "$LAB_GW_IF")"
	assert_eq "entries created (client_new)" "$3" \
		$(($(pinned_event "$LAB_GW_IF" client_new) - $1))
	assert_eq "no failed insert (client_full)" "$2" "$(pinned_event "$LAB_GW_IF" client_full)"
}

test_lru_eviction() {
	local new0 full0 before
	start || return
	burst_is 198.18.1.11 5
	known_is 198.18.1.11 true
	udp_from 198.18.1.12
	known_is 198.18.1.12 true
	new0=$(pinned_event "$LAB_GW_IF" client_new)
	full0=$(pinned_event "$LAB_GW_IF" client_full)
	before=$(tiers_json)
	churn 1 16 198.18.1.12		# 4096 sources: four times the table
	assert_eq "spoofed sources sent" 4096 "$CHURNED"
	assert_eq "churn: passed (each a fresh bucket)" 4096 \
		"$(count_delta "$before" "$(tiers_json)" churn passed)"
	# Exactly the spoofed sources: 198.18.1.12 was never evicted and
	# created again.
	full_checks "$new0" "$full0" 4096
	known_is 198.18.1.12 true	# sent between every round: kept
	known_is 198.18.1.11 false	# quiet since its burst: evicted
	burst_is 198.18.1.11 5		# so it starts again with a full bucket
}

test_full_table_new_client() {
	local new0 full0
	start || return
	new0=$(pinned_event "$LAB_GW_IF" client_new)
	full0=$(pinned_event "$LAB_GW_IF" client_full)
	churn 20001 8			# 2048 sources: the table is full
	assert_eq "spoofed sources sent" 2048 "$CHURNED"
	full_checks "$new0" "$full0" 2048
	known_is 198.18.1.13 false
	burst_is 198.18.1.13 5		# an entry, and limited
	known_is 198.18.1.13 true
	burst_is 198.18.1.13 0		# the same entry still holds it
	assert_eq "entries created since the churn: one" 1 \
		$(($(pinned_event "$LAB_GW_IF" client_new) - new0 - 2048))
	assert_le "the table still holds at most its size" "$CAP" "$(pinned_clients "$LAB_GW_IF")"
}

run_tests lru_eviction full_table_new_client
finish

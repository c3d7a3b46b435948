/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps of the XDP limiter.  Names come from include/sluice_abi.h and
 * are what sluiced pins under /sys/fs/bpf/sluice/<ifname>/.
 */
#ifndef SLUICE_MAPS_BPF_H
#define SLUICE_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_edge.h"
#include "sluice_reply.h"
#include "sluice_rollout.h"
#include "sluice_gate.h"
#include "sluice_glob.h"
#include "sluice_service.h"
#include "sluice_svc_match.h"
#include "counters.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_global);
} sl_global SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_TIER_SLOTS);
	__type(key, __u32);
	__type(value, struct sl_tier);
} sl_tiers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_pfx_v4);
	__type(value, struct sl_pfx_val);
} sl_pfx_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_pfx_v6);
	__type(value, struct sl_pfx_val);
} sl_pfx_v6 SEC(".maps");

/* Sized by the loader from config (client_table_size) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SL_DEFAULT_CLIENTS);
	__type(key, struct sl_client_key);
	__type(value, struct sl_client);
} sl_clients SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_MAX_TIERS);
	__type(key, __u32);
	__type(value, struct sl_flood);
} sl_flood SEC(".maps");

/* Edge reply templates by sl_reply_slot(gen, id), written by sluiced
 * (include/sluice_reply.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_REPLY_SLOTS);
	__type(key, __u32);
	__type(value, struct sl_reply);
} sl_replies SEC(".maps");

/* The edge answers' switch (include/sluice_edge.h), written by sluiced. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_edge_cfg);
} sl_edge SEC(".maps");

/* Edge HTTP answers by tier and status, counted by the TC program. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, SL_EDGE_STATUS_MAX);
	__type(key, struct sl_edge_status_key);
	__type(value, __u64);
} sl_edge_status SEC(".maps");

/* Services (include/sluice_service.h): what each is, by
 * sl_svc_slot(gen, id), written by sluiced. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_SVC_SLOTS);
	__type(key, __u32);
	__type(value, struct sl_service);
} sl_services SEC(".maps");

/* Which ports have services, and how to match them
 * (include/sluice_svc_match.h), by generation, written by sluiced. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * SL_SVC_PORT_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} sl_svc_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 2 * SL_SVC_MATCH_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_svc_key);
	__type(value, struct sl_svc_hit);
} sl_svc_match SEC(".maps");

/* Per-service HTTP statistics by service id: requests counted by XDP,
 * responses by the TC egress program. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct sl_svc_stats);
} sl_svc_stats SEC(".maps");

/* Per-service run of consecutive failures, shared by the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct sl_svc_run);
} sl_svc_run SEC(".maps");

/* Per-service gates (include/sluice_gate.h): breaker state and degrade
 * shedding written by sluiced; probes taken and trips made by the data
 * path. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct sl_svc_gate);
} sl_svc_gate SEC(".maps");

/* Each connection's pending request, from the request (XDP) to its
 * response (TC egress). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SL_CONNS_ENTRIES);
	__type(key, struct sl_conn_key);
	__type(value, struct sl_conn);
} sl_conns SEC(".maps");

/* Scratch room for a service lookup's key (lib/service.bpf.h): per CPU,
 * one packet's worth, nothing kept. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_svc_key);
} sl_svc_scratch SEC(".maps");

/* Global limits (include/sluice_glob.h): what each active global client
 * used and asked for (the data path adds), and what sluiced granted it
 * from the global state in Redis. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SL_GLOB_CLIENTS);
	__type(key, struct sl_client_key);
	__type(value, struct sl_glob_use);
} sl_glob_use SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SL_GLOB_CLIENTS);
	__type(key, struct sl_client_key);
	__type(value, struct sl_glob_grant);
} sl_glob_grant SEC(".maps");

/* A rollout (include/sluice_rollout.h): its switches, the canary
 * policy's tiers and prefix tries, what it counted, and in a shadow
 * phase its buckets, written and read by sluiced (user/kern/rollout.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_roll);
} sl_roll SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_TIER_CANARY_SLOTS);
	__type(key, __u32);
	__type(value, struct sl_tier);
} sl_tiers_c SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_pfx_v4);
	__type(value, struct sl_pfx_val);
} sl_pfx_v4_c SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SL_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sl_pfx_v6);
	__type(value, struct sl_pfx_val);
} sl_pfx_v6_c SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, struct sl_counter);
} sl_counters_c SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SL_SHADOW_CLIENTS);
	__type(key, struct sl_client_key);
	__type(value, struct sl_client);
} sl_clients_s SEC(".maps");

/* The canary cohort's requests and responses, like sl_svc_stats. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SL_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct sl_svc_stats);
} sl_svc_stats_c SEC(".maps");

#ifdef SL_ABI_NEXT
/* The upgrade test's second build adds a map (tests/netns/test_upgrade.sh). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sl_abi_next SEC(".maps");
#endif

#endif /* SLUICE_MAPS_BPF_H */

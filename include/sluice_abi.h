/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sluice ABI: everything the XDP program and userspace both see.
 *
 * Map keys and values are fixed-layout: __u8..__u64 only, no pointers,
 * bool or long, explicit padding.  sluice_abi_check.h _Static_asserts the
 * sizes and offsets so a layout drift fails the build.
 *
 * Maps pinned with state (clients, flood, known filter, counters, events,
 * tier names) never change their key, value size or size: new state goes
 * into new maps or spare slots.  Config and cache maps may change layout;
 * sluiced recreates them at start (user/kern/pins.c).
 */
#ifndef SLUICE_ABI_H
#define SLUICE_ABI_H

#include <linux/types.h>

/* In sl_global.abi_version (its first field, for good).  Bumped only when
 * pinned state can no longer be carried over: sluiced refuses pins of
 * another version.  New maps, reasons, events, tier flags and config-map
 * layouts do not bump it. */
#define SL_ABI_VERSION		1

/* ---- limits ----------------------------------------------------------- */

#define SL_MAX_TIERS		64	/* tier ids 0..63 */
#define SL_TIER_NONE		SL_MAX_TIERS	/* counter row for untiered packets */
#define SL_METERS_PER_TIER	4
#define SL_MAX_PREFIXES		65536	/* per address family */
#define SL_DEFAULT_CLIENTS	1048576	/* client table entries, set from config */

/* Config is double-buffered: tiers live at [gen * SL_MAX_TIERS + id] and
 * sl_global.tier_gen selects the live half, so a packet never sees a tier
 * half-written by a reload. */
#define SL_TIER_SLOTS		(2 * SL_MAX_TIERS)

/* The sl_tiers slot of tier `id` in generation `gen` (only its low bit
 * counts: bit 1 is SL_GEN_ROLL).  Callers bound `id` below SL_MAX_TIERS. */
static inline __u32 sl_tier_slot(__u32 gen, __u32 id)
{
	return (gen & 1) * SL_MAX_TIERS + id;
}

/* GCRA emission intervals are nanoseconds in 48.16 fixed point, so byte
 * rates above 1 GB/s (under 1 ns per byte) keep their precision. */
#define SL_FP_SHIFT		16
#define SL_NSEC_PER_SEC		1000000000ULL

/* ---- map names (pinned by name; kernel limit is 15 characters) -------- */

#define SL_MAP_GLOBAL		"sl_global"
#define SL_MAP_TIERS		"sl_tiers"
#define SL_MAP_PFX_V4		"sl_pfx_v4"
#define SL_MAP_PFX_V6		"sl_pfx_v6"
#define SL_MAP_CLIENTS		"sl_clients"
#define SL_MAP_COUNTERS		"sl_counters"	/* tier x reason (was sl_stats) */
#define SL_MAP_EVCOUNT		"sl_evcount"	/* parser events (was sl_events) */
#define SL_MAP_FLOOD		"sl_flood"
#define SL_MAP_REFUSED		"sl_refused"	/* refusal cache, lib/flood.bpf.h */
#define SL_MAP_REFMARK		"sl_refmark"	/* its sources, a bitmap */
#define SL_MAP_REFSTAT		"sl_refstat"	/* its per-CPU use */
#define SL_MAP_REFUSED6		"sl_refused6"	/* the same for IPv6 sources */
#define SL_MAP_REFMARK6		"sl_refmark6"
#define SL_MAP_REFSTAT6		"sl_refstat6"
#define SL_MAP_KNOWN		"sl_known"	/* known-client filter, same */

/* ---- enums -------------------------------------------------------------- */

enum sl_unit {
	SL_UNIT_NONE = 0,	/* meter slot unused */
	SL_UNIT_PACKETS,
	SL_UNIT_BYTES,		/* cost = frame length */
	SL_UNIT_CONNECTIONS,	/* TCP SYN without ACK */
	SL_UNIT_REQUESTS,	/* TCP payload starting an HTTP/1.x request line */
	SL_UNIT__MAX,
};

enum sl_action {
	SL_ACT_DROP = 0,
	SL_ACT_RESET,		/* TCP RST back to the client with XDP_TX */
	SL_ACT_HTTP,		/* edge HTTP reply (sl_meter.reply), through TC */
	SL_ACT__MAX,
};

enum sl_tier_verdict {
	SL_TIER_LIMIT = 0,	/* apply the tier's meters */
	SL_TIER_PASS,		/* allowlist: bypass every meter */
	SL_TIER_DROP,		/* denylist */
	SL_TIER__MAX,
};

enum sl_mode {
	SL_MODE_ENFORCE = 0,
	SL_MODE_SHADOW,		/* drop nothing, count what would have happened */
};

enum sl_policy {
	SL_POLICY_PASS = 0,
	SL_POLICY_DROP,
};

/* Why a packet got its verdict: the column of the per-tier counters. */
enum sl_reason {
	SL_R_PASSED = 0,	/* every applicable meter admitted it */
	SL_R_DROPPED,		/* a meter refused, action drop */
	SL_R_RESET,		/* a meter refused, answered with a TCP RST */
	SL_R_SHADOW_DROP,	/* shadow mode: would have been dropped */
	SL_R_SHADOW_RESET,	/* shadow mode: would have been reset */
	SL_R_DENYLISTED,	/* tier verdict drop (or would be, in shadow) */
	SL_R_ALLOWLISTED,	/* tier verdict pass */
	SL_R_UNMETERED,		/* no meter of the tier applies to this packet */
	SL_R_FLOOD_DROP,	/* unknown source refused by the tier's flood bucket */
	SL_R_MALFORMED,		/* failed to parse; verdict from sl_global.malformed */
	SL_R_NON_IP,		/* ARP, LLDP, ...: always passed */
	SL_R_HTTP,		/* a meter refused a request, answered with an
				 * HTTP reply at the edge (bpf/sluice_tc.bpf.c) */
	SL_R_SHADOW_HTTP,	/* shadow mode: would have been answered so */
	SL_R_EDGE_CONN,		/* a segment of a connection the edge answers
				 * itself (edge_connections): its SYN, ACKs,
				 * FIN; its request counts as http */
	SL_R_BREAKER,		/* a request its service's open breaker stopped,
				 * answered at the edge (include/sluice_gate.h) */
	SL_R_SHED,		/* a request the degrade level shed, likewise */
#ifdef SL_ABI_NEXT
	SL_R_ABI_NEXT,		/* the upgrade test's second build only */
#endif
	SL_R__MAX,		/* at most SL_REASON_SLOTS */
};

/* Parser observations that are not verdicts; per-CPU counters. */
enum sl_event {
	SL_EV_VLAN = 0,		/* at least one 802.1Q/802.1ad tag */
	SL_EV_IPV4_OPTIONS,	/* IHL > 5 */
	SL_EV_FRAG_FIRST,	/* first fragment: L4 parsed as usual */
	SL_EV_FRAG_LATER,	/* non-first fragment: only packets/bytes meters apply */
	SL_EV_V6_EXTHDR,	/* walked at least one IPv6 extension header */
	SL_EV_V6_EXT_LIMIT,	/* more extension headers than the walk allows: malformed */
	SL_EV_L4_OTHER,		/* IP but neither TCP nor UDP */
	SL_EV_CAS_RETRY,	/* a meter update lost a race and retried */
	SL_EV_CLIENT_NEW,	/* a client entry was created */
	SL_EV_CLIENT_FULL,	/* client insert failed */
	SL_EV_RESET_FAIL,	/* could not build a RST: dropped instead */
	/* Edge answers through TC (lib/edge.bpf.h), and what happened
	 * instead when one could not be made: */
	SL_EV_EDGE_NO_TC,	/* TC program not attached: XDP RST to the client only */
	SL_EV_EDGE_NO_META,	/* no room for the metadata: XDP RST to the client only */
	SL_EV_EDGE_NO_REPLY,	/* http meter without a template: answered as reset */
	SL_EV_EDGE_CLIENT_FAIL,	/* TC could not answer the client: server reset only */
	SL_EV_EDGE_SERVER_FAIL,	/* TC could not reset the server: request dropped */
	SL_EV_EDGE_CONN_FAIL,	/* XDP could not build an edge connection's
				 * answer: a RST instead, or dropped */
	SL_EV_GLOB_FULL,	/* no sl_glob_use entry for a global client:
				 * its local meter alone decided */
#ifdef SL_ABI_NEXT
	SL_EV_ABI_NEXT,		/* the upgrade test's second build only */
#endif
	SL_EV__MAX,		/* at most SL_EVENT_SLOTS */
};

/* ---- map values ---------------------------------------------------------- */

/* sl_global[0]: process-wide switches; read once per packet. */
struct sl_global {
	__u32 abi_version;	/* SL_ABI_VERSION, written by the loader */
	__u32 mode;		/* enum sl_mode */
	__u32 malformed;	/* enum sl_policy for unparseable packets */
	__u32 default_tier;	/* tier when no prefix matches */
	__u32 tier_gen;		/* bit 0: live half of sl_tiers; bit 1
				 * (SL_GEN_ROLL): a rollout is on, its
				 * switches in sl_roll (sluice_rollout.h) */
	__u32 epoch;		/* bumped once the prefix tries are rewritten:
				 * retires refusals noted under the old
				 * classification (lib/flood.bpf.h) */
	__u64 config_hash;	/* of the config that wrote the maps (for status) */
#ifdef SL_ABI_NEXT
	__u64 abi_next;		/* the upgrade test's second build: a config map grows */
#endif
};

/* One GCRA meter.  A packet of cost c at time t is admitted when
 *   max(tat, t) + c * interval - t <= tolerance
 * where tolerance = burst * interval, so exactly `burst` back-to-back
 * units pass and one more returns every interval. */
struct sl_meter {
	__u64 interval_fp;	/* ns per unit, << SL_FP_SHIFT */
	__u64 tolerance_ns;	/* burst * interval, ns */
	__u8  unit;		/* enum sl_unit; NONE = slot unused */
	__u8  action;		/* enum sl_action */
	__u16 reply;		/* SL_ACT_HTTP: sl_replies id (sluice_reply.h), 0 = none */
	__u32 burst;		/* for display only; tolerance_ns is authoritative */
};

#define SL_TIER_F_COARSE_CLOCK	(1U << 0)	/* every meter tolerates a 4 ms clock */
#define SL_TIER_F_FLOOD_GUARD	(1U << 1)	/* rate-limit new client entries */
#define SL_TIER_F_EDGE_CONN	(1U << 2)	/* an http requests meter, and
						 * edge_connections is on */

struct sl_tier {
	__u8  verdict;		/* enum sl_tier_verdict */
	__u8  nmeters;		/* used slots, 0..SL_METERS_PER_TIER */
	__u8  v4_prefix;	/* client key prefix length, IPv4 (1..32) */
	__u8  v6_prefix;	/* client key prefix length, IPv6 (1..128) */
	__u32 flags;		/* SL_TIER_F_* */
	/* Flood guard: new client entries are admitted at this rate; past it,
	 * unknown sources share one aggregate bucket per tier (sl_flood). */
	struct sl_meter new_clients;
	struct sl_meter meters[SL_METERS_PER_TIER];
};

/* LPM keys: prefixlen first, address in network byte order. */
struct sl_pfx_v4 {
	__u32 prefixlen;
	__u8  addr[4];
};

struct sl_pfx_v6 {
	__u32 prefixlen;
	__u8  addr[16];
};

/* Value of both tries. */
struct sl_pfx_val {
	__u32 tier;
};

#define SL_AF_INET	4
#define SL_AF_INET6	6

/* A client: source address masked to its tier's key prefix.  IPv4 uses
 * addr[0] only; the rest stays zero. */
struct sl_client_key {
	__u32 addr[4];		/* network byte order */
	__u8  family;		/* SL_AF_INET or SL_AF_INET6 */
	__u8  tier;
	__u8  pad[2];
};

/* Theoretical arrival time per meter slot of the client's tier, ns on
 * the tier's clock (see SL_TIER_F_COARSE_CLOCK). */
struct sl_client {
	__u64 tat[SL_METERS_PER_TIER];
};

/* Per-tier aggregate state for the flood guard. */
struct sl_flood {
	__u64 new_tat;		/* new-client admission meter */
	struct sl_client agg;	/* shared bucket for unknown sources */
};

/* Per-CPU counters (sl_counters), index = tier * SL_REASON_SLOTS + reason.
 * Rows have room for the reasons to come and sl_evcount for the events to
 * come, so adding either never changes a pinned map: the state carries
 * over an upgrade (README, Upgrades).  Both sizes are frozen. */
struct sl_counter {
	__u64 packets;
	__u64 bytes;
};

#define SL_REASON_SLOTS		32
#define SL_EVENT_SLOTS		64
#define SL_STATS_ENTRIES	((SL_MAX_TIERS + 1) * SL_REASON_SLOTS)

static inline __u32 sl_stats_index(__u32 tier, __u32 reason)
{
	return tier * SL_REASON_SLOTS + reason;
}

#endif /* SLUICE_ABI_H */

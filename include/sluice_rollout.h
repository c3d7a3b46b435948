/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Rollouts (gray release): a candidate policy for a cohort of clients.
 *
 * The cohort is chosen by a stable hash of the source address masked to
 * /32 (IPv4) or /64 (IPv6), whatever a tier's key prefix is: the tier
 * itself may differ between the two policies, so the cohort cannot
 * depend on it.  A source is canary when
 *
 *   sl_cohort_point(seed, family, src) < share       (share 0..65536)
 *
 * so share 0 holds nobody, 65536 everybody, and a source in at share s
 * stays in at every larger share.  The seed comes from the candidate
 * config's hash (sl_cohort_seed): every gateway rolling out the same
 * file picks the same clients.  The words are hashed in host order of
 * the address's value (not of its bytes in memory), so gateways of any
 * byte order agree.
 *
 * Pure inline integer arithmetic: the XDP program, sluiced, sluicectl
 * and the tests all use this one definition.
 */
#ifndef SLUICE_ROLLOUT_H
#define SLUICE_ROLLOUT_H

#include <linux/types.h>

#include "sluice_abi.h"
#include "sluice_key.h"

/* sl_global.roll_state */
enum sl_roll_state {
	SL_ROLL_OFF = 0,	/* no rollout: one test per packet */
	SL_ROLL_SHADOW,		/* control decides every packet; the canary
				 * policy meters it too (sl_clients_s) and
				 * counts what it would do (sl_counters_c) */
	SL_ROLL_CANARY,		/* the cohort is decided by the canary policy */
	SL_ROLL__MAX,
};

#define SL_ROLL_POINTS		65536U	/* cohort points 0..65535 */
#define SL_ROLL_SHARE_MAX	SL_ROLL_POINTS	/* share: everybody */

/* sl_global.tier_gen's bit 1: a rollout is on (sl_roll says which).
 * sl_global itself keeps the first release's layout, so that release
 * still starts over these pins (tests/netns/test_upgrade_release.sh);
 * the packet's one test of a rollout is this bit.  Every reader of
 * tier_gen takes its bit 0 only. */
#define SL_GEN_ROLL		(1U << 1)

/* sl_roll[0]: the rollout's switches, written by sluiced
 * (user/kern/rollout.c), read by the data path when SL_GEN_ROLL is set. */
struct sl_roll {
	__u32 state;		/* enum sl_roll_state */
	__u32 share;		/* canary share of cohort points, 0..65536 */
	__u32 seed;		/* cohort seed */
	__u32 gen;		/* bit 0: live half of sl_tiers_c */
	__u32 default_tier;	/* the canary's tier when no prefix matches */
	__u32 pad;
	__u64 tiers;		/* bitmap: tier ids the canary policy holds */
	__u64 config_hash;	/* the candidate's, 0: none written */
};

/* The canary policy's tiers, double-buffered like sl_tiers. */
#define SL_TIER_CANARY_SLOTS	(2 * SL_MAX_TIERS)

static inline __u32 sl_tier_slot_canary(__u32 gen, __u32 id)
{
	return (gen & 1) * SL_MAX_TIERS + id;
}

#define SL_MAP_ROLL		"sl_roll"	/* struct sl_roll */
#define SL_MAP_TIERS_C		"sl_tiers_c"	/* canary tiers */
#define SL_MAP_PFX_V4_C		"sl_pfx_v4_c"	/* canary prefix tries */
#define SL_MAP_PFX_V6_C		"sl_pfx_v6_c"
#define SL_MAP_COUNTERS_C	"sl_counters_c"	/* canary counters, like sl_counters */
#define SL_MAP_CLIENTS_S	"sl_clients_s"	/* shadow buckets, like sl_clients */
#define SL_MAP_SVC_STATS_C	"sl_svc_stats_c"	/* canary requests' service stats */
#define SL_MAP_ROLL_SCRATCH	"sl_roll_scratch"	/* per-CPU scratch, lib/rollout.bpf.h */

/* Entries of the shadow phase's bucket table: a fixed share of the
 * default client table (a shadow estimate, evicted LRU first). */
#define SL_SHADOW_CLIENTS	131072

/* sl_tier.flags of a canary tier (bits 0..5 are taken: sluice_abi.h,
 * sluice_glob.h): see SL_KEY_CANARY. */
#define SL_TIER_F_ROLL_APART	(1U << 6)

/* Set in sl_client_key.pad[0] by a canary tier whose keys or meter units
 * differ from the control's tier of the same id (SL_TIER_F_ROLL_APART),
 * so its buckets never share an entry with the control's. */
#define SL_KEY_CANARY		1

/* Murmur3's finaliser: every input bit reaches every output bit. */
static inline __attribute__((always_inline)) __u32 sl_cohort_mix(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bU;
	h ^= h >> 13;
	h *= 0xc2b2ae35U;
	h ^= h >> 16;
	return h;
}

/* The cohort point 0..65535 of source `addr` (network order, IPv4 in
 * addr[0]; IPv6 uses addr[0..1], its /64). */
static inline __attribute__((always_inline)) __u32
sl_cohort_point(__u32 seed, __u8 family, const __u32 addr[4])
{
	__u32 h = sl_cohort_mix(seed ^ family);

	h = sl_cohort_mix(h ^ SL_KEY_HTONL(addr[0]));
	if (family != SL_AF_INET)
		h = sl_cohort_mix(h ^ 0x9e3779b9U ^ SL_KEY_HTONL(addr[1]));
	return h >> 16;
}

/* Is the source canary at `share` (0..SL_ROLL_SHARE_MAX)? */
static inline __attribute__((always_inline)) int
sl_cohort_in(__u32 seed, __u32 share, __u8 family, const __u32 addr[4])
{
	return sl_cohort_point(seed, family, addr) < share;
}

/* The seed of a candidate config: from its hash (sl_config.hash, FNV-1a
 * of the file), never 0 so a written rollout is told from none. */
static inline __u32 sl_cohort_seed(__u64 config_hash)
{
	__u32 s = sl_cohort_mix((__u32)config_hash ^ (__u32)(config_hash >> 32));

	return s ? s : 1;
}

#endif /* SLUICE_ROLLOUT_H */

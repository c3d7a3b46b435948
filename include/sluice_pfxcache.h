/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The classification cache (bpf/lib/classify.bpf.h): per CPU, the
 * control policy's tier of the last sources seen, so a source seen a
 * moment ago skips the LPM walk (about a quarter of a known client's
 * pass path).  Direct-mapped by a hash of the source; a slot holds only
 * while sl_global.epoch (and the default tier) is the one it was
 * written under, and whoever
 * rewrites the prefix tries bumps the epoch once it is done (apply,
 * rollouts, the BPF fixtures).  A cache: sluiced recreates it whenever
 * its layout changes, and zeroed it holds nothing (family 0).
 */
#ifndef SLUICE_PFXCACHE_H
#define SLUICE_PFXCACHE_H

#include <linux/types.h>

#define SL_MAP_PFX_CACHE	"sl_pfx_cache"

/* 512 slots, 16 KiB per CPU: small enough to stay in L2 under a flood
 * of fresh sources, which probe it and miss. */
#define SL_PFXC_SHIFT		9
#define SL_PFXC_SLOTS		(1U << SL_PFXC_SHIFT)

struct sl_pfxc_slot {
	__u32 addr[4];		/* the source, as sl_pkt holds it */
	__u32 epoch;		/* sl_global.epoch it was classified under */
	__u32 tier;		/* classify_tier()'s answer */
	__u32 family;		/* SL_AF_INET / SL_AF_INET6; 0: empty */
	__u32 dflt;		/* sl_global.default_tier it fell back to */
};

struct sl_pfxc_block {
	struct sl_pfxc_slot slot[SL_PFXC_SLOTS];
};

/* The slot of a source (addr[0] alone for IPv4: the rest is zero). */
static inline __u32 sl_pfxc_index(const __u32 *addr)
{
	__u64 h = ((__u64)addr[0] << 32 | addr[1]) * 0x9e3779b97f4a7c15ULL;

	h ^= ((__u64)addr[2] << 32 | addr[3]) * 0xc2b2ae3d27d4eb4fULL;
	return (__u32)(h >> (64 - SL_PFXC_SHIFT));
}

#endif /* SLUICE_PFXCACHE_H */

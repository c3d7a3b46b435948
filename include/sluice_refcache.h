/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The refusal cache's layout and rules, one copy for the XDP program
 * (bpf/lib/flood.bpf.h, which owns the maps and says what the cache is
 * for) and for userspace that reads what it wrote (tests/bpf/lib/
 * refused.h).  Pure inline functions, no BPF helpers: where a set or a
 * mark bit lives, what an entry's stamp depends on, and the thrash
 * guard's bookkeeping.
 *
 * sl_refused, sl_refmark and sl_refstat are caches: sluiced recreates
 * them when their layout changes, so nothing here is frozen by
 * sluice_abi_check.h.
 */
#ifndef SLUICE_REFCACHE_H
#define SLUICE_REFCACHE_H

#include <linux/types.h>

#include "sluice_abi.h"

#ifndef SL_INLINE
#define SL_INLINE static inline __attribute__((always_inline))
#endif

#define REFUSED_SETS_SHIFT	15	/* 32768 sets of 4: 2 MiB per CPU */
#define REFUSED_BLOCK_SHIFT	4	/* sets per map element */
#define REFUSED_BLOCK_SETS	(1 << REFUSED_BLOCK_SHIFT)
#define REFUSED_BLOCKS		(1 << (REFUSED_SETS_SHIFT - REFUSED_BLOCK_SHIFT))
#define REFUSED_WAYS		4
#define REFUSED_MARK_SHIFT	20	/* sl_refmark: 1M bits, 128 KiB */
#define REFUSED_MARK_WORDS	(1 << (REFUSED_MARK_SHIFT - 6))
#define REFUSED_PROBE		4096		/* notes per verdict */
#define REFUSED_REST		(1U << 20)	/* packets without the cache */

struct refused_slot {
	__u32 addr;		/* IPv4 source as the packet has it; 0: empty */
	__u8  tier;
	__u8  meter;		/* the refusing meter's index */
	__u16 stamp;		/* refused_stamp() when written */
	__u64 until;		/* refuses while now < until (tier's clock) */
};

struct refused_set {
	struct refused_slot way[REFUSED_WAYS];	/* one cache line */
};

/* 16 sets per element: a per-CPU array loads one pointer per element,
 * and 2048 of those stay in cache where 32768 would not. */
struct refused_block {
	struct refused_set set[REFUSED_BLOCK_SETS];
};

/* sl_refstat, per CPU: is the cache worth asking (refused_probe)? */
struct refused_cpu {
	__u32 notes;
	__u32 evictions;	/* notes that pushed out a live entry */
	__u32 rest;		/* packets left to pass by the cache */
	__u32 pad;
};

_Static_assert(sizeof(struct refused_slot) == 16, "refused_slot: 4 a line");
_Static_assert(sizeof(struct refused_set) == 64, "refused_set: one line");
_Static_assert(sizeof(struct refused_cpu) == 16, "refused_cpu: padded");

/* Which set (0 .. 2^15 - 1) holds `addr`; sl_refused's element is the
 * set >> REFUSED_BLOCK_SHIFT. */
SL_INLINE __u32 refused_set_of(__u32 addr)
{
	return (addr * 0x9e3779b1U) >> (32 - REFUSED_SETS_SHIFT);
}

/* `addr`'s bit in sl_refmark: its word in *word, the bit as the mask. */
SL_INLINE __u64 refused_mark_of(__u32 addr, __u32 *word)
{
	__u32 h = ((addr * 0x85ebca6bU) ^ (addr >> 13)) * 0xc2b2ae35U;

	h >>= 32 - REFUSED_MARK_SHIFT;
	*word = h >> 6;
	return 1ULL << (h & 63);
}

/* What a refusal by meter `r` of tier `t` depends on besides the
 * client's TAT: the config generation, the prefix epoch, the tier and
 * the meter as they are now.  Not the action: a refusal stays one when
 * only the answer to it changes. */
SL_INLINE __u16 refused_stamp(const struct sl_global *g,
			      const struct sl_tier *t, __u32 r)
{
	const struct sl_meter *m = &t->meters[r & (SL_METERS_PER_TIER - 1)];
	__u64 h;

	h = (g->config_hash ^ g->tier_gen ^ (__u64)g->epoch << 32) *
	    0x9e3779b97f4a7c15ULL;
	h ^= (m->interval_fp ^ m->tolerance_ns << 1) * 0xc2b2ae3d27d4eb4fULL;
	h ^= ((__u64)t->flags << 16 | t->verdict << 8 | m->unit) *
	     0x165667b19e3779f9ULL;
	h ^= ((__u64)t->v4_prefix << 8 | t->v6_prefix) * 0xd6e8feb86659fd93ULL;
	return h >> 48;
}

/* One note on this CPU: at the last of every REFUSED_PROBE notes, more
 * than half of them evicting a live entry (more refused sources than
 * slots) sets the cache resting for REFUSED_REST packets, since every
 * lookup and note would then be a cache miss for nothing. */
SL_INLINE void refused_probe(struct refused_cpu *rc)
{
	if (++rc->notes >= REFUSED_PROBE) {
		if (rc->evictions > REFUSED_PROBE / 2)
			rc->rest = REFUSED_REST;
		rc->evictions = 0;
		rc->notes = 0;
	}
}

/* The way a note for `addr` takes when every way of its set is live. */
SL_INLINE __u32 refused_victim(__u32 addr)
{
	return (addr >> 24) & (REFUSED_WAYS - 1);
}

#endif /* SLUICE_REFCACHE_H */

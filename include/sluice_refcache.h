/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The refusal cache's layout and rules, one copy for the XDP program
 * (bpf/lib/flood.bpf.h, which owns the maps and says what the cache is
 * for) and for userspace that reads what it wrote (tests/bpf/lib/
 * refused.h).  Pure inline functions, no BPF helpers: where a set or a
 * mark bit lives, what an entry's stamp depends on, and the thrash
 * guard's bookkeeping.
 *
 * sl_refused, sl_refmark and sl_refstat (IPv4) and sl_refused6,
 * sl_refmark6 and sl_refstat6 (IPv6) are caches: sluiced recreates them
 * when their layout changes, so nothing here is frozen by
 * sluice_abi_check.h.  The known filter's hash (known_bit) is here too,
 * so that userspace can tell which bit a client key owns.
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

/* IPv6: the exact 128-bit source, so a slot is 32 bytes and a set of
 * four spans two cache lines; a hit in way 0 or 1 reads one. */
#define REFUSED6_SETS_SHIFT	14	/* 16384 sets of 4: 2 MiB per CPU */
#define REFUSED6_BLOCK_SHIFT	3	/* sets per map element (1 KiB) */
#define REFUSED6_BLOCK_SETS	(1 << REFUSED6_BLOCK_SHIFT)
#define REFUSED6_BLOCKS		(1 << (REFUSED6_SETS_SHIFT - REFUSED6_BLOCK_SHIFT))

struct refused6_slot {
	__u32 addr[4];		/* IPv6 source as the packet has it; 0: empty */
	__u64 until;		/* refuses while now < until (tier's clock) */
	__u8  tier;
	__u8  meter;		/* the refusing meter's index */
	__u16 stamp;		/* refused_stamp() when written */
	__u32 pad;
};

struct refused6_set {
	struct refused6_slot way[REFUSED_WAYS];	/* two cache lines */
};

struct refused6_block {
	struct refused6_set set[REFUSED6_BLOCK_SETS];
};

_Static_assert(sizeof(struct refused_slot) == 16, "refused_slot: 4 a line");
_Static_assert(sizeof(struct refused6_slot) == 32, "refused6_slot: 2 a line");
_Static_assert(sizeof(struct refused6_block) == 1024, "refused6_block: 1 KiB");
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

/* The IPv6 source folded to one word: each word by its own odd
 * constant, so sources that differ in one 16-bit group (one /64 after
 * another) fold to distinct values in the word's top bits. */
SL_INLINE __u32 refused6_fold(const __u32 a[4])
{
	return a[0] * 0x9e3779b1U + a[1] * 0x85ebca77U + a[2] * 0xc2b2ae3dU +
	       a[3] * 0x27d4eb2fU;
}

/* Which set (0 .. 2^14 - 1) holds IPv6 source `a`. */
SL_INLINE __u32 refused6_set_of(const __u32 a[4])
{
	return refused6_fold(a) >> (32 - REFUSED6_SETS_SHIFT);
}

/* `a`'s bit in sl_refmark6 (1M bits, as sl_refmark): the IPv4 mark
 * hash over another fold, so that it does not follow the set. */
SL_INLINE __u64 refused6_mark_of(const __u32 a[4], __u32 *word)
{
	return refused_mark_of(a[0] ^ a[1] * 0x165667b1U ^ a[2] * 0xd3a2646cU ^
			       a[3] * 0xfd7046c5U, word);
}

/* The way a note for IPv6 source `a` takes when every way is live: the
 * fold's two bits below the set's, which differ within a set. */
SL_INLINE __u32 refused6_victim(const __u32 a[4])
{
	return (refused6_fold(a) >> (32 - REFUSED6_SETS_SHIFT - 2)) &
	       (REFUSED_WAYS - 1);
}

/* One test, not a branch per word. */
SL_INLINE int refused6_same(const __u32 x[4], const __u32 y[4])
{
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		 (x[3] ^ y[3]));
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

/* The known filter (sl_known, lib/flood.bpf.h): a client key's bit.
 * Every word of the address and the tier count, so IPv6 keys spread as
 * well as IPv4 ones; the family and the canary mark do not (a shared
 * bit only costs a lookup). */
#define KNOWN_SHIFT		22	/* 4M bits: 512 KiB */
#define KNOWN_WORDS		(1 << (KNOWN_SHIFT - 6))

SL_INLINE __u32 known_bit(const struct sl_client_key *k)
{
	__u64 h = ((__u64)k->addr[0] << 32 | k->addr[1]) * 0x9e3779b97f4a7c15ULL;

	h ^= ((__u64)k->addr[2] << 32 | k->addr[3] | (__u64)k->tier << 8) *
	     0xc2b2ae3d27d4eb4fULL;
	h ^= h >> 31;
	h *= 0x94d049bb133111ebULL;
	return h >> (64 - KNOWN_SHIFT);
}

#endif /* SLUICE_REFCACHE_H */

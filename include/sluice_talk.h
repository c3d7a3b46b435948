/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Top talkers: a sample of the packets the data path counts, for
 * `sluicectl top`.
 *
 * The data path already bumps a per-CPU counter per tier and reason for
 * every packet; when that count is a multiple of the sampling period
 * (sl_talk_mask + 1, a global of the program: sluiced writes it through
 * the skeleton's .data, so no pinned map changes for it) the packet's
 * source, tier, reason and length
 * go into its CPU's ring in sl_talk, worth `weight` packets.  The
 * per-packet cost is one AND and a branch on a value already loaded.
 * sluiced drains the rings several times a second, adds the samples up
 * per client key and adapts the period so each CPU writes about as many
 * samples as a ring holds between two drains: every packet is sampled
 * when traffic is light, one in thousands under a flood.
 *
 * Both maps are caches: recreated, not adopted, when their layout
 * changes (a lost ring only loses a quarter second of samples).
 */
#ifndef SLUICE_TALK_H
#define SLUICE_TALK_H

#include <linux/types.h>

#define SL_MAP_TALK		"sl_talk"	/* rings, mmapable array */
#define SL_MAP_TALK_HEAD	"sl_talk_head"	/* per-CPU ring heads */

/* Samples per CPU ring (a power of two): ring i is entries
 * [i * SL_TALK_RING, (i + 1) * SL_TALK_RING) of sl_talk, sized by the
 * loader for the possible CPUs. */
#define SL_TALK_RING		4096
#define SL_TALK_MAX_CPUS	1024

/* sl_talk_mask: the period less one, 2^k - 1.  Each loaded program
 * starts at this until sluiced's first drains adapt it; ~0 never
 * samples. */
#define SL_TALK_MASK_START	63ULL
#define SL_TALK_MASK_MAX	((1ULL << 20) - 1)
#define SL_TALK_OFF		(~0ULL)

#define SL_TALK_NO_METER	0xff

struct sl_talk_sample {
	__u32 addr[4];		/* the packet's source, network order */
	__u8  family;		/* SL_AF_INET or SL_AF_INET6 */
	__u8  tier;		/* tier id */
	__u8  reason;		/* enum sl_reason it was counted under */
	__u8  meter;		/* refusing meter's index, or SL_TALK_NO_METER */
	__u32 len;		/* frame length */
	__u32 weight;		/* packets it stands for: the period */
	__u32 pad;
};

struct sl_talk_head {
	__u64 head;		/* samples this CPU ever wrote */
};

#endif /* SLUICE_TALK_H */

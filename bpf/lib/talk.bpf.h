/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Top-talker samples for `sluicectl top` (include/sluice_talk.h): one in
 * every sl_global.talk_mask + 1 packets of each tier and reason, per CPU,
 * goes into that CPU's ring.
 */
#ifndef SLUICE_TALK_BPF_H
#define SLUICE_TALK_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_talk.h"
#include "parse.bpf.h"

/* The sampling period less one (sluiced adapts it: user/daemon/top.c).
 * A global, in the program's own .data: one load, no map lookup. */
volatile __u64 sl_talk_mask = SL_TALK_MASK_START;

/* Sized by the loader: SL_TALK_RING per possible CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SL_TALK_RING);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sl_talk_sample);
} sl_talk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_talk_head);
} sl_talk_head SEC(".maps");

/* Write the sample: verified once, as a global function, since the
 * verifier would otherwise walk it again on every path to the count. */
__noinline int talk_write(const struct sl_pkt *p, __u32 tier, __u32 reason,
			  __u32 meter, __u64 mask)
{
	struct sl_talk_sample *s;
	struct sl_talk_head *h;
	__u32 zero = 0, idx;

	if (!p)
		return 0;
	h = bpf_map_lookup_elem(&sl_talk_head, &zero);
	if (!h)
		return 0;
	idx = bpf_get_smp_processor_id() * SL_TALK_RING +
	      (h->head & (SL_TALK_RING - 1));
	s = bpf_map_lookup_elem(&sl_talk, &idx);
	if (!s)
		return 0;
	__builtin_memcpy(s->addr, p->src, sizeof(s->addr));
	s->family = p->family;
	s->tier = tier;
	s->reason = reason;
	s->meter = meter;
	s->len = p->len;
	s->weight = mask >= 0xffffffffULL ? 0xffffffff : (__u32)mask + 1;
	/* The reader trusts the entries below the head it reads: the
	 * sample's stores come first (x86, the one target sluice is built
	 * and tested on, keeps stores in order; BPF has no store fence). */
	asm volatile("" ::: "memory");
	h->head++;
	return 1;
}

/* The packet was the count-th of its tier and reason on this CPU: keep
 * it when the count falls on the sampling period.  The test is inline
 * (one AND and a branch); the write is cold: at most one packet in a
 * ring's worth between two drains gets there. */
static __always_inline void talk_sample(const struct sl_pkt *p, __u32 tier,
					__u32 reason, __u32 meter, __u64 count)
{
	__u64 mask = sl_talk_mask;

	/* Untiered packets and a missing counter row (count 0) are sampled
	 * too, and dropped by the reader: no test on the way here. */
	if (__builtin_expect(count & mask, 1))
		return;
	talk_write(p, tier, reason, meter, mask);
}

#endif /* SLUICE_TALK_BPF_H */

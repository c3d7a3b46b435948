/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The refusal cache of bpf/lib/flood.bpf.h seen from userspace: its
 * layout and hashes mirrored (refused_check() compares the layout with
 * the loaded maps), so tests can read what the program wrote.
 */
#ifndef SLUICE_TEST_REFUSED_H
#define SLUICE_TEST_REFUSED_H

#include <linux/types.h>

#include "xdp_fixture.h"

#define REFUSED_SETS_SHIFT	15
#define REFUSED_BLOCK_SHIFT	4
#define REFUSED_WAYS		4
#define REFUSED_MARK_SHIFT	20
#define REFUSED_PROBE		4096
#define REFUSED_REST		(1U << 20)

struct refused_slot {
	__u32 addr;		/* IPv4 source as the packet has it; 0: empty */
	__u8  tier;
	__u8  meter;
	__u16 stamp;
	__u64 until;
};

struct refused_set {
	struct refused_slot way[REFUSED_WAYS];
};

struct refused_cpu {
	__u32 notes;
	__u32 evictions;
	__u32 rest;
	__u32 pad;
};

/* 0 when the loaded maps have the layout above, else -EPROTO. */
int refused_check(struct xdp_fixture *fx);

/* The source as the program loads it: the address's bytes as a u32. */
__u32 refused_addr(const char *ip);
/* Which set (0 .. 2^15 - 1) holds `addr`. */
__u32 refused_set_of(__u32 addr);
/* refused_stamp() of the program for meter `r` of tier `t`. */
__u16 refused_stamp(const struct sl_global *g, const struct sl_tier *t, int r);

/* Read `addr`'s set on `cpu`; 0 or -errno. */
int refused_read_set(struct xdp_fixture *fx, int cpu, __u32 addr,
		     struct refused_set *out);
/* The way holding `addr` in its set on `cpu`, or NULL. */
const struct refused_slot *refused_find_in(const struct refused_set *s,
					   __u32 addr);
int refused_read_cpu(struct xdp_fixture *fx, int cpu, struct refused_cpu *out);
/* Is `addr`'s bit set in sl_refmark?  1, 0 or -errno. */
int refused_marked(struct xdp_fixture *fx, __u32 addr);

#endif /* SLUICE_TEST_REFUSED_H */

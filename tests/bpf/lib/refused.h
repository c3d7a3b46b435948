/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The refusal cache of bpf/lib/flood.bpf.h seen from userspace: its
 * layout, hashes and stamp are the program's own (sluice_refcache.h;
 * refused_check() compares the layout with the loaded maps), so tests
 * can read what the program wrote.
 */
#ifndef SLUICE_TEST_REFUSED_H
#define SLUICE_TEST_REFUSED_H

#include <linux/types.h>

#include "sluice_refcache.h"
#include "xdp_fixture.h"

/* 0 when the loaded maps have sluice_refcache.h's layout, else -EPROTO. */
int refused_check(struct xdp_fixture *fx);

/* The source as the program loads it: the address's bytes as a u32. */
__u32 refused_addr(const char *ip);
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

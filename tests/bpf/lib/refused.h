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

/* The IPv6 cache (sl_refused6, sl_refmark6, sl_refstat6), the same way. */
int refused6_check(struct xdp_fixture *fx);
/* The source as the program loads it, into a[4]: 0 or -EINVAL. */
int refused6_addr(const char *ip, __u32 a[4]);
int refused6_read_set(struct xdp_fixture *fx, int cpu, const __u32 a[4],
		      struct refused6_set *out);
const struct refused6_slot *refused6_find_in(const struct refused6_set *s,
					     const __u32 a[4]);
int refused6_read_cpu(struct xdp_fixture *fx, int cpu,
		      struct refused_cpu *out);
int refused6_marked(struct xdp_fixture *fx, const __u32 a[4]);
/* Zero sl_refused6 and sl_refstat6 (fixture_clear_refused does the IPv4
 * cache): 0 or -errno. */
int refused6_clear(struct xdp_fixture *fx);
/* Bits set in sl_refmark (family 4) or sl_refmark6: the count or -errno. */
long refused_mark_bits(struct xdp_fixture *fx, int family);

#endif /* SLUICE_TEST_REFUSED_H */

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The refusal caches of one interface (bpf/lib/flood.bpf.h) from
 * sluiced's side:
 *
 *   refcache_forget  every cached refusal retired at once, by a new
 *                    sl_global.epoch (part of every entry's stamp): what
 *                    a writer that deletes or rewrites client entries
 *                    calls after it.  One map write, not a sweep of the
 *                    caches' 4 MiB per CPU.
 *   refcache_tick    once a second from the daemon: every
 *                    REFCACHE_SWEEP_S seconds it counts the bits of the
 *                    source bitmaps (sl_refmark, sl_refmark6), and past
 *                    REFCACHE_FILL_MAX of them rebuilds each from the
 *                    entries that are still live.  A bit of an expired
 *                    entry only sends a source that was never refused to
 *                    the cache line for nothing; a bit lost to the
 *                    rebuild's race with the program only hides a live
 *                    entry until its next refusal notes it again.  Both
 *                    are safe; stale bits only cost speed.
 */
#ifndef SLUICE_KERN_REFCACHE_H
#define SLUICE_KERN_REFCACHE_H

#include <stddef.h>
#include <linux/types.h>

#include "kern/loader.h"
#include "sluice_refcache.h"

#define REFCACHE_SWEEP_S	10
#define REFCACHE_FILL_MAX	0.25	/* of the bitmap's bits set */

/* Retire every cached refusal: 0 or -errno. */
int refcache_forget(struct sl_iface *ifc);

/* Bits set among n words. */
__u64 refcache_popcount(const __u64 *words, size_t n);

/* Set in marks (REFUSED_MARK_WORDS words, zeroed by the caller) the bit
 * of every source of `blocks` (n per-CPU copies of the whole sl_refused
 * or sl_refused6 value array, as a lookup returns them) whose entry is
 * live at `now` (ns, the tiers' clock: CLOCK_MONOTONIC).  Returns the
 * live entries. */
__u64 refcache_marks_v4(const struct refused_block *blocks, size_t n,
			__u64 now, __u64 *marks);
__u64 refcache_marks_v6(const struct refused6_block *blocks, size_t n,
			__u64 now, __u64 *marks);

/* Rebuild one family's bitmap (4 or 6) from its live entries if more
 * than `fill_max` of its bits are set (0: always).  *before and *after
 * get the bits set (either may be NULL).  0 or -errno. */
int refcache_mark_rebuild(struct sl_iface *ifc, int family, double fill_max,
			  __u64 now, __u64 *before, __u64 *after);

/* The daemon's second: see above.  0 or -errno. */
int refcache_tick(struct sl_iface *ifc, __u64 now);

#endif /* SLUICE_KERN_REFCACHE_H */

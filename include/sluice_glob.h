/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Global limits (issue 12): one limit per tier may be shared by every
 * gateway host that uses the same Redis.  The data path still decides
 * every packet alone, from a local allowance per client that sluiced
 * keeps in step with Redis once per sync interval:
 *
 *   sl_glob_use    the data path's side: per client, the units its
 *                  global meter admitted (`used`) and was offered
 *                  (`demand`, admitted or not), both cumulative and
 *                  only ever added to (atomics).  An entry is created
 *                  by the first packet the global meter applies to, so
 *                  sluiced finds the active clients by walking the map.
 *   sl_glob_grant  sluiced's side: the cumulative `granted` that `used`
 *                  may reach, and until when that holds.  sluiced
 *                  writes granted = used (as read) + allowance, so what
 *                  is admitted between its read and its write counts
 *                  against the new allowance.
 *
 * A packet of a global client passes the tier's meters as usual (the
 * global limit's own meter runs locally at the full global rate: that
 * is the fallback), and, while its grant is valid (now < expires_ns),
 * only if used + cost <= granted.  With no grant, or an expired one (no
 * sync for a while: Redis down with on_down: local, or sluiced gone),
 * the local meter alone decides: fail open to local limits.
 *
 * Both maps are state maps: their layout is frozen.
 */
#ifndef SLUICE_GLOB_H
#define SLUICE_GLOB_H

#include <linux/types.h>

#define SL_MAP_GLOB_USE		"sl_glob_use"
#define SL_MAP_GLOB_GRANT	"sl_glob_grant"

/* Active global clients one host (interface) can hold at once. */
#define SL_GLOB_CLIENTS		262144

/* sl_tier.flags: the tier's meter SL_TIER_GLOBAL_METER(flags) is global. */
#define SL_TIER_F_GLOBAL		(1U << 3)
#define SL_TIER_GLOBAL_SHIFT		4	/* 2 bits: meter index 0..3 */
#define SL_TIER_GLOBAL_METER(flags)	(((flags) >> SL_TIER_GLOBAL_SHIFT) & 3U)
#define SL_TIER_GLOBAL_FLAGS(meter)	\
	(SL_TIER_F_GLOBAL | (((__u32)(meter) & 3U) << SL_TIER_GLOBAL_SHIFT))

/* Key: the client's struct sl_client_key (its tier names the meter). */
struct sl_glob_use {
	__u64 used;		/* units the global meter admitted */
	__u64 demand;		/* units offered to it, admitted or refused */
};

struct sl_glob_grant {
	__u64 granted;		/* `used` may reach this */
	__u64 expires_ns;	/* bpf_ktime_get_ns(): void from then on */
	__u64 retry_ns;		/* a refusal's Retry-After (till the next sync) */
	__u64 spare;
};

_Static_assert(sizeof(struct sl_glob_use) == 16,
	       "sl_glob_use: pinned state, frozen");
_Static_assert(sizeof(struct sl_glob_grant) == 32,
	       "sl_glob_grant: pinned state, frozen (use spare)");

#endif /* SLUICE_GLOB_H */

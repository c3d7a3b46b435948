/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A global limit's share of the data path (include/sluice_glob.h): the
 * tier's meters run as always (the global limit's own meter at the full
 * global rate is the fallback), and a client of a tier with a global
 * meter also has its demand counted in sl_glob_use and, while sluiced's
 * grant in sl_glob_grant holds, is admitted only within it.
 *
 * Order: the grant is checked before the meters, so a packet it refuses
 * takes no token from them (a refused packet writes no TAT), and `used`
 * is added once every meter admitted.  Two CPUs may both see room for
 * one more unit and both take it: past `granted` by at most one packet
 * per other CPU, which the next sync counts as used.  A CAS on `used`
 * would make it exact, at a retry loop on every admitted packet.
 *
 * Not counted as demand: segments of connections the edge answers
 * itself (lib/edge_conn.bpf.h, before the meters), and packets the
 * refusal cache refuses for another meter of the tier.
 */
#ifndef SLUICE_GLOBAL_BPF_H
#define SLUICE_GLOBAL_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_glob.h"
#include "common.bpf.h"
#include "maps.bpf.h"
#include "meter.bpf.h"
#include "parse.bpf.h"

/* Create the client's use entry (the other CPU may have created it
 * first: BPF_NOEXIST).  A global function: its zeroed value stays off
 * the program's stack, which meter_run() needs. */
__noinline int glob_use_new(const struct sl_client_key *key)
{
	struct sl_glob_use fresh = {};

	if (!key)
		return -1;
	return bpf_map_update_elem(&sl_glob_use, key, &fresh, BPF_NOEXIST);
}

/* The client's use entry, created on first sight.  NULL when the map
 * has no room (an LRU map evicts, so hardly ever): counted, and the
 * local meters alone decide. */
static __always_inline struct sl_glob_use *
glob_use(const struct sl_client_key *key)
{
	struct sl_glob_use *u;

	u = bpf_map_lookup_elem(&sl_glob_use, key);
	if (u)
		return u;
	glob_use_new(key);
	u = bpf_map_lookup_elem(&sl_glob_use, key);
	if (!u)
		event_count(SL_EV_GLOB_FULL);
	return u;
}

/*
 * meter_run() for a client of a tier with a global meter (the caller
 * tested SL_TIER_F_GLOBAL).  The same results, and METER_GLOBAL when the
 * grant refused: *refuser is then the global meter, *wait_ns the grant's
 * retry_ns (till the next sync, not the local meter's TAT).
 *
 * Inline, not a global function: a frame between the program and
 * meter_run() would pass the 512-byte stack of the call chain.
 */
static __always_inline enum meter_result
glob_run(const struct sl_tier *t, struct sl_client *c,
	 const struct sl_client_key *key, const struct sl_pkt *p, __u64 now,
	 __u32 *refuser, __s64 *wait_ns)
{
	const struct sl_glob_grant *gr;
	struct sl_glob_use *u;
	enum meter_result r;
	__u32 gm;
	__u64 cost;

	gm = SL_TIER_GLOBAL_METER(t->flags);
	cost = meter_cost(t->meters[gm].unit, p);
	u = cost ? glob_use(key) : NULL;
	if (!u)
		return meter_run(t, c, p, now, refuser);
	__sync_fetch_and_add(&u->demand, cost);
	/* now < expires_ns: the grant holds; else fail open to the meter. */
	gr = bpf_map_lookup_elem(&sl_glob_grant, key);
	if (gr && now < READ_ONCE_U64(gr->expires_ns) &&
	    READ_ONCE_U64(u->used) + cost > READ_ONCE_U64(gr->granted)) {
		*refuser = gm;
		*wait_ns = READ_ONCE_U64(gr->retry_ns);
		return METER_GLOBAL;
	}
	r = meter_run(t, c, p, now, refuser);
	if (r == METER_ADMITTED)
		__sync_fetch_and_add(&u->used, cost);
	return r;
}

/* The one test a tier without a global limit pays. */
static __always_inline enum meter_result
glob_meter(const struct sl_tier *t, struct sl_client *c,
	   const struct sl_client_key *key, const struct sl_pkt *p, __u64 now,
	   __u32 *refuser, __s64 *wait_ns)
{
	if (t->flags & SL_TIER_F_GLOBAL)
		return glob_run(t, c, key, p, now, refuser, wait_ns);
	return meter_run(t, c, p, now, refuser);
}

#endif /* SLUICE_GLOBAL_BPF_H */

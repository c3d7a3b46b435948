/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The kern side of a rollout (include/sluice_rollout.h): one interface's
 * canary policy in its maps, the switches in sl_roll, and what the
 * canary counted.  The controller (user/common/rollout.h) decides; this
 * only writes and reads.
 *
 * Maps: the switches in sl_roll (struct sl_roll) and the bit
 * SL_GEN_ROLL of sl_global.tier_gen (set while state is not off: the
 * packet's one test), the canary tiers in sl_tiers_c at
 * sl_tier_slot_canary(sl_roll.gen, id), the canary prefix tries
 * sl_pfx_v4_c / sl_pfx_v6_c, the canary reply templates in sl_replies at reply ids
 * SL_REPLY_CANARY_BASE + n (one slot both control generations see), the
 * shadow buckets sl_clients_s, the canary counters sl_counters_c (tier x
 * reason, like sl_counters) and the canary requests' service statistics
 * sl_svc_stats_c (like sl_svc_stats).
 *
 * Tier ids are shared by both policies, by name (sl_tier_names): a tier
 * of the same name is the same id, and the same client key when its key
 * prefixes and meter units are the same in both (its bucket carries over
 * either way; a tier keyed or metered otherwise gets keys of its own,
 * SL_KEY_CANARY).  A canary-only name takes a free id.  The ids the
 * canary holds are recorded in sl_roll.tiers (a bitmap, pinned): while it
 * is non-zero, apply_config (a control reload) neither frees nor reuses
 * them, and keeps SL_GEN_ROLL as it is, so a reload or a restart during a
 * rollout keeps the canary whole.  An upgrade that recreates sl_global
 * (a new layout) drops SL_GEN_ROLL: rollout_get() then says state off
 * with config_hash still set; rollout_clear() what is left.
 *
 * Counting: in state canary a canary packet counts in sl_counters as
 * always and in sl_counters_c, so control = total - canary.  In state
 * shadow every packet is decided by the control policy (sl_counters) and
 * also by the canary policy, which counts in sl_counters_c what it would
 * have done: refusals as SL_R_SHADOW_DROP, SL_R_SHADOW_RESET or
 * SL_R_SHADOW_HTTP, a drop tier as SL_R_DENYLISTED, the rest as
 * SL_R_PASSED, SL_R_ALLOWLISTED or SL_R_UNMETERED (no flood guard and no
 * global limit in the shadow: its local meters only); there, compare
 * sl_counters_c with sl_counters itself (both saw every packet).
 *
 * Every function returns 0 or -errno and logs what failed on which
 * interface.
 */
#ifndef SLUICE_KERN_ROLLOUT_H
#define SLUICE_KERN_ROLLOUT_H

#include <linux/types.h>

#include "config/config.h"
#include "kern/apply.h"
#include "kern/loader.h"
#include "sluice_abi.h"
#include "sluice_rollout.h"
#include "sluice_service.h"

/* What the maps hold about the rollout (sl_roll, sl_global). */
struct rollout_kstate {
	__u32 state;		/* enum sl_roll_state */
	__u32 share;		/* 0..SL_ROLL_SHARE_MAX (65536 = everybody) */
	__u32 seed;		/* cohort seed (sl_cohort_seed of the candidate) */
	__u32 default_tier;	/* the canary's default tier id */
	__u64 tiers;		/* bitmap of the tier ids the canary holds */
	__u64 config_hash;	/* the candidate in the canary maps, 0: none */
};

/*
 * Write candidate `cand` (a validated config) as the canary policy of
 * `ifc`: its tiers (limits, verdicts, actions, flood guards, global
 * limit flags), its prefixes and its reply templates.  Services,
 * interfaces, degrade, Redis and the rest are not written (they apply
 * at promotion, by apply_config).  Changes against the live control
 * policy are noted in `sum` ("canary: tier x changed: a -> b", ...).
 * In this order:
 *   1. tier ids: a name the control holds keeps its id; a new name takes
 *      an id no tier holds (persisted in sl_tier_names first);
 *   2. sl_roll.tiers gains the candidate's ids (before any map refers
 *      to them, so a control reload from now on keeps them);
 *   3. reply templates at the canary ids in sl_replies;
 *   4. the canary tiers into the idle half of sl_tiers_c;
 *   5. one sl_roll write: gen flips to that half, default_tier,
 *      config_hash = cand->hash, tiers = the candidate's ids exactly;
 *      with a rollout on, sl_global.epoch bumped (retires refusal-cache
 *      notes);
 *   6. the canary prefix tries: add and retarget, then delete.
 * State, share and seed are left as they are: with state off nothing
 * sees the maps yet; a rewrite under a running rollout (a restart that
 * writes the same candidate again) is atomic for packets like a reload.
 * Errors: -ENOSPC (no free tier id: both policies share 64; or too many
 * reply templates), -ENOMEM, a map's -errno.  On error the canary may be
 * partly written: rollout_clear() it (state is untouched, so a first
 * write that fails leaves state off).
 */
int rollout_write(struct sl_iface *ifc, const struct sl_config *cand,
		  struct apply_summary *sum);

/*
 * Set state, share and seed in one sl_roll write (a packet sees the old
 * switches or the new ones).  Off: SL_GEN_ROLL is cleared first, then
 * sl_roll written; on: sl_roll first, then SL_GEN_ROLL set.  Each call
 * bumps sl_global.epoch (a refusal noted under the other cohort is
 * retired).
 * share is 0..SL_ROLL_SHARE_MAX; it counts only in state SL_ROLL_CANARY
 * (SL_ROLL_SHADOW runs the canary policy in shadow for everyone).
 * Errors: -EINVAL (state or share out of range), -ENOENT (state not off
 * but no candidate written: sl_roll.config_hash is 0), a map's -errno.
 */
int rollout_set(struct sl_iface *ifc, __u32 state, __u32 share, __u32 seed);

/*
 * End the rollout (abort, rollback, or after promotion): in this order
 *   1. SL_GEN_ROLL cleared and the epoch bumped (from here no packet
 *      sees the canary), then sl_roll's state off, share 0;
 *   2. the canary prefix tries emptied, sl_tiers_c zeroed, the canary
 *      reply slots emptied, sl_clients_s emptied;
 *   3. the tier ids only the canary held (in sl_roll.tiers, not a tier of
 *      `running`, the control config in force) freed: their clients,
 *      global-limit entries, flood state and counter rows go, their
 *      names are cleared;
 *   4. sl_counters_c and sl_svc_stats_c zeroed; sl_roll zeroed (but its
 *      gen).
 * After promotion call it once apply_config wrote the candidate as the
 * control (with `running` = the candidate): its tiers then keep their
 * ids and their clients.  Idempotent: clearing no rollout is 0.
 * Errors: a map's -errno (the state is off by then whatever failed).
 */
int rollout_clear(struct sl_iface *ifc, const struct sl_config *running,
		  struct apply_summary *sum);

/* Read the rollout's switches (sl_roll; state off without SL_GEN_ROLL).
 * Errors: a map's -errno. */
int rollout_get(const struct sl_iface *ifc, struct rollout_kstate *st);

/*
 * sl_counters_c summed over CPUs into out[SL_STATS_ENTRIES], indexed by
 * sl_stats_index(tier, reason) like stats_read() (uses ifc->stats'
 * scratch).  Errors: a map's -errno.
 */
int rollout_counters_read(struct sl_iface *ifc, struct sl_counter *out);

/*
 * sl_svc_stats_c summed over CPUs into out[SL_MAX_SERVICES], by service
 * id: the canary cohort's requests (XDP) and their responses (TC egress),
 * in state canary only.  Control = sl_svc_stats - these.
 * Errors: a map's -errno.
 */
int rollout_svc_stats_read(const struct sl_iface *ifc, struct sl_svc_stats *out);

/* Is source `addr` (network order, IPv4 in addr[0]) of `family`
 * (SL_AF_INET, SL_AF_INET6) canary under `st`?  State canary only
 * (in shadow nobody is enforced by the canary). */
static inline int rollout_is_canary(const struct rollout_kstate *st,
				    __u8 family, const __u32 addr[4])
{
	return st->state == SL_ROLL_CANARY &&
	       sl_cohort_in(st->seed, st->share, family, addr);
}

#endif /* SLUICE_KERN_ROLLOUT_H */

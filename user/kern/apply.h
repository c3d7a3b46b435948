/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Writing a validated config into one interface's maps, in place and
 * in an order no packet can notice:
 *
 *   1. tier ids: a tier keeps its id across reloads and restarts (by
 *      name, from sl_tier_names); a new name takes a free id;
 *   2. sl_tiers: every tier into the idle half, then one sl_global
 *      write flips tier_gen (and sets mode, policy, default tier);
 *   3. prefix tries: add and update first, then delete what is no
 *      longer configured, so a source never falls into a gap;
 *   4. removed tiers: their clients, flood state and counters go, then
 *      their ids are freed.
 *
 * Services (kern/services.h) are written with step 2 and flip with it.
 * The steps live in kern/apply_tiers.c (1, 2, 4) and kern/apply_pfx.c
 * (3); a rollout's canary (kern/rollout.h) writes its own maps with them.
 *
 * During a rollout, the tier ids its canary holds (the bitmap
 * sl_roll.tiers, pinned, so a restarted daemon sees it too) are
 * neither freed in step 4 nor given to a new name in step 1, even when
 * this config has no tier of that name: the canary's prefixes and
 * clients keep pointing at the right tier.  rollout_clear() frees those
 * the running config does not hold.  The flip keeps sl_global.tier_gen's
 * SL_GEN_ROLL bit (a rollout on) as it is.
 *
 * Clients of tiers that stay keep their buckets.  Each change is noted
 * in a summary (and logged by the caller).
 */
#ifndef SLUICE_APPLY_H
#define SLUICE_APPLY_H

#include "config/config.h"
#include "kern/loader.h"

struct apply_summary {
	char **lines;
	int n;
	int cap;
};

/* Add a line unless an identical one is there (several interfaces
 * usually report the same change). */
int apply_note(struct apply_summary *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void apply_summary_free(struct apply_summary *s);

int apply_config(struct sl_iface *ifc, const struct sl_config *cfg,
		 struct apply_summary *sum);

/* The config's tier called `name`, or NULL. */
const struct cfg_tier *apply_cfg_tier(const struct sl_config *cfg,
				      const char *name);

/* The id of tier `name` on this interface, or -1. */
int apply_tier_id(const struct sl_iface *ifc, const char *name);

/* Read and write sl_global[0]. */
int apply_global_get(const struct sl_iface *ifc, struct sl_global *g);
int apply_global_set(const struct sl_iface *ifc, const struct sl_global *g);

/* The live copy of tier `id` (the half sl_global.tier_gen selects). */
int apply_tier_get(const struct sl_iface *ifc, __u32 id, struct sl_tier *t);

#endif /* SLUICE_APPLY_H */

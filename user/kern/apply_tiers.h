/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Tiers into one interface's maps: their ids (sl_tier_names), their
 * values (a half of sl_tiers), and what a freed id leaves behind.  Steps
 * 1, 2 and 4 of apply_config (kern/apply.h); a rollout's canary
 * (kern/rollout.h) writes its tiers with the same functions.
 */
#ifndef SLUICE_APPLY_TIERS_H
#define SLUICE_APPLY_TIERS_H

#include <stdbool.h>
#include <linux/types.h>

#include "config/config.h"
#include "kern/apply.h"
#include "kern/loader.h"
#include "kern/replies.h"

/* Persist tier name `name` for `id` in sl_tier_names and ifc->tier_names
 * ("" frees the id).  0 or the map's -errno. */
int apply_name_set(struct sl_iface *ifc, __u32 id, const char *name);

/* Ids for config tier i in ids[i]; old gets the names as they were.
 * Known names keep theirs; a new name takes an id no tier held, and only
 * when none is left one that a removed tier frees in this reload; never
 * an id in bitmap `keep` (a rollout's, sl_global.roll_tiers).  New names
 * are persisted before any map refers to them.  0, -ENOSPC or -errno. */
int apply_assign(struct sl_iface *ifc, const struct sl_config *cfg, int *ids,
		 char old[SL_MAX_TIERS][CFG_NAME_MAX], __u64 keep);

/* Where tiers_write() writes, and what it compares with for its notes. */
struct tiers_dest {
	__u32 next_base;	/* slot of id 0 in the half written (of
				 * sl_tiers, or sl_tiers_c for the canary) */
	__u32 cur_base;		/* sl_tiers slot of id 0 in the live half
				 * compared with */
	__u32 cur_gen;		/* the live half's sl_replies generation */
	bool fresh;		/* nothing written yet: nothing to compare */
	bool canary;		/* a rollout's canary (see tiers_write) */
};

/* Write config `cfg`'s tiers (config tier i as id ids[i], its replies
 * from `rp`) into the half d->next_base, every other id of that half
 * emptied, noting changes against the live half in `sum`.
 * Control: a tier whose keys or meter units changed is marked in
 * purge[id] (its clients start afresh); an id of a removed tier keeps
 * its live value till its prefixes are gone.
 * Canary: notes start "canary: " and compare with the control's live
 * tier of the id; a tier keyed or metered unlike the control's gets
 * SL_TIER_F_ROLL_APART (buckets of its own) instead of a purge.
 * 0, or -errno (logged). */
int tiers_write(struct sl_iface *ifc, const struct sl_config *cfg,
		const int *ids, char old[SL_MAX_TIERS][CFG_NAME_MAX],
		const struct tiers_dest *d, bool *purge,
		const struct reply_plan *rp, struct apply_summary *sum);

/* Step 4: the ids of tiers `cfg` no longer has (nor bitmap `keep`
 * holds) are freed, and the clients of those and of purge[] go. */
int apply_cleanup(struct sl_iface *ifc, const struct sl_config *cfg,
		  char old[SL_MAX_TIERS][CFG_NAME_MAX], bool *purge, __u64 keep,
		  struct apply_summary *sum);

/* Delete every entry of `fd` (a map keyed by struct sl_client_key)
 * whose tier is marked in purge[], and with `apart` every key a canary
 * tier kept apart (SL_KEY_CANARY); *deleted counts them.  0 or -errno. */
int tiers_purge_clients(int fd, const bool *purge, bool apart, long *deleted);

/* Free the ids in removed[] (named old[id]; noted as "<what>tier x
 * removed") and purge the clients, global-limit entries and flood state
 * of those in purge[] (a superset), and with `apart` every client key a
 * canary tier kept apart (SL_KEY_CANARY).  0 or -errno. */
int tiers_free(struct sl_iface *ifc, const bool *removed, const bool *purge,
	       bool apart, char old[SL_MAX_TIERS][CFG_NAME_MAX],
	       const char *what, struct apply_summary *sum);

#endif /* SLUICE_APPLY_TIERS_H */

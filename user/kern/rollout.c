// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A rollout's canary policy in one interface's maps (rollout.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/rollout.h"
#include "kern/apply_pfx.h"
#include "kern/apply_tiers.h"
#include "kern/replies.h"
#include "kern/svc_stats.h"
#include "common/log.h"
#include "sluice_xdp.skel.h"

static int roll_read(const struct sl_iface *ifc, struct sl_roll *r)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(ifc->skel->maps.sl_roll), &zero, r))
		return -errno;
	return 0;
}

/* sl_global and sl_roll at once. */
static int roll_load(const struct sl_iface *ifc, struct sl_global *g,
		     struct sl_roll *r)
{
	int err = apply_global_get(ifc, g);

	return err ? err : roll_read(ifc, r);
}

static int roll_write(const struct sl_iface *ifc, const struct sl_roll *r)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(ifc->skel->maps.sl_roll), &zero, r,
				BPF_ANY))
		return -errno;
	return 0;
}

/* sl_global.tier_gen's SL_GEN_ROLL bit to `on`, and the epoch bumped
 * (a refusal noted under the other cohort's policy is retired). */
static int roll_switch(const struct sl_iface *ifc, bool on)
{
	struct sl_global g;
	int err;

	err = apply_global_get(ifc, &g);
	if (err)
		return err;
	g.tier_gen = (g.tier_gen & ~SL_GEN_ROLL) | (on ? SL_GEN_ROLL : 0);
	g.epoch++;
	return apply_global_set(ifc, &g);
}

/* Both canary tries to hold exactly `cfg`'s prefixes (an empty config
 * empties them).  Prefix changes are not noted: the tiers' notes say
 * what the candidate changes, and a first write would list every
 * prefix as added. */
static int rollout_tries(struct sl_iface *ifc, const struct sl_config *cfg,
			 const int *ids, char old[SL_MAX_TIERS][CFG_NAME_MAX])
{
	struct apply_summary quiet = {};
	int err;

	err = apply_prefixes(ifc, ifc->skel->maps.sl_pfx_v4_c, SL_AF_INET, cfg,
			     ids, old, "canary: ", &quiet);
	if (!err)
		err = apply_prefixes(ifc, ifc->skel->maps.sl_pfx_v6_c,
				     SL_AF_INET6, cfg, ids, old, "canary: ",
				     &quiet);
	apply_summary_free(&quiet);
	return err;
}

int rollout_write(struct sl_iface *ifc, const struct sl_config *cand,
		  struct apply_summary *sum)
{
	char old[SL_MAX_TIERS][CFG_NAME_MAX];
	bool purge[SL_MAX_TIERS] = {};
	struct reply_plan rp = {};
	struct tiers_dest td;
	struct sl_global g;
	struct sl_roll r;
	__u64 named = 0, mine = 0;
	int *ids, err;
	__u32 gen;

	ids = calloc(cand->ntiers ? cand->ntiers : 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	err = roll_load(ifc, &g, &r);
	if (err)
		goto out;
	/* 1. A name either policy holds keeps its id; a new one takes a
	 * free id, never one that is named. */
	for (int id = 0; id < SL_MAX_TIERS; id++)
		if (ifc->tier_names[id][0])
			named |= 1ULL << id;
	err = apply_assign(ifc, cand, ids, old, named);
	if (err) {
		if (err == -ENOSPC)
			log_err("%s: the candidate needs more tier ids than the running config leaves free (both share %d): roll out fewer new tier names",
				ifc->name, SL_MAX_TIERS);
		goto out;
	}
	for (int i = 0; i < cand->ntiers; i++)
		mine |= 1ULL << ids[i];
	/* 2. Held before any map refers to them. */
	r.tiers |= mine;
	err = roll_write(ifc, &r);
	/* 3. Templates before the tiers that name them. */
	if (!err)
		err = replies_plan(cand, &rp);
	if (err)
		goto out;
	rp.base = SL_REPLY_CANARY_BASE;
	err = replies_write(bpf_map__fd(ifc->skel->maps.sl_replies), 0, &rp);
	if (err)
		goto out;
	/* 4. The idle canary half, compared with the live control tiers. */
	gen = !(r.gen & 1);
	td = (struct tiers_dest){ .next_base = sl_tier_slot_canary(gen, 0),
				  .cur_base = sl_tier_slot(g.tier_gen, 0),
				  .cur_gen = g.tier_gen & 1,
				  .fresh = g.abi_version == 0, .canary = true };
	err = tiers_write(ifc, cand, ids, old, &td, purge, &rp, sum);
	if (err)
		goto out;
	/* 5. One flip (and the epoch, for the refusals of a rewrite). */
	r.gen = gen;
	r.default_tier = ids[cand->default_tier];
	r.config_hash = cand->hash;
	r.tiers = mine;
	err = roll_write(ifc, &r);
	if (!err && r.state != SL_ROLL_OFF)
		err = roll_switch(ifc, true);
	/* 6. The tries: add and retarget, then delete. */
	if (!err)
		err = rollout_tries(ifc, cand, ids, old);
out:
	if (err)
		log_err("%s: writing the rollout's candidate into the canary maps failed: %s",
			ifc->name, strerror(-err));
	replies_plan_free(&rp);
	free(ids);
	return err;
}

int rollout_set(struct sl_iface *ifc, __u32 state, __u32 share, __u32 seed)
{
	struct sl_roll r;
	int err;

	if (state >= SL_ROLL__MAX || share > SL_ROLL_SHARE_MAX)
		return -EINVAL;
	err = roll_read(ifc, &r);
	if (err)
		goto out;
	if (state != SL_ROLL_OFF && !r.config_hash) {
		log_err("%s: no rollout candidate in the canary maps: write one first",
			ifc->name);
		return -ENOENT;
	}
	/* Off: the data path stops reading sl_roll first.  On: it starts
	 * once sl_roll says how. */
	if (state == SL_ROLL_OFF)
		err = roll_switch(ifc, false);
	r.state = state;
	r.share = share;
	r.seed = seed;
	if (!err)
		err = roll_write(ifc, &r);
	/* Switched on, or only changed: the epoch retires refusals noted
	 * under the other cohort. */
	if (!err && state != SL_ROLL_OFF)
		err = roll_switch(ifc, true);
out:
	if (err)
		log_err("%s: cannot set the rollout's switches in %s: %s",
			ifc->name, SL_MAP_ROLL, strerror(-err));
	return err;
}

/* Zero every element of array map `m` (per-CPU values of `size` bytes). */
static int rollout_zero(struct bpf_map *m, size_t size)
{
	int fd = bpf_map__fd(m), n = libbpf_num_possible_cpus();
	void *zero;
	int err = 0;

	if (n < 1)
		return n ? n : -EINVAL;
	zero = calloc(n, size);
	if (!zero)
		return -ENOMEM;
	for (__u32 i = 0; i < bpf_map__max_entries(m) && !err; i++)
		if (bpf_map_update_elem(fd, &i, zero, BPF_ANY))
			err = -errno;
	free(zero);
	return err;
}

/* Step 2 of rollout_clear: the canary's maps emptied. */
static int rollout_empty(struct sl_iface *ifc, char old[SL_MAX_TIERS][CFG_NAME_MAX])
{
	static const struct sl_config none;
	static const struct sl_tier zero;
	struct reply_plan rp = { .base = SL_REPLY_CANARY_BASE };
	int fd = bpf_map__fd(ifc->skel->maps.sl_tiers_c), err;

	err = rollout_tries(ifc, &none, NULL, old);
	for (__u32 slot = 0; slot < SL_TIER_CANARY_SLOTS && !err; slot++)
		if (bpf_map_update_elem(fd, &slot, &zero, BPF_ANY))
			err = -errno;
	if (!err)
		err = replies_write(bpf_map__fd(ifc->skel->maps.sl_replies), 0,
				    &rp);
	if (!err) {
		bool all[SL_MAX_TIERS];
		long n = 0;

		memset(all, 1, sizeof(all));
		err = tiers_purge_clients(bpf_map__fd(ifc->skel->maps.sl_clients_s),
					  all, false, &n);
	}
	return err;
}

int rollout_clear(struct sl_iface *ifc, const struct sl_config *running,
		  struct apply_summary *sum)
{
	bool only[SL_MAX_TIERS] = {};
	char old[SL_MAX_TIERS][CFG_NAME_MAX];
	struct sl_global g;
	struct sl_roll r;
	int err;

	err = roll_load(ifc, &g, &r);
	if (err)
		goto out;
	if (!(g.tier_gen & SL_GEN_ROLL) && r.state == SL_ROLL_OFF &&
	    !r.config_hash && !r.tiers)
		return 0;
	/* 1. No packet sees the canary from here. */
	err = roll_switch(ifc, false);
	r.state = SL_ROLL_OFF;
	r.share = 0;
	if (!err)
		err = roll_write(ifc, &r);
	if (err)
		goto out;
	/* 2. Its maps. */
	memcpy(old, ifc->tier_names, sizeof(old));
	err = rollout_empty(ifc, old);
	if (err)
		goto out;
	/* 3. The ids only the canary held, and every bucket it kept apart. */
	for (int id = 0; id < SL_MAX_TIERS; id++)
		only[id] = (r.tiers >> id & 1) && old[id][0] &&
			   !apply_cfg_tier(running, old[id]);
	err = tiers_free(ifc, only, only, true, old, "canary: ", sum);
	/* 4. What it counted, and the switches' last traces. */
	if (!err)
		err = rollout_zero(ifc->skel->maps.sl_counters_c,
				   sizeof(struct sl_counter));
	if (!err)
		err = rollout_zero(ifc->skel->maps.sl_svc_stats_c,
				   sizeof(struct sl_svc_stats));
	if (err)
		goto out;
	r = (struct sl_roll){ .gen = r.gen };
	err = roll_write(ifc, &r);
out:
	if (err)
		log_err("%s: clearing the rollout from the maps failed: %s",
			ifc->name, strerror(-err));
	return err;
}

int rollout_get(const struct sl_iface *ifc, struct rollout_kstate *st)
{
	struct sl_global g;
	struct sl_roll r;
	int err;

	err = roll_load(ifc, &g, &r);
	if (err)
		return err;
	/* Without the switch bit (sl_global recreated) nothing applies. */
	*st = (struct rollout_kstate){
		.state = g.tier_gen & SL_GEN_ROLL ? r.state : SL_ROLL_OFF,
		.share = r.share, .seed = r.seed,
		.default_tier = r.default_tier, .tiers = r.tiers,
		.config_hash = r.config_hash };
	return 0;
}

int rollout_counters_read(struct sl_iface *ifc, struct sl_counter *out)
{
	return stats_read(&ifc->stats, bpf_map__fd(ifc->skel->maps.sl_counters_c),
			  out);
}

int rollout_svc_stats_read(const struct sl_iface *ifc, struct sl_svc_stats *out)
{
	return svc_stats_read_all(bpf_map__fd(ifc->skel->maps.sl_svc_stats_c),
				  out);
}

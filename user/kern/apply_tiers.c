// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Tier ids, tier values and freed ids (apply_tiers.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "kern/apply_tiers.h"
#include "kern/apply_pfx.h"
#include "kern/edge_conn.h"
#include "kern/refcache.h"
#include "kern/tier_abi.h"
#include "common/log.h"
#include "common/names.h"
#include "sluice_glob.h"
#include "sluice_rollout.h"
#include "sluice_xdp.skel.h"

int apply_name_set(struct sl_iface *ifc, __u32 id, const char *name)
{
	struct sl_tier_name tn = {};

	snprintf(tn.name, sizeof(tn.name), "%s", name);
	if (bpf_map_update_elem(ifc->names_fd, &id, &tn, BPF_ANY))
		return -errno;
	memcpy(ifc->tier_names[id], tn.name, CFG_NAME_MAX);
	return 0;
}

/* Step 1: ids for the config's tiers.  Known names keep theirs; new
 * names take an id no tier held, and only when none is left one that a
 * removed tier frees in this reload (its clients are purged after the
 * prefixes moved, so the new tier may briefly share a few of them). */
int apply_assign(struct sl_iface *ifc, const struct sl_config *cfg, int *ids,
		 char old[SL_MAX_TIERS][CFG_NAME_MAX], __u64 keep)
{
	bool taken[SL_MAX_TIERS] = {};
	int err;

	for (int id = 0; id < SL_MAX_TIERS; id++)
		taken[id] = keep >> id & 1;

	memcpy(old, ifc->tier_names, sizeof(ifc->tier_names));
	for (int i = 0; i < cfg->ntiers; i++) {
		ids[i] = apply_tier_id(ifc, cfg->tiers[i].name);
		if (ids[i] >= 0)
			taken[ids[i]] = true;
	}
	for (int i = 0; i < cfg->ntiers; i++) {
		int id;

		if (ids[i] >= 0)
			continue;
		for (id = 0; id < SL_MAX_TIERS; id++)
			if (!taken[id] && !old[id][0])
				break;
		if (id == SL_MAX_TIERS)
			for (id = 0; id < SL_MAX_TIERS && taken[id]; id++)
				;
		if (id == SL_MAX_TIERS)
			return -ENOSPC;		/* config.c caps tiers at 64 */
		/* Persist before any map refers to the id. */
		err = apply_name_set(ifc, id, cfg->tiers[i].name);
		if (err)
			return err;
		taken[id] = true;
		ids[i] = id;
	}
	return 0;
}

static double meter_rate(const struct sl_meter *m)
{
	return m->interval_fp ? (double)SL_NSEC_PER_SEC * (1 << SL_FP_SHIFT) /
				m->interval_fp : 0.0;
}

/* A tier as the maps hold it, for change notes. */
static char *tier_describe(const struct sl_tier *t, char *buf, size_t size)
{
	size_t n;

	n = snprintf(buf, size, "%s", verdict_name(t->verdict));
	if (t->verdict != SL_TIER_LIMIT)
		return buf;
	n += snprintf(buf + n, size > n ? size - n : 0, " key /%u /%u",
		      t->v4_prefix, t->v6_prefix);
	for (int i = 0; i < t->nmeters && i < SL_METERS_PER_TIER; i++) {
		const struct sl_meter *m = &t->meters[i];

		n += snprintf(buf + n, size > n ? size - n : 0,
			      "%s %s %.6g/s burst %u %s%s", i ? "," : ":",
			      unit_name(m->unit), meter_rate(m), m->burst,
			      action_name(m->action),
			      (t->flags & SL_TIER_F_GLOBAL) &&
			      SL_TIER_GLOBAL_METER(t->flags) == (__u32)i ?
			      " global" : "");
	}
	if (t->flags & SL_TIER_F_FLOOD_GUARD)
		snprintf(buf + n, size > n ? size - n : 0,
			 "; flood guard %.6g/s burst %u",
			 meter_rate(&t->new_clients), t->new_clients.burst);
	return buf;
}

/* Do the tier's client keys or meter slots mean something else now?
 * Then its clients' state would be misread: they start afresh. */
static bool tier_rekeyed(const struct sl_tier *a, const struct sl_tier *b)
{
	if (a->v4_prefix != b->v4_prefix || a->v6_prefix != b->v6_prefix)
		return true;
	for (int i = 0; i < SL_METERS_PER_TIER; i++)
		if (a->meters[i].unit != b->meters[i].unit)
			return true;
	return false;
}

static bool tier_empty(const struct sl_tier *t)
{
	static const struct sl_tier zero;

	return !memcmp(t, &zero, sizeof(zero));
}

/* Step 2: the idle half of sl_tiers.  Tiers being removed keep their
 * values there until their prefixes are gone (step 3). */
int tiers_write(struct sl_iface *ifc, const struct sl_config *cfg,
		const int *ids, char old[SL_MAX_TIERS][CFG_NAME_MAX],
		const struct tiers_dest *d, bool *purge,
		const struct reply_plan *rp, struct apply_summary *sum)
{
	struct sl_tier cur[SL_MAX_TIERS] = {}, next[SL_MAX_TIERS] = {};
	int fd = bpf_map__fd(ifc->skel->maps.sl_tiers);
	int wfd = d->canary ? bpf_map__fd(ifc->skel->maps.sl_tiers_c) : fd;
	const char *what = d->canary ? "canary: " : "";
	bool in_cfg[SL_MAX_TIERS] = {};
	char a[512], b[512];
	int err;

	for (__u32 id = 0; id < SL_MAX_TIERS && !d->fresh; id++) {
		__u32 slot = d->cur_base + id;

		if (bpf_map_lookup_elem(fd, &slot, &cur[id]))
			return -errno;
	}
	for (__u32 id = 0; id < SL_MAX_TIERS && !d->canary; id++)
		if (old[id][0] && !apply_cfg_tier(cfg, old[id]))
			next[id] = cur[id];
	for (int i = 0; i < cfg->ntiers; i++) {
		const struct cfg_tier *t = &cfg->tiers[i];
		int id = ids[i];
		bool known;

		in_cfg[id] = true;
		err = cfg_tier_to_abi_in(t, ifc->clients, &next[id]);
		if (err) {
			log_err("%s: %stier '%s' (line %d) cannot be written: %s",
				ifc->name, what, t->name, t->line, strerror(-err));
			return err;
		}
		replies_tier_set(rp, i, &next[id]);
		edge_conn_tier_flag(cfg, &next[id]);
		known = d->canary ? !tier_empty(&cur[id]) :
				    !d->fresh && !strcmp(old[id], t->name);
		if (!known) {
			apply_note(sum, "%stier %s added (id %d): %s", what,
				   t->name, id,
				   tier_describe(&next[id], a, sizeof(a)));
			continue;
		}
		if (replies_tier_same(bpf_map__fd(ifc->skel->maps.sl_replies),
				      d->cur_gen, &cur[id], rp, &next[id],
				      t->name, sum))
			continue;
		apply_note(sum, "%stier %s changed: %s -> %s", what, t->name,
			   tier_describe(&cur[id], a, sizeof(a)),
			   tier_describe(&next[id], b, sizeof(b)));
		if (!tier_rekeyed(&cur[id], &next[id]))
			continue;
		if (d->canary) {
			next[id].flags |= SL_TIER_F_ROLL_APART;
			apply_note(sum, "canary: tier %s: client keys or meter units differ, its canary clients have buckets of their own",
				   t->name);
		} else {
			purge[id] = true;
			apply_note(sum, "tier %s: client keys or meter units changed, its clients start afresh",
				   t->name);
		}
	}
	for (__u32 id = 0; id < SL_MAX_TIERS && d->canary; id++)
		if (!in_cfg[id] && !tier_empty(&cur[id]))
			apply_note(sum, "canary: tier %s removed",
				   ifc->tier_names[id]);
	for (__u32 id = 0; id < SL_MAX_TIERS; id++) {
		__u32 slot = d->next_base + id;

		if (bpf_map_update_elem(wfd, &slot, &next[id], BPF_ANY))
			return -errno;
	}
	return 0;
}


/* Delete every entry keyed by client (sl_clients, the global limits'
 * sl_glob_use and sl_glob_grant) whose tier is marked in `purge`, and
 * with `apart` every key a canary tier kept apart. */
int tiers_purge_clients(int fd, const bool *purge, bool apart, long *deleted)
{
	struct sl_client_key key, next, *keys = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	int err = 0;

	/* Collect first: deleting while walking a hash restarts the walk. */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if ((next.tier < SL_MAX_TIERS && purge[next.tier]) ||
		    (apart && next.pad[0] == SL_KEY_CANARY)) {
			err = apply_vec_reserve((void **)&keys, n, &cap, sizeof(*keys));
			if (err)
				goto out;
			keys[n++] = next;
		}
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < n; i++)
		if (!bpf_map_delete_elem(fd, &keys[i]))
			(*deleted)++;
out:
	free(keys);
	return err;
}

int tiers_free(struct sl_iface *ifc, const bool *removed, const bool *purge,
	       bool apart, char old[SL_MAX_TIERS][CFG_NAME_MAX],
	       const char *what, struct apply_summary *sum)
{
	const struct bpf_map *maps[] = { ifc->skel->maps.sl_clients,
					 ifc->skel->maps.sl_glob_use,
					 ifc->skel->maps.sl_glob_grant };
	struct sl_flood zero_flood = {};
	long deleted = 0;
	int err = 0;

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]) && !err; i++)
		err = tiers_purge_clients(bpf_map__fd(maps[i]), purge, apart,
					  &deleted);
	if (err)
		return err;
	log_dbg("%s: deleted %ld client and global-limit entries of removed or re-keyed tiers",
		ifc->name, deleted);
	/* A refusal noted for a deleted client would outlast it. */
	if (deleted) {
		err = refcache_forget(ifc);
		if (err)
			return err;
	}
	for (__u32 id = 0; id < SL_MAX_TIERS; id++) {
		if (!purge[id])
			continue;
		if (bpf_map_update_elem(bpf_map__fd(ifc->skel->maps.sl_flood),
					&id, &zero_flood, BPF_ANY))
			return -errno;
		if (!removed[id])
			continue;
		err = stats_clear_tier(&ifc->stats,
				       bpf_map__fd(ifc->skel->maps.sl_counters), id);
		if (!err)
			err = stats_clear_edge_tier(
				bpf_map__fd(ifc->skel->maps.sl_edge_status), id);
		if (err)
			return err;
		apply_note(sum, "%stier %s removed (id %u freed)", what, old[id],
			   id);
		/* A removed id taken by a new tier already has its name. */
		if (!strcmp(ifc->tier_names[id], old[id])) {
			err = apply_name_set(ifc, id, "");
			if (err)
				return err;
		}
	}
	return 0;
}

/* Step 4: what removed tiers leave behind. */
int apply_cleanup(struct sl_iface *ifc, const struct sl_config *cfg,
		  char old[SL_MAX_TIERS][CFG_NAME_MAX], bool *purge, __u64 keep,
		  struct apply_summary *sum)
{
	bool removed[SL_MAX_TIERS] = {}, any = false;

	for (__u32 id = 0; id < SL_MAX_TIERS; id++) {
		removed[id] = old[id][0] && !(keep >> id & 1) &&
			      !apply_cfg_tier(cfg, old[id]);
		purge[id] |= removed[id];
		any |= purge[id];
	}
	if (!any)
		return 0;
	return tiers_free(ifc, removed, purge, false, old, "", sum);
}

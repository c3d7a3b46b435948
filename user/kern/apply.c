// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "kern/apply.h"
#include "kern/apply_pfx.h"
#include "kern/apply_tiers.h"
#include "kern/edge_conn.h"
#include "kern/replies.h"
#include "kern/services.h"
#include "common/log.h"
#include "common/names.h"
#include "common/proto.h"
#include "sluice_rollout.h"
#include "sluice_xdp.skel.h"

int apply_note(struct apply_summary *s, const char *fmt, ...)
{
	char *line;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->lines[i], line)) {
			free(line);
			return 0;
		}
	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 16;
		char **v = realloc(s->lines, cap * sizeof(*v));

		if (!v) {
			free(line);
			return -ENOMEM;
		}
		s->lines = v;
		s->cap = cap;
	}
	s->lines[s->n++] = line;
	return 0;
}

void apply_summary_free(struct apply_summary *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->lines[i]);
	free(s->lines);
	memset(s, 0, sizeof(*s));
}

const struct cfg_tier *apply_cfg_tier(const struct sl_config *cfg,
				      const char *name)
{
	for (int i = 0; i < cfg->ntiers; i++)
		if (!strcmp(cfg->tiers[i].name, name))
			return &cfg->tiers[i];
	return NULL;
}

int apply_global_get(const struct sl_iface *ifc, struct sl_global *g)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(ifc->skel->maps.sl_global), &zero, g))
		return -errno;
	return 0;
}

int apply_global_set(const struct sl_iface *ifc, const struct sl_global *g)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(ifc->skel->maps.sl_global), &zero,
				g, BPF_ANY))
		return -errno;
	return 0;
}

int apply_tier_get(const struct sl_iface *ifc, __u32 id, struct sl_tier *t)
{
	struct sl_global g;
	__u32 slot;
	int err;

	if (id >= SL_MAX_TIERS)
		return -EINVAL;
	err = apply_global_get(ifc, &g);
	if (err)
		return err;
	slot = sl_tier_slot(g.tier_gen, id);
	if (bpf_map_lookup_elem(bpf_map__fd(ifc->skel->maps.sl_tiers), &slot, t))
		return -errno;
	return 0;
}

int apply_tier_id(const struct sl_iface *ifc, const char *name)
{
	for (int id = 0; id < SL_MAX_TIERS; id++)
		if (!strcmp(ifc->tier_names[id], name))
			return id;
	return -1;
}

/* The tier ids a rollout's canary holds (sl_roll.tiers), 0 for none. */
static __u64 apply_roll_tiers(const struct sl_iface *ifc)
{
	struct sl_roll r;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(ifc->skel->maps.sl_roll), &zero, &r))
		return 0;
	return r.tiers;
}

static const char *tier_name_of(char names[SL_MAX_TIERS][CFG_NAME_MAX],
				__u32 id)
{
	return id < SL_MAX_TIERS && names[id][0] ? names[id] : "(none)";
}

int apply_config(struct sl_iface *ifc, const struct sl_config *cfg,
		 struct apply_summary *sum)
{
	char old[SL_MAX_TIERS][CFG_NAME_MAX];
	bool purge[SL_MAX_TIERS] = {};
	struct reply_plan rp = {};
	struct svc_apply sa;
	struct sl_global g, ng;
	struct tiers_dest td;
	int *ids, err;
	__u32 half;
	__u64 keep;
	bool fresh;

	ids = calloc(cfg->ntiers, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	err = apply_global_get(ifc, &g);
	if (err)
		goto out;
	/* Nothing was ever written: no earlier state to compare with. */
	fresh = g.abi_version == 0;
	/* A rollout's canary holds these ids: never freed nor reused. */
	keep = apply_roll_tiers(ifc);
	err = apply_assign(ifc, cfg, ids, old, keep);
	if (!err)
		err = replies_plan(cfg, &rp);
	if (err)
		goto out;

	ng = g;
	ng.abi_version = SL_ABI_VERSION;
	ng.mode = cfg->mode;
	ng.malformed = cfg->malformed;
	ng.default_tier = ids[cfg->default_tier];
	ng.config_hash = cfg->hash;
	/* Flip the half; a rollout stays on (SL_GEN_ROLL). */
	ng.tier_gen = (fresh ? 0 : !(g.tier_gen & 1)) | (g.tier_gen & SL_GEN_ROLL);
	/* Templates before the tiers that name them (a fresh start writes
	 * the live half). */
	half = ng.tier_gen & 1;
	err = replies_write(bpf_map__fd(ifc->skel->maps.sl_replies), half, &rp);
	/* The ports before the tiers that turn them on. */
	if (!err)
		err = edge_conn_apply(ifc, cfg, sum);
	td = (struct tiers_dest){ .next_base = sl_tier_slot(half, 0),
				  .cur_base = sl_tier_slot(!half, 0),
				  .cur_gen = !half, .fresh = fresh };
	if (!err)
		err = tiers_write(ifc, cfg, ids, old, &td, purge, &rp, sum);
	if (!err)
		err = services_write(ifc, cfg, &rp, half, fresh, &sa, sum);
	if (err)
		goto out;
	err = apply_global_set(ifc, &ng);
	if (err)
		goto out;
	if (!fresh && g.mode != ng.mode)
		apply_note(sum, "mode %s -> %s", mode_name(g.mode & 1),
			   mode_name(ng.mode & 1));
	if (!fresh && g.malformed != ng.malformed)
		apply_note(sum, "malformed %s -> %s", policy_name(g.malformed & 1),
			   policy_name(ng.malformed & 1));
	if (!fresh && strcmp(tier_name_of(old, g.default_tier),
			     ifc->tier_names[ng.default_tier]))
		apply_note(sum, "default tier %s -> %s",
			   tier_name_of(old, g.default_tier),
			   ifc->tier_names[ng.default_tier]);

	err = apply_prefixes(ifc, ifc->skel->maps.sl_pfx_v4, SL_AF_INET, cfg,
			     ids, old, "", sum);
	if (!err)
		err = apply_prefixes(ifc, ifc->skel->maps.sl_pfx_v6,
				     SL_AF_INET6, cfg, ids, old, "", sum);
	/* A source refused between the tier flip and the new prefixes was
	 * noted under its old tier: the epoch retires such notes. */
	if (!err) {
		ng.epoch++;
		err = apply_global_set(ifc, &ng);
	}
	if (!err)
		err = apply_cleanup(ifc, cfg, old, purge, keep, sum);
	if (!err)
		err = services_cleanup(ifc, &sa, sum);
out:
	if (err)
		log_err("%s: applying the config to the maps failed: %s",
			ifc->name, strerror(-err));
	replies_plan_free(&rp);
	free(ids);
	return err;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "kern/apply.h"
#include "kern/edge_conn.h"
#include "kern/tier_abi.h"
#include "kern/replies.h"
#include "kern/services.h"
#include "common/log.h"
#include "common/names.h"
#include "common/proto.h"
#include "sluice_glob.h"
#include "sluice_xdp.skel.h"

/* Prefix changes listed one by one before they are only counted. */
#define APPLY_LIST_MAX	10

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

static int names_set(struct sl_iface *ifc, __u32 id, const char *name)
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
static int apply_assign(struct sl_iface *ifc, const struct sl_config *cfg,
			int *ids, char old[SL_MAX_TIERS][CFG_NAME_MAX])
{
	bool taken[SL_MAX_TIERS] = {};
	int err;

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
		err = names_set(ifc, id, cfg->tiers[i].name);
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

/* Step 2: the idle half of sl_tiers.  Tiers being removed keep their
 * values there until their prefixes are gone (step 3). */
static int apply_tiers(struct sl_iface *ifc, const struct sl_config *cfg,
		       const int *ids, char old[SL_MAX_TIERS][CFG_NAME_MAX],
		       __u32 gen, bool fresh, bool *purge,
		       const struct reply_plan *rp, struct apply_summary *sum)
{
	struct sl_tier cur[SL_MAX_TIERS] = {}, next[SL_MAX_TIERS] = {};
	int fd = bpf_map__fd(ifc->skel->maps.sl_tiers);
	char a[512], b[512];
	int err;

	for (__u32 id = 0; id < SL_MAX_TIERS && !fresh; id++) {
		__u32 slot = sl_tier_slot(!gen, id);

		if (bpf_map_lookup_elem(fd, &slot, &cur[id]))
			return -errno;
	}
	for (__u32 id = 0; id < SL_MAX_TIERS; id++)
		if (old[id][0] && !apply_cfg_tier(cfg, old[id]))
			next[id] = cur[id];
	for (int i = 0; i < cfg->ntiers; i++) {
		const struct cfg_tier *t = &cfg->tiers[i];
		int id = ids[i];

		err = cfg_tier_to_abi(t, &next[id]);
		if (err) {
			log_err("%s: tier '%s' (line %d) cannot be written: %s",
				ifc->name, t->name, t->line, strerror(-err));
			return err;
		}
		replies_tier_set(rp, i, &next[id]);
		edge_conn_tier_flag(cfg, &next[id]);
		if (strcmp(old[id], t->name) || fresh) {
			apply_note(sum, "tier %s added (id %d): %s", t->name, id,
				   tier_describe(&next[id], a, sizeof(a)));
			continue;
		}
		if (replies_tier_same(bpf_map__fd(ifc->skel->maps.sl_replies),
				      !gen, &cur[id], rp, &next[id], t->name, sum))
			continue;
		apply_note(sum, "tier %s changed: %s -> %s", t->name,
			   tier_describe(&cur[id], a, sizeof(a)),
			   tier_describe(&next[id], b, sizeof(b)));
		if (tier_rekeyed(&cur[id], &next[id])) {
			purge[id] = true;
			apply_note(sum, "tier %s: client keys or meter units changed, its clients start afresh",
				   t->name);
		}
	}
	for (__u32 id = 0; id < SL_MAX_TIERS; id++) {
		__u32 slot = sl_tier_slot(gen, id);

		if (bpf_map_update_elem(fd, &slot, &next[id], BPF_ANY))
			return -errno;
	}
	return 0;
}

/* Room for one more element in a growing array. */
static int vec_reserve(void **v, size_t n, size_t *cap, size_t size)
{
	void *nv;

	if (n < *cap)
		return 0;
	nv = realloc(*v, (*cap ? 2 * *cap : 256) * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = *cap ? 2 * *cap : 256;
	return 0;
}

/* A trie entry, keys zero-padded to the IPv6 size so both families
 * sort and compare alike. */
struct pfx_ent {
	__u8  key[sizeof(struct sl_pfx_v6)];
	__u32 tier;
};

static int pfx_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(((struct pfx_ent *)0)->key));
}

static char *pfx_format(const struct pfx_ent *e, int family, char *buf,
			size_t size)
{
	struct cfg_prefix p = { .family = family };
	__u32 len;

	memcpy(&len, e->key, sizeof(len));
	p.len = len;
	memcpy(p.addr, e->key + sizeof(len), family == SL_AF_INET ? 4 : 16);
	return addr_format(&p, true, buf, size);
}

/* What the trie holds now. */
static int pfx_read(int fd, size_t ks, struct pfx_ent **out, int *n)
{
	__u8 key[sizeof(struct sl_pfx_v6)], next[sizeof(key)];
	struct pfx_ent *v = NULL;
	void *prev = NULL;
	size_t cap = 0;
	int err = 0;

	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		err = vec_reserve((void **)&v, *n, &cap, sizeof(*v));
		if (err)
			goto fail;
		memset(&v[*n], 0, sizeof(v[*n]));
		memcpy(v[*n].key, next, ks);
		if (bpf_map_lookup_elem(fd, next, &v[*n].tier) == 0)
			(*n)++;
		memcpy(key, next, ks);
		prev = key;
	}
	if (errno != ENOENT) {
		err = -errno;
		goto fail;
	}
	qsort(v, *n, sizeof(*v), pfx_cmp);
	*out = v;
	return 0;
fail:
	free(v);
	return err;
}

/* What the config wants in the trie of `family`. */
static int pfx_want(const struct sl_config *cfg, const int *ids, int family,
		    struct pfx_ent **out, int *n)
{
	struct pfx_ent *v;
	int total = 0;

	for (int i = 0; i < cfg->ntiers; i++)
		total += cfg->tiers[i].nmatch;
	v = calloc(total ? total : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*n = 0;
	for (int i = 0; i < cfg->ntiers; i++)
		for (int j = 0; j < cfg->tiers[i].nmatch; j++) {
			const struct cfg_prefix *p = &cfg->tiers[i].match[j];
			__u32 len = p->len;

			if (p->family != family)
				continue;
			memcpy(v[*n].key, &len, sizeof(len));
			memcpy(v[*n].key + sizeof(len), p->addr,
			       family == SL_AF_INET ? 4 : 16);
			v[*n].tier = ids[i];
			(*n)++;
		}
	qsort(v, *n, sizeof(*v), pfx_cmp);
	*out = v;
	return 0;
}

/* Step 3 for one family: add and retarget first, then delete. */
static int apply_prefixes(struct sl_iface *ifc, struct bpf_map *m, int family,
			  const struct sl_config *cfg, const int *ids,
			  char old[SL_MAX_TIERS][CFG_NAME_MAX],
			  struct apply_summary *sum)
{
	struct pfx_ent *have = NULL, *want = NULL, *e;
	int fd = bpf_map__fd(m), nhave, nwant, err;
	int added = 0, moved = 0, removed = 0;
	size_t ks = bpf_map__key_size(m);
	const char *fam = family == SL_AF_INET ? "IPv4" : "IPv6";
	char buf[ADDR_STR_MAX];

	err = pfx_read(fd, ks, &have, &nhave);
	if (!err)
		err = pfx_want(cfg, ids, family, &want, &nwant);
	if (err)
		goto out;
	for (int i = 0; i < nwant; i++) {
		e = bsearch(&want[i], have, nhave, sizeof(*have), pfx_cmp);
		if (e && e->tier == want[i].tier)
			continue;
		if (bpf_map_update_elem(fd, want[i].key, &want[i].tier, BPF_ANY)) {
			err = -errno;
			log_err("%s: cannot add prefix %s to %s: %s", ifc->name,
				pfx_format(&want[i], family, buf, sizeof(buf)),
				bpf_map__name(m), strerror(-err));
			goto out;
		}
		if (e && ++moved <= APPLY_LIST_MAX)
			apply_note(sum, "prefix %s moved: tier %s -> %s",
				   pfx_format(&want[i], family, buf, sizeof(buf)),
				   e->tier < SL_MAX_TIERS && old[e->tier][0] ?
				   old[e->tier] : "?",
				   ifc->tier_names[want[i].tier]);
		else if (!e && ++added <= APPLY_LIST_MAX)
			apply_note(sum, "prefix %s added (tier %s)",
				   pfx_format(&want[i], family, buf, sizeof(buf)),
				   ifc->tier_names[want[i].tier]);
	}
	for (int i = 0; i < nhave; i++) {
		if (bsearch(&have[i], want, nwant, sizeof(*want), pfx_cmp))
			continue;
		if (bpf_map_delete_elem(fd, have[i].key) && errno != ENOENT) {
			err = -errno;
			log_err("%s: cannot delete prefix %s from %s: %s",
				ifc->name,
				pfx_format(&have[i], family, buf, sizeof(buf)),
				bpf_map__name(m), strerror(-err));
			goto out;
		}
		if (++removed <= APPLY_LIST_MAX)
			apply_note(sum, "prefix %s removed (was tier %s)",
				   pfx_format(&have[i], family, buf, sizeof(buf)),
				   have[i].tier < SL_MAX_TIERS &&
				   old[have[i].tier][0] ? old[have[i].tier] : "?");
	}
	if (added + moved + removed > APPLY_LIST_MAX)
		apply_note(sum, "%s prefixes: %d added, %d moved, %d removed",
			   fam, added, moved, removed);
out:
	free(have);
	free(want);
	return err;
}

/* Delete every entry keyed by client (sl_clients, the global limits'
 * sl_glob_use and sl_glob_grant) whose tier is marked in `purge`. */
static int apply_purge_clients(int fd, const bool *purge, long *deleted)
{
	struct sl_client_key key, next, *keys = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	int err = 0;

	/* Collect first: deleting while walking a hash restarts the walk. */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (next.tier < SL_MAX_TIERS && purge[next.tier]) {
			err = vec_reserve((void **)&keys, n, &cap, sizeof(*keys));
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

/* Step 4: what removed tiers leave behind. */
static int apply_cleanup(struct sl_iface *ifc, const struct sl_config *cfg,
			 char old[SL_MAX_TIERS][CFG_NAME_MAX], bool *purge,
			 struct apply_summary *sum)
{
	bool removed[SL_MAX_TIERS] = {}, any = false;
	struct sl_flood zero_flood = {};
	long deleted;
	int err;

	for (__u32 id = 0; id < SL_MAX_TIERS; id++) {
		removed[id] = old[id][0] && !apply_cfg_tier(cfg, old[id]);
		purge[id] |= removed[id];
		any |= purge[id];
	}
	if (!any)
		return 0;
	deleted = 0;
	err = apply_purge_clients(bpf_map__fd(ifc->skel->maps.sl_clients),
				  purge, &deleted);
	if (!err)
		err = apply_purge_clients(bpf_map__fd(ifc->skel->maps.sl_glob_use),
					  purge, &deleted);
	if (!err)
		err = apply_purge_clients(bpf_map__fd(ifc->skel->maps.sl_glob_grant),
					  purge, &deleted);
	if (err)
		return err;
	log_dbg("%s: deleted %ld client and global-limit entries of removed or re-keyed tiers",
		ifc->name, deleted);
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
		apply_note(sum, "tier %s removed (id %u freed)", old[id], id);
		/* A removed id taken by a new tier already has its name. */
		if (!strcmp(ifc->tier_names[id], old[id])) {
			err = names_set(ifc, id, "");
			if (err)
				return err;
		}
	}
	return 0;
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
	int *ids, err;
	bool fresh;

	ids = calloc(cfg->ntiers, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	err = apply_global_get(ifc, &g);
	if (err)
		goto out;
	/* Nothing was ever written: no earlier state to compare with. */
	fresh = g.abi_version == 0;
	err = apply_assign(ifc, cfg, ids, old);
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
	ng.tier_gen = fresh ? 0 : !(g.tier_gen & 1);
	/* Templates before the tiers that name them (a fresh start writes
	 * the live half). */
	err = replies_write(bpf_map__fd(ifc->skel->maps.sl_replies),
			    ng.tier_gen, &rp);
	/* The ports before the tiers that turn them on. */
	if (!err)
		err = edge_conn_apply(ifc, cfg, sum);
	if (!err)
		err = apply_tiers(ifc, cfg, ids, old, ng.tier_gen, fresh, purge,
				  &rp, sum);
	if (!err)
		err = services_write(ifc, cfg, &rp, ng.tier_gen, fresh, &sa, sum);
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
			     ids, old, sum);
	if (!err)
		err = apply_prefixes(ifc, ifc->skel->maps.sl_pfx_v6,
				     SL_AF_INET6, cfg, ids, old, sum);
	/* A source refused between the tier flip and the new prefixes was
	 * noted under its old tier: the epoch retires such notes. */
	if (!err) {
		ng.epoch++;
		err = apply_global_set(ifc, &ng);
	}
	if (!err)
		err = apply_cleanup(ifc, cfg, old, purge, sum);
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

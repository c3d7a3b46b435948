// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The tiers section: names, match prefixes (each once across all tiers,
 * one catch-all), client keys, verdicts, limits and flood guards, and
 * which tier is the default.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/tiers.h"
#include "config/degrade.h"
#include "config/flood_default.h"
#include "config/limits.h"
#include "config/replies.h"
#include "common/names.h"

#define NAME_MAX_LEN		(CFG_NAME_MAX - 1)

/* Every prefix of every tier, for the duplicate check across tiers. */
struct pfx_ref {
	struct cfg_prefix p;
	yaml_node_t *node;
	int tier, idx;		/* where it was written: tiers[tier].match[idx] */
	int order;		/* position in the file, to report the later one */
};

/* The walk's section state while tiers are parsed. */
struct tiers_state {
	struct sl_config *cfg;
	int tier;			/* index of the tier being parsed */
	int catchall;			/* tier with a /0 prefix, or -1 */
	struct pfx_ref *pfx;
	int npfx, pfx_cap, nv4, nv6;
};

static int tier_name(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct tiers_state *ts = w->section;
	struct cfg_tier *t = obj;
	const char *s = walk_scalar(v);
	size_t len = s ? strlen(s) : 0;

	if (!len || len > NAME_MAX_LEN ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != len)
		return walk_expect(w, v, "a tier name of 1..63 characters from A-Z a-z 0-9 _ -");
	for (int i = 0; i < ts->tier; i++)
		if (!strcmp(ts->cfg->tiers[i].name, s))
			return walk_err(w, v, "expected a unique tier name, got '%s' (also tiers[%d] at line %d)",
				        s, i, ts->cfg->tiers[i].line);
	memcpy(t->name, s, len + 1);
	return 0;
}

static int pfx_remember(struct cfg_walk *w, const struct cfg_prefix *p,
			yaml_node_t *n, int idx)
{
	struct tiers_state *ts = w->section;

	if (ts->npfx == ts->pfx_cap) {
		int cap = ts->pfx_cap ? 2 * ts->pfx_cap : 256;
		struct pfx_ref *r = realloc(ts->pfx, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		ts->pfx = r;
		ts->pfx_cap = cap;
	}
	ts->pfx[ts->npfx] = (struct pfx_ref){ .p = *p, .node = n,
					    .tier = ts->tier, .idx = idx,
					    .order = ts->npfx };
	ts->npfx++;
	return 0;
}

static int tier_prefix(struct cfg_walk *w, yaml_node_t *v, int idx,
		       struct cfg_prefix *p)
{
	struct tiers_state *ts = w->section;
	char want[ADDR_STR_MAX + 64], a[ADDR_STR_MAX];
	const char *s = walk_scalar(v);
	struct cfg_prefix masked;

	if (!s || addr_parse(s, p))
		return walk_expect(w, v, "an IPv4 or IPv6 prefix like 198.18.0.0/15 or 2001:2::/48");
	if (!addr_is_masked(p)) {
		masked = *p;
		addr_mask(&masked, p->len);
		snprintf(want, sizeof(want), "a prefix without host bits (%s)",
			 addr_format(&masked, true, a, sizeof(a)));
		return walk_expect(w, v, want);
	}
	if ((p->family == SL_AF_INET ? ++ts->nv4 : ++ts->nv6) > SL_MAX_PREFIXES)
		return walk_expect(w, v, p->family == SL_AF_INET ?
				   "at most 65536 IPv4 prefixes in all tiers" :
				   "at most 65536 IPv6 prefixes in all tiers");
	if (p->len == 0) {
		if (ts->catchall >= 0 && ts->catchall != ts->tier) {
			const struct cfg_tier *o = &ts->cfg->tiers[ts->catchall];

			return walk_err(w, v, "expected one catch-all tier, got '%s' (tiers[%d] '%s' at line %d is the catch-all already)",
				        s, ts->catchall, o->name, o->line);
		}
		ts->catchall = ts->tier;
	}
	return pfx_remember(w, p, v, idx);
}

static int tier_match(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	static const char what[] = "a list of prefixes like [198.18.0.0/15, 2001:2::/48]";
	struct cfg_tier *t = obj;
	int n, err;

	if (!v || v->type != YAML_SEQUENCE_NODE || !(n = walk_seq_len(v)))
		return walk_expect(w, v, what);
	t->match = calloc(n, sizeof(*t->match));
	if (!t->match)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		size_t mark = walk_path_push(w, "[%d]", i);

		err = tier_prefix(w, walk_seq_item(w, v, i), i, &t->match[i]);
		walk_path_pop(w, mark);
		if (err)
			return err;
		t->nmatch++;
	}
	return 0;
}

static int key_len(struct cfg_walk *w, yaml_node_t *v, bool v6, uint8_t *out)
{
	uint64_t x;
	int err = walk_uint(w, v, 1, v6 ? 128 : 32, v6 ?
			     "an IPv6 prefix length" : "an IPv4 prefix length", &x);

	if (!err)
		*out = x;
	return err;
}

static int key_v4(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return key_len(w, v, false, &((struct cfg_tier *)obj)->v4_prefix);
}

static int key_v6(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return key_len(w, v, true, &((struct cfg_tier *)obj)->v6_prefix);
}

static const struct cfg_key key_keys[] = {
	{ "v4_prefix", key_v4 },
	{ "v6_prefix", key_v6 },
};

static int tier_key(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	unsigned seen;

	return walk_map(w, v, key_keys, NKEYS(key_keys), obj,
			"a mapping like {v4_prefix: 32, v6_prefix: 64}", &seen);
}

static int tier_verdict(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	int x = 0, err = walk_enum(w, v, &sl_verdict_names, 0, &x);

	((struct cfg_tier *)obj)->verdict = x;
	return err;
}

/* The tier's sl_tier flags name one global meter (sluice_glob.h). */
static int tier_one_global(struct cfg_walk *w, yaml_node_t *limits,
			   const struct cfg_tier *t, int i)
{
	yaml_node_t *at;
	size_t mark;
	int err;

	if (t->meters[i].scope != CFG_SCOPE_GLOBAL)
		return 0;
	for (int j = 0; j < i; j++) {
		if (t->meters[j].scope != CFG_SCOPE_GLOBAL)
			continue;
		at = walk_map_get(w, walk_seq_item(w, limits, i), "scope");
		mark = walk_path_key(w, "scope");
		err = walk_err(w, at, "expected at most one global limit per tier, got a second one (limits[%d] at line %zu is global already)",
			       j, walk_seq_item(w, limits, j)->start_mark.line + 1);
		walk_path_pop(w, mark);
		return err;
	}
	return 0;
}

static int tier_limits(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_tier *t = obj;
	int n, err;

	if (!v || v->type != YAML_SEQUENCE_NODE)
		return walk_expect(w, v, "a list of limits like [{unit: requests, rate: 10/s}]");
	n = walk_seq_len(v);
	for (int i = 0; i < n; i++) {
		size_t mark = walk_path_push(w, "[%d]", i);

		if (i == SL_METERS_PER_TIER)
			err = walk_err(w, walk_seq_item(w, v, i),
				       "expected at most %d limits per tier, got %d",
				       SL_METERS_PER_TIER, n);
		else
			err = limit_parse(w, walk_seq_item(w, v, i), &t->meters[i]);
		if (!err)
			err = tier_one_global(w, v, t, i);
		walk_path_pop(w, mark);
		if (err)
			return err;
		t->nmeters++;
	}
	return 0;
}

/* `flood_guard: off` (or false): no guard, not even the default one. */
static int tier_flood(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_tier *t = obj;
	const char *s = walk_scalar(v);
	int err;

	if (s && (!strcmp(s, "off") || !strcmp(s, "false")))
		return 0;
	err = flood_guard_parse(w, v, &t->new_clients);
	t->flood_guard = !err;
	return err;
}

static int tier_reply(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return cfg_parse_reply(w, v, &((struct cfg_tier *)obj)->reply);
}

enum { TK_NAME, TK_MATCH, TK_KEY, TK_VERDICT, TK_LIMITS, TK_FLOOD, TK_REPLY,
       TK_DEGRADE };

static const struct cfg_key tier_keys[] = {
	[TK_NAME]	= { "name", tier_name },
	[TK_MATCH]	= { "match", tier_match },
	[TK_KEY]	= { "key", tier_key },
	[TK_VERDICT]	= { "verdict", tier_verdict },
	[TK_LIMITS]	= { "limits", tier_limits },
	[TK_FLOOD]	= { "flood_guard", tier_flood },
	[TK_REPLY]	= { "reply", tier_reply },
	[TK_DEGRADE]	= { "degrade", cfg_parse_tier_degrade },
};

static int tier_parse(struct cfg_walk *w, yaml_node_t *n, struct cfg_tier *t)
{
	yaml_node_t *v;
	char what[96];
	unsigned seen;
	int err;

	t->verdict = SL_TIER_LIMIT;
	t->v4_prefix = 32;
	t->v6_prefix = 64;
	for (int l = 0; l < DEGRADE_LEVELS; l++)
		t->degrade[l] = 1.0;
	t->line = n->start_mark.line + 1;
	err = walk_map(w, n, tier_keys, NKEYS(tier_keys),
		       t, "a tier like {name: vip, match: [198.18.10.0/24], limits: [...]}",
		       &seen);
	if (err)
		return err;
	if (!(seen & KEY_BIT(TK_NAME)))
		return walk_missing(w, n, "name", "a tier name");
	/* Nothing said about floods: the default guard, sized once the
	 * client table's size is known (cfg_tiers_finish).  Not on a tier
	 * without limits: its packets pass unmetered, a guard there would
	 * refuse nothing. */
	t->flood_default = t->verdict == SL_TIER_LIMIT && t->nmeters &&
			   !(seen & KEY_BIT(TK_FLOOD));
	/* Meters on an allow- or denylist tier would never run. */
	snprintf(what, sizeof(what), "no limits on a tier with verdict %s",
		 verdict_name(t->verdict));
	if (t->verdict != SL_TIER_LIMIT && t->nmeters) {
		v = walk_map_get(w, n, "limits");
		return walk_expect_key(w, v, v, "limits", what);
	}
	snprintf(what, sizeof(what), "no flood_guard on a tier with verdict %s",
		 verdict_name(t->verdict));
	if (t->verdict != SL_TIER_LIMIT && t->flood_guard) {
		v = walk_map_get(w, n, "flood_guard");
		return walk_expect_key(w, v, v, "flood_guard", what);
	}
	snprintf(what, sizeof(what), "no degrade factors on a tier with verdict %s (it has no limits)",
		 verdict_name(t->verdict));
	if (t->verdict != SL_TIER_LIMIT && (seen & KEY_BIT(TK_DEGRADE))) {
		v = walk_map_get(w, n, "degrade");
		return walk_expect_key(w, v, v, "degrade", what);
	}
	return cfg_check_replies(w, n, t);
}

static int pfx_cmp(const void *a, const void *b)
{
	const struct pfx_ref *x = a, *y = b;
	int d = memcmp(&x->p, &y->p, sizeof(x->p));

	return d ? d : x->order - y->order;
}

/* The same prefix twice (in one tier or two): report the later one. */
static int tiers_check_dups(struct cfg_walk *w)
{
	struct tiers_state *ts = w->section;
	const struct pfx_ref *dup = NULL, *first = NULL;

	qsort(ts->pfx, ts->npfx, sizeof(*ts->pfx), pfx_cmp);
	for (int i = 1; i < ts->npfx; i++) {
		const struct pfx_ref *a = &ts->pfx[i - 1], *b = &ts->pfx[i];

		if (!addr_equal(&a->p, &b->p) || (dup && dup->order < b->order))
			continue;
		dup = b;
		/* The first occurrence of that prefix starts its run. */
		for (first = a; first > ts->pfx && addr_equal(&first[-1].p, &b->p);)
			first--;
	}
	if (!dup)
		return 0;
	w->plen = 0;
	walk_path_push(w, "tiers[%d].match[%d]", dup->tier, dup->idx);
	return walk_err(w, dup->node, "expected each prefix once, got '%s' again (first in tiers[%d] '%s' at line %zu)",
		        walk_scalar(dup->node), first->tier,
		        ts->cfg->tiers[first->tier].name,
		        first->node->start_mark.line + 1);
}

static int tiers_walk(struct cfg_walk *w, yaml_node_t *v, struct sl_config *cfg)
{
	struct tiers_state *ts = w->section;
	int n, err;

	if (!v || v->type != YAML_SEQUENCE_NODE || !(n = walk_seq_len(v)))
		return walk_expect(w, v, "a list of tiers");
	if (n > SL_MAX_TIERS) {
		size_t mark = walk_path_push(w, "[%d]", SL_MAX_TIERS);

		err = walk_err(w, walk_seq_item(w, v, SL_MAX_TIERS),
			       "expected at most %d tiers, got %d", SL_MAX_TIERS, n);
		walk_path_pop(w, mark);
		return err;
	}
	cfg->tiers = calloc(n, sizeof(*cfg->tiers));
	if (!cfg->tiers)
		return -ENOMEM;
	cfg->ntiers = n;	/* all zeroed, so cfg_free copes with a partial parse */
	for (int i = 0; i < n; i++) {
		size_t mark = walk_path_push(w, "[%d]", i);

		ts->tier = i;
		err = tier_parse(w, walk_seq_item(w, v, i), &cfg->tiers[i]);
		walk_path_pop(w, mark);
		if (err)
			return err;
	}

	/* The default tier: the one matching /0, else the one named default. */
	cfg->default_tier = ts->catchall;
	for (int i = 0; i < n && cfg->default_tier < 0; i++)
		if (!strcmp(cfg->tiers[i].name, "default"))
			cfg->default_tier = i;
	if (cfg->default_tier < 0)
		return walk_err(w, v, "expected a catch-all tier (one matching 0.0.0.0/0 or ::/0, or one named 'default'), got none");
	for (int i = 0; i < n; i++) {
		size_t mark;

		if (i == cfg->default_tier || cfg->tiers[i].nmatch)
			continue;
		mark = walk_path_push(w, "[%d]", i);
		err = walk_missing(w, walk_seq_item(w, v, i), "match",
				   "a list of prefixes (only the default tier may have none)");
		walk_path_pop(w, mark);
		return err;
	}
	return tiers_check_dups(w);
}

int cfg_parse_tiers(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct tiers_state ts = { .cfg = obj, .catchall = -1 };
	void *outer = w->section;
	int err;

	w->section = &ts;
	err = tiers_walk(w, v, obj);
	w->section = outer;
	free(ts.pfx);
	return err;
}

void cfg_flood_default(uint64_t clients, struct cfg_meter *m)
{
	uint64_t per_sec;
	uint32_t burst;

	flood_guard_default(clients, &per_sec, &burst);
	/* As flood_guard_parse() leaves {new_clients: N/s, burst: B}. */
	*m = (struct cfg_meter){ .unit = SL_UNIT_PACKETS,
				 .action = SL_ACT_DROP, .count = per_sec,
				 .period_ns = SL_NSEC_PER_SEC, .burst = burst };
}

void cfg_tiers_finish(struct sl_config *cfg)
{
	for (int i = 0; i < cfg->ntiers; i++) {
		struct cfg_tier *t = &cfg->tiers[i];

		if (!t->flood_default)
			continue;
		cfg_flood_default(cfg->client_table_size, &t->new_clients);
		t->flood_guard = 1;
	}
}

int cfg_check_global(struct cfg_walk *w, yaml_node_t *root,
		     const struct sl_config *cfg)
{
	yaml_node_t *tiers, *lim;

	if (cfg->redis.on)
		return 0;
	for (int i = 0; i < cfg->ntiers; i++) {
		const struct cfg_tier *t = &cfg->tiers[i];

		for (int k = 0; k < t->nmeters; k++) {
			if (t->meters[k].scope != CFG_SCOPE_GLOBAL)
				continue;
			tiers = walk_map_get(w, root, "tiers");
			lim = walk_seq_item(w, walk_map_get(w, walk_seq_item(w, tiers, i),
							    "limits"), k);
			w->plen = 0;
			walk_path_push(w, "tiers[%d].limits[%d].scope", i, k);
			return walk_err(w, walk_map_get(w, lim, "scope"),
					"expected a redis section for the global limit of tier '%s' to be shared through, got none (add one like redis: {address: 127.0.0.1:6379})",
					t->name);
		}
	}
	return 0;
}

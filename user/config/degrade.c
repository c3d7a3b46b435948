// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The degrade section and the tiers' degrade factors (degrade.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/degrade.h"
#include "config/config.h"

#define S	1000000000ULL

/* ---- thresholds ----------------------------------------------------- */

static bool is_off(const yaml_node_t *v)
{
	const char *s = walk_scalar(v);

	return s && !strcmp(s, "off");
}

static int thr_error_rate(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct degrade_threshold *t = obj;

	if (is_off(v)) {
		t->error_rate = 0;
		return 0;
	}
	return walk_number(w, v, 0, 1, "an error rate 0..1 like 0.05, or off",
			   &t->error_rate);
}

static int thr_p99(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct degrade_threshold *t = obj;
	uint64_t ns = 0;
	int err = 0;

	if (!is_off(v))
		err = walk_duration(w, v, 0, 3600 * S, "0..1h, or off", &ns);
	if (!err)
		t->p99_s = (double)ns / S;
	return err;
}

static const struct cfg_key thr_keys[] = {
	{ "error_rate", thr_error_rate },
	{ "p99", thr_p99 },
};

static int thr_parse(struct cfg_walk *w, yaml_node_t *v,
		     struct degrade_threshold *t)
{
	unsigned seen;

	return walk_map(w, v, thr_keys, NKEYS(thr_keys), t,
			"thresholds like {error_rate: 0.05, p99: 2.5s}", &seen);
}

/* levels: {1: {enter, exit}, 2: ..., 3: ...} */
struct level_ref {
	struct degrade_cfg *cfg;
	int level;
};

static int lvl_enter(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct level_ref *r = obj;

	return thr_parse(w, v, &r->cfg->enter[r->level]);
}

static int lvl_exit(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct level_ref *r = obj;

	return thr_parse(w, v, &r->cfg->exit[r->level]);
}

static const struct cfg_key lvl_keys[] = {
	{ "enter", lvl_enter },
	{ "exit", lvl_exit },
};

static int lvl_parse(struct cfg_walk *w, yaml_node_t *v, void *obj, int level)
{
	struct level_ref r = { obj, level };
	unsigned seen;

	return walk_map(w, v, lvl_keys, NKEYS(lvl_keys), &r,
			"a level like {enter: {error_rate: 0.2}, exit: {error_rate: 0.1}}",
			&seen);
}

static int lvl_1(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return lvl_parse(w, v, obj, 1);
}

static int lvl_2(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return lvl_parse(w, v, obj, 2);
}

static int lvl_3(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return lvl_parse(w, v, obj, 3);
}

static const struct cfg_key levels_keys[] = {
	{ "1", lvl_1 }, { "2", lvl_2 }, { "3", lvl_3 },
};

static int dg_levels(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	unsigned seen;

	return walk_map(w, v, levels_keys, NKEYS(levels_keys), obj,
			"levels 1..3 like {1: {enter: {...}, exit: {...}}}", &seen);
}

/* ---- the other keys ------------------------------------------------- */

static int dg_hold(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	uint64_t ns;
	int err = walk_duration(w, v, 0, 3600 * S, "0..1h", &ns);

	if (!err)
		((struct degrade_cfg *)obj)->hold_ns = ns;
	return err;
}

static int dg_step(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	uint64_t ns;
	int err = walk_duration(w, v, 0, 3600 * S, "0..1h", &ns);

	if (!err)
		((struct degrade_cfg *)obj)->step_ns = ns;
	return err;
}

static int dg_expire(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	uint64_t ns;
	int err = walk_duration(w, v, S, 7 * 86400 * S, "1s..168h", &ns);

	if (!err)
		((struct degrade_cfg *)obj)->alert_expire_ns = ns;
	return err;
}

static int dg_min_requests(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	uint64_t x;
	int err = walk_uint(w, v, 0, 1000000000, "a number of requests", &x);

	if (!err)
		((struct degrade_cfg *)obj)->min_requests = x;
	return err;
}

static int shed_level(struct cfg_walk *w, yaml_node_t *v, void *obj, int prio)
{
	const char *s = walk_scalar(v);
	int x = 0;

	if (s && !strcmp(s, "never"))
		x = 0;
	else if (s && strlen(s) == 1 && s[0] >= '1' && s[0] <= '0' + DEGRADE_MAX)
		x = s[0] - '0';
	else
		return walk_expect(w, v, "the first level that sheds it, 1..3, or never");
	((struct degrade_cfg *)obj)->shed_from[prio] = x;
	return 0;
}

static int shed_core(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return shed_level(w, v, obj, SL_SVC_PRIO_CORE);
}

static int shed_normal(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return shed_level(w, v, obj, SL_SVC_PRIO_NORMAL);
}

static int shed_optional(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return shed_level(w, v, obj, SL_SVC_PRIO_OPTIONAL);
}

static const struct cfg_key shed_keys[] = {
	{ "core", shed_core },
	{ "normal", shed_normal },
	{ "optional", shed_optional },
};

static int dg_shed(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	unsigned seen;

	return walk_map(w, v, shed_keys, NKEYS(shed_keys), obj,
			"the level each priority is shed from like {optional: 1, normal: 2, core: never}",
			&seen);
}

static const struct cfg_key degrade_keys[] = {
	{ "levels", dg_levels },
	{ "hold", dg_hold },
	{ "step", dg_step },
	{ "min_requests", dg_min_requests },
	{ "alert_expire", dg_expire },
	{ "shed", dg_shed },
};

/* degrade_cfg_check's "levels[L].KEY: ..." at the threshold it is about:
 * the exit's unless it compares enters. */
static int degrade_report(struct cfg_walk *w, yaml_node_t *v, const char *msg)
{
	yaml_node_t *lv = walk_map_get(w, v, "levels"), *n = NULL, *at;
	const char *side = strstr(msg, "enter at least") ? "enter" : "exit";
	char name[4];
	size_t mark;
	int level, off = 0, err;

	if (sscanf(msg, "levels[%d].%n", &level, &off) != 1 || !off ||
	    level < 1 || level > DEGRADE_MAX)
		return walk_err(w, v, "%s", msg);
	snprintf(name, sizeof(name), "%d", level);
	mark = walk_path_key(w, "levels");
	walk_path_key(w, name);
	if (lv && lv->type == YAML_MAPPING_NODE)
		n = walk_map_get(w, lv, name);
	at = n && n->type == YAML_MAPPING_NODE ? walk_map_get(w, n, side) : NULL;
	if (!at && n && n->type == YAML_MAPPING_NODE &&
	    (at = walk_map_get(w, n, "enter")))
		side = "enter";
	if (at) {
		walk_path_key(w, side);
		err = walk_check_err(w, at, msg + off);
	} else {
		err = walk_err(w, n ? n : lv ? lv : v, "%s (with the defaults of levels.%d)",
			       msg + off, level);
	}
	walk_path_pop(w, mark);
	return err;
}

int cfg_parse_degrade(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct sl_config *cfg = obj;
	char msg[CFG_ERR_MAX / 2];
	unsigned seen;
	int err;

	err = walk_map(w, v, degrade_keys, NKEYS(degrade_keys), &cfg->degrade,
		       "a mapping like {levels: {...}, hold: 30s, shed: {optional: 1}}",
		       &seen);
	if (err)
		return err;
	cfg->has_degrade = true;
	if (!degrade_cfg_check(&cfg->degrade, msg, sizeof(msg)))
		return 0;
	if (!strncmp(msg, "levels[", 7))
		return degrade_report(w, v, msg);
	return walk_check_err(w, v, msg);
}

/* ---- a tier's factors ----------------------------------------------- */

int cfg_parse_tier_degrade(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_tier *t = obj;
	double f[DEGRADE_LEVELS];
	int err = 0;

	if (v && v->type == YAML_SEQUENCE_NODE && walk_seq_len(v) != DEGRADE_LEVELS)
		return walk_err(w, v, "expected four rate factors for levels 0..3 like [1.0, 0.5, 0.2, 0.1], got %d",
				walk_seq_len(v));
	if (!v || v->type != YAML_SEQUENCE_NODE)
		return walk_expect(w, v, "four rate factors for levels 0..3 like [1.0, 0.5, 0.2, 0.1]");
	for (int l = 0; l < DEGRADE_LEVELS && !err; l++) {
		yaml_node_t *item = walk_seq_item(w, v, l);
		size_t mark = walk_path_push(w, "[%d]", l);
		char what[96];

		err = walk_number(w, item, 0, 1, "a rate factor 0 < f <= 1 like 0.5", &f[l]);
		if (!err && !f[l])
			err = walk_expect(w, item, "a rate factor 0 < f <= 1 like 0.5 (a tier's limits cannot be turned to nothing: shed services instead)");
		if (!err && !l && f[l] != 1)
			err = walk_expect(w, item, "1.0 at level 0 (normal: the limits as configured)");
		snprintf(what, sizeof(what), "a factor not above level %d's (%g): the factors may not increase with the level",
			 l - 1, l ? f[l - 1] : 0);
		if (!err && l && f[l] > f[l - 1])
			err = walk_expect(w, item, what);
		walk_path_pop(w, mark);
	}
	if (!err)
		memcpy(t->degrade, f, sizeof(f));
	return err;
}

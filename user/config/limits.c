// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Limits and the flood guard (limits.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "config/limits.h"
#include "config/rate.h"
#include "common/gcra.h"
#include "common/names.h"

/* One full Ethernet frame with a VLAN tag: a bytes meter whose burst is
 * smaller can never pass such a frame. */
#define BYTES_MIN_BURST		1518
/* gcra_meter_set() keeps interval_fp (ns per unit, 48.16 fixed point)
 * under 2^63: one unit per 2^47 ns (39.09 h) is the slowest rate. */
#define RATE_SLOWEST		"a rate of at least 1 per 39 h (0.0000072/s)"

#define MS			1000000ULL
#define S			1000000000ULL
#define WINDOW_DEFAULT_NS	(1 * S)

/* Rate and burst of a meter whose unit and action are set.  `map` is
 * the meter's mapping (for a missing rate), `rate_key` its key name. */
static int meter_finish(struct cfg_walk *w, yaml_node_t *map,
			const char *rate_key, yaml_node_t *rate,
			yaml_node_t *burst, struct cfg_meter *m)
{
	bool bytes = m->unit == SL_UNIT_BYTES;
	const char *what = bytes ?
		"a positive byte rate like 1000 (per second), 10Mbit/s, 1MB/s or 64KiB/s" :
		"a positive rate like 10 (per second), 10/s, 600/m, 3600/h or 0.5/s";
	struct sl_meter probe;
	uint64_t b, min_burst = bytes ? BYTES_MIN_BURST : 1;
	size_t mark;
	int err;

	if (!rate)
		return walk_missing(w, map, rate_key, what);
	mark = walk_path_key(w, rate_key);
	err = rate_parse(walk_scalar(rate), bytes, &m->count, &m->period_ns);
	if (err == -EPROTO)
		err = walk_expect(w, rate, "a rate without a size unit (units like Mbit/s and MB/s need unit: bytes)");
	else if (err == -ERANGE)
		err = walk_expect(w, rate, "a rate whose count and period fit in 64 bits");
	else if (err)
		err = walk_expect(w, rate, what);
	/* A rate the meter cannot hold even with a burst of one. */
	if (!err && (err = gcra_meter_set(&probe, m->count, m->period_ns, 1,
					  m->unit, m->action)))
		err = walk_expect(w, rate, bytes ?
			"a byte rate of at least 1 byte per 2 s and at most 65536 per ns" :
			err == -ERANGE ? RATE_SLOWEST : "a rate of at most 65536 per ns");
	walk_path_pop(w, mark);
	if (err)
		return err;

	b = rate_per_sec_ceil(m->count, m->period_ns);
	m->burst = b < min_burst ? min_burst : b;
	if (burst) {
		mark = walk_path_key(w, "burst");
		err = walk_uint(w, burst, min_burst, UINT32_MAX, bytes ?
				 "a burst in bytes of at least one full frame" :
				 "a burst", &b);
		if (!err)
			m->burst = b;
		if (!err && gcra_meter_set(&probe, m->count, m->period_ns,
					   m->burst, m->unit, m->action))
			err = walk_expect(w, burst, "a burst that the rate drains in under 146 years");
		walk_path_pop(w, mark);
	}
	return err;
}

/* ---- limits --------------------------------------------------------- */

struct meter_in {
	struct cfg_meter *m;
	yaml_node_t *rate, *burst;
	yaml_node_t *algorithm, *window;	/* checked against the scope */
	int unit, action, scope, alg;
};

/* "none" marks an unused slot: not for config files. */
static int meter_unit(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return walk_enum(w, v, &sl_unit_names, SL_UNIT_PACKETS,
			 &((struct meter_in *)obj)->unit);
}

static int meter_action(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return walk_enum(w, v, &sl_action_names, 0,
			 &((struct meter_in *)obj)->action);
}

static int meter_rate(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	(void)w;
	((struct meter_in *)obj)->rate = v;	/* parsed once the unit is known */
	return 0;
}

static int meter_burst(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	(void)w;
	((struct meter_in *)obj)->burst = v;
	return 0;
}

static int meter_reply(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return cfg_parse_reply(w, v, &((struct meter_in *)obj)->m->reply);
}

static int meter_scope(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return walk_enum(w, v, &sl_scope_names, 0,
			 &((struct meter_in *)obj)->scope);
}

static int meter_algorithm(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct meter_in *in = obj;

	in->algorithm = v;
	return walk_enum(w, v, &sl_algorithm_names, 0, &in->alg);
}

static int meter_window(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct meter_in *in = obj;

	in->window = v;
	return walk_duration(w, v, 100 * MS, 3600 * S, "100ms..1h",
			     &in->m->window_ns);
}

static const struct cfg_key meter_keys[] = {
	{ "unit", meter_unit },
	{ "rate", meter_rate },
	{ "burst", meter_burst },
	{ "action", meter_action },
	{ "reply", meter_reply },
	{ "scope", meter_scope },
	{ "algorithm", meter_algorithm },
	{ "window", meter_window },
};

/* scope, algorithm and window agree?  The data path runs every limit as
 * a token bucket; only Redis keeps windows (sluice_glob.h). */
static int meter_scope_check(struct cfg_walk *w, const struct meter_in *in)
{
	if (in->algorithm && in->scope != CFG_SCOPE_GLOBAL)
		return walk_expect_key(w, in->algorithm, in->algorithm, "algorithm",
				       "no algorithm on a local limit (local limits are token buckets; sliding_window and fixed_window need scope: global)");
	if (in->window && in->alg == CFG_ALG_TOKEN_BUCKET)
		return walk_expect_key(w, in->window, in->window, "window",
				       "a window only with algorithm: sliding_window or fixed_window (a token bucket has none)");
	return 0;
}

/* A window limit's local meter (its fallback): burst = rate x window,
 * rounded up, unless burst was given. */
static int meter_window_burst(struct cfg_walk *w, const struct meter_in *in,
			      struct cfg_meter *m)
{
	unsigned __int128 units;
	uint64_t b, min_burst = m->unit == SL_UNIT_BYTES ? BYTES_MIN_BURST : 1;
	struct sl_meter probe;

	if (m->algorithm == CFG_ALG_TOKEN_BUCKET || in->burst)
		return 0;
	units = ((unsigned __int128)m->count * m->window_ns + m->period_ns - 1) /
		m->period_ns;
	b = units > UINT32_MAX ? 0 : (uint64_t)units;
	if (b && b < min_burst)
		b = min_burst;
	/* Such a burst drains in one window (at most 1 h): only its size
	 * can be too large. */
	if (!b || gcra_meter_set(&probe, m->count, m->period_ns, b, m->unit,
				 m->action)) {
		yaml_node_t *at = in->window ? in->window : in->algorithm;

		return walk_expect_key(w, at, at,
				       in->window ? "window" : "algorithm",
				       "a window in which the rate comes to at most 4294967295 units (the local burst is rate x window)");
	}
	m->burst = b;
	return 0;
}

int limit_parse(struct cfg_walk *w, yaml_node_t *n, struct cfg_meter *m)
{
	struct meter_in in = { .m = m, .unit = SL_UNIT_NONE,
			       .action = SL_ACT_DROP, .scope = CFG_SCOPE_LOCAL,
			       .alg = CFG_ALG_TOKEN_BUCKET };
	unsigned seen;
	int err;

	m->window_ns = WINDOW_DEFAULT_NS;
	err = walk_map(w, n, meter_keys, NKEYS(meter_keys), &in,
		       "a limit like {unit: requests, rate: 10/s, burst: 20}",
		       &seen);
	if (err)
		return err;
	if (!(seen & KEY_BIT(0)))
		return walk_missing(w, n, "unit",
				    "one of packets|bytes|connections|requests");
	err = meter_scope_check(w, &in);
	if (err)
		return err;
	m->unit = in.unit;
	m->action = in.action;
	m->scope = in.scope;
	m->algorithm = in.alg;
	err = meter_finish(w, n, "rate", in.rate, in.burst, m);
	return err ? err : meter_window_burst(w, &in, m);
}

static const struct cfg_key flood_keys[] = {
	{ "new_clients", meter_rate },
	{ "burst", meter_burst },
};

int flood_guard_parse(struct cfg_walk *w, yaml_node_t *v, struct cfg_meter *m)
{
	struct meter_in in = { .m = m };
	unsigned seen;
	int err;

	err = walk_map(w, v, flood_keys, NKEYS(flood_keys), &in,
		       "off, or a mapping like {new_clients: 1000/s, burst: 2000}",
		       &seen);
	if (err)
		return err;
	/* One unit per new client entry. */
	m->unit = SL_UNIT_PACKETS;
	m->action = SL_ACT_DROP;
	return meter_finish(w, v, "new_clients", in.rate, in.burst, m);
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The breakers and degrade level in sluiced (gates.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/gates.h"
#include "daemon/gate_plan.h"
#include "daemon/daemon.h"
#include "daemon/loop.h"
#include "kern/services.h"
#include "kern/svc_stats.h"
#include "common/clock.h"
#include "common/log.h"
#include "sluice_xdp.skel.h"

#define S_NS	1000000000ULL

struct gates {
	int timer;
	struct loop *loop;
	int n;
	struct gate_svc svc[SL_MAX_SERVICES];	/* by config service */
	struct degrade deg;
	struct svc_window win;		/* every service summed, once a second */
	__u64 win_at_ns;
	struct degrade_signal sig;
	bool have_sig;
	unsigned int tiers_level;	/* whose factors the maps hold */
	/* gates_cfg's scaled copy */
	struct sl_config scaled;
	struct cfg_tier *scaled_tiers;
	/* the tick's scratch */
	struct sl_svc_stats read[SL_MAX_SERVICES], sum[SL_MAX_SERVICES];
	struct sl_svc_gate cur[CFG_MAX_IFACES][SL_MAX_SERVICES];
	int ids[CFG_MAX_IFACES][SL_MAX_SERVICES];
	bool ok[CFG_MAX_IFACES];
};

static __u64 name_seed(const char *s, __u64 now_ns)
{
	__u64 h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h ^ now_ns;
}

void gates_log_breaker(const struct gate_svc *gs, const char *src)
{
	for (unsigned int i = 0; i < gs->b.n_events; i++) {
		const struct breaker_event *e = &gs->b.events[i];

		log_info("breaker %s: %s -> %s (%s: %s)", gs->name,
			 breaker_state_name(e->from), breaker_state_name(e->to),
			 src, e->reason);
	}
}

void gates_log_degrade(const struct degrade *dg, const struct sl_config *cfg)
{
	for (unsigned int i = 0; i < dg->n_events; i++) {
		const struct degrade_event *e = &dg->events[i];
		char shed[512] = "";
		size_t n = 0;

		for (int s = 0; s < cfg->nservices; s++)
			if (degrade_shed(&cfg->degrade, cfg->services[s].priority, e->to))
				n += snprintf(shed + n, n < sizeof(shed) ? sizeof(shed) - n : 0,
					      "%s%s", n ? ", " : "", cfg->services[s].name);
		if (e->from == e->to)
			log_info("degrade: level %u now held by %s (%s)", e->to,
				 degrade_source_name(e->source), e->reason);
		else
			log_info("degrade: level %u -> %u (%s: %s); shed: %s", e->from,
				 e->to, degrade_source_name(e->source), e->reason,
				 n ? shed : "none");
	}
}

/* --- gates_cfg: the tiers at the level's factors --- */

const struct sl_config *gates_cfg(struct sl_daemon *d,
				  const struct sl_config *cfg)
{
	struct gates *g = d->gates;
	unsigned int level;
	struct cfg_tier *t;

	if (!g)
		return cfg;
	level = degrade_level(&g->deg);
	if (gate_plan_factors_same(cfg, level, 0))
		return cfg;
	t = realloc(g->scaled_tiers, (cfg->ntiers ? cfg->ntiers : 1) * sizeof(*t));
	if (!t) {
		log_err("degrade: out of memory scaling the tiers' rates; they stay as configured");
		return cfg;
	}
	g->scaled_tiers = t;
	gate_plan_scale(cfg, level, t);
	g->scaled = *cfg;
	g->scaled.tiers = t;
	return &g->scaled;
}

static void tiers_apply(struct sl_daemon *d, unsigned int level)
{
	struct gates *g = d->gates;
	struct apply_summary sum = {};
	const struct sl_config *c = gates_cfg(d, d->cfg);
	int err = 0;

	for (int i = 0; i < d->niface; i++) {
		int e = apply_config(&d->ifaces[i], c, &sum);

		if (e && !err)
			err = e;
	}
	for (int i = 0; i < sum.n; i++)
		log_info("degrade level %u: %s", level, sum.lines[i]);
	if (err)
		log_err("degrade level %u: writing the tiers' scaled rates failed: %s (tried again at the next change)",
			level, strerror(-err));
	else
		g->tiers_level = level;
	apply_summary_free(&sum);
}

/* --- the services --- */

static void svc_reset_ifaces(struct gate_svc *gs)
{
	memset(gs->trips_known, 0, sizeof(gs->trips_known));
	memset(gs->half_since, 0, sizeof(gs->half_since));
	gs->have_last = false;
}

/* Build g->svc for cfg; old[0..nold) are kept by name. */
static void svc_build(struct sl_daemon *d, const struct gate_svc *old,
		      int nold, __u64 now_ns)
{
	const struct sl_config *cfg = d->cfg;
	struct gates *g = d->gates;

	g->n = cfg->nservices < SL_MAX_SERVICES ? cfg->nservices : SL_MAX_SERVICES;
	for (int s = 0; s < g->n; s++) {
		const struct cfg_service *cs = &cfg->services[s];
		struct gate_svc *gs = &g->svc[s];
		const struct gate_svc *o = NULL;

		for (int j = 0; j < nold && !o; j++)
			if (!strcmp(old[j].name, cs->name))
				o = &old[j];
		if (o && o->has_breaker && cs->has_breaker) {
			*gs = *o;
			if (memcmp(&gs->b.cfg, &cs->breaker, sizeof(cs->breaker)))
				breaker_reconfig(&gs->b, &cs->breaker);
		} else {
			memset(gs, 0, sizeof(*gs));
			snprintf(gs->name, sizeof(gs->name), "%s", cs->name);
			if (cs->has_breaker)
				breaker_init(&gs->b, &cs->breaker,
					     name_seed(cs->name, now_ns), now_ns);
		}
		gs->cfg_index = s;
		gs->priority = cs->priority;
		gs->has_breaker = cs->has_breaker;
		svc_reset_ifaces(gs);
	}
}

/* Gates of ids no configured service holds: closed, nothing shed (a
 * removed service's open gate must not greet the id's next owner). */
static void gates_clear_unused(struct sl_daemon *d)
{
	for (int i = 0; i < d->niface; i++) {
		struct sl_iface *ifc = &d->ifaces[i];
		int fd = bpf_map__fd(ifc->skel->maps.sl_svc_gate);

		for (__u32 id = 0; id < SL_MAX_SERVICES; id++) {
			struct sl_svc_gate gt, z;

			if (ifc->svc_names[id][0] ||
			    bpf_map_lookup_elem(fd, &id, &gt))
				continue;
			if (!gt.state && !gt.shed && !gt.trip_after)
				continue;
			z = (struct sl_svc_gate){ .trips = gt.trips,
						  .tripped_ns = gt.tripped_ns };
			if (bpf_map_update_elem(fd, &id, &z, BPF_ANY))
				log_warn("%s: cannot clear the gate of unused service id %u: %s",
					 ifc->name, id, strerror(errno));
		}
	}
}

/* An open gate found at start stays open until its time. */
static void gates_adopt(struct sl_daemon *d, __u64 now_ns)
{
	struct gates *g = d->gates;

	for (int s = 0; s < g->n; s++) {
		struct gate_svc *gs = &g->svc[s];

		for (int i = 0; gs->has_breaker && i < d->niface; i++) {
			struct sl_iface *ifc = &d->ifaces[i];
			int id = services_id(ifc, gs->name);
			struct sl_svc_gate gt;

			if (id < 0 || bpf_map_lookup_elem(bpf_map__fd(ifc->skel->maps.sl_svc_gate),
							  &id, &gt))
				continue;
			if (breaker_state(&gs->b) == BREAKER_OPEN ||
			    !gate_plan_adopt(&gs->b, &gt, now_ns))
				continue;
			log_info("breaker %s: closed -> open (restart: the pinned gate on %s is open for %.1fs more)",
				 gs->name, ifc->name,
				 gs->b.open_until_ns > now_ns ?
				 (gs->b.open_until_ns - now_ns) / 1e9 : 0.0);
		}
	}
}

/* --- the tick --- */

static void tick_read(struct sl_daemon *d)
{
	struct gates *g = d->gates;

	memset(g->sum, 0, sizeof(g->sum));
	for (int i = 0; i < d->niface && i < CFG_MAX_IFACES; i++) {
		struct sl_iface *ifc = &d->ifaces[i];
		int gfd = bpf_map__fd(ifc->skel->maps.sl_svc_gate);
		int err;

		err = svc_stats_read_all(bpf_map__fd(ifc->skel->maps.sl_svc_stats),
					 g->read);
		g->ok[i] = !err;
		if (err) {
			log_dbg("%s: gates: reading %s failed: %s", ifc->name,
				SL_MAP_SVC_STATS, strerror(-err));
			continue;
		}
		for (int s = 0; s < g->n; s++) {
			int id = services_id(ifc, g->svc[s].name);

			g->ids[i][s] = id;
			if (id < 0)
				continue;
			gate_plan_add(&g->sum[s], &g->read[id]);
			if (bpf_map_lookup_elem(gfd, &id, &g->cur[i][s]))
				g->ids[i][s] = -1;
		}
	}
}

void gates_alerts_expire(struct gate_svc *gs, __u64 now_ns)
{
	bool any = false;

	for (int k = 0; k < GATES_ALERT_BREAKERS; k++) {
		if (gs->alerts[k].fp[0] && now_ns >= gs->alerts[k].until_ns)
			gs->alerts[k].fp[0] = 0;
		any |= gs->alerts[k].fp[0] != 0;
	}
	if (any || !gs->alert_forced)
		return;
	gs->alert_forced = false;
	gs->forced_by[0] = 0;
	breaker_force(&gs->b, now_ns, BREAKER_AUTO, 0);
	gates_log_breaker(gs, "alert expired (not re-sent)");
}

static void tick_breaker(struct sl_daemon *d, int s, __u64 now_ns)
{
	struct gates *g = d->gates;
	struct gate_svc *gs = &g->svc[s];
	struct breaker_sample delta = {};
	__u64 tripped = 0, t;
	bool trip = false;

	for (int i = 0; i < d->niface && i < CFG_MAX_IFACES; i++) {
		const struct sl_svc_gate *cur = &g->cur[i][s];

		if (!g->ok[i] || g->ids[i][s] < 0)
			continue;
		if (!gs->trips_known[i]) {
			gs->seen_trips[i] = cur->trips;
			gs->trips_known[i] = true;
		} else if (gate_plan_tripped(cur, gs->seen_trips[i], &t)) {
			gs->seen_trips[i] = cur->trips;
			trip = true;
			tripped = t > tripped ? t : tripped;
		}
	}
	gs->shed_total_breaker = g->sum[s].gated_breaker;
	gs->shed_total_degrade = g->sum[s].gated_shed;
	if (gs->has_breaker && gs->have_last)
		breaker_sample_delta(&gs->last, &g->sum[s], gs->b.cfg.failures,
				     &delta);
	gs->last = g->sum[s];
	gs->have_last = true;
	if (!gs->has_breaker)
		return;
	if (trip && breaker_data_trip(&gs->b, tripped))
		gates_log_breaker(gs, "data path");
	gates_alerts_expire(gs, now_ns);
	if (breaker_tick(&gs->b, now_ns, &delta)) {
		gates_log_breaker(gs, "tick");
		if (!gs->b.force)
			gs->forced_by[0] = 0;
	}
}

static void tick_degrade(struct sl_daemon *d, __u64 now_ns)
{
	struct gates *g = d->gates;
	const struct sl_config *cfg = d->cfg;
	unsigned int level;

	if (!g->win_at_ns || now_ns - g->win_at_ns >= S_NS) {
		struct sl_svc_stats total = {};

		for (int s = 0; s < g->n; s++)
			gate_plan_add(&total, &g->sum[s]);
		svc_window_push(&g->win, now_ns, &total);
		g->win_at_ns = now_ns;
		gate_plan_signal(&g->win, &g->sig);
		g->have_sig = g->win.n > 1;
	}
	if (degrade_tick(&g->deg, now_ns,
			 cfg->has_degrade && g->have_sig ? &g->sig : NULL))
		gates_log_degrade(&g->deg, cfg);
	level = degrade_level(&g->deg);
	if (level == g->tiers_level)
		return;
	if (gate_plan_factors_same(cfg, level, g->tiers_level))
		g->tiers_level = level;
	else
		tiers_apply(d, level);
}

static __u64 shed_until(const struct degrade *dg)
{
	enum degrade_source src = degrade_source(dg);

	if ((src == DEGRADE_SRC_MANUAL || src == DEGRADE_SRC_PINNED) &&
	    dg->manual_until_ns)
		return dg->manual_until_ns;
	return 0;
}

static void tick_write(struct sl_daemon *d, __u64 now_ns)
{
	struct gates *g = d->gates;
	const struct sl_config *cfg = d->cfg;
	unsigned int level = degrade_level(&g->deg);

	for (int s = 0; s < g->n; s++) {
		struct gate_svc *gs = &g->svc[s];
		struct gate_want w;

		gs->shed = degrade_shed(&cfg->degrade, gs->priority, level);
		int nifc = 0, k = 0;

		gate_plan_want(gs->has_breaker ? &gs->b : NULL, gs->shed,
			       shed_until(&g->deg), now_ns, &w);
		for (int i = 0; i < d->niface && i < CFG_MAX_IFACES; i++)
			nifc += g->ok[i] && g->ids[i][s] >= 0;
		for (int i = 0; i < d->niface && i < CFG_MAX_IFACES; i++) {
			struct sl_iface *ifc = &d->ifaces[i];
			int fd = bpf_map__fd(ifc->skel->maps.sl_svc_gate);
			__u64 half = gs->half_since[i];
			struct sl_svc_gate out, again;
			struct gate_want wi = w;
			int id = g->ids[i][s];

			if (!g->ok[i] || id < 0)
				continue;
			/* One budget for the service, shared out: each
			 * interface's data path takes its own part. */
			wi.probes = gate_plan_share(w.probes, k++, nifc);
			if (!gate_plan_merge(&g->cur[i][s], &wi, now_ns, &half, &out))
				continue;
			/* The data path may have tripped it since the read:
			 * then the next tick sees the trip first. */
			if (bpf_map_lookup_elem(fd, &id, &again) ||
			    memcmp(&again, &g->cur[i][s], sizeof(again)))
				continue;
			if (bpf_map_update_elem(fd, &id, &out, BPF_ANY)) {
				log_warn("%s: cannot write the gate of service %s: %s",
					 ifc->name, gs->name, strerror(errno));
				continue;
			}
			gs->half_since[i] = half;
			g->cur[i][s] = out;
		}
	}
}

void gates_tick(struct sl_daemon *d, __u64 now_ns)
{
	struct gates *g = d->gates;

	if (!g || !d->cfg)
		return;
	tick_read(d);
	for (int s = 0; s < g->n; s++)
		tick_breaker(d, s, now_ns);
	tick_degrade(d, now_ns);
	tick_write(d, now_ns);
}

static void on_tick(struct loop *l, int id, void *arg)
{
	(void)l, (void)id;
	gates_tick(arg, clock_ns(CLOCK_MONOTONIC));
}

/* --- lifecycle --- */

int gates_start(struct sl_daemon *d, struct loop *l)
{
	__u64 now = clock_ns(CLOCK_MONOTONIC);
	struct gates *g = calloc(1, sizeof(*g));
	int err;

	if (!g)
		return -ENOMEM;
	d->gates = g;
	g->loop = l;
	degrade_init(&g->deg, &d->cfg->degrade, now);
	svc_build(d, NULL, 0, now);
	gates_clear_unused(d);
	gates_adopt(d, now);
	/* The maps hold the config's rates (level 0) after the start. */
	g->tiers_level = 0;
	gates_tick(d, now);
	err = loop_add_timer(l, GATES_TICK_MS, true, on_tick, d);
	if (err < 0) {
		gates_stop(d);
		return err;
	}
	g->timer = err;
	return 0;
}

void gates_stop(struct sl_daemon *d)
{
	struct gates *g = d->gates;

	if (!g)
		return;
	if (g->timer > 0)
		loop_del_timer(g->loop, g->timer);
	free(g->scaled_tiers);
	free(g);
	d->gates = NULL;
}

void gates_reload(struct sl_daemon *d)
{
	struct gates *g = d->gates;
	__u64 now = clock_ns(CLOCK_MONOTONIC);
	struct gate_svc *old;
	int nold;

	if (!g)
		return;
	nold = g->n;
	old = malloc((nold ? nold : 1) * sizeof(*old));
	if (!old) {
		log_err("reload: out of memory keeping the breakers; they start afresh");
		nold = 0;
	} else {
		memcpy(old, g->svc, nold * sizeof(*old));
	}
	svc_build(d, old, nold, now);
	free(old);
	degrade_reconfig(&g->deg, &d->cfg->degrade);
	/* Sums over other services or interfaces are a new series. */
	memset(&g->win, 0, sizeof(g->win));
	g->win_at_ns = 0;
	g->have_sig = false;
	gates_clear_unused(d);
	gates_tick(d, now);
}

/* --- commands and alerts --- */

int gates_count(const struct gates *g)
{
	return g ? g->n : 0;
}

struct gate_svc *gates_svc(struct gates *g, int i)
{
	return g && i >= 0 && i < g->n ? &g->svc[i] : NULL;
}

struct gate_svc *gates_find(struct gates *g, const char *name)
{
	for (int i = 0; g && name && i < g->n; i++)
		if (!strcmp(g->svc[i].name, name))
			return &g->svc[i];
	return NULL;
}

struct degrade *gates_degrade(struct gates *g)
{
	return g ? &g->deg : NULL;
}

bool gates_signal(const struct gates *g, struct degrade_signal *sig)
{
	if (!g || !g->have_sig)
		return false;
	*sig = g->sig;
	return true;
}

unsigned int gates_tiers_level(const struct gates *g)
{
	return g ? g->tiers_level : 0;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The rollout's families (daemon/rollout.h), from the daemon's state at
 * each render.  sluice_rollout_state, _percent, _step and _ended are
 * always there; the cohorts' packets and the guards' figures only while
 * a rollout runs (shadow or a step), from the last once-a-second
 * sample: canary from sl_counters_c, control = total - canary (in the
 * shadow phase both policies saw every packet: control = total and
 * canary = what the candidate would have done).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/rollout.h"
#include "export/render.h"
#include "common/clock.h"
#include "common/names.h"

#define LBL(n, v)	((struct expo_label){ (n), (v) })
#define NL(a)		((int)(sizeof(a) / sizeof((a)[0])))

static void render_packets(struct render *r, struct sl_daemon *d,
			   struct rollout_run *run)
{
	bool shadow = run->ro.state == RO_SHADOW;

	render_family(r, "sluice_rollout_packets", EXPO_COUNTER,
		      "While a rollout runs: packets by interface, cohort (canary: the candidate's policy; control: the running one), tier and reason. In the shadow phase canary counts what the candidate would have done with every packet, control every packet as enforced.");
	for (int i = 0; i < d->niface; i++) {
		struct sl_iface *ifc = &d->ifaces[i];
		const struct rollout_iface *ri = NULL;

		for (int j = 0; j < run->nifs; j++)
			if (!strcmp(run->ifs[j].name, ifc->name))
				ri = &run->ifs[j];
		if (!ri || !ri->ok || !ifc->stats.last_ns)
			continue;
		for (int t = 0; t < SL_MAX_TIERS; t++) {
			if (!ifc->tier_names[t][0])
				continue;
			for (int k = 0; k < SL_R__MAX; k++) {
				uint32_t x = sl_stats_index(t, k);
				uint64_t all = ifc->stats.last[x].packets;
				uint64_t can = ri->canary[x].packets;
				uint64_t ctl = shadow ? all : all > can ? all - can : 0;
				struct expo_label c[] = {
					LBL("interface", ifc->name), LBL("cohort", "canary"),
					LBL("tier", ifc->tier_names[t]), LBL("reason", reason_name(k)),
				};
				struct expo_label o[] = {
					LBL("interface", ifc->name), LBL("cohort", "control"),
					LBL("tier", ifc->tier_names[t]), LBL("reason", reason_name(k)),
				};

				if (k == SL_R_MALFORMED || k == SL_R_NON_IP)
					continue;
				render_u64(r, c, NL(c), can);
				render_u64(r, o, NL(o), ctl);
			}
		}
	}
}

/* Each guard's canary and control figures: rates, or samples. */
static void render_guard_rows(struct render *r, const struct rollout *ro,
			      bool samples)
{
	char tb[16];

	for (int i = 0; i < ro->nguards; i++) {
		const struct ro_guard *g = &ro->guards[i];
		const char *tier = ro_tier_name(ro, g->tier, tb, sizeof(tb));
		struct expo_label c[] = { LBL("guard", ro_guard_kind_name(g->kind)),
					  LBL("tier", tier), LBL("cohort", "canary") };
		struct expo_label o[] = { LBL("guard", ro_guard_kind_name(g->kind)),
					  LBL("tier", tier), LBL("cohort", "control") };

		if (samples) {
			render_u64(r, c, NL(c), g->n_canary);
			render_u64(r, o, NL(o), g->n_control);
		} else {
			render_double(r, c, NL(c), g->canary);
			render_double(r, o, NL(o), g->control);
		}
	}
}

static void render_guards(struct render *r, const struct rollout *ro)
{
	render_family(r, "sluice_rollout_guard_ratio", EXPO_GAUGE,
		      "While a rollout runs: each guard's rate over the current window by cohort (refusal per tier and over all tiers \"(all)\", edge_replies, http_errors); control's is the baseline when its cohort is too small.");
	render_guard_rows(r, ro, false);
	render_family(r, "sluice_rollout_guard_samples", EXPO_GAUGE,
		      "While a rollout runs: packets (http_errors: outcomes) each guard counted in the current window by cohort.");
	render_guard_rows(r, ro, true);
	render_family(r, "sluice_rollout_guard_max_increase", EXPO_GAUGE,
		      "While a rollout runs: the increase (canary minus control) beyond which each kind of guard rolls back.");
	for (int k = 0; k < RO_G__KINDS; k++) {
		struct expo_label l[] = { LBL("guard", ro_guard_kind_name(k)) };

		if (k == RO_G_ERROR && !ro->p.services)
			continue;
		render_double(r, l, NL(l), k == RO_G_ERROR ? ro->p.max_error :
					   ro->p.max_refusal);
	}
	render_family(r, "sluice_rollout_window_remaining_seconds", EXPO_GAUGE,
		      "While a rollout runs: seconds until the current window ends (0 while it waits for packets).");
	{
		uint64_t end = ro_window_end(ro), now = now_ms();

		render_double(r, NULL, 0, end > now ? (end - now) / 1000.0 : 0);
	}
}

void render_rollout(struct render *r, struct sl_daemon *d)
{
	struct rollout_run *run = d->rollout;
	int state = run ? run->ro.state : RO_IDLE;

	render_family(r, "sluice_rollout_state", EXPO_GAUGE,
		      "The rollout: 1 on the state it is in (idle, shadow, step, promoted, rolled_back, aborted: the last one's outcome until the next starts).");
	for (int s = 0; s < RO__STATES; s++) {
		struct expo_label l[] = { LBL("state", ro_state_name(s)) };

		render_u64(r, l, NL(l), s == state);
	}
	render_family(r, "sluice_rollout_percent", EXPO_GAUGE,
		      "The share of clients (percent) the candidate's policy enforces now: 0 without a rollout and in its shadow phase.");
	render_u64(r, NULL, 0, run ? ro_percent(&run->ro) : 0);
	render_family(r, "sluice_rollout_step", EXPO_GAUGE,
		      "The rollout's step (1 ..), 0 when none runs or in its shadow phase.");
	render_u64(r, NULL, 0, run && run->ro.state == RO_STEP ? run->ro.step + 1 : 0);
	render_family(r, "sluice_rollout_ended", EXPO_COUNTER,
		      "Rollouts ended since sluiced started, by outcome (promoted, rolled_back: by a guard, aborted: by a person or a failure).");
	for (int s = RO_PROMOTED; s <= RO_ABORTED; s++) {
		struct expo_label l[] = { LBL("outcome", ro_state_name(s)) };

		render_u64(r, l, NL(l), run ? run->ended[s] : 0);
	}
	if (!run || !ro_running(&run->ro))
		return;
	render_packets(r, d, run);
	render_guards(r, &run->ro);
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The breakers' and degrade's families (daemon/gates.h), from the
 * daemon's state at each render: the breakers of the configured
 * services, the level and its source, and the requests the gates
 * stopped (sl_svc_stats gated_breaker and gated_shed, summed over the
 * interfaces at the last tick).
 */
#include <stddef.h>

#include "daemon/daemon.h"
#include "daemon/gates.h"
#include "export/render.h"
#include "common/clock.h"

#define LBL(n, v)	((struct expo_label){ (n), (v) })
#define NL(a)		((int)(sizeof(a) / sizeof((a)[0])))

static void render_breakers(struct render *r, struct gates *g, __u64 now)
{
	int n = gates_count(g);

	render_family(r, "sluice_breaker_state", EXPO_GAUGE,
		      "The service's circuit breaker: 1 on the state it is in (closed, open, half_open), as the data path enforces it (a forced state included).");
	for (int i = 0; i < n; i++) {
		struct gate_svc *gs = gates_svc(g, i);

		for (int s = 0; gs->has_breaker && s < BREAKER_STATES; s++) {
			struct expo_label l[] = { LBL("service", gs->name),
						  LBL("state", breaker_state_name(s)) };

			render_u64(r, l, NL(l), breaker_state(&gs->b) == (enum breaker_state)s);
		}
	}
	render_family(r, "sluice_breaker_transitions", EXPO_COUNTER,
		      "The service's breaker's transitions since sluiced started, by the states it left and entered (kept over reloads).");
	for (int i = 0; i < n; i++) {
		struct gate_svc *gs = gates_svc(g, i);

		for (int f = 0; gs->has_breaker && f < BREAKER_STATES; f++)
			for (int t = 0; t < BREAKER_STATES; t++) {
				struct expo_label l[] = { LBL("service", gs->name),
							  LBL("from", breaker_state_name(f)),
							  LBL("to", breaker_state_name(t)) };

				if (f != t)
					render_u64(r, l, NL(l), gs->b.transitions[f][t]);
			}
	}
	render_family(r, "sluice_breaker_forced", EXPO_GAUGE,
		      "1 while the service's breaker is forced open or closed (sluicectl breaker, or an alert), 0 while automatic.");
	for (int i = 0; i < n; i++) {
		struct gate_svc *gs = gates_svc(g, i);
		struct expo_label l[] = { LBL("service", gs->name) };

		if (gs->has_breaker)
			render_u64(r, l, NL(l), gs->b.force != BREAKER_AUTO);
	}
	render_family(r, "sluice_breaker_open_remaining_seconds", EXPO_GAUGE,
		      "Seconds until the service's open breaker goes half-open (the Retry-After its answers count down); 0 when not open or forced open without an expiry.");
	for (int i = 0; i < n; i++) {
		struct gate_svc *gs = gates_svc(g, i);
		struct expo_label l[] = { LBL("service", gs->name) };
		__u64 until;

		if (!gs->has_breaker)
			continue;
		until = breaker_open_until(&gs->b);
		render_double(r, l, NL(l), until > now ? (until - now) / 1e9 : 0);
	}
}

static void render_level(struct render *r, struct gates *g)
{
	struct degrade *dg = gates_degrade(g);

	render_family(r, "sluice_degrade_level", EXPO_GAUGE,
		      "The degrade level in force, 0 (normal) to 3: services are shed by priority and tier rates scaled by their factors from it.");
	render_u64(r, NULL, 0, dg ? degrade_level(dg) : 0);
	render_family(r, "sluice_degrade_level_source", EXPO_GAUGE,
		      "1 on where the degrade level comes from: auto (the error rate and p99 controller), manual (sluicectl degrade), alert (Alertmanager's webhook), pinned (sluicectl degrade --pin).");
	for (int s = 0; s < DEGRADE_SOURCES; s++) {
		struct expo_label l[] = { LBL("source", degrade_source_name(s)) };

		render_u64(r, l, NL(l), dg && degrade_source(dg) == (enum degrade_source)s);
	}
}

static void render_shed(struct render *r, struct gates *g)
{
	int n = gates_count(g);

	render_family(r, "sluice_shed_requests", EXPO_COUNTER,
		      "The service's requests answered at the edge by its gate instead of passed: reason breaker (open, or half-open past its probes) or degrade (shed by the level), summed over the interfaces.");
	for (int i = 0; i < n; i++) {
		struct gate_svc *gs = gates_svc(g, i);
		struct expo_label b[] = { LBL("service", gs->name), LBL("reason", "breaker") };
		struct expo_label s[] = { LBL("service", gs->name), LBL("reason", "degrade") };

		render_u64(r, b, NL(b), gs->shed_total_breaker);
		render_u64(r, s, NL(s), gs->shed_total_degrade);
	}
}

void render_gates(struct render *r, struct sl_daemon *d)
{
	__u64 now = clock_ns(CLOCK_MONOTONIC);

	render_breakers(r, d->gates, now);
	render_level(r, d->gates);
	render_shed(r, d->gates);
}

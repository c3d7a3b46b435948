// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdbool.h>
#include <string.h>

#include "kern/tier_abi.h"
#include "config/tiers.h"
#include "common/gcra.h"
#include "sluice_glob.h"

/*
 * The coarse clock (bpf_ktime_get_coarse_ns, ~9 ns) moves in 4 ms ticks;
 * the precise one costs ~36 ns on kvm-clock.  A tier takes the coarse
 * clock when every meter it runs (the flood guard's included) tolerates
 * at least CFG_COARSE_MIN_TOL_NS, four ticks: a tick's refill then always
 * fits in the bucket, so long-run rates stay exact and timing is off by
 * at most one tick, a quarter of the burst window.  Tighter meters keep
 * the precise clock, where a tick would swallow tokens.
 */
int cfg_tier_to_abi_in(const struct cfg_tier *t, uint64_t clients,
		       struct sl_tier *out)
{
	struct cfg_meter guard = t->new_clients;
	bool coarse = true;
	int err;

	memset(out, 0, sizeof(*out));
	out->verdict = t->verdict;
	out->nmeters = t->nmeters;
	out->v4_prefix = t->v4_prefix;
	out->v6_prefix = t->v6_prefix;
	for (int i = 0; i < t->nmeters; i++) {
		const struct cfg_meter *m = &t->meters[i];

		err = gcra_meter_set(&out->meters[i], m->count, m->period_ns,
				     m->burst, m->unit, m->action);
		if (err)
			return err;
		coarse &= out->meters[i].tolerance_ns >= CFG_COARSE_MIN_TOL_NS;
		/* The config allows one global limit per tier. */
		if (m->scope == CFG_SCOPE_GLOBAL)
			out->flags |= SL_TIER_GLOBAL_FLAGS(i);
	}
	/* The default guard follows the table the clients live in, which
	 * keeps its size over a reload that changes client_table_size. */
	if (t->flood_default && clients)
		cfg_flood_default(clients, &guard);
	if (t->flood_guard) {
		const struct cfg_meter *m = &guard;

		err = gcra_meter_set(&out->new_clients, m->count, m->period_ns,
				     m->burst, m->unit, m->action);
		if (err)
			return err;
		coarse &= out->new_clients.tolerance_ns >= CFG_COARSE_MIN_TOL_NS;
		out->flags |= SL_TIER_F_FLOOD_GUARD;
	}
	if (coarse)
		out->flags |= SL_TIER_F_COARSE_CLOCK;
	return 0;
}

int cfg_tier_to_abi(const struct cfg_tier *t, struct sl_tier *out)
{
	return cfg_tier_to_abi_in(t, 0, out);
}

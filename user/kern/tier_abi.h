/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A config tier translated to the struct sl_tier the XDP program reads
 * from sl_tiers: meters in GCRA form and the tier's flags. */
#ifndef SLUICE_KERN_TIER_ABI_H
#define SLUICE_KERN_TIER_ABI_H

#include "config/config.h"
#include "sluice_abi.h"

/* A tier reads the coarse clock when every meter tolerates this much
 * (4 ticks of the 4 ms coarse clock); see cfg_tier_to_abi(). */
#define CFG_COARSE_MIN_TOL_NS	(16 * 1000000ULL)

/* Translate one tier to the map value; 0 or -EINVAL/-ERANGE from
 * gcra_meter_set() (the config checked every meter already).  A default
 * flood guard is the one the config sized from client_table_size. */
int cfg_tier_to_abi(const struct cfg_tier *t, struct sl_tier *out);

/* The same for a tier whose clients live in a table of `clients`
 * entries (0: the config's client_table_size): a default flood guard is
 * sized from it. */
int cfg_tier_to_abi_in(const struct cfg_tier *t, uint64_t clients,
		       struct sl_tier *out);

#endif /* SLUICE_KERN_TIER_ABI_H */

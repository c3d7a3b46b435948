/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Classification: a packet's tier from the LPM tries on its source
 * address, the tier's config from the live half of sl_tiers, and the
 * client key (include/sluice_key.h, shared with sluicectl).
 */
#ifndef SLUICE_CLASSIFY_BPF_H
#define SLUICE_CLASSIFY_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_key.h"
#include "common.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"

/* The tier of the longest prefix holding the source, else the default
 * tier; a tier id past SL_MAX_TIERS also falls to the default, which
 * may itself be out of range (tier_lookup() then finds nothing). */
static __always_inline __u32 classify_tier(const struct sl_global *g,
					   const struct sl_pkt *p)
{
	struct sl_pfx_val *v;
	__u32 tier;

	if (p->family == SL_AF_INET) {
		struct sl_pfx_v4 k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, p->src, 4);
		v = bpf_map_lookup_elem(&sl_pfx_v4, &k);
		tier = v ? v->tier : g->default_tier;
		KEEP_APART(tier, "v4");
	} else {
		struct sl_pfx_v6 k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, p->src, 16);
		v = bpf_map_lookup_elem(&sl_pfx_v6, &k);
		tier = v ? v->tier : g->default_tier;
		KEEP_APART(tier, "v6");
	}
	return tier < SL_MAX_TIERS ? tier : g->default_tier;
}

/* Tier `tier` of the live config generation, or NULL. */
static __always_inline const struct sl_tier *
tier_lookup(const struct sl_global *g, __u32 tier)
{
	__u32 slot = sl_tier_slot(g->tier_gen, tier & (SL_MAX_TIERS - 1));

	return bpf_map_lookup_elem(&sl_tiers, &slot);
}

static __always_inline void classify_key(struct sl_client_key *k,
					 const struct sl_pkt *p,
					 const struct sl_tier *t, __u32 tier)
{
	sl_key_make(k, p->src, p->family, t, tier);
}

#endif /* SLUICE_CLASSIFY_BPF_H */

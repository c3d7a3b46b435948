/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A config's prefixes into one LPM trie (sl_pfx_v4/v6, or a rollout's
 * sl_pfx_v4_c/v6_c), in an order no packet can notice: add and retarget
 * first, then delete what is no longer configured, so a source never
 * falls into a gap.  Step 3 of apply_config (kern/apply.h).
 */
#ifndef SLUICE_APPLY_PFX_H
#define SLUICE_APPLY_PFX_H

#include <stddef.h>

#include "config/config.h"
#include "kern/apply.h"
#include "kern/loader.h"

struct bpf_map;

/* Room for one more element in a growing array: 0 or -ENOMEM. */
int apply_vec_reserve(void **v, size_t n, size_t *cap, size_t size);

/* Make trie `m` (of `family`, SL_AF_INET or SL_AF_INET6) hold exactly
 * the prefixes of `cfg`, config tier i's as tier id ids[i].  `old` names
 * the ids as they were (for the notes, prefixed with `what`: "" or
 * "canary: ").  0, -ENOMEM or a map's -errno (logged). */
int apply_prefixes(struct sl_iface *ifc, struct bpf_map *m, int family,
		   const struct sl_config *cfg, const int *ids,
		   char old[SL_MAX_TIERS][CFG_NAME_MAX], const char *what,
		   struct apply_summary *sum);

#endif /* SLUICE_APPLY_PFX_H */

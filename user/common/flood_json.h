/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A tier's flood guard as sluicectl shows it (`tiers`, `config check`). */
#ifndef SLUICE_COMMON_FLOOD_JSON_H
#define SLUICE_COMMON_FLOOD_JSON_H

#include <stdint.h>
#include <json-c/json.h>

#include "config/config.h"

/* {"new_clients": "10485/s", "burst": 20970, "default": true}, or NULL
 * (JSON null) when the tier has none.  `clients` is the size of the
 * table the tier's clients live in (0: the config's client_table_size):
 * the default guard is sized from it, as cfg_tier_to_abi_in() does. */
json_object *flood_guard_json(const struct cfg_tier *t, uint64_t clients);

#endif /* SLUICE_COMMON_FLOOD_JSON_H */

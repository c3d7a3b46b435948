/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The flood guard a limited tier gets when its config says nothing
 * about floods, sized from the client table: one rule for the config
 * loader and for the flood bench's `sluice_default` row.
 */
#ifndef SLUICE_CONFIG_FLOOD_DEFAULT_H
#define SLUICE_CONFIG_FLOOD_DEFAULT_H

#include <stdint.h>

#define FLOOD_DEFAULT_MIN_RATE	100	/* new clients per second, at least */

/* New clients per second (*per_sec) and burst (*burst) for a client
 * table of `clients` entries. */
void flood_guard_default(uint64_t clients, uint64_t *per_sec, uint32_t *burst);

#endif /* SLUICE_CONFIG_FLOOD_DEFAULT_H */

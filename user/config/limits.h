/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A tier's limits (meters) and its flood guard: unit, rate, burst and
 * action, checked against what the GCRA representation can hold. */
#ifndef SLUICE_CONFIG_LIMITS_H
#define SLUICE_CONFIG_LIMITS_H

#include "config/config.h"
#include "config/walk.h"

/* One entry of `limits`: {unit, rate, burst, action}. */
int limit_parse(struct cfg_walk *w, yaml_node_t *n, struct cfg_meter *m);

/* `flood_guard`: {new_clients: RATE, burst: N}, a packets meter that
 * admits one unit per new client entry (`off` is tiers.c's). */
int flood_guard_parse(struct cfg_walk *w, yaml_node_t *n, struct cfg_meter *m);

#endif /* SLUICE_CONFIG_LIMITS_H */

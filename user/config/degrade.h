/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The `degrade` section and a tier's degrade factors (issue 11;
 * common/degrade.h is the controller they configure):
 *
 *   degrade:
 *     levels:
 *       1: {enter: {error_rate: 0.05, p99: 2.5s}, exit: {error_rate: 0.02, p99: 1s}}
 *       2: {enter: {error_rate: 0.2}, exit: {error_rate: 0.1}}
 *     hold: 30s
 *     step: 1s
 *     min_requests: 20
 *     alert_expire: 15m
 *     shed: {optional: 1, normal: 2, core: never}
 *   tiers:
 *     - {name: vip, ..., degrade: [1.0, 0.8, 0.5, 0.3]}
 *
 * Every key is optional (degrade_cfg_default); a threshold `off` (or 0)
 * leaves that metric out at its level.
 */
#ifndef SLUICE_CONFIG_DEGRADE_H
#define SLUICE_CONFIG_DEGRADE_H

#include <yaml.h>

struct cfg_walk;

/* cfg_key parsers: `degrade` at the top level (obj: struct sl_config)
 * and in a tier (obj: struct cfg_tier). */
int cfg_parse_degrade(struct cfg_walk *w, yaml_node_t *v, void *obj);
int cfg_parse_tier_degrade(struct cfg_walk *w, yaml_node_t *v, void *obj);

#endif /* SLUICE_CONFIG_DEGRADE_H */

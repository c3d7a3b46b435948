/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The `tiers` section of the config file. */
#ifndef SLUICE_CONFIG_TIERS_H
#define SLUICE_CONFIG_TIERS_H

#include "config/config.h"
#include "config/walk.h"

/* A cfg_key parser: `v` is the tiers list, `obj` the struct sl_config
 * whose tiers[] and default_tier it fills. */
int cfg_parse_tiers(struct cfg_walk *w, yaml_node_t *v, void *obj);

/* The default flood guard of a tier whose clients live in a table of
 * `clients` entries (flood_guard_default()), as a new_clients meter. */
void cfg_flood_default(uint64_t clients, struct cfg_meter *m);

/* Once the whole file is parsed: the tiers that say nothing about
 * floods get the default guard for client_table_size. */
void cfg_tiers_finish(struct sl_config *cfg);

/* Once the whole file is parsed: a global limit needs the redis
 * section (config root `root`).  0 or -EINVAL with the message. */
int cfg_check_global(struct cfg_walk *w, yaml_node_t *root,
		     const struct sl_config *cfg);

#endif /* SLUICE_CONFIG_TIERS_H */

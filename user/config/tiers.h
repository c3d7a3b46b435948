/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The `tiers` section of the config file. */
#ifndef SLUICE_CONFIG_TIERS_H
#define SLUICE_CONFIG_TIERS_H

#include "config/config.h"
#include "config/walk.h"

/* A cfg_key parser: `v` is the tiers list, `obj` the struct sl_config
 * whose tiers[] and default_tier it fills. */
int cfg_parse_tiers(struct cfg_walk *w, yaml_node_t *v, void *obj);

/* Once the whole file is parsed: a global limit needs the redis
 * section (config root `root`).  0 or -EINVAL with the message. */
int cfg_check_global(struct cfg_walk *w, yaml_node_t *root,
		     const struct sl_config *cfg);

#endif /* SLUICE_CONFIG_TIERS_H */

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * edge_connections into the maps: sl_edge's ports, min_wait and secret
 * (bpf/lib/edge_conn.bpf.h), and the tier flag that turns it on for the
 * tiers with an http requests limit.
 */
#ifndef SLUICE_KERN_EDGE_CONN_H
#define SLUICE_KERN_EDGE_CONN_H

#include "config/config.h"
#include "kern/apply.h"
#include "kern/loader.h"

/* Set SL_TIER_F_EDGE_CONN on `t` when the config turns edge connections
 * on and `t` has a requests meter that answers with a reply. */
void edge_conn_tier_flag(const struct sl_config *cfg, struct sl_tier *t);

/* Write sl_edge's edge_connections fields (tc_attached is kept); the
 * secret is made once and kept over reloads and adoption. */
int edge_conn_apply(struct sl_iface *ifc, const struct sl_config *cfg,
		    struct apply_summary *sum);

#endif /* SLUICE_KERN_EDGE_CONN_H */

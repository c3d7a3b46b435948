/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Config section `edge_connections`: the ports on which the edge answers
 * an over-limit client's new connections itself (bpf/lib/edge_conn.bpf.h).
 */
#ifndef SLUICE_CONFIG_EDGE_H
#define SLUICE_CONFIG_EDGE_H

#include <stdint.h>
#include <yaml.h>

#include "sluice_edge.h"

#define CFG_EDGE_MIN_WAIT_NS	250000000ULL	/* 250 ms */
#define CFG_EDGE_MIN_WAIT_MAX	(3600ULL * 1000000000ULL)

struct cfg_edge_conn {
	uint32_t nports;		/* 0: off (the default) */
	uint16_t ports[SL_EDGE_PORTS];	/* host order */
	uint64_t min_wait_ns;
};

struct cfg_walk;

int cfg_parse_edge_conn(struct cfg_walk *w, yaml_node_t *v, void *obj);

#endif /* SLUICE_CONFIG_EDGE_H */

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>

#include "config/config.h"
#include "config/duration.h"
#include "config/edge.h"
#include "config/walk.h"

static int parse_ports(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_edge_conn *e = obj;
	int n = v->type == YAML_SEQUENCE_NODE ? walk_seq_len(v) : -1;

	if (n < 0)
		return walk_expect(w, v, "a list of TCP ports like [80, 8080]");
	if (n > SL_EDGE_PORTS)
		return walk_err(w, v, "expected at most %d ports, got %d",
				SL_EDGE_PORTS, n);
	for (int i = 0; i < n; i++) {
		yaml_node_t *item = walk_seq_item(w, v, i);
		size_t mark = walk_path_push(w, "[%d]", i);
		uint64_t port;
		int err = walk_uint(w, item, 1, 65535, "a TCP port", &port);

		for (int j = 0; !err && j < i; j++)
			if (e->ports[j] == port)
				err = walk_err(w, item, "port %llu is listed twice",
					       (unsigned long long)port);
		walk_path_pop(w, mark);
		if (err)
			return err;
		e->ports[i] = port;
	}
	e->nports = n;
	return 0;
}

static int parse_min_wait(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_edge_conn *e = obj;
	const char *s = walk_scalar(v);
	uint64_t ns;

	if (!s || cfg_duration_parse(s, &ns) || ns > CFG_EDGE_MIN_WAIT_MAX)
		return walk_expect(w, v, "a duration like 250ms or 1s, at most 1h");
	e->min_wait_ns = ns;
	return 0;
}

static const struct cfg_key edge_keys[] = {
	{ "ports", parse_ports },
	{ "min_wait", parse_min_wait },
};

int cfg_parse_edge_conn(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct sl_config *cfg = obj;
	unsigned seen;

	return walk_map(w, v, edge_keys, NKEYS(edge_keys), &cfg->edge_conn,
			"a mapping like {ports: [80], min_wait: 250ms}", &seen);
}

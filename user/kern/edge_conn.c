// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/edge_conn.h"
#include "common/log.h"
#include "sluice_xdp.skel.h"

void edge_conn_tier_flag(const struct sl_config *cfg, struct sl_tier *t)
{
	t->flags &= ~SL_TIER_F_EDGE_CONN;
	if (!cfg->edge_conn.nports || t->verdict != SL_TIER_LIMIT)
		return;
	for (int i = 0; i < t->nmeters && i < SL_METERS_PER_TIER; i++) {
		const struct sl_meter *m = &t->meters[i];

		if (m->unit == SL_UNIT_REQUESTS && m->action == SL_ACT_HTTP &&
		    m->reply != SL_REPLY_NONE)
			t->flags |= SL_TIER_F_EDGE_CONN;
	}
}

static int edge_conn_secret(__u64 secret[2])
{
	size_t got = 0;

	while (got < 2 * sizeof(__u64)) {
		ssize_t n = getrandom((char *)secret + got,
				      2 * sizeof(__u64) - got, 0);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			got += n;
	}
	return 0;
}

int edge_conn_apply(struct sl_iface *ifc, const struct sl_config *cfg,
		    struct apply_summary *sum)
{
	const struct cfg_edge_conn *c = &cfg->edge_conn;
	int fd = bpf_map__fd(ifc->skel->maps.sl_edge);
	struct sl_edge_cfg e = {}, was;
	__u32 zero = 0;
	int err;

	if (bpf_map_lookup_elem(fd, &zero, &e))
		return -errno;
	was = e;
	if (!e.secret[0] && !e.secret[1]) {
		err = edge_conn_secret(e.secret);
		if (err) {
			log_err("%s: no random bytes for the edge connections' secret: %s",
				ifc->name, strerror(-err));
			return err;
		}
	}
	e.nports = c->nports;
	memset(e.ports, 0, sizeof(e.ports));
	for (__u32 i = 0; i < c->nports && i < SL_EDGE_PORTS; i++)
		e.ports[i] = htons(c->ports[i]);
	e.min_wait_ns = c->min_wait_ns;
	if (bpf_map_update_elem(fd, &zero, &e, BPF_ANY)) {
		err = -errno;
		log_err("%s: cannot write %s: %s", ifc->name, SL_MAP_EDGE,
			strerror(-err));
		return err;
	}
	if (was.nports != e.nports ||
	    memcmp(was.ports, e.ports, sizeof(e.ports)) ||
	    (e.nports && was.min_wait_ns != e.min_wait_ns))
		apply_note(sum, "edge_connections: %u port%s, min_wait %llu ms",
			   e.nports, e.nports == 1 ? "" : "s",
			   (unsigned long long)(e.min_wait_ns / 1000000));
	return 0;
}

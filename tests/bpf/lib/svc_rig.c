// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sluiced's apply on an xdp_fixture (svc_rig.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "svc_rig.h"
#include "kern/stats.h"

int rig_iface(struct rig *r)
{
	struct sl_tier_name tn;
	struct sl_svc_name sn;

	memset(&r->ifc, 0, sizeof(r->ifc));
	snprintf(r->ifc.name, sizeof(r->ifc.name), "test");
	r->ifc.skel = r->fx.skel;
	r->ifc.names_fd = r->names_fd;
	r->ifc.svc_names_fd = r->svc_names_fd;
	r->ifc.link_fd = r->ifc.dir_fd = -1;
	for (__u32 id = 0; id < SL_MAX_TIERS; id++) {
		if (bpf_map_lookup_elem(r->names_fd, &id, &tn))
			return -errno;
		memcpy(r->ifc.tier_names[id], tn.name, CFG_NAME_MAX);
	}
	for (__u32 id = 0; id < SL_MAX_SERVICES; id++) {
		if (bpf_map_lookup_elem(r->svc_names_fd, &id, &sn))
			return -errno;
		memcpy(r->ifc.svc_names[id], sn.name, SL_SVC_NAME_MAX);
	}
	return 0;
}

void rig_close(struct rig *r)
{
	stats_free(&r->ifc.stats);
	if (r->names_fd >= 0)
		close(r->names_fd);
	if (r->svc_names_fd >= 0)
		close(r->svc_names_fd);
	if (r->fx.skel)
		fixture_close(&r->fx);
}

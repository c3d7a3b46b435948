/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sluiced's apply on an xdp_fixture: a config parsed and written into
 * the fixture's maps by apply_config (user/kern/apply.c) the way the
 * daemon does, with the names maps the loader would pin; "restart"
 * reads the interface state back from them.  Shared by tests/bpf.
 */
#ifndef SLUICE_TEST_SVC_RIG_H
#define SLUICE_TEST_SVC_RIG_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

#include "xdp_fixture.h"
#include "kern/apply.h"
#include "kern/loader.h"
#include "kern/stats.h"
#include "config/config.h"
#include "test.h"

struct rig {
	struct xdp_fixture fx;
	struct sl_iface ifc;
	int names_fd, svc_names_fd;
	__u16 sport;		/* a new connection per request unless told */
};

/* The loader's part, minus the interface: the skeleton's maps and both
 * names maps, read into ifc (again after a "restart").  0 or -errno. */
int rig_iface(struct rig *r);
void rig_close(struct rig *r);

/* The fixture, both names maps and ifc: false (asserted) on failure.
 * (Inline: tools link tests/bpf/lib without the test runner.) */
static inline bool rig_open(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->names_fd = r->svc_names_fd = -1;
	r->sport = 30000;
	if (!FIXTURE_SETUP(&r->fx, FIXTURE_CLIENTS))
		return false;
	memset(&r->fx.global, 0, sizeof(r->fx.global));
	r->names_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, SL_MAP_TIER_NAMES, 4,
				     sizeof(struct sl_tier_name), SL_MAX_TIERS,
				     NULL);
	r->svc_names_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, SL_MAP_SVC_NAMES, 4,
					 sizeof(struct sl_svc_name),
					 SL_MAX_SERVICES, NULL);
	return ASSERT_OK(fixture_set_global(&r->fx), "zero sl_global") &&
	       ASSERT_TRUE(r->names_fd >= 0 && r->svc_names_fd >= 0, "names maps") &&
	       ASSERT_OK(rig_iface(r), "iface");
}

/* Parse `text` and apply it (notes into `sum`, or dropped for NULL);
 * r->fx.global is the result. */
static inline bool rig_apply(struct rig *r, const char *text, struct apply_summary *sum)
{
	struct apply_summary own = {};
	char err[CFG_ERR_MAX];
	struct sl_config *cfg;
	bool ok;

	if (!ASSERT_OK(cfg_parse("test.yaml", text, strlen(text), &cfg, err),
		       "cfg_parse")) {
		fprintf(stderr, "    %s\n", err);
		return false;
	}
	stats_free(&r->ifc.stats);
	ok = ASSERT_OK(stats_init(&r->ifc.stats), "stats") &&
	     ASSERT_OK(apply_config(&r->ifc, cfg, sum ? sum : &own), "apply_config");
	apply_summary_free(&own);
	cfg_free(cfg);
	apply_global_get(&r->ifc, &r->fx.global);
	return ok;
}

#endif /* SLUICE_TEST_SVC_RIG_H */

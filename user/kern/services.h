/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The config's services into one interface's maps, with the tiers'
 * generation flip (kern/apply.c):
 *
 *   1. ids: a service keeps its id across reloads and restarts (by
 *      name, from sl_svc_names); a new name takes an id no service
 *      held, and only when none is left one a removed service frees in
 *      this reload (its statistics zeroed first);
 *   2. before the flip: sl_services, sl_svc_ports and sl_svc_match of
 *      the idle half (the trie's entries of that half are replaced);
 *   3. after the flip: what removed services leave (their statistics,
 *      failure runs and pending requests) goes, then their ids are
 *      freed.
 *
 * The statistics of services that stay are never touched.
 */
#ifndef SLUICE_KERN_SERVICES_H
#define SLUICE_KERN_SERVICES_H

#include <stdbool.h>

#include "config/config.h"
#include "kern/loader.h"
#include "sluice_service.h"

struct apply_summary;

struct svc_apply {
	int ids[SL_MAX_SERVICES];		/* by config service */
	char old[SL_MAX_SERVICES][SL_SVC_NAME_MAX];	/* names before */
	bool removed[SL_MAX_SERVICES];		/* by id */
};

/* Steps 1 and 2 for generation `gen` (`fresh`: nothing was written
 * before, the half is the live one). */
int services_write(struct sl_iface *ifc, const struct sl_config *cfg,
		   __u32 gen, bool fresh, struct svc_apply *sa,
		   struct apply_summary *sum);

/* Step 3, after sl_global's flip. */
int services_cleanup(struct sl_iface *ifc, const struct svc_apply *sa,
		     struct apply_summary *sum);

/* The id of service `name` on this interface, or -1. */
int services_id(const struct sl_iface *ifc, const char *name);

#endif /* SLUICE_KERN_SERVICES_H */

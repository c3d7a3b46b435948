/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Edge reply templates into sl_replies, double-buffered like the tiers
 * (include/sluice_reply.h).  Each apply renders every reply the config
 * names (one per http limit that answers, then one per service's gate:
 * its 503 or fallback; identical ones shared), gives them ids 1..n in
 * config order for this generation, writes them into the idle half
 * before the tier_gen flip and empties that half's other slots.  The
 * tier translation then sets each meter's reply id, the services'
 * their gate_reply and gate_action.
 */
#ifndef SLUICE_KERN_REPLIES_H
#define SLUICE_KERN_REPLIES_H

#include <stdbool.h>

#include "config/config.h"
#include "sluice_abi.h"
#include "sluice_reply.h"
#include "sluice_service.h"

struct apply_summary;

struct reply_plan {
	int n;				/* templates, ids 1..n */
	struct sl_reply *tpl;		/* [SL_MAX_REPLIES], by id */
	int ntiers;
	__u16 (*ids)[SL_METERS_PER_TIER];	/* by config tier, meter */
	int nservices;
	__u16 *gate;			/* by config service: its gate's answer, 0 none */
	/* Added to every id written (replies_write, replies_tier_set): 0,
	 * or SL_REPLY_CANARY_BASE for a rollout's canary (kern/rollout.h). */
	__u16 base;
};

/* Render the config's replies; 0 or -ENOMEM, -ENOSPC, or the renderer's
 * error (the config check rendered them all already). */
int replies_plan(const struct sl_config *cfg, struct reply_plan *p);
void replies_plan_free(struct reply_plan *p);

/* Write the plan into half `gen` of sl_replies (fd) and empty its other
 * slots (with a base, the canary's slots: `gen` does not count). */
int replies_write(int fd, __u32 gen, const struct reply_plan *p);

/* Set the reply ids of config tier `tier`'s meters in `t`. */
void replies_tier_set(const struct reply_plan *p, int tier, struct sl_tier *t);

/* Set gate_reply and gate_action of config service `svc` (`s`) in
 * `out`: SL_ACT_HTTP with its template, or SL_ACT_RESET. */
void replies_service_set(const struct reply_plan *p, int svc,
			 const struct cfg_service *s, struct sl_service *out);

/* The same for a service: are `cur` and `next` the same, gate_reply
 * ids aside?  A changed gate template is noted in `sum`. */
bool replies_service_same(int fd, __u32 cur_gen, const struct sl_service *cur,
			  const struct reply_plan *p, const struct sl_service *next,
			  const char *name, struct apply_summary *sum);

/* Are `cur` (live, generation `cur_gen`) and `next` (planned) the same
 * tier, reply ids aside?  If so, a changed template (the reply's own
 * config) is noted in `sum` under `name`. */
bool replies_tier_same(int fd, __u32 cur_gen, const struct sl_tier *cur,
		       const struct reply_plan *p, const struct sl_tier *next,
		       const char *name, struct apply_summary *sum);

#endif /* SLUICE_KERN_REPLIES_H */

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Edge reply templates into sl_replies (replies.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "kern/replies.h"
#include "kern/apply.h"
#include "common/log.h"

int replies_plan(const struct sl_config *cfg, struct reply_plan *p)
{
	struct sl_reply tpl;
	char err[256];
	int ret;

	memset(p, 0, sizeof(*p));
	p->tpl = calloc(SL_MAX_REPLIES, sizeof(*p->tpl));
	p->ids = calloc(cfg->ntiers ? cfg->ntiers : 1, sizeof(*p->ids));
	if (!p->tpl || !p->ids) {
		ret = -ENOMEM;
		goto fail;
	}
	p->ntiers = cfg->ntiers;
	for (int i = 0; i < cfg->ntiers; i++) {
		const struct cfg_tier *t = &cfg->tiers[i];

		for (int k = 0; k < t->nmeters; k++) {
			int id;

			if (!cfg_meter_answers(&t->meters[k]))
				continue;
			ret = cfg_reply_render(t, k, &tpl, err, sizeof(err));
			if (ret) {
				log_err("tier '%s' limits[%d]: reply: %s", t->name, k, err);
				goto fail;
			}
			/* Templates are zeroed past len: memcmp is exact. */
			for (id = 1; id <= p->n; id++)
				if (!memcmp(&p->tpl[id], &tpl, sizeof(tpl)))
					break;
			if (id > p->n) {
				if (id >= SL_MAX_REPLIES) {
					ret = -ENOSPC;	/* 64 tiers x 4 limits: cannot happen */
					goto fail;
				}
				p->tpl[id] = tpl;
				p->n = id;
			}
			p->ids[i][k] = id;
		}
	}
	return 0;
fail:
	replies_plan_free(p);
	return ret;
}

void replies_plan_free(struct reply_plan *p)
{
	free(p->tpl);
	free(p->ids);
	memset(p, 0, sizeof(*p));
}

int replies_write(int fd, __u32 gen, const struct reply_plan *p)
{
	static const struct sl_reply empty;

	for (__u32 id = 0; id < SL_MAX_REPLIES; id++) {
		__u32 slot = sl_reply_slot(gen, id);
		const struct sl_reply *v = id && (int)id <= p->n ? &p->tpl[id] : &empty;

		if (bpf_map_update_elem(fd, &slot, v, BPF_ANY))
			return -errno;
	}
	return 0;
}

void replies_tier_set(const struct reply_plan *p, int tier, struct sl_tier *t)
{
	for (int k = 0; k < SL_METERS_PER_TIER; k++)
		t->meters[k].reply = tier < p->ntiers ? p->ids[tier][k] : 0;
}

bool replies_tier_same(int fd, __u32 cur_gen, const struct sl_tier *cur,
		       const struct reply_plan *p, const struct sl_tier *next,
		       const char *name, struct apply_summary *sum)
{
	struct sl_tier a = *cur, b = *next;

	for (int k = 0; k < SL_METERS_PER_TIER; k++)
		a.meters[k].reply = b.meters[k].reply = 0;
	/* A changed tier changes its replies too (q, w, the width): its
	 * own note says enough. */
	if (memcmp(&a, &b, sizeof(a)))
		return false;
	for (int k = 0; k < SL_METERS_PER_TIER; k++) {
		struct sl_reply old = {};
		__u32 id = cur->meters[k].reply, slot = sl_reply_slot(cur_gen, id);
		__u32 nid = next->meters[k].reply;
		const struct sl_reply *nt = nid && (int)nid <= p->n ? &p->tpl[nid] : NULL;

		if (id && id < SL_MAX_REPLIES)
			bpf_map_lookup_elem(fd, &slot, &old);
		if (nt && memcmp(&old, nt, sizeof(old)))
			apply_note(sum, "tier %s: limits[%d] answers with a new reply (%u, %u bytes)",
				   name, k, nt->status, nt->len);
	}
	return true;
}

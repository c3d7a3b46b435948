// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Edge reply templates into sl_replies (replies.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "kern/replies.h"
#include "kern/apply.h"
#include "common/log.h"

/* The id of `tpl` in the plan: an identical one's, or the next. */
static int plan_add(struct reply_plan *p, const struct sl_reply *tpl)
{
	int id;

	/* Templates are zeroed past len: memcmp is exact. */
	for (id = 1; id <= p->n; id++)
		if (!memcmp(&p->tpl[id], tpl, sizeof(*tpl)))
			return id;
	if (id >= SL_MAX_REPLIES)
		return -ENOSPC;	/* 64 tiers x 4 limits + 64 services: cannot happen */
	p->tpl[id] = *tpl;
	p->n = id;
	return id;
}

/* The gates' answers, after the tiers' in the same ids. */
static int plan_services(const struct sl_config *cfg, struct reply_plan *p)
{
	struct sl_reply tpl;
	char err[256];
	int ret;

	for (int i = 0; i < cfg->nservices; i++) {
		const struct cfg_service *s = &cfg->services[i];

		if (s->tls || s->on_open == CFG_ON_OPEN_RESET)
			continue;
		ret = cfg_gate_render(s, &tpl, err, sizeof(err));
		if (ret) {
			log_err("service '%s': %s: %s", s->name,
				s->fallback ? "fallback" : "503 reply", err);
			return ret;
		}
		ret = plan_add(p, &tpl);
		if (ret < 0)
			return ret;
		p->gate[i] = ret;
	}
	return 0;
}

int replies_plan(const struct sl_config *cfg, struct reply_plan *p)
{
	struct sl_reply tpl;
	char err[256];
	int ret;

	memset(p, 0, sizeof(*p));
	p->tpl = calloc(SL_MAX_REPLIES, sizeof(*p->tpl));
	p->ids = calloc(cfg->ntiers ? cfg->ntiers : 1, sizeof(*p->ids));
	p->gate = calloc(cfg->nservices ? cfg->nservices : 1, sizeof(*p->gate));
	if (!p->tpl || !p->ids || !p->gate) {
		ret = -ENOMEM;
		goto fail;
	}
	p->ntiers = cfg->ntiers;
	p->nservices = cfg->nservices;
	for (int i = 0; i < cfg->ntiers; i++) {
		const struct cfg_tier *t = &cfg->tiers[i];

		for (int k = 0; k < t->nmeters; k++) {
			if (!cfg_meter_answers(&t->meters[k]))
				continue;
			ret = cfg_reply_render(t, k, &tpl, err, sizeof(err));
			if (ret) {
				log_err("tier '%s' limits[%d]: reply: %s", t->name, k, err);
				goto fail;
			}
			ret = plan_add(p, &tpl);
			if (ret < 0)
				goto fail;
			p->ids[i][k] = ret;
		}
	}
	ret = plan_services(cfg, p);
	if (ret)
		goto fail;
	return 0;
fail:
	replies_plan_free(p);
	return ret;
}

void replies_plan_free(struct reply_plan *p)
{
	free(p->tpl);
	free(p->ids);
	free(p->gate);
	memset(p, 0, sizeof(*p));
}

int replies_write(int fd, __u32 gen, const struct reply_plan *p)
{
	static const struct sl_reply empty;

	for (__u32 id = 0; id < SL_MAX_REPLIES; id++) {
		__u32 slot = sl_reply_slot(gen, p->base + id);
		const struct sl_reply *v = id && (int)id <= p->n ? &p->tpl[id] : &empty;

		if (bpf_map_update_elem(fd, &slot, v, BPF_ANY))
			return -errno;
	}
	return 0;
}

void replies_tier_set(const struct reply_plan *p, int tier, struct sl_tier *t)
{
	for (int k = 0; k < SL_METERS_PER_TIER; k++)
		t->meters[k].reply = tier < p->ntiers && p->ids[tier][k] ?
				     p->base + p->ids[tier][k] : 0;
}

void replies_service_set(const struct reply_plan *p, int svc,
			  const struct cfg_service *s, struct sl_service *out)
{
	__u16 id = svc < p->nservices ? p->gate[svc] : 0;

	/* Without a template (a reset, a TLS service, no plan) a stopped
	 * request is reset: never an http answer with reply 0. */
	out->gate_action = id && s->on_open != CFG_ON_OPEN_RESET ?
			   SL_ACT_HTTP : SL_ACT_RESET;
	out->gate_reply = out->gate_action == SL_ACT_HTTP ? id : SL_REPLY_NONE;
}

/* The live template `id` of generation `gen` (zeroed when none). */
static void reply_live(int fd, __u32 gen, __u32 id, struct sl_reply *out)
{
	__u32 slot = sl_reply_slot(gen, id);

	memset(out, 0, sizeof(*out));
	if (id && id < SL_REPLY_IDS)
		bpf_map_lookup_elem(fd, &slot, out);
}

bool replies_service_same(int fd, __u32 cur_gen, const struct sl_service *cur,
			  const struct reply_plan *p, const struct sl_service *next,
			  const char *name, struct apply_summary *sum)
{
	struct sl_service a = *cur, b = *next;
	const struct sl_reply *nt = next->gate_reply && next->gate_reply <= p->n ?
				    &p->tpl[next->gate_reply] : NULL;
	struct sl_reply old;

	/* Ids move with the tiers' replies: the template is what counts. */
	a.gate_reply = b.gate_reply = 0;
	if (memcmp(&a, &b, sizeof(a)))
		return false;
	reply_live(fd, cur_gen, cur->gate_reply, &old);
	if (nt && memcmp(&old, nt, sizeof(old)))
		apply_note(sum, "service %s: its gate answers with a new reply (%u, %u bytes)",
			   name, nt->status, nt->len);
	return true;
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
		struct sl_reply old;
		__u32 nid = next->meters[k].reply ?
			    next->meters[k].reply - p->base : 0;
		const struct sl_reply *nt = nid && (int)nid <= p->n ? &p->tpl[nid] : NULL;

		reply_live(fd, cur_gen, cur->meters[k].reply, &old);
		if (nt && memcmp(&old, nt, sizeof(old)))
			apply_note(sum, "tier %s: limits[%d] answers with a new reply (%u, %u bytes)",
				   name, k, nt->status, nt->len);
	}
	return true;
}

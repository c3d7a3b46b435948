// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/top.h"
#include "daemon/daemon.h"
#include "daemon/loop.h"
#include "daemon/talkers.h"
#include "config/rate.h"
#include "common/addr.h"
#include "common/clock.h"
#include "common/json_num.h"
#include "common/log.h"
#include "common/names.h"
#include "kern/talk.h"
#include "sluice_key.h"
#include "sluice_xdp.skel.h"

#define TOP_DEFAULT_N	10
#define TOP_MAX_N	1000

/* What a drain needs to turn one interface's samples into keys. */
struct drain_ctx {
	struct sl_daemon *d;
	int iface;
	bool tier_known[SL_MAX_TIERS];
	struct sl_tier tiers[SL_MAX_TIERS];
};

static void on_sample(void *arg, const struct sl_talk_sample *s,
		      double scale)
{
	struct drain_ctx *c = arg;
	struct sl_iface *ifc = &c->d->ifaces[c->iface];
	struct talker_key k = { .family = s->family, .tier = s->tier,
				.iface = c->iface };
	__u32 tier = s->tier;
	int len;

	if (tier >= SL_MAX_TIERS ||
	    (s->family != SL_AF_INET && s->family != SL_AF_INET6))
		return;
	if (!c->tier_known[tier]) {
		if (apply_tier_get(ifc, tier, &c->tiers[tier]))
			return;
		c->tier_known[tier] = true;
	}
	len = sl_key_prefix(&c->tiers[tier], s->family);
	sl_addr_mask(k.addr, s->addr, s->family == SL_AF_INET ? 1 : 4, len);
	k.prefix = len;
	talkers_add(c->d->talkers, &k, s->reason, s->meter,
		    (uint64_t)(s->weight * scale + 0.5),
		    (uint64_t)((double)s->len * s->weight * scale + 0.5));
}

/* A coarser period when a CPU nearly filled its ring, a finer one when
 * it wrote little. */
static void adapt(struct sl_iface *ifc, const struct talk_drain *st)
{
	volatile __u64 *m = &ifc->skel->data->sl_talk_mask;
	uint64_t mask = talk_adapt(*m, st->most);

	if (mask != *m)
		*m = mask;
}

void top_drain(struct sl_daemon *d)
{
	struct drain_ctx *c;

	if (!d->talkers)
		return;
	talkers_advance(d->talkers, now_ms());
	c = malloc(sizeof(*c));
	if (!c)
		return;
	for (int i = 0; i < d->niface; i++) {
		struct sl_iface *ifc = &d->ifaces[i];
		struct talk_drain st;
		int err;

		if (!ifc->talk.ring)
			continue;
		memset(c->tier_known, 0, sizeof(c->tier_known));
		c->d = d;
		c->iface = i;
		err = talk_drain(&ifc->talk, on_sample, c, &st);
		if (err) {
			log_warn("%s: reading the top-talker samples failed: %s",
				 ifc->name, strerror(-err));
			continue;
		}
		ifc->talk_lost += st.lost;
		adapt(ifc, &st);
	}
	free(c);
}

static void on_drain(struct loop *l, int id, void *arg)
{
	(void)l, (void)id;
	top_drain(arg);
}

int top_start(struct sl_daemon *d, struct loop *l)
{
	int err;

	d->talkers = calloc(1, sizeof(*d->talkers));
	if (!d->talkers)
		return -ENOMEM;
	err = talkers_init(d->talkers, TALKERS_CAP, now_ms());
	if (!err) {
		err = loop_add_timer(l, TOP_DRAIN_MS, true, on_drain, d);
		err = err < 0 ? err : 0;
	}
	if (err)
		top_stop(d);
	else
		top_drain(d);	/* notes where each ring stands */
	return err;
}

void top_stop(struct sl_daemon *d)
{
	if (d->talkers)
		talkers_free(d->talkers);
	free(d->talkers);
	d->talkers = NULL;
}

static void jset(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

/* "requests 1/s b5 reset": the meter as `sluicectl tiers` shows it. */
static void meter_desc(const struct sl_daemon *d, const struct sl_iface *ifc,
		       int tier, int meter, char *buf, size_t size)
{
	const struct cfg_tier *ct = apply_cfg_tier(d->cfg, ifc->tier_names[tier]);
	char rate[64];

	if (!ct || meter < 0 || meter >= ct->nmeters) {
		snprintf(buf, size, "-");
		return;
	}
	snprintf(buf, size, "%s %s b%llu %s", unit_name(ct->meters[meter].unit),
		 cfg_rate_format(&ct->meters[meter], rate, sizeof(rate)),
		 (unsigned long long)ct->meters[meter].burst,
		 action_name(ct->meters[meter].action));
}

static json_object *row_json(const struct sl_daemon *d,
			     const struct talker_row *r, double span)
{
	const struct sl_iface *ifc = &d->ifaces[r->key.iface];
	json_object *o = json_object_new_object(), *by;
	struct cfg_prefix p = { .family = r->key.family, .len = r->key.prefix };
	char buf[ADDR_STR_MAX], desc[128];

	memcpy(p.addr, r->key.addr, sizeof(p.addr));
	jset(o, "interface", json_object_new_string(ifc->name));
	jset(o, "tier", json_object_new_string(ifc->tier_names[r->key.tier][0] ?
					       ifc->tier_names[r->key.tier] : "?"));
	jset(o, "key", json_object_new_string(addr_format(&p, true, buf,
							  sizeof(buf))));
	jset(o, "passed_pps", json_num_rounded(r->passed / span,
					       JSON_PPS_DECIMALS));
	jset(o, "refused_pps", json_num_rounded(r->refused / span,
						JSON_PPS_DECIMALS));
	jset(o, "bps", json_num_rounded(r->bytes / span, JSON_BPS_DECIMALS));
	jset(o, "passed", json_object_new_int64(r->passed));
	jset(o, "refused", json_object_new_int64(r->refused));
	jset(o, "bytes", json_object_new_int64(r->bytes));
	if (r->refused) {
		by = json_object_new_object();
		jset(by, "reason", json_object_new_string(reason_name(r->reason)));
		if (r->meter != SL_TALK_NO_METER) {
			meter_desc(d, ifc, r->key.tier, r->meter, desc,
				   sizeof(desc));
			jset(by, "meter", json_object_new_int(r->meter));
			jset(by, "limit", json_object_new_string(desc));
		}
		jset(o, "refused_by", by);
	} else {
		jset(o, "refused_by", NULL);
	}
	return o;
}

static const char *const by_names[] = { "refused", "passed", "bytes" };

static int parse_req(const struct sl_daemon *d, json_object *req, int *n,
		     int *by, const char **tier, char *err, size_t errlen)
{
	json_object *v;

	*n = TOP_DEFAULT_N;
	*by = TALKERS_BY_REFUSED;
	*tier = NULL;
	if (json_object_object_get_ex(req, "n", &v)) {
		*n = json_object_get_int(v);
		if (!json_object_is_type(v, json_type_int) || *n < 1 ||
		    *n > TOP_MAX_N) {
			snprintf(err, errlen, "expected \"n\" from 1 to %d, got '%s'",
				 TOP_MAX_N, json_object_get_string(v));
			return -EINVAL;
		}
	}
	if (json_object_object_get_ex(req, "by", &v)) {
		const char *s = json_object_get_string(v);

		for (*by = 0; *by < 3; (*by)++)
			if (s && !strcmp(s, by_names[*by]))
				break;
		if (*by == 3) {
			snprintf(err, errlen,
				 "expected \"by\": refused, passed or bytes, got '%s'",
				 s ? s : "");
			return -EINVAL;
		}
	}
	if (json_object_object_get_ex(req, "tier", &v)) {
		*tier = json_object_get_string(v);
		if (!*tier || !apply_cfg_tier(d->cfg, *tier)) {
			snprintf(err, errlen, "no tier named '%s' in the running config",
				 *tier ? *tier : "");
			return -ENOENT;
		}
	}
	return 0;
}

int top_cmd(void *ctx, json_object *req, json_object **data, char *err,
	    size_t errlen)
{
	struct sl_daemon *d = ctx;
	json_object *o, *a, *per;
	struct talker_row *rows;
	const char *tier;
	int n, by, nrows, tid = -1;
	double span;

	if (parse_req(d, req, &n, &by, &tier, err, errlen))
		return -EINVAL;
	if (!d->talkers || !d->niface) {
		snprintf(err, errlen, "no interface is attached");
		return -ENODEV;
	}
	/* Tier ids are the same on every interface (sl_tier_names). */
	if (tier)
		tid = apply_tier_id(&d->ifaces[0], tier);
	top_drain(d);
	rows = calloc(n, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	nrows = talkers_top(d->talkers, now_ms(), by, tid, n, rows, &span);
	if (tier && tid < 0)
		nrows = 0;
	o = json_object_new_object();
	jset(o, "by", json_object_new_string(by_names[by]));
	jset(o, "window_s", json_num_rounded(span, 3));
	per = json_object_new_array();
	for (int i = 0; i < d->niface; i++) {
		__u64 mask = d->ifaces[i].skel->data->sl_talk_mask;
		json_object *f = json_object_new_object();

		jset(f, "name", json_object_new_string(d->ifaces[i].name));
		jset(f, "sample_period", mask == SL_TALK_OFF ? NULL :
		     json_object_new_int64(mask + 1));
		jset(f, "samples_lost", json_object_new_int64(d->ifaces[i].talk_lost));
		json_object_array_add(per, f);
	}
	jset(o, "interfaces", per);
	jset(o, "left_out", json_object_new_int64(d->talkers->overflow));
	a = json_object_new_array();
	for (int i = 0; i < nrows; i++)
		json_object_array_add(a, row_json(d, &rows[i], span));
	jset(o, "clients", a);
	free(rows);
	*data = o;
	return 0;
}

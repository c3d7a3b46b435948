// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The global limits in the control commands' answers: a client's
 * "global" block (sluicectl client) and the "redis" block of status,
 * from the maps and what the sync thread last published.
 */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "daemon/daemon.h"
#include "daemon/glob_cmd.h"
#include "daemon/glob_sync.h"
#include "kern/glob.h"
#include "config/rate.h"
#include "common/clock.h"
#include "common/json_num.h"
#include "common/names.h"
#include "sluice_xdp.skel.h"

static const char *const fallback_names[] = {
	[GLOB_SYNCED] = "synced", [GLOB_FB_LOCAL] = "local",
	[GLOB_FB_SHARE] = "share",
};

static void jset(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

const struct cfg_meter *glob_cmd_meter(const struct cfg_tier *ct)
{
	for (int i = 0; ct && ct->verdict == SL_TIER_LIMIT && i < ct->nmeters; i++)
		if (ct->meters[i].scope == CFG_SCOPE_GLOBAL)
			return &ct->meters[i];
	return NULL;
}

json_object *glob_cmd_client(struct sl_daemon *d, const struct sl_iface *ifc,
			     const struct sl_client_key *k,
			     const struct cfg_tier *ct)
{
	const struct cfg_meter *m = glob_cmd_meter(ct);
	struct glob_client_view v;
	struct glob_status st;
	struct sl_glob_grant g;
	struct sl_glob_use u = {};
	json_object *o;
	bool has_grant, sliding;
	uint64_t now_ns = clock_ns(CLOCK_MONOTONIC);
	char rate[64];

	if (!m)
		return NULL;
	o = json_object_new_object();
	jset(o, "algorithm", json_object_new_string(name_of(&sl_algorithm_names, m->algorithm)));
	jset(o, "rate", json_object_new_string(cfg_rate_format(m, rate, sizeof(rate))));
	jset(o, "burst", json_object_new_int64(m->burst));
	if (m->algorithm != CFG_ALG_TOKEN_BUCKET)
		jset(o, "window_ms", json_object_new_int64(m->window_ns / 1000000));
	has_grant = !glob_grant_read(bpf_map__fd(ifc->skel->maps.sl_glob_grant), k, &g);
	glob_use_lookup(bpf_map__fd(ifc->skel->maps.sl_glob_use), k, &u);
	jset(o, "used", json_object_new_int64(u.used));
	jset(o, "demand", json_object_new_int64(u.demand));
	jset(o, "grant", json_object_new_boolean(has_grant && now_ns < g.expires_ns));
	if (has_grant) {
		jset(o, "granted", json_object_new_int64(g.granted));
		/* What the data path may still admit here before the next sync. */
		jset(o, "allowance", json_object_new_int64(g.granted > u.used ?
							   g.granted - u.used : 0));
		jset(o, "grant_expires_ms", json_num_rounded(
			((double)g.expires_ns - (double)now_ns) / 1e6, JSON_MS_DECIMALS));
	}
	glob_sync_status(d->glob, &st);
	jset(o, "fallback", json_object_new_string(fallback_names[st.fallback]));
	if (!glob_sync_client(d->glob, ifc->name, k, &v) && v.synced_ms) {
		sliding = m->algorithm != CFG_ALG_TOKEN_BUCKET;
		jset(o, sliding ? "estimate" : "tokens",
		     json_num_rounded(v.state_milli / 1000.0, 3));
		jset(o, "share", json_num_rounded(v.share_ppm / 1e6, 6));
		jset(o, "hosts", json_object_new_int64(v.hosts));
		jset(o, "last_sync_ms", json_object_new_int64(now_ms() - v.synced_ms));
	}
	return o;
}

json_object *glob_cmd_status(struct sl_daemon *d)
{
	json_object *o, *e;
	struct glob_status st;

	glob_sync_status(d->glob, &st);
	if (!st.wanted && !d->cfg->redis.on)
		return NULL;
	o = json_object_new_object();
	jset(o, "address", json_object_new_string(st.wanted ? st.address :
						  d->cfg->redis.address));
	jset(o, "host", json_object_new_string(st.host));
	jset(o, "global_limits", json_object_new_boolean(st.wanted));
	jset(o, "up", json_object_new_boolean(st.up));
	jset(o, "on_down", json_object_new_string(name_of(&sl_on_down_names, st.on_down)));
	jset(o, "fallback", json_object_new_string(fallback_names[st.fallback]));
	jset(o, "hosts", json_object_new_int64(st.hosts));
	jset(o, "syncs", json_object_new_int64(st.syncs));
	if (st.syncs) {
		jset(o, "last_sync", json_num_rounded(st.last_sync_wall, 3));
		jset(o, "last_sync_ms", json_object_new_int64(now_ms() - st.last_sync_ms));
	}
	e = json_object_new_object();
	for (int k = 0; k < RFAIL__MAX; k++)
		jset(e, redis_err_names[k], json_object_new_int64(st.errors[k]));
	jset(o, "errors", e);
	if (st.last_err[0])
		jset(o, "last_error", json_object_new_string(st.last_err));
	return o;
}

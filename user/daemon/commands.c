// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control protocol's commands (user/proto.h), answered from the
 * daemon's state and straight from the maps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/daemon.h"
#include "daemon/config_source.h"
#include "daemon/loop.h"
#include "daemon/svc_view.h"
#include "daemon/top.h"
#include "daemon/gates.h"
#include "daemon/rollout.h"
#include "daemon/glob_cmd.h"
#include "config/duration.h"
#include "config/rate.h"
#include "common/clock.h"
#include "common/flood_json.h"
#include "common/gcra.h"
#include "common/json_num.h"
#include "common/log.h"
#include "common/names.h"
#include "common/proto.h"
#include "sluice_key.h"
#include "sluice_xdp.skel.h"

static void jset(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static json_object *jint(int64_t v)
{
	return json_object_new_int64(v);
}

/* The live mode (sluicectl mode may have changed it since the reload). */
static int live_mode(struct sl_daemon *d)
{
	struct sl_global g;

	if (d->niface && !apply_global_get(&d->ifaces[0], &g))
		return g.mode;
	return d->cfg->mode;
}

static int cmd_status(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen)
{
	struct sl_daemon *d = ctx;
	json_object *o = json_object_new_object(), *c, *ifs, *ct;
	char hash[32];

	(void)req, (void)err, (void)errlen;
	snprintf(hash, sizeof(hash), "%016llx",
		 (unsigned long long)d->cfg->hash);
	jset(o, "version", jstr(SL_VERSION_STR));
	jset(o, "abi", jint(SL_ABI_VERSION));
	jset(o, "pid", jint(getpid()));
	jset(o, "uptime_s", jint((now_ms() - d->started_ms) / 1000));
	jset(o, "mode", jstr(mode_name(live_mode(d))));
	c = json_object_new_object();
	jset(c, "path", jstr(d->cfg_path));
	jset(c, "hash", jstr(hash));
	jset(c, "loaded_at", jint(d->loaded_at));
	jset(c, "source", jstr(config_source_origin(d)));
	jset(o, "config", c);
	ifs = json_object_new_array();
	for (int i = 0; i < d->niface; i++) {
		const struct sl_iface *ifc = &d->ifaces[i];
		json_object *f = json_object_new_object();

		jset(f, "name", jstr(ifc->name));
		jset(f, "ifindex", jint(ifc->ifindex));
		jset(f, "attach", jstr(loader_mode_name(ifc->mode)));
		jset(f, "prog_id", jint(ifc->prog_id));
		jset(f, "link_id", jint(ifc->link_id));
		jset(f, "tc_prog_id", jint(ifc->tc_prog_id));
		jset(f, "tc_link_id", jint(ifc->tc_link_id));
		jset(f, "egress_prog_id", jint(ifc->egress_prog_id));
		jset(f, "egress_link_id", jint(ifc->egress_link_id));
		json_object_array_add(ifs, f);
	}
	jset(o, "interfaces", ifs);
	ct = json_object_new_object();
	jset(ct, "size", jint(d->niface ? d->ifaces[0].clients :
			      d->cfg->client_table_size));
	jset(o, "client_table", ct);
	ct = glob_cmd_status(d);
	if (ct)
		jset(o, "redis", ct);
	*data = o;
	return 0;
}

static json_object *limits_json(const struct cfg_tier *t)
{
	json_object *a = json_object_new_array();
	char rate[64], win[32];

	for (int i = 0; t && i < t->nmeters; i++) {
		const struct cfg_meter *m = &t->meters[i];
		json_object *l = json_object_new_object();

		jset(l, "unit", jstr(unit_name(m->unit)));
		jset(l, "rate", jstr(cfg_rate_format(m, rate, sizeof(rate))));
		jset(l, "burst", jint(m->burst));
		jset(l, "action", jstr(action_name(m->action)));
		jset(l, "scope", jstr(name_of(&sl_scope_names, m->scope)));
		if (m->scope == CFG_SCOPE_GLOBAL)
			jset(l, "algorithm",
			     jstr(name_of(&sl_algorithm_names, m->algorithm)));
		if (m->scope == CFG_SCOPE_GLOBAL &&
		    m->algorithm != CFG_ALG_TOKEN_BUCKET)
			jset(l, "window", jstr(cfg_duration_format(m->window_ns,
					       win, sizeof(win))));
		/* The status a refused request is answered with. */
		if (cfg_reply_status(t, i))
			jset(l, "reply", jint(cfg_reply_status(t, i)));
		json_object_array_add(a, l);
	}
	return a;
}

/* Per tier row: counters and rates summed over the interfaces. */
struct tier_row {
	struct sl_counter ctr[SL_R__MAX];
	struct stats_rate rate[SL_R__MAX];
};

static void row_add(struct tier_row *row, const struct sl_counter *cur,
		    const struct stats *st, __u32 id)
{
	for (int r = 0; r < SL_R__MAX; r++) {
		__u32 i = sl_stats_index(id, r);

		row->ctr[r].packets += cur[i].packets;
		row->ctr[r].bytes += cur[i].bytes;
		row->rate[r].pps += st->rate[i].pps;
		row->rate[r].bps += st->rate[i].bps;
	}
}

static json_object *row_json(int id, const char *name, const char *verdict,
			     json_object *limits, const struct tier_row *row)
{
	json_object *o = json_object_new_object();
	json_object *c = json_object_new_object(), *r = json_object_new_object();

	jset(o, "id", jint(id));
	jset(o, "name", jstr(name));
	jset(o, "verdict", jstr(verdict));
	jset(o, "limits", limits);
	for (int k = 0; k < SL_R__MAX; k++) {
		json_object *cv = json_object_new_object();
		json_object *rv = json_object_new_object();

		jset(cv, "packets", jint(row->ctr[k].packets));
		jset(cv, "bytes", jint(row->ctr[k].bytes));
		jset(c, reason_name(k), cv);
		jset(rv, "pps", json_num_rounded(row->rate[k].pps,
						 JSON_PPS_DECIMALS));
		jset(rv, "bps", json_num_rounded(row->rate[k].bps,
						 JSON_BPS_DECIMALS));
		jset(r, reason_name(k), rv);
	}
	jset(o, "counters", c);
	jset(o, "rates", r);
	return o;
}

static int cmd_tiers(void *ctx, json_object *req, json_object **data,
		     char *err, size_t errlen)
{
	struct sl_daemon *d = ctx;
	const struct sl_config *cfg = d->cfg;
	struct tier_row *rows;
	struct sl_counter *cur;
	json_object *o, *a;
	int rc = 0;

	(void)req;
	rows = calloc(cfg->ntiers + 1, sizeof(*rows));
	cur = calloc(SL_STATS_ENTRIES, sizeof(*cur));
	if (!rows || !cur) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < d->niface; i++) {
		struct sl_iface *ifc = &d->ifaces[i];

		rc = stats_read(&ifc->stats,
				bpf_map__fd(ifc->skel->maps.sl_counters), cur);
		if (rc) {
			snprintf(err, errlen, "%s: reading counters failed: %s",
				 ifc->name, strerror(-rc));
			goto out;
		}
		for (int t = 0; t < cfg->ntiers; t++) {
			int id = apply_tier_id(ifc, cfg->tiers[t].name);

			if (id >= 0)
				row_add(&rows[t], cur, &ifc->stats, id);
		}
		row_add(&rows[cfg->ntiers], cur, &ifc->stats, SL_TIER_NONE);
	}
	o = json_object_new_object();
	a = json_object_new_array();
	for (int t = 0; t < cfg->ntiers; t++) {
		const struct cfg_tier *ct = &cfg->tiers[t];
		int id = d->niface ? apply_tier_id(&d->ifaces[0], ct->name) : -1;
		json_object *row = row_json(id, ct->name,
					    verdict_name(ct->verdict),
					    limits_json(ct), &rows[t]);

		/* As the first interface runs it (status: client_table). */
		jset(row, "flood_guard", flood_guard_json(ct, d->niface ?
				d->ifaces[0].clients : 0));
		json_object_array_add(a, row);
	}
	/* Non-IP and malformed packets belong to no tier. */
	json_object_array_add(a, row_json(SL_TIER_NONE, "(none)", "-",
					  json_object_new_array(),
					  &rows[cfg->ntiers]));
	jset(o, "tiers", a);
	*data = o;
out:
	free(rows);
	free(cur);
	return rc;
}

/* One interface's view of a client. */
struct client_view {
	__u32 tier;
	struct sl_tier t;
	struct cfg_prefix key;
	bool known;
	struct sl_client st;
};

static int client_lookup(const struct sl_iface *ifc,
			 const struct cfg_prefix *addr, struct client_view *v)
{
	struct sl_client_key k = { .family = addr->family };
	struct sl_pfx_v6 pk = { .prefixlen = addr_bits(addr) };
	struct sl_pfx_val val;
	struct sl_global g;
	int fd, err;

	err = apply_global_get(ifc, &g);
	if (err)
		return err;
	/* An LPM lookup with the full length returns the longest match. */
	memcpy(pk.addr, addr->addr, 16);
	fd = bpf_map__fd(addr->family == SL_AF_INET ?
			 ifc->skel->maps.sl_pfx_v4 : ifc->skel->maps.sl_pfx_v6);
	if (addr->family == SL_AF_INET) {
		struct sl_pfx_v4 k4 = { .prefixlen = 32 };

		memcpy(k4.addr, addr->addr, 4);
		err = bpf_map_lookup_elem(fd, &k4, &val);
	} else {
		err = bpf_map_lookup_elem(fd, &pk, &val);
	}
	v->tier = err || val.tier >= SL_MAX_TIERS ? g.default_tier : val.tier;
	err = apply_tier_get(ifc, v->tier, &v->t);
	if (err)
		return err;
	v->key = *addr;
	addr_mask(&v->key, sl_key_prefix(&v->t, addr->family));
	memcpy(k.addr, v->key.addr, 16);
	k.tier = v->tier;
	memset(&v->st, 0, sizeof(v->st));
	v->known = !bpf_map_lookup_elem(bpf_map__fd(ifc->skel->maps.sl_clients),
					&k, &v->st);
	return 0;
}

/* Now on the clock the tier's meters run on in the XDP program:
 * bpf_ktime_get_coarse_ns() is CLOCK_MONOTONIC_COARSE,
 * bpf_ktime_get_ns() is CLOCK_MONOTONIC. */
static uint64_t tier_now(const struct sl_tier *t)
{
	return clock_ns(t->flags & SL_TIER_F_COARSE_CLOCK ?
			CLOCK_MONOTONIC_COARSE : CLOCK_MONOTONIC);
}

/* Tokens of the first meter, for comparing interfaces. */
static uint64_t client_tokens0(const struct client_view *v)
{
	if (!v->t.nmeters)
		return UINT64_MAX;
	return gcra_tokens(&v->t.meters[0], v->st.tat[0], tier_now(&v->t),
			   NULL);
}

static int cmd_client(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen)
{
	struct sl_daemon *d = ctx;
	struct client_view v, best;
	struct sl_client_key gk = {};
	struct cfg_prefix addr;
	const struct cfg_tier *ct;
	json_object *a, *o, *meters;
	char buf[ADDR_STR_MAX], rate[64];
	const char *s = NULL;
	uint64_t now;
	int rc, bi = 0;

	if (json_object_object_get_ex(req, "addr", &a))
		s = json_object_get_string(a);
	if (!s || addr_parse(s, &addr) || addr.len != addr_bits(&addr)) {
		snprintf(err, errlen,
			 "expected one IPv4 or IPv6 address in \"addr\", got '%s'",
			 s ? s : "");
		return -EINVAL;
	}
	if (!d->niface) {
		snprintf(err, errlen, "no interface is attached");
		return -ENODEV;
	}
	/* Limits are per interface: show the client where it is most
	 * limited (the first meter with the fewest tokens). */
	for (int i = 0; i < d->niface; i++) {
		rc = client_lookup(&d->ifaces[i], &addr, &v);
		if (rc) {
			snprintf(err, errlen, "%s: map lookup failed: %s",
				 d->ifaces[i].name, strerror(-rc));
			return rc;
		}
		if (!i || (v.known && (!best.known ||
				       client_tokens0(&v) < client_tokens0(&best))))
			best = v, bi = i;
	}
	v = best;
	o = json_object_new_object();
	jset(o, "addr", jstr(addr_format(&addr, false, buf, sizeof(buf))));
	jset(o, "tier", jstr(d->ifaces[0].tier_names[v.tier][0] ?
			     d->ifaces[0].tier_names[v.tier] : "?"));
	jset(o, "tier_id", jint(v.tier));
	jset(o, "key", jstr(addr_format(&v.key, true, buf, sizeof(buf))));
	jset(o, "known", json_object_new_boolean(v.known));
	ct = apply_cfg_tier(d->cfg, d->ifaces[0].tier_names[v.tier]);
	now = tier_now(&v.t);
	meters = json_object_new_array();
	for (int i = 0; v.t.verdict == SL_TIER_LIMIT && i < v.t.nmeters &&
			i < SL_METERS_PER_TIER; i++) {
		const struct sl_meter *m = &v.t.meters[i];
		json_object *mo = json_object_new_object();
		uint64_t next = 0, tokens;

		tokens = v.known ? gcra_tokens(m, v.st.tat[i], now, &next) :
			 m->burst;
		if (ct && i < ct->nmeters)
			cfg_rate_format(&ct->meters[i], rate, sizeof(rate));
		else
			snprintf(rate, sizeof(rate), "%.6g/s",
				 m->interval_fp ? 1e9 * (1 << SL_FP_SHIFT) /
				 m->interval_fp : 0.0);
		jset(mo, "unit", jstr(unit_name(m->unit)));
		jset(mo, "rate", jstr(rate));
		jset(mo, "burst", jint(m->burst));
		jset(mo, "tokens", jint(tokens));
		jset(mo, "next_token_ms",
		     json_num_rounded(next / 1e6, JSON_MS_DECIMALS));
		json_object_array_add(meters, mo);
	}
	jset(o, "meters", meters);
	/* While a rollout runs: which policy this client is on. */
	a = rollout_client_json(d, &addr);
	if (a)
		jset(o, "rollout", a);
	gk.family = v.key.family;
	gk.tier = v.tier;
	memcpy(gk.addr, v.key.addr, 16);
	meters = glob_cmd_client(d, &d->ifaces[bi], &gk, ct);
	if (meters)
		jset(o, "global", meters);
	*data = o;
	return 0;
}

static int cmd_reload(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen)
{
	struct sl_daemon *d = ctx;
	struct apply_summary sum = {};
	json_object *o, *a;
	int rc;

	(void)req;
	rc = daemon_reload(d, "sluicectl", &sum, err, errlen);
	if (rc) {
		apply_summary_free(&sum);
		return rc;
	}
	o = json_object_new_object();
	a = json_object_new_array();
	for (int i = 0; i < sum.n; i++)
		json_object_array_add(a, jstr(sum.lines[i]));
	jset(o, "changed", json_object_new_boolean(sum.n > 0));
	jset(o, "summary", a);
	apply_summary_free(&sum);
	*data = o;
	return 0;
}

static int cmd_mode(void *ctx, json_object *req, json_object **data,
		    char *err, size_t errlen)
{
	struct sl_daemon *d = ctx;
	const char *s = NULL;
	json_object *m, *o;
	int mode, rc;

	if (json_object_object_get_ex(req, "mode", &m))
		s = json_object_get_string(m);
	mode = name_parse(&sl_mode_names, s, 0);
	if (mode < 0) {
		snprintf(err, errlen,
			 "expected \"mode\": \"enforce\" or \"shadow\", got '%s'",
			 s ? s : "");
		return -EINVAL;
	}
	rc = daemon_set_mode(d, mode);
	if (rc) {
		snprintf(err, errlen, "writing the mode failed: %s",
			 strerror(-rc));
		return rc;
	}
	o = json_object_new_object();
	jset(o, "mode", jstr(mode_name(mode)));
	*data = o;
	return 0;
}

static int cmd_detach(void *ctx, json_object *req, json_object **data,
		      char *err, size_t errlen)
{
	char names[CFG_MAX_IFACES][IF_NAMESIZE];
	struct sl_daemon *d = ctx;
	json_object *o, *a;
	int n, rc;

	(void)req;
	log_info("detach requested over the control socket");
	rc = daemon_detach(d, names, &n);
	if (d->loop)		/* nothing left to run, either way */
		loop_stop(d->loop);
	if (rc) {
		snprintf(err, errlen,
			 "detach failed on some interface: %s (see the daemon's log; `sluiced --detach` retries)",
			 strerror(-rc));
		return rc;
	}
	o = json_object_new_object();
	a = json_object_new_array();
	for (int i = 0; i < n; i++)
		json_object_array_add(a, jstr(names[i]));
	jset(o, "detached", a);
	*data = o;
	return 0;
}

const struct control_cmd daemon_cmds[] = {
	{ "status", cmd_status },
	{ "tiers", cmd_tiers },
	{ "client", cmd_client },
	{ "reload", cmd_reload },
	{ "mode", cmd_mode },
	{ "detach", cmd_detach },
	{ "top", top_cmd },
	{ "services", svc_view_cmd },
	{ "breaker", gates_cmd_breaker },
	{ "degrade", gates_cmd_degrade },
	{ "config_push", config_cmd_push },
	{ "config_status", config_cmd_status },
	{ "rollout_start", rollout_cmd_start },
	{ "rollout_status", rollout_cmd_status },
	{ "rollout_promote", rollout_cmd_promote },
	{ "rollout_abort", rollout_cmd_abort },
	{ NULL, NULL },
};

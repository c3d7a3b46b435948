// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "daemon/svc_view.h"
#include "daemon/daemon.h"
#include "kern/services.h"
#include "kern/svc_stats.h"
#include "common/addr.h"
#include "common/json_num.h"
#include "common/log.h"
#include "common/names.h"
#include "common/svc.h"
#include "sluice_xdp.skel.h"

#define RATE_DECIMALS	3
#define RATIO_DECIMALS	4

/* One interface's windows, by service id. */
struct view_if {
	char name[IF_NAMESIZE];		/* "" = slot free */
	bool seen;			/* still among the daemon's interfaces */
	char owner[SL_MAX_SERVICES][SL_SVC_NAME_MAX];	/* whose readings */
	struct svc_window w[SL_MAX_SERVICES];
};

struct svc_view {
	struct view_if *ifs[CFG_MAX_IFACES];
	struct sl_svc_stats cur[SL_MAX_SERVICES];	/* one reading */
};

static struct view_if *view_if_find(struct svc_view *v, const char *name)
{
	for (int i = 0; v && i < CFG_MAX_IFACES; i++)
		if (v->ifs[i] && !strcmp(v->ifs[i]->name, name))
			return v->ifs[i];
	return NULL;
}

static struct view_if *view_if_get(struct svc_view *v, const char *name)
{
	struct view_if *vi = view_if_find(v, name);

	for (int i = 0; !vi && i < CFG_MAX_IFACES; i++) {
		if (v->ifs[i])
			continue;
		vi = v->ifs[i] = calloc(1, sizeof(*vi));
		if (vi)
			snprintf(vi->name, sizeof(vi->name), "%s", name);
		break;
	}
	return vi;
}

void svc_view_sample(struct sl_daemon *d, __u64 now_ns)
{
	struct svc_view *v = d->svc_view;

	if (!v)
		v = d->svc_view = calloc(1, sizeof(*v));
	if (!v)
		return;
	for (int i = 0; i < CFG_MAX_IFACES; i++)
		if (v->ifs[i])
			v->ifs[i]->seen = false;
	for (int i = 0; i < d->niface; i++) {
		struct sl_iface *ifc = &d->ifaces[i];
		struct view_if *vi = view_if_get(v, ifc->name);
		int err;

		if (!vi)
			continue;
		vi->seen = true;
		err = svc_stats_read_all(bpf_map__fd(ifc->skel->maps.sl_svc_stats),
					 v->cur);
		if (err) {
			log_warn("%s: reading the services' counters failed: %s (sluicectl services shows older rates)",
				 ifc->name, strerror(-err));
			continue;
		}
		for (int id = 0; id < SL_MAX_SERVICES; id++) {
			const char *name = ifc->svc_names[id];

			/* An id that changed hands starts a new window. */
			if (strcmp(vi->owner[id], name)) {
				memset(&vi->w[id], 0, sizeof(vi->w[id]));
				snprintf(vi->owner[id], sizeof(vi->owner[id]),
					 "%s", name);
			}
			if (*name)
				svc_window_push(&vi->w[id], now_ns, &v->cur[id]);
		}
	}
	/* An interface gone from the config takes its windows along. */
	for (int i = 0; i < CFG_MAX_IFACES; i++) {
		if (v->ifs[i] && !v->ifs[i]->seen) {
			free(v->ifs[i]);
			v->ifs[i] = NULL;
		}
	}
}

void svc_view_free(struct sl_daemon *d)
{
	struct svc_view *v = d->svc_view;

	for (int i = 0; v && i < CFG_MAX_IFACES; i++)
		free(v->ifs[i]);
	free(v);
	d->svc_view = NULL;
}

/* ---- the command ----------------------------------------------------- */

/* One service summed over the interfaces. */
struct svc_agg {
	int id;				/* on the first interface that has it */
	struct sl_svc_stats sum;
	__u64 pending;
	__u64 run;			/* the longest run of failures */
	const struct svc_window *w[CFG_MAX_IFACES];
	size_t nw;
};

static void jset(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static json_object *jint(__u64 v)
{
	return json_object_new_uint64(v);
}

static json_object *jms(double s)
{
	return isfinite(s) ? json_num_rounded(s * 1e3, JSON_MS_DECIMALS) : NULL;
}

static void stats_add(struct sl_svc_stats *sum, const struct sl_svc_stats *s)
{
	__u64 *o = (__u64 *)sum;
	const __u64 *w = (const __u64 *)s;

	for (size_t i = 0; i < sizeof(*sum) / sizeof(__u64); i++)
		o[i] += w[i];
}

/* Every interface's counters, pending requests, runs and windows into
 * agg[] (by config service). */
static int svc_collect(struct sl_daemon *d, struct svc_agg *agg, char *err,
		       size_t errlen)
{
	const struct sl_config *cfg = d->cfg;
	__u64 pending[SL_MAX_SERVICES];
	struct sl_svc_stats *cur;
	int rc = 0;

	cur = calloc(SL_MAX_SERVICES, sizeof(*cur));
	if (!cur)
		return -ENOMEM;
	for (int s = 0; s < cfg->nservices; s++)
		agg[s].id = -1;
	for (int i = 0; i < d->niface && !rc; i++) {
		struct sl_iface *ifc = &d->ifaces[i];
		struct view_if *vi = view_if_find(d->svc_view, ifc->name);
		const char *what = "counters";

		rc = svc_stats_read_all(bpf_map__fd(ifc->skel->maps.sl_svc_stats),
					cur);
		if (!rc) {
			what = "pending requests";
			rc = svc_pending_count(bpf_map__fd(ifc->skel->maps.sl_conns),
					       pending);
		}
		for (int s = 0; s < cfg->nservices && !rc; s++) {
			int id = services_id(ifc, cfg->services[s].name);
			struct sl_svc_run run;

			if (id < 0)
				continue;
			if (agg[s].id < 0)
				agg[s].id = id;
			stats_add(&agg[s].sum, &cur[id]);
			agg[s].pending += pending[id];
			what = "failure runs";
			rc = svc_run_read(bpf_map__fd(ifc->skel->maps.sl_svc_run),
					  id, &run);
			if (!rc && run.failures > agg[s].run)
				agg[s].run = run.failures;
			if (vi && !strcmp(vi->owner[id], cfg->services[s].name))
				agg[s].w[agg[s].nw++] = &vi->w[id];
		}
		if (rc)
			snprintf(err, errlen, "%s: reading the services' %s failed: %s",
				 ifc->name, what, strerror(-rc));
	}
	free(cur);
	return rc;
}

static json_object *match_json(const struct cfg_service *s, json_object *o)
{
	json_object *addrs = json_object_new_array();
	json_object *paths = json_object_new_array();
	char buf[ADDR_STR_MAX];

	for (int i = 0; i < s->naddr; i++)
		json_object_array_add(addrs, json_object_new_string(
			addr_format(&s->addr[i], false, buf, sizeof(buf))));
	for (int i = 0; i < s->npaths; i++)
		json_object_array_add(paths, json_object_new_string(s->paths[i]));
	jset(o, "port", jint(s->port));
	jset(o, "addresses", addrs);
	jset(o, "paths", paths);
	/* The port's default: no address, no path. */
	jset(o, "default", json_object_new_boolean(!s->naddr && !s->npaths));
	jset(o, "tls", json_object_new_boolean(s->tls));
	jset(o, "priority", json_object_new_string(
		name_of(&cfg_svc_priority_names, s->priority)));
	jset(o, "slow_ms", jint(s->slow_ns / 1000000));
	jset(o, "timeout_ms", jint(s->timeout_ns / 1000000));
	return o;
}

static json_object *counters_json(const struct sl_svc_stats *c)
{
	json_object *o = json_object_new_object(), *r = json_object_new_object();

	jset(o, "requests", jint(c->requests));
	jset(o, "edge_replies", jint(c->edge_replies));
	for (int k = 0; k < SL_SVC_CODES; k++)
		jset(r, name_of(&sl_svc_code_names, k), jint(c->responses[k]));
	jset(o, "responses", r);
	jset(o, "slow", jint(c->slow));
	jset(o, "no_response", jint(c->no_response));
	jset(o, "timeouts", jint(c->timeouts));
	jset(o, "latency_count", jint(c->lat_count));
	jset(o, "latency_sum_ns", jint(c->lat_sum_ns));
	return o;
}

/* Per bucket (not cumulative): its upper bound in seconds, "+Inf" last. */
static json_object *histogram_json(const struct sl_svc_stats *c)
{
	json_object *a = json_object_new_array();
	double bounds[SL_SVC_LAT_BOUNDS];

	svc_lat_bounds(bounds);
	for (int i = 0; i <= SL_SVC_LAT_BOUNDS; i++) {
		json_object *b = json_object_new_object();

		jset(b, "le", i < SL_SVC_LAT_BOUNDS ?
		     json_num_rounded(bounds[i], 6) :
		     json_object_new_string("+Inf"));
		jset(b, "count", jint(c->lat[i]));
		json_object_array_add(a, b);
	}
	return a;
}

static json_object *window_json(const struct svc_rates *r)
{
	json_object *o = json_object_new_object(), *c = json_object_new_object();

	jset(o, "span_s", json_num_rounded(r->span_s, 3));
	jset(o, "requests_per_s", json_num_rounded(r->requests, RATE_DECIMALS));
	jset(o, "responses_per_s", json_num_rounded(r->responses, RATE_DECIMALS));
	for (int k = 0; k < SL_SVC_CODES; k++)
		jset(c, name_of(&sl_svc_code_names, k),
		     json_num_rounded(r->codes[k], RATE_DECIMALS));
	jset(o, "codes_per_s", c);
	jset(o, "slow_per_s", json_num_rounded(r->slow, RATE_DECIMALS));
	jset(o, "no_response_per_s", json_num_rounded(r->no_response, RATE_DECIMALS));
	jset(o, "timeouts_per_s", json_num_rounded(r->timeouts, RATE_DECIMALS));
	jset(o, "error_ratio", json_num_rounded(r->error_ratio, RATIO_DECIMALS));
	jset(o, "slow_ratio", json_num_rounded(r->slow_ratio, RATIO_DECIMALS));
	/* null: no response in the window */
	jset(o, "p50_ms", jms(r->p50_s));
	jset(o, "p90_ms", jms(r->p90_s));
	jset(o, "p99_ms", jms(r->p99_s));
	return o;
}

static json_object *service_json(const struct cfg_service *s,
				 const struct svc_agg *a,
				 const struct svc_rates *r)
{
	json_object *o = json_object_new_object();

	jset(o, "name", json_object_new_string(s->name));
	jset(o, "id", a->id >= 0 ? jint(a->id) : NULL);
	match_json(s, o);
	jset(o, "pending", jint(a->pending));
	jset(o, "failure_run", jint(a->run));
	jset(o, "counters", counters_json(&a->sum));
	jset(o, "histogram", histogram_json(&a->sum));
	jset(o, "window", window_json(r));
	return o;
}

static int cfg_service_index(const struct sl_config *cfg, const char *name)
{
	for (int s = 0; s < cfg->nservices; s++)
		if (!strcmp(cfg->services[s].name, name))
			return s;
	return -1;
}

static void not_found(const struct sl_config *cfg, const char *name,
		      char *err, size_t errlen)
{
	size_t o;

	o = snprintf(err, errlen, "no service named '%s' in the running config",
		     name);
	for (int s = 0; s < cfg->nservices && o < errlen; s++)
		o += snprintf(err + o, errlen - o, "%s%s", s ? ", " : " (services: ",
			      cfg->services[s].name);
	if (o < errlen)
		snprintf(err + o, errlen - o, "%s",
			 cfg->nservices ? ")" : "; it has no services section");
}

int svc_view_cmd(void *ctx, json_object *req, json_object **data, char *err,
		 size_t errlen)
{
	struct sl_daemon *d = ctx;
	const struct sl_config *cfg = d->cfg;
	const char *name = NULL;
	struct svc_agg *agg;
	json_object *v, *o, *list, *ifs;
	double span = 0;
	int one = -1, rc;

	if (json_object_object_get_ex(req, "name", &v)) {
		name = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) || !*name) {
			snprintf(err, errlen, "expected \"name\": a service name, got '%s'",
				 name ? name : "");
			return -EINVAL;
		}
		one = cfg_service_index(cfg, name);
		if (one < 0) {
			not_found(cfg, name, err, errlen);
			return -ENOENT;
		}
	}
	agg = calloc(cfg->nservices ? cfg->nservices : 1, sizeof(*agg));
	if (!agg)
		return -ENOMEM;
	rc = svc_collect(d, agg, err, errlen);
	if (rc) {
		free(agg);
		return rc;
	}
	list = json_object_new_array();
	for (int s = 0; s < cfg->nservices; s++) {
		struct svc_rates r;

		if (one >= 0 && s != one)
			continue;
		svc_windows_rates(agg[s].w, agg[s].nw, &r);
		if (r.span_s > span)
			span = r.span_s;
		json_object_array_add(list, service_json(&cfg->services[s],
							 &agg[s], &r));
	}
	free(agg);
	ifs = json_object_new_array();
	for (int i = 0; i < d->niface; i++)
		json_object_array_add(ifs, json_object_new_string(d->ifaces[i].name));
	o = json_object_new_object();
	jset(o, "window_s", json_num_rounded(span, 3));
	jset(o, "interfaces", ifs);
	jset(o, "services", list);
	*data = o;
	return 0;
}

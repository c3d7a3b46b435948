// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The services' families (include/sluice_service.h): per interface and
 * configured service, read once per render (one batch lookup of
 * sl_svc_stats, one lookup of sl_svc_run per service; the pending
 * counts come from the timeout sweep's walk, kern/svc_sweep.h, at no
 * read of their own).  A service removed from the config is no longer
 * listed; its id's counters were zeroed by the reload.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "daemon/daemon.h"
#include "export/render.h"
#include "common/log.h"
#include "common/svc.h"
#include "kern/services.h"
#include "kern/svc_stats.h"
#include "sluice_xdp.skel.h"

#define LBL(n, v)	((struct expo_label){ (n), (v) })
#define NL(a)		((int)(sizeof(a) / sizeof((a)[0])))
#define ST(f)		offsetof(struct sl_svc_stats, f)
#define CODE(k)		(ST(responses) + (k) * sizeof(__u64))

/* One interface's reading. */
struct svc_read {
	const struct sl_iface *ifc;
	bool ok;				/* st[] and run[] were read */
	int ids[SL_MAX_SERVICES];		/* by config service, -1: none */
	struct sl_svc_stats st[SL_MAX_SERVICES];	/* by id */
	struct sl_svc_run run[SL_MAX_SERVICES];		/* by id */
};

/* A counter family of sl_svc_stats fields: one series per service, or
 * one per value of a third label. */
struct svc_family {
	const char *name, *help, *label;
	int n;
	struct { const char *value; size_t off; } v[SL_SVC_CODES];
};

static const struct svc_family families[] = {
	{ "sluice_service_requests",
	  "Request starts classified to the service by the XDP program (those answered at the edge included).",
	  NULL, 1, { { NULL, ST(requests) } } },
	{ "sluice_service_edge_replies",
	  "The service's requests that sluice answered itself at the edge (a refusal with action reset or http): never the service's responses.",
	  NULL, 1, { { NULL, ST(edge_replies) } } },
	{ "sluice_service_responses",
	  "The service's responses read leaving the host, by status: class 1xx..5xx (other: outside 100..599); 429, 500, 502, 503 and 504 also on their own, so they are counted in their class too.",
	  "code", SL_SVC_CODES, {
		{ "other", CODE(SL_SVC_CODE_OTHER) }, { "1xx", CODE(SL_SVC_CODE_1XX) },
		{ "2xx", CODE(SL_SVC_CODE_2XX) }, { "3xx", CODE(SL_SVC_CODE_3XX) },
		{ "4xx", CODE(SL_SVC_CODE_4XX) }, { "5xx", CODE(SL_SVC_CODE_5XX) },
		{ "429", CODE(SL_SVC_CODE_429) }, { "500", CODE(SL_SVC_CODE_500) },
		{ "502", CODE(SL_SVC_CODE_502) }, { "503", CODE(SL_SVC_CODE_503) },
		{ "504", CODE(SL_SVC_CODE_504) } } },
	{ "sluice_service_connections",
	  "Connections opened to the service: SYNs the limiter passed to the server, by port and address (a TLS service's only figure).",
	  NULL, 1, { { NULL, ST(connections) } } },
	{ "sluice_service_slow_responses",
	  "The service's final responses slower than its slow threshold (sluice_service_slow_seconds).",
	  NULL, 1, { { NULL, ST(slow) } } },
	{ "sluice_service_failures",
	  "The service's requests without a response: no_response (the server closed or reset the connection first), timeout (pending past the service's timeout).",
	  "kind", 2, { { "no_response", ST(no_response) }, { "timeout", ST(timeouts) } } },
};

static __u64 stat_at(const struct sl_svc_stats *s, size_t off)
{
	__u64 v;

	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

static void svc_read(struct render *r, const struct sl_config *cfg,
		     const struct sl_iface *ifc, struct svc_read *x)
{
	int err;

	x->ifc = ifc;
	for (int i = 0; i < cfg->nservices; i++)
		x->ids[i] = services_id(ifc, cfg->services[i].name);
	if (!cfg->nservices)
		return;
	err = svc_stats_read_all(bpf_map__fd(ifc->skel->maps.sl_svc_stats), x->st);
	for (int i = 0; !err && i < cfg->nservices; i++)
		if (x->ids[i] >= 0)
			err = svc_run_read(bpf_map__fd(ifc->skel->maps.sl_svc_run),
					   x->ids[i], &x->run[x->ids[i]]);
	x->ok = !err;
	if (err) {
		r->healthy = false;
		log_dbg("%s: reading the services' statistics failed: %s",
			ifc->name, strerror(-err));
	}
}

static void render_svc_counters(struct render *r, const struct sl_config *cfg,
				const struct svc_read *rd, int n,
				const struct svc_family *f)
{
	render_family(r, f->name, EXPO_COUNTER, f->help);
	for (int i = 0; i < n; i++)
		for (int s = 0; rd[i].ok && s < cfg->nservices; s++) {
			int id = rd[i].ids[s];

			for (int k = 0; id >= 0 && k < f->n; k++) {
				struct expo_label l[] = {
					LBL("interface", rd[i].ifc->name),
					LBL("service", cfg->services[s].name),
					LBL(f->label, f->v[k].value),
				};

				render_u64(r, l, f->label ? 3 : 2,
					   stat_at(&rd[i].st[id], f->v[k].off));
			}
		}
}

static void render_svc_latency(struct render *r, const struct sl_config *cfg,
			       const struct svc_read *rd, int n)
{
	double le[SL_SVC_LAT_BOUNDS];
	uint64_t count[SL_SVC_LAT_BOUNDS + 1];

	svc_lat_bounds(le);
	render_family(r, "sluice_service_response_duration_seconds", EXPO_HISTOGRAM,
		      "Latency of the service's final responses: from the request's first segment at XDP ingress to the response's first segment at TC egress.");
	for (int i = 0; i < n; i++)
		for (int s = 0; rd[i].ok && s < cfg->nservices; s++) {
			int id = rd[i].ids[s];
			const struct sl_svc_stats *st;
			struct expo_label l[] = {
				LBL("interface", rd[i].ifc->name),
				LBL("service", cfg->services[s].name),
			};

			if (id < 0)
				continue;
			st = &rd[i].st[id];
			for (int b = 0; b <= SL_SVC_LAT_BOUNDS; b++)
				count[b] = st->lat[b];
			render_histogram(r, l, NL(l), le, count, SL_SVC_LAT_BOUNDS,
					 count[SL_SVC_LAT_BOUNDS], st->lat_sum_ns / 1e9);
		}
}

static void render_svc_gauges(struct render *r, const struct sl_config *cfg,
			      const struct svc_read *rd, int n)
{
	render_family(r, "sluice_service_pending_requests", EXPO_GAUGE,
		      "Requests of the service waiting for their response, counted by the timeout sweep's walk of the connection table (a full table every 4 s): the last complete walk's.");
	for (int i = 0; i < n; i++) {
		const struct svc_sweep *sw = &rd[i].ifc->sweep;

		for (int s = 0; sw->have_pending && s < cfg->nservices; s++) {
			struct expo_label l[] = {
				LBL("interface", rd[i].ifc->name),
				LBL("service", cfg->services[s].name),
			};

			if (rd[i].ids[s] >= 0)
				render_u64(r, l, NL(l), sw->pending[rd[i].ids[s]]);
		}
	}
	render_family(r, "sluice_service_consecutive_failures", EXPO_GAUGE,
		      "The service's current run of consecutive failures (5xx, no_response, timeout), back to 0 at a success.");
	for (int i = 0; i < n; i++)
		for (int s = 0; rd[i].ok && s < cfg->nservices; s++) {
			struct expo_label l[] = {
				LBL("interface", rd[i].ifc->name),
				LBL("service", cfg->services[s].name),
			};

			if (rd[i].ids[s] >= 0)
				render_u64(r, l, NL(l), rd[i].run[rd[i].ids[s]].failures);
		}
	render_family(r, "sluice_service_slow_seconds", EXPO_GAUGE,
		      "The service's configured slow threshold: a response slower than this counts as slow.");
	for (int s = 0; s < cfg->nservices; s++) {
		struct expo_label l[] = { LBL("service", cfg->services[s].name) };

		render_double(r, l, NL(l), cfg->services[s].slow_ns / 1e9);
	}
}

int render_services(struct render *r, struct sl_daemon *d)
{
	const struct sl_config *cfg = d->cfg;
	struct svc_read *rd;
	int n = d->niface;

	rd = calloc(n ? n : 1, sizeof(*rd));
	if (!rd)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		svc_read(r, cfg, &d->ifaces[i], &rd[i]);
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		render_svc_counters(r, cfg, rd, n, &families[f]);
	render_svc_latency(r, cfg, rd, n);
	render_svc_gauges(r, cfg, rd, n);
	free(rd);
	return 0;
}

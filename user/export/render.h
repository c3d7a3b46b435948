/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The metric families, rendered from the daemon's state and its pinned
 * maps into both formats at once (text 0.0.4 and OpenMetrics).  Runs on
 * the event loop only: nothing here is touched by the HTTP thread.
 */
#ifndef SLUICE_EXPORT_RENDER_H
#define SLUICE_EXPORT_RENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "config/config.h"
#include "export/count.h"
#include "export/expo.h"

struct sl_daemon;

/* What one interface keeps from render to render. */
struct render_iface {
	char name[IF_NAMESIZE];		/* "" = slot free */
	struct count_walk clients;
	uint64_t flood_drop[SL_MAX_TIERS];	/* at the last render */
	char flood_tier[SL_MAX_TIERS][CFG_NAME_MAX];	/* whose they were */
	bool seen;			/* still configured (this render) */
};

struct render {
	struct expo out[2];		/* [0] text 0.0.4, [1] OpenMetrics */
	struct sl_counter *cur;		/* SL_STATS_ENTRIES scratch */
	uint64_t *percpu;		/* ncpus scratch */
	int ncpus;
	struct render_iface ifs[CFG_MAX_IFACES];
	bool healthy;			/* the last render read every map */
};

int render_init(struct render *r);
void render_free(struct render *r);

/* Render everything into r->out (0, or the writer's error).  Sets
 * r->healthy: every interface's pins were there and its maps read. */
int render_all(struct render *r, struct sl_daemon *d, bool sampled);

/* Both formats at once (process.c uses them too). */
void render_family(struct render *r, const char *name, enum expo_type type,
		   const char *help);
void render_u64(struct render *r, const struct expo_label *l, int nl,
		uint64_t v);
void render_double(struct render *r, const struct expo_label *l, int nl,
		   double v);
void render_histogram(struct render *r, const struct expo_label *l, int nl,
		      const double *le, const uint64_t *count, int n,
		      uint64_t over, double sum);

/* sluice_service_*: per interface and configured service
 * (services.c); 0 or -ENOMEM.  A map read failing clears r->healthy. */
int render_services(struct render *r, struct sl_daemon *d);

/* sluice_breaker_*, sluice_degrade_*, sluice_shed_requests_total: the
 * breakers and degrade level in sluiced (gates.c). */
void render_gates(struct render *r, struct sl_daemon *d);

/* sluice_rollout_*: the rollout in sluiced (rollout.c). */
void render_rollout(struct render *r, struct sl_daemon *d);
/* sluice_redis_*, sluice_global_*: the global limits' sync
 * (daemon/glob_sync.h; redis.c). */
void render_redis(struct render *r, struct sl_daemon *d);

/* process_*: the families of the official client libraries, from
 * /proc/self (process.c). */
void render_process(struct render *r);

#endif /* SLUICE_EXPORT_RENDER_H */

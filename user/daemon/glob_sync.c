// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The sync thread's life (glob_sync.h): plans handed over by the event
 * loop, the clients' table, and what the control commands and metrics
 * read.  One sync is glob_round.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "daemon/daemon.h"
#include "daemon/glob_int.h"
#include "kern/apply.h"
#include "common/clock.h"
#include "common/log.h"
#include "sluice_xdp.skel.h"

const double glob_hist_le[GLOB_HIST_N] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
};

/* ---- the clients' table: open addressing, rebuilt every sync ------- */

static size_t key_hash(const struct sl_client_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29));
}

int glob_table_init(struct glob_table *t, size_t n)
{
	size_t cap = 64;

	while (cap < 2 * n)
		cap *= 2;
	t->e = calloc(cap, sizeof(*t->e));
	t->cap = t->e ? cap : 0;
	t->n = 0;
	return t->e ? 0 : -ENOMEM;
}

void glob_table_free(struct glob_table *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}

struct glob_client *glob_table_find(const struct glob_table *t,
				    const struct sl_client_key *k)
{
	if (!t->cap)
		return NULL;
	for (size_t i = key_hash(k) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!t->e[i].slot)
			return NULL;
		if (!memcmp(&t->e[i].key, k, sizeof(*k)))
			return &t->e[i];
	}
}

/* Sized by glob_table_init for every entry of one read: never full. */
struct glob_client *glob_table_add(struct glob_table *t,
				   const struct sl_client_key *k)
{
	size_t i;

	if (!t->cap || 2 * (t->n + 1) > t->cap)
		return NULL;
	for (i = key_hash(k) & (t->cap - 1); t->e[i].slot;
	     i = (i + 1) & (t->cap - 1))
		;
	memset(&t->e[i], 0, sizeof(t->e[i]));
	t->e[i].slot = true;
	t->e[i].key = *k;
	t->n++;
	return &t->e[i];
}

/* ---- key text --------------------------------------------------------- */

int glob_key_text(char *buf, size_t size, const char *prefix,
		  const char *tier, const struct sl_client_key *key,
		  int prefix_len)
{
	struct cfg_prefix p = { .family = key->family };
	char a[ADDR_STR_MAX];
	int n;

	memcpy(p.addr, key->addr, key->family == SL_AF_INET ? 4 : 16);
	p.len = prefix_len;
	addr_format(&p, prefix_len < addr_bits(&p), a, sizeof(a));
	n = snprintf(buf, size, "%sgl:%s:%s", prefix, tier, a);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : n;
}

/* ---- plans ------------------------------------------------------------ */

static void plan_free(struct glob_plan *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nif; i++) {
		if (p->ifs[i].use_fd >= 0)
			close(p->ifs[i].use_fd);
		if (p->ifs[i].grant_fd >= 0)
			close(p->ifs[i].grant_fd);
	}
	free(p);
}

static void plan_tier(struct glob_tier *gt, const struct cfg_tier *ct)
{
	for (int m = 0; ct && ct->verdict == SL_TIER_LIMIT && m < ct->nmeters; m++) {
		const struct cfg_meter *cm = &ct->meters[m];

		if (cm->scope != CFG_SCOPE_GLOBAL || !cm->period_ns)
			continue;
		gt->global = true;
		snprintf(gt->name, sizeof(gt->name), "%s", ct->name);
		gt->rate = (double)cm->count * 1e9 / (double)cm->period_ns;
		gt->burst = cm->burst;
		gt->window_us = cm->window_ns ? cm->window_ns / 1000 : GLOB_US_PER_S;
		gt->algorithm = cm->algorithm;
		gt->v4_prefix = ct->v4_prefix ? ct->v4_prefix : 32;
		gt->v6_prefix = ct->v6_prefix ? ct->v6_prefix : 64;
		return;
	}
}

static struct glob_plan *plan_new(struct sl_daemon *d)
{
	struct glob_plan *p = calloc(1, sizeof(*p));
	char host[64] = "";

	if (!p)
		return NULL;
	p->redis = d->cfg->redis;
	if (!p->redis.on)
		cfg_redis_default(&p->redis);
	snprintf(host, sizeof(host), "%s", p->redis.host_id);
	if (!host[0] && gethostname(host, sizeof(host) - 1))
		snprintf(host, sizeof(host), "sluiced-%d", getpid());
	for (int i = 0; i < d->niface; i++) {
		const struct sl_iface *ifc = &d->ifaces[i];
		struct glob_plan_if *pi = &p->ifs[p->nif];

		if (!ifc->name[0] || !ifc->skel)
			continue;
		snprintf(pi->name, sizeof(pi->name), "%s", ifc->name);
		if (d->niface > 1)
			snprintf(pi->host, sizeof(pi->host), "%s/%s", host, ifc->name);
		else
			snprintf(pi->host, sizeof(pi->host), "%s", host);
		pi->use_fd = dup(bpf_map__fd(ifc->skel->maps.sl_glob_use));
		pi->grant_fd = dup(bpf_map__fd(ifc->skel->maps.sl_glob_grant));
		p->nif++;
		if (pi->use_fd < 0 || pi->grant_fd < 0) {
			plan_free(p);
			return NULL;
		}
		for (int id = 0; id < SL_MAX_TIERS; id++) {
			if (!ifc->tier_names[id][0])
				continue;
			plan_tier(&pi->tiers[id],
				  apply_cfg_tier(d->cfg, ifc->tier_names[id]));
			p->wanted |= pi->tiers[id].global;
		}
	}
	return p;
}

int glob_sync_apply(struct glob_sync *gs, struct sl_daemon *d)
{
	struct glob_plan *p, *old;

	if (!gs)
		return 0;
	p = plan_new(d);
	if (!p) {
		log_err("global limits: cannot hand the new config to the sync (%s): it keeps the previous one",
			strerror(errno ? errno : ENOMEM));
		return -ENOMEM;
	}
	pthread_mutex_lock(&gs->lock);
	old = gs->pending;
	gs->pending = p;
	pthread_cond_signal(&gs->cond);
	pthread_mutex_unlock(&gs->lock);
	plan_free(old);
	return 0;
}

/* The thread takes the pending plan: the connection follows the redis
 * section, the tables of interfaces gone are dropped. */
static void plan_take(struct glob_sync *gs, struct glob_plan *p)
{
	struct glob_plan *old = gs->plan;

	if (!gs->rc_init) {
		redis_conn_init(&gs->rc, &p->redis, "global limits");
		gs->rc_init = true;
	} else {
		redis_conn_reconfigure(&gs->rc, &p->redis);
	}
	if (!p->wanted)
		redis_conn_close(&gs->rc);
	gs->plan = p;
	pthread_mutex_lock(&gs->lock);
	for (int t = 0; t < CFG_MAX_IFACES; t++) {
		bool kept = false;

		for (int i = 0; gs->tracks[t].name[0] && i < p->nif; i++)
			kept |= !strcmp(p->ifs[i].name, gs->tracks[t].name);
		if (!kept) {
			glob_table_free(&gs->tracks[t].t);
			gs->tracks[t].name[0] = '\0';
		}
	}
	gs->st.wanted = p->wanted;
	snprintf(gs->st.address, sizeof(gs->st.address), "%s", p->redis.address);
	snprintf(gs->st.host, sizeof(gs->st.host), "%s",
		 p->nif ? p->ifs[0].host : "");
	gs->st.on_down = p->redis.on_down;
	if (!p->wanted) {
		gs->st.up = false;
		gs->st.fallback = GLOB_SYNCED;
		gs->st.nif = 0;
	}
	pthread_mutex_unlock(&gs->lock);
	plan_free(old);
}

/* ---- the thread ------------------------------------------------------- */

static void deadline_after(struct timespec *ts, uint64_t ns)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ns / 1000000000ULL;
	ts->tv_nsec += ns % 1000000000ULL;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *glob_main(void *arg)
{
	struct glob_sync *gs = arg;
	struct timespec next;
	struct glob_plan *p;
	uint64_t interval;

	pthread_mutex_lock(&gs->lock);
	while (!gs->stop) {
		if (gs->pending) {
			p = gs->pending;
			gs->pending = NULL;
			pthread_mutex_unlock(&gs->lock);
			plan_take(gs, p);
			pthread_mutex_lock(&gs->lock);
			continue;
		}
		if (!gs->plan || !gs->plan->wanted) {
			pthread_cond_wait(&gs->cond, &gs->lock);
			continue;
		}
		interval = gs->plan->redis.sync_interval_ns ?
			   gs->plan->redis.sync_interval_ns : CFG_REDIS_SYNC_NS;
		deadline_after(&next, interval);
		pthread_mutex_unlock(&gs->lock);
		glob_round(gs);
		pthread_mutex_lock(&gs->lock);
		while (!gs->stop && !gs->pending &&
		       pthread_cond_timedwait(&gs->cond, &gs->lock, &next) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&gs->lock);
	return NULL;
}

int glob_sync_start(struct glob_sync **out)
{
	struct glob_sync *gs = calloc(1, sizeof(*gs));
	pthread_condattr_t ca;
	int err;

	*out = NULL;
	if (!gs)
		return -ENOMEM;
	pthread_mutex_init(&gs->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&gs->cond, &ca);
	pthread_condattr_destroy(&ca);
	err = pthread_create(&gs->thread, NULL, glob_main, gs);
	if (err) {
		log_err("global limits: cannot start the sync thread: %s",
			strerror(err));
		pthread_cond_destroy(&gs->cond);
		pthread_mutex_destroy(&gs->lock);
		free(gs);
		return -err;
	}
	gs->running = true;
	*out = gs;
	return 0;
}

void glob_sync_stop(struct glob_sync *gs)
{
	if (!gs)
		return;
	pthread_mutex_lock(&gs->lock);
	gs->stop = true;
	pthread_cond_signal(&gs->cond);
	pthread_mutex_unlock(&gs->lock);
	if (gs->running)
		pthread_join(gs->thread, NULL);
	if (gs->rc_init)
		redis_conn_close(&gs->rc);
	plan_free(gs->pending);
	plan_free(gs->plan);
	for (int t = 0; t < CFG_MAX_IFACES; t++)
		glob_table_free(&gs->tracks[t].t);
	free(gs->use);
	pthread_cond_destroy(&gs->cond);
	pthread_mutex_destroy(&gs->lock);
	free(gs);
}

void glob_sync_status(struct glob_sync *gs, struct glob_status *out)
{
	if (!gs) {
		memset(out, 0, sizeof(*out));
		return;
	}
	pthread_mutex_lock(&gs->lock);
	*out = gs->st;
	pthread_mutex_unlock(&gs->lock);
}

int glob_sync_client(struct glob_sync *gs, const char *ifname,
		     const struct sl_client_key *key,
		     struct glob_client_view *out)
{
	const struct glob_client *c = NULL;
	int err = -ENOENT;

	memset(out, 0, sizeof(*out));
	if (!gs)
		return err;
	pthread_mutex_lock(&gs->lock);
	for (int t = 0; !c && t < CFG_MAX_IFACES; t++)
		if (!strcmp(gs->tracks[t].name, ifname))
			c = glob_table_find(&gs->tracks[t].t, key);
	if (c) {
		out->tracked = true;
		out->used = c->used;
		out->demand = c->demand;
		out->state_milli = c->state_milli;
		out->share_ppm = c->share_ppm;
		out->hosts = c->hosts;
		out->synced_ms = c->synced_ms;
		err = 0;
	}
	pthread_mutex_unlock(&gs->lock);
	return err;
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Inside the global limits' sync (glob_sync.h): what the thread works
 * from (a plan the event loop hands over), the clients it tracks, and
 * one sync (glob_round.c).  Internal to daemon/glob_*.c.
 */
#ifndef SLUICE_DAEMON_GLOB_INT_H
#define SLUICE_DAEMON_GLOB_INT_H

#include <pthread.h>
#include <stddef.h>

#include "common/glob.h"
#include "daemon/glob_sync.h"
#include "kern/glob.h"

/* A tier as the sync needs it, by tier id. */
struct glob_tier {
	bool global;
	char name[CFG_NAME_MAX];
	double rate, burst;	/* units/s, units */
	uint64_t window_us;
	int algorithm;		/* enum cfg_algorithm */
	uint8_t v4_prefix, v6_prefix;
};

struct glob_plan_if {
	char name[IF_NAMESIZE];
	char host[128];		/* host id, "<host_id>/<ifname>" with several */
	int use_fd, grant_fd;	/* dup()ed: a detach does not pull them away */
	struct glob_tier tiers[SL_MAX_TIERS];
};

/* Everything the thread reads, owned by it once handed over. */
struct glob_plan {
	struct cfg_redis redis;
	bool wanted;		/* some interface has a global tier */
	int nif;
	struct glob_plan_if ifs[CFG_MAX_IFACES];
};

/* One client the sync tracks (per interface). */
struct glob_client {
	struct sl_client_key key;
	bool slot;			/* in use */
	uint64_t used, demand;		/* as last read: the next deltas' base */
	uint64_t changed_ms;		/* demand last grew */
	uint32_t carry;			/* thousandths of a unit (glob_units) */
	uint32_t share_ppm, hosts;
	int64_t state_milli;
	uint64_t synced_ms;
	struct glob_tb local;		/* on_down: share */
	bool voided;			/* on_down: local: its grant was voided */
	uint64_t allowed;		/* the allowance of its last grant, units */
};

struct glob_table {
	struct glob_client *e;
	size_t cap, n;			/* cap: a power of two */
};

struct glob_track_if {
	char name[IF_NAMESIZE];		/* "" free */
	struct glob_table t;
};

struct glob_sync {
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;		/* pending, stop, status, tracks' swap */
	pthread_cond_t cond;
	bool stop;
	struct glob_plan *pending;	/* handed over, not taken yet */
	/* The thread's own: */
	struct glob_plan *plan;
	struct redis_conn rc;
	bool rc_init;
	uint64_t script_conn;		/* rc.connects the script was loaded on */
	char sha[48];
	uint64_t last_took_ns;		/* the last good sync's duration */
	struct glob_use_entry *use;	/* glob_use_read's scratch */
	size_t use_cap;
	/* Read by the control commands under `lock`: */
	struct glob_track_if tracks[CFG_MAX_IFACES];
	struct glob_status st;
};

/* The table (glob_sync.c). */
struct glob_client *glob_table_find(const struct glob_table *t,
				    const struct sl_client_key *k);
/* A new slot for k (not there yet): NULL without memory. */
struct glob_client *glob_table_add(struct glob_table *t,
				   const struct sl_client_key *k);
int glob_table_init(struct glob_table *t, size_t n);
void glob_table_free(struct glob_table *t);

/* One sync of every interface of gs->plan (glob_round.c). */
void glob_round(struct glob_sync *gs);

#endif /* SLUICE_DAEMON_GLOB_INT_H */

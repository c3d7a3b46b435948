/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The global limits' sync (issue 12): a thread of its own in sluiced,
 * so the event loop never waits on Redis.  Every sync_interval it reads
 * each interface's sl_glob_use (kern/glob.h), sends every active
 * client's use and demand since the last sync to Redis in one pipelined
 * round trip (an EVALSHA of daemon/glob_script.c per chunk of
 * GLOB_CHUNK clients), and writes the allowances back as grants in one
 * batch: granted = used (as read) + allowance, valid for
 * max(10 x sync_interval, 1 s).  Idle clients (no new demand for
 * GLOB_IDLE_MS) are forgotten from both maps.
 *
 * Redis down (connect, timeout, error): on_down local writes no grants
 * (they expire; every host's local meter enforces the full rate),
 * on_down share grants from a local bucket at rate / the hosts last
 * seen.  Use counted while down is never sent later (no debt after an
 * outage); the first sync that works resumes at once.
 */
#ifndef SLUICE_DAEMON_GLOB_SYNC_H
#define SLUICE_DAEMON_GLOB_SYNC_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/redis_conn.h"
#include "config/config.h"
#include "sluice_abi.h"

#define GLOB_CHUNK		500	/* clients per EVALSHA */
#define GLOB_WINDOW		4	/* chunks on the wire at once (glob_round.c) */
#define GLOB_QUIET_SYNCS	10	/* a quiet client syncs at least this often */
#define GLOB_HOSTS_KEEP_MS	10000	/* a host stays in <prefix>hosts */
#define GLOB_HIST_N		11	/* sync duration buckets */

/* sluice_global_fallback: what holds now. */
enum glob_fallback {
	GLOB_SYNCED = 0,
	GLOB_FB_LOCAL,		/* on_down: local, the grants let expire */
	GLOB_FB_SHARE,		/* on_down: share, the local buckets */
};

extern const char glob_script_lua[];
extern const double glob_hist_le[GLOB_HIST_N];

/* For metrics and `sluicectl status`: a copy, taken under the lock. */
struct glob_status {
	bool wanted;		/* some tier has a global limit */
	bool up;		/* connected, and the last sync worked */
	char address[256];
	char host[128];		/* this host's id in Redis */
	int on_down;		/* enum cfg_on_down */
	int fallback;		/* enum glob_fallback */
	uint32_t hosts;		/* in <prefix>hosts at the last sync */
	uint64_t errors[RFAIL__MAX];
	char last_err[256];	/* "" none */
	uint64_t syncs, round_trips, commands;
	double last_sync_wall;	/* unix seconds of the last good sync, 0 never */
	uint64_t last_sync_ms;	/* CLOCK_MONOTONIC ms of it */
	uint64_t hist[GLOB_HIST_N], hist_over;	/* sync durations */
	double hist_sum;
	int nif;
	struct {
		char name[IF_NAMESIZE];
		uint64_t clients;	/* active global clients */
	} ifs[CFG_MAX_IFACES];
};

/* One client as the last sync left it (sluicectl client). */
struct glob_client_view {
	bool tracked;		/* the sync knows it */
	uint64_t used, demand;	/* as last read */
	int64_t state_milli;	/* tokens or window estimate, thousandths */
	uint32_t share_ppm;
	uint32_t hosts;		/* hosts that share it */
	uint64_t synced_ms;	/* CLOCK_MONOTONIC ms of its last good sync; 0 never */
	int algorithm;		/* enum cfg_algorithm */
};

struct glob_sync;
struct sl_daemon;

/* Start the thread; it idles until glob_sync_apply hands it global
 * limits.  0 or -errno. */
int glob_sync_start(struct glob_sync **out);

/* The daemon's interfaces and config as they are now (after start, a
 * reload, a detach): the thread takes them at its next tick and
 * reconnects only if the redis section's target changed. */
int glob_sync_apply(struct glob_sync *gs, struct sl_daemon *d);

/* Stop and join the thread, free; gs may be NULL. */
void glob_sync_stop(struct glob_sync *gs);

void glob_sync_status(struct glob_sync *gs, struct glob_status *out);

/* What the last sync knows of a client on interface `ifname`: 0, or
 * -ENOENT. */
int glob_sync_client(struct glob_sync *gs, const char *ifname,
		     const struct sl_client_key *key,
		     struct glob_client_view *out);

/* "<prefix>gl:<tier>:<client key>": "198.18.1.10" for a full-length
 * key, else "2001:2:0:1::/64".  Returns the length, or -ENAMETOOLONG. */
int glob_key_text(char *buf, size_t size, const char *prefix,
		  const char *tier, const struct sl_client_key *key,
		  int prefix_len);

#endif /* SLUICE_DAEMON_GLOB_SYNC_H */

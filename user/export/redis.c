// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The global limits' sync to Redis (daemon/glob_sync.h), from the
 * status the sync thread publishes: sluice_redis_* for the connection
 * and its round trips, sluice_global_* for what holds.  The families
 * are always declared; their samples appear while some tier has a
 * global limit (a host without any is not "down").
 */
#include <stdio.h>

#include "daemon/daemon.h"
#include "daemon/glob_sync.h"
#include "export/render.h"

#define LBL(n, v)	((struct expo_label){ (n), (v) })

/* A family of one unlabelled sample, there only while `on`. */
static void one(struct render *r, bool on, const char *name,
		enum expo_type type, const char *help, uint64_t v)
{
	render_family(r, name, type, help);
	if (on)
		render_u64(r, NULL, 0, v);
}

void render_redis(struct render *r, struct sl_daemon *d)
{
	struct glob_status st;
	bool on;

	glob_sync_status(d->glob, &st);
	on = st.wanted;
	one(r, on, "sluice_redis_up", EXPO_GAUGE,
	    "1 while the global limits' Redis answers and the last sync worked, else 0 (the fallback of on_down holds).",
	    st.up);
	render_family(r, "sluice_redis_sync_duration_seconds", EXPO_HISTOGRAM,
		      "Seconds a successful sync took: reading the use maps, the round trip to Redis, writing the grants.");
	if (on)
		render_histogram(r, NULL, 0, glob_hist_le, st.hist, GLOB_HIST_N,
				 st.hist_over, st.hist_sum);
	render_family(r, "sluice_redis_errors", EXPO_COUNTER,
		      "Failures talking to the global limits' Redis, by kind: connect, auth, timeout, io, reply.");
	for (int k = 0; on && k < RFAIL__MAX; k++) {
		struct expo_label l[] = { LBL("kind", redis_err_names[k]) };

		render_u64(r, l, 1, st.errors[k]);
	}
	render_family(r, "sluice_redis_last_sync_timestamp_seconds", EXPO_GAUGE,
		      "Unix time of the last successful sync with Redis (0: none since sluiced started).");
	if (on)
		render_double(r, NULL, 0, st.last_sync_wall);
	one(r, on, "sluice_redis_syncs", EXPO_COUNTER,
	    "Successful syncs of the global limits with Redis.", st.syncs);
	one(r, on, "sluice_redis_round_trips", EXPO_COUNTER,
	    "Round trips to Redis (one a sync; one more to load the script after Redis lost it).",
	    st.round_trips);
	one(r, on, "sluice_redis_commands", EXPO_COUNTER,
	    "Commands sent to Redis by the sync (one EVALSHA per chunk of clients).",
	    st.commands);
	render_family(r, "sluice_global_clients", EXPO_GAUGE,
		      "Active clients of global limits on the interface (demand within the idle timeout).");
	for (int i = 0; on && i < st.nif; i++) {
		struct expo_label l[] = { LBL("interface", st.ifs[i].name) };

		render_u64(r, l, 1, st.ifs[i].clients);
	}
	one(r, on, "sluice_global_fallback", EXPO_GAUGE,
	    "What holds global limits now: 0 synced with Redis, 1 local limits (on_down: local), 2 the rate shared by the hosts last seen (on_down: share).",
	    st.fallback);
	one(r, on, "sluice_global_hosts", EXPO_GAUGE,
	    "Hosts that synced with the same Redis within the last 10 s, as last seen.",
	    st.hosts);
}

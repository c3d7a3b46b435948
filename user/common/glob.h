/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The arithmetic of global limits (issue 12), with no I/O: the Lua
 * script that keeps the global state in Redis (daemon/glob_script.c)
 * does the same steps, and each function below names its twin there.
 * Times are microseconds (Redis' TIME), amounts are units of the
 * limit's meter (requests, packets, bytes) as doubles.
 *
 *   share      a host's part of a client's limit: its recent demand over
 *              the sum of the recent demands of the hosts that reported
 *              the client (a host silent for GLOB_STALE_US is dropped),
 *              so a client seen by one host gets all of it there and a
 *              spread one is split as its traffic is.
 *   token bucket   tokens refilled at rate, capped at burst, debited by
 *              what every host reports used, floored at -burst (debt is
 *              bounded); allowance = share x (max(tokens, 0) + rate x T).
 *   windows    counts of the current and previous aligned window;
 *              sliding estimate = prev x (1 - elapsed/window) + cur,
 *              fixed estimate = cur; allowance = share x max(0, limit -
 *              estimate), limit = rate x window.
 *   fallback   on_down: share: a local token bucket at rate / hosts and
 *              burst / hosts, share 1.
 */
#ifndef SLUICE_COMMON_GLOB_H
#define SLUICE_COMMON_GLOB_H

#include <stdbool.h>
#include <stdint.h>

#define GLOB_US_PER_S		1000000ULL
/* A host's demand rate is averaged over about this long (EWMA). */
#define GLOB_DEMAND_TAU_US	(1 * GLOB_US_PER_S)
/* A host that has not reported a client for this long has no share. */
#define GLOB_STALE_US		(3 * GLOB_US_PER_S)
/* A client whose demand has not changed for this long is forgotten. */
#define GLOB_IDLE_MS		30000ULL

/* One host's recent demand for one client. */
struct glob_demand {
	double rate;		/* units/s, averaged */
	uint64_t seen_us;	/* its last report; 0: never */
};

/* A token bucket (the global one in Redis, or the local fallback). */
struct glob_tb {
	double tokens;
	uint64_t ts_us;		/* last refill; 0: new (full) */
};

/* A sliding or fixed window's counts. */
struct glob_win {
	uint64_t start_us;	/* the current window's start; 0: new */
	double cur, prev;
};

/* The host's demand after a report of `delta` units at now_us
 * (Lua: demand_rate).  A first report is taken as one sync interval's. */
void glob_demand_report(struct glob_demand *d, double delta, uint64_t now_us,
			uint64_t interval_us);

/* Does a host last seen at seen_us still count (Lua: the stale test)? */
static inline bool glob_demand_fresh(const struct glob_demand *d,
				     uint64_t now_us)
{
	return d->seen_us && now_us < d->seen_us + GLOB_STALE_US;
}

/* hosts[mine]'s share among the fresh ones of hosts[0..n) (Lua: share);
 * the count of fresh hosts in *nfresh (may be NULL).  No demand at all:
 * equal parts. */
double glob_share(const struct glob_demand *hosts, int n, int mine,
		  uint64_t now_us, int *nfresh);

/* Refill to now_us, debit `used`, floor at -burst (Lua: tb_update). */
void glob_tb_update(struct glob_tb *b, double rate, double burst, double used,
		    uint64_t now_us);

/* share x (max(tokens, 0) + rate x interval) (Lua: the token bucket's
 * allowance). */
double glob_tb_allowance(const struct glob_tb *b, double rate,
			 uint64_t interval_us, double share);

/* Roll the windows to now_us and count `used` (Lua: win_update). */
void glob_win_update(struct glob_win *w, uint64_t window_us, double used,
		     uint64_t now_us);

/* The windows' estimate at now_us; sliding or fixed (Lua: the
 * estimate). */
double glob_win_estimate(const struct glob_win *w, uint64_t window_us,
			 uint64_t now_us, bool sliding);

/* share x max(0, rate x window - estimate) (Lua: the windows'
 * allowance). */
double glob_win_allowance(double rate, uint64_t window_us, double estimate,
			  double share);

/* The on_down: share bucket's rate (and burst) for `hosts` last seen. */
static inline double glob_fallback_part(double v, uint32_t hosts)
{
	return hosts > 1 ? v / hosts : v;
}

/* Whole units of an allowance given in thousandths, the remainder kept
 * in *carry for the next sync (so 0.4 per sync is 2 every 5 syncs, not
 * 0 for ever).  A negative allowance is 0. */
uint64_t glob_units(int64_t milli, uint32_t *carry);

/* Idle: no change of demand for GLOB_IDLE_MS (or idle_ms if non-0). */
static inline bool glob_idle(uint64_t changed_ms, uint64_t now_ms,
			     uint64_t idle_ms)
{
	return now_ms > changed_ms + (idle_ms ? idle_ms : GLOB_IDLE_MS);
}

#endif /* SLUICE_COMMON_GLOB_H */

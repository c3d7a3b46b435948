/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One circuit breaker per service (issue 11): the pure decision logic,
 * no BPF, no sockets, no clock of its own.  Every call takes `now_ns`
 * (CLOCK_MONOTONIC, what bpf_ktime_get_ns() reads, so open_until_ns can
 * go to the data path as is); sluiced drives it from its ~100 ms tick
 * with the per-tick deltas of the service's counters.
 *
 *	closed --rate trip (tick) / consecutive failures (data path)--> open
 *	open --open duration elapsed (tick)--> half_open
 *	half_open --close_after successful probes--> closed
 *	half_open --a failed probe, or the probes unanswered--> open (next backoff step)
 *
 * Probe results are derived from the deltas while half_open: the data
 * path lets exactly half_open_probes requests through, so the outcomes
 * that complete in half_open are the probes' (a request still in flight
 * from before the opening counts as one, the safe way: its failure
 * reopens).  A forced state (CLI, alert) freezes the automatic machine
 * and expires back to it.
 */
#ifndef SLUICE_BREAKER_H
#define SLUICE_BREAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "sluice_service.h"

#define BREAKER_NS_S		1000000000ULL

enum breaker_state {
	BREAKER_CLOSED = 0,
	BREAKER_OPEN,
	BREAKER_HALF_OPEN,
	BREAKER_STATES,
};

enum breaker_force {
	BREAKER_AUTO = 0,
	BREAKER_FORCE_OPEN,
	BREAKER_FORCE_CLOSED,
};

struct breaker_cfg {
	__u64 window_ns;		/* sliding window of the rates */
	__u32 min_requests;		/* completed in the window before a rate trips */
	double failure_rate;		/* trips at >= this; 0: never */
	double slow_rate;		/* trips at >= this; 0: never */
	__u32 consecutive_failures;	/* the data path's trip; 0: never */
	__u64 open_ns;			/* the first opening */
	__u64 max_open_ns;		/* cap of open * backoff^n */
	double backoff;			/* >= 1 */
	double jitter;			/* 0..0.5: the duration * (1 +- jitter) */
	__u32 half_open_probes;		/* the data path's budget */
	__u32 close_after;		/* successful probes, <= half_open_probes */
	__u32 failures;			/* SL_SVC_FAIL_* */
};

/* The defaults (README.md, Breakers, says why). */
void breaker_cfg_default(struct breaker_cfg *cfg);

/* 0, or -EINVAL with what is wrong in err (a key name first). */
int breaker_cfg_check(const struct breaker_cfg *cfg, char *err, size_t len);

/* What one tick saw of a service: the increases of its counters since
 * the previous tick (breaker_sample_delta). */
struct breaker_sample {
	__u64 completed;	/* outcomes: final responses, no_response, timeouts */
	__u64 failed;		/* of those, in the failure mask */
	__u64 slow;		/* responses slower than the service's `slow` */
	__u64 passed;		/* requests passed to the server (not edge-answered) */
};

/* The delta between two readings (summed over CPUs) under a failure
 * mask.  A code counted in its own slot counts once, by its class when
 * the class is in the mask; 1xx counts interim answers too (a mask with
 * 1xx is not useful).  A counter that went down was reset: what it
 * holds is its increase (svc_increase). */
void breaker_sample_delta(const struct sl_svc_stats *before,
			  const struct sl_svc_stats *after, __u32 mask,
			  struct breaker_sample *out);

/* The window: a ring of per-tick buckets; ticks closer together than
 * window / BREAKER_BUCKETS share one (windows past ~12 s at 100 ms). */
#define BREAKER_BUCKETS		128

struct breaker_bucket {
	__u64 t_ns;		/* the newest sample in it */
	__u64 first_ns;		/* the oldest */
	__u32 completed, failed, slow, pad;
};

#define BREAKER_EVENTS		4
#define BREAKER_REASON_MAX	96

/* A transition, for the log and sluice_breaker_transitions_total. */
struct breaker_event {
	__u64 at_ns;
	__u8 from, to;		/* enum breaker_state, as the data path sees it */
	char reason[BREAKER_REASON_MAX];
};

struct breaker {
	struct breaker_cfg cfg;
	__u8 state;		/* enum breaker_state of the automatic machine */
	__u8 force;		/* enum breaker_force */
	__u64 since_ns;		/* the effective state's start */
	__u64 force_until_ns;	/* 0: until told otherwise */
	__u64 open_until_ns;	/* open: when it goes half_open */
	__u64 open_cur_ns;	/* the current (last) open duration */
	__u32 opens;		/* consecutive openings: the backoff step */
	__u64 opens_total;	/* every opening, for display */
	__u64 next_open_ns;	/* the next opening's duration, jitter drawn */
	__u64 closed_at_ns;	/* automatic closed since: the backoff's reset */
	/* half_open */
	__u64 probes_passed, probes_ok, probes_failed;
	__u64 probe_last_ns;	/* entry or the last probe outcome */
	/* the window */
	struct breaker_bucket ring[BREAKER_BUCKETS];
	unsigned int head, n;	/* next slot; buckets held */
	__u64 sum_completed, sum_failed, sum_slow;
	/* jitter: uniform in [0, 1); NULL: splitmix64 of seed */
	double (*uniform)(void *ctx);
	void *uniform_ctx;
	__u64 seed;
	/* what the last call changed */
	struct breaker_event events[BREAKER_EVENTS];
	unsigned int n_events;
	__u64 transitions[BREAKER_STATES][BREAKER_STATES];	/* totals */
};

/* Closed, empty window, at now_ns.  seed drives the jitter (any value;
 * the same seed gives the same durations). */
void breaker_init(struct breaker *b, const struct breaker_cfg *cfg,
		  __u64 seed, __u64 now_ns);

/* A new config (reload): the state, window and backoff step are kept;
 * an open duration already running is not shortened or lengthened. */
void breaker_reconfig(struct breaker *b, const struct breaker_cfg *cfg);

/* The jitter's source instead of the seeded one (tests; NULL: back to
 * the seed).  The next opening's duration is drawn again. */
void breaker_set_uniform(struct breaker *b, double (*uniform)(void *ctx),
			 void *ctx);

/* One tick: forced states expire, the delta enters the window, the
 * machine moves.  Returns the number of transitions (events[]). */
int breaker_tick(struct breaker *b, __u64 now_ns,
		 const struct breaker_sample *delta);

/* The data path saw consecutive_failures in a row and answers as open
 * from the next request: closed (or half_open) -> open.  now_ns: when
 * it tripped (sl_svc_run.last_ns), so that open_until is the data
 * path's (its now + breaker_next_open).  Returns the number of
 * transitions (0 when already open or forced). */
int breaker_data_trip(struct breaker *b, __u64 now_ns);

/* Force open or closed until until_ns (0: until BREAKER_AUTO), or back
 * to automatic.  A forced open that ends goes half_open (probe before
 * letting everyone in); a forced closed that ends goes on closed with
 * the window it kept.  Returns the number of transitions. */
int breaker_force(struct breaker *b, __u64 now_ns, enum breaker_force f,
		  __u64 until_ns);

/* --- what the data path is told --- */

/* The state it enforces (the forced one while forced). */
enum breaker_state breaker_state(const struct breaker *b);
/* Open: when it ends (Retry-After); 0 when not open or forced open
 * without an expiry (the caller picks a Retry-After). */
__u64 breaker_open_until(const struct breaker *b);
/* How long the next opening lasts (backoff step and jitter drawn
 * ahead), for the data path's own trip on consecutive failures: it sets
 * open_until = its now + this, and breaker_data_trip agrees. */
__u64 breaker_next_open(const struct breaker *b);
/* Half_open: the requests to let through in this half_open (granted at
 * entry; since_ns tells one half_open from the next); 0 otherwise. */
__u32 breaker_probe_budget(const struct breaker *b);

/* --- what is displayed --- */

struct breaker_view {
	enum breaker_state state;
	enum breaker_force force;
	__u64 since_ns, force_until_ns;
	__u64 next_ns;		/* next timed transition, 0: none */
	__u64 completed, failed, slow;	/* in the window */
	double failure_rate, slow_rate;	/* 0 with nothing completed */
	__u32 opens;		/* the backoff step */
	__u64 opens_total;
	__u64 open_ns;		/* the current open duration */
	__u64 probes_passed, probes_ok, probes_failed;
};

void breaker_view(const struct breaker *b, __u64 now_ns,
		  struct breaker_view *v);

/* The duration of the n-th consecutive opening (1-based) before jitter:
 * open * backoff^(n-1), capped at max_open. */
__u64 breaker_open_base(const struct breaker_cfg *cfg, __u32 n);

const char *breaker_state_name(enum breaker_state s);
const char *breaker_force_name(enum breaker_force f);

#endif /* SLUICE_BREAKER_H */

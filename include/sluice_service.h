/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Services and their HTTP statistics, read from the wire.
 *
 * A service is a listening TCP port of the gateway, narrowed by
 * destination address and request-target prefix (config `services:`).
 * The XDP program classifies each request start on a service port,
 * counts it and remembers it as the connection's pending request in
 * sl_conns; a TC egress program reads the response's status line
 * leaving the host, matches it to the pending request and counts the
 * status and the latency.  sluiced reads the per-CPU sums.
 *
 * Config maps (recreated on upgrade, their layout may change) are
 * double-buffered by sl_global.tier_gen like the tiers, so one flip
 * switches tiers, replies and services together.  State maps (adopted,
 * frozen: the _Static_asserts below) keep the statistics over reloads,
 * restarts and upgrades; they have spare room so a counter to come
 * needs no new layout.  Service ids are stable by name: sluiced keeps a
 * removed service's id free and zeroes its statistics before reuse.
 */
#ifndef SLUICE_SERVICE_H
#define SLUICE_SERVICE_H

#include <linux/types.h>

#define SL_MAX_SERVICES		64	/* service ids 0..63 */
#define SL_SVC_NONE		0xffU	/* no service: not on a service port */
#define SL_SVC_SLOTS		(2 * SL_MAX_SERVICES)
#define SL_SVC_NAME_MAX		32	/* like a tier name, NUL included */

static inline __u32 sl_svc_slot(__u32 gen, __u32 id)
{
	return (gen & 1) * SL_MAX_SERVICES + id;
}

/* --- config: what a service is (sl_services[sl_svc_slot(gen, id)]) --- */

#define SL_MAP_SERVICES		"sl_services"

#define SL_SVC_F_USED		(1U << 0)	/* slot holds a service */
#define SL_SVC_F_TLS		(1U << 1)	/* declared TLS: connections only */

enum sl_svc_priority {
	SL_SVC_PRIO_CORE = 0,
	SL_SVC_PRIO_NORMAL,
	SL_SVC_PRIO_OPTIONAL,
};

/* Outcomes that count as failures (sl_svc_run, the breakers to come):
 * bit SL_SVC_FAIL_CLASS(c) for a status class c (1..5), bits for the
 * individually counted codes, and the two outcomes without a status. */
#define SL_SVC_FAIL_CLASS(c)	(1U << (c))		/* c = 1..5 */
#define SL_SVC_FAIL_429		(1U << 8)
#define SL_SVC_FAIL_500		(1U << 9)
#define SL_SVC_FAIL_502		(1U << 10)
#define SL_SVC_FAIL_503		(1U << 11)
#define SL_SVC_FAIL_504		(1U << 12)
#define SL_SVC_FAIL_NO_RESPONSE	(1U << 16)
#define SL_SVC_FAIL_TIMEOUT	(1U << 17)
#define SL_SVC_FAIL_DEFAULT	(SL_SVC_FAIL_CLASS(5) | SL_SVC_FAIL_NO_RESPONSE | \
				 SL_SVC_FAIL_TIMEOUT)

struct sl_service {
	__u64 slow_ns;		/* a response slower than this is slow */
	__u64 timeout_ns;	/* pending longer than this: a timeout */
	__u32 failures;		/* SL_SVC_FAIL_* mask */
	__u16 port;		/* host order */
	__u8  priority;		/* enum sl_svc_priority */
	__u8  flags;		/* SL_SVC_F_* */
	/* A request its gate stops (include/sluice_gate.h) is answered with
	 * this: SL_ACT_HTTP and a reply id (sluice_reply.h), or SL_ACT_RESET. */
	__u16 gate_reply;
	__u8  gate_action;	/* enum sl_action */
	__u8  pad[5];
	__u64 spare[3];		/* the breakers' and degrade's fields to come */
};

/* --- state: per-service counters (sl_svc_stats, per-CPU, by id) --- */

#define SL_MAP_SVC_STATS	"sl_svc_stats"

/* Response codes counted: one slot per status class, plus the codes the
 * breakers and operators look at individually (counted in their class
 * too, so the classes add up to every response). */
enum sl_svc_code {
	SL_SVC_CODE_OTHER = 0,	/* a status outside 100..599 */
	SL_SVC_CODE_1XX,
	SL_SVC_CODE_2XX,
	SL_SVC_CODE_3XX,
	SL_SVC_CODE_4XX,
	SL_SVC_CODE_5XX,
	SL_SVC_CODE_429,
	SL_SVC_CODE_500,
	SL_SVC_CODE_502,
	SL_SVC_CODE_503,
	SL_SVC_CODE_504,
	SL_SVC_CODES,
};
#define SL_SVC_CODE_SLOTS	16

/* Latency histogram: upper bounds in microseconds, one count per bucket
 * (not cumulative), the last slot past the last bound (+Inf).  Chosen so
 * histogram_quantile gives p50/p90/p99 within a bucket from 1 ms to 10 s. */
#define SL_SVC_LAT_BOUNDS_US	{ 1000, 2500, 5000, 10000, 25000, 50000, \
				  75000, 100000, 150000, 250000, 350000,   \
				  500000, 750000, 1000000, 1500000,        \
				  2500000, 5000000, 10000000, 30000000 }
#define SL_SVC_LAT_BOUNDS	19
#define SL_SVC_LAT_SLOTS	32	/* bounds + 1 used, the rest spare */

struct sl_svc_stats {
	__u64 requests;		/* request starts classified to the service */
	__u64 edge_replies;	/* of those, answered by sluice at the edge */
	__u64 responses[SL_SVC_CODE_SLOTS];	/* by enum sl_svc_code */
	__u64 slow;		/* responses slower than slow_ns */
	__u64 no_response;	/* reset or closed by the server unanswered */
	__u64 timeouts;		/* pending past timeout_ns (swept by sluiced) */
	__u64 lat_count;	/* responses with a latency */
	__u64 lat_sum_ns;
	__u64 lat[SL_SVC_LAT_SLOTS];
	__u64 connections;	/* SYNs passed to the server (a resent SYN
				 * counts again); TLS services count these only */
	__u64 gated_breaker;	/* of `requests`, stopped by an open breaker */
	__u64 gated_shed;	/* of `requests`, shed by the degrade level */
	__u64 spare[6];
};

_Static_assert(sizeof(struct sl_svc_stats) == 512,
	       "sl_svc_stats: pinned state, frozen (use spare[])");

/* --- state: the run of consecutive failures (sl_svc_run, shared) --- */

#define SL_MAP_SVC_RUN		"sl_svc_run"

/* One per service id, not per-CPU: a run spans CPUs.  The data path adds
 * one per failure and sets it to 0 on a success (atomically); a breaker
 * trips on it from the response that completes the run. */
struct sl_svc_run {
	__u64 failures;		/* consecutive failures so far */
	__u64 last_ns;		/* bpf_ktime_get_ns() of the last outcome */
	__u64 spare[6];
};

_Static_assert(sizeof(struct sl_svc_run) == 64,
	       "sl_svc_run: pinned state, frozen (use spare[])");

/* --- state: pending requests per connection (sl_conns, LRU) --- */

#define SL_MAP_CONNS		"sl_conns"
#define SL_CONNS_ENTRIES	131072

/* Addresses and ports as on the wire; IPv4 in the first 4 bytes. */
struct sl_conn_key {
	__u8  family;		/* SL_AF_INET, SL_AF_INET6 */
	__u8  pad[3];
	__be16 client_port;
	__be16 server_port;
	__u8  client[16];
	__u8  server[16];
};

struct sl_conn {
	__u64 start_ns;		/* bpf_ktime_get_ns() at the request */
	__u32 seq;		/* the request's first sequence number (a
				 * retransmission is not a new request) */
	__u8  service;		/* service id */
	__u8  pending;		/* 1 while the request has no response */
	__u16 pad;
	__u64 spare[2];		/* [0]: 1 for a rollout's canary request
				 * (include/sluice_rollout.h), counted in
				 * sl_svc_stats_c too */
};

_Static_assert(sizeof(struct sl_conn_key) == 40,
	       "sl_conn_key: pinned state, frozen");
_Static_assert(sizeof(struct sl_conn) == 32,
	       "sl_conn: pinned state, frozen (use spare[])");

/* The timeout sweep's argument to the egress object's syscall program
 * (bpf/sluice_egress.bpf.c: sluice_svc_timeout), run by sluiced with
 * BPF_PROG_TEST_RUN; loaded with it, never pinned. */
struct sl_svc_sweep {
	struct sl_conn_key key;
	__u64 start_ns;		/* the pending request the sweep saw */
	__u32 timed_out;	/* out: 1 when this run counted the timeout */
	__u32 pad;
};

/* --- state: service names by id (sl_svc_names), written by sluiced --- */

#define SL_MAP_SVC_NAMES	"sl_svc_names"

struct sl_svc_name {
	char name[SL_SVC_NAME_MAX];	/* "" = id unused */
};

#endif /* SLUICE_SERVICE_H */

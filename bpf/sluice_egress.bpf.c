// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sluice TC egress: services' responses leaving the host, matched to
 * the request XDP remembered for their connection (sl_conns).
 *
 *   a segment whose payload starts with a status line, on a connection
 *   with a pending request: the status counted in the service's
 *   sl_svc_stats, the latency (now - the request's arrival at XDP) into
 *   its histogram, the run of failures (sl_svc_run) moved on, the
 *   request no longer pending (a 1xx but 101 leaves it pending)
 *   a FIN or RST from the server while a request is pending: no_response
 *
 * Every other segment leaves after the header parse and a look at its
 * first payload bytes: no map is read for it.  sluice's own edge
 * answers (marked SL_EDGE_MARK by sluice_tc) are never counted.
 *
 * A program of its own, not a second one in sluice_tc's object: it
 * loads, attaches and fails apart from the edge answers (enforcement
 * keeps them when this one cannot attach), its verifier budget and
 * test-run cost are its own, and sluice_tc's test knob (edge_test)
 * stays out of it.  It shares the limiter's maps the same way.
 *
 * It only observes: every segment goes on, and to whatever is attached
 * after it (TCX_NEXT, not TC_ACT_OK, which would skip the programs and
 * tc filters behind it).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_edge.h"
#include "sluice_service.h"
#include "lib/common.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/proto.bpf.h"
#include "lib/resp.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EGRESS_PASS	TC_ACT_UNSPEC	/* TCX_NEXT: on to the next program */

/* The service's config in the live generation, NULL when the slot is
 * unused (removed since the request: the defaults apply). */
static __always_inline const struct sl_service *egress_service(__u32 id)
{
	const struct sl_service *svc;
	const struct sl_global *g;
	__u32 zero = 0, slot;

	g = bpf_map_lookup_elem(&sl_global, &zero);
	if (!g)
		return NULL;
	slot = sl_svc_slot(g->tier_gen, id);
	svc = bpf_map_lookup_elem(&sl_services, &slot);
	return svc && (svc->flags & SL_SVC_F_USED) ? svc : NULL;
}

/* The failure that brings the run to the gate's trip_after opens a
 * closed gate at once, not at sluiced's next tick (include/sluice_gate.h):
 * one compare-and-swap, so one failure trips it however many CPUs race. */
static __always_inline void egress_trip(__u32 id, __u64 run, __u64 now)
{
	struct sl_svc_gate *gt = bpf_map_lookup_elem(&sl_svc_gate, &id);
	__u32 after;

	if (!gt)
		return;
	after = *(volatile __u32 *)&gt->trip_after;
	if (!after || run < after)
		return;
	if (__sync_val_compare_and_swap(&gt->state, SL_GATE_CLOSED,
					SL_GATE_OPEN) != SL_GATE_CLOSED)
		return;
	*(volatile __u64 *)&gt->until_ns = now + READ_ONCE_U64(gt->trip_open_ns);
	*(volatile __u64 *)&gt->tripped_ns = now;
	__sync_fetch_and_add(&gt->trips, 1);
}

/* An outcome in the run of consecutive failures: one more when its bits
 * are in the service's mask, back to 0 on a success; anything else (an
 * unmasked failure, a status outside 100..599) leaves the run alone. */
static __always_inline void egress_run(__u32 id, const struct sl_service *svc,
				       __u32 bits, int success, __u64 now)
{
	__u32 mask = svc ? svc->failures : SL_SVC_FAIL_DEFAULT;
	struct sl_svc_run *run = bpf_map_lookup_elem(&sl_svc_run, &id);

	if (!run)
		return;
	if (bits & mask)
		egress_trip(id, __sync_fetch_and_add(&run->failures, 1) + 1,
			    now);
	else if (success && READ_ONCE_U64(run->failures))
		/* an aligned 8-byte store is atomic; skipped when already
		 * 0, so successes do not bounce the line between CPUs */
		*(volatile __u64 *)&run->failures = 0;
	*(volatile __u64 *)&run->last_ns = now;
}

/* Take the request off pending: 1 for the one caller that did (the
 * response, the close or the sweep: each request has one outcome), 0
 * when it was not pending.  A compare-and-swap on the word that holds
 * the flag (service, pending, pad), changed through a copy so the byte
 * order does not matter. */
static __always_inline int egress_claim(struct sl_conn *conn)
{
	__u32 *w = (__u32 *)&conn->service;
	__u32 old = *(volatile __u32 *)w, new = old;

	if (((struct sl_conn *)((__u8 *)&old - 12))->pending != 1)
		return 0;
	((struct sl_conn *)((__u8 *)&new - 12))->pending = 0;
	return __sync_val_compare_and_swap(w, old, new) == old;
}

/* A response's counts in sl_svc_stats, or with `canary` in a rollout's
 * sl_svc_stats_c: 0 when there is nothing more to do.  A global
 * function: verified once, not once per cohort. */
__noinline int egress_count(__u32 canary, __u32 id, __u32 code3, __u64 lat,
			    __u64 slow_ns)
{
	int status = code3 & 0x3ff;	/* three digits: known non-negative */
	__u32 cls = resp_class(status), code = resp_code(status);
	struct sl_svc_stats *st;

	st = canary ? bpf_map_lookup_elem(&sl_svc_stats_c, &id) :
		      bpf_map_lookup_elem(&sl_svc_stats, &id);
	if (!st)
		return 0;
	st->responses[BOUNDED(cls, 15)] += 1;
	if (code)
		st->responses[BOUNDED(code, 15)] += 1;
	if (resp_interim(status))
		return 0;
	st->lat[BOUNDED(resp_lat_slot(lat), 31)] += 1;
	st->lat_count += 1;
	st->lat_sum_ns += lat;
	if (slow_ns && lat > slow_ns)
		st->slow += 1;
	return 1;
}

/* A status line on a connection with a pending request. */
static __always_inline void egress_response(struct sl_conn *conn, __u32 id,
					    int status)
{
	const struct sl_service *svc = NULL;
	__u64 start = conn->start_ns, now = 0, lat = 0;

	/* A 1xx but 101 leaves it pending: the final answer is to come. */
	if (!resp_interim(status) && !egress_claim(conn))
		return;
	if (!resp_interim(status)) {
		now = bpf_ktime_get_ns();
		lat = now > start ? now - start : 0;
		svc = egress_service(id);
	}
	if (conn->spare[0])
		egress_count(1, id, status, lat, svc ? svc->slow_ns : 0);
	if (!egress_count(0, id, status, lat, svc ? svc->slow_ns : 0))
		return;
	egress_run(id, svc, resp_fail_bits(status),
		   resp_class(status) != SL_SVC_CODE_OTHER, now);
}

/* The server closes or resets a connection: the end of its entry, and a
 * no_response when its request is still pending. */
static __always_inline void egress_close(struct sl_conn *conn, __u32 id,
					 const struct sl_conn_key *key)
{
	struct sl_svc_stats *st;

	if (egress_claim(conn)) {
		st = bpf_map_lookup_elem(&sl_svc_stats, &id);
		if (st)
			st->no_response += 1;
		st = conn->spare[0] ?
		     bpf_map_lookup_elem(&sl_svc_stats_c, &id) : NULL;
		if (st)
			st->no_response += 1;
		egress_run(id, egress_service(id), SL_SVC_FAIL_NO_RESPONSE, 0,
			   bpf_ktime_get_ns());
	}
	bpf_map_delete_elem(&sl_conns, key);
}

SEC("tc")
int sluice_egress(struct __sk_buff *skb)
{
	struct resp_seg s = {};
	struct sl_conn *conn;
	int status = -1;
	__u32 id;

	if (resp_seg_read(skb, &s) || (s.flags & TCPF_SYN))
		return EGRESS_PASS;
	/* A FIN may carry the last response; a RST never carries one. */
	if (!(s.flags & TCPF_RST))
		status = resp_read_status(skb, &s);
	if (status < 0 && !(s.flags & (TCPF_FIN | TCPF_RST)))
		return EGRESS_PASS;	/* the common case: no lookup */

	if (skb->mark == SL_EDGE_MARK) {
		/* sluice answered the request itself and reset the server:
		 * the connection is over, and nothing is the service's. */
		bpf_map_delete_elem(&sl_conns, &s.key);
		return EGRESS_PASS;
	}
	conn = bpf_map_lookup_elem(&sl_conns, &s.key);
	if (!conn)
		return EGRESS_PASS;
	id = conn->service;
	if (id >= SL_MAX_SERVICES)
		return EGRESS_PASS;
	if (status >= 0 && conn->pending)
		egress_response(conn, id, status);
	if (s.flags & (TCPF_FIN | TCPF_RST))
		egress_close(conn, id, &s.key);
	return EGRESS_PASS;
}

/*
 * sluiced's timeout sweep (user/kern/svc_sweep.c) finds pending requests
 * older than their service's timeout and runs this for each, with
 * BPF_PROG_TEST_RUN: the request is claimed like a response claims it,
 * so a response racing the sweep and the sweep never both count, and
 * the timeout is added to this CPU's slot of the per-CPU counters with
 * an atomic add (the run is pinned to its CPU; the data path's plain
 * increments there run whole before or after it), and the run of
 * failures moves on as for any outcome.  Exact, where a read-modify-
 * write of the per-CPU element from userspace would overwrite what
 * every CPU counted meanwhile.
 */
SEC("syscall")
int sluice_svc_timeout(struct sl_svc_sweep *a)
{
	struct sl_svc_stats *st;
	struct sl_conn_key key;
	struct sl_conn *conn;
	__u32 id;

	a->timed_out = 0;
	__builtin_memcpy(&key, &a->key, sizeof(key));	/* a key from the stack */
	conn = bpf_map_lookup_elem(&sl_conns, &key);
	if (!conn || conn->start_ns != a->start_ns)
		return 0;	/* answered, or a new request since */
	id = conn->service;
	if (id >= SL_MAX_SERVICES || !egress_claim(conn))
		return 0;
	st = bpf_map_lookup_elem(&sl_svc_stats, &id);
	if (st)
		__sync_fetch_and_add(&st->timeouts, 1);
	st = conn->spare[0] ? bpf_map_lookup_elem(&sl_svc_stats_c, &id) : NULL;
	if (st)
		__sync_fetch_and_add(&st->timeouts, 1);
	egress_run(id, egress_service(id), SL_SVC_FAIL_TIMEOUT, 0,
		   bpf_ktime_get_ns());
	a->timed_out = 1;
	return 0;
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The XDP half of an edge answer (include/sluice_edge.h): which refused
 * segments TC answers, and the hand-off.
 *
 * A data segment on an established connection (ACK, no SYN, no RST, a
 * payload) refused by a meter whose action is reset or http is passed
 * on with a metadata record: TC answers the client (a RST, or the
 * meter's HTTP reply when the segment starts a request and the meter
 * has a template) and resets the server socket.  Every other refused
 * TCP segment (SYN, pure ACK, FIN without data) keeps the XDP_TX RST,
 * and so does a segment this path cannot take (IPv4 options or IPv6
 * extension headers, no TC program, a driver without metadata room):
 * those are counted as events.
 */
#ifndef SLUICE_EDGE_BPF_H
#define SLUICE_EDGE_BPF_H

#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_edge.h"
#include "sluice_reply.h"
#include "common.bpf.h"
#include "counters.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"
#include "pkt_ctx.bpf.h"
#include "proto.bpf.h"

/* Whole seconds in `wait_ns`, rounded up, at least 1. */
static __always_inline __u32 edge_retry_s(__s64 wait_ns)
{
	__u64 s;

	if (wait_ns <= 0)
		return 1;
	s = ((__u64)wait_ns + SL_NSEC_PER_SEC - 1) / SL_NSEC_PER_SEC;
	return s > 0xffffffffULL ? 0xffffffffU : (__u32)s;
}

/* The live template of reply `id`, or NULL (id 0, an empty slot). */
static __always_inline const struct sl_reply *
edge_template(const struct sl_global *g, __u32 id, __u32 *slot)
{
	const struct sl_reply *r;

	if (id == SL_REPLY_NONE || id >= SL_REPLY_IDS)
		return NULL;
	*slot = sl_reply_slot(g->tier_gen, id);
	r = bpf_map_lookup_elem(&sl_replies, slot);
	if (!r || !r->len || r->len > SL_REPLY_MAX)
		return NULL;
	return r;
}

/* An http meter answers a request with its reply; anything else it
 * refuses, and what has no template, is answered like reset.  Global
 * functions here and below: the verifier checks each once, not once
 * per path through the limiter, which keeps the hot path's budget. */
__noinline int edge_is_http(const struct sl_pkt *p, __u32 action,
			    __u32 reply)
{
	const struct sl_global *g;
	__u32 zero = 0, slot;

	if (!p || action != SL_ACT_HTTP || !p->is_request)
		return 0;
	g = bpf_map_lookup_elem(&sl_global, &zero);
	if (g && edge_template(g, reply, &slot))
		return 1;
	event_count(SL_EV_EDGE_NO_REPLY);
	return 0;
}

/* Does TC answer this refused segment (see the top)? */
static __always_inline int edge_wanted(const struct sl_pkt *p)
{
	__u32 ip_len = p->family == SL_AF_INET ? sizeof(struct iphdr) :
						 sizeof(struct ipv6hdr);

	return p->l4proto == IPPROTO_TCP && p->payload_len &&
	       (p->tcp_flags & (TCPF_ACK | TCPF_SYN | TCPF_RST)) == TCPF_ACK &&
	       p->l4_off == p->l3_off + ip_len;
}

/* Hand the segment to TC with reply `reply` (SL_REPLY_NONE: answer it
 * like reset): 1 when the record is written (the caller passes the
 * frame), 0 when it falls back to the XDP RST. */
__noinline int edge_handoff(struct xdp_md *ctx, const struct sl_pkt *p,
			    __u32 tier, __u32 reply, __s64 wait_ns)
{
	const struct sl_edge_cfg *e;
	const struct sl_global *g;
	struct sl_edge_meta *m;
	__u32 zero = 0, slot = 0;
	struct tcphdr *th;
	void *data, *end;
	int http = 0;
	__u32 seq;

	if (!ctx || !p || !edge_wanted(p))
		return 0;
	g = bpf_map_lookup_elem(&sl_global, &zero);
	e = bpf_map_lookup_elem(&sl_edge, &zero);
	if (!g || !e)
		return 0;
	if (!e->tc_attached) {
		event_count(SL_EV_EDGE_NO_TC);
		return 0;
	}
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	th = data + BOUNDED(p->l4_off, 255);
	if ((void *)(th + 1) > end)
		return 0;
	seq = th->seq;
	/* Looked up again: a reload may have emptied it since the plan. */
	if (reply != SL_REPLY_NONE && edge_template(g, reply, &slot))
		http = 1;
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m))) {
		event_count(SL_EV_EDGE_NO_META);
		return 0;
	}
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)(long)ctx->data) {
		event_count(SL_EV_EDGE_NO_META);
		return 0;
	}
	m->magic = SL_EDGE_MAGIC;
	m->kind = http ? SL_EDGE_HTTP : SL_EDGE_RESET;
	m->tier = tier;
	m->slot = slot;
	m->retry_s = edge_retry_s(wait_ns);
	m->seq = seq;
	return 1;
}

#endif /* SLUICE_EDGE_BPF_H */

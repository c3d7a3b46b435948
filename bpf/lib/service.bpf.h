/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Request starts to services (include/sluice_service.h): which service
 * a request belongs to (include/sluice_svc_match.h), its count, and the
 * connection's pending request in sl_conns for TC egress to close.
 *
 * Only request starts (p->is_request) get here, after the verdict is
 * planned and before the frame may become a reply:
 *
 *   passed to the server (shadow mode's passes too: they reach it)
 *       requests += 1; sl_conns[conn] = {now, seq, service, pending}
 *   answered at the edge (a refusal with action reset or http)
 *       requests += 1, edge_replies += 1; the connection's entry, if
 *       it has one, is no longer pending (none is made: a refused flood
 *       must not push real connections out of the LRU)
 *   dropped: nothing (the client sends it again)
 *
 * A segment with the sequence number of the connection's last request
 * is that request again (a retransmission): not counted.  A new request
 * on a kept-alive connection replaces the entry.  TLS services count no
 * requests, only connections: a SYN passed to the server counts one for
 * the service its port and address match (paths cannot be seen yet:
 * the port's service without a path), for every service.  Global functions: the verifier checks them once, not once
 * per path through the limiter.
 */
#ifndef SLUICE_SERVICE_BPF_H
#define SLUICE_SERVICE_BPF_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_gate.h"
#include "sluice_service.h"
#include "sluice_svc_match.h"
#include "classify.bpf.h"
#include "common.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"

/* What becomes of a request start, for its service. */
enum service_fate {
	SERVICE_NONE = 0,	/* dropped: not counted */
	SERVICE_PASSED,		/* reaches the server, unless its gate stops it */
	SERVICE_EDGE,		/* answered by sluice at the edge */
	SERVICE_SHADOW,		/* reaches the server: shadow mode, no gate */
};

/* What a service's gate (include/sluice_gate.h) made of a request that
 * would have passed: service_note's answer to the verdict. */
enum service_gate_kind {
	SERVICE_GATE_NONE = 0,	/* it passes */
	SERVICE_GATE_BREAKER,	/* open, or half-open past its probes */
	SERVICE_GATE_SHED,	/* the degrade level sheds the service */
};

struct service_gate {
	__u8  kind;		/* enum service_gate_kind */
	__u8  action;		/* sl_service.gate_action */
	__u16 reply;		/* sl_service.gate_reply */
	__u32 pad;
	__s64 wait_ns;		/* what Retry-After says */
};

#define SVC_SPACES	0x2020202020202020ULL
#define SVC_ONES	0x0101010101010101ULL
#define SVC_HIGHS	0x8080808080808080ULL

/* Bytes of `path` (n of them read) before the request-target's space. */
static __always_inline __u32 service_path_len(const __u64 *w, __u32 n)
{
	__u64 last = 0;
	__u32 i, len;

	/* A word at a time: the space's word, then its byte. */
#pragma unroll
	for (i = 0; i < SL_SVC_PATH_MAX / 8; i++) {
		__u64 x = w[i] ^ SVC_SPACES;

		last = w[i];
		if (i * 8 >= n || ((x - SVC_ONES) & ~x & SVC_HIGHS))
			break;
	}
	len = i * 8;
#pragma unroll
	for (int k = 0; k < 8; k++) {
		if (((last >> (k * 8)) & 0xff) == ' ')
			break;
		len++;
	}
	return len < n ? len : n;
}

/* Read the request-target into key->path; its length in bytes. */
static __always_inline __u32 service_path(struct xdp_md *ctx, __u32 pl_off,
					  __u32 plen, struct sl_svc_key *key)
{
	__u64 head = 0;
	__u32 hl = plen < 8 ? plen : 8, t, n;

	if (hl < 4 || bpf_xdp_load_bytes(ctx, pl_off, &head, hl))
		return 0;
	/* The method's space: "GET " .. "CONNECT ". */
	for (t = 3; t < 8; t++)
		if (((head >> (t * 8)) & 0xff) == ' ')
			break;
	t++;
	if (t >= plen)
		return 0;
	n = plen - t;
	if (n > SL_SVC_PATH_MAX)
		n = SL_SVC_PATH_MAX;
	n = BOUNDED(n, 127);
	if (!n || n > SL_SVC_PATH_MAX ||
	    bpf_xdp_load_bytes(ctx, pl_off + t, key->path, n))
		return 0;
	return service_path_len((const __u64 *)key->path, n);
}

/* The request's service: the address's scope first, then any address,
 * each the longest path prefix.  0 with *hit set, or -1. */
static __always_inline int service_match(struct sl_svc_key *key, __u64 bits,
					 __u8 family, const __u8 *daddr,
					 struct sl_svc_hit *hit)
{
	const struct sl_svc_hit *h = NULL;

	if (bits & SL_SVC_PORT_ADDR) {
		key->scope = family;
		if (family == SL_AF_INET)
			__builtin_memcpy(key->addr, daddr, 4);
		else
			__builtin_memcpy(key->addr, daddr, 16);
		h = bpf_map_lookup_elem(&sl_svc_match, key);
		if (!h)
			__builtin_memset(key->addr, 0, sizeof(key->addr));
	}
	if (!h && (bits & SL_SVC_PORT_ANY)) {
		key->scope = SL_SVC_SCOPE_ANY;
		h = bpf_map_lookup_elem(&sl_svc_match, key);
	}
	if (!h || h->id >= SL_MAX_SERVICES)
		return -1;
	*hit = *h;
	return 0;
}

/* Does service `id`'s gate stop a request now?  A half-open gate's
 * probes are taken one by one (below zero once spent: sluiced writes the
 * budget again on its next transition).  A global function: verified
 * once, not once per way through the service match. */
__noinline __u32 service_gate_take(__u32 id, __u64 now, __s64 *wait_ns,
				   int take)
{
	struct sl_svc_gate *gt = bpf_map_lookup_elem(&sl_svc_gate, &id);
	__u32 state;

	if (!gt || !wait_ns)
		return SERVICE_GATE_NONE;
	if (*(volatile __u32 *)&gt->shed) {
		*wait_ns = (__s64)(READ_ONCE_U64(gt->shed_until_ns) - now);
		return SERVICE_GATE_SHED;
	}
	state = *(volatile __u32 *)&gt->state;
	if (state == SL_GATE_CLOSED)
		return SERVICE_GATE_NONE;
	if (state == SL_GATE_HALF_OPEN && take &&
	    __sync_fetch_and_add(&gt->probes, -1) > 0)
		return SERVICE_GATE_NONE;	/* a probe */
	*wait_ns = (__s64)(READ_ONCE_U64(gt->until_ns) - now);
	return SERVICE_GATE_BREAKER;
}

/* One request's counts in `st` (sl_svc_stats or a rollout's canary
 * sl_svc_stats_c). */
static __always_inline void service_count_in(void *stats, __u32 id,
					     __u32 fate,
					     const struct service_gate *sg)
{
	struct sl_svc_stats *st = bpf_map_lookup_elem(stats, &id);

	if (!st)
		return;
	st->requests++;
	if (fate == SERVICE_EDGE)
		st->edge_replies++;
	if (sg->kind == SERVICE_GATE_BREAKER)
		st->gated_breaker++;
	else if (sg->kind == SERVICE_GATE_SHED)
		st->gated_shed++;
}

/* Is the request from a rollout's canary cohort?  Then its counts go
 * to sl_svc_stats_c as well, and its connection says so for the
 * response (sl_conn.spare[0]). */
static __always_inline __u32 service_canary(const struct sl_pkt *p)
{
	const struct sl_global *g;
	const struct sl_roll *r;
	__u32 zero = 0;

	g = bpf_map_lookup_elem(&sl_global, &zero);
	if (!g || !(g->tier_gen & SL_GEN_ROLL))
		return 0;
	r = bpf_map_lookup_elem(&sl_roll, &zero);
	return r ? roll_canary(r, p) : 0;
}

/* Count the request and note it as its connection's pending one; a
 * request that would pass goes through its service's gate first. */
static __always_inline int service_count(const struct sl_conn_key *ck,
					 __u32 id, __u32 seq, __u32 fate,
					 struct service_gate *sg, __u32 canary)
{
	struct sl_conn *e, ne;

	e = bpf_map_lookup_elem(&sl_conns, ck);
	if (e && e->seq == seq) {
		/* The same request again: the same answer, nothing counted
		 * (a request the gate stopped is stopped again). */
		if (fate == SERVICE_PASSED && e->pad)
			sg->kind = service_gate_take(id, bpf_ktime_get_ns(),
						     &sg->wait_ns, 0) ? e->pad :
						   SERVICE_GATE_NONE;
		return 0;
	}
	if (fate == SERVICE_PASSED) {
		sg->kind = service_gate_take(id, bpf_ktime_get_ns(),
					     &sg->wait_ns, 1);
		if (sg->kind)
			fate = SERVICE_EDGE;
	}
	service_count_in(&sl_svc_stats, id, fate, sg);
	if (canary)
		service_count_in(&sl_svc_stats_c, id, fate, sg);
	if (fate == SERVICE_EDGE) {
		if (e) {
			e->seq = seq;
			e->service = id;
			e->pending = 0;
			e->pad = sg->kind;
			e->spare[0] = canary;
		}
		return 1;
	}
	if (e) {
		/* Kept alive: this request replaces the last one. */
		e->start_ns = bpf_ktime_get_ns();
		e->seq = seq;
		e->service = id;
		e->pending = 1;
		e->pad = 0;
		e->spare[0] = canary;
		return 1;
	}
	ne = (struct sl_conn){ .start_ns = bpf_ktime_get_ns(), .seq = seq,
			       .service = id, .pending = 1,
			       .spare = { canary } };
	bpf_map_update_elem(&sl_conns, ck, &ne, BPF_ANY);
	return 1;
}

/* A request start `p` whose fate is `fate` (enum service_fate), with
 * the services of generation `gen`: 1 when a service counted it, 0 when
 * none did (no service, TLS, a retransmission, dropped).  *sg says
 * whether the service's gate stopped it, and how to answer. */
__noinline int service_note(struct xdp_md *ctx, const struct sl_pkt *p,
			    __u32 gen, __u32 fate, struct service_gate *sg)
{
	const struct sl_service *svc;
	__u32 slot;
	int counted;
	struct sl_conn_key ck = {};
	struct sl_svc_key *key;
	struct sl_svc_hit hit;
	__u32 word, l3, l4, seq;
	void *data, *end;
	struct tcphdr *th;
	__u8 *ip;
	__u64 *bits;
	__u16 dport;
	__u32 zero = 0;
	int syn;

	if (!ctx || !p || !sg || fate == SERVICE_NONE ||
	    p->l4proto != IPPROTO_TCP)
		return 0;
	syn = (p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
	if (!p->is_request &&
	    !(syn && (fate == SERVICE_PASSED || fate == SERVICE_SHADOW)))
		return 0;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	l4 = BOUNDED(p->l4_off, 0xfff);
	th = data + l4;
	if ((void *)(th + 1) > end)
		return 0;
	dport = th->dest;
	word = sl_svc_port_word(gen, bpf_ntohs(dport));
	bits = bpf_map_lookup_elem(&sl_svc_ports, &word);
	if (!bits)
		return 0;
	/* The pre-check: most ports have no service. */
	word = (*bits >> sl_svc_port_shift(bpf_ntohs(dport))) & SL_SVC_PORT_MASK;
	if (!(word & (SL_SVC_PORT_ANY | SL_SVC_PORT_ADDR)))
		return 0;
	/* The 88-byte key off the stack: the XDP program's frames and this
	 * one's must fit in 512 bytes together. */
	key = bpf_map_lookup_elem(&sl_svc_scratch, &zero);
	if (!key)
		return 0;
	__builtin_memset(key, 0, sizeof(*key));
	key->port = dport;
	ck.family = p->family;
	ck.client_port = th->source;
	ck.server_port = dport;
	seq = bpf_ntohl(th->seq);
	__builtin_memcpy(ck.client, p->src, 16);

	l3 = BOUNDED(p->l3_off, 0x3f);
	ip = data + l3;
	if (p->family == SL_AF_INET) {
		if ((void *)(ip + sizeof(struct iphdr)) > end)
			return 0;
		__builtin_memcpy(ck.server, ip + __builtin_offsetof(struct iphdr, daddr), 4);
	} else {
		if ((void *)(ip + sizeof(struct ipv6hdr)) > end)
			return 0;
		__builtin_memcpy(ck.server, ip + __builtin_offsetof(struct ipv6hdr, daddr), 16);
	}

	key->gen = gen & 1;
	key->prefixlen = SL_SVC_KEY_BASE_BITS;
	if (!p->is_request) {
		struct sl_svc_stats *st;
		__u32 id;

		if (service_match(key, word, p->family, ck.server, &hit))
			return 0;
		id = hit.id;
		st = bpf_map_lookup_elem(&sl_svc_stats, &id);
		if (st)
			st->connections++;
		st = service_canary(p) ?
		     bpf_map_lookup_elem(&sl_svc_stats_c, &id) : NULL;
		if (st)
			st->connections++;
		return 1;
	}
	if (word & SL_SVC_PORT_PATH)
		key->prefixlen += 8 * service_path(ctx, l4 + (th->doff & 15) * 4,
						   p->payload_len, key);
	if (service_match(key, word, p->family, ck.server, &hit))
		return 0;
	if (hit.flags & SL_SVC_F_TLS)
		return 0;		/* connections only */
	counted = service_count(&ck, hit.id, seq, fate, sg, service_canary(p));
	if (sg->kind) {
		slot = sl_svc_slot(gen, hit.id);
		svc = bpf_map_lookup_elem(&sl_services, &slot);
		sg->action = svc ? svc->gate_action : SL_ACT_RESET;
		sg->reply = svc ? svc->gate_reply : SL_REPLY_NONE;
	}
	return counted;
}

#endif /* SLUICE_SERVICE_BPF_H */

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connections the edge answers itself (config edge_connections).
 *
 * A client over an http requests limit that opens a new connection
 * would only be refused on it: yet the kernel makes a socket for it,
 * nginx may accept it, and TC must reset it again (lib/edge.bpf.h).
 * While such a client must wait at least min_wait for its next request,
 * XDP instead answers its SYN to an edge port with a SYN-ACK of its own,
 * the request with the limit's reply and FIN, and the client's last
 * ACK and FIN, each with XDP_TX or XDP_DROP: no skb, no socket, and the
 * server never sees the connection.
 *
 * No state is kept per connection: the SYN-ACK's sequence number is a
 * keyed hash of the connection (edge_conn_isn), so a later segment is
 * known by its acknowledgment number, exactly: one more than the hash
 * before the reply, the reply's length plus two after it.  Segments are
 * checked only while the client is near its limit (EDGE_CONN_LINGER_NS
 * past min_wait), which covers EDGE_CONN_LINGER_NS of any edge
 * connection's life and keeps the hash off every other client's
 * packets.  The SYN-ACK carries only an MSS, so there are no timestamps,
 * window scaling or SACK to follow.
 *
 * A request on an edge connection is answered even if the client's
 * wait ended meanwhile (it came later than min_wait after its SYN): it
 * takes no token, and the reply says Retry-After: 1.
 */
#ifndef SLUICE_EDGE_CONN_BPF_H
#define SLUICE_EDGE_CONN_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_edge.h"
#include "sluice_gcra.h"
#include "sluice_reply.h"
#include "common.bpf.h"
#include "csum.bpf.h"
#include "edge.bpf.h"
#include "edge_text.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"
#include "proto.bpf.h"
#include "rewrite.bpf.h"

#define EDGE_CONN_LINGER_NS	(5ULL * SL_NSEC_PER_SEC)
#define EDGE_CONN_WINDOW	65535
#define EDGE_CONN_MSS_V4	1460
#define EDGE_CONN_MSS_V6	1440
#define EDGE_CONN_SYN_TCP_LEN	24	/* 20 + the MSS option */
#define EDGE_OPT_MSS		2
#define EDGE_OPTLEN_MSS		4

enum edge_conn_kind {
	EDGE_CONN_NONE = 0,	/* not an edge connection's: meter as usual */
	EDGE_CONN_SYNACK,	/* its SYN: answer with our SYN-ACK */
	EDGE_CONN_REPLY,	/* its request: the reply, then FIN */
	EDGE_CONN_ACK,		/* data or FIN after our FIN: acknowledge it */
	EDGE_CONN_RST,		/* a FIN before the request: reset */
	EDGE_CONN_DROP,		/* an ACK of ours, a stray segment, a RST */
};

/* What the edge makes of a segment, for the verdict. */
struct edge_conn {
	__u64 now;		/* in: the tier's clock */
	__u8  kind;		/* enum edge_conn_kind */
	__u8  meter;		/* the http meter that refuses longest */
	__u16 reply;		/* its reply id */
	__u32 tier;		/* for edge_conn_answer: the counter row */
	__s64 wait_ns;		/* until that meter admits again */
};

/* Does the edge look at this segment at all?  The tier has an http
 * requests meter and edge_connections is on (sluiced sets the flag),
 * enforce mode, TCP with plain headers. */
static __always_inline int edge_conn_tier(const struct sl_global *g,
					  const struct sl_tier *t,
					  const struct sl_pkt *p)
{
	__u32 ip_len = p->family == SL_AF_INET ? sizeof(struct iphdr) :
						 sizeof(struct ipv6hdr);

	return (t->flags & SL_TIER_F_EDGE_CONN) &&
	       g->mode == SL_MODE_ENFORCE && p->l4proto == IPPROTO_TCP &&
	       p->l4_off == p->l3_off + ip_len;
}

/* The longest wait among the tier's http requests meters with a reply,
 * and which meter it is (LLONG_MIN-ish when none). */
static __always_inline __s64 edge_conn_wait(const struct sl_tier *t,
					    struct sl_client *c, __u64 now,
					    struct edge_conn *ec)
{
	__s64 best = -(__s64)(1ULL << 62);

#pragma unroll
	for (int i = 0; i < SL_METERS_PER_TIER; i++) {
		const struct sl_meter *m = &t->meters[i];
		__s64 w;

		if (m->unit != SL_UNIT_REQUESTS || m->action != SL_ACT_HTTP ||
		    m->reply == SL_REPLY_NONE)
			continue;
		w = READ_ONCE_U64(c->tat[i]) - m->tolerance_ns +
		    gcra_cost_ns(m, 1) - now;
		if (w > best) {
			best = w;
			ec->meter = i;
			ec->reply = m->reply;
		}
	}
	ec->wait_ns = best;
	return best;
}

/* edge_conn_seg()'s first test, inline: is the client near enough to
 * its http limit for the segment to be an edge connection's?  Most
 * segments of an edge tier are not, and skip the call. */
static __always_inline int edge_conn_near(const struct sl_tier *t,
					  struct sl_client *c, __u64 now)
{
	const struct sl_edge_cfg *e;
	__s64 best = -(__s64)(1ULL << 62);
	__u32 zero = 0;

	e = bpf_map_lookup_elem(&sl_edge, &zero);
	if (!e || !e->nports)
		return 0;
#pragma unroll
	for (int i = 0; i < SL_METERS_PER_TIER; i++) {
		const struct sl_meter *m = &t->meters[i];
		__s64 w = READ_ONCE_U64(c->tat[i]) - m->tolerance_ns +
			  gcra_cost_ns(m, 1) - now;

		if (m->unit == SL_UNIT_REQUESTS && m->action == SL_ACT_HTTP &&
		    m->reply != SL_REPLY_NONE && w > best)
			best = w;
	}
	return best >= (__s64)e->min_wait_ns - (__s64)EDGE_CONN_LINGER_NS;
}

static __always_inline __u64 edge_conn_mix(__u64 h, __u64 w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/* Our initial sequence number for the connection: a keyed hash of its
 * addresses and ports, so nothing needs remembering. */
static __always_inline __u32 edge_conn_isn(const struct sl_edge_cfg *e,
					   const __u32 *saddr,
					   const __u32 *daddr, int n,
					   __u32 ports)
{
	__u64 h = e->secret[0];

#pragma unroll
	for (int i = 0; i < 4; i++)
		if (i < n)
			h = edge_conn_mix(h, (__u64)saddr[i] << 32 | daddr[i]);
	h = edge_conn_mix(h, (__u64)ports << 32 ^ e->secret[1]);
	return (__u32)(h >> 32);
}

/* The frame's addresses and TCP header, for the hash and the answer. */
struct edge_conn_seg {
	__u32 saddr[4], daddr[4];
	__be16 sport, dport;
	__be32 seq, ack_seq;
	__u32 naddr;		/* 32-bit words per address: 1 or 4 */
	__u32 l4;		/* TCP header's offset */
};

static __always_inline int edge_conn_read(struct xdp_md *ctx,
					  const struct sl_pkt *p,
					  struct edge_conn_seg *s)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 l3 = BOUNDED(p->l3_off, 63);
	struct tcphdr *th;

	if (p->family == SL_AF_INET) {
		struct iphdr *ip = data + l3;

		if ((void *)(ip + 1) > end)
			return -1;
		s->saddr[0] = ip->saddr;
		s->daddr[0] = ip->daddr;
		s->naddr = 1;
		th = (void *)(ip + 1);
	} else {
		struct ipv6hdr *ip6 = data + l3;

		if ((void *)(ip6 + 1) > end)
			return -1;
		__builtin_memcpy(s->saddr, &ip6->saddr, 16);
		__builtin_memcpy(s->daddr, &ip6->daddr, 16);
		s->naddr = 4;
		th = (void *)(ip6 + 1);
	}
	if ((void *)(th + 1) > end)
		return -1;
	s->sport = th->source;
	s->dport = th->dest;
	s->seq = th->seq;
	s->ack_seq = th->ack_seq;
	s->l4 = (void *)th - data;
	return 0;
}

static __always_inline int edge_conn_port(const struct sl_edge_cfg *e,
					  __be16 port)
{
	int hit = 0;

#pragma unroll
	for (int i = 0; i < SL_EDGE_PORTS; i++)
		if (i < e->nports && e->ports[i] == port)
			hit = 1;
	return hit;
}

static __always_inline __u32 edge_conn_hash(const struct sl_edge_cfg *e,
					    const struct edge_conn_seg *s)
{
	return edge_conn_isn(e, s->saddr, s->daddr, s->naddr,
			     (__u32)s->sport << 16 | s->dport);
}

/*
 * A SYN (no ACK, no data) that metering let through: ours to answer when
 * it is for an edge port and the client must wait at least min_wait.
 * 1 with ec filled in, else 0.  Global functions here and below: the
 * verifier checks each once.
 */
__noinline int edge_conn_syn(struct xdp_md *ctx, const struct sl_tier *t,
			     struct sl_client *c, const struct sl_pkt *p,
			     struct edge_conn *ec)
{
	const struct sl_edge_cfg *e;
	struct edge_conn_seg s = {};
	__u32 zero = 0;

	if (!ctx || !t || !c || !p || !ec)
		return 0;
	if ((p->tcp_flags & (TCPF_SYN | TCPF_ACK | TCPF_RST | TCPF_FIN)) !=
	    TCPF_SYN || p->payload_len)
		return 0;
	e = bpf_map_lookup_elem(&sl_edge, &zero);
	if (!e || !e->nports)
		return 0;
	if (edge_conn_wait(t, c, ec->now, ec) < (__s64)e->min_wait_ns)
		return 0;
	if (edge_conn_read(ctx, p, &s) || !edge_conn_port(e, s.dport))
		return 0;
	ec->kind = EDGE_CONN_SYNACK;
	return 1;
}

/*
 * Any other segment with an ACK to an edge port, before it is metered:
 * 1 with ec filled in when it belongs to a connection the edge answered
 * (its acknowledgment number says so), else 0.
 */
__noinline int edge_conn_seg(struct xdp_md *ctx, const struct sl_tier *t,
			     struct sl_client *c, const struct sl_pkt *p,
			     struct edge_conn *ec)
{
	const struct sl_edge_cfg *e;
	const struct sl_global *g;
	const struct sl_reply *r;
	struct edge_conn_seg s = {};
	__u32 zero = 0, slot, d, fin;
	__u8 f;

	if (!ctx || !t || !c || !p || !ec)
		return 0;
	f = p->tcp_flags;
	if ((f & (TCPF_SYN | TCPF_ACK)) != TCPF_ACK)
		return 0;
	e = bpf_map_lookup_elem(&sl_edge, &zero);
	g = bpf_map_lookup_elem(&sl_global, &zero);
	if (!e || !g || !e->nports)
		return 0;
	if (edge_conn_wait(t, c, ec->now, ec) <
	    (__s64)e->min_wait_ns - (__s64)EDGE_CONN_LINGER_NS)
		return 0;
	if (edge_conn_read(ctx, p, &s) || !edge_conn_port(e, s.dport))
		return 0;
	d = bpf_ntohl(s.ack_seq) - edge_conn_hash(e, &s);
	fin = f & TCPF_FIN;
	if (d == 1) {
		/* Before our reply: the handshake's ACK, or the request. */
		if (f & TCPF_RST)
			ec->kind = EDGE_CONN_DROP;
		else if (p->is_request)
			ec->kind = EDGE_CONN_REPLY;
		else if (p->payload_len)
			ec->kind = EDGE_CONN_DROP;	/* resent after the reply */
		else
			ec->kind = fin ? EDGE_CONN_RST : EDGE_CONN_DROP;
		return 1;
	}
	r = edge_template(g, ec->reply, &slot);
	if (!r || d != (__u32)r->len + 2)
		return 0;
	/* After our reply and FIN. */
	if (f & TCPF_RST)
		ec->kind = EDGE_CONN_DROP;
	else
		ec->kind = p->payload_len || fin ? EDGE_CONN_ACK :
						   EDGE_CONN_DROP;
	return 1;
}

/* The answer's TCP header and options, before the payload. */
struct edge_conn_out {
	__be32 seq, ack_seq;
	__u8   flags;
	__u8   tcp_len;		/* 20, or 24 with the MSS option */
	__u16  mss;
};

/*
 * The reply's text at offset `off` of the frame (already long enough),
 * the delay's digits in its fields.  Returns what it adds to the TCP
 * checksum, folded to 16 bits, or -1.  A global function of its own:
 * its loops would otherwise be verified once per kind of answer.
 */
__noinline int edge_conn_text(struct xdp_md *ctx, __u32 off,
			      const struct sl_reply *r, __u32 retry_s)
{
	struct edge_digits dg = {};
	__u32 body, width;
	__u64 sum;

	if (!ctx || !r)
		return -1;
	body = r->len;
	if (!body || body > SL_REPLY_MAX || off > 255)
		return -1;
	if (bpf_xdp_store_bytes(ctx, off, (void *)r->text, body))
		return -1;
	sum = r->csum;
	width = r->width;
	if (width && width <= SL_REPLY_DIGITS) {
		edge_digits(&dg, retry_s, width);
#pragma unroll
		for (int i = 0; i < SL_REPLY_FIELDS; i++) {
			__u32 f = r->field_off[i];

			if (i >= r->nfields || f + width > body)
				continue;
			/* 1..8 digits: the helper takes no empty copy. */
			if (bpf_xdp_store_bytes(ctx, off + f, dg.d,
						((dg.n - 1) &
						 (SL_REPLY_DIGITS - 1)) + 1))
				return -1;
			sum += f & 1 ? dg.odd : dg.even;
		}
	}
	return ~csum_fold(sum) & 0xffff;
}

/*
 * Rewrite the frame into the answer: Ethernet addresses swapped, a
 * fresh IP header and the TCP header, after `body` bytes of payload
 * whose checksum sum is `text_sum` (written by edge_conn_text once the
 * frame has its length).  0, or -1 (nothing sent).
 */
static __always_inline int edge_conn_build(struct xdp_md *ctx,
					   const struct sl_pkt *p,
					   const struct edge_conn_seg *s,
					   const struct edge_conn_out *o,
					   const struct sl_reply *r,
					   __u32 retry_s)
{
	__u32 l3 = BOUNDED(p->l3_off, 63), ip_len, tcp_len, body = 0;
	void *data, *end;
	struct tcphdr *th;
	__u64 pseudo, sum = 0;
	int text;

	ip_len = p->family == SL_AF_INET ? sizeof(struct iphdr) :
					   sizeof(struct ipv6hdr);
	tcp_len = o->tcp_len == EDGE_CONN_SYN_TCP_LEN ? EDGE_CONN_SYN_TCP_LEN :
							sizeof(struct tcphdr);
	if (r) {
		body = r->len;
		if (!body || body > SL_REPLY_MAX)
			return -1;
	}
	/* p->len: the frame's length as parsed, nothing resized it since. */
	if (bpf_xdp_adjust_tail(ctx, (int)(l3 + ip_len + tcp_len + body) -
				     (int)p->len))
		return -1;
	if (r) {
		text = edge_conn_text(ctx, l3 + ip_len + tcp_len, r, retry_s);
		if (text < 0)
			return -1;
		sum = text;
	}

	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + sizeof(struct ethhdr) > end)
		return -1;
	rewrite_eth_swap(data);
	if (p->family == SL_AF_INET) {
		struct iphdr *ip = data + l3;

		/* One register for the header: clang would derive it anew
		 * from data, without the bound checked below. */
		asm volatile("" : "+r"(ip));
		th = (void *)(ip + 1);
		if ((void *)(th + 1) > end)
			return -1;
		pseudo = rewrite_ip4(ip, s->daddr[0], s->saddr[0], IPPROTO_TCP,
				     tcp_len + body);
	} else {
		struct ipv6hdr *ip6 = data + l3;

		asm volatile("" : "+r"(ip6));
		th = (void *)(ip6 + 1);
		if ((void *)(th + 1) > end)
			return -1;
		pseudo = rewrite_ip6(ip6, s->daddr, s->saddr, IPPROTO_TCP,
				     tcp_len + body);
	}
	th->source = s->dport;
	th->dest = s->sport;
	th->seq = o->seq;
	th->ack_seq = o->ack_seq;
	((__u8 *)th)[TCP_OFF_DOFF] = tcp_len / 4 << TCP_DOFF_SHIFT;
	((__u8 *)th)[TCP_OFF_FLAGS] = o->flags;
	th->window = bpf_htons(EDGE_CONN_WINDOW);
	th->check = 0;
	th->urg_ptr = 0;
	if (tcp_len == EDGE_CONN_SYN_TCP_LEN) {
		__u8 *opt = (void *)(th + 1);

		if ((void *)(opt + 4) > end)
			return -1;
		opt[0] = EDGE_OPT_MSS;
		opt[1] = EDGE_OPTLEN_MSS;
		opt[2] = o->mss >> 8;
		opt[3] = o->mss & 0xff;
		sum += csum_words(th, EDGE_CONN_SYN_TCP_LEN / 2);
	} else {
		sum += csum_words(th, sizeof(*th) / 2);
	}
	th->check = csum_fold(pseudo + sum);
	return 0;
}

/* Answer a segment edge_conn_syn or edge_conn_seg claimed: XDP_TX,
 * XDP_DROP, or -1 when the answer could not be made (the caller falls
 * back to a RST). */
static __always_inline int
edge_conn_answer(struct xdp_md *ctx, const struct sl_pkt *p,
				const struct edge_conn *ec)
{
	const struct sl_reply *r = NULL;
	const struct sl_edge_cfg *e;
	const struct sl_global *g;
	struct edge_conn_seg s = {};
	struct edge_conn_out o = {};
	__u32 zero = 0, slot, occupied;

	if (!ctx || !p || !ec)
		return -1;
	if (ec->kind == EDGE_CONN_DROP)
		return XDP_DROP;
	e = bpf_map_lookup_elem(&sl_edge, &zero);
	g = bpf_map_lookup_elem(&sl_global, &zero);
	if (!e || !g || edge_conn_read(ctx, p, &s))
		return -1;
	occupied = p->payload_len + !!(p->tcp_flags & TCPF_FIN);
	o.seq = s.ack_seq;
	o.ack_seq = bpf_htonl(bpf_ntohl(s.seq) + occupied);
	o.tcp_len = sizeof(struct tcphdr);
	switch (ec->kind) {
	case EDGE_CONN_SYNACK:
		o.seq = bpf_htonl(edge_conn_hash(e, &s));
		o.ack_seq = bpf_htonl(bpf_ntohl(s.seq) + 1);
		o.flags = TCPF_SYN | TCPF_ACK;
		o.tcp_len = EDGE_CONN_SYN_TCP_LEN;
		o.mss = p->family == SL_AF_INET ? EDGE_CONN_MSS_V4 :
						  EDGE_CONN_MSS_V6;
		break;
	case EDGE_CONN_REPLY:
		r = edge_template(g, ec->reply, &slot);
		if (!r)
			return -1;
		o.flags = TCPF_FIN | TCPF_PSH | TCPF_ACK;
		break;
	case EDGE_CONN_ACK:
		o.flags = TCPF_ACK;
		break;
	case EDGE_CONN_RST:
		o.flags = TCPF_RST | TCPF_ACK;
		break;
	default:
		return -1;
	}
	if (edge_conn_build(ctx, p, &s, &o, r, edge_retry_s(ec->wait_ns)))
		return -1;
	if (r)
		edge_status_count(ec->tier, r->status);
	return XDP_TX;
}

#endif /* SLUICE_EDGE_CONN_BPF_H */

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TC's view of a segment XDP handed off (lib/edge.bpf.h): the few
 * fields both answers are made of, read once before the frame is
 * rewritten.  XDP let through only option-less IPv4 and IPv6 without
 * extension headers; this checks again rather than trusts, since the
 * frame may have changed on the way (a VLAN tag taken into the skb, a
 * stranger's metadata).
 */
#ifndef SLUICE_EDGE_SEG_BPF_H
#define SLUICE_EDGE_SEG_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "common.bpf.h"
#include "proto.bpf.h"

#define TCPOPT_EOL		0
#define TCPOPT_NOP		1
#define TCPOPT_TS		8
#define TCPOLEN_TS		10
#define EDGE_OPT_MAX		40	/* TCP options: at most 40 bytes */

struct edge_seg {
	__u32 saddr[4];		/* the request's source (the client) */
	__u32 daddr[4];
	__u32 len;		/* frame length */
	__u16 l3_off;
	__u16 l4_off;
	__u16 payload_len;
	__be16 sport, dport;	/* the request's */
	__be16 window;
	__be32 seq, ack_seq;
	__be32 tsval, tsecr;	/* the request's timestamps, if has_ts */
	__u8  family;
	__u8  flags;		/* TCPF_* */
	__u8  has_ts;
	__u8  pad;
};

/* A walk over the request's options, one bpf_loop step per option. */
struct edge_opts {
	__u8  o[72];		/* any offset & 63, plus 4 bytes */
	__u32 i, n;
	int   found;
	__be32 tsval, tsecr;
};

static long edge_opt_step(__u64 k, void *ctx)
{
	struct edge_opts *w = ctx;
	__u32 i = w->i;
	__u8 kind, olen;

	if (i >= w->n)
		return 1;
	kind = w->o[i & 63];
	if (kind == TCPOPT_EOL)
		return 1;
	if (kind == TCPOPT_NOP) {
		w->i = i + 1;
		return 0;
	}
	if (i + 2 > w->n)
		return 1;
	olen = w->o[(i + 1) & 63];
	if (olen < 2 || i + olen > w->n)
		return 1;	/* options that lie: no timestamps */
	if (kind == TCPOPT_TS) {
		if (olen == TCPOLEN_TS) {
			__builtin_memcpy(&w->tsval, &w->o[(i + 2) & 63], 4);
			__builtin_memcpy(&w->tsecr, &w->o[(i + 6) & 63], 4);
			w->found = 1;
		}
		return 1;
	}
	w->i = i + olen;
	return 0;
}

/* The timestamp option among the request's options (at `off`, `n`
 * bytes): 1 with it in s->tsval/tsecr, 0 when there is none or the
 * options lie about their lengths (then the reply carries none). */
static __always_inline int edge_seg_ts(struct __sk_buff *skb, __u32 off,
				       __u32 n, struct edge_seg *s)
{
	struct edge_opts w = {};

	if (n == 0 || n > EDGE_OPT_MAX)
		return 0;
	w.n = n;
	/* 1..64 for the verifier (it loses n > 0 through a plain mask) */
	if (bpf_skb_load_bytes(skb, off, w.o, BOUNDED(n - 1, 63) + 1))
		return 0;
	/* bpf_loop: the step is verified once, not once per option. */
	bpf_loop(EDGE_OPT_MAX, edge_opt_step, &w, 0);
	if (!w.found)
		return 0;
	s->tsval = w.tsval;
	s->tsecr = w.tsecr;
	return 1;
}

/* Read the segment: 0, or -1 when it is not one XDP hands off. */
static __always_inline int edge_seg_read(struct __sk_buff *skb,
					 struct edge_seg *s)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	void *cur = eth + 1;
	struct tcphdr *th;
	__u32 tot, hlen;
	__u16 proto;

	if (cur > end)
		return -1;
	s->len = skb->len;
	proto = eth->h_proto;
	cur = vlan_skip(cur, end, &proto);
	if (!cur)
		return -1;
	s->l3_off = cur - data;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = cur;

		if ((void *)(ip + 1) > end || ip->version != 4 ||
		    ip->ihl != 5 || ip->protocol != IPPROTO_TCP ||
		    (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
			return -1;
		tot = bpf_ntohs(ip->tot_len);
		if (tot < sizeof(*ip))
			return -1;
		tot -= sizeof(*ip);
		s->family = SL_AF_INET;
		s->saddr[0] = ip->saddr;
		s->daddr[0] = ip->daddr;
		th = (void *)(ip + 1);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = cur;

		if ((void *)(ip6 + 1) > end || ip6->version != 6 ||
		    ip6->nexthdr != IPPROTO_TCP)
			return -1;
		tot = bpf_ntohs(ip6->payload_len);
		s->family = SL_AF_INET6;
		__builtin_memcpy(s->saddr, &ip6->saddr, 16);
		__builtin_memcpy(s->daddr, &ip6->daddr, 16);
		th = (void *)(ip6 + 1);
	} else {
		return -1;
	}
	if ((void *)(th + 1) > end)
		return -1;
	s->l4_off = (void *)th - data;
	hlen = th->doff * 4;
	if (hlen < sizeof(*th) || hlen > tot ||
	    s->l4_off + tot > skb->len)
		return -1;
	s->payload_len = tot - hlen;
	s->sport = th->source;
	s->dport = th->dest;
	s->seq = th->seq;
	s->ack_seq = th->ack_seq;
	s->window = th->window;
	s->flags = ((__u8 *)th)[TCP_OFF_FLAGS];
	if ((s->flags & (TCPF_ACK | TCPF_SYN | TCPF_RST)) != TCPF_ACK ||
	    !s->payload_len)
		return -1;
	s->has_ts = edge_seg_ts(skb, s->l4_off + sizeof(*th),
				hlen - sizeof(*th), s);
	return 0;
}

#endif /* SLUICE_EDGE_SEG_BPF_H */

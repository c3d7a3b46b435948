/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packet parsing for the XDP hot path: Ethernet, up to two VLAN tags,
 * IPv4 (options, fragments), IPv6 (bounded extension-header walk), TCP
 * and UDP.  Every read is bounds-checked against data_end; anything that
 * does not fit the headers it claims is PARSE_MALFORMED.
 */
#ifndef SLUICE_PARSE_BPF_H
#define SLUICE_PARSE_BPF_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "maps.bpf.h"
#include "pkt_ctx.bpf.h"
#include "proto.bpf.h"

#define PARSE_VLAN_MAX		2
#define PARSE_V6_EXT_MAX	6

enum parse_result {
	PARSE_OK = 0,
	PARSE_NON_IP,
	PARSE_MALFORMED,
};

/* What the rest of the program needs to know about a packet. */
struct sl_pkt {
	__u32 src[4];		/* source address, network order; v4 in src[0] */
	__u32 len;		/* frame length: the bytes meter's cost */
	__u16 l3_off;		/* offset of the IP header from data */
	__u16 l4_off;		/* offset of the TCP/UDP header (if l4proto set) */
	__u16 payload_len;	/* TCP payload length by the IP length fields */
	__u8  family;		/* SL_AF_INET / SL_AF_INET6 */
	__u8  l4proto;		/* IPPROTO_TCP, IPPROTO_UDP or 0 (none parsed) */
	__u8  tcp_flags;	/* TCPF_*: the flags byte of the TCP header */
	__u8  is_request;	/* TCP payload starts an HTTP/1.x request line */
	__u8  frag_later;	/* non-first fragment: no L4 header */
	__u8  pad;
};

/* HTTP/1.x request methods followed by a space, as little-endian
 * loads of the first payload bytes. */
#define M8(a, b, c, d, e, f, g, h) \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | \
	 (__u64)(e) << 32 | (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)

/* Ordered by the first four bytes: one switch, a few compares, and the
 * first byte rejects most payloads (binary, TLS, lower case, a body)
 * before it; every method starts with one of C D G H O P T. */
#define M4(a, b, c, d)	((__u32)M8(a, b, c, d, 0, 0, 0, 0))
#define HTTP_FIRST	(1U << ('C' - 'C') | 1U << ('D' - 'C') | 1U << ('G' - 'C') | \
			 1U << ('H' - 'C') | 1U << ('O' - 'C') | 1U << ('P' - 'C') | \
			 1U << ('T' - 'C'))

static __always_inline int parse_http_method(__u64 w, __u32 avail)
{
	__u32 first = (__u32)(w & 0xff) - 'C', rest = (__u32)(w >> 32);

	if (first > 'T' - 'C' || !((1U << first) & HTTP_FIRST))
		return 0;
	switch ((__u32)w) {
	case M4('G', 'E', 'T', ' '):
	case M4('P', 'U', 'T', ' '):
		return 1;		/* avail >= 4: parse_is_request */
	case M4('P', 'O', 'S', 'T'):
	case M4('H', 'E', 'A', 'D'):
		return avail >= 5 && (rest & 0xff) == ' ';
	case M4('D', 'E', 'L', 'E'):
		return avail >= 7 && (rest & 0xffffff) == M4('T', 'E', ' ', 0);
	case M4('P', 'A', 'T', 'C'):
		return avail >= 6 && (rest & 0xffff) == M4('H', ' ', 0, 0);
	case M4('T', 'R', 'A', 'C'):
		return avail >= 6 && (rest & 0xffff) == M4('E', ' ', 0, 0);
	case M4('O', 'P', 'T', 'I'):
		return avail >= 8 && rest == M4('O', 'N', 'S', ' ');
	case M4('C', 'O', 'N', 'N'):
		return avail >= 8 && rest == M4('E', 'C', 'T', ' ');
	}
	return 0;
}

/* Does the TCP payload at `pl` start a request line?  `plen` is the
 * payload length by the IP header, which excludes Ethernet padding. */
static __always_inline int parse_is_request(void *pl, void *end, __u32 plen)
{
	__u64 w = 0;
	__u8 *b = pl;

	if (plen < 4)
		return 0;
	if ((void *)(b + 8) <= end) {
		w = *(__u64 *)b;	/* one load on the common path */
	} else {
		/* Short segment at the end of the frame: copy what is there. */
#pragma unroll
		for (int i = 0; i < 8; i++) {
			if ((void *)(b + i + 1) > end)
				break;
			w |= (__u64)b[i] << (i * 8);
		}
	}
	return parse_http_method(w, plen > 8 ? 8 : plen);
}

static __always_inline int parse_tcp(void *l4, void *end, struct sl_pkt *p,
				     __u32 l4_bytes)
{
	struct tcphdr *th = l4;
	__u32 hlen;

	if ((void *)(th + 1) > end)
		return PARSE_MALFORMED;
	hlen = th->doff * 4;
	if (hlen < sizeof(*th) || hlen > l4_bytes || l4 + hlen > end)
		return PARSE_MALFORMED;
	p->tcp_flags = ((__u8 *)th)[TCP_OFF_FLAGS];
	p->payload_len = l4_bytes - hlen;
	if (p->payload_len)
		p->is_request = parse_is_request(l4 + hlen, end, p->payload_len);
	return PARSE_OK;
}

/* L4 at `l4`; `l4_bytes` is what the IP header says follows it. */
static __always_inline int parse_l4(void *data, void *l4, void *end,
				    struct sl_pkt *p, __u8 proto, __u32 l4_bytes)
{
	p->l4_off = l4 - data;
	if (proto == IPPROTO_TCP) {
		p->l4proto = IPPROTO_TCP;
		return parse_tcp(l4, end, p, l4_bytes);
	}
	if (proto == IPPROTO_UDP) {
		if (l4 + sizeof(struct udphdr) > end ||
		    l4_bytes < sizeof(struct udphdr))
			return PARSE_MALFORMED;
		p->l4proto = IPPROTO_UDP;
		return PARSE_OK;
	}
	event_count(SL_EV_L4_OTHER);
	return PARSE_OK;
}

static __always_inline int parse_ipv4(void *data, void *l3, void *end,
				      struct sl_pkt *p)
{
	struct iphdr *ip = l3;
	__u32 hlen, tot;
	__u16 frag;

	if ((void *)(ip + 1) > end)
		return PARSE_MALFORMED;
	if (ip->version != 4 || ip->ihl < sizeof(*ip) / 4)
		return PARSE_MALFORMED;
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	/* The IP length may be shorter than the frame (Ethernet padding),
	 * never longer. */
	if (tot < hlen || l3 + tot > end || l3 + hlen > end)
		return PARSE_MALFORMED;
	if (hlen > sizeof(*ip))
		event_count(SL_EV_IPV4_OPTIONS);

	p->family = SL_AF_INET;
	p->src[0] = ip->saddr;

	frag = bpf_ntohs(ip->frag_off);
	if (frag & IP_OFFSET) {
		p->frag_later = 1;
		event_count(SL_EV_FRAG_LATER);
		return PARSE_OK;
	}
	if (frag & IP_MF)
		event_count(SL_EV_FRAG_FIRST);
	return parse_l4(data, l3 + hlen, end, p, ip->protocol, tot - hlen);
}

static __always_inline int parse_ipv6(void *data, void *l3, void *end,
				      struct sl_pkt *p)
{
	struct ipv6hdr *ip6 = l3;
	void *cur = ip6 + 1;
	__u32 left;
	__u8 nh;

	if (cur > end)
		return PARSE_MALFORMED;
	if (ip6->version != 6)
		return PARSE_MALFORMED;
	left = bpf_ntohs(ip6->payload_len);
	if (cur + left > end)
		return PARSE_MALFORMED;

	p->family = SL_AF_INET6;
	__builtin_memcpy(p->src, &ip6->saddr, 16);
	nh = ip6->nexthdr;

#pragma unroll
	for (int i = 0; i < PARSE_V6_EXT_MAX; i++) {
		__u8 *eh = cur;
		__u32 elen;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_DSTOPTS && nh != IPPROTO_FRAGMENT)
			return parse_l4(data, cur, end, p, nh, left);

		if (i == 0)
			event_count(SL_EV_V6_EXTHDR);
		if ((void *)(eh + IP6_EXT_LEN(0)) > end)
			return PARSE_MALFORMED;
		if (nh == IPPROTO_FRAGMENT) {
			struct ipv6_frag_hdr *fh = cur;

			elen = sizeof(*fh);
			if (bpf_ntohs(fh->frag_off) & IP6_FRAG_OFFSET) {
				p->frag_later = 1;
				event_count(SL_EV_FRAG_LATER);
				return PARSE_OK;
			}
			if (bpf_ntohs(fh->frag_off) & IP6_FRAG_MF)
				event_count(SL_EV_FRAG_FIRST);
		} else {
			elen = IP6_EXT_LEN(eh[1]);
		}
		if (elen > left)
			return PARSE_MALFORMED;
		nh = eh[0];
		cur += elen;
		left -= elen;
	}
	if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	    nh == IPPROTO_DSTOPTS || nh == IPPROTO_FRAGMENT) {
		event_count(SL_EV_V6_EXT_LIMIT);
		return PARSE_MALFORMED;
	}
	return parse_l4(data, cur, end, p, nh, left);
}

/* Fill `p` from the frame.  PARSE_NON_IP for anything that is not IPv4
 * or IPv6 under at most two VLAN tags. */
static __always_inline int parse_packet(const struct pkt_ctx *c,
					struct sl_pkt *p)
{
	void *data = pkt_data(c);
	void *end = pkt_end(c);
	struct ethhdr *eth = data;
	void *cur = eth + 1;
	__u16 proto;

	p->len = end - data;
	if (cur > end)
		return PARSE_MALFORMED;
	proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < PARSE_VLAN_MAX; i++) {
		struct vlan_hdr *vh = cur;

		if (proto != bpf_htons(ETH_P_8021Q) &&
		    proto != bpf_htons(ETH_P_8021AD))
			break;
		if (i == 0)
			event_count(SL_EV_VLAN);
		if ((void *)(vh + 1) > end)
			return PARSE_MALFORMED;
		proto = vh->encap_proto;
		cur = vh + 1;
	}
	/* A third tag is not something a gateway NIC should hand us. */
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
		return PARSE_MALFORMED;

	p->l3_off = cur - data;
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(data, cur, end, p);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(data, cur, end, p);
	return PARSE_NON_IP;
}

#endif /* SLUICE_PARSE_BPF_H */

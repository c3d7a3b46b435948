/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The two answers TC makes of one handed-off request (lib/edge_seg.bpf.h
 * reads it first):
 *
 *   to the client, a copy sent out of the interface it came in on:
 *     reset  RST|ACK, seq = the request's ack, ack = after the request,
 *            no options
 *     http   the template's response with FIN|ACK|PSH, the same numbers,
 *            the request's window, and TCP timestamps when the request
 *            has them (TSval = its TSecr, TSecr = its TSval)
 *   to the server, the frame itself passed up the stack:
 *            RST from the client, seq = the request's seq (the server's
 *            rcv_nxt, so RFC 5961 accepts it), no payload
 *
 * The template's checksum is precomputed (sl_reply.csum); only the
 * retry delay's digits are added, so a longer body costs no more.
 */
#ifndef SLUICE_EDGE_TC_BPF_H
#define SLUICE_EDGE_TC_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sluice_edge.h"
#include "sluice_reply.h"
#include "csum.bpf.h"
#include "edge_seg.bpf.h"
#include "edge_text.bpf.h"
#include "proto.bpf.h"
#include "rewrite.bpf.h"

#define EDGE_TCP_TS_LEN		32	/* 20 + NOP NOP TS */
#define EDGE_CHECK_OFF		16	/* of the checksum in a TCP header */

/* The checksum field of the TCP header at `l4`: `pseudo` is the pseudo
 * header's sum, `rest` that of the segment with the field as zero.  Two
 * helper calls instead of a store, so a frame the stack marked
 * CHECKSUM_PARTIAL (a local sender, a veth) gets only the pseudo sum for
 * the device to finish, and any other the full checksum. */
static __always_inline int edge_csum_set(struct __sk_buff *skb, __u32 l4,
					 __u64 pseudo, __u64 rest)
{
	__u16 zero_sum = 0xffff;

	if (bpf_skb_store_bytes(skb, l4 + EDGE_CHECK_OFF, &zero_sum, 2, 0))
		return -1;
	if (bpf_l4_csum_replace(skb, l4 + EDGE_CHECK_OFF, 0,
				edge_fold(pseudo), BPF_F_PSEUDO_HDR))
		return -1;
	return bpf_l4_csum_replace(skb, l4 + EDGE_CHECK_OFF, 0,
				   edge_fold(rest), 0) ? -1 : 0;
}

/* The template into the payload at `pl`, digits and all; the sum the
 * payload adds to the checksum in *sum. */
static __always_inline int edge_body(struct __sk_buff *skb, __u32 pl,
				     const struct sl_reply *r, __u32 body,
				     __u32 retry_s, __u64 *sum)
{
	struct edge_digits g = {};
	__u32 width = r->width;

	if (bpf_skb_store_bytes(skb, pl, r->text, body, 0))
		return -1;
	*sum = r->csum;
	if (!width || width > SL_REPLY_DIGITS)
		return 0;
	edge_digits(&g, retry_s, width);
#pragma unroll
	for (int i = 0; i < SL_REPLY_FIELDS; i++) {
		__u32 off = r->field_off[i];

		if (i >= r->nfields)
			break;
		if (off + width > body)
			continue;	/* sluiced never writes one */
		if (bpf_skb_store_bytes(skb, pl + off, g.d,
					g.n & (SL_REPLY_DIGITS * 2 - 1), 0))
			return -1;
		*sum += off & 1 ? g.odd : g.even;
	}
	return 0;
}

/* Headers built on the stack and stored with one helper call: no packet
 * pointer to keep valid across the resize, whatever the L2 length. */
struct edge_hdr4 {
	struct iphdr ip;
	struct tcphdr th;
	__u8 opt[EDGE_TCP_TS_LEN - sizeof(struct tcphdr)];
};

struct edge_hdr6 {
	struct ipv6hdr ip6;
	struct tcphdr th;
	__u8 opt[EDGE_TCP_TS_LEN - sizeof(struct tcphdr)];
};

union edge_hdr {
	struct edge_hdr4 v4;
	struct edge_hdr6 v6;
};

/* Swap the frame's Ethernet addresses. */
static __always_inline int edge_mac_swap(struct __sk_buff *skb)
{
	__u8 mac[2 * ETH_ALEN], sw[2 * ETH_ALEN];

	if (bpf_skb_load_bytes(skb, 0, mac, sizeof(mac)))
		return -1;
	__builtin_memcpy(sw, mac + ETH_ALEN, ETH_ALEN);
	__builtin_memcpy(sw + ETH_ALEN, mac, ETH_ALEN);
	return bpf_skb_store_bytes(skb, 0, sw, sizeof(sw), 0) ? -1 : 0;
}

/* The IP header into `h` (reversed when `back`), for `l4_len` bytes of
 * TCP; its TCP header in *th, the pseudo header's sum in *pseudo, the
 * IP header's length returned. */
static __always_inline __u32 edge_ip(union edge_hdr *h,
				     const struct edge_seg *s, int back,
				     __u16 l4_len, struct tcphdr **th,
				     __u64 *pseudo)
{
	if (s->family == SL_AF_INET) {
		*th = &h->v4.th;
		*pseudo = rewrite_ip4(&h->v4.ip, back ? s->daddr[0] : s->saddr[0],
				      back ? s->saddr[0] : s->daddr[0],
				      IPPROTO_TCP, l4_len);
		return sizeof(struct iphdr);
	}
	*th = &h->v6.th;
	*pseudo = rewrite_ip6(&h->v6.ip6, back ? s->daddr : s->saddr,
			      back ? s->saddr : s->daddr, IPPROTO_TCP, l4_len);
	return sizeof(struct ipv6hdr);
}

/* tests/bpf only, 0 as sluiced loads it (the verifier then drops every
 * branch on it).  BPF_PROG_TEST_RUN cannot give an skb metadata, so the
 * record comes in skb->cb, and nothing is sent: the run returns the
 * client's answer (EDGE_TEST_CLIENT) or the server's RST
 * (EDGE_TEST_SERVER). */
#define EDGE_TEST_CLIENT	1
#define EDGE_TEST_SERVER	2
const volatile __u32 edge_test = 0;

/* The client's answer: the frame rewritten and a copy sent back out of
 * the interface (none under edge_test).  *swapped: the Ethernet
 * addresses were swapped. */
__noinline int edge_client(struct __sk_buff *skb, const struct edge_seg *s,
			   const struct sl_edge_meta *m,
			   const struct sl_reply *r, int *swapped)
{
	__u32 l3, l4, tcp_len, body = 0, ip_len, ts, mark;
	union edge_hdr h = {};
	long err;
	struct tcphdr *th;
	__u64 pseudo, sum = 0;

	/* A global function (verified once): every pointer may be NULL. */
	if (!skb || !s || !m || !swapped)
		return -1;
	l3 = s->l3_off;

	/* A RST carries no timestamps (RFC 7323 section 5.2 recommends). */
	ts = s->has_ts && r;
	tcp_len = ts ? EDGE_TCP_TS_LEN : sizeof(struct tcphdr);
	if (r) {
		body = r->len;
		if (!body || body > SL_REPLY_MAX)
			return -1;
	}
	ip_len = edge_ip(&h, s, 1, tcp_len + body, &th, &pseudo);
	l4 = l3 + ip_len;
	if (bpf_skb_change_tail(skb, l4 + tcp_len + body, 0))
		return -1;
	if (r && edge_body(skb, l4 + tcp_len, r, body, m->retry_s, &sum))
		return -1;

	th->source = s->dport;
	th->dest = s->sport;
	th->seq = s->ack_seq;
	th->ack_seq = bpf_htonl(bpf_ntohl(s->seq) + s->payload_len +
				!!(s->flags & TCPF_FIN));
	((__u8 *)th)[TCP_OFF_DOFF] = tcp_len / 4 << TCP_DOFF_SHIFT;
	((__u8 *)th)[TCP_OFF_FLAGS] = r ? TCPF_FIN | TCPF_PSH | TCPF_ACK :
					  TCPF_RST | TCPF_ACK;
	th->window = r ? s->window : 0;
	if (ts) {
		__u8 *o = (void *)(th + 1);

		o[0] = TCPOPT_NOP;
		o[1] = TCPOPT_NOP;
		o[2] = TCPOPT_TS;
		o[3] = TCPOLEN_TS;
		__builtin_memcpy(o + 4, &s->tsecr, 4);
		__builtin_memcpy(o + 8, &s->tsval, 4);
		sum += csum_words(th, EDGE_TCP_TS_LEN / 2);
	} else {
		sum += csum_words(th, sizeof(*th) / 2);
	}
	th->check = 0xffff;	/* edge_csum_set starts from a sum of 0 */
	if (bpf_skb_store_bytes(skb, l3, &h, (ip_len + tcp_len) & 127, 0) ||
	    edge_mac_swap(skb))
		return -1;
	*swapped = 1;
	if (edge_csum_set(skb, l4, pseudo, sum))
		return -1;
	if (edge_test)
		return 0;
	/* The copy carries the mark out (the egress program skips it);
	 * the frame goes on to the server with its own. */
	mark = skb->mark;
	skb->mark = SL_EDGE_MARK;
	err = bpf_clone_redirect(skb, skb->ifindex, 0);
	skb->mark = mark;
	return err ? -1 : 0;
}

/* The frame becomes the server's RST, in the request's direction. */
static __always_inline int edge_server(struct __sk_buff *skb,
				       const struct edge_seg *s, int swapped)
{
	struct rewrite_tcp seg = {};
	union edge_hdr h = {};
	struct tcphdr *th;
	__u32 ip_len;
	__u64 pseudo;

	ip_len = edge_ip(&h, s, 0, sizeof(*th), &th, &pseudo);
	if (bpf_skb_change_tail(skb, s->l3_off + ip_len + sizeof(*th), 0))
		return -1;
	seg.sport = s->sport;
	seg.dport = s->dport;
	seg.seq = s->seq;
	seg.flags = TCPF_RST;
	/* A full checksum: the stack checks it or trusts the frame. */
	rewrite_tcp(th, &seg, pseudo);
	if (bpf_skb_store_bytes(skb, s->l3_off, &h,
				(ip_len + sizeof(*th)) & 127, 0))
		return -1;
	return swapped ? edge_mac_swap(skb) : 0;
}

#endif /* SLUICE_EDGE_TC_BPF_H */

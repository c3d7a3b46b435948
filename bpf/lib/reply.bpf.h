/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Turn a refused TCP segment into a RST to its sender, in place: XDP
 * sends it with XDP_TX, TC will with a redirect.  The reply keeps the
 * Ethernet and VLAN headers (MACs swapped) and gets a fresh option-less
 * IP header and a 20-byte TCP header, so IPv4 options and IPv6
 * extension headers of the original are dropped.  Sequence numbers
 * follow RFC 9293 section 3.10.7.1: if the segment carried an ACK, the
 * RST takes its sequence number from it; otherwise it has sequence 0
 * and acknowledges everything the segment occupied.
 */
#ifndef SLUICE_REPLY_BPF_H
#define SLUICE_REPLY_BPF_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "common.bpf.h"
#include "parse.bpf.h"
#include "pkt_ctx.bpf.h"
#include "proto.bpf.h"
#include "rewrite.bpf.h"

/* The original's addresses, kept across the resize. */
struct reply_addrs {
	__u32 saddr[4];		/* the original's source: the reply's destination */
	__u32 daddr[4];
};

/* Returns 0 with the frame rewritten into the RST, or -1 (the caller
 * drops it). */
static __always_inline int reply_tcp_rst(const struct pkt_ctx *c,
					 const struct sl_pkt *p)
{
	void *data = pkt_data(c);
	void *end = pkt_end(c);
	__u32 l3 = p->l3_off, l4 = p->l4_off, ip_len, new_len;
	struct rewrite_tcp seg = {};
	struct reply_addrs a = {};
	struct ethhdr *eth;
	struct tcphdr *th;
	__u64 pseudo;

	/* Masks as well as checks: the verifier needs the bounds on the
	 * registers it sees, and a RST after a long extension-header chain
	 * is not worth the code (it drops instead). */
	if (l3 > 63 || l4 > 255)
		return -1;
	l3 = BOUNDED(l3, 63);
	th = data + BOUNDED(l4, 255);
	if ((void *)(th + 1) > end)
		return -1;
	/* Never answer a RST with a RST. */
	if (p->tcp_flags & TCPF_RST)
		return -1;
	seg.sport = th->dest;
	seg.dport = th->source;
	if (p->tcp_flags & TCPF_ACK) {
		seg.seq = th->ack_seq;
		seg.ack_seq = 0;
		seg.flags = TCPF_RST;
	} else {
		__u32 occupied = p->payload_len;

		if (p->tcp_flags & TCPF_SYN)
			occupied++;
		if (p->tcp_flags & TCPF_FIN)
			occupied++;
		seg.seq = 0;
		seg.ack_seq = bpf_htonl(bpf_ntohl(th->seq) + occupied);
		seg.flags = TCPF_RST | TCPF_ACK;
	}

	if (p->family == SL_AF_INET) {
		struct iphdr *ip = data + l3;

		if ((void *)(ip + 1) > end)
			return -1;
		a.saddr[0] = ip->saddr;
		a.daddr[0] = ip->daddr;
		ip_len = sizeof(struct iphdr);
	} else {
		struct ipv6hdr *ip6 = data + l3;

		if ((void *)(ip6 + 1) > end)
			return -1;
		__builtin_memcpy(a.saddr, &ip6->saddr, 16);
		__builtin_memcpy(a.daddr, &ip6->daddr, 16);
		ip_len = sizeof(struct ipv6hdr);
	}

	new_len = l3 + ip_len + sizeof(struct tcphdr);
	if (new_len < p->len && pkt_resize(c, p->len, new_len))
		return -1;

	data = pkt_data(c);
	end = pkt_end(c);
	eth = data;
	if ((void *)(eth + 1) > end)
		return -1;
	rewrite_eth_swap(eth);

	if (p->family == SL_AF_INET) {
		struct iphdr *ip = data + l3;

		/* One register for the header: clang may derive it anew
		 * from data, without the bound checked below. */
		asm volatile("" : "+r"(ip));
		th = (void *)(ip + 1);
		if ((void *)(th + 1) > end)
			return -1;
		pseudo = rewrite_ip4(ip, a.daddr[0], a.saddr[0], IPPROTO_TCP,
				     sizeof(*th));
	} else {
		struct ipv6hdr *ip6 = data + l3;

		asm volatile("" : "+r"(ip6));
		th = (void *)(ip6 + 1);
		if ((void *)(th + 1) > end)
			return -1;
		pseudo = rewrite_ip6(ip6, a.daddr, a.saddr, IPPROTO_TCP,
				     sizeof(*th));
	}
	rewrite_tcp(th, &seg, pseudo);
	return 0;
}

#endif /* SLUICE_REPLY_BPF_H */

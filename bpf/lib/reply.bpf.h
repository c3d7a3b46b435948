/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Turn a refused TCP segment into a RST to its sender, in place, for
 * XDP_TX.  The reply keeps the Ethernet and VLAN headers (MACs swapped)
 * and gets a fresh option-less IP header and a 20-byte TCP header, so
 * IPv4 options and IPv6 extension headers of the original are dropped.
 * Sequence numbers follow RFC 9293 section 3.10.7.1: if the segment
 * carried an ACK, the RST takes its sequence number from it; otherwise
 * it has sequence 0 and acknowledges everything the segment occupied.
 */
#ifndef SLUICE_REPLY_BPF_H
#define SLUICE_REPLY_BPF_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "common.bpf.h"
#include "parse.bpf.h"

#define REPLY_TTL	64

static __always_inline __u16 csum_fold32(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Sum of `n` 16-bit words at `p` (already bounds-checked by the caller). */
static __always_inline __u64 csum_words(const __u16 *p, int n)
{
	__u64 sum = 0;

#pragma unroll
	for (int i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

struct reply_tcp {
	__u32 saddr[4];		/* the original's source: the reply's destination */
	__u32 daddr[4];
	__be16 sport, dport;	/* the original's */
	__be32 seq, ack_seq;
	__be32 flags;		/* the reply's flags byte, in the low bits */
};

/* Returns 0 with the frame ready for XDP_TX, or -1 (caller drops). */
static __always_inline int reply_tcp_rst(struct xdp_md *ctx, struct sl_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 l3 = p->l3_off, l4 = p->l4_off, ip_len, new_len;
	struct reply_tcp r = {};
	struct ethhdr *eth;
	struct tcphdr *th;
	__u8 mac[ETH_ALEN];
	__u64 sum;

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
	r.sport = th->source;
	r.dport = th->dest;
	if (p->tcp_flags & TCPF_ACK) {
		r.seq = th->ack_seq;
		r.ack_seq = 0;
		r.flags = 0x04;			/* RST */
	} else {
		__u32 seg = p->payload_len;

		if (p->tcp_flags & TCPF_SYN)
			seg++;
		if (p->tcp_flags & TCPF_FIN)
			seg++;
		r.seq = 0;
		r.ack_seq = bpf_htonl(bpf_ntohl(th->seq) + seg);
		r.flags = 0x14;			/* RST | ACK */
	}

	if (p->family == SL_AF_INET) {
		struct iphdr *ip = data + l3;

		if ((void *)(ip + 1) > end)
			return -1;
		r.saddr[0] = ip->saddr;
		r.daddr[0] = ip->daddr;
		ip_len = sizeof(struct iphdr);
	} else {
		struct ipv6hdr *ip6 = data + l3;

		if ((void *)(ip6 + 1) > end)
			return -1;
		__builtin_memcpy(r.saddr, &ip6->saddr, 16);
		__builtin_memcpy(r.daddr, &ip6->daddr, 16);
		ip_len = sizeof(struct ipv6hdr);
	}

	new_len = l3 + ip_len + sizeof(struct tcphdr);
	if (new_len < p->len &&
	    bpf_xdp_adjust_tail(ctx, (int)new_len - (int)p->len))
		return -1;

	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > end)
		return -1;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);

	if (p->family == SL_AF_INET) {
		struct iphdr *ip = data + l3;

		th = (void *)(ip + 1);
		if ((void *)(th + 1) > end)
			return -1;
		ip->version = 4;
		ip->ihl = 5;
		ip->tos = 0;
		ip->tot_len = bpf_htons(sizeof(*ip) + sizeof(*th));
		ip->id = 0;
		ip->frag_off = bpf_htons(0x4000);	/* DF */
		ip->ttl = REPLY_TTL;
		ip->protocol = IPPROTO_TCP;
		ip->check = 0;
		ip->saddr = r.daddr[0];
		ip->daddr = r.saddr[0];
		ip->check = csum_fold32(csum_words((__u16 *)ip, 10));
		/* Pseudo header: addresses, protocol, TCP length. */
		sum = (r.saddr[0] & 0xffff) + (r.saddr[0] >> 16) +
		      (r.daddr[0] & 0xffff) + (r.daddr[0] >> 16) +
		      bpf_htons(IPPROTO_TCP) + bpf_htons(sizeof(*th));
	} else {
		struct ipv6hdr *ip6 = data + l3;

		th = (void *)(ip6 + 1);
		if ((void *)(th + 1) > end)
			return -1;
		*(__be32 *)ip6 = bpf_htonl(0x60000000);	/* version, no class/label */
		ip6->payload_len = bpf_htons(sizeof(*th));
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = REPLY_TTL;
		__builtin_memcpy(&ip6->saddr, r.daddr, 16);
		__builtin_memcpy(&ip6->daddr, r.saddr, 16);
		sum = bpf_htons(IPPROTO_TCP) + bpf_htons(sizeof(*th));
#pragma unroll
		for (int i = 0; i < 4; i++)
			sum += (r.saddr[i] & 0xffff) + (r.saddr[i] >> 16) +
			       (r.daddr[i] & 0xffff) + (r.daddr[i] >> 16);
	}

	th->source = r.dport;
	th->dest = r.sport;
	th->seq = r.seq;
	th->ack_seq = r.ack_seq;
	((__u8 *)th)[12] = 5 << 4;		/* doff 5, no options */
	((__u8 *)th)[13] = r.flags;
	th->window = 0;
	th->check = 0;
	th->urg_ptr = 0;
	th->check = csum_fold32(sum + csum_words((__u16 *)th, 10));
	return 0;
}

#endif /* SLUICE_REPLY_BPF_H */

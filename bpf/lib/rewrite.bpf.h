/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Header writers for frames the data path sends back: swap the
 * Ethernet addresses, write a fresh option-less IPv4 or IPv6 header
 * from the original's destination to its source, and a TCP segment
 * header, each with its checksum.  They take pointers the caller has
 * bounds-checked against pkt_end(), so they serve XDP and TC alike.
 */
#ifndef SLUICE_REWRITE_BPF_H
#define SLUICE_REWRITE_BPF_H

#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "csum.bpf.h"
#include "proto.bpf.h"

#define REWRITE_TTL	64

/* A TCP segment header to write, ports and numbers in network order. */
struct rewrite_tcp {
	__be16 sport, dport;
	__be32 seq, ack_seq;
	__u8   flags;		/* TCPF_* */
};

/* Back to where the frame came from. */
static __always_inline void rewrite_eth_swap(struct ethhdr *eth)
{
	__u8 mac[ETH_ALEN];

	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
}

/* An option-less IPv4 header, DF set, for `l4_len` bytes of `proto`.
 * Returns the pseudo-header sum for the L4 checksum. */
static __always_inline __u64 rewrite_ip4(struct iphdr *ip, __be32 saddr,
					 __be32 daddr, __u8 proto,
					 __u16 l4_len)
{
	ip->version = 4;
	ip->ihl = sizeof(*ip) / 4;
	ip->tos = 0;
	ip->tot_len = bpf_htons(sizeof(*ip) + l4_len);
	ip->id = 0;
	ip->frag_off = bpf_htons(IP_DF);
	ip->ttl = REWRITE_TTL;
	ip->protocol = proto;
	ip->check = 0;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->check = csum_fold(csum_words(ip, sizeof(*ip) / 2));
	return csum_pseudo_v4(saddr, daddr, proto, l4_len);
}

/* An IPv6 header without extension headers, likewise. */
static __always_inline __u64 rewrite_ip6(struct ipv6hdr *ip6,
					 const __u32 saddr[4],
					 const __u32 daddr[4], __u8 proto,
					 __u16 l4_len)
{
	*(__be32 *)ip6 = bpf_htonl(IP6_VERSION_WORD);
	ip6->payload_len = bpf_htons(l4_len);
	ip6->nexthdr = proto;
	ip6->hop_limit = REWRITE_TTL;
	__builtin_memcpy(&ip6->saddr, saddr, 16);
	__builtin_memcpy(&ip6->daddr, daddr, 16);
	return csum_pseudo_v6(saddr, daddr, proto, l4_len);
}

/* A 20-byte TCP header, window 0, and its checksum over the header and
 * `pseudo` (no payload follows). */
static __always_inline void rewrite_tcp(struct tcphdr *th,
					const struct rewrite_tcp *seg,
					__u64 pseudo)
{
	th->source = seg->sport;
	th->dest = seg->dport;
	th->seq = seg->seq;
	th->ack_seq = seg->ack_seq;
	((__u8 *)th)[TCP_OFF_DOFF] = sizeof(*th) / 4 << TCP_DOFF_SHIFT;
	((__u8 *)th)[TCP_OFF_FLAGS] = seg->flags;
	th->window = 0;
	th->check = 0;
	th->urg_ptr = 0;
	th->check = csum_fold(pseudo + csum_words(th, sizeof(*th) / 2));
}

#endif /* SLUICE_REWRITE_BPF_H */

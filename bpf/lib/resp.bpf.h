/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A response leaving the host, as the TC egress program reads it
 * (bpf/sluice_egress.bpf.c): the segment's connection key, its flags,
 * where its payload starts, and the status line at the start of it.
 *
 * Headers are read in place (a local socket's segment has them in the
 * linear part, GSO or not); the payload's first bytes are copied with
 * bpf_skb_load_bytes, since a local sender keeps its data in page
 * fragments.  A GSO skb holds many segments, and the first segment's
 * payload starts where the skb's does: its status line is read the same
 * way.
 */
#ifndef SLUICE_RESP_BPF_H
#define SLUICE_RESP_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_service.h"
#include "proto.bpf.h"

/* "HTTP/1.x ddd" and the byte after it (SP, or CR/LF with no reason). */
#define RESP_PEEK		13

struct resp_seg {
	struct sl_conn_key key;	/* client = destination, server = source */
	__u32 payload_off;
	__u32 payload_len;
	__u8  flags;		/* TCPF_* */
};

/* Parse the segment: 0, or -1 when it is no TCP segment over IPv4 (not
 * a later fragment) or IPv6 without extension headers. */
static __always_inline int resp_seg_read(struct __sk_buff *skb,
					 struct resp_seg *s)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	void *cur = eth + 1;
	struct tcphdr *th;
	__u32 tot = 0, hlen, l4;
	__u16 proto;

	if (cur > end)
		return -1;
	proto = eth->h_proto;
	/* A tag the device did not take into the skb is in the frame. */
	cur = vlan_skip(cur, end, &proto);
	if (!cur)
		return -1;
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = cur;
		__u32 ihl;

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP ||
		    (ip->frag_off & bpf_htons(IP_OFFSET)))
			return -1;
		ihl = ip->ihl * 4;
		if (ihl < sizeof(*ip))
			return -1;
		/* 0 on a BIG TCP skb past 64 KB: the skb's length holds */
		tot = bpf_ntohs(ip->tot_len);
		if (tot && tot < ihl)
			return -1;
		if (tot)
			tot -= ihl;
		s->key.family = SL_AF_INET;
		__builtin_memcpy(s->key.client, &ip->daddr, 4);
		__builtin_memcpy(s->key.server, &ip->saddr, 4);
		th = cur + (ihl & 63);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = cur;

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_TCP)
			return -1;
		tot = bpf_ntohs(ip6->payload_len);
		s->key.family = SL_AF_INET6;
		__builtin_memcpy(s->key.client, &ip6->daddr, 16);
		__builtin_memcpy(s->key.server, &ip6->saddr, 16);
		th = (void *)(ip6 + 1);
	} else {
		return -1;
	}
	if ((void *)(th + 1) > end)
		return -1;
	l4 = (void *)th - data;
	hlen = th->doff * 4;
	if (hlen < sizeof(*th))
		return -1;
	s->key.client_port = th->dest;
	s->key.server_port = th->source;
	s->flags = ((__u8 *)th)[TCP_OFF_FLAGS];
	s->payload_off = l4 + hlen;
	/* The IP length, where it has one, leaves Ethernet padding out. */
	if (!tot)
		tot = skb->len > l4 ? skb->len - l4 : 0;
	s->payload_len = tot > hlen ? tot - hlen : 0;
	return 0;
}

/* The status of a status line in b[0..RESP_PEEK-1]: 0..999, or -1 when
 * it is none ("HTTP/1.0 " or "HTTP/1.1 ", three digits, then a space or
 * the line's end). */
static __always_inline int resp_status(const __u8 *b)
{
	__u32 d0 = b[9] - '0', d1 = b[10] - '0', d2 = b[11] - '0';
	__u8 after = b[12];

	if (b[0] != 'H' || b[1] != 'T' || b[2] != 'T' || b[3] != 'P' ||
	    b[4] != '/' || b[5] != '1' || b[6] != '.' ||
	    (b[7] != '0' && b[7] != '1') || b[8] != ' ')
		return -1;
	if (d0 > 9 || d1 > 9 || d2 > 9)
		return -1;
	if (after != ' ' && after != '\r' && after != '\n')
		return -1;
	return d0 * 100 + d1 * 10 + d2;
}

/* The segment's status line: its status, or -1.  The first 8 bytes are
 * compared as two words before anything else, so a segment that is not
 * a response costs one copy and two compares. */
static __always_inline int resp_read_status(struct __sk_buff *skb,
					    const struct resp_seg *s)
{
	__u8 b[16] = {};
	__u32 w0, w1;

	if (s->payload_len < RESP_PEEK)
		return -1;
	if (bpf_skb_load_bytes(skb, s->payload_off, b, RESP_PEEK))
		return -1;
	__builtin_memcpy(&w0, b, 4);
	__builtin_memcpy(&w1, b + 4, 4);
	/* "HTTP" and "/1.", byte 7 (the minor version) checked after */
	if (w0 != bpf_htonl(0x48545450) ||
	    (w1 & bpf_htonl(0xffffff00)) != bpf_htonl(0x2f312e00))
		return -1;
	return resp_status(b);
}

/* A status's slots in sl_svc_stats.responses: its class, and its own
 * slot for the individually counted codes (0 when it has none). */
static __always_inline __u32 resp_class(int status)
{
	if (status < 100 || status > 599)
		return SL_SVC_CODE_OTHER;
	return SL_SVC_CODE_1XX + status / 100 - 1;
}

static __always_inline __u32 resp_code(int status)
{
	switch (status) {
	case 429: return SL_SVC_CODE_429;
	case 500: return SL_SVC_CODE_500;
	case 502: return SL_SVC_CODE_502;
	case 503: return SL_SVC_CODE_503;
	case 504: return SL_SVC_CODE_504;
	}
	return 0;
}

/* Its bits among a service's failure mask (SL_SVC_FAIL_*). */
static __always_inline __u32 resp_fail_bits(int status)
{
	static const __u32 code_bit[SL_SVC_CODES] = {
		[SL_SVC_CODE_429] = SL_SVC_FAIL_429,
		[SL_SVC_CODE_500] = SL_SVC_FAIL_500,
		[SL_SVC_CODE_502] = SL_SVC_FAIL_502,
		[SL_SVC_CODE_503] = SL_SVC_FAIL_503,
		[SL_SVC_CODE_504] = SL_SVC_FAIL_504,
	};
	__u32 cls = resp_class(status), code = resp_code(status);
	__u32 bits = 0;

	if (cls != SL_SVC_CODE_OTHER)
		bits = SL_SVC_FAIL_CLASS(cls - SL_SVC_CODE_1XX + 1);
	if (code)
		bits |= code_bit[code % SL_SVC_CODES];
	return bits;
}

/* 1xx but 101: more is to come for the same request.  101 Switching
 * Protocols is the last HTTP answer the connection carries. */
static __always_inline int resp_interim(int status)
{
	return status >= 100 && status <= 199 && status != 101;
}

/* The histogram slot of a latency: the first bound it does not exceed,
 * SL_SVC_LAT_BOUNDS (+Inf) past the last. */
static __always_inline __u32 resp_lat_slot(__u64 lat_ns)
{
	static const __u32 bound_us[SL_SVC_LAT_BOUNDS] = SL_SVC_LAT_BOUNDS_US;
	__u32 slot = SL_SVC_LAT_BOUNDS;

	/* From the top: the compiler keeps every compare a constant. */
#pragma unroll
	for (int i = SL_SVC_LAT_BOUNDS - 1; i >= 0; i--)
		if (lat_ns <= (__u64)bound_us[i] * 1000)
			slot = i;
	return slot;
}

#endif /* SLUICE_RESP_BPF_H */

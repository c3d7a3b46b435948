// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Flood generator for `make bench` (driven by tools/bench/floodgen.c).
 *
 *   bench_gen:  run with BPF_PROG_TEST_RUN in live-frames mode on one end
 *               of a veth pair; gives each frame the next spoofed source
 *               from a per-CPU counter, fixes the checksums incrementally
 *               and sends it out of that veth with XDP_TX.
 *   bench_pass: XDP_PASS, nothing else.  Attached where a veth must take
 *               XDP frames (the peer needs NAPI for ndo_xdp_xmit) but the
 *               packets belong to the stack: the netfilter peers, the
 *               client side of the load tests.
 *
 * Sources: index i < gen_n1 is gen_base1 + i, the rest gen_base2 + i -
 * gen_n1 (host order; userspace picks the blocks, see flood.sh).  IPv6
 * frames (gen_v6) take the same sequence in the upper 64 bits of the
 * source, gen6_base1/gen6_base2: one source per /64.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 gen_nsrc = 1;	/* distinct sources, >= 1 */
const volatile __u32 gen_base1;
const volatile __u32 gen_n1 = 1;
const volatile __u32 gen_base2;
const volatile __u32 gen_v6;		/* IPv6 frames */
const volatile __u64 gen6_base1;	/* upper 64 bits of the source */
const volatile __u64 gen6_base2;
/* Offset of the L4 checksum from the IP header, 0 for none (IPv4 UDP
 * sent with checksum 0): the pseudo-header holds the source address. */
const volatile __u32 gen_l4_csum_off;
/* Pacing: at most one frame per gen_gap_ns on each CPU; the frames in
 * between are dropped, which costs the generator little and the receiver
 * nothing.  0: send every frame. */
const volatile __u64 gen_gap_ns;

struct gen_state {
	__u64 next;		/* source index; userspace spreads the starts */
	__u64 due;		/* pacing: when the next frame may leave */
	__u32 first;		/* where the sequence starts again past the end */
	__u32 stride;		/* 1: every source; the CPU count: every nth */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gen_state);
} gen_next SEC(".maps");

/* RFC 1624 incremental update for a 32-bit field; every value is taken
 * as stored, so byte order does not matter. */
static __always_inline void csum_replace4(__u16 *sum, __u32 from, __u32 to)
{
	__u32 s = (__u16)~*sum;

	s += (~from & 0xffff) + (~from >> 16) + (to & 0xffff) + (to >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	*sum = ~s;
}

/* The L4 checksum, where the frame has one: after a source word changed. */
static __always_inline int l4_fix(void *ip, void *end, __u32 from, __u32 to)
{
	__u16 *l4sum;

	if (!gen_l4_csum_off)
		return 0;
	l4sum = ip + (gen_l4_csum_off & 0xff);
	if ((void *)(l4sum + 1) > end)
		return -1;
	csum_replace4(l4sum, from, to);
	return 0;
}

static __always_inline int gen_set4(struct iphdr *ip, void *end, __u32 idx)
{
	__u32 src, old;

	if ((void *)(ip + 1) > end)
		return XDP_DROP;
	src = idx < gen_n1 ? gen_base1 + idx : gen_base2 + (idx - gen_n1);
	src = bpf_htonl(src);
	/* A recycled page may hold the previous frame or the original:
	 * update from whatever the frame carries now. */
	old = ip->saddr;
	if (old == src)
		return XDP_TX;
	ip->saddr = src;
	csum_replace4(&ip->check, old, src);
	return l4_fix(ip, end, old, src) ? XDP_DROP : XDP_TX;
}

static __always_inline int gen_set6(struct ipv6hdr *ip6, void *end, __u32 idx)
{
	__u64 hi = idx < gen_n1 ? gen6_base1 + idx : gen6_base2 + (idx - gen_n1);
	__u32 w0 = bpf_htonl(hi >> 32), w1 = bpf_htonl((__u32)hi), o0, o1;

	if ((void *)(ip6 + 1) > end)
		return XDP_DROP;
	o0 = ip6->saddr.in6_u.u6_addr32[0];
	o1 = ip6->saddr.in6_u.u6_addr32[1];
	if (o0 == w0 && o1 == w1)
		return XDP_TX;
	ip6->saddr.in6_u.u6_addr32[0] = w0;
	ip6->saddr.in6_u.u6_addr32[1] = w1;
	if (l4_fix(ip6, end, o0, w0) || l4_fix(ip6, end, o1, w1))
		return XDP_DROP;
	return XDP_TX;
}

SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	void *ip = data + sizeof(struct ethhdr);
	struct gen_state *st;
	__u32 zero = 0, idx;

	st = bpf_map_lookup_elem(&gen_next, &zero);
	if (!st)
		return XDP_DROP;
	if (gen_gap_ns) {
		__u64 now = bpf_ktime_get_ns();

		if ((__s64)(now - st->due) < 0)
			return XDP_DROP;
		/* Behind by more than a millisecond: do not burst. */
		st->due = (__s64)(now - st->due) > 1000000 ? now : st->due;
		st->due += gen_gap_ns;
	}
	idx = st->next;
	if (idx >= gen_nsrc)
		idx = st->first;
	st->next = idx + (st->stride ?: 1);
	if (gen_v6)
		return gen_set6(ip, end, idx);
	return gen_set4(ip, end, idx);
}

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

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
 * gen_n1 (host order; userspace picks the blocks, see run.sh).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 gen_nsrc = 1;	/* distinct sources, >= 1 */
const volatile __u32 gen_base1;
const volatile __u32 gen_n1 = 1;
const volatile __u32 gen_base2;
/* Offset of the L4 checksum from the IP header, 0 for none (UDP sent
 * with checksum 0): the pseudo-header holds the source address. */
const volatile __u32 gen_l4_csum_off;

/* Next source index per CPU; userspace spreads the starting points. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
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

SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u32 zero = 0, idx, src, old;
	__u64 *next;
	__u16 *l4sum;

	if ((void *)(ip + 1) > end)
		return XDP_DROP;
	next = bpf_map_lookup_elem(&gen_next, &zero);
	if (!next)
		return XDP_DROP;
	idx = *next;
	if (idx >= gen_nsrc)
		idx = 0;
	*next = idx + 1;
	src = idx < gen_n1 ? gen_base1 + idx : gen_base2 + (idx - gen_n1);
	src = bpf_htonl(src);

	/* A recycled page may hold the previous frame or the original:
	 * update from whatever the frame carries now. */
	old = ip->saddr;
	if (old == src)
		return XDP_TX;
	ip->saddr = src;
	csum_replace4(&ip->check, old, src);
	if (gen_l4_csum_off) {
		l4sum = (void *)ip + (gen_l4_csum_off & 0xff);
		if ((void *)(l4sum + 1) > end)
			return XDP_DROP;
		csum_replace4(l4sum, old, src);
	}
	return XDP_TX;
}

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

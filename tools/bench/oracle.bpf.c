// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The mixed floods' oracle: passes exactly the sources the bench admits
 * and drops the rest, with no state at all (its config globals, no
 * maps).  What a limiter could at best do with the same packets: drop
 * the same share at XDP, pass the same share to the stack.
 *
 * Admitted: source in [lo, hi) of one of two ranges, IPv4 addresses in
 * host order, IPv6 sources by the upper 64 bits (their /64), as floodgen
 * --mixed computes them from the generator's sequence.  Everything else
 * that parses is dropped; what does not parse (ARP, say) passes.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 oracle4_lo[2], oracle4_hi[2];
const volatile __u64 oracle6_lo[2], oracle6_hi[2];

static __always_inline int oracle_verdict(__u64 v, const volatile __u64 *lo,
					  const volatile __u64 *hi)
{
	if ((v >= lo[0] && v < hi[0]) || (v >= lo[1] && v < hi[1]))
		return XDP_PASS;
	return XDP_DROP;
}

SEC("xdp")
int oracle(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 v;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end)
			return XDP_PASS;
		return oracle_verdict(bpf_ntohl(ip->saddr), oracle4_lo,
				      oracle4_hi);
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return XDP_PASS;
		v = (__u64)bpf_ntohl(ip6->saddr.in6_u.u6_addr32[0]) << 32 |
		    bpf_ntohl(ip6->saddr.in6_u.u6_addr32[1]);
		return oracle_verdict(v, oracle6_lo, oracle6_hi);
	}
	return XDP_PASS;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Benchmark baselines, built and measured beside sluice in one run:
 *   sl_base_lookup: read the clock and do one hash lookup (the floor a
 *                   per-client limiter cannot go under);
 *   sl_base_drop:   XDP_DROP, nothing else (the flood ceiling).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct sl_client_key);
	__type(value, struct sl_client);
} sl_base_map SEC(".maps");

volatile __u64 sl_base_sink;

SEC("xdp")
int sl_base_lookup(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct sl_client_key k = { .family = SL_AF_INET };
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct sl_client *c;
	__u64 now = bpf_ktime_get_ns();

	/* The key comes from the packet, as any per-client limiter's must. */
	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	k.addr[0] = ip->saddr;
	c = bpf_map_lookup_elem(&sl_base_map, &k);
	if (c)
		sl_base_sink = now - c->tat[0];
	return XDP_PASS;
}

SEC("xdp")
int sl_base_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Attached by tools/lab to p-gw, the switch side of the gateway's veth.
 * A veth hands XDP_TX frames to its peer's ring but only kicks the peer's
 * NAPI when the peer has an XDP program; without this one the RSTs that
 * sluice sends with XDP_TX sit in the ring until unrelated traffic
 * flushes them, long after the client gave up.  (GRO on the peer enables
 * the ring but not the kick.)
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int lab_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

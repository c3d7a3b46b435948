/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The packet as XDP and TC both see it: data, data_end and a resize, so
 * the parser and the reply builder are written once for both hooks.
 *
 * The hook is a field, not a type, but every context is made by
 * pkt_ctx_xdp() or pkt_ctx_skb() in the program's entry function and
 * only passed to inline functions: the compiler sees a constant and
 * keeps one branch, so an XDP program carries no TC helper call (the
 * verifier would refuse bpf_skb_change_tail there) and no extra test.
 */
#ifndef SLUICE_PKT_CTX_BPF_H
#define SLUICE_PKT_CTX_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum pkt_hook {
	PKT_HOOK_XDP,
	PKT_HOOK_TC,
};

struct pkt_ctx {
	void *ctx;		/* struct xdp_md or struct __sk_buff */
	enum pkt_hook hook;
};

static __always_inline struct pkt_ctx pkt_ctx_xdp(struct xdp_md *ctx)
{
	return (struct pkt_ctx){ .ctx = ctx, .hook = PKT_HOOK_XDP };
}

static __always_inline struct pkt_ctx pkt_ctx_skb(struct __sk_buff *skb)
{
	return (struct pkt_ctx){ .ctx = skb, .hook = PKT_HOOK_TC };
}

/* Start of the frame (the Ethernet header).  Every packet pointer is
 * stale after pkt_resize(): read these again. */
static __always_inline void *pkt_data(const struct pkt_ctx *c)
{
	if (c->hook == PKT_HOOK_TC)
		return (void *)(long)((struct __sk_buff *)c->ctx)->data;
	return (void *)(long)((struct xdp_md *)c->ctx)->data;
}

static __always_inline void *pkt_end(const struct pkt_ctx *c)
{
	if (c->hook == PKT_HOOK_TC)
		return (void *)(long)((struct __sk_buff *)c->ctx)->data_end;
	return (void *)(long)((struct xdp_md *)c->ctx)->data_end;
}

/* Make the frame `len` bytes long; `cur` is its length now.  Bytes past
 * the old end are undefined.  Returns 0 or a negative errno. */
static __always_inline int pkt_resize(const struct pkt_ctx *c, __u32 cur,
				      __u32 len)
{
	if (c->hook == PKT_HOOK_TC)
		return bpf_skb_change_tail(c->ctx, len, 0);
	if (len == cur)
		return 0;
	return bpf_xdp_adjust_tail(c->ctx, (int)len - (int)cur);
}

#endif /* SLUICE_PKT_CTX_BPF_H */

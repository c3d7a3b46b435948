// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sluice TC ingress: the edge answers XDP cannot send alone.
 *
 * The XDP limiter passes a refused request on with a record in the
 * frame's metadata (include/sluice_edge.h, bpf/lib/edge.bpf.h).  Here
 * the client gets its answer (a RST, or an HTTP reply from sl_replies)
 * as a copy out of the same interface, and the frame itself becomes a
 * RST to the local server socket, so no server holds a connection
 * whose client was turned away (lib/edge_tc.bpf.h).  Every frame
 * without the record passes untouched.
 *
 * It shares the limiter's maps (sluiced loads it with the XDP object's
 * map fds) and is attached with a TCX link pinned next to them.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "sluice_edge.h"
#include "sluice_reply.h"
#include "lib/common.bpf.h"
#include "lib/counters.bpf.h"
#include "lib/edge_seg.bpf.h"
#include "lib/edge_tc.bpf.h"
#include "lib/maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The record XDP left, copied out; 0 when there is none. */
static __always_inline int edge_meta(struct __sk_buff *skb,
				     struct sl_edge_meta *m)
{
	void *meta = (void *)(long)skb->data_meta;
	void *data = (void *)(long)skb->data;

	if (edge_test) {
		/* Whole-word loads, the only ctx access the verifier allows:
		 * the barriers keep clang from merging this copy with the one
		 * below into byte loads through one pointer. */
		__u32 w[4];

#pragma unroll
		for (int i = 0; i < 4; i++) {
			w[i] = skb->cb[i];
			KEEP_APART(w[i], "edge_test");
		}
		__builtin_memcpy(m, w, sizeof(*m));
		return 1;
	}
	if (meta + sizeof(*m) > data)
		return 0;
	__builtin_memcpy(m, meta, sizeof(*m));
	return 1;
}

static __always_inline const struct sl_reply *edge_reply(__u32 slot)
{
	const struct sl_reply *r;

	if (slot >= SL_REPLY_SLOTS)
		return NULL;
	r = bpf_map_lookup_elem(&sl_replies, &slot);
	if (!r || !r->len || r->len > SL_REPLY_MAX)
		return NULL;
	return r;
}

SEC("tc")
int sluice_tc(struct __sk_buff *skb)
{
	const struct sl_reply *r = NULL;
	struct edge_seg s = {};
	struct sl_edge_meta m;
	int swapped = 0;

	if (!edge_meta(skb, &m) || m.magic != SL_EDGE_MAGIC)
		return TC_ACT_OK;	/* someone else's metadata */
	/* Ours, for a segment XDP refused: never let it through. */
	if (edge_seg_read(skb, &s) || s.seq != m.seq) {
		event_count(SL_EV_EDGE_SERVER_FAIL);
		return TC_ACT_SHOT;
	}
	if (m.kind == SL_EDGE_HTTP) {
		r = edge_reply(m.slot);
		if (!r)
			event_count(SL_EV_EDGE_NO_REPLY);
	}
	if (edge_client(skb, &s, &m, r, &swapped))
		event_count(SL_EV_EDGE_CLIENT_FAIL);
	else if (r)
		edge_status_count(m.tier, r->status);
	if (edge_test == EDGE_TEST_CLIENT)
		return TC_ACT_OK;
	if (edge_server(skb, &s, swapped)) {
		event_count(SL_EV_EDGE_SERVER_FAIL);
		return TC_ACT_SHOT;
	}
	return TC_ACT_OK;
}

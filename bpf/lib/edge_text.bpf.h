/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the two builders of an HTTP edge answer share (TC's for a
 * request on a server's connection, lib/edge_tc.bpf.h; XDP's for a
 * connection the edge answers itself, lib/edge_conn.bpf.h): the retry
 * delay written into a template as digits with what they add to its
 * checksum, and the count of answers by tier and status.
 */
#ifndef SLUICE_EDGE_TEXT_BPF_H
#define SLUICE_EDGE_TEXT_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_edge.h"
#include "sluice_reply.h"
#include "csum.bpf.h"
#include "maps.bpf.h"

/* The retry delay as text, and what it adds to the template's sum at
 * an even or an odd offset. */
struct edge_digits {
	__u8  d[SL_REPLY_DIGITS];
	__u32 n;
	__u64 even, odd;
};

static __always_inline __u32 edge_fold(__u64 sum)
{
	return ~csum_fold(sum) & 0xffff;
}

/* `v` clamped to `width` digits, written left-aligned. */
static __always_inline void edge_digits(struct edge_digits *g, __u32 v,
					__u32 width)
{
	__u64 max = 9, t;
	__u32 n = 1;

#pragma unroll
	for (int i = 1; i < SL_REPLY_DIGITS; i++)
		if (i < width)
			max = max * 10 + 9;
	if (v > max)
		v = max;
	t = v;
#pragma unroll
	for (int i = 1; i < SL_REPLY_DIGITS; i++)
		if (t >= 10) {
			t /= 10;
			n++;
		}
	g->n = n;
	g->even = g->odd = 0;
#pragma unroll
	for (int i = SL_REPLY_DIGITS - 1; i >= 0; i--) {
		__u8 c;

		if (i >= n)
			continue;
		c = '0' + v % 10;
		v /= 10;
		g->d[i] = c;
		/* Bytes at even offsets are the low half of their word. */
		g->even += (__u64)(c - ' ') << ((i & 1) * 8);
		g->odd += (__u64)(c - ' ') << (((i + 1) & 1) * 8);
	}
}

/* One more request of tier `tier` answered with `status`. */
static __always_inline void edge_status_count(__u32 tier, __u32 status)
{
	struct sl_edge_status_key k = { .tier = tier, .status = status };
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&sl_edge_status, &k);
	if (v) {
		*v += 1;
		return;
	}
	/* Another CPU may have made the key meanwhile: count into it.  A
	 * full map (more statuses than any config makes) counts nothing. */
	if (bpf_map_update_elem(&sl_edge_status, &k, &one, BPF_NOEXIST)) {
		v = bpf_map_lookup_elem(&sl_edge_status, &k);
		if (v)
			*v += 1;
	}
}

#endif /* SLUICE_EDGE_TEXT_BPF_H */

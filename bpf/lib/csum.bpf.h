/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Internet checksums (RFC 1071) computed from scratch, for headers the
 * data path writes itself.  Sums are of 16-bit words as they lie in
 * memory, so they come out in network order with no byte swaps; a
 * 64-bit accumulator defers every carry to csum_fold().
 */
#ifndef SLUICE_CSUM_BPF_H
#define SLUICE_CSUM_BPF_H

#include <linux/types.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* The checksum field for a sum: folded to 16 bits, complemented. */
static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Sum of `n` 16-bit words at `p` (bounds-checked by the caller). */
static __always_inline __u64 csum_words(const void *p, int n)
{
	const __u16 *w = p;
	__u64 sum = 0;

#pragma unroll
	for (int i = 0; i < n; i++)
		sum += w[i];
	return sum;
}

/* Both halves of a network-order 32-bit word. */
static __always_inline __u64 csum_word32(__u32 w)
{
	return (w & 0xffff) + (w >> 16);
}

/* IPv4 pseudo header: addresses, protocol, L4 length. */
static __always_inline __u64 csum_pseudo_v4(__be32 saddr, __be32 daddr,
					    __u8 proto, __u16 l4_len)
{
	return csum_word32(saddr) + csum_word32(daddr) + bpf_htons(proto) +
	       bpf_htons(l4_len);
}

/* IPv6 pseudo header (RFC 8200 section 8.1), the same in 16-bit sums. */
static __always_inline __u64 csum_pseudo_v6(const __u32 saddr[4],
					    const __u32 daddr[4], __u8 proto,
					    __u16 l4_len)
{
	__u64 sum = bpf_htons(proto) + bpf_htons(l4_len);

#pragma unroll
	for (int i = 0; i < 4; i++)
		sum += csum_word32(saddr[i]) + csum_word32(daddr[i]);
	return sum;
}

#endif /* SLUICE_CSUM_BPF_H */

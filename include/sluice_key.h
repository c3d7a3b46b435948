/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Client keys, the one rule for the XDP program and userspace: a
 * client is its source address masked to its tier's key prefix for the
 * address family.  Pure inline functions over network-order words, so
 * sluicectl's `client` finds the entry the program made.
 */
#ifndef SLUICE_KEY_H
#define SLUICE_KEY_H

#include <linux/types.h>

#include "sluice_abi.h"

#ifndef SL_INLINE
#define SL_INLINE static inline __attribute__((always_inline))
#endif

/* Host to network order, without libc or bpf_endian.h. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SL_KEY_HTONL(x)	__builtin_bswap32(x)
#else
#define SL_KEY_HTONL(x)	(x)
#endif

/* Network-order mask of the first `bits` bits of a 32-bit word: none
 * for bits <= 0, all of it for bits >= 32. */
SL_INLINE __u32 sl_mask_word(int bits)
{
	if (bits >= 32)
		return 0xffffffff;
	if (bits <= 0)
		return 0;
	return SL_KEY_HTONL(~0U << (32 - bits));
}

/* out[i] = in[i] masked to the address's first `len` bits, for the
 * first `words` words (1 for IPv4, 4 for IPv6); out[words..3] are left
 * as they are.  `out` may be `in`. */
SL_INLINE void sl_addr_mask(__u32 out[4], const __u32 in[4], int words,
			    int len)
{
#ifdef __clang__
#pragma unroll
#endif
	for (int i = 0; i < 4; i++)
		if (i < words)
			out[i] = in[i] & sl_mask_word(len - 32 * i);
}

/* The key prefix length of tier `t` for `family`. */
SL_INLINE int sl_key_prefix(const struct sl_tier *t, __u8 family)
{
	return family == SL_AF_INET ? t->v4_prefix : t->v6_prefix;
}

/* The key of source `src` (network order, IPv4 in src[0]) in tier `t`
 * with id `tier`.  `k` must start zeroed: padding and the unused words
 * of an IPv4 key are part of the hash.  A branch per family, so each
 * masks only its own words. */
SL_INLINE void sl_key_make(struct sl_client_key *k, const __u32 src[4],
			   __u8 family, const struct sl_tier *t, __u32 tier)
{
	k->family = family;
	k->tier = tier;
	if (family == SL_AF_INET)
		sl_addr_mask(k->addr, src, 1, sl_key_prefix(t, SL_AF_INET));
	else
		sl_addr_mask(k->addr, src, 4, sl_key_prefix(t, SL_AF_INET6));
}

#endif /* SLUICE_KEY_H */

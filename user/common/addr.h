/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * IPv4/IPv6 addresses and prefixes as the config and the CLI write them:
 * "198.18.0.0/15", "2001:2::/48", or a plain address (a /32 or /128).
 */
#ifndef SLUICE_ADDR_H
#define SLUICE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sluice_abi.h"

/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128" and a NUL. */
#define ADDR_STR_MAX	50

struct cfg_prefix {
	uint8_t family;		/* SL_AF_INET or SL_AF_INET6 */
	uint8_t len;		/* prefix length */
	uint8_t addr[16];	/* network order; IPv4 uses addr[0..3], rest zero */
};

/* Parse "ADDR" or "ADDR/LEN".  A plain address gets the full length.
 * Host bits are kept as written: check with addr_is_masked().
 * Returns 0 or -EINVAL. */
int addr_parse(const char *s, struct cfg_prefix *p);

/* Address bits of the family: 32 or 128. */
static inline int addr_bits(const struct cfg_prefix *p)
{
	return p->family == SL_AF_INET ? 32 : 128;
}

/* Set the prefix length to `len` (capped at the family's bits) and clear
 * every bit past it: a client address becomes its key, a prefix with
 * host bits its network. */
void addr_mask(struct cfg_prefix *p, int len);

/* No bit set past the prefix length? */
bool addr_is_masked(const struct cfg_prefix *p);

/* Same family, length and address bits? */
bool addr_equal(const struct cfg_prefix *a, const struct cfg_prefix *b);

/* Does prefix `net` cover `p` (same family, net->len <= p->len)? */
bool addr_contains(const struct cfg_prefix *net, const struct cfg_prefix *p);

/* "198.18.0.0/15" into buf (ADDR_STR_MAX bytes suffice); with_len = 0
 * leaves out the "/LEN".  Returns buf. */
char *addr_format(const struct cfg_prefix *p, bool with_len, char *buf,
		  size_t size);

#endif /* SLUICE_ADDR_H */

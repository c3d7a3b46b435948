/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The parser's contract written down again in plain C, for the fuzz to
 * hold the program to: which frames are malformed, which are not IP, and
 * for the rest the source address and the tier it classifies into.
 */
#ifndef SLUICE_TEST_REFPARSE_H
#define SLUICE_TEST_REFPARSE_H

#include <linux/types.h>

enum ref_class { REF_IP, REF_NON_IP, REF_MALFORMED };

struct ref_src {
	int  family;		/* 4 or 6; 0 unless REF_IP */
	__u8 addr[16];		/* network order; IPv4 in the first 4 bytes */
};

/* enum ref_class of a frame; the source goes to *src (if not NULL). */
int ref_parse(const __u8 *b, __u32 len, struct ref_src *src);

struct ref_prefix {
	int  family;		/* 4 or 6 */
	__u8 addr[16];
	int  len;
	__u32 tier;
};

/* "198.18.1.0/24" -> *p; 0 or -EINVAL. */
int ref_prefix_parse(struct ref_prefix *p, const char *cidr, __u32 tier);
/* Longest match over p[0..n-1], as sl_pfx_v4/v6 do, else `dflt`. */
__u32 ref_classify(const struct ref_prefix *p, int n,
		   const struct ref_src *src, __u32 dflt);

#endif /* SLUICE_TEST_REFPARSE_H */

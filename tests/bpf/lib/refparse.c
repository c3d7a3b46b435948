// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "refparse.h"

#define ETH_HLEN	14

static __u16 be16(const __u8 *b)
{
	return b[0] << 8 | b[1];
}

static int ref_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_DSTOPTS || nh == IPPROTO_FRAGMENT;
}

/* L4 at `l4`, with `bytes` of it by the IP length fields. */
static int ref_l4(const __u8 *b, __u32 len, __u32 l4, __u8 proto,
		  __u32 bytes)
{
	__u32 hl;

	if (proto == IPPROTO_TCP) {
		if (l4 + 20 > len)
			return REF_MALFORMED;
		hl = (b[l4 + 12] >> 4) * 4;
		return hl < 20 || hl > bytes || l4 + hl > len ?
		       REF_MALFORMED : REF_IP;
	}
	if (proto == IPPROTO_UDP)
		return l4 + 8 > len || bytes < 8 ? REF_MALFORMED : REF_IP;
	return REF_IP;
}

static int ref_ipv6(const __u8 *b, __u32 len, __u32 off)
{
	__u32 cur = off + 40, left, elen;
	__u8 nh;

	if (off + 40 > len || b[off] >> 4 != 6)
		return REF_MALFORMED;
	left = be16(b + off + 4);
	if (cur + left > len)
		return REF_MALFORMED;
	nh = b[off + 6];
	for (int i = 0; i < 6 && ref_ext(nh); i++) {
		if (cur + 8 > len)
			return REF_MALFORMED;
		if (nh == IPPROTO_FRAGMENT && (be16(b + cur + 2) & 0xfff8))
			return REF_IP;		/* non-first fragment */
		elen = nh == IPPROTO_FRAGMENT ? 8 : (b[cur + 1] + 1) * 8;
		if (elen > left)
			return REF_MALFORMED;
		nh = b[cur];
		cur += elen;
		left -= elen;
	}
	return ref_ext(nh) ? REF_MALFORMED : ref_l4(b, len, cur, nh, left);
}

static int ref_ipv4(const __u8 *b, __u32 len, __u32 off)
{
	__u32 hlen, tot;

	if (off + 20 > len || b[off] >> 4 != 4 || (b[off] & 15) < 5)
		return REF_MALFORMED;
	hlen = (b[off] & 15) * 4;
	tot = be16(b + off + 2);
	if (tot < hlen || off + tot > len)
		return REF_MALFORMED;
	if (be16(b + off + 6) & 0x1fff)
		return REF_IP;			/* non-first fragment */
	return ref_l4(b, len, off + hlen, b[off + 9], tot - hlen);
}

int ref_parse(const __u8 *b, __u32 len, struct ref_src *src)
{
	__u32 off = ETH_HLEN;
	__u16 type = be16(b + 12);
	int class;

	if (src)
		memset(src, 0, sizeof(*src));
	for (int i = 0; i < 3 && (type == 0x8100 || type == 0x88a8); i++) {
		if (i == 2 || off + 4 > len)
			return REF_MALFORMED;	/* a third tag, or a cut one */
		type = be16(b + off + 2);
		off += 4;
	}
	if (type == 0x86dd) {
		class = ref_ipv6(b, len, off);
		if (class == REF_IP && src) {
			src->family = 6;
			memcpy(src->addr, b + off + 8, 16);
		}
		return class;
	}
	if (type != 0x0800)
		return REF_NON_IP;
	class = ref_ipv4(b, len, off);
	if (class == REF_IP && src) {
		src->family = 4;
		memcpy(src->addr, b + off + 12, 4);
	}
	return class;
}

int ref_prefix_parse(struct ref_prefix *p, const char *cidr, __u32 tier)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;

	memset(p, 0, sizeof(*p));
	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	p->family = strchr(buf, ':') ? 6 : 4;
	p->len = atoi(slash + 1);
	p->tier = tier;
	if (p->len < 0 || p->len > (p->family == 4 ? 32 : 128) ||
	    inet_pton(p->family == 4 ? AF_INET : AF_INET6, buf, p->addr) != 1)
		return -EINVAL;
	return 0;
}

static int prefix_has(const struct ref_prefix *p, const __u8 *addr)
{
	for (int bit = 0; bit < p->len; bit++) {
		__u8 m = 0x80 >> (bit % 8);

		if ((p->addr[bit / 8] & m) != (addr[bit / 8] & m))
			return 0;
	}
	return 1;
}

__u32 ref_classify(const struct ref_prefix *p, int n,
		   const struct ref_src *src, __u32 dflt)
{
	int best = -1;

	for (int i = 0; i < n; i++)
		if (p[i].family == src->family && prefix_has(&p[i], src->addr) &&
		    (best < 0 || p[i].len > p[best].len))
			best = i;
	return best < 0 ? dflt : p[best].tier;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "sluice_key.h"

int addr_parse(const char *s, struct cfg_prefix *p)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	int len = -1;

	memset(p, 0, sizeof(*p));
	if (!alen || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = SL_AF_INET;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = SL_AF_INET6;
	else
		return -EINVAL;

	if (slash) {
		const char *d = slash + 1;

		/* Digits only, no sign or spaces as strtol would allow. */
		if (!*d || strlen(d) > 3)
			return -EINVAL;
		for (len = 0; *d; d++) {
			if (*d < '0' || *d > '9')
				return -EINVAL;
			len = len * 10 + (*d - '0');
		}
		if (len > addr_bits(p))
			return -EINVAL;
	}
	p->len = len < 0 ? addr_bits(p) : len;
	return 0;
}

void addr_mask(struct cfg_prefix *p, int len)
{
	int bits = addr_bits(p);
	__u32 w[4];

	if (len > bits)
		len = bits;
	if (len < 0)
		len = 0;
	p->len = len;
	/* The XDP program's rule (sluice_key.h), so a masked address is
	 * the key it makes; IPv4's zero words stay zero. */
	memcpy(w, p->addr, sizeof(w));
	sl_addr_mask(w, w, 4, len);
	memcpy(p->addr, w, sizeof(w));
}

bool addr_is_masked(const struct cfg_prefix *p)
{
	struct cfg_prefix m = *p;

	addr_mask(&m, p->len);
	return !memcmp(m.addr, p->addr, sizeof(m.addr));
}

bool addr_equal(const struct cfg_prefix *a, const struct cfg_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

bool addr_contains(const struct cfg_prefix *net, const struct cfg_prefix *p)
{
	struct cfg_prefix a = *net, b = *p;

	if (a.family != b.family || a.len > b.len)
		return false;
	addr_mask(&a, net->len);
	addr_mask(&b, net->len);
	return !memcmp(a.addr, b.addr, sizeof(a.addr));
}

char *addr_format(const struct cfg_prefix *p, bool with_len, char *buf,
		  size_t size)
{
	char a[INET6_ADDRSTRLEN];
	int af = p->family == SL_AF_INET ? AF_INET : AF_INET6;

	if (!inet_ntop(af, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (with_len)
		snprintf(buf, size, "%s/%u", a, p->len);
	else
		snprintf(buf, size, "%s", a);
	return buf;
}

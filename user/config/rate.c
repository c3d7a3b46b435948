// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The rate grammar (rate.h): parsing and formatting rates. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/rate.h"
#include "config/config.h"

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Size units for bytes meters: decimal SI for k/M/G, binary for the
 * i forms; bits are an eighth of a byte. */
static const struct {
	const char *s;
	uint64_t mult, bits;
} size_units[] = {
	{ "B", 1, 1 },			{ "bit", 1, 8 },
	{ "kB", 1000, 1 },		{ "KB", 1000, 1 },
	{ "MB", 1000000, 1 },		{ "GB", 1000000000, 1 },
	{ "KiB", 1ULL << 10, 1 },	{ "MiB", 1ULL << 20, 1 },
	{ "GiB", 1ULL << 30, 1 },
	{ "kbit", 1000, 8 },		{ "Kbit", 1000, 8 },
	{ "Mbit", 1000000, 8 },		{ "Gbit", 1000000000, 8 },
	{ "Kibit", 1ULL << 10, 8 },	{ "Mibit", 1ULL << 20, 8 },
	{ "Gibit", 1ULL << 30, 8 },
};

/*
 * "10", "10/s", "600/m", "3600/h", "0.5/s"; with `bytes` also "10Mbit/s",
 * "1MB/s", "64KiB/s".  Kept exact as count per period: only the factors
 * the notation adds (10^decimals, 8 bits) are reduced, so 600/m stays
 * 600 per 60 s.  Returns 0, -EINVAL (syntax, zero), -EPROTO (size unit
 * on a meter that does not count bytes) or -ERANGE.
 */
int rate_parse(const char *s, bool bytes, uint64_t *count,
		      uint64_t *period_ns)
{
	uint64_t m = 0, den = 1, mult = 1, per = SL_NSEC_PER_SEC, g;
	const char *p = s, *slash;
	size_t ulen;
	int frac = -1;

	if (!s)
		return -EINVAL;
	for (; (*p >= '0' && *p <= '9') || (*p == '.' && frac < 0); p++) {
		if (*p == '.') {
			frac = 0;
			continue;
		}
		if (frac >= 0 && ++frac > 9)
			return -EINVAL;
		if (__builtin_mul_overflow(m, 10, &m) ||
		    __builtin_add_overflow(m, (uint64_t)(*p - '0'), &m))
			return -ERANGE;
		if (frac > 0)
			den *= 10;
	}
	if (p == s || p[-1] == '.' || (p - s == 1 && frac == 0) || !m)
		return -EINVAL;

	slash = strchr(p, '/');
	ulen = slash ? (size_t)(slash - p) : strlen(p);
	if (ulen) {
		size_t i;

		for (i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++)
			if (strlen(size_units[i].s) == ulen &&
			    !strncmp(p, size_units[i].s, ulen))
				break;
		if (i == sizeof(size_units) / sizeof(size_units[0]))
			return -EINVAL;
		if (!bytes)
			return -EPROTO;
		mult = size_units[i].mult;
		den *= size_units[i].bits;
	}
	if (slash) {
		if (!strcmp(slash, "/s"))
			per = SL_NSEC_PER_SEC;
		else if (!strcmp(slash, "/m"))
			per = 60 * SL_NSEC_PER_SEC;
		else if (!strcmp(slash, "/h"))
			per = 3600 * SL_NSEC_PER_SEC;
		else
			return -EINVAL;
	}
	if (__builtin_mul_overflow(m, mult, &m))
		return -ERANGE;
	g = gcd64(m, den);
	if (__builtin_mul_overflow(per, den / g, &per))
		return -ERANGE;
	*count = m / g;
	*period_ns = per;
	return 0;
}

/* Units per second, rounded up: the default burst. */
uint64_t rate_per_sec_ceil(uint64_t count, uint64_t period_ns)
{
	unsigned __int128 x = (unsigned __int128)count * SL_NSEC_PER_SEC;

	x = (x + period_ns - 1) / period_ns;
	return x > UINT32_MAX ? UINT32_MAX : (uint64_t)x;
}

char *cfg_rate_format(const struct cfg_meter *m, char *buf, size_t size)
{
	static const struct { uint64_t ns; char c; } per[] = {
		{ SL_NSEC_PER_SEC, 's' },
		{ 60 * SL_NSEC_PER_SEC, 'm' },
		{ 3600 * SL_NSEC_PER_SEC, 'h' },
	};

	for (size_t i = 0; i < sizeof(per) / sizeof(per[0]); i++)
		if (m->period_ns == per[i].ns) {
			snprintf(buf, size, "%llu/%c",
				 (unsigned long long)m->count, per[i].c);
			return buf;
		}
	snprintf(buf, size, "%.6g/s", m->period_ns ?
		 (double)m->count * SL_NSEC_PER_SEC / m->period_ns : 0.0);
	return buf;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/duration.h"

static const struct {
	const char *unit;
	uint64_t ns;
} duration_units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
	{ "s", 1000000000ULL }, { "m", 60000000000ULL },
	{ "h", 3600000000000ULL },
};

int cfg_duration_parse(const char *s, uint64_t *ns)
{
	uint64_t whole = 0, frac = 0, scale = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -EINVAL;
		/* Up to nine decimals: a nanosecond of a second at most. */
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (scale >= 1000000000ULL)
				return -EINVAL;
			frac = frac * 10 + (*p - '0');
			scale *= 10;
		}
	}
	for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
		uint64_t u = duration_units[i].ns;

		if (strcmp(p, duration_units[i].unit))
			continue;
		if (whole > UINT64_MAX / u)
			return -ERANGE;
		if (frac && (u % scale))
			return -EINVAL;	/* finer than a nanosecond */
		*ns = whole * u + frac * (u / scale);
		return 0;
	}
	return -EINVAL;
}

char *cfg_duration_format(uint64_t ns, char *buf, size_t size)
{
	if (ns && ns % 1000000000ULL == 0)
		snprintf(buf, size, "%llus", (unsigned long long)(ns / 1000000000ULL));
	else if (ns % 1000000ULL == 0)
		snprintf(buf, size, "%llums", (unsigned long long)(ns / 1000000ULL));
	else
		snprintf(buf, size, "%lluns", (unsigned long long)ns);
	return buf;
}

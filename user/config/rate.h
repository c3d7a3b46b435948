/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The rate grammar of limits: "10", "10/s", "600/m", "3600/h", "0.5/s",
 * and for bytes meters "10Mbit/s", "1MB/s", "64KiB/s".  A rate is kept
 * exact as `count` units per `period_ns`.
 */
#ifndef SLUICE_CONFIG_RATE_H
#define SLUICE_CONFIG_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_meter;

/* Parse `s`; `bytes` allows size units.  Only the factors the notation
 * adds (10^decimals, 8 bits) are reduced, so 600/m stays 600 per 60 s.
 * Returns 0, -EINVAL (syntax, zero), -EPROTO (size unit on a meter that
 * does not count bytes) or -ERANGE (count or period past 64 bits). */
int rate_parse(const char *s, bool bytes, uint64_t *count,
	       uint64_t *period_ns);

/* Units per second, rounded up (the default burst), at most UINT32_MAX. */
uint64_t rate_per_sec_ceil(uint64_t count, uint64_t period_ns);

/* A meter's rate as the config would write it ("10/s", "600/m",
 * "0.5/s"; bytes meters in bytes per period).  Returns buf. */
char *cfg_rate_format(const struct cfg_meter *m, char *buf, size_t size);

#endif /* SLUICE_CONFIG_RATE_H */

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Clock readings for deadlines, uptimes and token ages.  Intervals use
 * CLOCK_MONOTONIC, which is also what bpf_ktime_get_ns() reads
 * (CLOCK_MONOTONIC_COARSE is bpf_ktime_get_coarse_ns()). */
#ifndef SLUICE_CLOCK_H
#define SLUICE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Milliseconds on CLOCK_MONOTONIC. */
static inline uint64_t now_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

#endif /* SLUICE_CLOCK_H */

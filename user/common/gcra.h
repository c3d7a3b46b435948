/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Userspace side of the GCRA math: building meters from rates, and
 * reading a client's state back as tokens. */
#ifndef SLUICE_USER_GCRA_H
#define SLUICE_USER_GCRA_H

#include <stdint.h>
#include "sluice_abi.h"

/* Largest cost one packet can have (bytes meter: a 64 KiB frame). */
#define GCRA_MAX_COST	65536ULL

/* Fill `m` for `count` units per `period_ns` with the given burst.
 * Returns 0, or -EINVAL (zero or unrepresentable rate, zero burst) or
 * -ERANGE (interval times burst or the largest cost overflows). */
int gcra_meter_set(struct sl_meter *m, uint64_t count, uint64_t period_ns,
		   uint32_t burst, uint8_t unit, uint8_t action);

/* Whole tokens available at `now` for a meter whose state is `tat`,
 * and nanoseconds until the next one (0 when the bucket is full). */
uint64_t gcra_tokens(const struct sl_meter *m, uint64_t tat, uint64_t now,
		     uint64_t *next_ns);

#endif /* SLUICE_USER_GCRA_H */

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * GCRA arithmetic shared by the XDP program and userspace.
 *
 * A meter is one 64-bit theoretical arrival time (TAT).  Time differences
 * are taken as signed 64-bit values, so the arithmetic survives the clock
 * wrapping; a TAT in the past means a full bucket.  Pure functions only:
 * the BPF side wraps them in a compare-and-swap loop, userspace uses them
 * to show tokens and to test the math.
 */
#ifndef SLUICE_GCRA_H
#define SLUICE_GCRA_H

#include "sluice_abi.h"

#ifndef SL_INLINE
#define SL_INLINE static inline __attribute__((always_inline))
#endif

/* Nanoseconds that `cost` units take at the meter's rate.  Split so the
 * product cannot overflow for cost < 2^16 and any interval userspace
 * accepts (see gcra_meter_set). */
SL_INLINE __u64 gcra_cost_ns(const struct sl_meter *m, __u64 cost)
{
	__u64 whole = m->interval_fp >> SL_FP_SHIFT;
	__u64 frac = m->interval_fp & ((1ULL << SL_FP_SHIFT) - 1);

	return cost * whole + ((cost * frac) >> SL_FP_SHIFT);
}

/* How far ahead of `now` the TAT stands (0 when the bucket is full). */
SL_INLINE __u64 gcra_backlog(__u64 tat, __u64 now)
{
	__s64 ahead = (__s64)(tat - now);

	return ahead > 0 ? (__u64)ahead : 0;
}

/* Admit `inc_ns` worth of traffic?  Returns 1 and the new TAT, or 0. */
SL_INLINE int gcra_admit(__u64 tat, __u64 now, __u64 inc_ns,
			 __u64 tolerance_ns, __u64 *new_tat)
{
	__u64 backlog = gcra_backlog(tat, now);

	if (inc_ns > tolerance_ns || backlog > tolerance_ns - inc_ns)
		return 0;
	*new_tat = now + backlog + inc_ns;
	return 1;
}

#endif /* SLUICE_GCRA_H */

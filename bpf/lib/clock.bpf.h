/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The clock a tier's meters run on.  bpf_ktime_get_ns() costs ~36 ns
 * on a kvm-clock VM, the coarse clock ~9 ns with a jiffy's resolution
 * (4 ms at HZ=250); a tier takes the coarse one when every meter
 * tolerates that (SL_TIER_F_COARSE_CLOCK, decided by sluiced).
 */
#ifndef SLUICE_CLOCK_BPF_H
#define SLUICE_CLOCK_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"

static __always_inline __u64 clock_now(const struct sl_tier *t)
{
	if (t->flags & SL_TIER_F_COARSE_CLOCK)
		return bpf_ktime_get_coarse_ns();
	return bpf_ktime_get_ns();
}

#endif /* SLUICE_CLOCK_BPF_H */

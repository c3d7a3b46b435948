/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef SLUICE_COMMON_BPF_H
#define SLUICE_COMMON_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SL_INLINE static __always_inline

/* A plain load the compiler may not merge or tear: TATs change under us. */
#define READ_ONCE_U64(x)	(*(volatile __u64 *)&(x))

/* Clamp an offset with a mask the compiler cannot fold away: clang likes
 * to re-derive a value from a wider spill, and the verifier then loses
 * the bound it needs for a variable packet offset. */
#define BOUNDED(x, mask)						\
	({								\
		__u64 ___v = (x);					\
		asm volatile("%[v] &= " #mask : [v] "+r"(___v));	\
		___v;							\
	})

#endif /* SLUICE_COMMON_BPF_H */

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef SLUICE_COMMON_BPF_H
#define SLUICE_COMMON_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* The same text as in include/: whichever header comes first. */
#ifndef SL_INLINE
#define SL_INLINE static inline __attribute__((always_inline))
#endif

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

/* Keep a map lookup in its own branch: put this on a 32-bit value
 * computed from its result.  Clang likes to merge the lookups of two
 * maps into one call on a phi of the map pointers; the verifier then can
 * neither inline it nor call that map type's lookup directly, and every
 * packet pays the generic helper (~15 ns on the classify path).  Each
 * tag makes its barrier distinct, so the calls before them cannot be
 * sunk into one.  The barrier is one 32-bit move: an empty asm, or a
 * 64-bit move the JIT drops, leaves line info without an instruction. */
#define KEEP_APART(x32, tag)	\
	asm volatile("%[x] = %[x] # " tag : [x] "+w"(x32))

#endif /* SLUICE_COMMON_BPF_H */

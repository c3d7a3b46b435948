/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Entries in a hash map (the client table), counted by walking it in
 * batches (BPF_MAP_LOOKUP_BATCH) a bounded number of entries per step,
 * so one render never holds the event loop for long: a 1M-entry table
 * takes ~270 ms to walk whole on a test VM, 131072 entries ~35 ms.  The
 * count is that of the last complete walk (entries moving during a
 * walk may be missed or counted twice: it is a close estimate).
 */
#ifndef SLUICE_EXPORT_COUNT_H
#define SLUICE_EXPORT_COUNT_H

#include <stdbool.h>
#include <stdint.h>

#define COUNT_BATCH		4096
#define COUNT_STEP_MAX		131072	/* entries walked per step */

struct count_walk {
	void *keys, *vals;	/* one batch each */
	uint32_t key_size, val_size;
	uint64_t pos;		/* the kernel's batch position */
	bool walking;		/* pos continues a walk */
	uint64_t partial;	/* entries so far in this walk */
	uint64_t count;		/* the last complete walk's */
	bool have;		/* a walk has completed */
};

int count_init(struct count_walk *c, uint32_t key_size, uint32_t val_size);
void count_free(struct count_walk *c);

/* Walk up to `budget` entries of hash map `fd` on from where the last
 * step stopped: 0 (c->count and c->have updated when a walk ends) or
 * -errno (the walk starts over next time). */
int count_step(struct count_walk *c, int fd, uint64_t budget);

#endif /* SLUICE_EXPORT_COUNT_H */

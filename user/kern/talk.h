/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Reading the top-talker rings (include/sluice_talk.h) of one
 * interface: sl_talk mapped read-only, sl_talk_head looked up once per
 * drain, the samples each CPU wrote since the last drain handed to a
 * callback.  Also the adaptation of the sampling period.
 */
#ifndef SLUICE_KERN_TALK_H
#define SLUICE_KERN_TALK_H

#include <stdint.h>
#include "sluice_talk.h"

struct bpf_map;

struct talk_reader {
	const struct sl_talk_sample *ring;	/* mmap of sl_talk */
	size_t map_len;
	int head_fd;
	int ncpus;		/* rings, one per possible CPU */
	uint64_t *last;		/* per CPU: head at the last drain */
	uint64_t *heads;	/* scratch: one lookup's per-CPU values */
	struct sl_talk_sample *copy;	/* scratch: one ring's new samples */
	int primed;		/* last[] holds real heads */
};

struct talk_drain {
	uint64_t samples;	/* handed to the callback */
	uint64_t lost;		/* overwritten before this drain read them */
	uint64_t most;		/* most written by one CPU since the last drain */
};

/* `scale`: what each sample of this CPU's batch stands for, in samples
 * (above 1 when the ring overflowed: the samples read stand in for the
 * ones lost too). */
typedef void (*talk_fn)(void *arg, const struct sl_talk_sample *s,
			double scale);

/* Before load: one ring per possible CPU. */
int talk_size(struct bpf_map *ring);

/* Map the loaded (or adopted) rings; 0 or -errno.  Samples already in
 * them are skipped: the first drain only notes the heads. */
int talk_open(struct talk_reader *r, int ring_fd, int head_fd);
void talk_close(struct talk_reader *r);

/* Hand every sample written since the last drain to fn. */
int talk_drain(struct talk_reader *r, talk_fn fn, void *arg,
	       struct talk_drain *st);

/* The next sl_global.talk_mask: coarser when one CPU filled more than
 * half its ring since the last drain, finer when it wrote under a
 * sixteenth; `most` as in struct talk_drain.  Pure. */
uint64_t talk_adapt(uint64_t mask, uint64_t most);

#endif /* SLUICE_KERN_TALK_H */

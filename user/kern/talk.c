// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/talk.h"

static int talk_cpus(void)
{
	int n = libbpf_num_possible_cpus();

	if (n <= 0)
		return n ? n : -EINVAL;
	return n > SL_TALK_MAX_CPUS ? SL_TALK_MAX_CPUS : n;
}

int talk_size(struct bpf_map *ring)
{
	int n = talk_cpus();

	return n < 0 ? n : bpf_map__set_max_entries(ring, n * SL_TALK_RING);
}

int talk_open(struct talk_reader *r, int ring_fd, int head_fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	void *m;

	memset(r, 0, sizeof(*r));
	r->head_fd = -1;
	r->ncpus = talk_cpus();
	if (r->ncpus < 0)
		return r->ncpus;
	if (bpf_obj_get_info_by_fd(ring_fd, &info, &len))
		return -errno;
	/* An adopted ring made for fewer CPUs: read the rings it has. */
	if (info.max_entries / SL_TALK_RING < (__u32)r->ncpus)
		r->ncpus = info.max_entries / SL_TALK_RING;
	if (!r->ncpus || info.value_size != sizeof(struct sl_talk_sample))
		return -EPROTO;
	r->map_len = (size_t)info.max_entries * info.value_size;
	m = mmap(NULL, r->map_len, PROT_READ, MAP_SHARED, ring_fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	r->ring = m;
	r->head_fd = head_fd;
	/* The per-CPU lookup fills every possible CPU, 8 bytes each. */
	r->heads = calloc(libbpf_num_possible_cpus(), sizeof(*r->heads));
	r->last = calloc(r->ncpus, sizeof(*r->last));
	r->copy = calloc(SL_TALK_RING, sizeof(*r->copy));
	if (!r->heads || !r->last || !r->copy) {
		talk_close(r);
		return -ENOMEM;
	}
	return 0;
}

void talk_close(struct talk_reader *r)
{
	if (r->ring)
		munmap((void *)r->ring, r->map_len);
	free(r->heads);
	free(r->last);
	free(r->copy);
	memset(r, 0, sizeof(*r));
	r->head_fd = -1;
}

static int read_heads(struct talk_reader *r)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(r->head_fd, &zero, r->heads))
		return -errno;
	return 0;
}

/* Copy CPU c's samples [from, head) out of its ring, then look at the
 * head again: those the writer reached meanwhile are dropped as lost. */
static int drain_cpu(struct talk_reader *r, int c, uint64_t wrote,
		     uint64_t from, uint64_t head, talk_fn fn, void *arg,
		     struct talk_drain *st)
{
	const struct sl_talk_sample *ring = r->ring + (size_t)c * SL_TALK_RING;
	uint64_t n = head - from, now, skip = 0;
	int err;

	for (uint64_t i = 0; i < n; i++)
		r->copy[i] = ring[(from + i) & (SL_TALK_RING - 1)];
	err = read_heads(r);
	if (err)
		return err;
	now = r->heads[c];
	/* Slot k was rewritten once the writer passed k + SL_TALK_RING - 1
	 * (the slot at the head may be half-written). */
	if (now > from + SL_TALK_RING - 1)
		skip = now - (from + SL_TALK_RING - 1);
	if (skip > n)
		skip = n;
	st->lost += skip;
	for (uint64_t i = skip; i < n; i++)
		fn(arg, &r->copy[i], (double)wrote / (n - skip));
	st->samples += n - skip;
	return 0;
}

int talk_drain(struct talk_reader *r, talk_fn fn, void *arg,
	       struct talk_drain *st)
{
	uint64_t *heads;
	int err;

	memset(st, 0, sizeof(*st));
	if (!r->ring)
		return -EBADF;
	err = read_heads(r);
	if (err)
		return err;
	if (!r->primed) {
		memcpy(r->last, r->heads, r->ncpus * sizeof(*r->last));
		r->primed = 1;
		return 0;
	}
	/* drain_cpu reads the heads again: work from a copy of these. */
	heads = malloc(r->ncpus * sizeof(*heads));
	if (!heads)
		return -ENOMEM;
	memcpy(heads, r->heads, r->ncpus * sizeof(*heads));
	for (int c = 0; c < r->ncpus && !err; c++) {
		uint64_t head = heads[c], from = r->last[c], wrote;

		if (head < from)	/* the ring was made anew */
			from = head;
		wrote = head - from;
		if (wrote > st->most)
			st->most = wrote;
		if (head - from > SL_TALK_RING - 1) {
			st->lost += head - from - (SL_TALK_RING - 1);
			from = head - (SL_TALK_RING - 1);
		}
		if (head > from)
			err = drain_cpu(r, c, wrote, from, head, fn, arg, st);
		r->last[c] = head;
	}
	free(heads);
	return err;
}

uint64_t talk_adapt(uint64_t mask, uint64_t most)
{
	if (mask == SL_TALK_OFF)
		return mask;
	if (most > SL_TALK_RING / 2) {
		/* Overflowing: jump to about a quarter ring per drain. */
		while (most > SL_TALK_RING / 4 && mask < SL_TALK_MASK_MAX) {
			mask = mask << 1 | 1;
			most /= 2;
		}
		return mask;
	}
	if (most < SL_TALK_RING / 16 && mask)
		return mask >> 1;
	return mask;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "refused.h"

#define BLOCK_SETS	(1 << REFUSED_BLOCK_SHIFT)

int refused_check(struct xdp_fixture *fx)
{
	const struct bpf_map *c = fx->skel->maps.sl_refused;
	const struct bpf_map *s = fx->skel->maps.sl_refstat;
	const struct bpf_map *m = fx->skel->maps.sl_refmark;

	if (bpf_map__value_size(c) != BLOCK_SETS * sizeof(struct refused_set) ||
	    bpf_map__max_entries(c) !=
	    1U << (REFUSED_SETS_SHIFT - REFUSED_BLOCK_SHIFT) ||
	    bpf_map__value_size(s) != sizeof(struct refused_cpu) ||
	    bpf_map__value_size(m) != sizeof(__u64) ||
	    bpf_map__max_entries(m) != 1U << (REFUSED_MARK_SHIFT - 6))
		return -EPROTO;
	return 0;
}

__u32 refused_addr(const char *ip)
{
	struct in_addr a = {};
	__u32 v;

	inet_pton(AF_INET, ip, &a);
	memcpy(&v, &a, 4);
	return v;
}

__u32 refused_set_of(__u32 addr)
{
	return (addr * 0x9e3779b1U) >> (32 - REFUSED_SETS_SHIFT);
}

/* A copy of the program's, on purpose: the test checks what it wrote
 * against an independent computation. */
__u16 refused_stamp(const struct sl_global *g, const struct sl_tier *t, int r)
{
	const struct sl_meter *m = &t->meters[r & (SL_METERS_PER_TIER - 1)];
	__u64 h;

	h = (g->config_hash ^ g->tier_gen ^ (__u64)g->epoch << 32) *
	    0x9e3779b97f4a7c15ULL;
	h ^= (m->interval_fp ^ m->tolerance_ns << 1) * 0xc2b2ae3d27d4eb4fULL;
	h ^= ((__u64)t->flags << 16 | t->verdict << 8 | m->unit) *
	     0x165667b19e3779f9ULL;
	h ^= ((__u64)t->v4_prefix << 8 | t->v6_prefix) * 0xd6e8feb86659fd93ULL;
	return h >> 48;
}

int refused_read_set(struct xdp_fixture *fx, int cpu, __u32 addr,
		     struct refused_set *out)
{
	const struct bpf_map *m = fx->skel->maps.sl_refused;
	size_t vsz = bpf_map__value_size(m);
	__u32 h = refused_set_of(addr), idx = h >> REFUSED_BLOCK_SHIFT;
	__u8 *vals = malloc(vsz * fx->ncpus);
	int err = vals ? 0 : -ENOMEM;

	if (!err && bpf_map_lookup_elem(bpf_map__fd(m), &idx, vals))
		err = -errno;
	if (!err)
		memcpy(out, vals + cpu * vsz +
		       (h & (BLOCK_SETS - 1)) * sizeof(*out), sizeof(*out));
	free(vals);
	return err;
}

const struct refused_slot *refused_find_in(const struct refused_set *s,
					   __u32 addr)
{
	for (int i = 0; i < REFUSED_WAYS; i++)
		if (s->way[i].addr == addr)
			return &s->way[i];
	return NULL;
}

int refused_read_cpu(struct xdp_fixture *fx, int cpu, struct refused_cpu *out)
{
	struct refused_cpu vals[fx->ncpus];
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.sl_refstat), &zero,
				vals))
		return -errno;
	*out = vals[cpu];
	return 0;
}

int refused_marked(struct xdp_fixture *fx, __u32 addr)
{
	__u32 h = ((addr * 0x85ebca6bU) ^ (addr >> 13)) * 0xc2b2ae35U, word;
	__u64 v;

	h >>= 32 - REFUSED_MARK_SHIFT;
	word = h >> 6;
	if (bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.sl_refmark), &word,
				&v))
		return -errno;
	return !!(v & (1ULL << (h & 63)));
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "refused.h"

int refused_check(struct xdp_fixture *fx)
{
	const struct bpf_map *c = fx->skel->maps.sl_refused;
	const struct bpf_map *s = fx->skel->maps.sl_refstat;
	const struct bpf_map *m = fx->skel->maps.sl_refmark;

	if (bpf_map__key_size(c) != sizeof(__u32) ||
	    bpf_map__key_size(s) != sizeof(__u32) ||
	    bpf_map__key_size(m) != sizeof(__u32) ||
	    bpf_map__value_size(c) != sizeof(struct refused_block) ||
	    bpf_map__max_entries(c) != REFUSED_BLOCKS ||
	    bpf_map__value_size(s) != sizeof(struct refused_cpu) ||
	    bpf_map__max_entries(s) != 1 ||
	    bpf_map__value_size(m) != sizeof(__u64) ||
	    bpf_map__max_entries(m) != REFUSED_MARK_WORDS)
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
		       (h & (REFUSED_BLOCK_SETS - 1)) * sizeof(*out),
		       sizeof(*out));
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
	__u32 word;
	__u64 bit = refused_mark_of(addr, &word), v;

	if (bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.sl_refmark), &word,
				&v))
		return -errno;
	return !!(v & bit);
}

int refused6_check(struct xdp_fixture *fx)
{
	const struct bpf_map *c = fx->skel->maps.sl_refused6;
	const struct bpf_map *s = fx->skel->maps.sl_refstat6;
	const struct bpf_map *m = fx->skel->maps.sl_refmark6;

	if (bpf_map__value_size(c) != sizeof(struct refused6_block) ||
	    bpf_map__max_entries(c) != REFUSED6_BLOCKS ||
	    bpf_map__value_size(s) != sizeof(struct refused_cpu) ||
	    bpf_map__max_entries(s) != 1 ||
	    bpf_map__value_size(m) != sizeof(__u64) ||
	    bpf_map__max_entries(m) != REFUSED_MARK_WORDS)
		return -EPROTO;
	return 0;
}

int refused6_addr(const char *ip, __u32 a[4])
{
	struct in6_addr v = {};

	if (inet_pton(AF_INET6, ip, &v) != 1)
		return -EINVAL;
	memcpy(a, &v, 16);
	return 0;
}

int refused6_read_set(struct xdp_fixture *fx, int cpu, const __u32 a[4],
		      struct refused6_set *out)
{
	const struct bpf_map *m = fx->skel->maps.sl_refused6;
	size_t vsz = bpf_map__value_size(m);
	__u32 h = refused6_set_of(a), idx = h >> REFUSED6_BLOCK_SHIFT;
	__u8 *vals = malloc(vsz * fx->ncpus);
	int err = vals ? 0 : -ENOMEM;

	if (!err && bpf_map_lookup_elem(bpf_map__fd(m), &idx, vals))
		err = -errno;
	if (!err)
		memcpy(out, vals + cpu * vsz +
		       (h & (REFUSED6_BLOCK_SETS - 1)) * sizeof(*out),
		       sizeof(*out));
	free(vals);
	return err;
}

const struct refused6_slot *refused6_find_in(const struct refused6_set *s,
					     const __u32 a[4])
{
	for (int i = 0; i < REFUSED_WAYS; i++)
		if (!memcmp(s->way[i].addr, a, 16))
			return &s->way[i];
	return NULL;
}

int refused6_read_cpu(struct xdp_fixture *fx, int cpu, struct refused_cpu *out)
{
	struct refused_cpu vals[fx->ncpus];
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.sl_refstat6), &zero,
				vals))
		return -errno;
	*out = vals[cpu];
	return 0;
}

int refused6_marked(struct xdp_fixture *fx, const __u32 a[4])
{
	__u32 word;
	__u64 bit = refused6_mark_of(a, &word), v;

	if (bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.sl_refmark6), &word,
				&v))
		return -errno;
	return !!(v & bit);
}

int refused6_clear(struct xdp_fixture *fx)
{
	return fixture_zero_percpu(fx, fx->skel->maps.sl_refused6) ?:
	       fixture_zero_percpu(fx, fx->skel->maps.sl_refstat6);
}

long refused_mark_bits(struct xdp_fixture *fx, int family)
{
	const struct bpf_map *m = family == 6 ? fx->skel->maps.sl_refmark6 :
						fx->skel->maps.sl_refmark;
	long bits = 0;
	__u64 v;

	for (__u32 i = 0; i < bpf_map__max_entries(m); i++) {
		if (bpf_map_lookup_elem(bpf_map__fd(m), &i, &v))
			return -errno;
		bits += __builtin_popcountll(v);
	}
	return bits;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The refusal caches from sluiced's side (refcache.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/refcache.h"
#include "kern/apply.h"
#include "common/log.h"
#include "sluice_xdp.skel.h"

int refcache_forget(struct sl_iface *ifc)
{
	static const struct sl_tier none;
	struct sl_global g, was;
	int err;

	err = apply_global_get(ifc, &g);
	if (err)
		return err;
	was = g;
	/* A stamp is 16 bits of a hash in which sl_global's part is xor'ed
	 * with the tier's: an epoch whose part differs in those bits
	 * changes every entry's stamp, whatever its tier and meter. */
	do
		g.epoch++;
	while (refused_stamp(&g, &none, 0) == refused_stamp(&was, &none, 0));
	err = apply_global_set(ifc, &g);
	if (err)
		log_err("%s: cannot retire the cached refusals (writing %s): %s; they end within one interval of their meter",
			ifc->name, SL_MAP_GLOBAL, strerror(-err));
	return err;
}

__u64 refcache_popcount(const __u64 *words, size_t n)
{
	__u64 bits = 0;

	for (size_t i = 0; i < n; i++)
		bits += __builtin_popcountll(words[i]);
	return bits;
}

__u64 refcache_marks_v4(const struct refused_block *blocks, size_t n,
			__u64 now, __u64 *marks)
{
	__u64 live = 0;
	__u32 word;

	for (size_t b = 0; b < n; b++) {
		for (int s = 0; s < REFUSED_BLOCK_SETS; s++) {
			for (int w = 0; w < REFUSED_WAYS; w++) {
				const struct refused_slot *e =
					&blocks[b].set[s].way[w];
				__u64 bit;

				if (!e->addr || (__s64)(e->until - now) <= 0)
					continue;
				bit = refused_mark_of(e->addr, &word);
				marks[word & (REFUSED_MARK_WORDS - 1)] |= bit;
				live++;
			}
		}
	}
	return live;
}

__u64 refcache_marks_v6(const struct refused6_block *blocks, size_t n,
			__u64 now, __u64 *marks)
{
	__u64 live = 0;
	__u32 word;

	for (size_t b = 0; b < n; b++) {
		for (int s = 0; s < REFUSED6_BLOCK_SETS; s++) {
			for (int w = 0; w < REFUSED_WAYS; w++) {
				const struct refused6_slot *e =
					&blocks[b].set[s].way[w];
				__u64 bit;

				if (!(e->addr[0] | e->addr[1] | e->addr[2] |
				      e->addr[3]) ||
				    (__s64)(e->until - now) <= 0)
					continue;
				bit = refused6_mark_of(e->addr, &word);
				marks[word & (REFUSED_MARK_WORDS - 1)] |= bit;
				live++;
			}
		}
	}
	return live;
}

/* An array map of u64 words in one batch read (or write): 0 or -errno. */
static int words_io(int fd, __u32 *keys, __u64 *words, __u32 n, bool write)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count = n, out = 0;

	for (__u32 i = 0; i < n; i++)
		keys[i] = i;
	if (write)
		return bpf_map_update_batch(fd, keys, words, &count, &opts) ?
		       -errno : 0;
	if (bpf_map_lookup_batch(fd, NULL, &out, keys, words, &count, &opts) &&
	    errno != ENOENT)
		return -errno;
	return count == n ? 0 : -EIO;
}

/* Every element of per-CPU array `m` on every CPU into `vals` (elements
 * x CPUs values, element-major), one element at a time. */
static int cache_read(const struct bpf_map *m, void *vals)
{
	size_t vsz = bpf_map__value_size(m) * libbpf_num_possible_cpus();
	int fd = bpf_map__fd(m);

	for (__u32 i = 0; i < bpf_map__max_entries(m); i++)
		if (bpf_map_lookup_elem(fd, &i, (char *)vals + i * vsz))
			return -errno;
	return 0;
}

int refcache_mark_rebuild(struct sl_iface *ifc, int family, double fill_max,
			  __u64 now, __u64 *before, __u64 *after)
{
	const struct bpf_map *mark = family == 6 ? ifc->skel->maps.sl_refmark6 :
						   ifc->skel->maps.sl_refmark;
	const struct bpf_map *cache = family == 6 ? ifc->skel->maps.sl_refused6 :
						    ifc->skel->maps.sl_refused;
	int ncpus = libbpf_num_possible_cpus();
	__u64 *words = calloc(REFUSED_MARK_WORDS, sizeof(*words));
	__u32 *keys = calloc(REFUSED_MARK_WORDS, sizeof(*keys));
	void *vals = NULL;
	__u64 set = 0;
	size_t n;
	int err;

	err = words && keys && ncpus > 0 ? 0 : -ENOMEM;
	if (!err)
		err = words_io(bpf_map__fd(mark), keys, words, REFUSED_MARK_WORDS,
			       false);
	if (err)
		goto out;
	set = refcache_popcount(words, REFUSED_MARK_WORDS);
	if (before)
		*before = set;
	if (set <= fill_max * REFUSED_MARK_WORDS * 64)
		goto out;
	n = (size_t)bpf_map__max_entries(cache) * ncpus;
	vals = malloc(n * bpf_map__value_size(cache));
	err = vals ? cache_read(cache, vals) : -ENOMEM;
	if (err)
		goto out;
	memset(words, 0, REFUSED_MARK_WORDS * sizeof(*words));
	if (family == 6)
		refcache_marks_v6(vals, n, now, words);
	else
		refcache_marks_v4(vals, n, now, words);
	/* The program may set a bit between the read and this write: lost,
	 * it hides that entry until the source is refused again. */
	err = words_io(bpf_map__fd(mark), keys, words, REFUSED_MARK_WORDS, true);
	if (!err)
		set = refcache_popcount(words, REFUSED_MARK_WORDS);
out:
	if (after)
		*after = set;
	free(vals);
	free(keys);
	free(words);
	return err;
}

int refcache_tick(struct sl_iface *ifc, __u64 now)
{
	static const int families[] = { 4, 6 };
	int err = 0;

	if (now / 1000000000ULL % REFCACHE_SWEEP_S)
		return 0;
	for (size_t i = 0; i < 2 && !err; i++) {
		__u64 before = 0, after = 0;

		err = refcache_mark_rebuild(ifc, families[i], REFCACHE_FILL_MAX,
					    now, &before, &after);
		if (!err && after != before)
			log_dbg("%s: IPv%d refusal-cache bitmap rebuilt from its live entries: %llu -> %llu of %u bits set",
				ifc->name, families[i],
				(unsigned long long)before,
				(unsigned long long)after,
				REFUSED_MARK_WORDS * 64);
	}
	return err;
}

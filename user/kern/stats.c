// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/clock.h"
#include "kern/stats.h"
#include "sluice_edge.h"

int stats_init(struct stats *s)
{
	int n = libbpf_num_possible_cpus();

	memset(s, 0, sizeof(*s));
	if (n <= 0)
		return n ? n : -EINVAL;
	s->percpu = calloc(n, sizeof(*s->percpu));
	if (!s->percpu)
		return -ENOMEM;
	s->ncpus = n;
	return 0;
}

void stats_free(struct stats *s)
{
	free(s->percpu);
	s->percpu = NULL;
}

int stats_read(struct stats *s, int fd, struct sl_counter *out)
{
	memset(out, 0, SL_STATS_ENTRIES * sizeof(*out));
	/* Only the reasons this sluiced knows: the spare slots of each row
	 * belong to a later one (they are kept, and cleared with the tier). */
	for (__u32 t = 0; t <= SL_TIER_NONE; t++) {
		for (__u32 r = 0; r < SL_R__MAX; r++) {
			__u32 i = sl_stats_index(t, r);

			if (bpf_map_lookup_elem(fd, &i, s->percpu))
				return -errno;
			for (int c = 0; c < s->ncpus; c++) {
				out[i].packets += s->percpu[c].packets;
				out[i].bytes += s->percpu[c].bytes;
			}
		}
	}
	return 0;
}

static double stats_per_sec(uint64_t now, uint64_t then, uint64_t ns)
{
	return now > then ? (double)(now - then) * 1e9 / ns : 0.0;
}

int stats_sample(struct stats *s, int fd)
{
	struct sl_counter now[SL_STATS_ENTRIES];
	uint64_t at = clock_ns(CLOCK_MONOTONIC), dt;
	int err;

	err = stats_read(s, fd, now);
	s->last_err = err;
	if (err)
		return err;
	dt = at - s->last_ns;
	for (int i = 0; s->last_ns && dt && i < SL_STATS_ENTRIES; i++) {
		s->rate[i].pps = stats_per_sec(now[i].packets,
					       s->last[i].packets, dt);
		s->rate[i].bps = stats_per_sec(now[i].bytes, s->last[i].bytes,
					       dt);
	}
	memcpy(s->last, now, sizeof(now));
	s->last_ns = at;
	return 0;
}

int stats_clear_edge_tier(int fd, uint32_t tier)
{
	struct sl_edge_status_key k, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		if (k.tier != tier) {
			prev = &k;
			continue;
		}
		/* Deleted: the walk goes on from the key before it. */
		if (bpf_map_delete_elem(fd, &k) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

int stats_clear_tier(struct stats *s, int fd, uint32_t tier)
{
	memset(s->percpu, 0, s->ncpus * sizeof(*s->percpu));
	for (__u32 r = 0; r < SL_REASON_SLOTS; r++) {
		__u32 i = sl_stats_index(tier, r);

		if (bpf_map_update_elem(fd, &i, s->percpu, BPF_ANY))
			return -errno;
		s->last[i].packets = s->last[i].bytes = 0;
		s->rate[i].pps = s->rate[i].bps = 0;
	}
	return 0;
}

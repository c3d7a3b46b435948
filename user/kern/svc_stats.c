// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/svc_stats.h"

#define CONNS_BATCH	4096

static int ncpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : -ENODEV;
}

static void sum_into(struct sl_svc_stats *out, const struct sl_svc_stats *v,
		     int n)
{
	__u64 *o = (__u64 *)out;

	memset(out, 0, sizeof(*out));
	for (int c = 0; c < n; c++) {
		const __u64 *w = (const __u64 *)&v[c];

		for (size_t i = 0; i < sizeof(*out) / sizeof(__u64); i++)
			o[i] += w[i];
	}
}

int svc_stats_read(int stats_fd, __u32 id, struct sl_svc_stats *out)
{
	int n = ncpus(), err = 0;
	struct sl_svc_stats *v;

	if (n < 0)
		return n;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(stats_fd, &id, v))
		err = -errno;
	else
		sum_into(out, v, n);
	free(v);
	return err;
}

int svc_stats_read_all(int stats_fd, struct sl_svc_stats *out)
{
	__u32 keys[SL_MAX_SERVICES], count = SL_MAX_SERVICES, batch;
	int n = ncpus(), err = 0;
	struct sl_svc_stats *v;
	LIBBPF_OPTS(bpf_map_batch_opts, o);

	if (n < 0)
		return n;
	v = calloc((size_t)n * SL_MAX_SERVICES, sizeof(*v));
	if (!v)
		return -ENOMEM;
	/* An array answers every key in one call (ENOENT: no more after). */
	if (bpf_map_lookup_batch(stats_fd, NULL, &batch, keys, v, &count, &o) &&
	    errno != ENOENT)
		err = -errno;
	for (__u32 i = 0; !err && i < SL_MAX_SERVICES; i++) {
		if (i < count && keys[i] < SL_MAX_SERVICES)
			sum_into(&out[keys[i]], &v[(size_t)i * n], n);
	}
	if (!err && count != SL_MAX_SERVICES)
		err = -EIO;
	free(v);
	return err;
}

int svc_run_read(int run_fd, __u32 id, struct sl_svc_run *out)
{
	return bpf_map_lookup_elem(run_fd, &id, out) ? -errno : 0;
}

int svc_pending_count(int conns_fd, __u64 *pending)
{
	struct sl_conn_key *keys = calloc(CONNS_BATCH, sizeof(*keys));
	struct sl_conn *vals = calloc(CONNS_BATCH, sizeof(*vals));
	__u32 in = 0, out = 0, count;
	bool first = true;
	int err = 0;
	LIBBPF_OPTS(bpf_map_batch_opts, o);

	memset(pending, 0, SL_MAX_SERVICES * sizeof(*pending));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		int r;

		count = CONNS_BATCH;
		r = bpf_map_lookup_batch(conns_fd, first ? NULL : &in, &out,
					 keys, vals, &count, &o);
		if (r && errno != ENOENT) {
			err = -errno;
			break;
		}
		for (__u32 i = 0; i < count; i++)
			if (vals[i].pending == 1 &&
			    vals[i].service < SL_MAX_SERVICES)
				pending[vals[i].service]++;
		if (r)
			break;	/* ENOENT: the walk is done */
		in = out;
		first = false;
	}
out:
	free(keys);
	free(vals);
	return err;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The global-limit maps, in batches (glob.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "kern/glob.h"

#define GLOB_BATCH	4096

static int grow(struct glob_use_entry **out, size_t *cap, size_t need)
{
	struct glob_use_entry *n;
	size_t c = *cap ? *cap : GLOB_BATCH;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*out, c * sizeof(*n));
	if (!n)
		return -ENOMEM;
	*out = n;
	*cap = c;
	return 0;
}

int glob_use_read(int use_fd, struct glob_use_entry **out, size_t *cap,
		  size_t *n)
{
	static struct sl_client_key keys[GLOB_BATCH];
	static struct sl_glob_use vals[GLOB_BATCH];
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct sl_client_key token;
	bool first = true;
	int err = 0;

	*n = 0;
	for (;;) {
		__u32 count = GLOB_BATCH;

		err = bpf_map_lookup_batch(use_fd, first ? NULL : &token,
					   &token, keys, vals, &count, &opts);
		if (err && errno != ENOENT)
			return -errno;
		first = false;
		if (grow(out, cap, *n + count))
			return -ENOMEM;
		for (__u32 i = 0; i < count; i++) {
			(*out)[*n + i].key = keys[i];
			(*out)[*n + i].use = vals[i];
		}
		*n += count;
		if (err)	/* ENOENT: that was the last batch */
			return 0;
	}
}

int glob_grant_write(int grant_fd, const struct sl_client_key *keys,
		     const struct sl_glob_grant *vals, size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	for (size_t done = 0; done < n;) {
		__u32 count = n - done > GLOB_BATCH ? GLOB_BATCH : n - done;

		if (bpf_map_update_batch(grant_fd, keys + done, vals + done,
					 &count, &opts))
			return -errno;
		done += count;
	}
	return 0;
}

int glob_grant_read(int grant_fd, const struct sl_client_key *key,
		    struct sl_glob_grant *out)
{
	return bpf_map_lookup_elem(grant_fd, key, out) ? -errno : 0;
}

int glob_use_lookup(int use_fd, const struct sl_client_key *key,
		    struct sl_glob_use *out)
{
	return bpf_map_lookup_elem(use_fd, key, out) ? -errno : 0;
}

int glob_forget(int use_fd, int grant_fd, const struct sl_client_key *keys,
		size_t n)
{
	int err = 0;

	/* One by one: a batch delete stops at the first key that is
	 * already gone (the LRU may have taken it). */
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_delete_elem(use_fd, &keys[i]) && errno != ENOENT)
			err = -errno;
		if (bpf_map_delete_elem(grant_fd, &keys[i]) && errno != ENOENT)
			err = -errno;
	}
	return err;
}

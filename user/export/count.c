// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "export/count.h"

int count_init(struct count_walk *c, uint32_t key_size, uint32_t val_size)
{
	memset(c, 0, sizeof(*c));
	c->keys = calloc(COUNT_BATCH, key_size);
	c->vals = calloc(COUNT_BATCH, val_size);
	if (!c->keys || !c->vals) {
		count_free(c);
		return -ENOMEM;
	}
	c->key_size = key_size;
	c->val_size = val_size;
	return 0;
}

void count_free(struct count_walk *c)
{
	free(c->keys);
	free(c->vals);
	c->keys = c->vals = NULL;
}

int count_step(struct count_walk *c, int fd, uint64_t budget)
{
	/* The batch position is opaque; a u64 holds a hash map's. */
	uint64_t in, walked = 0;
	__u32 got;
	int err;

	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	while (walked < budget) {
		in = c->pos;
		got = COUNT_BATCH;
		err = bpf_map_lookup_batch(fd, c->walking ? &in : NULL, &c->pos,
					   c->keys, c->vals, &got, &opts);
		if (err && errno != ENOENT) {
			err = -errno;
			c->walking = false;
			c->partial = 0;
			return err;
		}
		c->partial += got;
		walked += got;
		if (err) {	/* ENOENT: the walk is complete */
			c->count = c->partial;
			c->have = true;
			c->walking = false;
			c->partial = 0;
			return 0;
		}
		c->walking = true;
	}
	return 0;
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One interface's global-limit maps (include/sluice_glob.h) as sluiced's
 * sync sees them: every active client's use in one batch walk, grants
 * written in batches, idle clients forgotten.  The arithmetic is in
 * common/glob.h, the Redis side in daemon/glob_sync.c.
 */
#ifndef SLUICE_KERN_GLOB_H
#define SLUICE_KERN_GLOB_H

#include <stddef.h>
#include <linux/types.h>

#include "sluice_abi.h"
#include "sluice_glob.h"

struct glob_use_entry {
	struct sl_client_key key;
	struct sl_glob_use use;
};

/* Every entry of sl_glob_use into a growing array *out (*cap entries
 * allocated, realloc'ed as needed; the caller frees): *n entries.
 * 0 or -errno. */
int glob_use_read(int use_fd, struct glob_use_entry **out, size_t *cap,
		  size_t *n);

/* Write n grants (keys[i] -> vals[i]) in batches: 0 or -errno. */
int glob_grant_write(int grant_fd, const struct sl_client_key *keys,
		     const struct sl_glob_grant *vals, size_t n);

/* One client's grant: 0, -ENOENT or -errno. */
int glob_grant_read(int grant_fd, const struct sl_client_key *key,
		    struct sl_glob_grant *out);

/* One client's use: 0, -ENOENT or -errno. */
int glob_use_lookup(int use_fd, const struct sl_client_key *key,
		    struct sl_glob_use *out);

/* Delete n clients from both maps (idle ones): 0 or -errno. */
int glob_forget(int use_fd, int grant_fd, const struct sl_client_key *keys,
		size_t n);

#endif /* SLUICE_KERN_GLOB_H */

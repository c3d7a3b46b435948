// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A config's prefixes into an LPM trie (apply_pfx.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/apply_pfx.h"
#include "common/log.h"
#include "common/names.h"
#include "common/proto.h"

/* Prefix changes listed one by one before they are only counted. */
#define APPLY_LIST_MAX	10

/* Room for one more element in a growing array. */
int apply_vec_reserve(void **v, size_t n, size_t *cap, size_t size)
{
	void *nv;

	if (n < *cap)
		return 0;
	nv = realloc(*v, (*cap ? 2 * *cap : 256) * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = *cap ? 2 * *cap : 256;
	return 0;
}

/* A trie entry, keys zero-padded to the IPv6 size so both families
 * sort and compare alike. */
struct pfx_ent {
	__u8  key[sizeof(struct sl_pfx_v6)];
	__u32 tier;
};

static int pfx_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(((struct pfx_ent *)0)->key));
}

static char *pfx_format(const struct pfx_ent *e, int family, char *buf,
			size_t size)
{
	struct cfg_prefix p = { .family = family };
	__u32 len;

	memcpy(&len, e->key, sizeof(len));
	p.len = len;
	memcpy(p.addr, e->key + sizeof(len), family == SL_AF_INET ? 4 : 16);
	return addr_format(&p, true, buf, size);
}

/* What the trie holds now. */
static int pfx_read(int fd, size_t ks, struct pfx_ent **out, int *n)
{
	__u8 key[sizeof(struct sl_pfx_v6)], next[sizeof(key)];
	struct pfx_ent *v = NULL;
	void *prev = NULL;
	size_t cap = 0;
	int err = 0;

	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		err = apply_vec_reserve((void **)&v, *n, &cap, sizeof(*v));
		if (err)
			goto fail;
		memset(&v[*n], 0, sizeof(v[*n]));
		memcpy(v[*n].key, next, ks);
		if (bpf_map_lookup_elem(fd, next, &v[*n].tier) == 0)
			(*n)++;
		memcpy(key, next, ks);
		prev = key;
	}
	if (errno != ENOENT) {
		err = -errno;
		goto fail;
	}
	qsort(v, *n, sizeof(*v), pfx_cmp);
	*out = v;
	return 0;
fail:
	free(v);
	return err;
}

/* What the config wants in the trie of `family`. */
static int pfx_want(const struct sl_config *cfg, const int *ids, int family,
		    struct pfx_ent **out, int *n)
{
	struct pfx_ent *v;
	int total = 0;

	for (int i = 0; i < cfg->ntiers; i++)
		total += cfg->tiers[i].nmatch;
	v = calloc(total ? total : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*n = 0;
	for (int i = 0; i < cfg->ntiers; i++)
		for (int j = 0; j < cfg->tiers[i].nmatch; j++) {
			const struct cfg_prefix *p = &cfg->tiers[i].match[j];
			__u32 len = p->len;

			if (p->family != family)
				continue;
			memcpy(v[*n].key, &len, sizeof(len));
			memcpy(v[*n].key + sizeof(len), p->addr,
			       family == SL_AF_INET ? 4 : 16);
			v[*n].tier = ids[i];
			(*n)++;
		}
	qsort(v, *n, sizeof(*v), pfx_cmp);
	*out = v;
	return 0;
}

/* Step 3 for one family: add and retarget first, then delete. */
int apply_prefixes(struct sl_iface *ifc, struct bpf_map *m, int family,
		   const struct sl_config *cfg, const int *ids,
		   char old[SL_MAX_TIERS][CFG_NAME_MAX], const char *what,
		   struct apply_summary *sum)
{
	struct pfx_ent *have = NULL, *want = NULL, *e;
	int fd = bpf_map__fd(m), nhave, nwant, err;
	int added = 0, moved = 0, removed = 0;
	size_t ks = bpf_map__key_size(m);
	const char *fam = family == SL_AF_INET ? "IPv4" : "IPv6";
	char buf[ADDR_STR_MAX];

	err = pfx_read(fd, ks, &have, &nhave);
	if (!err)
		err = pfx_want(cfg, ids, family, &want, &nwant);
	if (err)
		goto out;
	for (int i = 0; i < nwant; i++) {
		e = bsearch(&want[i], have, nhave, sizeof(*have), pfx_cmp);
		if (e && e->tier == want[i].tier)
			continue;
		if (bpf_map_update_elem(fd, want[i].key, &want[i].tier, BPF_ANY)) {
			err = -errno;
			log_err("%s: cannot add prefix %s to %s: %s", ifc->name,
				pfx_format(&want[i], family, buf, sizeof(buf)),
				bpf_map__name(m), strerror(-err));
			goto out;
		}
		if (e && ++moved <= APPLY_LIST_MAX)
			apply_note(sum, "%sprefix %s moved: tier %s -> %s", what,
				   pfx_format(&want[i], family, buf, sizeof(buf)),
				   e->tier < SL_MAX_TIERS && old[e->tier][0] ?
				   old[e->tier] : "?",
				   ifc->tier_names[want[i].tier]);
		else if (!e && ++added <= APPLY_LIST_MAX)
			apply_note(sum, "%sprefix %s added (tier %s)", what,
				   pfx_format(&want[i], family, buf, sizeof(buf)),
				   ifc->tier_names[want[i].tier]);
	}
	for (int i = 0; i < nhave; i++) {
		if (bsearch(&have[i], want, nwant, sizeof(*want), pfx_cmp))
			continue;
		if (bpf_map_delete_elem(fd, have[i].key) && errno != ENOENT) {
			err = -errno;
			log_err("%s: cannot delete prefix %s from %s: %s",
				ifc->name,
				pfx_format(&have[i], family, buf, sizeof(buf)),
				bpf_map__name(m), strerror(-err));
			goto out;
		}
		if (++removed <= APPLY_LIST_MAX)
			apply_note(sum, "%sprefix %s removed (was tier %s)", what,
				   pfx_format(&have[i], family, buf, sizeof(buf)),
				   have[i].tier < SL_MAX_TIERS &&
				   old[have[i].tier][0] ? old[have[i].tier] : "?");
	}
	if (added + moved + removed > APPLY_LIST_MAX)
		apply_note(sum, "%s%s prefixes: %d added, %d moved, %d removed",
			   what, fam, added, moved, removed);
out:
	free(have);
	free(want);
	return err;
}

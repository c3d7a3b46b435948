// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Services into the maps (services.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/services.h"
#include "kern/apply.h"
#include "common/log.h"
#include "sluice_svc_match.h"
#include "sluice_xdp.skel.h"

/* A trie entry. */
struct svc_ent {
	struct sl_svc_key key;
	struct sl_svc_hit hit;
};

int services_id(const struct sl_iface *ifc, const char *name)
{
	for (int id = 0; id < SL_MAX_SERVICES; id++)
		if (!strcmp(ifc->svc_names[id], name))
			return id;
	return -1;
}

static int svc_name_set(struct sl_iface *ifc, __u32 id, const char *name)
{
	struct sl_svc_name sn = {};

	snprintf(sn.name, sizeof(sn.name), "%s", name);
	if (bpf_map_update_elem(ifc->svc_names_fd, &id, &sn, BPF_ANY))
		return -errno;
	memcpy(ifc->svc_names[id], sn.name, SL_SVC_NAME_MAX);
	return 0;
}

/* Delete the pending requests of the services marked in `which`. */
static int svc_purge_conns(struct sl_iface *ifc, const bool *which)
{
	int fd = bpf_map__fd(ifc->skel->maps.sl_conns);
	struct sl_conn_key key, next, *keys = NULL;
	size_t n = 0, cap = 0;
	struct sl_conn c;
	void *prev = NULL;
	int err = 0;

	/* Collect first: deleting while walking a hash restarts the walk. */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &c) &&
		    c.service < SL_MAX_SERVICES && which[c.service]) {
			if (n == cap) {
				size_t nc = cap ? 2 * cap : 256;
				struct sl_conn_key *k = realloc(keys, nc * sizeof(*k));

				if (!k) {
					err = -ENOMEM;
					goto out;
				}
				keys = k;
				cap = nc;
			}
			keys[n++] = next;
		}
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &keys[i]);
out:
	free(keys);
	return err;
}

/* Zero service `id`'s statistics and failure run. */
static int svc_zero(struct sl_iface *ifc, __u32 id)
{
	int ncpus = libbpf_num_possible_cpus(), err = 0;
	struct sl_svc_run run = {};
	void *zero;

	if (ncpus < 0)
		return ncpus;
	zero = calloc(ncpus, sizeof(struct sl_svc_stats));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(bpf_map__fd(ifc->skel->maps.sl_svc_stats), &id,
				zero, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(ifc->skel->maps.sl_svc_run), &id,
				&run, BPF_ANY))
		err = -errno;
	free(zero);
	return err;
}

/* Step 1 (like the tiers' apply_assign). */
static int svc_assign(struct sl_iface *ifc, const struct sl_config *cfg,
		      struct svc_apply *sa)
{
	bool taken[SL_MAX_SERVICES] = {}, reused[SL_MAX_SERVICES] = {}, any = false;
	int err;

	memcpy(sa->old, ifc->svc_names, sizeof(sa->old));
	memset(sa->removed, 0, sizeof(sa->removed));
	for (int i = 0; i < cfg->nservices; i++) {
		sa->ids[i] = services_id(ifc, cfg->services[i].name);
		if (sa->ids[i] >= 0)
			taken[sa->ids[i]] = true;
	}
	for (int id = 0; id < SL_MAX_SERVICES; id++)
		sa->removed[id] = sa->old[id][0] && !taken[id];
	for (int i = 0; i < cfg->nservices; i++) {
		int id;

		if (sa->ids[i] >= 0)
			continue;
		for (id = 0; id < SL_MAX_SERVICES; id++)
			if (!taken[id] && !sa->old[id][0])
				break;
		if (id == SL_MAX_SERVICES)
			for (id = 0; id < SL_MAX_SERVICES && taken[id]; id++)
				;
		if (id == SL_MAX_SERVICES)
			return -ENOSPC;		/* services.c caps them at 64 */
		if (sa->removed[id]) {
			/* Its last owner's numbers must not become the new one's. */
			err = svc_zero(ifc, id);
			if (err)
				return err;
			reused[id] = any = true;
		}
		/* Persist before any map refers to the id. */
		err = svc_name_set(ifc, id, cfg->services[i].name);
		if (err)
			return err;
		taken[id] = true;
		sa->ids[i] = id;
	}
	return any ? svc_purge_conns(ifc, reused) : 0;
}

static void svc_to_abi(const struct cfg_service *s, struct sl_service *out)
{
	memset(out, 0, sizeof(*out));
	out->slow_ns = s->slow_ns;
	out->timeout_ns = s->timeout_ns;
	out->failures = SL_SVC_FAIL_DEFAULT;
	out->port = s->port;
	out->priority = s->priority;
	out->flags = SL_SVC_F_USED | (s->tls ? SL_SVC_F_TLS : 0);
}

static int ent_cmp(const void *a, const void *b)
{
	const struct svc_ent *x = a, *y = b;

	if (x->hit.id != y->hit.id)
		return (int)x->hit.id - (int)y->hit.id;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

/* The trie entries the config wants in generation `gen`, sorted. */
static int svc_want(const struct sl_config *cfg, const struct svc_apply *sa,
		    __u32 gen, struct svc_ent **out, int *n)
{
	struct svc_ent *v;
	int total = 0;

	for (int i = 0; i < cfg->nservices; i++)
		total += cfg_service_matches(&cfg->services[i]);
	v = calloc(total ? total : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*n = 0;
	for (int i = 0; i < cfg->nservices; i++) {
		const struct cfg_service *s = &cfg->services[i];

		for (int a = 0; a < (s->naddr ? s->naddr : 1); a++)
			for (int p = 0; p < (s->npaths ? s->npaths : 1); p++) {
				struct svc_ent *e = &v[(*n)++];
				size_t plen = s->npaths ? strlen(s->paths[p]) : 0;

				e->key.prefixlen = SL_SVC_KEY_BASE_BITS + 8 * plen;
				e->key.gen = gen & 1;
				e->key.scope = s->naddr ? s->addr[a].family :
							  SL_SVC_SCOPE_ANY;
				e->key.port = htons(s->port);
				if (s->naddr)
					memcpy(e->key.addr, s->addr[a].addr, 16);
				memcpy(e->key.path, s->paths[p], plen);
				e->hit.id = sa->ids[i];
				e->hit.flags = SL_SVC_F_USED |
					       (s->tls ? SL_SVC_F_TLS : 0);
			}
	}
	qsort(v, *n, sizeof(*v), ent_cmp);
	*out = v;
	return 0;
}

/* What the trie holds now, sorted. */
static int svc_have(int fd, struct svc_ent **out, int *n)
{
	struct sl_svc_key key, next;
	struct svc_ent *v = NULL;
	void *prev = NULL;
	int cap = 0;

	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (*n == cap) {
			struct svc_ent *nv;

			cap = cap ? 2 * cap : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		memset(&v[*n], 0, sizeof(v[*n]));
		v[*n].key = next;
		if (!bpf_map_lookup_elem(fd, &next, &v[*n].hit))
			(*n)++;
		key = next;
		prev = &key;
	}
	qsort(v, *n, sizeof(*v), ent_cmp);
	*out = v;
	return 0;
}

/* Do entries of generation `gen` in `have` give `id` what `want` does? */
static bool svc_same_matches(const struct svc_ent *have, int nhave, __u32 gen,
			     const struct svc_ent *want, int nwant, __u32 id)
{
	int i = 0, j = 0;

	for (;;) {
		while (i < nhave && (have[i].hit.id != id || have[i].key.gen != (gen & 1)))
			i++;
		while (j < nwant && want[j].hit.id != id)
			j++;
		if (i == nhave || j == nwant)
			return i == nhave && j == nwant;
		if (memcmp(&have[i].key.scope, &want[j].key.scope,
			   sizeof(have[i].key) - 5) ||
		    have[i].key.prefixlen != want[j].key.prefixlen ||
		    have[i].hit.flags != want[j].hit.flags)
			return false;
		i++;
		j++;
	}
}

/* Every port word of generation `gen`. */
static int svc_write_ports(struct sl_iface *ifc, const struct sl_config *cfg,
			   __u32 gen)
{
	static __u64 words[SL_SVC_PORT_WORDS];
	static __u32 keys[SL_SVC_PORT_WORDS];
	__u32 count = SL_SVC_PORT_WORDS;

	memset(words, 0, sizeof(words));
	for (int i = 0; i < cfg->nservices; i++) {
		const struct cfg_service *s = &cfg->services[i];
		__u64 bits = (s->naddr ? SL_SVC_PORT_ADDR : SL_SVC_PORT_ANY) |
			     (s->npaths ? SL_SVC_PORT_PATH : 0);

		words[s->port >> 4] |= bits << sl_svc_port_shift(s->port);
	}
	for (__u32 w = 0; w < SL_SVC_PORT_WORDS; w++)
		keys[w] = sl_svc_port_word(gen, w << 4);
	if (bpf_map_update_batch(bpf_map__fd(ifc->skel->maps.sl_svc_ports),
				 keys, words, &count, NULL))
		return -errno;
	return 0;
}

int services_write(struct sl_iface *ifc, const struct sl_config *cfg,
		   __u32 gen, bool fresh, struct svc_apply *sa,
		   struct apply_summary *sum)
{
	int sfd = bpf_map__fd(ifc->skel->maps.sl_services);
	int mfd = bpf_map__fd(ifc->skel->maps.sl_svc_match);
	struct sl_service next[SL_MAX_SERVICES] = {}, cur;
	struct svc_ent *have = NULL, *want = NULL;
	int nhave = 0, nwant = 0, err;
	char desc[512];

	err = svc_assign(ifc, cfg, sa);
	if (!err)
		err = svc_have(mfd, &have, &nhave);
	if (!err)
		err = svc_want(cfg, sa, gen, &want, &nwant);
	if (err)
		goto out;
	for (int i = 0; i < cfg->nservices; i++) {
		const struct cfg_service *s = &cfg->services[i];
		__u32 id = sa->ids[i], slot = sl_svc_slot(!gen, id);

		svc_to_abi(s, &next[id]);
		cfg_service_describe(s, desc, sizeof(desc));
		if (fresh || strcmp(sa->old[id], s->name)) {
			apply_note(sum, "service %s added (id %u): %s", s->name, id, desc);
			continue;
		}
		if (bpf_map_lookup_elem(sfd, &slot, &cur)) {
			err = -errno;
			goto out;
		}
		if (memcmp(&cur, &next[id], sizeof(cur)) ||
		    !svc_same_matches(have, nhave, !gen, want, nwant, id))
			apply_note(sum, "service %s changed: %s", s->name, desc);
	}
	for (__u32 id = 0; id < SL_MAX_SERVICES; id++) {
		__u32 slot = sl_svc_slot(gen, id);

		if (bpf_map_update_elem(sfd, &slot, &next[id], BPF_ANY)) {
			err = -errno;
			goto out;
		}
	}
	err = svc_write_ports(ifc, cfg, gen);
	if (err)
		goto out;
	/* The idle half's old entries go, then the new ones come. */
	for (int i = 0; i < nhave; i++)
		if (have[i].key.gen == (gen & 1) &&
		    bpf_map_delete_elem(mfd, &have[i].key) && errno != ENOENT) {
			err = -errno;
			goto out;
		}
	for (int i = 0; i < nwant; i++)
		if (bpf_map_update_elem(mfd, &want[i].key, &want[i].hit, BPF_ANY)) {
			err = -errno;
			log_err("%s: cannot add a match of service '%s' to %s: %s",
				ifc->name, ifc->svc_names[want[i].hit.id],
				SL_MAP_SVC_MATCH, strerror(-err));
			goto out;
		}
out:
	free(have);
	free(want);
	return err;
}

int services_cleanup(struct sl_iface *ifc, const struct svc_apply *sa,
		     struct apply_summary *sum)
{
	bool gone[SL_MAX_SERVICES] = {}, any = false;
	int err;

	for (__u32 id = 0; id < SL_MAX_SERVICES; id++) {
		if (!sa->removed[id])
			continue;
		apply_note(sum, "service %s removed (id %u freed)", sa->old[id], id);
		/* An id a new service took was cleared before it did. */
		if (strcmp(ifc->svc_names[id], sa->old[id]))
			continue;
		err = svc_zero(ifc, id);
		if (!err)
			err = svc_name_set(ifc, id, "");
		if (err)
			return err;
		gone[id] = any = true;
	}
	return any ? svc_purge_conns(ifc, gone) : 0;
}

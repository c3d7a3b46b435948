// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/gcra.h"
#include "pkt.h"
#include "xdp_fixture.h"
#include "kern/talk.h"

const char *fixture_skip_reason(void)
{
	static int probed;
	static char why[128];

	if (probed)
		return why[0] ? why : NULL;
	probed = 1;
	if (geteuid() != 0)
		snprintf(why, sizeof(why),
			 "not root: loading BPF programs needs CAP_BPF and CAP_NET_ADMIN");
	else if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL) <= 0)
		snprintf(why, sizeof(why),
			 "BPF unavailable: the kernel refuses XDP programs");
	return why[0] ? why : NULL;
}

void fixture_close(struct xdp_fixture *fx)
{
	sluice_xdp__destroy(fx->skel);
	fx->skel = NULL;
	fx->prog_fd = -1;
}

int fixture_open(struct xdp_fixture *fx, __u32 clients)
{
	int err;

	memset(fx, 0, sizeof(*fx));
	fx->prog_fd = -1;
	if (fixture_skip_reason())
		return FIXTURE_SKIP;
	fx->skel = sluice_xdp__open();
	if (!fx->skel)
		return -errno;
	if (clients) {
		err = bpf_map__set_max_entries(fx->skel->maps.sl_clients,
					       clients);
		if (err)
			goto fail;
	}
	/* Rings for every CPU, as the loader makes them. */
	err = talk_size(fx->skel->maps.sl_talk);
	if (err)
		goto fail;
	err = sluice_xdp__load(fx->skel);
	if (err)
		goto fail;
	fx->prog_fd = bpf_program__fd(fx->skel->progs.sluice_xdp);
	fx->ncpus = libbpf_num_possible_cpus();
	if (fx->ncpus <= 0) {
		err = fx->ncpus ? fx->ncpus : -ENODEV;
		goto fail;
	}
	fx->global.abi_version = SL_ABI_VERSION;
	err = fixture_set_global(fx);
	if (err)
		goto fail;
	return 0;
fail:
	fixture_close(fx);
	return err;
}

int fixture_share_maps(struct bpf_object *obj, struct xdp_fixture *fx)
{
	struct bpf_map *m, *x;
	int err;

	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;
		x = bpf_object__find_map_by_name(fx->skel->obj,
						 bpf_map__name(m));
		err = x ? bpf_map__reuse_fd(m, bpf_map__fd(x)) : -ENOENT;
		if (err)
			return err;
	}
	return 0;
}

static int map_fd(const struct bpf_map *m)
{
	return bpf_map__fd(m);
}

static int update(const struct bpf_map *m, const void *key, const void *val)
{
	return bpf_map_update_elem(map_fd(m), key, val, BPF_ANY) ? -errno : 0;
}

int fixture_set_global(struct xdp_fixture *fx)
{
	__u32 zero = 0;

	return update(fx->skel->maps.sl_global, &zero, &fx->global);
}

int fixture_set_mode(struct xdp_fixture *fx, __u32 mode, __u32 malformed,
		     __u32 default_tier)
{
	fx->global.mode = mode;
	fx->global.malformed = malformed;
	fx->global.default_tier = default_tier;
	return fixture_set_global(fx);
}

void fixture_tier_init(struct sl_tier *t, __u8 verdict, __u8 v4_prefix,
		       __u8 v6_prefix)
{
	memset(t, 0, sizeof(*t));
	t->verdict = verdict;
	t->v4_prefix = v4_prefix ? v4_prefix : 32;
	t->v6_prefix = v6_prefix ? v6_prefix : 64;
}

int fixture_tier_meter(struct sl_tier *t, __u8 unit, __u64 per_sec,
		       __u32 burst, __u8 action)
{
	if (t->nmeters >= SL_METERS_PER_TIER)
		return -E2BIG;
	return gcra_meter_set(&t->meters[t->nmeters++], per_sec,
			      SL_NSEC_PER_SEC, burst, unit, action);
}

int fixture_set_tier_gen(struct xdp_fixture *fx, __u32 gen, __u32 id,
			 const struct sl_tier *t)
{
	__u32 slot = sl_tier_slot(gen, id);

	if (id >= SL_MAX_TIERS)
		return -EINVAL;
	return update(fx->skel->maps.sl_tiers, &slot, t);
}

int fixture_set_tier(struct xdp_fixture *fx, __u32 id,
		     const struct sl_tier *t)
{
	return fixture_set_tier_gen(fx, fx->global.tier_gen, id, t);
}

int fixture_set_limit(struct xdp_fixture *fx, __u32 id,
		      const struct fixture_meter *m, int n, struct sl_tier *out)
{
	struct sl_tier t;
	int err = 0;

	fixture_tier_init(&t, SL_TIER_LIMIT, 0, 0);
	for (int i = 0; i < n && !err; i++)
		err = fixture_tier_meter(&t, m[i].unit, m[i].per_sec,
					 m[i].burst, m[i].action);
	if (err)
		return err;
	if (out)
		*out = t;
	return fixture_set_tier(fx, id, &t);
}

/* "addr/len" into network-order bytes; returns the family or -EINVAL. */
static int cidr_parse(const char *cidr, __u8 addr[16], int *len)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash;
	int family = strchr(cidr, ':') ? 6 : 4;
	int max = family == 4 ? 32 : 128;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	*len = max;
	if (slash) {
		*slash = '\0';
		*len = atoi(slash + 1);
	}
	if (*len < 0 || *len > max ||
	    inet_pton(family == 4 ? AF_INET : AF_INET6, buf, addr) != 1)
		return -EINVAL;
	return family;
}

/* Then the epoch, as sluiced bumps it after rewriting the tries: it
 * retires the classifications the program cached (sluice_pfxcache.h). */
int fixture_add_prefix(struct xdp_fixture *fx, const char *cidr, __u32 tier)
{
	struct sl_pfx_val val = { .tier = tier };
	__u8 addr[16] = {};
	int len, err, family = cidr_parse(cidr, addr, &len);

	if (family == 4) {
		struct sl_pfx_v4 k = { .prefixlen = len };

		memcpy(k.addr, addr, 4);
		err = update(fx->skel->maps.sl_pfx_v4, &k, &val);
	} else if (family == 6) {
		struct sl_pfx_v6 k = { .prefixlen = len };

		memcpy(k.addr, addr, 16);
		err = update(fx->skel->maps.sl_pfx_v6, &k, &val);
	} else {
		return family;
	}
	if (err)
		return err;
	fx->global.epoch++;
	return fixture_set_global(fx);
}

int fixture_map_count(struct bpf_map *m)
{
	__u8 key[64], next[64];
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(bpf_map__fd(m), prev, next)) {
		memcpy(key, next, sizeof(key));
		prev = key;
		n++;
	}
	return n;
}

int fixture_stats(struct xdp_fixture *fx, __u32 tier, __u32 reason,
		  struct sl_counter *out)
{
	struct sl_counter vals[fx->ncpus];
	__u32 idx = sl_stats_index(tier, reason);

	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(map_fd(fx->skel->maps.sl_counters), &idx, vals))
		return -errno;
	for (int i = 0; i < fx->ncpus; i++) {
		out->packets += vals[i].packets;
		out->bytes += vals[i].bytes;
	}
	return 0;
}

int fixture_stats_total(struct xdp_fixture *fx, struct sl_counter *out)
{
	struct sl_counter c;
	int err;

	memset(out, 0, sizeof(*out));
	for (__u32 t = 0; t <= SL_TIER_NONE; t++) {
		for (__u32 r = 0; r < SL_R__MAX; r++) {
			err = fixture_stats(fx, t, r, &c);
			if (err)
				return err;
			out->packets += c.packets;
			out->bytes += c.bytes;
		}
	}
	return 0;
}

int fixture_stats_row(struct xdp_fixture *fx, __u32 tier,
		      struct sl_counter out[SL_R__MAX])
{
	__u32 first = sl_stats_index(tier, 0), prev = first - 1, last;
	__u32 keys[SL_R__MAX], count = SL_R__MAX;
	struct sl_counter vals[SL_R__MAX][fx->ncpus];
	LIBBPF_OPTS(bpf_map_batch_opts, o);

	/* One row is SL_R__MAX keys in a row; the batch starts after `prev`. */
	if (sl_stats_index(tier, SL_R__MAX - 1) != first + SL_R__MAX - 1)
		return -EINVAL;
	if (bpf_map_lookup_batch(map_fd(fx->skel->maps.sl_counters),
				 first ? &prev : NULL, &last, keys, vals,
				 &count, &o) && errno != ENOENT)
		return -errno;
	if (count != SL_R__MAX || keys[0] != first)
		return -EIO;
	memset(out, 0, SL_R__MAX * sizeof(*out));
	for (__u32 r = 0; r < SL_R__MAX; r++) {
		for (int i = 0; i < fx->ncpus; i++) {
			out[r].packets += vals[r][i].packets;
			out[r].bytes += vals[r][i].bytes;
		}
	}
	return 0;
}

__u64 fixture_stat_packets(struct xdp_fixture *fx, __u32 tier, __u32 reason)
{
	struct sl_counter c;

	return fixture_stats(fx, tier, reason, &c) ? ~0ULL : c.packets;
}

__u64 fixture_event(struct xdp_fixture *fx, __u32 ev)
{
	__u64 vals[fx->ncpus], sum = 0;

	if (bpf_map_lookup_elem(map_fd(fx->skel->maps.sl_evcount), &ev, vals))
		return ~0ULL;
	for (int i = 0; i < fx->ncpus; i++)
		sum += vals[i];
	return sum;
}

int fixture_clear_stats(struct xdp_fixture *fx)
{
	struct sl_counter zc[fx->ncpus];
	__u64 ze[fx->ncpus];
	int err = 0;

	memset(zc, 0, sizeof(zc));
	memset(ze, 0, sizeof(ze));
	for (__u32 i = 0; i < SL_STATS_ENTRIES && !err; i++)
		err = update(fx->skel->maps.sl_counters, &i, zc);
	for (__u32 i = 0; i < SL_EVENT_SLOTS && !err; i++)
		err = update(fx->skel->maps.sl_evcount, &i, ze);
	return err;
}

int fixture_client_key(struct sl_client_key *k, const char *addr,
		       int prefix, __u32 tier)
{
	__u8 a[16] = {};
	int len, family = cidr_parse(addr, a, &len);

	if (family < 0)
		return family;
	memset(k, 0, sizeof(*k));
	for (int bit = prefix; bit < 128; bit++)
		a[bit / 8] &= ~(0x80 >> (bit % 8));
	memcpy(k->addr, a, family == 4 ? 4 : 16);
	k->family = family == 4 ? SL_AF_INET : SL_AF_INET6;
	k->tier = tier;
	return 0;
}

int fixture_client(struct xdp_fixture *fx, const struct sl_client_key *k,
		   struct sl_client *out)
{
	if (bpf_map_lookup_elem(map_fd(fx->skel->maps.sl_clients), k, out))
		return -errno;
	return 0;
}

int fixture_set_client(struct xdp_fixture *fx, const struct sl_client_key *k,
		       const struct sl_client *c)
{
	return update(fx->skel->maps.sl_clients, k, c);
}

int fixture_delete_client(struct xdp_fixture *fx, const struct sl_client_key *k)
{
	return bpf_map_delete_elem(map_fd(fx->skel->maps.sl_clients), k) ?
	       -errno : 0;
}

int fixture_client_count(struct xdp_fixture *fx)
{
	struct sl_client_key k, next;
	int fd = map_fd(fx->skel->maps.sl_clients), n = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* The refusal caches remember refused clients: forget them with the
 * clients, or the next test meets their refusals. */
int fixture_zero_percpu(struct xdp_fixture *fx, const struct bpf_map *m)
{
	size_t sz = bpf_map__value_size(m) * fx->ncpus;
	void *zero = calloc(1, sz);
	int err = zero ? 0 : -ENOMEM;

	for (__u32 i = 0; !err && i < bpf_map__max_entries(m); i++)
		if (bpf_map__update_elem(m, &i, sizeof(i), zero, sz, BPF_ANY))
			err = -errno;
	free(zero);
	return err;
}

int fixture_clear_refused(struct xdp_fixture *fx)
{
	return fixture_zero_percpu(fx, fx->skel->maps.sl_refused) ?:
	       fixture_zero_percpu(fx, fx->skel->maps.sl_refused6);
}

int fixture_clear_clients(struct xdp_fixture *fx)
{
	struct sl_client_key k;
	int fd = map_fd(fx->skel->maps.sl_clients);

	/* Always delete the first key: iterating a table while deleting
	 * from it may restart anyway. */
	while (bpf_map_get_next_key(fd, NULL, &k) == 0)
		if (bpf_map_delete_elem(fd, &k))
			return -errno;
	if (errno != ENOENT)
		return -errno;
	return fixture_clear_refused(fx);
}

int fixture_flood(struct xdp_fixture *fx, __u32 tier, struct sl_flood *out)
{
	if (bpf_map_lookup_elem(map_fd(fx->skel->maps.sl_flood), &tier, out))
		return -errno;
	return 0;
}

static int test_run(int prog_fd, const void *pkt, __u32 len, __u32 repeat,
		    void *out, __u32 *out_len, __u32 *ns_per_run)
{
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = pkt,
		.data_size_in = len,
		.data_out = out,
		/* The program only ever shrinks a frame. */
		.data_size_out = out ? len : 0,
		.repeat = repeat,
	);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	if (out_len)
		*out_len = o.data_size_out;
	if (ns_per_run)
		*ns_per_run = o.duration;
	return o.retval;
}

int fixture_run(struct xdp_fixture *fx, const void *pkt, __u32 len,
		void *out, __u32 *out_len)
{
	return test_run(fx->prog_fd, pkt, len, 1, out, out_len, NULL);
}

int prog_run_repeat(int prog_fd, const void *pkt, __u32 len, __u32 repeat,
		    __u32 *ns_per_run)
{
	return test_run(prog_fd, pkt, len, repeat, NULL, NULL, ns_per_run);
}

int fixture_send(struct xdp_fixture *fx, const struct pkt_spec *s)
{
	struct pkt p;
	int err = pkt_build(&p, s);

	return err ?: fixture_run(fx, p.data, p.len, NULL, NULL);
}

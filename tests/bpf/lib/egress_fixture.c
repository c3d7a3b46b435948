// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "egress_fixture.h"
#include "sluice_egress.skel.h"

int egress_fixture_open(struct egress_fixture *ef, struct xdp_fixture *fx)
{
	int err;

	memset(ef, 0, sizeof(*ef));
	ef->prog_fd = -1;
	ef->skel = sluice_egress__open();
	if (!ef->skel)
		return -errno;
	err = fixture_share_maps(ef->skel->obj, fx) ?:
	      sluice_egress__load(ef->skel);
	if (err) {
		egress_fixture_close(ef);
		return err;
	}
	ef->prog_fd = bpf_program__fd(ef->skel->progs.sluice_egress);
	return 0;
}

void egress_fixture_close(struct egress_fixture *ef)
{
	sluice_egress__destroy(ef->skel);
	ef->skel = NULL;
	ef->prog_fd = -1;
}

static int map_fd(const struct bpf_map *m)
{
	return bpf_map__fd(m);
}

static int update(const struct bpf_map *m, const void *k, const void *v)
{
	return bpf_map_update_elem(map_fd(m), k, v, BPF_ANY) ? -errno : 0;
}

int egress_set_service(struct xdp_fixture *fx, __u32 gen, __u32 id,
		       __u64 slow_ns, __u64 timeout_ns, __u32 failures)
{
	struct sl_service s = {
		.slow_ns = slow_ns, .timeout_ns = timeout_ns,
		.failures = failures, .port = 80, .flags = SL_SVC_F_USED,
	};
	__u32 slot = sl_svc_slot(gen, id);

	return update(fx->skel->maps.sl_services, &slot, &s);
}

int egress_clear_service(struct xdp_fixture *fx, __u32 gen, __u32 id)
{
	struct sl_service s = {};
	__u32 slot = sl_svc_slot(gen, id);

	return update(fx->skel->maps.sl_services, &slot, &s);
}

int egress_key(struct sl_conn_key *k, const char *client, __u16 cport,
	       const char *server, __u16 sport)
{
	int af = strchr(client, ':') ? AF_INET6 : AF_INET;

	memset(k, 0, sizeof(*k));
	k->family = af == AF_INET ? SL_AF_INET : SL_AF_INET6;
	k->client_port = htons(cport);
	k->server_port = htons(sport);
	if (inet_pton(af, client, k->client) != 1 ||
	    inet_pton(af, server, k->server) != 1)
		return -EINVAL;
	return 0;
}

__u64 egress_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int egress_set_pending(struct xdp_fixture *fx, const struct sl_conn_key *k,
		       __u32 id, __u64 ago_ns)
{
	struct sl_conn c = {
		.start_ns = egress_now_ns() - ago_ns,
		.seq = 1000,
		.service = id,
		.pending = 1,
	};

	return update(fx->skel->maps.sl_conns, k, &c);
}

int egress_conn(struct xdp_fixture *fx, const struct sl_conn_key *k,
		struct sl_conn *out)
{
	if (bpf_map_lookup_elem(map_fd(fx->skel->maps.sl_conns), k, out))
		return -errno;
	return 0;
}

int egress_clear_conns(struct xdp_fixture *fx)
{
	int fd = map_fd(fx->skel->maps.sl_conns);
	struct sl_conn_key k;

	while (!bpf_map_get_next_key(fd, NULL, &k))
		if (bpf_map_delete_elem(fd, &k))
			return -errno;
	return 0;
}

int egress_stats(struct xdp_fixture *fx, __u32 id, struct sl_svc_stats *out)
{
	struct sl_svc_stats *v = calloc(fx->ncpus, sizeof(*v));
	__u64 *o = (__u64 *)out;
	int err = 0;

	if (!v)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(map_fd(fx->skel->maps.sl_svc_stats), &id, v))
		err = -errno;
	for (int c = 0; !err && c < fx->ncpus; c++) {
		const __u64 *w = (const __u64 *)&v[c];

		for (size_t i = 0; i < sizeof(*out) / 8; i++)
			o[i] += w[i];
	}
	free(v);
	return err;
}

int egress_run_state(struct xdp_fixture *fx, __u32 id, struct sl_svc_run *out)
{
	if (bpf_map_lookup_elem(map_fd(fx->skel->maps.sl_svc_run), &id, out))
		return -errno;
	return 0;
}

int egress_clear_stats(struct xdp_fixture *fx)
{
	struct sl_svc_stats *z = calloc(fx->ncpus, sizeof(*z));
	struct sl_svc_run r = {};
	int err = 0;

	if (!z)
		return -ENOMEM;
	for (__u32 id = 0; !err && id < SL_MAX_SERVICES; id++)
		err = update(fx->skel->maps.sl_svc_stats, &id, z) ?:
		      update(fx->skel->maps.sl_svc_run, &id, &r);
	free(z);
	return err;
}

long egress_run(const struct egress_fixture *ef, const void *pkt, __u32 len,
		const struct egress_skb *o)
{
	struct __sk_buff ctx = {};
	LIBBPF_OPTS(bpf_test_run_opts, t,
		.data_in = pkt,
		.data_size_in = len,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = 1,
	);

	if (o) {
		ctx.mark = o->mark;
		ctx.gso_size = o->gso_size;
		ctx.gso_segs = o->gso_segs;
	}
	if (bpf_prog_test_run_opts(ef->prog_fd, &t))
		return -1000 - errno;
	return (int)t.retval;
}

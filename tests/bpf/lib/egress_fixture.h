/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The TC egress program (bpf/sluice_egress.bpf.c) on an xdp_fixture's
 * maps for BPF_PROG_TEST_RUN, with what the ingress side and sluiced
 * would have written: services (sl_services) and pending requests
 * (sl_conns).  Shared by tests/bpf and tools/bench.
 */
#ifndef SLUICE_TEST_EGRESS_FIXTURE_H
#define SLUICE_TEST_EGRESS_FIXTURE_H

#include <linux/types.h>

#include "sluice_service.h"
#include "xdp_fixture.h"

struct sluice_egress;

/* The egress program answers TCX_NEXT (TC_ACT_UNSPEC) to every segment. */
#define EGRESS_PASS	(-1)

struct egress_fixture {
	struct sluice_egress *skel;
	int prog_fd;
};

/* Load the egress program on fx's maps: 0 or -errno. */
int egress_fixture_open(struct egress_fixture *ef, struct xdp_fixture *fx);
void egress_fixture_close(struct egress_fixture *ef);

/* Service `id` in generation `gen` as sluiced writes it (flags USED). */
int egress_set_service(struct xdp_fixture *fx, __u32 gen, __u32 id,
		       __u64 slow_ns, __u64 timeout_ns, __u32 failures);
int egress_clear_service(struct xdp_fixture *fx, __u32 gen, __u32 id);

/* The key of the connection client:cport <-> server:sport (text
 * addresses of one family). */
int egress_key(struct sl_conn_key *k, const char *client, __u16 cport,
	       const char *server, __u16 sport);
/* A pending request of service `id` that arrived `ago_ns` ago (on
 * CLOCK_MONOTONIC, bpf_ktime_get_ns()'s clock). */
int egress_set_pending(struct xdp_fixture *fx, const struct sl_conn_key *k,
		       __u32 id, __u64 ago_ns);
/* 0, or -ENOENT when the connection has no entry. */
int egress_conn(struct xdp_fixture *fx, const struct sl_conn_key *k,
		struct sl_conn *out);
int egress_clear_conns(struct xdp_fixture *fx);

/* sl_svc_stats[id] summed over CPUs; sl_svc_run[id]. */
int egress_stats(struct xdp_fixture *fx, __u32 id, struct sl_svc_stats *out);
int egress_run_state(struct xdp_fixture *fx, __u32 id, struct sl_svc_run *out);
/* Zero sl_svc_stats and sl_svc_run. */
int egress_clear_stats(struct xdp_fixture *fx);

/* Run one frame with skb->mark `mark` and, when gso_size is not 0, as a
 * GSO skb of `gso_segs` segments: the verdict, or -errno as a value
 * below EGRESS_PASS. */
struct egress_skb {
	__u32 mark;
	__u32 gso_size;
	__u32 gso_segs;
};
long egress_run(const struct egress_fixture *ef, const void *pkt, __u32 len,
		const struct egress_skb *o);

/* CLOCK_MONOTONIC in ns. */
__u64 egress_now_ns(void);

#endif /* SLUICE_TEST_EGRESS_FIXTURE_H */

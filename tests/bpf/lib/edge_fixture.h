/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Both programs of an edge answer for BPF_PROG_TEST_RUN: the XDP
 * limiter of an xdp_fixture and the TC program on its maps, loaded the
 * way tests need it (edge_test, bpf/lib/edge_tc.bpf.h: the record comes
 * in skb->cb and nothing is sent), plus templates written by hand.
 */
#ifndef SLUICE_TEST_EDGE_FIXTURE_H
#define SLUICE_TEST_EDGE_FIXTURE_H

#include <linux/types.h>

#include "sluice_edge.h"
#include "sluice_reply.h"
#include "xdp_fixture.h"

struct sluice_tc;

struct edge_fixture {
	struct sluice_tc *client;	/* returns the client's answer */
	struct sluice_tc *server;	/* returns the server's RST */
};

/* Load both TC copies on fx's maps: 0 or -errno. */
int edge_open(struct edge_fixture *ef, struct xdp_fixture *fx);
void edge_close(struct edge_fixture *ef);

/* Render `text` into a template the way sluiced does: every "%%%%"
 * run of `width` '#' characters is a field (written as spaces), csum
 * precomputed.  Returns 0 or -EINVAL (too long, too many fields). */
int edge_template(struct sl_reply *r, const char *text, __u16 status,
		  __u8 width);
/* Write it as reply `id` of generation `gen`. */
int edge_set_reply(struct xdp_fixture *fx, __u32 gen, __u32 id,
		   const struct sl_reply *r);

/* sl_edge's tc_attached, as sluiced writes it once TC is attached. */
int edge_set_tc(struct xdp_fixture *fx, __u32 on);

/* XDP run that may leave a record: the frame in out (room for
 * `out_size`), the metadata length in *meta_len (the record, if any,
 * is at out[0]).  Returns the verdict or -errno. */
/* sl_edge with edge_connections on `ports` (TC attached too). */
int edge_set_conn(struct xdp_fixture *fx, const __u16 *ports, __u32 n,
		  __u64 min_wait_ns);

int edge_run_xdp(struct xdp_fixture *fx, const void *pkt, __u32 len,
		 void *out, __u32 out_size, __u32 *out_len, __u32 *meta_len);

/* TC run of `pkt` with record `m` (NULL: none): the TC verdict, the
 * frame as the program left it in out. */
int edge_run_tc(const struct edge_fixture *ef, int server,
		const struct sl_edge_meta *m, const void *pkt, __u32 len,
		void *out, __u32 out_size, __u32 *out_len);

#endif /* SLUICE_TEST_EDGE_FIXTURE_H */

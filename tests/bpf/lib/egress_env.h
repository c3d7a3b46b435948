/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the egress tests share (test_egress.c, test_egress_outcomes.c):
 * the limiter's maps and the egress program on them, a service, the
 * server's segments towards one client, and the readings after them.
 * Static helpers, in the style of edge_expect.h.
 */
#ifndef SLUICE_TEST_EGRESS_ENV_H
#define SLUICE_TEST_EGRESS_ENV_H

#include <string.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "test.h"
#include "egress_fixture.h"
#include "pkt.h"
#include "sluice_edge.h"
#include "sluice_egress.skel.h"

#define SVC		3
#define MS		1000000ULL
#define SLOW_NS		(100 * MS)
#define CLIENT4		"198.18.0.1"
#define SERVER4		"198.18.0.2"
#define CLIENT6		"2001:2::1"
#define SERVER6		"2001:2::2"
#define CPORT		40000
#define SPORT		80

/* A segment from the server to the client (the default pkt_spec
 * addresses, reversed). */
struct seg {
	int v6;
	__u8 flags;
	const void *payload;
	__u16 payload_len;
	__u8 nvlan;
	__u8 ip_opts;
};

static int seg_build(struct pkt *p, const struct seg *g)
{
	struct pkt_spec s = {
		.kind = g->v6 ? PKT_IPV6 : PKT_IPV4,
		.src = g->v6 ? SERVER6 : SERVER4,
		.dst = g->v6 ? CLIENT6 : CLIENT4,
		.sport = SPORT, .dport = CPORT,
		.tcp_flags = g->flags ? g->flags : TH_ACK | TH_PSH,
		.seq = 7000, .ack = 1100,
		.payload = g->payload, .payload_len = g->payload_len,
		.nvlan = g->nvlan, .ip_opts = g->ip_opts,
	};

	return pkt_build(p, &s);
}

static void key_of(struct sl_conn_key *k, int v6)
{
	egress_key(k, v6 ? CLIENT6 : CLIENT4, CPORT, v6 ? SERVER6 : SERVER4,
		   SPORT);
}

struct env {
	struct xdp_fixture fx;
	struct egress_fixture ef;
};

static bool setup(struct env *e)
{
	memset(e, 0, sizeof(*e));
	e->ef.prog_fd = -1;
	if (!FIXTURE_SETUP(&e->fx, FIXTURE_CLIENTS))
		return false;
	return ASSERT_OK(egress_fixture_open(&e->ef, &e->fx), "egress_fixture_open") &&
	       ASSERT_OK(egress_set_service(&e->fx, 0, SVC, SLOW_NS,
					    30000 * MS, SL_SVC_FAIL_DEFAULT),
			 "service");
}

static void teardown(struct env *e)
{
	egress_fixture_close(&e->ef);
	fixture_close(&e->fx);
}

/* Run a segment; the verdict must be TCX_NEXT. */
static bool send_seg(struct env *e, const struct seg *g,
		     const struct egress_skb *o)
{
	struct pkt p;

	if (!ASSERT_OK(seg_build(&p, g), "pkt_build"))
		return false;
	return ASSERT_EQ(egress_run(&e->ef, p.data, p.len, o), EGRESS_PASS,
			 "verdict TCX_NEXT");
}

static bool send_text(struct env *e, int v6, __u8 flags, const char *text)
{
	struct seg g = { .v6 = v6, .flags = flags, .payload = text };

	return send_seg(e, &g, NULL);
}

static struct sl_svc_stats stats(struct env *e)
{
	struct sl_svc_stats s;

	ASSERT_OK(egress_stats(&e->fx, SVC, &s), "read sl_svc_stats");
	return s;
}

static int pending(struct env *e, int v6)
{
	struct sl_conn_key k;
	struct sl_conn c;

	key_of(&k, v6);
	if (egress_conn(&e->fx, &k, &c))
		return -1;	/* no entry */
	return c.pending;
}

static bool set_pending(struct env *e, int v6, __u64 ago_ns)
{
	struct sl_conn_key k;

	key_of(&k, v6);
	return ASSERT_OK(egress_set_pending(&e->fx, &k, SVC, ago_ns),
			 "write the pending request");
}

static bool reset_all(struct env *e)
{
	return ASSERT_OK(egress_clear_stats(&e->fx), "clear stats") &&
	       ASSERT_OK(egress_clear_conns(&e->fx), "clear conns");
}

#endif /* SLUICE_TEST_EGRESS_ENV_H */

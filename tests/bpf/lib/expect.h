/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Assertions over the XDP fixture for tests/bpf (header-only: it uses
 * the harness in test.h, which the benchmark tools do not link).
 */
#ifndef SLUICE_TEST_EXPECT_H
#define SLUICE_TEST_EXPECT_H

#include <linux/bpf.h>

#include "test.h"
#include "pkt.h"
#include "xdp_fixture.h"

/* One row of a fixture table: a packet, its verdict, and the counter
 * (tier x reason) it must land in. */
struct xdp_case {
	const char *desc;
	struct pkt_spec pkt;
	int verdict;		/* XDP_PASS, XDP_DROP, XDP_TX */
	__u32 tier;
	__u32 reason;		/* enum sl_reason */
	int event;		/* enum sl_event it must bump, or -1 */
};

#define NO_EVENT	(-1)

/* Verdict for malformed packets under the current sl_global. */
static inline int expect_malformed_verdict(const struct xdp_fixture *fx)
{
	return fx->global.malformed == SL_POLICY_DROP &&
	       fx->global.mode != SL_MODE_SHADOW ? XDP_DROP : XDP_PASS;
}

/* Run a built frame: its verdict must be `verdict` and the packet
 * counter of (tier, reason) must move by one. */
static inline bool expect_run(struct xdp_fixture *fx, const char *what,
			      const struct pkt *p, int verdict, __u32 tier,
			      __u32 reason)
{
	__u64 before = fixture_stat_packets(fx, tier, reason);
	int got = fixture_run(fx, p->data, p->len, NULL, NULL);
	bool ok;

	ok = ASSERT_EQ(got, verdict, what);
	ok &= ASSERT_EQ(fixture_stat_packets(fx, tier, reason) - before, 1,
			what);
	return ok;
}

static inline bool expect_send(struct xdp_fixture *fx, const char *what,
			       const struct pkt_spec *s, int verdict,
			       __u32 tier, __u32 reason)
{
	struct pkt p;

	if (!ASSERT_OK(pkt_build(&p, s), what))
		return false;
	return expect_run(fx, what, &p, verdict, tier, reason);
}

/* Run every row; each must also bump its event.  Counts what it sent
 * into *sent so the caller can check the totals. */
static inline void expect_table(struct xdp_fixture *fx,
				const struct xdp_case *rows, int n,
				__u64 *sent)
{
	for (int i = 0; i < n; i++) {
		const struct xdp_case *c = &rows[i];
		int verdict = c->reason == SL_R_MALFORMED ?
			      expect_malformed_verdict(fx) : c->verdict;
		__u64 ev = c->event >= 0 ? fixture_event(fx, c->event) : 0;

		test_subtest_begin(c->desc);
		expect_send(fx, c->desc, &c->pkt, verdict, c->tier, c->reason);
		if (c->event >= 0)
			ASSERT_EQ(fixture_event(fx, c->event) - ev, 1, "event");
		(*sent)++;
		test_subtest_end();
	}
}

/* Every packet sent was counted exactly once, in some tier x reason. */
static inline bool expect_total(struct xdp_fixture *fx, __u64 packets)
{
	struct sl_counter total;

	return ASSERT_OK(fixture_stats_total(fx, &total), "stats") &&
	       ASSERT_EQ(total.packets, packets, "packets counted");
}

/* A RST the program made of `in`: both frames parsed into *i and *o, its
 * length checked (L2 + a bare IP header + TCP).  The address length, or
 * 0 when a frame does not parse (said why). */
static inline int expect_rst_views(const struct pkt *in, const __u8 *out,
				   __u32 out_len, struct pkt_view *i,
				   struct pkt_view *o)
{
	const char *why = NULL;

	if (!ASSERT_OK(pkt_parse(in->data, in->len, i, &why), "input") ||
	    !ASSERT_OK(pkt_parse(out, out_len, o, &why), "parse the RST")) {
		fprintf(stderr, "    %s\n", why);
		return 0;
	}
	ASSERT_EQ(out_len, in->l3_off + (i->family == 4 ? 20 : 40) + 20,
		  "length: L2 + bare IP + TCP");
	return i->family == 4 ? 4 : 16;
}

#endif /* SLUICE_TEST_EXPECT_H */

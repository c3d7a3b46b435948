/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one exit of the data path: every packet ends in verdict_xdp()
 * with a named outcome.  It counts the reason, applies shadow mode and
 * takes the action, in one place:
 *
 *   outcome --verdict_plan()--> action + reason, and the reason that
 *   shadow mode counts instead --verdict_xdp()--> pass, drop or reset
 *
 * A new outcome (breaker open, shed by degrade) is one enum value and
 * one case in verdict_plan(); a new action (an edge HTTP reply) is one
 * enum value and one branch in verdict_xdp().
 */
#ifndef SLUICE_VERDICT_BPF_H
#define SLUICE_VERDICT_BPF_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "sluice_abi.h"
#include "maps.bpf.h"
#include "parse.bpf.h"
#include "pkt_ctx.bpf.h"
#include "proto.bpf.h"
#include "edge.bpf.h"
#include "edge_conn.bpf.h"
#include "reply.bpf.h"
#include "rollout.bpf.h"
#include "service.bpf.h"
#include "talk.bpf.h"

enum verdict_outcome {
	VERDICT_NO_CONFIG = 0,	/* sl_global unreadable: pass, count nothing */
	VERDICT_NON_IP,		/* ARP, LLDP, ...: pass */
	VERDICT_MALFORMED,	/* unparseable: sl_global.malformed decides */
	VERDICT_NO_TIER,	/* no tier config to meter it by: pass */
	VERDICT_ALLOWLISTED,	/* tier verdict pass */
	VERDICT_DENYLISTED,	/* tier verdict drop */
	VERDICT_PASSED,		/* every applicable meter admitted it */
	VERDICT_UNMETERED,	/* no meter of the tier applies */
	VERDICT_FLOOD,		/* a new source the flood guard refused */
	VERDICT_REFUSED,	/* a meter refused: its action decides */
	VERDICT_EDGE_CONN,	/* a connection the edge answers itself */
	VERDICT_GATED,		/* its service's gate stopped it: v->gate */
};

/* What is done to the packet, before shadow mode. */
enum verdict_action {
	VERDICT_PASS = 0,
	VERDICT_DROP,
	VERDICT_RESET,		/* TCP RST back to the sender */
	VERDICT_EDGE,		/* the edge connection's answer (v->edge) */
};

struct verdict {
	__u32 tier;		/* counter row: tier id or SL_TIER_NONE */
	__u8  outcome;		/* enum verdict_outcome */
	__u8  meter_action;	/* VERDICT_REFUSED: the meter's enum sl_action */
	__u8  meter;		/* VERDICT_REFUSED: its index, else SL_TALK_NO_METER */
	__u8  gate;		/* VERDICT_GATED: enum service_gate_kind */
	__u16 reply;		/* VERDICT_REFUSED: the meter's reply id */
	__u16 pad2;
	__s64 wait_ns;		/* VERDICT_REFUSED: until the meter admits again;
				 * VERDICT_GATED: what Retry-After says */
	struct edge_conn ec;	/* VERDICT_EDGE_CONN: what to answer */
};

struct verdict_plan {
	__u8 action;		/* enum verdict_action */
	__u8 reason;		/* enum sl_reason it is counted under */
	__u8 shadow_reason;	/* counted instead in shadow mode, which
				 * passes whatever it would not */
};

/* A RST answers only TCP, and never a RST. */
static __always_inline int verdict_can_reset(const struct sl_pkt *p)
{
	return p->l4proto == IPPROTO_TCP && !(p->tcp_flags & TCPF_RST);
}

static __always_inline struct verdict_plan
verdict_plan(const struct verdict *v, const struct sl_global *g,
	     const struct sl_pkt *p)
{
	switch (v->outcome) {
	case VERDICT_NON_IP:
		return (struct verdict_plan){ VERDICT_PASS, SL_R_NON_IP };
	case VERDICT_MALFORMED:
		return (struct verdict_plan){
			g->malformed == SL_POLICY_DROP ? VERDICT_DROP :
							 VERDICT_PASS,
			SL_R_MALFORMED, SL_R_MALFORMED };
	case VERDICT_ALLOWLISTED:
		return (struct verdict_plan){ VERDICT_PASS, SL_R_ALLOWLISTED };
	case VERDICT_DENYLISTED:
		return (struct verdict_plan){ VERDICT_DROP, SL_R_DENYLISTED,
					      SL_R_DENYLISTED };
	case VERDICT_PASSED:
		return (struct verdict_plan){ VERDICT_PASS, SL_R_PASSED };
	case VERDICT_FLOOD:
		return (struct verdict_plan){ VERDICT_DROP, SL_R_FLOOD_DROP,
					      SL_R_SHADOW_DROP };
	case VERDICT_REFUSED:
		/* An http meter answers a request with its reply, the rest
		 * like reset (lib/edge.bpf.h); what cannot take a RST is
		 * dropped. */
		if (v->meter_action != SL_ACT_DROP && verdict_can_reset(p)) {
			if (edge_is_http(p, v->meter_action, v->reply))
				return (struct verdict_plan){ VERDICT_RESET,
							      SL_R_HTTP,
							      SL_R_SHADOW_HTTP };
			return (struct verdict_plan){ VERDICT_RESET,
						      SL_R_RESET,
						      SL_R_SHADOW_RESET };
		}
		return (struct verdict_plan){ VERDICT_DROP, SL_R_DROPPED,
					      SL_R_SHADOW_DROP };
	case VERDICT_EDGE_CONN:
		/* Only in enforce mode (edge_conn_tier). */
		if (v->ec.kind == EDGE_CONN_REPLY)
			return (struct verdict_plan){ VERDICT_EDGE, SL_R_HTTP,
						      SL_R_HTTP };
		return (struct verdict_plan){ VERDICT_EDGE, SL_R_EDGE_CONN,
					      SL_R_EDGE_CONN };
	}
	/* VERDICT_NO_TIER, VERDICT_UNMETERED */
	return (struct verdict_plan){ VERDICT_PASS, SL_R_UNMETERED };
}

/* What becomes of a request start, for its service (lib/service.bpf.h).
 * A RST the edge cannot build becomes a drop (SL_EV_RESET_FAIL) and is
 * still counted as answered. */
static __always_inline __u32 verdict_service_fate(struct verdict_plan plan,
						  const struct sl_global *g)
{
	if (g->mode == SL_MODE_SHADOW)
		return SERVICE_SHADOW;
	if (plan.action == VERDICT_PASS)
		return SERVICE_PASSED;
	/* Answered at the edge: through TC, or on an edge connection. */
	return plan.action == VERDICT_RESET || plan.action == VERDICT_EDGE ?
	       SERVICE_EDGE : SERVICE_NONE;
}

/* Count the packet under `reason` (a canary's in sl_counters_c too),
 * and sample it for the top talkers. */
static __always_inline void verdict_count(const struct sl_global *g,
					  const struct sl_pkt *p,
					  const struct verdict *v,
					  __u32 reason, __u32 bytes)
{
	/* A frame that never parsed was no cohort's to decide. */
	if ((g->tier_gen & SL_GEN_ROLL) && v->outcome > VERDICT_MALFORMED)
		roll_count_canary(p, v->tier, reason, bytes);
	talk_sample(p, v->tier, reason, v->meter,
		    stats_count(v->tier, reason, bytes));
}

/* The XDP RST, as a global function: verified once, not once for every
 * reason a refusal can come to it with. */
__noinline int verdict_rst(struct xdp_md *ctx, const struct sl_pkt *p)
{
	struct pkt_ctx c = pkt_ctx_xdp(ctx);

	if (!ctx || !p)
		return -1;
	return reply_tcp_rst(&c, p);
}

/* Did a service's gate stop it? */
static __always_inline int verdict_gated(struct verdict_plan plan)
{
	return plan.reason == SL_R_BREAKER || plan.reason == SL_R_SHED;
}

/* Is the answer the template v->reply (an http refusal, or a gate that
 * answers with its reply)? */
static __always_inline int verdict_http(struct verdict_plan plan,
					const struct verdict *v)
{
	return plan.reason == SL_R_HTTP ||
	       (verdict_gated(plan) && v->meter_action == SL_ACT_HTTP);
}

/* Apply shadow mode and act; *reason gets what the packet is counted
 * under. */
static __always_inline int verdict_act(const struct pkt_ctx *c,
				       const struct sl_global *g,
				       const struct sl_pkt *p,
				       const struct verdict *v,
				       struct verdict_plan plan, __u32 *reason)
{
	*reason = plan.reason;
	if (plan.action == VERDICT_PASS)
		return XDP_PASS;
	if (g->mode == SL_MODE_SHADOW) {
		*reason = plan.shadow_reason;
		return XDP_PASS;
	}
	if (plan.action == VERDICT_EDGE) {
		int act = edge_conn_answer(c->ctx, p, &v->ec);

		if (act >= 0)
			return act;
		/* No room to grow the frame for the reply (a veth or
		 * generic XDP frame without tailroom): TC sends it, as it
		 * does for a kernel connection's request. */
		if (v->ec.kind == EDGE_CONN_REPLY &&
		    edge_handoff(c->ctx, p, v->tier, v->ec.reply, v->ec.wait_ns))
			return XDP_PASS;
		event_count(SL_EV_EDGE_CONN_FAIL);
	} else {
		if (plan.action != VERDICT_RESET)
			return XDP_DROP;
		/* A data segment: TC answers it and resets the server. */
		if (edge_handoff(c->ctx, p, v->tier,
				 verdict_http(plan, v) ? v->reply :
							    SL_REPLY_NONE,
				 v->wait_ns))
			return XDP_PASS;
	}
	/* What it gets instead; a gate's answer stays counted as the gate's. */
	if (!verdict_gated(plan))
		*reason = SL_R_RESET;
	if (verdict_rst(c->ctx, p) == 0)
		return XDP_TX;
	/* Could not build it (an IPv6 chain too long to follow, a frame
	 * the helper would not shrink): drop instead. */
	event_count(SL_EV_RESET_FAIL);
	if (!verdict_gated(plan))
		*reason = SL_R_DROPPED;
	return XDP_DROP;
}

/* Count, apply shadow mode, act.  `g` is NULL only with
 * VERDICT_NO_CONFIG.  One count per packet, of what arrived (p keeps
 * the parsed request when the frame became a reply). */
static __always_inline int verdict_xdp(const struct pkt_ctx *c,
				       const struct sl_global *g,
				       const struct sl_pkt *p,
				       struct verdict *v)
{
	struct service_gate sg = {};
	struct verdict_plan plan;
	__u32 reason, fate;
	int act;

	if (!g || v->outcome == VERDICT_NO_CONFIG)
		return XDP_PASS;
	plan = verdict_plan(v, g, p);
	/* Before the act: a refused request may become its reply, and a
	 * request its service's gate stops is answered instead of passed.
	 * A SYN counts a connection.  A dropped one counts nowhere: a flood
	 * of them pays no call. */
	fate = verdict_service_fate(plan, g);
	if (fate != SERVICE_NONE &&
	    (p->is_request || (p->l4proto == IPPROTO_TCP &&
			       (p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN))) {
		service_note(c->ctx, p, g->tier_gen, fate, &sg);
		if (sg.kind) {
			v->outcome = VERDICT_GATED;
			v->gate = sg.kind;
			v->meter_action = sg.action;
			v->reply = sg.reply;
			v->wait_ns = sg.wait_ns;
			v->meter = SL_TALK_NO_METER;
			/* Answered like a refusal of the service's gate_action
			 * (http or reset); never in shadow mode (no gate). */
			plan.action = VERDICT_RESET;
			plan.reason = plan.shadow_reason =
				sg.kind == SERVICE_GATE_SHED ? SL_R_SHED :
							       SL_R_BREAKER;
		}
	}
	act = verdict_act(c, g, p, v, plan, &reason);
	verdict_count(g, p, v, reason, p->len);
	return act;
}

#endif /* SLUICE_VERDICT_BPF_H */

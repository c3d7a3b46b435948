/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The record the XDP limiter leaves in front of a refused request for
 * the TC program (bpf/sluice_tc.bpf.c) to answer it: XDP can send only
 * one packet back, but an edge answer is two, one to the client (a RST
 * or an HTTP reply) and a RST to the local server socket, so the server
 * side of the connection goes at once.
 *
 * XDP writes it with bpf_xdp_adjust_meta() and passes the segment; TC
 * finds it at skb->data_meta.  It lives for one packet, so its layout
 * may change between releases (both programs are always loaded
 * together); the magic and the sequence number tie it to this very
 * segment, and keep GRO from merging two handed-off segments.
 */
#ifndef SLUICE_EDGE_H
#define SLUICE_EDGE_H

#include <linux/types.h>

#define SL_EDGE_MAGIC		0x53454431U	/* "SED1" */

/* skb->mark of the client's answer while TC sends it out of the
 * interface: the egress program (bpf/sluice_egress.bpf.c) sees it
 * there and never counts it as the service's response. */
#define SL_EDGE_MARK		0x53454432U	/* "SED2" */

/* sl_edge[0]: written by sluiced.  A map of its own rather than a field
 * of sl_global, whose size the first release's sluiced insists on (it
 * could no longer be started over these pins).  A config map. */
#define SL_MAP_EDGE		"sl_edge"

#define SL_EDGE_PORTS		8

struct sl_edge_cfg {
	__u32 tc_attached;	/* 1 once the TC program is attached: refused
				 * data segments are handed to it */
	/* Connections the edge answers itself (config edge_connections,
	 * bpf/lib/edge_conn.bpf.h): while a client must wait at least
	 * min_wait_ns for its next request, its SYN to one of these ports
	 * gets a SYN-ACK from XDP, its request a reply, and the server
	 * never sees the connection.  The initial sequence number is a
	 * keyed hash of the connection under `secret`. */
	__u32 nports;		/* ports[] in use; 0 = off */
	__be16 ports[SL_EDGE_PORTS];	/* network order */
	__u64 min_wait_ns;
	__u64 secret[2];	/* random, made by sluiced once */
};

enum sl_edge_kind {
	SL_EDGE_RESET = 1,	/* RST|ACK to the client, RST to the server */
	SL_EDGE_HTTP,		/* the template at `slot`, then FIN; RST to the server */
};

struct sl_edge_meta {
	__u32 magic;		/* SL_EDGE_MAGIC */
	__u8  kind;		/* enum sl_edge_kind */
	__u8  tier;		/* counter row of the refusal */
	__u16 slot;		/* SL_EDGE_HTTP: sl_replies index, sl_reply_slot() */
	__u32 retry_s;		/* whole seconds until the meter admits again, >= 1 */
	__u32 seq;		/* the request's TCP sequence number, as on the wire */
};

/* sl_edge_status: requests answered with an HTTP reply at the edge, per
 * tier and status (per-CPU counts).  Counted by the TC program once the
 * answer went out; keys are bounded by the config (tiers x the statuses
 * of their replies).  A state map: its layout never changes. */
#define SL_MAP_EDGE_STATUS	"sl_edge_status"
#define SL_EDGE_STATUS_MAX	4096

struct sl_edge_status_key {
	__u16 tier;
	__u16 status;
};

_Static_assert(sizeof(struct sl_edge_status_key) == 4,
	       "sl_edge_status_key: pinned state, frozen");

_Static_assert(sizeof(struct sl_edge_meta) == 16,
	       "sl_edge_meta: a multiple of 4 bytes, at most 32 (XDP metadata)");

#endif /* SLUICE_EDGE_H */

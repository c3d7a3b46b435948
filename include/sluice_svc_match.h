/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * How a request start finds its service (include/sluice_service.h):
 * two config maps, double-buffered by sl_global.tier_gen like sl_tiers
 * and written by sluiced.
 *
 *   sl_svc_ports  a pre-check by destination port, 4 bits a port: is
 *                 there any service on it, with or without addresses,
 *                 with paths?  A request to a port without services
 *                 costs one array lookup.
 *   sl_svc_match  an LPM trie keyed {gen, scope, port, address, path}
 *                 so that the prefix length covers the path's bytes:
 *                 one lookup finds the longest path prefix.  Scope is
 *                 the address family for a service with addresses
 *                 (address bytes set), SL_SVC_SCOPE_ANY for one without
 *                 (address bytes zero).  A service without paths is an
 *                 entry whose prefix ends after the address.
 *
 * The data path looks up the destination address's scope first, then
 * the any-address scope: a service with the packet's address wins over
 * one without, then the longest path prefix; a port's default service
 * (no address, no path) takes the rest.  The path is the request-target
 * up to its space, at most SL_SVC_PATH_MAX bytes; one cut by the
 * segment's end is matched on the bytes there are.
 */
#ifndef SLUICE_SVC_MATCH_H
#define SLUICE_SVC_MATCH_H

#include <linux/types.h>

#define SL_MAP_SVC_PORTS	"sl_svc_ports"
#define SL_MAP_SVC_MATCH	"sl_svc_match"
#define SL_MAP_SVC_SCRATCH	"sl_svc_scratch"	/* per-CPU room for a lookup key */

#define SL_SVC_PATH_MAX		64	/* bytes of a path prefix */
#define SL_SVC_MATCH_MAX	4096	/* trie entries per generation */

/* sl_svc_ports: 16 ports a 64-bit word, 4 bits a port. */
#define SL_SVC_PORT_ANY		(1U << 0)	/* a service without addresses */
#define SL_SVC_PORT_ADDR	(1U << 1)	/* a service with addresses */
#define SL_SVC_PORT_PATH	(1U << 2)	/* a service with paths */
#define SL_SVC_PORT_MASK	0xfULL
#define SL_SVC_PORT_WORDS	4096		/* 65536 ports / 16 */

static inline __u32 sl_svc_port_word(__u32 gen, __u32 port)
{
	return (gen & 1) * SL_SVC_PORT_WORDS + ((port & 0xffff) >> 4);
}

static inline __u32 sl_svc_port_shift(__u32 port)
{
	return (port & 15) * 4;
}

/* sl_svc_match's scope byte: an address family, or any address. */
#define SL_SVC_SCOPE_ANY	0

struct sl_svc_key {
	__u32 prefixlen;	/* bits from gen on */
	__u8  gen;		/* tier_gen & 1 */
	__u8  scope;		/* SL_AF_INET, SL_AF_INET6, SL_SVC_SCOPE_ANY */
	__be16 port;		/* as on the wire */
	__u8  addr[16];		/* network order; IPv4 in addr[0..3]; zero
				 * for SL_SVC_SCOPE_ANY */
	__u8  path[SL_SVC_PATH_MAX];	/* the prefix's bytes */
};

_Static_assert(sizeof(struct sl_svc_key) == 4 + 20 + SL_SVC_PATH_MAX,
	       "sl_svc_key: no padding, the trie compares its bytes");

/* Bits of a key up to the path: every entry covers them. */
#define SL_SVC_KEY_BASE_BITS	(20 * 8)

struct sl_svc_hit {
	__u8  id;		/* service id */
	__u8  flags;		/* SL_SVC_F_* of the service */
	__u16 pad;
};

#endif /* SLUICE_SVC_MATCH_H */

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "pkt.h"

#ifndef ETH_P_8021AD
#define ETH_P_8021AD	0x88A8
#endif
#ifndef ETH_P_LLDP
#define ETH_P_LLDP	0x88CC
#endif

struct vlan_tag {
	__be16 tci;
	__be16 encap;
} __attribute__((packed));

struct arp_ipv4 {
	__be16 htype, ptype;
	__u8   hlen, plen;
	__be16 oper;
	__u8   sha[ETH_ALEN];
	__u8   spa[4];
	__u8   tha[ETH_ALEN];
	__u8   tpa[4];
} __attribute__((packed));

struct v6_frag {
	__u8   nexthdr;
	__u8   reserved;
	__be16 frag_off;
	__be32 id;
} __attribute__((packed));

static const __u8 mac_client[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
static const __u8 mac_gateway[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
static const __u8 mac_lldp[ETH_ALEN] = { 0x01, 0x80, 0xc2, 0, 0, 0x0e };

/* Reserve `n` bytes at the end of the frame, zeroed. */
static void *pkt_put(struct pkt *p, size_t n)
{
	void *at;

	if (p->len + n > PKT_MAX)
		return NULL;
	at = p->data + p->len;
	memset(at, 0, n);
	p->len += n;
	return at;
}

__u32 pkt_csum_add(__u32 sum, const void *buf, size_t len)
{
	const __u8 *b = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (__u32)b[len - 1] << 8;
	return sum;
}

__u16 pkt_csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

__u16 pkt_l4_csum(int family, const void *l3, __u8 proto, const void *l4,
		  __u32 l4_len)
{
	__u32 sum = proto + l4_len;

	if (family == 4) {
		const struct iphdr *ip = l3;

		sum = pkt_csum_add(sum, &ip->saddr, 8);
	} else {
		const struct ipv6hdr *ip6 = l3;

		sum = pkt_csum_add(sum, &ip6->saddr, 32);
	}
	return pkt_csum_fold(pkt_csum_add(sum, l4, l4_len));
}

static int addr_parse(int family, const char *text, const char *dflt,
		      void *out)
{
	return inet_pton(family == 4 ? AF_INET : AF_INET6, text ? text : dflt,
			 out) == 1 ? 0 : -EINVAL;
}

static void put_be16(struct pkt *p, __u32 off, __u16 v)
{
	p->data[off] = v >> 8;
	p->data[off + 1] = v & 0xff;
}

static int build_eth(struct pkt *p, const struct pkt_spec *s, __u16 proto)
{
	struct ethhdr *eth = pkt_put(p, sizeof(*eth));
	__u32 type = offsetof(struct ethhdr, h_proto);

	if (!eth || s->nvlan > PKT_VLAN_MAX)
		return -EINVAL;
	memcpy(eth->h_dest, s->kind == PKT_LLDP ? mac_lldp : mac_gateway,
	       ETH_ALEN);
	memcpy(eth->h_source, mac_client, ETH_ALEN);
	for (int i = 0; i < s->nvlan; i++) {
		struct vlan_tag *tag = pkt_put(p, sizeof(*tag));

		if (!tag)
			return -EINVAL;
		put_be16(p, type, s->vlan_tpid[i] ? s->vlan_tpid[i] :
			 ETH_P_8021Q);
		tag->tci = htons(100 + i);
		type = (__u8 *)&tag->encap - p->data;
	}
	put_be16(p, type, proto);
	return 0;
}

static int build_arp(struct pkt *p)
{
	struct arp_ipv4 *a = pkt_put(p, sizeof(*a));

	if (!a)
		return -EINVAL;
	a->htype = htons(1);
	a->ptype = htons(ETH_P_IP);
	a->hlen = ETH_ALEN;
	a->plen = 4;
	a->oper = htons(1);
	memcpy(a->sha, mac_client, ETH_ALEN);
	inet_pton(AF_INET, "198.18.0.1", a->spa);
	inet_pton(AF_INET, "198.18.0.2", a->tpa);
	return 0;
}

static int lldp_tlv(struct pkt *p, int type, const void *val, int len)
{
	__u8 *t = pkt_put(p, 2 + len);

	if (!t)
		return -EINVAL;
	t[0] = type << 1 | len >> 8;
	t[1] = len & 0xff;
	memcpy(t + 2, val, len);
	return 0;
}

static int build_lldp(struct pkt *p)
{
	__u8 id[1 + ETH_ALEN] = { 4 };	/* chassis subtype: MAC address */
	__u8 port[1 + ETH_ALEN] = { 3 };	/* port subtype: MAC address */
	__u8 ttl[2] = { 0, 120 };

	memcpy(id + 1, mac_client, ETH_ALEN);
	memcpy(port + 1, mac_client, ETH_ALEN);
	return lldp_tlv(p, 1, id, sizeof(id)) ?:
	       lldp_tlv(p, 2, port, sizeof(port)) ?:
	       lldp_tlv(p, 3, ttl, sizeof(ttl)) ?:
	       lldp_tlv(p, 0, NULL, 0);
}

/* The IPv6 extension headers of the spec; returns the L4 protocol's
 * "next header" chain end, or -EINVAL. */
static int build_v6_ext(struct pkt *p, const struct pkt_spec *s, __u8 proto)
{
	for (int i = 0; i < s->n_ext; i++) {
		__u8 nh = i + 1 < s->n_ext ? s->ext[i + 1] : proto;
		__u8 extra = i == 0 ? s->ext_len_extra : 0;
		__u32 units;
		__u8 *h;

		if (s->ext[i] == IPPROTO_FRAGMENT) {
			struct v6_frag *f = pkt_put(p, sizeof(*f));

			if (!f)
				return -EINVAL;
			f->nexthdr = nh;
			f->frag_off = htons(s->frag_offset << 3 | !!s->frag_more);
			f->id = htonl(0x5a5a0001);
			continue;
		}
		/* Routing: 24 bytes (type 253, experimental, nothing left);
		 * hop-by-hop and destination options: 8 bytes of PadN.
		 * Both grow by .ext_grow 8-byte units. */
		units = (s->ext[i] == IPPROTO_ROUTING ? 2 : 0) + s->ext_grow;
		h = pkt_put(p, (units + 1) * 8);
		if (!h)
			return -EINVAL;
		h[0] = nh;
		h[1] = units + extra;
		if (s->ext[i] == IPPROTO_ROUTING) {
			h[2] = 253;
		} else {
			h[2] = 1;	/* PadN over the rest */
			h[3] = (units + 1) * 8 - 4;
		}
	}
	return 0;
}

static int build_l4(struct pkt *p, const struct pkt_spec *s, __u8 proto)
{
	__u16 plen = s->payload_len;
	__u8 *pl;

	if (s->payload && !plen)
		plen = strlen(s->payload);
	p->l4_off = 0;
	/* A non-first fragment carries only payload. */
	if (!s->frag_offset && proto == IPPROTO_TCP) {
		struct tcphdr *th;
		int hlen = sizeof(*th) + s->tcp_opts;

		p->l4_off = p->len;
		th = pkt_put(p, hlen);
		if (!th)
			return -EINVAL;
		memset(th + 1, 1, s->tcp_opts);		/* NOPs */
		th->source = htons(s->sport ? s->sport : 40000);
		th->dest = htons(s->dport ? s->dport : 80);
		th->seq = htonl(s->seq);
		th->ack_seq = htonl(s->ack);
		((__u8 *)th)[12] = (s->doff ? s->doff : hlen / 4) << 4;
		((__u8 *)th)[13] = s->tcp_flags;
		th->window = htons(65535);
	} else if (!s->frag_offset && proto == IPPROTO_UDP) {
		struct udphdr *uh;

		p->l4_off = p->len;
		uh = pkt_put(p, sizeof(*uh));
		if (!uh)
			return -EINVAL;
		uh->source = htons(s->sport ? s->sport : 40000);
		uh->dest = htons(s->dport ? s->dport : 53);
		uh->len = htons(s->udp_len ? s->udp_len : sizeof(*uh) + plen);
	}
	p->payload_off = p->len;
	pl = pkt_put(p, plen);
	if (!pl)
		return -EINVAL;
	if (s->payload)
		memcpy(pl, s->payload, plen);
	else
		for (int i = 0; i < plen; i++)
			pl[i] = 'a' + i % 26;
	return 0;
}

static void fill_l4_csum(struct pkt *p, int family, __u8 proto)
{
	__u8 *l4 = p->data + p->l4_off;
	__u32 len = p->len - p->l4_off;

	if (!p->l4_off)
		return;
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = (void *)l4;

		th->check = 0;
		th->check = pkt_l4_csum(family, p->data + p->l3_off, proto, l4,
					len);
	} else {
		struct udphdr *uh = (void *)l4;

		uh->check = 0;
		uh->check = pkt_l4_csum(family, p->data + p->l3_off, proto, l4,
					len);
		if (!uh->check)
			uh->check = 0xffff;
	}
}

static int build_ipv4(struct pkt *p, const struct pkt_spec *s, __u8 proto)
{
	struct iphdr *ip;
	int hlen = sizeof(*ip) + s->ip_opts, err;

	if (s->ip_opts % 4 || hlen > 60)
		return -EINVAL;
	p->l3_off = p->len;
	ip = pkt_put(p, hlen);
	if (!ip)
		return -EINVAL;
	memset(ip + 1, 1, s->ip_opts);		/* NOPs */
	ip->version = s->version ? s->version : 4;
	ip->ihl = s->ihl ? s->ihl : hlen / 4;
	ip->ttl = 64;
	ip->protocol = proto;
	ip->id = htons(0x1234);
	ip->frag_off = htons((s->frag_more ? 0x2000 : 0) | s->frag_offset);
	err = addr_parse(4, s->src, "198.18.0.1", &ip->saddr) ?:
	      addr_parse(4, s->dst, "198.18.0.2", &ip->daddr) ?:
	      build_l4(p, s, proto);
	if (err)
		return err;
	ip = (void *)(p->data + p->l3_off);
	ip->tot_len = htons(s->ip_len ? s->ip_len : p->len - p->l3_off);
	ip->check = pkt_csum_fold(pkt_csum_add(0, ip, hlen));
	fill_l4_csum(p, 4, proto);
	return 0;
}

static int build_ipv6(struct pkt *p, const struct pkt_spec *s, __u8 proto)
{
	struct ipv6hdr *ip6;
	int err;

	if (s->n_ext > PKT_EXT_MAX)
		return -EINVAL;
	p->l3_off = p->len;
	ip6 = pkt_put(p, sizeof(*ip6));
	if (!ip6)
		return -EINVAL;
	*(__be32 *)ip6 = htonl((__u32)(s->version ? s->version : 6) << 28);
	ip6->nexthdr = s->n_ext ? s->ext[0] : proto;
	ip6->hop_limit = 64;
	err = addr_parse(6, s->src, "2001:2::1", &ip6->saddr) ?:
	      addr_parse(6, s->dst, "2001:2::2", &ip6->daddr) ?:
	      build_v6_ext(p, s, proto) ?:
	      build_l4(p, s, proto);
	if (err)
		return err;
	ip6 = (void *)(p->data + p->l3_off);
	ip6->payload_len = htons(s->ip_len ? s->ip_len :
				 p->len - p->l3_off - sizeof(*ip6));
	fill_l4_csum(p, 6, proto);
	return 0;
}

int pkt_build(struct pkt *p, const struct pkt_spec *s)
{
	static const __u16 ethertype[] = {
		[PKT_IPV4] = ETH_P_IP, [PKT_IPV6] = ETH_P_IPV6,
		[PKT_ARP] = ETH_P_ARP, [PKT_LLDP] = ETH_P_LLDP,
	};
	__u8 proto = s->proto ? s->proto : IPPROTO_TCP;
	__u8 *pad;
	int err;

	/* pkt_put() zeroes what it hands out: no need to clear 2 KiB. */
	p->len = 0;
	p->kind = s->kind;
	p->l3_off = p->l4_off = p->payload_off = p->ip_end = 0;
	err = build_eth(p, s, s->kind == PKT_ETHER ? s->ethertype :
			ethertype[s->kind]);
	if (err)
		return err;
	switch (s->kind) {
	case PKT_IPV4:
		err = build_ipv4(p, s, proto);
		break;
	case PKT_IPV6:
		err = build_ipv6(p, s, proto);
		break;
	case PKT_ARP:
		err = build_arp(p);
		break;
	case PKT_LLDP:
		err = build_lldp(p);
		break;
	case PKT_ETHER:
		p->payload_off = p->len;
		pad = pkt_put(p, s->payload_len);
		if (!pad)
			return -EINVAL;
		if (s->payload)
			memcpy(pad, s->payload, s->payload_len);
		break;
	default:
		return -EINVAL;
	}
	if (err)
		return err;
	p->ip_end = p->len;
	pad = pkt_put(p, s->pad);
	if (!pad)
		return -EINVAL;
	memset(pad, s->pad_byte, s->pad);
	return 0;
}

void pkt_truncate(struct pkt *p, __u32 len, int fix_lengths)
{
	__u8 *l3 = p->data + p->l3_off;
	__u32 ip_end = len < p->ip_end ? len : p->ip_end;

	if (len < p->len)
		p->len = len;
	if (!fix_lengths || ip_end < p->l3_off)
		return;
	if (p->kind == PKT_IPV4 && ip_end >= p->l3_off + 4U) {
		struct iphdr *ip = (void *)l3;
		__u32 hlen = ip->ihl * 4;

		ip->tot_len = htons(ip_end - p->l3_off);
		if (ip_end >= p->l3_off + hlen) {
			ip->check = 0;
			ip->check = pkt_csum_fold(pkt_csum_add(0, ip, hlen));
		}
	} else if (p->kind == PKT_IPV6 && ip_end >= p->l3_off + 6U) {
		struct ipv6hdr *ip6 = (void *)l3;
		__u32 have = ip_end - p->l3_off;

		ip6->payload_len = htons(have > sizeof(*ip6) ?
					 have - sizeof(*ip6) : 0);
	}
}

#define PARSE_FAIL(msg)						\
	do {							\
		if (why)					\
			*why = (msg);				\
		return -EINVAL;					\
	} while (0)

int pkt_parse(const void *buf, __u32 len, struct pkt_view *v,
	      const char **why)
{
	const __u8 *b = buf, *l3, *l4;
	__u32 off = sizeof(struct ethhdr), l4_len;
	__u16 type;
	__u8 nh;

	memset(v, 0, sizeof(*v));
	if (len < off)
		PARSE_FAIL("short Ethernet header");
	memcpy(v->dmac, b, ETH_ALEN);
	memcpy(v->smac, b + ETH_ALEN, ETH_ALEN);
	type = b[12] << 8 | b[13];
	while (type == ETH_P_8021Q || type == ETH_P_8021AD) {
		if (v->nvlan == 2 || off + 4 > len)
			PARSE_FAIL("bad VLAN tags");
		v->vlan_tci[v->nvlan++] = b[off] << 8 | b[off + 1];
		type = b[off + 2] << 8 | b[off + 3];
		off += 4;
	}
	l3 = b + off;
	if (type == ETH_P_IP) {
		const struct iphdr *ip = (const void *)l3;
		__u32 hlen, tot;

		if (off + sizeof(*ip) > len || ip->version != 4 || ip->ihl < 5)
			PARSE_FAIL("bad IPv4 header");
		hlen = ip->ihl * 4;
		tot = ntohs(ip->tot_len);
		if (tot < hlen || off + tot > len)
			PARSE_FAIL("bad IPv4 length");
		v->family = 4;
		v->ttl = ip->ttl;
		v->ip_opts = hlen - sizeof(*ip);
		memcpy(v->src, &ip->saddr, 4);
		memcpy(v->dst, &ip->daddr, 4);
		v->ip_csum_ok = pkt_csum_fold(pkt_csum_add(0, ip, hlen)) == 0;
		nh = ip->protocol;
		l4 = l3 + hlen;
		l4_len = tot - hlen;
	} else if (type == ETH_P_IPV6) {
		const struct ipv6hdr *ip6 = (const void *)l3;

		if (off + sizeof(*ip6) > len || ip6->version != 6)
			PARSE_FAIL("bad IPv6 header");
		l4_len = ntohs(ip6->payload_len);
		if (off + sizeof(*ip6) + l4_len > len)
			PARSE_FAIL("bad IPv6 length");
		v->family = 6;
		v->ttl = ip6->hop_limit;
		v->ip_csum_ok = 1;
		memcpy(v->src, &ip6->saddr, 16);
		memcpy(v->dst, &ip6->daddr, 16);
		nh = ip6->nexthdr;
		l4 = l3 + sizeof(*ip6);
		while (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
		       nh == IPPROTO_DSTOPTS || nh == IPPROTO_FRAGMENT) {
			__u32 elen;

			if (l4_len < 8)
				PARSE_FAIL("short IPv6 extension header");
			elen = nh == IPPROTO_FRAGMENT ? 8 : (l4[1] + 1) * 8;
			if (elen > l4_len)
				PARSE_FAIL("bad IPv6 extension header");
			nh = l4[0];
			l4 += elen;
			l4_len -= elen;
			v->n_ext++;
		}
	} else {
		PARSE_FAIL("not IP");
	}
	v->proto = nh;
	if (nh == IPPROTO_TCP) {
		const struct tcphdr *th = (const void *)l4;

		if (l4_len < sizeof(*th) || th->doff * 4U > l4_len ||
		    th->doff < 5)
			PARSE_FAIL("bad TCP header");
		v->sport = ntohs(th->source);
		v->dport = ntohs(th->dest);
		v->seq = ntohl(th->seq);
		v->ack = ntohl(th->ack_seq);
		v->tcp_flags = l4[13];
		v->doff = th->doff;
		v->window = ntohs(th->window);
		v->payload_len = l4_len - th->doff * 4;
	} else if (nh == IPPROTO_UDP) {
		const struct udphdr *uh = (const void *)l4;

		if (l4_len < sizeof(*uh))
			PARSE_FAIL("bad UDP header");
		v->sport = ntohs(uh->source);
		v->dport = ntohs(uh->dest);
		v->payload_len = l4_len - sizeof(*uh);
	} else {
		PARSE_FAIL("neither TCP nor UDP");
	}
	v->l4_csum_ok = pkt_l4_csum(v->family, l3, nh, l4, l4_len) == 0;
	return 0;
}

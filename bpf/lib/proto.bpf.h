/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Protocol constants and headers by name, for the parser and the reply
 * builder: what the uapi headers leave to the kernel's own headers.
 * Field values are in host order unless the name says otherwise.
 */
#ifndef SLUICE_PROTO_BPF_H
#define SLUICE_PROTO_BPF_H

#include <linux/if_ether.h>
#include <linux/types.h>
#include <bpf/bpf_endian.h>

#ifndef ETH_P_8021AD
#define ETH_P_8021AD		0x88A8	/* 802.1ad service VLAN tag */
#endif

/* IPv4 frag_off. */
#define IP_DF			0x4000	/* don't fragment */
#define IP_MF			0x2000	/* more fragments */
#define IP_OFFSET		0x1FFF	/* fragment offset, 8-byte units */

/* IPv6 fragment header frag_off: offset << 3 | reserved << 1 | M. */
#define IP6_FRAG_OFFSET		0xFFF8
#define IP6_FRAG_MF		0x0001

/* First word of an IPv6 header: version 6, traffic class and flow
 * label 0. */
#define IP6_VERSION_WORD	0x60000000

/* Length of an IPv6 extension header from its Hdr Ext Len byte: 8-byte
 * units, not counting the first 8 bytes (RFC 8200 section 4.3). */
#define IP6_EXT_LEN(hdrlen)	(((hdrlen) + 1) * 8)

/* TCP: the data offset and flags bytes of the header.  Byte access
 * where struct tcphdr has bit-fields: one load or store, no shifts. */
#define TCP_OFF_DOFF		12	/* data offset << 4 | reserved */
#define TCP_OFF_FLAGS		13
#define TCP_DOFF_SHIFT		4

#define TCPF_FIN		0x01
#define TCPF_SYN		0x02
#define TCPF_RST		0x04
#define TCPF_PSH		0x08
#define TCPF_ACK		0x10

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* Past up to two VLAN tags (802.1Q, 802.1ad) at `cur`, *proto the
 * EtherType after them: where the L3 header starts, NULL when a tag is
 * cut short. */
static __always_inline void *vlan_skip(void *cur, void *end, __u16 *proto)
{
#pragma unroll
	for (int i = 0; i < 2; i++) {
		struct vlan_hdr *vh = cur;

		if (*proto != bpf_htons(ETH_P_8021Q) &&
		    *proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return 0;
		*proto = vh->encap_proto;
		cur = vh + 1;
	}
	return cur;
}

struct ipv6_frag_hdr {
	__u8   nexthdr;
	__u8   reserved;
	__be16 frag_off;	/* offset << 3 | flags */
	__be32 identification;
};

#endif /* SLUICE_PROTO_BPF_H */

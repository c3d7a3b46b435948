/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packet builders for BPF_PROG_TEST_RUN fixtures and benchmarks.
 *
 * A packet is described by a struct pkt_spec (designated initializers,
 * so fixture tables read as {description, spec, verdict, counter} in the
 * Katran style) and built into a byte buffer with valid checksums.
 * Zero fields mean "the usual": TCP from 198.18.0.1:40000 to
 * 198.18.0.2:80 (UDP to port 53; 2001:2::1 -> 2001:2::2 for IPv6), no
 * flags, no payload.
 * The override fields build malformed packets on purpose.
 */
#ifndef SLUICE_TEST_PKT_H
#define SLUICE_TEST_PKT_H

#include <stddef.h>
#include <netinet/in.h>	/* IPPROTO_* for the specs, IPv6 ones included */
#include <linux/types.h>

#define PKT_MAX		2048
#define PKT_VLAN_MAX	3
#define PKT_EXT_MAX	8

/* TCP flags (byte 13 of the header). */
#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_PSH		0x08
#define TH_ACK		0x10

enum pkt_kind {
	PKT_IPV4 = 0,
	PKT_IPV6,
	PKT_ARP,
	PKT_LLDP,
	PKT_ETHER,		/* .ethertype followed by .payload */
};

struct pkt_spec {
	__u8  kind;		/* enum pkt_kind */
	__u8  nvlan;		/* 0..PKT_VLAN_MAX tags */
	__u16 vlan_tpid[PKT_VLAN_MAX];	/* 0 = 802.1Q; ETH_P_8021AD for S-tags */
	__u16 ethertype;	/* PKT_ETHER only */
	const char *src;	/* address text; NULL = the default */
	const char *dst;

	/* IPv4 */
	__u8  ip_opts;		/* bytes of options (NOPs + EOL), multiple of 4 */
	__u8  ihl;		/* override, 0 = computed */
	__u8  version;		/* override, 0 = 4 or 6 */
	__u16 ip_len;		/* override v4 total / v6 payload length, 0 = computed */
	/* Fragments: v4 header fields, or a v6 fragment header in .ext. */
	__u16 frag_offset;	/* in 8-byte units; non-zero: no L4 header */
	__u8  frag_more;	/* MF */

	/* IPv6 extension header chain, in order (IPPROTO_HOPOPTS is 0, so
	 * the chain has an explicit length). */
	__u8  n_ext;
	__u8  ext[PKT_EXT_MAX];
	__u8  ext_grow;		/* 8-byte units added to each non-fragment header (< 32) */
	__u8  ext_len_extra;	/* override: added to the first header's length field */

	/* L4 */
	__u8  proto;		/* 0 = IPPROTO_TCP */
	__u16 sport, dport;	/* 0 = 40000, 80 */
	__u8  tcp_flags;	/* TH_* */
	__u32 seq, ack;
	__u8  tcp_opts;		/* bytes of options (NOPs), multiple of 4 */
	__u8  doff;		/* override, 0 = computed */
	__u16 udp_len;		/* override, 0 = computed */
	const void *payload;
	__u16 payload_len;	/* 0 with .payload set: strlen(payload) */
	__u16 pad;		/* bytes after the IP packet (Ethernet padding) */
	__u8  pad_byte;
};

struct pkt {
	__u8  data[PKT_MAX];
	__u32 len;
	__u8  kind;		/* enum pkt_kind */
	__u16 l3_off;		/* IP header */
	__u16 l4_off;		/* TCP/UDP header; 0 when there is none */
	__u16 payload_off;	/* first byte after the L4 (or IP) headers */
	__u16 ip_end;		/* end of the IP packet (padding follows) */
};

/* Build `s` into `p`.  Returns 0 or -EINVAL (bad address, too big). */
int pkt_build(struct pkt *p, const struct pkt_spec *s);

/* Cut the frame to `len` bytes.  With `fix_lengths`, the IP length
 * fields (and the IPv4 checksum) are rewritten to claim exactly what is
 * left, wherever the fields themselves survived the cut. */
void pkt_truncate(struct pkt *p, __u32 len, int fix_lengths);

/* One's-complement sum of `len` bytes added to `sum`, unfolded. */
__u32 pkt_csum_add(__u32 sum, const void *buf, size_t len);
/* Fold and complement. */
__u16 pkt_csum_fold(__u32 sum);
/* TCP/UDP checksum over the pseudo header and `l4_len` bytes at `l4`;
 * 0 when the stored checksum is right. */
__u16 pkt_l4_csum(int family, const void *l3, __u8 proto, const void *l4,
		  __u32 l4_len);

/* What a userspace parser sees in a frame: used to check the RSTs the
 * program writes. */
struct pkt_view {
	__u8  dmac[6], smac[6];
	int   nvlan;
	__u16 vlan_tci[2];
	int   family;		/* 4 or 6 */
	__u8  src[16], dst[16];	/* IPv4 in the first 4 bytes */
	__u8  proto;
	__u8  ttl;
	int   ip_opts;		/* IPv4 option bytes */
	int   n_ext;		/* IPv6 extension headers */
	__u16 sport, dport;
	__u32 seq, ack;
	__u8  tcp_flags;
	__u8  doff;
	__u16 window;
	__u32 payload_len;
	int   ip_csum_ok;	/* IPv4 header checksum (1 for IPv6) */
	int   l4_csum_ok;
};

/* Parse an IPv4/IPv6 TCP or UDP frame.  Returns 0, or -EINVAL when the
 * frame is not one, with `why` (if not NULL) saying where it failed. */
int pkt_parse(const void *buf, __u32 len, struct pkt_view *v,
	      const char **why);

#endif /* SLUICE_TEST_PKT_H */

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * floodgen, in four files: floodgen.c (generator threads, the receiver,
 * the measurement), floodgen_tiers.c (sluice's tiers and the mixed
 * floods' admitted sources), floodgen_net.c (namespaces, devices and
 * the frame), floodgen_opts.c (the command line).
 */
#ifndef SLUICE_FLOODGEN_H
#define SLUICE_FLOODGEN_H

#include <stddef.h>
#include <stdio.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/types.h>

#define ARRAY_LEN(a)	((int)(sizeof(a) / sizeof((a)[0])))
#define MAX_THREADS	64

enum rx_prog { RX_NONE, RX_DROP, RX_PASS, RX_SLUICE, RX_ORACLE };
enum kind { KIND_UDP, KIND_SYN, KIND_HTTP };

struct opts {
	const char *tx_ns, *tx_dev, *rx_ns, *rx_dev;
	enum rx_prog rx;
	enum kind kind;
	__u32 sources, batch;
	__u64 pps;
	int threads, verbose, nice, gen_wait, spread_rss;
	double seconds, warmup;
	struct in_addr dst, base1, base2;
	__u32 n1;
	__u16 dport;
	int v6;			/* --family ipv6 */
	struct in6_addr dst6;
	__u64 base6_1, base6_2;	/* upper 64 bits of the IPv6 blocks */
	double mixed;		/* --mixed: share of the sources admitted */
	int print_admitted;	/* --print-admitted: the ranges, then exit */
	/* sluice */
	__u8 unit, action;
	__u64 rate, rate_period, guard_rate;
	__u32 burst, guard_burst, clients;
	int guard_default;	/* --sl-guard default: as the config loader */
	int coarse, shadow;
	int top_off;		/* --sl-top off: no top-talker samples */
};

/* An address range [lo, hi): IPv4 addresses, or IPv6 sources by their
 * upper 64 bits, host order. */
struct src_range {
	__u64 lo, hi;
};

struct xdp_fixture;

/* floodgen_tiers.c */
/* The sources --mixed admits: the generator's first round(mixed *
 * sources), as up to two ranges (one per source block).  Returns how
 * many ranges. */
int mix_ranges(const struct opts *o, struct src_range r[2]);
/* --print-admitted: one "FIRST-LAST" line per range (addresses). */
void mix_print(const struct opts *o);
/* sluice's maps from the --sl-* options (and --mixed's second tier). */
int sluice_configure(struct xdp_fixture *fx, const struct opts *o);

/* floodgen_net.c */
int ns_open(const char *name);
int ns_enter(int fd);
/* ifindex and MAC of `dev` in the calling thread's namespace. */
int dev_info(const char *dev, __u32 *ifindex, __u8 mac[ETH_ALEN]);
/* rx_packets and rx_drop of `dev` from the thread's own /proc/net/dev. */
int dev_rx_stats(const char *dev, __u64 *packets, __u64 *dropped);
/* Packets the IPv4 and IPv6 layers received (InReceives) in the
 * thread's namespace: what got past XDP to the stack. */
int stack_rx_stats(__u64 *packets);
/* One frame of the chosen kind, source = the first source address.
 * Returns its length; *l4_csum_off is where bench_gen must fix the L4
 * checksum (0: none, UDP goes without one). */
size_t frame_build(__u8 *f, const struct opts *o,
		   const __u8 dmac[ETH_ALEN], const __u8 smac[ETH_ALEN],
		   __u32 *l4_csum_off);

/* floodgen_opts.c: 0, or -EINVAL after saying why (exits on --help). */
int opts_parse(int argc, char **argv, struct opts *o);
void opts_usage(FILE *f);

#endif /* SLUICE_FLOODGEN_H */

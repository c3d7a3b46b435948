/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * floodgen, in three files: floodgen.c (generator threads, the sluice
 * receiver, the measurement), floodgen_net.c (namespaces, devices and
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

enum rx_prog { RX_NONE, RX_DROP, RX_PASS, RX_SLUICE };
enum kind { KIND_UDP, KIND_SYN, KIND_HTTP };

struct opts {
	const char *tx_ns, *tx_dev, *rx_ns, *rx_dev;
	enum rx_prog rx;
	enum kind kind;
	__u32 sources, batch;
	__u64 pps;
	int threads, verbose, nice, gen_wait;
	double seconds, warmup;
	struct in_addr dst, base1, base2;
	__u32 n1;
	__u16 dport;
	/* sluice */
	__u8 unit, action;
	__u64 rate, rate_period, guard_rate;
	__u32 burst, guard_burst, clients;
	int coarse, shadow;
	int top_off;		/* --sl-top off: no top-talker samples */
};

/* floodgen_net.c */
int ns_open(const char *name);
int ns_enter(int fd);
/* ifindex and MAC of `dev` in the calling thread's namespace. */
int dev_info(const char *dev, __u32 *ifindex, __u8 mac[ETH_ALEN]);
/* rx_packets and rx_drop of `dev` from the thread's own /proc/net/dev. */
int dev_rx_stats(const char *dev, __u64 *packets, __u64 *dropped);
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

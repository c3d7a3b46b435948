// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* floodgen: the command line. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "sluice_abi.h"
#include "floodgen.h"

/* ---- options ------------------------------------------------------------ */

void opts_usage(FILE *f)
{
	fprintf(f,
"usage: floodgen --rx-netns NS --rx-dev DEV --rx-prog drop|pass|sluice|oracle|none\n"
"                [--tx-netns NS --tx-dev DEV --sources N] [options]\n"
"generator:\n"
"  --sources N        distinct spoofed sources (0: no generator)    [0]\n"
"  --kind K           udp | syn | http                              [udp]\n"
"  --family F         ipv4 | ipv6                                   [ipv4]\n"
"  --dst A            destination address              [198.19.255.1, 2001:2:0:ffff::1]\n"
"  --dport P          destination port                 [9 for udp, 80 for tcp]\n"
"  --src-base1 A      first source block                  [198.18.0.0, 2001:2::]\n"
"  --src-n1 N         sources taken from it               [130816, 65536]\n"
"  --src-base2 A      second block, past --src-n1         [100.64.0.0, 2001:db8::]\n"
"                     (IPv6: one source per /64, ::2 in each)\n"
"  --mixed S          share of the sources admitted: the first S * N of the\n"
"                     sequence (the oracle passes them, sluice puts them in\n"
"                     a second tier far under its limit)              [0]\n"
"  --print-admitted   print --mixed's ranges (FIRST-LAST) and exit\n"
"  --threads N        one per CPU, pinned                           [all CPUs]\n"
"  --batch N          live-frames batch size, up to 256             [64]\n"
"  --nice N           generator threads' nice value                 [0]\n"
"  --gen-wait         attach, then start the flood on SIGUSR1\n"
"  --spread all|rss   every CPU walks all sources, or each the sources a\n"
"                     NIC's RSS would give it (every CPU-count-th)  [all]\n"
"  --pps N            offered rate of all threads together; each runs\n"
"                     flat out and drops what is early   [0: as fast as taken]\n"
"measurement:\n"
"  --warmup S         seconds of flood before the window            [1]\n"
"  --seconds S        window; 0 with --sources 0: until a signal    [5]\n"
"sluice (--rx-prog sluice), one tier 0.0.0.0/0 with one meter:\n"
"  --sl-unit U        packets | bytes | connections | requests      [packets]\n"
"  --sl-rate N[/U]    units per second, minute or hour              [100]\n"
"  --sl-burst N                                                     [200]\n"
"  --sl-action A      drop | reset | http                           [drop]\n"
"  --sl-guard R[:B]   flood guard: new clients per second (burst)   [off]\n"
"  --sl-guard default the tier the config loader builds when the config says\n"
"                     nothing about floods: its default guard for\n"
"                     --sl-clients, and the clock it picks\n"
"  --sl-coarse        the tier uses the coarse clock\n"
"  --sl-clients N     client table entries                          [1048576]\n"
"  --sl-shadow        shadow mode\n"
"  --sl-top on|off    top-talker samples, drained and adapted every 250 ms\n"
"                     as sluiced does (on), or none at all (off)     [on]\n"
"  -v                 libbpf warnings and progress on stderr\n");
}

/* "2001:2::": its upper 64 bits, host order. */
static int parse_addr6_hi(const char *s, __u64 *hi)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, s, &a) != 1) {
		fprintf(stderr, "floodgen: bad IPv6 address '%s'\n", s);
		return -EINVAL;
	}
	*hi = 0;
	for (int i = 0; i < 8; i++)
		*hi = *hi << 8 | a.s6_addr[i];
	return 0;
}

static int parse_addr(const char *s, struct in_addr *a)
{
	if (inet_pton(AF_INET, s, a) != 1) {
		fprintf(stderr, "floodgen: bad IPv4 address '%s'\n", s);
		return -EINVAL;
	}
	return 0;
}

/* "N", "N/second", "N/minute", "N/hour" (as iptables and nft write them;
 * any prefix of the unit will do). */
static int parse_rate(const char *s, __u64 *count, __u64 *period_ns)
{
	static const struct { const char *name; __u64 secs; } units[] = {
		{ "second", 1 }, { "minute", 60 }, { "hour", 3600 },
	};
	char *end;

	*count = strtoull(s, &end, 0);
	*period_ns = SL_NSEC_PER_SEC;
	if (!*count)
		return -EINVAL;
	if (!*end)
		return 0;
	if (*end++ != '/' || !*end)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strncmp(end, units[i].name, strlen(end))) {
			*period_ns = units[i].secs * SL_NSEC_PER_SEC;
			return 0;
		}
	}
	return -EINVAL;
}

static int name_index(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* --OPT taking one of two words: *out 0 for `no`, 1 for `yes`. */
static int parse_choice(const char *opt, const char *arg, const char *no,
			const char *yes, int *out)
{
	if (strcmp(arg, no) && strcmp(arg, yes)) {
		fprintf(stderr, "floodgen: --%s: expected %s or %s, got '%s'\n",
			opt, no, yes, arg);
		return -EINVAL;
	}
	*out = !strcmp(arg, yes);
	return 0;
}

int opts_parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "tx-netns", 1, 0, 'T' }, { "tx-dev", 1, 0, 't' },
		{ "rx-netns", 1, 0, 'R' }, { "rx-dev", 1, 0, 'r' },
		{ "rx-prog", 1, 0, 'p' }, { "sources", 1, 0, 'n' },
		{ "kind", 1, 0, 'k' }, { "dst", 1, 0, 'd' },
		{ "dport", 1, 0, 'P' }, { "src-base1", 1, 0, '1' },
		{ "src-n1", 1, 0, 'N' }, { "src-base2", 1, 0, '2' },
		{ "threads", 1, 0, 'j' }, { "batch", 1, 0, 'b' },
		{ "nice", 1, 0, 'i' }, { "warmup", 1, 0, 'w' },
		{ "seconds", 1, 0, 's' }, { "sl-unit", 1, 0, 'u' },
		{ "sl-rate", 1, 0, 'a' }, { "sl-burst", 1, 0, 'B' },
		{ "sl-action", 1, 0, 'A' }, { "sl-guard", 1, 0, 'g' },
		{ "sl-coarse", 0, 0, 'c' }, { "sl-clients", 1, 0, 'C' },
		{ "sl-shadow", 0, 0, 'S' }, { "gen-wait", 0, 0, 'W' },
		{ "spread", 1, 0, 'Q' },
		{ "sl-top", 1, 0, 'o' },
		{ "pps", 1, 0, 'x' }, { "help", 0, 0, 'h' },
		{ "family", 1, 0, 'f' }, { "mixed", 1, 0, 'm' },
		{ "print-admitted", 0, 0, 'M' },
		{ 0 }
	};
	/* In enum order. */
	static const char *const rxs[] = { "none", "drop", "pass", "sluice",
					   "oracle" };
	static const char *const fams[] = { "ipv4", "ipv6" };
	const char *dst = NULL, *b1 = NULL, *b2 = NULL;
	static const char *const kinds[] = { "udp", "syn", "http" };
	static const char *const units[] = { "none", "packets", "bytes",
					     "connections", "requests" };
	static const char *const acts[] = { "drop", "reset", "http" };
	int c, v, dport = -1, n1 = -1;
	char *end;

	*o = (struct opts){
		.rx_dev = "veth1", .tx_dev = "veth0", .batch = 64,
		.seconds = 5, .warmup = 1,
		.unit = SL_UNIT_PACKETS, .action = SL_ACT_DROP,
		.rate = 100, .rate_period = SL_NSEC_PER_SEC, .burst = 200,
		.clients = SL_DEFAULT_CLIENTS,
		.threads = libbpf_num_possible_cpus(),
	};

	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case 'T': o->tx_ns = optarg; break;
		case 't': o->tx_dev = optarg; break;
		case 'R': o->rx_ns = optarg; break;
		case 'r': o->rx_dev = optarg; break;
		case 'p':
			if ((v = name_index(optarg, rxs, ARRAY_LEN(rxs))) < 0)
				goto bad;
			o->rx = v;
			break;
		case 'n': o->sources = strtoul(optarg, &end, 0); break;
		case 'k':
			if ((v = name_index(optarg, kinds, ARRAY_LEN(kinds))) < 0)
				goto bad;
			o->kind = v;
			break;
		case 'd': dst = optarg; break;
		case 'P': dport = atoi(optarg); break;
		case '1': b1 = optarg; break;
		case 'N': n1 = strtol(optarg, NULL, 0); break;
		case '2': b2 = optarg; break;
		case 'f':
			if ((v = name_index(optarg, fams, ARRAY_LEN(fams))) < 0)
				goto bad;
			o->v6 = v;
			break;
		case 'm':
			o->mixed = strtod(optarg, &end);
			if (*end || !(o->mixed >= 0 && o->mixed <= 1))
				goto bad;
			break;
		case 'M': o->print_admitted = 1; break;
		case 'j': o->threads = atoi(optarg); break;
		case 'b': o->batch = strtoul(optarg, NULL, 0); break;
		case 'i': o->nice = atoi(optarg); break;
		case 'w': o->warmup = atof(optarg); break;
		case 's': o->seconds = atof(optarg); break;
		case 'u':
			if ((v = name_index(optarg, units, ARRAY_LEN(units))) < 1)
				goto bad;
			o->unit = v;
			break;
		case 'a':
			if (parse_rate(optarg, &o->rate, &o->rate_period))
				goto bad;
			break;
		case 'B': o->burst = strtoul(optarg, NULL, 0); break;
		case 'A':
			if ((v = name_index(optarg, acts, ARRAY_LEN(acts))) < 0)
				goto bad;
			o->action = v;
			break;
		case 'g':
			if (!strcmp(optarg, "default")) {
				o->guard_default = 1;
				break;
			}
			o->guard_rate = strtoull(optarg, &end, 0);
			o->guard_burst = *end == ':' ?
					 strtoul(end + 1, NULL, 0) :
					 (__u32)o->guard_rate;
			break;
		case 'c': o->coarse = 1; break;
		case 'o':
			if (parse_choice("sl-top", optarg, "on", "off", &o->top_off))
				return -EINVAL;
			break;
		case 'C': o->clients = strtoul(optarg, NULL, 0); break;
		case 'S': o->shadow = 1; break;
		case 'W': o->gen_wait = 1; break;
		case 'Q':
			if (parse_choice("spread", optarg, "all", "rss", &o->spread_rss))
				return -EINVAL;
			break;
		case 'x': o->pps = strtoull(optarg, NULL, 0); break;
		case 'v': o->verbose = 1; break;
		case 'h': opts_usage(stdout); exit(0);
		default: opts_usage(stderr); return -EINVAL;
		}
	}
	if (dport < 0)
		dport = o->kind == KIND_UDP ? 9 : 80;
	o->dport = dport;
	o->n1 = n1 >= 0 ? (__u32)n1 : o->v6 ? 65536 : 130816;
	if (o->v6) {
		if (!dst)
			dst = "2001:2:0:ffff::1";
		if (inet_pton(AF_INET6, dst, &o->dst6) != 1) {
			fprintf(stderr, "floodgen: bad IPv6 address '%s'\n", dst);
			return -EINVAL;
		}
		if (parse_addr6_hi(b1 ?: "2001:2::", &o->base6_1) ||
		    parse_addr6_hi(b2 ?: "2001:db8::", &o->base6_2))
			return -EINVAL;
	} else if (parse_addr(dst ?: "198.19.255.1", &o->dst) ||
		   parse_addr(b1 ?: "198.18.0.0", &o->base1) ||
		   parse_addr(b2 ?: "100.64.0.0", &o->base2)) {
		return -EINVAL;
	}
	if (o->print_admitted)
		return 0;
	if (!o->rx_ns || (o->sources && !o->tx_ns) || o->threads < 1 ||
	    o->threads > MAX_THREADS || !o->batch || o->batch > 256) {
		opts_usage(stderr);
		return -EINVAL;
	}
	return 0;
bad:
	fprintf(stderr, "floodgen: bad value '%s'\n", optarg);
	return -EINVAL;
}

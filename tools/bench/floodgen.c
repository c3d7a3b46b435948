// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * floodgen: one flood-bench scenario between two network namespaces.
 *
 * The receiver: a program attached (native XDP) to the receiving veth in
 * --rx-netns: drop (the XDP_DROP ceiling), pass (XDP_PASS only, so the
 * packets go to netfilter/the stack), sluice (the limiter, maps filled
 * here from the --sl-* options) or none.
 *
 * The generator: bench_gen run with BPF_PROG_TEST_RUN in live-frames mode
 * on the sending veth in --tx-netns, one thread per CPU, pinned; every
 * frame gets the next of --sources spoofed source addresses and leaves by
 * XDP_TX.  Network namespaces are per thread, so the generator threads
 * sit in the sender's namespace while the main thread works in the
 * receiver's.
 *
 * The measurement: after --warmup seconds, the receiving veth's
 * rx_packets over --seconds (every frame its NAPI loop consumed, whatever
 * the program or the stack did with it), plus sluice's own counters.
 * One JSON object on stdout.  --sources 0 generates nothing: the receiver
 * stays attached until SIGINT/SIGTERM (or --seconds), for the HTTP tests;
 * --gen-wait holds the flood back until SIGUSR1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sluice_abi.h"
#include "common/gcra.h"
#include "baseline.skel.h"
#include "bench_gen.skel.h"
#include "sluice_xdp.skel.h"
#include "../../tests/bpf/lib/xdp_fixture.h"

#define GEN_REPEAT	(1 << 17)	/* frames per syscall: ~20 ms */
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
};

struct rx_sample {
	__u64 rx_packets, rx_dropped;
	__u64 reason[SL_R__MAX];
	__u64 event[SL_EV__MAX];
	struct timespec at;
};

struct gen_thread {
	pthread_t tid;
	int cpu, ns_fd, prog_fd, nice, err;
	__u32 ifindex;
	const void *frame;
	__u32 frame_len, batch;
	__u64 sent;		/* frames run (paced: most of them dropped) */
};

static volatile sig_atomic_t stopping, go;
static volatile int gen_stop;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		go = 1;
	else
		stopping = 1;
}

static int libbpf_print(enum libbpf_print_level lvl, const char *fmt,
			va_list ap)
{
	if (lvl == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static double ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

/* ---- namespaces and devices ------------------------------------------- */

static int ns_open(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "floodgen: %s: %s (create it with ip netns add)\n",
			path, strerror(errno));
		return -errno;
	}
	return fd;
}

static int ns_enter(int fd)
{
	if (setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "floodgen: setns: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

/* ifindex and MAC of `dev` in the calling thread's namespace. */
static int dev_info(const char *dev, __u32 *ifindex, __u8 mac[ETH_ALEN])
{
	struct ifreq ifr = {};
	int fd, err = 0;

	*ifindex = if_nametoindex(dev);
	if (!*ifindex) {
		fprintf(stderr, "floodgen: no device %s: %s\n", dev,
			strerror(errno));
		return -ENODEV;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	close(fd);
	return err;
}

/* rx_packets and rx_drop of `dev` from the thread's own /proc/net/dev. */
static int dev_rx_stats(const char *dev, __u64 *packets, __u64 *dropped)
{
	char line[512], name[IFNAMSIZ + 2];
	unsigned long long bytes, pk, errs, drop;
	int err = -ENODEV;
	FILE *f;

	f = fopen("/proc/thread-self/net/dev", "re");
	if (!f)
		return -errno;
	snprintf(name, sizeof(name), "%s:", dev);
	while (fgets(line, sizeof(line), f)) {
		char *p = line;

		while (*p == ' ')
			p++;
		if (strncmp(p, name, strlen(name)))
			continue;
		if (sscanf(p + strlen(name), "%llu %llu %llu %llu", &bytes,
			   &pk, &errs, &drop) == 4) {
			*packets = pk;
			*dropped = drop;
			err = 0;
		}
		break;
	}
	fclose(f);
	return err;
}

/* ---- the frame -------------------------------------------------------- */

static __u16 csum16(const void *p, size_t n, __u32 sum)
{
	const __u8 *b = p;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (__u32)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (__u32)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* One frame of the chosen kind, source = the first source address.
 * Returns its length; *l4_csum_off is where bench_gen must fix the L4
 * checksum (0: none, UDP goes without one). */
static size_t frame_build(__u8 *f, const struct opts *o,
			  const __u8 dmac[ETH_ALEN], const __u8 smac[ETH_ALEN],
			  __u32 *l4_csum_off)
{
	static const char http[] =
		"GET / HTTP/1.1\r\nHost: bench.sluice\r\n"
		"User-Agent: floodgen\r\nAccept: */*\r\n\r\n";
	__u8 *ip = f + 14, *l4 = ip + 20, pseudo[12];
	size_t l4len, plen = 0;
	__u32 sum;

	memset(f, 0, 256);
	memcpy(f, dmac, ETH_ALEN);
	memcpy(f + 6, smac, ETH_ALEN);
	f[12] = 0x08;

	if (o->kind == KIND_UDP) {
		plen = 18;				/* a 60-byte frame */
		l4len = 8 + plen;
		l4[0] = 0x9c; l4[1] = 0x40;		/* sport 40000 */
		l4[2] = o->dport >> 8; l4[3] = o->dport & 0xff;
		l4[4] = l4len >> 8; l4[5] = l4len & 0xff;
		memset(l4 + 8, 'x', plen);
		*l4_csum_off = 0;
	} else {
		if (o->kind == KIND_HTTP) {
			plen = sizeof(http) - 1;
			memcpy(l4 + 20, http, plen);
		}
		l4len = 20 + plen;
		l4[0] = 0x9c; l4[1] = 0x40;
		l4[2] = o->dport >> 8; l4[3] = o->dport & 0xff;
		l4[7] = 1;				/* seq 1 */
		if (o->kind == KIND_HTTP)
			l4[11] = 1;			/* ack 1 */
		l4[12] = 5 << 4;			/* doff 5 */
		l4[13] = o->kind == KIND_SYN ? 0x02 : 0x18;	/* SYN / PSH|ACK */
		l4[14] = 0xfa; l4[15] = 0xf0;		/* window 64240 */
		*l4_csum_off = 20 + 16;
	}

	ip[0] = 0x45;
	ip[2] = (20 + l4len) >> 8; ip[3] = (20 + l4len) & 0xff;
	ip[4] = 0x12; ip[5] = 0x34;
	ip[8] = 64;
	ip[9] = o->kind == KIND_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	memcpy(ip + 12, &o->base1, 4);
	memcpy(ip + 16, &o->dst, 4);
	memcpy(ip + 10, &(__u16){ csum16(ip, 20, 0) }, 2);

	if (o->kind != KIND_UDP) {
		memcpy(pseudo, ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = IPPROTO_TCP;
		pseudo[10] = l4len >> 8;
		pseudo[11] = l4len & 0xff;
		sum = ntohs(~csum16(pseudo, 12, 0) & 0xffff);
		memcpy(l4 + 16, &(__u16){ csum16(l4, l4len, sum) }, 2);
	}
	return 14 + 20 + l4len;
}

/* ---- generator threads ------------------------------------------------- */

static void *gen_run(void *arg)
{
	struct gen_thread *g = arg;
	/* data_end must be the frame length (the kernel checks). */
	struct xdp_md md = { .data_end = g->frame_len,
			     .ingress_ifindex = g->ifindex };
	cpu_set_t set;
	LIBBPF_OPTS(bpf_test_run_opts, run,
		.data_in = g->frame,
		.data_size_in = g->frame_len,
		.ctx_in = &md,
		.ctx_size_in = sizeof(md),
		.repeat = GEN_REPEAT,
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		.batch_size = g->batch,
	);

	CPU_ZERO(&set);
	CPU_SET(g->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	/* Linux keeps the nice value per thread. */
	if (g->nice)
		setpriority(PRIO_PROCESS, 0, g->nice);
	g->err = ns_enter(g->ns_fd);
	while (!g->err && !__atomic_load_n(&gen_stop, __ATOMIC_RELAXED)) {
		if (bpf_prog_test_run_opts(g->prog_fd, &run)) {
			if (errno == EINTR)
				continue;
			g->err = -errno;
			break;
		}
		g->sent += GEN_REPEAT;
	}
	return NULL;
}

/* ---- sluice configuration ---------------------------------------------- */

/* One tier with one meter: the bench's whole config.  The prefixes of
 * examples/sluice.yaml all lead to it (the flood's sources cover them),
 * so every source meets the same limit but the LPM walk is a real one. */
static int sluice_configure(struct xdp_fixture *fx, const struct opts *o)
{
	static const char *const pfx[] = {
		"0.0.0.0/0", "::/0", "198.18.10.0/24", "2001:2:0:10::/64",
		"198.18.20.0/24", "2001:2:0:20::/64", "198.18.66.0/24",
		"198.18.99.0/24",
	};
	struct sl_tier t;
	int err;

	fixture_tier_init(&t, SL_TIER_LIMIT, 32, 64);
	t.nmeters = 1;
	err = gcra_meter_set(&t.meters[0], o->rate, o->rate_period, o->burst,
			     o->unit, o->action);
	if (err) {
		fprintf(stderr, "floodgen: --sl-rate/--sl-burst: %s\n",
			strerror(-err));
		return err;
	}
	if (o->guard_rate) {
		err = gcra_meter_set(&t.new_clients, o->guard_rate,
				     SL_NSEC_PER_SEC, o->guard_burst,
				     SL_UNIT_PACKETS, SL_ACT_DROP);
		if (err) {
			fprintf(stderr, "floodgen: --sl-guard: %s\n",
				strerror(-err));
			return err;
		}
		t.flags |= SL_TIER_F_FLOOD_GUARD;
	}
	if (o->coarse)
		t.flags |= SL_TIER_F_COARSE_CLOCK;
	err = fixture_set_tier(fx, 0, &t);
	for (int i = 0; !err && i < ARRAY_LEN(pfx); i++)
		err = fixture_add_prefix(fx, pfx[i], 0);
	if (!err)
		err = fixture_set_mode(fx, o->shadow ? SL_MODE_SHADOW :
				       SL_MODE_ENFORCE, SL_POLICY_PASS, 0);
	if (err)
		fprintf(stderr, "floodgen: filling sluice maps: %s\n",
			strerror(-err));
	return err;
}

/* Tier 0's counters and the events, summed over CPUs. */
static void sluice_sample(struct xdp_fixture *fx, struct rx_sample *s)
{
	for (__u32 r = 0; r < SL_R__MAX; r++)
		s->reason[r] = fixture_stat_packets(fx, 0, r);
	for (__u32 e = 0; e < SL_EV__MAX; e++)
		s->event[e] = fixture_event(fx, e);
}

/* ---- options ------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
"usage: floodgen --rx-netns NS --rx-dev DEV --rx-prog drop|pass|sluice|none\n"
"                [--tx-netns NS --tx-dev DEV --sources N] [options]\n"
"generator:\n"
"  --sources N        distinct spoofed sources (0: no generator)    [0]\n"
"  --kind K           udp | syn | http                              [udp]\n"
"  --dst A            destination address                           [198.19.255.1]\n"
"  --dport P          destination port                 [9 for udp, 80 for tcp]\n"
"  --src-base1 A      first source block                            [198.18.0.0]\n"
"  --src-n1 N         addresses taken from it                       [130816]\n"
"  --src-base2 A      second block, past --src-n1                   [100.64.0.0]\n"
"  --threads N        one per CPU, pinned                           [all CPUs]\n"
"  --batch N          live-frames batch size, up to 256             [64]\n"
"  --nice N           generator threads' nice value                 [0]\n"
"  --gen-wait         attach, then start the flood on SIGUSR1\n"
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
"  --sl-coarse        the tier uses the coarse clock\n"
"  --sl-clients N     client table entries                          [1048576]\n"
"  --sl-shadow        shadow mode\n"
"  -v                 libbpf warnings and progress on stderr\n");
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

static int parse_opts(int argc, char **argv, struct opts *o)
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
		{ "pps", 1, 0, 'x' }, { "help", 0, 0, 'h' },
		{ 0 }
	};
	/* In enum order. */
	static const char *const rxs[] = { "none", "drop", "pass", "sluice" };
	static const char *const kinds[] = { "udp", "syn", "http" };
	static const char *const units[] = { "none", "packets", "bytes",
					     "connections", "requests" };
	static const char *const acts[] = { "drop", "reset", "http" };
	int c, v, dport = -1;
	char *end;

	*o = (struct opts){
		.rx_dev = "veth1", .tx_dev = "veth0", .batch = 64,
		.seconds = 5, .warmup = 1, .n1 = 130816,
		.unit = SL_UNIT_PACKETS, .action = SL_ACT_DROP,
		.rate = 100, .rate_period = SL_NSEC_PER_SEC, .burst = 200,
		.clients = SL_DEFAULT_CLIENTS,
		.threads = libbpf_num_possible_cpus(),
	};
	inet_pton(AF_INET, "198.19.255.1", &o->dst);
	inet_pton(AF_INET, "198.18.0.0", &o->base1);
	inet_pton(AF_INET, "100.64.0.0", &o->base2);

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
		case 'd': if (parse_addr(optarg, &o->dst)) return -EINVAL; break;
		case 'P': dport = atoi(optarg); break;
		case '1': if (parse_addr(optarg, &o->base1)) return -EINVAL; break;
		case 'N': o->n1 = strtoul(optarg, NULL, 0); break;
		case '2': if (parse_addr(optarg, &o->base2)) return -EINVAL; break;
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
			o->guard_rate = strtoull(optarg, &end, 0);
			o->guard_burst = *end == ':' ?
					 strtoul(end + 1, NULL, 0) :
					 (__u32)o->guard_rate;
			break;
		case 'c': o->coarse = 1; break;
		case 'C': o->clients = strtoul(optarg, NULL, 0); break;
		case 'S': o->shadow = 1; break;
		case 'W': o->gen_wait = 1; break;
		case 'x': o->pps = strtoull(optarg, NULL, 0); break;
		case 'v': o->verbose = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (dport < 0)
		dport = o->kind == KIND_UDP ? 9 : 80;
	o->dport = dport;
	if (!o->rx_ns || (o->sources && !o->tx_ns) || o->threads < 1 ||
	    o->threads > MAX_THREADS || !o->batch || o->batch > 256) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
bad:
	fprintf(stderr, "floodgen: bad value '%s'\n", optarg);
	return -EINVAL;
}

/* ---- main ----------------------------------------------------------------- */

static void print_result(const struct opts *o, const struct rx_sample *a,
			 const struct rx_sample *b, const struct gen_thread *g,
			 int nthreads)
{
	static const char *rn[SL_R__MAX] = {
		"passed", "dropped", "reset", "shadow_drop", "shadow_reset",
		"denylisted", "allowlisted", "unmetered", "flood_drop",
		"malformed", "non_ip",
	};
	static const char *en[SL_EV__MAX] = {
		"vlan", "ipv4_options", "frag_first", "frag_later", "v6_exthdr",
		"v6_ext_limit", "l4_other", "cas_retry", "client_new",
		"client_full", "reset_fail",
	};
	double secs = ts_diff(&a->at, &b->at);
	__u64 rx = b->rx_packets - a->rx_packets, sent = 0;

	for (int i = 0; i < nthreads; i++)
		sent += g[i].sent;
	printf("{\"seconds\":%.3f,\"rx_packets\":%llu,\"rx_pps\":%.0f,"
	       "\"mpps\":%.4f,\"rx_dropped\":%llu,\"gen_frames\":%llu",
	       secs, (unsigned long long)rx, rx / secs, rx / secs / 1e6,
	       (unsigned long long)(b->rx_dropped - a->rx_dropped),
	       (unsigned long long)sent);
	if (o->rx == RX_SLUICE) {
		printf(",\"sluice\":{");
		for (int r = 0; r < SL_R__MAX; r++)
			printf("%s\"%s\":%llu", r ? "," : "", rn[r],
			       (unsigned long long)(b->reason[r] - a->reason[r]));
		printf(",\"passed_per_s\":%.3f",
		       (b->reason[SL_R_PASSED] - a->reason[SL_R_PASSED]) / secs);
		for (int e = 0; e < SL_EV__MAX; e++)
			printf(",\"ev_%s\":%llu", en[e],
			       (unsigned long long)(b->event[e] - a->event[e]));
		printf("}");
	}
	printf("}\n");
	fflush(stdout);
}

static int sample(const struct opts *o, struct xdp_fixture *fx,
		  struct rx_sample *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &s->at);
	err = dev_rx_stats(o->rx_dev, &s->rx_packets, &s->rx_dropped);
	if (!err && fx->skel)
		sluice_sample(fx, s);
	if (err)
		fprintf(stderr, "floodgen: reading counters: %s\n",
			strerror(-err));
	return err;
}

/* Sleep `secs` (< 0: until a signal), or less if a signal comes. */
static void wait_for(double secs)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!stopping) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (secs >= 0 && ts_diff(&start, &now) >= secs)
			break;
		usleep(5000);
	}
}

int main(int argc, char **argv)
{
	struct gen_thread g[MAX_THREADS] = {};
	struct baseline *base = NULL;
	struct bench_gen *pass = NULL, *gen = NULL;
	struct xdp_fixture fx = { .prog_fd = -1 };
	struct rx_sample s0, s1;
	__u8 frame[256], rx_mac[ETH_ALEN], tx_mac[ETH_ALEN];
	__u32 rx_ifindex = 0, tx_ifindex = 0, l4_off, flen = 0;
	int err = 0, rx_fd = -1, tx_fd = -1, prog_fd = -1, attached = 0;
	int started = 0;
	struct opts o;

	err = parse_opts(argc, argv, &o);
	if (err)
		return 2;
	libbpf_set_print(o.verbose ? libbpf_print : NULL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);

	rx_fd = ns_open(o.rx_ns);
	if (rx_fd < 0) {
		err = rx_fd;
		goto cleanup;
	}
	if (o.sources) {
		tx_fd = ns_open(o.tx_ns);
		if (tx_fd < 0) {
			err = tx_fd;
			goto cleanup;
		}
		err = ns_enter(tx_fd) ?: dev_info(o.tx_dev, &tx_ifindex, tx_mac);
		if (err)
			goto cleanup;
	}
	err = ns_enter(rx_fd) ?: dev_info(o.rx_dev, &rx_ifindex, rx_mac);
	if (err)
		goto cleanup;

	/* The receiver. */
	switch (o.rx) {
	case RX_DROP:
		base = baseline__open_and_load();
		if (!base)
			goto load_fail;
		prog_fd = bpf_program__fd(base->progs.sl_base_drop);
		break;
	case RX_PASS:
		pass = bench_gen__open_and_load();
		if (!pass)
			goto load_fail;
		prog_fd = bpf_program__fd(pass->progs.bench_pass);
		break;
	case RX_SLUICE:
		err = fixture_open(&fx, o.clients);
		if (err == FIXTURE_SKIP)
			fprintf(stderr, "floodgen: %s\n", fixture_skip_reason());
		if (err)
			goto load_fail;
		err = sluice_configure(&fx, &o);
		if (err)
			goto cleanup;
		prog_fd = fx.prog_fd;
		break;
	case RX_NONE:
		break;
	}
	if (prog_fd >= 0) {
		if (bpf_xdp_attach(rx_ifindex, prog_fd, XDP_FLAGS_DRV_MODE,
				   NULL)) {
			err = -errno;
			fprintf(stderr, "floodgen: attaching to %s: %s\n",
				o.rx_dev, strerror(errno));
			goto cleanup;
		}
		attached = 1;
	}

	/* The HTTP tests wait for "ready" (the receiver is attached) and,
	 * with --gen-wait, let a client in before they start the flood.
	 * Without a flood there is no warm-up: the window starts here. */
	if (!o.sources) {
		err = sample(&o, &fx, &s0);
		if (err)
			goto cleanup;
	}
	fprintf(stderr, "floodgen: ready\n");
	while (o.sources && o.gen_wait && !go && !stopping)
		usleep(10000);

	/* The generator. */
	if (o.sources && !stopping) {
		int ncpu = libbpf_num_possible_cpus();
		struct { __u64 next, due; } start[ncpu];
		__u32 zero = 0;

		flen = frame_build(frame, &o, rx_mac, tx_mac, &l4_off);
		gen = bench_gen__open();
		if (!gen)
			goto load_fail;
		gen->rodata->gen_nsrc = o.sources;
		gen->rodata->gen_n1 = o.n1;
		gen->rodata->gen_base1 = ntohl(o.base1.s_addr);
		gen->rodata->gen_base2 = ntohl(o.base2.s_addr);
		gen->rodata->gen_l4_csum_off = l4_off;
		/* One thread per CPU: each paces its share. */
		if (o.pps)
			gen->rodata->gen_gap_ns = SL_NSEC_PER_SEC * o.threads /
						  o.pps ?: 1;
		if (bench_gen__load(gen))
			goto load_fail;
		/* Each CPU starts at its own share of the sources. */
		for (int c = 0; c < ncpu; c++)
			start[c].next = (__u64)o.sources * c / ncpu,
			start[c].due = 0;
		if (bpf_map__update_elem(gen->maps.gen_next, &zero, sizeof(zero),
					 start, sizeof(start), BPF_ANY)) {
			err = -errno;
			fprintf(stderr, "floodgen: gen_next: %s\n",
				strerror(errno));
			goto cleanup;
		}
		for (int i = 0; i < o.threads; i++) {
			g[i] = (struct gen_thread){
				.cpu = i % ncpu, .ns_fd = tx_fd,
				.prog_fd = bpf_program__fd(gen->progs.bench_gen),
				.ifindex = tx_ifindex, .frame = frame,
				.frame_len = flen, .batch = o.batch,
				.nice = o.nice,
			};
			err = pthread_create(&g[i].tid, NULL, gen_run, &g[i]);
			if (err) {
				err = -err;
				goto cleanup;
			}
			started++;
		}
	}
	if (started)
		fprintf(stderr, "floodgen: flooding (%u-byte frames)\n", flen);

	if (o.sources) {
		wait_for(o.warmup);
		err = sample(&o, &fx, &s0);
		if (err)
			goto cleanup;
	}
	wait_for(o.seconds > 0 ? o.seconds : -1);
	err = sample(&o, &fx, &s1);
	if (err)
		goto cleanup;
	__atomic_store_n(&gen_stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < started; i++)
		pthread_join(g[i].tid, NULL);
	for (int i = 0; i < started; i++) {
		if (g[i].err) {
			fprintf(stderr, "floodgen: generator on CPU %d: %s\n",
				g[i].cpu, strerror(-g[i].err));
			err = g[i].err;
		}
	}
	started = 0;
	if (!err)
		print_result(&o, &s0, &s1, g, o.threads);
	goto cleanup;

load_fail:
	err = err < 0 ? err : -errno ?: -EINVAL;
	fprintf(stderr, "floodgen: loading BPF objects: %s (run with -v)\n",
		strerror(-err));
cleanup:
	__atomic_store_n(&gen_stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < started; i++)
		pthread_join(g[i].tid, NULL);
	if (attached)
		bpf_xdp_detach(rx_ifindex, XDP_FLAGS_DRV_MODE, NULL);
	bench_gen__destroy(gen);
	bench_gen__destroy(pass);
	baseline__destroy(base);
	fixture_close(&fx);
	if (rx_fd >= 0)
		close(rx_fd);
	if (tx_fd >= 0)
		close(tx_fd);
	return err ? 1 : 0;
}

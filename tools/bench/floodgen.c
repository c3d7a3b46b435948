// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * floodgen: one flood-bench scenario between two network namespaces.
 *
 * The receiver: a program attached (native XDP) to the receiving veth in
 * --rx-netns: drop (the XDP_DROP ceiling), pass (XDP_PASS only, so the
 * packets go to netfilter/the stack), sluice (the limiter, maps filled
 * from the --sl-* options, floodgen_tiers.c), oracle (passes exactly the
 * sources --mixed admits, drops the rest, no state) or none.
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
 * the program or the stack did with it), the packets the IP layers
 * received (what XDP passed), plus sluice's own counters.
 * One JSON object on stdout.  --sources 0 generates nothing: the receiver
 * stays attached until SIGINT/SIGTERM (or --seconds), for the HTTP tests;
 * --gen-wait holds the flood back until SIGUSR1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "sluice_abi.h"
#include "common/gcra.h"
#include "common/names.h"
#include "floodgen.h"
#include "daemon/top.h"
#include "kern/talk.h"
#include "baseline.skel.h"
#include "oracle.skel.h"
#include "bench_gen.skel.h"
#include "sluice_xdp.skel.h"
#include "../../tests/bpf/lib/xdp_fixture.h"

#define GEN_REPEAT	(1 << 17)	/* frames per syscall: ~20 ms */

struct rx_sample {
	__u64 rx_packets, rx_dropped;
	__u64 stack_packets;	/* IPv4 + IPv6 InReceives */
	__u64 reason[SL_R__MAX];
	__u64 event[SL_EV__MAX];
	__u64 top_mask;		/* sl_talk_mask at the sample */
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

/* The tiers' counters (tier 0, and --mixed's tier 1) and the events,
 * summed over CPUs. */
static void sluice_sample(struct xdp_fixture *fx, const struct opts *o,
			  struct rx_sample *s)
{
	for (__u32 r = 0; r < SL_R__MAX; r++)
		for (__u32 t = 0; t <= (o->mixed > 0); t++)
			s->reason[r] += fixture_stat_packets(fx, t, r);
	for (__u32 e = 0; e < SL_EV__MAX; e++)
		s->event[e] = fixture_event(fx, e);
}

/* The oracle, its ranges set from --mixed (none: it drops everything). */
static int oracle_open(const struct opts *o, struct oracle **out)
{
	struct src_range r[2];
	struct oracle *orc;
	int n, err;

	orc = oracle__open();
	if (!orc)
		return -errno ?: -EINVAL;
	n = o->mixed > 0 ? mix_ranges(o, r) : 0;
	for (int i = 0; i < n; i++) {
		if (o->v6) {
			orc->rodata->oracle6_lo[i] = r[i].lo;
			orc->rodata->oracle6_hi[i] = r[i].hi;
		} else {
			orc->rodata->oracle4_lo[i] = r[i].lo;
			orc->rodata->oracle4_hi[i] = r[i].hi;
		}
	}
	err = oracle__load(orc);
	if (err) {
		oracle__destroy(orc);
		return err;
	}
	*out = orc;
	return 0;
}

/* ---- main ----------------------------------------------------------------- */

static void print_result(const struct opts *o, const struct rx_sample *a,
			 const struct rx_sample *b, const struct gen_thread *g,
			 int nthreads)
{
	double secs = ts_diff(&a->at, &b->at);
	__u64 rx = b->rx_packets - a->rx_packets, sent = 0;

	for (int i = 0; i < nthreads; i++)
		sent += g[i].sent;
	printf("{\"seconds\":%.3f,\"rx_packets\":%llu,\"rx_pps\":%.0f,"
	       "\"mpps\":%.4f,\"rx_dropped\":%llu,\"stack_packets\":%llu,"
	       "\"gen_frames\":%llu",
	       secs, (unsigned long long)rx, rx / secs, rx / secs / 1e6,
	       (unsigned long long)(b->rx_dropped - a->rx_dropped),
	       (unsigned long long)(b->stack_packets - a->stack_packets),
	       (unsigned long long)sent);
	if (o->rx == RX_SLUICE) {
		printf(",\"sluice\":{");
		for (int r = 0; r < SL_R__MAX; r++)
			printf("%s\"%s\":%llu", r ? "," : "", reason_name(r),
			       (unsigned long long)(b->reason[r] - a->reason[r]));
		printf(",\"passed_per_s\":%.3f",
		       (b->reason[SL_R_PASSED] - a->reason[SL_R_PASSED]) / secs);
		for (int e = 0; e < SL_EV__MAX; e++)
			printf(",\"ev_%s\":%llu", event_name(e),
			       (unsigned long long)(b->event[e] - a->event[e]));
		if (o->top_off)
			printf(",\"top_period\":null");
		else
			printf(",\"top_period\":%llu",
			       (unsigned long long)b->top_mask + 1);
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
	err = dev_rx_stats(o->rx_dev, &s->rx_packets, &s->rx_dropped) ?:
	      stack_rx_stats(&s->stack_packets);
	if (!err && fx->skel) {
		sluice_sample(fx, o, s);
		s->top_mask = fx->skel->data->sl_talk_mask;
	}
	if (err)
		fprintf(stderr, "floodgen: reading counters: %s\n",
			strerror(-err));
	return err;
}

/* sluiced's share of the top-talker sampler: drain the rings and adapt
 * the period every TOP_DRAIN_MS (user/daemon/top.c), so the data path
 * pays what it pays under sluiced. */
static struct talk_reader top_rings;
static struct xdp_fixture *top_fx;

static void top_noop(void *arg, const struct sl_talk_sample *s, double scale)
{
	(void)arg, (void)s, (void)scale;
}

static void top_tick(void)
{
	struct talk_drain st;

	if (!top_fx || talk_drain(&top_rings, top_noop, NULL, &st))
		return;
	top_fx->skel->data->sl_talk_mask =
		talk_adapt(top_fx->skel->data->sl_talk_mask, st.most);
}

/* Sleep `secs` (< 0: until a signal), or less if a signal comes. */
static void wait_for(double secs)
{
	struct timespec start, now, tick;

	clock_gettime(CLOCK_MONOTONIC, &start);
	tick = start;
	while (!stopping) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (secs >= 0 && ts_diff(&start, &now) >= secs)
			break;
		if (ts_diff(&tick, &now) >= TOP_DRAIN_MS / 1000.0) {
			top_tick();
			tick = now;
		}
		usleep(5000);
	}
}

int main(int argc, char **argv)
{
	struct gen_thread g[MAX_THREADS] = {};
	struct baseline *base = NULL;
	struct oracle *orc = NULL;
	struct bench_gen *pass = NULL, *gen = NULL;
	struct xdp_fixture fx = { .prog_fd = -1 };
	struct rx_sample s0, s1;
	__u8 frame[256], rx_mac[ETH_ALEN], tx_mac[ETH_ALEN];
	__u32 rx_ifindex = 0, tx_ifindex = 0, l4_off, flen = 0;
	int err = 0, rx_fd = -1, tx_fd = -1, prog_fd = -1, attached = 0;
	int started = 0;
	struct opts o;

	err = opts_parse(argc, argv, &o);
	if (err)
		return 2;
	if (o.print_admitted) {
		mix_print(&o);
		return 0;
	}
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
	case RX_ORACLE:
		err = oracle_open(&o, &orc);
		if (err)
			goto load_fail;
		prog_fd = bpf_program__fd(orc->progs.oracle);
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
		if (o.top_off) {
			fx.skel->data->sl_talk_mask = SL_TALK_OFF;
		} else {
			err = talk_open(&top_rings,
					bpf_map__fd(fx.skel->maps.sl_talk),
					bpf_map__fd(fx.skel->maps.sl_talk_head));
			if (err) {
				fprintf(stderr, "floodgen: mapping the top-talker rings: %s\n",
					strerror(-err));
				goto cleanup;
			}
			top_fx = &fx;
			top_tick();	/* notes where the rings stand */
		}
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
		struct { __u64 next, due; __u32 first, stride; } start[ncpu];
		__u32 zero = 0;

		flen = frame_build(frame, &o, rx_mac, tx_mac, &l4_off);
		gen = bench_gen__open();
		if (!gen)
			goto load_fail;
		gen->rodata->gen_nsrc = o.sources;
		gen->rodata->gen_n1 = o.n1;
		gen->rodata->gen_base1 = ntohl(o.base1.s_addr);
		gen->rodata->gen_base2 = ntohl(o.base2.s_addr);
		gen->rodata->gen_v6 = o.v6;
		gen->rodata->gen6_base1 = o.base6_1;
		gen->rodata->gen6_base2 = o.base6_2;
		gen->rodata->gen_l4_csum_off = l4_off;
		/* One thread per CPU: each paces its share. */
		if (o.pps)
			gen->rodata->gen_gap_ns = SL_NSEC_PER_SEC * o.threads /
						  o.pps ?: 1;
		if (bench_gen__load(gen))
			goto load_fail;
		/* Each CPU starts at its own share of the sources and walks
		 * all of them, or (--spread rss) takes every ncpu-th source
		 * only, as a NIC's RSS keeps a source on one queue. */
		for (int c = 0; c < ncpu; c++) {
			start[c] = (typeof(start[0])){ .first = 0, .stride = 1,
				.next = (__u64)o.sources * c / ncpu };
			if (o.spread_rss)
				start[c].first = start[c].next = c % o.sources,
				start[c].stride = ncpu;
		}
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
	oracle__destroy(orc);
	top_fx = NULL;
	talk_close(&top_rings);
	fixture_close(&fx);
	if (rx_fd >= 0)
		close(rx_fd);
	if (tx_fd >= 0)
		close(tx_fd);
	return err ? 1 : 0;
}

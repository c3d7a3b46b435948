// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * testrun: ns per packet of the XDP limiter under BPF_PROG_TEST_RUN,
 * next to baselines measured in the same run.
 *
 *   baseline_lookup  read the clock, one hash lookup (bpf/baseline.bpf.c)
 *   sluice_pass      a known client under its limit
 *   sluice_drop      a known client over its limit
 *   xdp_drop         XDP_DROP and nothing else
 * (plus the pass path on the coarse clock and over IPv6), and
 *   sluice_pass_svc  the pass path of a config as sluiced applies it, with
 *                    services, edge replies and edge connections on the
 *                    packet's port (tools/bench/testrun.c: SVC_CONFIG)
 * and the TC egress program (bpf/sluice_egress.bpf.c) on the segments leaving:
 *   egress_response  a status line on a connection sl_conns holds (its
 *                    request answered by the first run: the parse and
 *                    one lookup, what a retransmitted response costs)
 *   egress_interim   "100 Continue" on a pending request: parse,
 *                    lookup and the per-CPU counts (no clock, latency
 *                    or run: a final response adds those once)
 *   egress_other     a body segment: headers and a peek at the payload,
 *                    no map lookup  The limiter
 * holds the prefixes of examples/sluice.yaml; its client is in tier 0
 * with one packets meter.
 *
 * Each scenario runs `repeat` times in the kernel per round; the kernel
 * reports the mean ns per run, and the median over the rounds is kept.
 * Rounds interleave the scenarios, so a noisy moment hits them all.
 *
 *   testrun [-j] [-o FILE] [-r REPEAT] [-n ROUNDS] [-s SCENARIO]
 * Prints a table (or JSON with -j) and writes a JSON list of
 * {"scenario", "ns_per_pkt", "ratio_baseline"} to FILE (default
 * $BUILD/bench/testrun.json).  Exit: 0 ok, 1 failure, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../../tests/bpf/lib/pkt.h"
#include "../../tests/bpf/lib/egress_fixture.h"
#include "../../tests/bpf/lib/xdp_fixture.h"
#include "../../tests/bpf/lib/svc_rig.h"
#include "baseline.skel.h"
#include "config/config.h"
#include "kern/apply.h"
#include "kern/stats.h"
#include "sluice_talk.h"

#define MAX_ROUNDS	101

struct scenario {
	const char *name;
	const char *desc;
	int prog_fd;
	struct pkt pkt;
	int verdict;		/* what the program must answer */
	double ns[MAX_ROUNDS];
	double median;
};

enum { S_BASE, S_PASS, S_DROP, S_XDP_DROP, S_PASS_COARSE, S_PASS_V6,
       S_PASS_NOTOP, S_DROP_NOTOP, S_PASS_SVC, S_EG_RESP, S_EG_INTERIM, S_EG_OTHER, S__N };

/* The top-talker sampling period less one: what sluiced settles on at
 * these rates (a quarter ring per 250 ms drain), or off. */
#define TOP_MASK_LOADED	4095ULL

static int json;
static const char *only;	/* -s: run this scenario alone */

/* Errors go to stderr, or as {"error": ...} to stdout under -j. */
static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json)
		printf("{\"error\": \"%s\"}\n", msg);
	else
		fprintf(stderr, "testrun: %s\n", msg);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Tier 0 takes every source: `t` with one packets meter. */
static int sluice_tier(struct xdp_fixture *fx, __u32 tier_flags,
		       __u64 per_sec, __u32 burst)
{
	struct sl_tier t;
	int err;

	err = fixture_set_limit(fx, 0, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = burst,
			  .per_sec = per_sec }), &t);
	if (err)
		return err;
	t.flags = tier_flags;
	return fixture_set_tier(fx, 0, &t);
}

static int build(struct scenario *s, int kind, const char *src)
{
	struct pkt_spec spec = { .kind = kind, .src = src,
				 .tcp_flags = TH_ACK, .payload_len = 10 };

	return pkt_build(&s->pkt, &spec);
}

/* The prefixes of examples/sluice.yaml, so the LPM walk is a real one:
 * the benchmark's client falls to the catch-all. */
static int sluice_prefixes(struct xdp_fixture *fx)
{
	static const struct { const char *cidr; __u32 tier; } pfx[] = {
		{ "0.0.0.0/0", 0 }, { "::/0", 0 },
		{ "198.18.10.0/24", 1 }, { "2001:2:0:10::/64", 1 },
		{ "198.18.20.0/24", 2 }, { "2001:2:0:20::/64", 2 },
		{ "198.18.66.0/24", 3 }, { "198.18.99.0/24", 4 },
	};
	int err = 0;

	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]) && !err; i++)
		err = fixture_add_prefix(fx, pfx[i].cidr, pfx[i].tier);
	return err;
}

/* examples/sluice.yaml's tiers, the client's with an http requests
 * meter (edge replies: the default 429) beside a packets meter that
 * admits the data segment, edge connections and services on its port 80.
 * Every meter tolerates less than 16 ms, so the loader keeps the precise
 * clock, as the other sluice rows have it. */
#define SVC_CONFIG							\
	"interfaces: [lo]\n"						\
	"tiers:\n"							\
	"  - name: normal\n"						\
	"    match: [0.0.0.0/0, '::/0']\n"				\
	"    limits:\n"							\
	"      - {unit: requests, rate: 100000000/s, burst: 1000, action: http}\n" \
	"      - {unit: packets, rate: 100000000/s, burst: 1000}\n"	\
	"  - {name: vip, match: [198.18.10.0/24, '2001:2:0:10::/64'],\n"	\
	"     limits: [{unit: requests, rate: 10/s, burst: 20, action: http}]}\n" \
	"  - {name: partner, match: [198.18.20.0/24, '2001:2:0:20::/64'],\n" \
	"     limits: [{unit: requests, rate: 5/s, burst: 10, action: http}]}\n" \
	"  - {name: blocked, match: [198.18.66.0/24], verdict: drop}\n"	\
	"  - {name: monitors, match: [198.18.99.0/24], verdict: pass}\n"	\
	"edge_connections: {ports: [80]}\n"				\
	"services:\n"							\
	"  - {name: web, port: 80}\n"					\
	"  - {name: api, port: 80, paths: [/api]}\n"			\
	"  - {name: secure, port: 443, tls: true}\n"

/* The config applied as sluiced applies it (tests/bpf/lib/svc_rig.h),
 * then the first packet creates the client. */
static int setup_svc(struct rig *r, struct scenario *s)
{
	struct apply_summary sum = {};
	char errbuf[CFG_ERR_MAX];
	struct sl_config *cfg = NULL;
	int err;

	memset(r, 0, sizeof(*r));
	r->names_fd = r->svc_names_fd = -1;
	err = fixture_open(&r->fx, 65536);
	if (err == FIXTURE_SKIP)
		return -EPERM;
	if (err)
		return err;
	r->fx.skel->data->sl_talk_mask = TOP_MASK_LOADED;
	memset(&r->fx.global, 0, sizeof(r->fx.global));
	r->names_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, SL_MAP_TIER_NAMES, 4,
				     sizeof(struct sl_tier_name), SL_MAX_TIERS,
				     NULL);
	r->svc_names_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, SL_MAP_SVC_NAMES,
					 4, sizeof(struct sl_svc_name),
					 SL_MAX_SERVICES, NULL);
	if (r->names_fd < 0 || r->svc_names_fd < 0)
		return -errno;
	err = fixture_set_global(&r->fx) ?: rig_iface(r);
	if (err)
		return err;
	if (cfg_parse("testrun.yaml", SVC_CONFIG, strlen(SVC_CONFIG), &cfg,
		      errbuf)) {
		fail("%s", errbuf);
		return -EINVAL;
	}
	err = stats_init(&r->ifc.stats) ?: apply_config(&r->ifc, cfg, &sum);
	apply_summary_free(&sum);
	cfg_free(cfg);
	if (!err)
		err = build(s, PKT_IPV4, "198.18.0.1");
	if (!err && fixture_run(&r->fx, s->pkt.data, s->pkt.len, NULL, NULL) !=
		    XDP_PASS)
		err = -EPROTO;
	if (err)
		return err;
	/* Admitted by tier normal's meters, not passed for another reason. */
	for (__u32 id = 0; id < SL_MAX_TIERS; id++) {
		if (strcmp(r->ifc.tier_names[id], "normal"))
			continue;
		if (fixture_stat_packets(&r->fx, id, SL_R_PASSED) != 1) {
			fail("sluice_pass_svc: the packet was not metered");
			return -EPROTO;
		}
		s->prog_fd = r->fx.prog_fd;
		s->verdict = XDP_PASS;
		return 0;
	}
	return -ENOENT;
}

/* One fixture per sluice scenario: each has its own client state. */
static int setup_sluice(struct xdp_fixture *fx, struct scenario *s,
			int kind, __u32 tier_flags, int over, __u64 top_mask)
{
	int err = fixture_open(fx, 65536);

	if (err == FIXTURE_SKIP)
		return -EPERM;
	if (err)
		return err;
	fx->skel->data->sl_talk_mask = top_mask;
	/* Under its limit: a rate no benchmark reaches.  Over it: one
	 * packet a second, spent by a first packet. */
	err = over ? sluice_tier(fx, tier_flags, 1, 1) :
		     sluice_tier(fx, tier_flags, 1000000000000ULL, 1000000000);
	if (!err)
		err = sluice_prefixes(fx);
	if (!err)
		err = build(s, kind, kind == PKT_IPV4 ? "198.18.0.1" : "2001:2::1");
	if (!err && fixture_run(fx, s->pkt.data, s->pkt.len, NULL, NULL) !=
		    XDP_PASS)
		err = -EPROTO;
	s->prog_fd = fx->prog_fd;
	s->verdict = over ? XDP_DROP : XDP_PASS;
	return err;
}

/* The egress program on its own limiter's maps: a response from
 * 198.18.0.2:80 to 198.18.0.1:40000, whose connection has a pending
 * request of service 0 (written as XDP would). */
static int setup_egress(struct xdp_fixture *fx, struct egress_fixture *ef,
			struct scenario *s, const char *payload, __u16 len)
{
	struct pkt_spec spec = { .src = "198.18.0.2", .dst = "198.18.0.1",
				 .sport = 80, .dport = 40000,
				 .tcp_flags = TH_ACK | TH_PSH,
				 .payload = payload, .payload_len = len };
	struct sl_conn_key k;
	int err = fixture_open(fx, 4096);

	if (err == FIXTURE_SKIP)
		return -EPERM;
	err = err ?: egress_fixture_open(ef, fx) ?:
	      egress_set_service(fx, 0, 0, 1000000000ULL, 30000000000ULL,
				 SL_SVC_FAIL_DEFAULT) ?:
	      egress_key(&k, "198.18.0.1", 40000, "198.18.0.2", 80) ?:
	      egress_set_pending(fx, &k, 0, 1000000) ?:
	      pkt_build(&s->pkt, &spec);
	if (err)
		return err;
	s->prog_fd = ef->prog_fd;
	s->verdict = EGRESS_PASS;
	return 0;
}

static int setup_baseline(struct baseline *b, struct scenario *sc)
{
	struct sl_client_key k = { .family = SL_AF_INET };
	struct sl_client v = {};
	int err;

	err = build(&sc[S_BASE], PKT_IPV4, "198.18.0.1");
	if (err)
		return err;
	/* The client the lookup finds, keyed as bpf/baseline.bpf.c keys it. */
	memcpy(&k.addr[0], sc[S_BASE].pkt.data + sc[S_BASE].pkt.l3_off + 12, 4);
	if (bpf_map_update_elem(bpf_map__fd(b->maps.sl_base_map), &k, &v,
				BPF_ANY))
		return -errno;
	sc[S_BASE].prog_fd = bpf_program__fd(b->progs.sl_base_lookup);
	sc[S_BASE].verdict = XDP_PASS;
	sc[S_XDP_DROP].pkt = sc[S_BASE].pkt;
	sc[S_XDP_DROP].prog_fd = bpf_program__fd(b->progs.sl_base_drop);
	sc[S_XDP_DROP].verdict = XDP_DROP;
	return 0;
}

static int measure(struct scenario *sc, __u32 repeat, int rounds)
{
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < S__N; i++) {
			__u32 ns;
			int v;

			if (only && strcmp(only, sc[i].name))
				continue;
			v = prog_run_repeat(sc[i].prog_fd, sc[i].pkt.data,
						sc[i].pkt.len, repeat, &ns);

			if (v < 0 && v != sc[i].verdict) {
				fail("%s: test run: %s", sc[i].name,
				     strerror(-v));
				return v;
			}
			if (v != sc[i].verdict) {
				fail("%s: verdict %d, expected %d", sc[i].name,
				     v, sc[i].verdict);
				return -EPROTO;
			}
			sc[i].ns[r] = ns;
		}
	}
	for (int i = 0; i < S__N; i++) {
		qsort(sc[i].ns, rounds, sizeof(double), cmp_double);
		sc[i].median = sc[i].ns[rounds / 2];
	}
	return 0;
}

static double ratio(const struct scenario *sc, int i)
{
	return sc[S_BASE].median > 0 ? sc[i].median / sc[S_BASE].median : 0;
}

static void print_json(FILE *f, const struct scenario *sc)
{
	fprintf(f, "[\n");
	for (int i = 0; i < S__N; i++)
		fprintf(f, "  {\"scenario\": \"%s\", \"ns_per_pkt\": %.1f, "
			"\"ratio_baseline\": %.3f}%s\n", sc[i].name,
			sc[i].median, ratio(sc, i), i + 1 < S__N ? "," : "");
	fprintf(f, "]\n");
}

static void print_table(const struct scenario *sc, __u32 repeat, int rounds)
{
	printf("BPF_PROG_TEST_RUN, %u runs x %d rounds, median of the kernel's "
	       "ns/run\n", repeat, rounds);
	printf("%-20s %-44s %8s %12s\n", "scenario", "", "ns/pkt",
	       "x baseline");
	for (int i = 0; i < S__N; i++)
		printf("%-20s %-44s %8.1f %12.2f\n", sc[i].name, sc[i].desc,
		       sc[i].median, ratio(sc, i));
}

static int write_json(const char *path, const struct scenario *sc)
{
	char dir[PATH_MAX], *slash;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		mkdir(dir, 0755);	/* one level: build/ exists */
	}
	f = fopen(path, "w");
	if (!f)
		return -errno;
	print_json(f, sc);
	return fclose(f) ? -errno : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: testrun [-j] [-o FILE] [-r REPEAT] [-n ROUNDS] [-s SCENARIO]\n"
"  -j         print JSON instead of the table\n"
"  -o FILE    where to write the JSON (default $BUILD/bench/testrun.json)\n"
"  -r REPEAT  runs per round and scenario (default 1000000)\n"
"  -n ROUNDS  rounds; the median is kept (default 7, at most %d)\n"
"  -s NAME    run scenario NAME alone (to profile it; nothing written)\n",
		MAX_ROUNDS);
}

int main(int argc, char **argv)
{
	struct scenario sc[S__N] = {
		[S_BASE] = { "baseline_lookup", "baseline: clock + one hash lookup" },
		[S_PASS] = { "sluice_pass", "known client under its limit" },
		[S_DROP] = { "sluice_drop", "known client over its limit" },
		[S_XDP_DROP] = { "xdp_drop", "XDP_DROP only" },
		[S_PASS_COARSE] = { "sluice_pass_coarse",
				    "under its limit, coarse clock tier" },
		[S_PASS_V6] = { "sluice_pass_v6", "under its limit, IPv6" },
		[S_PASS_NOTOP] = { "sluice_pass_notop",
				   "under its limit, no top-talker samples" },
		[S_DROP_NOTOP] = { "sluice_drop_notop",
				   "over its limit, no top-talker samples" },
		[S_PASS_SVC] = { "sluice_pass_svc",
				 "under its limit, services + edge replies" },
		[S_EG_RESP] = { "egress_response",
				"TC egress: a status line, connection known" },
		[S_EG_INTERIM] = { "egress_interim",
				   "TC egress: 100 Continue, request pending" },
		[S_EG_OTHER] = { "egress_other",
				 "TC egress: a body segment, no lookup" },
	};
	static char body[1448];
	struct egress_fixture ef[S__N] = {};
	struct xdp_fixture fx[S__N] = {};
	const char *build = getenv("BUILD"), *out = NULL;
	char out_default[PATH_MAX];
	struct baseline *b = NULL;
	struct rig svc = { .names_fd = -1, .svc_names_fd = -1 };
	__u32 repeat = 1000000;
	int rounds = 7, c, err;

	while ((c = getopt(argc, argv, "jo:r:n:s:h")) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'o': out = optarg; break;
		case 'r': repeat = strtoul(optarg, NULL, 0); break;
		case 'n': rounds = atoi(optarg); break;
		case 's': only = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	for (c = 0; only && c < S__N && strcmp(only, sc[c].name); c++)
		;
	if (!repeat || rounds < 1 || rounds > MAX_ROUNDS || c == S__N) {
		usage(stderr);
		return 2;
	}
	snprintf(out_default, sizeof(out_default), "%s/bench/testrun.json",
		 build ? build : "build");
	if (!out)
		out = out_default;

	if (fixture_skip_reason()) {
		fail("%s", fixture_skip_reason());
		return 1;
	}
	b = baseline__open_and_load();
	err = b ? setup_baseline(b, sc) : -errno;
	if (err) {
		fail("loading the baseline: %s", strerror(-err));
		goto out;
	}
	err = setup_sluice(&fx[S_PASS], &sc[S_PASS], PKT_IPV4, 0, 0,
			   TOP_MASK_LOADED) ?:
	      setup_sluice(&fx[S_DROP], &sc[S_DROP], PKT_IPV4, 0, 1,
			   TOP_MASK_LOADED) ?:
	      setup_sluice(&fx[S_PASS_COARSE], &sc[S_PASS_COARSE], PKT_IPV4,
			   SL_TIER_F_COARSE_CLOCK, 0, TOP_MASK_LOADED) ?:
	      setup_sluice(&fx[S_PASS_V6], &sc[S_PASS_V6], PKT_IPV6, 0, 0,
			   TOP_MASK_LOADED) ?:
	      setup_sluice(&fx[S_PASS_NOTOP], &sc[S_PASS_NOTOP], PKT_IPV4, 0, 0,
			   SL_TALK_OFF) ?:
	      setup_sluice(&fx[S_DROP_NOTOP], &sc[S_DROP_NOTOP], PKT_IPV4, 0, 1,
			   SL_TALK_OFF) ?:
	      setup_svc(&svc, &sc[S_PASS_SVC]);
	if (err) {
		fail("loading sluice_xdp: %s", strerror(-err));
		goto out;
	}
	memset(body, 'x', sizeof(body));
	err = setup_egress(&fx[S_EG_RESP], &ef[S_EG_RESP], &sc[S_EG_RESP],
			   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0) ?:
	      setup_egress(&fx[S_EG_INTERIM], &ef[S_EG_INTERIM], &sc[S_EG_INTERIM],
			   "HTTP/1.1 100 Continue\r\n\r\n", 0) ?:
	      setup_egress(&fx[S_EG_OTHER], &ef[S_EG_OTHER], &sc[S_EG_OTHER],
			   body, sizeof(body));
	if (err) {
		fail("loading sluice_egress: %s", strerror(-err));
		goto out;
	}
	err = measure(sc, repeat, rounds);
	if (err)
		goto out;
	if (json)
		print_json(stdout, sc);
	else
		print_table(sc, repeat, rounds);
	err = only ? 0 : write_json(out, sc);
	if (err)
		fail("%s: %s", out, strerror(-err));
	else if (!json && !only)
		printf("wrote %s\n", out);
out:
	for (int i = 0; i < S__N; i++) {
		if (ef[i].skel)
			egress_fixture_close(&ef[i]);
		if (fx[i].skel)
			fixture_close(&fx[i]);
	}
	rig_close(&svc);
	baseline__destroy(b);
	return err ? 1 : 0;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Services at XDP ingress, from a config through sluiced's apply
 * (user/kern/services.c) to the data path (bpf/lib/service.bpf.h):
 * which service a request start belongs to (port, address v4/v6, path
 * prefixes, the longest wins, a port's default service, a path cut by
 * the segment's end, non-requests, TLS), what is counted in
 * sl_svc_stats and written to sl_conns, retransmissions, keep-alive,
 * requests the edge answers, shadow mode, and ids and counts across a
 * reload and a restart.
 */
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/expect.h"
#include "lib/edge_fixture.h"
#include "lib/svc_rig.h"
#include "kern/apply.h"
#include "kern/services.h"
#include "config/config.h"

#define HEAD_PASS	"interfaces: [lo]\ntiers:\n  - {name: default, verdict: pass}\n"
#define HEAD_HTTP	"interfaces: [lo]\ntiers:\n  - name: default\n" \
			"    limits: [{unit: requests, rate: 1/m, burst: 1, action: http}]\n"
#define HEAD_DROP	"interfaces: [lo]\ntiers:\n  - name: default\n" \
			"    limits: [{unit: requests, rate: 1/m, burst: 1, action: drop}]\n"

#define SERVICES \
	"services:\n" \
	"  - {name: web, port: 80}\n" \
	"  - {name: api, port: 80, paths: [/api]}\n" \
	"  - {name: users, port: 80, paths: [/api/users]}\n" \
	"  - {name: nine, port: 80, address: [198.18.0.9, '2001:2::9']}\n" \
	"  - {name: admin, port: 80, address: 198.18.0.9, paths: [/api/users/admin]}\n" \
	"  - {name: alt, port: 8080, paths: [/x]}\n" \
	"  - {name: secure, port: 443, tls: true}\n" \
	"  - {name: plain, port: 8081}\n"

#define NONE	NULL

/* requests and edge_replies of service `name`, summed over CPUs. */
static void svc_counts(struct rig *r, const char *name, __u64 *req, __u64 *edge)
{
	int ncpus = libbpf_num_possible_cpus();
	struct sl_svc_stats st[ncpus];
	__u32 id = services_id(&r->ifc, name);

	*req = *edge = 0;
	if (bpf_map_lookup_elem(bpf_map__fd(r->fx.skel->maps.sl_svc_stats),
				&id, st))
		return;
	for (int c = 0; c < ncpus; c++) {
		*req += st[c].requests;
		*edge += st[c].edge_replies;
	}
}

/* connections of service `name`, summed over CPUs. */
static __u64 svc_conns(struct rig *r, const char *name)
{
	int ncpus = libbpf_num_possible_cpus();
	struct sl_svc_stats st[ncpus];
	__u32 id = services_id(&r->ifc, name);
	__u64 n = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(r->fx.skel->maps.sl_svc_stats),
				&id, st))
		return 0;
	for (int c = 0; c < ncpus; c++)
		n += st[c].connections;
	return n;
}

static __u64 svc_requests(struct rig *r, const char *name)
{
	__u64 req, edge;

	svc_counts(r, name, &req, &edge);
	return req;
}

/* A request segment: TCP ACK|PSH with `payload`. */
static struct pkt_spec req(int kind, const char *dst, __u16 dport,
			   __u16 sport, __u32 seq, const char *payload)
{
	return (struct pkt_spec){ .kind = kind, .dst = dst, .dport = dport,
				  .sport = sport, .seq = seq,
				  .tcp_flags = TH_ACK | TH_PSH,
				  .payload = payload };
}

static struct sl_conn_key conn_key(int kind, const char *dst, __u16 dport,
				   __u16 sport)
{
	int af = kind == PKT_IPV6 ? AF_INET6 : AF_INET;
	struct sl_conn_key k = { .family = kind == PKT_IPV6 ? SL_AF_INET6 : SL_AF_INET,
				 .client_port = htons(sport),
				 .server_port = htons(dport ? dport : 80) };

	inet_pton(af, kind == PKT_IPV6 ? "2001:2::1" : "198.18.0.1", k.client);
	inet_pton(af, dst ? dst : kind == PKT_IPV6 ? "2001:2::2" : "198.18.0.2",
		  k.server);
	return k;
}

static int conn_get(struct rig *r, const struct sl_conn_key *k, struct sl_conn *c)
{
	return bpf_map_lookup_elem(bpf_map__fd(r->fx.skel->maps.sl_conns), k, c) ?
	       -errno : 0;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- classification ------------------------------------------------- */

#define C(d, k, dst_, port, pl, svc, ...) \
	{ .desc = d, .kind = k, .dst = dst_, .dport = port, .payload = pl, \
	  .service = svc, __VA_ARGS__ }

static const struct svc_case {
	const char *desc;
	int kind;
	const char *dst;
	__u16 dport;
	const char *payload;
	const char *service;	/* NONE: no service counts it */
	__u8 nvlan, n_ext;
} cases[] = {
	C("v4 / to the port's default", PKT_IPV4, NULL, 80, "GET / HTTP/1.1\r\n\r\n", "web"),
	C("v4 /api", PKT_IPV4, NULL, 80, "GET /api HTTP/1.1\r\n\r\n", "api"),
	C("v4 /api/orders: /api is the longest", PKT_IPV4, NULL, 80, "POST /api/orders HTTP/1.1\r\n", "api"),
	C("v4 /api/users/7: the longest wins", PKT_IPV4, NULL, 80, "GET /api/users/7 HTTP/1.1\r\n", "users"),
	C("v4 /api/users exactly", PKT_IPV4, NULL, 80, "DELETE /api/users HTTP/1.1\r\n", "users"),
	C("v4 /apiary: a byte prefix", PKT_IPV4, NULL, 80, "GET /apiary HTTP/1.1\r\n", "api"),
	C("v4 /ap: shorter than any path", PKT_IPV4, NULL, 80, "GET /ap HTTP/1.1\r\n", "web"),
	C("v4 /x/api: a prefix, not a substring", PKT_IPV4, NULL, 80, "GET /x/api HTTP/1.1\r\n", "web"),
	C("v4 cut by the segment's end inside /api/users", PKT_IPV4, NULL, 80, "GET /api/us", "api"),
	C("v4 cut right after /api/users", PKT_IPV4, NULL, 80, "OPTIONS /api/users", "users"),
	C("v4 cut after the method", PKT_IPV4, NULL, 80, "GET ", "web"),
	C("v4 a path past 64 bytes", PKT_IPV4, NULL, 80,
	  "GET /api/users/0123456789012345678901234567890123456789012345678901234567890123456789 HTTP/1.1\r\n",
	  "users"),
	C("v4 a query after the path", PKT_IPV4, NULL, 80, "GET /api?users=1 HTTP/1.1\r\n", "api"),
	C("v6 /api/users/1", PKT_IPV6, NULL, 80, "PUT /api/users/1 HTTP/1.1\r\n", "users"),
	C("v6 /", PKT_IPV6, NULL, 80, "HEAD / HTTP/1.1\r\n", "web"),
	C("v4 the service's address beats a longer path", PKT_IPV4, "198.18.0.9", 80, "GET /api/users/1 HTTP/1.1\r\n", "nine"),
	C("v4 the address's own path", PKT_IPV4, "198.18.0.9", 80, "GET /api/users/admin/1 HTTP/1.1\r\n", "admin"),
	C("v6 the service's address", PKT_IPV6, "2001:2::9", 80, "GET /api HTTP/1.1\r\n", "nine"),
	C("v6 another address: any-address services", PKT_IPV6, "2001:2::8", 80, "GET /api/users/admin HTTP/1.1\r\n", "users"),
	C("v4 over 802.1Q", PKT_IPV4, NULL, 80, "GET /api/users HTTP/1.1\r\n", "users", .nvlan = 1),
	C("v6 behind extension headers", PKT_IPV6, "2001:2::9", 80, "GET / HTTP/1.1\r\n", "nine", .n_ext = 2),
	C("port 8080 /x/1", PKT_IPV4, NULL, 8080, "GET /x/1 HTTP/1.1\r\n", "alt"),
	C("port 8080 without a default service", PKT_IPV4, NULL, 8080, "GET /y HTTP/1.1\r\n", NONE),
	C("port 8081: its only service", PKT_IPV4, NULL, 8081, "GET /x HTTP/1.1\r\n", "plain"),
	C("port 81: no service", PKT_IPV4, NULL, 81, "GET / HTTP/1.1\r\n", NONE),
	C("port 80, not a request start", PKT_IPV4, NULL, 80, "hello, this is no request", NONE),
	C("port 80, a lowercase method", PKT_IPV4, NULL, 80, "get / HTTP/1.1\r\n", NONE),
	C("a TLS service counts no requests", PKT_IPV4, NULL, 443, "GET / HTTP/1.1\r\n", NONE),
};

static const char *const names[] = { "web", "api", "users", "nine", "admin", "alt", "secure", "plain" };
#define NNAMES	(sizeof(names) / sizeof(names[0]))

static void test_classify(void)
{
	__u64 before[NNAMES], total = 0;
	struct rig r;

	if (!rig_open(&r) || !rig_apply(&r, HEAD_PASS SERVICES, NULL))
		goto out;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct svc_case *c = &cases[i];
		struct pkt_spec s = req(c->kind, c->dst, c->dport, r.sport++,
					1000, c->payload);

		s.nvlan = c->nvlan;
		s.n_ext = c->n_ext;
		if (c->n_ext) {
			s.ext[0] = IPPROTO_HOPOPTS;
			s.ext[1] = IPPROTO_DSTOPTS;
		}
		test_subtest_begin(c->desc);
		for (size_t k = 0; k < NNAMES; k++)
			before[k] = svc_requests(&r, names[k]);
		ASSERT_EQ(fixture_send(&r.fx, &s), XDP_PASS, "passed");
		for (size_t k = 0; k < NNAMES; k++) {
			bool want = c->service && !strcmp(c->service, names[k]);

			if (!ASSERT_EQ(svc_requests(&r, names[k]) - before[k],
				       want ? 1 : 0, names[k]))
				fprintf(stderr, "    expected %s\n", c->service ? c->service : "none");
		}
		total += !!c->service;
		test_subtest_end();
	}
	for (size_t k = 0; k < NNAMES; k++)
		total -= svc_requests(&r, names[k]);
	ASSERT_EQ(total, 0, "requests add up");
out:
	rig_close(&r);
}

/* ---- what is written ------------------------------------------------ */

static void test_conn_entry(void)
{
	static const int kinds[] = { PKT_IPV4, PKT_IPV6 };
	struct rig r;

	if (!rig_open(&r) || !rig_apply(&r, HEAD_PASS SERVICES, NULL))
		goto out;
	for (int i = 0; i < 2; i++) {
		struct pkt_spec s = req(kinds[i], NULL, 80, 40123, 0xfedcba98,
					"GET /api/users/1 HTTP/1.1\r\n");
		struct sl_conn_key k = conn_key(kinds[i], NULL, 80, 40123);
		struct sl_conn c;
		__u64 t0, t1;

		test_subtest_begin(i ? "v6" : "v4");
		t0 = mono_ns();
		ASSERT_EQ(fixture_send(&r.fx, &s), XDP_PASS, "passed");
		t1 = mono_ns();
		if (ASSERT_OK(conn_get(&r, &k, &c), "sl_conns entry")) {
			ASSERT_EQ(c.seq, 0xfedcba98, "seq, host order");
			ASSERT_EQ(c.service, services_id(&r.ifc, "users"), "service");
			ASSERT_EQ(c.pending, 1, "pending");
			ASSERT_GE(c.start_ns, t0, "start_ns after the send began");
			ASSERT_LE(c.start_ns, t1, "start_ns before it returned");
		}
		test_subtest_end();
	}
out:
	rig_close(&r);
}

/* A SYN passed to the server counts a connection of the service its
 * port and address match (a TLS one too); a SYN-ACK, a data segment or a
 * dropped SYN none. */
static void test_connections(void)
{
	static const struct { const char *desc, *dst; __u16 dport; __u8 flags;
			      const char *service; __u64 want; } c[] = {
		{ "SYN to :443, the TLS service", NULL, 443, TH_SYN, "secure", 1 },
		{ "SYN to :80, the port's default", NULL, 80, TH_SYN, "web", 1 },
		{ "SYN to the address service", "198.18.0.9", 80, TH_SYN, "nine", 1 },
		{ "SYN-ACK: none", NULL, 8081, TH_SYN | TH_ACK, "plain", 0 },
		{ "ACK: none", NULL, 8081, TH_ACK, "plain", 0 },
	};
	struct rig r;

	if (!rig_open(&r) || !rig_apply(&r, HEAD_PASS SERVICES, NULL))
		goto out;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct pkt_spec s = { .kind = PKT_IPV4, .dst = c[i].dst,
				      .dport = c[i].dport, .tcp_flags = c[i].flags };

		test_subtest_begin(c[i].desc);
		ASSERT_EQ(fixture_send(&r.fx, &s), XDP_PASS, "passed");
		ASSERT_EQ(svc_conns(&r, c[i].service), c[i].want, "connections");
		test_subtest_end();
	}
	ASSERT_EQ(svc_requests(&r, "secure"), 0, "the TLS service: no requests");
out:
	rig_close(&r);
}

/* The same segment again is no new request; the next one on the
 * connection replaces the pending entry, also once it was answered. */
static void test_retransmit_keepalive(void)
{
	const char *r1 = "GET /api/users/1 HTTP/1.1\r\n\r\n", *r2 = "GET / HTTP/1.1\r\n\r\n";
	struct sl_conn_key k = conn_key(PKT_IPV4, NULL, 80, 41000);
	struct pkt_spec s1 = req(PKT_IPV4, NULL, 80, 41000, 5000, r1);
	struct pkt_spec s2 = req(PKT_IPV4, NULL, 80, 41000, 5000 + strlen(r1), r2);
	struct pkt_spec s3 = req(PKT_IPV4, NULL, 80, 41000, 5000 + strlen(r1) + strlen(r2), r1);
	struct sl_conn c, first;
	struct rig r;

	if (!rig_open(&r) || !rig_apply(&r, HEAD_PASS SERVICES, NULL))
		goto out;
	ASSERT_EQ(fixture_send(&r.fx, &s1), XDP_PASS, "first");
	if (!ASSERT_OK(conn_get(&r, &k, &first), "entry"))
		goto out;
	ASSERT_EQ(fixture_send(&r.fx, &s1), XDP_PASS, "retransmitted");
	ASSERT_EQ(fixture_send(&r.fx, &s1), XDP_PASS, "and again");
	ASSERT_EQ(svc_requests(&r, "users"), 1, "counted once");
	ASSERT_OK(conn_get(&r, &k, &c), "entry");
	ASSERT_EQ(c.start_ns, first.start_ns, "start_ns unchanged");

	ASSERT_EQ(fixture_send(&r.fx, &s2), XDP_PASS, "second request");
	ASSERT_EQ(svc_requests(&r, "web"), 1, "counted for its service");
	ASSERT_OK(conn_get(&r, &k, &c), "entry");
	ASSERT_EQ(c.seq, 5000 + strlen(r1), "its seq");
	ASSERT_EQ(c.service, services_id(&r.ifc, "web"), "its service");
	ASSERT_EQ(c.pending, 1, "pending");
	ASSERT_GE(c.start_ns, first.start_ns, "its start");

	/* TC egress closes it (pending 0); the next request opens it. */
	c.pending = 0;
	bpf_map_update_elem(bpf_map__fd(r.fx.skel->maps.sl_conns), &k, &c, BPF_EXIST);
	ASSERT_EQ(fixture_send(&r.fx, &s2), XDP_PASS, "answered, then retransmitted");
	ASSERT_EQ(svc_requests(&r, "web"), 1, "still once");
	ASSERT_EQ(fixture_send(&r.fx, &s3), XDP_PASS, "third request");
	ASSERT_EQ(svc_requests(&r, "users"), 2, "counted");
	ASSERT_OK(conn_get(&r, &k, &c), "entry");
	ASSERT_EQ(c.pending, 1, "pending again");
	ASSERT_EQ(c.service, services_id(&r.ifc, "users"), "its service");
out:
	rig_close(&r);
}

/* A request the edge answers is counted with edge_replies and leaves
 * nothing pending; one that is dropped is not counted at all. */
static void test_edge_answered(void)
{
	const char *get = "GET /api HTTP/1.1\r\n\r\n";
	struct sl_conn_key k = conn_key(PKT_IPV4, NULL, 80, 42000);
	struct pkt_spec s1 = req(PKT_IPV4, NULL, 80, 42000, 100, get);
	struct pkt_spec s2 = req(PKT_IPV4, NULL, 80, 42000, 100 + strlen(get), get);
	struct pkt_spec s3 = req(PKT_IPV4, NULL, 80, 42001, 100, get);
	__u8 out[PKT_MAX];
	__u32 out_len, meta;
	__u64 n, edge;
	struct sl_conn c;
	struct pkt p;
	struct rig r;

	if (!rig_open(&r) || !rig_apply(&r, HEAD_HTTP SERVICES, NULL))
		goto out;
	ASSERT_EQ(fixture_send(&r.fx, &s1), XDP_PASS, "first: admitted");
	/* Kept alive: the second is refused and answered (TC's hand-off). */
	if (!ASSERT_OK(edge_set_tc(&r.fx, 1), "tc_attached") ||
	    !ASSERT_OK(pkt_build(&p, &s2), "build"))
		goto out;
	ASSERT_EQ(edge_run_xdp(&r.fx, p.data, p.len, out, sizeof(out), &out_len, &meta),
		  XDP_PASS, "handed to TC");
	ASSERT_EQ(meta, sizeof(struct sl_edge_meta), "with its record");
	svc_counts(&r, "api", &n, &edge);
	ASSERT_EQ(n, 2, "both requests");
	ASSERT_EQ(edge, 1, "one answered at the edge");
	if (ASSERT_OK(conn_get(&r, &k, &c), "entry")) {
		ASSERT_EQ(c.pending, 0, "not pending");
		ASSERT_EQ(c.seq, 100 + strlen(get), "its seq");
	}
	ASSERT_EQ(edge_run_xdp(&r.fx, p.data, p.len, out, sizeof(out), &out_len, &meta),
		  XDP_PASS, "retransmitted");
	svc_counts(&r, "api", &n, &edge);
	ASSERT_EQ(n, 2, "not counted again");

	/* A new connection without TC: the XDP RST answers it. */
	edge_set_tc(&r.fx, 0);
	ASSERT_EQ(fixture_send(&r.fx, &s3), XDP_TX, "reset");
	svc_counts(&r, "api", &n, &edge);
	ASSERT_EQ(n, 3, "counted");
	ASSERT_EQ(edge, 2, "answered at the edge");
	k = conn_key(PKT_IPV4, NULL, 80, 42001);
	ASSERT_EQ(conn_get(&r, &k, &c), -ENOENT, "no entry made for it");

	/* Dropped: nothing. */
	if (!rig_apply(&r, HEAD_DROP SERVICES, NULL))
		goto out;
	fixture_clear_clients(&r.fx);
	s3.sport = 42002;
	ASSERT_EQ(fixture_send(&r.fx, &s3), XDP_PASS, "admitted");
	s3.sport = 42003;
	ASSERT_EQ(fixture_send(&r.fx, &s3), XDP_DROP, "dropped");
	svc_counts(&r, "api", &n, &edge);
	ASSERT_EQ(n, 4, "the admitted one only");
	ASSERT_EQ(edge, 2, "no edge reply");
out:
	rig_close(&r);
}

/* Shadow mode passes what it would answer: the server gets it. */
static void test_shadow(void)
{
	const char *get = "GET /api HTTP/1.1\r\n\r\n";
	struct pkt_spec s = req(PKT_IPV4, NULL, 80, 43000, 100, get);
	struct sl_conn_key k = conn_key(PKT_IPV4, NULL, 80, 43001);
	struct sl_conn c;
	__u64 n, edge;
	struct rig r;

	if (!rig_open(&r) || !rig_apply(&r, "mode: shadow\n" HEAD_HTTP SERVICES, NULL))
		goto out;
	ASSERT_EQ(fixture_send(&r.fx, &s), XDP_PASS, "admitted");
	s.sport = 43001;
	ASSERT_EQ(fixture_send(&r.fx, &s), XDP_PASS, "refused, shadow: passed");
	ASSERT_EQ(fixture_stat_packets(&r.fx, 0, SL_R_SHADOW_HTTP), 1, "shadow_http");
	svc_counts(&r, "api", &n, &edge);
	ASSERT_EQ(n, 2, "both requests");
	ASSERT_EQ(edge, 0, "none answered");
	if (ASSERT_OK(conn_get(&r, &k, &c), "entry"))
		ASSERT_EQ(c.pending, 1, "pending");
out:
	rig_close(&r);
}

/* ---- reload and restart --------------------------------------------- */

/* Live-half trie entries. */
static int live_matches(struct rig *r)
{
	struct sl_svc_key key, next;
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(bpf_map__fd(r->fx.skel->maps.sl_svc_match),
				     prev, &next)) {
		n += next.gen == (r->fx.global.tier_gen & 1);
		key = next;
		prev = &key;
	}
	return n;
}

static bool send_get(struct rig *r, const char *path)
{
	char payload[128];
	struct pkt_spec s;

	snprintf(payload, sizeof(payload), "GET %s HTTP/1.1\r\n\r\n", path);
	s = req(PKT_IPV4, NULL, 80, r->sport++, 1, payload);
	return fixture_send(&r->fx, &s) == XDP_PASS;
}

static void test_reload_restart(void)
{
	static const char cfg2[] = HEAD_PASS "services:\n"
		"  - {name: v2, port: 80, paths: [/v2]}\n"
		"  - {name: web, port: 80}\n"
		"  - {name: users, port: 80, paths: [/api/users, /u], slow: 200ms}\n";
	int web, users, api, v2;
	struct apply_summary sum = {};
	struct rig r;

	if (!rig_open(&r) || !rig_apply(&r, HEAD_PASS SERVICES, NULL))
		goto out;
	web = services_id(&r.ifc, "web");
	users = services_id(&r.ifc, "users");
	api = services_id(&r.ifc, "api");
	ASSERT_EQ(live_matches(&r), 9, "9 matches");
	ASSERT_TRUE(send_get(&r, "/api/users/1") && send_get(&r, "/api/1") &&
		    send_get(&r, "/"), "three requests");
	ASSERT_TRUE(send_get(&r, "/u"), "web's before the reload");

	if (!rig_apply(&r, cfg2, &sum))
		goto out;
	ASSERT_EQ(r.fx.global.tier_gen & 1, 1, "flipped");
	ASSERT_EQ(services_id(&r.ifc, "web"), web, "web keeps its id");
	ASSERT_EQ(services_id(&r.ifc, "users"), users, "users keeps its id");
	ASSERT_EQ(services_id(&r.ifc, "api"), -1, "api is gone");
	v2 = services_id(&r.ifc, "v2");
	ASSERT_TRUE(v2 >= 8, "v2 takes an id none held");
	ASSERT_EQ(svc_requests(&r, "users"), 1, "users keeps its count");
	ASSERT_EQ(svc_requests(&r, "web"), 2, "web keeps its count");
	{
		__u64 st = 0;
		int ncpus = libbpf_num_possible_cpus();
		struct sl_svc_stats row[ncpus];
		__u32 id = api;

		bpf_map_lookup_elem(bpf_map__fd(r.fx.skel->maps.sl_svc_stats), &id, row);
		for (int c = 0; c < ncpus; c++)
			st += row[c].requests;
		ASSERT_EQ(st, 0, "api's row zeroed");
		ASSERT_EQ(r.ifc.svc_names[api][0], 0, "api's id freed");
	}
	ASSERT_EQ(live_matches(&r), 4, "4 matches live");
	ASSERT_TRUE(send_get(&r, "/u/1") && send_get(&r, "/v2/x") &&
		    send_get(&r, "/api/2"), "after the reload");
	ASSERT_EQ(svc_requests(&r, "users"), 2, "/u is users' now");
	ASSERT_EQ(svc_requests(&r, "v2"), 1, "v2");
	ASSERT_EQ(svc_requests(&r, "web"), 3, "/api falls to web");
	{
		int added = 0, removed = 0, changed = 0;

		for (int i = 0; i < sum.n; i++) {
			added += !strncmp(sum.lines[i], "service v2 added", 16);
			removed += !strncmp(sum.lines[i], "service api removed", 19);
			changed += !strncmp(sum.lines[i], "service users changed", 21);
			if (!strncmp(sum.lines[i], "service web", 11))
				changed += 100;
		}
		ASSERT_EQ(added + removed + changed, 3, "one note each, none for web");
	}
	apply_summary_free(&sum);

	/* A restart: the ids come back from sl_svc_names. */
	if (!ASSERT_OK(rig_iface(&r), "restart") || !rig_apply(&r, cfg2, &sum))
		goto out;
	ASSERT_EQ(services_id(&r.ifc, "users"), users, "users after the restart");
	ASSERT_EQ(services_id(&r.ifc, "v2"), v2, "v2 after the restart");
	ASSERT_EQ(svc_requests(&r, "users"), 2, "its count");
	ASSERT_EQ(sum.n, 0, "nothing changed");
	ASSERT_TRUE(send_get(&r, "/u/2"), "after the restart");
	ASSERT_EQ(svc_requests(&r, "users"), 3, "counted");
out:
	apply_summary_free(&sum);
	rig_close(&r);
}

/* With every id taken, a new service takes the one a removed service
 * frees, zeroed first. */
static void test_id_reuse(void)
{
	char *a = malloc(8192), *b = malloc(8192);
	struct rig r;
	size_t o;
	int id;

	if (!ASSERT_TRUE(a && b, "malloc") || !rig_open(&r))
		goto out;
	o = sprintf(a, HEAD_PASS "services:\n  - {name: s0, port: 80}\n");
	for (int i = 1; i < SL_MAX_SERVICES; i++)
		o += sprintf(a + o, "  - {name: s%d, port: %d}\n", i, 1000 + i);
	strcpy(b, a);
	memcpy(strstr(b, "name: s0,"), "name: n0,", 9);
	if (!rig_apply(&r, a, NULL))
		goto out;
	id = services_id(&r.ifc, "s0");
	ASSERT_TRUE(send_get(&r, "/") && send_get(&r, "/"), "two requests");
	ASSERT_EQ(svc_requests(&r, "s0"), 2, "counted");
	if (!rig_apply(&r, b, NULL))
		goto out;
	ASSERT_EQ(services_id(&r.ifc, "n0"), id, "n0 takes s0's id");
	ASSERT_EQ(svc_requests(&r, "n0"), 0, "zeroed first");
	ASSERT_TRUE(send_get(&r, "/"), "a request");
	ASSERT_EQ(svc_requests(&r, "n0"), 1, "n0 counts its own");
out:
	free(a);
	free(b);
	rig_close(&r);
}

/* ns per packet, printed only (make bench measures; the VM is noisy):
 * request starts (the same one again: a retransmission, no insert) to
 * ports with and without services, next to a segment that is none. */
static void test_cost(void)
{
	static const struct { const char *what; __u16 dport; const char *dst, *payload; } c[] = {
		{ "a data segment", 80, NULL, NULL },
		{ "a request, port without services", 81, NULL, "GET /api/users/1 HTTP/1.1\r\n\r\n" },
		{ "a request, a port's only service", 8081, NULL, "GET /api/users/1 HTTP/1.1\r\n\r\n" },
		{ "a request, the port's default", 80, NULL, "GET / HTTP/1.1\r\n\r\n" },
		{ "a request, a path", 80, NULL, "GET /api/users/1 HTTP/1.1\r\n\r\n" },
		{ "a request, an address's service", 80, "198.18.0.9", "GET /api/users/1 HTTP/1.1\r\n\r\n" },
	};
	struct rig r;

	if (!rig_open(&r) || !rig_apply(&r, HEAD_PASS SERVICES, NULL))
		goto out;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct pkt_spec s = req(PKT_IPV4, c[i].dst, c[i].dport, 44000, 1, c[i].payload);
		__u32 ns = 0;
		struct pkt p;

		if (!c[i].payload)
			s.payload_len = 10;
		if (!ASSERT_OK(pkt_build(&p, &s), "build") ||
		    !ASSERT_EQ(prog_run_repeat(r.fx.prog_fd, p.data, p.len, 100000, &ns),
			       XDP_PASS, c[i].what))
			break;
		printf("# allowlisted tier, %s: %u ns\n", c[i].what, ns);
	}
out:
	rig_close(&r);
}

TEST_MAIN("bpf/service",
	  TEST(test_classify),
	  TEST(test_conn_entry),
	  TEST(test_connections),
	  TEST(test_retransmit_keepalive),
	  TEST(test_edge_answered),
	  TEST(test_shadow),
	  TEST(test_reload_restart),
	  TEST(test_id_reuse),
	  TEST(test_cost))

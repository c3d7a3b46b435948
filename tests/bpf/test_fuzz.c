// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Randomized run: random frames and valid ones mutated (bytes flipped,
 * cut, extended) through every tier kind, mode and malformed policy.
 * The program must never return XDP_ABORTED (or anything but pass, drop
 * or tx), every tx must be a well-formed RST, every record left for the
 * TC program (an edge answer) must be one for that very segment and
 * reason, every frame must be
 * malformed / non-IP exactly when a reference parser (lib/refparse.h)
 * says so, and the per-CPU counters must add up to exactly the packets
 * and bytes sent.  Each packet moves exactly one counter, by one packet
 * and its length in bytes: the one of the tier the reference classifies
 * it into, with a reason that tier can give and that implies the verdict
 * the program returned.  Shadow phases drop and rewrite nothing; the
 * denylist drops everything outside them.
 *
 * The seed is fixed, so CI sees the same packets every run, and printed
 * first, so a run can be replayed:
 *   SLUICE_SEED=N   another seed; SLUICE_SEED=time for a fresh one
 *   SLUICE_FUZZ_N=N packets (default 200000)
 */
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>

#include "common/gcra.h"
#include "common/names.h"
#include "lib/edge_fixture.h"
#include "lib/gate_fixture.h"
#include "lib/expect.h"
#include "lib/refparse.h"

#define FUZZ_DEFAULT_N	200000
#define FUZZ_SEED	0x511ce5eedULL
#define PHASES		6	/* mode x policy x tier generation changes */
#define MAX_REPORTS	5

static uint64_t rng_state;

/* splitmix64: small, and the same sequence everywhere for a seed. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u32 below(__u32 n)
{
	return rnd() % n;
}


static const char *const methods[] = {
	"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "PATCH ", "OPTIONS ",
	"CONNECT ", "TRACE ", "GETX ", "GET", "PO", "OPTIONS", "get ",
};

static const __u8 flag_sets[] = {
	TH_SYN, TH_SYN | TH_ACK, TH_ACK, TH_ACK | TH_PSH, TH_FIN | TH_ACK,
	TH_RST, TH_RST | TH_ACK, TH_FIN, TH_FIN | TH_SYN,
};

static const __u8 ext_kinds[] = {
	IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT,
};

/* A random valid packet from a small pool of sources (so buckets run
 * dry) or, now and then, anywhere in the benchmark ranges (so the flood
 * guard and the LRU see new clients). */
static int random_valid(struct pkt *p, char *src, size_t srclen,
			char *payload)
{
	static const __u8 kinds[] = { PKT_IPV4, PKT_IPV6, PKT_IPV4, PKT_IPV6,
				      PKT_IPV4, PKT_IPV6, PKT_IPV4, PKT_IPV6,
				      PKT_IPV4, PKT_IPV6, PKT_ARP, PKT_LLDP };
	static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_TCP, IPPROTO_TCP,
				       IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };
	struct pkt_spec s = { .kind = kinds[below(sizeof(kinds))] };
	int wide = below(8) == 0;
	__u32 plen = 0;

	s.nvlan = below(10) == 0 ? 1 + below(3) : 0;
	for (int i = 0; i < s.nvlan; i++)
		s.vlan_tpid[i] = below(2) ? 0 : 0x88a8;
	if (s.kind == PKT_IPV4) {
		snprintf(src, srclen, "198.%u.%u.%u", 18 + wide * below(2),
			 wide ? below(256) : below(4), below(wide ? 256 : 16));
		if (below(5) == 0)
			s.ip_opts = 4 * below(11);
	} else {
		snprintf(src, srclen, "2001:2:0:%x::%x",
			 wide ? below(65536) : below(4),
			 wide ? below(65536) : below(16));
		if (below(3) == 0) {
			s.n_ext = 1 + below(7);
			for (int i = 0; i < s.n_ext; i++)
				s.ext[i] = ext_kinds[below(4)];
			/* Now and then past the 255 bytes a RST can follow. */
			if (s.n_ext <= 3 && below(4) == 0)
				s.ext_grow = below(32);
		}
	}
	s.src = src;
	if (below(10) == 0) {
		s.frag_more = below(2);
		s.frag_offset = below(2) ? below(400) : 0;
	}
	s.proto = protos[below(sizeof(protos))];
	if (s.kind == PKT_IPV6 && s.proto == IPPROTO_ICMP)
		s.proto = IPPROTO_ICMPV6;
	s.sport = 1024 + below(60000);
	s.tcp_flags = below(20) ? flag_sets[below(sizeof(flag_sets))] :
		      below(256);
	s.seq = rnd();
	s.ack = rnd();
	if (below(4) == 0)
		s.tcp_opts = 4 * below(11);
	switch (below(3)) {
	case 0: {
		const char *m = methods[below(sizeof(methods) /
					      sizeof(methods[0]))];

		plen = snprintf(payload, 256, "%s/v1/%u HTTP/1.1\r\n", m,
				below(100));
		if (below(4) == 0)	/* cut: a request split by the frame */
			plen = strlen(m);
		break;
	}
	case 1:
		plen = below(256);
		for (__u32 i = 0; i < plen; i++)
			payload[i] = rnd();
		break;
	}
	s.payload = payload;
	s.payload_len = plen;
	if (!plen)
		s.payload = NULL;
	if (below(10) == 0)
		s.pad = below(32);
	return pkt_build(p, &s);
}

/* Flip, cut or extend: mostly in the headers, where the parser looks. */
static void mutate(struct pkt *p)
{
	int n = 1 + below(4);

	for (int i = 0; i < n; i++) {
		__u32 hot = p->len < 120 ? p->len : 120;

		switch (below(5)) {
		case 0:
		case 1:
			p->data[below(hot)] ^= 1 << below(8);
			break;
		case 2:
			p->data[below(p->len)] = rnd();
			break;
		case 3:
			p->len = ETH_HLEN + below(p->len - ETH_HLEN + 1);
			break;
		case 4: {
			__u32 more = below(64);

			if (p->len + more > PKT_MAX)
				more = PKT_MAX - p->len;
			for (__u32 k = 0; k < more; k++)
				p->data[p->len + k] = rnd();
			p->len += more;
			break;
		}
		}
	}
}

static void random_frame(struct pkt *p)
{
	static const __u16 types[] = { 0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806 };

	p->len = ETH_HLEN + below(300);
	for (__u32 i = 0; i < p->len; i++)
		p->data[i] = rnd();
	if (below(2)) {
		__u16 t = types[below(5)];

		p->data[12] = t >> 8;
		p->data[13] = t & 0xff;
	}
}

/*
 * Tier 0 (default): four meters with every action, a flood guard, the
 * coarse clock in generation 1.  Tier 1 allowlists, 2 denylists, 3 keys
 * by /24 and /48, 40 is an empty slot, and a prefix points past the
 * last tier (the default tier takes it).
 */
#define T_DEFAULT	0
#define T_ALLOW		1
#define T_DENY		2
#define T_EMPTY		40

static const struct { const char *cidr; __u32 tier; } pfx[] = {
	{ "198.18.1.0/24", T_ALLOW }, { "2001:2:0:1::/64", T_ALLOW },
	{ "198.18.2.0/24", T_DENY }, { "2001:2:0:2::/64", T_DENY },
	{ "198.18.3.0/24", 3 }, { "2001:2:0:3::/64", 3 },
	{ "198.19.0.0/16", T_EMPTY }, { "2001:2:0:ff00::/56", T_EMPTY },
	{ "198.19.128.0/17", 200 },
};
#define NPFX	((int)(sizeof(pfx) / sizeof(pfx[0])))

static struct ref_prefix ref_pfx[NPFX];

#define FUZZ_REPLY	3
#define FUZZ_SVC	2

static bool configure(struct xdp_fixture *fx)
{
	struct sl_reply r;
	struct sl_tier t;
	bool ok = true;

	/* The http meter of tier 0 answers with a template, through TC,
	 * and its clients' new connections to port 80 at the edge. */
	static const __u16 edge_ports[] = { 80 };

	ok &= ASSERT_OK(edge_set_conn(fx, edge_ports, 1, 0), "edge") &&
	      ASSERT_OK(edge_template(&r, "HTTP/1.1 429 Too Many Requests\r\n"
				      "Retry-After: ####\r\nContent-Length: 0"
				      "\r\nConnection: close\r\n\r\n", 429, 4),
			"template") &&
	      ASSERT_OK(edge_set_reply(fx, 0, FUZZ_REPLY, &r), "reply 0") &&
	      ASSERT_OK(edge_set_reply(fx, 1, FUZZ_REPLY, &r), "reply 1") &&
	      ASSERT_OK(gate_set_service(fx, FUZZ_SVC, 80, SL_ACT_HTTP,
					 FUZZ_REPLY), "service on :80");

	for (__u32 gen = 0; gen < 2 && ok; gen++) {
		fx->global.tier_gen = gen;
		ok &= ASSERT_OK(fixture_set_limit(fx, 0, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 20, .per_sec = 1000 },
			{ SL_UNIT_BYTES, SL_ACT_RESET, .burst = 3000, .per_sec = 100000 },
			{ SL_UNIT_CONNECTIONS, SL_ACT_RESET, .burst = 3, .per_sec = 10 },
			{ SL_UNIT_REQUESTS, SL_ACT_HTTP, .burst = 2, .per_sec = 5 }),
			&t), "tier 0");
		t.meters[3].reply = FUZZ_REPLY;
		t.flags = SL_TIER_F_FLOOD_GUARD | SL_TIER_F_EDGE_CONN |
			  (gen ? SL_TIER_F_COARSE_CLOCK : 0);
		ok &= ASSERT_OK(gcra_meter_set(&t.new_clients, 100,
					       SL_NSEC_PER_SEC, 50,
					       SL_UNIT_PACKETS, SL_ACT_DROP),
				"new clients") &&
		      ASSERT_OK(fixture_set_tier(fx, 0, &t), "flood guard");
		fixture_tier_init(&t, SL_TIER_PASS, 0, 0);
		ok &= ASSERT_OK(fixture_set_tier(fx, 1, &t), "tier 1");
		t.verdict = SL_TIER_DROP;
		ok &= ASSERT_OK(fixture_set_tier(fx, 2, &t), "tier 2");
		ok &= ASSERT_OK(fixture_set_limit(fx, 3, FIXTURE_METERS(
			{ SL_UNIT_PACKETS, gen ? SL_ACT_DROP : SL_ACT_RESET,
			  .burst = 1, .per_sec = 1 }), &t), "tier 3");
		t.v4_prefix = 24;
		t.v6_prefix = 48;
		ok &= ASSERT_OK(fixture_set_tier(fx, 3, &t), "tier 3 keys");
	}
	for (int i = 0; i < NPFX && ok; i++)
		ok &= ASSERT_OK(fixture_add_prefix(fx, pfx[i].cidr, pfx[i].tier),
				pfx[i].cidr) &&
		      ASSERT_OK(ref_prefix_parse(&ref_pfx[i], pfx[i].cidr,
						 pfx[i].tier), pfx[i].cidr);
	return ok;
}

static void dump(const char *what, __u64 iter, const struct pkt *p, int v,
		 __u32 tier, int reason)
{
	fprintf(stderr, "    packet %llu: %s (verdict %d; reference tier %u, "
		"counted as %s), %u bytes:", (unsigned long long)iter, what, v,
		tier, reason >= 0 ? reason_name(reason) : "nothing", p->len);
	for (__u32 i = 0; i < p->len && i < 128; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n      ", p->data[i]);
	fprintf(stderr, "\n");
}

/* A tx frame must be a RST, or an edge connection's SYN-ACK, ACK or
 * reply, with both checksums right. */
static const char *rst_problem(const __u8 *out, __u32 len)
{
	struct pkt_view v;
	const char *why = NULL;

	if (pkt_parse(out, len, &v, &why))
		return why;
	if (v.proto != IPPROTO_TCP ||
	    (!(v.tcp_flags & TH_RST) && v.tcp_flags != (TH_SYN | TH_ACK) &&
	     v.tcp_flags != TH_ACK && v.tcp_flags != (TH_FIN | TH_PSH | TH_ACK)))
		return "tx frame is not a RST or an edge connection's answer";
	if (!v.ip_csum_ok || !v.l4_csum_ok)
		return "bad RST checksum";
	return NULL;
}

/* A record left for TC: only with an edge answer (http, or reset
 * handed on), for this segment, of the kind the reason says. */
static const char *record_problem(const __u8 *out, __u32 meta_len,
				  __u32 out_len, int v, __u32 tier, int reason)
{
	struct sl_edge_meta m;
	struct pkt_view pv;
	const char *why = NULL;

	int gated = reason == SL_R_BREAKER || reason == SL_R_SHED;

	if (!meta_len)
		/* Without one only as an edge connection's reply (XDP_TX). */
		return (reason == SL_R_HTTP && v != XDP_TX) ||
		       (gated && v == XDP_PASS) ?
		       "an edge answer without a record" : NULL;
	if (meta_len != sizeof(m) || v != XDP_PASS ||
	    (reason != SL_R_HTTP && reason != SL_R_RESET && !gated))
		return "a record where no edge answer is due";
	memcpy(&m, out, sizeof(m));
	/* A gate answers with the service's reply (http, FUZZ_REPLY). */
	if (m.magic != SL_EDGE_MAGIC || m.tier != tier || !m.retry_s ||
	    m.kind != (reason == SL_R_HTTP || gated ? SL_EDGE_HTTP :
						      SL_EDGE_RESET))
		return "a record with the wrong magic, tier, delay or kind";
	if (pkt_parse(out + meta_len, out_len - meta_len, &pv, &why) ||
	    pv.proto != IPPROTO_TCP || ntohl(m.seq) != pv.seq ||
	    !(pv.tcp_flags & TH_ACK) || !pv.payload_len)
		return "a record for a segment TC does not answer";
	return NULL;
}

/* The verdict a reason implies, or -1 when the mode cannot give it. */
static int implied_verdict(__u32 reason, bool shadow, __u32 policy)
{
	switch (reason) {
	case SL_R_PASSED:
	case SL_R_UNMETERED:
	case SL_R_ALLOWLISTED:
	case SL_R_NON_IP:
		return XDP_PASS;
	case SL_R_SHADOW_DROP:
	case SL_R_SHADOW_RESET:
	case SL_R_SHADOW_HTTP:
		return shadow ? XDP_PASS : -1;
	case SL_R_HTTP:		/* handed to TC with a record */
	case SL_R_BREAKER:	/* a gate's answer, likewise */
	case SL_R_SHED:
		return shadow ? -1 : XDP_PASS;
	case SL_R_DROPPED:
	case SL_R_FLOOD_DROP:
		return shadow ? -1 : XDP_DROP;
	case SL_R_RESET:
	case SL_R_EDGE_CONN:	/* or XDP_DROP: an ACK it swallows */
		return shadow ? -1 : XDP_TX;
	case SL_R_DENYLISTED:
		return shadow ? XDP_PASS : XDP_DROP;
	case SL_R_MALFORMED:
		return policy == SL_POLICY_DROP && !shadow ? XDP_DROP : XDP_PASS;
	}
	return -1;
}

/* Can a frame of this reference class, in this tier, get this reason? */
static bool reason_fits(int class, __u32 tier, __u32 reason)
{
	if (class != REF_IP)
		return tier == SL_TIER_NONE &&
		       reason == (class == REF_MALFORMED ? SL_R_MALFORMED :
				  SL_R_NON_IP);
	/* A service's gate stops requests of every tier that passes them. */
	if ((reason == SL_R_BREAKER || reason == SL_R_SHED) && tier != T_DENY)
		return true;
	switch (tier) {
	case T_ALLOW:
		return reason == SL_R_ALLOWLISTED;
	case T_DENY:
		return reason == SL_R_DENYLISTED;
	case T_EMPTY:		/* a zeroed slot: a limit tier without meters */
		return reason == SL_R_UNMETERED;
	case T_DEFAULT:
	case 3:
		return reason == SL_R_PASSED || reason == SL_R_UNMETERED ||
		       reason == SL_R_DROPPED || reason == SL_R_RESET ||
		       reason == SL_R_SHADOW_DROP || reason == SL_R_SHADOW_RESET ||
		       (tier == T_DEFAULT &&
			(reason == SL_R_FLOOD_DROP || reason == SL_R_HTTP ||
			 reason == SL_R_SHADOW_HTTP || reason == SL_R_EDGE_CONN));
	}
	return false;
}

/* What every counter row holds, as the packets so far have moved it. */
static struct sl_counter model[SL_TIER_NONE + 1][SL_R__MAX];

static int model_sync(struct xdp_fixture *fx)
{
	int err = 0;

	for (__u32 t = 0; t <= SL_TIER_NONE && !err; t++)
		err = fixture_stats_row(fx, t, model[t]);
	return err;
}

/* The rows packets can reach: the tiers configure() writes and "none". */
static const __u32 live_rows[] = { T_DEFAULT, T_ALLOW, T_DENY, 3, T_EMPTY,
				   SL_TIER_NONE };

/* The one counter a packet of `len` bytes moved: it must be in row
 * `tier` (its reason goes to *reason), and no other live row may move.
 * The model follows the map. */
static const char *counter_moved(struct xdp_fixture *fx, __u32 tier,
				 __u32 len, int *reason)
{
	struct sl_counter row[SL_R__MAX];
	const char *problem = NULL;
	int moved = 0, elsewhere = 0;

	*reason = -1;
	for (size_t k = 0; k < sizeof(live_rows) / sizeof(live_rows[0]); k++) {
		__u32 t = live_rows[k];

		if (fixture_stats_row(fx, t, row))
			return "cannot read the counters";
		for (__u32 r = 0; r < SL_R__MAX; r++) {
			__u64 dp = row[r].packets - model[t][r].packets;
			__u64 db = row[r].bytes - model[t][r].bytes;

			if (!dp && !db)
				continue;
			moved++;
			if (t != tier) {
				elsewhere++;
				continue;
			}
			*reason = r;
			if (dp != 1 || db != len)
				problem = "a counter moved by other than 1 packet and its length";
		}
		memcpy(model[t], row, sizeof(row));
	}
	if (elsewhere)
		return "a counter moved in another tier than the reference's";
	if (!moved)
		return "no counter moved";
	return moved > 1 ? "more than one counter moved" : problem;
}

static void test_fuzz(void)
{
	/* The port-80 service's gate in each phase: closed, open, open in
	 * shadow mode, shed, half-open in shadow, half-open past a budget. */
	static const struct sl_svc_gate gates[PHASES] = {
		{ .state = SL_GATE_CLOSED },
		{ .state = SL_GATE_OPEN, .until_ns = ~0ULL >> 2 },
		{ .state = SL_GATE_OPEN, .until_ns = ~0ULL >> 2 },
		{ .shed = 1, .shed_until_ns = ~0ULL >> 2 },
		{ .state = SL_GATE_HALF_OPEN, .probes = 50, .until_ns = ~0ULL >> 2 },
		{ .state = SL_GATE_HALF_OPEN, .probes = 50, .until_ns = ~0ULL >> 2 },
	};
	static const __u32 modes[PHASES][3] = {	/* mode, policy, tier gen */
		{ SL_MODE_ENFORCE, SL_POLICY_PASS, 0 },
		{ SL_MODE_ENFORCE, SL_POLICY_DROP, 1 },
		{ SL_MODE_SHADOW, SL_POLICY_DROP, 0 },
		{ SL_MODE_ENFORCE, SL_POLICY_DROP, 0 },
		{ SL_MODE_SHADOW, SL_POLICY_PASS, 1 },
		{ SL_MODE_ENFORCE, SL_POLICY_PASS, 1 },
	};
	const char *env_seed = getenv("SLUICE_SEED"), *env_n = getenv("SLUICE_FUZZ_N");
	__u64 n = env_n ? strtoull(env_n, NULL, 0) : FUZZ_DEFAULT_N;
	__u64 seed, sent_bytes = 0, verdicts[XDP_REDIRECT + 1] = {}, bad = 0;
	__u64 ref[3] = {};	/* packets per enum ref_class */
	__u64 shadow_seen = 0, shadow_acted = 0, deny_seen = 0, deny_dropped = 0;
	const __u32 *m = NULL;	/* the phase */
	struct sl_counter total;
	struct xdp_fixture fx;
	char src[64], payload[256];
	__u8 out[PKT_MAX + 64];
	struct pkt p;

	if (!env_seed)
		seed = FUZZ_SEED;
	else if (!strcmp(env_seed, "time"))
		seed = (__u64)time(NULL) ^ ((__u64)getpid() << 32);
	else
		seed = strtoull(env_seed, NULL, 0);
	printf("# seed %llu (replay: SLUICE_SEED=%llu), %llu packets\n",
	       (unsigned long long)seed, (unsigned long long)seed,
	       (unsigned long long)n);
	rng_state = seed;
	if (!FIXTURE_SETUP(&fx, FIXTURE_CLIENTS))
		return;
	memset(model, 0, sizeof(model));
	if (!configure(&fx) || !ASSERT_OK(model_sync(&fx), "counters"))
		goto out;

	for (__u64 i = 0; i < n; i++) {
		const char *problem = NULL, *counted;
		__u32 out_len = 0, meta_len = 0, tier;
		struct ref_src rs;
		int v, class, reason = -1;
		bool shadow;

		if (i % (n / PHASES + 1) == 0) {
			m = modes[i / (n / PHASES + 1)];

			fx.global.tier_gen = m[2];
			if (!ASSERT_OK(fixture_set_mode(&fx, m[0], m[1], 0), "phase") ||
			    !ASSERT_OK(gate_set(&fx, FUZZ_SVC,
						&gates[i / (n / PHASES + 1)]), "gate"))
				goto out;
		}
		if (below(100) < 15) {
			random_frame(&p);
		} else {
			if (!ASSERT_OK(random_valid(&p, src, sizeof(src), payload),
				       "build"))
				goto out;
			if (below(10) < 7)
				mutate(&p);
		}
		v = edge_run_xdp(&fx, p.data, p.len, out, sizeof(out), &out_len,
				 &meta_len);
		sent_bytes += p.len;
		if (v < 0 || (v != XDP_PASS && v != XDP_DROP && v != XDP_TX))
			problem = v == XDP_ABORTED ? "XDP_ABORTED" :
				  v < 0 ? "test run failed" : "unexpected verdict";
		else if (v == XDP_TX)
			problem = rst_problem(out + meta_len, out_len - meta_len);
		class = ref_parse(p.data, p.len, &rs);
		ref[class]++;
		tier = class != REF_IP ? SL_TIER_NONE :
		       ref_classify(ref_pfx, NPFX, &rs, T_DEFAULT);
		if (class == REF_IP && tier >= SL_MAX_TIERS)
			tier = T_DEFAULT;	/* a prefix past the last tier */
		shadow = m[0] == SL_MODE_SHADOW;
		shadow_seen += shadow;
		shadow_acted += shadow && (v == XDP_DROP || v == XDP_TX);
		if (class == REF_IP && tier == T_DENY && !shadow) {
			deny_seen++;
			deny_dropped += v == XDP_DROP;
		}
		if (!problem &&
		    (fixture_stat_packets(&fx, SL_TIER_NONE, SL_R_MALFORMED) !=
		     ref[REF_MALFORMED] ||
		     fixture_stat_packets(&fx, SL_TIER_NONE, SL_R_NON_IP) !=
		     ref[REF_NON_IP])) {
			problem = "the parser disagrees with the reference";
			/* Compare the next packet on its own. */
			ref[REF_MALFORMED] = fixture_stat_packets(&fx, SL_TIER_NONE,
								  SL_R_MALFORMED);
			ref[REF_NON_IP] = fixture_stat_packets(&fx, SL_TIER_NONE,
							       SL_R_NON_IP);
		}
		/* The counter it landed in, and what that implies. */
		counted = counter_moved(&fx, tier, p.len, &reason);
		if (!counted && !reason_fits(class, tier, reason))
			counted = "counted under a reason its tier and class cannot give";
		else if (!counted && implied_verdict(reason, shadow, m[1]) != v &&
			 !(reason == SL_R_RESET && meta_len && v == XDP_PASS) &&
			 !(reason == SL_R_EDGE_CONN && v == XDP_DROP) &&
			 !(reason == SL_R_HTTP && !meta_len && v == XDP_TX) &&
			 /* a gate's answer as the XDP RST (or a drop) */
			 !((reason == SL_R_BREAKER || reason == SL_R_SHED) &&
			   !meta_len && (v == XDP_TX || v == XDP_DROP)))
			counted = "the verdict is not the one its counter implies";
		if (!counted)
			counted = record_problem(out, meta_len, out_len, v, tier,
						 reason);
		if (counted && !problem)
			problem = counted;
		if (problem && !ASSERT_OK(model_sync(&fx), "counters"))
			goto out;
		if (v >= 0 && v <= XDP_REDIRECT)
			verdicts[v]++;
		if (problem && bad++ < MAX_REPORTS)
			dump(problem, i, &p, v, tier, reason);
	}
	printf("# pass %llu, drop %llu, tx %llu\n",
	       (unsigned long long)verdicts[XDP_PASS],
	       (unsigned long long)verdicts[XDP_DROP],
	       (unsigned long long)verdicts[XDP_TX]);
	printf("# reference: ip %llu, non-ip %llu, malformed %llu\n",
	       (unsigned long long)ref[REF_IP],
	       (unsigned long long)ref[REF_NON_IP],
	       (unsigned long long)ref[REF_MALFORMED]);
	ASSERT_EQ(bad, 0, "packets with a bad verdict, RST, parse or counter");
	ASSERT_EQ(shadow_acted, 0, "shadow phases: packets dropped or sent back");
	ASSERT_GT(shadow_seen, 0, "packets in shadow phases");
	ASSERT_EQ(deny_dropped, deny_seen, "enforcing: denylisted packets dropped");
	ASSERT_GT(deny_seen, 0, "denylisted packets while enforcing");
	printf("# shadow phases %llu packets, denylisted while enforcing %llu\n",
	       (unsigned long long)shadow_seen, (unsigned long long)deny_seen);
	/* No row moved behind the model's back: the live ones are read after
	 * every packet, the others must not have moved at all. */
	{
		struct sl_counter row[SL_R__MAX];
		int stale = 0;

		for (__u32 t = 0; t <= SL_TIER_NONE; t++)
			if (fixture_stats_row(&fx, t, row) ||
			    memcmp(row, model[t], sizeof(row)))
				stale++;
		ASSERT_EQ(stale, 0, "counter rows that moved unseen");
	}
	if (ASSERT_OK(fixture_stats_total(&fx, &total), "stats")) {
		ASSERT_EQ(total.packets, n, "counted packets = sent");
		ASSERT_EQ(total.bytes, sent_bytes, "counted bytes = sent");
	}
	/* The run is only worth something if it reached every verdict. */
	for (__u32 r = 0; r < SL_R__MAX; r++) {
		__u64 sum = 0;

		for (__u32 tier = 0; tier <= SL_TIER_NONE; tier++)
			sum += fixture_stat_packets(&fx, tier, r);
		printf("# %-13s %llu\n", reason_name(r), (unsigned long long)sum);
		ASSERT_NEQ(sum, 0, reason_name(r));
	}
out:
	fixture_close(&fx);
}

TEST_MAIN("bpf/fuzz", TEST(test_fuzz));

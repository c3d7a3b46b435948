// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The IPv6 refusal cache (bpf/lib/flood.bpf.h: sl_refused6, sl_refmark6,
 * sl_refstat6), as test_refused.c checks the IPv4 one: an exact 128-bit
 * source noted, hit, expired and retired; frames an attacker would send;
 * the thrash guard, one per family; userspace retiring every entry
 * (refcache_forget) and rebuilding a source bitmap from the live
 * entries (refcache_mark_rebuild); the known filter's bits for IPv6
 * client keys.  All of it on CPU 0, as test_refused.c.
 */
#include <sched.h>
#include <bpf/bpf.h>
#include <time.h>

#include "sluice_gcra.h"
#include "common/gcra.h"
#include "kern/apply.h"
#include "kern/refcache.h"
#include "lib/expect.h"
#include "lib/pkt.h"
#include "lib/refused.h"

#define T0		0	/* packets, burst 1, one per hour */
#define T_FAST		4	/* 2001:2:0:4::/64: packets, 20/s */
#define CPU		0

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * SL_NSEC_PER_SEC + ts.tv_nsec;
}

static int tier_meter(struct sl_tier *t, __u64 per_sec_num, __u64 period_ns)
{
	fixture_tier_init(t, SL_TIER_LIMIT, 0, 0);
	t->nmeters = 1;
	return gcra_meter_set(&t->meters[0], per_sec_num, period_ns, 1,
			      SL_UNIT_PACKETS, SL_ACT_DROP);
}

static bool setup(struct xdp_fixture *fx, struct sl_tier *t)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(CPU, &set);
	if (!ASSERT_OK(sched_setaffinity(0, sizeof(set), &set) ? -errno : 0,
		       "pin to CPU 0") ||
	    !FIXTURE_SETUP(fx, FIXTURE_CLIENTS))
		return false;
	if (ASSERT_OK(refused6_check(fx), "sl_refused6 layout as lib/refused.h") &&
	    ASSERT_OK(tier_meter(t, 1, 3600 * SL_NSEC_PER_SEC), "meter") &&
	    ASSERT_OK(fixture_set_tier(fx, T0, t), "tier"))
		return true;
	fixture_close(fx);
	return false;
}

static int send6(struct xdp_fixture *fx, const char *src)
{
	struct pkt_spec s = { .kind = PKT_IPV6, .src = src, .tcp_flags = TH_ACK };

	return fixture_send(fx, &s);
}

/* The source's client entry gone (if it had one). */
static bool forget6(struct xdp_fixture *fx, const char *src, __u32 tier)
{
	struct sl_client_key k;
	int err;

	if (!ASSERT_OK(fixture_client_key(&k, src, 64, tier), "key"))
		return false;
	err = fixture_delete_client(fx, &k);
	return ASSERT_OK(err == -ENOENT ? 0 : err, "delete client");
}

/* Sent from `src` with its client entry deleted: refused from the cache
 * (dropped, no entry made) or not (a fresh entry passes it). */
static bool expect_cached6(struct xdp_fixture *fx, const char *src,
			   __u32 tier, bool hit, const char *what)
{
	__u64 created = fixture_event(fx, SL_EV_CLIENT_NEW);

	if (!forget6(fx, src, tier))
		return false;
	return ASSERT_EQ(send6(fx, src), hit ? XDP_DROP : XDP_PASS, what) &
	       ASSERT_EQ(fixture_event(fx, SL_EV_CLIENT_NEW) - created, !hit,
			 "client entries made");
}

static bool stat6_is(struct xdp_fixture *fx, __u32 notes, __u32 rest,
		     const char *what)
{
	struct refused_cpu rc;

	return ASSERT_OK(refused6_read_cpu(fx, CPU, &rc), "sl_refstat6") &&
	       ASSERT_EQ(rc.notes, notes, what) & ASSERT_EQ(rc.rest, rest, what);
}

static void test_refused6_hit(void)
{
	const char *a = "2001:2::1", *b = "2001:2::2";
	const struct refused6_slot *w;
	struct refused6_set set;
	struct sl_client_key k;
	struct refused_cpu rc4;
	struct xdp_fixture fx;
	struct sl_client c;
	struct sl_tier t, tf;
	__u32 aa[4], ab[4], af[4];

	if (!setup(&fx, &t) || !ASSERT_OK(refused6_addr(a, aa), "a") ||
	    !ASSERT_OK(refused6_addr(b, ab), "b"))
		return;

	test_subtest_begin("a packets meter's refusal of an IPv6 source is noted");
	ASSERT_EQ(refused6_marked(&fx, aa), 0, "mark before");
	ASSERT_EQ(send6(&fx, a), XDP_PASS, "first");
	ASSERT_EQ(send6(&fx, a), XDP_DROP, "refused by the meter");
	stat6_is(&fx, 1, 0, "one IPv6 note");
	if (ASSERT_OK(refused_read_cpu(&fx, CPU, &rc4), "sl_refstat"))
		ASSERT_EQ(rc4.notes, 0, "the IPv4 guard counts none of it");
	if (ASSERT_OK(fixture_client_key(&k, a, 64, T0), "key") &&
	    ASSERT_OK(fixture_client(&fx, &k, &c), "client") &&
	    ASSERT_OK(refused6_read_set(&fx, CPU, aa, &set), "set") &&
	    ASSERT_OK_PTR((w = refused6_find_in(&set, aa)), "slot")) {
		ASSERT_EQ(w->tier, T0, "tier");
		ASSERT_EQ(w->meter, 0, "meter");
		ASSERT_EQ(w->stamp, refused_stamp(&fx.global, &t, 0), "stamp");
		ASSERT_EQ(w->until, c.tat[0] - t.meters[0].tolerance_ns +
			  gcra_cost_ns(&t.meters[0], 1), "until");
	}
	ASSERT_EQ(refused6_marked(&fx, aa), 1, "mark after");
	ASSERT_EQ(refused_mark_bits(&fx, 4), 0, "no IPv4 mark");
	test_subtest_end();

	test_subtest_begin("a hit: refused without the client table");
	expect_cached6(&fx, a, T0, true, "cached refusal");
	ASSERT_EQ(fixture_client_count(&fx), 0, "no entry made");
	stat6_is(&fx, 1, 0, "hits note nothing");
	test_subtest_end();

	/* Same /64, so the same client: the cache keys the exact source. */
	test_subtest_begin("another source of the same /64 is not in it");
	ASSERT_EQ(refused6_marked(&fx, ab), 0, "no mark");
	ASSERT_EQ(send6(&fx, b), XDP_PASS, "a fresh entry passes it");
	ASSERT_EQ(send6(&fx, b), XDP_DROP, "then its meter refuses");
	stat6_is(&fx, 2, 0, "noted in its own slot");
	test_subtest_end();

	test_subtest_begin("an IPv6 entry ends when the meter admits again");
	if (ASSERT_OK(tier_meter(&tf, 20, SL_NSEC_PER_SEC), "20/s") &&
	    ASSERT_OK(fixture_set_tier(&fx, T_FAST, &tf), "fast tier") &&
	    ASSERT_OK(fixture_add_prefix(&fx, "2001:2:0:4::/64", T_FAST), "pfx") &&
	    ASSERT_OK(refused6_addr("2001:2:0:4::1", af), "addr")) {
		ASSERT_EQ(send6(&fx, "2001:2:0:4::1"), XDP_PASS, "first");
		if (ASSERT_EQ(send6(&fx, "2001:2:0:4::1"), XDP_DROP, "refused") &&
		    ASSERT_OK(refused6_read_set(&fx, CPU, af, &set), "set") &&
		    ASSERT_OK_PTR((w = refused6_find_in(&set, af)), "slot")) {
			__u64 until = w->until;

			ASSERT_LE(until - mono_ns(), 50 * 1000 * 1000ULL,
				  "at most one interval ahead");
			expect_cached6(&fx, "2001:2:0:4::1", T_FAST, true,
				       "cached until then");
			while ((__s64)(mono_ns() - until) <= 0)
				;	/* at most 50 ms */
			expect_cached6(&fx, "2001:2:0:4::1", T_FAST, false,
				       "after until");
		}
	}
	test_subtest_end();

	test_subtest_begin("a reload retires IPv6 entries (config_hash)");
	fx.global.config_hash = 0x5eed;
	if (ASSERT_OK(fixture_set_global(&fx), "global"))
		expect_cached6(&fx, a, T0, false, "retired");
	test_subtest_end();
	fixture_close(&fx);
}

/*
 * Frames an attacker picks: truncated before or inside the source, a
 * payload length past the frame, an unknown or too long extension
 * chain, fragments, and the unspecified source.  Each is answered as
 * the parser decides, and none writes a cache entry (sl_refstat6 counts
 * every note the cache takes); a cached source stays cached whatever
 * follows its header.
 */
static void test_refused6_hostile(void)
{
	static const __u8 chain[PKT_EXT_MAX] = {
		IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING,
		IPPROTO_DSTOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS,
		IPPROTO_ROUTING, IPPROTO_DSTOPTS };
	const char *a = "2001:2::7";
	struct xdp_fixture fx;
	struct sl_tier t;
	struct pkt pkt;

	if (!setup(&fx, &t))
		return;
	test_subtest_begin("truncated frames: malformed, never noted");
	for (__u32 cut = 14; cut < 14 + 40 + 20; cut += 6) {
		struct pkt_spec s = { .kind = PKT_IPV6, .src = a,
				      .tcp_flags = TH_ACK };

		if (!ASSERT_OK(pkt_build(&pkt, &s), "build"))
			break;
		pkt_truncate(&pkt, cut, 0);
		ASSERT_GE(fixture_run(&fx, pkt.data, pkt.len, NULL, NULL), 0,
			  "runs");
		pkt_truncate(&pkt, cut, 1);
		ASSERT_GE(fixture_run(&fx, pkt.data, pkt.len, NULL, NULL), 0,
			  "runs, lengths fixed");
	}
	stat6_is(&fx, 0, 0, "no note");
	test_subtest_end();

	test_subtest_begin("lying lengths and long chains: never noted twice");
	{
		struct pkt_spec lie = { .kind = PKT_IPV6, .src = a,
					.tcp_flags = TH_ACK, .ip_len = 1400 };
		struct pkt_spec deep = { .kind = PKT_IPV6, .src = a,
					 .tcp_flags = TH_ACK, .n_ext = 8,
					 .ext_grow = 8 };

		memcpy(deep.ext, chain, sizeof(chain));
		for (int i = 0; i < 3; i++) {
			ASSERT_GE(fixture_send(&fx, &lie), 0, "length past the frame");
			ASSERT_GE(fixture_send(&fx, &deep), 0, "long chain");
		}
	}
	/* Whatever parsed is the one client of `a`: one note at most. */
	{
		struct refused_cpu rc;

		if (ASSERT_OK(refused6_read_cpu(&fx, CPU, &rc), "sl_refstat6"))
			ASSERT_LE(rc.notes, 1, "at most one note");
	}
	test_subtest_end();

	test_subtest_begin("a cached source: fragments and UDP hit too");
	{
		struct pkt_spec frag = { .kind = PKT_IPV6, .src = a, .n_ext = 1,
					 .ext = { IPPROTO_FRAGMENT },
					 .frag_offset = 100 };
		struct pkt_spec udp = { .kind = PKT_IPV6, .src = a,
					.proto = IPPROTO_UDP };

		ASSERT_OK(fixture_clear_clients(&fx), "clear");
		ASSERT_OK(refused6_clear(&fx), "clear v6");
		send6(&fx, a);
		ASSERT_EQ(send6(&fx, a), XDP_DROP, "refused, noted");
		forget6(&fx, a, T0);
		ASSERT_EQ(fixture_send(&fx, &frag), XDP_DROP, "a later fragment");
		ASSERT_EQ(fixture_send(&fx, &udp), XDP_DROP, "UDP");
		ASSERT_EQ(fixture_client_count(&fx), 0, "from the cache");
	}
	test_subtest_end();

	test_subtest_begin("the unspecified source is never noted");
	ASSERT_OK(refused6_clear(&fx), "clear v6");
	send6(&fx, "::");
	ASSERT_EQ(send6(&fx, "::"), XDP_DROP, "refused by its meter");
	stat6_is(&fx, 0, 0, "no note");
	test_subtest_end();
	fixture_close(&fx);
}

/* Sources 2001:2::x:y that share the IPv6 set of the most of them (one
 * group varying alone spreads perfectly: four to a set). */
static __u32 hot6(char ip[][48], __u32 max)
{
	static __u8 count[1 << REFUSED6_SETS_SHIFT];
	__u32 best = 0, n = 0, a[4];
	char buf[48];

	memset(count, 0, sizeof(count));
	for (__u32 h = 1; h < 1 << 18; h++) {
		snprintf(buf, sizeof(buf), "2001:2::%x:%x", h >> 9, h & 511);
		refused6_addr(buf, a);
		if (++count[refused6_set_of(a)] > count[best])
			best = refused6_set_of(a);
	}
	for (__u32 h = 1; h < 1 << 18 && n < max; h++) {
		snprintf(buf, sizeof(buf), "2001:2::%x:%x", h >> 9, h & 511);
		refused6_addr(buf, a);
		if (refused6_set_of(a) == best)
			snprintf(ip[n++], 48, "%s", buf);
	}
	return n;
}

/*
 * The thrash guard, per family: IPv6 sources of one set, round robin,
 * until the window of REFUSED_PROBE notes is judged; nearly every note
 * evicts, so the IPv6 cache rests while the IPv4 one goes on.
 */
static void test_refused6_thrash(void)
{
	static char ip[8][48];
	struct refused_cpu rc = {};
	struct xdp_fixture fx;
	struct sl_tier t;
	__u32 n = hot6(ip, 8), sent = 0;

	if (!ASSERT_GE(n, REFUSED_WAYS + 2, "sources in the hot set") ||
	    !setup(&fx, &t))
		return;
	/* One client per source (keys by /128, so each is its own). */
	t.v6_prefix = 128;
	fixture_set_tier(&fx, T0, &t);
	test_subtest_begin("evicting notes: the IPv6 cache rests");
	for (__u32 i = 0; i < n; i++)
		send6(&fx, ip[i]);
	while (!rc.rest && sent < 8 * REFUSED_PROBE &&
	       !refused6_read_cpu(&fx, CPU, &rc)) {
		ASSERT_EQ(send6(&fx, ip[sent % n]), XDP_DROP, "refused");
		sent++;
		refused6_read_cpu(&fx, CPU, &rc);
	}
	ASSERT_EQ(rc.rest, REFUSED_REST, "resting");
	printf("# %u IPv6 packets to rest the IPv6 cache\n", sent);
	test_subtest_end();

	test_subtest_begin("resting: IPv6 lookups skipped, IPv4 cache unaffected");
	{
		struct pkt_spec v4 = { .kind = PKT_IPV4, .src = "198.18.0.1",
				       .tcp_flags = TH_ACK };
		struct sl_client_key k;

		ASSERT_EQ(send6(&fx, ip[0]), XDP_DROP, "by its meter");
		stat6_is(&fx, 0, REFUSED_REST - 1, "one IPv6 packet by");
		fixture_send(&fx, &v4);
		ASSERT_EQ(fixture_send(&fx, &v4), XDP_DROP, "IPv4 refused");
		if (ASSERT_OK(fixture_client_key(&k, "198.18.0.1", 32, T0), "key") &&
		    ASSERT_OK(fixture_delete_client(&fx, &k), "delete"))
			ASSERT_EQ(fixture_send(&fx, &v4), XDP_DROP,
				  "IPv4 hit while IPv6 rests");
	}
	test_subtest_end();
	fixture_close(&fx);
}

/* The loader's interface, enough for kern/refcache.c. */
static void iface_of(struct sl_iface *ifc, struct xdp_fixture *fx)
{
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "test");
	ifc->skel = fx->skel;
	ifc->link_fd = ifc->dir_fd = ifc->names_fd = -1;
}

static void test_refcache_user(void)
{
	const char *a = "2001:2::9", *b4 = "198.18.0.9";
	struct pkt_spec v4 = { .kind = PKT_IPV4, .src = b4, .tcp_flags = TH_ACK };
	struct sl_client_key k4;
	struct sl_global was;
	struct sl_iface ifc;
	struct xdp_fixture fx;
	__u64 before, after;
	struct sl_tier t;
	__u32 aa[4];

	if (!setup(&fx, &t) || !ASSERT_OK(refused6_addr(a, aa), "addr"))
		return;
	iface_of(&ifc, &fx);
	test_subtest_begin("refcache_forget retires both families' entries");
	send6(&fx, a);
	fixture_send(&fx, &v4);
	ASSERT_EQ(send6(&fx, a), XDP_DROP, "v6 noted");
	ASSERT_EQ(fixture_send(&fx, &v4), XDP_DROP, "v4 noted");
	expect_cached6(&fx, a, T0, true, "v6 cached");
	was = fx.global;
	if (ASSERT_OK(refcache_forget(&ifc), "forget") &&
	    ASSERT_OK(apply_global_get(&ifc, &fx.global), "global")) {
		ASSERT_NEQ(refused_stamp(&fx.global, &t, 0),
			   refused_stamp(&was, &t, 0), "every stamp changes");
		expect_cached6(&fx, a, T0, false, "v6 retired");
		if (ASSERT_OK(fixture_client_key(&k4, b4, 32, T0), "key") &&
		    ASSERT_OK(fixture_delete_client(&fx, &k4), "delete"))
			ASSERT_EQ(fixture_send(&fx, &v4), XDP_PASS, "v4 retired");
	}
	test_subtest_end();

	test_subtest_begin("a bitmap full of stale bits is rebuilt from live entries");
	{
		__u64 ones[REFUSED_MARK_WORDS];
		__u32 keys[REFUSED_MARK_WORDS], count = REFUSED_MARK_WORDS;
		LIBBPF_OPTS(bpf_map_batch_opts, o);

		send6(&fx, a);
		ASSERT_EQ(send6(&fx, a), XDP_DROP, "noted again");
		memset(ones, 0xff, sizeof(ones));
		for (__u32 i = 0; i < REFUSED_MARK_WORDS; i++)
			keys[i] = i;
		ASSERT_OK(bpf_map_update_batch(bpf_map__fd(fx.skel->maps.sl_refmark6),
					       keys, ones, &count, &o) ? -errno : 0,
			  "every bit set");
		ASSERT_OK(refcache_mark_rebuild(&ifc, 6, 0.25, mono_ns(),
						&before, &after), "rebuild");
		ASSERT_EQ(before, REFUSED_MARK_WORDS * 64ULL, "full before");
		ASSERT_EQ(after, 1, "the live entry's bit after");
		ASSERT_EQ(refused6_marked(&fx, aa), 1, "its bit");
		expect_cached6(&fx, a, T0, true, "still a hit");
		ASSERT_OK(refcache_mark_rebuild(&ifc, 6, 0.25, mono_ns(),
						&before, &after), "again");
		ASSERT_EQ(after, before, "under the fill: left alone");
	}
	test_subtest_end();
	fixture_close(&fx);
}

/*
 * The known filter hashes all four words of a key: a client the program
 * creates has the bit known_bit() says, for IPv6 as for IPv4, and a
 * million /64s one after another (the bench's sources) spread like
 * random keys (1 - e^-1/4 of 4M bits, 22 %).
 */
static void test_known6(void)
{
	static __u64 bits[KNOWN_WORDS];
	struct sl_client_key k = { .family = SL_AF_INET6 };
	struct xdp_fixture fx;
	struct sl_tier t;
	__u64 word, set;

	if (!setup(&fx, &t))
		return;
	test_subtest_begin("an IPv6 client's known bit is set where known_bit says");
	send6(&fx, "2001:2:0:77::1");
	if (ASSERT_OK(fixture_client_key(&k, "2001:2:0:77::1", 64, T0), "key")) {
		__u32 bit = known_bit(&k), w = bit >> 6;

		if (ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(fx.skel->maps.sl_known),
						  &w, &word) ? -errno : 0, "word"))
			ASSERT_TRUE(word >> (bit & 63) & 1, "bit set");
	}
	test_subtest_end();
	fixture_close(&fx);

	test_subtest_begin("a million /64s spread over the filter");
	memset(bits, 0, sizeof(bits));
	for (__u32 i = 0; i < 1000000; i++) {
		__u8 a[16] = { 0x20, 0x01, 0x0d, 0xb8, i >> 24, i >> 16,
			       i >> 8, i };
		__u32 b;

		memcpy(k.addr, a, 16);
		b = known_bit(&k);
		bits[b >> 6] |= 1ULL << (b & 63);
	}
	set = refcache_popcount(bits, KNOWN_WORDS);
	printf("# 1,000,000 /64s: %llu of %u bits\n", (unsigned long long)set,
	       KNOWN_WORDS * 64);
	ASSERT_GE(set, 1000000 * 0.88, "no clustering");
	test_subtest_end();
}

TEST_MAIN("bpf/refused6",
	  TEST(test_refused6_hit),
	  TEST(test_refused6_hostile),
	  TEST(test_refused6_thrash),
	  TEST(test_refcache_user),
	  TEST(test_known6));

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The refusal cache (bpf/lib/flood.bpf.h): an IPv4 source a packets
 * meter refused is refused again straight after parsing, without the
 * prefix trie, the client table or the meters, until the meter would
 * admit it again; a reload or an edit of the tier's meter retires the
 * entry; and a CPU whose cache thrashes stops using it for a while.
 *
 * The cache and its statistics are per CPU: the whole binary runs on
 * CPU 0, and reads CPU 0's copies (layout and hashes: sluice_refcache.h).
 * A hit is told apart from the client path by deleting the client's
 * entry: the client path would create a fresh one and pass the packet.
 */
#include <sched.h>
#include <time.h>

#include "sluice_gcra.h"
#include "common/gcra.h"
#include "lib/expect.h"
#include "lib/refused.h"

#define T0		0	/* packets, burst 1, one per hour */
#define T_BYTES		3	/* 198.18.3.0/24: bytes only */
#define T_FAST		4	/* 198.18.4.0/24: packets, 20/s */
#define CPU		0

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * SL_NSEC_PER_SEC + ts.tv_nsec;
}

/* Packets, `burst`, one token per `period_s` seconds, drop. */
static int tier_slow(struct sl_tier *t, __u32 burst, __u64 period_s)
{
	fixture_tier_init(t, SL_TIER_LIMIT, 0, 0);
	t->nmeters = 1;
	return gcra_meter_set(&t->meters[0], 1, period_s * SL_NSEC_PER_SEC,
			      burst, SL_UNIT_PACKETS, SL_ACT_DROP);
}

static bool setup(struct xdp_fixture *fx, __u32 clients, struct sl_tier *t)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(CPU, &set);
	if (!ASSERT_OK(sched_setaffinity(0, sizeof(set), &set) ? -errno : 0,
		       "pin to CPU 0") ||
	    !FIXTURE_SETUP(fx, clients))
		return false;
	if (ASSERT_OK(refused_check(fx), "sl_refused layout as lib/refused.h") &&
	    ASSERT_OK(tier_slow(t, 1, 3600), "meter") &&
	    ASSERT_OK(fixture_set_tier(fx, T0, t), "tier"))
		return true;
	fixture_close(fx);
	return false;
}

static int send_from(struct xdp_fixture *fx, const char *src)
{
	struct pkt_spec s = { .kind = PKT_IPV4, .src = src, .tcp_flags = TH_ACK };

	return fixture_send(fx, &s);
}

static bool forget_client(struct xdp_fixture *fx, const char *src, __u32 tier)
{
	struct sl_client_key k;

	return ASSERT_OK(fixture_client_key(&k, src, 32, tier), "key") &&
	       ASSERT_OK(fixture_delete_client(fx, &k), "delete client");
}

static bool refstat_is(struct xdp_fixture *fx, __u32 notes, __u32 evictions,
		       __u32 rest, const char *what)
{
	struct refused_cpu rc;
	bool ok;

	if (!ASSERT_OK(refused_read_cpu(fx, CPU, &rc), "sl_refstat"))
		return false;
	ok = ASSERT_EQ(rc.notes, notes, what);
	ok &= ASSERT_EQ(rc.evictions, evictions, what);
	ok &= ASSERT_EQ(rc.rest, rest, what);
	return ok;
}

/* Sent from `src` with its client entry deleted: refused from the cache
 * (dropped, no entry made) or not (a fresh entry passes it). */
static bool expect_cached(struct xdp_fixture *fx, const char *src, bool hit,
			  const char *what)
{
	__u64 created = fixture_event(fx, SL_EV_CLIENT_NEW);
	__u64 dropped = fixture_stat_packets(fx, T0, SL_R_DROPPED);
	bool ok;

	if (!forget_client(fx, src, T0))
		return false;
	ok = ASSERT_EQ(send_from(fx, src), hit ? XDP_DROP : XDP_PASS, what);
	ok &= ASSERT_EQ(fixture_event(fx, SL_EV_CLIENT_NEW) - created, !hit,
			"client entries made");
	ok &= ASSERT_EQ(fixture_stat_packets(fx, T0, SL_R_DROPPED) - dropped,
			hit, "dropped");
	return ok;
}

static void test_refused_hit(void)
{
	const char *a = "198.18.0.1", *b = "198.18.0.2";
	static const struct pkt_spec v6 = { .kind = PKT_IPV6,
					    .tcp_flags = TH_ACK };
	struct pkt_spec big = { .kind = PKT_IPV4, .src = "198.18.3.1",
				.tcp_flags = TH_ACK, .payload_len = 500 };
	struct sl_client_key k;
	struct refused_set set;
	const struct refused_slot *w;
	struct xdp_fixture fx;
	struct sl_client c;
	struct sl_tier t, tb, tf;
	__u32 addr = refused_addr(a);

	if (!setup(&fx, FIXTURE_CLIENTS, &t))
		return;

	test_subtest_begin("a packets meter's refusal is noted");
	ASSERT_EQ(refused_marked(&fx, addr), 0, "mark before");
	ASSERT_EQ(send_from(&fx, a), XDP_PASS, "first");
	ASSERT_EQ(send_from(&fx, a), XDP_DROP, "refused by the meter");
	refstat_is(&fx, 1, 0, 0, "one note");
	if (ASSERT_OK(fixture_client_key(&k, a, 32, T0), "key") &&
	    ASSERT_OK(fixture_client(&fx, &k, &c), "client") &&
	    ASSERT_OK(refused_read_set(&fx, CPU, addr, &set), "set") &&
	    ASSERT_OK_PTR((w = refused_find_in(&set, addr)), "slot")) {
		ASSERT_EQ(w->tier, T0, "tier");
		ASSERT_EQ(w->meter, 0, "meter");
		ASSERT_EQ(w->stamp, refused_stamp(&fx.global, &t, 0), "stamp");
		/* Until the meter admits again: tat - tolerance + interval. */
		ASSERT_EQ(w->until, c.tat[0] - t.meters[0].tolerance_ns +
			  gcra_cost_ns(&t.meters[0], 1), "until");
	}
	ASSERT_EQ(refused_marked(&fx, addr), 1, "mark after");
	test_subtest_end();

	test_subtest_begin("a hit: refused without the client table");
	expect_cached(&fx, a, true, "cached refusal");
	ASSERT_EQ(fixture_client_count(&fx), 0, "no entry made");
	ASSERT_EQ(send_from(&fx, a), XDP_DROP, "again");
	refstat_is(&fx, 1, 0, 0, "hits note nothing");
	ASSERT_EQ(fixture_stat_packets(&fx, T0, SL_R_DROPPED), 3, "dropped");
	test_subtest_end();

	test_subtest_begin("a source never refused is not in it");
	ASSERT_EQ(refused_marked(&fx, refused_addr(b)), 0, "no mark");
	ASSERT_EQ(send_from(&fx, b), XDP_PASS, "passes");
	test_subtest_end();

	test_subtest_begin("IPv6 and other units are not cached");
	ASSERT_EQ(fixture_send(&fx, &v6), XDP_PASS, "v6 first");
	ASSERT_EQ(fixture_send(&fx, &v6), XDP_DROP, "v6 refused");
	tb = t;
	if (ASSERT_OK(gcra_meter_set(&tb.meters[0], 100, SL_NSEC_PER_SEC, 600,
				     SL_UNIT_BYTES, SL_ACT_DROP), "bytes") &&
	    ASSERT_OK(fixture_set_tier(&fx, T_BYTES, &tb), "bytes tier") &&
	    ASSERT_OK(fixture_add_prefix(&fx, "198.18.3.0/24", T_BYTES), "pfx")) {
		ASSERT_EQ(fixture_send(&fx, &big), XDP_PASS, "bytes first");
		ASSERT_EQ(fixture_send(&fx, &big), XDP_DROP, "bytes refused");
	}
	refstat_is(&fx, 1, 0, 0, "not noted");
	test_subtest_end();

	/* 20/s: the entry says until when, and is ignored from then on. */
	test_subtest_begin("an entry ends when the meter admits again");
	if (ASSERT_OK(tier_slow(&tf, 1, 1), "meter") &&
	    ASSERT_OK(gcra_meter_set(&tf.meters[0], 20, SL_NSEC_PER_SEC, 1,
				     SL_UNIT_PACKETS, SL_ACT_DROP), "20/s") &&
	    ASSERT_OK(fixture_set_tier(&fx, T_FAST, &tf), "fast tier") &&
	    ASSERT_OK(fixture_add_prefix(&fx, "198.18.4.0/24", T_FAST), "pfx")) {
		const char *f = "198.18.4.1";
		__u32 fa = refused_addr(f);

		ASSERT_EQ(send_from(&fx, f), XDP_PASS, "first");
		if (ASSERT_EQ(send_from(&fx, f), XDP_DROP, "refused") &&
		    ASSERT_OK(refused_read_set(&fx, CPU, fa, &set), "set") &&
		    ASSERT_OK_PTR((w = refused_find_in(&set, fa)), "slot")) {
			__u64 until = w->until;

			ASSERT_LE(until - mono_ns(), 50 * 1000 * 1000ULL,
				  "at most one interval ahead");
			while ((__s64)(mono_ns() - until) <= 0)
				;	/* at most 50 ms */
			ASSERT_TRUE(forget_client(&fx, f, T_FAST), "forget");
			ASSERT_EQ(send_from(&fx, f), XDP_PASS, "after until");
		}
	}
	test_subtest_end();
	fixture_close(&fx);
}

enum change {
	CH_NONE,		/* sl_global written again, unchanged */
	CH_GEN,			/* reload: same tier in the other half */
	CH_HASH,		/* reload of another config, same half */
	CH_BURST,		/* in place: burst 1 -> 2 */
	CH_RATE,		/* in place: 1/h -> 1/2h */
	CH_ALLOW,		/* in place: the tier becomes an allowlist */
	CH_ACTION,		/* in place: drop -> reset (not a refusal change) */
	CH_KEY,			/* in place: key /32 -> /24, a fresh bucket */
	CH_EPOCH,		/* prefix tries rewritten: sl_global.epoch bumped */
};

static const struct {
	const char *name;
	enum change ch;
	int verdict;
	__u32 reason;
	bool hit;
} retire_cases[] = {
	{ "sl_global rewritten unchanged: still cached", CH_NONE, XDP_DROP,
	  SL_R_DROPPED, true },
	{ "reload: tier_gen flips", CH_GEN, XDP_PASS, SL_R_PASSED, false },
	{ "reload: config_hash changes", CH_HASH, XDP_PASS, SL_R_PASSED, false },
	{ "meter edited in place: burst", CH_BURST, XDP_PASS, SL_R_PASSED, false },
	{ "meter edited in place: rate", CH_RATE, XDP_PASS, SL_R_PASSED, false },
	{ "tier edited in place: allowlist", CH_ALLOW, XDP_PASS,
	  SL_R_ALLOWLISTED, false },
	{ "action edited in place: still cached, answered with the new action",
	  CH_ACTION, XDP_TX, SL_R_RESET, true },
	{ "key prefix edited in place", CH_KEY, XDP_PASS, SL_R_PASSED, false },
	{ "prefix tries rewritten: epoch bumped", CH_EPOCH, XDP_PASS,
	  SL_R_PASSED, false },
};

/* Apply `ch` to tier `t` as set up; the tier as it is then in *e. */
static int apply_change(struct xdp_fixture *fx, enum change ch,
			const struct sl_tier *t, struct sl_tier *e)
{
	int err = 0;

	*e = *t;
	switch (ch) {
	case CH_NONE:
		return fixture_set_global(fx);
	case CH_GEN:
		err = fixture_set_tier_gen(fx, 1, T0, t);
		fx->global.tier_gen = 1;
		return err ?: fixture_set_global(fx);
	case CH_HASH:
		fx->global.config_hash = 0x5eed;
		return fixture_set_global(fx);
	case CH_BURST:
		err = tier_slow(e, 2, 3600);
		break;
	case CH_RATE:
		err = tier_slow(e, 1, 7200);
		break;
	case CH_ALLOW:
		e->verdict = SL_TIER_PASS;
		break;
	case CH_ACTION:
		e->meters[0].action = SL_ACT_RESET;
		break;
	case CH_KEY:
		e->v4_prefix = 24;
		break;
	case CH_EPOCH:
		fx->global.epoch++;
		return fixture_set_global(fx);
	}
	return err ?: fixture_set_tier(fx, T0, e);
}

/* The entry the program wrote for `addr` holds `stamp` (want_eq) or
 * any other (!want_eq). */
static bool stamp_is(struct xdp_fixture *fx, __u32 addr, __u16 stamp,
		     bool want_eq, const char *what)
{
	const struct refused_slot *w;
	struct refused_set set;

	if (!ASSERT_OK(refused_read_set(fx, CPU, addr, &set), "set") ||
	    !ASSERT_OK_PTR((w = refused_find_in(&set, addr)), "slot"))
		return false;
	return want_eq ? ASSERT_EQ(w->stamp, stamp, what) :
			 ASSERT_NEQ(w->stamp, stamp, what);
}

/*
 * An entry is stamped with the config generation, the tier and the
 * meter: a reload or an in-place edit of what decides the refusal
 * retires it at once, anything else leaves it.  The stamp the program
 * wrote is checked against the one the new state gives, then the
 * packet against it.
 */
static void test_refused_retired(void)
{
	const char *a = "198.18.0.1";
	__u32 addr = refused_addr(a);
	struct xdp_fixture fx;
	struct sl_tier t, now;

	if (!setup(&fx, FIXTURE_CLIENTS, &t))
		return;
	for (size_t i = 0; i < sizeof(retire_cases) / sizeof(retire_cases[0]);
	     i++) {
		__u64 before;

		if (!test_subtest_begin(retire_cases[i].name))
			continue;	/* each starts from scratch */
		fx.global.tier_gen = 0;
		fx.global.config_hash = 0;
		fx.global.epoch = 0;
		if (!ASSERT_OK(fixture_set_global(&fx), "global") ||
		    !ASSERT_OK(fixture_set_tier(&fx, T0, &t), "tier") ||
		    !ASSERT_OK(fixture_clear_clients(&fx), "clear") ||
		    !ASSERT_EQ(send_from(&fx, a), XDP_PASS, "first") ||
		    !ASSERT_EQ(send_from(&fx, a), XDP_DROP, "refused") ||
		    !expect_cached(&fx, a, true, "cached before the change") ||
		    !stamp_is(&fx, addr, refused_stamp(&fx.global, &t, 0), true,
			      "stamp before the change") ||
		    !ASSERT_OK(apply_change(&fx, retire_cases[i].ch, &t, &now),
			       "change")) {
			test_subtest_end();
			continue;
		}
		stamp_is(&fx, addr, refused_stamp(&fx.global, &now, 0),
			 retire_cases[i].hit, retire_cases[i].hit ?
			 "stamp still current" : "stamp retired");
		before = fixture_stat_packets(&fx, T0, retire_cases[i].reason);
		ASSERT_EQ(send_from(&fx, a), retire_cases[i].verdict, "verdict");
		ASSERT_EQ(fixture_stat_packets(&fx, T0, retire_cases[i].reason) -
			  before, 1, "counted");
		ASSERT_EQ(fixture_client_count(&fx),
			  retire_cases[i].hit || retire_cases[i].ch == CH_ALLOW ?
			  0 : 1, "client entries");
		test_subtest_end();
	}
	fixture_close(&fx);
}

/*
 * The thrash guard, driven note by note.  A simulation here follows the
 * cache on CPU 0 exactly: "hot" sources share one set, so once its four
 * ways hold live entries each hot note evicts one; "fresh" sources each
 * have a set to themselves and never evict.  A window of REFUSED_PROBE
 * notes is judged at its last note by the evictions of the ones before:
 * exactly half keeps the cache, one more sets it resting.
 *
 * The set hash spreads 198.18.0.0/15 perfectly: four addresses to each
 * of the 32768 sets, so no source there can evict another.  The hot set
 * gets its fifth (and sixth) source from the documentation ranges of
 * RFC 5737, in frames that only ever exist inside BPF_PROG_TEST_RUN.
 */
struct thrash {
	struct xdp_fixture *fx;
	char hot_ip[16][32];
	__u32 hot[16], nhot;		/* as the program loads them */
	__u32 set[REFUSED_WAYS];	/* the hot set, as the program has it */
	struct refused_cpu guard;	/* sl_refstat, as the program has it */
	__u32 next_fresh;		/* next candidate in 198.18.0.0/15 */
	__u8 used[1 << (REFUSED_SETS_SHIFT - 3)];	/* sets taken */
	__u32 hot_set;
	int err;
};

/* Address i of 198.18.0.0/15, as text and as the program loads it. */
static void ip_of(__u32 i, char *buf, size_t len)
{
	snprintf(buf, len, "198.%u.%u.%u", 18 + (i >> 16), (i >> 8) & 255,
		 i & 255);
}

static __u32 addr_of(__u32 i)
{
	__u8 b[4] = { 198, 18 + (i >> 16), (i >> 8) & 255, i & 255 };
	__u32 v;

	memcpy(&v, b, 4);
	return v;
}

static bool set_used(struct thrash *th, __u32 set)
{
	return th->used[set >> 3] & (1 << (set & 7));
}

static void hot_add(struct thrash *th, const char *ip)
{
	if (th->nhot < 16) {
		snprintf(th->hot_ip[th->nhot], sizeof(th->hot_ip[0]), "%s", ip);
		th->hot[th->nhot++] = refused_addr(ip);
	}
}

/* The set that most RFC 5737 addresses share, and every source of it
 * from both ranges. */
static void thrash_pick_hot(struct thrash *th)
{
	static const char *const nets[] = { "192.0.2", "198.51.100",
					    "203.0.113" };
	static __u8 count[1 << REFUSED_SETS_SHIFT];
	__u32 best = 0;
	char ip[32];

	memset(count, 0, sizeof(count));
	for (int n = 0; n < 3; n++) {
		for (int h = 1; h < 255; h++) {
			__u32 set;

			snprintf(ip, sizeof(ip), "%s.%d", nets[n], h);
			set = refused_set_of(refused_addr(ip));
			if (++count[set] > count[best])
				best = set;
		}
	}
	th->hot_set = best;
	th->used[best >> 3] |= 1 << (best & 7);
	for (__u32 i = 1; i < 1 << 17; i++) {
		if (refused_set_of(addr_of(i)) == best) {
			ip_of(i, ip, sizeof(ip));
			hot_add(th, ip);
		}
	}
	for (int n = 0; n < 3; n++) {
		for (int h = 1; h < 255; h++) {
			snprintf(ip, sizeof(ip), "%s.%d", nets[n], h);
			if (refused_set_of(refused_addr(ip)) == best)
				hot_add(th, ip);
		}
	}
}

/* One refused packet on the client path, as flood.bpf.h notes it. */
static void sim_note(struct thrash *th, __u32 addr, bool hot)
{
	int w = -1;

	if (th->guard.rest)
		return;
	refused_probe(&th->guard);
	if (!hot)
		return;		/* a set of its own: an empty way */
	for (int i = 0; i < REFUSED_WAYS && w < 0; i++)
		if (!th->set[i])
			w = i;
	if (w < 0) {
		w = refused_victim(addr);
		th->guard.evictions++;
	}
	th->set[w] = addr;
}

static bool sim_cached(const struct thrash *th, __u32 addr)
{
	for (int i = 0; i < REFUSED_WAYS; i++)
		if (th->set[i] == addr)
			return true;
	return false;
}

static void thrash_send(struct thrash *th, const char *ip, int verdict)
{
	int v = send_from(th->fx, ip);

	if (v != verdict && !th->err) {
		TEST_FAILF("%s: verdict %d, the simulation expected %d", ip, v,
			   verdict);
		th->err = -EIO;
	}
}

/* A note that evicts (a hot source out of the set) or one that does not
 * (a fresh source, or a hot one while the set has room). */
static void thrash_note(struct thrash *th, bool evict)
{
	char ip[32];

	for (__u32 k = 0; evict && k < th->nhot; k++) {
		if (sim_cached(th, th->hot[k]))
			continue;
		thrash_send(th, th->hot_ip[k], XDP_DROP);
		sim_note(th, th->hot[k], true);
		return;
	}
	for (; th->next_fresh < 1 << 17; th->next_fresh++) {
		__u32 set = refused_set_of(addr_of(th->next_fresh));

		if (set_used(th, set))
			continue;
		th->used[set >> 3] |= 1 << (set & 7);
		ip_of(th->next_fresh, ip, sizeof(ip));
		thrash_send(th, ip, XDP_PASS);	/* a new client */
		thrash_send(th, ip, XDP_DROP);	/* its note */
		sim_note(th, addr_of(th->next_fresh), false);
		th->next_fresh++;
		return;
	}
	th->err = -ENOSPC;
}

/* Notes up to the window's last but one, `evictions` of them evicting
 * (hot notes while the set has room fill it first); the caller sends
 * the window's last. */
static void thrash_window(struct thrash *th, __u32 evictions)
{
	while (th->guard.notes < REFUSED_PROBE - 1 && !th->err)
		thrash_note(th, th->guard.evictions < evictions);
}

static void test_refused_thrash(void)
{
	static struct thrash th;
	struct xdp_fixture fx;
	struct refused_set set;
	struct sl_tier t;
	const char *ip = NULL;

	memset(&th, 0, sizeof(th));
	if (!setup(&fx, 16384, &t))
		return;
	th.fx = &fx;
	thrash_pick_hot(&th);
	if (!ASSERT_GE(th.nhot, REFUSED_WAYS + 1, "sources in the hot set"))
		goto out;
	printf("# hot set %u: %u sources (%s ... %s)\n", th.hot_set, th.nhot,
	       th.hot_ip[0], th.hot_ip[th.nhot - 1]);
	for (__u32 k = 0; k < th.nhot; k++)
		thrash_send(&th, th.hot_ip[k], XDP_PASS);	/* their entries */

	test_subtest_begin("half the notes evicting: the cache stays");
	thrash_window(&th, REFUSED_PROBE / 2);
	refstat_is(&fx, REFUSED_PROBE - 1, REFUSED_PROBE / 2, 0, "window");
	thrash_note(&th, false);
	refstat_is(&fx, 0, 0, 0, "judged: kept");
	if (ASSERT_OK(th.err, "driving") &&
	    ASSERT_OK(refused_read_set(&fx, CPU, th.set[0], &set), "hot set"))
		for (int i = 0; i < REFUSED_WAYS; i++)
			ASSERT_EQ(set.way[i].addr, th.set[i], "hot set way");
	test_subtest_end();

	test_subtest_begin("more than half: the cache steps aside");
	thrash_window(&th, REFUSED_PROBE / 2 + 1);
	refstat_is(&fx, REFUSED_PROBE - 1, REFUSED_PROBE / 2 + 1, 0, "window");
	thrash_note(&th, false);
	refstat_is(&fx, 0, 0, REFUSED_REST, "judged: resting");
	ASSERT_OK(th.err, "driving");
	test_subtest_end();

	test_subtest_begin("resting: lookups and notes skipped");
	/* A hot source still in the set, entry gone: the cache is not
	 * asked, so a fresh entry passes it. */
	for (__u32 k = 0; k < th.nhot && !ip; k++)
		if (sim_cached(&th, th.hot[k]))
			ip = th.hot_ip[k];
	if (ASSERT_OK_PTR(ip, "a cached source")) {
		expect_cached(&fx, ip, false, "cache skipped");
		refstat_is(&fx, 0, 0, REFUSED_REST - 1, "one IPv4 packet");
		ASSERT_EQ(send_from(&fx, ip), XDP_DROP, "refused by its meter");
		refstat_is(&fx, 0, 0, REFUSED_REST - 2, "no note while resting");
	}
	test_subtest_end();
out:
	fixture_close(&fx);
}

TEST_MAIN("bpf/refused",
	  TEST(test_refused_hit),
	  TEST(test_refused_retired),
	  TEST(test_refused_thrash));

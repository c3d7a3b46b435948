// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* floodgen: sluice's tiers, and the sources a mixed flood admits. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sluice_abi.h"
#include "common/gcra.h"
#include "config/config.h"
#include "config/flood_default.h"
#include "kern/tier_abi.h"
#include "floodgen.h"
#include "../../tests/bpf/lib/xdp_fixture.h"

/* ---- the admitted sources of --mixed ------------------------------------ */

/* Source index i is base1 + i below n1, base2 + (i - n1) past it (the
 * generator's sequence, bench_gen.bpf.c): the first k are one range in
 * the first block, and a second in the other when k > n1. */
int mix_ranges(const struct opts *o, struct src_range r[2])
{
	__u64 k = (__u64)llround(o->mixed * o->sources);
	__u64 b1 = o->v6 ? o->base6_1 : ntohl(o->base1.s_addr);
	__u64 b2 = o->v6 ? o->base6_2 : ntohl(o->base2.s_addr);
	__u64 n1 = k < o->n1 ? k : o->n1;
	int n = 0;

	if (n1)
		r[n++] = (struct src_range){ b1, b1 + n1 };
	if (k > n1)
		r[n++] = (struct src_range){ b2, b2 + (k - n1) };
	return n;
}

/* An address of the family: IPv6 from its upper 64 bits and `low`. */
static void addr_fmt(const struct opts *o, __u64 v, __u64 low, char *buf,
		     size_t len)
{
	if (o->v6) {
		__u8 a[16];

		for (int i = 0; i < 8; i++) {
			a[i] = v >> (56 - 8 * i);
			a[8 + i] = low >> (56 - 8 * i);
		}
		inet_ntop(AF_INET6, a, buf, len);
	} else {
		struct in_addr a = { htonl((__u32)v) };

		inet_ntop(AF_INET, &a, buf, len);
	}
}

void mix_print(const struct opts *o)
{
	struct src_range r[2];
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	int n = mix_ranges(o, r);

	for (int i = 0; i < n; i++) {
		addr_fmt(o, r[i].lo, 0, lo, sizeof(lo));
		addr_fmt(o, r[i].hi - 1, ~0ULL, hi, sizeof(hi));
		printf("%s-%s\n", lo, hi);
	}
}

/* A range as the fewest CIDR prefixes, each into `tier`. */
static int mix_add_range(struct xdp_fixture *fx, const struct opts *o,
			 const struct src_range *r, __u32 tier)
{
	int width = o->v6 ? 64 : 32, err = 0;
	char addr[INET6_ADDRSTRLEN], cidr[INET6_ADDRSTRLEN + 5];
	__u64 lo = r->lo;

	while (!err && lo < r->hi) {
		int bits = lo ? __builtin_ctzll(lo) : width;

		if (bits > width)
			bits = width;
		while (bits && (bits >= 64 || lo + (1ULL << bits) > r->hi))
			bits--;
		addr_fmt(o, lo, 0, addr, sizeof(addr));
		snprintf(cidr, sizeof(cidr), "%s/%d", addr, width - bits);
		err = fixture_add_prefix(fx, cidr, tier);
		lo += 1ULL << bits;
	}
	return err;
}

/* The tier an example prefix belongs to under --mixed: 1 when its first
 * address is admitted (none of them straddles a range's end at the
 * bench's shares), else 0, so that no longer prefix of tier 0 cuts into
 * the admitted range. */
static __u32 mix_tier_of(const struct opts *o, const char *cidr)
{
	char a[INET6_ADDRSTRLEN];
	struct src_range r[2];
	__u8 b[16];
	__u64 v = 0;
	int n;

	if (o->mixed <= 0 || sscanf(cidr, "%45[^/]", a) != 1 ||
	    inet_pton(o->v6 ? AF_INET6 : AF_INET, a, b) != 1)
		return 0;
	for (int i = 0; i < (o->v6 ? 8 : 4); i++)
		v = v << 8 | b[i];
	n = mix_ranges(o, r);
	for (int i = 0; i < n; i++)
		if (v >= r[i].lo && v < r[i].hi)
			return 1;
	return 0;
}

/* ---- sluice's tiers -------------------------------------------------------- */

/* Tier 0 as the config loader builds a tier whose config says nothing
 * about floods: the default flood guard for the client table, and the
 * clock the loader picks (cfg_tier_to_abi, the loader's own code). */
static int sluice_default_tier(const struct opts *o, struct sl_tier *t)
{
	struct cfg_tier ct = {
		.verdict = SL_TIER_LIMIT, .v4_prefix = 32, .v6_prefix = 64,
		.nmeters = 1, .flood_guard = 1,
		.meters[0] = { .unit = o->unit, .action = o->action,
			       .scope = CFG_SCOPE_LOCAL, .count = o->rate,
			       .period_ns = o->rate_period, .burst = o->burst },
		.new_clients = { .unit = SL_UNIT_PACKETS,
				 .action = SL_ACT_DROP,
				 .period_ns = SL_NSEC_PER_SEC },
	};

	flood_guard_default(o->clients, &ct.new_clients.count,
			    &ct.new_clients.burst);
	return cfg_tier_to_abi(&ct, t);
}

/* Tier 0 from the --sl-* options. */
static int sluice_tier(const struct opts *o, struct sl_tier *t)
{
	int err;

	if (o->guard_default)
		return sluice_default_tier(o, t);
	fixture_tier_init(t, SL_TIER_LIMIT, 32, 64);
	t->nmeters = 1;
	err = gcra_meter_set(&t->meters[0], o->rate, o->rate_period, o->burst,
			     o->unit, o->action);
	if (err)
		return err;
	if (o->guard_rate) {
		err = gcra_meter_set(&t->new_clients, o->guard_rate,
				     SL_NSEC_PER_SEC, o->guard_burst,
				     SL_UNIT_PACKETS, SL_ACT_DROP);
		if (err)
			return err;
		t->flags |= SL_TIER_F_FLOOD_GUARD;
	}
	return 0;
}

/* --mixed: tier 1 holds the admitted sources, known clients far under
 * their limit (no guard: their entries are made in the warm-up). */
static int sluice_mixed(struct xdp_fixture *fx, const struct opts *o)
{
	struct src_range r[2];
	struct sl_tier t;
	int n, err;

	fixture_tier_init(&t, SL_TIER_LIMIT, 32, 64);
	t.flags |= SL_TIER_F_COARSE_CLOCK;
	err = fixture_tier_meter(&t, SL_UNIT_PACKETS, 100000000, 1000000,
				 SL_ACT_DROP) ?: fixture_set_tier(fx, 1, &t);
	n = mix_ranges(o, r);
	for (int i = 0; !err && i < n; i++)
		err = mix_add_range(fx, o, &r[i], 1);
	return err;
}

/* One tier with one meter: the bench's whole config (a second for
 * --mixed).  The prefixes of examples/sluice.yaml all lead to it (the
 * flood's sources cover them), so every source meets the same limit but
 * the LPM walk is a real one. */
int sluice_configure(struct xdp_fixture *fx, const struct opts *o)
{
	static const char *const pfx[] = {
		"0.0.0.0/0", "::/0", "198.18.10.0/24", "2001:2:0:10::/64",
		"198.18.20.0/24", "2001:2:0:20::/64", "198.18.66.0/24",
		"198.18.99.0/24",
	};
	struct sl_tier t;
	int err;

	err = sluice_tier(o, &t);
	if (err) {
		fprintf(stderr, "floodgen: --sl-rate/--sl-burst/--sl-guard: %s\n",
			strerror(-err));
		return err;
	}
	if (o->coarse)
		t.flags |= SL_TIER_F_COARSE_CLOCK;
	err = fixture_set_tier(fx, 0, &t);
	for (int i = 0; !err && i < ARRAY_LEN(pfx); i++)
		err = fixture_add_prefix(fx, pfx[i], mix_tier_of(o, pfx[i]));
	if (!err && o->mixed > 0)
		err = sluice_mixed(fx, o);
	if (!err)
		err = fixture_set_mode(fx, o->shadow ? SL_MODE_SHADOW :
				       SL_MODE_ENFORCE, SL_POLICY_PASS, 0);
	if (err)
		fprintf(stderr, "floodgen: filling sluice maps: %s\n",
			strerror(-err));
	return err;
}

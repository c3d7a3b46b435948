/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The XDP limiter loaded from its skeleton for BPF_PROG_TEST_RUN: write
 * its maps the way sluiced would, run packets, read the counters back.
 * Shared by tests/bpf and tools/bench.
 */
#ifndef SLUICE_TEST_XDP_FIXTURE_H
#define SLUICE_TEST_XDP_FIXTURE_H

#include <linux/types.h>

#include "sluice_abi.h"
#include "sluice_xdp.skel.h"

struct pkt_spec;
struct bpf_object;

/* fixture_open() result when the host cannot run the test at all. */
#define FIXTURE_SKIP	1

/* Client table size the tests use: the default preallocates ~100 MB. */
#define FIXTURE_CLIENTS	4096

struct xdp_fixture {
	struct sluice_xdp *skel;
	int prog_fd;
	int ncpus;
	struct sl_global global;	/* what sl_global holds */
};

/* Is BPF usable here?  NULL if so, else why not (not root, ...). */
const char *fixture_skip_reason(void);

/* Open and load the limiter with `clients` client entries (0: the
 * object's default), and write a zeroed sl_global.  Returns 0,
 * FIXTURE_SKIP (see fixture_skip_reason) or -errno. */
int fixture_open(struct xdp_fixture *fx, __u32 clients);
void fixture_close(struct xdp_fixture *fx);

/* Point every map of `obj` (another program's object) but its internal
 * ones at fx's, as sluiced loads its TC programs: 0 or -errno. */
int fixture_share_maps(struct bpf_object *obj, struct xdp_fixture *fx);

/* Write fx->global into the map. */
int fixture_set_global(struct xdp_fixture *fx);
/* Shorthand: mode, malformed policy and default tier. */
int fixture_set_mode(struct xdp_fixture *fx, __u32 mode, __u32 malformed,
		     __u32 default_tier);

/* A tier with the given verdict and key prefixes (0: /32 and /64). */
void fixture_tier_init(struct sl_tier *t, __u8 verdict, __u8 v4_prefix,
		       __u8 v6_prefix);
/* Append a meter of `count` units per second. */
int fixture_tier_meter(struct sl_tier *t, __u8 unit, __u64 per_sec,
		       __u32 burst, __u8 action);
/* A meter for fixture_set_limit(). */
struct fixture_meter {
	__u8  unit;		/* enum sl_unit */
	__u8  action;		/* enum sl_action */
	__u32 burst;
	__u64 per_sec;
};

/* Write tier `id`: verdict limit, default key prefixes, meters m[0..n-1];
 * a copy goes to *out (if not NULL) for tests that change it further.
 *	fixture_set_limit(fx, 1, FIXTURE_METERS(
 *		{ SL_UNIT_PACKETS, SL_ACT_DROP, .burst = 2, .per_sec = 1 }), NULL);
 */
int fixture_set_limit(struct xdp_fixture *fx, __u32 id,
		      const struct fixture_meter *m, int n, struct sl_tier *out);
#define FIXTURE_METERS(...)						\
	((const struct fixture_meter[]){ __VA_ARGS__ }),		\
	(int)(sizeof((const struct fixture_meter[]){ __VA_ARGS__ }) /	\
	      sizeof(struct fixture_meter))

/* Write tier `id` into the live generation (fx->global.tier_gen). */
int fixture_set_tier(struct xdp_fixture *fx, __u32 id,
		     const struct sl_tier *t);
/* Write tier `id` into generation `gen` (for reload tests). */
int fixture_set_tier_gen(struct xdp_fixture *fx, __u32 gen, __u32 id,
			 const struct sl_tier *t);

/* Map "198.18.10.0/24" or "2001:2::/48" to a tier. */
int fixture_add_prefix(struct xdp_fixture *fx, const char *cidr, __u32 tier);

/* Entries of a map whose keys are at most 64 bytes (a hash or a trie),
 * walked key by key. */
int fixture_map_count(struct bpf_map *m);

/* Summed over CPUs. */
int fixture_stats(struct xdp_fixture *fx, __u32 tier, __u32 reason,
		  struct sl_counter *out);
int fixture_stats_total(struct xdp_fixture *fx, struct sl_counter *out);
/* Every reason of one tier (or SL_TIER_NONE), summed over CPUs, in one
 * batch lookup: cheap enough to read after every packet. */
int fixture_stats_row(struct xdp_fixture *fx, __u32 tier,
		      struct sl_counter out[SL_R__MAX]);
__u64 fixture_stat_packets(struct xdp_fixture *fx, __u32 tier, __u32 reason);
__u64 fixture_event(struct xdp_fixture *fx, __u32 ev);
/* Zero sl_counters and sl_evcount. */
int fixture_clear_stats(struct xdp_fixture *fx);

/* A client key as the program builds it: `addr` is text, masked to
 * `prefix` bits. */
int fixture_client_key(struct sl_client_key *k, const char *addr,
		       int prefix, __u32 tier);
/* 0, or -ENOENT when the client has no entry. */
int fixture_client(struct xdp_fixture *fx, const struct sl_client_key *k,
		   struct sl_client *out);
/* Write a client's bucket as sluiced never does: tests seed TATs. */
int fixture_set_client(struct xdp_fixture *fx, const struct sl_client_key *k,
		       const struct sl_client *c);
/* 0, or -ENOENT when there was none. */
int fixture_delete_client(struct xdp_fixture *fx, const struct sl_client_key *k);
int fixture_client_count(struct xdp_fixture *fx);
int fixture_clear_clients(struct xdp_fixture *fx);	/* and the refusal caches */
int fixture_clear_refused(struct xdp_fixture *fx);
/* Zero every element of per-CPU array `m` on every CPU. */
int fixture_zero_percpu(struct xdp_fixture *fx, const struct bpf_map *m);
int fixture_flood(struct xdp_fixture *fx, __u32 tier, struct sl_flood *out);

/* Run one frame.  Returns the XDP verdict or -errno; the frame as the
 * program left it goes to `out` (room for `len` bytes) if not NULL. */
int fixture_run(struct xdp_fixture *fx, const void *pkt, __u32 len,
		void *out, __u32 *out_len);
/* Build `s` (see pkt.h) and run it: the verdict or -errno. */
int fixture_send(struct xdp_fixture *fx, const struct pkt_spec *s);

/* BPF_PROG_TEST_RUN on any program: `repeat` runs of one frame; the
 * kernel's mean ns per run in *ns_per_run.  Returns the verdict or
 * -errno. */
int prog_run_repeat(int prog_fd, const void *pkt, __u32 len, __u32 repeat,
		    __u32 *ns_per_run);

/*
 * In a test (files that include test.h): open a fixture, or mark the
 * test skipped (no root, no BPF) or failed.  True when it is open:
 *	if (!FIXTURE_SETUP(&fx, FIXTURE_CLIENTS))
 *		return;
 */
#define FIXTURE_SETUP(fx, clients)					\
	({								\
		int ___e = fixture_open((fx), (clients));		\
		bool ___ok = false;					\
		if (___e == FIXTURE_SKIP)				\
			TEST_SKIP("%s", fixture_skip_reason());		\
		else							\
			___ok = ASSERT_OK(___e, "fixture_open");	\
		___ok;							\
	})

#endif /* SLUICE_TEST_XDP_FIXTURE_H */

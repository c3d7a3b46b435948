// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The one-time move of the first release's counters (user/kern/pins.c,
 * bpf/sluice_migrate.bpf.c) on real maps: pins shaped like that
 * release's sl_stats (65 x 11 reasons) and sl_events (11), with distinct
 * values on every CPU, end up added into sl_counters at tier * 32 +
 * reason and into sl_evcount, on top of what the new program had counted
 * already, and are unpinned; a second commit moves nothing again; a pin
 * of another layout is left in place and moves nothing.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/expect.h"
#include "kern/pins.h"
#include "common/proto.h"

#define OLD_REASONS	11
#define OLD_ROWS	((SL_MAX_TIERS + 1) * OLD_REASONS)
#define OLD_EVENTS	11

struct rig {
	struct xdp_fixture fx;
	struct sl_iface ifc;
	char dir[PINS_PATH_MAX];
};

static __u64 old_packets(__u32 row, int cpu) { return row * 100 + cpu + 1; }
static __u64 old_bytes(__u32 row, int cpu) { return (row * 100 + cpu + 1) * 64; }
static __u64 old_event(__u32 row, int cpu) { return row * 10 + cpu + 7; }

static bool rig_open(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->ifc.dir_fd = -1;
	if (!FIXTURE_SETUP(&r->fx, FIXTURE_CLIENTS))
		return false;
	snprintf(r->ifc.name, sizeof(r->ifc.name), "tmig%d", (int)getpid());
	r->ifc.skel = r->fx.skel;
	r->ifc.adopted = true;
	r->ifc.link_fd = r->ifc.names_fd = -1;
	pins_path(r->dir, r->ifc.name, NULL);
	mkdir(SL_PIN_ROOT, 0700);
	if (!ASSERT_OK(mkdir(r->dir, 0700) ? -errno : 0, "pin directory"))
		return false;
	r->ifc.dir_fd = open(r->dir, O_RDONLY | O_DIRECTORY);
	return ASSERT_TRUE(r->ifc.dir_fd >= 0, "open the pin directory");
}

static void rig_close(struct rig *r)
{
	if (r->ifc.dir_fd >= 0) {
		close(r->ifc.dir_fd);
		pins_unpin(r->ifc.name);
	}
	if (r->fx.skel)
		fixture_close(&r->fx);
}

/* A per-CPU array pinned as `name`, row i on CPU c = f(i, c). */
static bool pin_old(struct rig *r, const char *name, __u32 value, __u32 rows,
		    __u64 (*f)(__u32, int), __u64 (*g)(__u32, int))
{
	char path[PINS_PATH_MAX];
	__u64 vals[r->fx.ncpus * 2];
	int fd, err = 0;

	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, name, 4, value, rows, NULL);
	if (!ASSERT_TRUE(fd >= 0, "create the old map"))
		return false;
	for (__u32 i = 0; i < rows && !err; i++) {
		for (int c = 0; c < r->fx.ncpus; c++) {
			if (value == 16) {
				vals[2 * c] = f(i, c);
				vals[2 * c + 1] = g(i, c);
			} else {
				vals[c] = f(i, c);
			}
		}
		err = bpf_map_update_elem(fd, &i, vals, BPF_ANY) ? -errno : 0;
	}
	pins_path(path, r->ifc.name, name);
	if (!err)
		err = bpf_obj_pin(fd, path) ? -errno : 0;
	close(fd);
	return ASSERT_OK(err, name);
}

/* What the new program counted before the move: 3 packets of 1 byte on
 * CPU 0 in every row. */
static bool count_before(struct rig *r)
{
	struct sl_counter c[r->fx.ncpus];
	__u64 e[r->fx.ncpus];
	int err = 0;

	memset(c, 0, sizeof(c));
	memset(e, 0, sizeof(e));
	c[0] = (struct sl_counter){ 3, 1 };
	e[0] = 3;
	for (__u32 i = 0; i < SL_STATS_ENTRIES && !err; i++)
		err = bpf_map_update_elem(bpf_map__fd(r->fx.skel->maps.sl_counters),
					  &i, c, BPF_ANY) ? -errno : 0;
	for (__u32 i = 0; i < SL_EVENT_SLOTS && !err; i++)
		err = bpf_map_update_elem(bpf_map__fd(r->fx.skel->maps.sl_evcount),
					  &i, e, BPF_ANY) ? -errno : 0;
	return ASSERT_OK(err, "count before the move");
}

static bool pinned(struct rig *r, const char *name)
{
	return faccessat(r->ifc.dir_fd, name, F_OK, 0) == 0;
}

/* Every row of sl_counters and sl_evcount: what was there, plus the old
 * rows' sums when `moved`. */
static void expect_counts(struct rig *r, bool moved)
{
	int bad = 0;

	for (__u32 t = 0; t <= SL_TIER_NONE; t++) {
		for (__u32 s = 0; s < SL_REASON_SLOTS; s++) {
			__u32 row = t * OLD_REASONS + s;
			struct sl_counter got;
			__u64 p = 3, b = 1;

			for (int c = 0; moved && s < OLD_REASONS &&
			     c < r->fx.ncpus; c++) {
				p += old_packets(row, c);
				b += old_bytes(row, c);
			}
			if (fixture_stats(&r->fx, t, s, &got) ||
			    got.packets != p || got.bytes != b) {
				if (bad++ < 3)
					TEST_FAILF("tier %u slot %u: expected %llu packets %llu bytes, got %llu %llu",
						   t, s, (unsigned long long)p,
						   (unsigned long long)b,
						   (unsigned long long)got.packets,
						   (unsigned long long)got.bytes);
			}
		}
	}
	for (__u32 ev = 0; ev < SL_EVENT_SLOTS; ev++) {
		__u64 want = 3;

		for (int c = 0; moved && ev < OLD_EVENTS && c < r->fx.ncpus; c++)
			want += old_event(ev, c);
		if (fixture_event(&r->fx, ev) != want && bad++ < 3)
			TEST_FAILF("event %u: expected %llu, got %llu", ev,
				   (unsigned long long)want,
				   (unsigned long long)fixture_event(&r->fx, ev));
	}
	ASSERT_EQ(bad, 0, "rows off");
}

static void test_migrate_first_release(void)
{
	struct rig r;

	if (!rig_open(&r))
		goto out;
	if (!pin_old(&r, "sl_stats", 16, OLD_ROWS, old_packets, old_bytes) ||
	    !pin_old(&r, "sl_events", 8, OLD_EVENTS, old_event, NULL) ||
	    !count_before(&r))
		goto out;
	if (!ASSERT_OK(pins_commit(&r.ifc), "pins_commit"))
		goto out;
	ASSERT_FALSE(pinned(&r, "sl_stats"), "sl_stats unpinned");
	ASSERT_FALSE(pinned(&r, "sl_events"), "sl_events unpinned");
	expect_counts(&r, true);
	/* A second start finds nothing to move. */
	if (ASSERT_OK(pins_commit(&r.ifc), "pins_commit again"))
		expect_counts(&r, true);
out:
	rig_close(&r);
}

static void test_migrate_foreign_left(void)
{
	struct rig r;

	if (!rig_open(&r))
		goto out;
	/* 100 rows: no whole number of 65-tier rows, not the first release's. */
	if (!pin_old(&r, "sl_stats", 16, 100, old_packets, old_bytes) ||
	    !count_before(&r))
		goto out;
	if (!ASSERT_OK(pins_commit(&r.ifc), "pins_commit"))
		goto out;
	ASSERT_TRUE(pinned(&r, "sl_stats"), "the foreign sl_stats stays pinned");
	expect_counts(&r, false);
out:
	rig_close(&r);
}

TEST_MAIN("bpf/migrate",
	  TEST(test_migrate_first_release),
	  TEST(test_migrate_foreign_left))

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <linux/membarrier.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/migrate.h"
#include "kern/layout.h"
#include "kern/pins.h"
#include "common/log.h"
#include "sluice_migrate.h"
#include "sluice_migrate.skel.h"
#include "sluice_xdp.skel.h"

/* The first release's counter maps, and where their rows go. */
struct old_map {
	const char *name;
	__u32 kind;		/* enum sl_migrate_kind */
	__u32 value;		/* value size */
	const char *into;
	int fd;
	__u32 rows, width;	/* rows, and reasons per tier (counters) */
};

/* Is the pin one of the first release's maps, in a layout we can read? */
static int migrate_open(struct sl_iface *ifc, struct old_map *o)
{
	struct map_layout l;
	int err;

	o->fd = pins_open(ifc, o->name);
	if (o->fd < 0)
		return o->fd == -ENOENT ? 0 : o->fd;
	err = layout_read(ifc->name, o->fd, o->name, &l);
	if (err)
		return err;
	o->rows = l.entries;
	o->width = o->kind == SL_MIGRATE_COUNTERS ?
		   l.entries / (SL_MAX_TIERS + 1) : l.entries;
	if (l.type == BPF_MAP_TYPE_PERCPU_ARRAY && l.key == 4 &&
	    l.value == o->value && l.entries &&
	    (o->kind == SL_MIGRATE_EVENTS ?
	     l.entries <= SL_EVENT_SLOTS :
	     l.entries % (SL_MAX_TIERS + 1) == 0 && o->width <= SL_REASON_SLOTS))
		return 0;
	log_warn("%s: the pinned %s is not the first release's (it has %u entries of %u B): left in place, its counts are not carried over",
		 ifc->name, o->name, l.entries, l.value);
	close(o->fd);
	o->fd = -1;
	return 0;
}

/* Wait until no CPU still runs the old program: XDP runs inside an RCU
 * read-side section and MEMBARRIER_CMD_GLOBAL is a synchronize_rcu(). */
static void migrate_quiesce(struct sl_iface *ifc)
{
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		log_dbg("%s: membarrier: %s (packets still in the old program may go uncounted)",
			ifc->name, strerror(errno));
}

/* Move every row of `o` with the migration program, then unpin it. */
static int migrate_rows(struct sl_iface *ifc, struct sluice_migrate *mg,
			 struct old_map *o)
{
	int prog = bpf_program__fd(mg->progs.sl_migrate);
	__u64 packets = 0;
	int err;

	for (__u32 i = 0; i < o->rows; i++) {
		struct sl_migrate a = {
			.kind = o->kind, .from = i, .to = i,
			.ncpus = libbpf_num_possible_cpus(),
		};
		LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &a,
			    .ctx_size_in = sizeof(a));

		if (o->kind == SL_MIGRATE_COUNTERS)
			a.to = sl_stats_index(i / o->width, i % o->width);
		err = bpf_prog_test_run_opts(prog, &run);
		if (err || run.retval) {
			err = err ? -errno : -EIO;
			log_warn("%s: moving row %u of %s into %s failed: %s (%llu packets moved; the rest moves at the next start)",
				 ifc->name, i, o->name, o->into,
				 strerror(-err), (unsigned long long)packets);
			return err;
		}
		packets += a.packets;
	}
	if (unlinkat(ifc->dir_fd, o->name, 0)) {
		err = -errno;
		log_warn("%s: cannot remove the pin of %s: %s (it is empty now)",
			 ifc->name, o->name, strerror(-err));
		return err;
	}
	log_info("%s: the first release's %s moved into %s (%llu %s in %u rows) and unpinned",
		 ifc->name, o->name, o->into, (unsigned long long)packets,
		 o->kind == SL_MIGRATE_COUNTERS ? "packets" : "events",
		 o->rows);
	return 0;
}

/* The first release sized sl_stats and sl_events by its enums: if the
 * pins hold them, move their counts into sl_counters and sl_evcount.
 * Runs after the switch, so the old program has stopped counting into
 * them and the new one counts into ours; a failure only leaves them for
 * the next start. */
void migrate_counters(struct sl_iface *ifc)
{
	struct old_map old[] = {
		{ SL_MAP_OLD_STATS, SL_MIGRATE_COUNTERS,
		  sizeof(struct sl_counter), SL_MAP_COUNTERS, -1, 0, 0 },
		{ SL_MAP_OLD_EVENTS, SL_MIGRATE_EVENTS, sizeof(__u64),
		  SL_MAP_EVCOUNT, -1, 0, 0 },
	};
	struct sluice_migrate *mg = NULL;
	int err = 0;

	for (int i = 0; i < 2 && !err; i++)
		err = migrate_open(ifc, &old[i]);
	if (err || (old[0].fd < 0 && old[1].fd < 0))
		goto out;
	mg = sluice_migrate__open();
	err = mg ? 0 : -errno;
	if (!err)
		err = bpf_map__reuse_fd(mg->maps.sl_counters,
					bpf_map__fd(ifc->skel->maps.sl_counters));
	if (!err)
		err = bpf_map__reuse_fd(mg->maps.sl_evcount,
					bpf_map__fd(ifc->skel->maps.sl_evcount));
	if (!err && old[0].fd >= 0)
		err = bpf_map__reuse_fd(mg->maps.sl_stats, old[0].fd);
	if (!err && old[1].fd >= 0)
		err = bpf_map__reuse_fd(mg->maps.sl_events, old[1].fd);
	if (!err)
		err = sluice_migrate__load(mg);
	if (err) {
		log_warn("%s: cannot load the program that moves the first release's counters: %s (they stay pinned; sluiced tries again at the next start)",
			 ifc->name, strerror(-err));
		goto out;
	}
	migrate_quiesce(ifc);
	for (int i = 0; i < 2; i++)
		if (old[i].fd >= 0 && migrate_rows(ifc, mg, &old[i]))
			break;
out:
	sluice_migrate__destroy(mg);
	for (int i = 0; i < 2; i++)
		if (old[i].fd >= 0)
			close(old[i].fd);
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/pins.h"
#include "kern/layout.h"
#include "kern/migrate.h"
#include "common/log.h"
#include "common/proto.h"
#include "sluice_abi_check.h"
#include "sluice_xdp.skel.h"

_Static_assert(sizeof(struct sl_tier_name) == CFG_NAME_MAX,
	       "sl_tier_names changed layout: it holds state");
_Static_assert(sizeof(struct sl_svc_name) == SL_SVC_NAME_MAX,
	       "sl_svc_names changed layout: it holds state");

#define PINS_TMP_SUFFIX	"~new"	/* bpffs allows no dot in a name */

#define INCOMPAT_HINT							\
	"refusing to start, the pins are left as they are; go back to the "	\
	"sluiced that made them, or drop them with `sluiced --detach -c FILE` "	\
	"(per-client buckets and counters are lost) and start again"

int pins_path(char *buf, const char *ifname, const char *file)
{
	int n = snprintf(buf, PINS_PATH_MAX, "%s/%s%s%s", SL_PIN_ROOT, ifname,
			 file ? "/" : "", file ? file : "");

	return n >= PINS_PATH_MAX ? -ENAMETOOLONG : 0;
}

int pins_unpin(const char *ifname)
{
	char dir[PINS_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0;

	pins_path(dir, ifname, NULL);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) && !err) {
			err = -errno;
			log_err("%s: cannot remove pin %s/%s: %s", ifname, dir,
				de->d_name, strerror(-err));
		}
	}
	closedir(d);
	if (rmdir(dir) && !err) {
		err = -errno;
		log_err("%s: cannot remove %s: %s", ifname, dir, strerror(-err));
	}
	rmdir(SL_PIN_ROOT);	/* only succeeds when empty, as it should */
	return err;
}

int pins_trylock(const char *ifname)
{
	char dir[PINS_PATH_MAX];
	int fd, err;

	err = pins_path(dir, ifname, NULL);
	if (err)
		return err;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return err;
	}
	return fd;
}

int pins_lock(struct sl_iface *ifc)
{
	char dir[PINS_PATH_MAX];
	int err;

	err = pins_path(dir, ifc->name, NULL);
	if (err)
		return err;
	if (mkdir(SL_PIN_ROOT, 0700) && errno != EEXIST) {
		err = -errno;
		log_err("cannot create %s: %s", SL_PIN_ROOT, strerror(-err));
		return err;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		log_err("%s: cannot create %s: %s", ifc->name, dir, strerror(-err));
		return err;
	}
	ifc->dir_fd = pins_trylock(ifc->name);
	if (ifc->dir_fd >= 0)
		return 0;
	err = ifc->dir_fd;
	if (err == -EBUSY)
		log_err("%s: another sluiced manages this interface (it holds %s): stop it first, or talk to it with sluicectl",
			ifc->name, dir);
	else
		log_err("%s: cannot lock %s: %s", ifc->name, dir, strerror(-err));
	return err;
}

/* Is `name` a pin this sluiced knows (its maps, its own, the first
 * release's it migrates)? */
static bool pins_known(struct sl_iface *ifc, const char *name)
{
	static const char *const own[] = {
		SL_MAP_TIER_NAMES, SL_MAP_SVC_NAMES, SL_PIN_LINK, SL_PIN_TC_LINK,
		SL_PIN_EGRESS_LINK, SL_MAP_OLD_STATS, SL_MAP_OLD_EVENTS,
	};

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (!strcmp(name, own[i]))
			return true;
	return bpf_object__find_map_by_name(ifc->skel->obj, name);
}

/* A temporary pin of pins_replace: under the lock, one left by a start
 * that died before its rename. */
static bool pins_stale(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && !strcmp(name + n - 4, PINS_TMP_SUFFIX);
}

/* Entries in the pin directory (0: a fresh start); those this sluiced
 * does not know are named in the log and left alone. */
static int pins_count(struct sl_iface *ifc)
{
	struct dirent *de;
	int n = 0, fd;
	DIR *d;

	fd = dup(ifc->dir_fd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (pins_stale(de->d_name)) {
			unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		n++;
		if (!pins_known(ifc, de->d_name))
			log_info("%s: pin %s is none of this sluiced's (a newer one's?): left as it is",
				 ifc->name, de->d_name);
	}
	closedir(d);
	return n;
}

int pins_open(struct sl_iface *ifc, const char *name)
{
	char path[PINS_PATH_MAX];
	int fd, err;

	err = pins_path(path, ifc->name, name);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd >= 0 || errno == ENOENT)
		return fd >= 0 ? fd : -ENOENT;
	err = -errno;
	log_err("%s: cannot open pin %s: %s", ifc->name, path, strerror(-err));
	return err;
}

/* ---- adopting -------------------------------------------------------------- */

/* The schema version of the pins, from the first word of the pinned
 * sl_global whatever its size; 0 means the daemon that made the pins
 * died before it wrote any config (fine to adopt). */
static int pins_check_version(struct sl_iface *ifc)
{
	struct map_layout l;
	__u32 zero = 0, version;
	void *val = NULL;
	int fd, err;

	fd = pins_open(ifc, SL_MAP_GLOBAL);
	if (fd == -ENOENT) {
		log_err("%s: %s/%s/ holds pins but no %s, so their schema is unknown: "
			INCOMPAT_HINT, ifc->name, SL_PIN_ROOT, ifc->name,
			SL_MAP_GLOBAL);
		return -EPROTO;
	}
	if (fd < 0)
		return fd;
	err = layout_read(ifc->name, fd, SL_MAP_GLOBAL, &l);
	if (err)
		goto out;
	if (l.type != BPF_MAP_TYPE_ARRAY || l.key != 4 || l.value < 4 ||
	    !l.entries) {
		log_err("%s: the pinned %s is not sluice's (an array of at least one 4-byte word), so the schema is unknown: "
			INCOMPAT_HINT, ifc->name, SL_MAP_GLOBAL);
		err = -EPROTO;
		goto out;
	}
	val = calloc(1, l.value);
	if (!val) {
		err = -ENOMEM;
		goto out;
	}
	if (bpf_map_lookup_elem(fd, &zero, val)) {
		err = -errno;
		log_err("%s: cannot read the pinned %s: %s", ifc->name,
			SL_MAP_GLOBAL, strerror(-err));
		goto out;
	}
	memcpy(&version, val, sizeof(version));
	if (version && version != SL_ABI_VERSION) {
		log_err("%s: pinned state has schema version %u, this sluiced speaks %u: "
			INCOMPAT_HINT, ifc->name, version, SL_ABI_VERSION);
		err = -EPROTO;
	}
out:
	free(val);
	close(fd);
	return err;
}

enum pins_fate {
	FATE_NEW = 0,	/* no pin: created at load, pinned after it */
	FATE_REUSE,	/* the pinned map, as it is */
	FATE_RENEW,	/* pinned with another layout: recreated */
};

struct pins_plan {
	struct bpf_map *map;
	int fd;		/* the pin, while deciding */
	enum pins_fate fate;
	char diff[160];	/* RENEW: how the pin differs */
};

/* Maps made by sluiced, not by the object: names by id (tiers,
 * services), state maps like the program's. */
struct names_map {
	const char *name;
	struct map_layout layout;
	const char *lost;	/* what a missing pin means, for the log */
	bool warn;		/* a warning, not news: every sluiced made it */
};

static const struct names_map tier_names_map = {
	SL_MAP_TIER_NAMES,
	{ BPF_MAP_TYPE_ARRAY, 4, sizeof(struct sl_tier_name), 0, SL_MAX_TIERS },
	"tier ids are assigned anew", true,
};

static const struct names_map svc_names_map = {
	SL_MAP_SVC_NAMES,
	{ BPF_MAP_TYPE_ARRAY, 4, sizeof(struct sl_svc_name), 0, SL_MAX_SERVICES },
	"service ids are assigned anew (pins of a sluiced without services?)",
	false,
};

static int pins_names_check(struct sl_iface *ifc, int fd,
			    const struct names_map *nm)
{
	struct map_layout have;
	char diff[160];
	int err;

	err = layout_read(ifc->name, fd, nm->name, &have);
	if (err || !memcmp(&have, &nm->layout, sizeof(have)))
		return err;
	log_err("%s: pinned map %s holds %s and has %s: its state cannot be carried over; "
		INCOMPAT_HINT, ifc->name, nm->name, map_class_of(nm->name)->holds,
		layout_diff(&have, &nm->layout, diff, sizeof(diff)));
	return -EPROTO;
}

/* Before load: a pinned names map of another layout is refused. */
static int pins_names_verify(struct sl_iface *ifc, const struct names_map *nm)
{
	int fd = pins_open(ifc, nm->name), err = 0;

	if (fd >= 0) {
		err = pins_names_check(ifc, fd, nm);
		close(fd);
	} else if (fd != -ENOENT) {
		err = fd;
	}
	return err;
}

/* What to do with the pin of `m` (plan->fd keeps it open); nothing is
 * logged but a refusal until every map is decided. */
static int pins_plan_map(struct sl_iface *ifc, struct bpf_map *m,
			 struct pins_plan *p)
{
	const char *name = bpf_map__name(m);
	const struct map_class *c = map_class_of(name);
	struct map_layout have, want;
	int err;

	*p = (struct pins_plan){ .map = m, .fd = -1, .fate = FATE_NEW };
	p->fd = pins_open(ifc, name);
	if (p->fd == -ENOENT) {
		p->fd = -1;
		return 0;
	}
	if (p->fd < 0)
		return p->fd;
	err = layout_read(ifc->name, p->fd, name, &have);
	if (err)
		return err;
	layout_of_map(m, &want);
	/* The client table keeps the size it has: config can only ask. */
	if (m == ifc->skel->maps.sl_clients && have.entries != want.entries) {
		want.entries = have.entries;
		if (!memcmp(&have, &want, sizeof(have))) {
			log_warn("%s: the pinned client table has %u entries, the config asks for %u: keeping %u so no client state is lost; to resize, run `sluiced --detach` and start again (drops per-client state)",
				 ifc->name, have.entries,
				 bpf_map__max_entries(m), have.entries);
			err = bpf_map__set_max_entries(m, have.entries);
			if (err)
				return err;
		}
	}
	if (!memcmp(&have, &want, sizeof(have))) {
		p->fate = FATE_REUSE;
		return 0;
	}
	layout_diff(&have, &want, p->diff, sizeof(p->diff));
	if (c->kind == MAP_STATE) {
		log_err("%s: pinned map %s holds %s and has %s: its state cannot be carried over; "
			INCOMPAT_HINT, ifc->name, name, c->holds, p->diff);
		return -EPROTO;
	}
	p->fate = FATE_RENEW;
	return 0;
}

static struct pins_plan *plan_of(struct pins_plan *plan, int n,
				 const struct bpf_map *m)
{
	for (int i = 0; i < n; i++)
		if (plan[i].map == m)
			return &plan[i];
	return NULL;
}

/* sl_global selects the live half of sl_tiers: the two are one table,
 * made anew together (a fresh sl_global tells apply to write every tier
 * anew rather than compare with an empty half). */
static void pins_plan_tiers(struct sl_iface *ifc, struct pins_plan *plan,
			    int n)
{
	struct pins_plan *g = plan_of(plan, n, ifc->skel->maps.sl_global);
	struct pins_plan *t = plan_of(plan, n, ifc->skel->maps.sl_tiers);
	struct pins_plan *other;

	if (!g || !t || (g->fate == FATE_REUSE) == (t->fate == FATE_REUSE))
		return;
	other = g->fate == FATE_REUSE ? g : t;
	other->fate = FATE_RENEW;
	snprintf(other->diff, sizeof(other->diff),
		 "to be made anew with %s (one double-buffered tier table)",
		 other == g ? SL_MAP_TIERS : SL_MAP_GLOBAL);
}

/* Carry out a plan: reuse the pin, or note a map made anew. */
static int pins_plan_do(struct sl_iface *ifc, const struct pins_plan *p)
{
	const char *name = bpf_map__name(p->map);
	const struct map_class *c = map_class_of(name);
	int err;

	switch (p->fate) {
	case FATE_REUSE:
		err = bpf_map__reuse_fd(p->map, p->fd);
		if (err)
			log_err("%s: cannot reuse pinned map %s: %s", ifc->name,
				name, strerror(-err));
		return err;
	case FATE_NEW:
		log_info("%s: no pinned %s (%s): created empty", ifc->name,
			 name, c->holds);
		return 0;
	case FATE_RENEW:
		if (ifc->nrenew == SL_IFACE_RENEW_MAX)
			return -E2BIG;
		ifc->renew[ifc->nrenew++] = p->map;
		log_info("%s: pinned map %s (%s, %s) has %s: a new one is made%s and replaces the pin once the new program runs",
			 ifc->name, name, c->holds,
			 c->kind == MAP_CONFIG ? "config" : "a cache", p->diff,
			 c->kind == MAP_CONFIG ? ", written from the config," : "");
		return 0;
	}
	return -EINVAL;
}

int pins_reuse(struct sl_iface *ifc)
{
	struct pins_plan plan[64];
	struct bpf_map *m;
	int n = 0, pins, err;

	pins = pins_count(ifc);
	if (pins < 0)
		return pins;
	ifc->created = !pins;
	if (!pins)
		return 0;
	ifc->adopted = true;
	err = pins_check_version(ifc);
	if (err)
		return err;
	/* Decide for every map before reusing any: a reused fd cannot be
	 * given back when a later map turns out to need its partner anew. */
	bpf_object__for_each_map(m, ifc->skel->obj) {
		if (bpf_map__is_internal(m))
			continue;
		if (n == (int)(sizeof(plan) / sizeof(plan[0]))) {
			err = -E2BIG;
			goto out;
		}
		err = pins_plan_map(ifc, m, &plan[n++]);
		if (err)
			goto out;
	}
	err = pins_names_verify(ifc, &tier_names_map);
	if (!err)
		err = pins_names_verify(ifc, &svc_names_map);
	if (err)
		goto out;
	pins_plan_tiers(ifc, plan, n);
	for (int i = 0; i < n && !err; i++)
		err = pins_plan_do(ifc, &plan[i]);
out:
	for (int i = 0; i < n; i++)
		if (plan[i].fd >= 0)
			close(plan[i].fd);
	return err;
}

static bool pins_renewed(const struct sl_iface *ifc, const struct bpf_map *m)
{
	for (int i = 0; i < ifc->nrenew; i++)
		if (ifc->renew[i] == m)
			return true;
	return false;
}

static int pins_pin_fd(struct sl_iface *ifc, int fd, const char *name)
{
	char path[PINS_PATH_MAX];
	int err;

	err = pins_path(path, ifc->name, name);
	if (err)
		return err;
	if (bpf_obj_pin(fd, path) == 0)
		return 0;
	err = -errno;
	if (err == -EEXIST)	/* ours already: we reused it */
		return 0;
	log_err("%s: cannot pin %s at %s: %s", ifc->name, name, path,
		strerror(-err));
	return err;
}

int pins_pin(struct sl_iface *ifc)
{
	struct bpf_map *g = ifc->skel->maps.sl_global, *m;
	int err = 0;

	if (!pins_renewed(ifc, g))
		err = pins_pin_fd(ifc, bpf_map__fd(g), SL_MAP_GLOBAL);
	bpf_object__for_each_map(m, ifc->skel->obj) {
		if (err)
			break;
		if (!bpf_map__is_internal(m) && !pins_renewed(ifc, m))
			err = pins_pin_fd(ifc, bpf_map__fd(m), bpf_map__name(m));
	}
	return err;
}

/* Open the pinned names map `nm` or make and pin it: its fd or -errno. */
static int pins_names_make(struct sl_iface *ifc, const struct names_map *nm)
{
	int fd = pins_open(ifc, nm->name), err;

	if (fd >= 0) {
		err = pins_names_check(ifc, fd, nm);
		goto out;
	}
	if (fd != -ENOENT)
		return fd;
	if (ifc->adopted && nm->warn)
		log_warn("%s: %s is missing: %s", ifc->name, nm->name, nm->lost);
	else if (ifc->adopted)
		log_info("%s: %s is missing: %s", ifc->name, nm->name, nm->lost);
	fd = bpf_map_create(nm->layout.type, nm->name, nm->layout.key,
			    nm->layout.value, nm->layout.entries, NULL);
	if (fd < 0) {
		err = -errno;
		log_err("%s: cannot create %s: %s", ifc->name, nm->name,
			strerror(-err));
		return err;
	}
	err = pins_pin_fd(ifc, fd, nm->name);
out:
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int pins_names_open(struct sl_iface *ifc)
{
	struct sl_tier_name tn;
	struct sl_svc_name sn;

	ifc->names_fd = pins_names_make(ifc, &tier_names_map);
	if (ifc->names_fd < 0)
		return ifc->names_fd;
	ifc->svc_names_fd = pins_names_make(ifc, &svc_names_map);
	if (ifc->svc_names_fd < 0)
		return ifc->svc_names_fd;
	for (__u32 id = 0; id < SL_MAX_TIERS; id++) {
		if (bpf_map_lookup_elem(ifc->names_fd, &id, &tn))
			return -errno;
		tn.name[CFG_NAME_MAX - 1] = '\0';
		memcpy(ifc->tier_names[id], tn.name, CFG_NAME_MAX);
	}
	for (__u32 id = 0; id < SL_MAX_SERVICES; id++) {
		if (bpf_map_lookup_elem(ifc->svc_names_fd, &id, &sn))
			return -errno;
		sn.name[SL_SVC_NAME_MAX - 1] = '\0';
		memcpy(ifc->svc_names[id], sn.name, SL_SVC_NAME_MAX);
	}
	return 0;
}

/* ---- after the switch ------------------------------------------------------- */

/* Pin a recreated map over the old pin: pinned under a temporary name,
 * then renamed, so the directory always holds one map of that name. */
static int pins_replace(struct sl_iface *ifc, struct bpf_map *m)
{
	char tmp[PINS_PATH_MAX + 8], path[PINS_PATH_MAX];
	const char *name = bpf_map__name(m);
	int err;

	err = pins_path(path, ifc->name, name);
	if (err)
		return err;
	snprintf(tmp, sizeof(tmp), "%s" PINS_TMP_SUFFIX, path);
	if (bpf_obj_pin(bpf_map__fd(m), tmp) || rename(tmp, path)) {
		err = -errno;
		log_err("%s: cannot pin the new %s over %s: %s (the program uses the new one; the next start makes it again)",
			ifc->name, name, path, strerror(-err));
		unlink(tmp);
		return err;
	}
	log_info("%s: %s replaced by one of the new layout", ifc->name, name);
	return 0;
}

int pins_commit(struct sl_iface *ifc)
{
	int err = 0;

	for (int i = 0; i < ifc->nrenew && !err; i++)
		err = pins_replace(ifc, ifc->renew[i]);
	ifc->nrenew = 0;
	if (!err && ifc->adopted)
		migrate_counters(ifc);
	return err;
}

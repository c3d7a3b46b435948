// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/loader.h"
#include "common/log.h"
#include "common/proto.h"
#include "sluice_xdp.skel.h"

#define BPFFS		"/sys/fs/bpf"
#define PATH_LEN	256

#define INCOMPAT_HINT							\
	"the pins were made by an incompatible sluice; remove them with "	\
	"`sluiced --detach -c FILE` (per-client buckets and counters are "	\
	"lost) or go back to the sluiced that made them"

int loader_bpffs(void)
{
	struct statfs st;
	int err;

	if (statfs(BPFFS, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700")) {
		err = -errno;
		log_err("%s is not a bpffs and mounting one failed: %s (mount it with: mount -t bpf bpf %s)",
			BPFFS, strerror(-err), BPFFS);
		return err;
	}
	log_info("mounted a bpffs on %s", BPFFS);
	return 0;
}

static int pin_path(char *buf, const char *ifname, const char *file)
{
	int n = snprintf(buf, PATH_LEN, "%s/%s%s%s", SL_PIN_ROOT, ifname,
			 file ? "/" : "", file ? file : "");

	return n >= PATH_LEN ? -ENAMETOOLONG : 0;
}

/* Remove every pin of the interface and its directory (and the root
 * when it is left empty). */
static int loader_unpin(const char *ifname)
{
	char dir[PATH_LEN];
	struct dirent *de;
	DIR *d;
	int err = 0;

	pin_path(dir, ifname, NULL);
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

/* Create the pin directory if needed and lock it: two daemons must
 * never write one interface's maps. */
static int loader_lock(struct sl_iface *ifc)
{
	char dir[PATH_LEN];
	int err;

	err = pin_path(dir, ifc->name, NULL);
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
	ifc->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ifc->dir_fd < 0) {
		err = -errno;
		log_err("%s: cannot open %s: %s", ifc->name, dir, strerror(-err));
		return err;
	}
	if (flock(ifc->dir_fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		log_err("%s: another sluiced manages this interface (it holds %s): stop it first, or talk to it with sluicectl",
			ifc->name, dir);
		return err;
	}
	return 0;
}

/* Entries in the pin directory (0: a fresh start). */
static int loader_pin_count(struct sl_iface *ifc)
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
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/* bpf_map_info or bpf_link_info of an fd. */
static int obj_info(int fd, void *info, __u32 len)
{
	memset(info, 0, len);
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

/* Reuse the pinned copy of `m` if there is one and it has the layout
 * this binary expects.  *found says whether there was one. */
static int loader_reuse_map(struct sl_iface *ifc, struct bpf_map *m,
			    bool *found)
{
	const char *name = bpf_map__name(m);
	struct bpf_map_info info;
	char path[PATH_LEN];
	int fd, err;

	*found = false;
	err = pin_path(path, ifc->name, name);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			return 0;
		log_err("%s: cannot open pinned map %s: %s", ifc->name, path,
			strerror(-err));
		return err;
	}
	err = obj_info(fd, &info, sizeof(info));
	if (err) {
		log_err("%s: cannot read pinned map %s: %s", ifc->name, path,
			strerror(-err));
		goto out;
	}
	if (info.type != bpf_map__type(m) ||
	    info.key_size != bpf_map__key_size(m) ||
	    info.value_size != bpf_map__value_size(m) ||
	    info.map_flags != bpf_map__map_flags(m)) {
		log_err("%s: pinned map %s has type %u, key %u B, value %u B, flags %#x; this sluiced expects type %u, key %u B, value %u B, flags %#x: "
			INCOMPAT_HINT, ifc->name, path, info.type,
			info.key_size, info.value_size, info.map_flags,
			bpf_map__type(m), bpf_map__key_size(m),
			bpf_map__value_size(m), bpf_map__map_flags(m));
		err = -EPROTO;
		goto out;
	}
	if (info.max_entries != bpf_map__max_entries(m)) {
		if (m != ifc->skel->maps.sl_clients) {
			log_err("%s: pinned map %s has %u entries, this sluiced expects %u: "
				INCOMPAT_HINT, ifc->name, path,
				info.max_entries, bpf_map__max_entries(m));
			err = -EPROTO;
			goto out;
		}
		log_warn("%s: the pinned client table has %u entries, the config asks for %u: keeping %u so no client state is lost; to resize, run `sluiced --detach` and start again (drops per-client state)",
			 ifc->name, info.max_entries, bpf_map__max_entries(m),
			 info.max_entries);
		err = bpf_map__set_max_entries(m, info.max_entries);
		if (err)
			goto out;
	}
	err = bpf_map__reuse_fd(m, fd);
	if (err) {
		log_err("%s: cannot reuse pinned map %s: %s", ifc->name, path,
			strerror(-err));
		goto out;
	}
	*found = true;
out:
	close(fd);
	return err;
}

/* The schema version in the pinned sl_global; 0 means the daemon that
 * made the pins died before it wrote any config (fine to adopt). */
static int loader_check_abi(struct sl_iface *ifc)
{
	struct sl_global g;
	__u32 zero = 0;
	int err;

	if (bpf_map_lookup_elem(bpf_map__fd(ifc->skel->maps.sl_global), &zero,
				&g)) {
		err = -errno;
		log_err("%s: cannot read the pinned %s: %s", ifc->name,
			SL_MAP_GLOBAL, strerror(-err));
		return err;
	}
	if (g.abi_version && g.abi_version != SL_ABI_VERSION) {
		log_err("%s: pinned state has schema version %u, this sluiced speaks %u: "
			INCOMPAT_HINT, ifc->name, g.abi_version, SL_ABI_VERSION);
		return -EPROTO;
	}
	return 0;
}

/* Open every pinned map the object defines.  Returns the number reused. */
static int loader_reuse_pins(struct sl_iface *ifc)
{
	struct bpf_map *m;
	int reused = 0, err;
	bool found;

	err = loader_reuse_map(ifc, ifc->skel->maps.sl_global, &found);
	if (err)
		return err;
	if (!found) {
		log_err("%s: %s/%s/ holds pins but no %s, so their schema is unknown: "
			INCOMPAT_HINT, ifc->name, SL_PIN_ROOT, ifc->name,
			SL_MAP_GLOBAL);
		return -EPROTO;
	}
	bpf_object__for_each_map(m, ifc->skel->obj) {
		if (bpf_map__is_internal(m) || m == ifc->skel->maps.sl_global)
			continue;
		err = loader_reuse_map(ifc, m, &found);
		if (err)
			return err;
		if (found)
			reused++;
		else
			log_warn("%s: pinned map %s is missing: created empty",
				 ifc->name, bpf_map__name(m));
	}
	return reused + 1;
}

static int loader_pin_map(struct sl_iface *ifc, int fd, const char *name)
{
	char path[PATH_LEN];
	int err;

	err = pin_path(path, ifc->name, name);
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

/* Pin the maps that are not pinned yet; sl_global first, so a directory
 * with any map in it also says which schema it holds. */
static int loader_pin_maps(struct sl_iface *ifc)
{
	struct bpf_map *m;
	int err;

	err = loader_pin_map(ifc, bpf_map__fd(ifc->skel->maps.sl_global),
			     SL_MAP_GLOBAL);
	if (err)
		return err;
	bpf_object__for_each_map(m, ifc->skel->obj) {
		if (bpf_map__is_internal(m))
			continue;
		err = loader_pin_map(ifc, bpf_map__fd(m), bpf_map__name(m));
		if (err)
			return err;
	}
	return 0;
}

/* sl_tier_names: open the pinned one or make it; read it into
 * ifc->tier_names. */
static int loader_names_open(struct sl_iface *ifc)
{
	struct sl_tier_name tn;
	struct bpf_map_info info;
	char path[PATH_LEN];
	int err;

	err = pin_path(path, ifc->name, SL_MAP_TIER_NAMES);
	if (err)
		return err;
	ifc->names_fd = bpf_obj_get(path);
	if (ifc->names_fd >= 0) {
		err = obj_info(ifc->names_fd, &info, sizeof(info));
		if (err)
			return err;
		if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != 4 ||
		    info.value_size != sizeof(tn) ||
		    info.max_entries != SL_MAX_TIERS) {
			log_err("%s: pinned map %s has an unexpected layout: "
				INCOMPAT_HINT, ifc->name, path);
			return -EPROTO;
		}
	} else {
		if (errno != ENOENT) {
			err = -errno;
			log_err("%s: cannot open %s: %s", ifc->name, path,
				strerror(-err));
			return err;
		}
		if (ifc->adopted)
			log_warn("%s: %s is missing: tier ids are assigned anew",
				 ifc->name, SL_MAP_TIER_NAMES);
		ifc->names_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY,
					       SL_MAP_TIER_NAMES, 4, sizeof(tn),
					       SL_MAX_TIERS, NULL);
		if (ifc->names_fd < 0) {
			err = -errno;
			log_err("%s: cannot create %s: %s", ifc->name,
				SL_MAP_TIER_NAMES, strerror(-err));
			return err;
		}
		err = loader_pin_map(ifc, ifc->names_fd, SL_MAP_TIER_NAMES);
		if (err)
			return err;
	}
	for (__u32 id = 0; id < SL_MAX_TIERS; id++) {
		if (bpf_map_lookup_elem(ifc->names_fd, &id, &tn))
			return -errno;
		tn.name[CFG_NAME_MAX - 1] = '\0';
		memcpy(ifc->tier_names[id], tn.name, CFG_NAME_MAX);
	}
	return 0;
}

int loader_open(struct sl_iface *ifc, const struct cfg_iface *ci,
		uint32_t clients)
{
	int err, pins;

	memset(ifc, 0, sizeof(*ifc));
	ifc->dir_fd = ifc->link_fd = ifc->names_fd = -1;
	snprintf(ifc->name, sizeof(ifc->name), "%s", ci->name);
	ifc->attach = ci->attach;
	ifc->ifindex = if_nametoindex(ci->name);
	if (!ifc->ifindex) {
		err = -errno;
		log_err("%s: no such interface in this network namespace (%s): check `interfaces` in the config",
			ci->name, strerror(-err));
		return err;
	}
	err = stats_init(&ifc->stats);
	if (err)
		goto fail;
	err = loader_lock(ifc);
	if (err)
		goto fail;

	ifc->skel = sluice_xdp__open();
	if (!ifc->skel) {
		err = -errno;
		log_err("%s: cannot open the BPF object: %s", ci->name,
			strerror(-err));
		goto fail;
	}
	err = bpf_map__set_max_entries(ifc->skel->maps.sl_clients, clients);
	if (err)
		goto fail;

	pins = loader_pin_count(ifc);
	if (pins < 0) {
		err = pins;
		goto fail;
	}
	ifc->created = !pins;
	if (pins) {
		err = loader_reuse_pins(ifc);
		if (err < 0)
			goto fail;
		ifc->adopted = true;
		err = loader_check_abi(ifc);
		if (err)
			goto fail;
	}

	err = sluice_xdp__load(ifc->skel);
	if (err) {
		log_err("%s: loading the XDP program failed: %s (run with -v for the verifier log)",
			ci->name, strerror(-err));
		goto fail;
	}
	ifc->clients = bpf_map__max_entries(ifc->skel->maps.sl_clients);
	err = loader_pin_maps(ifc);
	if (err)
		goto fail;
	err = loader_names_open(ifc);
	if (err)
		goto fail;
	log_dbg("%s: %s maps under %s/%s/ (client table %u entries)",
		ci->name, ifc->adopted ? "adopted the pinned" : "pinned new",
		SL_PIN_ROOT, ci->name, ifc->clients);
	return 0;
fail:
	if (ifc->created)
		loader_unpin(ifc->name);
	loader_close(ifc);
	return err;
}

/* The pinned link, if it still drives this interface: swap our program
 * in (same maps, possibly newer code).  -ESTALE when it does not. */
static int loader_adopt_link(struct sl_iface *ifc, int fd, int prog_fd)
{
	struct bpf_link_info info;
	int err;

	err = obj_info(fd, &info, sizeof(info));
	if (err)
		return err;
	if (info.type != BPF_LINK_TYPE_XDP ||
	    info.xdp.ifindex != (__u32)ifc->ifindex)
		return -ESTALE;
	if (bpf_link_update(fd, prog_fd, NULL)) {
		err = -errno;
		log_err("%s: cannot swap the new program into the pinned link: %s",
			ifc->name, strerror(-err));
		return err;
	}
	return 0;
}

/* Who holds the interface's XDP hook, for the error message. */
static __u32 loader_xdp_owner(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	return q.prog_id ? q.prog_id : q.drv_prog_id ? q.drv_prog_id :
	       q.skb_prog_id;
}

static int loader_link_create(struct sl_iface *ifc, int prog_fd)
{
	LIBBPF_OPTS(bpf_link_create_opts, o);
	int err;

	if (ifc->attach != CFG_ATTACH_GENERIC) {
		o.flags = XDP_FLAGS_DRV_MODE;
		ifc->link_fd = bpf_link_create(prog_fd, ifc->ifindex, BPF_XDP, &o);
		if (ifc->link_fd >= 0)
			return 0;
		err = -errno;
		if (err == -EBUSY || err == -EEXIST || ifc->attach == CFG_ATTACH_NATIVE)
			goto fail;
		log_warn("%s: native XDP failed (%s): falling back to generic XDP, which is slower (the driver may lack XDP support; set attach: generic to silence this)",
			 ifc->name, strerror(-err));
	}
	o.flags = XDP_FLAGS_SKB_MODE;
	ifc->link_fd = bpf_link_create(prog_fd, ifc->ifindex, BPF_XDP, &o);
	if (ifc->link_fd >= 0)
		return 0;
	err = -errno;
fail:
	if (err == -EBUSY || err == -EEXIST)
		log_err("%s: another XDP program (id %u) is attached and sluiced will not replace it: remove it (ip link set dev %s xdp off, or xdpgeneric off) or configure another interface",
			ifc->name, loader_xdp_owner(ifc->ifindex), ifc->name);
	else if (err == -EOPNOTSUPP && o.flags == XDP_FLAGS_DRV_MODE)
		log_err("%s: the driver has no native XDP (%s): set attach: auto or generic",
			ifc->name, strerror(-err));
	else
		log_err("%s: attaching XDP (%s) failed: %s", ifc->name,
			o.flags == XDP_FLAGS_SKB_MODE ? "generic" : "native",
			strerror(-err));
	return err;
}

int loader_attach(struct sl_iface *ifc)
{
	int prog_fd = bpf_program__fd(ifc->skel->progs.sluice_xdp);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_link_info info;
	char path[PATH_LEN];
	int fd, err;

	err = pin_path(path, ifc->name, SL_PIN_LINK);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		err = loader_adopt_link(ifc, fd, prog_fd);
		if (!err) {
			ifc->link_fd = fd;
			goto ids;
		}
		close(fd);
		if (err != -ESTALE)
			return err;
		log_warn("%s: the pinned link no longer drives this interface (it was re-created?): attaching anew",
			 ifc->name);
		if (unlink(path)) {
			err = -errno;
			log_err("%s: cannot remove the stale link pin %s: %s",
				ifc->name, path, strerror(-err));
			return err;
		}
	} else if (errno != ENOENT) {
		err = -errno;
		log_err("%s: cannot open the pinned link %s: %s", ifc->name,
			path, strerror(-err));
		return err;
	}

	err = loader_link_create(ifc, prog_fd);
	if (err)
		return err;
	if (bpf_obj_pin(ifc->link_fd, path)) {
		err = -errno;
		log_err("%s: cannot pin the XDP link at %s: %s", ifc->name,
			path, strerror(-err));
		bpf_link_detach(ifc->link_fd);
		close(ifc->link_fd);
		ifc->link_fd = -1;
		return err;
	}
ids:
	err = obj_info(ifc->link_fd, &info, sizeof(info));
	if (err)
		return err;
	ifc->link_id = info.id;
	ifc->prog_id = info.prog_id;
	ifc->mode = LOADER_NATIVE;
	if (bpf_xdp_query(ifc->ifindex, 0, &q) == 0 &&
	    q.skb_prog_id == ifc->prog_id)
		ifc->mode = LOADER_GENERIC;
	if ((ifc->attach == CFG_ATTACH_NATIVE && ifc->mode != LOADER_NATIVE) ||
	    (ifc->attach == CFG_ATTACH_GENERIC && ifc->mode != LOADER_GENERIC))
		log_warn("%s: the adopted program runs in %s XDP, the config asks for %s: run `sluiced --detach` and start again to switch",
			 ifc->name, loader_mode_name(ifc->mode),
			 loader_mode_name(!ifc->mode));
	log_info("%s: %s XDP program %u (%s, link %u)", ifc->name,
		 ifc->adopted ? "adopted state, running" : "attached",
		 ifc->prog_id, loader_mode_name(ifc->mode), ifc->link_id);
	return 0;
}

void loader_close(struct sl_iface *ifc)
{
	/* The skeleton holds no links (we attach by hand), so destroying
	 * it only closes fds: pins keep maps and link alive. */
	sluice_xdp__destroy(ifc->skel);
	ifc->skel = NULL;
	if (ifc->link_fd >= 0)
		close(ifc->link_fd);
	if (ifc->names_fd >= 0)
		close(ifc->names_fd);
	if (ifc->dir_fd >= 0)
		close(ifc->dir_fd);	/* drops the lock */
	ifc->link_fd = ifc->names_fd = ifc->dir_fd = -1;
	stats_free(&ifc->stats);
}

static int loader_link_detach(const char *ifname, int fd)
{
	int err;

	if (!bpf_link_detach(fd) || errno == ENOLINK)
		return 0;
	err = -errno;
	log_err("%s: cannot detach the XDP link: %s", ifname, strerror(-err));
	return err;
}

int loader_detach(struct sl_iface *ifc)
{
	int err = 0, e;

	if (ifc->link_fd >= 0)
		err = loader_link_detach(ifc->name, ifc->link_fd);
	e = loader_unpin(ifc->name);
	if (!err)
		err = e;
	if (!err)
		log_info("%s: %s", ifc->name, ifc->link_fd >= 0 ?
			 "XDP program detached, pins removed" :
			 "pins removed (nothing was attached)");
	loader_close(ifc);
	return err;
}

int loader_detach_pinned(const char *ifname)
{
	char dir[PATH_LEN], path[PATH_LEN];
	int dir_fd, fd, err = 0;

	if (pin_path(dir, ifname, NULL) || pin_path(path, ifname, SL_PIN_LINK))
		return -ENAMETOOLONG;
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return -errno;
	if (flock(dir_fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out;
	}
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		err = loader_link_detach(ifname, fd);
		close(fd);
	} else if (errno != ENOENT) {
		err = -errno;
		log_err("%s: cannot open the pinned link %s: %s", ifname, path,
			strerror(-err));
	}
	if (!err)
		err = loader_unpin(ifname);
out:
	close(dir_fd);
	return err;
}

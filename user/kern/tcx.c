// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kern/tcx.h"
#include "kern/pins.h"
#include "common/log.h"
#include "sluice_xdp.skel.h"

/* bpf_link_info of a TCX link: the common words, then its own (the
 * union is 8-byte aligned). */
struct tcx_link_info {
	__u32 type;
	__u32 id;
	__u32 prog_id;
	__u32 pad;
	__u32 ifindex;
	__u32 attach_type;
	__u8  rest[64];		/* the union's other members, unread */
};

int tcx_share_maps(struct sl_iface *ifc, struct bpf_object *obj,
		   const char *what)
{
	struct bpf_map *m, *x;
	int err;

	bpf_object__for_each_map(m, obj) {
		if (bpf_map__is_internal(m))
			continue;
		x = bpf_object__find_map_by_name(ifc->skel->obj,
						 bpf_map__name(m));
		err = x ? bpf_map__reuse_fd(m, bpf_map__fd(x)) : -ENOENT;
		if (err) {
			log_err("%s: the %s object's map %s is not the XDP object's: %s (a build mismatch: rebuild both)",
				ifc->name, what, bpf_map__name(m),
				strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Does the link still hold this interface's hook? */
static int tcx_link_ours(struct sl_iface *ifc, int fd, __u32 attach_type)
{
	struct tcx_link_info info;
	int err;

	err = loader_obj_info(fd, &info, sizeof(info));
	if (err)
		return err;
	if (info.type != BPF_LINK_TYPE_TCX ||
	    info.ifindex != (__u32)ifc->ifindex ||
	    info.attach_type != attach_type)
		return -ESTALE;
	return 0;
}

static int tcx_adopt(struct sl_iface *ifc, const struct tcx_hook *h,
		     const char *path, int prog_fd, int *out)
{
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	err = tcx_link_ours(ifc, fd, h->attach_type);
	if (!err && bpf_link_update(fd, prog_fd, NULL)) {
		err = -errno;
		log_err("%s: cannot swap the new %s program into the pinned link: %s",
			ifc->name, h->what, strerror(-err));
		close(fd);
		return err;
	}
	if (!err) {
		*out = fd;
		return 0;
	}
	close(fd);
	if (err != -ESTALE)
		return err;
	log_warn("%s: the pinned %s link no longer holds this interface (it was re-created?): attaching anew",
		 ifc->name, h->what);
	if (unlink(path))
		return -errno;
	return -ENOENT;
}

int tcx_attach(struct sl_iface *ifc, const struct tcx_hook *h, int prog_fd,
	       const struct tcx_link *l, bool *no_tcx)
{
	LIBBPF_OPTS(bpf_link_create_opts, o);
	struct tcx_link_info info;
	char path[PINS_PATH_MAX];
	int err;

	*no_tcx = false;
	err = pins_path(path, ifc->name, h->pin);
	if (err)
		return err;
	err = tcx_adopt(ifc, h, path, prog_fd, l->fd);
	if (err == -ENOENT) {
		*l->fd = bpf_link_create(prog_fd, ifc->ifindex, h->attach_type,
					 &o);
		if (*l->fd < 0) {
			err = -errno;
			*l->fd = -1;
			*no_tcx = true;
			return err;
		}
		if (bpf_obj_pin(*l->fd, path)) {
			err = -errno;
			log_err("%s: cannot pin the %s link at %s: %s",
				ifc->name, h->what, path, strerror(-err));
			bpf_link_detach(*l->fd);
			close(*l->fd);
			*l->fd = -1;
			return err;
		}
	} else if (err) {
		log_err("%s: cannot adopt the pinned %s link %s: %s",
			ifc->name, h->what, path, strerror(-err));
		return err;
	}
	err = loader_obj_info(*l->fd, &info, sizeof(info));
	if (err)
		return err;
	*l->link_id = info.id;
	*l->prog_id = info.prog_id;
	log_info("%s: %s program %u (link %u)", ifc->name, h->what,
		 *l->prog_id, *l->link_id);
	return 0;
}

bool tcx_lost(struct sl_iface *ifc, const struct tcx_hook *h,
	      const struct tcx_link *l)
{
	if (*l->fd < 0 || tcx_link_ours(ifc, *l->fd, h->attach_type) != -ESTALE)
		return false;
	log_warn("%s: the %s program was detached by someone else: attaching it again",
		 ifc->name, h->what);
	close(*l->fd);
	*l->fd = -1;
	*l->prog_id = *l->link_id = 0;
	return true;
}

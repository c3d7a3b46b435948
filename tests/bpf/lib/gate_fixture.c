// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gate_fixture.h"
#include "sluice_svc_match.h"

static int update(struct bpf_map *m, const void *k, const void *v)
{
	return bpf_map_update_elem(bpf_map__fd(m), k, v, BPF_ANY) ? -errno : 0;
}

int gate_set_service(struct xdp_fixture *fx, __u32 id, __u16 port,
		     __u8 action, __u16 reply)
{
	struct sl_service svc = { .slow_ns = 1000000000ULL,
				  .timeout_ns = 30000000000ULL,
				  .failures = SL_SVC_FAIL_DEFAULT, .port = port,
				  .priority = SL_SVC_PRIO_NORMAL,
				  .flags = SL_SVC_F_USED, .gate_reply = reply,
				  .gate_action = action };
	struct sl_svc_hit hit = { .id = id };
	int err = 0;

	for (__u32 gen = 0; gen < 2 && !err; gen++) {
		struct sl_svc_key key = { .prefixlen = SL_SVC_KEY_BASE_BITS,
					  .gen = gen, .scope = SL_SVC_SCOPE_ANY,
					  .port = htons(port) };
		__u32 word = sl_svc_port_word(gen, port), slot = sl_svc_slot(gen, id);
		__u64 bits = 0;

		bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.sl_svc_ports),
				    &word, &bits);
		bits |= (__u64)SL_SVC_PORT_ANY << sl_svc_port_shift(port);
		err = update(fx->skel->maps.sl_svc_ports, &word, &bits) ?:
		      update(fx->skel->maps.sl_svc_match, &key, &hit) ?:
		      update(fx->skel->maps.sl_services, &slot, &svc);
	}
	return err;
}

int gate_set(struct xdp_fixture *fx, __u32 id, const struct sl_svc_gate *g)
{
	return update(fx->skel->maps.sl_svc_gate, &id, g);
}

int gate_get(struct xdp_fixture *fx, __u32 id, struct sl_svc_gate *out)
{
	return bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.sl_svc_gate),
				   &id, out) ? -errno : 0;
}

int gate_stats(struct xdp_fixture *fx, __u32 id, struct sl_svc_stats *out)
{
	struct sl_svc_stats per[fx->ncpus];

	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(bpf_map__fd(fx->skel->maps.sl_svc_stats), &id,
				per))
		return -errno;
	for (int c = 0; c < fx->ncpus; c++) {
		__u64 *o = (__u64 *)out;
		const __u64 *s = (const __u64 *)&per[c];

		for (size_t i = 0; i < sizeof(*out) / sizeof(__u64); i++)
			o[i] += s[i];
	}
	return 0;
}

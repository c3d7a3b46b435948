// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "edge_fixture.h"
#include "sluice_tc.skel.h"

#define EDGE_TEST_CLIENT	1	/* bpf/lib/edge_tc.bpf.h */
#define EDGE_TEST_SERVER	2

static struct sluice_tc *edge_load(struct xdp_fixture *fx, __u32 mode)
{
	struct sluice_tc *tc = sluice_tc__open();
	int err;

	if (!tc)
		return NULL;
	tc->rodata->edge_test = mode;
	err = fixture_share_maps(tc->obj, fx) ?: sluice_tc__load(tc);
	if (err) {
		sluice_tc__destroy(tc);
		errno = -err;
		return NULL;
	}
	return tc;
}

int edge_open(struct edge_fixture *ef, struct xdp_fixture *fx)
{
	ef->client = edge_load(fx, EDGE_TEST_CLIENT);
	ef->server = ef->client ? edge_load(fx, EDGE_TEST_SERVER) : NULL;
	if (ef->server)
		return 0;
	edge_close(ef);
	return -errno;
}

void edge_close(struct edge_fixture *ef)
{
	sluice_tc__destroy(ef->client);
	sluice_tc__destroy(ef->server);
	ef->client = ef->server = NULL;
}

int edge_template(struct sl_reply *r, const char *text, __u16 status,
		  __u8 width)
{
	size_t len = strlen(text);
	__u32 sum = 0;

	memset(r, 0, sizeof(*r));
	if (len > SL_REPLY_MAX || !width || width > SL_REPLY_DIGITS)
		return -EINVAL;
	memcpy(r->text, text, len);
	r->len = len;
	r->status = status;
	r->width = width;
	for (size_t i = 0; i + width <= len; i++) {
		size_t k = 0;

		while (k < width && r->text[i + k] == '#')
			k++;
		if (k < width)
			continue;
		if (r->nfields == SL_REPLY_FIELDS)
			return -EINVAL;
		r->field_off[r->nfields++] = i;
		memset(r->text + i, ' ', width);
		i += width - 1;
	}
	/* Host-order 16-bit words, zero-padded, folded, not complemented. */
	for (size_t i = 0; i < len; i += 2) {
		__u16 w = 0;

		memcpy(&w, r->text + i, len - i >= 2 ? 2 : 1);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	r->csum = sum;
	return 0;
}

int edge_set_reply(struct xdp_fixture *fx, __u32 gen, __u32 id,
		   const struct sl_reply *r)
{
	__u32 slot = sl_reply_slot(gen, id);

	if (bpf_map_update_elem(bpf_map__fd(fx->skel->maps.sl_replies), &slot,
				r, BPF_ANY))
		return -errno;
	return 0;
}

int edge_set_tc(struct xdp_fixture *fx, __u32 on)
{
	struct sl_edge_cfg e = { .tc_attached = on };
	__u32 zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(fx->skel->maps.sl_edge), &zero, &e,
				BPF_ANY))
		return -errno;
	return 0;
}

int edge_set_conn(struct xdp_fixture *fx, const __u16 *ports, __u32 n,
		  __u64 min_wait_ns)
{
	struct sl_edge_cfg e = { .tc_attached = 1, .nports = n,
				 .min_wait_ns = min_wait_ns,
				 .secret = { 0x0123456789abcdefULL, 42 } };
	__u32 zero = 0;

	for (__u32 i = 0; i < n && i < SL_EDGE_PORTS; i++)
		e.ports[i] = htons(ports[i]);
	if (bpf_map_update_elem(bpf_map__fd(fx->skel->maps.sl_edge), &zero, &e,
				BPF_ANY))
		return -errno;
	return 0;
}

int edge_run_xdp(struct xdp_fixture *fx, const void *pkt, __u32 len,
		 void *out, __u32 out_size, __u32 *out_len, __u32 *meta_len)
{
	struct xdp_md ctx = { .data_end = len };
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = pkt,
		.data_size_in = len,
		.data_out = out,
		.data_size_out = out_size,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.ctx_out = &ctx,
		.ctx_size_out = sizeof(ctx),
		.repeat = 1,
	);

	if (bpf_prog_test_run_opts(fx->prog_fd, &o))
		return -errno;
	*out_len = o.data_size_out;
	*meta_len = ctx.data - ctx.data_meta;
	return o.retval;
}

int edge_run_tc(const struct edge_fixture *ef, int server,
		const struct sl_edge_meta *m, const void *pkt, __u32 len,
		void *out, __u32 out_size, __u32 *out_len)
{
	struct sluice_tc *tc = server ? ef->server : ef->client;
	struct __sk_buff ctx = {};
	LIBBPF_OPTS(bpf_test_run_opts, o,
		.data_in = pkt,
		.data_size_in = len,
		.data_out = out,
		.data_size_out = out_size,
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = 1,
	);

	if (m)
		memcpy(ctx.cb, m, sizeof(*m));
	if (bpf_prog_test_run_opts(bpf_program__fd(tc->progs.sluice_tc), &o))
		return -errno;
	*out_len = o.data_size_out;
	return o.retval;
}

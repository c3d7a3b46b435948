/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Shared by tests/bpf/test_edge*.c: request fixtures, a 429 template,
 * and the checks that read an edge answer back byte by byte (IP/TCP
 * headers with checksums from scratch, seq/ack/flags/window/timestamps,
 * the status line, each header, Content-Length against the body, the
 * digits in every field) and the RST towards the server.
 */
#ifndef SLUICE_TEST_EDGE_EXPECT_H
#define SLUICE_TEST_EDGE_EXPECT_H

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>

#include "edge_fixture.h"
#include "expect.h"

#define T0		0
#define REPLY_ID	7
#define WIDTH		4

static const char req[] = "GET /v1/items HTTP/1.1\r\nHost: api\r\n\r\n";

/* What sluiced renders by default, hand-made: '#' runs are the fields. */
static const char body429[] =
	"{\"error\":\"too_many_requests\",\"tier\":\"default\","
	"\"retry_after_s\":####}";

static char tmpl_text[SL_REPLY_MAX + 1];

static inline const char *tmpl_429(void)
{
	snprintf(tmpl_text, sizeof(tmpl_text),
		 "HTTP/1.1 429 Too Many Requests\r\n"
		 "Retry-After: ####\r\n"
		 "RateLimit-Policy: \"default\";q=1;w=1\r\n"
		 "RateLimit: \"default\";r=0;t=####\r\n"
		 "Content-Type: application/json\r\n"
		 "Content-Length: %zu\r\n"
		 "Connection: close\r\n\r\n%s", strlen(body429), body429);
	return tmpl_text;
}

struct edge_case {
	const char *desc;
	struct pkt_spec pkt;
	int ts;			/* give the request NOP NOP TS */
	__u32 tsval, tsecr;
};

#define V4(...)		{ .kind = PKT_IPV4, .payload = req, __VA_ARGS__ }
#define V6(...)		{ .kind = PKT_IPV6, .payload = req, __VA_ARGS__ }

static const struct edge_case cases[] = {
	{ "v4 request", V4(.seq = 1000, .ack = 2000), 0, 0, 0 },
	{ "v4 request, timestamps", V4(.seq = 1, .ack = 2, .tcp_opts = 12), 1,
	  0x11223344, 0x55667788 },
	{ "v6 request", V6(.seq = 77, .ack = 88), 0, 0, 0 },
	{ "v6 request, timestamps", V6(.seq = 5, .ack = 6, .tcp_opts = 12), 1,
	  0xdeadbeef, 1 },
	{ "802.1Q v4 request", V4(.nvlan = 1, .seq = 9, .ack = 10), 0, 0, 0 },
	{ "802.1ad+802.1Q v6 request, timestamps",
	  V6(.nvlan = 2, .vlan_tpid = { ETH_P_8021AD }, .seq = 3, .ack = 4,
	     .tcp_opts = 12), 1, 7, 8 },
	/* The fifth request of a keep-alive connection: far into both
	 * sequence spaces, the request's seq about to wrap. */
	{ "keep-alive: seq far in, wrapping",
	  V4(.seq = 0xfffffff0, .ack = 0x7fff1234, .tcp_opts = 12), 1,
	  0xfffffff0, 0x80000000 },
	{ "request with FIN", V4(.tcp_flags = TH_ACK | TH_PSH | TH_FIN, .seq = 50, .ack = 60), 0, 0,
	  0 },
};

/* A request segment: ACK|PSH unless the spec says otherwise. */
static inline int build_req(struct pkt *p, const struct pkt_spec *spec)
{
	struct pkt_spec s = *spec;

	if (!s.tcp_flags)
		s.tcp_flags = TH_ACK | TH_PSH;
	return pkt_build(p, &s);
}

/* NOP NOP TS into the 12 option bytes pkt_build left as NOPs. */
static inline void put_ts(struct pkt *p, __u32 tsval, __u32 tsecr)
{
	__u8 *o = p->data + p->l4_off + 20;
	struct tcphdr *th = (void *)(p->data + p->l4_off);

	o[2] = 8;
	o[3] = 10;
	tsval = htonl(tsval);
	tsecr = htonl(tsecr);
	memcpy(o + 4, &tsval, 4);
	memcpy(o + 8, &tsecr, 4);
	th->check = 0;
	th->check = pkt_l4_csum(p->kind == PKT_IPV4 ? 4 : 6,
				p->data + p->l3_off, IPPROTO_TCP,
				p->data + p->l4_off, p->ip_end - p->l4_off);
}

static inline __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * SL_NSEC_PER_SEC + ts.tv_nsec;
}

static struct sl_reply tmpl;

/* Tier 0: one request per client per second, `action`, reply 7. */
static inline bool setup(struct xdp_fixture *fx, struct edge_fixture *ef,
		  __u8 action, __u16 reply)
{
	struct sl_tier t;

	if (!FIXTURE_SETUP(fx, FIXTURE_CLIENTS))
		return false;
	if (!ASSERT_OK(fixture_set_limit(fx, T0, FIXTURE_METERS(
			{ SL_UNIT_REQUESTS, action, .burst = 1, .per_sec = 1 }),
			&t), "tier"))
		return false;
	t.meters[0].reply = reply;
	return ASSERT_OK(fixture_set_tier(fx, T0, &t), "reply id") &&
	       ASSERT_OK(edge_set_tc(fx, 1), "tc_attached") &&
	       ASSERT_OK(edge_template(&tmpl, tmpl_429(), 429, WIDTH),
			 "template") &&
	       ASSERT_EQ(tmpl.nfields, 3, "fields") &&
	       ASSERT_OK(edge_set_reply(fx, 0, REPLY_ID, &tmpl), "reply") &&
	       ASSERT_OK(edge_open(ef, fx), "TC program");
}

/* The client's bucket `wait_s` seconds from admitting (burst 1, 1/s:
 * tolerance = interval, so wait = tat - now). */
static inline bool seed_wait(struct xdp_fixture *fx, const struct pkt_spec *s,
		      double wait_s)
{
	struct sl_client_key k;
	struct sl_client c = {};
	const char *src = s->src ? s->src :
			  s->kind == PKT_IPV6 ? "2001:2::1" : "198.18.0.1";

	c.tat[0] = now_ns() + (__u64)(wait_s * 1e9);
	return ASSERT_OK(fixture_client_key(&k, src, s->kind == PKT_IPV6 ?
					    64 : 32, T0), "key") &&
	       ASSERT_OK(fixture_set_client(fx, &k, &c), "seed bucket");
}

/* XDP with a record: the frame without it in `frame`. */
static inline bool run_xdp(struct xdp_fixture *fx, const struct pkt *p,
		    struct sl_edge_meta *m, __u8 *frame, __u32 *flen, int want)
{
	__u8 out[PKT_MAX + 64];
	__u32 out_len, meta_len;
	int v;

	v = edge_run_xdp(fx, p->data, p->len, out, sizeof(out), &out_len,
			 &meta_len);
	if (!ASSERT_EQ(v, want, "XDP verdict"))
		return false;
	if (want != XDP_PASS)
		return true;
	if (!ASSERT_EQ(meta_len, sizeof(*m), "a record in the metadata"))
		return false;
	memcpy(m, out, sizeof(*m));
	*flen = out_len - meta_len;
	memcpy(frame, out + meta_len, *flen);
	return ASSERT_EQ(*flen, p->len, "the frame passed as it came");
}

/* "Name: value" of `name` in the header block, trailing spaces cut. */
static inline bool header(const char *hdrs, const char *name, char *val, size_t n)
{
	const char *l = hdrs;
	size_t nl = strlen(name);

	while (l && *l && strncmp(l, "\r\n", 2)) {
		const char *e = strstr(l, "\r\n");

		if (!e)
			return false;
		if (!strncasecmp(l, name, nl) && l[nl] == ':') {
			const char *v = l + nl + 1;
			size_t len;

			while (*v == ' ')
				v++;
			len = e - v;
			while (len && v[len - 1] == ' ')
				len--;
			if (len >= n)
				return false;
			memcpy(val, v, len);
			val[len] = '\0';
			return true;
		}
		l = e + 2;
	}
	return false;
}

/* The HTTP reply: status, each header, Content-Length, the digits. */
static inline void check_http(const char *text, size_t len, const char *digits)
{
	char buf[SL_REPLY_MAX + 1], val[128], want[64];
	const char *body, *hdrs;

	if (!ASSERT_LE(len, SL_REPLY_MAX, "reply length"))
		return;
	memcpy(buf, text, len);
	buf[len] = '\0';
	ASSERT_EQ(strncmp(buf, "HTTP/1.1 429 Too Many Requests\r\n", 32), 0,
		  "status line");
	hdrs = strstr(buf, "\r\n") + 2;
	body = strstr(buf, "\r\n\r\n");
	if (!ASSERT_TRUE(body, "end of the headers"))
		return;
	body += 4;
	ASSERT_TRUE(header(hdrs, "Retry-After", val, sizeof(val)) &&
		    !strcmp(val, digits), "Retry-After");
	snprintf(want, sizeof(want), "\"default\";r=0;t=%s", digits);
	ASSERT_TRUE(header(hdrs, "RateLimit", val, sizeof(val)) &&
		    !strcmp(val, want), "RateLimit");
	ASSERT_TRUE(header(hdrs, "RateLimit-Policy", val, sizeof(val)) &&
		    !strcmp(val, "\"default\";q=1;w=1"), "RateLimit-Policy");
	ASSERT_TRUE(header(hdrs, "Content-Type", val, sizeof(val)) &&
		    !strcmp(val, "application/json"), "Content-Type");
	ASSERT_TRUE(header(hdrs, "Connection", val, sizeof(val)) &&
		    !strcmp(val, "close"), "Connection");
	ASSERT_TRUE(header(hdrs, "Content-Length", val, sizeof(val)) &&
		    strtoul(val, NULL, 10) == strlen(body), "Content-Length");
	snprintf(want, sizeof(want), "\"retry_after_s\":%s", digits);
	ASSERT_TRUE(strstr(body, want) != NULL, "retry_after_s in the body");
	/* JSON: the field's spare width is whitespace after the number. */
	ASSERT_TRUE(body[strlen(body) - 1] == '}', "body ends the object");
}

/* The client's answer to request `in`; `r` NULL for a reset. */
static inline void check_client(const struct edge_case *c, const struct pkt *in,
			 const __u8 *out, __u32 out_len,
			 const struct sl_reply *r, const char *digits)
{
	struct pkt_view i, o;
	const char *why = NULL;
	int alen, tcp_len = c->ts && r ? 32 : 20;
	__u32 fin = !!(c->pkt.tcp_flags & TH_FIN);

	if (!ASSERT_OK(pkt_parse(in->data, in->len, &i, &why), "input") ||
	    !ASSERT_OK(pkt_parse(out, out_len, &o, &why), "parse the answer")) {
		fprintf(stderr, "    %s\n", why);
		return;
	}
	alen = i.family == 4 ? 4 : 16;
	ASSERT_EQ(out_len, in->l3_off + (i.family == 4 ? 20 : 40) + tcp_len +
		  (r ? r->len : 0), "length");
	ASSERT_TRUE(!memcmp(o.dmac, i.smac, 6), "dest MAC = client's");
	ASSERT_TRUE(!memcmp(o.smac, i.dmac, 6), "source MAC = ours");
	ASSERT_EQ(o.nvlan, i.nvlan, "VLAN tags kept");
	ASSERT_TRUE(!memcmp(o.vlan_tci, i.vlan_tci, sizeof(o.vlan_tci)),
		    "VLAN ids kept");
	ASSERT_TRUE(!memcmp(o.src, i.dst, alen), "source address = server");
	ASSERT_TRUE(!memcmp(o.dst, i.src, alen), "dest address = client");
	ASSERT_EQ(o.ttl, 64, "TTL/hop limit");
	ASSERT_EQ(o.sport, i.dport, "source port = server's");
	ASSERT_EQ(o.dport, i.sport, "dest port = client's");
	ASSERT_EQ(o.seq, i.ack, "seq = the request's ack");
	ASSERT_EQ(o.ack, i.seq + i.payload_len + fin, "ack = after the request");
	ASSERT_EQ(o.tcp_flags, r ? TH_FIN | TH_PSH | TH_ACK : TH_RST | TH_ACK,
		  "flags");
	ASSERT_EQ(o.window, r ? i.window : 0, "window");
	ASSERT_EQ(o.doff, tcp_len / 4, "data offset");
	ASSERT_EQ(o.payload_len, r ? r->len : 0, "payload");
	ASSERT_TRUE(o.ip_csum_ok, "IPv4 header checksum");
	ASSERT_TRUE(o.l4_csum_ok, "TCP checksum (from scratch)");
	if (tcp_len == 32) {
		const __u8 *opt = out + out_len - r->len - 12;
		__u32 tsval, tsecr;

		ASSERT_TRUE(opt[0] == 1 && opt[1] == 1 && opt[2] == 8 &&
			    opt[3] == 10, "NOP NOP TS");
		memcpy(&tsval, opt + 4, 4);
		memcpy(&tsecr, opt + 8, 4);
		ASSERT_EQ(ntohl(tsval), c->tsecr, "TSval = the request's TSecr");
		ASSERT_EQ(ntohl(tsecr), c->tsval, "TSecr = the request's TSval");
	}
	if (r)
		check_http((const char *)out + out_len - r->len, r->len, digits);
}

/* The frame towards the server: a RST for exactly that connection. */
static inline void check_server(const struct pkt *in, const __u8 *out,
			 __u32 out_len)
{
	struct pkt_view i, o;
	int alen = expect_rst_views(in, out, out_len, &i, &o);

	if (!alen)
		return;
	ASSERT_TRUE(!memcmp(o.dmac, i.dmac, 6) && !memcmp(o.smac, i.smac, 6),
		    "MACs as they came");
	ASSERT_EQ(o.nvlan, i.nvlan, "VLAN tags kept");
	ASSERT_TRUE(!memcmp(o.src, i.src, alen), "source = client");
	ASSERT_TRUE(!memcmp(o.dst, i.dst, alen), "dest = server");
	ASSERT_EQ(o.sport, i.sport, "source port = client's");
	ASSERT_EQ(o.dport, i.dport, "dest port = server's");
	ASSERT_EQ(o.seq, i.seq, "seq = the request's (the server's rcv_nxt)");
	ASSERT_EQ(o.tcp_flags, TH_RST, "flags: RST");
	ASSERT_EQ(o.doff, 5, "no options");
	ASSERT_EQ(o.payload_len, 0, "no payload");
	ASSERT_TRUE(o.ip_csum_ok, "IPv4 header checksum");
	ASSERT_TRUE(o.l4_csum_ok, "TCP checksum");
}

/* Refuse `c` with the bucket `wait_s` from admitting; both answers. */
static inline void answer(struct xdp_fixture *fx, struct edge_fixture *ef,
		   const struct edge_case *c, double wait_s, __u8 kind,
		   const struct sl_reply *r, const char *digits)
{
	__u8 frame[PKT_MAX], out[PKT_MAX];
	__u32 flen = 0, out_len;
	struct sl_edge_meta m;
	struct pkt p;

	if (!ASSERT_OK(build_req(&p, &c->pkt), "build"))
		return;
	if (c->ts)
		put_ts(&p, c->tsval, c->tsecr);
	if (!ASSERT_OK(fixture_clear_clients(fx), "clear") ||
	    !seed_wait(fx, &c->pkt, wait_s) ||
	    !run_xdp(fx, &p, &m, frame, &flen, XDP_PASS))
		return;
	ASSERT_EQ(m.magic, SL_EDGE_MAGIC, "magic");
	ASSERT_EQ(m.kind, kind, "kind");
	ASSERT_EQ(m.tier, T0, "tier");
	if (kind == SL_EDGE_HTTP)
		ASSERT_EQ(m.slot, sl_reply_slot(0, REPLY_ID), "slot");
	ASSERT_EQ(ntohl(m.seq), c->pkt.seq, "the request's seq");
	ASSERT_EQ(edge_run_tc(ef, 0, &m, frame, flen, out, sizeof(out),
			      &out_len), TC_ACT_OK, "TC: client's answer");
	check_client(c, &p, out, out_len, r, digits);
	ASSERT_EQ(edge_run_tc(ef, 1, &m, frame, flen, out, sizeof(out),
			      &out_len), TC_ACT_OK, "TC: server's RST");
	check_server(&p, out, out_len);
}

/* The 429's head with a four-digit Content-Length: its length. */
static inline int tmpl_max_head(char *text, size_t n, size_t body)
{
	return snprintf(text, n,
			"HTTP/1.1 429 Too Many Requests\r\nRetry-After: ####\r\n"
			"RateLimit-Policy: \"default\";q=1;w=1\r\n"
			"RateLimit: \"default\";r=0;t=####\r\n"
			"Content-Type: application/json\r\nContent-Length: %04zu\r\n"
			"Connection: close\r\n\r\n", body);
}

/* A template of exactly SL_REPLY_MAX bytes: the body padded out. */
static inline int tmpl_max(struct sl_reply *r)
{
	static const char tail[] = "{\"retry_after_s\":####,\"p\":\"\"}";
	char text[SL_REPLY_MAX + 1], pad[SL_REPLY_MAX];
	size_t body = SL_REPLY_MAX - tmpl_max_head(text, sizeof(text), 0);
	int hl = tmpl_max_head(text, sizeof(text), body);

	memset(pad, 'x', sizeof(pad));
	snprintf(text + hl, sizeof(text) - hl, "{\"retry_after_s\":####,\"p\":\"%.*s\"}",
		 (int)(body - strlen(tail)), pad);
	if (strlen(text) != SL_REPLY_MAX)
		return -EINVAL;
	return edge_template(r, text, 429, WIDTH);
}

#endif /* SLUICE_TEST_EDGE_EXPECT_H */

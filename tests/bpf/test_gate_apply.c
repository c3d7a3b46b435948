// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The gate's answers from a config: services with `on_open` 503 (the
 * default), `fallback` and `reset` applied by sluiced's apply
 * (user/kern/replies.c, services.c) into sl_replies and sl_services,
 * then a request to each with its gate opened by hand answered through
 * the real XDP and TC programs, byte for byte.  The templates share the
 * reply ids with the tiers' without collisions, in both generations, and
 * a reload that moves the ids is not a change of the services.
 */
#include <time.h>
#include <bpf/bpf.h>
#include <linux/pkt_cls.h>

#include "lib/edge_fixture.h"
#include "lib/gate_fixture.h"
#include "lib/svc_rig.h"
#include "lib/pkt.h"
#include "kern/services.h"

#define HEAD_LIMIT	"interfaces: [lo]\ntiers:\n  - name: default\n" \
			"    limits: [{unit: requests, rate: 100000/s, burst: 100000, action: http}]\n"
#define HEAD_PASS	"interfaces: [lo]\ntiers:\n  - name: default\n" \
			"    limits: [{unit: requests, rate: 100000/s, burst: 100000}]\n"

#define FALLBACK_BODY	"{\"status\":\"degraded\",\"data\":[]}"

#define SERVICES(shop_body) \
	"services:\n" \
	"  - name: api\n" \
	"    port: 80\n" \
	"    breaker: {max_open: 1h, failures: [5xx, 429, timeout]}\n" \
	"  - name: shop\n" \
	"    port: 8080\n" \
	"    breaker: on\n" \
	"    on_open: fallback\n" \
	"    fallback:\n" \
	"      status: 200\n" \
	"      body: '" shop_body "'\n" \
	"      headers: {Retry-After: '{retry_after}', Cache-Control: no-store}\n" \
	"  - {name: legacy, port: 8081, on_open: reset}\n" \
	"  - name: plain\n" \
	"    port: 8082\n" \
	"    on_open: fallback\n" \
	"    fallback: {status: 503, content_type: text/plain, body: \"down\\n\"}\n" \
	"  - {name: nobrk, port: 8083}\n"

static const char get[] = "GET /v1/items HTTP/1.1\r\nHost: api\r\n\r\n";

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * SL_NSEC_PER_SEC + ts.tv_nsec;
}

/* The live sl_services entry of service `name`. */
static int live_service(struct rig *r, const char *name, struct sl_service *out)
{
	__u32 id = services_id(&r->ifc, name);
	__u32 slot = sl_svc_slot(r->fx.global.tier_gen, id);

	return bpf_map_lookup_elem(bpf_map__fd(r->fx.skel->maps.sl_services),
				   &slot, out) ? -errno : 0;
}

static int live_reply(struct rig *r, __u32 id, struct sl_reply *out)
{
	__u32 slot = sl_reply_slot(r->fx.global.tier_gen, id);

	return bpf_map_lookup_elem(bpf_map__fd(r->fx.skel->maps.sl_replies),
				   &slot, out) ? -errno : 0;
}

/* "HTTP/1.1 ..." with `retry` where the template has its fields. */
static void expect_text(char *buf, size_t size, const char *status,
			const char *ctype, const char *hdrs, const char *body)
{
	snprintf(buf, size, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
		 "Connection: close\r\n\r\n%s", status, ctype, strlen(body), hdrs, body);
}

/* `text` with every `run` ('#'s) as `digits` left-aligned in it. */
static void fill(char *text, const char *run, const char *digits)
{
	size_t w = strlen(run);
	char field[16];
	char *p;

	snprintf(field, sizeof(field), "%-*s", (int)w, digits);
	while ((p = strstr(text, run)))
		memcpy(p, field, w);
}

struct gate_case {
	const char *svc;
	__u16 port;
	__u8 action;
	__u16 status;
	__u8 nfields;
	char text[SL_REPLY_MAX + 1];	/* fields as '#' runs of the width */
};

#define F5	"#####"		/* a day of seconds: 5 digits */

static void cases_make(struct gate_case c[5], const char *shop_body)
{
	c[0] = (struct gate_case){ .svc = "api", .port = 80, .action = SL_ACT_HTTP, .status = 503, .nfields = 2 };
	expect_text(c[0].text, sizeof(c[0].text), "503 Service Unavailable",
		    "application/json", "Retry-After: " F5 "\r\n",
		    "{\"error\":\"service_unavailable\",\"service\":\"api\",\"retry_after_s\":" F5 "}");
	c[1] = (struct gate_case){ .svc = "shop", .port = 8080, .action = SL_ACT_HTTP, .status = 200, .nfields = 1 };
	expect_text(c[1].text, sizeof(c[1].text), "200 OK", "application/json",
		    "Retry-After: " F5 "\r\nCache-Control: no-store\r\n", shop_body);
	c[2] = (struct gate_case){ .svc = "legacy", .port = 8081, .action = SL_ACT_RESET, .status = 0, .nfields = 0 };
	c[3] = (struct gate_case){ .svc = "plain", .port = 8082, .action = SL_ACT_HTTP, .status = 503, .nfields = 0 };
	expect_text(c[3].text, sizeof(c[3].text), "503 Service Unavailable",
		    "text/plain", "", "down\n");
	c[4] = (struct gate_case){ .svc = "nobrk", .port = 8083, .action = SL_ACT_HTTP, .status = 503, .nfields = 2 };
	expect_text(c[4].text, sizeof(c[4].text), "503 Service Unavailable",
		    "application/json", "Retry-After: " F5 "\r\n",
		    "{\"error\":\"service_unavailable\",\"service\":\"nobrk\",\"retry_after_s\":" F5 "}");
}

/* The maps hold each case's action, template and failures. */
static void check_written(struct rig *r, const struct gate_case *c, int n,
			  __u16 tier_reply)
{
	__u16 seen[8] = {};

	for (int i = 0; i < n; i++) {
		struct sl_service s;
		struct sl_reply tpl;
		char want[SL_REPLY_MAX + 1];

		test_subtest_begin(c[i].svc);
		if (!ASSERT_OK(live_service(r, c[i].svc, &s), "sl_services"))
			goto next;
		ASSERT_EQ(s.gate_action, c[i].action, "gate_action");
		ASSERT_EQ(s.failures, !strcmp(c[i].svc, "api") ?
			  SL_SVC_FAIL_CLASS(5) | SL_SVC_FAIL_429 | SL_SVC_FAIL_TIMEOUT :
			  SL_SVC_FAIL_DEFAULT, "failures: the breaker's");
		if (c[i].action == SL_ACT_RESET) {
			ASSERT_EQ(s.gate_reply, SL_REPLY_NONE, "no template for a reset");
			goto next;
		}
		ASSERT_TRUE(s.gate_reply && s.gate_reply < SL_MAX_REPLIES, "a reply id");
		ASSERT_NEQ(s.gate_reply, tier_reply, "not the tier's id");
		for (int j = 0; j < i; j++)
			ASSERT_NEQ(s.gate_reply, seen[j], "not another service's id");
		seen[i] = s.gate_reply;
		if (!ASSERT_OK(live_reply(r, s.gate_reply, &tpl), "sl_replies"))
			goto next;
		/* The template holds spaces where the digits go. */
		snprintf(want, sizeof(want), "%s", c[i].text);
		fill(want, F5, "");
		ASSERT_EQ(tpl.len, strlen(want), "length");
		ASSERT_TRUE(tpl.len == strlen(want) && !memcmp(tpl.text, want, tpl.len),
			    "the template's text");
		ASSERT_EQ(tpl.status, c[i].status, "status");
		ASSERT_EQ(tpl.nfields, c[i].nfields, "fields");
		if (c[i].nfields)
			ASSERT_EQ(tpl.width, 5, "width: a day of seconds");
next:
		test_subtest_end();
	}
}

/* A request to c's port with its gate open for 20.5 s more. */
static void check_answer(struct rig *r, struct edge_fixture *ef,
			 const struct gate_case *c)
{
	struct sl_svc_gate g = { .state = SL_GATE_OPEN };
	struct pkt_spec ps = { .kind = PKT_IPV4, .dport = c->port,
			       .sport = r->sport++, .seq = 1000, .ack = 1,
			       .tcp_flags = TH_ACK | TH_PSH, .payload = get };
	__u8 out[PKT_MAX + 64], frame[PKT_MAX], ans[PKT_MAX];
	__u32 id = services_id(&r->ifc, c->svc), out_len, meta_len = 0, ans_len;
	char want[SL_REPLY_MAX + 1], digits[16];
	struct sl_edge_meta m;
	struct sl_service s;
	struct sl_reply tpl;
	struct pkt p;

	g.until_ns = mono_ns() + 20 * SL_NSEC_PER_SEC + SL_NSEC_PER_SEC / 2;
	if (!ASSERT_OK(gate_set(&r->fx, id, &g), "open the gate") ||
	    !ASSERT_OK(live_service(r, c->svc, &s), "sl_services") ||
	    !ASSERT_OK(pkt_build(&p, &ps), "request"))
		return;
	ASSERT_EQ(edge_run_xdp(&r->fx, p.data, p.len, out, sizeof(out), &out_len,
			       &meta_len), XDP_PASS, "handed to TC");
	if (!ASSERT_EQ(meta_len, sizeof(m), "with a record"))
		return;
	memcpy(&m, out, sizeof(m));
	memcpy(frame, out + meta_len, out_len - meta_len);
	ASSERT_EQ(m.kind, c->action == SL_ACT_RESET ? SL_EDGE_RESET : SL_EDGE_HTTP,
		  "the answer's kind");
	ASSERT_TRUE(m.retry_s >= 20 && m.retry_s <= 21, "Retry-After: the time left open");
	if (c->action == SL_ACT_RESET)
		return;
	ASSERT_EQ(m.slot, sl_reply_slot(r->fx.global.tier_gen, s.gate_reply),
		  "the service's template, this generation's");
	if (!ASSERT_OK(live_reply(r, s.gate_reply, &tpl), "template") ||
	    !ASSERT_EQ(edge_run_tc(ef, 0, &m, frame, out_len - meta_len, ans,
				   sizeof(ans), &ans_len), TC_ACT_OK, "TC: the answer") ||
	    !ASSERT_TRUE(ans_len > tpl.len, "a payload"))
		return;
	snprintf(want, sizeof(want), "%s", c->text);
	snprintf(digits, sizeof(digits), "%u", m.retry_s);
	fill(want, F5, digits);
	ASSERT_TRUE(tpl.len == strlen(want) &&
		    !memcmp(ans + ans_len - tpl.len, want, tpl.len),
		    "the client gets the reply, digits in place");
	if (memcmp(ans + ans_len - tpl.len, want, tpl.len))
		fprintf(stderr, "    got: %.*s\n", (int)tpl.len,
			(const char *)ans + ans_len - tpl.len);
}

static bool rig_edge(struct rig *r, const char *text,
		     struct apply_summary *sum)
{
	return rig_apply(r, text, sum) &&
	       ASSERT_OK(edge_set_tc(&r->fx, 1), "tc_attached");
}

static void test_answers(void)
{
	static const char cfg[] = HEAD_LIMIT SERVICES(FALLBACK_BODY);
	struct edge_fixture ef = {};
	struct gate_case c[5];
	struct sl_tier t;
	struct rig r;

	cases_make(c, FALLBACK_BODY);
	if (!rig_open(&r) || !ASSERT_OK(edge_open(&ef, &r.fx), "TC program") ||
	    !rig_edge(&r, cfg, NULL) ||
	    !ASSERT_OK(apply_tier_get(&r.ifc, apply_tier_id(&r.ifc, "default"), &t),
		       "tier"))
		goto out;
	ASSERT_EQ(t.meters[0].reply, 1, "the tier's reply first");
	check_written(&r, c, 5, t.meters[0].reply);
	for (int i = 0; i < 5; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s: a gated request answered", c[i].svc);
		test_subtest_begin(name);
		check_answer(&r, &ef, &c[i]);
		test_subtest_end();
	}
out:
	edge_close(&ef);
	rig_close(&r);
}

/* Reloads: the ids move (no tier reply), the other generation is
 * written, the services are unchanged; a new fallback is noted. */
static void test_reload(void)
{
	static const char a[] = HEAD_LIMIT SERVICES(FALLBACK_BODY);
	static const char b[] = HEAD_PASS SERVICES(FALLBACK_BODY);
	static const char d[] = HEAD_PASS SERVICES("{\"status\":\"stale\"}");
	struct apply_summary sum = {};
	struct edge_fixture ef = {};
	struct sl_service before, after;
	struct gate_case c[5] = {};
	bool changed = false, noted = false;
	char note[160];
	struct rig r;

	if (!rig_open(&r) || !ASSERT_OK(edge_open(&ef, &r.fx), "TC program") ||
	    !rig_edge(&r, a, NULL) ||
	    !ASSERT_OK(live_service(&r, "api", &before), "before"))
		goto out;
	test_subtest_begin("ids move with the tiers' replies: no change");
	if (rig_edge(&r, b, &sum) &&
	    ASSERT_OK(live_service(&r, "api", &after), "after")) {
		ASSERT_EQ(r.fx.global.tier_gen, 1, "the other generation");
		ASSERT_EQ(after.gate_reply, before.gate_reply - 1, "one id down");
		for (int i = 0; i < sum.n; i++) {
			changed |= strstr(sum.lines[i], "service ") != NULL;
			fprintf(stderr, "    note: %s\n", sum.lines[i]);
		}
		ASSERT_FALSE(changed, "no service noted");
		cases_make(c, FALLBACK_BODY);
		check_answer(&r, &ef, &c[0]);
		check_answer(&r, &ef, &c[1]);
	}
	test_subtest_end();
	apply_summary_free(&sum);
	check_written(&r, c, 5, 0);

	test_subtest_begin("a new fallback body: noted, answered");
	cases_make(c, "{\"status\":\"stale\"}");
	snprintf(note, sizeof(note), "service shop: its gate answers with a new reply (200, %zu bytes)",
		 strlen(c[1].text));
	if (rig_edge(&r, d, &sum)) {
		for (int i = 0; i < sum.n; i++)
			noted |= !strcmp(sum.lines[i], note);
		if (!ASSERT_TRUE(noted, "noted"))
			for (int i = 0; i < sum.n; i++)
				fprintf(stderr, "    note: %s\n", sum.lines[i]);
		check_answer(&r, &ef, &c[1]);
	}
	test_subtest_end();
out:
	apply_summary_free(&sum);
	edge_close(&ef);
	rig_close(&r);
}

TEST_MAIN("bpf/gate_apply",
	  TEST(test_answers),
	  TEST(test_reload));

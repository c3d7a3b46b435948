// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Edge replies in the config (replies.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/replies.h"
#include "config/config.h"
#include "config/walk.h"
#include "common/gcra.h"
#include "common/reply.h"

/* The fields the automatic headers hold: Retry-After and RateLimit. */
static int auto_fields(unsigned status)
{
	return status == 429 ? 2 : status == 503 ? 1 : 0;
}

static bool auto_header(unsigned status, const char *name)
{
	return (auto_fields(status) && !strcasecmp(name, "Retry-After")) ||
	       (status == 429 && (!strcasecmp(name, "RateLimit") ||
				  !strcasecmp(name, "RateLimit-Policy")));
}

/* ---- parsing -------------------------------------------------------- */

static int reply_status(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_reply *r = obj;
	uint64_t x;
	int err = walk_uint(w, v, 100, 599, "an HTTP status", &x);

	if (err)
		return err;
	if (!reply_status_ok(x))
		return walk_expect(w, v, "a status that carries a body (not 1xx, 204, 205 or 304)");
	r->status = x;
	return 0;
}

static int reply_str(struct cfg_walk *w, yaml_node_t *v, char **out,
		     bool (*ok)(const char *), const char *what)
{
	const char *s = walk_scalar(v);

	if (!s || (ok && !ok(s)))
		return walk_expect(w, v, what);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static bool reason_ok(const char *s)
{
	return strlen(s) <= CFG_REASON_MAX && reply_reason_ok(s);
}

static int reply_reason_key(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return reply_str(w, v, &((struct cfg_reply *)obj)->reason, reason_ok,
			 "a reason phrase of up to 64 printable ASCII characters");
}

static int reply_ctype(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return reply_str(w, v, &((struct cfg_reply *)obj)->content_type,
			 reply_media_type_ok,
			 "a media type like application/json or text/plain; charset=utf-8");
}

static int reply_body(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	return reply_str(w, v, &((struct cfg_reply *)obj)->body, NULL,
			 "a body text (a string)");
}

static bool value_ok(const char *s)
{
	size_t bad;

	return reply_value_ok(s, &bad);
}

static int reply_headers(struct cfg_walk *w, yaml_node_t *v, void *obj)
{
	struct cfg_reply *r = obj;
	yaml_node_pair_t *pair;
	int n, err;

	if (!v || v->type != YAML_MAPPING_NODE)
		return walk_expect(w, v, "a mapping of header names to values like {Cache-Control: no-store}");
	n = v->data.mapping.pairs.top - v->data.mapping.pairs.start;
	if (n > CFG_REPLY_HEADERS)
		return walk_err(w, v, "expected at most %d headers, got %d",
				CFG_REPLY_HEADERS, n);
	r->headers = calloc(n ? n : 1, sizeof(*r->headers));
	if (!r->headers)
		return -ENOMEM;
	for (pair = v->data.mapping.pairs.start; pair < v->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = walk_node(w, pair->key), *val = walk_node(w, pair->value);
		const char *name = walk_scalar(k);
		struct cfg_header *h = &r->headers[r->nheaders];
		size_t mark = walk_path_key(w, name && reply_token_ok(name) ? name : "?");

		if (!name || !reply_token_ok(name))
			err = walk_expect(w, k, "a header name (a token like X-Reason)");
		else if (reply_header_reserved(name))
			err = walk_err(w, k, "expected a header sluice does not write itself (not Content-Length, Content-Type, Connection or Transfer-Encoding; content_type sets Content-Type), got '%s'",
				       name);
		else
			err = 0;
		for (int i = 0; !err && i < r->nheaders; i++)
			if (!strcasecmp(r->headers[i].name, name))
				err = walk_err(w, k, "expected each header once, got '%s' again (as '%s')",
					       name, r->headers[i].name);
		if (!err)
			err = reply_str(w, val, &h->value, value_ok,
					"a header value of printable ASCII, without control characters or leading and trailing spaces");
		if (!err && !(h->name = strdup(name)))
			err = -ENOMEM;
		walk_path_pop(w, mark);
		if (err) {
			free(h->value);
			h->value = NULL;
			return err;
		}
		r->nheaders++;
	}
	return 0;
}

enum { RK_STATUS, RK_REASON, RK_CTYPE, RK_BODY, RK_HEADERS };

static const struct cfg_key reply_keys[] = {
	[RK_STATUS]	= { "status", reply_status },
	[RK_REASON]	= { "reason", reply_reason_key },
	[RK_CTYPE]	= { "content_type", reply_ctype },
	[RK_BODY]	= { "body", reply_body },
	[RK_HEADERS]	= { "headers", reply_headers },
};

/* Headers the status adds itself (none on a fallback: it asks for
 * the delay where it wants it), and how many fields there are. */
static int reply_finish(struct cfg_walk *w, yaml_node_t *v,
			const struct cfg_reply *r, bool fallback)
{
	int autos = fallback ? 0 : auto_fields(r->status);
	int fields = autos + reply_count_fields(r->body);
	yaml_node_t *hn = walk_map_get(w, v, "headers");

	for (int i = 0; i < r->nheaders; i++) {
		const char *name = r->headers[i].name;

		fields += reply_count_fields(r->headers[i].value);
		if (!fallback && auto_header(r->status, name)) {
			size_t mark = walk_path_key(w, "headers");
			yaml_node_t *k = NULL;
			int err;

			walk_path_key(w, name);
			for (yaml_node_pair_t *p = hn->data.mapping.pairs.start;
			     p < hn->data.mapping.pairs.top && !k; p++)
				if (!strcmp(walk_scalar(walk_node(w, p->key)) ?: "", name))
					k = walk_node(w, p->key);
			err = walk_err(w, k, "expected a header that a %u reply does not write itself (it adds Retry-After%s), got '%s'",
				       r->status, r->status == 429 ?
				       ", RateLimit-Policy and RateLimit" : "", name);
			walk_path_pop(w, mark);
			return err;
		}
	}
	if (fields > SL_REPLY_FIELDS)
		return walk_err(w, v, "expected at most %d places for the retry delay (" REPLY_PLACEHOLDER ") in the reply, got %d%s",
				SL_REPLY_FIELDS, fields, autos ?
				" (counting those the automatic headers hold)" : "");
	return 0;
}

/* A `reply` or a `fallback`: the same keys, their own defaults. */
static int reply_parse(struct cfg_walk *w, yaml_node_t *v, bool fallback,
		       struct cfg_reply **out)
{
	struct cfg_reply *r = calloc(1, sizeof(*r));
	unsigned seen;
	int err;

	if (!r)
		return -ENOMEM;
	*out = r;	/* freed with its tier or service, also after an error */
	r->status = fallback ? CFG_FALLBACK_STATUS : CFG_REPLY_STATUS;
	err = walk_map(w, v, reply_keys, NKEYS(reply_keys), r, fallback ?
		       "a fallback like {status: 200, content_type: application/json, body: '{\"status\":\"degraded\"}'}" :
		       "a reply like {status: 429, content_type: application/json, body: \"...\", headers: {...}}",
		       &seen);
	if (!err && fallback && !(seen & KEY_BIT(RK_BODY)))
		err = walk_missing(w, v, "body", "the fallback's body (a string; \"\" for none)");
	return err ? err : reply_finish(w, v, r, fallback);
}

int cfg_parse_reply(struct cfg_walk *w, yaml_node_t *v, struct cfg_reply **out)
{
	return reply_parse(w, v, false, out);
}

int cfg_parse_fallback(struct cfg_walk *w, yaml_node_t *v, struct cfg_reply **out)
{
	return reply_parse(w, v, true, out);
}

void cfg_reply_free(struct cfg_reply *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->reason);
	free(r->content_type);
	free(r->body);
	free(r);
}

/* ---- rendering ------------------------------------------------------ */

bool cfg_meter_answers(const struct cfg_meter *m)
{
	return m->action == SL_ACT_HTTP && m->unit != SL_UNIT_CONNECTIONS &&
	       m->unit != SL_UNIT_NONE;
}

static const struct cfg_reply *meter_reply(const struct cfg_tier *t, int k)
{
	return t->meters[k].reply ? t->meters[k].reply : t->reply;
}

unsigned cfg_reply_status(const struct cfg_tier *t, int k)
{
	const struct cfg_reply *r = meter_reply(t, k);

	if (!cfg_meter_answers(&t->meters[k]))
		return 0;
	return r ? r->status : CFG_REPLY_STATUS;
}

static uint64_t div_ceil(unsigned __int128 a, uint64_t b)
{
	return (uint64_t)((a + b - 1) / b);
}

/* "too_many_requests" from "Too Many Requests". */
static void snake(const char *reason, char *out, size_t size)
{
	size_t o = 0;

	for (; reason && *reason && o + 1 < size; reason++) {
		char c = *reason;

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		out[o++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_';
	}
	out[o] = '\0';
	if (!o)
		snprintf(out, size, "error");
}

int cfg_reply_render(const struct cfg_tier *t, int k, struct sl_reply *out,
		     char *err, size_t errlen)
{
	const struct cfg_meter *m = &t->meters[k];
	const struct cfg_reply *r = meter_reply(t, k);
	struct reply_header hdrs[3 + CFG_REPLY_HEADERS], *h = hdrs;
	char policy[CFG_NAME_MAX + 64], limit[CFG_NAME_MAX + 32];
	char body[CFG_NAME_MAX + CFG_REASON_MAX + 96], code[CFG_REASON_MAX + 1];
	struct reply_spec s = { .status = r ? r->status : CFG_REPLY_STATUS };
	uint64_t cost = m->unit == SL_UNIT_BYTES ? GCRA_MAX_COST : 1, delay_s;
	struct sl_meter g;
	int ret;

	ret = gcra_meter_set(&g, m->count, m->period_ns, m->burst, m->unit,
			     m->action);
	if (ret) {
		snprintf(err, errlen, "the limit's rate cannot be represented");
		return ret;
	}
	/* Refused now, admitted again within one cost of the interval. */
	delay_s = div_ceil((unsigned __int128)cost * g.interval_fp,
			   SL_NSEC_PER_SEC << SL_FP_SHIFT) + 1;
	s.width = reply_width_for(delay_s);
	s.reason = r ? r->reason : NULL;
	s.content_type = r ? r->content_type : NULL;

	if (auto_fields(s.status))
		*h++ = (struct reply_header){ "Retry-After", REPLY_PLACEHOLDER };
	if (s.status == 429 && m->unit == SL_UNIT_REQUESTS) {
		/* q: the burst; w: the seconds it takes to refill. */
		snprintf(policy, sizeof(policy), "\"%s\";q=%u;w=%llu", t->name,
			 m->burst, (unsigned long long)
			 (g.tolerance_ns ? div_ceil(g.tolerance_ns, SL_NSEC_PER_SEC) : 1));
		*h++ = (struct reply_header){ "RateLimit-Policy", policy };
	}
	if (s.status == 429) {
		snprintf(limit, sizeof(limit), "\"%s\";r=0;t=" REPLY_PLACEHOLDER,
			 t->name);
		*h++ = (struct reply_header){ "RateLimit", limit };
	}
	for (int i = 0; r && i < r->nheaders; i++)
		*h++ = (struct reply_header){ r->headers[i].name, r->headers[i].value };
	s.headers = hdrs;
	s.nheaders = h - hdrs;

	if (r && r->body) {
		s.body = r->body;
	} else {
		snake(s.reason ? s.reason : reply_reason(s.status), code,
		      sizeof(code));
		snprintf(body, sizeof(body), "{\"error\":\"%s\",\"tier\":\"%s\"%s}",
			 code, t->name, auto_fields(s.status) ?
			 ",\"retry_after_s\":" REPLY_PLACEHOLDER : "");
		s.body = body;
	}
	return reply_render(&s, out, err, errlen);
}

/* The longest delay a gate can count down: the breaker's longest
 * opening with its jitter, and at least CFG_GATE_DELAY_S (a shed's end
 * is the degrade level's, unbounded: a longer one shows clamped). */
static uint64_t gate_delay_max(const struct cfg_service *s)
{
	uint64_t d = CFG_GATE_DELAY_S;

	if (s->has_breaker) {
		double open = (double)s->breaker.max_open_ns * (1 + s->breaker.jitter);
		uint64_t b = (uint64_t)(open / SL_NSEC_PER_SEC) + 2;

		if (b > d)
			d = b;
	}
	return d;
}

int cfg_gate_render(const struct cfg_service *s, struct sl_reply *out,
		    char *err, size_t errlen)
{
	const struct cfg_reply *f = s->on_open == CFG_ON_OPEN_FALLBACK ? s->fallback : NULL;
	struct reply_header hdrs[CFG_REPLY_HEADERS], *h = hdrs;
	struct reply_spec spec = { .width = reply_width_for(gate_delay_max(s)) };
	char body[SL_SVC_NAME_MAX + 96];

	if (f) {
		spec.status = f->status;
		spec.reason = f->reason;
		spec.content_type = f->content_type;
		spec.body = f->body;
		for (int i = 0; i < f->nheaders; i++)
			*h++ = (struct reply_header){ f->headers[i].name,
						      f->headers[i].value };
	} else {
		spec.status = 503;
		*h++ = (struct reply_header){ "Retry-After", REPLY_PLACEHOLDER };
		snprintf(body, sizeof(body),
			 "{\"error\":\"service_unavailable\",\"service\":\"%s\",\"retry_after_s\":" REPLY_PLACEHOLDER "}",
			 s->name);
		spec.body = body;
	}
	spec.headers = hdrs;
	spec.nheaders = h - hdrs;
	return reply_render(&spec, out, err, errlen);
}

/* ---- checks after a tier is parsed ---------------------------------- */

static yaml_node_t *limit_node(struct cfg_walk *w, yaml_node_t *n, int k)
{
	yaml_node_t *l = walk_map_get(w, n, "limits");

	return l ? walk_seq_item(w, l, k) : n;
}

int cfg_check_replies(struct cfg_walk *w, yaml_node_t *n,
		      const struct cfg_tier *t)
{
	yaml_node_t *tier_reply = walk_map_get(w, n, "reply"), *at;
	char msg[CFG_ERR_MAX / 2];
	struct sl_reply tpl;
	bool answers = false;
	size_t mark;
	int err;

	for (int k = 0; k < t->nmeters; k++) {
		const struct cfg_meter *m = &t->meters[k];
		yaml_node_t *ln = limit_node(w, n, k);

		answers |= cfg_meter_answers(m);
		if (m->reply && !cfg_meter_answers(m)) {
			at = walk_map_get(w, ln, "reply");
			mark = walk_path_key(w, "limits");
			walk_path_push(w, "[%d]", k);
			err = walk_expect_key(w, at, at, "reply", m->action != SL_ACT_HTTP ?
				"a reply only on a limit with action http" :
				"no reply on a connections limit (a refused SYN is answered with a RST)");
			walk_path_pop(w, mark);
			return err;
		}
		if (!cfg_meter_answers(m))
			continue;
		err = cfg_reply_render(t, k, &tpl, msg, sizeof(msg));
		if (!err)
			continue;
		if (err == -ENOMEM)
			return err;
		/* Where the reply in effect was written. */
		at = m->reply ? walk_map_get(w, ln, "reply") : tier_reply ? tier_reply : ln;
		mark = w->plen;
		if (m->reply || !tier_reply) {
			walk_path_key(w, "limits");
			walk_path_push(w, "[%d]", k);
		}
		if (m->reply || tier_reply)
			walk_path_key(w, "reply");
		if (err == -E2BIG)
			err = walk_err(w, at, "expected a response of at most %d bytes for limits[%d], got %s",
				       SL_REPLY_MAX, k, msg);
		else
			err = walk_err(w, at, "expected a reply that renders for limits[%d], got: %s",
				       k, msg);
		walk_path_pop(w, mark);
		return err;
	}
	if (tier_reply && !answers)
		return walk_expect_key(w, tier_reply, tier_reply, "reply",
				       "a reply only on a tier with a limit of action http (unit packets, bytes or requests)");
	return 0;
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The services' gate replies (svc_reply.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kern/svc_reply.h"
#include "common/log.h"
#include "common/reply.h"

int svc_reply_render(const struct cfg_service *s, struct sl_reply *out,
		     char *err, size_t errlen)
{
	struct reply_header hdrs[1 + CFG_REPLY_HEADERS], *h = hdrs;
	const struct cfg_reply *r = s->on_open == CFG_ON_OPEN_FALLBACK ?
				    s->fallback : NULL;
	struct reply_spec spec = { .status = r ? r->status : 503 };
	char body[SL_SVC_NAME_MAX + 96];
	__u64 max_s = SVC_REPLY_MAX_WAIT_S;

	if (s->on_open == CFG_ON_OPEN_RESET)
		return -ENOENT;
	if (s->has_breaker && s->breaker.max_open_ns / 1000000000ULL > max_s)
		max_s = s->breaker.max_open_ns / 1000000000ULL;
	spec.width = reply_width_for(max_s);
	spec.reason = r ? r->reason : NULL;
	spec.content_type = r ? r->content_type : NULL;
	if (spec.status == 429 || spec.status == 503)
		*h++ = (struct reply_header){ "Retry-After", REPLY_PLACEHOLDER };
	for (int i = 0; r && i < r->nheaders && i < CFG_REPLY_HEADERS; i++)
		*h++ = (struct reply_header){ r->headers[i].name,
					      r->headers[i].value };
	spec.headers = hdrs;
	spec.nheaders = h - hdrs;
	if (r && r->body) {
		spec.body = r->body;
	} else {
		snprintf(body, sizeof(body),
			 "{\"error\":\"service_unavailable\",\"service\":\"%s\"%s}",
			 s->name, spec.status == 503 || spec.status == 429 ?
			 ",\"retry_after_s\":" REPLY_PLACEHOLDER : "");
		spec.body = body;
	}
	return reply_render(&spec, out, err, errlen);
}

int svc_reply_plan(const struct sl_config *cfg, struct reply_plan *p,
		   __u16 ids[SL_MAX_SERVICES])
{
	struct sl_reply tpl;
	char err[256];
	int ret, id;

	for (int i = 0; i < cfg->nservices && i < SL_MAX_SERVICES; i++) {
		const struct cfg_service *s = &cfg->services[i];

		ids[i] = SL_REPLY_NONE;
		ret = svc_reply_render(s, &tpl, err, sizeof(err));
		if (ret == -ENOENT)
			continue;
		if (ret) {
			log_err("service '%s' (line %d): its gate reply does not render: %s",
				s->name, s->line, err);
			return ret;
		}
		/* Templates are zeroed past len: memcmp is exact. */
		for (id = 1; id <= p->n; id++)
			if (!memcmp(&p->tpl[id], &tpl, sizeof(tpl)))
				break;
		if (id > p->n) {
			if (id >= SL_MAX_REPLIES)
				return -ENOSPC;
			p->tpl[id] = tpl;
			p->n = id;
		}
		ids[i] = id;
	}
	return 0;
}

void svc_reply_abi(const struct cfg_service *s, __u16 reply,
		   struct sl_service *out)
{
	out->gate_action = reply ? SL_ACT_HTTP : SL_ACT_RESET;
	out->gate_reply = reply;
	if (s->has_breaker)
		out->failures = s->breaker.failures;
}

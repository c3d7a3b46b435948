// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>

#include "daemon/daemon.h"
#include "daemon/loop.h"
#include "export/metrics.h"
#include "export/render.h"
#include "common/log.h"

/* What the HTTP thread may read: the last render, under `lock`. */
struct published {
	char *buf;
	size_t len, cap;
};

struct metrics {
	struct MHD_Daemon *mhd;
	int fd;				/* the listening socket */
	char addr[64];
	pthread_mutex_t lock;
	struct published pub[2];	/* [0] text, [1] OpenMetrics */
	bool healthy;
	bool have;			/* rendered at least once */
	struct render r;		/* the event loop's */
};

static const char index_page[] =
	"<!DOCTYPE html>\n<html><head><title>sluiced</title></head>\n"
	"<body><h1>sluiced</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
			     const char *type, const char *body, size_t len,
			     bool copy)
{
	struct MHD_Response *res;
	enum MHD_Result ret;

	res = MHD_create_response_from_buffer(len, (void *)body, copy ?
					      MHD_RESPMEM_MUST_COPY :
					      MHD_RESPMEM_MUST_FREE);
	if (!res) {
		if (!copy)
			free((void *)body);
		return MHD_NO;
	}
	MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(res, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, res);
	MHD_destroy_response(res);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status,
				  const char *body)
{
	return reply(c, status, "text/plain; charset=utf-8", body, strlen(body),
		     true);
}

/* A copy of the latest render, taken under the lock. */
static enum MHD_Result serve_metrics(struct metrics *m, struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	int om = expo_wants_om(accept);
	char *copy = NULL;
	size_t len = 0;

	pthread_mutex_lock(&m->lock);
	if (m->have) {
		len = m->pub[om].len;
		copy = malloc(len ? len : 1);
		if (copy)
			memcpy(copy, m->pub[om].buf, len);
	}
	pthread_mutex_unlock(&m->lock);
	if (!copy)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "no metrics rendered yet\n");
	return reply(c, MHD_HTTP_OK, om ? EXPO_CT_OM : EXPO_CT_TEXT, copy, len,
		     false);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_size, void **req)
{
	struct metrics *m = cls;
	bool healthy;

	(void)version, (void)upload, (void)upload_size, (void)req;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "only GET and HEAD\n");
	if (!strcmp(url, "/metrics"))
		return serve_metrics(m, c);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8",
			     index_page, sizeof(index_page) - 1, true);
	if (!strcmp(url, "/healthz")) {
		pthread_mutex_lock(&m->lock);
		healthy = m->have && m->healthy;
		pthread_mutex_unlock(&m->lock);
		return healthy ? reply_text(c, MHD_HTTP_OK, "ok\n") :
		       reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "pins or maps not readable (see sluiced's log)\n");
	}
	return reply_text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
}

void metrics_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_dbg("%s: %s", (const char *)cls, buf);
}

static int metrics_listen(struct metrics *m, const struct cfg_listen *l)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	int one = 1, err;

	if (l->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(l->port);
		memcpy(&s6->sin6_addr, l->addr, 16);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(l->port);
		memcpy(&s4->sin_addr, l->addr, 4);
		len = sizeof(*s4);
	}
	m->fd = socket(l->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (m->fd < 0)
		return -errno;
	setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->family == AF_INET6)
		setsockopt(m->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(m->fd, (struct sockaddr *)&ss, len) ||
	    listen(m->fd, METRICS_CONN_MAX)) {
		err = -errno;
		close(m->fd);
		m->fd = -1;
		return err;
	}
	return 0;
}

static void metrics_free(struct metrics *m)
{
	if (m->mhd)
		MHD_stop_daemon(m->mhd);
	if (m->fd >= 0)
		close(m->fd);
	render_free(&m->r);
	free(m->pub[0].buf);
	free(m->pub[1].buf);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int metrics_open(struct metrics **out, const struct cfg_listen *l)
{
	struct metrics *m;
	int err;

	*out = NULL;
	if (!l->on) {
		log_info("metrics: off (metrics.listen)");
		return 0;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	snprintf(m->addr, sizeof(m->addr), "%s", l->text);
	err = render_init(&m->r);
	if (err) {
		log_err("metrics: cannot set up: %s", strerror(-err));
		goto fail;
	}
	err = metrics_listen(m, l);
	if (err) {
		log_err("metrics: cannot listen on %s: %s (another process has it? set metrics.listen to another address, or off)",
			m->addr, strerror(-err));
		goto fail;
	}
	m->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
				  (l->family == AF_INET6 ? MHD_USE_IPv6 : 0),
				  0, NULL, NULL, answer, m,
				  MHD_OPTION_EXTERNAL_LOGGER, metrics_mhd_log, "metrics",
				  MHD_OPTION_LISTEN_SOCKET, m->fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONN_MAX,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)METRICS_CONN_PER_IP,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_CONN_MEMORY,
				  MHD_OPTION_END);
	if (!m->mhd) {
		err = -EIO;
		log_err("metrics: cannot start the HTTP server on %s (libmicrohttpd refused; run with -v for its reason)",
			m->addr);
		goto fail;
	}
	m->fd = -1;	/* MHD closes it */
	log_info("metrics: serving http://%s/metrics", m->addr);
	*out = m;
	return 0;
fail:
	metrics_free(m);
	return err;
}

/* Hand the render's buffer over and take the old one back for reuse. */
static void publish(struct published *p, struct expo *e)
{
	char *buf = p->buf;
	size_t cap = p->cap;

	p->buf = e->buf;
	p->len = e->len;
	p->cap = e->cap;
	e->buf = buf;
	e->cap = cap;
	e->len = 0;
}

static void metrics_render(struct metrics *m, struct sl_daemon *d,
			   bool sampled)
{
	int err;

	if (!m || !d->cfg)
		return;
	err = render_all(&m->r, d, sampled);
	if (err) {
		log_warn("metrics: rendering failed: %s", strerror(-err));
		return;
	}
	pthread_mutex_lock(&m->lock);
	publish(&m->pub[0], &m->r.out[0]);
	publish(&m->pub[1], &m->r.out[1]);
	m->healthy = m->r.healthy;
	m->have = true;
	pthread_mutex_unlock(&m->lock);
}

void metrics_update(struct metrics *m, struct sl_daemon *d)
{
	metrics_render(m, d, false);
}

void metrics_sampled(struct metrics *m, struct sl_daemon *d)
{
	metrics_render(m, d, true);
}

const char *metrics_addr(const struct metrics *m)
{
	return m ? m->addr : "off";
}

void metrics_close(struct metrics *m)
{
	if (m)
		metrics_free(m);
}

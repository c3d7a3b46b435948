// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <microhttpd.h>

#include "daemon/loop.h"
#include "daemon/webhook.h"
#include "common/clock.h"
#include "common/log.h"
#include "export/metrics.h"

static const char *const result_names[WEBHOOK_RESULTS] = {
	[WEBHOOK_OK]		= "ok",
	[WEBHOOK_UNAUTHORIZED]	= "unauthorized",
	[WEBHOOK_BAD_REQUEST]	= "bad_request",
	[WEBHOOK_TOO_LARGE]	= "too_large",
	[WEBHOOK_METHOD]	= "method",
	[WEBHOOK_NOT_FOUND]	= "not_found",
};

struct webhook {
	struct loop *loop;
	webhook_alert_fn fn;
	void *ctx;
	/* the running settings */
	bool on;
	char token[WEBHOOK_TOKEN_MAX];
	char token_file[sizeof(((struct cfg_webhook *)0)->token_file)];
	char label[ALERT_LABEL_MAX], breaker_label[ALERT_LABEL_MAX];
	uint32_t max_body;
	/* the listener */
	struct MHD_Daemon *mhd;
	int epfd;			/* MHD's epoll descriptor, in the loop */
	int timer;			/* MHD's timeouts; 0 none */
	char addr[64];
	/* the log's rate limit */
	uint64_t log_window_ns;
	unsigned int log_n[WEBHOOK_RESULTS], log_dropped[WEBHOOK_RESULTS];
	struct webhook_counts n;
	struct alerts_batch batch;	/* one request at a time: the loop's */
};

/* One request's body. */
struct hook_req {
	char *buf;
	size_t len, cap;
	bool cut;			/* past max_body: being refused */
};

const char *webhook_result_name(enum webhook_result r)
{
	return (unsigned)r < WEBHOOK_RESULTS ? result_names[r] : "?";
}

int webhook_token_read(const char *path, char tok[WEBHOOK_TOKEN_MAX],
		       char *err, size_t errlen)
{
	char buf[WEBHOOK_TOKEN_MAX + 1];
	size_t n = 0, s = 0;
	ssize_t got;
	int fd, rc = 0;

	tok[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read the token file %s: %s", path,
			 strerror(-rc));
		return rc;
	}
	while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot read the token file %s: %s",
				 path, strerror(-rc));
			goto out;
		}
		n += got;
	}
	/* Alertmanager's credentials_file drops surrounding white space. */
	while (n && isspace((unsigned char)buf[n - 1]))
		n--;
	while (s < n && isspace((unsigned char)buf[s]))
		s++;
	if (s == n) {
		rc = -ENODATA;
		snprintf(err, errlen, "the token file %s is empty (write a random token into it, e.g. `openssl rand -hex 32 > %s`)",
			 path, path);
		goto out;
	}
	if (n - s >= WEBHOOK_TOKEN_MAX) {
		rc = -E2BIG;
		snprintf(err, errlen, "the token in %s is longer than %d bytes",
			 path, WEBHOOK_TOKEN_MAX - 1);
		goto out;
	}
	for (size_t i = s; i < n; i++) {
		if (!isgraph((unsigned char)buf[i])) {
			rc = -EINVAL;
			snprintf(err, errlen, "the token in %s holds white space or a control byte at byte %zu (one token on one line)",
				 path, i);
			goto out;
		}
	}
	memcpy(tok, buf + s, n - s);
	tok[n - s] = '\0';
out:
	memset(buf, 0, sizeof(buf));
	close(fd);
	return rc;
}

bool webhook_token_eq(const char *tok, const char *authorization)
{
	const char *p = authorization;
	size_t tn = strlen(tok), pn;
	unsigned char diff;

	if (!p || !tn || strncasecmp(p, "Bearer ", 7))
		return false;
	for (p += 7; *p == ' '; p++)
		;
	pn = strnlen(p, WEBHOOK_TOKEN_MAX);
	/* The whole buffer whatever the bytes: no early exit to time. */
	diff = tn != pn;
	for (size_t i = 0; i < WEBHOOK_TOKEN_MAX; i++)
		diff |= (unsigned char)(i < tn ? tok[i] : 0) ^
			(unsigned char)(i < pn ? p[i] : 0);
	return !diff;
}

/* ---- the log ---------------------------------------------------------------- */

/* At most WEBHOOK_LOG_BURST lines a window for each result (a flood of
 * 401s hides no 400 or 200); the rest counted, said after the window. */
static bool hook_log_ok(struct webhook *w, enum webhook_result r)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	if (now - w->log_window_ns >= WEBHOOK_LOG_WINDOW_S * 1000000000ULL) {
		for (int i = 0; i < WEBHOOK_RESULTS; i++) {
			if (w->log_dropped[i])
				log_warn("webhook: %u more %s requests not logged in %d s (see sluice_webhook_requests_total)",
					 w->log_dropped[i], webhook_result_name(i),
					 WEBHOOK_LOG_WINDOW_S);
			w->log_n[i] = w->log_dropped[i] = 0;
		}
		w->log_window_ns = now;
	}
	if (w->log_n[r] < WEBHOOK_LOG_BURST) {
		w->log_n[r]++;
		return true;
	}
	w->log_dropped[r]++;
	return false;
}

static const char *peer(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(buf, len, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, len);
	return buf;
}

/* Count the request, log one line (rate-limited). */
static void hook_note(struct webhook *w, struct MHD_Connection *c,
		      enum webhook_result r, unsigned int status,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void hook_note(struct webhook *w, struct MHD_Connection *c,
		      enum webhook_result r, unsigned int status,
		      const char *fmt, ...)
{
	char what[256], from[INET6_ADDRSTRLEN], code[8] = "closed";
	va_list ap;

	w->n.requests[r]++;
	if (!hook_log_ok(w, r))
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (status)
		snprintf(code, sizeof(code), "%u", status);
	log_msg(r == WEBHOOK_OK ? LOG_LVL_INFO : LOG_LVL_WARN,
		"webhook: %s %s from %s: %s", code, webhook_result_name(r),
		peer(c, from, sizeof(from)), what);
}

/* ---- HTTP --------------------------------------------------------------------- */

static enum MHD_Result hook_reply(struct MHD_Connection *c, unsigned int status,
				  const char *body)
{
	struct MHD_Response *res;
	enum MHD_Result ret;

	res = MHD_create_response_from_buffer(strlen(body), (void *)body,
					      MHD_RESPMEM_MUST_COPY);
	if (!res)
		return MHD_NO;
	MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(res, MHD_HTTP_HEADER_ALLOW, "POST");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(res, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"sluice\"");
	ret = MHD_queue_response(c, status, res);
	MHD_destroy_response(res);
	return ret;
}

/* The headers are in: everything decided before the body is read. */
static enum MHD_Result hook_begin(struct webhook *w, struct MHD_Connection *c,
				  const char *url, const char *method,
				  void **reqp)
{
	const char *auth, *len;
	struct hook_req *req;
	char *end;
	unsigned long long n;

	if (strcmp(url, WEBHOOK_PATH)) {
		hook_note(w, c, WEBHOOK_NOT_FOUND, 404, "%s %.64s", method, url);
		return hook_reply(c, MHD_HTTP_NOT_FOUND, "not found: Alertmanager posts to " WEBHOOK_PATH "\n");
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST)) {
		hook_note(w, c, WEBHOOK_METHOD, 405, "%.16s " WEBHOOK_PATH, method);
		return hook_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only POST\n");
	}
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_AUTHORIZATION);
	if (!webhook_token_eq(w->token, auth)) {
		hook_note(w, c, WEBHOOK_UNAUTHORIZED, 401,
			  "%s bearer token (http_config.authorization.credentials_file must hold the token of %s)",
			  auth ? "wrong" : "no", w->token_file);
		return hook_reply(c, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
	}
	len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					  MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (len) {
		errno = 0;
		n = strtoull(len, &end, 10);
		if (errno || end == len || *end || n > w->max_body) {
			hook_note(w, c, WEBHOOK_TOO_LARGE, 413,
				  "Content-Length %.24s, more than webhook.max_body %u",
				  len, w->max_body);
			return hook_reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "payload too large\n");
		}
	}
	req = calloc(1, sizeof(*req));
	if (!req)
		return MHD_NO;
	*reqp = req;
	return MHD_YES;
}

static void hook_events(struct webhook *w, const struct alerts_batch *b)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	w->n.events += b->n;
	w->n.ignored += b->ignored;
	for (int i = 0; i < ALERTS_SKIPS; i++)
		w->n.skipped[i] += b->skipped[i];
	for (unsigned int i = 0; i < b->n; i++) {
		const struct alert_event *ev = &b->ev[i];
		char lvl[12] = "-";

		if (ev->level >= 0)
			snprintf(lvl, sizeof(lvl), "%d", ev->level);
		log_dbg("webhook: alert %s (%s) %s: level %s, breaker %s",
			ev->fp, ev->name[0] ? ev->name : "no alertname",
			ev->firing ? "firing" : "resolved", lvl,
			ev->breaker[0] ? ev->breaker : "-");
		if (w->fn)
			w->fn(w->ctx, ev, now);
	}
}

static enum MHD_Result hook_end(struct webhook *w, struct MHD_Connection *c,
				struct hook_req *req)
{
	const struct alerts_opts o = { w->label, w->breaker_label };
	struct alerts_batch *b = &w->batch;
	char msg[ALERTS_MSG_MAX], body[ALERTS_MSG_MAX + 32];
	unsigned int skipped = 0;
	int err;

	err = alerts_parse(req->buf ? req->buf : "", req->len, &o, b, msg, sizeof(msg));
	if (err) {
		hook_note(w, c, WEBHOOK_BAD_REQUEST, 400, "%s (%zu bytes; nothing changed)",
			  msg, req->len);
		snprintf(body, sizeof(body), "bad request: %s\n", msg);
		return hook_reply(c, MHD_HTTP_BAD_REQUEST, body);
	}
	for (int i = 0; i < ALERTS_SKIPS; i++)
		skipped += b->skipped[i];
	hook_note(w, c, WEBHOOK_OK, 200,
		  "%s %s: %u alert%s, %u event%s, %u ignored, %u skipped%s%s%s",
		  b->receiver[0] ? b->receiver : "?", b->status[0] ? b->status : "?",
		  b->total, b->total == 1 ? "" : "s", b->n, b->n == 1 ? "" : "s",
		  b->ignored, skipped, skipped ? " (" : "", b->skip_msg,
		  skipped ? ")" : "");
	if (b->truncated)
		log_warn("webhook: Alertmanager left %u alerts out of the payload (max_alerts)",
			 b->truncated);
	hook_events(w, b);
	snprintf(body, sizeof(body), "ok: %u events\n", b->n);
	return hook_reply(c, MHD_HTTP_OK, body);
}

static enum MHD_Result hook_answer(void *cls, struct MHD_Connection *c,
				   const char *url, const char *method,
				   const char *version, const char *upload,
				   size_t *upload_size, void **reqp)
{
	struct webhook *w = cls;
	struct hook_req *req = *reqp;
	size_t n = *upload_size;
	char *grown;

	(void)version;
	if (!req)
		return hook_begin(w, c, url, method, reqp);
	if (!n)
		return hook_end(w, c, req);
	*upload_size = 0;
	if (req->len + n > w->max_body) {
		/* No Content-Length (chunked): no answer can be queued while
		 * the body comes, and reading on is what must not happen. */
		hook_note(w, c, WEBHOOK_TOO_LARGE, 0,
			  "a body without Content-Length past webhook.max_body %u: connection closed",
			  w->max_body);
		return MHD_NO;
	}
	if (req->len + n > req->cap) {
		size_t cap = req->cap ? req->cap : 4096;

		while (cap < req->len + n)
			cap *= 2;
		grown = realloc(req->buf, cap);
		if (!grown)
			return MHD_NO;
		req->buf = grown;
		req->cap = cap;
	}
	memcpy(req->buf + req->len, upload, n);
	req->len += n;
	return MHD_YES;
}

static void hook_completed(void *cls, struct MHD_Connection *c, void **reqp,
			   enum MHD_RequestTerminationCode why)
{
	struct hook_req *req = *reqp;

	(void)cls, (void)c, (void)why;
	if (!req)
		return;
	free(req->buf);
	free(req);
	*reqp = NULL;
}

/* ---- the loop ------------------------------------------------------------------- */

/* Run MHD, then arm the timer for what it waits on next. */
static void hook_run(struct webhook *w)
{
	MHD_UNSIGNED_LONG_LONG ms;

	MHD_run(w->mhd);
	if (MHD_get_timeout(w->mhd, &ms) == MHD_YES)
		loop_timer_arm(w->loop, w->timer, ms);
	else
		loop_timer_disarm(w->loop, w->timer);
}

static void hook_on_fd(struct loop *l, int fd, uint32_t events, void *arg)
{
	(void)l, (void)fd, (void)events;
	hook_run(arg);
}

static void hook_on_timer(struct loop *l, int id, void *arg)
{
	(void)l, (void)id;
	hook_run(arg);
}

static void hook_stop(struct webhook *w)
{
	if (!w->mhd)
		return;
	loop_del_fd(w->loop, w->epfd);
	loop_timer_disarm(w->loop, w->timer);
	MHD_stop_daemon(w->mhd);
	w->mhd = NULL;
	w->epfd = -1;
	log_info("webhook: stopped listening on %s", w->addr);
	snprintf(w->addr, sizeof(w->addr), "off");
}

static int hook_bind(const struct cfg_listen *l)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	socklen_t len = l->family == AF_INET6 ? sizeof(*s6) : sizeof(*s4);
	int fd, one = 1, err;

	ss.ss_family = l->family;
	if (l->family == AF_INET6) {
		s6->sin6_port = htons(l->port);
		memcpy(&s6->sin6_addr, l->addr, 16);
	} else {
		s4->sin_port = htons(l->port);
		memcpy(&s4->sin_addr, l->addr, 4);
	}
	fd = socket(l->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, WEBHOOK_CONN_MAX)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Listen on l; the running listener (if any) stays until this one is up. */
static int hook_start(struct webhook *w, const struct cfg_listen *l)
{
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *mhd;
	int fd, err;

	fd = hook_bind(l);
	if (fd < 0) {
		log_err("webhook: cannot listen on %s: %s (another process has it? set webhook.listen to another address); sluiced runs on without the receiver",
			l->text, strerror(-fd));
		return fd;
	}
	mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			       (l->family == AF_INET6 ? MHD_USE_IPv6 : 0),
			       0, NULL, NULL, hook_answer, w,
			       MHD_OPTION_EXTERNAL_LOGGER, metrics_mhd_log, "webhook",
			       MHD_OPTION_NOTIFY_COMPLETED, hook_completed, NULL,
			       MHD_OPTION_LISTEN_SOCKET, fd,
			       MHD_OPTION_CONNECTION_LIMIT, (unsigned)WEBHOOK_CONN_MAX,
			       MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)WEBHOOK_CONN_PER_IP,
			       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WEBHOOK_TIMEOUT_S,
			       MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WEBHOOK_CONN_MEMORY,
			       MHD_OPTION_END);
	info = mhd ? MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		if (mhd)
			MHD_stop_daemon(mhd);
		else
			close(fd);
		log_err("webhook: cannot start the HTTP server on %s (libmicrohttpd refused; run with -v for its reason); sluiced runs on without the receiver",
			l->text);
		return -EIO;
	}
	err = loop_add_fd(w->loop, info->epoll_fd, EPOLLIN, hook_on_fd, w);
	if (err) {
		MHD_stop_daemon(mhd);
		log_err("webhook: cannot watch the HTTP server: %s", strerror(-err));
		return err;
	}
	hook_stop(w);
	w->mhd = mhd;
	w->epfd = info->epoll_fd;
	snprintf(w->addr, sizeof(w->addr), "%s", l->text);
	log_info("webhook: receiving Alertmanager's notifications on http://%s" WEBHOOK_PATH " (token from %s)",
		 w->addr, w->token_file);
	hook_run(w);
	return 0;
}

int webhook_new(struct webhook **out, struct loop *l, webhook_alert_fn fn,
		void *ctx)
{
	struct webhook *w;
	int id;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	id = loop_add_timer(l, 0, false, hook_on_timer, w);
	if (id < 0) {
		free(w);
		return id;
	}
	w->loop = l;
	w->fn = fn;
	w->ctx = ctx;
	w->timer = id;
	w->epfd = -1;
	snprintf(w->addr, sizeof(w->addr), "off");
	*out = w;
	return 0;
}

int webhook_apply(struct webhook *w, const struct cfg_webhook *c)
{
	char tok[WEBHOOK_TOKEN_MAX], err[4096 + 512];
	bool moved;
	int rc;

	w->on = w->n.on = c->on && c->listen.on;
	snprintf(w->label, sizeof(w->label), "%s", c->label);
	snprintf(w->breaker_label, sizeof(w->breaker_label), "%s", c->breaker_label);
	w->max_body = c->max_body;
	if (!w->on) {
		hook_stop(w);
		return 0;
	}
	rc = webhook_token_read(c->token_file, tok, err, sizeof(err));
	if (rc && w->mhd) {
		log_err("webhook: %s; the token read before stays", err);
	} else if (rc) {
		log_err("webhook: not started: %s; sluiced runs on without the receiver (fix the file, then reload)",
			err);
		return rc;
	} else {
		if (w->token[0] && strcmp(tok, w->token))
			log_info("webhook: a new token from %s", c->token_file);
		memcpy(w->token, tok, sizeof(tok));
		snprintf(w->token_file, sizeof(w->token_file), "%s", c->token_file);
	}
	memset(tok, 0, sizeof(tok));
	moved = strcmp(w->addr, c->listen.text);
	if (!w->mhd || moved) {
		int e = hook_start(w, &c->listen);

		rc = rc ? rc : e;
	}
	w->n.listening = w->mhd != NULL;
	return rc;
}

const char *webhook_addr(const struct webhook *w)
{
	return w && w->mhd ? w->addr : "off";
}

void webhook_counts(const struct webhook *w, struct webhook_counts *out)
{
	if (!w) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = w->n;
	out->listening = w->mhd != NULL;
}

void webhook_free(struct webhook *w)
{
	if (!w)
		return;
	hook_stop(w);
	loop_del_timer(w->loop, w->timer);
	memset(w->token, 0, sizeof(w->token));
	free(w);
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The socket is non-blocking and every wait is a poll() against one
 * deadline, so a daemon that accepts but never answers (stopped, stuck
 * in a reload) costs the caller the timeout and no more.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl_client.h"
#include "common/clock.h"
#include "common/proto.h"

static int ctl_fail(struct ctl_err *e, int code, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int ctl_fail(struct ctl_err *e, int code, int err, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return err;
}

const char *ctl_socket_path(const char *opt)
{
	const char *env = getenv(CTL_SOCKET_ENV);

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return SL_CONTROL_SOCKET;
}

json_object *ctl_request_new(const char *cmd)
{
	json_object *req = json_object_new_object();

	if (!req)
		return NULL;
	if (json_object_object_add(req, "v",
				   json_object_new_int(SL_PROTO_VERSION)) ||
	    json_object_object_add(req, "cmd", json_object_new_string(cmd))) {
		json_object_put(req);
		return NULL;
	}
	return req;
}

/* Wait for `events` until the deadline: 0, or -ETIMEDOUT / -errno. */
static int ctl_wait(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left;
	int n;

	for (;;) {
		left = deadline - (long long)now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int ctl_connect(const char *path, long long deadline, struct ctl_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return ctl_fail(e, CTL_EXIT_USAGE, -ENAMETOOLONG,
				"socket path too long (%zu bytes, at most %zu): %s",
				strlen(path), sizeof(sa.sun_path) - 1, path);
	strcpy(sa.sun_path, path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		return ctl_fail(e, CTL_EXIT_UNREACHABLE, err,
				"cannot create a unix socket: %s", strerror(-err));
	}
	/* A full listen backlog gives EAGAIN on a unix socket: retry. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		if (err == -EINTR)
			continue;
		if (err == -EAGAIN && (long long)now_ms() < deadline) {
			usleep(10000);
			continue;
		}
		close(fd);
		switch (err) {
		case -ENOENT:
		case -ECONNREFUSED:
		case -ENOTDIR:
			return ctl_fail(e, CTL_EXIT_UNREACHABLE, err,
					"sluiced is not running (cannot connect to %s: %s); start it with: sluiced -c %s",
					path, strerror(-err), CTL_DEFAULT_CONFIG);
		case -EACCES:
		case -EPERM:
			return ctl_fail(e, CTL_EXIT_UNREACHABLE, err,
					"cannot connect to %s: %s (the control socket is root-only: run sluicectl as root)",
					path, strerror(-err));
		case -EAGAIN:
			return ctl_fail(e, CTL_EXIT_PROTO, -ETIMEDOUT,
					"sluiced at %s is not accepting connections (backlog full)",
					path);
		default:
			return ctl_fail(e, CTL_EXIT_UNREACHABLE, err,
					"cannot connect to %s: %s", path,
					strerror(-err));
		}
	}
	return fd;
}

/* After a send or recv that failed with errno: 0 to try again
 * (interrupted, or ready in time), else -errno or -ETIMEDOUT. */
static int ctl_again(int fd, short events, long long deadline)
{
	int err = -errno;

	if (err == -EINTR)
		return 0;
	if (err == -EAGAIN)
		return ctl_wait(fd, events, deadline);
	return err;
}

static int ctl_send(int fd, const char *buf, size_t len, long long deadline,
		    struct ctl_err *e)
{
	ssize_t n;
	int err;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		err = ctl_again(fd, POLLOUT, deadline);
		if (err == -ETIMEDOUT)
			return ctl_fail(e, CTL_EXIT_PROTO, err,
					"timed out sending the request to sluiced");
		if (err)
			return ctl_fail(e, CTL_EXIT_PROTO, err,
					"sending the request to sluiced: %s",
					strerror(-err));
	}
	return 0;
}

/* Read up to the first newline or EOF into a NUL-terminated *out. */
static int ctl_recv(int fd, long long deadline, int timeout_ms, char **out,
		    size_t *outlen, struct ctl_err *e)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nl = NULL;
	ssize_t n;
	int err = 0;

	if (!buf)
		return ctl_fail(e, CTL_EXIT_PROTO, -ENOMEM, "out of memory");
	while (!nl) {
		if (cap - len < 2048) {
			char *nb;

			if (cap >= CTL_RESPONSE_MAX) {
				err = ctl_fail(e, CTL_EXIT_PROTO, -EMSGSIZE,
					       "response from sluiced exceeds %u bytes",
					       CTL_RESPONSE_MAX);
				goto out;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				err = ctl_fail(e, CTL_EXIT_PROTO, -ENOMEM,
					       "out of memory");
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n > 0) {
			nl = memchr(buf + len, '\n', n);
			len += n;
			continue;
		}
		if (n == 0)
			break;
		err = ctl_again(fd, POLLIN, deadline);
		if (err == -ETIMEDOUT) {
			err = ctl_fail(e, CTL_EXIT_PROTO, err,
				       "no answer from sluiced within %d.%03d s",
				       timeout_ms / 1000, timeout_ms % 1000);
			goto out;
		}
		if (err) {
			err = ctl_fail(e, CTL_EXIT_PROTO, err,
				       "reading the answer from sluiced: %s",
				       strerror(-err));
			goto out;
		}
	}
	if (nl)
		len = nl - buf;
	if (!len) {
		err = ctl_fail(e, CTL_EXIT_PROTO, -EPROTO,
			       "sluiced closed the connection without an answer");
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
out:
	free(buf);
	return err;
}

int ctl_call(const char *path, json_object *req, int timeout_ms,
	     json_object **data, struct ctl_err *e)
{
	long long deadline = (long long)now_ms() + timeout_ms;
	const char *line;
	char *resp = NULL, *msg = NULL;
	size_t resp_len = 0;
	int fd, err;

	*data = NULL;
	line = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!line || asprintf(&msg, "%s\n", line) < 0)
		return ctl_fail(e, CTL_EXIT_PROTO, -ENOMEM, "out of memory");

	fd = ctl_connect(path, deadline, e);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	err = ctl_send(fd, msg, strlen(msg), deadline, e);
	if (!err)
		err = ctl_recv(fd, deadline, timeout_ms, &resp, &resp_len, e);
	close(fd);
	if (!err)
		err = ctl_response_parse(resp, resp_len, data, e);
out:
	free(msg);
	free(resp);
	return err;
}

/* The start of what arrived, printable, to tell a wrong socket apart
 * from a broken daemon. */
static const char *snippet(const char *buf, size_t len, char *out,
			   size_t size)
{
	size_t n = 0, max = size - 4;

	for (size_t i = 0; i < len && n < max; i++)
		out[n++] = buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '?';
	strcpy(out + n, len > max ? "..." : "");
	return out;
}

/* Parse one JSON value from buf; *end is where it stopped. */
static const char *tok_parse(json_tokener *tok, const char *buf, size_t len,
			     json_object **obj, size_t *end)
{
	enum json_tokener_error jerr;

	*obj = json_tokener_parse_ex(tok, buf, len);
	jerr = json_tokener_get_error(tok);
	*end = json_tokener_get_parse_end(tok);
	/* A bare number may still be growing: one blank ends it. */
	if (!*obj && jerr == json_tokener_continue) {
		*obj = json_tokener_parse_ex(tok, " ", 1);
		jerr = json_tokener_get_error(tok);
		*end = len;
	}
	if (*obj)
		return NULL;
	if (jerr == json_tokener_continue)
		return "truncated JSON";
	return json_tokener_error_desc(jerr);
}

#define MALFORMED	"malformed response from sluiced: "

/* o[key] when it has the type `type`, else NULL. */
static json_object *member(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

int ctl_response_parse(const char *buf, size_t len, json_object **data,
		       struct ctl_err *e)
{
	json_object *root = NULL, *v, *ok, *d, *why;
	json_tokener *tok;
	const char *desc;
	int64_t ver;
	size_t end;
	int err;

	*data = NULL;
	if (memchr(buf, '\0', len))
		return ctl_fail(e, CTL_EXIT_PROTO, -EPROTO,
				MALFORMED "NUL byte in the line");
	tok = json_tokener_new();
	if (!tok)
		return ctl_fail(e, CTL_EXIT_PROTO, -ENOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
			       JSON_TOKENER_VALIDATE_UTF8);
	desc = tok_parse(tok, buf, len, &root, &end);
	json_tokener_free(tok);
	if (desc) {
		char got[48];

		err = ctl_fail(e, CTL_EXIT_PROTO, -EPROTO,
			       MALFORMED "%s (got '%s')",
			       desc, snippet(buf, len, got, sizeof(got)));
		goto out;
	}
	while (end < len && strchr(" \t\r", buf[end]))
		end++;
	if (end < len) {
		err = ctl_fail(e, CTL_EXIT_PROTO, -EPROTO,
			       MALFORMED "data after the JSON value");
		goto out;
	}
	if (!json_object_is_type(root, json_type_object)) {
		err = ctl_fail(e, CTL_EXIT_PROTO, -EPROTO,
			       MALFORMED "not a JSON object");
		goto out;
	}

	/* The version first: another version's answer may differ in all
	 * the rest, and its error says why. */
	v = member(root, "v", json_type_int);
	why = member(root, "error", json_type_string);
	ok = member(root, "ok", json_type_boolean);
	d = member(root, "data", json_type_object);
	if (!v)
		err = ctl_fail(e, CTL_EXIT_PROTO, -EPROTO,
			       MALFORMED "no protocol version \"v\"");
	else if ((ver = json_object_get_int64(v)) != SL_PROTO_VERSION)
		err = ctl_fail(e, CTL_EXIT_PROTO, -EPROTO,
			       "protocol version mismatch: sluicectl speaks v%d, sluiced v%lld%s%s; use the sluicectl that came with this sluiced",
			       SL_PROTO_VERSION, (long long)ver,
			       why ? ": " : "",
			       why ? json_object_get_string(why) : "");
	else if (!ok)
		err = ctl_fail(e, CTL_EXIT_PROTO, -EPROTO,
			       MALFORMED "no boolean \"ok\"");
	else if (!json_object_get_boolean(ok))
		err = ctl_fail(e, CTL_EXIT_FAILED, -EREMOTEIO, "%s",
			       why ? json_object_get_string(why) :
			       "sluiced refused the request without saying why");
	else if (!d)
		err = ctl_fail(e, CTL_EXIT_PROTO, -EPROTO,
			       MALFORMED "no \"data\" object");
	else {
		*data = json_object_get(d);
		err = 0;
	}
out:
	json_object_put(root);
	return err;
}

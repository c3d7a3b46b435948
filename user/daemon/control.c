// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/control.h"
#include "daemon/loop.h"
#include "common/clock.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proto.h"

static int sun_fill(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int control_probe(const char *path)
{
	struct sockaddr_un sa;
	int fd, err;

	err = sun_fill(&sa, path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? 0 : -EADDRINUSE;
	close(fd);
	return err;
}

bool control_stale(const char *path)
{
	struct stat st;

	return !lstat(path, &st) && S_ISSOCK(st.st_mode) && !control_probe(path);
}

static void control_accept(struct loop *l, int fd, uint32_t events, void *arg);

int control_open(struct control *c, struct loop *loop, const char *path,
		 const struct control_cmd *cmds, void *ctx)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t mask;
	int err;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->loop = loop;
	c->cmds = cmds;
	c->ctx = ctx;
	for (int i = 0; i < CONTROL_MAX_CONNS; i++) {
		c->conns[i].ctl = c;
		c->conns[i].fd = -1;
	}
	err = sun_fill(&sa, path);
	if (err) {
		log_err("control socket path too long: %s", path);
		return err;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	err = fs_mkdirs_for(path);	/* the socket's directory */
	if (err) {
		log_err("cannot create the directory of the control socket %s: %s",
			path, strerror(-err));
		return err;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_err("%s exists and is not a socket: remove it or set control_socket to another path",
				path);
			return -EEXIST;
		}
		if (!control_stale(path)) {
			log_err("another sluiced answers on %s: stop it first (sluicectl -s %s detach), or give this one another control_socket",
				path, path);
			return -EADDRINUSE;
		}
		unlink(path);	/* left by a daemon that died */
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		err = -errno;
		goto fail;
	}
	/* Born 0600: no window in which another user could connect. */
	mask = umask(0177);
	err = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(mask);
	if (err)
		goto fail;
	if (stat(path, &st) || chmod(path, 0600) || listen(c->fd, 64)) {
		err = -errno;
		goto fail;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	err = loop_add_fd(loop, c->fd, EPOLLIN, control_accept, c);
	if (err)
		goto fail;
	log_info("control socket %s", path);
	return 0;
fail:
	log_err("cannot listen on the control socket %s: %s", path,
		strerror(-err));
	control_close(c);
	return err;
}

static void conn_close(struct control_conn *cn)
{
	struct control *c = cn->ctl;

	if (cn->fd >= 0) {
		loop_del_fd(c->loop, cn->fd);
		close(cn->fd);
	}
	if (cn->timer > 0)
		loop_del_timer(c->loop, cn->timer);
	free(cn->in);
	free(cn->out);
	memset(cn, 0, sizeof(*cn));
	cn->ctl = c;
	cn->fd = -1;
}

void control_close(struct control *c)
{
	struct stat st;

	for (int i = 0; i < CONTROL_MAX_CONNS; i++)
		conn_close(&c->conns[i]);
	if (c->fd >= 0) {
		loop_del_fd(c->loop, c->fd);
		close(c->fd);
		if (stat(c->path, &st) == 0 && st.st_dev == c->dev &&
		    st.st_ino == c->ino)
			unlink(c->path);
	}
	c->fd = -1;
}

static json_object *control_reply(int ok, json_object *data, const char *err)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "v", json_object_new_int(SL_PROTO_VERSION));
	json_object_object_add(r, "ok", json_object_new_boolean(ok));
	if (ok)
		json_object_object_add(r, "data",
				       data ? data : json_object_new_object());
	else
		json_object_object_add(r, "error", json_object_new_string(err));
	return r;
}

/* One request line in, one response object out. */
static json_object *control_exec(struct control *c, const char *line,
				 size_t len)
{
	char err[1024] = "", names[256] = "";
	json_tokener *tok = json_tokener_new();
	json_object *req = NULL, *v, *cmd, *data = NULL, *resp;
	const struct control_cmd *k;
	const char *name;
	int rc;

	if (!tok)
		return control_reply(0, NULL, "out of memory");
	req = json_tokener_parse_ex(tok, line, len);
	if (!req || !json_object_is_type(req, json_type_object)) {
		resp = control_reply(0, NULL, "request is not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(req, "v", &v) ||
	    json_object_get_int(v) != SL_PROTO_VERSION) {
		snprintf(err, sizeof(err),
			 "protocol version %s not supported: this sluiced speaks version %d",
			 v ? json_object_get_string(v) : "(none)",
			 SL_PROTO_VERSION);
		resp = control_reply(0, NULL, err);
		goto out;
	}
	json_object_object_get_ex(req, "cmd", &cmd);
	name = json_object_is_type(cmd, json_type_string) ?
	       json_object_get_string(cmd) : "";
	for (k = c->cmds; k->name; k++) {
		if (!strcmp(k->name, name))
			break;
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%s%s", names[0] ? ", " : "", k->name);
	}
	if (!k->name) {
		snprintf(err, sizeof(err),
			 "unknown command '%s' (this sluiced knows %s)", name,
			 names);
		resp = control_reply(0, NULL, err);
		goto out;
	}
	log_dbg("control: %s", name);
	rc = k->fn(c->ctx, req, &data, err, sizeof(err));
	if (rc) {
		json_object_put(data);
		if (!err[0])
			snprintf(err, sizeof(err), "%s failed: %s", name,
				 strerror(-rc));
		resp = control_reply(0, NULL, err);
	} else {
		resp = control_reply(1, data, NULL);
	}
out:
	json_object_put(req);
	json_tokener_free(tok);
	return resp;
}

static void conn_respond(struct control *c, struct control_conn *cn,
			 size_t len)
{
	json_object *resp = control_exec(c, cn->in, len);
	const char *s = json_object_to_json_string_ext(resp,
						      JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE);

	cn->outlen = strlen(s) + 1;
	cn->out = malloc(cn->outlen);
	if (cn->out) {
		memcpy(cn->out, s, cn->outlen - 1);
		cn->out[cn->outlen - 1] = '\n';
	}
	json_object_put(resp);
	cn->outoff = 0;
}

/* Returns true when the connection is done with. */
static bool conn_read(struct control *c, struct control_conn *cn)
{
	char *nl;
	ssize_t n;

	if (!cn->in) {
		cn->in = malloc(CONTROL_REQ_MAX);
		if (!cn->in)
			return true;
	}
	n = recv(cn->fd, cn->in + cn->inlen, CONTROL_REQ_MAX - cn->inlen, 0);
	if (n < 0)
		return errno != EAGAIN && errno != EINTR;
	cn->inlen += n;
	nl = memchr(cn->in, '\n', cn->inlen);
	if (!nl && n && cn->inlen < CONTROL_REQ_MAX)
		return false;		/* more to come */
	if (!nl && !cn->inlen)
		return true;		/* closed without a request */
	conn_respond(c, cn, nl ? (size_t)(nl - cn->in) : cn->inlen);
	return !cn->out;
}

static bool conn_write(struct control_conn *cn)
{
	ssize_t n = send(cn->fd, cn->out + cn->outoff, cn->outlen - cn->outoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0)
		return errno != EAGAIN && errno != EINTR;
	cn->outoff += n;
	return cn->outoff == cn->outlen;
}

/* The client sent nothing whole, or read nothing, for too long. */
static void conn_idle(struct loop *l, int id, void *arg)
{
	(void)l, (void)id;
	conn_close(arg);
}

static void conn_event(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct control_conn *cn = arg;
	bool done;

	(void)fd;
	done = cn->out ? conn_write(cn) : conn_read(cn->ctl, cn);
	/* A response written at once needs no second round. */
	if (!done && cn->out && !(events & EPOLLOUT)) {
		done = conn_write(cn);
		if (!done)
			loop_mod_fd(l, cn->fd, EPOLLOUT);
	}
	if (done)
		conn_close(cn);
}

static void control_accept(struct loop *l, int lfd, uint32_t events, void *arg)
{
	struct control *c = arg;
	int err;

	(void)events;
	for (;;) {
		struct control_conn *cn = NULL;
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		for (int i = 0; i < CONTROL_MAX_CONNS && !cn; i++)
			if (c->conns[i].fd < 0)
				cn = &c->conns[i];
		if (!cn) {
			log_warn("control: %d connections open, refusing another",
				 CONTROL_MAX_CONNS);
			close(fd);
			continue;
		}
		cn->timer = loop_add_timer(l, CONTROL_IDLE_MS, false, conn_idle, cn);
		err = cn->timer < 0 ? cn->timer :
		      loop_add_fd(l, fd, EPOLLIN, conn_event, cn);
		if (err) {
			log_warn("control: cannot serve a connection: %s",
				 strerror(-err));
			close(fd);
			conn_close(cn);
			continue;
		}
		cn->fd = fd;
	}
}

void control_flush(struct control *c, int ms)
{
	uint64_t end = now_ms() + ms;

	for (;;) {
		struct pollfd fds[CONTROL_MAX_CONNS];
		int n = 0;

		for (int i = 0; i < CONTROL_MAX_CONNS; i++) {
			struct control_conn *cn = &c->conns[i];

			if (cn->fd >= 0 && cn->out)
				fds[n++] = (struct pollfd){ .fd = cn->fd,
							    .events = POLLOUT };
			else if (cn->fd >= 0)
				conn_close(cn);
		}
		if (!n || now_ms() >= end)
			return;
		poll(fds, n, (int)(end - now_ms()));
		for (int i = 0; i < n; i++)
			for (int j = 0; j < CONTROL_MAX_CONNS; j++)
				if (c->conns[j].fd == fds[i].fd &&
				    fds[i].revents && conn_write(&c->conns[j]))
					conn_close(&c->conns[j]);
	}
}

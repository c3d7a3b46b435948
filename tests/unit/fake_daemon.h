/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A fake sluiced for the client tests: a forked child serving a
 * temporary unix socket with canned answers (valid, garbage, errors, a
 * wrong version, truncated, silent).
 */
#ifndef SLUICE_TEST_FAKE_DAEMON_H
#define SLUICE_TEST_FAKE_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

enum fake_act {
	FAKE_REPLY,	/* send `reply` as given, then close */
	FAKE_ECHO,	/* answer ok with the request as data.echo */
	FAKE_CLOSE,	/* close without a word */
	FAKE_HANG,	/* read the request, never answer */
};

struct fake {
	pid_t pid;
	char dir[64];
	char path[128];
};

#define OK_MODE		"{\"v\":1,\"ok\":true,\"data\":{\"mode\":\"shadow\"}}\n"

/* Read the request line (up to its newline) into buf. */
static inline size_t fake_read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, buf + len, 1)) == 1)
		if (buf[len++] == '\n')
			break;
	buf[len] = '\0';
	return len;
}

static inline void write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len && (n = write(fd, buf, len)) > 0) {
		buf += n;
		len -= n;
	}
}

static inline void fake_serve(int lfd, enum fake_act act, const char *reply,
		       size_t len)
{
	char req[65536], *echo = NULL;
	int fd = accept(lfd, NULL, NULL);
	size_t n;

	if (fd < 0)
		_exit(1);
	n = fake_read_line(fd, req, sizeof(req));
	switch (act) {
	case FAKE_REPLY:
		write_all(fd, reply, len);
		break;
	case FAKE_ECHO:
		if (n && req[n - 1] == '\n')
			req[n - 1] = '\0';
		if (asprintf(&echo, "{\"v\":1,\"ok\":true,\"data\":{\"echo\":%s}}\n",
			     req) > 0)
			write_all(fd, echo, strlen(echo));
		break;
	case FAKE_CLOSE:
		break;
	case FAKE_HANG:
		pause();
		break;
	}
	close(fd);
	_exit(0);
}

/* A socket path in a fresh directory, nothing bound yet. */
static inline bool fake_path(struct fake *fk)
{
	memset(fk, 0, sizeof(*fk));
	strcpy(fk->dir, "/tmp/sl_ctl.XXXXXX");
	if (!ASSERT_TRUE(mkdtemp(fk->dir), "mkdtemp"))
		return false;
	snprintf(fk->path, sizeof(fk->path), "%s/sluiced.sock", fk->dir);
	return true;
}

/* Bind and listen in the parent, so the child is reachable at once. */
static inline bool fake_start(struct fake *fk, enum fake_act act, const char *reply,
		       size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd;

	if (!fake_path(fk))
		return false;
	strcpy(sa.sun_path, fk->path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (!ASSERT_TRUE(lfd >= 0, "socket") ||
	    !ASSERT_OK(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), "bind") ||
	    !ASSERT_OK(listen(lfd, 4), "listen"))
		goto fail;
	fk->pid = fork();
	if (fk->pid == 0)
		fake_serve(lfd, act, reply, len);
	close(lfd);
	return ASSERT_TRUE(fk->pid > 0, "fork");
fail:
	if (lfd >= 0)
		close(lfd);
	return false;
}

static inline void fake_stop(struct fake *fk)
{
	if (fk->pid > 0) {
		kill(fk->pid, SIGKILL);
		waitpid(fk->pid, NULL, 0);
	}
	if (*fk->path)
		unlink(fk->path);
	if (*fk->dir)
		rmdir(fk->dir);
}

#endif /* SLUICE_TEST_FAKE_DAEMON_H */

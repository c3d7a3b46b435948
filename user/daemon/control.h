/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The daemon's end of the control socket (user/common/proto.h): a unix stream
 * socket, mode 0600, serving one JSON request line and one response
 * line per connection.  Everything is non-blocking and driven by the
 * daemon's event loop (loop.h), so a client that stalls costs nothing
 * but its slot until its idle timer closes it.
 */
#ifndef SLUICE_CONTROL_H
#define SLUICE_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

#define CONTROL_MAX_CONNS	16
#define CONTROL_REQ_MAX		(64 * 1024)
#define CONTROL_IDLE_MS		5000

/* A command: fill *data (an object; NULL means {}) and return 0, or
 * write one line into err and return a negative errno. */
typedef int (*control_fn)(void *ctx, json_object *req, json_object **data,
			  char *err, size_t errlen);

struct control_cmd {
	const char *name;
	control_fn fn;
};

struct control;
struct loop;

struct control_conn {
	struct control *ctl;
	int fd;			/* -1: slot free */
	int timer;		/* the loop's idle timer: closes a stalled client */
	char *in;
	size_t inlen;
	char *out;		/* the response, once there is one */
	size_t outlen, outoff;
};

struct control {
	struct loop *loop;
	int fd;
	char path[108];
	dev_t dev;		/* of the socket file we bound, so we only */
	ino_t ino;		/* ever unlink our own */
	const struct control_cmd *cmds;
	void *ctx;
	struct control_conn conns[CONTROL_MAX_CONNS];
};

/* Is a daemon answering at `path`?  0 if not (a stale socket file is
 * fine), -EADDRINUSE if one is. */
int control_probe(const char *path);

/* A socket file nobody answers on (its daemon was killed)? */
bool control_stale(const char *path);

/* Create the directory (0755) and the socket (0600), listen, and serve
 * connections from `loop`. */
int control_open(struct control *c, struct loop *loop, const char *path,
		 const struct control_cmd *cmds, void *ctx);

/* Close every connection and the socket, and remove the socket file. */
void control_close(struct control *c);

/* Send what is still queued, for at most `ms` (before exiting). */
void control_flush(struct control *c, int ms);

#endif /* SLUICE_CONTROL_H */

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * sluicectl's side of the control protocol (user/common/proto.h): connect to
 * the daemon's unix socket, send one JSON request line, read one
 * response line within a deadline, and check it before anyone reads it.
 */
#ifndef SLUICE_CTL_CLIENT_H
#define SLUICE_CTL_CLIENT_H

#include <json-c/json.h>

#define CTL_TIMEOUT_MS		5000
#define CTL_RESPONSE_MAX	(16U << 20)	/* 64 tiers of counters fit easily */
#define CTL_ERR_MAX		1024
#define CTL_SOCKET_ENV		"SLUICE_SOCKET"
#define CTL_DEFAULT_CONFIG	"/etc/sluice/sluice.yaml"

/* sluicectl's exit codes; every failure maps to exactly one. */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,	/* sluiced answered ok:false; invalid config */
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_UNREACHABLE = 3, /* sluiced not running, socket unreachable */
	CTL_EXIT_PROTO = 4,	/* bad answer, version mismatch, timeout */
};

struct ctl_err {
	int code;		/* enum ctl_exit */
	char msg[CTL_ERR_MAX];	/* one line, no "sluicectl: " prefix */
};

/* The socket to use: `opt` (-s), else $SLUICE_SOCKET, else the default. */
const char *ctl_socket_path(const char *opt);

/* A request {"v":SL_PROTO_VERSION,"cmd":cmd}; add arguments to it. */
json_object *ctl_request_new(const char *cmd);

/* Send `req` to the daemon at `path` and wait at most `timeout_ms` for
 * the answer.  Returns 0 and the response's data object in *data (the
 * caller puts it), or a negative errno with `e` filled in. */
int ctl_call(const char *path, json_object *req, int timeout_ms,
	     json_object **data, struct ctl_err *e);

/* Check one response line (without the newline) and take its data;
 * ctl_call's second half, on its own for tests.  Same returns. */
int ctl_response_parse(const char *buf, size_t len, json_object **data,
		       struct ctl_err *e);

#endif /* SLUICE_CTL_CLIENT_H */

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ctl_call() against a fake sluiced (fake_daemon.h): answers, errors,
 * version mismatches, silence, sizes, and the socket path rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "fake_daemon.h"
#include "ctl/ctl_client.h"
#include "common/proto.h"

/* ---- ctl_call -------------------------------------------------------- */

/* One exchange with a fake answering `reply`; returns ctl_call's result. */
static int call_with(enum fake_act act, const char *reply, size_t len,
		     int timeout_ms, json_object **data, struct ctl_err *e)
{
	json_object *req = ctl_request_new("status");
	struct fake fk;
	int err = -EINVAL;

	*data = NULL;
	memset(e, 0, sizeof(*e));
	if (ASSERT_TRUE(req, "request") && fake_start(&fk, act, reply, len)) {
		err = ctl_call(fk.path, req, timeout_ms, data, e);
		fake_stop(&fk);
	}
	json_object_put(req);
	return err;
}

/* What ctl_call makes of an answer: its return and exit code. */
enum answer { ANS_OK, ANS_REFUSED, ANS_PROTO };

static const struct {
	int err, code;
} answer_results[] = {
	[ANS_OK]	= { 0, 0 },
	[ANS_REFUSED]	= { -EREMOTEIO, CTL_EXIT_FAILED },
	[ANS_PROTO]	= { -EPROTO, CTL_EXIT_PROTO },
};

static void test_answers(void)
{
	static const struct {
		const char *desc, *reply;
		size_t len;		/* 0: strlen */
		enum answer ans;
		const char *msg;	/* a part of the message */
	} cases[] = {
		{ "valid", OK_MODE, 0, ANS_OK, "" },
		{ "no newline before EOF",
		  "{\"v\":1,\"ok\":true,\"data\":{}}", 0, ANS_OK, "" },
		{ "CRLF", "{\"v\":1,\"ok\":true,\"data\":{}}\r\n", 0, ANS_OK, "" },
		{ "a second line is ignored", OK_MODE "garbage\n", 0, ANS_OK, "" },
		{ "error object",
		  "{\"v\":1,\"ok\":false,\"error\":\"sluice.yaml:3:9: tiers: expected a list\"}\n",
		  0, ANS_REFUSED, "sluice.yaml:3:9: tiers: expected a list" },
		{ "refusal without a reason", "{\"v\":1,\"ok\":false}\n",
		  0, ANS_REFUSED, "without saying why" },
		{ "wrong version",
		  "{\"v\":2,\"ok\":false,\"error\":\"unsupported version 1\"}\n",
		  0, ANS_PROTO, "sluicectl speaks v1, sluiced v2" },
		{ "wrong version, ok", "{\"v\":0,\"ok\":true,\"data\":{}}\n",
		  0, ANS_PROTO, "version mismatch" },
		{ "no version", "{\"ok\":true,\"data\":{}}\n", 0, ANS_PROTO,
		  "no protocol version" },
		{ "version a string", "{\"v\":\"1\",\"ok\":true,\"data\":{}}\n",
		  0, ANS_PROTO, "no protocol version" },
		{ "no ok", "{\"v\":1,\"data\":{}}\n", 0, ANS_PROTO,
		  "no boolean \"ok\"" },
		{ "ok a string", "{\"v\":1,\"ok\":\"yes\",\"data\":{}}\n",
		  0, ANS_PROTO, "no boolean \"ok\"" },
		{ "no data", "{\"v\":1,\"ok\":true}\n", 0, ANS_PROTO,
		  "no \"data\" object" },
		{ "data a list", "{\"v\":1,\"ok\":true,\"data\":[]}\n", 0,
		  ANS_PROTO, "no \"data\" object" },
		{ "garbage", "HTTP/1.1 400 Bad Request\r\n\r\n", 0, ANS_PROTO,
		  "(got 'HTTP/1.1 400 Bad Request?')" },
		{ "truncated", "{\"v\":1,\"ok\":true,\"data\":{\"mo", 0,
		  ANS_PROTO, "truncated JSON" },
		{ "a list", "[1,2]\n", 0, ANS_PROTO, "not a JSON object" },
		{ "a number", "42\n", 0, ANS_PROTO, "not a JSON object" },
		{ "data after the value", "{\"v\":1,\"ok\":true,\"data\":{}} x\n",
		  0, ANS_PROTO, "malformed" },
		{ "NUL byte", "{\"v\":1,\0\"ok\":true,\"data\":{}}\n", 32,
		  ANS_PROTO, "NUL byte" },
		{ "invalid UTF-8",
		  "{\"v\":1,\"ok\":true,\"data\":{\"m\":\"\xff\xfe\"}}\n",
		  0, ANS_PROTO, "malformed" },
		{ "empty line", "\n", 0, ANS_PROTO, "without an answer" },
		{ "nested too deep",
		  "{\"v\":1,\"ok\":true,\"data\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}\n",
		  0, ANS_PROTO, "malformed" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].reply);
		int want = answer_results[cases[i].ans].err;
		json_object *data;
		struct ctl_err e;
		int err;

		test_subtest_begin(cases[i].desc);
		err = call_with(FAKE_REPLY, cases[i].reply, len, 2000, &data, &e);
		ASSERT_EQ(err, want, "return");
		if (err) {
			ASSERT_EQ(e.code, answer_results[cases[i].ans].code,
				  "exit code");
			ASSERT_TRUE(strstr(e.msg, cases[i].msg), e.msg);
			ASSERT_TRUE(!data, "no data on error");
		} else {
			ASSERT_TRUE(json_object_is_type(data, json_type_object),
				    "data object");
		}
		json_object_put(data);
		test_subtest_end();
	}
}

static void test_request_line(void)
{
	json_object *req = ctl_request_new("client"), *data = NULL, *echo, *v;
	struct ctl_err e;
	struct fake fk;

	if (!ASSERT_TRUE(req, "request"))
		return;
	json_object_object_add(req, "addr", json_object_new_string("2001:2::1"));
	if (!fake_start(&fk, FAKE_ECHO, NULL, 0))
		goto out;
	if (ASSERT_OK(ctl_call(fk.path, req, 2000, &data, &e), e.msg) &&
	    ASSERT_TRUE(json_object_object_get_ex(data, "echo", &echo), "echo")) {
		ASSERT_TRUE(json_object_object_get_ex(echo, "v", &v) &&
			    json_object_get_int(v) == SL_PROTO_VERSION, "v");
		ASSERT_TRUE(json_object_object_get_ex(echo, "cmd", &v), "cmd");
		ASSERT_STREQ(json_object_get_string(v), "client", "cmd");
		ASSERT_TRUE(json_object_object_get_ex(echo, "addr", &v), "addr");
		ASSERT_STREQ(json_object_get_string(v), "2001:2::1", "addr");
	}
	fake_stop(&fk);
out:
	json_object_put(data);
	json_object_put(req);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void test_silent_daemon(void)
{
	json_object *data;
	struct ctl_err e;
	long long t0 = mono_ms();

	ASSERT_EQ(call_with(FAKE_HANG, NULL, 0, 200, &data, &e), -ETIMEDOUT,
		  "hang: timeout");
	ASSERT_EQ(e.code, CTL_EXIT_PROTO, "hang: exit code");
	ASSERT_TRUE(strstr(e.msg, "no answer from sluiced within 0.200 s"), e.msg);
	ASSERT_LE(mono_ms() - t0, 1500, "returns soon after the timeout");

	ASSERT_EQ(call_with(FAKE_CLOSE, NULL, 0, 2000, &data, &e), -EPROTO,
		  "close");
	ASSERT_EQ(e.code, CTL_EXIT_PROTO, "close: exit code");
	ASSERT_TRUE(strstr(e.msg, "closed the connection without an answer"),
		    e.msg);
}

static void test_not_running(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	json_object *req = ctl_request_new("status"), *data = NULL;
	char want[512], longpath[200];
	struct ctl_err e;
	struct fake fk;
	int fd;

	if (!ASSERT_TRUE(req, "request") || !fake_path(&fk))
		goto out;
	ASSERT_EQ(ctl_call(fk.path, req, 1000, &data, &e), -ENOENT, "no socket");
	ASSERT_EQ(e.code, CTL_EXIT_UNREACHABLE, "no socket: exit code");
	snprintf(want, sizeof(want),
		 "sluiced is not running (cannot connect to %s: No such file or directory); start it with: sluiced -c /etc/sluice/sluice.yaml",
		 fk.path);
	ASSERT_STREQ(e.msg, want, "message");

	/* A socket file left behind by a dead daemon: bound, no listener. */
	strcpy(sa.sun_path, fk.path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), "bind")) {
		ASSERT_EQ(ctl_call(fk.path, req, 1000, &data, &e),
			  -ECONNREFUSED, "stale socket");
		ASSERT_EQ(e.code, CTL_EXIT_UNREACHABLE, "stale: exit code");
		ASSERT_TRUE(strstr(e.msg, "sluiced is not running"), e.msg);
	}
	close(fd);
	fake_stop(&fk);

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ASSERT_EQ(ctl_call(longpath, req, 1000, &data, &e), -ENAMETOOLONG,
		  "path too long");
	ASSERT_EQ(e.code, CTL_EXIT_USAGE, "path too long: exit code");
out:
	json_object_put(data);
	json_object_put(req);
}

/* A long answer arrives whole; one past the limit is refused. */
static void test_sizes(void)
{
	static const char head[] = "{\"v\":1,\"ok\":true,\"data\":{\"s\":\"";
	size_t big = 3 << 20, huge = CTL_RESPONSE_MAX + 4096;
	char *buf = malloc(huge + 64);
	json_object *data, *s;
	struct ctl_err e;
	size_t n;

	if (!ASSERT_TRUE(buf, "malloc"))
		return;
	n = sprintf(buf, "%s", head);
	memset(buf + n, 'a', big);
	n += big;
	n += sprintf(buf + n, "\"}}\n");
	if (ASSERT_OK(call_with(FAKE_REPLY, buf, n, 5000, &data, &e), e.msg)) {
		ASSERT_TRUE(json_object_object_get_ex(data, "s", &s) &&
			    json_object_get_string_len(s) == (int)big, "3 MiB");
		json_object_put(data);
	}

	memset(buf + strlen(head), 'a', huge);
	ASSERT_EQ(call_with(FAKE_REPLY, buf, strlen(head) + huge, 5000, &data,
			    &e), -EMSGSIZE, "over the limit");
	ASSERT_EQ(e.code, CTL_EXIT_PROTO, "over the limit: exit code");
	free(buf);
}

static void test_socket_path(void)
{
	unsetenv(CTL_SOCKET_ENV);
	ASSERT_STREQ(ctl_socket_path(NULL), SL_CONTROL_SOCKET, "default");
	setenv(CTL_SOCKET_ENV, "/tmp/env.sock", 1);
	ASSERT_STREQ(ctl_socket_path(NULL), "/tmp/env.sock", "env");
	ASSERT_STREQ(ctl_socket_path("/tmp/opt.sock"), "/tmp/opt.sock",
		     "-s wins over env");
	setenv(CTL_SOCKET_ENV, "", 1);
	ASSERT_STREQ(ctl_socket_path(""), SL_CONTROL_SOCKET, "empty ignored");
	unsetenv(CTL_SOCKET_ENV);
}

TEST_MAIN("unit/ctl_client",
	  TEST(test_answers),
	  TEST(test_request_line),
	  TEST(test_silent_daemon),
	  TEST(test_not_running),
	  TEST(test_sizes),
	  TEST(test_socket_path))

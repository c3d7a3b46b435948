// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The control client against a fake sluiced: a forked child serving a
 * temporary unix socket with canned answers (valid, garbage, errors, a
 * wrong version, truncated, silent).  First ctl_call() itself, then the
 * sluicectl binary end to end: output and exit codes.
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
#include "ctl/ctl_client.h"
#include "common/proto.h"

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
static size_t fake_read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, buf + len, 1)) == 1)
		if (buf[len++] == '\n')
			break;
	buf[len] = '\0';
	return len;
}

static void write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len && (n = write(fd, buf, len)) > 0) {
		buf += n;
		len -= n;
	}
}

static void fake_serve(int lfd, enum fake_act act, const char *reply,
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
static bool fake_path(struct fake *fk)
{
	memset(fk, 0, sizeof(*fk));
	strcpy(fk->dir, "/tmp/sl_ctl.XXXXXX");
	if (!ASSERT_TRUE(mkdtemp(fk->dir), "mkdtemp"))
		return false;
	snprintf(fk->path, sizeof(fk->path), "%s/sluiced.sock", fk->dir);
	return true;
}

/* Bind and listen in the parent, so the child is reachable at once. */
static bool fake_start(struct fake *fk, enum fake_act act, const char *reply,
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

static void fake_stop(struct fake *fk)
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

static void test_answers(void)
{
	static const struct {
		const char *desc, *reply;
		size_t len;	/* 0: strlen */
		int err, code;
		const char *msg;	/* a part of the message */
	} cases[] = {
		{ "valid", OK_MODE, 0, 0, 0, "" },
		{ "no newline before EOF",
		  "{\"v\":1,\"ok\":true,\"data\":{}}", 0, 0, 0, "" },
		{ "CRLF", "{\"v\":1,\"ok\":true,\"data\":{}}\r\n", 0, 0, 0, "" },
		{ "a second line is ignored", OK_MODE "garbage\n", 0, 0, 0, "" },
		{ "error object",
		  "{\"v\":1,\"ok\":false,\"error\":\"sluice.yaml:3:9: tiers: expected a list\"}\n",
		  0, -EREMOTEIO, CTL_EXIT_FAILED,
		  "sluice.yaml:3:9: tiers: expected a list" },
		{ "refusal without a reason", "{\"v\":1,\"ok\":false}\n", 0,
		  -EREMOTEIO, CTL_EXIT_FAILED, "without saying why" },
		{ "wrong version",
		  "{\"v\":2,\"ok\":false,\"error\":\"unsupported version 1\"}\n",
		  0, -EPROTO, CTL_EXIT_PROTO, "sluicectl speaks v1, sluiced v2" },
		{ "wrong version, ok", "{\"v\":0,\"ok\":true,\"data\":{}}\n", 0,
		  -EPROTO, CTL_EXIT_PROTO, "version mismatch" },
		{ "no version", "{\"ok\":true,\"data\":{}}\n", 0, -EPROTO,
		  CTL_EXIT_PROTO, "no protocol version" },
		{ "version a string", "{\"v\":\"1\",\"ok\":true,\"data\":{}}\n", 0,
		  -EPROTO, CTL_EXIT_PROTO, "no protocol version" },
		{ "no ok", "{\"v\":1,\"data\":{}}\n", 0, -EPROTO,
		  CTL_EXIT_PROTO, "no boolean \"ok\"" },
		{ "ok a string", "{\"v\":1,\"ok\":\"yes\",\"data\":{}}\n", 0,
		  -EPROTO, CTL_EXIT_PROTO, "no boolean \"ok\"" },
		{ "no data", "{\"v\":1,\"ok\":true}\n", 0, -EPROTO,
		  CTL_EXIT_PROTO, "no \"data\" object" },
		{ "data a list", "{\"v\":1,\"ok\":true,\"data\":[]}\n", 0,
		  -EPROTO, CTL_EXIT_PROTO, "no \"data\" object" },
		{ "garbage", "HTTP/1.1 400 Bad Request\r\n\r\n", 0, -EPROTO,
		  CTL_EXIT_PROTO, "(got 'HTTP/1.1 400 Bad Request?')" },
		{ "truncated", "{\"v\":1,\"ok\":true,\"data\":{\"mo", 0,
		  -EPROTO, CTL_EXIT_PROTO, "truncated JSON" },
		{ "a list", "[1,2]\n", 0, -EPROTO, CTL_EXIT_PROTO,
		  "not a JSON object" },
		{ "a number", "42\n", 0, -EPROTO, CTL_EXIT_PROTO,
		  "not a JSON object" },
		{ "data after the value", "{\"v\":1,\"ok\":true,\"data\":{}} x\n",
		  0, -EPROTO, CTL_EXIT_PROTO, "malformed" },
		{ "NUL byte", "{\"v\":1,\0\"ok\":true,\"data\":{}}\n", 32,
		  -EPROTO, CTL_EXIT_PROTO, "NUL byte" },
		{ "invalid UTF-8",
		  "{\"v\":1,\"ok\":true,\"data\":{\"m\":\"\xff\xfe\"}}\n", 0,
		  -EPROTO, CTL_EXIT_PROTO, "malformed" },
		{ "empty line", "\n", 0, -EPROTO, CTL_EXIT_PROTO,
		  "without an answer" },
		{ "nested too deep",
		  "{\"v\":1,\"ok\":true,\"data\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}\n",
		  0, -EPROTO, CTL_EXIT_PROTO, "malformed" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].reply);
		json_object *data;
		struct ctl_err e;
		int err;

		test_subtest_begin(cases[i].desc);
		err = call_with(FAKE_REPLY, cases[i].reply, len, 2000, &data, &e);
		ASSERT_EQ(err, cases[i].err, "return");
		if (err) {
			ASSERT_EQ(e.code, cases[i].code, "exit code");
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

/* ---- the sluicectl binary -------------------------------------------- */

struct cli_out {
	int rc;
	char out[16384], err[16384];
};

static void read_back(FILE *f, char *buf, size_t size)
{
	ssize_t n = pread(fileno(f), buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	fclose(f);
}

/* Run build/sluicectl with the arguments (NULL-terminated); `env` is
 * the SLUICE_SOCKET to set, or NULL.  False when it cannot run. */
static bool cli_run(struct cli_out *r, const char *env, ...)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char bin[256], *argv[16];
	int status, argc = 0;
	FILE *out, *err;
	va_list ap;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/sluicectl", build);
	if (access(bin, X_OK))
		return false;
	argv[argc++] = bin;
	va_start(ap, env);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;

	out = tmpfile();
	err = tmpfile();
	if (!ASSERT_TRUE(out && err, "tmpfile")) {
		if (out)
			fclose(out);
		if (err)
			fclose(err);
		return false;
	}
	pid = fork();
	if (pid == 0) {
		dup2(fileno(out), 1);
		dup2(fileno(err), 2);
		if (env)
			setenv(CTL_SOCKET_ENV, env, 1);
		else
			unsetenv(CTL_SOCKET_ENV);
		execv(bin, argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	r->rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	read_back(out, r->out, sizeof(r->out));
	read_back(err, r->err, sizeof(r->err));
	return true;
}

#define CLI_OR_SKIP(r, ...)						\
	do {								\
		if (!cli_run(r, __VA_ARGS__, NULL)) {			\
			TEST_SKIP("build/sluicectl not built");		\
			return;						\
		}							\
	} while (0)

static void test_cli_not_running(void)
{
	struct cli_out r;
	char want[512];
	struct fake fk;

	if (!fake_path(&fk))
		return;
	CLI_OR_SKIP(&r, NULL, "-s", fk.path, "status");
	ASSERT_EQ(r.rc, CTL_EXIT_UNREACHABLE, "exit 3");
	snprintf(want, sizeof(want),
		 "sluicectl: sluiced is not running (cannot connect to %s: No such file or directory); start it with: sluiced -c /etc/sluice/sluice.yaml\n",
		 fk.path);
	ASSERT_STREQ(r.err, want, "stderr");
	ASSERT_STREQ(r.out, "", "stdout empty");

	CLI_OR_SKIP(&r, fk.path, "tiers", "-j");
	ASSERT_EQ(r.rc, CTL_EXIT_UNREACHABLE, "-j: exit 3");
	ASSERT_STREQ(r.err, "", "-j: stderr empty");
	ASSERT_TRUE(!strncmp(r.out, "{\n  \"error\": \"sluiced is not running", 36),
		    "-j: {\"error\"} on stdout, SLUICE_SOCKET used");
	ASSERT_TRUE(strstr(r.out, fk.path), "-j: names the env socket");
	fake_stop(&fk);
}

/* Start a fake answering `reply` and run sluicectl against it. */
static bool cli_against(struct cli_out *r, enum fake_act act,
			const char *reply, const char *a1, const char *a2,
			const char *a3)
{
	struct fake fk;
	bool ran;

	if (!fake_start(&fk, act, reply, reply ? strlen(reply) : 0))
		return false;
	ran = cli_run(r, NULL, "-s", fk.path, "-t", "0.5", a1, a2, a3, NULL);
	fake_stop(&fk);
	return ran;
}

static void test_cli_exit_codes(void)
{
	static const struct {
		const char *desc;
		enum fake_act act;
		const char *reply, *a1, *a2;
		int rc;
		const char *out, *err;	/* exact, or NULL: not checked */
	} cases[] = {
		{ "ok", FAKE_REPLY, OK_MODE, "mode", "shadow", 0,
		  "mode set to shadow\n", "" },
		{ "ok -j", FAKE_REPLY, OK_MODE, "-j", "status", 0,
		  "{\n  \"mode\": \"shadow\"\n}\n", "" },
		{ "refused", FAKE_REPLY,
		  "{\"v\":1,\"ok\":false,\"error\":\"sluice.yaml:3:9: tiers: expected a list\"}\n",
		  "reload", NULL, CTL_EXIT_FAILED, "",
		  "sluicectl: reload: sluice.yaml:3:9: tiers: expected a list\n" },
		{ "refused -j", FAKE_REPLY, "{\"v\":1,\"ok\":false,\"error\":\"no\"}\n",
		  "-j", "reload", CTL_EXIT_FAILED,
		  "{\n  \"error\": \"reload: no\"\n}\n", "" },
		{ "garbage", FAKE_REPLY, "garbage\n", "tiers", NULL,
		  CTL_EXIT_PROTO, "", NULL },
		{ "wrong version", FAKE_REPLY, "{\"v\":9,\"ok\":false}\n",
		  "status", NULL, CTL_EXIT_PROTO, "", NULL },
		{ "malformed data", FAKE_REPLY,
		  "{\"v\":1,\"ok\":true,\"data\":{\"tiers\":7}}\n", "tiers", NULL,
		  CTL_EXIT_PROTO, "",
		  "sluicectl: malformed 'tiers' answer from sluiced\n" },
		{ "silent", FAKE_HANG, NULL, "status", NULL, CTL_EXIT_PROTO, "",
		  "sluicectl: no answer from sluiced within 0.500 s\n" },
		{ "closed", FAKE_CLOSE, NULL, "detach", NULL, CTL_EXIT_PROTO, "",
		  NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cli_out r;

		test_subtest_begin(cases[i].desc);
		if (!cli_against(&r, cases[i].act, cases[i].reply, cases[i].a1,
				 cases[i].a2, NULL)) {
			TEST_SKIP("build/sluicectl not built");
			test_subtest_end();
			return;
		}
		ASSERT_EQ(r.rc, cases[i].rc, "exit code");
		if (cases[i].out)
			ASSERT_STREQ(r.out, cases[i].out, "stdout");
		if (cases[i].err)
			ASSERT_STREQ(r.err, cases[i].err, "stderr");
		else
			ASSERT_TRUE(*r.err, "an error on stderr");
		test_subtest_end();
	}
}

/* What sluicectl puts on the wire, via a fake that echoes it back. */
static void test_cli_requests(void)
{
	struct cli_out r;

	if (!cli_against(&r, FAKE_ECHO, NULL, "-j", "client", "198.18.0.5")) {
		TEST_SKIP("build/sluicectl not built");
		return;
	}
	ASSERT_EQ(r.rc, 0, "client: exit 0");
	ASSERT_TRUE(strstr(r.out, "\"cmd\": \"client\"") &&
		    strstr(r.out, "\"addr\": \"198.18.0.5\"") &&
		    strstr(r.out, "\"v\": 1"), r.out);
	cli_against(&r, FAKE_ECHO, NULL, "mode", "-j", "enforce");
	ASSERT_EQ(r.rc, 0, "mode: exit 0");
	ASSERT_TRUE(strstr(r.out, "\"cmd\": \"mode\"") &&
		    strstr(r.out, "\"mode\": \"enforce\""), r.out);
	cli_against(&r, FAKE_ECHO, NULL, "-j", "detach", NULL);
	ASSERT_TRUE(strstr(r.out, "\"cmd\": \"detach\""), r.out);
}

static void test_cli_usage(void)
{
	static const char *const bad[][3] = {
		{ "bogus" }, { "--bogus", "status" }, { "-x" }, { "-s" },
		{ NULL }, { "client" }, { "client", "198.18.0.0/24" },
		{ "client", "nonsense" }, { "mode", "fast" }, { "status", "extra" },
		{ "config", "verify", "x" }, { "config", "check" },
		{ "help", "bogus" }, { "-t", "0", "status" },
	};
	struct cli_out r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[128];

		snprintf(what, sizeof(what), "%s %s %s", bad[i][0] ?: "",
			 bad[i][1] ?: "", bad[i][2] ?: "");
		CLI_OR_SKIP(&r, NULL, "-s", "/nonexistent/s.sock", bad[i][0],
			    bad[i][1], bad[i][2]);
		ASSERT_EQ(r.rc, CTL_EXIT_USAGE, what);
		ASSERT_TRUE(strstr(r.err, "Usage: sluicectl"), what);
		ASSERT_STREQ(r.out, "", what);
	}
	CLI_OR_SKIP(&r, NULL, "-j", "bogus");
	ASSERT_EQ(r.rc, CTL_EXIT_USAGE, "-j bogus");
	ASSERT_STREQ(r.out, "{\n  \"error\": \"unknown command 'bogus'\"\n}\n",
		     "-j: the error as JSON");
}

static void test_cli_help(void)
{
	static const char *const cmds[] = {
		"status", "tiers", "client", "reload", "config", "mode",
		"detach", "help",
	};
	struct cli_out r;

	CLI_OR_SKIP(&r, NULL, "--help");
	ASSERT_EQ(r.rc, 0, "--help");
	ASSERT_TRUE(strstr(r.out, "Exit codes:\n  0  ok\n"), "exit codes listed");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char usage[64];

		CLI_OR_SKIP(&r, NULL, cmds[i], "--help");
		snprintf(usage, sizeof(usage), "Usage: sluicectl [OPTIONS] %s",
			 cmds[i]);
		ASSERT_EQ(r.rc, 0, cmds[i]);
		ASSERT_TRUE(!strncmp(r.out, usage, strlen(usage)), cmds[i]);
		ASSERT_TRUE(strstr(r.out, "\nOptions:\n") &&
			    strstr(r.out, "\nExample:\n  sluicectl "), cmds[i]);
	}
	CLI_OR_SKIP(&r, NULL, "help", "tiers");
	ASSERT_TRUE(r.rc == 0 &&
		    !strncmp(r.out, "Usage: sluicectl [OPTIONS] tiers\n", 33),
		    "help tiers");
	CLI_OR_SKIP(&r, NULL, "--version");
	ASSERT_EQ(r.rc, 0, "--version");
	ASSERT_TRUE(!strncmp(r.out, "sluicectl ", 10), r.out);
}

static void test_cli_config_check(void)
{
	char path[] = "/tmp/sl_ctl_cfg.XXXXXX";
	static const char bad[] =
		"interfaces: [gw0]\n"
		"tiers:\n"
		"  - name: x\n"
		"    match: [0.0.0.0/0]\n"
		"    limits: [{unit: requests, rate: fast, burst: 5}]\n";
	struct cli_out r;
	int fd;

	if (access("examples/sluice.yaml", R_OK)) {
		TEST_SKIP("run from the repository root");
		return;
	}
	CLI_OR_SKIP(&r, NULL, "config", "check", "examples/sluice.yaml");
	ASSERT_EQ(r.rc, 0, "valid: exit 0");
	ASSERT_TRUE(!strncmp(r.out, "examples/sluice.yaml: ok\n", 25), r.out);

	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		return;
	write_all(fd, bad, sizeof(bad) - 1);
	close(fd);
	CLI_OR_SKIP(&r, NULL, "config", "check", path);
	ASSERT_EQ(r.rc, CTL_EXIT_FAILED, "invalid: exit 1");
	ASSERT_TRUE(!strncmp(r.err, path, strlen(path)) &&
		    strstr(r.err, ":5:") && strstr(r.err, "rate"),
		    "FILE:LINE:COL first");
	CLI_OR_SKIP(&r, NULL, "-j", "config", "check", path);
	ASSERT_EQ(r.rc, CTL_EXIT_FAILED, "-j invalid: exit 1");
	ASSERT_TRUE(!strncmp(r.out, "{\n  \"error\": \"", 14), r.out);
	unlink(path);

	CLI_OR_SKIP(&r, NULL, "config", "check", "/nonexistent/sluice.yaml");
	ASSERT_EQ(r.rc, CTL_EXIT_FAILED, "missing file: exit 1");
	ASSERT_TRUE(strstr(r.err, "/nonexistent/sluice.yaml"), r.err);
}

TEST_MAIN("unit/ctl_client",
	  TEST(test_answers),
	  TEST(test_request_line),
	  TEST(test_silent_daemon),
	  TEST(test_not_running),
	  TEST(test_sizes),
	  TEST(test_socket_path),
	  TEST(test_cli_not_running),
	  TEST(test_cli_exit_codes),
	  TEST(test_cli_requests),
	  TEST(test_cli_usage),
	  TEST(test_cli_help),
	  TEST(test_cli_config_check))

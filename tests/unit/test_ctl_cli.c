// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The sluicectl binary end to end against a fake sluiced
 * (fake_daemon.h): output, requests and exit codes.
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
		{ "services: not found", FAKE_REPLY,
		  "{\"v\":1,\"ok\":false,\"error\":\"no service named 'api' in the running config (services: web)\"}\n",
		  "services", "api", CTL_EXIT_FAILED, "",
		  "sluicectl: services: no service named 'api' in the running config (services: web)\n" },
		{ "services NAME: a list of two", FAKE_REPLY,
		  "{\"v\":1,\"ok\":true,\"data\":{\"services\":[{},{}]}}\n",
		  "services", "web", CTL_EXIT_PROTO, "",
		  "sluicectl: malformed 'services' answer from sluiced\n" },
		{ "services: none", FAKE_REPLY,
		  "{\"v\":1,\"ok\":true,\"data\":{\"services\":[]}}\n",
		  "services", NULL, 0,
		  "no services in the running config (see the config's services: section)\n", "" },
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
	cli_against(&r, FAKE_ECHO, NULL, "-j", "services", "api_v2");
	ASSERT_TRUE(strstr(r.out, "\"cmd\": \"services\"") &&
		    strstr(r.out, "\"name\": \"api_v2\""), r.out);
	cli_against(&r, FAKE_ECHO, NULL, "services", "-j", NULL);
	ASSERT_TRUE(strstr(r.out, "\"cmd\": \"services\"") &&
		    !strstr(r.out, "\"name\""), r.out);
}

static void test_cli_usage(void)
{
	static const char *const bad[][3] = {
		{ "bogus" }, { "--bogus", "status" }, { "-x" }, { "-s" },
		{ NULL }, { "client" }, { "client", "198.18.0.0/24" },
		{ "client", "nonsense" }, { "mode", "fast" }, { "status", "extra" },
		{ "config", "verify", "x" }, { "config", "check" },
		{ "help", "bogus" }, { "-t", "0", "status" },
		{ "-n", "5", "status" }, { "tiers", "--by", "passed" },
		{ "top", "-n", "0" }, { "top", "--by", "size" }, { "top", "7" },
		{ "top", "--watch=0" }, { "services", "a b" },
		{ "services", "web", "api" }, { "services", "--by", "passed" },
		{ "services", "0123456789012345678901234567890123" },
		{ "services", "api/v2" },
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
	/* top's options name themselves, not their argument. */
	CLI_OR_SKIP(&r, NULL, "-s", "/nonexistent/s.sock", "-n", "5", "status");
	ASSERT_TRUE(strstr(r.err, "option '-n' applies to top only"), r.err);
	CLI_OR_SKIP(&r, NULL, "-j", "bogus");
	ASSERT_EQ(r.rc, CTL_EXIT_USAGE, "-j bogus");
	ASSERT_STREQ(r.out, "{\n  \"error\": \"unknown command 'bogus'\"\n}\n",
		     "-j: the error as JSON");
}

static void test_cli_help(void)
{
	static const char *const cmds[] = {
		"status", "tiers", "client", "reload", "config", "mode",
		"detach", "top", "services", "help",
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
	CLI_OR_SKIP(&r, NULL, "--help");
	ASSERT_TRUE(strstr(r.out, "\n  services [NAME]      per service"), "services listed");
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

TEST_MAIN("unit/ctl_cli",
	  TEST(test_cli_not_running),
	  TEST(test_cli_exit_codes),
	  TEST(test_cli_requests),
	  TEST(test_cli_usage),
	  TEST(test_cli_help),
	  TEST(test_cli_config_check))

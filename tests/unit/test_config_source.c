// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The config source's pure parts (common/config_cache.h, ctl/ctl_config.h):
 * the cache written atomically and read back, a central config composed
 * with the bootstrap's host settings, the hosts' reports compared, and
 * `config status` / `config push` printed, compared exactly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "capture.h"
#include "config/config.h"
#include "ctl/ctl_config.h"
#include "ctl/ctl_print.h"
#include "common/config_cache.h"

static char tmpdir[64];

static bool tmp_make(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sl-csrc-XXXXXX");
	return ASSERT_OK_PTR(mkdtemp(tmpdir), "mkdtemp");
}

static void tmp_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "    could not remove %s\n", tmpdir);
}

static void test_cache(void)
{
	char path[200], err[512] = "", *text = NULL, bad[256];
	struct stat st;
	size_t len;

	if (!tmp_make())
		return;
	snprintf(path, sizeof(path), "%s/var/lib/sluice/config.yaml", tmpdir);
	test_subtest_begin("written: directories made, mode 0600");
	ASSERT_OK(config_cache_write(path, "a: 1\n", 5, err, sizeof(err)), "write");
	ASSERT_OK(stat(path, &st), "stat");
	ASSERT_EQ(st.st_mode & 07777, 0600, "mode");
	ASSERT_OK(config_cache_read(path, &text, &len), "read");
	ASSERT_EQ(len, 5, "length");
	ASSERT_STREQ(text, "a: 1\n", "bytes");
	free(text);
	test_subtest_end();

	test_subtest_begin("replaced whole, no temporary file left");
	chmod(path, 0644);
	ASSERT_OK(config_cache_write(path, "bb: 22\n", 7, err, sizeof(err)), "write");
	ASSERT_OK(config_cache_read(path, &text, &len), "read");
	ASSERT_STREQ(text, "bb: 22\n", "new bytes");
	free(text);
	ASSERT_OK(stat(path, &st), "stat");
	ASSERT_EQ(st.st_mode & 07777, 0600, "mode again");
	snprintf(bad, sizeof(bad), "%s.tmp.%d", path, (int)getpid());
	ASSERT_EQ(access(bad, F_OK), -1, "no temporary file");
	test_subtest_end();

	test_subtest_begin("missing: -ENOENT");
	snprintf(bad, sizeof(bad), "%s/none.yaml", tmpdir);
	ASSERT_EQ(config_cache_read(bad, &text, &len), -ENOENT, "read");
	ASSERT_TRUE(text == NULL, "no text");
	test_subtest_end();

	test_subtest_begin("a directory that is a file: what and why");
	snprintf(bad, sizeof(bad), "%s/var/lib/sluice/config.yaml/x.yaml", tmpdir);
	ASSERT_EQ(config_cache_write(bad, "x", 1, err, sizeof(err)), -ENOTDIR, "write");
	ASSERT_TRUE(strstr(err, "/config.yaml/x.yaml: cannot create its directory: Not a directory") != NULL,
		    "message");
	if (!strstr(err, "cannot create its directory"))
		fprintf(stderr, "    got: %s\n", err);
	test_subtest_end();
	tmp_remove();
}

#define BOOT								\
	"interfaces: [{name: tgw1, attach: generic}]\n"			\
	"control_socket: /run/gw1.sock\n"				\
	"metrics: {listen: 127.0.0.1:9464}\n"				\
	"config_source:\n"						\
	"  redis: {address: 198.18.210.1:6390, host_id: gw1}\n"		\
	"tiers:\n"							\
	"  - {name: boot, match: [0.0.0.0/0], verdict: pass}\n"

#define CENTRAL								\
	"interfaces: [gw0]\n"						\
	"control_socket: /elsewhere.sock\n"				\
	"metrics: {listen: off}\n"					\
	"config_source: {key: other}\n"					\
	"redis: {address: 198.18.210.9:6379, host_id: everyone}\n"	\
	"mode: shadow\n"						\
	"tiers:\n"							\
	"  - name: central\n"						\
	"    match: [0.0.0.0/0]\n"					\
	"    limits: [{unit: requests, rate: 10/s, burst: 20, action: http}]\n"

static void test_compose(void)
{
	struct sl_config *boot = NULL, *cfg = NULL;
	char err[CFG_ERR_MAX];
	const char *bad = "interfaces: [gw0]\ntiers:\n  - {name: x, match: [0.0.0.0/0], limits: [{unit: requests, rate: fast}]}\n";

	if (!ASSERT_OK(cfg_parse("/etc/sluice/boot.yaml", BOOT, strlen(BOOT), &boot, err),
		       "the bootstrap parses"))
		return;
	test_subtest_begin("the host's settings are the bootstrap's");
	if (ASSERT_OK(config_compose(boot, "redis:sluice:config", CENTRAL,
				     strlen(CENTRAL), &cfg, err), "compose")) {
		ASSERT_STREQ(cfg->path, "redis:sluice:config", "named after the key");
		ASSERT_EQ(cfg->hash, cfg_hash(CENTRAL, strlen(CENTRAL)), "the central text's hash");
		ASSERT_EQ(cfg->niface, 1, "interfaces");
		ASSERT_STREQ(cfg->ifaces[0].name, "tgw1", "the bootstrap's interface");
		ASSERT_STREQ(cfg->control_socket, "/run/gw1.sock", "control_socket");
		ASSERT_TRUE(cfg->metrics.on, "metrics as the bootstrap's");
		ASSERT_STREQ(cfg->config_source.key, "sluice:config", "config_source key");
		ASSERT_STREQ(cfg->redis.host_id, "gw1", "host_id: this host's");
		ASSERT_STREQ(cfg->redis.address, "198.18.210.9:6379", "redis: central (the bootstrap has none)");
		ASSERT_EQ(cfg->mode, SL_MODE_SHADOW, "mode: central");
		ASSERT_STREQ(cfg->tiers[0].name, "central", "tiers: central");
	}
	cfg_free(cfg);
	test_subtest_end();

	test_subtest_begin("invalid: refused with NAME:LINE:COL");
	cfg = (void *)1;
	ASSERT_EQ(config_compose(boot, "redis:sluice:config", bad, strlen(bad), &cfg, err),
		  -EINVAL, "refused");
	ASSERT_TRUE(cfg == NULL, "nothing returned");
	ASSERT_TRUE(!strncmp(err, "redis:sluice:config:3:67: tiers[0].limits[0].rate: ", 51),
		    "message");
	if (strncmp(err, "redis:sluice:config:3:67: ", 26))
		fprintf(stderr, "    got: %s\n", err);
	test_subtest_end();
	cfg_free(boot);
}

#define NOW	1764600000

static json_object *hosts_fixture(void)
{
	char *r1 = config_report_json(0x77f0aff5f1aeaf34ULL, CSRC_REDIS, NOW - 125, NOW - 2);
	char *r2 = config_report_json(0x77f0aff5f1aeaf34ULL, CSRC_REDIS, NOW - 124, NOW - 4);
	char *r3 = config_report_json(0xbd83d1cff2a056c7ULL, CSRC_CACHE, NOW - 3700, NOW - 40);
	const char *ids[] = { "gw3", "gw1", "gw2", "gw4" };
	const char *vals[] = { r3, r1, r2, "not json" };
	json_object *o = config_hosts_compare("77f0aff5f1aeaf34", 4, ids, vals, NOW);

	free(r1);
	free(r2);
	free(r3);
	return o;
}

static void test_compare(void)
{
	json_object *o = hosts_fixture(), *hosts, *sum, *h;
	const char *want = "{\"hosts\":4,\"same\":2,\"differ\":2,\"stale\":1,"
			   "\"unreadable\":1,\"all_same\":false}";

	if (!ASSERT_OK_PTR(o, "compare"))
		return;
	ASSERT_TRUE(json_object_object_get_ex(o, "hosts", &hosts), "hosts");
	ASSERT_TRUE(json_object_object_get_ex(o, "summary", &sum), "summary");
	ASSERT_STREQ(json_object_to_json_string_ext(sum, JSON_C_TO_STRING_PLAIN),
		     want, "summary");
	ASSERT_EQ(json_object_array_length(hosts), 4, "rows");
	h = json_object_array_get_idx(hosts, 0);
	ASSERT_STREQ(json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN),
		     "{\"host\":\"gw1\",\"hash\":\"77f0aff5f1aeaf34\",\"source\":\"redis\","
		     "\"loaded_at\":1764599875,\"reported_at\":1764599998,\"age_s\":2,"
		     "\"stale\":false,\"same\":true}", "gw1 first, all of it");
	h = json_object_array_get_idx(hosts, 2);
	ASSERT_STREQ(json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN),
		     "{\"host\":\"gw3\",\"hash\":\"bd83d1cff2a056c7\",\"source\":\"cache\","
		     "\"loaded_at\":1764596300,\"reported_at\":1764599960,\"age_s\":40,"
		     "\"stale\":true,\"same\":false}", "gw3: stale, differs");
	h = json_object_array_get_idx(hosts, 3);
	ASSERT_STREQ(json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN),
		     "{\"host\":\"gw4\",\"hash\":null,\"source\":null,\"loaded_at\":0,"
		     "\"reported_at\":0,\"age_s\":0,\"stale\":false,\"same\":false}",
		     "gw4: unreadable");
	json_object_put(o);

	test_subtest_begin("no host, no hash: nothing is the same");
	o = config_hosts_compare(NULL, 0, NULL, NULL, NOW);
	ASSERT_TRUE(json_object_object_get_ex(o, "summary", &sum), "summary");
	ASSERT_STREQ(json_object_to_json_string_ext(sum, JSON_C_TO_STRING_PLAIN),
		     "{\"hosts\":0,\"same\":0,\"differ\":0,\"stale\":0,\"unreadable\":0,"
		     "\"all_same\":false}", "summary");
	json_object_put(o);
	test_subtest_end();
}

/* A config_status answer around config_hosts_compare's object. */
static json_object *status_fixture(json_object *cmp)
{
	const char *head =
		"{\"now\":1764600000,\"config_source\":true,"
		"\"running\":{\"source\":\"redis\",\"name\":\"redis:sluice:config\","
		"\"file\":\"/etc/sluice/sluice.yaml\",\"hash\":\"77f0aff5f1aeaf34\","
		"\"loaded_at\":1764599875,\"host\":\"gw1\",\"source_at\":1764599875},"
		"\"redis\":{\"address\":\"198.18.210.1:6390\",\"key\":\"sluice:config\","
		"\"up\":true,\"subscribed\":true,\"hash\":\"77f0aff5f1aeaf34\"},"
		"\"reference\":\"77f0aff5f1aeaf34\"}";
	json_object *o = json_tokener_parse(head), *v;

	if (cmp && json_object_object_get_ex(cmp, "hosts", &v))
		json_object_object_add(o, "hosts", json_object_get(v));
	if (cmp && json_object_object_get_ex(cmp, "summary", &v))
		json_object_object_add(o, "summary", json_object_get(v));
	json_object_put(cmp);
	return o;
}

static void print_eq(int (*print)(FILE *, json_object *), json_object *o,
		     const char *want, const char *what)
{
	struct capture c;
	char *got;
	int err;

	err = print(capture_begin(&c), o);
	got = capture_end(&c);
	ASSERT_OK(err, what);
	ASSERT_STREQ(got, want, what);
	free(got);
}

static void test_print_status(void)
{
	json_object *o;
	const char *ids[] = { "gw1", "gw2", "gw3" };
	char *r[3];

	test_subtest_begin("one differs, stale and unreadable");
	o = status_fixture(hosts_fixture());
	print_eq(ctl_print_config_status, o,
		 "running:  redis:sluice:config (redis), hash 77f0aff5f1aeaf34, loaded 2m5s ago\n"
		 "host:     gw1\n"
		 "redis:    198.18.210.1:6390 key sluice:config: hash 77f0aff5f1aeaf34\n"
		 "HOST  SOURCE  HASH              LOADED    REPORTED         MATCH\n"
		 "gw1   redis   77f0aff5f1aeaf34  2m5s ago  2s ago           same\n"
		 "gw2   redis   77f0aff5f1aeaf34  2m4s ago  4s ago           same\n"
		 "gw3   cache   bd83d1cff2a056c7  1h1m ago  40s ago (stale)  differs\n"
		 "gw4   ?       unreadable        -         -                differs\n"
		 "4 hosts: 2 same, 2 differ (gw3, gw4); 1 stale (no report for 15s)\n",
		 "status");
	json_object_put(o);
	test_subtest_end();

	test_subtest_begin("all the same");
	for (int i = 0; i < 3; i++)
		r[i] = config_report_json(0x77f0aff5f1aeaf34ULL, CSRC_REDIS, NOW - 60, NOW - 1 - i);
	o = status_fixture(config_hosts_compare("77f0aff5f1aeaf34", 3, ids,
						(const char *const *)r, NOW));
	print_eq(ctl_print_config_status, o,
		 "running:  redis:sluice:config (redis), hash 77f0aff5f1aeaf34, loaded 2m5s ago\n"
		 "host:     gw1\n"
		 "redis:    198.18.210.1:6390 key sluice:config: hash 77f0aff5f1aeaf34\n"
		 "HOST  SOURCE  HASH              LOADED    REPORTED  MATCH\n"
		 "gw1   redis   77f0aff5f1aeaf34  1m0s ago  1s ago    same\n"
		 "gw2   redis   77f0aff5f1aeaf34  1m0s ago  2s ago    same\n"
		 "gw3   redis   77f0aff5f1aeaf34  1m0s ago  3s ago    same\n"
		 "3 hosts, all same (hash 77f0aff5f1aeaf34)\n",
		 "status");
	for (int i = 0; i < 3; i++)
		free(r[i]);
	json_object_put(o);
	test_subtest_end();

	test_subtest_begin("without config_source");
	o = json_tokener_parse("{\"now\":1764600000,\"config_source\":false,"
			       "\"running\":{\"source\":\"file\",\"name\":\"/etc/sluice/sluice.yaml\","
			       "\"hash\":\"0123456789abcdef\",\"loaded_at\":1764599990}}");
	print_eq(ctl_print_config_status, o,
		 "running:  /etc/sluice/sluice.yaml (file), hash 0123456789abcdef, loaded 10s ago\n"
		 "source:   no config_source: this sluiced runs its config file\n",
		 "status");
	json_object_put(o);
	test_subtest_end();

	test_subtest_begin("wrong shape: -EBADMSG");
	o = json_tokener_parse("{\"now\":\"soon\"}");
	{
		struct capture c;

		ASSERT_EQ(ctl_print_config_status(capture_begin(&c), o), -EBADMSG, "refused");
		free(capture_end(&c));
	}
	json_object_put(o);
	test_subtest_end();
}

static void test_print_push(void)
{
	json_object *o = json_tokener_parse(
		"{\"key\":\"sluice:config\",\"channel\":\"sluice:config:changed\","
		"\"hash\":\"77f0aff5f1aeaf34\",\"bytes\":512,\"subscribers\":3,"
		"\"applied_here\":true}");

	print_eq(ctl_print_config_push, o,
		 "published sluice:config: hash 77f0aff5f1aeaf34, 512 bytes, 3 subscribers notified on sluice:config:changed\n"
		 "this host runs it now\n", "push");
	json_object_put(o);
}

static void test_push_request(void)
{
	char path[256], err[CFG_ERR_MAX];
	json_object *req, *v;
	FILE *f;

	if (!tmp_make())
		return;
	snprintf(path, sizeof(path), "%s/central.yaml", tmpdir);
	test_subtest_begin("a valid file: its bytes, its name");
	f = fopen(path, "w");
	fputs(CENTRAL, f);
	fclose(f);
	req = ctl_config_push_request(path, err, sizeof(err));
	if (ASSERT_OK_PTR(req, "request")) {
		ASSERT_TRUE(json_object_object_get_ex(req, "text", &v), "text");
		ASSERT_STREQ(json_object_get_string(v), CENTRAL, "the file's bytes");
		ASSERT_TRUE(json_object_object_get_ex(req, "cmd", &v), "cmd");
		ASSERT_STREQ(json_object_get_string(v), "config_push", "command");
	}
	json_object_put(req);
	test_subtest_end();

	test_subtest_begin("an invalid file: FILE:LINE:COL, no request");
	f = fopen(path, "w");
	fputs("interfaces: [gw0]\ntiers: 7\n", f);
	fclose(f);
	req = ctl_config_push_request(path, err, sizeof(err));
	ASSERT_TRUE(req == NULL, "refused");
	ASSERT_TRUE(!strncmp(err, path, strlen(path)) &&
		    !strncmp(err + strlen(path), ":2:8: tiers: ", 13), "message");
	if (req || strncmp(err + strlen(path), ":2:8: ", 6))
		fprintf(stderr, "    got: %s\n", err);
	test_subtest_end();
	tmp_remove();
}

/* sluicectl status names the source when it is not the file. */
static void test_print_status_source(void)
{
	json_object *o = json_tokener_parse(
		"{\"version\":\"0.1.0\",\"mode\":\"enforce\",\"config\":{"
		"\"path\":\"/etc/sluice/sluice.yaml\",\"hash\":\"77f0aff5f1aeaf34\","
		"\"loaded_at\":1764599875,\"source\":\"cache\"},\"interfaces\":[]}");
	struct capture c;
	char *got;

	ASSERT_OK(ctl_print_status(capture_begin(&c), o), "print");
	got = capture_end(&c);
	ASSERT_TRUE(got && strstr(got, "\nconfig source:  cache\nconfig hash:    77f0aff5f1aeaf34\n"),
		    "the source row, before the hash");
	if (got && !strstr(got, "config source:"))
		fprintf(stderr, "    got: %s\n", got);
	free(got);
	json_object_put(o);
}

TEST_MAIN("unit/config_source",
	  TEST(test_cache),
	  TEST(test_compose),
	  TEST(test_compare),
	  TEST(test_print_status),
	  TEST(test_print_status_source),
	  TEST(test_print_push),
	  TEST(test_push_request));

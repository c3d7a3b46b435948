// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sluicectl rollout (ctl/ctl_rollout.c): the requests from the command
 * line (actions, every option and its errors, --percent against
 * --steps, FILE validated first) and the answer printed as text.
 */
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "capture.h"
#include "ctl/ctl_rollout.h"

static const char good_cfg[] =
	"interfaces: [eth0]\n"
	"tiers:\n"
	"  - name: normal\n"
	"    match: [0.0.0.0/0]\n"
	"    limits: [{unit: requests, rate: 10/s, burst: 20}]\n";

static char cfg_path[64];

static void write_cfg(void)
{
	FILE *f;

	snprintf(cfg_path, sizeof(cfg_path), "/tmp/test_ctl_rollout.%d.yaml", (int)getpid());
	f = fopen(cfg_path, "w");
	if (f) {
		fputs(good_cfg, f);
		fclose(f);
	}
}

static json_object *req(int argc, char **argv, const struct ctl_rollout_opts *o,
			char *err, size_t n, int *file_err)
{
	return ctl_rollout_request(argc, argv, o, err, n, file_err);
}

static const char *cmd_of(json_object *r)
{
	json_object *c;

	return r && json_object_object_get_ex(r, "cmd", &c) ?
	       json_object_get_string(c) : "";
}

static void test_actions(void)
{
	struct ctl_rollout_opts o = {};
	char err[600], *none[] = { NULL }, *pr[] = { "promote" }, *ab[] = { "abort" },
	     *bad[] = { "sideways" }, *two[] = { "promote", "now" }, *st[] = { "start" };
	json_object *r;
	int fe;

	r = req(0, none, &o, err, sizeof(err), &fe);
	ASSERT_STREQ(cmd_of(r), "rollout_status", "no action: status");
	json_object_put(r);
	r = req(1, pr, &o, err, sizeof(err), &fe);
	ASSERT_STREQ(cmd_of(r), "rollout_promote", "promote");
	json_object_put(r);
	r = req(1, ab, &o, err, sizeof(err), &fe);
	ASSERT_STREQ(cmd_of(r), "rollout_abort", "abort");
	json_object_put(r);
	ASSERT_TRUE(!req(1, bad, &o, err, sizeof(err), &fe), "unknown action");
	ASSERT_STREQ(err, "rollout: unknown action 'sideways' (expected start FILE, promote or abort)", "says so");
	ASSERT_TRUE(!req(2, two, &o, err, sizeof(err), &fe), "extra argument");
	ASSERT_STREQ(err, "rollout promote: unexpected argument 'now'", "says so");
	ASSERT_TRUE(!req(1, st, &o, err, sizeof(err), &fe), "start without FILE");
	ASSERT_STREQ(err, "rollout start: missing FILE", "says so");
	o.given = "--every";
	ASSERT_TRUE(!req(1, ab, &o, err, sizeof(err), &fe), "an option of start with abort");
	ASSERT_STREQ(err, "--every applies to rollout start only", "says so");
	ASSERT_EQ(fe, 0, "a usage error, not FILE's");
}

static int steps_of(json_object *r, char *buf, size_t n)
{
	json_object *a;
	size_t k = 0;

	buf[0] = 0;
	if (!json_object_object_get_ex(r, "steps", &a))
		return -1;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		k += snprintf(buf + k, n - k, "%s%d", i ? "," : "",
			      json_object_get_int(json_object_array_get_idx(a, i)));
	return 0;
}

static int64_t int_of(json_object *r, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(r, key, &v) ? json_object_get_int64(v) : -1;
}

static void test_start(void)
{
	struct ctl_rollout_opts o = {};
	char err[600], steps[64], *argv[] = { "start", cfg_path };
	json_object *r, *t;
	int fe;

	write_cfg();
	r = req(2, argv, &o, err, sizeof(err), &fe);
	ASSERT_OK_PTR(r, "start FILE");
	ASSERT_STREQ(cmd_of(r), "rollout_start", "cmd");
	ASSERT_TRUE(json_object_object_get_ex(r, "text", &t) &&
		    !strcmp(json_object_get_string(t), good_cfg), "FILE's bytes");
	steps_of(r, steps, sizeof(steps));
	ASSERT_STREQ(steps, "5,25,50,100", "default steps");
	ASSERT_EQ(int_of(r, "every_ms"), 60000, "default every 1m");
	ASSERT_EQ(int_of(r, "shadow_ms"), 0, "no shadow");
	ASSERT_EQ(int_of(r, "min_packets"), 100, "min packets");
	json_object_put(r);

	o = (struct ctl_rollout_opts){ .given = "--percent", .percent = "10",
				       .every = "2s", .shadow_first = "30s",
				       .max_refusal = "0.05", .max_error = "0",
				       .min_packets = "20" };
	r = req(2, argv, &o, err, sizeof(err), &fe);
	ASSERT_OK_PTR(r, "with options");
	steps_of(r, steps, sizeof(steps));
	ASSERT_STREQ(steps, "10,25,50,100", "--percent 10: the first step");
	ASSERT_EQ(int_of(r, "every_ms"), 2000, "--every 2s");
	ASSERT_EQ(int_of(r, "shadow_ms"), 30000, "--shadow-first 30s");
	ASSERT_EQ(int_of(r, "min_packets"), 20, "--min-packets");
	ASSERT_TRUE(json_object_object_get_ex(r, "max_refusal_increase", &t) &&
		    json_object_get_double(t) == 0.05, "--max-refusal-increase");
	json_object_put(r);
	o = (struct ctl_rollout_opts){ .given = "--percent", .percent = "30",
				       .steps = "10,30,60,100" };
	r = req(2, argv, &o, err, sizeof(err), &fe);
	steps_of(r, steps, sizeof(steps));
	ASSERT_STREQ(steps, "30,60,100", "--percent 30 drops the steps at or under it");
	json_object_put(r);

#define BAD(field, val, msg) do {						\
		o = (struct ctl_rollout_opts){ .given = "x", .field = val };	\
		ASSERT_TRUE(!req(2, argv, &o, err, sizeof(err), &fe), #field);	\
		ASSERT_TRUE(!strncmp(err, msg, strlen(msg)), err);		\
		ASSERT_EQ(fe, 0, "usage");					\
	} while (0)
	BAD(percent, "0", "--percent: expected 1 to 100");
	BAD(percent, "101", "--percent: expected 1 to 100");
	BAD(steps, "50,25", "--steps: expected increasing");
	BAD(every, "500ms", "--every: expected a duration from 1s");
	BAD(every, "5", "--every: expected a duration");
	BAD(shadow_first, "8d", "--shadow-first: expected");
	BAD(max_refusal, "2", "--max-refusal-increase: expected 0 to 1");
	BAD(max_error, "-0.1", "--max-error-increase: expected 0 to 1");
	BAD(min_packets, "0", "--min-packets: expected 1");
#undef BAD
	unlink(cfg_path);
	o = (struct ctl_rollout_opts){};
	ASSERT_TRUE(!req(2, argv, &o, err, sizeof(err), &fe), "FILE gone");
	ASSERT_EQ(fe, 1, "FILE's error");
	ASSERT_TRUE(strstr(err, cfg_path) != NULL, "names FILE");
}

static char *print(const char *json)
{
	json_object *d = json_tokener_parse(json);
	struct capture c;

	if (capture_begin(&c))
		ctl_print_rollout(c.f, d);
	json_object_put(d);
	return capture_end(&c);
}

static void test_print(void)
{
	char *out;

	out = print("{\"state\": \"idle\", \"running\": false, \"running_hash\": \"00aa\"}");
	ASSERT_STREQ(out, "rollout:  none (idle)\nrunning:  00aa\n", "idle");
	free(out);
	out = print("{\"state\": \"step\", \"running\": true, \"running_hash\": \"00aa\","
		    " \"name\": \"new.yaml\", \"hash\": \"00bb\", \"step\": 2, \"nsteps\": 4,"
		    " \"percent\": 25, \"elapsed_s\": 75.5, \"window_s\": 60, \"window_elapsed_s\": 15.5,"
		    " \"window_left_s\": 44.5, \"next\": \"step 3 at 50% in 44.5s if the guards hold\","
		    " \"params\": {\"steps\": [5, 25, 50, 100], \"every_s\": 60, \"shadow_first_s\": 0,"
		    "   \"max_refusal_increase\": 0.02, \"max_error_increase\": 0.01, \"min_packets\": 100,"
		    "   \"http_error_guard\": false},"
		    " \"applied_at_promotion\": [\"services\", \"degrade\"],"
		    " \"guards\": [{\"guard\": \"refusal\", \"tier\": \"(all)\", \"verdict\": \"ok\","
		    "   \"canary\": {\"packets\": 1200, \"counted\": 12, \"rate\": 0.01},"
		    "   \"control\": {\"packets\": 3600, \"counted\": 18, \"rate\": 0.005, \"baseline\": false},"
		    "   \"increase\": 0.005, \"max_increase\": 0.02},"
		    "  {\"guard\": \"refusal\", \"tier\": \"partner\", \"verdict\": \"too_few\","
		    "   \"canary\": {\"packets\": 40, \"counted\": 0, \"rate\": 0},"
		    "   \"control\": {\"packets\": 0, \"counted\": 0, \"rate\": 0.01, \"baseline\": true},"
		    "   \"increase\": -0.01, \"max_increase\": 0.02}]}");
	ASSERT_STREQ(out,
		"rollout:            step 2 of 4 at 25%\n"
		"candidate:          new.yaml (hash 00bb)\n"
		"running:            00aa\n"
		"window:             15.5s of 1m00s, 44.5s left (1m15s since the start)\n"
		"next:               step 3 at 50% in 44.5s if the guards hold\n"
		"steps:              5,25,50,100% every 1m00s\n"
		"guards:             refusal +2.00 points, http errors +1.00 points (no services: unused); at least 100 packets per cohort\n"
		"at promotion only:  services, degrade\n"
		"\n"
		"GUARD    TIER     CANARY    OF  CONTROL    OF  INCREASE    MAX  VERDICT\n"
		"refusal  (all)     1.00%  1.2k    0.50%  3.6k     +0.50  +2.00  ok\n"
		"refusal  partner   0.00%    40   1.00%*     0     -1.00  +2.00  too_few\n"
		"* the control's figure from an earlier window (the control cohort is too small now)\n",
		"a step, two guards");
	free(out);
	out = print("{\"state\": \"step\", \"step\": 1, \"nsteps\": 2, \"percent\": 5,"
		    " \"changes\": [\"canary: tier blocked added (id 2): drop\"]}");
	ASSERT_TRUE(strstr(out, "\nthe canary policy against the running one:\n"
			   "  canary: tier blocked added (id 2): drop\n") != NULL, out);
	free(out);
	out = print("{\"state\": \"rolled_back\", \"running\": false, \"running_hash\": \"00aa\","
		    " \"name\": \"bad.yaml\", \"hash\": \"00cc\", \"by\": \"guard\", \"percent\": 0,"
		    " \"next\": \"none (rolled_back)\", \"reason\": \"step 1 (5%): all tiers refusal\"}");
	ASSERT_TRUE(strstr(out, "rollout:            rolled_back (by guard)\n") != NULL, out);
	ASSERT_TRUE(strstr(out, "why:                step 1 (5%): all tiers refusal\n") != NULL, out);
	free(out);
	ASSERT_EQ(ctl_print_rollout(stdout, json_tokener_parse("{\"state\": \"step\", \"guards\": 3}")),
		  -EBADMSG, "guards not a list");
}

TEST_MAIN("unit/ctl_rollout",
	  TEST(test_actions),
	  TEST(test_start),
	  TEST(test_print))

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `sluicectl services`: its two printers fed a canned daemon answer,
 * output compared exactly; then answers of the wrong shape, cut short
 * or mutated: "-" or -EBADMSG, never a crash.
 */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "capture.h"
#include "ctl/ctl_client.h"
#include "ctl/ctl_print.h"

#define HIST_ZERO(n)	"{\"le\":" n ",\"count\":0}"

/* api: a path service with traffic in the window; web: the port's
 * default, idle (no response: "-"); tls: counted in connections only. */
#define API_JSON							\
	"{\"name\":\"api\",\"id\":1,\"port\":80,\"addresses\":[\"198.18.0.2\"]," \
	"\"paths\":[\"/api\",\"/v2\"],\"default\":false,\"tls\":false,"	\
	"\"priority\":\"core\",\"slow_ms\":500,\"timeout_ms\":30000,"	\
	"\"pending\":2,\"failure_run\":1,"				\
	"\"counters\":{\"requests\":1234,\"edge_replies\":10,\"responses\":{" \
	"\"other\":0,\"1xx\":0,\"2xx\":1000,\"3xx\":20,\"4xx\":150,\"5xx\":52," \
	"\"429\":0,\"500\":2,\"502\":0,\"503\":50,\"504\":0},"		\
	"\"slow\":12,\"no_response\":3,\"timeouts\":1,\"latency_count\":1222," \
	"\"latency_sum_ns\":98765432100},"				\
	"\"histogram\":[{\"le\":0.001,\"count\":2},{\"le\":0.0025,\"count\":1200}," \
	"{\"le\":1.5,\"count\":20},{\"le\":\"+Inf\",\"count\":0}],"	\
	"\"window\":{\"span_s\":10,\"requests_per_s\":12.5,"		\
	"\"responses_per_s\":12.2,\"codes_per_s\":{\"2xx\":10,\"3xx\":0.2," \
	"\"4xx\":1.5,\"5xx\":0.5,\"503\":0.5},\"slow_per_s\":0.1,"	\
	"\"no_response_per_s\":0.1,\"timeouts_per_s\":0,"		\
	"\"error_ratio\":0.0488,\"slow_ratio\":0.0082,"			\
	"\"p50_ms\":1.75,\"p90_ms\":2.4,\"p99_ms\":812.3}}"

#define SERVICES_JSON							\
	"{\"window_s\":10,\"interfaces\":[\"gw0\",\"gw1\"],\"services\":["	\
	API_JSON ","							\
	"{\"name\":\"web\",\"id\":0,\"port\":80,\"addresses\":[],\"paths\":[]," \
	"\"default\":true,\"tls\":false,\"priority\":\"normal\","	\
	"\"slow_ms\":1000,\"timeout_ms\":30000,\"pending\":0,"		\
	"\"counters\":{\"requests\":0},\"histogram\":[],"		\
	"\"window\":{\"span_s\":10,\"requests_per_s\":0,\"responses_per_s\":0," \
	"\"codes_per_s\":{\"2xx\":0,\"3xx\":0,\"4xx\":0,\"5xx\":0},"	\
	"\"error_ratio\":0,\"slow_ratio\":0,\"p50_ms\":null,"		\
	"\"p90_ms\":null,\"p99_ms\":null}},"				\
	"{\"name\":\"secure\",\"port\":443,\"addresses\":[],\"paths\":[]," \
	"\"tls\":true,\"priority\":\"optional\"}]}"

static char *print_json(ctl_printer_t print, const char *json, int *err)
{
	json_object *o = json_tokener_parse(json);
	struct capture c;
	char *out = NULL;

	*err = -1;
	if (!ASSERT_TRUE(o, "canned JSON parses"))
		return NULL;
	if (capture_begin(&c))
		*err = print(c.f, o);
	out = capture_end(&c);
	json_object_put(o);
	return out;
}

static void check_out(ctl_printer_t print, const char *json, int want_err,
		      const char *want, const char *what)
{
	int err;
	char *got = print_json(print, json, &err);

	ASSERT_EQ(err, want_err, what);
	ASSERT_STREQ(got ? got : "(null)", want, what);
	free(got);
}

static void test_table(void)
{
	check_out(ctl_print_services, SERVICES_JSON, 0,
		  "services over the last 10.0 s on gw0, gw1; latency in ms\n"
		  "\n"
		  "SERVICE  MATCH                   PRIORITY  REQ/s  2XX/s  3XX/s  4XX/s  5XX/s  ERRORS  SLOW  P50  P90  P99  PENDING\n"
		  "api      198.18.0.2:80 /api /v2  core         12     10    0.2    1.5    0.5    4.9%  0.8%  1.8  2.4  812        2\n"
		  "web      default of :80          normal        0      0      0      0      0       -     -    -    -    -        0\n"
		  "secure   default of :443 tls     optional      -      -      -      -      -       -     -    -    -    -        -\n",
		  "three services");
	check_out(ctl_print_services, "{\"window_s\":0,\"services\":[]}", 0,
		  "no services in the running config (see the config's services: section)\n",
		  "none configured");
}

static void test_detail(void)
{
	check_out(ctl_print_service,
		  "{\"window_s\":10,\"services\":[" API_JSON "]}", 0,
		  "service:      api (id 1)\n"
		  "match:        198.18.0.2:80 /api /v2\n"
		  "priority:     core\n"
		  "slow:         500ms\n"
		  "timeout:      30s\n"
		  "tls:          no\n"
		  "pending:      2\n"
		  "failure run:  1\n"
		  "window:       10.0 s\n"
		  "error rate:   4.9%\n"
		  "slow rate:    0.8%\n"
		  "latency:      p50 1.8, p90 2.4, p99 812 ms\n"
		  "\n"
		  "COUNTER       TOTAL  PER S\n"
		  "requests       1234     12\n"
		  "edge_replies     10      -\n"
		  "1xx               0      -\n"
		  "2xx            1000     10\n"
		  "3xx              20    0.2\n"
		  "4xx             150    1.5\n"
		  "5xx              52    0.5\n"
		  "  429             0      -\n"
		  "  500             2      -\n"
		  "  502             0      -\n"
		  "  503            50    0.5\n"
		  "  504             0      -\n"
		  "other             0      -\n"
		  "slow             12    0.1\n"
		  "no_response       3    0.1\n"
		  "timeouts          1      0\n"
		  "\n"
		  "LATENCY <=  RESPONSES\n"
		  "      1 ms          2\n"
		  "    2.5 ms       1200\n"
		  "   1500 ms         20\n"
		  "      +Inf          0\n",
		  "one service in detail");
}

static void test_wrong_shape(void)
{
	static const char *const refused[] = {
		"{}", "{\"services\":7}", "{\"services\":[1]}",
		"{\"services\":{}}",
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		check_out(ctl_print_services, refused[i], -EBADMSG, "", refused[i]);
		check_out(ctl_print_service, refused[i], -EBADMSG, "", refused[i]);
	}
	/* The detail needs exactly one service, with a list of buckets. */
	check_out(ctl_print_service, "{\"services\":[]}", -EBADMSG, "", "none");
	check_out(ctl_print_service, SERVICES_JSON, -EBADMSG, "", "three");
	check_out(ctl_print_service, "{\"services\":[{\"histogram\":{}}]}",
		  -EBADMSG, "", "histogram not a list");
	/* Scalars of the wrong type print as "-". */
	check_out(ctl_print_services,
		  "{\"services\":[{\"name\":1,\"port\":\"x\",\"paths\":[\"/a\"],"
		  "\"window\":{\"p50_ms\":\"fast\",\"error_ratio\":[]}}]}", 0,
		  "services (no rates yet: sluiced reads the counters once a second); latency in ms\n"
		  "\n"
		  "SERVICE  MATCH  PRIORITY  REQ/s  2XX/s  3XX/s  4XX/s  5XX/s  ERRORS  SLOW  P50  P90  P99  PENDING\n"
		  "-        :- /a  -             -      -      -      -      -       -     -    -    -    -        -\n",
		  "wrong scalar types");
}

/* Each printer on the canned answer cut at every length that still
 * parses, and with bytes changed (fixed seed): 0 or -EBADMSG. */
static void test_hostile(void)
{
	static const char alphabet[] = "{}[]\",:0-9.eE+-tfn \\x";
	static const ctl_printer_t printers[] = {
		ctl_print_services, ctl_print_service,
	};
	const char *answer = "{\"v\":1,\"ok\":true,\"data\":" SERVICES_JSON "}";
	size_t n = strlen(answer);
	FILE *null = fopen("/dev/null", "w");
	unsigned int seed = 7, parsed = 0;

	if (!ASSERT_TRUE(null, "/dev/null"))
		return;
	for (int iter = 0; iter < 3000; iter++) {
		char *m = strdup(answer);
		json_object *data = NULL;
		struct ctl_err e;

		for (int k = rand_r(&seed) % 3; m && k >= 0; k--)
			m[rand_r(&seed) % n] =
				alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		if (m && !ctl_response_parse(m, n, &data, &e)) {
			parsed++;
			for (size_t p = 0; p < 2; p++) {
				int err = printers[p](null, data);

				if (err && err != -EBADMSG)
					TEST_FAILF("iter %d printer %zu: %d", iter, p, err);
				/* and every member on its own */
				if (!json_object_is_type(data, json_type_object))
					continue;
				json_object_object_foreach(data, key, val) {
					err = printers[p](null, val);
					if (err && err != -EBADMSG)
						TEST_FAILF("iter %d printer %zu on %s: %d",
							   iter, p, key, err);
				}
			}
		}
		json_object_put(data);
		free(m);
	}
	fclose(null);
	ASSERT_GE(parsed, 500, "enough mutations still parse");
}

TEST_MAIN("unit/ctl_services",
	  TEST(test_table),
	  TEST(test_detail),
	  TEST(test_wrong_shape),
	  TEST(test_hostile))

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `sluicectl services`: its two printers fed a canned daemon answer,
 * output compared exactly; then answers of the wrong shape: "-" or
 * -EBADMSG (test_ctl_print.c feeds them mutated answers too).
 */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "capture.h"
#include "ctl/ctl_client.h"
#include "ctl/ctl_print.h"
#include "services_json.h"

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

TEST_MAIN("unit/ctl_services",
	  TEST(test_table),
	  TEST(test_detail),
	  TEST(test_wrong_shape))

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A canned answer of the "services" command, for the printers' tests
 * (test_ctl_services.c, and test_ctl_print.c's hostile inputs). */
#ifndef SLUICE_TEST_SERVICES_JSON_H
#define SLUICE_TEST_SERVICES_JSON_H

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

#endif /* SLUICE_TEST_SERVICES_JSON_H */

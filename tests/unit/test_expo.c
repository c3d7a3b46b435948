// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The exposition writer: whole outputs in both formats, escaping, the
 * histogram helper, and what it refuses. */
#include <math.h>

#include "test.h"
#include "export/expo.h"

static void test_text(void)
{
	const struct expo_label l[] = { { "interface", "eth0" }, { "tier", "vip" } };
	struct expo e;

	expo_init(&e, false);
	expo_family(&e, "sluice_packets", EXPO_COUNTER, "Packets seen.");
	expo_u64(&e, l, 2, 42);
	expo_u64(&e, l, 1, 18446744073709551615ULL);
	expo_family(&e, "sluice_limit_rate", EXPO_GAUGE, "Units per second.");
	expo_double(&e, NULL, 0, 0.5);
	expo_double(&e, l + 1, 1, 10);
	ASSERT_OK(expo_end(&e), "end");
	ASSERT_STREQ(e.buf,
		     "# HELP sluice_packets_total Packets seen.\n"
		     "# TYPE sluice_packets_total counter\n"
		     "sluice_packets_total{interface=\"eth0\",tier=\"vip\"} 42\n"
		     "sluice_packets_total{interface=\"eth0\"} 18446744073709551615\n"
		     "# HELP sluice_limit_rate Units per second.\n"
		     "# TYPE sluice_limit_rate gauge\n"
		     "sluice_limit_rate 0.5\n"
		     "sluice_limit_rate{tier=\"vip\"} 10\n", "0.0.4 output");
	expo_free(&e);
}

static void test_openmetrics(void)
{
	const struct expo_label l[] = { { "result", "success" } };
	struct expo e;

	expo_init(&e, true);
	expo_family(&e, "sluice_config_reloads", EXPO_COUNTER, "Reloads \"by\" result.");
	expo_u64(&e, l, 1, 3);
	expo_family(&e, "sluice_mode", EXPO_GAUGE, "1 for the mode.");
	expo_u64(&e, NULL, 0, 1);
	ASSERT_OK(expo_end(&e), "end");
	ASSERT_STREQ(e.buf,
		     "# HELP sluice_config_reloads Reloads \\\"by\\\" result.\n"
		     "# TYPE sluice_config_reloads counter\n"
		     "sluice_config_reloads_total{result=\"success\"} 3\n"
		     "# HELP sluice_mode 1 for the mode.\n"
		     "# TYPE sluice_mode gauge\n"
		     "sluice_mode 1\n"
		     "# EOF\n", "OpenMetrics output");
	expo_free(&e);
}

static void test_escaping(void)
{
	const struct expo_label l[] = { { "path", "C:\\dir\n\"x\"" } };
	struct expo e;

	expo_init(&e, false);
	expo_family(&e, "m", EXPO_GAUGE, "back\\slash\nnew \"quoted\"");
	expo_u64(&e, l, 1, 1);
	ASSERT_OK(expo_end(&e), "end");
	/* 0.0.4 HELP escapes \ and newline only; label values " too. */
	ASSERT_STREQ(e.buf,
		     "# HELP m back\\\\slash\\nnew \"quoted\"\n"
		     "# TYPE m gauge\n"
		     "m{path=\"C:\\\\dir\\n\\\"x\\\"\"} 1\n", "escaped");
	expo_free(&e);
}

#define HIST								\
	"# HELP sluice_wait_seconds Waits.\n"				\
	"# TYPE sluice_wait_seconds histogram\n"			\
	"sluice_wait_seconds_bucket{tier=\"a\",le=\"0.001\"} 1\n"	\
	"sluice_wait_seconds_bucket{tier=\"a\",le=\"0.25\"} 1\n"	\
	"sluice_wait_seconds_bucket{tier=\"a\",le=\"1\"} 3\n"		\
	"sluice_wait_seconds_bucket{tier=\"a\",le=\"+Inf\"} 7\n"	\
	"sluice_wait_seconds_sum{tier=\"a\"} 12.5\n"			\
	"sluice_wait_seconds_count{tier=\"a\"} 7\n"			\
	"sluice_wait_seconds_bucket{le=\"+Inf\"} 0\n"			\
	"sluice_wait_seconds_sum 0\n"					\
	"sluice_wait_seconds_count 0\n"

/* Both formats write a histogram alike (OpenMetrics adds # EOF). */
static void test_histogram(void)
{
	const struct expo_label l[] = { { "tier", "a" } };
	const double le[] = { 0.001, 0.25, 1 };
	const uint64_t n[] = { 1, 0, 2 };
	struct expo e;

	for (int om = 0; om <= 1; om++) {
		test_subtest_begin(om ? "openmetrics" : "text");
		expo_init(&e, om);
		expo_family(&e, "sluice_wait_seconds", EXPO_HISTOGRAM, "Waits.");
		expo_histogram(&e, l, 1, le, n, 3, 4, 12.5);
		expo_histogram(&e, NULL, 0, le, n, 0, 0, 0);
		ASSERT_OK(expo_end(&e), "end");
		ASSERT_STREQ(e.buf, om ? HIST "# EOF\n" : HIST, "histogram");
		expo_free(&e);
		test_subtest_end();
	}
}

static void test_doubles(void)
{
	static const struct { double v; const char *s; } d[] = {
		{ 0, "0" }, { 0.1, "0.1" }, { 1e9, "1000000000" },
		{ 1.0 / 3, "0.3333333333333333" }, { 1e-7, "1e-07" },
		{ -2.5, "-2.5" }, { 1764547200.25, "1764547200.25" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		ASSERT_STREQ(expo_fmt_double(d[i].v, buf, sizeof(buf)), d[i].s,
			     d[i].s);
	ASSERT_STREQ(expo_fmt_double(INFINITY, buf, sizeof(buf)), "+Inf", "+Inf");
	ASSERT_STREQ(expo_fmt_double(-INFINITY, buf, sizeof(buf)), "-Inf", "-Inf");
	ASSERT_STREQ(expo_fmt_double(NAN, buf, sizeof(buf)), "NaN", "NaN");
}

/* Each of these leaves the sticky -EINVAL. */
static void test_refused(void)
{
	static const char *const what[] = {
		"family twice", "bad family name", "bad label name", "label le",
		"sample before a family", "histogram sample in a gauge",
		"histogram bounds out of order",
	};
	const double le[] = { 1, 0.5 };
	const uint64_t n[] = { 1, 1 };
	struct expo e;

	for (int i = 0; i < (int)(sizeof(what) / sizeof(what[0])); i++) {
		const struct expo_label bad[] = {
			{ i == 2 ? "a-b" : "le", "x" },
		};

		test_subtest_begin(what[i]);
		expo_init(&e, false);
		if (i != 4)
			expo_family(&e, i == 1 ? "9lives" : "m",
				    i == 6 ? EXPO_HISTOGRAM : EXPO_GAUGE, "h");
		switch (i) {
		case 0: expo_family(&e, "m", EXPO_COUNTER, "again"); break;
		case 2: case 3: expo_u64(&e, bad, 1, 1); break;
		case 4: expo_u64(&e, NULL, 0, 1); break;
		case 5: expo_histogram(&e, NULL, 0, le, n, 1, 0, 0); break;
		case 6: expo_histogram(&e, NULL, 0, le, n, 2, 0, 0); break;
		}
		ASSERT_EQ(expo_end(&e), -EINVAL, "refused");
		expo_free(&e);
		test_subtest_end();
	}
}

static void test_accept(void)
{
	ASSERT_TRUE(expo_wants_om("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
		    "Prometheus's Accept");
	ASSERT_FALSE(expo_wants_om("text/plain"), "text");
	ASSERT_FALSE(expo_wants_om(NULL), "none");
	ASSERT_FALSE(expo_wants_om("*/*"), "curl's");
}

static void test_reset(void)
{
	struct expo e;

	expo_init(&e, false);
	expo_family(&e, "m", EXPO_GAUGE, "h");
	expo_reset(&e);
	expo_family(&e, "m", EXPO_GAUGE, "h");	/* not "declared twice" */
	ASSERT_OK(expo_end(&e), "declared again after a reset");
	expo_free(&e);
}

TEST_MAIN("unit/expo", TEST(test_text), TEST(test_openmetrics),
	  TEST(test_escaping), TEST(test_histogram), TEST(test_doubles),
	  TEST(test_refused), TEST(test_accept), TEST(test_reset))

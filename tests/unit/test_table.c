// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The aligned-table formatter and the human number formats. */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "test.h"
#include "capture.h"
#include "common/table.h"

/* Print `t` into a string; the caller frees it.  *err gets the result. */
static char *print_str(const struct table *t, int indent, int *err)
{
	struct capture c;

	if (capture_begin(&c))
		*err = table_print(t, c.f, indent);
	return capture_end(&c);
}

static void check_print(const struct table *t, int indent, const char *want,
			const char *what)
{
	int err = -1;
	char *got = print_str(t, indent, &err);

	ASSERT_OK(err, what);
	ASSERT_STREQ(got, want, what);
	free(got);
}

static void test_align(void)
{
	struct table *t = table_new(0);

	if (!ASSERT_TRUE(t, "table_new"))
		return;
	table_column(t, "NAME", TABLE_LEFT);
	table_column(t, "PACKETS", TABLE_RIGHT);
	table_column(t, "NOTE", TABLE_LEFT);
	table_row(t);
	table_cell(t, "normal");
	table_cell(t, "%d", 5);
	table_cell(t, "first");
	table_row(t);
	table_cell(t, "vip");
	table_cell(t, "%s", "123456789");
	table_cell(t, "second one");
	ASSERT_EQ(table_rows(t), 2, "rows");
	check_print(t, 0,
		    "NAME      PACKETS  NOTE\n"
		    "normal          5  first\n"
		    "vip     123456789  second one\n", "widths from cells and headers");
	check_print(t, 2,
		    "  NAME      PACKETS  NOTE\n"
		    "  normal          5  first\n"
		    "  vip     123456789  second one\n", "indent");
	table_free(t);
}

static void test_no_trailing_blanks(void)
{
	struct table *t = table_new(0);

	if (!ASSERT_TRUE(t, "table_new"))
		return;
	table_column(t, "A", TABLE_LEFT);
	table_column(t, "LONGER", TABLE_LEFT);
	table_column(t, "N", TABLE_RIGHT);
	table_row(t);
	table_cell(t, "x");		/* the rest missing */
	table_row(t);
	table_cell(t, "%s", "");
	table_cell(t, "mid");
	table_cell(t, "%s", "");	/* empty last cell */
	table_row(t);
	table_cell(t, "y");
	table_cell(t, "%s", "");
	table_cell(t, "7");
	check_print(t, 0,
		    "A  LONGER  N\n"
		    "x\n"
		    "   mid\n"
		    "y          7\n", "short and empty rows");
	table_free(t);
}

static void test_noheader_kv(void)
{
	struct table *t = table_new(TABLE_F_NOHEADER);

	if (!ASSERT_TRUE(t, "table_new"))
		return;
	table_column(t, "ignored", TABLE_LEFT);
	table_column(t, NULL, TABLE_LEFT);
	table_row(t);
	table_cell(t, "pid:");
	table_cell(t, "42");
	table_row(t);
	table_cell(t, "client table:");
	table_cell(t, "1024 entries");
	check_print(t, 0,
		    "pid:           42\n"
		    "client table:  1024 entries\n", "key/value list");
	table_free(t);
}

static void test_utf8_width(void)
{
	struct table *t = table_new(0);

	if (!ASSERT_TRUE(t, "table_new"))
		return;
	table_column(t, "TIER", TABLE_LEFT);
	table_column(t, "N", TABLE_RIGHT);
	table_row(t);
	table_cell(t, "caf\xc3\xa9");	/* 5 bytes, 4 columns */
	table_cell(t, "1");
	table_row(t);
	table_cell(t, "abcd");
	table_cell(t, "22");
	check_print(t, 0,
		    "TIER   N\n"
		    "caf\xc3\xa9   1\n"
		    "abcd  22\n", "code points, not bytes");
	table_free(t);
}

static void test_empty(void)
{
	struct table *t = table_new(0);

	if (!ASSERT_TRUE(t, "table_new"))
		return;
	check_print(t, 0, "", "no columns: nothing");
	table_column(t, "ONLY", TABLE_RIGHT);
	check_print(t, 0, "ONLY\n", "header only");
	table_free(t);
	table_free(NULL);
}

static void test_errors_sticky(void)
{
	struct table *t = table_new(0);
	char *out;
	int err = 0;

	if (!ASSERT_TRUE(t, "table_new"))
		return;
	ASSERT_EQ(table_cell(t, "x"), -EINVAL, "cell before any row");
	table_free(t);

	t = table_new(0);
	table_column(t, "A", TABLE_LEFT);
	table_row(t);
	table_cell(t, "1");
	ASSERT_EQ(table_cell(t, "2"), -EINVAL, "cell past the last column");
	ASSERT_EQ(table_row(t), -EINVAL, "error is sticky");
	out = print_str(t, 0, &err);
	ASSERT_EQ(err, -EINVAL, "print returns it");
	ASSERT_STREQ(out, "", "and prints nothing");
	free(out);
	table_free(t);

	t = table_new(0);
	table_column(t, "A", TABLE_LEFT);
	table_row(t);
	ASSERT_EQ(table_column(t, "B", TABLE_LEFT), -EINVAL,
		  "column after a row");
	table_free(t);

	t = table_new(0);
	ASSERT_EQ(table_row(t), -EINVAL, "row without columns");
	table_free(t);
}

static void test_many_rows(void)
{
	struct table *t = table_new(TABLE_F_NOHEADER);
	char *out;
	int err = -1;

	if (!ASSERT_TRUE(t, "table_new"))
		return;
	table_column(t, NULL, TABLE_RIGHT);
	for (int i = 0; i < 1000; i++) {
		table_row(t);
		table_cell(t, "%d", i);
	}
	ASSERT_EQ(table_rows(t), 1000, "rows");
	out = print_str(t, 0, &err);
	ASSERT_OK(err, "print");
	ASSERT_TRUE(out && !strncmp(out, "  0\n  1\n", 8), "first rows padded");
	ASSERT_TRUE(out && strstr(out, "\n999\n"), "last row");
	free(out);
	table_free(t);
}

static void test_human_count(void)
{
	static const struct { uint64_t v; const char *want; } cases[] = {
		{ 0, "0" }, { 7, "7" }, { 999, "999" },
		{ 1000, "1.0k" }, { 1234, "1.2k" }, { 1250, "1.2k" },
		{ 12345, "12.3k" }, { 99949, "99.9k" }, { 99950, "100k" },
		{ 123456, "123k" }, { 999499, "999k" }, { 999500, "1.0M" },
		{ 999999, "1.0M" }, { 3400000, "3.4M" }, { 12345678901ULL, "12.3G" },
		{ 1000000000000ULL, "1.0T" }, { UINT64_MAX, "18.4E" },
	};
	char buf[TABLE_HUMAN_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "count %llu",
			 (unsigned long long)cases[i].v);
		ASSERT_STREQ(table_human_count(cases[i].v, buf, sizeof(buf)),
			     cases[i].want, what);
	}
}

static void test_human_rate(void)
{
	static const struct { double v; const char *want; } cases[] = {
		{ 0, "0" }, { 0.04, "0.0" }, { 0.5, "0.5" }, { 9.94, "9.9" },
		{ 9.96, "10" }, { 12.4, "12" }, { 999.4, "999" },
		{ 999.6, "1.0k" }, { 5321.7, "5.3k" }, { 2.5e6, "2.5M" },
		{ -1, "-" }, { NAN, "-" }, { INFINITY, "-" },
	};
	char buf[TABLE_HUMAN_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "rate %g", cases[i].v);
		ASSERT_STREQ(table_human_rate(cases[i].v, buf, sizeof(buf)),
			     cases[i].want, what);
	}
}

static void test_human_duration(void)
{
	static const struct { uint64_t s; const char *want; } cases[] = {
		{ 0, "0s" }, { 59, "59s" }, { 60, "1m0s" }, { 725, "12m5s" },
		{ 3599, "59m59s" }, { 3600, "1h0m" }, { 11534, "3h12m" },
		{ 86399, "23h59m" }, { 86400, "1d0h" }, { 183600, "2d3h" },
		{ UINT64_MAX, "213503982334601d7h" },
	};
	char buf[TABLE_HUMAN_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "duration %llu",
			 (unsigned long long)cases[i].s);
		ASSERT_STREQ(table_human_duration(cases[i].s, buf, sizeof(buf)),
			     cases[i].want, what);
	}
}

TEST_MAIN("unit/table",
	  TEST(test_align),
	  TEST(test_no_trailing_blanks),
	  TEST(test_noheader_kv),
	  TEST(test_utf8_width),
	  TEST(test_empty),
	  TEST(test_errors_sticky),
	  TEST(test_many_rows),
	  TEST(test_human_count),
	  TEST(test_human_rate),
	  TEST(test_human_duration))

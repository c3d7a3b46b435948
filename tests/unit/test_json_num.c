// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* JSON numbers rounded to what they mean (sluicectl -j client printed
 * "next_token_ms": 968.000001 for 968000001 ns). */
#include <math.h>

#include "test.h"
#include "common/json_num.h"

static void test_rounding(void)
{
	static const struct {
		double v;
		int decimals;
		const char *want;
	} cases[] = {
		{ 968000001 / 1e6, JSON_MS_DECIMALS, "968" },
		{ 999999 / 1e6, JSON_MS_DECIMALS, "1" },
		{ 1500000 / 1e6, JSON_MS_DECIMALS, "1.5" },
		{ 1234 / 1e6, JSON_MS_DECIMALS, "0.001" },
		{ 0.0004, JSON_MS_DECIMALS, "0" },
		{ -0.0004, JSON_MS_DECIMALS, "0" },
		{ 0, JSON_MS_DECIMALS, "0" },
		{ 1000.0 / 3, JSON_PPS_DECIMALS, "333.33" },
		{ 0.999700089973, JSON_PPS_DECIMALS, "1" },
		{ 20.05, JSON_PPS_DECIMALS, "20.05" },
		{ 1250000.4999, JSON_BPS_DECIMALS, "1250000" },
		{ 1e15, JSON_BPS_DECIMALS, "1000000000000000" },
		{ NAN, JSON_PPS_DECIMALS, "0" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *o = json_num_rounded(cases[i].v, cases[i].decimals);
		json_object *back;

		test_subtest_begin(cases[i].want);
		if (ASSERT_TRUE(o, "made")) {
			ASSERT_STREQ(json_object_to_json_string(o), cases[i].want,
				     "serialized");
			/* What a client reads back is the same number. */
			back = json_tokener_parse(json_object_to_json_string(o));
			ASSERT_TRUE(back && fabs(json_object_get_double(back) -
					     json_object_get_double(o)) == 0,
				    "parses back to the value");
			json_object_put(back);
		}
		json_object_put(o);
		test_subtest_end();
	}
}

TEST_MAIN("unit/json_num",
	  TEST(test_rounding))

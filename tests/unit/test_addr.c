// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Prefix parsing, masking and formatting (user/common/addr.c). */
#include <errno.h>

#include "test.h"
#include "common/addr.h"

static void test_parse_format(void)
{
	static const struct {
		const char *in, *out;
		int family, len, masked;
	} cases[] = {
		{ "198.18.0.0/15", "198.18.0.0/15", SL_AF_INET, 15, 1 },
		{ "198.18.0.5", "198.18.0.5/32", SL_AF_INET, 32, 1 },
		{ "0.0.0.0/0", "0.0.0.0/0", SL_AF_INET, 0, 1 },
		{ "198.18.10.1/24", "198.18.10.1/24", SL_AF_INET, 24, 0 },
		{ "2001:2::/48", "2001:2::/48", SL_AF_INET6, 48, 1 },
		{ "2001:0002:0000::/48", "2001:2::/48", SL_AF_INET6, 48, 1 },
		{ "2001:2::1", "2001:2::1/128", SL_AF_INET6, 128, 1 },
		{ "::/0", "::/0", SL_AF_INET6, 0, 1 },
		{ "2001:2:0:10::1/64", "2001:2:0:10::1/64", SL_AF_INET6, 64, 0 },
	};
	char buf[ADDR_STR_MAX];
	struct cfg_prefix p;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_subtest_begin(cases[i].in);
		if (ASSERT_OK(addr_parse(cases[i].in, &p), "parse")) {
			ASSERT_EQ(p.family, cases[i].family, "family");
			ASSERT_EQ(p.len, cases[i].len, "len");
			ASSERT_EQ(addr_is_masked(&p), cases[i].masked, "masked");
			ASSERT_STREQ(addr_format(&p, true, buf, sizeof(buf)),
				     cases[i].out, "format");
		}
		test_subtest_end();
	}
	addr_parse("198.18.0.5/15", &p);
	ASSERT_STREQ(addr_format(&p, false, buf, sizeof(buf)), "198.18.0.5",
		     "without length");
}

static void test_parse_rejects(void)
{
	static const char *const bad[] = {
		"", "/24", "198.18.0.0/", "198.18.0.0/33", "2001:2::/129",
		"198.18.0.0/-1", "198.18.0.0/+8", "198.18.0.0/ 8", "198.18.0.0/8x",
		"198.18.0", "198.18.0.256", "1.2.3.4.5", "eth0", "2001:2:::/48",
		"198.18.0.0/1000", " 198.18.0.0", "198.18.0.0/24/8",
	};
	struct cfg_prefix p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_EQ(addr_parse(bad[i], &p), -EINVAL, bad[i]);
}

static void test_mask_contains(void)
{
	static const struct {
		const char *in;
		int len;
		const char *out, *what;
	} masks[] = {
		{ "198.18.10.77", 24, "198.18.10.0/24", "v4 /24" },
		{ "198.18.255.255", 15, "198.18.0.0/15", "v4 /15" },
		{ "2001:2:0:10:aaaa:bbbb:cccc:dddd", 64, "2001:2:0:10::/64",
		  "v6 /64 client key" },
		{ "2001:2:ffff::", 33, "2001:2:8000::/33", "v6 odd length" },
		{ "198.18.1.1", 99, "198.18.1.1/32", "capped at the family's bits" },
	};
	struct cfg_prefix net, a, b;
	char buf[ADDR_STR_MAX];

	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		if (!ASSERT_OK(addr_parse(masks[i].in, &a), masks[i].in))
			continue;
		addr_mask(&a, masks[i].len);
		ASSERT_STREQ(addr_format(&a, true, buf, sizeof(buf)),
			     masks[i].out, masks[i].what);
	}
	ASSERT_EQ(a.len, 32, "capped at the family's bits");	/* the last */

	addr_parse("198.18.0.0/15", &net);
	addr_parse("198.19.200.1", &a);
	addr_parse("198.20.0.1", &b);
	ASSERT_TRUE(addr_contains(&net, &a), "inside");
	ASSERT_FALSE(addr_contains(&net, &b), "outside");
	ASSERT_FALSE(addr_contains(&a, &net), "longer does not contain shorter");
	addr_parse("::/0", &b);
	ASSERT_FALSE(addr_contains(&b, &a), "families differ");
	addr_parse("198.18.0.0/15", &a);
	ASSERT_TRUE(addr_equal(&net, &a), "equal");
	addr_parse("198.18.0.0/16", &a);
	ASSERT_FALSE(addr_equal(&net, &a), "length differs");
}

TEST_MAIN("unit/addr",
	  TEST(test_parse_format),
	  TEST(test_parse_rejects),
	  TEST(test_mask_contains))

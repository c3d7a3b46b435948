/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What the config tests share: a minimal head and parse-or-fail. */
#ifndef SLUICE_TEST_CONFIG_UTIL_H
#define SLUICE_TEST_CONFIG_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "config/config.h"

#define SEC_NS	1000000000ULL
#define HEAD	"interface: eth0\ntiers:\n"

static inline struct sl_config *parse_ok(const char *text)
{
	char err[CFG_ERR_MAX];
	struct sl_config *cfg = NULL;
	int ret = cfg_parse("t.yaml", text, strlen(text), &cfg, err);

	if (!ASSERT_OK(ret, "cfg_parse"))
		fprintf(stderr, "    %s\n", err);
	return cfg;
}

/* A config that must be refused with exactly this message. */
struct cfg_bad {
	const char *what, *text, *want;
};

static inline void expect_errors(const struct cfg_bad *bad, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sl_config *cfg = (void *)1;
		char err[CFG_ERR_MAX];

		test_subtest_begin(bad[i].what);
		ASSERT_EQ(cfg_parse("t.yaml", bad[i].text, strlen(bad[i].text),
				    &cfg, err), -EINVAL, "refused");
		ASSERT_TRUE(cfg == NULL, "nothing returned");
		ASSERT_STREQ(err, bad[i].want, "message");
		test_subtest_end();
	}
}

#endif /* SLUICE_TEST_CONFIG_UTIL_H */

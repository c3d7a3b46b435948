/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What the config tests share: a minimal head and parse-or-fail. */
#ifndef SLUICE_TEST_CONFIG_UTIL_H
#define SLUICE_TEST_CONFIG_UTIL_H

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

#endif /* SLUICE_TEST_CONFIG_UTIL_H */

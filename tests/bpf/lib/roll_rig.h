/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A rollout on a rig (svc_rig.h): the running config applied, a
 * candidate written into the canary maps by user/kern/rollout.c and
 * switched on, and sources picked by cohort.  Shared by tests/bpf.
 * (Inline: tools link tests/bpf/lib without the test runner.)
 */
#ifndef SLUICE_TEST_ROLL_RIG_H
#define SLUICE_TEST_ROLL_RIG_H

#include <arpa/inet.h>

#include "svc_rig.h"
#include "kern/rollout.h"

static inline struct sl_config *roll_parse(const char *text)
{
	char err[CFG_ERR_MAX];
	struct sl_config *cfg = NULL;

	if (!ASSERT_OK(cfg_parse("cand.yaml", text, strlen(text), &cfg, err),
		       "cfg_parse"))
		fprintf(stderr, "    %s\n", err);
	return cfg;
}

/* `control` applied, `cand_text` written and set to `state` at `share`
 * with its own seed: the candidate (cfg_free it) or NULL (asserted). */
static inline struct sl_config *roll_start(struct rig *r, const char *control,
					   const char *cand_text, __u32 state,
					   __u32 share)
{
	struct apply_summary sum = {};
	struct sl_config *cand;

	if (!rig_apply(r, control, NULL))
		return NULL;
	cand = roll_parse(cand_text);
	if (!cand)
		return NULL;
	if (!ASSERT_OK(rollout_write(&r->ifc, cand, &sum), "rollout_write") ||
	    !ASSERT_OK(rollout_set(&r->ifc, state, share,
				   sl_cohort_seed(cand->hash)), "rollout_set")) {
		cfg_free(cand);
		cand = NULL;
	}
	apply_summary_free(&sum);
	return cand;
}

static inline void roll_addr(const char *text, __u8 family, __u32 a[4])
{
	memset(a, 0, 16);
	inet_pton(family == SL_AF_INET ? AF_INET : AF_INET6, text, a);
}

/* The first 198.18.<net>.x (x from 1) that is (or is not) canary. */
static inline bool roll_pick_v4(__u32 seed, __u32 share, int net, bool canary,
				char *out, size_t size)
{
	__u32 a[4];

	for (int x = 1; x < 255; x++) {
		snprintf(out, size, "198.18.%d.%d", net, x);
		roll_addr(out, SL_AF_INET, a);
		if (sl_cohort_in(seed, share, SL_AF_INET, a) == canary)
			return true;
	}
	return false;
}

#endif /* SLUICE_TEST_ROLL_RIG_H */

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/names.h"
#include "common/log.h"
#include "config/config.h"	/* enum cfg_attach, enum cfg_log_level */
#include "sluice_abi.h"
#include "sluice_service.h"

#define NAMES(arr)	{ arr, (int)(sizeof(arr) / sizeof(arr[0])) }

static const char *const mode[] = {
	[SL_MODE_ENFORCE] = "enforce", [SL_MODE_SHADOW] = "shadow",
};
static const char *const policy[] = {
	[SL_POLICY_PASS] = "pass", [SL_POLICY_DROP] = "drop",
};
static const char *const unit[] = {
	[SL_UNIT_NONE] = "none", [SL_UNIT_PACKETS] = "packets",
	[SL_UNIT_BYTES] = "bytes", [SL_UNIT_CONNECTIONS] = "connections",
	[SL_UNIT_REQUESTS] = "requests",
};
static const char *const action[] = {
	[SL_ACT_DROP] = "drop", [SL_ACT_RESET] = "reset", [SL_ACT_HTTP] = "http",
};
static const char *const verdict[] = {
	[SL_TIER_LIMIT] = "limit", [SL_TIER_PASS] = "pass",
	[SL_TIER_DROP] = "drop",
};
static const char *const reason[] = {
	[SL_R_PASSED] = "passed", [SL_R_DROPPED] = "dropped",
	[SL_R_RESET] = "reset", [SL_R_SHADOW_DROP] = "shadow_drop",
	[SL_R_SHADOW_RESET] = "shadow_reset", [SL_R_DENYLISTED] = "denylisted",
	[SL_R_ALLOWLISTED] = "allowlisted", [SL_R_UNMETERED] = "unmetered",
	[SL_R_FLOOD_DROP] = "flood_drop", [SL_R_MALFORMED] = "malformed",
	[SL_R_NON_IP] = "non_ip", [SL_R_HTTP] = "http",
	[SL_R_SHADOW_HTTP] = "shadow_http",
	[SL_R_EDGE_CONN] = "edge_conn",
	[SL_R_BREAKER] = "breaker", [SL_R_SHED] = "shed",
#ifdef SL_ABI_NEXT
	[SL_R_ABI_NEXT] = "abi_next",	/* the upgrade test's build */
#endif
};
static const char *const event[] = {
	[SL_EV_VLAN] = "vlan", [SL_EV_IPV4_OPTIONS] = "ipv4_options",
	[SL_EV_FRAG_FIRST] = "frag_first", [SL_EV_FRAG_LATER] = "frag_later",
	[SL_EV_V6_EXTHDR] = "v6_exthdr", [SL_EV_V6_EXT_LIMIT] = "v6_ext_limit",
	[SL_EV_L4_OTHER] = "l4_other", [SL_EV_CAS_RETRY] = "cas_retry",
	[SL_EV_CLIENT_NEW] = "client_new", [SL_EV_CLIENT_FULL] = "client_full",
	[SL_EV_RESET_FAIL] = "reset_fail", [SL_EV_EDGE_NO_TC] = "edge_no_tc",
	[SL_EV_EDGE_NO_META] = "edge_no_meta",
	[SL_EV_EDGE_NO_REPLY] = "edge_no_reply",
	[SL_EV_EDGE_CLIENT_FAIL] = "edge_client_fail",
	[SL_EV_EDGE_SERVER_FAIL] = "edge_server_fail",
	[SL_EV_EDGE_CONN_FAIL] = "edge_conn_fail",
	[SL_EV_GLOB_FULL] = "glob_full",
#ifdef SL_ABI_NEXT
	[SL_EV_ABI_NEXT] = "abi_next",	/* the upgrade test's build */
#endif
};
static const char *const svc_code[] = {
	[SL_SVC_CODE_OTHER] = "other", [SL_SVC_CODE_1XX] = "1xx",
	[SL_SVC_CODE_2XX] = "2xx", [SL_SVC_CODE_3XX] = "3xx",
	[SL_SVC_CODE_4XX] = "4xx", [SL_SVC_CODE_5XX] = "5xx",
	[SL_SVC_CODE_429] = "429", [SL_SVC_CODE_500] = "500",
	[SL_SVC_CODE_502] = "502", [SL_SVC_CODE_503] = "503",
	[SL_SVC_CODE_504] = "504",
};
static const char *const attach[] = {
	[CFG_ATTACH_AUTO] = "auto", [CFG_ATTACH_NATIVE] = "native",
	[CFG_ATTACH_GENERIC] = "generic",
};
static const char *const log_level[] = {
	[CFG_LOG_ERROR] = "error", [CFG_LOG_WARN] = "warn",
	[CFG_LOG_INFO] = "info", [CFG_LOG_DEBUG] = "debug",
};
static const char *const on_down[] = {
	[CFG_DOWN_LOCAL] = "local", [CFG_DOWN_SHARE] = "share",
};
static const char *const scope[] = {
	[CFG_SCOPE_LOCAL] = "local", [CFG_SCOPE_GLOBAL] = "global",
};
static const char *const algorithm[] = {
	[CFG_ALG_TOKEN_BUCKET] = "token_bucket",
	[CFG_ALG_SLIDING_WINDOW] = "sliding_window",
	[CFG_ALG_FIXED_WINDOW] = "fixed_window",
};

/* A new enum value without a name fails the build here. */
#define SAME(arr, max)	_Static_assert(sizeof(arr) / sizeof(arr[0]) == (max), \
				       #arr " names and its enum differ")
SAME(unit, SL_UNIT__MAX);
SAME(action, SL_ACT__MAX);
SAME(verdict, SL_TIER__MAX);
SAME(reason, SL_R__MAX);
SAME(event, SL_EV__MAX);
SAME(log_level, LOG_LVL_DEBUG + 1);
_Static_assert((int)CFG_LOG_DEBUG == (int)LOG_LVL_DEBUG &&
	       (int)CFG_LOG_ERROR == (int)LOG_LVL_ERROR,
	       "enum cfg_log_level and enum log_level differ");

const struct sl_names sl_mode_names = NAMES(mode);
const struct sl_names sl_event_names = NAMES(event);
const struct sl_names sl_policy_names = NAMES(policy);
const struct sl_names sl_unit_names = NAMES(unit);
const struct sl_names sl_action_names = NAMES(action);
const struct sl_names sl_verdict_names = NAMES(verdict);
const struct sl_names sl_reason_names = NAMES(reason);
const struct sl_names sl_attach_names = NAMES(attach);
const struct sl_names sl_log_level_names = NAMES(log_level);
const struct sl_names sl_svc_code_names = NAMES(svc_code);
const struct sl_names sl_on_down_names = NAMES(on_down);
const struct sl_names sl_scope_names = NAMES(scope);
const struct sl_names sl_algorithm_names = NAMES(algorithm);

const char *name_of(const struct sl_names *t, int v)
{
	return v >= 0 && v < t->n && t->name[v] ? t->name[v] : "?";
}

int name_parse(const struct sl_names *t, const char *s, int first)
{
	for (int i = first; s && i < t->n; i++)
		if (t->name[i] && !strcmp(t->name[i], s))
			return i;
	return -EINVAL;
}

char *name_list(const struct sl_names *t, int first, const char *sep,
		char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = first; i < t->n && o < size; i++)
		o += snprintf(buf + o, size - o, "%s%s", o ? sep : "",
			      t->name[i]);
	return buf;
}

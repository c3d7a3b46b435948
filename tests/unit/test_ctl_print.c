// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sluicectl's printers fed canned daemon answers; output compared
 * exactly.  Then the same printers fed answers of the wrong shape:
 * they must print "-" or refuse with -EBADMSG, never crash.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "test.h"
#include "capture.h"
#include "config/config.h"
#include "ctl/ctl_client.h"
#include "ctl/ctl_print.h"
#include "services_json.h"

#define STATUS_JSON							\
	"{\"version\":\"0.1.0\",\"abi\":1,\"pid\":4242,\"uptime_s\":11534," \
	"\"mode\":\"enforce\",\"config\":{\"path\":\"/etc/sluice/sluice.yaml\"," \
	"\"hash\":\"9f3b0c2a1d4e5f60\",\"loaded_at\":1764349695},"	\
	"\"interfaces\":[{\"name\":\"gw0\",\"ifindex\":2,\"attach\":\"native\"," \
	"\"prog_id\":42,\"link_id\":17,\"tc_prog_id\":44,\"tc_link_id\":19," \
	"\"egress_prog_id\":45,\"egress_link_id\":20}," \
	"{\"name\":\"eth1\",\"ifindex\":13," \
	"\"attach\":\"generic\",\"prog_id\":43,\"link_id\":18}],"	\
	"\"client_table\":{\"size\":1048576}}"

#define TIERS_JSON							\
	"{\"tiers\":["							\
	"{\"id\":0,\"name\":\"normal\",\"verdict\":\"limit\",\"limits\":["	\
	"{\"unit\":\"requests\",\"rate\":\"1/s\",\"burst\":5,\"action\":\"drop\"}," \
	"{\"unit\":\"connections\",\"rate\":\"10/s\",\"burst\":20,\"action\":\"reset\"}]," \
	"\"counters\":{\"passed\":{\"packets\":123456,\"bytes\":9876543},"	\
	"\"dropped\":{\"packets\":3400000,\"bytes\":204000000},"	\
	"\"reset\":{\"packets\":0,\"bytes\":0}},"			\
	"\"rates\":{\"passed\":{\"pps\":12.5,\"bps\":1000},"		\
	"\"dropped\":{\"pps\":5321.7,\"bps\":319302}}},"		\
	"{\"id\":1,\"name\":\"vip\",\"verdict\":\"limit\",\"limits\":["	\
	"{\"unit\":\"requests\",\"rate\":\"10/s\",\"burst\":20,\"action\":\"drop\"}]," \
	"\"counters\":{\"passed\":{\"packets\":20,\"bytes\":1400},"	\
	"\"shadow_drop\":{\"packets\":1999,\"bytes\":1}},"		\
	"\"rates\":{\"passed\":{\"pps\":0.5,\"bps\":35}}},"		\
	"{\"id\":3,\"name\":\"blocked\",\"verdict\":\"drop\",\"limits\":[]," \
	"\"counters\":{\"denylisted\":{\"packets\":999,\"bytes\":1}},\"rates\":{}}," \
	"{\"id\":4,\"name\":\"monitors\",\"verdict\":\"pass\",\"limits\":[]," \
	"\"counters\":{},\"rates\":{}},"				\
	"{\"id\":64,\"name\":\"(none)\",\"counters\":{"		\
	"\"malformed\":{\"packets\":3,\"bytes\":180},"			\
	"\"non_ip\":{\"packets\":27,\"bytes\":1620}},\"rates\":{}}]}"

#define CLIENT_JSON							\
	"{\"addr\":\"198.18.0.5\",\"tier\":\"normal\",\"tier_id\":0,"	\
	"\"key\":\"198.18.0.5/32\",\"known\":true,\"meters\":["	\
	"{\"unit\":\"requests\",\"rate\":\"1/s\",\"burst\":5,\"tokens\":3," \
	"\"next_token_ms\":412.3},"					\
	"{\"unit\":\"connections\",\"rate\":\"10/s\",\"burst\":20,"	\
	"\"tokens\":20,\"next_token_ms\":0},"				\
	"{\"unit\":\"bytes\",\"rate\":\"1000000/s\",\"burst\":1500000,"	\
	"\"tokens\":1499000,\"next_token_ms\":0.001}]}"

static json_object *parse(const char *s)
{
	json_object *o = json_tokener_parse(s);

	ASSERT_TRUE(o, "canned JSON parses");
	return o;
}

/* Run `print` on `json` into a string; *err gets its return. */
static char *run_printer(ctl_printer_t print, json_object *o, int *err)
{
	struct capture c;

	if (capture_begin(&c))
		*err = print(c.f, o);
	return capture_end(&c);
}

static void check_printer(ctl_printer_t print, const char *json,
			  const char *want, const char *what)
{
	json_object *o = parse(json);
	int err = -1;
	char *got;

	if (!o)
		return;
	got = run_printer(print, o, &err);
	ASSERT_OK(err, what);
	ASSERT_STREQ(got, want, what);
	free(got);
	json_object_put(o);
}

/* The printer refuses with -EBADMSG and prints nothing. */
static void check_refused(ctl_printer_t print, const char *json,
			  const char *what)
{
	json_object *o = parse(json);
	int err = 0;
	char *got;

	if (!o)
		return;
	got = run_printer(print, o, &err);
	ASSERT_EQ(err, -EBADMSG, what);
	ASSERT_STREQ(got, "", what);
	free(got);
	json_object_put(o);
}

static void test_status(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	check_printer(ctl_print_status, STATUS_JSON,
		"version:       0.1.0 (abi 1)\n"
		"pid:           4242\n"
		"uptime:        3h12m\n"
		"mode:          enforce\n"
		"config:        /etc/sluice/sluice.yaml\n"
		"config hash:   9f3b0c2a1d4e5f60\n"
		"loaded:        2025-11-28 17:08:15 UTC\n"
		"client table:  1048576 entries\n"
		"\n"
		"INTERFACE  IFINDEX  ATTACH   PROG ID  LINK ID  TC PROG ID  TC LINK ID  EGRESS PROG ID  EGRESS LINK ID\n"
		"gw0              2  native        42       17          44          19              45              20\n"
		"eth1            13  generic       43       18           -           -               -               -\n",
		"status");

	check_printer(ctl_print_status,
		"{\"version\":\"0.1.0\",\"pid\":1,\"uptime_s\":5,\"mode\":\"shadow\","
		"\"interfaces\":[]}",
		"version:       0.1.0\n"
		"pid:           1\n"
		"uptime:        5s\n"
		"mode:          shadow\n"
		"config:        -\n"
		"config hash:   -\n"
		"loaded:        -\n"
		"client table:  -\n"
		"interfaces:    none\n",
		"status without config or interfaces");
}

static void test_status_wrong_types(void)
{
	check_printer(ctl_print_status,
		"{\"version\":1,\"abi\":\"one\",\"pid\":-5,\"uptime_s\":\"long\","
		"\"mode\":null,\"config\":[1,2],\"client_table\":7,"
		"\"interfaces\":[{\"name\":5,\"ifindex\":\"2\",\"attach\":{},"
		"\"prog_id\":1.5}]}",
		"version:       -\n"
		"pid:           -\n"
		"uptime:        -\n"
		"mode:          -\n"
		"config:        -\n"
		"config hash:   -\n"
		"loaded:        -\n"
		"client table:  -\n"
		"\n"
		"INTERFACE  IFINDEX  ATTACH  PROG ID  LINK ID  TC PROG ID  TC LINK ID  EGRESS PROG ID  EGRESS LINK ID\n"
		"-                -  -             -        -           -           -               -               -\n",
		"every scalar mistyped prints as -");
	check_refused(ctl_print_status, "{\"interfaces\":{}}",
		      "interfaces not a list");
	check_refused(ctl_print_status, "{\"interfaces\":[1]}",
		      "interface not an object");
}

static void test_tiers(void)
{
	check_printer(ctl_print_tiers, TIERS_JSON,
		"ID  TIER      VERDICT  LIMITS                      REASON       PACKETS   PPS\n"
		" 0  normal    limit    requests 1/s b5 drop        passed          123k    12\n"
		"                       connections 10/s b20 reset  dropped         3.4M  5.3k\n"
		" 1  vip       limit    requests 10/s b20 drop      passed            20   0.5\n"
		"                                                   shadow_drop     2.0k     0\n"
		" 3  blocked   drop     -                           denylisted       999     0\n"
		" 4  monitors  pass     -                           -\n"
		" -  (none)    -        -                           malformed          3     0\n"
		"                                                   non_ip            27     0\n",
		"tiers");
}

static void test_tiers_more_reasons_than_limits(void)
{
	check_printer(ctl_print_tiers,
		"{\"tiers\":[{\"id\":2,\"name\":\"partner\",\"verdict\":\"limit\","
		"\"limits\":[{\"unit\":\"requests\",\"rate\":\"5/s\",\"burst\":10,"
		"\"action\":\"http\"},{\"unit\":\"packets\",\"rate\":\"100/s\","
		"\"burst\":200,\"action\":\"drop\"},{\"unit\":\"bytes\","
		"\"rate\":\"1MB/s\",\"action\":\"drop\"}],"
		"\"counters\":{\"flood_drop\":{\"packets\":7},"
		"\"future_reason\":{\"packets\":9},\"unmetered\":{\"packets\":1}},"
		"\"rates\":{\"future_reason\":{\"pps\":1.25}}}]}",
		"ID  TIER     VERDICT  LIMITS                   REASON         PACKETS  PPS\n"
		" 2  partner  limit    requests 5/s b10 http    unmetered            1    0\n"
		"                      packets 100/s b200 drop  flood_drop           7    0\n"
		"                      bytes 1MB/s drop         future_reason        9  1.2\n",
		"limits and reasons side by side; a reason from a newer sluiced");

	/* A counter with activity only in its rate still shows. */
	check_printer(ctl_print_tiers,
		"{\"tiers\":[{\"id\":0,\"name\":\"x\",\"counters\":{},"
		"\"rates\":{\"reset\":{\"pps\":3}}}]}",
		"ID  TIER  VERDICT  LIMITS  REASON  PACKETS  PPS\n"
		" 0  x     -        -       reset         -  3.0\n",
		"rate without counter");
	check_printer(ctl_print_tiers, "{\"tiers\":[]}",
		      "ID  TIER  VERDICT  LIMITS  REASON  PACKETS  PPS\n",
		      "no tiers");
	/* The status an http limit answers with. */
	check_printer(ctl_print_tiers,
		"{\"tiers\":[{\"id\":1,\"name\":\"api\",\"verdict\":\"limit\","
		"\"limits\":[{\"unit\":\"requests\",\"rate\":\"10/s\",\"burst\":20,"
		"\"action\":\"http\",\"reply\":503}],\"counters\":{}}]}",
		"ID  TIER  VERDICT  LIMITS                      REASON  PACKETS  PPS\n"
		" 1  api   limit    requests 10/s b20 http 503  -\n",
		"reply status");
	/* A global limit says so, a window one its algorithm and window;
	 * a local one (scope given or not) says nothing more. */
	check_printer(ctl_print_tiers,
		"{\"tiers\":[{\"id\":1,\"name\":\"api\",\"verdict\":\"limit\","
		"\"limits\":[{\"unit\":\"requests\",\"rate\":\"30/s\",\"burst\":30,"
		"\"action\":\"http\",\"scope\":\"global\",\"algorithm\":\"token_bucket\","
		"\"reply\":429},{\"unit\":\"packets\",\"rate\":\"100/s\","
		"\"burst\":100,\"action\":\"drop\",\"scope\":\"local\"}],"
		"\"counters\":{}},"
		"{\"id\":2,\"name\":\"win\",\"verdict\":\"limit\","
		"\"limits\":[{\"unit\":\"requests\",\"rate\":\"600/m\",\"burst\":600,"
		"\"action\":\"drop\",\"scope\":\"global\","
		"\"algorithm\":\"sliding_window\",\"window\":\"1m\"}],"
		"\"counters\":{}}]}",
		"ID  TIER  VERDICT  LIMITS                                             REASON  PACKETS  PPS\n"
		" 1  api   limit    requests 30/s b30 http 429 global                  -\n"
		"                   packets 100/s b100 drop\n"
		" 2  win   limit    requests 600/m b600 drop global sliding_window 1m  -\n",
		"global limits");
	/* The flood guard under the limits, the default one said so; a
	 * null or malformed guard shows nothing. */
	check_printer(ctl_print_tiers,
		"{\"tiers\":[{\"id\":0,\"name\":\"normal\",\"verdict\":\"limit\","
		"\"limits\":[{\"unit\":\"requests\",\"rate\":\"1/s\",\"burst\":5,"
		"\"action\":\"http\",\"reply\":429}],"
		"\"flood_guard\":{\"new_clients\":\"10485/s\",\"burst\":20970,"
		"\"default\":true},\"counters\":{\"passed\":{\"packets\":4},"
		"\"flood_drop\":{\"packets\":7},\"http\":{\"packets\":1}}},"
		"{\"id\":1,\"name\":\"vip\",\"verdict\":\"limit\","
		"\"limits\":[{\"unit\":\"packets\",\"rate\":\"10/s\",\"burst\":10,"
		"\"action\":\"drop\"}],\"flood_guard\":{\"new_clients\":\"100/s\","
		"\"burst\":50,\"default\":false},\"counters\":{}},"
		"{\"id\":2,\"name\":\"off\",\"verdict\":\"limit\","
		"\"limits\":[{\"unit\":\"packets\",\"rate\":\"10/s\",\"burst\":10,"
		"\"action\":\"drop\"}],\"flood_guard\":null,\"counters\":{}},"
		"{\"id\":3,\"name\":\"odd\",\"verdict\":\"limit\","
		"\"limits\":[],\"flood_guard\":{\"new_clients\":\"1/s\"},"
		"\"counters\":{}}]}",
		"ID  TIER    VERDICT  LIMITS                                REASON      PACKETS  PPS\n"
		" 0  normal  limit    requests 1/s b5 http 429              passed            4    -\n"
		"                     flood guard 10485/s b20970 (default)  flood_drop        7    -\n"
		"                                                           http              1    -\n"
		" 1  vip     limit    packets 10/s b10 drop                 -\n"
		"                     flood guard 100/s b50\n"
		" 2  off     limit    packets 10/s b10 drop                 -\n"
		" 3  odd     limit    -                                     -\n",
		"flood guards");
}

static void test_tiers_wrong_shape(void)
{
	check_refused(ctl_print_tiers, "{}", "no tiers list");
	check_refused(ctl_print_tiers, "{\"tiers\":{}}", "tiers an object");
	check_refused(ctl_print_tiers, "{\"tiers\":[{\"id\":0},\"x\"]}",
		      "tier not an object");
	check_refused(ctl_print_tiers,
		      "{\"tiers\":[{\"id\":0,\"limits\":\"1/s\"}]}",
		      "limits not a list");
	check_refused(ctl_print_tiers,
		      "{\"tiers\":[{\"id\":0,\"limits\":[null]}]}",
		      "limit not an object");
	check_printer(ctl_print_tiers,
		"{\"tiers\":[{\"id\":\"zero\",\"name\":[],\"verdict\":3,"
		"\"limits\":[{}],\"counters\":[],\"rates\":5},"
		"{\"counters\":{\"passed\":5,\"dropped\":{\"packets\":-1},"
		"\"reset\":{\"packets\":1.5}},\"rates\":{\"passed\":{\"pps\":\"x\"}}}]}",
		"ID  TIER  VERDICT  LIMITS  REASON  PACKETS  PPS\n"
		" -  -     -        ? ? ?   -\n"
		" -  -     -        -       -\n",
		"mistyped fields inside tiers");
}

static void test_client(void)
{
	check_printer(ctl_print_client, CLIENT_JSON,
		"address:  198.18.0.5\n"
		"tier:     normal (id 0)\n"
		"key:      198.18.0.5/32\n"
		"known:    yes\n"
		"\n"
		"UNIT              RATE    BURST   TOKENS  NEXT TOKEN\n"
		"requests           1/s        5        3      412 ms\n"
		"connections       10/s       20       20        0 ms\n"
		"bytes        1000000/s  1500000  1499000     <0.1 ms\n",
		"client");
	check_printer(ctl_print_client,
		"{\"addr\":\"2001:2::1\",\"tier\":\"monitors\",\"tier_id\":4,"
		"\"key\":\"2001:2::/64\",\"known\":false,\"meters\":[]}",
		"address:  2001:2::1\n"
		"tier:     monitors (id 4)\n"
		"key:      2001:2::/64\n"
		"known:    no\n"
		"meters:   none\n",
		"client of a tier without meters");
	check_printer(ctl_print_client,
		"{\"known\":\"yes\",\"meters\":[{\"next_token_ms\":-3},"
		"{\"next_token_ms\":5.25}]}",
		"address:  -\n"
		"tier:     -\n"
		"key:      -\n"
		"known:    -\n"
		"\n"
		"UNIT  RATE  BURST  TOKENS  NEXT TOKEN\n"
		"-        -      -       -           -\n"
		"-        -      -       -      5.2 ms\n",
		"client with fields missing");
	check_refused(ctl_print_client, "{\"meters\":5}", "meters not a list");
	check_refused(ctl_print_client, "{\"meters\":[[]]}",
		      "meter not an object");
}

#define GLOBAL_CLIENT_JSON						\
	"{\"addr\":\"198.18.1.10\",\"tier\":\"normal\",\"tier_id\":0,"	\
	"\"key\":\"198.18.1.10/32\",\"known\":true,\"meters\":["	\
	"{\"unit\":\"requests\",\"rate\":\"30/s\",\"burst\":30,\"tokens\":12," \
	"\"next_token_ms\":20}],"					\
	"\"global\":{\"algorithm\":\"token_bucket\",\"rate\":\"30/s\","	\
	"\"burst\":30,\"used\":118,\"demand\":240,\"grant\":true,"	\
	"\"granted\":120,\"allowance\":2,\"grant_expires_ms\":812.4,"	\
	"\"fallback\":\"synced\",\"tokens\":-3,\"share\":0.333333,"	\
	"\"hosts\":3,\"last_sync_ms\":45}}"

/* A client answer with no fields and one empty meter, then a blank. */
#define CLIENT_EMPTY_ONE_METER						\
		"address:  -\n"						\
		"tier:     -\n"						\
		"key:      -\n"						\
		"known:    -\n"						\
		"\n"							\
		"UNIT  RATE  BURST  TOKENS  NEXT TOKEN\n"			\
		"-        -      -       -           -\n"			\
		"\n"

static void test_client_global(void)
{
	check_printer(ctl_print_client, GLOBAL_CLIENT_JSON,
		"address:  198.18.1.10\n"
		"tier:     normal (id 0)\n"
		"key:      198.18.1.10/32\n"
		"known:    yes\n"
		"\n"
		"UNIT      RATE  BURST  TOKENS  NEXT TOKEN\n"
		"requests  30/s     30      12       20 ms\n"
		"\n"
		"global:          token_bucket, 30/s, burst 30\n"
		"allowance left:  2 (granted 120, used 118)\n"
		"grant expires:   in 812 ms\n"
		"local:           118 used, 240 demand\n"
		"global state:    tokens -3.0\n"
		"share:           33.3% (3 hosts)\n"
		"last sync:       45 ms ago\n"
		"fallback:        synced\n",
		"client of a global limit");
	/* A sliding window, never synced, the grant expired. */
	check_printer(ctl_print_client,
		"{\"meters\":[],\"global\":{\"algorithm\":\"sliding_window\","
		"\"rate\":\"10/s\",\"window_ms\":1000,\"used\":5,\"demand\":9,"
		"\"grant\":false,\"granted\":5,\"allowance\":0,"
		"\"grant_expires_ms\":-20,\"fallback\":\"local\"}}",
		"address:  -\n"
		"tier:     -\n"
		"key:      -\n"
		"known:    -\n"
		"meters:   none\n",
		"no meters: no global block either");
	check_printer(ctl_print_client,
		"{\"meters\":[{}],\"global\":{\"algorithm\":\"sliding_window\","
		"\"rate\":\"10/s\",\"window_ms\":1000,\"used\":5,\"demand\":9,"
		"\"grant\":false,\"granted\":5,\"allowance\":0,"
		"\"grant_expires_ms\":-20,\"fallback\":\"local\"}}",
		CLIENT_EMPTY_ONE_METER
		"global:          sliding_window, 10/s, window 1000 ms\n"
		"allowance left:  0 (granted 5, used 5), expired\n"
		"grant expires:   expired\n"
		"local:           5 used, 9 demand\n"
		"global state:    -\n"
		"share:           -\n"
		"last sync:       never\n"
		"fallback:        local\n",
		"sliding window, expired, never synced");
	check_printer(ctl_print_client,
		"{\"meters\":[{}],\"global\":{\"grant\":\"x\",\"hosts\":[]}}",
		CLIENT_EMPTY_ONE_METER
		"global:          -, -, burst -\n"
		"allowance left:  none (the local meter alone)\n"
		"grant expires:   -\n"
		"local:           - used, - demand\n"
		"global state:    -\n"
		"share:           -\n"
		"last sync:       never\n"
		"fallback:        -\n",
		"global block with fields missing");
}

/* A status answer's rows before "redis" when it has no fields. */
#define STATUS_EMPTY_HEAD_AFTER_VERSION					\
		"pid:           -\n"					\
		"uptime:        -\n"					\
		"mode:          -\n"					\
		"config:        -\n"					\
		"config hash:   -\n"					\
		"loaded:        -\n"					\
		"client table:  -\n"
#define STATUS_EMPTY_HEAD						\
		"version:       -\n" STATUS_EMPTY_HEAD_AFTER_VERSION

static void test_status_redis(void)
{
	check_printer(ctl_print_status,
		"{\"version\":\"0.1.0\",\"interfaces\":[],\"redis\":{"
		"\"address\":\"198.18.200.1:6390\",\"host\":\"gw1\","
		"\"global_limits\":true,\"up\":false,\"on_down\":\"local\","
		"\"fallback\":\"local\",\"hosts\":3,\"syncs\":1234,"
		"\"last_sync\":1764612345.5,\"last_sync_ms\":12500,"
		"\"errors\":{\"connect\":4,\"auth\":0,\"timeout\":1,\"io\":2,"
		"\"reply\":0},\"last_error\":\"connect: Connection refused\"}}",
		"version:       0.1.0\n"
		STATUS_EMPTY_HEAD_AFTER_VERSION
		"redis:         198.18.200.1:6390 down (host gw1)\n"
		"last sync:     12 s ago (1234 syncs)\n"
		"redis errors:  connect 4, auth 0, timeout 1, io 2, reply 0\n"
		"fallback:      local (on_down local)\n"
		"last error:    connect: Connection refused\n"
		"interfaces:    none\n",
		"status with a redis block");
	check_printer(ctl_print_status,
		"{\"interfaces\":[],\"redis\":{\"up\":1,\"errors\":[]}}",
		STATUS_EMPTY_HEAD
		"redis:         - - (host -)\n"
		"last sync:     -\n"
		"redis errors:  connect -, auth -, timeout -, io -, reply -\n"
		"fallback:      - (on_down -)\n"
		"interfaces:    none\n",
		"redis block of the wrong shape");
	check_printer(ctl_print_status,
		"{\"interfaces\":[],\"redis\":{\"address\":\"127.0.0.1:6379\","
		"\"global_limits\":false,\"up\":false,\"errors\":{}}}",
		STATUS_EMPTY_HEAD
		"redis:         127.0.0.1:6379 (no global limit to sync)\n"
		"interfaces:    none\n",
		"a redis section without global limits");
}

static void test_reload(void)
{
	check_printer(ctl_print_reload, "{\"changed\":false,\"summary\":[]}",
		      "no change\n", "no change");
	check_printer(ctl_print_reload,
		      "{\"changed\":true,\"summary\":[\"tier vip: requests 10/s -> 20/s\"]}",
		      "reloaded: tier vip: requests 10/s -> 20/s\n", "one line");
	check_printer(ctl_print_reload,
		      "{\"changed\":true,\"summary\":[\"tier vip: requests 10/s -> 20/s\","
		      "\"tier partner: added\"]}",
		      "reloaded:\n"
		      "  tier vip: requests 10/s -> 20/s\n"
		      "  tier partner: added\n", "two lines");
	check_printer(ctl_print_reload, "{\"changed\":true}",
		      "reloaded\n", "changed without a summary");
	check_refused(ctl_print_reload, "{\"summary\":[]}", "no changed");
	check_refused(ctl_print_reload, "{\"changed\":true,\"summary\":[1]}",
		      "summary line not a string");
}

static void test_mode_detach(void)
{
	check_printer(ctl_print_mode, "{\"mode\":\"shadow\"}",
		      "mode set to shadow\n", "mode");
	check_refused(ctl_print_mode, "{\"mode\":1}", "mode not a string");
	check_printer(ctl_print_detach, "{\"detached\":[\"gw0\",\"eth1\"]}",
		      "detached: gw0, eth1; sluiced exits\n", "detach");
	check_printer(ctl_print_detach, "{\"detached\":[]}",
		      "nothing was attached; sluiced exits\n", "detach nothing");
	check_refused(ctl_print_detach, "{\"detached\":\"gw0\"}",
		      "detached not a list");
}

static void test_json_twin(void)
{
	json_object *o = parse("{\"path\":\"/run/x\",\"n\":18446744073709551615,"
			       "\"l\":[1,2],\"pps\":0.5}");
	int err = -1;
	char *got;

	if (!o)
		return;
	got = run_printer(ctl_print_json, o, &err);
	ASSERT_OK(err, "json");
	/* Pretty, exact 64-bit counters, slashes left alone. */
	ASSERT_STREQ(got,
		     "{\n"
		     "  \"path\": \"/run/x\",\n"
		     "  \"n\": 18446744073709551615,\n"
		     "  \"l\": [\n"
		     "    1,\n"
		     "    2\n"
		     "  ],\n"
		     "  \"pps\": 0.5\n"
		     "}\n", "pretty JSON");
	free(got);
	json_object_put(o);
}

static void test_json_error(void)
{
	struct capture c;
	char *buf;

	if (!ASSERT_TRUE(capture_begin(&c), "memstream"))
		return;
	ASSERT_OK(ctl_print_json_error(c.f, "sluiced is not running (\"x\")"),
		  "json error");
	buf = capture_end(&c);
	ASSERT_STREQ(buf, "{\n  \"error\": \"sluiced is not running (\\\"x\\\")\"\n}\n",
		     "escaped");
	free(buf);
}

static void test_config_summary(void)
{
	static const char yaml[] =
		"interfaces: [gw0, {name: eth1, attach: generic}]\n"
		"mode: shadow\n"
		"tiers:\n"
		"  - name: normal\n"
		"    match: [0.0.0.0/0, \"::/0\"]\n"
		"    limits: [{unit: requests, rate: 1/s, burst: 5}]\n"
		"  - name: vip\n"
		"    match: [198.18.10.0/24]\n"
		"    limits: [{unit: requests, rate: 10/s, burst: 20}]\n"
		"    flood_guard: {new_clients: 100/s, burst: 50}\n"
		"  - name: open\n"
		"    match: [198.18.11.0/24]\n"
		"    limits: [{unit: requests, rate: 10/s, burst: 20}]\n"
		"    flood_guard: off\n"
		"  - name: blocked\n"
		"    match: [198.18.66.0/24]\n"
		"    verdict: drop\n";
	char err[CFG_ERR_MAX] = "";
	struct sl_config *cfg = NULL;
	json_object *sum, *v;
	char *got;
	int ret = -1;

	if (!ASSERT_OK(cfg_parse("t.yaml", yaml, sizeof(yaml) - 1, &cfg, err),
		       err))
		return;
	sum = ctl_config_summary("t.yaml", cfg);
	cfg_free(cfg);
	if (!ASSERT_TRUE(sum, "summary"))
		return;
	got = run_printer(ctl_print_config, sum, &ret);
	ASSERT_OK(ret, "print");
	ASSERT_STREQ(got,
		     "t.yaml: ok\n"
		     "4 tiers (normal, vip, open, blocked), 5 prefixes, interfaces: gw0, eth1, mode shadow\n"
		     "flood guards: normal 10485/s b20970 (default), vip 100/s b50\n",
		     "config check");
	free(got);
	ASSERT_TRUE(json_object_object_get_ex(sum, "prefixes", &v) &&
		    json_object_get_int(v) == 5, "json prefixes");
	ASSERT_TRUE(json_object_object_get_ex(sum, "flood_guards", &v), "json flood_guards");
	ASSERT_STREQ(json_object_to_json_string_ext(v,
						    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		     "{\"normal\":{\"new_clients\":\"10485/s\",\"burst\":20970,\"default\":true},"
		     "\"vip\":{\"new_clients\":\"100/s\",\"burst\":50,\"default\":false}}",
		     "json flood guards: the limit tiers with one");
	ASSERT_TRUE(json_object_object_get_ex(sum, "hash", &v) &&
		    strlen(json_object_get_string(v)) == 16, "json hash");
	json_object_put(sum);

	check_printer(ctl_print_config,
		      "{\"file\":\"x.yaml\",\"tiers\":[\"a\"],\"prefixes\":1}",
		      "x.yaml: ok\n1 tier (a), 1 prefixes, interfaces: none, mode -\n",
		      "one tier, no interfaces");
	check_printer(ctl_print_config,
		      "{\"file\":\"x.yaml\",\"tiers\":[\"a\"],\"prefixes\":1,"
		      "\"flood_guards\":{}}",
		      "x.yaml: ok\n1 tier (a), 1 prefixes, interfaces: none, mode -\n"
		      "flood guards: none\n",
		      "no flood guard");
	check_refused(ctl_print_config,
		      "{\"tiers\":[\"a\"],\"flood_guards\":{\"a\":{\"burst\":\"x\"}}}",
		      "flood guard without a burst");
	check_refused(ctl_print_config, "{\"tiers\":[1]}", "tier not a name");
}

/* Every printer fed every canned answer, and sub-objects of them, and
 * non-objects: each returns 0 or -EBADMSG and never crashes. */
static void test_cross_feed(void)
{
	static const ctl_printer_t printers[] = {
		ctl_print_status, ctl_print_tiers, ctl_print_client,
		ctl_print_reload, ctl_print_mode, ctl_print_detach,
		ctl_print_config, ctl_print_json, ctl_print_services,
		ctl_print_service,
	};
	static const char *const inputs[] = {
		STATUS_JSON, TIERS_JSON, CLIENT_JSON, SERVICES_JSON, GLOBAL_CLIENT_JSON, "{}", "[]", "null", "1",
		"\"s\"", "true", "{\"tiers\":[{}]}", "{\"tiers\":[[]]}",
		"{\"interfaces\":[{\"name\":null}],\"meters\":[{\"unit\":[]}]}",
	};
	FILE *null = fopen("/dev/null", "w");

	if (!ASSERT_TRUE(null, "/dev/null"))
		return;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		json_object *o = json_tokener_parse(inputs[i]);

		for (size_t p = 0; p < sizeof(printers) / sizeof(printers[0]); p++) {
			int err = printers[p](null, o);

			if (err && err != -EBADMSG)
				TEST_FAILF("printer %zu on input %zu: %d", p, i, err);
			/* And each member of an object on its own. */
			if (!json_object_is_type(o, json_type_object))
				continue;
			json_object_object_foreach(o, key, val) {
				(void)key;
				err = printers[p](null, val);
				if (err && err != -EBADMSG)
					TEST_FAILF("printer %zu on input %zu/%s: %d",
						   p, i, key, err);
			}
		}
		json_object_put(o);
	}
	fclose(null);
}

/* Each prefix of a valid answer is refused as a protocol error; the
 * whole answer is taken. */
static void test_truncated_answers(void)
{
	static const char head[] = "{\"v\":1,\"ok\":true,\"data\":";
	char *line = NULL;
	int n = asprintf(&line, "%s%s}", head, TIERS_JSON);
	json_object *data = NULL;
	struct ctl_err e;

	if (!ASSERT_TRUE(n > 0, "asprintf"))
		return;
	for (int len = 0; len < n; len++) {
		e.code = -1;
		if (ctl_response_parse(line, len, &data, &e) != -EPROTO ||
		    e.code != CTL_EXIT_PROTO || data) {
			TEST_FAILF("prefix of %d bytes not refused: %s", len,
				   e.msg);
			json_object_put(data);
			data = NULL;
		}
	}
	if (ASSERT_OK(ctl_response_parse(line, n, &data, &e), "whole answer")) {
		int err = -1;
		char *out = run_printer(ctl_print_tiers, data, &err);

		ASSERT_OK(err, "print the whole answer");
		free(out);
	}
	json_object_put(data);
	free(line);
}

/* Answers with a few bytes changed (fixed seed): either refused by the
 * parser or printed by every printer with 0 or -EBADMSG. */
static void test_mutated_answers(void)
{
	static const char *const answers[] = {
		STATUS_JSON, TIERS_JSON, CLIENT_JSON, SERVICES_JSON,
	};
	static const char alphabet[] = "{}[]\",:0-9.eE+-tfn \\x";
	static const ctl_printer_t printers[] = {
		ctl_print_status, ctl_print_tiers, ctl_print_client,
		ctl_print_reload, ctl_print_mode, ctl_print_detach,
		ctl_print_services, ctl_print_service,
	};
	FILE *null = fopen("/dev/null", "w");
	unsigned int seed = 1, parsed = 0;

	if (!ASSERT_TRUE(null, "/dev/null"))
		return;
	for (size_t a = 0; a < sizeof(answers) / sizeof(answers[0]); a++) {
		char *line = NULL;
		int n = asprintf(&line, "{\"v\":1,\"ok\":true,\"data\":%s}",
				 answers[a]);

		for (int iter = 0; n > 0 && iter < 3000; iter++) {
			char *m = strdup(line);
			json_object *data = NULL;
			struct ctl_err e;

			for (int k = rand_r(&seed) % 3; m && k >= 0; k--)
				m[rand_r(&seed) % n] =
					alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
			if (m && !ctl_response_parse(m, n, &data, &e)) {
				parsed++;
				for (size_t p = 0; p < sizeof(printers) / sizeof(printers[0]); p++) {
					int err = printers[p](null, data);

					if (err && err != -EBADMSG)
						TEST_FAILF("answer %zu iter %d printer %zu: %d",
							   a, iter, p, err);
				}
			}
			json_object_put(data);
			free(m);
		}
		free(line);
	}
	fclose(null);
	ASSERT_GE(parsed, 1000, "enough mutations still parse");
}

TEST_MAIN("unit/ctl_print",
	  TEST(test_status),
	  TEST(test_status_wrong_types),
	  TEST(test_tiers),
	  TEST(test_tiers_more_reasons_than_limits),
	  TEST(test_tiers_wrong_shape),
	  TEST(test_client),
	  TEST(test_client_global),
	  TEST(test_status_redis),
	  TEST(test_reload),
	  TEST(test_mode_detach),
	  TEST(test_json_twin),
	  TEST(test_json_error),
	  TEST(test_config_summary),
	  TEST(test_cross_feed),
	  TEST(test_truncated_answers),
	  TEST(test_mutated_answers))

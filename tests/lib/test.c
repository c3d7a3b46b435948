// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <fnmatch.h>
#include <getopt.h>

#include "test.h"

int test_failed_now;
int test_skipped_now;
const char *test_name_now;

static int n_pass, n_fail, n_skip;

/* The subtest running now (NULL: none) and whether it was selected. */
static const char *sub_name;
static bool sub_selected;
static int sub_failed_before, sub_skipped_before;

/* Selection (see test.h).  No patterns: everything runs. */
#define MAX_PATTERNS	32

struct pattern {
	char test[128];		/* "" matches every test */
	char sub[128];
	bool has_sub;		/* "TEST/SUB", or a bare one turned into "/SUB" */
};

static struct pattern pats[MAX_PATTERNS];
static int npats;
static bool test_whole;		/* the running test was picked by name */

int test_int_cmp(struct test_int a, struct test_int b)
{
	bool an = a.is_signed && (long long)a.v < 0;
	bool bn = b.is_signed && (long long)b.v < 0;

	if (an != bn)
		return an ? -1 : 1;
	if (an)
		return (long long)a.v < (long long)b.v ? -1 :
		       (long long)a.v > (long long)b.v;
	return a.v < b.v ? -1 : a.v > b.v;
}

const char *test_int_str(struct test_int x, char *buf, size_t len)
{
	if (x.is_signed && (long long)x.v < 0)
		snprintf(buf, len, "%lld", (long long)x.v);
	else if (x.v < 10)
		snprintf(buf, len, "%llu", x.v);
	else
		snprintf(buf, len, "%llu (0x%llx)", x.v, x.v);
	return buf;
}

static bool name_match(const char *pat, const char *name)
{
	if (strpbrk(pat, "*?["))
		return fnmatch(pat, name, 0) == 0;
	return strstr(name, pat) != NULL;
}

static int pattern_add(const char *p)
{
	struct pattern *pt;
	const char *slash = strchr(p, '/');
	size_t tlen = slash ? (size_t)(slash - p) : strlen(p);

	if (npats >= MAX_PATTERNS || tlen >= sizeof(pt->test) ||
	    (slash && strlen(slash + 1) >= sizeof(pt->sub))) {
		fprintf(stderr, "test: pattern '%s': at most %d patterns of "
			"127 characters each; shorten the selection\n",
			p, MAX_PATTERNS);
		return -EINVAL;
	}
	pt = &pats[npats++];
	memcpy(pt->test, p, tlen);
	pt->test[tlen] = '\0';
	pt->has_sub = slash != NULL;
	if (slash)
		strcpy(pt->sub, slash + 1);
	return 0;
}

/* "a,b,c": one pattern each (empty items are ignored). */
static int patterns_add(const char *list)
{
	char buf[1024], *save = NULL, *tok;
	int err = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save))
		err = pattern_add(tok);
	return err;
}

/* A bare pattern that names no test selects subtests in every test. */
static void patterns_resolve(const struct test_case *tests, int n)
{
	for (int p = 0; p < npats; p++) {
		bool any = false;

		if (pats[p].has_sub)
			continue;
		for (int i = 0; i < n && !any; i++)
			any = name_match(pats[p].test, tests[i].name);
		if (!any) {
			strcpy(pats[p].sub, pats[p].test);
			pats[p].test[0] = '\0';
			pats[p].has_sub = true;
		}
	}
}

/* Does the test run (whole, or for some of its subtests)? */
static bool test_selected(const char *name, bool *whole)
{
	bool any = false;

	*whole = npats == 0;
	for (int p = 0; p < npats; p++) {
		if (!name_match(pats[p].test, name))
			continue;
		any = true;
		*whole |= !pats[p].has_sub;
	}
	return *whole || any;
}

static bool subtest_selected(const char *name)
{
	if (test_whole)
		return true;
	for (int p = 0; p < npats; p++)
		if (pats[p].has_sub && name_match(pats[p].test, test_name_now) &&
		    name_match(pats[p].sub, name))
			return true;
	return false;
}

static void report(const char *name, int failed, int skipped)
{
	if (failed) {
		n_fail++;
		printf("FAIL %s\n", name);
	} else if (skipped) {
		n_skip++;
		printf("skip %s\n", name);
	} else {
		n_pass++;
		printf("ok   %s\n", name);
	}
	fflush(stdout);
}

/* Subtests count on their own; the enclosing test then only counts if
 * it has assertions outside any subtest. */
bool test_subtest_begin(const char *name)
{
	if (sub_name)			/* the last one was left open */
		test_subtest_end();
	sub_name = name;
	sub_selected = subtest_selected(name);
	sub_failed_before = test_failed_now;
	sub_skipped_before = test_skipped_now;
	test_failed_now = 0;
	test_skipped_now = 0;
	return sub_selected;
}

void test_subtest_end(void)
{
	char full[256];

	if (!sub_name)
		return;
	snprintf(full, sizeof(full), "%s/%s", test_name_now, sub_name);
	/* A failure is never hidden, selected or not. */
	if (sub_selected || test_failed_now)
		report(full, test_failed_now, test_skipped_now);
	test_failed_now = sub_failed_before;
	test_skipped_now = sub_skipped_before;
	sub_name = NULL;
}

static int usage(const char *prog, int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: %s [-t PATTERN]... [PATTERN]...\n"
		"  PATTERN: TEST, TEST/SUBTEST or /SUBTEST; a substring, or a glob\n"
		"  with * ? [; comma-separated lists work too, and so does\n"
		"  TESTS=PATTERN,... in the environment\n", prog);
	return rc;
}

int test_main(int argc, char **argv, const char *suite,
	      const struct test_case *tests, int n)
{
	const char *env = getenv("TESTS");
	int c, selected = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt(argc, argv, "ht:")) != -1) {
		switch (c) {
		case 't':
			if (patterns_add(optarg))
				return 2;
			break;
		case 'h':
			return usage(argv[0], 0);
		default:
			return usage(argv[0], 2);
		}
	}
	for (int i = optind; i < argc; i++)
		if (patterns_add(argv[i]))
			return 2;
	if (env && *env && patterns_add(env))
		return 2;
	patterns_resolve(tests, n);

	for (int i = 0; i < n; i++) {
		int before = n_pass + n_fail + n_skip;

		if (!test_selected(tests[i].name, &test_whole))
			continue;
		selected++;
		test_name_now = tests[i].name;
		test_failed_now = 0;
		test_skipped_now = 0;
		tests[i].fn();
		test_subtest_end();	/* in case the test left one open */
		/* A test made only of subtests reports through them; one run
		 * for its subtests only reports a failure or a skip of its
		 * own. */
		if (test_failed_now ||
		    (test_skipped_now && (test_whole ||
					  n_pass + n_fail + n_skip == before)) ||
		    (test_whole && n_pass + n_fail + n_skip == before))
			report(tests[i].name, test_failed_now, test_skipped_now);
	}
	if (npats && n_pass + n_fail + n_skip == 0) {
		fprintf(stderr, "%s: no test or subtest matches the selection "
			"(-t, arguments or TESTS=%s); %s -h says how to select\n",
			suite, env ? env : "", argv[0]);
		printf("FAIL selection (%d tests entered, nothing matched)\n",
		       selected);
		n_fail++;
	}
	printf("%s: %d passed, %d failed, %d skipped\n", suite, n_pass,
	       n_fail, n_skip);
	return n_fail ? 1 : 0;
}

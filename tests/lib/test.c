// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "test.h"

int test_failed_now;
int test_skipped_now;
const char *test_name_now;

static int n_pass, n_fail, n_skip;
static const char *sub_name;
static int sub_failed_before;

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
void test_subtest_begin(const char *name)
{
	sub_name = name;
	sub_failed_before = test_failed_now;
	test_failed_now = 0;
	test_skipped_now = 0;
}

void test_subtest_end(void)
{
	char full[256];

	snprintf(full, sizeof(full), "%s/%s", test_name_now, sub_name);
	report(full, test_failed_now, test_skipped_now);
	test_failed_now = sub_failed_before;
	test_skipped_now = 0;
	sub_name = NULL;
}

int test_main(int argc, char **argv, const char *suite,
	      const struct test_case *tests, int n)
{
	const char *filter = argc > 1 ? argv[1] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < n; i++) {
		int before = n_pass + n_fail + n_skip;

		if (filter && !strstr(tests[i].name, filter))
			continue;
		test_name_now = tests[i].name;
		test_failed_now = 0;
		test_skipped_now = 0;
		tests[i].fn();
		/* A test made only of subtests reports through them. */
		if (n_pass + n_fail + n_skip == before || test_failed_now ||
		    test_skipped_now)
			report(tests[i].name, test_failed_now, test_skipped_now);
	}
	printf("%s: %d passed, %d failed, %d skipped\n", suite, n_pass,
	       n_fail, n_skip);
	return n_fail ? 1 : 0;
}

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small test harness in the kernel-selftests style: tests register in
 * a table, ASSERT_* return bool so a failed step can `goto cleanup`, and
 * every binary ends with "<suite>: N passed, N failed, N skipped", which
 * tests/run adds up.  Run a binary with a substring to run only the
 * tests whose names contain it.
 */
#ifndef SLUICE_TEST_H
#define SLUICE_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TEST(fn)	{ #fn, fn }

extern int test_failed_now;	/* set by a failing ASSERT in the running test */
extern int test_skipped_now;
extern const char *test_name_now;

void test_subtest_begin(const char *name);
void test_subtest_end(void);
int test_main(int argc, char **argv, const char *suite,
	      const struct test_case *tests, int n);

#define TEST_MAIN(suite, ...)						\
	int main(int argc, char **argv)					\
	{								\
		static const struct test_case t[] = { __VA_ARGS__ };	\
		return test_main(argc, argv, suite, t,			\
				 sizeof(t) / sizeof(t[0]));		\
	}

#define TEST_FAILF(fmt, ...)						\
	do {								\
		fprintf(stderr, "    %s:%d: " fmt "\n", __FILE__,	\
			__LINE__, ##__VA_ARGS__);			\
		test_failed_now = 1;					\
	} while (0)

#define TEST_SKIP(fmt, ...)						\
	do {								\
		fprintf(stderr, "    skip: " fmt "\n", ##__VA_ARGS__);	\
		test_skipped_now = 1;					\
	} while (0)

#define ASSERT_TRUE(cond, what)						\
	({								\
		bool ___ok = !!(cond);					\
		if (!___ok)						\
			TEST_FAILF("%s: expected true: %s", what, #cond); \
		___ok;							\
	})

#define ASSERT_FALSE(cond, what)	ASSERT_TRUE(!(cond), what)

#define ASSERT_EQ(actual, expected, what)				\
	({								\
		unsigned long long ___a = (unsigned long long)(actual);	\
		unsigned long long ___e = (unsigned long long)(expected); \
		bool ___ok = ___a == ___e;				\
		if (!___ok)						\
			TEST_FAILF("%s: expected %llu (0x%llx), got %llu (0x%llx)", \
				   what, ___e, ___e, ___a, ___a);	\
		___ok;							\
	})

#define ASSERT_NEQ(actual, unexpected, what)				\
	({								\
		unsigned long long ___a = (unsigned long long)(actual);	\
		bool ___ok = ___a != (unsigned long long)(unexpected);	\
		if (!___ok)						\
			TEST_FAILF("%s: did not expect %llu", what, ___a); \
		___ok;							\
	})

#define ASSERT_LE(actual, bound, what)					\
	({								\
		long long ___a = (long long)(actual);			\
		long long ___b = (long long)(bound);			\
		bool ___ok = ___a <= ___b;				\
		if (!___ok)						\
			TEST_FAILF("%s: expected <= %lld, got %lld", what, \
				   ___b, ___a);				\
		___ok;							\
	})

#define ASSERT_GE(actual, bound, what)					\
	({								\
		long long ___a = (long long)(actual);			\
		long long ___b = (long long)(bound);			\
		bool ___ok = ___a >= ___b;				\
		if (!___ok)						\
			TEST_FAILF("%s: expected >= %lld, got %lld", what, \
				   ___b, ___a);				\
		___ok;							\
	})

/* 0 on success, else prints the error (negative errno style). */
#define ASSERT_OK(err, what)						\
	({								\
		long ___e = (long)(err);				\
		bool ___ok = ___e == 0;					\
		if (!___ok)						\
			TEST_FAILF("%s: failed: %ld (%s)", what, ___e,	\
				   strerror(___e < 0 ? -___e : ___e));	\
		___ok;							\
	})

#define ASSERT_STREQ(actual, expected, what)				\
	({								\
		const char *___a = (actual), *___e = (expected);	\
		bool ___ok = ___a && ___e && !strcmp(___a, ___e);	\
		if (!___ok)						\
			TEST_FAILF("%s: expected \"%s\", got \"%s\"", what, \
				   ___e ? ___e : "(null)",		\
				   ___a ? ___a : "(null)");		\
		___ok;							\
	})

#endif /* SLUICE_TEST_H */

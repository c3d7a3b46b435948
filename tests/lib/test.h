/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small test harness in the kernel-selftests style: tests register in
 * a table, ASSERT_* return bool so a failed step can `goto cleanup`, and
 * every binary ends with "<suite>: N passed, N failed, N skipped", which
 * tests/run adds up.
 *
 * Selecting tests and subtests by name:
 *	build/tests/bpf/test_meter -t burst		# tests named *burst*
 *	build/tests/bpf/test_meter -t 'burst/burst 5'	# one subtest of one test
 *	build/tests/bpf/test_meter -t '/v6'		# subtests named *v6*, any test
 *	TESTS='burst,shadow' build/tests/bpf/test_meter
 * A pattern is a substring, or a glob (fnmatch) when it holds * ? or [.
 * "TEST/SUB" matches a test name and a subtest name; a pattern without a
 * '/' matches test names, and, when it matches no test name at all,
 * subtest names in every test.  -t repeats, TESTS and -t take
 * comma-separated lists, and a bare argument is a pattern too.  A test
 * picked by name runs whole.  A test entered only for its subtests runs
 * its body too (later subtests often build on earlier ones), but reports
 * only the matching subtests, and anything else only if it failed.  A
 * selection that matches nothing prints so and fails.
 */
#ifndef SLUICE_TEST_H
#define SLUICE_TEST_H

#include <errno.h>
#include <limits.h>
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

/* Start a subtest: true when the selection includes it.  A caller whose
 * subtests do not depend on each other may skip the body when false (and
 * need not call test_subtest_end); a body run anyway reports only if it
 * fails. */
bool test_subtest_begin(const char *name);
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

/* An integer with the signedness of its type, for comparing and printing
 * as what it is: -1 is not 18446744073709551615. */
struct test_int {
	unsigned long long v;
	bool is_signed;
};

#define TEST_IS_SIGNED(x)						\
	_Generic((x), char: CHAR_MIN < 0, signed char: 1, short: 1,	\
		 int: 1, long: 1, long long: 1, default: 0)
#define TEST_INT(x)							\
	((struct test_int){ (unsigned long long)(x), TEST_IS_SIGNED(x) })

/* <0, 0 or >0 as the mathematical values compare (a negative signed
 * value is below every unsigned one). */
int test_int_cmp(struct test_int a, struct test_int b);
/* "-1", or "4096 (0x1000)" for unsigned values. */
const char *test_int_str(struct test_int x, char *buf, size_t len);

#define TEST_CMP_(actual, op, bound, what, expect)			\
	({								\
		struct test_int ___a = TEST_INT(actual);		\
		struct test_int ___b = TEST_INT(bound);			\
		bool ___ok = test_int_cmp(___a, ___b) op 0;		\
		char ___sa[48], ___sb[48];				\
		if (!___ok)						\
			TEST_FAILF("%s: expected %s%s, got %s", what,	\
				   expect,				\
				   test_int_str(___b, ___sb, sizeof(___sb)), \
				   test_int_str(___a, ___sa, sizeof(___sa))); \
		___ok;							\
	})

#define ASSERT_TRUE(cond, what)						\
	({								\
		bool ___ok = !!(cond);					\
		if (!___ok)						\
			TEST_FAILF("%s: expected true: %s", what, #cond); \
		___ok;							\
	})

#define ASSERT_FALSE(cond, what)	ASSERT_TRUE(!(cond), what)

#define ASSERT_EQ(actual, expected, what)				\
	TEST_CMP_(actual, ==, expected, what, "")
#define ASSERT_NEQ(actual, unexpected, what)				\
	TEST_CMP_(actual, !=, unexpected, what, "anything but ")
#define ASSERT_LE(actual, bound, what)					\
	TEST_CMP_(actual, <=, bound, what, "<= ")
#define ASSERT_GE(actual, bound, what)					\
	TEST_CMP_(actual, >=, bound, what, ">= ")
#define ASSERT_LT(actual, bound, what)					\
	TEST_CMP_(actual, <, bound, what, "< ")
#define ASSERT_GT(actual, bound, what)					\
	TEST_CMP_(actual, >, bound, what, "> ")

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

/* A call that must fail: a negative errno (or -1 with errno set). */
#define ASSERT_ERR(err, what)						\
	({								\
		long ___e = (long)(err);				\
		bool ___ok = ___e < 0;					\
		if (!___ok)						\
			TEST_FAILF("%s: expected an error, got %ld", what, ___e); \
		___ok;							\
	})

/* Pointers from calls that return NULL (errno set) or an ERR_PTR-style
 * value in the last page (-4095..-1) on failure, as libbpf may. */
#define TEST_PTR_IS_ERR(p)						\
	(!(p) || (unsigned long)(p) >= (unsigned long)-4095)
#define TEST_PTR_ERRNO(p)						\
	((p) ? -(long)(unsigned long)(p) : (long)errno)

#define ASSERT_OK_PTR(ptr, what)					\
	({								\
		const void *___p = (ptr);				\
		long ___en = TEST_PTR_ERRNO(___p);			\
		bool ___ok = !TEST_PTR_IS_ERR(___p);			\
		if (!___ok)						\
			TEST_FAILF("%s: expected a pointer, got %s (%s)", \
				   what, ___p ? "an error pointer" : "NULL", \
				   strerror(___en));			\
		___ok;							\
	})

#define ASSERT_ERR_PTR(ptr, what)					\
	({								\
		const void *___p = (ptr);				\
		bool ___ok = TEST_PTR_IS_ERR(___p);			\
		if (!___ok)						\
			TEST_FAILF("%s: expected NULL or an error pointer, got %p", \
				   what, ___p);				\
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

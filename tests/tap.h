/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tap.h - a small header-only TAP (Test Anything Protocol) helper in the
 * spirit of the kernel's kselftest.h.
 *
 * A test program is a list of test functions, each checking one
 * behaviour:
 *
 *	static void test_bind_twice(void)
 *	{
 *		int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_QUIC);
 *
 *		REQUIRE(fd >= 0);
 *		CHECK_SYS(bind(fd, sa, len));
 *		CHECK_ERR(bind(fd, sa, len), EINVAL);
 *		close(fd);
 *	}
 *
 *	static const struct tap_test tests[] = {
 *		TAP_TEST(test_bind_twice, "a second bind() fails with EINVAL"),
 *	};
 *
 *	int main(void) { return tap_main(tests, TAP_COUNT(tests)); }
 *
 * Output: "TAP version 13", the plan "1..N", then one "ok N - desc" or
 * "not ok N - desc" per test, with "# " diagnostic lines (the failing
 * expression, file:line, the values compared, errno and strerror) before
 * a failed test's result line.
 *
 * A test can never pass silently: a test function that evaluates no check
 * (and does not skip) fails; a run whose number of results differs from
 * the plan fails; a process that exits without finishing the run (an
 * early exit() or return from main()) exits with status 1.  The exit status
 * is 0 iff every planned test ran and passed (or was skipped).
 *
 * Children forked by a test must leave with _exit() and must not use the
 * macros here (their results would not reach the parent).
 *
 * The check macros use GNU statement expressions; they evaluate to true
 * when the check passed, so that a test can stop early:
 *	if (!CHECK_SYS(fd = socket(...))) return;
 */
#ifndef QUIC_TESTS_TAP_H
#define QUIC_TESTS_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tap_test {
	void (*fn)(void);
	const char *desc;
};

#define TAP_TEST(fn, desc)	{ fn, desc }
#define TAP_COUNT(a)		((int)(sizeof(a) / sizeof((a)[0])))

struct tap_state {
	int planned;		/* -1: no plan yet */
	int run;		/* results printed */
	int failed;		/* results that were "not ok" */
	int checks;		/* checks evaluated in the current test */
	int check_failures;	/* of those, failed */
	const char *skip;	/* current test skipped: the reason */
	bool done;		/* tap_finish() was called */
	pid_t pid;		/* the process that owns the run */
};

/*
 * One state per program, not one per object file: the helpers of
 * tests/lib/ evaluate checks from their own object files, and those must
 * count for the test that called them.  Every file that includes this
 * header defines the state weakly; the linker keeps one.
 */
struct tap_state tap_st __attribute__((weak)) = { .planned = -1 };

static inline void tap_diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* A "# " diagnostic line on stdout, where the TAP reader sees it. */
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static inline void tap_atexit(void)
{
	if (getpid() != tap_st.pid || tap_st.done)
		return;
	tap_diag("exited after %d of %d tests without finishing the run",
		 tap_st.run, tap_st.planned);
	fflush(stdout);
	_exit(1);
}

/* Print the header and the plan.  Called by tap_main(). */
static inline void tap_plan(int n)
{
	/* line-buffered even into a file: nothing lost on a crash, and
	 * nothing duplicated into a forked child */
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_st.pid = getpid();
	tap_st.planned = n;
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
	atexit(tap_atexit);
}

/* Print one result line and count it. */
static inline bool tap_result(bool pass, const char *desc, const char *skip)
{
	tap_st.run++;
	if (!pass)
		tap_st.failed++;
	printf("%sok %d - %s", pass ? "" : "not ", tap_st.run, desc);
	if (skip)
		printf(" # SKIP %s", skip);
	putchar('\n');
	fflush(stdout);
	return pass;
}

/*
 * Record one check.  Every CHECK* macro ends here.  @err is errno as it
 * was right after the checked expression was evaluated; @extra, when not
 * NULL, describes the values seen.
 */
static inline bool tap_check(bool pass, const char *expr, const char *file,
			     int line, int err, const char *extra)
{
	tap_st.checks++;
	if (pass)
		return true;
	tap_st.check_failures++;
	tap_diag("%s:%d: check failed: %s", file, line, expr);
	if (extra && *extra)
		tap_diag("    %s", extra);
	tap_diag("    errno %d (%s)", err, err ? strerror(err) : "none");
	return false;
}

/* Mark the current test skipped (it passes; its checks still count). */
static inline void tap_skip(const char *reason)
{
	tap_st.skip = reason;
}

/* Run one test function and print its result. */
static inline bool tap_run(void (*fn)(void), const char *desc)
{
	tap_st.checks = 0;
	tap_st.check_failures = 0;
	tap_st.skip = NULL;
	fn();
	fflush(stdout);
	if (!tap_st.checks && !tap_st.skip) {
		tap_diag("test \"%s\" evaluated no check", desc);
		return tap_result(false, desc, NULL);
	}
	return tap_result(!tap_st.check_failures, desc,
			  tap_st.check_failures ? NULL : tap_st.skip);
}

/* Close the run: returns the exit status (0 iff all planned tests passed). */
static inline int tap_finish(void)
{
	int status = 0;

	tap_st.done = true;
	if (tap_st.planned < 0) {
		tap_diag("no plan was printed");
		status = 1;
	} else if (tap_st.run != tap_st.planned) {
		tap_diag("planned %d tests but ran %d", tap_st.planned,
			 tap_st.run);
		status = 1;
	}
	if (!tap_st.run) {
		tap_diag("no test was run");
		status = 1;
	}
	if (tap_st.failed) {
		tap_diag("%d of %d tests failed", tap_st.failed, tap_st.run);
		status = 1;
	}
	fflush(stdout);
	return status;
}

/* Plan, run every test in order and finish; returns the exit status. */
static inline int tap_main(const struct tap_test *tests, int n)
{
	int i;

	tap_plan(n);
	for (i = 0; i < n; i++)
		tap_run(tests[i].fn, tests[i].desc);
	return tap_finish();
}

/* ------------------------------------------------------------- checks */

#define TAP_STR_(x)	#x
#define TAP_STR(x)	TAP_STR_(x)

/* CHECK(cond): cond must be true. */
#define CHECK(cond) ({							\
	bool tap_p_;							\
	int tap_e_;							\
	errno = 0;							\
	tap_p_ = !!(cond);						\
	tap_e_ = errno;							\
	tap_check(tap_p_, #cond, __FILE__, __LINE__, tap_e_, NULL);	\
})

/* CHECK_EQ(a, b): a == b, both shown (as integers) on failure. */
#define CHECK_EQ(a, b) ({						\
	long long tap_a_, tap_b_;					\
	int tap_e_;							\
	char tap_x_[128];						\
	errno = 0;							\
	tap_a_ = (long long)(a);					\
	tap_b_ = (long long)(b);					\
	tap_e_ = errno;							\
	snprintf(tap_x_, sizeof(tap_x_), "left %lld (%#llx), right %lld (%#llx)", \
		 tap_a_, (unsigned long long)tap_a_,			\
		 tap_b_, (unsigned long long)tap_b_);			\
	tap_check(tap_a_ == tap_b_, #a " == " #b, __FILE__, __LINE__,	\
		  tap_e_, tap_x_);					\
})

/* CHECK_SYS(call): a system call that must not return -1 (or < 0). */
#define CHECK_SYS(call) ({						\
	long tap_r_;							\
	int tap_e_;							\
	char tap_x_[64];						\
	errno = 0;							\
	tap_r_ = (long)(call);						\
	tap_e_ = errno;							\
	snprintf(tap_x_, sizeof(tap_x_), "returned %ld", tap_r_);	\
	tap_check(tap_r_ >= 0, #call " succeeds", __FILE__, __LINE__,	\
		  tap_e_, tap_x_);					\
})

/* CHECK_ERR(call, E): a system call that must fail with errno E. */
#define CHECK_ERR(call, E) ({						\
	long tap_r_;							\
	int tap_e_;							\
	char tap_x_[160];						\
	errno = 0;							\
	tap_r_ = (long)(call);						\
	tap_e_ = errno;							\
	snprintf(tap_x_, sizeof(tap_x_),				\
		 "expected -1 with errno %d (%s), got %ld with errno %d (%s)", \
		 (int)(E), strerror(E), tap_r_, tap_e_,			\
		 tap_e_ ? strerror(tap_e_) : "none");			\
	tap_check(tap_r_ == -1 && tap_e_ == (E),			\
		  #call " fails with " #E, __FILE__, __LINE__, tap_e_,	\
		  tap_x_);						\
})

/* REQUIRE(cond): like CHECK, and return from the test when it fails. */
#define REQUIRE(cond)		do { if (!CHECK(cond)) return; } while (0)
#define REQUIRE_SYS(call)	do { if (!CHECK_SYS(call)) return; } while (0)
#define REQUIRE_EQ(a, b)	do { if (!CHECK_EQ(a, b)) return; } while (0)

#endif /* QUIC_TESTS_TAP_H */

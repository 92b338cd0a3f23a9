/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runner.h - the isolated-test runner (see testlib.h).
 *
 * A program registers its tests with test_add() and calls runner_main()
 * (or parses its own options and calls runner_run()).  Each test runs in
 * a child process of its own, killed when it takes longer than its time
 * limit, so that a connection that hangs fails that test and the run goes
 * on; the child's checks are counted for the test in the parent.  Every
 * test prints its run time ("# time NAME S s").  The certificates and
 * keys of creds.h are made before the first test, then what the program
 * asks with runner_setup(); when that fails, every test fails.
 */
#ifndef QUIC_TESTLIB_RUNNER_H
#define QUIC_TESTLIB_RUNNER_H

#include <stdbool.h>

/*
 * Register a test: @fn(@arg) runs in a child and is killed after
 * @timeout seconds, times QUIC_TIMEOUT_SCALE when that is set (the
 * guest suite sets it on slow debug kernels).  The TAP description is
 * "@name: @desc"; @name and @desc must outlive the run.
 */
void test_add(const char *name, const char *desc,
	      void (*fn)(const void *arg), const void *arg, int timeout);

/*
 * The factor by which tests that move much data move less of it: the
 * value of QUIC_TEST_SHRINK, 1 when unset.  The guest suite sets it on a
 * debug kernel, where the checking (KASAN, lockdep, kmemleak) is the point
 * and volume only costs time; a test that shrinks says so in its TAP
 * description.
 */
unsigned int test_shrink(void);

/*
 * The program's own setup: @fn runs once, in the runner, after creds.h's
 * files and credentials are made (in creds.dir) and before the first test;
 * every test inherits what it makes.  Non-zero: it failed.
 */
void runner_setup(int (*fn)(void));

/* libquic's log on stderr when @verbose or QUIC_TEST_VERBOSE is set */
void runner_log(int verbose);

/*
 * From now on, keep every message of libquic (all levels) in memory as
 * well, for log_has(); each test starts with none kept.  On stderr too as
 * runner_log() says, whichever of the two is called first.
 */
void log_keep(void);

/* Forget the messages kept so far. */
void log_clear(void);

/* Some message kept since the last log_clear() contains @s. */
bool log_has(const char *s);

/*
 * Run the registered tests whose names match one of the @nglobs
 * fnmatch() patterns (all when @nglobs is 0), or with @list only print
 * their names, time limits and descriptions.  The exit status.
 */
int runner_run(const char *const *globs, int nglobs, int list);

/* "[-v] [-l] [-t GLOB]...", then runner_run(); the exit status */
int runner_main(int argc, char **argv);

#endif /* QUIC_TESTLIB_RUNNER_H */

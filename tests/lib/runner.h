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
 * keys of creds.h are made before the first test; when that fails, every
 * test fails.
 */
#ifndef QUIC_TESTLIB_RUNNER_H
#define QUIC_TESTLIB_RUNNER_H

/*
 * Register a test: @fn(@arg) runs in a child and is killed after
 * @timeout seconds.  The TAP description is "@name: @desc"; @name and
 * @desc must outlive the run.
 */
void test_add(const char *name, const char *desc,
	      void (*fn)(const void *arg), const void *arg, int timeout);

/* libquic's log on stderr when @verbose or QUIC_TEST_VERBOSE is set */
void runner_log(int verbose);

/*
 * Run the registered tests whose names match one of the @nglobs
 * fnmatch() patterns (all when @nglobs is 0), or with @list only print
 * their names, time limits and descriptions.  The exit status.
 */
int runner_run(const char *const *globs, int nglobs, int list);

/* "[-v] [-l] [-t GLOB]...", then runner_run(); the exit status */
int runner_main(int argc, char **argv);

#endif /* QUIC_TESTLIB_RUNNER_H */

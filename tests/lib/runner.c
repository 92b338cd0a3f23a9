// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * runner.c - the isolated-test runner: a child process per test, a time
 * limit per test, TAP output with the plan (tests/tap.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <netinet/quic.h>

#include "../tap.h"
#include "creds.h"
#include "runner.h"
#include "util.h"

struct ctest {
	const char	*name;
	const char	*desc;
	void		(*fn)(const void *arg);
	const void	*arg;
	int		timeout;	/* seconds */
};

static struct ctest *tests;
static int ntests;

void test_add(const char *name, const char *desc,
	      void (*fn)(const void *arg), const void *arg, int timeout)
{
	const char *scale = getenv("QUIC_TIMEOUT_SCALE");

	/* a debug kernel runs everything several times slower */
	if (scale && atoi(scale) > 1)
		timeout *= atoi(scale);
	tests = realloc(tests, sizeof(*tests) * (size_t)(ntests + 1));
	if (!tests)
		exit(1);
	tests[ntests++] = (struct ctest){ name, desc, fn, arg, timeout };
}

unsigned int test_shrink(void)
{
	const char *v = getenv("QUIC_TEST_SHRINK");
	long n = v ? strtol(v, NULL, 10) : 1;

	return n > 1 && n <= 1024 ? (unsigned int)n : 1;
}

static int (*setup_fn)(void);

void runner_setup(int (*fn)(void))
{
	setup_fn = fn;
}

/* ================================================================ log */

static int log_verbose;		/* libquic's log on stderr */
static int log_kept;		/* and in log_buf, for log_has() */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[1 << 20];
static size_t log_len;

static void log_stderr(int level, const char *msg)
{
	(void)level;
	fprintf(stderr, "libquic: %s\n", msg);
}

static void log_keep_msg(int level, const char *msg)
{
	size_t n = strlen(msg);

	if (log_verbose)
		log_stderr(level, msg);
	pthread_mutex_lock(&log_lock);
	if (log_len + n + 1 < sizeof(log_buf)) {
		memcpy(log_buf + log_len, msg, n);
		log_buf[log_len + n] = '\n';
		log_len += n + 1;
		log_buf[log_len] = '\0';
	}
	pthread_mutex_unlock(&log_lock);
}

void runner_log(int verbose)
{
	log_verbose = verbose || getenv("QUIC_TEST_VERBOSE");
	if (log_verbose && !log_kept) {
		quic_set_log_func(log_stderr);
		quic_set_log_level(LOG_DEBUG);
	}
}

void log_keep(void)
{
	log_kept = 1;
	quic_set_log_func(log_keep_msg);
	quic_set_log_level(LOG_DEBUG);
}

void log_clear(void)
{
	pthread_mutex_lock(&log_lock);
	log_len = 0;
	log_buf[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

bool log_has(const char *s)
{
	bool found;

	pthread_mutex_lock(&log_lock);
	found = strstr(log_buf, s) != NULL;
	pthread_mutex_unlock(&log_lock);
	return found;
}

/* ============================================ running a test isolated */

/* what the child tells the parent about its test */
struct child_report {
	int	checks;
	int	failures;
	int	skipped;
	char	skip[120];
};

static const struct ctest *cur;
static int setup_ok;

/* In the child: run the test, report through @fd, exit. */
static void __attribute__((noreturn)) run_child(const struct ctest *t, int fd)
{
	struct child_report rep = {};

	tap_st.checks = 0;
	tap_st.check_failures = 0;
	tap_st.skip = NULL;
	log_clear();
	t->fn(t->arg);
	rep.checks = tap_st.checks;
	rep.failures = tap_st.check_failures;
	if (tap_st.skip) {
		rep.skipped = 1;
		snprintf(rep.skip, sizeof(rep.skip), "%s", tap_st.skip);
	}
	fflush(stdout);
	if (write(fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(2);
	_exit(0);
}

/* Wait for the report of @t's child @pid on @fd (closed then) until @t0
 * + its time limit, then kill it; true iff the report came.
 */
static bool wait_child(const struct ctest *t, pid_t pid, int fd, double t0,
		       struct child_report *rep)
{
	int status = 0, got = 0;
	struct pollfd pp = { .fd = fd, .events = POLLIN };
	double left;
	pid_t w;
	ssize_t n;

	for (;;) {
		left = t->timeout - (now_s() - t0);
		if (left <= 0)
			break;
		if (poll(&pp, 1, (int)(left * 1000) + 1) < 0 && errno == EINTR)
			continue;
		n = read(fd, rep, sizeof(*rep));
		if (n < 0 && errno == EINTR)
			continue;
		got = n == sizeof(*rep);
		break;
	}
	if (!got && now_s() - t0 >= t->timeout) {
		tap_diag("%s: timed out after %d s: killed", t->name,
			 t->timeout);
		kill(pid, SIGKILL);
	}
	close(fd);
	/* a child stuck in the kernel may not die: wait a little only */
	for (int i = 0; i < 100; i++) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		msleep(50);
		if (i == 99)
			tap_diag("%s: the child %d does not exit (stuck in the kernel?)",
				 t->name, pid);
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		tap_diag("%s: the child died of signal %d", t->name,
			 WTERMSIG(status));
	return got;
}

static void run_current(void)
{
	const struct ctest *t = cur;
	struct child_report rep = {};
	double t0 = now_s();
	int pfd[2];
	bool got;
	pid_t pid;

	if (!setup_ok) {
		tap_skip("no setup");
		tap_check(false, "setup", __FILE__, __LINE__, 0,
			  "making the certificates and keys, or the program's own setup, failed");
		return;
	}
	if (pipe(pfd)) {
		CHECK_SYS(-1);
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		CHECK_SYS(pid);
		return;
	}
	if (!pid) {
		close(pfd[0]);
		run_child(t, pfd[1]);
	}
	close(pfd[1]);
	got = wait_child(t, pid, pfd[0], t0, &rep);
	tap_st.checks += rep.checks;
	tap_st.check_failures += rep.failures;
	if (!got) {
		tap_check(false, "the test finished", __FILE__, __LINE__, 0,
			  "timed out or crashed");
	} else if (rep.skipped) {
		static char skip[120];

		memcpy(skip, rep.skip, sizeof(skip));
		tap_skip(skip);
	}
	tap_diag("time %s %.2f s", t->name, now_s() - t0);
}

/* ================================================================ run */

int runner_run(const char *const *globs, int nglobs, int list)
{
	struct ctest *sel;
	int i, j, n, status;

	sel = calloc((size_t)ntests + 1, sizeof(*sel));
	if (!sel)
		return 1;
	for (i = n = 0; i < ntests; i++) {
		for (j = 0; j < nglobs; j++)
			if (!fnmatch(globs[j], tests[i].name, 0))
				break;
		if (!nglobs || j < nglobs)
			sel[n++] = tests[i];
	}
	if (list) {
		for (i = 0; i < n; i++)
			printf("%-30s %3d s  %s\n", sel[i].name, sel[i].timeout,
			       sel[i].desc);
		return 0;
	}

	setup_ok = !creds_setup(program_invocation_short_name);
	tap_plan(n);
	if (!setup_ok) {
		tap_diag("making certificates and keys in %s failed",
			 creds.dir);
	} else if (setup_fn && setup_fn()) {
		tap_diag("the setup of %s failed",
			 program_invocation_short_name);
		setup_ok = 0;
	}
	for (i = 0; i < n; i++) {
		char desc[300];

		cur = &sel[i];
		snprintf(desc, sizeof(desc), "%s: %s", sel[i].name,
			 sel[i].desc);
		tap_run(run_current, desc);
	}
	status = tap_finish();
	creds_remove();
	return status;
}

int runner_main(int argc, char **argv)
{
	const char *globs[64];
	int nglobs = 0, list = 0, verbose = 0, opt;

	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "vlt:")) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		case 'l':
			list = 1;
			break;
		case 't':
			if (nglobs < 64)
				globs[nglobs++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-v] [-l] [-t GLOB]...\n",
				argv[0]);
			return 2;
		}
	}
	runner_log(verbose);
	return runner_run(globs, nglobs, list);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quic-handshaked logging: syslog (the default) or stderr (-s), one line
 * per message.  Errors, warnings, notices and informational messages are
 * always logged; debug messages from verbosity 1 on ([debug] loglevel
 * plus the number of -d).
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "hsd.h"

#define HSD_LOG_MSG_MAX		2048

static int hsd_log_stderr = 1;
static int hsd_log_verbose;
static hsd_log_sink_t hsd_log_sink;

static const char *hsd_log_level_name(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void hsd_log_open(int to_stderr, int verbosity)
{
	hsd_log_stderr = to_stderr;
	hsd_log_verbose = verbosity;
	if (!to_stderr)
		openlog(HSD_NAME, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void hsd_log_set_verbosity(int verbosity)
{
	hsd_log_verbose = verbosity;
}

int hsd_log_verbosity(void)
{
	return hsd_log_verbose;
}

void hsd_log_set_sink(hsd_log_sink_t sink)
{
	hsd_log_sink = sink;
}

void hsd_log(int prio, const char *fmt, ...)
{
	char msg[HSD_LOG_MSG_MAX];
	int saved = errno;
	va_list ap;

	if (prio >= LOG_DEBUG && hsd_log_verbose < 1)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (hsd_log_sink)
		hsd_log_sink(prio, msg);
	else if (hsd_log_stderr)
		fprintf(stderr, "%s[%d]: %s: %s\n", HSD_NAME, (int)getpid(),
			hsd_log_level_name(prio), msg);
	else
		syslog(prio, "%s", msg);
	errno = saved;
}

int hsd_log_ratelimit(struct hsd_ratelimit *state)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec != state->second) {
		if (state->missed)
			hsd_warn("%d similar messages suppressed", state->missed);
		state->second = now.tv_sec;
		state->count = 0;
		state->missed = 0;
	}
	if (state->count >= 10) {
		state->missed++;
		return 0;
	}
	state->count++;
	return 1;
}

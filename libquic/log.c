// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libquic logging: the application chooses the function messages go to and
 * the most verbose level passed on.  Levels are syslog's (<syslog.h>):
 * LOG_ERR, LOG_WARNING (the default), LOG_NOTICE, LOG_INFO, LOG_DEBUG.
 *
 * The settings are process-wide and read and written atomically, so they
 * may be changed while other threads run handshakes.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static const char *quic_log_level_name(int level)
{
	switch (level) {
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

/* The default: one line on stderr. */
static void quic_log_stderr(int level, const char *msg)
{
	fprintf(stderr, "libquic: %s: %s\n", quic_log_level_name(level), msg);
}

static quic_set_log_func_t quic_log_func = quic_log_stderr;
static int quic_log_level = QUIC_LOG_DEFAULT_LEVEL;

/**
 * quic_set_log_func - choose where libquic's messages go
 * @func: called with the level and the formatted message (no trailing
 *	newline); NULL restores the default, which prints to stderr
 *
 * Return: the function in use before (never NULL).
 */
QUIC_EXPORT quic_set_log_func_t quic_set_log_func(quic_set_log_func_t func)
{
	if (!func)
		func = quic_log_stderr;
	return __atomic_exchange_n(&quic_log_func, func, __ATOMIC_ACQ_REL);
}

/**
 * quic_set_log_level - choose the most verbose level passed on
 * @level: a syslog level; messages of this level and more severe ones are
 *	passed to the log function (LOG_DEBUG: all; LOG_ERR: errors only)
 *
 * Return: the level in force before (LOG_WARNING unless changed).
 */
QUIC_EXPORT int quic_set_log_level(int level)
{
	return __atomic_exchange_n(&quic_log_level, level, __ATOMIC_ACQ_REL);
}

int quic_log_enabled(int level)
{
	return level <= __atomic_load_n(&quic_log_level, __ATOMIC_ACQUIRE);
}

void quic_log(int level, const char *fmt, ...)
{
	char msg[QUIC_LOG_MSG_MAX];
	quic_set_log_func_t func;
	int saved = errno;
	va_list ap;

	if (!quic_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	func = __atomic_load_n(&quic_log_func, __ATOMIC_ACQUIRE);
	func(level, msg);
	errno = saved;
}

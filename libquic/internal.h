/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libquic internals shared by its source files; not installed.
 */
#ifndef _LIBQUIC_INTERNAL_H
#define _LIBQUIC_INTERNAL_H

#include <syslog.h>	/* LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG */

#include "netinet/quic.h"

/* What the library exports; everything else is hidden (-fvisibility=hidden). */
#define QUIC_EXPORT	__attribute__((visibility("default")))

/* The level below which nothing is passed to the log function by default. */
#define QUIC_LOG_DEFAULT_LEVEL	LOG_WARNING

/* The longest message handed to the log function, NUL included; longer
 * ones are cut.
 */
#define QUIC_LOG_MSG_MAX	1024

/*
 * quic_log - log a message through the application's log function
 * @level: a syslog level (LOG_ERR ... LOG_DEBUG); the message is passed on
 *	only when @level <= the level set with quic_set_log_level()
 * @fmt: printf format
 *
 * errno is preserved.
 */
void quic_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* true when a message at @level would be passed on (to skip costly
 * formatting, e.g. hex dumps, when it would not)
 */
int quic_log_enabled(int level);

#define quic_log_error(fmt, ...)	quic_log(LOG_ERR, fmt, ##__VA_ARGS__)
#define quic_log_warn(fmt, ...)		quic_log(LOG_WARNING, fmt, ##__VA_ARGS__)
#define quic_log_notice(fmt, ...)	quic_log(LOG_NOTICE, fmt, ##__VA_ARGS__)
#define quic_log_info(fmt, ...)		quic_log(LOG_INFO, fmt, ##__VA_ARGS__)
#define quic_log_debug(fmt, ...)	quic_log(LOG_DEBUG, fmt, ##__VA_ARGS__)

#endif /* _LIBQUIC_INTERNAL_H */

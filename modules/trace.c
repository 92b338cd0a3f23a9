// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The QUIC tracepoints (trace.h) are defined here, once.
 */

#include <linux/build_bug.h>
#include <linux/module.h>
#include <linux/quic.h>

#ifndef __CHECKER__
#define CREATE_TRACE_POINTS
#include "trace.h"
#endif

/* trace.h prints stream states by these numbers */
static_assert(QUIC_STREAM_SEND_STATE_READY == 0);
static_assert(QUIC_STREAM_SEND_STATE_RESET_RECVD == 5);
static_assert(QUIC_STREAM_RECV_STATE_RECV == 6);
static_assert(QUIC_STREAM_RECV_STATE_RESET_READ == 11);

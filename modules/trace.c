// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The QUIC tracepoints (trace.h) are defined here, once.
 */

#include <linux/module.h>

#ifndef __CHECKER__
#define CREATE_TRACE_POINTS
#include "trace.h"
#endif

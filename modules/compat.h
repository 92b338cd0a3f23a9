/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Differences between the kernels this module builds for, detected by
 * feature in Kbuild (QUIC_HAVE_*), never by version number.
 */
#ifndef __QUIC_COMPAT_H
#define __QUIC_COMPAT_H

#ifdef QUIC_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#endif /* __QUIC_COMPAT_H */

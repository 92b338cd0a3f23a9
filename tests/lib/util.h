/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * util.h - time, sizes and the test data pattern (see testlib.h).
 */
#ifndef QUIC_TESTLIB_UTIL_H
#define QUIC_TESTLIB_UTIL_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define KIB		1024ULL
#define MIB		(1024ULL * 1024)

/* CLOCK_MONOTONIC in seconds */
double now_s(void);

/* sleep @ms milliseconds, through signals */
void msleep(int ms);

/* @n bytes of @p as lower-case hex into @out (2 * @n + 1 bytes); @out */
char *hex(const uint8_t *p, size_t n, char *out);

/*
 * The test data: bytes @off to @off + @n of the endless stream @seed,
 * the same for any split into pieces, so that a receiver checks what
 * arrives without a copy of what was sent.
 */
void pat_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t n);

/* the kernel's slab memory in KiB (Slab: of /proc/meminfo), or -1 */
long slab_kib(void);

/*
 * The slab memory in use: first every cache gives back its empty slabs
 * (SLUB keeps some on its partial lists after a burst of frees, which
 * would look like a leak of up to a few MiB), then slab_kib().  Root.
 */
long slab_in_use_kib(void);

/* The first line of @path without its newline (a /proc or /sys file);
 * false if it cannot be read.
 */
bool file_read_line(const char *path, char *buf, size_t len);
/* Write @val to @path (a sysctl); false if that fails. */
bool file_write(const char *path, const char *val);
/*
 * The number after @key on the first line of @path that starts with it
 * (a "key: value" table such as /sys/kernel/debug/quic/sockets, whose
 * key is then "sockets:"); -1 if there is none.
 */
long file_field(const char *path, const char *key);
/*
 * The counter @name of /proc/net/quic/snmp (this network namespace's):
 * the value under its name in the line of values; -1 if it is not there.
 */
long long quic_counter(const char *name);

#endif /* QUIC_TESTLIB_UTIL_H */

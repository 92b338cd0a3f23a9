// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * util.c - time, sizes and the test data pattern.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

char *hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	return out;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void pat_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t n)
{
	uint64_t w;
	size_t i = 0;

	while (i < n && ((off + i) & 7)) {
		w = splitmix64(seed * 0x100000001b3ULL + ((off + i) >> 3));
		buf[i] = (uint8_t)(w >> (8 * ((off + i) & 7)));
		i++;
	}
	for (; i + 8 <= n; i += 8) {
		w = splitmix64(seed * 0x100000001b3ULL + ((off + i) >> 3));
		memcpy(buf + i, &w, 8);	/* little endian, as above */
	}
	for (; i < n; i++) {
		w = splitmix64(seed * 0x100000001b3ULL + ((off + i) >> 3));
		buf[i] = (uint8_t)(w >> (8 * ((off + i) & 7)));
	}
}

long slab_kib(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

long slab_in_use_kib(void)
{
	static const char dir[] = "/sys/kernel/slab";
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);
	int fd;

	if (d) {
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/shrink", dir,
				 e->d_name);
			fd = open(path, O_WRONLY);
			if (fd < 0)
				continue;
			/* a cache that cannot shrink says so: no matter */
			if (write(fd, "1", 1) < 0)
				errno = 0;
			close(fd);
		}
		closedir(d);
	}
	return slab_kib();
}

bool file_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

long file_field(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	size_t klen = strlen(key);
	char line[512], *end;
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen))
			continue;
		errno = 0;
		v = strtol(line + klen, &end, 10);
		if (errno || end == line + klen)
			v = -1;
		break;
	}
	fclose(f);
	return v;
}

bool file_write(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(val, f) >= 0;
	return fclose(f) == 0 && ok;
}

long long quic_counter(const char *name)
{
	char names[4096], vals[4096], *n, *v, *sn, *sv;
	FILE *f = fopen("/proc/net/quic/snmp", "r");
	bool got;

	if (!f)
		return -1;
	got = fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f);
	fclose(f);
	if (!got)
		return -1;
	n = strtok_r(names, " \n", &sn);
	v = strtok_r(vals, " \n", &sv);
	while (n && v) {
		if (!strcmp(n, name))
			return strtoll(v, NULL, 10);
		n = strtok_r(NULL, " \n", &sn);
		v = strtok_r(NULL, " \n", &sv);
	}
	return -1;
}

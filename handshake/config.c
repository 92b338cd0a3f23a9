// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quic-handshaked configuration: the ini-style file tlshd reads
 * (/etc/tlshd.conf), with the keys this daemon uses:
 *
 *	[debug]
 *	loglevel = N		verbosity (0: up to info; 1 or more: debug)
 *	tls = N			GnuTLS's debug level
 *	nl = N			libnl's debug level
 *
 *	[authenticate]
 *	keyrings = name;name	keyrings linked into the session keyring
 *
 *	[authenticate.client]	and [authenticate.server]
 *	x509.truststore = PATH	CA certificates (PEM file, or a directory)
 *	x509.certificate = PATH	our certificate chain (PEM or DER)
 *	x509.private_key = PATH	its private key (PEM or DER)
 *
 * Other groups and keys are skipped with a warning.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hsd.h"

/* The largest configuration file read. */
#define HSD_CONFIG_FILE_MAX	(1024 * 1024)

enum hsd_group {
	HSD_GROUP_NONE,		/* before the first [group] */
	HSD_GROUP_UNKNOWN,
	HSD_GROUP_DEBUG,
	HSD_GROUP_AUTH,
	HSD_GROUP_CLIENT,
	HSD_GROUP_SERVER,
};

struct hsd_parser {
	const char		*name;
	unsigned int		line;
	enum hsd_group		group;
	struct hsd_config	*cfg;
	char			*err;
	size_t			errlen;
};

static int hsd_config_fail(struct hsd_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int hsd_config_fail(struct hsd_parser *p, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, what);
	return -EINVAL;
}

static char *hsd_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static int hsd_config_int(struct hsd_parser *p, const char *key,
			  const char *val, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (!*val || *end || errno || v < 0 || v > 99)
		return hsd_config_fail(p, "%s: \"%s\" is not a number from 0 to 99",
				       key, val);
	*out = (int)v;
	return 0;
}

static int hsd_config_str(struct hsd_parser *p, char **slot, const char *val)
{
	char *s;

	(void)p;
	if (!*val) {		/* "key =" unsets it */
		free(*slot);
		*slot = NULL;
		return 0;
	}
	s = strdup(val);
	if (!s)
		return -ENOMEM;
	free(*slot);
	*slot = s;
	return 0;
}

/* "name;name;..." with blanks around names ignored; a later line wins */
static int hsd_config_keyrings(struct hsd_parser *p, const char *val)
{
	struct hsd_config *cfg = p->cfg;
	char *list, *name, *next;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < cfg->nkeyrings; i++) {
		free(cfg->keyrings[i]);
		cfg->keyrings[i] = NULL;
	}
	cfg->nkeyrings = 0;
	list = strdup(val);
	if (!list)
		return -ENOMEM;
	for (name = list; name; name = next) {
		next = strchr(name, ';');
		if (next)
			*next++ = '\0';
		name = hsd_trim(name);
		if (!*name)
			continue;
		if (cfg->nkeyrings == HSD_CONFIG_KEYRINGS_MAX) {
			ret = hsd_config_fail(p, "keyrings: more than %d keyrings",
					      HSD_CONFIG_KEYRINGS_MAX);
			break;
		}
		cfg->keyrings[cfg->nkeyrings] = strdup(name);
		if (!cfg->keyrings[cfg->nkeyrings]) {
			ret = -ENOMEM;
			break;
		}
		cfg->nkeyrings++;
	}
	free(list);
	return ret;
}

static int hsd_config_side(struct hsd_parser *p, struct hsd_side_config *side,
			   const char *key, const char *val)
{
	if (!strcmp(key, "x509.truststore"))
		return hsd_config_str(p, &side->truststore, val);
	if (!strcmp(key, "x509.certificate"))
		return hsd_config_str(p, &side->certificate, val);
	if (!strcmp(key, "x509.private_key"))
		return hsd_config_str(p, &side->private_key, val);
	return 1;
}

/* 0, 1 for an unknown key, or a negative errno */
static int hsd_config_key(struct hsd_parser *p, const char *key,
			  const char *val)
{
	struct hsd_config *cfg = p->cfg;

	switch (p->group) {
	case HSD_GROUP_DEBUG:
		if (!strcmp(key, "loglevel"))
			return hsd_config_int(p, key, val, &cfg->loglevel);
		if (!strcmp(key, "tls"))
			return hsd_config_int(p, key, val, &cfg->tls_debug);
		if (!strcmp(key, "nl"))
			return hsd_config_int(p, key, val, &cfg->nl_debug);
		return 1;
	case HSD_GROUP_AUTH:
		if (!strcmp(key, "keyrings"))
			return hsd_config_keyrings(p, val);
		return 1;
	case HSD_GROUP_CLIENT:
		return hsd_config_side(p, &cfg->client, key, val);
	case HSD_GROUP_SERVER:
		return hsd_config_side(p, &cfg->server, key, val);
	default:
		return 1;
	}
}

static int hsd_config_group(struct hsd_parser *p, char *line)
{
	char *end = strchr(line, ']');
	char *name;

	if (!end || hsd_trim(end + 1)[0])
		return hsd_config_fail(p, "a group line must be \"[name]\"");
	*end = '\0';
	name = hsd_trim(line + 1);
	if (!*name)
		return hsd_config_fail(p, "a group with no name");
	if (strchr(name, '[') || strchr(name, ']'))
		return hsd_config_fail(p, "a group line must be \"[name]\"");
	if (!strcmp(name, "debug")) {
		p->group = HSD_GROUP_DEBUG;
	} else if (!strcmp(name, "authenticate")) {
		p->group = HSD_GROUP_AUTH;
	} else if (!strcmp(name, "authenticate.client")) {
		p->group = HSD_GROUP_CLIENT;
	} else if (!strcmp(name, "authenticate.server")) {
		p->group = HSD_GROUP_SERVER;
	} else {
		hsd_warn("%s:%u: unknown group [%s] skipped", p->name, p->line,
			 name);
		p->group = HSD_GROUP_UNKNOWN;
	}
	return 0;
}

static int hsd_config_line(struct hsd_parser *p, char *line)
{
	char *eq, *key, *val;
	const char *c;
	int ret;

	line = hsd_trim(line);
	if (!*line || *line == '#' || *line == ';')
		return 0;
	if (*line == '[')
		return hsd_config_group(p, line);
	eq = strchr(line, '=');
	if (!eq)
		return hsd_config_fail(p, "neither \"[group]\" nor \"key = value\"");
	*eq = '\0';
	key = hsd_trim(line);
	val = hsd_trim(eq + 1);
	if (!*key)
		return hsd_config_fail(p, "a value with no key");
	for (c = key; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
		      *c == '-'))
			return hsd_config_fail(p, "\"%s\" is not a key name", key);
	if (p->group == HSD_GROUP_NONE)
		return hsd_config_fail(p, "key \"%s\" before any [group]", key);
	if (p->group == HSD_GROUP_UNKNOWN)
		return 0;
	ret = hsd_config_key(p, key, val);
	if (ret == 1) {
		hsd_warn("%s:%u: unknown key \"%s\" skipped", p->name, p->line,
			 key);
		ret = 0;
	} else if (ret == -ENOMEM) {
		hsd_config_fail(p, "out of memory");
	}
	return ret;
}

int hsd_config_parse(const char *buf, size_t len, const char *name,
		     struct hsd_config *cfg, char *err, size_t errlen)
{
	struct hsd_parser p = {
		.name = name,
		.cfg = cfg,
		.err = err,
		.errlen = errlen,
	};
	char line[HSD_CONFIG_LINE_MAX + 1];
	size_t off = 0, n;
	const char *nl;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (errlen)
		err[0] = '\0';
	while (off < len) {
		p.line++;
		nl = memchr(buf + off, '\n', len - off);
		n = (nl ? (size_t)(nl - buf) : len) - off;
		if (n > HSD_CONFIG_LINE_MAX)
			return hsd_config_fail(&p, "a line longer than %d bytes",
					       HSD_CONFIG_LINE_MAX);
		memcpy(line, buf + off, n);
		line[n] = '\0';
		if (strlen(line) != n)
			return hsd_config_fail(&p, "a NUL byte");
		ret = hsd_config_line(&p, line);
		if (ret)
			return ret;
		off += n + (nl ? 1 : 0);
	}
	return 0;
}

int hsd_config_load(const char *path, struct hsd_config *cfg, char *err,
		    size_t errlen)
{
	size_t got = 0, cap = 4096;
	struct stat sb;
	char *buf, *nbuf;
	ssize_t n;
	int fd, ret;

	memset(cfg, 0, sizeof(*cfg));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = errno;
		if (ret == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(ret));
		return -ret;
	}
	if (!fstat(fd, &sb) && S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s: a directory, not a file", path);
		close(fd);
		return -EINVAL;
	}
	/* read to the end: /dev/null and pipes have no size */
	buf = malloc(cap);
	for (;;) {
		if (!buf) {
			snprintf(err, errlen, "%s: out of memory", path);
			close(fd);
			return -ENOMEM;
		}
		if (got == cap) {
			if (cap >= HSD_CONFIG_FILE_MAX) {
				snprintf(err, errlen, "%s: larger than %d bytes",
					 path, HSD_CONFIG_FILE_MAX);
				free(buf);
				close(fd);
				return -EFBIG;
			}
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf)
				free(buf);
			buf = nbuf;
			continue;
		}
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = errno;
			snprintf(err, errlen, "%s: reading failed: %s", path,
				 strerror(ret));
			free(buf);
			close(fd);
			return -ret;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	close(fd);
	ret = hsd_config_parse(buf, got, path, cfg, err, errlen);
	free(buf);
	return ret;
}

static void hsd_side_free(struct hsd_side_config *side)
{
	free(side->truststore);
	free(side->certificate);
	free(side->private_key);
}

void hsd_config_free(struct hsd_config *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->nkeyrings; i++)
		free(cfg->keyrings[i]);
	hsd_side_free(&cfg->client);
	hsd_side_free(&cfg->server);
	memset(cfg, 0, sizeof(*cfg));
}

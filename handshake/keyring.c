// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quic-handshaked keys: the certificates, private keys and PSKs a kernel
 * consumer names by key serial, read with keyctl(2) directly (no
 * libkeyutils).
 *
 * A request's keys are usually readable only by a possessor.  The kernel
 * links the consumer's keyring into the process keyring of whoever sends
 * ACCEPT, i.e. the parent; a forked child gets no process keyring, so the
 * parent reads the keys before it forks, then clears its process keyring
 * so that keyrings of finished requests do not pile up there.  Keyrings
 * named in the configuration go into the session keyring, which children
 * share.
 *
 * Payloads: a certificate (chain) or private key in PEM (when it holds
 * "-----BEGIN") or DER; a PSK's payload is the raw key and its
 * description the PSK identity.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/keyctl.h>

#include "daemon.h"

static long hsd_keyctl(int cmd, unsigned long a2, unsigned long a3,
		       unsigned long a4, unsigned long a5)
{
	return syscall(SYS_keyctl, cmd, a2, a3, a4, a5);
}

/* A KEYCTL_READ or KEYCTL_DESCRIBE result of any size; *out is malloc'ed
 * with a NUL after the data.
 */
static int hsd_keyctl_fetch(int cmd, int32_t serial, uint8_t **out,
			    size_t *outlen)
{
	size_t size = 0;
	uint8_t *buf = NULL, *nbuf;
	long n;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		n = hsd_keyctl(cmd, (unsigned long)(long)serial,
			       (unsigned long)buf, size, 0);
		if (n < 0) {
			n = -errno;
			break;
		}
		if ((size_t)n <= size && buf) {
			buf[n] = '\0';
			*out = buf;
			*outlen = (size_t)n;
			return 0;
		}
		if (n > HSD_KEY_MAX) {
			n = -EFBIG;
			break;
		}
		/* the key may change between calls: take what it says now */
		nbuf = malloc((size_t)n + 1);
		if (!nbuf) {
			n = -ENOMEM;
			break;
		}
		if (buf) {
			explicit_bzero(buf, size);
			free(buf);
		}
		buf = nbuf;
		size = (size_t)n;
	}
	if (buf) {
		explicit_bzero(buf, size);
		free(buf);
	}
	return tries == 4 ? -EAGAIN : (int)n;
}

int hsd_key_read(int32_t serial, struct hsd_key *k)
{
	uint8_t *desc = NULL;
	size_t dlen = 0;
	char *p;
	int i, ret;

	memset(k, 0, sizeof(*k));
	k->serial = serial;
	ret = hsd_keyctl_fetch(KEYCTL_DESCRIBE, serial, &desc, &dlen);
	if (ret) {
		hsd_err("key %d: describing it failed: %s", serial,
			strerror(-ret));
		return ret;
	}
	/* "type;uid;gid;perm;description": the description may hold ';' */
	p = (char *)desc;
	for (i = 0; i < 4 && p; i++) {
		p = strchr(p, ';');
		if (p)
			p++;
	}
	if (!p) {
		hsd_err("key %d: an unexpected description \"%s\"", serial,
			(char *)desc);
		free(desc);
		return -EINVAL;
	}
	k->desc = strdup(p);
	*strchr((char *)desc, ';') = '\0';
	k->type = strdup((char *)desc);
	free(desc);
	if (!k->desc || !k->type)
		return -ENOMEM;

	ret = hsd_keyctl_fetch(KEYCTL_READ, serial, &k->data, &k->len);
	if (ret) {
		hsd_err("key %d (%s \"%s\"): reading its payload failed: %s",
			serial, k->type, k->desc, strerror(-ret));
		return ret;
	}
	hsd_debug("key %d: %s \"%s\", %zu bytes", serial, k->type, k->desc,
		  k->len);
	return 0;
}

void hsd_key_free(struct hsd_key *k)
{
	if (k->data) {
		explicit_bzero(k->data, k->len);
		free(k->data);
	}
	free(k->type);
	free(k->desc);
	memset(k, 0, sizeof(*k));
}

int hsd_key_is_pem(const struct hsd_key *k)
{
	return k->data && memmem(k->data, k->len, "-----BEGIN", 10) != NULL;
}

/* A keyring by name: one we possess, else one /proc/keys shows us. */
static int32_t hsd_keyring_find(const char *name)
{
	char line[512], type[64], rest[400];
	unsigned int serial;
	size_t n = strlen(name);
	long id;
	FILE *f;

	id = hsd_keyctl(KEYCTL_SEARCH, (unsigned long)KEY_SPEC_SESSION_KEYRING,
			(unsigned long)"keyring", (unsigned long)name, 0);
	if (id > 0)
		return (int32_t)id;
	id = hsd_keyctl(KEYCTL_SEARCH, (unsigned long)KEY_SPEC_USER_KEYRING,
			(unsigned long)"keyring", (unsigned long)name, 0);
	if (id > 0)
		return (int32_t)id;

	f = fopen("/proc/keys", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		/* serial flags usage expiry perm uid gid type description */
		if (sscanf(line, "%x %*s %*s %*s %*s %*s %*s %63s %399[^\n]",
			   &serial, type, rest) != 3 || strcmp(type, "keyring"))
			continue;
		if (!strncmp(rest, name, n) && (!rest[n] || rest[n] == ':')) {
			fclose(f);
			return (int32_t)serial;
		}
	}
	fclose(f);
	return 0;
}

void hsd_keyrings_link(const struct hsd_config *cfg)
{
	unsigned int i;
	int32_t id;

	for (i = 0; i < cfg->nkeyrings; i++) {
		id = hsd_keyring_find(cfg->keyrings[i]);
		if (!id) {
			hsd_warn("keyring \"%s\" (from [authenticate] keyrings) not found",
				 cfg->keyrings[i]);
			continue;
		}
		if (hsd_keyctl(KEYCTL_LINK, (unsigned long)(long)id,
			       (unsigned long)KEY_SPEC_SESSION_KEYRING, 0, 0)) {
			hsd_warn("linking keyring \"%s\" (%d) into the session keyring failed: %s",
				 cfg->keyrings[i], id, strerror(errno));
			continue;
		}
		hsd_info("keyring \"%s\" (%d) linked into the session keyring",
			 cfg->keyrings[i], id);
	}
}

void hsd_keyring_clear_process(void)
{
	if (hsd_keyctl(KEYCTL_CLEAR, (unsigned long)KEY_SPEC_PROCESS_KEYRING,
		       0, 0, 0) && errno != ENOKEY)
		hsd_debug("clearing the process keyring failed: %s",
			  strerror(errno));
}

void hsd_request_load_keys(struct hsd_request *r)
{
	const struct hsd_accept *a = &r->a;
	unsigned int i;
	int ret;

	if (a->auth_mode == HSD_AUTH_X509 && a->cert) {
		ret = hsd_key_read(a->cert, &r->cert);
		if (!ret)
			ret = hsd_key_read(a->privkey, &r->privkey);
		if (ret) {
			r->cert_err = -ret;
			hsd_key_free(&r->cert);
			hsd_key_free(&r->privkey);
		}
	}
	if (a->auth_mode == HSD_AUTH_PSK) {
		for (i = 0; i < a->npeerids; i++) {
			ret = hsd_key_read(a->peerids[i], &r->psk[r->npsk]);
			if (ret || !r->psk[r->npsk].len ||
			    !r->psk[r->npsk].desc[0]) {
				if (!ret)
					hsd_err("key %d: an empty PSK or identity",
						a->peerids[i]);
				hsd_key_free(&r->psk[r->npsk]);
				continue;
			}
			r->npsk++;
		}
	}
}

void hsd_request_free_keys(struct hsd_request *r)
{
	unsigned int i;

	hsd_key_free(&r->cert);
	hsd_key_free(&r->privkey);
	for (i = 0; i < r->npsk; i++)
		hsd_key_free(&r->psk[i]);
	r->npsk = 0;
}

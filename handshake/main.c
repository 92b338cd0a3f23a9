// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * quic-handshaked: the TLS 1.3 handshake for in-kernel consumers of QUIC
 * (and TCP) sockets, served through the kernel's net/handshake generic
 * netlink family, as tlshd serves it for TCP.
 *
 * The parent listens to the "tlshd" multicast group.  On a READY it
 * asks the kernel for the pending requests (ACCEPT) until there is none
 * left or HSD_CHILDREN_MAX handshakes run; each accepted request gets its
 * keys read and a child process of its own, which runs the handshake and
 * sends DONE.  A request that has to wait is taken when a child ends: the
 * kernel notifies only new requests, so the parent asks again then.  The
 * parent keeps each child's socket open until the child is reaped, so
 * that a child that died before its DONE still gets one (ETIMEDOUT when
 * its alarm killed it, EIO otherwise).
 *
 * It never daemonizes (systemd Type=simple).
 */

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "daemon.h"

/* Exit status when the kernel has no net/handshake family. */
#define HSD_EXIT_NO_FAMILY	2
/* The most ACCEPTs one round of draining sends. */
#define HSD_DRAIN_MAX		(4 * HSD_CHILDREN_MAX)

struct hsd_child {
	pid_t	pid;
	int	fd;
};

static struct {
	const char		*config_path;
	int			dflag;
	struct hsd_config	cfg;
	struct hsd_nl		nl;
	int			sigfd;
	sigset_t		oldmask;
	struct hsd_child	children[HSD_CHILDREN_MAX];
	unsigned int		nchildren;
	int			backlog;	/* requests may wait in the kernel */
	int			stopping;
} hsd = {
	.config_path = HSD_DEFAULT_CONFIG,
	.sigfd = -1,
};

static void hsd_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-c FILE] [-s] [-d]... [-h]\n"
		"Run TLS 1.3 handshakes (QUIC and TCP) for in-kernel consumers.\n"
		"  -c FILE  configuration file (default %s)\n"
		"  -s       log to stderr instead of syslog\n"
		"  -d       more debug output (repeat for more)\n"
		"  -h       this help\n",
		HSD_NAME, HSD_DEFAULT_CONFIG);
}

/* libquic's and GnuTLS's messages go where ours do. */
static void hsd_libquic_log(int level, const char *msg)
{
	hsd_log(level, "libquic: %s", msg);
}

static void hsd_gnutls_log(int level, const char *msg)
{
	size_t n = strlen(msg);

	(void)level;
	if (n && msg[n - 1] == '\n')
		n--;
	hsd_log(LOG_DEBUG, "gnutls: %.*s", (int)n, msg);
}

static void hsd_apply_verbosity(void)
{
	int v = hsd.cfg.loglevel + hsd.dflag;

	hsd_log_set_verbosity(v);
	quic_set_log_func(hsd_libquic_log);
	quic_set_log_level(v >= 2 ? LOG_DEBUG : LOG_INFO);
	gnutls_global_set_log_function(hsd_gnutls_log);
	gnutls_global_set_log_level(hsd.cfg.tls_debug);
}

static int hsd_load_config(struct hsd_config *cfg)
{
	char err[1024];
	int ret;

	ret = hsd_config_load(hsd.config_path, cfg, err, sizeof(err));
	if (ret) {
		hsd_err("configuration: %s", err);
		hsd_config_free(cfg);
	}
	return ret;
}

static void hsd_reload(void)
{
	struct hsd_config cfg;

	if (hsd_load_config(&cfg)) {
		hsd_warn("keeping the configuration in force");
		return;
	}
	hsd_config_free(&hsd.cfg);
	hsd.cfg = cfg;
	hsd_apply_verbosity();
	hsd_keyrings_link(&hsd.cfg);
	hsd_info("configuration %s reloaded", hsd.config_path);
}

/* In the child: drop what belongs to the parent, restore the signals. */
static void hsd_child_setup(int keep_fd)
{
	unsigned int i;

	for (i = 0; i < hsd.nchildren; i++)
		if (hsd.children[i].fd != keep_fd)
			close(hsd.children[i].fd);
	close(hsd.sigfd);
	hsd_nl_close(&hsd.nl);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	sigprocmask(SIG_SETMASK, &hsd.oldmask, NULL);
}

static void hsd_spawn(struct hsd_request *r)
{
	struct hsd_result res = { .status = EIO };
	pid_t pid;

	r->family = hsd.nl.family;
	hsd_request_load_keys(r);
	hsd_keyring_clear_process();
	pid = fork();
	if (pid == 0) {
		hsd_child_setup(r->a.sockfd);
		_exit(hsd_child_main(&hsd.cfg, r));
	}
	hsd_request_free_keys(r);
	if (pid < 0) {
		hsd_err("socket %d: fork failed: %s", r->a.sockfd,
			strerror(errno));
		res.status = errno == ENOMEM || errno == EAGAIN ? ENOMEM : EIO;
		hsd_nl_done(hsd.nl.ctl, hsd.nl.family, r->a.sockfd, &res);
		close(r->a.sockfd);
		return;
	}
	hsd.children[hsd.nchildren].pid = pid;
	hsd.children[hsd.nchildren].fd = r->a.sockfd;
	hsd.nchildren++;
	hsd_debug("socket %d: child %d (%u running)", r->a.sockfd, (int)pid,
		  hsd.nchildren);
}

/* Take pending requests until the kernel has none or we are full. */
static void hsd_drain(void)
{
	struct hsd_request r;
	int i, ret;

	for (i = 0; i < HSD_DRAIN_MAX && !hsd.stopping; i++) {
		if (hsd.nchildren >= HSD_CHILDREN_MAX) {
			if (!hsd.backlog)
				hsd_notice("%d handshakes running: further requests wait",
					   HSD_CHILDREN_MAX);
			hsd.backlog = 1;
			return;
		}
		memset(&r, 0, sizeof(r));
		ret = hsd_nl_accept(&hsd.nl, &r.a);
		if (ret == 0) {
			hsd.backlog = 0;
			return;
		}
		if (ret == -EBADMSG)
			continue;	/* completed with EINVAL, next one */
		if (ret < 0) {
			hsd.backlog = 0;
			return;
		}
		hsd_spawn(&r);
	}
	hsd.backlog = 1;
}

static void hsd_reap(void)
{
	struct hsd_result res = { 0 };
	unsigned int i;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < hsd.nchildren; i++)
			if (hsd.children[i].pid == pid)
				break;
		if (i == hsd.nchildren)
			continue;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			res.status = WIFSIGNALED(status) &&
				     WTERMSIG(status) == SIGALRM ? ETIMEDOUT : EIO;
			if (WIFSIGNALED(status))
				hsd_err("socket %d: child %d killed by signal %d",
					hsd.children[i].fd, (int)pid,
					WTERMSIG(status));
			else
				hsd_err("socket %d: child %d sent no DONE",
					hsd.children[i].fd, (int)pid);
			hsd_nl_done(hsd.nl.ctl, hsd.nl.family,
				    hsd.children[i].fd, &res);
		}
		close(hsd.children[i].fd);
		hsd.children[i] = hsd.children[--hsd.nchildren];
	}
}

static void hsd_signal(void)
{
	struct signalfd_siginfo si;
	unsigned int i;
	ssize_t n;

	while ((n = read(hsd.sigfd, &si, sizeof(si))) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			hsd_reap();
			break;
		case SIGHUP:
			hsd_reload();
			break;
		default:
			if (!hsd.stopping)
				hsd_info("signal %u: stopping", si.ssi_signo);
			hsd.stopping = 1;
			for (i = 0; i < hsd.nchildren; i++)
				kill(hsd.children[i].pid, SIGTERM);
			break;
		}
	}
}

static int hsd_setup_signals(void)
{
	sigset_t mask;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &hsd.oldmask)) {
		hsd_err("blocking signals failed: %s", strerror(errno));
		return -1;
	}
	hsd.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (hsd.sigfd < 0) {
		hsd_err("signalfd failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int hsd_loop(void)
{
	struct pollfd pfd[2];
	int resync, ready;

	pfd[0].fd = hsd.sigfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = hsd_nl_mc_fd(&hsd.nl);
	pfd[1].events = POLLIN;

	/* requests made before we listened, by another daemon's kernel peer */
	hsd_drain();
	while (!hsd.stopping || hsd.nchildren) {
		if (poll(pfd, hsd.stopping ? 1 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			hsd_err("poll failed: %s", strerror(errno));
			return 1;
		}
		if (pfd[0].revents)
			hsd_signal();
		if (!hsd.stopping && pfd[1].revents) {
			resync = 0;
			ready = hsd_nl_read_ready(&hsd.nl, &resync);
			if (ready || resync)
				hsd.backlog = 1;
		}
		if (!hsd.stopping && hsd.backlog &&
		    hsd.nchildren < HSD_CHILDREN_MAX)
			hsd_drain();
	}
	return 0;
}

int main(int argc, char **argv)
{
	int to_stderr = 0, opt, ret;

	while ((opt = getopt(argc, argv, "c:sdh")) != -1) {
		switch (opt) {
		case 'c':
			hsd.config_path = optarg;
			break;
		case 's':
			to_stderr = 1;
			break;
		case 'd':
			hsd.dflag++;
			break;
		case 'h':
			hsd_usage(stdout);
			return 0;
		default:
			hsd_usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", HSD_NAME,
			argv[optind]);
		hsd_usage(stderr);
		return 1;
	}

	hsd_log_open(to_stderr, hsd.dflag);
	if (hsd_load_config(&hsd.cfg))
		return 1;
	hsd_apply_verbosity();
	if (hsd_setup_signals())
		return 1;

	ret = hsd_nl_open(&hsd.nl, hsd.cfg.nl_debug);
	if (ret == -ENOENT) {
		hsd_err("the kernel has no net/handshake genetlink family (CONFIG_NET_HANDSHAKE, Linux 6.4 and later)");
		return HSD_EXIT_NO_FAMILY;
	}
	if (ret)
		return 1;
	hsd_keyrings_link(&hsd.cfg);
	hsd_info("ready: serving handshake requests (genetlink family \"%s\" %d, group \"%s\"), configuration %s",
		 HSD_FAMILY_NAME, hsd.nl.family, HSD_MCGRP_TLSHD,
		 hsd.config_path);

	ret = hsd_loop();
	hsd_nl_close(&hsd.nl);
	hsd_config_free(&hsd.cfg);
	hsd_info("stopped");
	return ret;
}

# SPDX-License-Identifier: GPL-2.0-or-later
#
# Top-level build for the QUIC kernel module, libquic, the handshake
# daemon and the tests.  `make help` lists the targets.

TOP	:= $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VERSION	:= 0.1.0

# Kernel to build the module against: the running kernel's build tree
# when it has one, else the newest Debian 6.12 cloud headers installed.
KDIR ?= $(shell \
	if [ -d /lib/modules/$$(uname -r)/build ]; then \
		echo /lib/modules/$$(uname -r)/build; \
	else \
		ls -d /usr/src/linux-headers-6.12.*-cloud-amd64 2>/dev/null | \
			sort -V | tail -n 1; \
	fi)

CC	?= gcc
CFLAGS	?= -O2 -g
CFLAGS	+= -Wall -Wextra -Werror -I$(TOP)/include/uapi -I$(TOP)/libquic
# CPPFLAGS and LDFLAGS from the environment are honoured (dpkg-buildflags'
# hardening in the Debian packages)
CPPFLAGS ?=
LDFLAGS	?=
PREFIX	?= /usr/local
LIBDIR	?= $(PREFIX)/lib
INCDIR	?= $(PREFIX)/include
MANDIR	?= $(PREFIX)/share/man
DESTDIR	?=

LIBQUIC_SRCS	:= $(wildcard $(TOP)/libquic/*.c)
LIBQUIC_OBJS	:= $(LIBQUIC_SRCS:.c=.o)
TEST_SRCS	:= $(wildcard $(TOP)/tests/*.c)
TEST_BINS	:= $(TEST_SRCS:.c=)
# the helpers the test programs share (tests/lib/testlib.h)
TESTLIB_SRCS	:= $(wildcard $(TOP)/tests/lib/*.c)
TESTLIB_OBJS	:= $(TESTLIB_SRCS:.c=.o)
TESTLIB_HDRS	:= $(wildcard $(TOP)/tests/lib/*.h) $(TOP)/tests/tap.h \
		   $(TOP)/tests/certs.h $(TOP)/tests/forge.h
TESTLIB		:= $(TOP)/tests/lib/libtest.a
TESTLIB_USERS	:= $(addprefix $(TOP)/tests/,conn_test close_test \
		     hostile_test attack_test poll_test socket_test stream_test \
		     dgram_test cid_test sockapi_test resume_test handshake_test interop_peer \
		     fuzz_syscall fuzz_packet consumer_test ops_test)

.PHONY: all help module modules libquic tests tools check lint vm demo bench \
	install install-module install-libquic install-tools install-dkms-src \
	dkms deb clean

all: module libquic tests tools

help:
	@echo "make [KDIR=/usr/src/linux-headers-REL] [W=1] [C=1]  module, libquic, tests"
	@echo "make check     the test suite in QEMU on Debian 12 and 13 kernels, and a debug one"
	@echo "make lint      checkpatch --strict over the kernel code"
	@echo "make vm [CMD='...'] [K=6.12]  a guest shell, or CMD in a guest"
	@echo "make demo      a QUIC transfer in a guest"
	@echo "make bench     throughput and handshake latency vs TCP and kTLS"
	@echo "make install   module (for KDIR), libquic, headers, man pages"
	@echo "make deb       Debian packages in build/deb (dpkg-buildpackage, lintian)"

module modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "no kernel build tree: set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP)/modules modules

# libquic: only what works is exported; the handshake arrives later.
libquic: $(TOP)/libquic/libquic.so $(TOP)/libquic/libquic.a

$(TOP)/libquic/%.o: $(TOP)/libquic/%.c $(TOP)/libquic/netinet/quic.h \
		$(TOP)/libquic/internal.h \
		$(TOP)/include/uapi/linux/quic.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(TOP)/libquic/libquic.so: $(LIBQUIC_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libquic.so.1 -Wl,-z,defs \
		-o $@ $^ \
		-lgnutls -pthread

$(TOP)/libquic/libquic.a: $(LIBQUIC_OBJS)
	$(AR) rcs $@ $^

tests: $(TEST_BINS)

# operators' tools: quic-ss (sock_diag)
tools: $(TOP)/tools/quic-ss

$(TOP)/tools/quic-ss: $(TOP)/tools/quic-ss.c $(TOP)/include/uapi/linux/quic.h
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

# handshake_test emulates the kernel's side of a QUIC socket
$(TOP)/tests/handshake_test: TEST_LDFLAGS = \
	-Wl,--wrap=setsockopt,--wrap=getsockopt,--wrap=sendmsg,--wrap=recvmsg

$(TOP)/tests/lib/%.o: $(TOP)/tests/lib/%.c $(TESTLIB_HDRS) \
		$(TOP)/include/uapi/linux/quic.h $(TOP)/libquic/netinet/quic.h
	$(CC) $(CFLAGS) -c -o $@ $<

# rebuilt whole, so that a removed source leaves no member behind
$(TESTLIB): $(TESTLIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(TESTLIB_USERS): TEST_LIBS = $(TESTLIB)
$(TESTLIB_USERS): $(TESTLIB) $(TESTLIB_HDRS)

$(TOP)/tests/%: $(TOP)/tests/%.c $(TOP)/tests/tap.h $(TOP)/tests/forge.h \
		$(TOP)/include/uapi/linux/quic.h $(TOP)/libquic/netinet/quic.h \
		$(TOP)/libquic/libquic.a
	$(CC) $(CFLAGS) -o $@ $< $(TEST_LIBS) $(TOP)/libquic/libquic.a \
		$(TEST_LDFLAGS) -lgnutls -pthread

check:
	$(TOP)/tests/check.sh

lint:
	$(TOP)/tests/lint.sh

vm:
	@rel=$$($(TOP)/tests/vm/kernels.sh --print $(or $(K),6.12)) && \
	$(MAKE) -s -C $(TOP) module-for REL=$$rel && \
	if [ -n "$(CMD)" ]; then \
		$(TOP)/tests/vm/run.sh -k $$rel -- sh -c '$(CMD)'; \
	else \
		$(TOP)/tests/vm/run.sh -k $$rel -i; \
	fi

# Build quic.ko for one cached Debian kernel into build/REL/quic.ko, and
# its exports' symbol versions into build/REL/quic.symvers (for the
# in-kernel consumer test module of tests/kmod).
# The headers are the host's, or the trixie chroot's for Debian 13's
# kernels (tests/vm/kmake.sh).
module-for:
	@test -n "$(REL)" || { echo "module-for needs REL=" >&2; exit 1; }
	$(TOP)/tests/vm/kmake.sh $(REL) M=$(TOP)/modules clean >/dev/null
	$(TOP)/tests/vm/kmake.sh $(REL) M=$(TOP)/modules modules
	mkdir -p $(TOP)/build/$(REL)
	cp $(TOP)/modules/quic.ko $(TOP)/build/$(REL)/quic.ko
	cp $(TOP)/modules/quic_diag.ko $(TOP)/build/$(REL)/quic_diag.ko
	cp $(TOP)/modules/Module.symvers $(TOP)/build/$(REL)/quic.symvers
	$(TOP)/tests/vm/kmake.sh $(REL) M=$(TOP)/modules clean >/dev/null

# the handshake daemon (`all` and `install` when libnl-genl-3 is there)
include $(TOP)/handshake/handshake.mk

demo:
	$(TOP)/tests/demo.sh

# QUIC vs kernel TCP vs kTLS in one guest boot: a benchmark, not a test
bench:
	$(TOP)/tests/bench/run.sh $(BENCH_ARGS)

install: install-module install-libquic install-tools

install-tools: tools
	install -D -m 755 $(TOP)/tools/quic-ss $(DESTDIR)$(PREFIX)/sbin/quic-ss
	install -D -m 755 $(TOP)/tools/quic-qlog $(DESTDIR)$(PREFIX)/bin/quic-qlog
	install -D -m 644 $(TOP)/tools/quic-ss.8 \
		$(DESTDIR)$(MANDIR)/man8/quic-ss.8
	install -D -m 644 $(TOP)/tools/quic-qlog.1 \
		$(DESTDIR)$(MANDIR)/man1/quic-qlog.1

install-module: module
	$(MAKE) -C $(KDIR) M=$(TOP)/modules modules_install
	install -D -m 644 $(TOP)/include/uapi/linux/quic.h \
		$(DESTDIR)$(INCDIR)/linux/quic.h

install-libquic: libquic
	install -D -m 644 $(TOP)/libquic/netinet/quic.h \
		$(DESTDIR)$(INCDIR)/netinet/quic.h
	install -D -m 644 $(TOP)/include/uapi/linux/quic.h \
		$(DESTDIR)$(INCDIR)/linux/quic.h
	install -D -m 755 $(TOP)/libquic/libquic.so \
		$(DESTDIR)$(LIBDIR)/libquic.so.1
	ln -sf libquic.so.1 $(DESTDIR)$(LIBDIR)/libquic.so
	install -D -m 644 $(TOP)/libquic/libquic.a $(DESTDIR)$(LIBDIR)/libquic.a
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCDIR@|$(INCDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		$(TOP)/libquic/libquic.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libquic.pc
	for m in $(TOP)/Documentation/man/*.[0-9]; do \
		s=$${m##*.}; \
		install -D -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$m); \
	done

# The tree DKMS builds the modules from, without dkms.conf: the one list
# of what that takes, for `make dkms` and the quic-dkms package.
DKMS_SRC	?= /usr/src/quic-$(VERSION)
DKMS_FILES	:= $(filter-out %.mod.c,$(wildcard $(TOP)/modules/*.[ch])) \
		   $(TOP)/modules/Kbuild $(TOP)/modules/Makefile \
		   $(TOP)/modules/features.kbuild
install-dkms-src:
	install -d $(DESTDIR)$(DKMS_SRC)/modules \
		$(DESTDIR)$(DKMS_SRC)/include/linux \
		$(DESTDIR)$(DKMS_SRC)/include/uapi/linux
	install -m 644 $(DKMS_FILES) $(DESTDIR)$(DKMS_SRC)/modules/
	install -m 644 $(TOP)/include/linux/quic.h \
		$(DESTDIR)$(DKMS_SRC)/include/linux/
	install -m 644 $(TOP)/include/uapi/linux/quic.h \
		$(DESTDIR)$(DKMS_SRC)/include/uapi/linux/

# DKMS: register, build and install the module for the running kernel.
dkms:
	rm -rf /usr/src/quic-$(VERSION)
	$(MAKE) install-dkms-src DESTDIR= DKMS_SRC=/usr/src/quic-$(VERSION)
	install -m 644 $(TOP)/dkms.conf /usr/src/quic-$(VERSION)/
	dkms add -m quic -v $(VERSION)
	dkms build -m quic -v $(VERSION)
	dkms install -m quic -v $(VERSION)

# Debian packages (debian/): quic-dkms, libquic1, libquic-dev,
# quic-handshaked and quic-tools, built from the files git tracks (as
# they are in the working tree) in build/deb/quic-$(VERSION), then
# checked by lintian.  The build dependencies must be installed
# (dpkg-checkbuilddeps names the missing ones).
DEB_DIR	:= $(TOP)/build/deb
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/quic-$(VERSION)
	cd $(TOP) && git ls-files -z | tar --null -T - -cf - | \
		tar -xf - -C $(DEB_DIR)/quic-$(VERSION)
	cd $(DEB_DIR)/quic-$(VERSION) && dpkg-checkbuilddeps && \
		dpkg-buildpackage -us -uc
	lintian --pedantic --display-info --fail-on error,warning \
		$(DEB_DIR)/quic_$(VERSION)_*.changes

clean:
	-$(if $(KDIR),$(MAKE) -C $(KDIR) M=$(TOP)/modules clean)
	rm -f $(LIBQUIC_OBJS) $(TOP)/libquic/libquic.so $(TOP)/libquic/libquic.a
	rm -f $(TEST_BINS) $(TESTLIB_OBJS) $(TESTLIB) $(TOP)/tools/quic-ss
	rm -rf $(TOP)/build
	rm -f $(TOP)/tests/interop/quicgo/quicgo_peer
	rm -rf $(TOP)/tests/interop/quinn/quinn_peer $(TOP)/tests/interop/quinn/target

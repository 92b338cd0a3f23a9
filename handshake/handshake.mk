# SPDX-License-Identifier: GPL-2.0-or-later
#
# quic-handshaked, included by the top Makefile (which defines TOP, CC,
# CFLAGS, DESTDIR).  Built by `make all` only when pkg-config finds
# libnl-genl-3.0; `make handshake` says so when it does not.

HSD_DIR		:= $(TOP)/handshake
HSD_BIN		:= $(HSD_DIR)/quic-handshaked
HSD_SRCS	:= $(wildcard $(HSD_DIR)/*.c)
HSD_OBJS	:= $(HSD_SRCS:.c=.o)
HSD_HDRS	:= $(HSD_DIR)/hsd.h $(HSD_DIR)/daemon.h
HSD_NL		:= $(shell pkg-config --exists libnl-genl-3.0 2>/dev/null && echo y)
HSD_NL_CFLAGS	:= $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
HSD_NL_LIBS	:= $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
# what tests/handshaked_unit.c tests: no netlink socket, no GnuTLS
HSD_UNIT_SRCS	:= $(HSD_DIR)/config.c $(HSD_DIR)/attrs.c $(HSD_DIR)/log.c

.PHONY: handshake install-handshake clean-handshake

ifeq ($(HSD_NL),y)
all: handshake
install: install-handshake
handshake: $(HSD_BIN)
else
handshake:
	@echo "quic-handshaked needs libnl-genl-3.0 (Debian: libnl-genl-3-dev)" >&2
	@exit 1
endif

$(HSD_DIR)/%.o: $(HSD_DIR)/%.c $(HSD_HDRS) $(TOP)/libquic/internal.h \
		$(TOP)/libquic/netinet/quic.h $(TOP)/include/uapi/linux/quic.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -D_GNU_SOURCE $(HSD_NL_CFLAGS) -c -o $@ $<

$(HSD_BIN): $(HSD_OBJS) $(TOP)/libquic/libquic.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(HSD_OBJS) $(TOP)/libquic/libquic.a \
		$(HSD_NL_LIBS) -lgnutls -pthread

$(TOP)/tests/handshaked_unit: TEST_LIBS = $(HSD_UNIT_SRCS)
$(TOP)/tests/handshaked_unit: $(HSD_UNIT_SRCS) $(HSD_DIR)/hsd.h

install-handshake: $(HSD_BIN)
	install -D -m 755 $(HSD_BIN) $(DESTDIR)/usr/sbin/quic-handshaked
	install -D -m 644 $(HSD_DIR)/quic-handshaked.8 \
		$(DESTDIR)$(MANDIR)/man8/quic-handshaked.8
	install -D -m 644 $(HSD_DIR)/quic-handshaked.service \
		$(DESTDIR)/lib/systemd/system/quic-handshaked.service

clean: clean-handshake
clean-handshake:
	rm -f $(HSD_OBJS) $(HSD_BIN)

# rentark — GNU make, pkg-config, no autotools.
#
#   make                 build rentarkd, rentarkctl, rentark-session into $(BUILD)/
#   make check [T=NAMES] build with ASan+UBSan into build/san and run every test (or those named)
#   make check-valgrind  the daemon's tests with rentarkd under valgrind (build/vg, no sanitizers)
#   make system-test     the .deb on a booted Debian 12 kiosk: systemd, logind, PAM, LightDM, browsers
#   make bench           benchmarks (optimised build)
#   make fuzz            libFuzzer targets for FUZZ_SECONDS each (clang)
#   make update-po       extract the UI strings (xgettext) into po/rentark.pot, merge into po/*.po
#   make install DESTDIR=... PREFIX=...
#   make clean
#   make version         print the version (the first entry of debian/changelog)
#
# Variables: CC, BUILD, SAN=1 (sanitizers), WERROR=0 (warnings not fatal), V=1 (verbose);
# CFLAGS, CPPFLAGS, LDFLAGS are added to the project's own flags (never replace them).

# The version has one home, the first line of debian/changelog ("rentark (VERSION) ..."):
# the programs (RK_VERSION), their man pages, the translation template and the package all
# take it from there, so a release is one new changelog entry (dch -v VERSION).
VERSION    := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog 2>/dev/null)
ifeq ($(VERSION),)
$(error no version: the first line of debian/changelog must read "rentark (VERSION) ..." (run make in the source tree))
endif
CC         ?= cc
PKG_CONFIG ?= pkg-config
BUILD      ?= build
SAN        ?= 0
WERROR     ?= 1
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
LOCALEDIR  ?= $(PREFIX)/share/locale
DESTDIR    ?=
FUZZ_SECONDS ?= 60

ifeq ($(V),1)
Q :=
else
Q := @
endif

CORE_PKGS   := glib-2.0 gio-2.0 gio-unix-2.0 libconfig
SESSION_PKGS := gtk+-3.0 atk-bridge-2.0 x11 xext
# rentarkctl --json: JSON built and written by json-glib, never by hand.
CTL_PKGS     := json-glib-1.0

# CFLAGS, CPPFLAGS and LDFLAGS are the builder's (the command line, the environment,
# dpkg-buildflags): they come after the project's own flags below, which live in variables of
# their own, so "make CFLAGS+=-O0" or "make CPPFLAGS=-DX" never drops the include paths.
CFLAGS  ?= -O2 -g
RK_CPPFLAGS := -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -DRK_VERSION='"$(VERSION)"' \
               -DRK_SYSCONFDIR='"$(SYSCONFDIR)"' -DRK_LOCALEDIR='"$(LOCALEDIR)"' \
               -Icommon -Iagent
RK_CFLAGS := -std=gnu11 -Wall -Wextra -Wshadow -Wformat=2 -Wno-format-nonliteral -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter -fno-common -fstack-protector-strong
RK_LDFLAGS :=
ifeq ($(WERROR),1)
RK_CFLAGS += -Werror
endif
# Test hooks (wipe.c: RENTARK_TEST_AFTER_SWEEP) exist only in the builds the tests use.
TEST_HOOKS ?= $(SAN)
ifeq ($(TEST_HOOKS),1)
RK_CPPFLAGS += -DRK_TEST_HOOKS
endif
# The sanitizers' flags come last on the line: their -O1 wins over the builder's -O2.
RK_SAN_CFLAGS :=
ifeq ($(SAN),1)
RK_SAN_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -O1
RK_LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS  = $(RK_CPPFLAGS) $(CPPFLAGS) $(RK_CFLAGS) $(CFLAGS) $(RK_SAN_CFLAGS)
ALL_LDFLAGS = $(RK_LDFLAGS) $(LDFLAGS)

CORE_CFLAGS  := $(shell $(PKG_CONFIG) --cflags $(CORE_PKGS))
CORE_LIBS    := $(shell $(PKG_CONFIG) --libs $(CORE_PKGS))
SESSION_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(SESSION_PKGS) 2>/dev/null)
SESSION_LIBS   := $(shell $(PKG_CONFIG) --libs $(SESSION_PKGS) 2>/dev/null)
CTL_CFLAGS     := $(shell $(PKG_CONFIG) --cflags $(CTL_PKGS))
CTL_LIBS       := $(shell $(PKG_CONFIG) --libs $(CTL_PKGS))
# libinotifytools 3.22 ships no pkg-config file. libcups: pkg-config where cups.pc exists
# (CUPS 2.5), cups-config on Debian 12, whose libcups2-dev ships no .pc file.
CUPS_CFLAGS  := $(shell $(PKG_CONFIG) --cflags cups 2>/dev/null || cups-config --cflags 2>/dev/null)
CUPS_LIBS    := $(shell $(PKG_CONFIG) --libs cups 2>/dev/null || cups-config --libs 2>/dev/null || echo -lcups)
AGENT_LIBS   := -linotifytools -lcrypt $(CUPS_LIBS)

COMMON_SRC  := $(wildcard common/*.c)
AGENT_SRC   := $(filter-out agent/main.c,$(wildcard agent/*.c))
CTL_SRC     := $(wildcard ctl/*.c)
SESSION_SRC := $(wildcard session/*.c)
UNIT_SRC    := $(wildcard tests/unit/test-*.c)
HELPER_SRC  := $(wildcard tests/helpers/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

COMMON_LIB := $(BUILD)/libcommon.a
AGENT_LIB  := $(BUILD)/libagent.a
PROGS      := $(BUILD)/rentarkd $(BUILD)/rentarkctl $(BUILD)/rentark-session
# The man pages as installed: man/ holds them with @VERSION@ where the version goes.
MAN_PAGES  := $(patsubst man/%,$(BUILD)/man/%,$(wildcard man/*.[158]))
# The UI catalogues, built from po/ into $(BUILD)/locale (the tests' RENTARK_LOCALEDIR).
LINGUAS    := $(shell cat po/LINGUAS 2>/dev/null)
MO_FILES   := $(patsubst %,$(BUILD)/locale/%/LC_MESSAGES/rentark.mo,$(LINGUAS))
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
HELPER_BINS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(HELPER_SRC))

.PHONY: all check check-valgrind system-test test bench fuzz install uninstall clean tests update-po version
# Objects of tests and helpers are kept (no intermediate-file deletion, no needless rebuilds).
.SECONDARY:
all: $(PROGS) $(MO_FILES) $(MAN_PAGES)

version:
	@echo $(VERSION)

# Every object that compiles RK_VERSION in is rebuilt when the changelog (the version) changes.
$(call obj,$(shell grep -l RK_VERSION $(COMMON_SRC) $(AGENT_SRC) agent/main.c $(CTL_SRC) $(SESSION_SRC) \
    $(UNIT_SRC) $(HELPER_SRC) 2>/dev/null)): debian/changelog

$(BUILD)/man/%: man/% debian/changelog
	@mkdir -p $(@D)
	@echo "  MAN     $<"
	$(Q)sed -e 's/@VERSION@/$(VERSION)/g' $< >$@.tmp && mv $@.tmp $@

# msgfmt --check: a translation that drops or breaks a format is a build error.
$(BUILD)/locale/%/LC_MESSAGES/rentark.mo: po/%.po
	@mkdir -p $(@D)
	@echo "  MSGFMT  $<"
	$(Q)msgfmt --check -o $@ $<

# The strings marked with _() in the session client; each po/LANG.po is merged with them (new
# strings come in untranslated, changed ones fuzzy), then checked. No --package-version: the
# template is a tracked file, and a version in it would go stale at the next release (the
# catalogues say "rentark" alone too).
update-po:
	xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ --add-comments=TRANSLATORS \
	    --package-name=rentark --msgid-bugs-address=- \
	    --keyword=count_in_words:1,2 -o po/rentark.pot session/*.c
	for l in $(LINGUAS); do msgmerge --quiet --update --backup=none po/$$l.po po/rentark.pot && \
	    msgattrib --no-obsolete -o po/$$l.po po/$$l.po || exit 1; done
	for l in $(LINGUAS); do printf '%s: ' $$l; msgfmt --check --statistics -o /dev/null po/$$l.po || exit 1; done

$(BUILD)/session/%.o: session/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(CORE_CFLAGS) $(SESSION_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/ctl/%.o: ctl/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(CORE_CFLAGS) $(CTL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(CORE_CFLAGS) $(CUPS_CFLAGS) -MMD -MP -c -o $@ $<

$(COMMON_LIB): $(call obj,$(COMMON_SRC))
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(AGENT_LIB): $(call obj,$(AGENT_SRC))
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/rentarkd: $(BUILD)/agent/main.o $(AGENT_LIB) $(COMMON_LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CORE_LIBS) $(AGENT_LIBS)

$(BUILD)/rentarkctl: $(call obj,$(CTL_SRC)) $(COMMON_LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CORE_LIBS) $(CTL_LIBS) -lcrypt

$(BUILD)/rentark-session: $(call obj,$(SESSION_SRC)) $(COMMON_LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CORE_LIBS) $(SESSION_LIBS)

$(BUILD)/tests/test-%: $(BUILD)/tests/unit/test-%.o $(AGENT_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CORE_LIBS) $(AGENT_LIBS)

$(BUILD)/tests/helpers/%: $(BUILD)/tests/helpers/%.o $(AGENT_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CORE_LIBS) $(AGENT_LIBS)

# LD_PRELOAD shims for tests: never sanitized (under ASan the test preloads the ASan runtime
# first), no _FORTIFY_SOURCE (it would wrap the very calls a shim defines).
PRELOAD_SRC  := $(wildcard tests/preload/*.c)
PRELOAD_SOS  := $(patsubst tests/preload/%.c,$(BUILD)/tests/preload/%.so,$(PRELOAD_SRC))

$(BUILD)/tests/preload/%.so: tests/preload/%.c
	@mkdir -p $(@D)
	@echo "  SHLIB   $@"
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror) -fPIC -shared -o $@ $< -ldl

tests: $(PROGS) $(MO_FILES) $(MAN_PAGES) $(UNIT_BINS) $(HELPER_BINS) $(PRELOAD_SOS)

# The test suite runs against a sanitizer build of its own so that the release build in
# build/ stays as it is.
check:
	$(Q)$(MAKE) --no-print-directory BUILD=build/san SAN=1 tests
	$(Q)RK_BUILD=build/san tests/run.sh $(T)

test: check

# The daemon's tests once more with rentarkd under valgrind: memory errors and definite leaks
# fail the test (tests/daemon-env.sh finds valgrind's error markers in the daemon's log). A
# build of its own, optimised with -g and without sanitizers; VG_TESTS names the tests (1 min
# 45 s on 2 quiet CPUs, and 2 to 3 minutes more for test-daemon-hours, which waits for the
# wall clock).
# No --error-exitcode: a forked child (the reaper's kill child) is leak-checked at its _exit()
# too, where the thread-local data of the threads it did not inherit (GDBus's worker) counts
# as definitely lost; with an error exit code its status would become 99, which the reaper
# reads as an errno, and every wipe would fail. The children are silent; the daemon's own
# errors, and its definite leaks at exit, are marked in its log.
# test-daemon-soak starts its daemon itself, without the wrapper: here it checks the RSS of the
# plain build (2 MiB in 300 cycles), which its ASan run in make check cannot do tightly.
VG_TESTS ?= test-daemon-lifecycle test-daemon-metrics test-daemon-guided test-daemon-extend test-daemon-incident test-daemon-tmpfs test-daemon-watch \
            test-daemon-logind test-daemon-takeover test-daemon-mounthelper test-daemon-hours test-daemon-soak
VALGRIND := valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --track-fds=no \
            --child-silent-after-fork=yes --error-markers=RK-DAEMON-ERROR-BEGIN,RK-DAEMON-ERROR-END
check-valgrind:
	$(Q)command -v valgrind >/dev/null || { echo "check-valgrind: valgrind is not installed (scripts/deps.sh)"; exit 1; }
	$(Q)$(MAKE) --no-print-directory BUILD=build/vg SAN=0 TEST_HOOKS=1 tests
	$(Q)RK_BUILD=build/vg RK_DAEMON_WRAPPER="$(VALGRIND)" RK_TIME_SCALE=6 G_SLICE=always-malloc tests/run.sh $(VG_TESTS)

# The system test: the project's .deb installed with apt into a Debian 12 root (mmdebstrap,
# cached under /var/tmp/rentark-system) and booted with systemd as PID 1 (systemd-nspawn):
# logind, PAM, LightDM, real browsers. Screenshots in build/system-test/.
system-test:
	$(Q)RK_BUILD=build RK_SUITE=system tests/run.sh $(T)

bench:
	$(Q)$(MAKE) --no-print-directory BUILD=build tests
	$(Q)RK_BUILD=build scripts/bench.sh

# make fuzz [FUZZ_SECONDS=N] [FUZZ_NAMES="config proto"] [FUZZ_COVERAGE=1] [FUZZ_MERGE=1]
#   FUZZ_COVERAGE=1 also replays each final corpus through a coverage build (build/fuzz/cov/)
#   and prints the line coverage of the files under test; FUZZ_SECONDS=0 only replays.
#   FUZZ_MERGE=1 adds the inputs a run found that bring new coverage to tests/fuzz/corpus/NAME.
# UBSan must stop the run (-fno-sanitize-recover): a report that only prints is no finding.
FUZZ_CC      ?= clang
FUZZ_COVERAGE ?= 0
FUZZ_MERGE   ?= 0
FUZZ_COMMON  := -std=gnu11 -g -D_GNU_SOURCE -Icommon -Iagent \
                -DRK_VERSION='"$(VERSION)"' -DRK_SYSCONFDIR='"$(SYSCONFDIR)"'
FUZZ_FLAGS   := $(FUZZ_COMMON) -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_COV_FLAGS := $(FUZZ_COMMON) -O0 -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping
FUZZ_NAMES   ?= $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c))
FUZZ_TARGETS := $(FUZZ_NAMES:%=build/fuzz/fuzz-%)
FUZZ_COV_TARGETS := $(FUZZ_NAMES:%=build/fuzz/cov/fuzz-%)
# The notice loader belongs to the session client (not in COMMON_SRC/AGENT_SRC) and needs
# GLib only: no X library is linked into its fuzzer.
FUZZ_NOTICE_SRC := tests/fuzz/fuzz-notice.c session/notice.c

build/fuzz/fuzz-notice: $(FUZZ_NOTICE_SRC)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -Isession $(CORE_CFLAGS) -o $@ $^ $(CORE_LIBS)

build/fuzz/cov/fuzz-notice: $(FUZZ_NOTICE_SRC)
	@mkdir -p $(@D)
	@echo "  FUZZCOV $@"
	$(Q)$(FUZZ_CC) $(FUZZ_COV_FLAGS) -Isession $(CORE_CFLAGS) -o $@ $^ $(CORE_LIBS)

build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(COMMON_SRC) $(AGENT_SRC)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(CORE_CFLAGS) $(CUPS_CFLAGS) -o $@ $^ $(CORE_LIBS) $(AGENT_LIBS)

build/fuzz/cov/fuzz-%: tests/fuzz/fuzz-%.c $(COMMON_SRC) $(AGENT_SRC)
	@mkdir -p $(@D)
	@echo "  FUZZCOV $@"
	$(Q)$(FUZZ_CC) $(FUZZ_COV_FLAGS) $(CORE_CFLAGS) $(CUPS_CFLAGS) -o $@ $^ $(CORE_LIBS) $(AGENT_LIBS)

fuzz: $(FUZZ_TARGETS) $(if $(filter 1,$(FUZZ_COVERAGE)),$(FUZZ_COV_TARGETS))
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_COVERAGE=$(FUZZ_COVERAGE) FUZZ_MERGE=$(FUZZ_MERGE) \
	    scripts/fuzz.sh $(FUZZ_TARGETS)

BINDIR     := $(PREFIX)/bin
SBINDIR    := $(PREFIX)/sbin
LIBEXECDIR := $(PREFIX)/libexec
MANDIR     := $(PREFIX)/share/man
DATADIR    := $(PREFIX)/share/rentark
UNITDIR    ?= /lib/systemd/system
# The journal's message catalogue (journalctl -x): where systemd reads it, whatever PREFIX.
CATALOGDIR ?= /usr/lib/systemd/catalog

install: $(PROGS) $(MO_FILES) $(MAN_PAGES)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/rentark \
	           $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/rentarkd $(DESTDIR)$(SBINDIR)/rentarkd
	install -m 0755 $(BUILD)/rentarkctl $(DESTDIR)$(BINDIR)/rentarkctl
	install -m 0755 $(BUILD)/rentark-session $(DESTDIR)$(BINDIR)/rentark-session
	# LightDM's greeter-wrapper (config/lightdm/50-rentark.conf.in names it).
	install -d $(DESTDIR)$(LIBEXECDIR)/rentark
	sed -e 's|@BINDIR@|$(BINDIR)|g' config/lightdm/greeter-wrapper.in >$(DESTDIR)$(LIBEXECDIR)/rentark/greeter-wrapper
	chmod 0755 $(DESTDIR)$(LIBEXECDIR)/rentark/greeter-wrapper
	test -e $(DESTDIR)$(SYSCONFDIR)/rentark/rentark.conf || \
	    install -m 0600 config/rentark.conf $(DESTDIR)$(SYSCONFDIR)/rentark/rentark.conf
	cp -R config/notice $(DESTDIR)$(SYSCONFDIR)/rentark/
	for l in $(LINGUAS); do install -D -m 0644 $(BUILD)/locale/$$l/LC_MESSAGES/rentark.mo \
	    $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/rentark.mo || exit 1; done
	for m in $(MAN_PAGES); do \
	    install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done
	# The unit and the autostart entry name the programs by path: the installed ones.
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/xdg/autostart
	for u in config/systemd/*.service config/systemd/*.socket; do \
	    sed -e 's|/usr/sbin/rentarkd|$(SBINDIR)/rentarkd|g' $$u >$(DESTDIR)$(UNITDIR)/$${u##*/} && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; done
	sed -e 's|/usr/bin/rentark-session|$(BINDIR)/rentark-session|g' config/autostart/rentark-session.desktop \
	    >$(DESTDIR)$(SYSCONFDIR)/xdg/autostart/rentark-session.desktop
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/xdg/autostart/rentark-session.desktop
	# The catalogue explains the MESSAGE_IDs (journalctl -x). On the machine itself the database
	# is rebuilt now; a package leaves that to systemd's dpkg trigger on the folder.
	install -D -m 0644 config/journal/rentark.catalog $(DESTDIR)$(CATALOGDIR)/rentark.catalog
	if [ -z "$(DESTDIR)" ] && command -v journalctl >/dev/null; then journalctl --update-catalog || true; fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/rentarkd $(DESTDIR)$(BINDIR)/rentarkctl $(DESTDIR)$(BINDIR)/rentark-session
	rm -f $(DESTDIR)$(LIBEXECDIR)/rentark/greeter-wrapper
	-rmdir $(DESTDIR)$(LIBEXECDIR)/rentark 2>/dev/null
	rm -f $(DESTDIR)$(MANDIR)/man1/rentark* $(DESTDIR)$(MANDIR)/man5/rentark* $(DESTDIR)$(MANDIR)/man8/rentark*
	rm -f $(DESTDIR)$(UNITDIR)/rentarkd*.service $(DESTDIR)$(UNITDIR)/rentark-mount.service $(DESTDIR)$(UNITDIR)/rentark-mount.socket
	rm -f $(DESTDIR)$(SYSCONFDIR)/xdg/autostart/rentark-session.desktop
	rm -f $(patsubst %,$(DESTDIR)$(LOCALEDIR)/%/LC_MESSAGES/rentark.mo,$(LINGUAS))
	rm -f $(DESTDIR)$(CATALOGDIR)/rentark.catalog
	if [ -z "$(DESTDIR)" ] && command -v journalctl >/dev/null; then journalctl --update-catalog || true; fi

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

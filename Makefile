# SPDX-License-Identifier: GPL-2.0
#
# cowstat: build the module, the tools, and run the tests.
#
#   make                  cowstat.ko for KDIR (the running kernel's headers
#                         when installed, else the cached Debian 6.1) + cowtrace
#   make KVER=6.12        cowstat.ko for a cached Debian kernel, in build/6.12-amd64/
#                         (KVER=7: sid's, built in a sid build root)
#   make tools            cowtrace
#   make demo             the main job: a demo in the test VM
#   make check            every test; ends with "N passed, N failed, N skipped"
#   make stress           load/unload, churn, fuzz and invariants at length in
#                         the VM on 6.1, 6.12, 6.1-rt and 6.12-rt (STRESS_VMS;
#                         20-90 min each under TCG, two at a time)
#   make kunit            the KUnit suites in User-Mode Linux
#   make lint             checkpatch --strict and sparse on the kernel sources
#   make bench            what loading cowstat.ko costs (ratios, one VM boot per kernel),
#                         the interrupt latency it adds on the RT kernels, and
#                         its instructions per event, function by function
#   make deb              the Debian packages cowstat-dkms and cowtrace, in build/deb/
#   make deps             install what the project needs (Debian 12)
#   make clean

PROJECT := $(CURDIR)
FLAVOR ?= amd64
# The kernels make check builds for and tests on.
KERNELS ?= 6.1 6.12

# Sources of the module, copied to build/<kernel>/ for per-kernel builds.
MODULE_SOURCES := Kbuild $(shell find src include -name '*.[ch]' 2>/dev/null)

ifeq ($(KVER),7)
# Sid's headers pin gcc-16: kbuild runs in a sid build root that has them
# (scripts/buildroot), the project at its host path.
KDIR = $(shell $(PROJECT)/scripts/buildroot kdir $(FLAVOR))
KBUILD_RUN := $(PROJECT)/scripts/buildroot run --
MODULE_DIR := $(PROJECT)/build/$(KVER)-$(FLAVOR)
else ifdef KVER
KDIR = $(shell $(PROJECT)/scripts/kernels path $(KVER) $(FLAVOR))/build
MODULE_DIR := $(PROJECT)/build/$(KVER)-$(FLAVOR)
else
KDIR ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then \
	echo /lib/modules/$$(uname -r)/build; else \
	echo "$$($(PROJECT)/scripts/kernels path 6.1 $(FLAVOR))/build"; fi)
MODULE_DIR := $(PROJECT)
endif

.PHONY: all module tools demo check stress kunit lint bench deb deps clean help

all: module tools

module: $(MODULE_SOURCES)
ifdef KVER
	@mkdir -p $(MODULE_DIR)
	@rsync -a --delete --include='*/' --include='Kbuild' --include='*.[ch]' \
		--exclude='*' --prune-empty-dirs \
		$(PROJECT)/Kbuild $(PROJECT)/src $(PROJECT)/include $(MODULE_DIR)/
endif
	$(KBUILD_RUN) $(MAKE) -C $(KDIR) M=$(MODULE_DIR) modules

tools:
	$(MAKE) -C tools/cowtrace

demo:
	@scripts/deps
	@scripts/demo

check:
	@scripts/deps
	@scripts/check

stress:
	@scripts/deps
	@scripts/check stress

kunit:
	@scripts/kunit

lint:
	@scripts/lint

bench:
	@scripts/deps
	@bench/run
	@bench/latency
	@bench/insnprof/run

deb:
	@scripts/deps
	@scripts/deb

deps:
	@scripts/deps

clean:
	rm -rf build cowstat.ko cowstat.mod cowstat.mod.c cowstat.o modules.order \
		Module.symvers .*.cmd
	find src -name '*.o' -o -name '.*.cmd' | xargs rm -f
	$(MAKE) -C tools/cowtrace clean 2>/dev/null || true
	$(MAKE) -C tests clean 2>/dev/null || true
	$(MAKE) -C bench clean 2>/dev/null || true

help:
	@sed -n '3,20s/^# \{0,1\}//p' Makefile

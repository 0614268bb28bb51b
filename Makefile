# SPDX-License-Identifier: GPL-2.0
# memslot top-level build. See README.
#
#   make deps       install the Debian packages the project needs (apt)
#   make            module for the newest installed 6.1 and 6.12 kernels and
#                   7.3 (fetched into build/ by tools/kbuild-7.sh; KVER=<release>
#                   for one, e.g. KVER=$(uname -r) on a host),
#                   libmemslot, tools, selftests
#   make check      unit tests (ASan+UBSan), spec/codegen and checkpatch
#                   checks, then the kselftests in a VM on 6.1, 6.12, 7.3
#   make demo       boot the test VM and run the demo
#   make bench      memslot-bench in the test VM: figures and ratios against
#                   plain KVM ioctls measured in the same run
#   make fuzz       memslot-fuzz in the test VM, FUZZ_N messages (1000000)
#   make check-debug  the kselftests on a 6.12 debug kernel (KASAN, lockdep,
#                   kmemleak), built from linux-source-6.12 into build/
#   make vm-shell   boot the test VM (KVER=...) with a shell
#   make regen      regenerate uAPI + policies from the YAML spec
#   make install    install module (KVER), library, header, tools

TOP := $(CURDIR)
B := $(TOP)/build
KSRC := $(B)/src-6.12
KSRC61 := $(B)/src-6.1
SHELL := /bin/bash

newest = $(shell ls -d /usr/src/linux-headers-$(1)*-amd64 2>/dev/null | \
	sed 's|.*/linux-headers-||' | sort -V | tail -n1)
# The current kernel, which bookworm's apt does not carry: fetched and
# mended for this toolchain into build/kernel-$(KVER7) by tools/kbuild-7.sh.
KVER7 := 7.3.4+deb13-amd64
ifeq ($(KVER),)
KVERS := $(call newest,6.1.) $(call newest,6.12.) $(KVER7)
else
KVERS := $(KVER)
endif
kdir = $(firstword $(wildcard /lib/modules/$(1)/build) \
	$(wildcard $(B)/kernel-$(1)/root/usr/src/linux-headers-$(1)) \
	/usr/src/linux-headers-$(1))
# The same in a recipe's shell loop, for the kernel in $$v.
sh_kdir = k=/lib/modules/$$v/build; \
	[ -d $$k ] || k=$(B)/kernel-$$v/root/usr/src/linux-headers-$$v; \
	[ -d $$k ] || k=/usr/src/linux-headers-$$v

all: modules lib tools selftests

deps:
	@tools/deps.sh

kvers:
	@echo $(KVERS)

$(KSRC)/.memslot-extracted:
	@tools/ksrc.sh 6.12 $(KSRC)
$(KSRC61)/.memslot-extracted:
	@tools/ksrc.sh 6.1 $(KSRC61)
ksrc: $(KSRC)/.memslot-extracted
kernel7:
	@$(if $(filter $(KVER7),$(KVERS)),tools/kbuild-7.sh $(KVER7) >/dev/null)

# One build directory per kernel (kbuild builds next to the sources).
# drivers/vfio/vfio.h (the IOMMU backend ops) comes from the kernel
# source of the same series: vfio_internal.h in the build directory.
# Another kernel: VFIO_H=<its source>/drivers/vfio/vfio.h.
modules: $(KSRC)/.memslot-extracted $(KSRC61)/.memslot-extracted kernel7
	@test -n "$(strip $(KVERS))" || { echo "no kernel headers: make deps" >&2; exit 1; }
	@set -e; for v in $(KVERS); do \
		d=$(B)/kmod-$$v; mkdir -p $$d; \
		for f in $(TOP)/kmod/*.[ch] $(TOP)/kmod/Kbuild $(TOP)/kmod/include; do \
			ln -sfn $$f $$d/; done; \
		case $$v in 6.1.*) h=$(KSRC61)/drivers/vfio/vfio.h;; \
			7.*) h=$(B)/src-$$(echo $$v | cut -d. -f1,2)/drivers/vfio/vfio.h;; \
			*) h=$(KSRC)/drivers/vfio/vfio.h;; esac; \
		ln -sfn $(or $(VFIO_H),$$h) $$d/vfio_internal.h; \
		echo "  KMOD    $$v"; \
		$(sh_kdir); \
		a=; case $$k in $(B)/*) a=$$(cat $(B)/kernel-$$v/kbuild.args);; esac; \
		$(MAKE) -s -C $$k M=$$d W=1 $$a \
			MEMSLOT_VERSION=$$(git describe --always --dirty 2>/dev/null || echo unknown) \
			modules 2>&1 | grep -v 'Skipping BTF generation' || true; \
		test -f $$d/memslot.ko; \
	done

lib:
	@$(MAKE) -s -C lib
tools: lib
	@$(MAKE) -s -C tools
selftests: ksrc lib
	@$(MAKE) -s -C selftests KSFT_DIR=$(KSRC)/tools/testing/selftests

# Host unit tests of the module's pure code.
UNIT_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -Wall -D_GNU_SOURCE -I$(KSRC)/tools/include \
	-I$(KSRC)/tools/testing/selftests
$(B)/unit/layout_test: kmod/test/layout_test.c kmod/layout.c kmod/layout.h ksrc
	@mkdir -p $(B)/unit
	$(CC) $(UNIT_CFLAGS) -o $@ kmod/test/layout_test.c kmod/layout.c \
		$(KSRC)/tools/lib/rbtree.c
unit: $(B)/unit/layout_test

regen: ksrc
	tools/ynl-regen.sh $(KSRC)

# LINUX_VERSION_CODE: compat.h, the one place allowed to test versions,
# needs it once (iommu_map() gained a gfp_t in 6.3 and no macro tells).
CHECKPATCH := $(KSRC)/scripts/checkpatch.pl --strict --no-tree --quiet \
	--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG,LINUX_VERSION_CODE
KMOD_SRC := $(filter-out kmod/netlink-gen.c kmod/netlink-gen.h,$(wildcard kmod/*.[ch]))

check: deps
	@tools/check.sh

# The suite on a 6.12 debug kernel (KASAN, lockdep, kmemleak, fault
# injection) built from linux-source-6.12 into build/debug-kernel (cached).
check-debug: deps all
	@mkdir -p $(B)/check
	@tools/check-debug.sh

# Pieces of "make check", each usable alone.
check-static: ksrc
	@tools/ynl-regen.sh $(KSRC) --check
	@$(CHECKPATCH) -f $(KMOD_SRC) kmod/test/*.c && echo "checkpatch: clean"

# memslot.ko imports from KVM only kvm_get_kvm/kvm_put_kvm, on every kernel.
check-kvm-abi: modules
	@tools/check-kvm-abi.sh $(KVERS)

vm-test: all
	@tools/vm/run-tests.sh $(KVERS)

bench: all
	@tools/vm/run-bench.sh $(KVERS)

# memslot-fuzz for long (FUZZ_N=1000000 messages by default) in the VM.
fuzz: all
	@tools/vm/run-fuzz.sh $(KVERS)

demo: deps all
	@tools/vm/run-demo.sh $(firstword $(filter 6.12.%,$(KVERS)) $(KVERS))

# QEMU 10.0 with tools/qemu/patches, KVM only, into build/qemu-* (issue 14).
qemu: deps
	@tools/qemu/build.sh

vm-shell: all
	@v=$(firstword $(KVERS)); mkdir -p $(B)/vm-$$v; \
	tools/vm/vm.sh shell $$v $(B)/kmod-$$v/memslot.ko $(B)/vm-$$v \
		$(addprefix $(TOP)/selftests/,memslot_genl_test memslot_vm_test memslot_lib_test memslot_module_test) \
		$(TOP)/tools/memslotctl:bin

# make install [KVER=...] [PREFIX=/usr/local] [DESTDIR=...]: the module of
# KVER (the first kernel built otherwise) under DESTDIR/lib/modules/KVER/
# updates (depmod only when installing into the running system), the
# library, header and .pc under PREFIX, the tools and the man page.
PREFIX ?= /usr/local
IKVER := $(firstword $(KVERS))
install: all
	$(MAKE) -s -C $(call kdir,$(IKVER)) M=$(B)/kmod-$(IKVER) \
		INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates \
		$(if $(DESTDIR),DEPMOD=true) modules_install
	$(MAKE) -s -C lib install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	install -D -m 755 tools/memslotctl $(DESTDIR)$(PREFIX)/sbin/memslotctl
	install -D -m 755 tools/memslot-demo $(DESTDIR)$(PREFIX)/bin/memslot-demo
	install -D -m 644 Documentation/man/memslotctl.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/memslotctl.8

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(IKVER)/updates/memslot.ko*
	$(if $(DESTDIR),,depmod $(IKVER))
	$(MAKE) -s -C lib uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	rm -f $(DESTDIR)$(PREFIX)/sbin/memslotctl $(DESTDIR)$(PREFIX)/bin/memslot-demo \
	      $(DESTDIR)$(PREFIX)/share/man/man8/memslotctl.8

clean:
	rm -rf $(filter-out $(KSRC) $(KSRC61),$(wildcard $(B)/*))
	$(MAKE) -s -C lib clean
	$(MAKE) -s -C tools clean
	$(MAKE) -s -C selftests clean

distclean: clean
	rm -rf $(B)

.PHONY: qemu all deps kvers ksrc modules lib tools selftests unit regen check \
	check-static check-kvm-abi kernel7 vm-test demo bench fuzz check-debug vm-shell \
	install uninstall clean distclean

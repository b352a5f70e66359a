# hv: a small type-1 hypervisor for x86-64 (see README.md).
#
#   make          build build/hv.efi (the one file to install)
#   make run      boot it with examples/hv.cfg in the best emulator here
#   make test     install what is missing, build, run every test
#   make bench    performance figures (not part of make test)
#   make fuzz     host libFuzzer targets, FUZZ_RUNS executions each
#
# The kernel (arch/ kernel/ vmx/ drivers/) is freestanding C linked at
# KERNEL_VBASE by linker.ld; boot/ is a gnu-efi application that carries the
# kernel ELF inside it.  newlib is built from Debian's newlib-source.

BUILD := build
CC := gcc
LD := ld
OBJCOPY := objcopy
PYTHON := python3

DEB_PKGS := gcc make binutils gnu-efi newlib-source xz-utils python3 \
	    qemu-system-x86 ovmf bochs bochs-term bochsbios vgabios mtools \
	    busybox-static cpio gzip clang libclang-rt-14-dev e2fsprogs

GCC_INCLUDE := $(shell $(CC) -print-file-name=include)
LIBGCC := $(shell $(CC) -print-libgcc-file-name)

# ---- newlib (integer parts only, built with the kernel's code rules) ----
NEWLIB_TAR := /usr/src/newlib/newlib-3.3.0.tar.xz
NEWLIB_DIR := $(BUILD)/newlib
NEWLIB_LIBC := $(NEWLIB_DIR)/libc.a
# Indirect branches through arch/retpoline.S's thunks: code that runs in
# VMX root (the kernel and newlib) never takes an indirect branch target
# from predictions a guest trained (Spectre v2).
RETPOLINE := -mindirect-branch=thunk-extern -mindirect-branch-register

NEWLIB_INC := $(NEWLIB_DIR)/include
# -fpie: the same archive links into the kernel (fixed high address) and
# into the position-independent UEFI stage.
NEWLIB_CFLAGS := -O2 -g0 -ffreestanding -fno-stack-protector -fpie \
		 -mno-red-zone -mgeneral-regs-only -ffunction-sections -fdata-sections \
		 $(RETPOLINE)

# ---- common C rules ----
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
FREESTANDING := -std=c11 -ffreestanding -fno-stack-protector \
		-mno-red-zone -mgeneral-regs-only -fno-omit-frame-pointer \
		-nostdinc -isystem $(NEWLIB_INC) -isystem $(GCC_INCLUDE) \
		-O2 -g $(WARN)

# One section per function and object: the link drops what nothing calls
# (newlib's second printf engine, for one).
KERNEL_CFLAGS := $(FREESTANDING) -fno-pic -mcmodel=kernel -fno-common \
		 -ffunction-sections -fdata-sections $(RETPOLINE)
# The UEFI stage runs once: built for size (-Os, unused functions
# collected), as is everything hv.efi carries, so that it stays small.
BOOT_CFLAGS := $(FREESTANDING) -fpic -fshort-wchar \
	       -maccumulate-outgoing-args -DEFI_FUNCTION_WRAPPER \
	       -I/usr/include/efi -I/usr/include/efi/x86_64 \
	       -Wno-strict-prototypes -Os -ffunction-sections -fdata-sections

# vmx/asm_offsets.c is compiled to assembly only (see ASM_OFFSETS below).
KERNEL_SRCS := $(filter-out vmx/asm_offsets.c,\
		$(wildcard arch/*.c kernel/*.c vmx/*.c drivers/*.c))
KERNEL_ASM := $(wildcard arch/*.S vmx/*.S)
KERNEL_OBJS := $(patsubst %,$(BUILD)/kernel/%.o,$(KERNEL_SRCS) $(KERNEL_ASM))

# The hv.cfg parser (kernel, UEFI stage and host tests build all three).
CONFIG_SRCS := kernel/config.c kernel/config_keys.c kernel/config_passthrough.c \
	       kernel/config_placement.c

# The UEFI stage shares the pure code: config parser, ELF parser, paging
# builder, VT-x rules and the UART driver.
BOOT_SHARED := $(CONFIG_SRCS) kernel/elf.c arch/paging.c vmx/vmx_caps.c \
	       drivers/uart16550.c
BOOT_SRCS := $(wildcard boot/*.c) $(BOOT_SHARED)
# arch/retpoline.S too: the UEFI stage links the same newlib.
BOOT_OBJS := $(patsubst %,$(BUILD)/boot/%.o,$(BOOT_SRCS) boot/handoff.S \
	       arch/retpoline.S)

# ---- host unit tests (pure logic, sanitizers on) ----
UNIT_CFLAGS := -std=c11 -g -O1 $(WARN) -fsanitize=address,undefined \
	       -fno-sanitize-recover=all -fno-omit-frame-pointer -Itests/unit \
	       -pthread -DHV_UNIT_HOST
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,\
		$(wildcard tests/unit/test_*.c))
# Which kernel sources each unit test exercises.
UNIT_DEPS_test_config := $(CONFIG_SRCS)
UNIT_DEPS_test_config_errors := $(CONFIG_SRCS)
UNIT_DEPS_test_config_passthrough := $(CONFIG_SRCS)
UNIT_DEPS_test_config_placement := $(CONFIG_SRCS)
UNIT_DEPS_test_paging := arch/paging.c
UNIT_DEPS_test_elf := kernel/elf.c
UNIT_DEPS_test_vmx_caps := vmx/vmx_caps.c
UNIT_DEPS_test_acpi := kernel/acpi_s5.c
UNIT_DEPS_test_acpi_tables := kernel/acpi_tables.c kernel/acpi_s5.c \
			     kernel/acpi_madt.c
UNIT_DEPS_test_insn_decode := vmx/insn_decode.c
UNIT_DEPS_test_vmx_controls := vmx/vmx_adjust.c
UNIT_DEPS_test_pci_bar := drivers/pci_bar.c
UNIT_DEPS_test_sched := kernel/sched.c kernel/sched_credit.c kernel/sched_place.c \
	kernel/spinlock.c
UNIT_DEPS_test_sched_policy := kernel/sched_credit.c kernel/sched_place.c
UNIT_DEPS_test_multiboot_image := kernel/multiboot_image.c kernel/elf.c
UNIT_DEPS_test_multiboot_layout := kernel/multiboot_layout.c kernel/multiboot_image.c \
				 kernel/elf.c
UNIT_DEPS_test_multiboot2 := kernel/multiboot2_header.c kernel/multiboot2_info.c \
			   kernel/multiboot_layout.c kernel/multiboot_image.c kernel/elf.c
UNIT_DEPS_test_spec_ctrl := arch/spec_ctrl.c
UNIT_DEPS_test_xcr0 :=
UNIT_DEPS_test_host_ports := kernel/host_ports.c
UNIT_DEPS_test_io_bus := kernel/io_bus.c
UNIT_DEPS_test_vpic := drivers/vpic.c kernel/io_bus.c kernel/spinlock.c
UNIT_DEPS_test_virtq := drivers/virtq.c
UNIT_DEPS_test_vswitch := drivers/vswitch.c kernel/spinlock.c
UNIT_DEPS_test_msi := drivers/msi.c
UNIT_DEPS_test_vpit := drivers/vpit.c kernel/io_bus.c kernel/spinlock.c
UNIT_DEPS_test_vioapic := drivers/vioapic.c kernel/io_bus.c kernel/spinlock.c
UNIT_DEPS_test_vlapic := drivers/vlapic.c kernel/io_bus.c kernel/spinlock.c
UNIT_DEPS_test_vuart := drivers/vuart.c kernel/io_bus.c kernel/spinlock.c
UNIT_DEPS_test_vuart_smp := drivers/vuart.c kernel/io_bus.c kernel/spinlock.c
UNIT_DEPS_test_vlapic_smp := drivers/vlapic.c drivers/vioapic.c \
	kernel/io_bus.c kernel/spinlock.c
UNIT_DEPS_test_ept_audit := kernel/ept_audit.c arch/paging.c

# ---- host fuzzers (libFuzzer, ASan, UBSan; tests/fuzz/) ----
FUZZ_CC := clang
FUZZ_CFLAGS := -std=c11 -g -O1 $(WARN) -fno-omit-frame-pointer \
	       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_RUNS := 10000000
FUZZERS := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz/%,\
	     $(wildcard tests/fuzz/fuzz_*.c))
# Which kernel sources each fuzzer exercises.
FUZZ_DEPS_fuzz_config := $(CONFIG_SRCS)
FUZZ_DEPS_fuzz_elf := kernel/elf.c
FUZZ_DEPS_fuzz_multiboot := kernel/multiboot_image.c kernel/elf.c
FUZZ_DEPS_fuzz_multiboot2 := kernel/multiboot2_header.c kernel/multiboot2_info.c \
			   kernel/multiboot_layout.c kernel/multiboot_image.c kernel/elf.c
FUZZ_DEPS_fuzz_bzimage := kernel/bzimage.c
FUZZ_DEPS_fuzz_insn_decode := vmx/insn_decode.c
FUZZ_DEPS_fuzz_acpi_madt := kernel/acpi_madt.c
FUZZ_DEPS_fuzz_acpi_s5 := kernel/acpi_s5.c
FUZZ_DEPS_fuzz_virtq := drivers/virtq.c

# ---- test guests: 32-bit Multiboot kernels (tests/guests/) ----
GUEST_CFLAGS := -m32 -march=i686 -std=c11 -ffreestanding -fno-pic \
		-fno-stack-protector -fno-builtin -O2 -g $(WARN) \
		-nostdinc -isystem $(GCC_INCLUDE)
# A guest is one tests/guests/NAME.c, or a directory tests/guests/NAME/
# whose .c files (and its own headers) make one NAME.elf.
GUEST_DIRS := $(patsubst tests/guests/%/,%,\
		$(sort $(dir $(wildcard tests/guests/*/*.c))))
guest_dir_objs = $(patsubst tests/guests/%.c,$(BUILD)/guests/%.o,\
		$(wildcard tests/guests/$(1)/*.c))
GUEST_NAMES := $(basename $(notdir $(filter-out tests/guests/lib.c \
		tests/guests/ap.c,$(wildcard tests/guests/*.c)))) $(GUEST_DIRS)
GUESTS := $(patsubst %,$(BUILD)/guests/%.elf,$(GUEST_NAMES)) \
	  $(BUILD)/guests/mbinfo_low.elf $(BUILD)/guests/mbinfo64.elf \
	  $(BUILD)/guests/mb2_needfb.elf $(BUILD)/guests/mb2_needefi.elf
GUEST_LIB := $(BUILD)/guests/start.o $(BUILD)/guests/lib.o
# Optional pieces, linked into the guests that use them (an archive, last
# on the link line): ap.c starts the other vCPUs.
GUEST_ARCHIVE := $(BUILD)/guests/libguest.a

.SECONDARY:
.PHONY: all deps test run bench unit guests linux clean distclean \
	fuzzers fuzz fuzz-host
all: $(BUILD)/hv.efi guests
guests: $(GUESTS)

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
	    --no-install-recommends $$missing; \
	fi

# The flags newlib was built with, recorded beside it: when they change,
# it is built again (a build tree from before the retpolines would keep
# printf's indirect calls).
NEWLIB_FLAGS := $(NEWLIB_DIR)/cflags
# Everything linked with it goes too: with .SECONDARY, a missing libc.a
# alone would not be rebuilt while kernel.elf looks up to date.
ifneq ($(file < $(NEWLIB_FLAGS)),$(NEWLIB_CFLAGS))
$(shell rm -rf $(NEWLIB_LIBC) $(BUILD)/kernel $(BUILD)/boot $(BUILD)/kernel.elf \
  $(BUILD)/hv.so $(BUILD)/hv.efi)
endif

$(NEWLIB_LIBC): $(NEWLIB_TAR)
	@echo "  NEWLIB  $@ (first build only, about 2 minutes)"
	@rm -rf $(NEWLIB_DIR) && mkdir -p $(NEWLIB_DIR)/obj $(NEWLIB_DIR)/flat
	@tar -C $(NEWLIB_DIR) -xf $(NEWLIB_TAR)
	@cd $(NEWLIB_DIR)/obj && ../newlib-salsa/configure \
	  --target=x86_64-elf --disable-multilib --disable-libgloss \
	  --disable-newlib-io-float --disable-newlib-supplied-syscalls \
	  --enable-newlib-nano-malloc --enable-newlib-io-c99-formats \
	  --enable-newlib-io-long-long \
	  CC_FOR_TARGET=$(CC) AR_FOR_TARGET=ar RANLIB_FOR_TARGET=ranlib \
	  AS_FOR_TARGET=as LD_FOR_TARGET=ld NM_FOR_TARGET=nm \
	  CFLAGS_FOR_TARGET="$(NEWLIB_CFLAGS)" > ../configure.log 2>&1
	@# The floating-point files cannot compile without SSE ("SSE register
	@# return with SSE disabled"); -k builds every integer part regardless.
	@$(MAKE) -C $(NEWLIB_DIR)/obj -k all-target-newlib \
	  > $(NEWLIB_DIR)/build.log 2>&1 || true
	@# Machine-specific objects go last so they replace the generic ones.
	@cd $(NEWLIB_DIR)/obj/x86_64-elf/newlib/libc && \
	  for d in $$(ls -d */ | grep -v machine) machine/x86_64/; do \
	    cp $$d/lib_a-*.o ../../../../flat/ 2>/dev/null || true; done
	@cd $(NEWLIB_DIR)/flat && ar rcs ../libc.a.tmp *.o
	@for sym in snprintf vsnprintf memcpy memset strtoul qsort malloc free; do \
	  nm $(NEWLIB_DIR)/libc.a.tmp | grep -q " T $$sym$$" || \
	  { echo "newlib: $$sym missing, see $(NEWLIB_DIR)/build.log"; exit 1; }; done
	@mkdir -p $(NEWLIB_INC)
	@cp -r $(NEWLIB_DIR)/newlib-salsa/newlib/libc/include/. $(NEWLIB_INC)/
	@cp -r $(NEWLIB_DIR)/obj/x86_64-elf/newlib/targ-include/. $(NEWLIB_INC)/
	@mv $(NEWLIB_DIR)/libc.a.tmp $@
	@echo '$(NEWLIB_CFLAGS)' > $(NEWLIB_FLAGS)

# Kernel code that runs once or seldom (hv.cfg, loading images, ACPI,
# start-up, self-tests, the monitor, VM requests; host CPU set-up; PCI config space and
# the devices guests touch rarely, the legacy PIT and PIC included, which
# guests leave for the local APIC once up, and the I/O APIC; CR-access
# exits, rare with EPT) is built for size, so hv.efi stays
# small; the exit path (vmx/), the other devices, the rest of arch/ and
# these run on every exit or slice and stay -O2.
KERNEL_HOT := kernel/sched.c kernel/sched_credit.c kernel/sched_place.c \
	      kernel/io_bus.c kernel/vm_irq.c kernel/vm_console.c kernel/fpu.c \
	      kernel/spinlock.c kernel/console.c
KERNEL_COLD := $(filter-out $(KERNEL_HOT),$(filter kernel/%.c,$(KERNEL_SRCS))) \
	       arch/smp.c arch/gdt.c arch/idt.c arch/ioapic.c arch/tsc.c \
	       arch/stacktrace.c arch/trap.c arch/spec_ctrl.c arch/paging.c \
	       arch/mmu.c arch/extable.c \
	       drivers/pci.c drivers/pci_bar.c drivers/vpci.c drivers/vpci_func.c \
	       drivers/fw_cfg.c drivers/pc_testdev.c drivers/vrtc.c \
	       drivers/vacpi_pm.c drivers/virtio_pci.c drivers/virtio_blk.c \
	       drivers/virtq.c drivers/msix.c drivers/msi.c drivers/virtio_net.c \
	       drivers/vswitch.c drivers/vpit.c drivers/vpic.c drivers/virtio_console.c \
	       vmx/vcpu_state.c vmx/vmcs_setup.c vmx/vmx.c vmx/vmx_caps.c \
	       vmx/exit_cr.c drivers/vioapic.c \
	       vmx/vmx_controls.c vmx/vmx_adjust.c
$(patsubst %,$(BUILD)/kernel/%.o,$(KERNEL_COLD)): KERNEL_CFLAGS += -Os

# Every object waits for newlib's headers.
$(BUILD)/kernel/%.c.o: %.c $(NEWLIB_LIBC)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

# The numbers the assembly shares with C (register-block offsets, VMCS
# encodings) come from the C headers at build time: asm_offsets.c compiled
# with -S leaves "->NAME value" lines, which become #defines.  A header
# change regenerates it (the -MMD below); a broken contract stops the build.
ASM_OFFSETS := $(BUILD)/gen/asm_offsets.h
$(BUILD)/gen/asm_offsets.s: vmx/asm_offsets.c $(NEWLIB_LIBC)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (-S)"
	@$(CC) $(KERNEL_CFLAGS) -MMD -MP -S $< -o $@

$(ASM_OFFSETS): $(BUILD)/gen/asm_offsets.s
	@echo "  GEN     $@"
	@{ echo "/* Generated from vmx/asm_offsets.c: do not edit. */"; \
	  sed -n 's/^[[:space:]]*\.ascii[[:space:]]*"->\([A-Z0-9_]*\) \([0-9]*\)"$$/#define \1 \2/p' $<; \
	} > $@.tmp
	@test "$$(grep -c '^#define' $@.tmp)" = "$$(grep -c -- '->' $<)" || \
	  { echo "$@: unparsed lines in $<"; rm -f $@.tmp; exit 1; }
	@mv $@.tmp $@

$(BUILD)/kernel/%.S.o: %.S $(ASM_OFFSETS)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) -I$(BUILD)/gen -MMD -MP -c $< -o $@

$(BUILD)/kernel.elf: $(KERNEL_OBJS) linker.ld $(NEWLIB_LIBC)
	@echo "  LD      $@"
	@$(LD) -nostdlib -static -n -z max-page-size=4096 -z noexecstack --gc-sections \
	  -T linker.ld -o $@ $(KERNEL_OBJS) $(NEWLIB_LIBC) $(LIBGCC)
	@# Root mode takes no indirect branch a guest could have trained
	@# (arch/retpoline.S): none may be left outside the thunks.
	@if objdump -d $@ | grep -qE '(call|jmp) +\*'; then \
	  echo "$@: indirect branches without a retpoline:"; \
	  objdump -d $@ | grep -E '(call|jmp) +\*' | head; rm -f $@; exit 1; fi

$(BUILD)/boot/%.c.o: %.c $(NEWLIB_LIBC)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (uefi)"
	@$(CC) $(BOOT_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/boot/%.S.o: %.S
	@mkdir -p $(dir $@)
	@$(CC) -c $< -o $@

# hv.efi carries the kernel without its symbols and debug information;
# build/kernel.elf keeps them, for gdb and for reading backtraces.
$(BUILD)/kernel.stripped.elf: $(BUILD)/kernel.elf
	@$(OBJCOPY) --strip-all $< $@

$(BUILD)/boot/kernel_blob.o: boot/kernel_blob.S $(BUILD)/kernel.stripped.elf
	@mkdir -p $(dir $@)
	@$(CC) -c -DKERNEL_ELF='"$(BUILD)/kernel.stripped.elf"' $< -o $@

# gnu-efi's link map, with two changes for code built with one section
# per function and object: the PE relocation block crt0 carries is kept
# (nothing references it, and without it the firmware refuses the image:
# "Invalid Parameter"), and `.bss.NAME` sections go into .data with
# `.bss` (the map names only `.bss`; an orphan .bss.NAME would lie past
# the end of the PE image, and the stage's statics would overwrite
# whatever the firmware put there: the files it loads, the kernel).
$(BUILD)/efi.lds: /usr/lib/elf_x86_64_efi.lds
	@mkdir -p $(dir $@)
	@sed -e 's/^\( *\)\*(\.reloc)$$/\1KEEP(*(.reloc))/' \
	     -e 's/^\( *\)\*(\.bss)$$/\1*(.bss .bss.*)/' \
	     -e 's/^\( *\)\*(\.sbss)$$/\1*(.sbss .sbss.*)/' $< > $@.tmp
	@grep -q 'KEEP(\*(\.reloc))' $@.tmp && grep -q '(\.bss \.bss\.\*)' $@.tmp \
	  || { echo "$@: $< does not look as expected"; exit 1; }
	@mv $@.tmp $@

# --exclude-libs: symbols of libc.a and gnu-efi's archives are not
# exported, so what the stage does not call is collected too.
$(BUILD)/hv.so: $(BOOT_OBJS) $(BUILD)/boot/kernel_blob.o $(NEWLIB_LIBC) $(BUILD)/efi.lds
	@echo "  LD      $@"
	@$(LD) -nostdlib -znocombreloc -z noexecstack --gc-sections \
	  --exclude-libs=ALL \
	  -T $(BUILD)/efi.lds -shared -Bsymbolic -L/usr/lib \
	  /usr/lib/crt0-efi-x86_64.o $(BOOT_OBJS) $(BUILD)/boot/kernel_blob.o \
	  -o $@ -lefi -lgnuefi $(NEWLIB_LIBC)
	@# -shared links with symbols missing, but the EFI image keeps no
	@# dynamic relocations for them: a call through one would crash.
	@if nm -u $@ | grep -q .; then echo "$@: undefined:"; nm -u $@; \
	  rm -f $@; exit 1; fi
	@# Every section the stage writes must be inside the PE image.
	@if readelf -SW $@ | grep -Eq '\] \.(s?bss[^ ]*|data[^ ]+) '; then \
	  echo "$@: sections outside .data:"; readelf -SW $@ | \
	  grep -E '\] \.(s?bss[^ ]*|data[^ ]+) '; rm -f $@; exit 1; fi

# --strip-all: no COFF symbol table in hv.efi (13 KiB that no firmware
# reads); hv.so keeps the symbols for gdb.
$(BUILD)/hv.efi: $(BUILD)/hv.so
	@echo "  EFI     $@"
	@$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym \
	  -j .rel -j .rela -j .reloc --strip-all \
	  --target efi-app-x86_64 --subsystem=10 \
	  $< $@

.SECONDEXPANSION:
$(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/unit.h $$(UNIT_DEPS_$$*)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	@$(CC) $(UNIT_CFLAGS) -MMD -MP $< $(UNIT_DEPS_$*) -o $@

unit: $(UNIT_TESTS)

$(BUILD)/tests/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $$(FUZZ_DEPS_$$*)
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP $< $(FUZZ_DEPS_$*) -o $@

fuzzers: $(FUZZERS)

# ---- a real guest: Debian's own kernel, and a busybox initramfs ----
LINUX_DIR := $(BUILD)/linux
linux: $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/initrd.img $(LINUX_DIR)/disk.img

# The kernel that linux-image-amd64 currently depends on, unmodified, and
# the modules the tests load from the initramfs, in load order (their
# `depends=` first): virtio-blk, -net and -console over PCI, and ext4
# (which mounts ext2).
LINUX_MODULES := virtio_ring virtio virtio_pci_modern_dev \
		 virtio_pci_legacy_dev virtio_pci virtio_console virtio_blk failover \
		 net_failover virtio_net crc16 mbcache jbd2 crc32c_generic ext4
$(LINUX_DIR)/linux-image.deb:
	@mkdir -p $(LINUX_DIR)/pkg
	@echo "  APT     linux-image (Debian's kernel, downloaded once)"
	@cd $(LINUX_DIR)/pkg && pkg() { apt-cache depends linux-image-amd64 | \
	    awk '/Depends: linux-image-/ {print $$2; exit}'; } && \
	  { apt-get download -qq "$$(pkg)" 2>/dev/null || \
	    { apt-get update -qq && apt-get download -qq "$$(pkg)"; }; }
	@mv $(LINUX_DIR)/pkg/linux-image-*.deb $@
	@rm -rf $(LINUX_DIR)/pkg

$(LINUX_DIR)/vmlinuz: $(LINUX_DIR)/linux-image.deb
	@rm -rf $(LINUX_DIR)/pkg && mkdir -p $(LINUX_DIR)/pkg
	@cd $(LINUX_DIR)/pkg && dpkg-deb --fsys-tarfile ../linux-image.deb | \
	    tar -x --wildcards './boot/vmlinuz-*'
	@mv $(LINUX_DIR)/pkg/boot/vmlinuz-* $@
	@rm -rf $(LINUX_DIR)/pkg

# $(call linux_modules,DIR,MODULES): the MODULES' .ko files from Debian's
# linux-image package into DIR/modules (xz-compressed ones unpacked), and
# DIR/modules/order naming them in load order (for the test initramfs,
# and tests/kvm/kvm.mk's).
define linux_modules
	@echo "  MODULES $(2)"
	@rm -rf $(1)/pkg $(1)/modules && mkdir -p $(1)/pkg $(1)/modules
	@cd $(1)/pkg && dpkg-deb --fsys-tarfile $(abspath $(LINUX_DIR)/linux-image.deb) | \
	    tar -x --wildcards $(foreach m,$(2),'./lib/modules/*/$(m).ko*')
	@for m in $(2); do \
	  f=$$(find $(1)/pkg -name "$$m.ko*" | head -1); \
	  [ -n "$$f" ] || { echo "linux-image has no $$m.ko"; exit 1; }; \
	  case $$f in *.xz) xz -dc $$f > $(1)/modules/$$m.ko;; \
	    *) cp $$f $(1)/modules/$$m.ko;; esac; done
	@echo $(2) > $(1)/modules/order
	@rm -rf $(1)/pkg
endef

$(LINUX_DIR)/modules/order: $(LINUX_DIR)/linux-image.deb Makefile
	$(call linux_modules,$(LINUX_DIR),$(LINUX_MODULES))

# The test disk: an ext2 file system with tests/linux/disk/ in it.
$(LINUX_DIR)/disk.img: $(wildcard tests/linux/disk/*)
	@echo "  MKE2FS  $@"
	@rm -f $@ && /sbin/mke2fs -q -t ext2 -b 1024 -d tests/linux/disk $@ 4M

# The bench's I/O loads (tests/linux/hvbench.c): a static program with no
# libc, as a Linux user program, for the guest's initramfs.
$(LINUX_DIR)/hvbench: tests/linux/hvbench.c tests/linux/nolibc.h
	@mkdir -p $(dir $@)
	@echo "  CC      $< (Linux user)"
	@$(CC) -static -nostdlib -ffreestanding -fno-stack-protector -fno-pie \
	  -no-pie -O2 $(WARN) -o $@ $<

$(LINUX_DIR)/initrd.img: tests/linux/init /bin/busybox $(LINUX_DIR)/modules/order \
			 $(LINUX_DIR)/hvbench
	@echo "  CPIO    $@"
	@rm -rf $(LINUX_DIR)/root && mkdir -p $(LINUX_DIR)/root/bin \
	  $(LINUX_DIR)/root/proc $(LINUX_DIR)/root/sys $(LINUX_DIR)/root/dev \
	  $(LINUX_DIR)/root/lib/hv-modules
	@cp /bin/busybox $(LINUX_DIR)/root/bin/busybox
	@cp tests/linux/init $(LINUX_DIR)/root/init
	@cp $(LINUX_DIR)/hvbench $(LINUX_DIR)/root/bin/hvbench
	@cp $(LINUX_DIR)/modules/*.ko $(LINUX_DIR)/modules/order \
	  $(LINUX_DIR)/root/lib/hv-modules/
	@cd $(LINUX_DIR)/root && find . | cpio -o -H newc --quiet | gzip -9 > ../initrd.img

$(BUILD)/guests/%.o: tests/guests/%.c tests/guests/guest.h tests/guests/ap.h \
		     tests/guests/pci_guest.h tests/guests/virtio_guest.h
	@mkdir -p $(dir $@)
	@echo "  CC      $< (guest)"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(foreach d,$(GUEST_DIRS),$(call guest_dir_objs,$(d))): $(BUILD)/guests/%.o: \
		tests/guests/%.c tests/guests/guest.h tests/guests/ap.h \
		$$(wildcard $$(dir tests/guests/$$*)*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (guest)"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(patsubst %,$(BUILD)/guests/%.elf,$(GUEST_DIRS)): $(BUILD)/guests/%.elf: \
		$$(call guest_dir_objs,$$*) $(GUEST_LIB) $(GUEST_ARCHIVE) \
		tests/guests/guest.ld
	@echo "  LD      $@"
	@$(LD) -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments \
	  -T tests/guests/guest.ld \
	  -o $@ $(GUEST_LIB) $(call guest_dir_objs,$*) $(GUEST_ARCHIVE)

$(BUILD)/guests/start.o: tests/guests/start.S
	@mkdir -p $(dir $@)
	@$(CC) -m32 -c $< -o $@

$(GUEST_ARCHIVE): $(BUILD)/guests/ap.o
	@rm -f $@ && ar rcs $@ $^

$(BUILD)/guests/%.elf: $(BUILD)/guests/%.o $(GUEST_LIB) $(GUEST_ARCHIVE) \
		tests/guests/guest.ld
	@echo "  LD      $@"
	@$(LD) -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments \
	  -T tests/guests/guest.ld \
	  -o $@ $(GUEST_LIB) $< $(GUEST_ARCHIVE)

# The same guest linked at 0x8000: the loader must place the boot
# information clear of a kernel linked low.
$(BUILD)/guests/mbinfo_low.elf: $(BUILD)/guests/mbinfo.o $(GUEST_LIB) \
		$(GUEST_ARCHIVE) tests/guests/guest_low.ld
	@echo "  LD      $@"
	@$(LD) -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments \
	  -T tests/guests/guest_low.ld \
	  -o $@ $(GUEST_LIB) $< $(GUEST_ARCHIVE)

# The same guest as an ELF64 file whose segments' virtual addresses lie
# in the top 2 GiB: a Multiboot v1 loader must load it by physical address
# and start it at the physical entry, as GRUB does.
$(BUILD)/guests/mbinfo64.elf: $(BUILD)/guests/mbinfo.elf tests/guests/elf64_high.py
	@echo "  ELF64   $@"
	@$(OBJCOPY) -O elf64-x86-64 $< $@.tmp
	@$(PYTHON) tests/guests/elf64_high.py $@.tmp $@ && rm -f $@.tmp

# Multiboot2 guests: mb2info with the header of tests/guests/mb2_header.S,
# and two whose headers require what hv cannot give (it must refuse them).
MB2_HEADER_DEFS_mb2info :=
MB2_HEADER_DEFS_mb2_needfb := -DREQUIRE_FRAMEBUFFER
MB2_HEADER_DEFS_mb2_needefi := -DREQUIRE_EFI64_INFO
$(BUILD)/guests/mb2_header_%.o: tests/guests/mb2_header.S
	@mkdir -p $(dir $@)
	@$(CC) -m32 $(MB2_HEADER_DEFS_$*) -c $< -o $@

$(patsubst %,$(BUILD)/guests/%.elf,mb2info mb2_needfb mb2_needefi): \
$(BUILD)/guests/%.elf: $(BUILD)/guests/mb2_header_%.o $(BUILD)/guests/mb2info.o \
		$(GUEST_LIB) $(GUEST_ARCHIVE) tests/guests/guest_mb2.ld
	@echo "  LD      $@"
	@$(LD) -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments \
	  -T tests/guests/guest_mb2.ld \
	  -o $@ $< $(GUEST_LIB) $(BUILD)/guests/mb2info.o $(GUEST_ARCHIVE)

test:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all unit fuzzers linux
	@$(PYTHON) tests/test_emu.py
	@$(PYTHON) tests/harness.py --efi $(BUILD)/hv.efi \
	  --unit-dir $(BUILD)/tests/unit --fuzz-dir $(BUILD)/tests/fuzz

run:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all linux
	@$(PYTHON) tests/emu.py run --efi $(BUILD)/hv.efi --cfg examples/hv.cfg \
	  --file guests/vmlinuz=$(LINUX_DIR)/vmlinuz \
	  --file guests/initrd.img=$(LINUX_DIR)/initrd.img \
	  $(foreach g,hello cpuid,--file guests/$(g).elf=$(BUILD)/guests/$(g).elf)

# KVM beside hv (issue 15): the rules live in tests/kvm/kvm.mk.  A bench
# that cannot build or fetch them still prints hv's own figures.
-include tests/kvm/kvm.mk

bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all linux
	@$(MAKE) --no-print-directory kvm-bench || \
	  echo "bench: the KVM column cannot be built; hv's figures only"
	@$(PYTHON) tests/bench.py

# Each fuzzer from its seeds (tests/fuzz/corpus/NAME) and what earlier runs
# found (build/fuzz/corpus/NAME); crashes land in build/fuzz/crashes/.
fuzz: fuzz-host fuzz-guests
fuzz-host:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory fuzzers
	@tests/fuzz/run.sh $(FUZZ_RUNS) $(BUILD)/fuzz $(FUZZERS)

# The guest instruction fuzzer, long: one boot per seed, each at least 10^6
# VM exits (tests/fuzz_guests.py; SEEDS=0x1,0x2 ITERS=N ON=class,... pick).
.PHONY: fuzz-guests
fuzz-guests:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tests/fuzz_guests.py $(if $(SEEDS),--seeds $(SEEDS)) \
	  $(if $(ITERS),--iters $(ITERS)) $(if $(ON),--on $(ON))

clean:
	rm -rf $(filter-out $(NEWLIB_DIR) $(LINUX_DIR),$(wildcard $(BUILD)/*))

distclean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

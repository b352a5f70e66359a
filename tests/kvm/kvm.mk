# KVM beside hv, in the same emulator (issue 15).  Included by the
# Makefile; `make bench` runs `make kvm-bench`, then tests/bench.py, whose
# tests/bench_kvm.py boots Debian's kernel natively in Bochs (OVMF, EFI
# stub) with build/kvm/linux_chain.efi as BOOTX64.EFI and
# build/kvm/initrd.img as its initramfs.  That /init (tests/kvm/init)
# loads kvm_intel and runs build/guests/bench.elf under our VMM
# (tests/kvm/kvm_vmm.c) through /dev/kvm.
#
#   build/kvm/kvm_vmm           the VMM: static, no libc
#   build/kvm/linux_chain.efi   starts \vmlinuz with a command line
#   build/kvm/modules/          irqbypass, kvm, kvm-intel from linux-image.deb
#   build/kvm/initrd.img        busybox, the modules, the VMM, bench.elf, /init

KVM_DIR := $(BUILD)/kvm
# In load order: each after what its `depends=` names.
KVM_MODULES := irqbypass kvm kvm-intel

.PHONY: kvm-bench
kvm-bench: $(KVM_DIR)/linux_chain.efi $(KVM_DIR)/initrd.img \
	   $(LINUX_DIR)/vmlinuz

$(KVM_DIR)/kvm_vmm: tests/kvm/kvm_vmm.c tests/linux/nolibc.h tests/kvm/kvm.mk
	@mkdir -p $(dir $@)
	@echo "  CC      $@ (static, no libc)"
	@$(CC) -std=c11 -static -nostdlib -ffreestanding -fno-stack-protector \
	  -fno-pie -no-pie -O2 $(WARN) -o $@ $<

# Built as boot/ is (BOOT_CFLAGS, gnu-efi's crt0 and link map), without
# the stage's libc: gnu-efi's library has all it uses.
$(KVM_DIR)/linux_chain.o: tests/kvm/linux_chain.c tests/kvm/kvm.mk $(NEWLIB_LIBC)
	@mkdir -p $(dir $@)
	@echo "  CC      $< (uefi)"
	@$(CC) $(BOOT_CFLAGS) -c $< -o $@

$(KVM_DIR)/linux_chain.so: $(KVM_DIR)/linux_chain.o $(BUILD)/efi.lds
	@$(LD) -nostdlib -znocombreloc -z noexecstack --gc-sections \
	  -T $(BUILD)/efi.lds -shared -Bsymbolic -L/usr/lib \
	  /usr/lib/crt0-efi-x86_64.o $< -o $@ -lefi -lgnuefi
	@if nm -u $@ | grep -q .; then echo "$@: undefined:"; nm -u $@; \
	  rm -f $@; exit 1; fi

$(KVM_DIR)/linux_chain.efi: $(KVM_DIR)/linux_chain.so
	@echo "  EFI     $@"
	@$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym \
	  -j .rel -j .rela -j .reloc --target efi-app-x86_64 --subsystem=10 \
	  $< $@

$(KVM_DIR)/modules/order: $(LINUX_DIR)/linux-image.deb tests/kvm/kvm.mk
	$(call linux_modules,$(KVM_DIR),$(KVM_MODULES))

$(KVM_DIR)/initrd.img: tests/kvm/init /bin/busybox $(KVM_DIR)/modules/order \
		       $(KVM_DIR)/kvm_vmm $(BUILD)/guests/bench.elf
	@echo "  CPIO    $@"
	@rm -rf $(KVM_DIR)/root && mkdir -p $(KVM_DIR)/root/bin \
	  $(KVM_DIR)/root/proc $(KVM_DIR)/root/sys $(KVM_DIR)/root/dev \
	  $(KVM_DIR)/root/lib/kvm-modules
	@cp /bin/busybox $(KVM_DIR)/root/bin/busybox
	@cp tests/kvm/init $(KVM_DIR)/root/init && chmod 755 $(KVM_DIR)/root/init
	@cp $(KVM_DIR)/kvm_vmm $(BUILD)/guests/bench.elf $(KVM_DIR)/root/bin/
	@cp $(KVM_DIR)/modules/*.ko $(KVM_DIR)/modules/order \
	  $(KVM_DIR)/root/lib/kvm-modules/
	@cd $(KVM_DIR)/root && find . | cpio -o -H newc --quiet | gzip -9 > ../initrd.img

/* linux_chain.efi: starts \vmlinuz from this application's own volume
 * with a fixed kernel command line (issue 15: Linux booted natively by
 * OVMF in Bochs, to run KVM beside hv).
 *
 * OVMF starts \EFI\BOOT\BOOTX64.EFI with no arguments, and Linux's EFI
 * stub reads its command line from its LoadedImage's LoadOptions (UCS-2),
 * so this loader LoadImage()s the kernel, sets those, and StartImage()s
 * it.  The stub loads each `initrd=` file from the volume the kernel
 * itself was loaded from (its LoadedImage's DeviceHandle): ours. */
#include <efi.h>
#include <efilib.h>

#define KERNEL_PATH L"\\vmlinuz"
static CHAR16 kernel_cmdline[] =
	L"initrd=\\kvm-initrd.img console=ttyS0 quiet";

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_LOADED_IMAGE *self, *child_image;
	EFI_DEVICE_PATH *path;
	EFI_HANDLE child;
	EFI_STATUS st;

	InitializeLib(image, systab);
	st = uefi_call_wrapper(BS->HandleProtocol, 3, image,
			       &LoadedImageProtocol, (void **)&self);
	if (EFI_ERROR(st)) {
		Print(L"linux_chain: no LoadedImage: %r\n", st);
		return st;
	}
	path = FileDevicePath(self->DeviceHandle, KERNEL_PATH);
	if (!path) {
		Print(L"linux_chain: no device path for %s\n", KERNEL_PATH);
		return EFI_OUT_OF_RESOURCES;
	}
	st = uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, path, NULL, 0,
			       &child);
	FreePool(path);
	if (EFI_ERROR(st)) {
		Print(L"linux_chain: LoadImage(%s): %r\n", KERNEL_PATH, st);
		return st;
	}
	st = uefi_call_wrapper(BS->HandleProtocol, 3, child,
			       &LoadedImageProtocol, (void **)&child_image);
	if (EFI_ERROR(st)) {
		Print(L"linux_chain: the kernel has no LoadedImage: %r\n", st);
		return st;
	}
	child_image->LoadOptions = kernel_cmdline;
	child_image->LoadOptionsSize = sizeof(kernel_cmdline);
	Print(L"linux_chain: starting %s %s\n", KERNEL_PATH, kernel_cmdline);
	st = uefi_call_wrapper(BS->StartImage, 3, child, NULL, NULL);
	Print(L"linux_chain: the kernel returned: %r\n", st);
	return st;
}

#include "file_load.h"

#include <efilib.h>

#include "boot_info.h"

#define BOOT_FULLPATH_MAX (BOOT_DIR_MAX + BOOT_PATH_MAX + 2)

/* The loaded image's FilePath is a chain of MEDIA_FILEPATH_DP nodes whose
 * names concatenate to the file's path (UEFI 2.10 10.3.5.4).  Keep all but
 * the last component. */
static void image_dir(EFI_DEVICE_PATH *dp, CHAR16 *dir)
{
	UINTN n = 0, last_sep = 0;

	for (; !IsDevicePathEnd(dp); dp = NextDevicePathNode(dp)) {
		if (DevicePathType(dp) != MEDIA_DEVICE_PATH ||
		    DevicePathSubType(dp) != MEDIA_FILEPATH_DP)
			continue;
		CHAR16 *name = ((FILEPATH_DEVICE_PATH *)dp)->PathName;
		for (UINTN i = 0; name[i] && n < BOOT_DIR_MAX - 1; i++)
			dir[n++] = name[i];
	}
	for (UINTN i = 0; i < n; i++)
		if (dir[i] == L'\\' || dir[i] == L'/')
			last_sep = i;
	dir[last_sep] = 0; /* "\EFI\BOOT\BOOTX64.EFI" -> "\EFI\BOOT" */
}

EFI_STATUS volume_open(EFI_HANDLE image, struct boot_volume *vol)
{
	EFI_LOADED_IMAGE *li;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->HandleProtocol, 3, image,
			       &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(st))
		return st;
	vol->root = LibOpenRoot(li->DeviceHandle);
	if (!vol->root)
		return EFI_NOT_FOUND;
	image_dir(li->FilePath, vol->dir);
	return EFI_SUCCESS;
}

static void full_path(const struct boot_volume *vol, const char *path,
		      CHAR16 *out)
{
	UINTN n = 0;

	if (path[0] != '\\' && path[0] != '/') {
		for (UINTN i = 0; vol->dir[i]; i++)
			out[n++] = vol->dir[i];
		out[n++] = L'\\';
	}
	for (UINTN i = 0; path[i] && n < BOOT_FULLPATH_MAX - 1; i++)
		out[n++] = path[i] == '/' ? L'\\' : (CHAR16)path[i];
	out[n] = 0;
}

static EFI_STATUS read_all(EFI_FILE_HANDLE f, uint64_t *phys, uint64_t *size)
{
	EFI_FILE_INFO *info = LibFileInfo(f);
	EFI_PHYSICAL_ADDRESS addr;
	EFI_STATUS st;
	UINTN len;

	if (!info)
		return EFI_DEVICE_ERROR;
	len = info->FileSize;
	FreePool(info);
	/* One spare page so an empty file still gets a valid address. */
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages,
			       (EFI_MEMORY_TYPE)BOOT_MEMTYPE_HV,
			       EFI_SIZE_TO_PAGES(len) + 1, &addr);
	if (EFI_ERROR(st))
		return st;
	st = uefi_call_wrapper(f->Read, 3, f, &len, (void *)addr);
	if (EFI_ERROR(st))
		return st;
	*phys = addr;
	*size = len;
	return EFI_SUCCESS;
}

EFI_STATUS file_load(struct boot_volume *vol, const char *path,
		     uint64_t *phys, uint64_t *size)
{
	CHAR16 name[BOOT_FULLPATH_MAX];
	EFI_FILE_HANDLE f;
	EFI_STATUS st;

	full_path(vol, path, name);
	st = uefi_call_wrapper(vol->root->Open, 5, vol->root, &f, name,
			       EFI_FILE_MODE_READ, 0ull);
	if (EFI_ERROR(st))
		return st;
	st = read_all(f, phys, size);
	uefi_call_wrapper(f->Close, 1, f);
	return st;
}

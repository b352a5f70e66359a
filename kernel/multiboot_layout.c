#include "multiboot_layout.h"

#include <string.h>

#include "acpi_tables.h"
#include "multiboot_image.h"

#define LAYOUT_PAGE 4096u

/* The first page boundary at or after *at where len bytes fit in usable
 * RAM: skips the hole below 1 MiB rather than straddle it. */
static bool place(uint64_t ram_size, uint64_t *at, uint64_t len)
{
	uint64_t a = (*at + LAYOUT_PAGE - 1) & ~(uint64_t)(LAYOUT_PAGE - 1);

	if (a < MB_HOLE_END && !multiboot_fits(ram_size, a, len))
		a = MB_HOLE_END;
	if (!multiboot_fits(ram_size, a, len))
		return false;
	*at = a;
	return true;
}

bool multiboot_layout(uint64_t ram_size, uint64_t image_end,
		      const uint64_t *mod_size, unsigned nmods,
		      uint64_t info_size, struct mb_layout *out,
		      const char **why)
{
	uint64_t at = image_end;

	if (nmods > MB_MODS_MAX) {
		*why = "too many modules";
		return false;
	}
	for (unsigned i = 0; i < nmods; i++) {
		if (!place(ram_size, &at, mod_size[i])) {
			*why = "the modules do not fit in the VM's memory";
			return false;
		}
		out->mod_gpa[i] = at;
		at += mod_size[i];
	}
	if (!place(ram_size, &at, info_size)) {
		*why = "no room for the Multiboot information after the kernel "
		       "and its modules";
		return false;
	}
	out->info_gpa = at;
	return true;
}

unsigned multiboot_memory_map(uint64_t ram_size, struct mb_region *out)
{
	out[0] = (struct mb_region){ 0, MB_LOW_MEM_END, MB_MEM_AVAILABLE };
	out[1] = (struct mb_region){ MB_LOW_MEM_END, 0xa0000 - MB_LOW_MEM_END,
				     MB_MEM_RESERVED };
	out[2] = (struct mb_region){ ACPI_BIOS_AREA,
				     MB_HOLE_END - ACPI_BIOS_AREA,
				     MB_MEM_RESERVED };
	out[3] = (struct mb_region){ MB_HOLE_END, ram_size - MB_HOLE_END,
				     MB_MEM_AVAILABLE };
	return MB_MAP_REGIONS;
}

size_t multiboot_string_size(const char *path, const char *args)
{
	return strlen(path) + (args[0] ? 1 + strlen(args) : 0) + 1;
}

size_t multiboot_put_string(char *dst, const char *path, const char *args)
{
	size_t n = strlen(path), a = strlen(args);

	memcpy(dst, path, n);
	if (a) {
		dst[n++] = ' ';
		memcpy(dst + n, args, a);
		n += a;
	}
	dst[n] = '\0';
	return n + 1;
}

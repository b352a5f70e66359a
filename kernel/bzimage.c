#include "bzimage.h"

#include <string.h>

#define LOADED_HIGH 0x01
#define MIN_PROTOCOL 0x0206
#define ONE_MIB 0x100000

uint32_t bzimage_rd32(const uint8_t *p, unsigned off)
{
	uint32_t v;
	memcpy(&v, p + off, 4);
	return v;
}

bool bzimage_check(struct bzimage *k, uint64_t ram_size, const char **why)
{
	unsigned sects;

	if (k->size < 0x264 || memcmp(k->data + HDR_MAGIC, "HdrS", 4)) {
		*why = "not a bzImage (no HdrS header)";
		return false;
	}
	if ((bzimage_rd32(k->data, HDR_VERSION) & 0xffff) < MIN_PROTOCOL ||
	    !(k->data[HDR_LOADFLAGS] & LOADED_HIGH)) {
		*why = "boot protocol older than 2.06, or not a bzImage";
		return false;
	}
	/* setup_sects 0 means 4 (boot.rst). */
	sects = k->data[HDR_SETUP_SECTS] ? k->data[HDR_SETUP_SECTS] : 4;
	k->setup_len = (sects + 1) * 512u;
	if (k->setup_len >= k->size) {
		*why = "truncated bzImage (no protected-mode part)";
		return false;
	}
	k->load_gpa = k->data[HDR_RELOCATABLE]
			      ? (uint64_t)bzimage_rd32(k->data, HDR_PREF_ADDRESS)
			      : ONE_MIB;
	k->init_size = bzimage_rd32(k->data, HDR_INIT_SIZE);
	if (k->load_gpa < ONE_MIB || k->load_gpa + k->init_size > ram_size ||
	    k->load_gpa + (k->size - k->setup_len) > ram_size) {
		*why = "the kernel does not fit in the VM's memory";
		return false;
	}
	return true;
}

unsigned bzimage_header_end(const struct bzimage *k)
{
	return HDR_JUMP + 2 + k->data[HDR_JUMP + 1];
}

bool bzimage_initrd_gpa(const struct bzimage *k, uint64_t ram_size,
			uint64_t size, uint64_t *gpa)
{
	uint64_t top = ram_size;
	uint64_t max = (uint64_t)bzimage_rd32(k->data, HDR_INITRD_ADDR_MAX) + 1;

	if (top > max)
		top = max;
	*gpa = (top - size) & ~(uint64_t)0xfff;
	return size <= top && *gpa >= k->load_gpa + k->init_size;
}

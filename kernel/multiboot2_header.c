#include "multiboot2_header.h"

#include <string.h>

#define MB2_SEARCH_LEN 32768
#define MB2_ALIGN 8
#define MB2_ARCH_I386 0
#define MB2_FIXED_SIZE 16 /* magic, architecture, header_length, checksum */

/* Header tag types ("General tag structure" and the sections after it). */
#define TAG_END 0
#define TAG_INFO_REQUEST 1
#define TAG_ADDRESS 2
#define TAG_ENTRY 3
#define TAG_CONSOLE_FLAGS 4
#define TAG_FRAMEBUFFER 5
#define TAG_MODULE_ALIGN 6
#define TAG_EFI_BS 7
#define TAG_ENTRY_EFI32 8
#define TAG_ENTRY_EFI64 9
#define TAG_RELOCATABLE 10

/* Bit 0 of a tag's flags: "optional", the loader may ignore the tag if it
 * lacks the support. */
#define TAG_OPTIONAL 1u
/* Console flags tag: bit 0, the kernel requires a console (EGA text or
 * a framebuffer). */
#define CONSOLE_REQUIRED 1u

struct mb2_fixed {
	uint32_t magic, architecture, header_length, checksum;
};

struct mb2_tag {
	uint16_t type, flags;
	uint32_t size;
};

static bool checksum_holds(const struct mb2_fixed *f)
{
	return f->magic + f->architecture + f->header_length + f->checksum == 0;
}

/* The first header in the search area; *bad tells a magic was seen whose
 * checksum does not hold (GRUB skips such a one and searches on). */
static bool find(const uint8_t *img, size_t size, size_t *offset, bool *bad)
{
	struct mb2_fixed f;

	*bad = false;
	for (size_t off = 0; off < MB2_SEARCH_LEN &&
			     off + MB2_FIXED_SIZE <= size; off += MB2_ALIGN) {
		memcpy(&f, img + off, sizeof(f));
		if (f.magic != MB2_HEADER_MAGIC)
			continue;
		if (checksum_holds(&f)) {
			*offset = off;
			return true;
		}
		*bad = true;
	}
	return false;
}

enum mb2_detect multiboot2_detect(const uint8_t *img, size_t size)
{
	size_t off;
	bool bad;

	if (find(img, size, &off, &bad))
		return MB2_FOUND;
	return bad ? MB2_BAD_CHECKSUM : MB2_NONE;
}

/* "The kernel requires Multiboot2 information tag N (what)": each a
 * static string, so that the reason names the tag. */
#define NO_INFO(n, what) [n] = "the kernel requires Multiboot2 information " \
	"tag " #n " (" what "), which hv cannot give"
static const char *const no_info[] = {
	NO_INFO(5, "BIOS boot device"),
	NO_INFO(7, "VBE info"),
	NO_INFO(8, "framebuffer info: hv has no framebuffer"),
	NO_INFO(10, "APM table"),
	NO_INFO(11, "EFI 32-bit system table"),
	NO_INFO(12, "EFI 64-bit system table"),
	NO_INFO(13, "SMBIOS tables"),
	NO_INFO(16, "networking information"),
	NO_INFO(17, "EFI memory map"),
	NO_INFO(18, "EFI boot services not terminated"),
	NO_INFO(19, "EFI 32-bit image handle"),
	NO_INFO(20, "EFI 64-bit image handle"),
};

static bool info_given(uint32_t type)
{
	switch (type) {
	case MB2_INFO_CMDLINE:
	case MB2_INFO_LOADER_NAME:
	case MB2_INFO_MODULE:
	case MB2_INFO_MEMINFO:
	case MB2_INFO_MMAP:
	case MB2_INFO_ELF_SECTIONS:
	case MB2_INFO_ACPI_OLD:
	case MB2_INFO_ACPI_NEW:
	case MB2_INFO_LOAD_BASE:
		return true;
	default:
		return false;
	}
}

/* "Multiboot2 information request": the listed information tag types;
 * one we cannot give refuses the kernel unless the request tag is marked
 * optional (GRUB does the same, per request tag). */
static bool info_request(const uint8_t *t, const struct mb2_tag *tag,
			 struct mb2_header *h, const char **why)
{
	for (uint32_t off = sizeof(*tag); off + 4 <= tag->size; off += 4) {
		uint32_t type;

		memcpy(&type, t + off, 4);
		if (type == MB2_INFO_LOAD_BASE)
			h->wants_load_base = true;
		if (info_given(type) || (tag->flags & TAG_OPTIONAL))
			continue;
		*why = type < sizeof(no_info) / sizeof(no_info[0]) &&
				       no_info[type]
			       ? no_info[type]
			       : "the kernel requires a Multiboot2 information "
				 "tag of a type hv does not know";
		return false;
	}
	return true;
}

static bool tag_size_is(const struct mb2_tag *tag, uint32_t size,
			const char **why)
{
	if (tag->size < size) {
		*why = "a Multiboot2 header tag is shorter than its type needs";
		return false;
	}
	return true;
}

static bool header_tag(const uint8_t *t, const struct mb2_tag *tag,
		       struct mb2_header *h, const char **why)
{
	bool required = !(tag->flags & TAG_OPTIONAL);
	uint32_t w[6];

	memset(w, 0, sizeof(w));
	memcpy(w, t, tag->size < sizeof(w) ? tag->size : sizeof(w));
	switch (tag->type) {
	case TAG_INFO_REQUEST:
		return info_request(t, tag, h, why);
	case TAG_ADDRESS:
		if (!tag_size_is(tag, 24, why))
			return false;
		h->has_address = true;
		h->fields = (struct mb_load_fields){ w[2], w[3], w[4], w[5], 0 };
		return true;
	case TAG_ENTRY:
		if (!tag_size_is(tag, 12, why))
			return false;
		h->has_entry = true;
		h->entry = w[2];
		return true;
	case TAG_CONSOLE_FLAGS:
		if (!tag_size_is(tag, 12, why))
			return false;
		if (required && (w[2] & CONSOLE_REQUIRED)) {
			*why = "the kernel requires a console (Multiboot2 "
			       "header tag 4, console flags bit 0): hv has no "
			       "EGA text or framebuffer console";
			return false;
		}
		return true;
	case TAG_FRAMEBUFFER:
		/* hv gives no framebuffer: fine when optional. */
		if (required) {
			*why = "the kernel requires a framebuffer (Multiboot2 "
			       "header tag 5): hv has none";
			return false;
		}
		return true;
	case TAG_MODULE_ALIGN:
		/* multiboot_layout puts every module on a page boundary. */
		return true;
	case TAG_EFI_BS:
	case TAG_ENTRY_EFI32:
	case TAG_ENTRY_EFI64:
		/* hv boots kernels as a BIOS loader does: no EFI. */
		if (required) {
			*why = tag->type == TAG_EFI_BS
				? "the kernel requires EFI boot services "
				  "(Multiboot2 header tag 7): hv boots it "
				  "without EFI"
			: tag->type == TAG_ENTRY_EFI32
				? "the kernel requires an EFI i386 entry "
				  "(Multiboot2 header tag 8): hv boots it "
				  "without EFI"
				: "the kernel requires an EFI amd64 entry "
				  "(Multiboot2 header tag 9): hv boots it "
				  "without EFI";
			return false;
		}
		return true;
	case TAG_RELOCATABLE:
		if (!tag_size_is(tag, 24, why))
			return false;
		h->relocatable = true;
		h->min_addr = w[2];
		h->max_addr = w[3];
		h->align = w[4];
		return true;
	default:
		if (required) {
			*why = "the kernel requires a Multiboot2 header tag of "
			       "a type hv does not know";
			return false;
		}
		return true;
	}
}

bool multiboot2_header_parse(const uint8_t *img, size_t size,
			     struct mb2_header *h, const char **why)
{
	struct mb2_fixed f;
	size_t off, end;
	bool bad;

	memset(h, 0, sizeof(*h));
	if (!find(img, size, &h->offset, &bad)) {
		*why = bad ? "the Multiboot2 header's checksum is wrong"
			   : "no Multiboot2 header in the first 32 KiB";
		return false;
	}
	memcpy(&f, img + h->offset, sizeof(f));
	if (f.architecture != MB2_ARCH_I386) {
		*why = "the Multiboot2 header is for another architecture "
		       "than i386 (0)";
		return false;
	}
	if (f.header_length < MB2_FIXED_SIZE + sizeof(struct mb2_tag) ||
	    f.header_length > size - h->offset) {
		*why = "the Multiboot2 header_length is wrong";
		return false;
	}
	end = h->offset + f.header_length;
	/* Tags follow, each on an 8-byte boundary, up to the end tag
	 * (type 0, size 8) ("General tag structure"). */
	for (off = h->offset + MB2_FIXED_SIZE;; ) {
		struct mb2_tag tag;

		if (sizeof(tag) > end - off) {
			*why = "the Multiboot2 header has no end tag";
			return false;
		}
		memcpy(&tag, img + off, sizeof(tag));
		if (tag.size < sizeof(tag) || tag.size > end - off) {
			*why = "a Multiboot2 header tag's size is wrong";
			return false;
		}
		if (tag.type == TAG_END)
			break;
		if (!header_tag(img + off, &tag, h, why))
			return false;
		off += (tag.size + MB2_ALIGN - 1) & ~(size_t)(MB2_ALIGN - 1);
		if (off > end) {
			*why = "the Multiboot2 header has no end tag";
			return false;
		}
	}
	if (h->has_address && !h->has_entry) {
		/* GRUB refuses it too: nothing else says where to start. */
		*why = "a Multiboot2 address tag without an entry address tag";
		return false;
	}
	h->fields.entry = h->entry;
	return true;
}

/* The Multiboot2 header of the Multiboot2 test kernels (Multiboot
 * Specification version 2.0, "OS image format"): 8-aligned in the first
 * 32 KiB (tests/guests/guest_mb2.ld puts it first in .text, and discards
 * start.S's v1 header), magic, architecture 0 (i386), header_length,
 * checksum, then tags on 8-byte boundaries up to the end tag.
 *
 * Built three ways:
 *   (plain)              mb2info: asks for the tags hv gives, marks the
 *                        ones it cannot give optional
 *   -DREQUIRE_FRAMEBUFFER  a framebuffer header tag not marked optional
 *   -DREQUIRE_EFI64_INFO   a required request for information tag 12
 *                        (EFI 64-bit system table)
 * hv must refuse the last two, naming the tag. */
#define MB2_MAGIC 0xe85250d6
#define OPTIONAL 1

	.section .multiboot2, "a"
	.balign 8
mb2_start:
	.long MB2_MAGIC
	.long 0				/* architecture: i386 */
	.long mb2_end - mb2_start
	.long -(MB2_MAGIC + 0 + (mb2_end - mb2_start))

	/* Information request (required): command line, loader name,
	 * modules, basic meminfo, memory map, ELF sections, ACPI old and
	 * new RSDP. */
	.balign 8
req_start:
	.word 1, 0
	.long req_end - req_start
	.long 1, 2, 3, 4, 6, 9, 14, 15
#ifdef REQUIRE_EFI64_INFO
	.long 12
#endif
req_end:

	/* An optional request for what hv does not give: framebuffer info,
	 * BIOS boot device, APM.  Must be ignored. */
	.balign 8
opt_start:
	.word 1, OPTIONAL
	.long opt_end - opt_start
	.long 8, 5, 10
opt_end:

	/* Console flags: EGA text supported, not required (bit 1 only). */
	.balign 8
	.word 4, 0
	.long 12
	.long 2

	/* Framebuffer: optional, so hv may give none. */
	.balign 8
	.word 5
#ifdef REQUIRE_FRAMEBUFFER
	.word 0
#else
	.word OPTIONAL
#endif
	.long 20
	.long 640, 480, 32

	/* Module alignment: modules page-aligned. */
	.balign 8
	.word 6, 0
	.long 8

	/* End tag. */
	.balign 8
	.word 0, 0
	.long 8
mb2_end:

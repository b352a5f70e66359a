/* Multiboot2 header parser and information builder
 * (kernel/multiboot2_header.c, kernel/multiboot2_info.c) on untrusted
 * images: a header it accepts lies in the file; for an ELF image whose
 * section table elf_section_table accepts, mb2_info_write stays inside
 * the mb2_info_size bytes it promised (ASan checks), and total_size ends
 * with the end tag. */
#include "fuzz.h"

#include <string.h>

#include "../../kernel/multiboot2_header.h"
#include "../../kernel/multiboot2_info.h"

#define INFO_MAX (16u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mb2_header h;
    struct elf_info elf;
    const char *why = NULL;
    static const uint8_t rsdp[36] = "RSD PTR \0\0\0\0\0\0\0\2";
    struct mb2_info_module mod = { 0x200000, 0x201000, "\\m", "a" };
    struct mb2_info_in in = {
        .path = "\\k.elf", .args = "x", .nmods = 1, .mods = &mod,
        .ram_size = UINT64_C(64) << 20, .rsdp = rsdp, .load_base = true,
    };
    uint64_t n;
    uint8_t *buf;
    uint32_t total;

    if (multiboot2_detect(data, size) == MB2_FOUND) {
        if (multiboot2_header_parse(data, size, &h, &why))
            FUZZ_ASSERT(h.offset < size && h.offset % 8 == 0);
        else
            FUZZ_ASSERT(why != NULL);
    }
    if (elf_parse(data, size, &elf, &why) ||
        elf_section_table(data, size, &elf, &why))
        return 0;
    in.elf = data;
    in.elf_size = size;
    in.elf_info = &elf;
    n = mb2_info_size(&in);
    if (n > INFO_MAX)
        return 0;
    buf = calloc(1, n);
    FUZZ_ASSERT(buf != NULL);
    mb2_info_write(buf, 0x300000, &in);
    memcpy(&total, buf, 4);
    FUZZ_ASSERT(total <= n && total % 8 == 0 && total >= 16);
    FUZZ_ASSERT(buf[total - 8] == 0 && buf[total - 4] == 8);
    free(buf);
    return 0;
}

/* bzImage setup-header checks (kernel/bzimage.c) for a small, a middling
 * and the largest Linux VM: an accepted image's protected-mode part and
 * init_size fit in RAM from 1 MiB up, the header the loader copies into
 * boot_params lies in the image, and an initrd placement stays in RAM,
 * below initrd_addr_max and above the kernel. */
#include "fuzz.h"

#include <string.h>

#include "../../kernel/bzimage.h"

static const uint64_t ram_sizes[] = {
    UINT64_C(16) << 20, UINT64_C(256) << 20, UINT64_C(4) << 30,
};

static void check_initrd(const struct bzimage *k, uint64_t ram, uint64_t size)
{
    uint64_t gpa, max = (uint64_t)bzimage_rd32(k->data, HDR_INITRD_ADDR_MAX);

    if (!bzimage_initrd_gpa(k, ram, size, &gpa))
        return;
    FUZZ_ASSERT(gpa % 4096 == 0);
    FUZZ_ASSERT(gpa <= ram && size <= ram - gpa);
    FUZZ_ASSERT(gpa + size <= max + 1);
    FUZZ_ASSERT(gpa >= k->load_gpa + k->init_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t boot_params[4096];

    for (size_t r = 0; r < sizeof(ram_sizes) / sizeof(ram_sizes[0]); r++) {
        uint64_t ram = ram_sizes[r];
        struct bzimage k = { .data = data, .size = size };
        const char *why = NULL;
        unsigned end;

        if (!bzimage_check(&k, ram, &why)) {
            FUZZ_ASSERT(why != NULL);
            continue;
        }
        FUZZ_ASSERT(k.setup_len >= 1024 && k.setup_len < size);
        FUZZ_ASSERT(k.load_gpa >= 0x100000);
        FUZZ_ASSERT(k.load_gpa + (size - k.setup_len) <= ram);
        FUZZ_ASSERT(k.load_gpa + k.init_size <= ram);
        fuzz_touch(data + k.setup_len, size - k.setup_len);
        /* What linux_load copies into boot_params. */
        end = bzimage_header_end(&k);
        FUZZ_ASSERT(end <= size && end <= sizeof(boot_params));
        memcpy(boot_params + HDR_SETUP_SECTS, data + HDR_SETUP_SECTS,
               end - HDR_SETUP_SECTS);
        fuzz_touch(data + HDR_CMDLINE_SIZE, 4);
        check_initrd(&k, ram, 0);
        check_initrd(&k, ram, 1);
        check_initrd(&k, ram, 4096);
        check_initrd(&k, ram, UINT64_C(7) << 20);
        check_initrd(&k, ram, ram);
    }
    return 0;
}

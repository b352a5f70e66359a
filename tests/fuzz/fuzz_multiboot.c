/* Multiboot image reader (kernel/multiboot_image.c), ELF and a.out kludge
 * alike, for the smallest, a middling and the largest VM the Multiboot
 * loader starts: every chunk it returns is in RAM outside the hole
 * below 1 MiB, its file bytes are in the image, and `end` covers it. */
#include "fuzz.h"

#include "../../kernel/multiboot_image.h"

static const uint64_t ram_sizes[] = {
    UINT64_C(2) << 20, UINT64_C(64) << 20, UINT64_C(4) << 30,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t r = 0; r < sizeof(ram_sizes) / sizeof(ram_sizes[0]); r++) {
        uint64_t ram = ram_sizes[r];
        struct mb_image mb;
        const char *why = NULL;

        if (!multiboot_image_parse(data, size, ram, &mb, &why)) {
            FUZZ_ASSERT(why != NULL);
            continue;
        }
        FUZZ_ASSERT(mb.nchunks >= 1 && mb.nchunks <= ELF_MAX_SEGMENTS);
        FUZZ_ASSERT(mb.end <= ram);
        for (unsigned i = 0; i < mb.nchunks; i++) {
            const struct mb_chunk *c = &mb.chunks[i];
            FUZZ_ASSERT(c->gpa <= ram && c->memsz <= ram - c->gpa);
            FUZZ_ASSERT(c->gpa + c->memsz <= MB_LOW_MEM_END ||
                        c->gpa >= MB_HOLE_END);
            FUZZ_ASSERT(c->filesz <= c->memsz);
            FUZZ_ASSERT(c->offset <= size && c->filesz <= size - c->offset);
            FUZZ_ASSERT(c->gpa + c->memsz <= mb.end);
            fuzz_touch(data + c->offset, c->filesz);
        }
    }
    return 0;
}

/* ELF parser (kernel/elf.c), which reads guest kernels and our own: every
 * segment it accepts lies inside the file and does not wrap. */
#include "fuzz.h"

#include "../../kernel/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct elf_info info;
    const char *why = NULL;
    uint64_t lo, hi;

    if (elf_parse(data, size, &info, &why)) {
        FUZZ_ASSERT(why != NULL);
        return 0;
    }
    FUZZ_ASSERT(info.bits == 32 || info.bits == 64);
    FUZZ_ASSERT(info.nsegments >= 1 && info.nsegments <= ELF_MAX_SEGMENTS);
    for (unsigned i = 0; i < info.nsegments; i++) {
        const struct elf_segment *s = &info.segments[i];
        FUZZ_ASSERT(s->filesz <= s->memsz);
        FUZZ_ASSERT(s->offset <= size && s->filesz <= size - s->offset);
        FUZZ_ASSERT(s->vaddr + s->memsz >= s->vaddr);
        FUZZ_ASSERT(info.bits == 64 ||
                    s->vaddr + s->memsz <= (UINT64_C(1) << 32));
        fuzz_touch(data + s->offset, s->filesz);
    }
    elf_vaddr_span(&info, &lo, &hi);
    FUZZ_ASSERT(lo < hi);
    return 0;
}

/* MMIO instruction decoder (vmx/insn_decode.c): the first byte picks
 * 64-bit (bit 0 set) or 32-bit code, the rest are the guest's instruction
 * bytes.  A decoded instruction stays inside them and names a real
 * register and access size. */
#include "fuzz.h"

#include "../../vmx/insn_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mmio_insn in;
    bool long_mode;

    if (size < 1)
        return 0;
    long_mode = data[0] & 1;
    if (!mmio_decode(data + 1, size - 1, long_mode, &in))
        return 0;
    FUZZ_ASSERT(in.len >= 2 && in.len <= size - 1);
    FUZZ_ASSERT(in.size == 1 || in.size == 2 || in.size == 4 || in.size == 8);
    FUZZ_ASSERT(long_mode || in.size != 8);
    FUZZ_ASSERT(in.reg < (long_mode ? 16u : 8u));
    FUZZ_ASSERT(!in.high8 || (in.size == 1 && in.reg < 4));
    FUZZ_ASSERT(!in.has_imm || in.is_write);
    FUZZ_ASSERT(!in.zero_extend ||
                (!in.is_write && in.dest_size >= in.size &&
                 (in.dest_size == 2 || in.dest_size == 4 ||
                  in.dest_size == 8)));
    FUZZ_ASSERT(!in.sign_extend || (in.zero_extend && in.size <= 2));
    return 0;
}

/* \_S5 scanner (kernel/acpi_s5.c), which reads the host firmware's DSDT:
 * no read outside the AML (ASan) and no undefined arithmetic (UBSan). */
#include "fuzz.h"

#include "../../kernel/acpi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t typa, typb;

    acpi_aml_s5(data, size, &typa, &typb);
    return 0;
}

/* \_S5 lookup in AML without an interpreter: firmware declares it as
 * Name(_S5, Package(){a, b, ...}) (ACPI 6.5 7.4.2.5), which encodes as
 * NameOp(08) "_S5_" PackageOp(12) PkgLength NumElements elements... */
#include "acpi.h"

#include <string.h>

#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_BYTE_PREFIX 0x0a
#define AML_PACKAGE_OP 0x12

/* One integer element; returns bytes consumed or 0. */
static size_t aml_small_int(const uint8_t *p, size_t len, uint8_t *v)
{
	if (len >= 1 && (p[0] == AML_ZERO_OP || p[0] == AML_ONE_OP)) {
		*v = p[0];
		return 1;
	}
	if (len >= 2 && p[0] == AML_BYTE_PREFIX) {
		*v = p[1];
		return 2;
	}
	return 0;
}

bool acpi_aml_s5(const uint8_t *aml, size_t len, uint8_t *typa,
		 uint8_t *typb)
{
	for (size_t i = 0; i + 4 < len; i++) {
		if (memcmp(aml + i, "_S5_", 4) != 0)
			continue;
		size_t p = i + 4;
		if (p >= len || aml[p] != AML_PACKAGE_OP)
			continue;
		p++;
		/* PkgLength: bits 7:6 of the lead byte count extra bytes. */
		if (p >= len)
			return false;
		p += 1 + (aml[p] >> 6);
		p++; /* NumElements */
		size_t n = p < len ? aml_small_int(aml + p, len - p, typa) : 0;
		if (!n)
			return false;
		p += n;
		if (!aml_small_int(aml + p, p < len ? len - p : 0, typb))
			*typb = *typa;
		return true;
	}
	return false;
}

/* \_S5 lookup in AML without an interpreter: firmware declares it as
 * Name(_S5, Package(){a, b, ...}) (ACPI 6.5 7.4.2.5), which encodes as
 * NameOp(08) "_S5_" PackageOp(12) PkgLength NumElements elements...
 * (ACPI 6.5 20.2.4, 20.2.5.4).  Reads stay inside both the buffer and the
 * package's own length, and never past its element count. */
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

/* PkgLength: bits 7:6 of the lead byte count the bytes that follow; with
 * none, bits 5:0 are the length, else bits 3:0 are its low nibble.  The
 * length counts itself.  Returns the end offset of the package or 0. */
static size_t aml_pkg_end(const uint8_t *aml, size_t len, size_t p)
{
	unsigned extra = aml[p] >> 6;
	size_t pkglen;

	if (p + extra >= len)
		return 0;
	pkglen = extra ? aml[p] & 0x0f : aml[p] & 0x3f;
	for (unsigned i = 0; i < extra; i++)
		pkglen |= (size_t)aml[p + 1 + i] << (4 + 8 * i);
	return p + pkglen <= len ? p + pkglen : len;
}

/* Parses the package whose PkgLength starts at p. */
static bool aml_s5_package(const uint8_t *aml, size_t len, size_t p,
			   uint8_t *typa, uint8_t *typb)
{
	size_t end = aml_pkg_end(aml, len, p), n;
	unsigned count;

	if (!end)
		return false;
	p += 1 + (aml[p] >> 6);
	if (p >= end)
		return false;
	count = aml[p++];
	if (count < 1 || !(n = aml_small_int(aml + p, end - p, typa)))
		return false;
	p += n;
	if (count < 2 || !aml_small_int(aml + p, end - p, typb))
		*typb = *typa;
	return true;
}

bool acpi_aml_s5(const uint8_t *aml, size_t len, uint8_t *typa,
		 uint8_t *typb)
{
	for (size_t i = 0; i + 5 < len; i++) {
		if (memcmp(aml + i, "_S5_", 4) != 0 ||
		    aml[i + 4] != AML_PACKAGE_OP)
			continue;
		return aml_s5_package(aml, len, i + 5, typa, typb);
	}
	return false;
}

/* Host unit tests for the \_S5 AML scan (kernel/acpi_s5.c).
 *
 * Each AML fragment is copied into an exact-size heap buffer, so ASan flags
 * any read past its end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel/acpi.h"
#include "unit.h"

static uint8_t typa, typb;

static bool scan_n(const uint8_t *aml, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);
	bool ok;

	if (!buf)
		abort();
	memcpy(buf, aml, len);
	typa = typb = 0xee;
	ok = acpi_aml_s5(buf, len, &typa, &typb);
	free(buf);
	return ok;
}

#define SCAN(arr) scan_n(arr, sizeof(arr))

/* Name(_S5, Package(){0x05, 0x05, 0, 0}) as iasl emits it. */
static const uint8_t s5_bytes[] = {
	0x08, '_', 'S', '5', '_', 0x12, 0x0a, 0x04,
	0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
};

TEST(byte_prefix_elements)
{
	CHECK(SCAN(s5_bytes));
	CHECK_EQ_U64(typa, 5);
	CHECK_EQ_U64(typb, 5);
}

TEST(distinct_values)
{
	static const uint8_t aml[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x02,
		0x0a, 0x07, 0x0a, 0x03,
	};

	CHECK(SCAN(aml));
	CHECK_EQ_U64(typa, 7);
	CHECK_EQ_U64(typb, 3);
}

TEST(zero_and_one_ops)
{
	/* QEMU: Name(_S5, Package(){Zero, Zero, Zero, Zero}) */
	static const uint8_t qemu[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04,
		0x00, 0x00, 0x00, 0x00,
	};
	static const uint8_t mixed[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02,
		0x01, 0x0a, 0x06,
	};

	CHECK(SCAN(qemu));
	CHECK_EQ_U64(typa, 0);
	CHECK_EQ_U64(typb, 0);
	CHECK(SCAN(mixed));
	CHECK_EQ_U64(typa, 1);
	CHECK_EQ_U64(typb, 6);
}

TEST(root_prefixed_name_inside_other_aml)
{
	/* Preceded by unrelated AML (a Name(_S4, ...)) and a root prefix. */
	static const uint8_t aml[] = {
		0x08, '_', 'S', '4', '_', 0x12, 0x06, 0x02, 0x0a, 0x04, 0x0a,
		0x04,
		0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x02,
		0x0a, 0x05, 0x0a, 0x06,
		0x08, '_', 'S', '6', '_', 0x0a, 0x01,
	};

	CHECK(SCAN(aml));
	CHECK_EQ_U64(typa, 5);
	CHECK_EQ_U64(typb, 6);
}

TEST(two_byte_pkglength)
{
	/* Lead byte 0x41: bits 7:6 = 01 (one more byte), length 0x21. */
	static const uint8_t aml[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x41, 0x02, 0x04,
		0x0a, 0x07, 0x01,
	};
	/* Three extra bytes (bits 7:6 = 11). */
	static const uint8_t aml4[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0xc8, 0x00, 0x00, 0x00, 0x02,
		0x00, 0x0a, 0x02,
	};

	CHECK(SCAN(aml));
	CHECK_EQ_U64(typa, 7);
	CHECK_EQ_U64(typb, 1);
	CHECK(SCAN(aml4));
	CHECK_EQ_U64(typa, 0);
	CHECK_EQ_U64(typb, 2);
}

TEST(skips_non_package_s5)
{
	/* Method(_S5_) {...} first (MethodOp 0x14 PkgLength "_S5_" flags),
	 * then a "_S5_" followed by something other than a package, then the
	 * real Name(_S5, Package) later. */
	static const uint8_t aml[] = {
		0x14, 0x08, '_', 'S', '5', '_', 0x00, 0xa4, 0x00,
		0x08, '_', 'S', '5', '_', 0x0a, 0x09,
		0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02,
		0x0a, 0x03, 0x0a, 0x04,
	};

	CHECK(SCAN(aml));
	CHECK_EQ_U64(typa, 3);
	CHECK_EQ_U64(typb, 4);
}

TEST(absent)
{
	static const uint8_t no_s5[] = {
		0x08, '_', 'S', '4', '_', 0x12, 0x06, 0x02,
		0x0a, 0x05, 0x0a, 0x05,
	};
	static const uint8_t almost[] = {
		0x08, '_', 'S', '5', 0x12, 0x06, 0x02, 0x0a, 0x05, 0x0a, 0x05,
	};
	/* "_S5_" is the very last thing: nothing after it. */
	static const uint8_t at_end[] = { 0x08, '_', 'S', '5', '_' };

	CHECK(!SCAN(no_s5));
	CHECK(!SCAN(almost));
	CHECK(!SCAN(at_end));
	CHECK(!scan_n(s5_bytes, 0));
	CHECK(!scan_n(s5_bytes, 4));
}

TEST(truncated_after_package_op)
{
	/* Every prefix of a valid definition that stops before the first
	 * element is complete must fail without reading past the end. */
	for (size_t len = 0; len <= 9; len++) {
		if (scan_n(s5_bytes, len))
			UNIT_FAIL("prefix of %zu bytes accepted", len);
	}
}

TEST(truncated_after_num_elements)
{
	static const uint8_t aml[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x0a, 0x04,
	};
	/* Two-byte PkgLength cut inside the length bytes. */
	static const uint8_t pkg4[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0xc0, 0x00,
	};

	CHECK(!SCAN(aml));
	CHECK(!SCAN(pkg4));
}

TEST(first_element_not_an_integer)
{
	/* WordPrefix (0x0b) is not handled: reported as not found rather
	 * than guessed. */
	static const uint8_t aml[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x02,
		0x0b, 0x05, 0x00, 0x0a, 0x05,
	};

	CHECK(!SCAN(aml));
}

TEST(one_element_typb_equals_typa)
{
	static const uint8_t byte_only[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 0x05,
	};
	static const uint8_t one_only[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x01,
	};
	/* Second element present but not an integer form we read. */
	static const uint8_t odd_second[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x06, 0x0b,
		0x07,
	};
	/* Truncated inside the second element's ByteConst. */
	static const uint8_t cut_second[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x04, 0x0a,
	};

	CHECK(SCAN(byte_only));
	CHECK_EQ_U64(typa, 5);
	CHECK_EQ_U64(typb, 5);
	CHECK(SCAN(one_only));
	CHECK_EQ_U64(typa, 1);
	CHECK_EQ_U64(typb, 1);
	CHECK(SCAN(odd_second));
	CHECK_EQ_U64(typa, 6);
	CHECK_EQ_U64(typb, 6);
	CHECK(SCAN(cut_second));
	CHECK_EQ_U64(typa, 4);
	CHECK_EQ_U64(typb, 4);
}

UNIT_MAIN("acpi")

TEST(element_count_respected)
{
	/* NumElements = 1: the 0x01 after the package is not its element. */
	static const uint8_t one[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 0x05, 0x01,
	};
	/* PkgLength 2 covers only itself and NumElements = 0. */
	static const uint8_t empty[] = {
		0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00, 0x0a, 0x07,
	};

	CHECK(SCAN(one));
	CHECK_EQ_U64(typa, 5);
	CHECK_EQ_U64(typb, 5);
	CHECK(!SCAN(empty));
}

#include "power.h"

#include "../arch/cpu.h"
#include "../arch/io.h"
#include "acpi.h"
#include "log.h"

/* UEFI 2.10 8.5.1: ResetSystem(ResetType, ResetStatus, DataSize, Data). */
#define EFI_RESET_SHUTDOWN 2
typedef void (*__attribute__((ms_abi)) efi_reset_fn)(int type,
						     uint64_t status,
						     uint64_t size,
						     void *data);

/* PM1 control: SLP_TYP in bits 12:10, SLP_EN bit 13 (ACPI 6.5 4.8.3.2.1). */
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_EN (1u << 13)

/* Bochs quits when "Shutdown" is written byte by byte here. */
#define BOCHS_SHUTDOWN_PORT 0x8900

static uint64_t efi_reset, boot_cr3;
static struct acpi_s5 s5;
static bool have_s5;

void power_init(const struct boot_info *bi)
{
	efi_reset = bi->efi_reset_system;
	boot_cr3 = bi->boot_cr3;
	have_s5 = acpi_find_s5(bi->acpi_rsdp, &s5);
}

/* Runtime services were never given virtual addresses, so they run only
 * where physical = virtual: on the UEFI stage's tables, which also map the
 * kernel and its stacks. */
static void try_efi_reset(void)
{
	if (!efi_reset)
		return;
	uint64_t cr3 = read_cr3();
	write_cr3(boot_cr3);
	((efi_reset_fn)efi_reset)(EFI_RESET_SHUTDOWN, 0, 0, 0);
	write_cr3(cr3);
}

static void try_acpi_s5(void)
{
	if (!have_s5)
		return;
	outw(s5.pm1a_cnt, (uint16_t)((s5.slp_typa << PM1_SLP_TYP_SHIFT) |
				     PM1_SLP_EN));
	if (s5.pm1b_cnt)
		outw(s5.pm1b_cnt, (uint16_t)((s5.slp_typb << PM1_SLP_TYP_SHIFT) |
					     PM1_SLP_EN));
}

static void try_bochs_port(void)
{
	for (const char *p = "Shutdown"; *p; p++)
		outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*p);
}

void power_off(const char *outcome)
{
	irq_disable();
	log_info("hv: power off: %s", outcome);
	try_efi_reset();
	try_acpi_s5();
	try_bochs_port();
	log_error("hv: power off failed; halting");
	cpu_halt_forever();
}

uint16_t power_pm1_port(unsigned which)
{
	if (!have_s5)
		return 0;
	return which == 0 ? s5.pm1a_cnt : s5.pm1b_cnt;
}

/* QEMU's fw_cfg, legacy I/O interface: select a key with a 16-bit write to
 * 0x510, read its bytes from 0x511 (QEMU docs/specs/fw_cfg.rst).  Enough
 * for test kernels that ask for the signature, CPU count and RAM size. */
#ifndef DRIVERS_FW_CFG_H
#define DRIVERS_FW_CFG_H

#include <stdbool.h>

#include "../kernel/vm.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511

enum fw_cfg_key {
	FW_CFG_SIGNATURE = 0x00,
	FW_CFG_ID = 0x01,
	FW_CFG_RAM_SIZE = 0x03,
	FW_CFG_NB_CPUS = 0x05,
	FW_CFG_MAX_CPUS = 0x0f,
	FW_CFG_FILE_DIR = 0x19,
};

bool fw_cfg_attach(struct vm *vm, void **state);

/* What a snapshot keeps of its state (kernel/snapshot.h). */
struct dev_snap;
extern const struct dev_snap fw_cfg_snap;

#endif

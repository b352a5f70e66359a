/* Emulated PCI functions on a VM's bus (drivers/vpci.c): a type-0 config
 * space (PCI Local Bus 3.0, 6.1-6.2) with the read-only, writable and
 * write-one-to-clear bits the spec gives, a capability list the device
 * fills, and one 32-bit memory BAR (BAR0).  Each function's BAR0 starts
 * at a fixed address in hv's PCI window (VPCI_WINDOW_BASE), as firmware
 * would leave it, with memory decoding on; a guest may move it within the
 * window (elsewhere it stops decoding, logged once) and size it as on
 * hardware.  Accesses to the window go to the function whose BAR covers
 * them, if its Memory Space bit is set. */
#ifndef DRIVERS_VPCI_FUNC_H
#define DRIVERS_VPCI_FUNC_H

#include <stdbool.h>
#include <stdint.h>

#include "../kernel/io_bus.h"

struct vm;
struct vcpu;

#define VPCI_WINDOW_BASE 0xfe000000ull
#define VPCI_WINDOW_SIZE 0x00100000ull
#define VPCI_SLOT_SIZE 0x10000ull /* one function's share of the window */
#define VPCI_FIRST_SLOT 4         /* 00:04.0 is the first emulated one */
#define VPCI_MAX_FUNCS 8

/* What the device behind a function does.  bar_read/bar_write get the
 * offset inside BAR0; cfg_write is told after a config write landed (the
 * device may look at its capabilities); reset puts the device in its
 * power-on state (the function's config space is reset by vpci_func). */
struct vpci_func_ops {
	enum io_result (*bar_read)(void *dev, struct vcpu *v, uint64_t off,
				   unsigned size, uint64_t *val);
	enum io_result (*bar_write)(void *dev, struct vcpu *v, uint64_t off,
				    unsigned size, uint64_t val);
	void (*cfg_write)(void *dev, unsigned reg);
	void (*reset)(void *dev);
	/* Optional: the value a config read of dword `reg` returns, given
	 * what config space holds (virtio's PCI configuration access
	 * window reads the BAR). */
	uint32_t (*cfg_read)(void *dev, unsigned reg, uint32_t held);
};

struct vpci_func {
	uint8_t dev_no;       /* device number on bus 0, function 0 */
	uint8_t cfg[256];     /* config space as the guest reads it */
	uint8_t wmask[256];   /* bits the guest may write */
	uint8_t w1c[256];     /* bits a write of one clears */
	uint8_t reset_cfg[256]; /* cfg at power-on */
	uint32_t bar_size;    /* BAR0: a power of two, at least 4 KiB */
	bool bar_sizing;
	bool bar_warned;
	uint8_t cap_end;      /* where the next capability goes */
	const struct vpci_func_ops *ops;
	void *dev;
};

/* Sets up f as device vendor:device, class code `class` (base, sub,
 * prog-if in bits 23:0), subsystem IDs, interrupt pin A and line `irq`,
 * BAR0 of bar_size bytes in window slot `slot`. */
void vpci_func_init(struct vpci_func *f, unsigned slot, uint16_t vendor,
		    uint16_t device, uint32_t class, uint8_t revision,
		    uint16_t subsys_vendor, uint16_t subsys, uint8_t irq,
		    uint32_t bar_size, const struct vpci_func_ops *ops,
		    void *dev);
/* Appends a capability of `len` bytes (id first; the next pointer is
 * filled in) and returns its offset in config space, 0 if no room.  The
 * caller fills its body in f->cfg and marks writable bits in f->wmask;
 * vpci_func_seal() must follow the last one. */
unsigned vpci_func_add_cap(struct vpci_func *f, uint8_t id, unsigned len);
/* Records the power-on config space (after the capabilities). */
void vpci_func_seal(struct vpci_func *f);

/* Config space access (dword register `reg`, byte enables `bytes`). */
uint32_t vpci_func_cfg_read(struct vpci_func *f, unsigned reg);
void vpci_func_cfg_write(struct vpci_func *f, unsigned reg, uint32_t val,
			 unsigned bytes);
/* BAR0's guest-physical address and whether it decodes now. */
uint64_t vpci_func_bar(const struct vpci_func *f);
bool vpci_func_decodes(const struct vpci_func *f);
bool vpci_func_bus_master(const struct vpci_func *f);
/* Power-on state of the config space, then the device's reset. */
void vpci_func_reset(struct vpci_func *f);

/* Little-endian helpers for config space and device registers. */
static inline void vpci_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void vpci_put32(uint8_t *p, uint32_t v) { vpci_put16(p, (uint16_t)v); vpci_put16(p + 2, (uint16_t)(v >> 16)); }
static inline uint16_t vpci_get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t vpci_get32(const uint8_t *p) { return vpci_get16(p) | (uint32_t)vpci_get16(p + 2) << 16; }

#endif

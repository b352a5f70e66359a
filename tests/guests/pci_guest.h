/* PCI configuration mechanism #1 and BAR register access for the test
 * guests that drive PCI functions by hand (vblk.c, vnet.c): `bdf` is
 * the function they talk to (bus 0: device << 3 | function). */
#ifndef GUEST_PCI_GUEST_H
#define GUEST_PCI_GUEST_H

#include "guest.h"

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc

static uint32_t bdf;

static inline uint32_t cfg_read(unsigned reg)
{
	outl(PCI_ADDR, 0x80000000u | bdf << 8 | reg);
	return inl(PCI_DATA);
}

static inline void cfg_write(unsigned reg, uint32_t v)
{
	outl(PCI_ADDR, 0x80000000u | bdf << 8 | reg);
	outl(PCI_DATA, v);
}

static inline void w8(volatile uint8_t *b, unsigned off, uint8_t v) { b[off] = v; }
static inline void w16(volatile uint8_t *b, unsigned off, uint16_t v) { *(volatile uint16_t *)(b + off) = v; }
static inline void w32(volatile uint8_t *b, unsigned off, uint32_t v) { *(volatile uint32_t *)(b + off) = v; }
static inline uint8_t r8(volatile uint8_t *b, unsigned off) { return b[off]; }
static inline uint16_t r16(volatile uint8_t *b, unsigned off) { return *(volatile uint16_t *)(b + off); }
static inline uint32_t r32(volatile uint8_t *b, unsigned off) { return *(volatile uint32_t *)(b + off); }

#endif

/* VMCS access.  One failure policy (Xen's): a failed VMREAD/VMWRITE is a
 * hypervisor bug and panics with the field and the VM-instruction error;
 * there is no unchecked VMWRITE.  Widths are checked at compile time. */
#ifndef VMX_VMCS_H
#define VMX_VMCS_H

#include <stdint.h>

#include "vmcs_fields.h"

/* VMREAD/VMWRITE with the failure policy above.  Only the accessors
 * below call these: every encoding that reaches them was width-checked
 * at compile time, by name or in a typed table. */
uint64_t vmcs_read_checked(enum vmcs_field f);
void vmcs_write_checked(enum vmcs_field f, uint64_t v);

/* The same, inline: VMREAD/VMWRITE and one branch (CF or ZF set: the
 * instruction failed, SDM Vol. 3C 31.2) on the exit path, instead of a
 * call, two SETcc and a compare.  A failure goes to the checked
 * function, which does it again (nothing changed meanwhile, so it fails
 * the same way) and panics with the VM-instruction error. */
static inline __attribute__((always_inline)) uint64_t
vmcs_read_inline(enum vmcs_field f)
{
	uint64_t v;

	__asm__ goto("vmread %1, %0; jbe %l[failed]"
		     : "=r"(v) : "r"((uint64_t)f) : "cc" : failed);
	return v;
failed:
	return vmcs_read_checked(f);
}

static inline __attribute__((always_inline)) void
vmcs_write_inline(enum vmcs_field f, uint64_t v)
{
	__asm__ goto("vmwrite %1, %0; jbe %l[failed]"
		     : : "r"((uint64_t)f), "rm"(v) : "cc" : failed);
	return;
failed:
	vmcs_write_checked(f, v);
}

/* Files built for size (the Makefile's KERNEL_COLD: loaders, start-up,
 * the monitor) and those that ask (VMCS set-up: hundreds of VMWRITEs,
 * once per vCPU) keep the call: smaller, and off the exit path. */
#if defined(__OPTIMIZE_SIZE__) || defined(VMCS_ACCESS_OUT_OF_LINE)
#define VMCS_READ vmcs_read_checked
#define VMCS_WRITE vmcs_write_checked
#else
#define VMCS_READ vmcs_read_inline
#define VMCS_WRITE vmcs_write_inline
#endif

/* A struct with a static assertion in it: zero cost, fails the build when
 * an accessor of the wrong width meets a field. */
#define VMCS_WIDTH_IS(f, w)                                                 \
	((void)sizeof(struct {                                              \
		_Static_assert(VMCS_FIELD_WIDTH(f) == (w),                  \
			       "VMCS field width mismatch: " #f);           \
		int unused;                                                 \
	}))

#define vmcs_read16(f) (VMCS_WIDTH_IS(f, VMCS_W16), (uint16_t)VMCS_READ(f))
#define vmcs_read32(f) (VMCS_WIDTH_IS(f, VMCS_W32), (uint32_t)VMCS_READ(f))
#define vmcs_read64(f) (VMCS_WIDTH_IS(f, VMCS_W64), VMCS_READ(f))
#define vmcs_readn(f) (VMCS_WIDTH_IS(f, VMCS_WNAT), VMCS_READ(f))
#define vmcs_write16(f, v) (VMCS_WIDTH_IS(f, VMCS_W16), VMCS_WRITE(f, (uint16_t)(v)))
#define vmcs_write32(f, v) (VMCS_WIDTH_IS(f, VMCS_W32), VMCS_WRITE(f, (uint32_t)(v)))
#define vmcs_write64(f, v) (VMCS_WIDTH_IS(f, VMCS_W64), VMCS_WRITE(f, (uint64_t)(v)))
#define vmcs_writen(f, v) (VMCS_WIDTH_IS(f, VMCS_WNAT), VMCS_WRITE(f, (uint64_t)(v)))
/* Inline whatever the file asked: for the exit path's reads in a file
 * that keeps the calls. */
#define vmcs_readn_inline(f) (VMCS_WIDTH_IS(f, VMCS_WNAT), vmcs_read_inline(f))

/* Fields chosen at run time (segment n, PDPTE n) come from constant
 * tables of these typed fields.  Each entry is width-checked where the
 * table names it (VMCS_F16(GUEST_ES_SELECTOR) does not build for a field
 * of another width), and the type then admits only the accessor of its
 * width, so no computed encoding reaches VMREAD or VMWRITE. */
struct vmcs_f16 { enum vmcs_field enc; };
struct vmcs_f32 { enum vmcs_field enc; };
struct vmcs_f64 { enum vmcs_field enc; };
struct vmcs_fn { enum vmcs_field enc; };

/* The encoding, after a compile-time width check: a constant expression,
 * for static initializers. */
#define VMCS_CHECKED_ENC(f, w)                                              \
	((enum vmcs_field)((f) + 0 * sizeof(struct {                        \
		_Static_assert(VMCS_FIELD_WIDTH(f) == (w),                  \
			       "VMCS field width mismatch: " #f);           \
		int unused;                                                 \
	})))
#define VMCS_F16(f) { VMCS_CHECKED_ENC(f, VMCS_W16) }
#define VMCS_F32(f) { VMCS_CHECKED_ENC(f, VMCS_W32) }
#define VMCS_F64(f) { VMCS_CHECKED_ENC(f, VMCS_W64) }
#define VMCS_FN(f) { VMCS_CHECKED_ENC(f, VMCS_WNAT) }

static inline uint16_t vmcs_read_f16(struct vmcs_f16 f)
{
	return (uint16_t)vmcs_read_checked(f.enc);
}
static inline uint32_t vmcs_read_f32(struct vmcs_f32 f)
{
	return (uint32_t)vmcs_read_checked(f.enc);
}
static inline uint64_t vmcs_read_f64(struct vmcs_f64 f)
{
	return vmcs_read_checked(f.enc);
}
static inline uint64_t vmcs_read_fn(struct vmcs_fn f)
{
	return vmcs_read_checked(f.enc);
}
static inline void vmcs_write_f16(struct vmcs_f16 f, uint16_t v)
{
	vmcs_write_checked(f.enc, v);
}
static inline void vmcs_write_f32(struct vmcs_f32 f, uint32_t v)
{
	vmcs_write_checked(f.enc, v);
}
static inline void vmcs_write_f64(struct vmcs_f64 f, uint64_t v)
{
	vmcs_write_checked(f.enc, v);
}
static inline void vmcs_write_fn(struct vmcs_fn f, uint64_t v)
{
	vmcs_write_checked(f.enc, v);
}

/* Guest segment registers, in the order both of the VMCS's field groups
 * (SDM Vol. 3D B.1.2, B.3.3, B.4.3) and of instruction-information
 * fields (SDM Vol. 3C Table 28-8). */
enum guest_seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

/* The four guest-state fields of one segment register. */
struct vmcs_segment {
	struct vmcs_f16 selector;
	struct vmcs_fn base;
	struct vmcs_f32 limit;
	struct vmcs_f32 rights; /* access rights */
};

extern const struct vmcs_segment vmcs_guest_segment[SEG_COUNT];

/* VM-instruction error numbers by name (SDM Vol. 3C 31.4). */
const char *vmx_instruction_error_name(uint32_t err);

#endif

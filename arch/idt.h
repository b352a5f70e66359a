/* The interrupt descriptor table, shared by all CPUs. */
#ifndef ARCH_IDT_H
#define ARCH_IDT_H

#include <stdint.h>

/* Exception vectors (SDM Vol. 3A 6.3.1, Table 6-1). */
enum exception_vector {
	VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4,
	VEC_BR = 5, VEC_UD = 6, VEC_NM = 7, VEC_DF = 8, VEC_TS = 10,
	VEC_NP = 11, VEC_SS = 12, VEC_GP = 13, VEC_PF = 14, VEC_MF = 16,
	VEC_AC = 17, VEC_MC = 18, VEC_XM = 19, VEC_VE = 20, VEC_CP = 21,
};
#define NUM_EXCEPTIONS 32

/* Builds the table once (first call) and loads it on this CPU. */
void idt_load(void);

#endif

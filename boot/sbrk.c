/*
 * newlib's heap hook for the UEFI stage, which has no newlib heap (what it
 * allocates comes from UEFI boot services).  vsnprintf, used by the shared
 * hv.cfg parser, references malloc for wide-character conversions that hv
 * never asks for; should anything reach malloc here it gets NULL, where an
 * undefined sbrk would jump through a PLT slot the EFI image never
 * relocates.
 */
#include <errno.h>
#include <stddef.h>

void *sbrk(ptrdiff_t incr);
void *sbrk(ptrdiff_t incr)
{
	(void)incr;
	errno = ENOMEM;
	return (void *)-1;
}

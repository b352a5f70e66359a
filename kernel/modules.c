#include "modules.h"

#include <string.h>

#include "memory.h"

static const struct boot_info *info;

void modules_init(const struct boot_info *bi)
{
	info = bi;
}

const void *module_find(const char *path, size_t *size)
{
	for (unsigned i = 0; info && i < info->nmodules; i++) {
		const struct boot_module *m = &info->modules[i];
		if (strcmp(m->path, path) == 0) {
			*size = m->size;
			return phys_to_virt(m->phys);
		}
	}
	return NULL;
}

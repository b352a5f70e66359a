/* hv.cfg parser (kernel/config.c): any bytes either parse into a
 * configuration that keeps config.h's documented limits, or fail with a
 * line number and a NUL-terminated message. */
#include "fuzz.h"

#include <string.h>

#include "../../kernel/config.h"

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n >= CFG_NAME_MAX)
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_-") == n;
}

static void check_vm(const struct hv_config *c, unsigned i)
{
    const struct vm_config *vm = &c->vms[i];

    FUZZ_ASSERT(terminated(vm->name, sizeof(vm->name)) && valid_name(vm->name));
    FUZZ_ASSERT(terminated(vm->kernel, sizeof(vm->kernel)) && vm->kernel[0]);
    FUZZ_ASSERT(terminated(vm->initrd, sizeof(vm->initrd)));
    FUZZ_ASSERT(terminated(vm->cmdline, sizeof(vm->cmdline)));
    FUZZ_ASSERT(vm->type == CFG_VM_MULTIBOOT || vm->type == CFG_VM_LINUX);
    FUZZ_ASSERT(vm->memory > 0 && vm->memory % 4096 == 0 &&
                vm->memory <= CFG_MEMORY_MAX);
    FUZZ_ASSERT(vm->vcpus >= 1 && vm->vcpus <= CFG_VCPUS_MAX);
    FUZZ_ASSERT(vm->npio <= CFG_PIO_MAX && vm->npci <= CFG_PCI_MAX);
    FUZZ_ASSERT(vm->nmodules <= CFG_MODULES_MAX);
    FUZZ_ASSERT(vm->nmodules == 0 || vm->type == CFG_VM_MULTIBOOT);
    for (unsigned m = 0; m < vm->nmodules; m++) {
        const struct cfg_module *mod = &vm->modules[m];

        FUZZ_ASSERT(terminated(mod->path, sizeof(mod->path)) && mod->path[0]);
        FUZZ_ASSERT(terminated(mod->args, sizeof(mod->args)));
        FUZZ_ASSERT(!strchr(mod->path, ' ') && !strchr(mod->path, '\t'));
    }
    for (unsigned j = 0; j < i; j++)
        FUZZ_ASSERT(strcmp(c->vms[j].name, vm->name) != 0);
    /* A port or a PCI function goes to one VM only, once. */
    for (unsigned a = 0; a < vm->npio; a++) {
        FUZZ_ASSERT(vm->pio[a].first <= vm->pio[a].last);
        for (unsigned j = 0; j <= i; j++)
            for (unsigned b = 0; b < c->vms[j].npio; b++) {
                const struct cfg_port_range *o = &c->vms[j].pio[b];
                if (j == i && b == a)
                    continue;
                FUZZ_ASSERT(o->last < vm->pio[a].first ||
                            vm->pio[a].last < o->first);
            }
    }
    for (unsigned a = 0; a < vm->npci; a++)
        for (unsigned j = 0; j <= i; j++)
            for (unsigned b = 0; b < c->vms[j].npci; b++)
                FUZZ_ASSERT((j == i && b == a) ||
                            c->vms[j].pci[b] != vm->pci[a]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hv_config cfg;
    struct config_error err;
    size_t lines = 1;

    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    if (config_parse((const char *)data, size, &cfg, &err) < 0) {
        FUZZ_ASSERT(terminated(err.msg, sizeof(err.msg)) && err.msg[0]);
        FUZZ_ASSERT(err.line >= 1 && err.line <= lines);
        return 0;
    }
    FUZZ_ASSERT(cfg.nvms <= CFG_MAX_VMS);
    for (unsigned i = 0; i < cfg.nvms; i++)
        check_vm(&cfg, i);
    return 0;
}

#include "vm_console.h"

#include "../arch/cpu.h"
#include "log.h"
#include "vm.h"

#define LINE_MAX_BYTES 200

/* One pending line per VM; a line longer than that is cut into pieces. */
struct console_line {
	char buf[LINE_MAX_BYTES];
	size_t len;
};

static struct console_line lines[CFG_MAX_VMS];

void vm_console_flush(struct vm *vm)
{
	struct console_line *l = &lines[vm->id];

	if (!l->len)
		return;
	log_raw("[%s] %.*s\n", vm->name, (int)l->len, l->buf);
	l->len = 0;
}

void vm_console_write(struct vm *vm, const char *buf, size_t len)
{
	struct console_line *l = &lines[vm->id];

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (c == '\n' || l->len == LINE_MAX_BYTES) {
			vm_console_flush(vm);
			if (c == '\n')
				continue;
		}
		if (c == '\r')
			continue;
		/* Keep the host log plain text whatever the guest sends. */
		l->buf[l->len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
	}
}

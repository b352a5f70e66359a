#include "vm_console.h"

#include "../arch/cpu.h"
#include "console.h"
#include "log.h"
#include "vm.h"

#define LINE_MAX_BYTES 200

/* One pending line per VM; a line longer than that is cut into pieces. */
struct console_line {
	char buf[LINE_MAX_BYTES];
	size_t len;
};

static struct console_line lines[CFG_MAX_VMS];

struct console_input {
	struct vm *vm;
	console_input_fn fn;
	void *dev;
};

static struct console_input inputs[CFG_MAX_VMS];
static unsigned ninputs, focus, ctrl_a_run;

#define CTRL_A 0x01
#define FOCUS_SWITCH_RUN 3

void vm_console_register_input(struct vm *vm, console_input_fn fn, void *dev)
{
	if (ninputs < CFG_MAX_VMS)
		inputs[ninputs++] = (struct console_input){ vm, fn, dev };
}

void vm_console_unregister_input(struct vm *vm)
{
	for (unsigned i = 0; i < ninputs; i++) {
		if (inputs[i].vm != vm)
			continue;
		for (unsigned j = i + 1; j < ninputs; j++)
			inputs[j - 1] = inputs[j];
		ninputs--;
		if (focus > i || focus == ninputs)
			focus = focus ? focus - 1 : 0;
		return;
	}
}

static void switch_focus(void)
{
	for (unsigned n = 1; n <= ninputs; n++) {
		unsigned next = (focus + n) % ninputs;
		if (inputs[next].vm->state == VM_RUNNING) {
			focus = next;
			break;
		}
	}
	log_info("console: input now goes to vm %s", inputs[focus].vm->name);
}

void vm_console_poll_input(void)
{
	int c;

	while ((c = console_getc()) >= 0) {
		if (!ninputs)
			continue;
		ctrl_a_run = c == CTRL_A ? ctrl_a_run + 1 : 0;
		if (ctrl_a_run == FOCUS_SWITCH_RUN) {
			ctrl_a_run = 0;
			switch_focus();
			continue;
		}
		if (inputs[focus].vm->state == VM_RUNNING)
			inputs[focus].fn(inputs[focus].dev, (uint8_t)c);
	}
}

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

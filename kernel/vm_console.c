#include "vm_console.h"

#include "../arch/cpu.h"
#include "console.h"
#include "log.h"
#include "spinlock.h"
#include "vm.h"

#define LINE_MAX_BYTES 200

/* One pending line per VM; a line longer than that is cut into pieces.
 * Its lock keeps a line whole when two vCPUs of the VM write at once, or
 * one writes while another CPU flushes; the console's lock nests in it. */
struct console_line {
	struct spinlock lock;
	char buf[LINE_MAX_BYTES];
	size_t len;
};

static struct console_line lines[CFG_MAX_VMS] = {
	[0 ... CFG_MAX_VMS - 1] = { .lock = SPINLOCK_INIT("vm console line") },
};

struct console_input {
	struct vm *vm;
	console_input_fn fn;
	void *dev;
};

/* The input table and focus change as VMs come and go, on any CPU, while
 * one CPU polls the console: `inputs_lock` covers them.  A VM's input
 * function (its UART's, which takes the UART's lock) is called under it,
 * so the order is inputs_lock, then the device's; no device takes
 * inputs_lock. */
static struct spinlock inputs_lock = SPINLOCK_INIT("vm console input");
static struct console_input inputs[CFG_MAX_VMS];
static unsigned ninputs, focus, ctrl_a_run;

#define CTRL_A 0x01
#define FOCUS_SWITCH_RUN 3

void vm_console_register_input(struct vm *vm, console_input_fn fn, void *dev)
{
	spin_lock(&inputs_lock);
	if (ninputs < CFG_MAX_VMS)
		inputs[ninputs++] = (struct console_input){ vm, fn, dev };
	spin_unlock(&inputs_lock);
}

void vm_console_unregister_input(struct vm *vm)
{
	spin_lock(&inputs_lock);
	for (unsigned i = 0; i < ninputs; i++) {
		if (inputs[i].vm != vm)
			continue;
		for (unsigned j = i + 1; j < ninputs; j++)
			inputs[j - 1] = inputs[j];
		ninputs--;
		if (focus > i || focus == ninputs)
			focus = focus ? focus - 1 : 0;
		break;
	}
	spin_unlock(&inputs_lock);
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

/* One byte typed on the host console, with inputs_lock held. */
static void poll_one(int c)
{
	if (!ninputs)
		return;
	ctrl_a_run = c == CTRL_A ? ctrl_a_run + 1 : 0;
	if (ctrl_a_run == FOCUS_SWITCH_RUN) {
		ctrl_a_run = 0;
		switch_focus();
		return;
	}
	if (inputs[focus].vm->state == VM_RUNNING)
		inputs[focus].fn(inputs[focus].dev, (uint8_t)c);
}

void vm_console_poll_input(void)
{
	int c;

	while ((c = console_getc()) >= 0) {
		spin_lock(&inputs_lock);
		poll_one(c);
		spin_unlock(&inputs_lock);
	}
}

static void flush_locked(struct vm *vm, struct console_line *l)
{
	if (!l->len)
		return;
	log_raw("[%s] %.*s\n", vm->name, (int)l->len, l->buf);
	l->len = 0;
}

void vm_console_flush(struct vm *vm)
{
	struct console_line *l = &lines[vm->id];

	spin_lock(&l->lock);
	flush_locked(vm, l);
	spin_unlock(&l->lock);
}

void vm_console_write(struct vm *vm, const char *buf, size_t len)
{
	struct console_line *l = &lines[vm->id];

	spin_lock(&l->lock);
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (c == '\n' || l->len == LINE_MAX_BYTES) {
			flush_locked(vm, l);
			if (c == '\n')
				continue;
		}
		if (c == '\r')
			continue;
		/* Keep the host log plain text whatever the guest sends. */
		l->buf[l->len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
	}
	spin_unlock(&l->lock);
}

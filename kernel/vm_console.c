#include "vm_console.h"

#include <stdio.h>
#include <string.h>

#include "../arch/cpu.h"
#include "console.h"
#include "log.h"
#include "monitor.h"
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

/* Zero-initialised (hv.efi carries no copy of them); vm_console_init
 * sets up their locks at start-up. */
static struct console_line lines[CFG_MAX_VMS];

void vm_console_init(void)
{
	for (unsigned i = 0; i < CFG_MAX_VMS; i++)
		spin_init(&lines[i].lock, "vm console line");
}

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
static unsigned ninputs, focus;

/* Ctrl-A and the key after it (as Xen's console switch and QEMU's
 * muxed serial): m opens the monitor, n moves input to the next running
 * VM, 1-9 to the VM with that number; Ctrl-A Ctrl-A then any other key
 * sends one literal Ctrl-A (and that key), and a third Ctrl-A moves to
 * the next VM (the older Ctrl-A x3).  Another key after one Ctrl-A
 * reaches the VM with the Ctrl-A before it. */
#define CTRL_A 0x01
static unsigned ctrl_a_run;

/* While the monitor is open the VMs' lines wait here and are printed,
 * in order, when it closes, so neither interleaves with the other; if
 * it fills, lines are printed at once rather than lost. */
#define HELD_MAX (16u << 10)
static struct spinlock held_lock = SPINLOCK_INIT("vm console held");
static char held[HELD_MAX];
static size_t held_len;
static bool holding;

void vm_console_register_input(struct vm *vm, console_input_fn fn, void *dev)
{
	unsigned i;

	spin_lock(&inputs_lock);
	for (i = 0; i < ninputs && inputs[i].vm != vm; i++)
		;
	if (i < CFG_MAX_VMS) {
		inputs[i] = (struct console_input){ vm, fn, dev };
		ninputs += i == ninputs;
	}
	spin_unlock(&inputs_lock);
}

bool vm_console_input_of(struct vm *vm, console_input_fn *fn, void **dev)
{
	bool found = false;

	spin_lock(&inputs_lock);
	for (unsigned i = 0; i < ninputs && !found; i++)
		if (inputs[i].vm == vm) {
			*fn = inputs[i].fn;
			*dev = inputs[i].dev;
			found = true;
		}
	spin_unlock(&inputs_lock);
	return found;
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

static void say_focus(void)
{
	log_info("console: input now goes to vm %s", inputs[focus].vm->name);
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
	say_focus();
}

/* With inputs_lock held. */
static bool focus_on(const struct vm *vm)
{
	for (unsigned i = 0; i < ninputs; i++)
		if (inputs[i].vm == vm) {
			focus = i;
			say_focus();
			return true;
		}
	return false;
}

const char *vm_console_focused(void)
{
	const char *name = NULL;

	spin_lock(&inputs_lock);
	if (ninputs)
		name = inputs[focus].vm->name;
	spin_unlock(&inputs_lock);
	return name;
}

bool vm_console_focus(struct vm *vm)
{
	bool ok;

	spin_lock(&inputs_lock);
	ok = focus_on(vm);
	spin_unlock(&inputs_lock);
	return ok;
}

static void to_vm(uint8_t c)
{
	if (ninputs && inputs[focus].vm->state == VM_RUNNING)
		inputs[focus].fn(inputs[focus].dev, c);
}

/* One byte typed on the host console, with inputs_lock held.  True when
 * it opened the monitor. */
static bool poll_one(uint8_t c)
{
	unsigned run = ctrl_a_run;

	if (c == CTRL_A) {
		ctrl_a_run = run + 1;
		if (ctrl_a_run == 3) {
			ctrl_a_run = 0;
			if (ninputs)
				switch_focus();
		}
		return false;
	}
	ctrl_a_run = 0;
	if (run == 2) {
		to_vm(CTRL_A);
		run = 0;
	}
	if (run == 1) {
		if (c == 'm')
			return true;
		if (c == 'n' && ninputs) {
			switch_focus();
			return false;
		}
		if (c >= '1' && c <= '9') {
			struct vm *vm = monitor_vm_by_number(c - '0');
			if (!vm || !focus_on(vm))
				log_info("console: no VM %c with console input",
					 c);
			return false;
		}
		to_vm(CTRL_A);
	}
	to_vm(c);
	return false;
}

void vm_console_poll_input(void)
{
	int c;

	monitor_poll();
	while ((c = console_getc()) >= 0) {
		bool open;

		if (monitor_is_open()) {
			/* Ctrl-A m again, or `quit`, closes it. */
			if (c == CTRL_A)
				ctrl_a_run = 1;
			else if (ctrl_a_run && c == 'm') {
				ctrl_a_run = 0;
				monitor_close();
			} else {
				ctrl_a_run = 0;
				monitor_input((uint8_t)c);
			}
			continue;
		}
		spin_lock(&inputs_lock);
		open = poll_one((uint8_t)c);
		spin_unlock(&inputs_lock);
		if (open)
			monitor_open();
	}
}

void vm_console_write_host(const char *buf, size_t len)
{
	console_write(buf, len);
}

/* Appends to the held lines, or prints them when the buffer is full. */
static void hold_line(const char *s, size_t n)
{
	if (held_len + n > HELD_MAX) {
		console_write(held, held_len);
		held_len = 0;
	}
	if (n > HELD_MAX) {
		console_write(s, n);
		return;
	}
	memcpy(held + held_len, s, n);
	held_len += n;
}

void vm_console_hold(bool on)
{
	spin_lock(&held_lock);
	holding = on;
	if (!on && held_len) {
		console_write(held, held_len);
		held_len = 0;
	}
	spin_unlock(&held_lock);
}

static void flush_locked(struct vm *vm, struct console_line *l)
{
	char out[CFG_NAME_MAX + LINE_MAX_BYTES + 8];
	int n;

	if (!l->len)
		return;
	n = snprintf(out, sizeof(out), "[%s] %.*s\n", vm->name, (int)l->len,
		     l->buf);
	if (n > (int)sizeof(out) - 1)
		n = sizeof(out) - 1;
	spin_lock(&held_lock);
	if (holding)
		hold_line(out, (size_t)n);
	else
		console_write(out, (size_t)n);
	spin_unlock(&held_lock);
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

#include "log.h"

#include <stdarg.h>
#include <stdio.h>

#include "../arch/percpu.h"
#include "console.h"

#define LOG_LINE_MAX 512

static enum cfg_log_level log_level = CFG_LOG_INFO;

static const char *const level_names[] = {
	[CFG_LOG_ERROR] = "error",
	[CFG_LOG_WARN] = "warn",
	[CFG_LOG_INFO] = "info",
	[CFG_LOG_DEBUG] = "debug",
};

void log_set_level(enum cfg_log_level level)
{
	log_level = level;
}

/* Formats the whole line first so that lines from different CPUs never
 * interleave inside one console_write. */
void log_msg(enum cfg_log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	int n;

	if (level > log_level)
		return;
	n = snprintf(line, sizeof(line), "[cpu%u] %s: ", this_cpu_id(),
		     level_names[level]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	console_write(line, (size_t)n);
}

void log_raw(const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 1)
		n = sizeof(line) - 1;
	console_write(line, (size_t)n);
}

/* The hypervisor's log: one line per message, each carrying the CPU and a
 * level, e.g. "[cpu0] info: hv: kernel started".  Messages below the level
 * chosen in hv.cfg (log =) are dropped. */
#ifndef KERNEL_LOG_H
#define KERNEL_LOG_H

#include <stddef.h>

#include "config.h"

void log_set_level(enum cfg_log_level level);
void log_msg(enum cfg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Unprefixed, unfiltered text (exception dumps, tables). */
void log_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_error(...) log_msg(CFG_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(CFG_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(CFG_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(CFG_LOG_DEBUG, __VA_ARGS__)

#endif

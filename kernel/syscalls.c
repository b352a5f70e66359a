/* newlib's system-call layer.  Configured with
 * --disable-newlib-supplied-syscalls for a bare target, newlib is built
 * with MISSING_SYSCALL_NAMES, so its reentrant wrappers (_write_r, ...) call
 * the plain POSIX names defined here.  Output goes to the console, there is
 * no file system, and leaving the C library's world is a bug. */
#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "console.h"
#include "panic.h"

#undef errno
extern int errno;

int write(int fd, const void *buf, size_t len);
int read(int fd, void *buf, size_t len);
int close(int fd);
off_t lseek(int fd, off_t off, int whence);
int fstat(int fd, struct stat *st);
int isatty(int fd);
int kill(int pid, int sig);
int getpid(void);
void _exit(int status);

int write(int fd, const void *buf, size_t len)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	console_write(buf, len);
	return (int)len;
}

int read(int fd, void *buf, size_t len)
{
	(void)fd, (void)buf, (void)len;
	errno = ENOSYS;
	return -1;
}

int close(int fd)
{
	(void)fd;
	errno = EBADF;
	return -1;
}

off_t lseek(int fd, off_t off, int whence)
{
	(void)fd, (void)off, (void)whence;
	errno = ESPIPE;
	return -1;
}

int fstat(int fd, struct stat *st)
{
	(void)fd;
	st->st_mode = S_IFCHR; /* a character device: the console */
	return 0;
}

int isatty(int fd)
{
	(void)fd;
	return 1;
}

int kill(int pid, int sig)
{
	(void)pid, (void)sig;
	errno = ENOSYS;
	return -1;
}

int getpid(void)
{
	return 1;
}

void _exit(int status)
{
	panic("C library exit(%d)", status);
}

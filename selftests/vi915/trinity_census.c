// SPDX-License-Identifier: GPL-2.0
/*
 * Preloaded into trinity (make stress): counts the ioctls its processes make
 * on DRM device files, and their answers by errno, in the file that
 * VI915_CENSUS names, shared by all of them. trinity makes its 64-bit system
 * calls through libc's syscall(), which this library wraps; with -a64 it
 * makes no other kind. trinity_report reads the file.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "trinity_census.h"

#define DRM_MAJOR	226

static struct census *census;
static long (*real_syscall)(long nr, ...);

__attribute__((constructor)) static void census_open(void)
{
	const char *path = getenv("VI915_CENSUS");
	void *map;
	int fd;

	real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (!path || !real_syscall)
		return;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (ftruncate(fd, sizeof(*census)) == 0) {
		map = mmap(NULL, sizeof(*census), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map != MAP_FAILED)
			census = map;
	}
	close(fd);
}

static int is_drm(long fd)
{
	struct stat st;

	return fd >= 0 && fd <= INT_MAX && !fstat((int)fd, &st) && S_ISCHR(st.st_mode) &&
	       major(st.st_rdev) == DRM_MAJOR;
}

long syscall(long nr, ...)
{
	long a[6], ret;
	int drm, err, i;
	va_list ap;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!real_syscall) {
		errno = ENOSYS;
		return -1;
	}
	drm = census && nr == SYS_ioctl && is_drm(a[0]);
	errno = 0;
	ret = real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (drm) {
		err = ret == -1 ? errno : 0;
		__atomic_fetch_add(&census->calls, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&census->answers[err < NR_ERRNOS ? err : NR_ERRNOS - 1], 1,
				   __ATOMIC_RELAXED);
		errno = err;
	}
	return ret;
}

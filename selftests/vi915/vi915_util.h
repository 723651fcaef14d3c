/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the vi915 kselftests: finding the device, the debugfs
 * files, and thin wrappers around the i915 ioctls.
 */
#ifndef VI915_UTIL_H
#define VI915_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/i915_drm.h>
#include <linux/sync_file.h>

/* Opens the first /dev/dri node with the given prefix whose driver is named driver. */
static inline int open_drm(const char *prefix, int first, const char *driver)
{
	char path[64], name[16];
	int i, fd;

	for (i = first; i < first + 16; i++) {
		struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };

		snprintf(path, sizeof(path), "/dev/dri/%s%d", prefix, i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, driver))
			return fd;
		close(fd);
	}
	return -1;
}

/* Opens the first /dev/dri node with the given prefix whose driver is i915. */
static inline int open_i915(const char *prefix, int first)
{
	return open_drm(prefix, first, "i915");
}

static inline int getparam(int fd, int param, int *value)
{
	struct drm_i915_getparam gp = { .param = param, .value = value };

	return ioctl(fd, DRM_IOCTL_I915_GETPARAM, &gp) ? -errno : 0;
}

/* The device's debugfs directory, from the primary node's minor. */
static inline void debugfs_path(int card, const char *file, char *buf, size_t len)
{
	struct stat st;

	fstat(card, &st);
	snprintf(buf, len, "/sys/kernel/debug/dri/%u/%s", minor(st.st_rdev), file);
}

static inline int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static inline int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* The path of one of the device's debugfs files. */
static inline void device_debugfs(const char *file, char *path, size_t len)
{
	int card = open_i915("card", 0);

	debugfs_path(card, file, path, len);
	close(card);
}

/* The number of objects i915_gem_objects reports, or -1. */
static inline int gem_object_count(void)
{
	char path[128], text[256];
	int n;

	device_debugfs("i915_gem_objects", path, sizeof(path));
	if (read_file(path, text, sizeof(text)) || sscanf(text, "%i objects", &n) != 1)
		return -1;
	return n;
}

/* Waits for the device to be idle and its deferred releases done (i915_gem_drop_caches). */
static inline void drop_caches_idle(void)
{
	char path[128];

	device_debugfs("i915_gem_drop_caches", path, sizeof(path));
	write_file(path, "0x1d8");
}

/* Returns 0 or -errno. */
/* Whether i915 may answer err to one of its own ioctls. */
static inline int i915_errno(int err)
{
	switch (err) {
	case 0: case EINVAL: case ENOENT: case EFAULT: case ENOMEM: case ENOSPC:
	case EBUSY: case EAGAIN: case EINTR: case EIO: case EPERM: case EACCES:
	case ENODEV: case E2BIG: case ETIME: case ENXIO: case EOPNOTSUPP:
	case ETIMEDOUT: case EEXIST: case ERANGE: case EBADF: case EOVERFLOW:
		return 1;
	default:
		return 0;
	}
}

static inline int do_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline uint32_t gem_create(int fd, uint64_t size)
{
	struct drm_i915_gem_create c = { .size = size };

	if (do_ioctl(fd, DRM_IOCTL_I915_GEM_CREATE, &c))
		return 0;
	return c.handle;
}

static inline int gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	return do_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

static inline int gem_write(int fd, uint32_t handle, uint64_t offset, const void *data,
			    uint64_t size)
{
	struct drm_i915_gem_pwrite w = {
		.handle = handle, .offset = offset, .size = size,
		.data_ptr = (uintptr_t)data,
	};

	return do_ioctl(fd, DRM_IOCTL_I915_GEM_PWRITE, &w);
}

static inline int gem_read(int fd, uint32_t handle, uint64_t offset, void *data, uint64_t size)
{
	struct drm_i915_gem_pread r = {
		.handle = handle, .offset = offset, .size = size,
		.data_ptr = (uintptr_t)data,
	};

	return do_ioctl(fd, DRM_IOCTL_I915_GEM_PREAD, &r);
}

/* Maps an object write-back cached through MMAP_OFFSET; NULL on failure. */
static inline void *gem_mmap(int fd, uint32_t handle, uint64_t size)
{
	struct drm_i915_gem_mmap_offset m = { .handle = handle, .flags = I915_MMAP_OFFSET_WB };
	void *p;

	if (do_ioctl(fd, DRM_IOCTL_I915_GEM_MMAP_OFFSET, &m))
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, m.offset);
	return p == MAP_FAILED ? NULL : p;
}

static inline uint32_t gem_busy(int fd, uint32_t handle)
{
	struct drm_i915_gem_busy b = { .handle = handle };

	if (do_ioctl(fd, DRM_IOCTL_I915_GEM_BUSY, &b))
		return 0xdeadbeef;
	return b.busy;
}

static inline int gem_wait(int fd, uint32_t handle, int64_t timeout_ns)
{
	struct drm_i915_gem_wait w = { .bo_handle = handle, .timeout_ns = timeout_ns };

	return do_ioctl(fd, DRM_IOCTL_I915_GEM_WAIT, &w);
}

/* Soft-pinned anywhere in the 48-bit address space. */
#define PINNED (EXEC_OBJECT_PINNED | EXEC_OBJECT_SUPPORTS_48B_ADDRESS)

/* An execbuffer entry for handle, soft-pinned at addr. */
static inline void obj_at(struct drm_i915_gem_exec_object2 *o, uint32_t handle, uint64_t addr,
			  uint64_t flags)
{
	memset(o, 0, sizeof(*o));
	o->handle = handle;
	o->offset = addr;
	o->flags = PINNED | flags;
}

static inline int execbuf(int fd, struct drm_i915_gem_execbuffer2 *eb)
{
	return do_ioctl(fd, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, eb);
}

/* A sync file's status: 1 signalled, 0 pending, < 0 signalled with that error. */
static inline int fence_status(int fence)
{
	struct sync_file_info info = {};

	if (do_ioctl(fence, SYNC_IOC_FILE_INFO, &info))
		return -1000;
	return info.status;
}

/* Waits up to timeout_ms for a sync file to signal; 1 if it did. */
static inline int fence_wait(int fence, int timeout_ms)
{
	struct pollfd p = { .fd = fence, .events = POLLIN };

	return poll(&p, 1, timeout_ms);
}

static inline int gem_madvise(int fd, uint32_t handle, uint32_t madv, uint32_t *retained)
{
	struct drm_i915_gem_madvise m = { .handle = handle, .madv = madv };
	int ret = do_ioctl(fd, DRM_IOCTL_I915_GEM_MADVISE, &m);

	if (retained)
		*retained = m.retained;
	return ret;
}

/* GEM_USERPTR over [ptr, ptr + size); the handle in *handle. */
static inline int userptr(int fd, void *ptr, uint64_t size, uint32_t flags, uint32_t *handle)
{
	struct drm_i915_gem_userptr u = {
		.user_ptr = (uintptr_t)ptr, .user_size = size, .flags = flags,
	};
	int ret = do_ioctl(fd, DRM_IOCTL_I915_GEM_USERPTR, &u);

	*handle = u.handle;
	return ret;
}

static inline int context_set(int fd, uint32_t ctx, uint64_t param, uint64_t value)
{
	struct drm_i915_gem_context_param p = { .ctx_id = ctx, .param = param, .value = value };

	return do_ioctl(fd, DRM_IOCTL_I915_GEM_CONTEXT_SETPARAM, &p);
}

/* CLOCK_MONOTONIC in milliseconds. */
static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

/* An munmap run on a thread of its own (do_munmap), which sets done when it returns. */
struct unmapper {
	void *ptr;
	size_t size;
	volatile int done;
};

static inline void *do_munmap(void *arg)
{
	struct unmapper *u = arg;

	munmap(u->ptr, u->size);
	u->done = 1;
	return NULL;
}

/* Private anonymous memory; NULL on failure. */
static inline void *map_anon(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

#define MI_NOOP			0x00000000
#define MI_ARB_CHECK		0x02800000
#define MI_BATCH_BUFFER_END	0x05000000
#define MI_STORE_DWORD_IMM	0x10000002
#define MI_BATCH_BUFFER_START	0x18800101
#define MI_SEMAPHORE_WAIT	0x0e000002
#define MI_SEMAPHORE_POLL	(1 << 15)
#define MI_SEMAPHORE_SAD_EQ_SDD	(4 << 12)
#define XY_SRC_COPY_BLT		0x54f00008
#define XY_COLOR_BLT		0x54300005

/* Where spinners are soft-pinned, in the 48-bit address space. */
#define SPIN_ADDR	0x400000ull

struct spinner {
	uint32_t handle;
	uint32_t *map;
	int fence;
};

static inline struct drm_i915_gem_execbuffer2 eb_for(struct drm_i915_gem_exec_object2 *objs,
						     unsigned int count, uint64_t flags,
						     uint32_t ctx)
{
	return (struct drm_i915_gem_execbuffer2){
		.buffers_ptr = (uintptr_t)objs, .buffer_count = count,
		.flags = flags, .rsvd1 = ctx,
	};
}

/*
 * Starts a batch that loops on itself until spin_end(); its out-fence in ->fence.
 * A preemptible one has an arbitration point (MI_ARB_CHECK) in its loop.
 */
static inline int __spin_start(int fd, struct spinner *s, uint32_t ctx, uint64_t ring,
			       int preemptible)
{
	struct drm_i915_gem_exec_object2 obj;
	struct drm_i915_gem_execbuffer2 eb;
	int ret;

	s->handle = gem_create(fd, 4096);
	s->map = gem_mmap(fd, s->handle, 4096);
	if (!s->handle || !s->map)
		return -ENOMEM;
	s->map[0] = preemptible ? MI_ARB_CHECK : MI_NOOP;
	s->map[1] = MI_BATCH_BUFFER_START;
	s->map[2] = (uint32_t)SPIN_ADDR;
	s->map[3] = SPIN_ADDR >> 32;
	s->map[4] = MI_BATCH_BUFFER_END;
	obj_at(&obj, s->handle, SPIN_ADDR, 0);
	eb = eb_for(&obj, 1, ring | I915_EXEC_FENCE_OUT, ctx);
	ret = execbuf(fd, &eb);
	s->fence = ret ? -1 : (int)(eb.rsvd2 >> 32);
	return ret;
}

static inline int spin_start(int fd, struct spinner *s, uint32_t ctx, uint64_t ring)
{
	return __spin_start(fd, s, ctx, ring, 1);
}

static inline void spin_end(struct spinner *s)
{
	__atomic_store_n(&s->map[1], MI_BATCH_BUFFER_END, __ATOMIC_SEQ_CST);
}

static inline void spin_free(int fd, struct spinner *s)
{
	munmap(s->map, 4096);
	gem_close(fd, s->handle);
	if (s->fence >= 0)
		close(s->fence);
}

/* A batch storing value at addr. */
static inline uint32_t store_batch(int fd, uint64_t addr, uint32_t value)
{
	uint32_t b[] = { MI_STORE_DWORD_IMM, (uint32_t)addr, addr >> 32, value,
			 MI_BATCH_BUFFER_END, MI_NOOP };
	uint32_t h = gem_create(fd, 4096);

	gem_write(fd, h, 0, b, sizeof(b));
	return h;
}

#define STORE_TARGET_ADDR	0x800000ull
#define STORE_BATCH_ADDR	0xc00000ull

/*
 * Submits on ctx and ring a store of value at byte offset of target, which
 * the request names with EXEC_OBJECT_WRITE and flags, after in_fence if it is
 * >= 0. Returns the out-fence, or -errno.
 */
static inline int store_in(int fd, uint32_t ctx, uint64_t ring, uint32_t target, uint64_t flags,
			   uint64_t offset, uint32_t value, int in_fence)
{
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t batch = store_batch(fd, STORE_TARGET_ADDR + offset, value);
	int ret;

	obj_at(&objs[0], target, STORE_TARGET_ADDR, EXEC_OBJECT_WRITE | flags);
	obj_at(&objs[1], batch, STORE_BATCH_ADDR, 0);
	eb = eb_for(objs, 2, ring | I915_EXEC_FENCE_OUT, ctx);
	if (in_fence >= 0) {
		eb.flags |= I915_EXEC_FENCE_IN;
		eb.rsvd2 = in_fence;
	}
	ret = execbuf(fd, &eb);
	gem_close(fd, batch);
	return ret ? ret : (int)(eb.rsvd2 >> 32);
}

static inline uint32_t read_u32(int fd, uint32_t handle, uint64_t offset)
{
	uint32_t v = 0xbad0bad0;

	gem_read(fd, handle, offset, &v, sizeof(v));
	return v;
}

#endif

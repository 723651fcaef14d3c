// SPDX-License-Identifier: GPL-2.0
/*
 * Userptr objects on vi915: i915's ioctl checks, copies to and from user
 * memory, the forced -EAGAIN path (nothing published), munmap waiting for a
 * running request, read-only enforcement, other processes, and mprotect,
 * fork and MAP_FIXED changes under a userptr.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vi915_util.h"

#define SRC_ADDR		0x1000000ull
#define DST_ADDR		0x2000000ull
#define BATCH_ADDR		0x3000000ull
#define FLAG_ADDR		0x4000000ull
#define SIZE			(64 * 1024)

/*
 * Copies SIZE bytes from src to dst on the blitter; returns the ioctl's error,
 * else the out-fence's error, else 0. *fence_fd receives the fence (-1 if none).
 */
static int copy(int fd, uint32_t dst, uint32_t src, int *fence_fd)
{
	uint32_t b[] = {
		XY_SRC_COPY_BLT, 0x03cc0000 | 4096, 0, ((SIZE / 4096) << 16) | 1024,
		(uint32_t)DST_ADDR, 0, 0, 4096, (uint32_t)SRC_ADDR, 0,
		MI_BATCH_BUFFER_END, 0,
	};
	struct drm_i915_gem_exec_object2 objs[3];
	struct drm_i915_gem_execbuffer2 eb = {
		.buffers_ptr = (uintptr_t)objs, .buffer_count = 3,
		.flags = I915_EXEC_BLT | I915_EXEC_FENCE_OUT,
	};
	uint32_t batch = gem_create(fd, 4096);
	int ret, fence;

	gem_write(fd, batch, 0, b, sizeof(b));
	obj_at(&objs[0], src, SRC_ADDR, 0);
	obj_at(&objs[1], dst, DST_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[2], batch, BATCH_ADDR, 0);
	ret = execbuf(fd, &eb);
	gem_close(fd, batch);
	*fence_fd = -1;
	if (ret)
		return ret;
	fence = eb.rsvd2 >> 32;
	fence_wait(fence, 20000);
	ret = fence_status(fence);
	if (fence_fd)
		*fence_fd = fence;
	return ret == 1 ? 0 : ret;
}

static int copy_once(int fd, uint32_t dst, uint32_t src)
{
	int fence, ret = copy(fd, dst, src, &fence);

	if (fence >= 0)
		close(fence);
	return ret;
}

static void fill(void *p, uint64_t size, uint32_t seed)
{
	uint32_t *d = p;
	uint64_t i;

	for (i = 0; i < size / 4; i++)
		d[i] = (uint32_t)(seed + i * 2654435761u);
}

static int check(const void *p, uint64_t size, uint32_t seed)
{
	const uint32_t *d = p;
	uint64_t i;

	for (i = 0; i < size / 4; i++)
		if (d[i] != (uint32_t)(seed + i * 2654435761u))
			return 0;
	return 1;
}

FIXTURE(userptr) {
	int fd;
	char knob[128];
};

FIXTURE_SETUP(userptr)
{
	int card = open_i915("card", 0);

	self->fd = open_i915("renderD", 128);
	ASSERT_GE(self->fd, 0) TH_LOG("no render node named i915");
	ASSERT_GE(card, 0);
	debugfs_path(card, "vi915_userptr_force_retry", self->knob, sizeof(self->knob));
	close(card);
}

FIXTURE_TEARDOWN(userptr)
{
	write_file(self->knob, "0");
	close(self->fd);
}

TEST_F(userptr, ioctl_checks_in_i915_order)
{
	void *p = map_anon(4 * 4096);
	uint32_t h;
	int value = 0;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, getparam(self->fd, I915_PARAM_HAS_USERPTR_PROBE, &value));
	EXPECT_EQ(1, value);
	EXPECT_EQ(-EINVAL, userptr(self->fd, p, 4096, 0x10, &h));
	EXPECT_EQ(-EINVAL, userptr(self->fd, p, 0, 0, &h));
	EXPECT_EQ(-EINVAL, userptr(self->fd, (char *)p + 8, 4096, 0, &h));
	EXPECT_EQ(-EINVAL, userptr(self->fd, p, 100, 0, &h));
	EXPECT_EQ(-EFAULT, userptr(self->fd, (void *)(1ul << 47), 4096, 0, &h));
	EXPECT_EQ(-ENODEV, userptr(self->fd, p, 4096, I915_USERPTR_UNSYNCHRONIZED, &h));
	/* NULL and unmapped memory are accepted: nothing is pinned yet. */
	ASSERT_EQ(0, userptr(self->fd, NULL, 4096, 0, &h));
	gem_close(self->fd, h);
	/* PROBE looks at the mappings now. */
	ASSERT_EQ(0, userptr(self->fd, p, 4 * 4096, I915_USERPTR_PROBE, &h));
	gem_close(self->fd, h);
	munmap((char *)p + 2 * 4096, 4096);
	EXPECT_EQ(-EFAULT, userptr(self->fd, p, 4 * 4096, I915_USERPTR_PROBE, &h));
	ASSERT_EQ(0, userptr(self->fd, p, 2 * 4096, I915_USERPTR_PROBE, &h));
	gem_close(self->fd, h);
	munmap(p, 2 * 4096);
	munmap((char *)p + 3 * 4096, 4096);
}

TEST_F(userptr, probe_refuses_gem_mappings)
{
	uint32_t bo = gem_create(self->fd, 4096), h;
	char *area = map_anon(3 * 4096);
	struct drm_i915_gem_mmap_offset m = { .handle = bo, .flags = I915_MMAP_OFFSET_WB };

	ASSERT_NE(NULL, area);
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MMAP_OFFSET, &m));
	ASSERT_NE(MAP_FAILED, mmap(area + 4096, 4096, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_FIXED, self->fd, m.offset));
	EXPECT_EQ(-EFAULT, userptr(self->fd, area, 3 * 4096, I915_USERPTR_PROBE, &h));
	ASSERT_EQ(0, userptr(self->fd, area, 4096, I915_USERPTR_PROBE, &h));
	gem_close(self->fd, h);
	munmap(area, 3 * 4096);
	gem_close(self->fd, bo);
}

TEST_F(userptr, forbidden_operations)
{
	struct drm_i915_gem_mmap_offset m = { .flags = I915_MMAP_OFFSET_WB };
	struct drm_i915_gem_caching c = {};
	struct drm_prime_handle exp = { .flags = DRM_CLOEXEC };
	struct drm_i915_gem_set_tiling t = { .tiling_mode = I915_TILING_NONE };
	char *p = map_anon(4096), buf[16];
	uint32_t h;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, userptr(self->fd, p, 4096, 0, &h));
	EXPECT_EQ(-EINVAL, gem_read(self->fd, h, 0, buf, sizeof(buf)));
	EXPECT_EQ(-EINVAL, gem_write(self->fd, h, 0, buf, sizeof(buf)));
	m.handle = h;
	EXPECT_EQ(-ENODEV, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MMAP_OFFSET, &m));
	c.handle = h;
	c.caching = I915_CACHING_NONE;
	EXPECT_EQ(-ENXIO, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_CACHING, &c));
	c.caching = I915_CACHING_CACHED;
	EXPECT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_CACHING, &c));
	exp.handle = h;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp));
	t.handle = h;
	EXPECT_EQ(-ENXIO, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_TILING, &t));
	gem_close(self->fd, h);
	munmap(p, 4096);
}

TEST_F(userptr, copies_both_ways_and_set_domain)
{
	struct drm_i915_gem_set_domain d = {
		.read_domains = I915_GEM_DOMAIN_CPU, .write_domain = I915_GEM_DOMAIN_CPU,
	};
	char *src = map_anon(SIZE), *dst = map_anon(SIZE), *out = malloc(SIZE);
	uint32_t usrc, udst, bo = gem_create(self->fd, SIZE);

	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	fill(src, SIZE, 1);
	memset(dst, 0, SIZE);
	ASSERT_EQ(0, userptr(self->fd, src, SIZE, 0, &usrc));
	ASSERT_EQ(0, userptr(self->fd, dst, SIZE, 0, &udst));
	/* User memory to an object, then the object to other user memory. */
	ASSERT_EQ(0, copy_once(self->fd, bo, usrc));
	ASSERT_EQ(0, gem_read(self->fd, bo, 0, out, SIZE));
	EXPECT_TRUE(check(out, SIZE, 1));
	ASSERT_EQ(0, copy_once(self->fd, udst, bo));
	EXPECT_TRUE(check(dst, SIZE, 1));
	/* A change of the source is seen by the next copy. */
	fill(src, SIZE, 7);
	ASSERT_EQ(0, copy_once(self->fd, udst, usrc));
	EXPECT_TRUE(check(dst, SIZE, 7));
	/* SET_DOMAIN pins; once the range is gone it fails. */
	d.handle = udst;
	EXPECT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_DOMAIN, &d));
	munmap(dst, SIZE);
	EXPECT_EQ(-EFAULT, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_DOMAIN, &d));
	EXPECT_EQ(-EFAULT, copy_once(self->fd, udst, usrc));
	gem_close(self->fd, usrc);
	gem_close(self->fd, udst);
	gem_close(self->fd, bo);
	munmap(src, SIZE);
	free(out);
}

TEST_F(userptr, forced_retry_publishes_nothing)
{
	char *src = map_anon(SIZE), *out = calloc(1, SIZE);
	uint32_t usrc, bo = gem_create(self->fd, SIZE);
	int before, after, fence;

	ASSERT_NE(NULL, src);
	fill(src, SIZE, 3);
	ASSERT_EQ(0, userptr(self->fd, src, SIZE, 0, &usrc));
	ASSERT_EQ(0, write_file(self->knob, "1"));
	before = dup(0);
	close(before);
	EXPECT_EQ(-EAGAIN, copy(self->fd, bo, usrc, &fence));
	EXPECT_EQ(-1, fence);
	/* No fence anywhere: both objects idle, no descriptor taken, nothing copied. */
	EXPECT_EQ(0, gem_busy(self->fd, bo));
	EXPECT_EQ(0, gem_busy(self->fd, usrc));
	after = dup(0);
	close(after);
	EXPECT_EQ(before, after);
	gem_read(self->fd, bo, 0, out, 4);
	EXPECT_EQ(0, *(uint32_t *)out);
	/* The knob is spent: the retry goes through. */
	ASSERT_EQ(0, copy_once(self->fd, bo, usrc));
	gem_read(self->fd, bo, 0, out, SIZE);
	EXPECT_TRUE(check(out, SIZE, 3));
	free(out);
	gem_close(self->fd, usrc);
	gem_close(self->fd, bo);
	munmap(src, SIZE);
}

TEST_F(userptr, munmap_waits_for_the_request)
{
	/* The userptr and a second view of the same memory, which outlives the munmap. */
	int memfd = memfd_create("vi915-userptr", 0);
	uint32_t *view, *uview, *bmap, up, flag = gem_create(self->fd, 4096);
	uint32_t batch = gem_create(self->fd, 4096);
	/* Spin until released (the jump's target is moved on), then store into the userptr. */
	uint32_t b[] = {
		MI_ARB_CHECK,
		MI_BATCH_BUFFER_START, (uint32_t)BATCH_ADDR, 0,
		MI_STORE_DWORD_IMM, (uint32_t)DST_ADDR + 4, 0, 0xdead,
		MI_BATCH_BUFFER_END,
	};
	struct drm_i915_gem_exec_object2 objs[3];
	struct drm_i915_gem_execbuffer2 eb = {
		.buffers_ptr = (uintptr_t)objs, .buffer_count = 3,
		.flags = I915_EXEC_RENDER | I915_EXEC_FENCE_OUT,
	};
	struct unmapper u;
	pthread_t thread;
	int fence;

	ASSERT_GE(memfd, 0);
	ASSERT_EQ(0, ftruncate(memfd, 4096));
	view = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	uview = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ASSERT_NE(MAP_FAILED, view);
	ASSERT_NE(MAP_FAILED, uview);
	ASSERT_EQ(0, userptr(self->fd, uview, 4096, 0, &up));
	gem_write(self->fd, batch, 0, b, sizeof(b));
	bmap = gem_mmap(self->fd, batch, 4096);
	ASSERT_NE(NULL, bmap);
	obj_at(&objs[0], up, DST_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], flag, FLAG_ADDR, 0);
	obj_at(&objs[2], batch, BATCH_ADDR, 0);
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	fence = eb.rsvd2 >> 32;
	EXPECT_EQ(0x10001, gem_busy(self->fd, up));

	u = (struct unmapper){ .ptr = uview, .size = 4096 };
	ASSERT_EQ(0, pthread_create(&thread, NULL, do_munmap, &u));
	usleep(300 * 1000);
	/* munmap waits for the request that uses the pages. */
	EXPECT_EQ(0, u.done);
	EXPECT_EQ(0, fence_status(fence));
	/* Release: jump to the store instead of looping (a single dword). */
	__atomic_store_n(&bmap[2], (uint32_t)BATCH_ADDR + 16, __ATOMIC_SEQ_CST);
	pthread_join(thread, NULL);
	EXPECT_EQ(1, u.done);
	EXPECT_EQ(1, fence_wait(fence, 10000));
	EXPECT_EQ(1, fence_status(fence));
	/* The store landed before the pages were let go. */
	EXPECT_EQ(0xdead, view[1]);
	/* The range is gone now: a new request on the userptr cannot pin it. */
	view[1] = 0;
	EXPECT_EQ(-EFAULT, execbuf(self->fd, &eb));
	usleep(100 * 1000);
	EXPECT_EQ(0, view[1]);
	close(fence);
	gem_close(self->fd, up);
	gem_close(self->fd, flag);
	gem_close(self->fd, batch);
	munmap(bmap, 4096);
	munmap(view, 4096);
	close(memfd);
}

TEST_F(userptr, read_only_is_never_written)
{
	char *ro = map_anon(SIZE), *src = map_anon(SIZE), *out = malloc(SIZE);
	uint32_t uro, usrc, bo = gem_create(self->fd, SIZE);
	uint32_t b[] = { MI_STORE_DWORD_IMM, (uint32_t)DST_ADDR, 0, 0xbad, MI_BATCH_BUFFER_END, 0 };
	uint32_t batch = gem_create(self->fd, 4096);
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb = {
		.buffers_ptr = (uintptr_t)objs, .buffer_count = 2,
		.flags = I915_EXEC_RENDER | I915_EXEC_FENCE_OUT,
	};
	struct drm_i915_gem_relocation_entry reloc = {
		.target_handle = 0, .offset = 4, .presumed_offset = -1,
		.read_domains = I915_GEM_DOMAIN_RENDER,
	};
	int fence;

	ASSERT_NE(NULL, ro);
	ASSERT_NE(NULL, src);
	fill(ro, SIZE, 5);
	fill(src, SIZE, 9);
	ASSERT_EQ(0, userptr(self->fd, ro, SIZE, I915_USERPTR_READ_ONLY, &uro));
	ASSERT_EQ(0, userptr(self->fd, src, SIZE, 0, &usrc));
	/* A store into it fails its fence; memory is unchanged. */
	gem_write(self->fd, batch, 0, b, sizeof(b));
	obj_at(&objs[0], uro, DST_ADDR, 0);
	obj_at(&objs[1], batch, BATCH_ADDR, 0);
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	fence = eb.rsvd2 >> 32;
	EXPECT_EQ(1, fence_wait(fence, 10000));
	EXPECT_EQ(-EFAULT, fence_status(fence));
	close(fence);
	/* So does a copy into it. */
	EXPECT_EQ(-EFAULT, copy_once(self->fd, uro, usrc));
	EXPECT_TRUE(check(ro, SIZE, 5));
	/* Relocations into it are refused. */
	objs[0].flags = 0;
	objs[0].relocation_count = 1;
	objs[0].relocs_ptr = (uintptr_t)&reloc;
	reloc.target_handle = batch;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	EXPECT_TRUE(check(ro, SIZE, 5));
	/* It can be read. */
	ASSERT_EQ(0, copy_once(self->fd, bo, uro));
	gem_read(self->fd, bo, 0, out, SIZE);
	EXPECT_TRUE(check(out, SIZE, 5));
	gem_close(self->fd, uro);
	gem_close(self->fd, usrc);
	gem_close(self->fd, bo);
	gem_close(self->fd, batch);
	munmap(ro, SIZE);
	munmap(src, SIZE);
	free(out);
}

TEST_F(userptr, another_process_gets_efault)
{
	char *src = map_anon(SIZE);
	uint32_t usrc, bo = gem_create(self->fd, SIZE);
	int status;
	pid_t child;

	ASSERT_NE(NULL, src);
	fill(src, SIZE, 11);
	ASSERT_EQ(0, userptr(self->fd, src, SIZE, 0, &usrc));
	child = fork();
	if (child == 0)
		_exit(copy_once(self->fd, bo, usrc) == -EFAULT ? 0 : 1);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The creator still can. */
	EXPECT_EQ(0, copy_once(self->fd, bo, usrc));
	gem_close(self->fd, usrc);
	gem_close(self->fd, bo);
	munmap(src, SIZE);
}

TEST_F(userptr, mprotect_fork_and_map_fixed_give_data_or_efault)
{
	char *src = map_anon(SIZE), *out = malloc(SIZE);
	uint32_t usrc, bo = gem_create(self->fd, SIZE);
	int i, ret, good = 0, faults = 0;

	ASSERT_NE(NULL, src);
	ASSERT_EQ(0, userptr(self->fd, src, SIZE, 0, &usrc));
	for (i = 0; i < 48; i++) {
		uint32_t seed = 100 + i;
		pid_t child;

		switch (i % 4) {
		case 0: /* Read-only mapping: pinning for write fails cleanly. */
			fill(src, SIZE, seed);
			mprotect(src, SIZE, PROT_READ);
			break;
		case 1: /* Writable again. */
			mprotect(src, SIZE, PROT_READ | PROT_WRITE);
			fill(src, SIZE, seed);
			break;
		case 2: /* After fork, the parent's pages are shared copy-on-write. */
			fill(src, SIZE, seed);
			child = fork();
			if (child == 0)
				_exit(0);
			waitpid(child, NULL, 0);
			break;
		case 3: /* New memory at the same address. */
			ASSERT_NE(MAP_FAILED, mmap(src, SIZE, PROT_READ | PROT_WRITE,
						   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
			fill(src, SIZE, seed);
			break;
		}
		ret = copy_once(self->fd, bo, usrc);
		if (ret == -EFAULT) {
			faults++;
			continue;
		}
		ASSERT_EQ(0, ret);
		gem_read(self->fd, bo, 0, out, SIZE);
		EXPECT_TRUE(check(out, SIZE, seed)) TH_LOG("iteration %d: stale data", i);
		good++;
	}
	EXPECT_EQ(12, faults);
	EXPECT_EQ(36, good);
	mprotect(src, SIZE, PROT_READ | PROT_WRITE);
	gem_close(self->fd, usrc);
	gem_close(self->fd, bo);
	munmap(src, SIZE);
	free(out);
}

TEST_F(userptr, munmap_revokes_a_batch_that_never_ends)
{
	/* A batch that loops for ever on its own, using a userptr. */
	uint32_t b[] = { MI_ARB_CHECK, MI_BATCH_BUFFER_START, (uint32_t)BATCH_ADDR, 0 };
	uint32_t *area = map_anon(4096), up, batch = gem_create(self->fd, 4096);
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb = {
		.buffers_ptr = (uintptr_t)objs, .buffer_count = 2,
		.flags = I915_EXEC_RENDER | I915_EXEC_FENCE_OUT,
	};
	struct timespec t0, t1;
	int fence;

	ASSERT_NE(NULL, area);
	ASSERT_EQ(0, userptr(self->fd, area, 4096, 0, &up));
	gem_write(self->fd, batch, 0, b, sizeof(b));
	obj_at(&objs[0], up, DST_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], batch, BATCH_ADDR, 0);
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	fence = eb.rsvd2 >> 32;
	EXPECT_EQ(0, fence_wait(fence, 200));
	/* munmap waits a while, then revokes the pages: the batch ends with EFAULT. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, munmap(area, 4096));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_GE(t1.tv_sec - t0.tv_sec, 1);
	EXPECT_EQ(1, fence_wait(fence, 0));
	EXPECT_EQ(-EFAULT, fence_status(fence));
	close(fence);
	gem_close(self->fd, up);
	gem_close(self->fd, batch);
}

TEST_HARNESS_MAIN

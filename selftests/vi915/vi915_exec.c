// SPDX-License-Identifier: GPL-2.0
/*
 * The software engine through EXECBUFFER2: MI and blitter commands,
 * relocations and softpin, fences, implicit synchronisation with a running
 * spinner, sync objects and their timelines, cancellation, the bounded ring
 * and i915's errnos.
 */
#include <linux/dma-buf.h>
#include <drm/vgem_drm.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vi915_util.h"

/* Addresses used with softpin, in the 48-bit address space. */
#define TARGET_ADDR	0x800000ull
#define BATCH_ADDR	0xc00000ull

FIXTURE(exec) {
	int fd;
};

FIXTURE_SETUP(exec)
{
	char path[128];
	int card = open_i915("card", 0);

	self->fd = open_i915("renderD", 128);
	ASSERT_GE(self->fd, 0) TH_LOG("no render node named i915");
	ASSERT_GE(card, 0);
	/* Nothing left running by an earlier test. */
	debugfs_path(card, "i915_gem_drop_caches", path, sizeof(path));
	write_file(path, "0x1c8");
	close(card);
}

FIXTURE_TEARDOWN(exec)
{
	close(self->fd);
}

TEST_F(exec, store_dword_softpin)
{
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t target = gem_create(self->fd, 8192);
	uint32_t batch = store_batch(self->fd, TARGET_ADDR + 4100, 0xc0ffee);

	obj_at(&objs[0], target, TARGET_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], batch, BATCH_ADDR, 0);
	eb = eb_for(objs, 2, I915_EXEC_RENDER, 0);
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	EXPECT_EQ(TARGET_ADDR, objs[0].offset);
	ASSERT_EQ(0, gem_wait(self->fd, target, -1));
	EXPECT_EQ(0xc0ffee, read_u32(self->fd, target, 4100));
	EXPECT_EQ(0, read_u32(self->fd, target, 4096));
	gem_close(self->fd, target);
	gem_close(self->fd, batch);
}

TEST_F(exec, store_dword_relocation)
{
	uint32_t b[] = { MI_STORE_DWORD_IMM, 0, 0, 0x1234, MI_BATCH_BUFFER_END, MI_NOOP };
	struct drm_i915_gem_relocation_entry reloc = {
		.offset = 4, .delta = 64, .presumed_offset = -1,
		.read_domains = I915_GEM_DOMAIN_RENDER, .write_domain = I915_GEM_DOMAIN_RENDER,
	};
	struct drm_i915_gem_exec_object2 objs[2] = {};
	struct drm_i915_gem_execbuffer2 eb = eb_for(objs, 2, I915_EXEC_RENDER, 0);
	uint32_t target = gem_create(self->fd, 4096), batch = gem_create(self->fd, 4096);
	uint64_t patched = 0;

	gem_write(self->fd, batch, 0, b, sizeof(b));
	reloc.target_handle = target;
	objs[0].handle = target;
	objs[1].handle = batch;
	objs[1].relocation_count = 1;
	objs[1].relocs_ptr = (uintptr_t)&reloc;
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	ASSERT_EQ(0, gem_wait(self->fd, target, -1));
	EXPECT_EQ(0x1234, read_u32(self->fd, target, 64));
	/* The kernel placed both, told us where, and patched target + delta in. */
	EXPECT_NE(objs[0].offset, objs[1].offset);
	EXPECT_EQ(objs[0].offset, reloc.presumed_offset);
	gem_read(self->fd, batch, 4, &patched, sizeof(patched));
	EXPECT_EQ(objs[0].offset + 64, patched);
	/* With NO_RELOC and the offsets we were told, nothing moves or is rewritten. */
	eb.flags |= I915_EXEC_NO_RELOC;
	b[3] = 0x5678;
	gem_write(self->fd, batch, 12, &b[3], 4);
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	ASSERT_EQ(0, gem_wait(self->fd, target, -1));
	EXPECT_EQ(0x5678, read_u32(self->fd, target, 64));
	/* A target that is not in the list. */
	reloc.target_handle = 0x7fff;
	reloc.presumed_offset = -1;
	eb.flags = I915_EXEC_RENDER;
	EXPECT_EQ(-ENOENT, execbuf(self->fd, &eb));
	/* Beyond the object, then misaligned. */
	reloc.target_handle = target;
	reloc.offset = 4096 - 4;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	reloc.offset = 2;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	gem_close(self->fd, target);
	gem_close(self->fd, batch);
}

/*
 * A list that names each of many objects twice, in scrambled order: every
 * entry of an object is told the same address, a relocation by handle goes
 * to the object's address, and a write flag on either entry makes the whole
 * execbuffer a writer of the object.
 */
TEST_F(exec, duplicates_in_a_long_list_are_one_object)
{
	/* Under 2047 objects: lockdep counts one class's nested ww-mutexes in 11 bits. */
	enum { N = 1024, RELOCS = 512 };
	struct drm_i915_gem_exec_object2 *objs = calloc(2 * N + 1, sizeof(*objs));
	struct drm_i915_gem_relocation_entry *relocs = calloc(RELOCS, sizeof(*relocs));
	uint32_t *handles = calloc(N, sizeof(*handles)), *b = calloc(2 * RELOCS + 2, 4);
	uint64_t *offset_of = calloc(N, sizeof(*offset_of));
	struct drm_i915_gem_execbuffer2 eb;
	struct spinner spin;
	uint32_t batch;
	int i, j;

	ASSERT_TRUE(objs && relocs && handles && b && offset_of);
	for (i = 0; i < N; i++) {
		handles[i] = gem_create(self->fd, 4096);
		ASSERT_NE(0, handles[i]);
	}
	/* Entry k names object (k * 7919) % N: each object twice, far apart. */
	for (i = 0; i < 2 * N; i++)
		objs[i].handle = handles[(i * 7919u) % N];
	objs[N + 5].flags = EXEC_OBJECT_WRITE;
	/* The batch: one relocated address per object of a sample, then the end. */
	batch = gem_create(self->fd, 8192);
	for (i = 0; i < RELOCS; i++) {
		relocs[i].offset = 8 * i;
		relocs[i].target_handle = handles[(i * 131) % N];
		relocs[i].presumed_offset = -1;
		relocs[i].read_domains = I915_GEM_DOMAIN_RENDER;
	}
	/* The relocated addresses are data: the batch starts after them. */
	b[2 * RELOCS] = MI_BATCH_BUFFER_END;
	ASSERT_EQ(0, gem_write(self->fd, batch, 0, b, (2 * RELOCS + 2) * 4));
	objs[2 * N].handle = batch;
	objs[2 * N].relocation_count = RELOCS;
	objs[2 * N].relocs_ptr = (uintptr_t)relocs;
	/* Held back behind a spinner, so that gem_busy sees how it uses each object. */
	ASSERT_EQ(0, spin_start(self->fd, &spin, 0, I915_EXEC_RENDER));
	eb = eb_for(objs, 2 * N + 1, I915_EXEC_RENDER | I915_EXEC_FENCE_IN, 0);
	eb.rsvd2 = spin.fence;
	eb.batch_start_offset = 8 * RELOCS;
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	/* Written through its second entry only: a writer; another object: a reader. */
	EXPECT_EQ(0x10001, gem_busy(self->fd, objs[N + 5].handle));
	EXPECT_EQ(0x10000, gem_busy(self->fd, objs[N + 6].handle));
	spin_end(&spin);
	ASSERT_EQ(0, gem_wait(self->fd, batch, -1));
	spin_free(self->fd, &spin);
	for (i = 0; i < 2 * N; i++) {
		j = (i * 7919u) % N;
		if (i < N)
			offset_of[j] = objs[i].offset;
		else
			EXPECT_EQ(offset_of[j], objs[i].offset) TH_LOG("entry %d", i);
	}
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N && j < i + 4; j++)
			EXPECT_NE(offset_of[i], offset_of[j]);
	for (i = 0; i < RELOCS; i++) {
		uint64_t v = 0;

		gem_read(self->fd, batch, 8 * i, &v, sizeof(v));
		EXPECT_EQ(offset_of[(i * 131) % N], v) TH_LOG("reloc %d", i);
	}
	for (i = 0; i < N; i++)
		gem_close(self->fd, handles[i]);
	gem_close(self->fd, batch);
	free(objs);
	free(relocs);
	free(handles);
	free(b);
	free(offset_of);
}

/*
 * As on i915, telling userspace where a relocation's target went is a
 * courtesy: relocations in read-only memory are applied, and the execbuffer
 * succeeds although presumed_offset cannot be written back.
 */
TEST_F(exec, relocations_in_read_only_memory)
{
	uint32_t b[] = { MI_STORE_DWORD_IMM, 0, 0, 0x4321, MI_BATCH_BUFFER_END, MI_NOOP };
	struct drm_i915_gem_relocation_entry *reloc = map_anon(4096);
	struct drm_i915_gem_exec_object2 objs[2] = {};
	struct drm_i915_gem_execbuffer2 eb = eb_for(objs, 2, I915_EXEC_RENDER, 0);
	uint32_t target = gem_create(self->fd, 4096), batch = gem_create(self->fd, 4096);
	uint64_t patched = 0;

	ASSERT_NE(NULL, reloc);
	gem_write(self->fd, batch, 0, b, sizeof(b));
	*reloc = (struct drm_i915_gem_relocation_entry){
		.target_handle = target, .offset = 4, .delta = 128, .presumed_offset = -1,
		.read_domains = I915_GEM_DOMAIN_RENDER, .write_domain = I915_GEM_DOMAIN_RENDER,
	};
	ASSERT_EQ(0, mprotect(reloc, 4096, PROT_READ));
	objs[0].handle = target;
	objs[1].handle = batch;
	objs[1].relocation_count = 1;
	objs[1].relocs_ptr = (uintptr_t)reloc;
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	ASSERT_EQ(0, gem_wait(self->fd, target, -1));
	EXPECT_EQ(0x4321, read_u32(self->fd, target, 128));
	gem_read(self->fd, batch, 4, &patched, sizeof(patched));
	EXPECT_EQ(objs[0].offset + 128, patched);
	/* Not written back: the memory is read-only. */
	EXPECT_EQ((uint64_t)-1, reloc->presumed_offset);
	gem_close(self->fd, target);
	gem_close(self->fd, batch);
	munmap(reloc, 4096);
}

TEST_F(exec, blit_copy_and_fill)
{
	const uint64_t size = 512 * 512 * 4;
	const uint64_t src_addr = 0x1000000, dst_addr = 0x2000000;
	uint32_t *in = malloc(size), *out = malloc(size);
	uint32_t src = gem_create(self->fd, size), dst = gem_create(self->fd, size);
	uint32_t b[] = {
		XY_SRC_COPY_BLT, 0x03cc0000 | 2048, 0, (512 << 16) | 512,
		(uint32_t)dst_addr, dst_addr >> 32, 0, 2048, (uint32_t)src_addr, src_addr >> 32,
		/* Then fill a 16x4 rectangle at (8, 2) of the destination with a colour. */
		XY_COLOR_BLT, 0x03f00000 | 2048, (2 << 16) | 8, (6 << 16) | 24,
		(uint32_t)dst_addr, dst_addr >> 32, 0xfeedface,
		MI_BATCH_BUFFER_END,
	};
	struct drm_i915_gem_exec_object2 objs[3];
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t batch = gem_create(self->fd, 4096);
	uint64_t i, x, y, bad = 0;

	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, out);
	for (i = 0; i < size / 4; i++)
		in[i] = i * 2654435761u;
	ASSERT_EQ(0, gem_write(self->fd, src, 0, in, size));
	gem_write(self->fd, batch, 0, b, sizeof(b));
	obj_at(&objs[0], src, src_addr, 0);
	obj_at(&objs[1], dst, dst_addr, EXEC_OBJECT_WRITE);
	obj_at(&objs[2], batch, BATCH_ADDR, 0);
	eb = eb_for(objs, 3, I915_EXEC_BLT, 0);
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	ASSERT_EQ(0, gem_wait(self->fd, dst, -1));
	ASSERT_EQ(0, gem_read(self->fd, dst, 0, out, size));
	for (y = 0; y < 512; y++) {
		for (x = 0; x < 512; x++) {
			uint32_t want = in[y * 512 + x];

			if (y >= 2 && y < 6 && x >= 8 && x < 24)
				want = 0xfeedface;
			bad += out[y * 512 + x] != want;
		}
	}
	EXPECT_EQ(0, bad);
	free(in);
	free(out);
	gem_close(self->fd, src);
	gem_close(self->fd, dst);
	gem_close(self->fd, batch);
}

TEST_F(exec, fences_order_work)
{
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	struct spinner spin;
	uint32_t target = gem_create(self->fd, 4096);
	uint32_t batch = store_batch(self->fd, TARGET_ADDR, 0xabcd);
	/* Peek through a mapping: pread would wait for the pending writer. */
	volatile uint32_t *tmap = gem_mmap(self->fd, target, 4096);
	int out;

	ASSERT_NE(NULL, tmap);
	ASSERT_EQ(0, spin_start(self->fd, &spin, 0, I915_EXEC_RENDER));
	ASSERT_GE(spin.fence, 0);
	/* On the other engine, after the spinner's fence. */
	obj_at(&objs[0], target, TARGET_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], batch, BATCH_ADDR, 0);
	eb = eb_for(objs, 2, I915_EXEC_BLT | I915_EXEC_FENCE_IN | I915_EXEC_FENCE_OUT, 0);
	eb.rsvd2 = spin.fence;
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	out = eb.rsvd2 >> 32;
	EXPECT_EQ((uint32_t)spin.fence, (uint32_t)eb.rsvd2);
	EXPECT_EQ(0, fence_wait(out, 200));
	EXPECT_EQ(0, fence_status(spin.fence));
	EXPECT_EQ(0, fence_status(out));
	EXPECT_EQ(0, tmap[0]);
	spin_end(&spin);
	EXPECT_EQ(1, fence_wait(out, 10000));
	EXPECT_EQ(1, fence_status(spin.fence));
	EXPECT_EQ(1, fence_status(out));
	EXPECT_EQ(0xabcd, read_u32(self->fd, target, 0));
	/* A descriptor that is not a sync file. */
	eb.rsvd2 = self->fd;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	close(out);
	munmap((void *)tmap, 4096);
	spin_free(self->fd, &spin);
	gem_close(self->fd, target);
	gem_close(self->fd, batch);
}

TEST_F(exec, busy_wait_set_domain_follow_a_spinner)
{
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	struct drm_i915_gem_set_domain d = {
		.read_domains = I915_GEM_DOMAIN_CPU, .write_domain = I915_GEM_DOMAIN_CPU,
	};
	uint32_t target = gem_create(self->fd, 4096), spin_bo = gem_create(self->fd, 4096);
	uint32_t *map = gem_mmap(self->fd, spin_bo, 4096);
	struct pollfd p;
	char c = 0;
	int pipefd[2], out;
	pid_t child;

	ASSERT_NE(NULL, map);
	map[0] = MI_ARB_CHECK;
	map[1] = MI_BATCH_BUFFER_START;
	map[2] = (uint32_t)SPIN_ADDR;
	map[3] = 0;
	obj_at(&objs[0], target, TARGET_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], spin_bo, SPIN_ADDR, 0);
	eb = eb_for(objs, 2, I915_EXEC_RENDER | I915_EXEC_FENCE_OUT, 0);
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	out = eb.rsvd2 >> 32;
	/* rcs0 (class 0) writes target and reads the batch. */
	EXPECT_EQ(0x10001, gem_busy(self->fd, target));
	EXPECT_EQ(0x10000, gem_busy(self->fd, spin_bo));
	EXPECT_EQ(-ETIME, gem_wait(self->fd, target, 0));
	EXPECT_EQ(-ETIME, gem_wait(self->fd, target, 20 * 1000 * 1000));
	/* Reading the batch needs no wait (the spinner only reads it). */
	d.handle = spin_bo;
	d.write_domain = 0;
	EXPECT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_DOMAIN, &d));
	/* Writing the target waits for the spinner. */
	ASSERT_EQ(0, pipe(pipefd));
	child = fork();
	if (child == 0) {
		d.handle = target;
		d.write_domain = I915_GEM_DOMAIN_CPU;
		c = do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_DOMAIN, &d) == 0 ? 'y' : 'n';
		_exit(write(pipefd[1], &c, 1) == 1 ? 0 : 1);
	}
	p = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	EXPECT_EQ(0, poll(&p, 1, 300));
	__atomic_store_n(&map[1], MI_BATCH_BUFFER_END, __ATOMIC_SEQ_CST);
	EXPECT_EQ(1, poll(&p, 1, 10000));
	EXPECT_EQ(1, read(pipefd[0], &c, 1));
	EXPECT_EQ('y', c);
	waitpid(child, NULL, 0);
	EXPECT_EQ(0, gem_wait(self->fd, target, -1));
	EXPECT_EQ(0, gem_busy(self->fd, target));
	/* It ended because the batch ended, not because it was cancelled. */
	EXPECT_EQ(1, fence_status(out));
	close(out);
	close(pipefd[0]);
	close(pipefd[1]);
	munmap(map, 4096);
	gem_close(self->fd, target);
	gem_close(self->fd, spin_bo);
}

TEST_F(exec, closed_handles_live_until_the_fence)
{
	/* Spin until released, then store to the target, which only its mapping still names. */
	uint32_t b[] = { MI_ARB_CHECK, MI_BATCH_BUFFER_START, (uint32_t)BATCH_ADDR, 0,
			 MI_STORE_DWORD_IMM, (uint32_t)(TARGET_ADDR + 8), 0, 0x600d,
			 MI_BATCH_BUFFER_END };
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t target = gem_create(self->fd, 4096), batch = gem_create(self->fd, 4096);
	uint32_t *tmap = gem_mmap(self->fd, target, 4096), *bmap = gem_mmap(self->fd, batch, 4096);
	int out;

	ASSERT_NE(NULL, tmap);
	ASSERT_NE(NULL, bmap);
	memcpy(bmap, b, sizeof(b));
	obj_at(&objs[0], target, TARGET_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], batch, BATCH_ADDR, 0);
	eb = eb_for(objs, 2, I915_EXEC_RENDER | I915_EXEC_FENCE_OUT, 0);
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	out = eb.rsvd2 >> 32;
	EXPECT_EQ(0, gem_close(self->fd, target));
	EXPECT_EQ(0, gem_close(self->fd, batch));
	/*
	 * Release the loop by pointing the jump at the store (one dword, so the
	 * engine sees the old loop or the new target, never half of each): the
	 * store runs after every handle is gone.
	 */
	__atomic_store_n(&bmap[2], (uint32_t)BATCH_ADDR + 16, __ATOMIC_SEQ_CST);
	EXPECT_EQ(1, fence_wait(out, 10000));
	EXPECT_EQ(1, fence_status(out));
	EXPECT_EQ(0x600d, __atomic_load_n(&tmap[2], __ATOMIC_SEQ_CST));
	close(out);
	munmap(tmap, 4096);
	munmap(bmap, 4096);
}

TEST_F(exec, bad_batches_fail_their_fence)
{
	uint32_t unknown[] = { 0xe0000000, MI_BATCH_BUFFER_END };
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t target = gem_create(self->fd, 4096);
	/* Outside every object of the request. */
	uint32_t batch = store_batch(self->fd, 0x70000000, 1);
	int out;

	obj_at(&objs[0], target, TARGET_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], batch, BATCH_ADDR, 0);
	eb = eb_for(objs, 2, I915_EXEC_RENDER | I915_EXEC_FENCE_OUT, 0);
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	out = eb.rsvd2 >> 32;
	EXPECT_EQ(1, fence_wait(out, 10000));
	EXPECT_EQ(-EFAULT, fence_status(out));
	close(out);
	/* A store into the batch's own range past its end. */
	gem_close(self->fd, batch);
	batch = store_batch(self->fd, BATCH_ADDR + 4096, 1);
	objs[1].handle = batch;
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	out = eb.rsvd2 >> 32;
	EXPECT_EQ(1, fence_wait(out, 10000));
	EXPECT_EQ(-EFAULT, fence_status(out));
	close(out);
	/* An unknown command. */
	gem_write(self->fd, batch, 0, unknown, sizeof(unknown));
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	out = eb.rsvd2 >> 32;
	EXPECT_EQ(1, fence_wait(out, 10000));
	EXPECT_EQ(-EINVAL, fence_status(out));
	close(out);
	/* The engine still works. */
	gem_close(self->fd, batch);
	batch = store_batch(self->fd, TARGET_ADDR, 7);
	objs[1].handle = batch;
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	out = eb.rsvd2 >> 32;
	EXPECT_EQ(1, fence_wait(out, 10000));
	EXPECT_EQ(1, fence_status(out));
	EXPECT_EQ(7, read_u32(self->fd, target, 0));
	close(out);
	gem_close(self->fd, target);
	gem_close(self->fd, batch);
}

static void on_alarm(int sig)
{
}

TEST_F(exec, full_ring_blocks_and_is_interruptible)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval t = { .it_value.tv_usec = 100 * 1000 };
	struct drm_i915_gem_exec_object2 obj;
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t bbe[] = { MI_BATCH_BUFFER_END, MI_NOOP };
	uint32_t batch = gem_create(self->fd, 4096);
	struct spinner spin;
	int i, ret = 0;

	gem_write(self->fd, batch, 0, bbe, sizeof(bbe));
	ASSERT_EQ(0, spin_start(self->fd, &spin, 0, I915_EXEC_RENDER));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	obj_at(&obj, batch, BATCH_ADDR, 0);
	eb = eb_for(&obj, 1, I915_EXEC_RENDER, 0);
	for (i = 0; i < 1000; i++) {
		setitimer(ITIMER_REAL, &t, NULL);
		ret = execbuf(self->fd, &eb);
		if (ret)
			break;
	}
	t.it_value.tv_usec = 0;
	setitimer(ITIMER_REAL, &t, NULL);
	EXPECT_EQ(-EINTR, ret);
	EXPECT_GT(i, 8);
	EXPECT_LT(i, 1000);
	spin_end(&spin);
	EXPECT_EQ(1, fence_wait(spin.fence, 10000));
	EXPECT_EQ(1, fence_status(spin.fence));
	EXPECT_EQ(0, gem_wait(self->fd, batch, -1));
	spin_free(self->fd, &spin);
	gem_close(self->fd, batch);
	signal(SIGALRM, SIG_DFL);
}

TEST_F(exec, destroying_a_context_cancels_its_spinner)
{
	struct drm_i915_gem_context_create_ext c = {};
	struct drm_i915_gem_context_destroy d = {};
	struct spinner spin;

	struct drm_i915_gem_context_param p = { .param = I915_CONTEXT_PARAM_PERSISTENCE };

	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT, &c));
	/* A persistent context's requests would outlive it. */
	p.ctx_id = c.ctx_id;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_SETPARAM, &p));
	ASSERT_EQ(0, spin_start(self->fd, &spin, c.ctx_id, I915_EXEC_RENDER));
	EXPECT_EQ(0, fence_wait(spin.fence, 100));
	d.ctx_id = c.ctx_id;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &d));
	EXPECT_EQ(1, fence_wait(spin.fence, 10000));
	EXPECT_EQ(-EIO, fence_status(spin.fence));
	spin_free(self->fd, &spin);
}

/* One of the submitting threads of one_file_two_threads. */
struct submitter {
	int fd;
	unsigned int id, count, loops;
	/* How many stores landed where and as they should. */
	unsigned int good;
};

/*
 * Runs loops execbuffers on its own context: count entries (one of them the
 * target named twice), the last a batch storing a value into the target,
 * checked after each. Returns with ->good counting the stores that landed.
 */
static void *submit_stores(void *arg)
{
	struct submitter *s = arg;
	struct drm_i915_gem_context_create_ext c = {};
	struct drm_i915_gem_exec_object2 *objs = calloc(s->count, sizeof(*objs));
	uint32_t target = gem_create(s->fd, 4096), batch = gem_create(s->fd, 4096);
	struct drm_i915_gem_execbuffer2 eb;
	unsigned int i, k;

	if (!objs || !target || !batch || do_ioctl(s->fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT, &c))
		return NULL;
	obj_at(&objs[0], target, TARGET_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], target, TARGET_ADDR, 0);
	for (k = 2; k < s->count - 1; k++)
		obj_at(&objs[k], gem_create(s->fd, 4096), BATCH_ADDR + 4096 * k, 0);
	obj_at(&objs[s->count - 1], batch, BATCH_ADDR, 0);
	for (i = 0; i < s->loops; i++) {
		uint32_t value = s->id << 24 | i;
		uint32_t b[] = { MI_STORE_DWORD_IMM, (uint32_t)TARGET_ADDR + 4 * (i % 1024),
				 TARGET_ADDR >> 32, value, MI_BATCH_BUFFER_END, MI_NOOP };

		if (gem_write(s->fd, batch, 0, b, sizeof(b)))
			break;
		eb = eb_for(objs, s->count, I915_EXEC_RENDER, c.ctx_id);
		if (execbuf(s->fd, &eb) || gem_wait(s->fd, target, -1))
			break;
		s->good += read_u32(s->fd, target, 4 * (i % 1024)) == value &&
			   objs[1].offset == TARGET_ADDR &&
			   objs[s->count - 1].offset == BATCH_ADDR;
	}
	for (k = 2; k < s->count - 1; k++)
		gem_close(s->fd, objs[k].handle);
	gem_close(s->fd, target);
	gem_close(s->fd, batch);
	free(objs);
	return NULL;
}

/*
 * Two threads submit on one file at once, one a short list and one longer
 * than the file keeps room for between execbuffers (64 objects): each
 * execbuffer works in its own arrays, whichever thread last gave the file's
 * back.
 */
TEST_F(exec, one_file_two_threads)
{
	struct submitter s[2] = {
		{ .fd = self->fd, .id = 1, .count = 3, .loops = 200 },
		{ .fd = self->fd, .id = 2, .count = 100, .loops = 50 },
	};
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, submit_stores, &s[i]));
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(s[i].loops, s[i].good) TH_LOG("thread %d", i);
}

TEST_F(exec, errnos_in_i915_order)
{
	struct drm_i915_gem_exec_object2 obj = {};
	struct drm_i915_gem_execbuffer2 eb = eb_for(&obj, 1, I915_EXEC_RENDER, 0);
	uint32_t batch = store_batch(self->fd, TARGET_ADDR, 0);

	/* Handle 0 on a good context and engine: ENOENT (IGT's engine probe). */
	EXPECT_EQ(-ENOENT, execbuf(self->fd, &eb));
	eb.flags = I915_EXEC_BLT;
	EXPECT_EQ(-ENOENT, execbuf(self->fd, &eb));
	/* The context is checked before the engine, the engine before the handles. */
	eb.rsvd1 = 99;
	eb.flags = 7;
	EXPECT_EQ(-ENOENT, execbuf(self->fd, &eb));
	eb.rsvd1 = 0;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	eb.flags = I915_EXEC_BSD;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	eb.flags = I915_EXEC_RENDER | I915_EXEC_BSD_RING1;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	eb.flags = 1ull << 22;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	eb.flags = I915_EXEC_SECURE;
	obj.handle = batch;
	EXPECT_EQ(-EPERM, execbuf(self->fd, &eb));
	eb.flags = I915_EXEC_RENDER;
	eb.buffer_count = 0;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	eb.buffer_count = 1;
	eb.batch_start_offset = 4;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	eb.batch_start_offset = 4096;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	eb.batch_start_offset = 0;
	eb.num_cliprects = 1;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	eb.num_cliprects = 0;
	eb.buffers_ptr = 8;
	EXPECT_EQ(-EFAULT, execbuf(self->fd, &eb));
	eb.buffers_ptr = (uintptr_t)&obj;
	obj.flags = EXEC_OBJECT_WRITE;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	obj.flags = EXEC_OBJECT_NEEDS_GTT;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	obj.flags = 1 << 8;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	obj.flags = 0;
	obj.alignment = 3 << 12;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	obj.alignment = 0;
	obj.flags = PINNED;
	obj.offset = BATCH_ADDR + 8;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	/* Not canonical; beyond 4 GiB without the 48-bit flag. */
	obj.offset = 1ull << 47;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	obj.flags = EXEC_OBJECT_PINNED;
	obj.offset = 1ull << 33;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	obj.offset = BATCH_ADDR;
	eb.flags = I915_EXEC_RENDER | I915_EXEC_FENCE_IN;
	eb.rsvd2 = -1;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	eb.flags = I915_EXEC_RENDER;
	EXPECT_EQ(0, execbuf(self->fd, &eb));
	EXPECT_EQ(0, gem_wait(self->fd, batch, -1));
	gem_close(self->fd, batch);
}

TEST_F(exec, full_ring_is_eagain_when_nonblocking)
{
	struct drm_i915_gem_exec_object2 obj;
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t bbe[] = { MI_BATCH_BUFFER_END, MI_NOOP };
	uint32_t batch = gem_create(self->fd, 4096);
	int flags = fcntl(self->fd, F_GETFL);
	struct spinner spin;
	int i, ret = 0;

	gem_write(self->fd, batch, 0, bbe, sizeof(bbe));
	ASSERT_EQ(0, spin_start(self->fd, &spin, 0, I915_EXEC_BLT));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, flags | O_NONBLOCK));
	obj_at(&obj, batch, BATCH_ADDR, 0);
	eb = eb_for(&obj, 1, I915_EXEC_BLT, 0);
	for (i = 0; i < 1000; i++) {
		ret = execbuf(self->fd, &eb);
		if (ret)
			break;
	}
	fcntl(self->fd, F_SETFL, flags);
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_GT(i, 8);
	spin_end(&spin);
	EXPECT_EQ(1, fence_wait(spin.fence, 10000));
	EXPECT_EQ(1, fence_status(spin.fence));
	EXPECT_EQ(0, gem_wait(self->fd, batch, -1));
	spin_free(self->fd, &spin);
	gem_close(self->fd, batch);
}

TEST_F(exec, hang_detection_cancels_a_long_batch)
{
	struct spinner spin;

	/* Hang detection is on by default: 8 seconds without an arbitration point, then EIO. */
	ASSERT_EQ(0, __spin_start(self->fd, &spin, 0, I915_EXEC_RENDER, 0));
	EXPECT_EQ(0, fence_wait(spin.fence, 1000));
	EXPECT_EQ(1, fence_wait(spin.fence, 30000));
	EXPECT_EQ(-EIO, fence_status(spin.fence));
	spin_free(self->fd, &spin);
}

TEST_F(exec, prime_and_flink_share_the_object_and_its_fences)
{
	struct drm_prime_handle exp = { .flags = DRM_CLOEXEC | DRM_RDWR };
	struct drm_prime_handle imp = {};
	struct dma_buf_export_sync_file sync = { .flags = DMA_BUF_SYNC_RW };
	struct drm_gem_flink flink = {};
	struct drm_gem_open open_ = {};
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t target = gem_create(self->fd, 4096), spin_bo = gem_create(self->fd, 4096);
	uint32_t *map = gem_mmap(self->fd, spin_bo, 4096);
	int other = open_i915("renderD", 128), card = open_i915("card", 0);

	ASSERT_GE(other, 0);
	ASSERT_GE(card, 0);
	ASSERT_NE(NULL, map);
	/* The spinner writes target, then stores 0x77 into it when released. */
	map[0] = MI_ARB_CHECK;
	map[1] = MI_BATCH_BUFFER_START;
	map[2] = (uint32_t)SPIN_ADDR;
	map[3] = 0;
	map[4] = MI_STORE_DWORD_IMM;
	map[5] = (uint32_t)TARGET_ADDR;
	map[6] = 0;
	map[7] = 0x77;
	map[8] = MI_BATCH_BUFFER_END;
	obj_at(&objs[0], target, TARGET_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], spin_bo, SPIN_ADDR, 0);
	eb = eb_for(objs, 2, I915_EXEC_RENDER, 0);
	ASSERT_EQ(0, execbuf(self->fd, &eb));

	exp.handle = target;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp));
	imp.fd = exp.fd;
	ASSERT_EQ(0, do_ioctl(other, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	/* The other file sees the same object, busy with the same writer... */
	EXPECT_EQ(0x10001, gem_busy(other, imp.handle));
	EXPECT_EQ(-ETIME, gem_wait(other, imp.handle, 0));
	/* ...and so does anyone holding the dma-buf. */
	ASSERT_EQ(0, do_ioctl(exp.fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &sync));
	EXPECT_EQ(0, fence_status(sync.fd));

	/* A flink name opens the same object too (primary node, authenticated). */
	imp.handle = 0;
	ASSERT_EQ(0, do_ioctl(card, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	flink.handle = imp.handle;
	ASSERT_EQ(0, do_ioctl(card, DRM_IOCTL_GEM_FLINK, &flink));
	imp.handle = 0;
	ASSERT_EQ(0, do_ioctl(other, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	open_.name = flink.name;
	ASSERT_EQ(0, do_ioctl(card, DRM_IOCTL_GEM_OPEN, &open_));
	EXPECT_EQ(4096, open_.size);
	EXPECT_EQ(0x10001, gem_busy(card, open_.handle));
	/* Render nodes may not use global names. */
	flink.handle = target;
	EXPECT_EQ(-EACCES, do_ioctl(self->fd, DRM_IOCTL_GEM_FLINK, &flink));

	/* Release: jump to the store instead of looping (a single dword). */
	__atomic_store_n(&map[2], (uint32_t)SPIN_ADDR + 16, __ATOMIC_SEQ_CST);
	EXPECT_EQ(1, fence_wait(sync.fd, 10000));
	EXPECT_EQ(1, fence_status(sync.fd));
	EXPECT_EQ(0, gem_wait(other, imp.handle, -1));
	EXPECT_EQ(0, gem_busy(other, imp.handle));
	EXPECT_EQ(0x77, read_u32(other, imp.handle, 0));
	EXPECT_EQ(0x77, read_u32(card, open_.handle, 0));
	close(sync.fd);
	close(exp.fd);
	close(other);
	close(card);
	munmap(map, 4096);
	gem_close(self->fd, target);
	gem_close(self->fd, spin_bo);
}

/*
 * A dma-buf of another device (vgem) imported into vi915: one object whichever
 * side reads or writes it, and execbuffer waits for the exporter's fences.
 */
TEST_F(exec, vgem_imports_share_memory_and_fences)
{
	struct drm_mode_create_dumb dumb = { .width = 1024, .height = 2, .bpp = 32 };
	struct drm_mode_map_dumb map_dumb = {};
	struct drm_prime_handle exp = { .flags = DRM_CLOEXEC | DRM_RDWR };
	struct drm_prime_handle imp = {};
	struct drm_i915_gem_mmap_offset mmo = { .flags = I915_MMAP_OFFSET_WB };
	struct drm_i915_gem_mmap mmap_arg = { .size = 4096 };
	struct drm_vgem_fence_attach attach = { .flags = VGEM_FENCE_WRITE };
	struct drm_vgem_fence_signal signal_ = {};
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t value = 0, batch, again;
	int vgem = open_drm("card", 0, "vgem");
	uint32_t *map;

	if (vgem < 0)
		SKIP(return, "no vgem device");
	ASSERT_EQ(0, do_ioctl(vgem, DRM_IOCTL_MODE_CREATE_DUMB, &dumb));
	ASSERT_EQ(8192, dumb.size);
	map_dumb.handle = dumb.handle;
	ASSERT_EQ(0, do_ioctl(vgem, DRM_IOCTL_MODE_MAP_DUMB, &map_dumb));
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, vgem, map_dumb.offset);
	ASSERT_NE(MAP_FAILED, map);
	exp.handle = dumb.handle;
	ASSERT_EQ(0, do_ioctl(vgem, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp));

	/* Not a file, and a file that is no dma-buf. */
	imp.fd = -1;
	EXPECT_EQ(-EBADF, do_ioctl(self->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	imp.fd = vgem;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	imp.fd = exp.fd;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	again = imp.handle;
	imp.handle = 0;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	/* The same dma-buf is the same object, under the same handle. */
	EXPECT_EQ(again, imp.handle);

	/* What one device's mapping writes, the other reads, both ways. */
	map[1025] = 0xfeedbead;
	ASSERT_EQ(0, gem_read(self->fd, imp.handle, 4100, &value, 4));
	EXPECT_EQ(0xfeedbead, value);
	value = 0x600d;
	ASSERT_EQ(0, gem_write(self->fd, imp.handle, 8, &value, 4));
	EXPECT_EQ(0x600d, map[2]);
	/* The pages are the exporter's: i915 has no CPU mapping of its own for them. */
	mmo.handle = imp.handle;
	EXPECT_EQ(-ENODEV, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MMAP_OFFSET, &mmo));
	mmap_arg.handle = imp.handle;
	EXPECT_EQ(-ENXIO, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MMAP, &mmap_arg));

	/* An exporter's write fence holds back a request that uses the object. */
	attach.handle = dumb.handle;
	ASSERT_EQ(0, do_ioctl(vgem, DRM_IOCTL_VGEM_FENCE_ATTACH, &attach));
	batch = store_batch(self->fd, TARGET_ADDR + 4096, 0x5707e);
	obj_at(&objs[0], imp.handle, TARGET_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], batch, BATCH_ADDR, 0);
	eb = eb_for(objs, 2, I915_EXEC_RENDER, 0);
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	usleep(100 * 1000);
	EXPECT_EQ(-ETIME, gem_wait(self->fd, imp.handle, 0));
	EXPECT_NE(0, gem_busy(self->fd, imp.handle));
	EXPECT_EQ(0, map[1024]);
	/* The import keeps the dma-buf, and its pages, once the exporter lets go. */
	close(exp.fd);
	signal_.fence = attach.out_fence;
	ASSERT_EQ(0, do_ioctl(vgem, DRM_IOCTL_VGEM_FENCE_SIGNAL, &signal_));
	ASSERT_EQ(0, gem_wait(self->fd, imp.handle, -1));
	EXPECT_EQ(0x5707e, map[1024]);
	munmap(map, 8192);
	gem_close(vgem, dumb.handle);
	close(vgem);
	EXPECT_EQ(0x5707e, read_u32(self->fd, imp.handle, 4096));
	gem_close(self->fd, imp.handle);
	gem_close(self->fd, batch);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int syncobj_wait(int fd, uint32_t handle, int64_t timeout_ns)
{
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)&handle, .count_handles = 1,
		.timeout_nsec = now_ns() + timeout_ns,
	};

	return do_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
}

/*
 * A store of value on bcs0 that a sync object orders after a spinner on
 * rcs0: the objects, their maps and the sync object.
 */
struct ordered {
	uint32_t syncobj, target, spin_bo, batch;
	uint32_t *map;
	volatile uint32_t *tmap;
	struct drm_i915_gem_exec_object2 objs[2];
};

static int ordered_init(int fd, struct ordered *o, uint32_t value)
{
	struct drm_syncobj_create create = {};

	o->target = gem_create(fd, 4096);
	o->spin_bo = gem_create(fd, 4096);
	o->batch = store_batch(fd, TARGET_ADDR, value);
	o->map = gem_mmap(fd, o->spin_bo, 4096);
	o->tmap = gem_mmap(fd, o->target, 4096);
	obj_at(&o->objs[0], o->target, TARGET_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&o->objs[1], o->batch, BATCH_ADDR, 0);
	if (!o->map || !o->tmap || do_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &create))
		return -1;
	o->syncobj = create.handle;
	return 0;
}

/* The execbuffer of the spinner (on rcs0), with the flags extra. */
static struct drm_i915_gem_execbuffer2 ordered_spinner(struct ordered *o, uint64_t extra)
{
	o->map[0] = MI_ARB_CHECK;
	o->map[1] = MI_BATCH_BUFFER_START;
	o->map[2] = (uint32_t)SPIN_ADDR;
	o->map[3] = 0;
	obj_at(&o->objs[1], o->spin_bo, SPIN_ADDR, 0);
	return eb_for(&o->objs[1], 1, I915_EXEC_RENDER | extra, 0);
}

/* The execbuffer of the store (on bcs0), with the flags extra. */
static struct drm_i915_gem_execbuffer2 ordered_store(struct ordered *o, uint64_t extra)
{
	obj_at(&o->objs[1], o->batch, BATCH_ADDR, 0);
	return eb_for(o->objs, 2, I915_EXEC_BLT | extra, 0);
}

static void ordered_end_spinner(struct ordered *o)
{
	__atomic_store_n(&o->map[1], MI_BATCH_BUFFER_END, __ATOMIC_SEQ_CST);
}

static void ordered_fini(int fd, struct ordered *o)
{
	munmap(o->map, 4096);
	munmap((void *)o->tmap, 4096);
	gem_close(fd, o->target);
	gem_close(fd, o->spin_bo);
	gem_close(fd, o->batch);
	do_ioctl(fd, DRM_IOCTL_SYNCOBJ_DESTROY,
		 &(struct drm_syncobj_destroy){ .handle = o->syncobj });
}

TEST_F(exec, syncobj_fence_arrays_order_work)
{
	struct drm_i915_gem_exec_fence array;
	struct drm_i915_gem_execbuffer2 eb;
	struct ordered o;
	int value = 0;

	ASSERT_EQ(0, getparam(self->fd, I915_PARAM_HAS_EXEC_FENCE_ARRAY, &value));
	EXPECT_EQ(1, value);
	ASSERT_EQ(0, ordered_init(self->fd, &o, 0x5151));
	eb = ordered_store(&o, I915_EXEC_FENCE_ARRAY);
	eb.cliprects_ptr = (uintptr_t)&array;
	eb.num_cliprects = 1;
	/* Waiting on an empty sync object; an unknown handle; unknown flags. */
	array = (struct drm_i915_gem_exec_fence){ o.syncobj, I915_EXEC_FENCE_WAIT };
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	array.handle = 0x7fff;
	EXPECT_EQ(-ENOENT, execbuf(self->fd, &eb));
	array = (struct drm_i915_gem_exec_fence){ o.syncobj, 4 };
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));

	/* A spinner signals the sync object... */
	eb = ordered_spinner(&o, I915_EXEC_FENCE_ARRAY);
	eb.cliprects_ptr = (uintptr_t)&array;
	eb.num_cliprects = 1;
	array = (struct drm_i915_gem_exec_fence){ o.syncobj, I915_EXEC_FENCE_SIGNAL };
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	EXPECT_EQ(-ETIME, syncobj_wait(self->fd, o.syncobj, 100 * 1000 * 1000));
	/* ...which a store on the other engine waits for. */
	eb = ordered_store(&o, I915_EXEC_FENCE_ARRAY);
	eb.cliprects_ptr = (uintptr_t)&array;
	eb.num_cliprects = 1;
	array = (struct drm_i915_gem_exec_fence){ o.syncobj, I915_EXEC_FENCE_WAIT };
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	usleep(200 * 1000);
	EXPECT_EQ(0, o.tmap[0]);
	ordered_end_spinner(&o);
	EXPECT_EQ(0, syncobj_wait(self->fd, o.syncobj, 10ll * 1000 * 1000 * 1000));
	EXPECT_EQ(0, gem_wait(self->fd, o.target, -1));
	EXPECT_EQ(0x5151, o.tmap[0]);
	ordered_fini(self->fd, &o);
}

static uint64_t timeline_point(int fd, uint32_t handle, uint32_t flags)
{
	uint64_t point = ~0ull;
	struct drm_syncobj_timeline_array query = {
		.handles = (uintptr_t)&handle, .points = (uintptr_t)&point,
		.count_handles = 1, .flags = flags,
	};

	if (do_ioctl(fd, DRM_IOCTL_SYNCOBJ_QUERY, &query))
		return ~0ull;
	return point;
}

TEST_F(exec, syncobj_timeline_points_order_work)
{
	const uint32_t submitted = DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED;
	struct drm_i915_gem_exec_fence fence;
	uint64_t point;
	struct drm_i915_gem_execbuffer_ext_timeline_fences ext = {
		.base.name = DRM_I915_GEM_EXECBUFFER_EXT_TIMELINE_FENCES,
		.fence_count = 1,
		.handles_ptr = (uintptr_t)&fence,
		.values_ptr = (uintptr_t)&point,
	};
	struct drm_syncobj_timeline_wait wait = {
		.points = (uintptr_t)&point, .count_handles = 1,
	};
	struct drm_i915_gem_execbuffer2 eb;
	struct ordered o;
	int value = 0;

	ASSERT_EQ(0, getparam(self->fd, I915_PARAM_HAS_EXEC_TIMELINE_FENCES, &value));
	EXPECT_EQ(1, value);
	ASSERT_EQ(0, ordered_init(self->fd, &o, 0x5252));
	wait.handles = (uintptr_t)&o.syncobj;
	eb = ordered_store(&o, I915_EXEC_USE_EXTENSIONS);
	eb.cliprects_ptr = (uintptr_t)&ext;
	/*
	 * Waiting for a point of an empty timeline; waiting for and signalling
	 * the same point; an unknown extension; an unreadable values array; the
	 * extension with a fence array.
	 */
	fence = (struct drm_i915_gem_exec_fence){ o.syncobj, I915_EXEC_FENCE_WAIT };
	point = 1;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	fence.flags = I915_EXEC_FENCE_WAIT | I915_EXEC_FENCE_SIGNAL;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	fence.flags = I915_EXEC_FENCE_SIGNAL;
	ext.base.name = 1;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	ext.base.name = DRM_I915_GEM_EXECBUFFER_EXT_TIMELINE_FENCES;
	ext.values_ptr = 8;
	EXPECT_EQ(-EFAULT, execbuf(self->fd, &eb));
	ext.values_ptr = (uintptr_t)&point;
	eb.flags |= I915_EXEC_FENCE_ARRAY;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	/* None of them signalled anything. */
	EXPECT_EQ(0, timeline_point(self->fd, o.syncobj, submitted));

	/* A spinner signals point 2... */
	eb = ordered_spinner(&o, I915_EXEC_USE_EXTENSIONS);
	eb.cliprects_ptr = (uintptr_t)&ext;
	point = 2;
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	EXPECT_EQ(2, timeline_point(self->fd, o.syncobj, submitted));
	EXPECT_EQ(0, timeline_point(self->fd, o.syncobj, 0));
	wait.timeout_nsec = now_ns() + 100 * 1000 * 1000;
	EXPECT_EQ(-ETIME, do_ioctl(self->fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &wait));
	/* ...point 3 is not on the timeline yet... */
	eb = ordered_store(&o, I915_EXEC_USE_EXTENSIONS);
	eb.cliprects_ptr = (uintptr_t)&ext;
	fence.flags = I915_EXEC_FENCE_WAIT;
	point = 3;
	EXPECT_EQ(-EINVAL, execbuf(self->fd, &eb));
	/* ...and a store on the other engine waits for point 1, which point 2 covers. */
	point = 1;
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	usleep(200 * 1000);
	EXPECT_EQ(0, o.tmap[0]);
	ordered_end_spinner(&o);
	point = 2;
	wait.timeout_nsec = now_ns() + 10ll * 1000 * 1000 * 1000;
	EXPECT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &wait));
	EXPECT_EQ(2, timeline_point(self->fd, o.syncobj, 0));
	EXPECT_EQ(0, gem_wait(self->fd, o.target, -1));
	EXPECT_EQ(0x5252, o.tmap[0]);
	ordered_fini(self->fd, &o);
}

TEST_HARNESS_MAIN

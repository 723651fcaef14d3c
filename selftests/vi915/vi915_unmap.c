// SPDX-License-Identifier: GPL-2.0
/*
 * The userptr guarantee: once an unmap of a userptr's range returns, the
 * engine never touches those pages, and the unmap does not wait without
 * bound. Each test watches the pages through a second mapping of the same
 * memory, which outlives the unmapped one. Also: pins are long-term (out of
 * movable memory), other changes of the range (zaps, punched holes,
 * truncation, protection changes, fork) are seen by the next execbuffer while
 * a running request finishes on the old pages, and closes racing the shrinker
 * leak nothing (the kernel log, checked by make check, must stay clean).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vi915_util.h"

#define DST_ADDR	STORE_TARGET_ADDR
#define BATCH_ADDR	STORE_BATCH_ADDR
#define READ_ADDR	0x1000000ull

/* How long the tests wait for what must happen; what must not is checked after. */
#define PATIENCE_MS	10000

/*
 * Submits on ctx and ring a store of value into the second dword of userptr
 * up, after in_fence if it is >= 0. Returns the out-fence, or -errno.
 */
static int store_to(int fd, uint32_t ctx, uint64_t ring, uint32_t up, uint32_t value,
		    int in_fence)
{
	return store_in(fd, ctx, ring, up, 0, 4, value, in_fence);
}

/*
 * Has the blitter copy the first page of userptr up into a new object and
 * returns the copy's second dword, or 0xbad0bad0 if the copy failed.
 */
static uint32_t engine_reads(int fd, uint32_t up)
{
	uint32_t b[] = {
		XY_SRC_COPY_BLT, 0x03cc0000 | 4096, 0, (1 << 16) | 1024,
		(uint32_t)DST_ADDR, 0, 0, 4096, (uint32_t)READ_ADDR, 0,
		MI_BATCH_BUFFER_END, 0,
	};
	struct drm_i915_gem_exec_object2 objs[3];
	struct drm_i915_gem_execbuffer2 eb = eb_for(objs, 3, I915_EXEC_BLT | I915_EXEC_FENCE_OUT, 0);
	uint32_t copy = gem_create(fd, 4096), batch = gem_create(fd, 4096), v = 0xbad0bad0;
	int fence;

	gem_write(fd, batch, 0, b, sizeof(b));
	obj_at(&objs[0], up, READ_ADDR, 0);
	obj_at(&objs[1], copy, DST_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[2], batch, BATCH_ADDR, 0);
	if (!execbuf(fd, &eb)) {
		fence = eb.rsvd2 >> 32;
		if (fence_wait(fence, PATIENCE_MS) == 1 && fence_status(fence) == 1)
			v = read_u32(fd, copy, 4);
		close(fence);
	}
	gem_close(fd, batch);
	gem_close(fd, copy);
	return v;
}

/* Waits up to ms for *done; whether it was set. */
static int wait_done(volatile int *done, int ms)
{
	int64_t end = now_ms() + ms;

	while (!*done && now_ms() < end)
		usleep(10 * 1000);
	return *done;
}

FIXTURE(unmap) {
	int a, b;		/* the blocker's client, the userptr's */
	int memfd;
	uint32_t *view;		/* the memory, as the test sees it */
	uint32_t *uview;	/* the same memory, the userptr's range */
	uint32_t up;		/* b's userptr over uview */
};

FIXTURE_SETUP(unmap)
{
	self->a = open_i915("renderD", 128);
	self->b = open_i915("renderD", 128);
	ASSERT_GE(self->a, 0);
	ASSERT_GE(self->b, 0);
	self->memfd = memfd_create("vi915-unmap", 0);
	ASSERT_GE(self->memfd, 0);
	ASSERT_EQ(0, ftruncate(self->memfd, 4096));
	self->view = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->memfd, 0);
	self->uview = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->memfd, 0);
	ASSERT_NE(MAP_FAILED, self->view);
	ASSERT_NE(MAP_FAILED, self->uview);
	ASSERT_EQ(0, userptr(self->b, self->uview, 4096, 0, &self->up));
}

FIXTURE_TEARDOWN(unmap)
{
	if (self->up)
		gem_close(self->b, self->up);
	close(self->a);
	close(self->b);
	if (self->uview)
		munmap(self->uview, 4096);
	munmap(self->view, 4096);
	close(self->memfd);
}

/*
 * Unmaps the userptr's range on a thread while blocker spins; checks that the
 * unmap returns without the blocker ending, that request f ends with EFAULT,
 * and, once the blocker is ended, that f's store never landed.
 */
static void unmap_under(struct __test_metadata *_metadata, FIXTURE_DATA(unmap) *self,
			struct spinner *blocker, int f)
{
	struct unmapper u = { .ptr = self->uview, .size = 4096 };
	int64_t start = now_ms();
	pthread_t thread;
	int returned;

	ASSERT_EQ(0, pthread_create(&thread, NULL, do_munmap, &u));
	returned = wait_done(&u.done, PATIENCE_MS);
	TH_LOG("munmap %s after %lld ms", returned ? "returned" : "still waits",
	       (long long)(now_ms() - start));
	EXPECT_TRUE(returned);
	EXPECT_EQ(1, fence_wait(f, returned ? PATIENCE_MS : 0));
	EXPECT_EQ(-EFAULT, fence_status(f));
	/* The blocker was not touched. */
	EXPECT_EQ(0, fence_status(blocker->fence));
	spin_end(blocker);
	pthread_join(thread, NULL);
	EXPECT_EQ(1, fence_wait(blocker->fence, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(blocker->fence));
	EXPECT_EQ(1, fence_wait(f, PATIENCE_MS));
	usleep(100 * 1000);
	EXPECT_EQ(0, self->view[1]);
	/* Gone: the address may be someone else's now. */
	self->uview = NULL;
}

TEST_F(unmap, behind_a_spinner_of_a_higher_priority_is_bounded)
{
	struct spinner blocker;
	int f;

	/* Another client's batch that never yields to a request of a lower priority. */
	ASSERT_EQ(0, context_set(self->a, 0, I915_CONTEXT_PARAM_PRIORITY, 1023));
	ASSERT_EQ(0, spin_start(self->a, &blocker, 0, I915_EXEC_RENDER));
	f = store_to(self->b, 0, I915_EXEC_RENDER, self->up, 0xdead, -1);
	ASSERT_GE(f, 0);
	EXPECT_EQ(0, fence_wait(f, 100));
	unmap_under(_metadata, self, &blocker, f);
	close(f);
	spin_free(self->a, &blocker);
}

TEST_F(unmap, still_stops_a_request_whose_userptr_was_closed)
{
	struct spinner blocker;
	int f;

	/* The request waits for a batch on the other engine. */
	ASSERT_EQ(0, spin_start(self->a, &blocker, 0, I915_EXEC_BLT));
	f = store_to(self->b, 0, I915_EXEC_RENDER, self->up, 0xdead, blocker.fence);
	ASSERT_GE(f, 0);
	/* The request holds the object: its notifier still watches the range. */
	EXPECT_EQ(0, gem_close(self->b, self->up));
	self->up = 0;
	unmap_under(_metadata, self, &blocker, f);
	close(f);
	spin_free(self->a, &blocker);
}

TEST_F(unmap, still_stops_a_request_whose_file_was_closed)
{
	int c = open_i915("renderD", 128);
	struct spinner blocker;
	uint32_t up;
	int f;

	ASSERT_GE(c, 0);
	ASSERT_EQ(0, userptr(c, self->uview, 4096, 0, &up));
	ASSERT_EQ(0, spin_start(self->a, &blocker, 0, I915_EXEC_BLT));
	f = store_to(c, 0, I915_EXEC_RENDER, up, 0xdead, blocker.fence);
	ASSERT_GE(f, 0);
	/* The context persists (hang detection is on), and so does the request. */
	close(c);
	EXPECT_EQ(0, fence_wait(f, 100));
	unmap_under(_metadata, self, &blocker, f);
	close(f);
	spin_free(self->a, &blocker);
}

/* Reads the [start, end) page frame numbers of zone name of node 0 from /proc/zoneinfo. */
static int zone_pfns(const char *name, uint64_t *start, uint64_t *end)
{
	FILE *z = fopen("/proc/zoneinfo", "r");
	unsigned long long v, spanned = 0;
	char line[256], zone[32];
	int in = 0, found = 0;

	if (!z)
		return 0;
	while (fgets(line, sizeof(line), z)) {
		if (sscanf(line, "Node 0, zone %31s", zone) == 1) {
			in = !strcmp(zone, name);
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, " spanned %llu", &v) == 1)
			spanned = v;
		if (sscanf(line, " start_pfn: %llu", &v) == 1) {
			*start = v;
			*end = v + spanned;
			found = spanned > 0;
		}
	}
	fclose(z);
	return found;
}

/* The page frame number behind addr (root reads them), or 0. */
static uint64_t pfn_of(const void *addr)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t entry = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), (uintptr_t)addr / 4096 * sizeof(entry)) !=
	    sizeof(entry))
		entry = 0;
	close(fd);
	return entry >> 63 ? entry & ((1ull << 55) - 1) : 0;
}

TEST_F(unmap, pins_are_long_term_out_of_movable_memory)
{
	enum { PAGES = 256 };
	uint64_t lo = 0, hi = 0, pfn = 0;
	uint32_t *mem = map_anon(PAGES * 4096), *page = NULL, up;
	int i, f;

	if (!zone_pfns("Movable", &lo, &hi))
		SKIP(return, "no movable zone: the guest boots with movablecore=");
	ASSERT_NE(NULL, mem);
	/* User memory comes from the movable zone first: find a page there. */
	for (i = 0; i < PAGES && !page; i++) {
		mem[i * 1024] = i;
		pfn = pfn_of(&mem[i * 1024]);
		if (pfn >= lo && pfn < hi)
			page = &mem[i * 1024];
	}
	ASSERT_NE(NULL, page) TH_LOG("no page in the movable zone [%llu, %llu)",
				     (unsigned long long)lo, (unsigned long long)hi);
	ASSERT_EQ(0, userptr(self->b, page, 4096, 0, &up));
	f = store_to(self->b, 0, I915_EXEC_RENDER, up, 0x600d, -1);
	ASSERT_GE(f, 0);
	EXPECT_EQ(1, fence_wait(f, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(f));
	/* The pin moved the page out of the movable zone first; the process sees the store. */
	pfn = pfn_of(page);
	TH_LOG("pinned page frame %llu, movable zone [%llu, %llu)", (unsigned long long)pfn,
	       (unsigned long long)lo, (unsigned long long)hi);
	EXPECT_TRUE(pfn && (pfn < lo || pfn >= hi));
	EXPECT_EQ(0x600d, page[1]);
	close(f);
	gem_close(self->b, up);
	munmap(mem, PAGES * 4096);
}

TEST_F(unmap, other_changes_are_seen_by_the_next_execbuffer)
{
	uint32_t *anon = map_anon(4096), up;
	pid_t child;

	ASSERT_NE(NULL, anon);
	ASSERT_EQ(0, userptr(self->b, anon, 4096, 0, &up));
	anon[1] = 1;
	EXPECT_EQ(1, engine_reads(self->b, up));
	/* Zapped: the next touch gets a new page. */
	ASSERT_EQ(0, madvise(anon, 4096, MADV_DONTNEED));
	anon[1] = 2;
	EXPECT_EQ(2, engine_reads(self->b, up));
	/* Write-protected and back. */
	ASSERT_EQ(0, mprotect(anon, 4096, PROT_READ));
	ASSERT_EQ(0, mprotect(anon, 4096, PROT_READ | PROT_WRITE));
	anon[1] = 3;
	EXPECT_EQ(3, engine_reads(self->b, up));
	/* Copy-on-write protection after fork. */
	child = fork();
	if (!child)
		_exit(0);
	ASSERT_GT(child, 0);
	anon[1] = 4;
	EXPECT_EQ(4, engine_reads(self->b, up));
	waitpid(child, NULL, 0);
	gem_close(self->b, up);
	munmap(anon, 4096);

	/* A shared file page: a punched hole, then a truncation, each give a new page. */
	self->view[1] = 5;
	EXPECT_EQ(5, engine_reads(self->b, self->up));
	ASSERT_EQ(0, fallocate(self->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
	EXPECT_EQ(0, self->view[1]);
	self->view[1] = 6;
	EXPECT_EQ(6, engine_reads(self->b, self->up));
	ASSERT_EQ(0, ftruncate(self->memfd, 0));
	ASSERT_EQ(0, ftruncate(self->memfd, 4096));
	self->view[1] = 7;
	EXPECT_EQ(7, engine_reads(self->b, self->up));
}

TEST_F(unmap, a_running_request_finishes_on_the_old_pages)
{
	/* Spin until released, then store into the userptr. */
	uint32_t b[] = {
		MI_ARB_CHECK,
		MI_BATCH_BUFFER_START, (uint32_t)BATCH_ADDR, 0,
		MI_STORE_DWORD_IMM, (uint32_t)DST_ADDR + 4, 0, 0xdead,
		MI_BATCH_BUFFER_END,
	};
	uint32_t *anon = map_anon(4096), up, batch = gem_create(self->b, 4096), *bmap;
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb = eb_for(objs, 2, I915_EXEC_RENDER | I915_EXEC_FENCE_OUT,
						    0);
	int f;

	ASSERT_NE(NULL, anon);
	ASSERT_EQ(0, userptr(self->b, anon, 4096, 0, &up));
	gem_write(self->b, batch, 0, b, sizeof(b));
	bmap = gem_mmap(self->b, batch, 4096);
	ASSERT_NE(NULL, bmap);
	obj_at(&objs[0], up, DST_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], batch, BATCH_ADDR, 0);
	ASSERT_EQ(0, execbuf(self->b, &eb));
	f = eb.rsvd2 >> 32;
	/* Zapped under the running request, which does not wait or stop for it. */
	ASSERT_EQ(0, madvise(anon, 4096, MADV_DONTNEED));
	EXPECT_EQ(0, fence_status(f));
	__atomic_store_n(&bmap[2], (uint32_t)BATCH_ADDR + 16, __ATOMIC_SEQ_CST);
	EXPECT_EQ(1, fence_wait(f, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(f));
	/* The store went to the old page, which the process no longer has. */
	EXPECT_EQ(0, anon[1]);
	close(f);
	munmap(bmap, 4096);
	gem_close(self->b, batch);
	gem_close(self->b, up);
	munmap(anon, 4096);
}

/* A debugfs file of the device's. */
struct shrinking {
	char path[128];
	volatile int stop;
	int scans;
};

/* Runs the shrinker's scan (DROP_SHRINK_ALL) until told to stop. */
static void *shrink_loop(void *arg)
{
	struct shrinking *s = arg;

	while (!s->stop) {
		write_file(s->path, "0x20");
		s->scans++;
	}
	return NULL;
}

TEST_F(unmap, a_close_racing_the_shrinker_frees_nothing_in_it)
{
	struct shrinking s = {};
	uint32_t *mem = map_anon(4096), up;
	int i, f, before = gem_object_count();
	pthread_t thread;

	ASSERT_NE(NULL, mem);
	ASSERT_GE(before, 0);
	device_debugfs("i915_gem_drop_caches", s.path, sizeof(s.path));
	ASSERT_EQ(0, pthread_create(&thread, NULL, shrink_loop, &s));
	/*
	 * Idle pinned userptrs on the shrinker's list, closed while it scans: it may hold
	 * the last reference, whose drop must leave the notifier and pins to the worker.
	 */
	for (i = 0; i < 300; i++) {
		ASSERT_EQ(0, userptr(self->b, mem, 4096, 0, &up));
		f = store_to(self->b, 0, I915_EXEC_RENDER, up, i, -1);
		ASSERT_GE(f, 0);
		EXPECT_EQ(1, fence_wait(f, PATIENCE_MS));
		EXPECT_EQ(1, fence_status(f));
		close(f);
		EXPECT_EQ(0, gem_close(self->b, up));
		EXPECT_EQ(i, mem[1]);
	}
	s.stop = 1;
	pthread_join(thread, NULL);
	TH_LOG("%d scans ran during the closes", s.scans);
	EXPECT_GT(s.scans, 0);
	/* Everything was freed (the deferred parts once DROP_FREED drains them). */
	write_file(s.path, "0x10");
	EXPECT_EQ(before, gem_object_count());
	munmap(mem, 4096);
}

TEST_HARNESS_MAIN

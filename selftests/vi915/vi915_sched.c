// SPDX-License-Identifier: GPL-2.0
/*
 * The scheduler: timeslices between clients on one engine, the reset of a
 * batch that cannot be preempted, priorities, dependencies that block only
 * their own context, and cancellation limited to the closed file.
 */
#include <time.h>

#include "kselftest_harness.h"
#include "vi915_util.h"

#define TARGET_ADDR	STORE_TARGET_ADDR
#define BATCH_ADDR	STORE_BATCH_ADDR

/* How long the tests wait for what must happen; what must not is checked after. */
#define PATIENCE_MS	10000

static uint32_t context_create(int fd)
{
	struct drm_i915_gem_context_create_ext c = {};

	if (do_ioctl(fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT, &c))
		return 0;
	return c.ctx_id;
}

/* Submits a store of value to target's first dword on ring; its out-fence, or -errno. */
static int submit_store(int fd, uint32_t ctx, uint64_t ring, uint32_t target, uint32_t value,
			int in_fence)
{
	return store_in(fd, ctx, ring, target, EXEC_OBJECT_ASYNC, 0, value, in_fence);
}

/* Path of an engine property in sysfs, from the primary node's minor. */
static void engine_prop_path(const char *engine, const char *prop, char *buf, size_t len)
{
	int card = open_i915("card", 0);
	struct stat st;

	fstat(card, &st);
	close(card);
	snprintf(buf, len, "/sys/dev/char/%u:%u/engine/%s/%s", major(st.st_rdev),
		 minor(st.st_rdev), engine, prop);
}

static long engine_prop(const char *engine, const char *prop)
{
	char path[160], text[32];

	engine_prop_path(engine, prop, path, sizeof(path));
	if (read_file(path, text, sizeof(text)))
		return -1;
	return strtol(text, NULL, 10);
}

static int set_engine_prop(const char *engine, const char *prop, const char *value)
{
	char path[160];

	engine_prop_path(engine, prop, path, sizeof(path));
	return write_file(path, value);
}

static uint32_t guilty_count(int fd, uint32_t ctx)
{
	struct drm_i915_reset_stats r = { .ctx_id = ctx };

	if (do_ioctl(fd, DRM_IOCTL_I915_GET_RESET_STATS, &r))
		return ~0u;
	return r.batch_active;
}

FIXTURE(sched) {
	int a, b;
	uint32_t target;
};

FIXTURE_SETUP(sched)
{
	char path[128];
	int card = open_i915("card", 0);

	ASSERT_GE(card, 0);
	debugfs_path(card, "i915_gem_drop_caches", path, sizeof(path));
	write_file(path, "0x1c8");
	close(card);
	/* Two clients. */
	self->a = open_i915("renderD", 128);
	self->b = open_i915("renderD", 128);
	ASSERT_GE(self->a, 0);
	ASSERT_GE(self->b, 0);
	self->target = gem_create(self->b, 4096);
	ASSERT_NE(0, self->target);
}

FIXTURE_TEARDOWN(sched)
{
	gem_close(self->b, self->target);
	close(self->a);
	close(self->b);
}

TEST_F(sched, advertises_priorities_and_preemption)
{
	int caps = 0;

	ASSERT_EQ(0, getparam(self->a, I915_PARAM_HAS_SCHEDULER, &caps));
	EXPECT_EQ(I915_SCHEDULER_CAP_ENABLED | I915_SCHEDULER_CAP_PRIORITY |
		  I915_SCHEDULER_CAP_PREEMPTION, caps);
	EXPECT_EQ(-EINVAL, context_set(self->a, 0, I915_CONTEXT_PARAM_PRIORITY, 1024));
	EXPECT_EQ(-EINVAL, context_set(self->a, 0, I915_CONTEXT_PARAM_PRIORITY, -1024));
	/* Root has CAP_SYS_NICE and CAP_SYS_ADMIN. */
	EXPECT_EQ(0, context_set(self->a, 0, I915_CONTEXT_PARAM_PRIORITY, 1023));
	EXPECT_EQ(0, context_set(self->a, 0, I915_CONTEXT_PARAM_PRIORITY, -1023));
	EXPECT_EQ(0, context_set(self->a, 0, I915_CONTEXT_PARAM_BANNABLE, 0));
}

TEST_F(sched, a_spinner_shares_its_engine_by_timeslices)
{
	struct spinner spin;
	int64_t start;
	int f;

	ASSERT_EQ(0, spin_start(self->a, &spin, 0, I915_EXEC_RENDER));
	EXPECT_EQ(0, fence_wait(spin.fence, 50));
	start = now_ms();
	f = submit_store(self->b, 0, I915_EXEC_RENDER, self->target, 0xb, -1);
	ASSERT_GE(f, 0);
	EXPECT_EQ(1, fence_wait(f, PATIENCE_MS));
	TH_LOG("B's store completed %lld ms after submission, A spinning",
	       (long long)(now_ms() - start));
	EXPECT_EQ(1, fence_status(f));
	EXPECT_EQ(0xb, read_u32(self->b, self->target, 0));
	/* A still runs, and was not found guilty of anything. */
	EXPECT_EQ(0, fence_status(spin.fence));
	spin_end(&spin);
	EXPECT_EQ(1, fence_wait(spin.fence, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(spin.fence));
	EXPECT_EQ(0, guilty_count(self->a, 0));
	close(f);
	spin_free(self->a, &spin);
}

/*
 * A batch polling a semaphore (MI_SEMAPHORE_WAIT) yields its engine while it
 * waits, and goes on once the memory it polls passes the compare.
 */
TEST_F(sched, a_semaphore_wait_yields_and_ends_when_signalled)
{
	const uint64_t addr = 0x600000, sem = addr + 4096;
	uint32_t b[] = {
		/* Poll until the semaphore equals 1, then store 2 after it. */
		MI_SEMAPHORE_WAIT | MI_SEMAPHORE_POLL | MI_SEMAPHORE_SAD_EQ_SDD, 1,
		(uint32_t)sem, sem >> 32,
		MI_STORE_DWORD_IMM, (uint32_t)(sem + 4), (sem + 4) >> 32, 2,
		MI_BATCH_BUFFER_END,
	};
	struct drm_i915_gem_exec_object2 obj;
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t bo = gem_create(self->a, 8192), *map;
	int f, waiter;

	ASSERT_NE(0, bo);
	map = gem_mmap(self->a, bo, 8192);
	ASSERT_NE(NULL, map);
	memcpy(map, b, sizeof(b));
	map[1024] = 0;
	/* The batch object holds the semaphore (a batch may not be marked written). */
	obj_at(&obj, bo, addr, 0);
	eb = eb_for(&obj, 1, I915_EXEC_RENDER | I915_EXEC_FENCE_OUT, 0);
	ASSERT_EQ(0, execbuf(self->a, &eb));
	waiter = eb.rsvd2 >> 32;
	EXPECT_EQ(0, fence_wait(waiter, 50));
	/* Another client's store runs meanwhile. */
	f = submit_store(self->b, 0, I915_EXEC_RENDER, self->target, 0xb, -1);
	ASSERT_GE(f, 0);
	EXPECT_EQ(1, fence_wait(f, PATIENCE_MS));
	EXPECT_EQ(0, fence_status(waiter));
	EXPECT_EQ(0, map[1025]);
	/* Signalled from the CPU: the batch goes on. */
	__atomic_store_n(&map[1024], 1, __ATOMIC_SEQ_CST);
	EXPECT_EQ(1, fence_wait(waiter, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(waiter));
	EXPECT_EQ(2, map[1025]);
	EXPECT_EQ(0, guilty_count(self->a, 0));
	close(f);
	close(waiter);
	munmap(map, 8192);
	gem_close(self->a, bo);
}

TEST_F(sched, a_hog_is_reset_and_the_others_run)
{
	struct spinner hog;
	int64_t start;
	int f;

	ASSERT_EQ(0, __spin_start(self->a, &hog, 0, I915_EXEC_RENDER, 0));
	EXPECT_EQ(0, fence_wait(hog.fence, 50));
	start = now_ms();
	f = submit_store(self->b, 0, I915_EXEC_RENDER, self->target, 0xb, -1);
	ASSERT_GE(f, 0);
	EXPECT_EQ(1, fence_wait(f, PATIENCE_MS));
	TH_LOG("B ran %lld ms after submission, behind a hog", (long long)(now_ms() - start));
	EXPECT_EQ(1, fence_status(f));
	EXPECT_EQ(0xb, read_u32(self->b, self->target, 0));
	EXPECT_EQ(1, fence_wait(hog.fence, PATIENCE_MS));
	EXPECT_EQ(-EIO, fence_status(hog.fence));
	EXPECT_EQ(1, guilty_count(self->a, 0));
	EXPECT_EQ(0, guilty_count(self->b, 0));
	close(f);
	spin_free(self->a, &hog);
}

TEST_F(sched, an_unrecoverable_context_is_banned_by_its_hang)
{
	uint32_t ctx = context_create(self->a);
	struct spinner hog, again;
	int f;

	ASSERT_NE(0, ctx);
	ASSERT_EQ(0, context_set(self->a, ctx, I915_CONTEXT_PARAM_RECOVERABLE, 0));
	ASSERT_EQ(0, __spin_start(self->a, &hog, ctx, I915_EXEC_RENDER, 0));
	f = submit_store(self->b, 0, I915_EXEC_RENDER, self->target, 0xb, -1);
	ASSERT_GE(f, 0);
	EXPECT_EQ(1, fence_wait(hog.fence, PATIENCE_MS));
	EXPECT_EQ(-EIO, fence_status(hog.fence));
	EXPECT_EQ(1, fence_wait(f, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(f));
	/* Banned: its execbuffers fail; the file's other contexts still work. */
	EXPECT_EQ(-EIO, __spin_start(self->a, &again, ctx, I915_EXEC_RENDER, 1));
	spin_free(self->a, &again);
	EXPECT_EQ(1, guilty_count(self->a, ctx));
	close(f);
	f = submit_store(self->a, 0, I915_EXEC_RENDER, gem_create(self->a, 4096), 1, -1);
	ASSERT_GE(f, 0);
	EXPECT_EQ(1, fence_wait(f, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(f));
	close(f);
	spin_free(self->a, &hog);
}

TEST_F(sched, priorities_reorder_queued_requests)
{
	uint32_t low = context_create(self->b), high = context_create(self->b);
	/* Read through a mapping: pread would wait for the queued low-priority write. */
	uint32_t *target = gem_mmap(self->b, self->target, 4096);
	struct spinner spin;
	int fl, fh;

	ASSERT_NE(NULL, target);
	ASSERT_NE(0, low);
	ASSERT_NE(0, high);
	ASSERT_EQ(0, context_set(self->b, low, I915_CONTEXT_PARAM_PRIORITY, -1));
	ASSERT_EQ(0, context_set(self->b, high, I915_CONTEXT_PARAM_PRIORITY, 1));
	ASSERT_EQ(0, spin_start(self->a, &spin, 0, I915_EXEC_RENDER));
	/* Low first, then high: both write the same dword. */
	fl = submit_store(self->b, low, I915_EXEC_RENDER, self->target, 0x1, -1);
	fh = submit_store(self->b, high, I915_EXEC_RENDER, self->target, 0x2, -1);
	ASSERT_GE(fl, 0);
	ASSERT_GE(fh, 0);
	/* High preempts the spinner; low, below it, waits for the spinner to end. */
	EXPECT_EQ(1, fence_wait(fh, PATIENCE_MS));
	EXPECT_EQ(0, fence_wait(fl, 200));
	EXPECT_EQ(0x2, __atomic_load_n(&target[0], __ATOMIC_SEQ_CST));
	spin_end(&spin);
	EXPECT_EQ(1, fence_wait(fl, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(fl));
	EXPECT_EQ(0x1, read_u32(self->b, self->target, 0));
	close(fl);
	close(fh);
	munmap(target, 4096);
	spin_free(self->a, &spin);
}

/*
 * Priority inheritance: a request raises what it waits for to its own
 * priority, on the other engine (through implicit sync) and on its own
 * timeline, so that neither is held up behind a spinner of a priority between.
 */
TEST_F(sched, a_request_raises_the_priority_of_what_it_waits_for)
{
	uint32_t low = context_create(self->b), high = context_create(self->b);
	uint32_t other = gem_create(self->b, 4096);
	struct spinner spin;
	int fl, fh;

	ASSERT_NE(0, low);
	ASSERT_NE(0, high);
	ASSERT_NE(0, other);
	ASSERT_EQ(0, context_set(self->b, low, I915_CONTEXT_PARAM_PRIORITY, -1));
	ASSERT_EQ(0, context_set(self->b, high, I915_CONTEXT_PARAM_PRIORITY, 1));
	ASSERT_EQ(0, spin_start(self->a, &spin, 0, I915_EXEC_RENDER));

	/* Below the spinner, the low write waits for it to end... */
	fl = store_in(self->b, low, I915_EXEC_RENDER, self->target, 0, 0, 0x1, -1);
	ASSERT_GE(fl, 0);
	EXPECT_EQ(0, fence_wait(fl, 200));
	/* ...until a high write on the other engine must follow it. */
	fh = store_in(self->b, high, I915_EXEC_BLT, self->target, 0, 4, 0x2, -1);
	ASSERT_GE(fh, 0);
	EXPECT_EQ(1, fence_wait(fh, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(fl));
	EXPECT_EQ(0, fence_status(spin.fence));
	close(fl);
	close(fh);

	/* The same on one timeline: a request submitted at a higher priority. */
	fl = store_in(self->b, low, I915_EXEC_RENDER, self->target, 0, 8, 0x3, -1);
	ASSERT_GE(fl, 0);
	EXPECT_EQ(0, fence_wait(fl, 200));
	ASSERT_EQ(0, context_set(self->b, low, I915_CONTEXT_PARAM_PRIORITY, 1));
	fh = store_in(self->b, low, I915_EXEC_RENDER, other, EXEC_OBJECT_ASYNC, 0, 0x4, -1);
	ASSERT_GE(fh, 0);
	EXPECT_EQ(1, fence_wait(fh, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(fl));
	EXPECT_EQ(0, fence_status(spin.fence));

	spin_end(&spin);
	EXPECT_EQ(1, fence_wait(spin.fence, PATIENCE_MS));
	EXPECT_EQ(0x1, read_u32(self->b, self->target, 0));
	EXPECT_EQ(0x2, read_u32(self->b, self->target, 4));
	EXPECT_EQ(0x3, read_u32(self->b, self->target, 8));
	EXPECT_EQ(0x4, read_u32(self->b, other, 0));
	close(fl);
	close(fh);
	gem_close(self->b, other);
	spin_free(self->a, &spin);
}

TEST_F(sched, an_unsignalled_in_fence_blocks_only_its_context)
{
	uint32_t waiting = context_create(self->b);
	struct spinner blocker;
	int fw, fo;

	ASSERT_NE(0, waiting);
	/* A fence that does not signal until we say so: a spinner on the other engine. */
	ASSERT_EQ(0, spin_start(self->a, &blocker, 0, I915_EXEC_BLT));
	fw = submit_store(self->b, waiting, I915_EXEC_RENDER, self->target, 0x1, blocker.fence);
	ASSERT_GE(fw, 0);
	fo = submit_store(self->b, 0, I915_EXEC_RENDER, gem_create(self->b, 4096), 0x2, -1);
	ASSERT_GE(fo, 0);
	EXPECT_EQ(1, fence_wait(fo, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(fo));
	EXPECT_EQ(0, fence_status(fw));
	spin_end(&blocker);
	EXPECT_EQ(1, fence_wait(fw, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(fw));
	EXPECT_EQ(0x1, read_u32(self->b, self->target, 0));
	close(fw);
	close(fo);
	spin_free(self->a, &blocker);
}

TEST_F(sched, an_unmap_stops_a_userptr_request_waiting_for_its_in_fence)
{
	struct spinner blocker;
	uint32_t handle;
	void *mem = map_anon(4096);
	int64_t start;
	int f;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, userptr(self->b, mem, 4096, 0, &handle));
	/* A fence that does not signal until we say so: a spinner on the other engine. */
	ASSERT_EQ(0, spin_start(self->a, &blocker, 0, I915_EXEC_BLT));
	f = submit_store(self->b, 0, I915_EXEC_RENDER, handle, 0x1, blocker.fence);
	ASSERT_GE(f, 0);
	/* The unmap waits its grace period, then revokes the pages: the request stops. */
	start = now_ms();
	munmap(mem, 4096);
	TH_LOG("munmap returned after %lld ms", (long long)(now_ms() - start));
	EXPECT_EQ(1, fence_wait(f, PATIENCE_MS));
	EXPECT_EQ(-EFAULT, fence_status(f));
	EXPECT_EQ(0, fence_status(blocker.fence));
	spin_end(&blocker);
	EXPECT_EQ(1, fence_wait(blocker.fence, PATIENCE_MS));
	close(f);
	gem_close(self->b, handle);
	spin_free(self->a, &blocker);
}

TEST_F(sched, closing_a_file_cancels_only_its_requests)
{
	struct spinner mine, theirs;
	int fd = open_i915("renderD", 128);

	ASSERT_GE(fd, 0);
	/* Not persistent: its requests do not outlive it. */
	ASSERT_EQ(0, context_set(fd, 0, I915_CONTEXT_PARAM_PERSISTENCE, 0));
	ASSERT_EQ(0, spin_start(fd, &mine, 0, I915_EXEC_RENDER));
	ASSERT_EQ(0, spin_start(self->a, &theirs, 0, I915_EXEC_RENDER));
	munmap(mine.map, 4096);
	close(fd);
	EXPECT_EQ(1, fence_wait(mine.fence, PATIENCE_MS));
	EXPECT_EQ(-EIO, fence_status(mine.fence));
	EXPECT_EQ(0, fence_wait(theirs.fence, 200));
	spin_end(&theirs);
	EXPECT_EQ(1, fence_wait(theirs.fence, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(theirs.fence));
	close(mine.fence);
	spin_free(self->a, &theirs);
}

/*
 * Starts a spinner in fd's default context and closes fd for good: its mapping of the spinner
 * goes first (a GEM mapping holds its file). Returns a mapping of the batch through client
 * other, to end it with, or NULL.
 */
static uint32_t *spin_and_close(int fd, int other, struct spinner *spin)
{
	struct drm_prime_handle exp = { .flags = DRM_CLOEXEC | DRM_RDWR };
	struct drm_prime_handle imp = {};
	uint32_t *map;

	if (spin_start(fd, spin, 0, I915_EXEC_RENDER))
		return NULL;
	exp.handle = spin->handle;
	if (do_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp))
		return NULL;
	imp.fd = exp.fd;
	if (do_ioctl(other, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp))
		return NULL;
	close(exp.fd);
	map = gem_mmap(other, imp.handle, 4096);
	munmap(spin->map, 4096);
	spin->map = NULL;
	close(fd);
	return map;
}

TEST_F(sched, a_persistent_context_outlives_its_file)
{
	struct drm_i915_gem_context_param p = { .param = I915_CONTEXT_PARAM_PERSISTENCE };
	struct spinner spin;
	int fd = open_i915("renderD", 128);
	uint32_t *map;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, do_ioctl(fd, DRM_IOCTL_I915_GEM_CONTEXT_GETPARAM, &p));
	EXPECT_EQ(1, p.value);
	map = spin_and_close(fd, self->a, &spin);
	ASSERT_NE(NULL, map);
	EXPECT_EQ(0, fence_wait(spin.fence, 500));
	/* Ended through the other client's mapping of the batch. */
	__atomic_store_n(&map[1], MI_BATCH_BUFFER_END, __ATOMIC_SEQ_CST);
	EXPECT_EQ(1, fence_wait(spin.fence, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(spin.fence));
	munmap(map, 4096);
	close(spin.fence);
}

TEST_F(sched, a_closed_persistent_context_needs_a_heartbeat)
{
	struct spinner spin;
	int fd = open_i915("renderD", 128);
	uint32_t *map;

	ASSERT_GE(fd, 0);
	map = spin_and_close(fd, self->a, &spin);
	ASSERT_NE(NULL, map);
	EXPECT_EQ(0, fence_wait(spin.fence, 200));
	/* Nothing would reset it if it hung: as on i915, it is stopped. */
	ASSERT_EQ(0, set_engine_prop("rcs0", "heartbeat_interval_ms", "0"));
	EXPECT_EQ(1, fence_wait(spin.fence, PATIENCE_MS));
	EXPECT_EQ(-EIO, fence_status(spin.fence));
	ASSERT_EQ(0, set_engine_prop("rcs0", "heartbeat_interval_ms", "2500"));
	munmap(map, 4096);
	close(spin.fence);
}

TEST_F(sched, a_manual_reset_stops_the_running_batch_only)
{
	uint32_t ctx = context_create(self->a);
	struct spinner running, again;
	char path[128], text[16];
	int card = open_i915("card", 0), f;

	ASSERT_GE(card, 0);
	ASSERT_NE(0, ctx);
	debugfs_path(card, "i915_wedged", path, sizeof(path));
	close(card);
	ASSERT_EQ(0, read_file(path, text, sizeof(text)));
	EXPECT_EQ(0, atoi(text));
	ASSERT_EQ(0, context_set(self->a, ctx, I915_CONTEXT_PARAM_RECOVERABLE, 0));
	ASSERT_EQ(0, spin_start(self->a, &running, ctx, I915_EXEC_RENDER));
	/* Queued behind it on the same engine, in another client: innocent. */
	f = submit_store(self->b, 0, I915_EXEC_RENDER, self->target, 0xb, running.fence);
	ASSERT_GE(f, 0);
	EXPECT_EQ(0, fence_wait(running.fence, 50));
	/* i915's "reset every engine", as IGT writes it. */
	ASSERT_EQ(0, write_file(path, "18446744073709551615"));
	EXPECT_EQ(1, fence_wait(running.fence, PATIENCE_MS));
	EXPECT_EQ(-EIO, fence_status(running.fence));
	EXPECT_EQ(1, guilty_count(self->a, ctx));
	/* Not recoverable, so banned; the waiting request got the error through its in-fence. */
	EXPECT_EQ(-EIO, __spin_start(self->a, &again, ctx, I915_EXEC_RENDER, 1));
	spin_free(self->a, &again);
	EXPECT_EQ(1, fence_wait(f, PATIENCE_MS));
	EXPECT_EQ(-EIO, fence_status(f));
	EXPECT_EQ(0, guilty_count(self->b, 0));
	EXPECT_EQ(-EINVAL, write_file(path, "all"));
	/* Nothing runs: a reset has nothing to do. */
	EXPECT_EQ(0, write_file(path, "1"));
	close(f);
	spin_free(self->a, &running);
}

TEST_F(sched, engine_properties_are_in_sysfs_and_take_effect)
{
	static const char *const props[] = {
		"timeslice_duration_ms", "preempt_timeout_ms", "heartbeat_interval_ms",
		"max_busywait_duration_ns",
	};
	static const long defaults[] = { 1, 640, 2500, 8000 };
	struct spinner hog;
	unsigned int i;
	char name[64];
	int f;

	EXPECT_EQ(I915_ENGINE_CLASS_RENDER, engine_prop("rcs0", "class"));
	EXPECT_EQ(I915_ENGINE_CLASS_COPY, engine_prop("bcs0", "class"));
	EXPECT_EQ(0, engine_prop("bcs0", "instance"));
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), ".defaults/%s", props[i]);
		EXPECT_EQ(defaults[i], engine_prop("rcs0", props[i]));
		EXPECT_EQ(defaults[i], engine_prop("bcs0", name));
		EXPECT_EQ(-EACCES, set_engine_prop("bcs0", name, "7"));
	}
	EXPECT_EQ(-EINVAL, set_engine_prop("rcs0", "preempt_timeout_ms", "soon"));
	EXPECT_EQ(640, engine_prop("rcs0", "preempt_timeout_ms"));
	/* A busy-wait is at most two jiffies (i915's bound; at least 2 ms at any HZ). */
	EXPECT_EQ(0, set_engine_prop("rcs0", "max_busywait_duration_ns", "0"));
	EXPECT_EQ(0, engine_prop("rcs0", "max_busywait_duration_ns"));
	EXPECT_EQ(-EINVAL, set_engine_prop("rcs0", "max_busywait_duration_ns", "20000000"));
	EXPECT_EQ(0, set_engine_prop("rcs0", "max_busywait_duration_ns", "8000"));

	/* No preempt timeout, no heartbeat: a hog holds the engine. */
	ASSERT_EQ(0, set_engine_prop("rcs0", "preempt_timeout_ms", "0"));
	ASSERT_EQ(0, set_engine_prop("rcs0", "heartbeat_interval_ms", "0"));
	ASSERT_EQ(0, __spin_start(self->a, &hog, 0, I915_EXEC_RENDER, 0));
	f = submit_store(self->b, 0, I915_EXEC_RENDER, self->target, 0xb, -1);
	ASSERT_GE(f, 0);
	EXPECT_EQ(0, fence_wait(f, 2000));
	EXPECT_EQ(0, fence_status(hog.fence));
	/* Back to the defaults: it is reset, and B runs. */
	ASSERT_EQ(0, set_engine_prop("rcs0", "preempt_timeout_ms", "640"));
	ASSERT_EQ(0, set_engine_prop("rcs0", "heartbeat_interval_ms", "2500"));
	EXPECT_EQ(1, fence_wait(f, PATIENCE_MS));
	EXPECT_EQ(1, fence_status(f));
	EXPECT_EQ(-EIO, fence_status(hog.fence));
	close(f);
	spin_free(self->a, &hog);
}

/* One client's fdinfo key, or -1. */
static long long fdinfo_key(int fd, const char *key)
{
	char path[64], text[4096], *at;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (read_file(path, text, sizeof(text)))
		return -1;
	at = strstr(text, key);
	if (!at || at[strlen(key)] != ':')
		return -1;
	return strtoll(at + strlen(key) + 1, NULL, 10);
}

static int fdinfo_has(int fd, const char *line)
{
	char path[64], text[4096];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return !read_file(path, text, sizeof(text)) && strstr(text, line) != NULL;
}

/*
 * fdinfo, as i915 has it: the driver, the client, and each engine class's
 * busy time in ns, counting a running batch's time so far, per client.
 */
TEST_F(sched, fdinfo_counts_each_clients_time_on_each_engine)
{
	long long render0, render1, copy0, other0;
	struct spinner spin;
	int64_t outer0, t0, t1, outer1;
	int f;

	EXPECT_TRUE(fdinfo_has(self->a, "drm-driver:\ti915\n"));
	EXPECT_GE(fdinfo_key(self->a, "drm-client-id"), 0);
	EXPECT_NE(fdinfo_key(self->a, "drm-client-id"), fdinfo_key(self->b, "drm-client-id"));
	EXPECT_TRUE(fdinfo_has(self->a, "drm-engine-render:\t"));
	EXPECT_TRUE(fdinfo_has(self->a, "drm-engine-copy:\t"));
	EXPECT_TRUE(fdinfo_has(self->a, " ns\n"));

	ASSERT_EQ(0, spin_start(self->a, &spin, 0, I915_EXEC_RENDER));
	/* Counted while it runs, for its client and engine only. */
	usleep(100000);
	/* Outer times bracket the two reads, inner ones lie between them. */
	outer0 = now_ms();
	render0 = fdinfo_key(self->a, "drm-engine-render");
	t0 = now_ms();
	copy0 = fdinfo_key(self->a, "drm-engine-copy");
	other0 = fdinfo_key(self->b, "drm-engine-render");
	usleep(300000);
	t1 = now_ms();
	render1 = fdinfo_key(self->a, "drm-engine-render");
	outer1 = now_ms();
	EXPECT_GT(render0, 0);
	/* Most of the interval: the spinner has the engine to itself; never more than it. */
	EXPECT_GE(render1 - render0, (t1 - t0) * 1000000 / 2);
	EXPECT_LE(render1 - render0, (outer1 - outer0 + 1) * 1000000);
	EXPECT_EQ(copy0, fdinfo_key(self->a, "drm-engine-copy"));
	EXPECT_EQ(other0, fdinfo_key(self->b, "drm-engine-render"));
	/* B's store on the copy engine counts for B. */
	f = submit_store(self->b, 0, I915_EXEC_BLT, self->target, 0xb, -1);
	ASSERT_GE(f, 0);
	EXPECT_EQ(1, fence_wait(f, PATIENCE_MS));
	close(f);
	EXPECT_GT(fdinfo_key(self->b, "drm-engine-copy"), 0);
	/* Nothing more once it ended. */
	spin_end(&spin);
	ASSERT_EQ(1, fence_wait(spin.fence, PATIENCE_MS));
	render0 = fdinfo_key(self->a, "drm-engine-render");
	usleep(50000);
	EXPECT_EQ(render0, fdinfo_key(self->a, "drm-engine-render"));
	spin_free(self->a, &spin);
}

TEST_HARNESS_MAIN

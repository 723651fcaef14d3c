// SPDX-License-Identifier: GPL-2.0
/*
 * Purgeable objects: I915_GEM_MADVISE with i915's answers, purging by the
 * shrinker (through /proc/sys/vm/drop_caches) and by i915_gem_drop_caches,
 * what a purged object answers (EFAULT, SIGBUS), busy objects left alone,
 * userptrs losing idle pins, the i915_gem_objects statistics, a race of
 * madvise + submit against forced purges, and purges forced by a memory
 * cgroup's limit.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vi915_util.h"

#define OBJ_SIZE	(1024 * 1024)
#define OBJ_ADDR	0x1000000ull
#define BATCH_ADDR	0x2000000ull
/* i915_gem_drop_caches: DROP_FREED | DROP_SHRINK_ALL | DROP_IDLE, as IGT writes. */
#define DROP_SHRINK	"0x70"
/* DROP_BOUND | DROP_UNBOUND: shrink without waiting for anything. */
#define DROP_NOWAIT	"0x3"

struct tally {
	unsigned long long objects, bytes;
};

struct counts {
	struct tally allocated, purgeable, created, purged;
};

FIXTURE(purge) {
	int fd;
	char drop[128], stats[128];
};

FIXTURE_SETUP(purge)
{
	int card = open_i915("card", 0);

	self->fd = open_i915("renderD", 128);
	ASSERT_GE(self->fd, 0) TH_LOG("no render node named i915");
	ASSERT_GE(card, 0);
	debugfs_path(card, "i915_gem_drop_caches", self->drop, sizeof(self->drop));
	debugfs_path(card, "i915_gem_objects", self->stats, sizeof(self->stats));
	close(card);
	/* Nothing left running or reclaimable by an earlier test. */
	ASSERT_EQ(0, write_file(self->drop, "0x1c8"));
}

FIXTURE_TEARDOWN(purge)
{
	close(self->fd);
}

static int read_counts(const char *path, struct counts *c)
{
	unsigned long long objects, bytes;
	char buf[512], *line;
	struct tally t;
	char name[32];
	int found = 0;

	if (read_file(path, buf, sizeof(buf)))
		return -1;
	/* i915's first line, as IGT reads it ("%i objects"). */
	line = strtok(buf, "\n");
	if (!line || sscanf(line, "%llu objects, %llu bytes", &objects, &bytes) != 2)
		return -1;
	for (line = strtok(NULL, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "%31s %llu %llu", name, &t.objects, &t.bytes) != 3)
			return -1;
		if (!strcmp(name, "allocated"))
			c->allocated = t;
		else if (!strcmp(name, "purgeable"))
			c->purgeable = t;
		else if (!strcmp(name, "created"))
			c->created = t;
		else if (!strcmp(name, "purged"))
			c->purged = t;
		else
			return -1;
		found++;
	}
	if (objects != c->allocated.objects || bytes != c->allocated.bytes)
		return -1;
	return found == 4 ? 0 : -1;
}

/* Stores value at offset of handle with the engine and waits; 0 or -errno. */
static int store(int fd, uint32_t handle, uint32_t offset, uint32_t value)
{
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t batch = store_batch(fd, OBJ_ADDR + offset, value);
	int ret;

	obj_at(&objs[0], handle, OBJ_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], batch, BATCH_ADDR, 0);
	eb = eb_for(objs, 2, I915_EXEC_RENDER, 0);
	ret = execbuf(fd, &eb);
	if (!ret)
		ret = gem_wait(fd, handle, -1);
	gem_close(fd, batch);
	return ret;
}

static uint32_t advise(int fd, uint32_t handle, uint32_t madv)
{
	uint32_t retained = 0xdead;

	if (gem_madvise(fd, handle, madv, &retained))
		return 0xbad;
	return retained;
}

static sigjmp_buf jmp;

static void on_signal(int sig)
{
	siglongjmp(jmp, sig);
}

/* Writes to p; returns the signal that stopped it, or 0. */
static int poke(volatile uint32_t *p)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_bus, old_segv;
	int sig;

	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	sig = sigsetjmp(jmp, 1);
	if (!sig)
		*p = 1;
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return sig;
}

TEST_F(purge, errnos_in_i915_order)
{
	uint32_t h = gem_create(self->fd, 4096);
	struct drm_i915_gem_madvise m = { .handle = h, .madv = 2 };

	/* The advice is checked before the handle. */
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MADVISE, &m));
	m.handle = 0xbadbad;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MADVISE, &m));
	m.madv = I915_MADV_WILLNEED;
	EXPECT_EQ(-ENOENT, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MADVISE, &m));
	m.handle = h;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MADVISE, &m));
	EXPECT_EQ(1, m.retained);
	gem_close(self->fd, h);
}

TEST_F(purge, dontneed_then_drop_caches_purges)
{
	struct drm_i915_gem_set_domain sd = { .read_domains = I915_GEM_DOMAIN_CPU };
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	struct counts before, after;
	uint32_t h, batch, v = 0x1234;

	ASSERT_EQ(0, read_counts(self->stats, &before));
	h = gem_create(self->fd, OBJ_SIZE);
	sd.handle = h;
	ASSERT_EQ(0, read_counts(self->stats, &after));
	EXPECT_EQ(before.allocated.objects + 1, after.allocated.objects);
	EXPECT_EQ(before.allocated.bytes + OBJ_SIZE, after.allocated.bytes);
	EXPECT_EQ(before.created.objects + 1, after.created.objects);
	/* The engine used it: its pages are attached, DONTNEED keeps them for now. */
	ASSERT_EQ(0, store(self->fd, h, 64, 0xc0ffee));
	ASSERT_EQ(1, advise(self->fd, h, I915_MADV_DONTNEED));
	ASSERT_EQ(0, read_counts(self->stats, &after));
	EXPECT_EQ(before.purgeable.objects + 1, after.purgeable.objects);
	EXPECT_EQ(before.purgeable.bytes + OBJ_SIZE, after.purgeable.bytes);
	/* Still usable while not purged. */
	EXPECT_EQ(0xc0ffee, read_u32(self->fd, h, 64));

	ASSERT_EQ(0, write_file(self->drop, DROP_SHRINK));
	ASSERT_EQ(0, read_counts(self->stats, &after));
	EXPECT_EQ(before.purgeable.objects, after.purgeable.objects);
	EXPECT_EQ(before.purged.objects + 1, after.purged.objects);
	EXPECT_EQ(before.purged.bytes + OBJ_SIZE, after.purged.bytes);

	/* Purged for good: WILLNEED does not bring it back. */
	EXPECT_EQ(0, advise(self->fd, h, I915_MADV_WILLNEED));
	EXPECT_EQ(0, advise(self->fd, h, I915_MADV_WILLNEED));
	EXPECT_EQ(0, advise(self->fd, h, I915_MADV_DONTNEED));
	EXPECT_EQ(-EFAULT, gem_write(self->fd, h, 0, &v, sizeof(v)));
	EXPECT_EQ(-EFAULT, gem_read(self->fd, h, 0, &v, sizeof(v)));
	EXPECT_EQ(-EFAULT, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_DOMAIN, &sd));
	batch = store_batch(self->fd, BATCH_ADDR + 4000, 1);
	obj_at(&objs[0], h, OBJ_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], batch, BATCH_ADDR, 0);
	eb = eb_for(objs, 2, I915_EXEC_RENDER, 0);
	EXPECT_EQ(-EFAULT, execbuf(self->fd, &eb));
	/* Nothing ran for the refused batch, nor was published: the batch is idle, unwritten. */
	EXPECT_EQ(0, gem_busy(self->fd, batch));
	EXPECT_EQ(0, read_u32(self->fd, batch, 4000));

	gem_close(self->fd, batch);
	gem_close(self->fd, h);
	ASSERT_EQ(0, read_counts(self->stats, &after));
	EXPECT_EQ(before.allocated.objects, after.allocated.objects);
	EXPECT_EQ(before.allocated.bytes, after.allocated.bytes);
	/* The object and two batches. */
	EXPECT_EQ(before.created.objects + 3, after.created.objects);
}

TEST_F(purge, shrinker_purges_under_vm_drop_caches)
{
	uint32_t h[4], i, retained;
	struct counts before, after;

	ASSERT_EQ(0, read_counts(self->stats, &before));
	for (i = 0; i < 4; i++) {
		h[i] = gem_create(self->fd, OBJ_SIZE);
		ASSERT_EQ(0, store(self->fd, h[i], 0, i + 1));
		/* The odd ones stay needed. */
		ASSERT_EQ(1, advise(self->fd, h[i],
				    i & 1 ? I915_MADV_WILLNEED : I915_MADV_DONTNEED));
	}
	/* Reclaim through the kernel's shrinker path: drop_slab() runs every shrinker. */
	ASSERT_EQ(0, write_file("/proc/sys/vm/drop_caches", "2"));
	for (i = 0; i < 4; i++) {
		retained = advise(self->fd, h[i], I915_MADV_WILLNEED);
		EXPECT_EQ(i & 1, retained);
		if (retained)
			EXPECT_EQ(i + 1, read_u32(self->fd, h[i], 0));
		gem_close(self->fd, h[i]);
	}
	ASSERT_EQ(0, read_counts(self->stats, &after));
	EXPECT_EQ(before.purged.objects + 2, after.purged.objects);
	EXPECT_EQ(before.purgeable.objects, after.purgeable.objects);
}

TEST_F(purge, willneed_in_time_keeps_the_contents)
{
	uint32_t h = gem_create(self->fd, OBJ_SIZE);

	ASSERT_EQ(0, store(self->fd, h, 4096, 0xfeed));
	ASSERT_EQ(1, advise(self->fd, h, I915_MADV_DONTNEED));
	ASSERT_EQ(1, advise(self->fd, h, I915_MADV_WILLNEED));
	ASSERT_EQ(0, write_file(self->drop, DROP_SHRINK));
	EXPECT_EQ(1, advise(self->fd, h, I915_MADV_WILLNEED));
	EXPECT_EQ(0xfeed, read_u32(self->fd, h, 4096));
	gem_close(self->fd, h);
}

TEST_F(purge, an_exported_object_is_never_purged)
{
	uint32_t h = gem_create(self->fd, OBJ_SIZE), bare = gem_create(self->fd, OBJ_SIZE), v = 7;
	struct drm_prime_handle exp = { .handle = h, .flags = DRM_CLOEXEC | DRM_RDWR };
	struct drm_prime_handle exp_bare = { .handle = bare, .flags = DRM_CLOEXEC | DRM_RDWR };

	/* Another device may map an exported object at any time: its contents stay. */
	ASSERT_EQ(0, store(self->fd, h, 4096, 0xfeed));
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp));
	EXPECT_EQ(1, advise(self->fd, h, I915_MADV_DONTNEED));
	ASSERT_EQ(0, write_file(self->drop, DROP_SHRINK));
	EXPECT_EQ(1, advise(self->fd, h, I915_MADV_WILLNEED));
	EXPECT_EQ(0xfeed, read_u32(self->fd, h, 4096));
	/* Even one without attached pages, which DONTNEED would discard at once. */
	ASSERT_EQ(0, gem_write(self->fd, bare, 0, &v, sizeof(v)));
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &exp_bare));
	EXPECT_EQ(1, advise(self->fd, bare, I915_MADV_DONTNEED));
	EXPECT_EQ(1, advise(self->fd, bare, I915_MADV_WILLNEED));
	EXPECT_EQ(7, read_u32(self->fd, bare, 0));
	close(exp.fd);
	close(exp_bare.fd);
	gem_close(self->fd, h);
	gem_close(self->fd, bare);
}

TEST_F(purge, dontneed_without_pages_purges_at_once)
{
	uint32_t h = gem_create(self->fd, OBJ_SIZE), v = 7;

	/* As on i915: pwrite does not attach pages, so DONTNEED discards them. */
	ASSERT_EQ(0, gem_write(self->fd, h, 0, &v, sizeof(v)));
	EXPECT_EQ(0, advise(self->fd, h, I915_MADV_DONTNEED));
	EXPECT_EQ(-EFAULT, gem_write(self->fd, h, 0, &v, sizeof(v)));
	gem_close(self->fd, h);
}

TEST_F(purge, cpu_mappings_sigbus_once_purged)
{
	uint32_t h = gem_create(self->fd, OBJ_SIZE);
	volatile uint32_t *map = gem_mmap(self->fd, h, OBJ_SIZE), *again;

	ASSERT_NE(NULL, map);
	map[0] = 5;
	ASSERT_EQ(0, store(self->fd, h, 8, 6));
	EXPECT_EQ(6, map[2]);
	ASSERT_EQ(1, advise(self->fd, h, I915_MADV_DONTNEED));
	/* A mapped object is still purged: the mapping is zapped. */
	ASSERT_EQ(0, write_file(self->drop, DROP_SHRINK));
	EXPECT_EQ(0, advise(self->fd, h, I915_MADV_WILLNEED));
	EXPECT_EQ(SIGBUS, poke(map));
	/* A new mapping of the purged object faults too. */
	again = gem_mmap(self->fd, h, OBJ_SIZE);
	if (again) {
		EXPECT_EQ(SIGBUS, poke(again));
		munmap((void *)again, OBJ_SIZE);
	}
	munmap((void *)map, OBJ_SIZE);
	gem_close(self->fd, h);
}

TEST_F(purge, busy_objects_are_not_purged)
{
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t h = gem_create(self->fd, OBJ_SIZE);
	struct spinner s;

	ASSERT_EQ(0, store(self->fd, h, 0, 0xabcd));
	/* The spinner's batch again, queued behind it with the object: busy until it ends. */
	ASSERT_EQ(0, spin_start(self->fd, &s, 0, I915_EXEC_RENDER));
	obj_at(&objs[0], h, OBJ_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], s.handle, SPIN_ADDR, 0);
	eb = eb_for(objs, 2, I915_EXEC_RENDER, 0);
	ASSERT_EQ(0, execbuf(self->fd, &eb));
	ASSERT_NE(0, gem_busy(self->fd, h));
	ASSERT_EQ(1, advise(self->fd, h, I915_MADV_DONTNEED));
	ASSERT_EQ(0, write_file(self->drop, DROP_NOWAIT));
	EXPECT_EQ(1, advise(self->fd, h, I915_MADV_DONTNEED));
	spin_end(&s);
	/* Once idle (and the requests released their pins), the next shrink takes it. */
	ASSERT_EQ(0, write_file(self->drop, DROP_SHRINK));
	EXPECT_EQ(0, advise(self->fd, h, I915_MADV_WILLNEED));
	spin_free(self->fd, &s);
	gem_close(self->fd, h);
}

TEST_F(purge, userptr_is_never_purged_but_loses_idle_pins)
{
	void *mem = map_anon(OBJ_SIZE);
	uint32_t u;

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, userptr(self->fd, mem, OBJ_SIZE, 0, &u));
	ASSERT_EQ(0, store(self->fd, u, 16, 0x5a5a));
	EXPECT_EQ(0x5a5a, ((uint32_t *)mem)[4]);
	/* DONTNEED keeps the pinned pages usable... */
	ASSERT_EQ(1, advise(self->fd, u, I915_MADV_DONTNEED));
	ASSERT_EQ(0, store(self->fd, u, 20, 0x6b6b));
	/* ...until the shrinker drops the pins: then, as on i915, no new pages. */
	ASSERT_EQ(0, write_file(self->drop, DROP_SHRINK));
	EXPECT_EQ(-EFAULT, store(self->fd, u, 24, 0x7c7c));
	/* The memory is the process's own: never purged. */
	EXPECT_EQ(1, advise(self->fd, u, I915_MADV_WILLNEED));
	ASSERT_EQ(0, store(self->fd, u, 24, 0x7c7c));
	EXPECT_EQ(0x6b6b, ((uint32_t *)mem)[5]);
	EXPECT_EQ(0x7c7c, ((uint32_t *)mem)[6]);
	/* A WILLNEED userptr's idle pins go too, and come back at the next use. */
	ASSERT_EQ(0, write_file(self->drop, DROP_SHRINK));
	ASSERT_EQ(0, store(self->fd, u, 28, 0x8d8d));
	EXPECT_EQ(0x8d8d, ((uint32_t *)mem)[7]);
	gem_close(self->fd, u);
	munmap(mem, OBJ_SIZE);
}

/*
 * The race of seed 001: madvise + submit on two threads (one object each),
 * forced purges on a third. The default count is make check's short setting
 * (about 1.5 min in the debug guest); VI915_PURGE_ITERATIONS sets another
 * (make stress runs 100,000).
 */
#define STRESS_ITERATIONS	15000
#define STRESS_THREADS		2
#define STRESS_BATCHES		16

struct stress {
	int fd;
	const char *drop;
	int stop;
	unsigned long iterations, purged, wrong, errors, purges;
};

static void *purger(void *arg)
{
	struct stress *st = arg;

	while (!__atomic_load_n(&st->stop, __ATOMIC_RELAXED)) {
		write_file(st->drop, DROP_NOWAIT);
		__atomic_fetch_add(&st->purges, 1, __ATOMIC_RELAXED);
		usleep(100);
	}
	return NULL;
}

/*
 * One submitter: WILLNEED (checking that retained contents are exactly what
 * was last written, and that a purged object refuses pwrite), submit a store
 * of a new value, then DONTNEED, sometimes while the request still runs.
 */
static void *submitter(void *arg)
{
	struct stress *st = arg;
	uint32_t h = gem_create(st->fd, 4096), batch[STRESS_BATCHES], expect = 0;
	unsigned long purged = 0, wrong = 0, errors = 0, i;
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;

	/* Batches storing 1..STRESS_BATCHES: consecutive iterations store different values. */
	for (i = 0; i < STRESS_BATCHES; i++)
		batch[i] = store_batch(st->fd, OBJ_ADDR, i + 1);
	for (i = 1; i <= st->iterations; i++) {
		uint32_t retained = advise(st->fd, h, I915_MADV_WILLNEED), b = i % STRESS_BATCHES;

		if (retained == 1) {
			if (read_u32(st->fd, h, 0) != expect)
				wrong++;
		} else if (retained == 0) {
			if (gem_write(st->fd, h, 0, &expect, sizeof(expect)) != -EFAULT)
				wrong++;
			gem_close(st->fd, h);
			h = gem_create(st->fd, 4096);
			expect = 0;
			purged++;
		} else {
			errors++;
		}
		obj_at(&objs[0], h, OBJ_ADDR, EXEC_OBJECT_WRITE);
		obj_at(&objs[1], batch[b], BATCH_ADDR, 0);
		eb = eb_for(objs, 2, i & 1 ? I915_EXEC_RENDER : I915_EXEC_BLT, 0);
		if (execbuf(st->fd, &eb))
			errors++;
		else
			expect = b + 1;
		if (i & 2)
			gem_wait(st->fd, h, -1);
		if (advise(st->fd, h, I915_MADV_DONTNEED) > 1)
			errors++;
	}
	gem_close(st->fd, h);
	for (i = 0; i < STRESS_BATCHES; i++)
		gem_close(st->fd, batch[i]);
	__atomic_fetch_add(&st->purged, purged, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->wrong, wrong, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->errors, errors, __ATOMIC_RELAXED);
	return NULL;
}

TEST_F_TIMEOUT(purge, madvise_and_submit_race_forced_purges, 1500)
{
	const char *env = getenv("VI915_PURGE_ITERATIONS");
	unsigned long n = env ? strtoul(env, NULL, 0) : STRESS_ITERATIONS;
	struct stress st = { .fd = self->fd, .drop = self->drop, .iterations = n / STRESS_THREADS };
	pthread_t purge_thread, threads[STRESS_THREADS];
	struct timespec t0, t1;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, pthread_create(&purge_thread, NULL, purger, &st));
	for (i = 0; i < STRESS_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, submitter, &st));
	for (i = 0; i < STRESS_THREADS; i++)
		pthread_join(threads[i], NULL);
	__atomic_store_n(&st.stop, 1, __ATOMIC_RELAXED);
	pthread_join(purge_thread, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	TH_LOG("%lu iterations in %.1f s, %lu purged and replaced, %lu forced shrinks",
	       st.iterations * STRESS_THREADS,
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9, st.purged, st.purges);
	EXPECT_EQ(0, st.wrong);
	EXPECT_EQ(0, st.errors);
	/* Both sides ran: purges happened while submitting. */
	EXPECT_LT(0, st.purged);
}

/*
 * Memory pressure: a client in a memory cgroup whose limit (PRESSURE_LIMIT) is
 * a fraction of what it allocates marks most of its objects DONTNEED and keeps
 * a few WILLNEED ones and a userptr in use. With no swap, only vi915's
 * shrinker can make room under the limit, and only if reclaim in the cgroup
 * calls it: otherwise the cgroup's OOM killer ends the client. The default
 * round count is make check's; VI915_PRESSURE_ROUNDS sets another (make
 * stress).
 */
#define PRESSURE_LIMIT		(24u << 20)
#define PRESSURE_ROUNDS		96
#define PRESSURE_KEPT		4
#define CGROUP			"/sys/fs/cgroup"

struct pressure {
	unsigned long rounds, dontneed, purged, retained, wrong, errors;
};

static uint32_t pressure_word(unsigned long round, unsigned long i)
{
	return (uint32_t)(round * 0x9e3779b1u) ^ (uint32_t)i;
}

/* Fills buf with round's pattern and writes it to a new object; 0 or the handle. */
static uint32_t pressure_object(int fd, uint32_t *buf, unsigned long round)
{
	uint32_t h = gem_create(fd, OBJ_SIZE);
	unsigned long i;

	for (i = 0; i < OBJ_SIZE / 4; i++)
		buf[i] = pressure_word(round, i);
	if (gem_write(fd, h, 0, buf, OBJ_SIZE) || store(fd, h, 0, buf[0])) {
		gem_close(fd, h);
		return 0;
	}
	return h;
}

/* Wrong words of h against round's pattern (read into buf), or -1 on error. */
static long pressure_check(int fd, uint32_t h, uint32_t *buf, unsigned long round)
{
	unsigned long i;
	long wrong = 0;

	if (gem_read(fd, h, 0, buf, OBJ_SIZE))
		return -1;
	for (i = 0; i < OBJ_SIZE / 4; i++)
		wrong += buf[i] != pressure_word(round, i);
	return wrong;
}

/* Counts a pressure_check() result: its wrong words, or a failed call. */
static void pressure_count(struct pressure *p, long wrong)
{
	if (wrong < 0)
		p->errors++;
	else
		p->wrong += wrong;
}

static void pressure_client(struct pressure *p, unsigned long rounds)
{
	uint32_t *buf = malloc(OBJ_SIZE), *gone = calloc(rounds, sizeof(*gone));
	uint32_t kept[PRESSURE_KEPT], u, *mem = map_anon(OBJ_SIZE);
	int fd = open_i915("renderD", 128);
	unsigned long r, k;

	if (fd < 0 || !buf || !gone || !mem || userptr(fd, mem, OBJ_SIZE, 0, &u)) {
		p->errors++;
		return;
	}
	for (k = 0; k < PRESSURE_KEPT; k++)
		if (!(kept[k] = pressure_object(fd, buf, k)))
			p->errors++;
	for (r = PRESSURE_KEPT; r < rounds; r++) {
		gone[r] = pressure_object(fd, buf, r);
		if (!gone[r] || advise(fd, gone[r], I915_MADV_DONTNEED) != 1) {
			p->errors++;
			continue;
		}
		p->dontneed++;
		/* The userptr in use between rounds, its idle pins dropped at will. */
		if (store(fd, u, (r % 1024) * 4, (uint32_t)r))
			p->errors++;
		else if (mem[r % 1024] != (uint32_t)r)
			p->wrong++;
		if (r % 16 == 0)
			for (k = 0; k < PRESSURE_KEPT; k++)
				pressure_count(p, pressure_check(fd, kept[k], buf, k));
		p->rounds++;
	}
	/* What survived DONTNEED holds what it held; the rest reports retained=0. */
	for (r = PRESSURE_KEPT; r < rounds; r++) {
		if (!gone[r])
			continue;
		switch (advise(fd, gone[r], I915_MADV_WILLNEED)) {
		case 0:
			p->purged++;
			if (gem_read(fd, gone[r], 0, buf, 4) != -EFAULT)
				p->errors++;
			break;
		case 1:
			p->retained++;
			/* Released again at once: the check itself needs room. */
			pressure_count(p, pressure_check(fd, gone[r], buf, r));
			break;
		default:
			p->errors++;
		}
		gem_close(fd, gone[r]);
	}
	for (k = 0; k < PRESSURE_KEPT; k++)
		pressure_count(p, pressure_check(fd, kept[k], buf, k));
	close(fd);
}

/* The value of key in a cgroup's flat-keyed file, or -1. */
static long long cgroup_key(const char *file, const char *key)
{
	char buf[1024], *line;
	long long v;
	size_t n = strlen(key);

	if (read_file(file, buf, sizeof(buf)))
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, key, n) && line[n] == ' ' && sscanf(line + n, "%lld", &v) == 1)
			return v;
	return -1;
}

TEST_F_TIMEOUT(purge, a_memory_cgroup_limit_purges_dontneed_objects, 1500)
{
	const char *env = getenv("VI915_PRESSURE_ROUNDS");
	unsigned long rounds = env ? strtoul(env, NULL, 0) : PRESSURE_ROUNDS;
	char dir[64], path[128], text[32], controllers[256];
	struct pressure *p;
	long long hits, ooms;
	int status;
	pid_t pid;

	if (access(CGROUP, F_OK))
		SKIP(return, "the kernel has no cgroups");
	if (access(CGROUP "/cgroup.controllers", F_OK))
		ASSERT_EQ(0, mount("cgroup2", CGROUP, "cgroup2", 0, NULL));
	ASSERT_EQ(0, read_file(CGROUP "/cgroup.controllers", controllers, sizeof(controllers)));
	if (!strstr(controllers, "memory"))
		SKIP(return, "the kernel has no memory cgroups");
	ASSERT_LT(PRESSURE_KEPT + 1, rounds);
	ASSERT_EQ(0, write_file(CGROUP "/cgroup.subtree_control", "+memory"));
	snprintf(dir, sizeof(dir), CGROUP "/vi915-pressure-%d", getpid());
	ASSERT_EQ(0, mkdir(dir, 0755));
	snprintf(path, sizeof(path), "%s/memory.max", dir);
	snprintf(text, sizeof(text), "%u", PRESSURE_LIMIT);
	ASSERT_EQ(0, write_file(path, text));
	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0, sizeof(*p));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
		if (write_file(path, "0"))
			_exit(2);
		pressure_client(p, rounds);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	snprintf(path, sizeof(path), "%s/memory.events", dir);
	hits = cgroup_key(path, "max");
	ooms = cgroup_key(path, "oom_kill");
	rmdir(dir);
	ksft_print_msg("pressure rounds: %lu (%u KiB each, limit %u KiB)\n", p->rounds,
		       OBJ_SIZE >> 10, PRESSURE_LIMIT >> 10);
	ksft_print_msg("pressure times at the limit: %lld\n", hits);
	ksft_print_msg("pressure DONTNEED objects: %lu\n", p->dontneed);
	ksft_print_msg("pressure purged: %lu\n", p->purged);
	ksft_print_msg("pressure retained: %lu\n", p->retained);
	ksft_print_msg("pressure wrong words: %lu\n", p->wrong);
	ksft_print_msg("pressure OOM kills: %lld\n", ooms);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("the client died of signal %d (the cgroup's OOM?)",
					      WTERMSIG(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, p->errors);
	EXPECT_EQ(0, p->wrong);
	EXPECT_EQ(0, ooms);
	/* The limit was reached, and the shrinker made room: more was allocated than fits. */
	EXPECT_LT(0, hits);
	EXPECT_LT(0, p->purged);
	EXPECT_LT(PRESSURE_LIMIT / OBJ_SIZE, p->rounds);
	munmap(p, sizeof(*p));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: clients that recycle buffers and userptrs while other threads
 * munmap, mprotect, MADV_DONTNEED, fork and MAP_FIXED-remap the memory, all
 * under a signal every millisecond; clients SIGKILLed in the middle of their
 * work. Each case runs for its share of VI915_STRESS_SECONDS (60 by default,
 * the slice make check runs): thrash, churn and kill_mid_exec a quarter each,
 * injected_interruptions an eighth; it prints its figures as "# figure: value"
 * lines. A case fails when a figure misses its goal: a wrong byte, an errno
 * outside i915's set, an object left behind.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stddef.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vi915_util.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define SRC_ADDR	0x1000000ull
#define DST_ADDR	0x2000000ull
#define BATCH_ADDR	0x3000000ull
#define BURST_ADDR	0x4000000ull
/* Largest blit: 16 rows of 4 KiB. */
#define MAX_BLIT	(16 * 4096)
/* The harness's limit on a case: far above any duration asked for, which bounds it. */
#define RUN_LIMIT	(24 * 3600)
/* Requests a context's ring holds (vi915's RING_SIZE). */
#define RING		64
/* Requests one burst queues on its context: more than a ring holds. */
#define BURST		80

/* Figures, summed over every process and thread of a case (shared memory). */
struct figures {
	uint64_t execs;		/* execbuffers that returned 0 */
	uint64_t failed;	/* execbuffers that failed with an expected errno */
	uint64_t checked;	/* blits whose destination was compared */
	uint64_t raced;		/* blits not compared: the memory changed under them */
	uint64_t wrong;		/* bytes that differed from what they must hold */
	uint64_t fence_errors;	/* requests that ended with an expected error */
	uint64_t bad;		/* errnos (or fence errors) outside the expected set */
	uint64_t signals;	/* signals handled */
	uint64_t eintr;		/* calls that returned EINTR and were restarted */
	uint64_t races;		/* racing memory operations */
	uint64_t forks;
	uint64_t bursts;
	uint64_t kills;
	uint64_t calls;		/* fuzzer ioctls */
	int first_bad[4][2];	/* the first bad answers: ioctl number, errno */
	uint64_t wrong_blits;
	/* The first wrong blits: kinds, wait, rows, first wrong dword, expected, found. */
	uint32_t first_wrong[4][7];
};

static struct figures *fig;
static __thread uint64_t thread_signals;

static void add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static void note_bad(unsigned long cmd, int err)
{
	uint64_t n = __atomic_fetch_add(&fig->bad, 1, __ATOMIC_RELAXED);

	if (n < 4) {
		fig->first_bad[n][0] = (int)(cmd & 0xff);
		fig->first_bad[n][1] = err;
	}
}

static void on_signal(int sig)
{
	thread_signals++;
}

/* A signal to the calling thread every millisecond, handled without SA_RESTART. */
static timer_t arm_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR1 };
	struct itimerspec its = { .it_interval = { 0, 1000000 }, .it_value = { 0, 1000000 } };
	timer_t t;

	sigaction(SIGUSR1, &sa, NULL);
	sev.sigev_notify_thread_id = gettid();
	if (timer_create(CLOCK_MONOTONIC, &sev, &t))
		return NULL;
	timer_settime(t, 0, &its, NULL);
	return t;
}

static void disarm_signals(timer_t t)
{
	if (t)
		timer_delete(t);
	add(&fig->signals, thread_signals);
	thread_signals = 0;
}

/* An ioctl restarted on EINTR, as libdrm's drmIoctl() does; 0 or -errno. */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	while (ioctl(fd, cmd, arg)) {
		if (errno != EINTR)
			return -errno;
		add(&fig->eintr, 1);
	}
	return 0;
}

static uint64_t env(const char *name, uint64_t fallback)
{
	const char *s = getenv(name);

	return s ? strtoull(s, NULL, 0) : fallback;
}

static uint64_t seconds_total(void)
{
	return env("VI915_STRESS_SECONDS", 60);
}

static uint32_t rnd(unsigned int *seed)
{
	return rand_r(seed);
}

static uint32_t pattern(uint32_t seed, uint32_t i)
{
	return seed * 2654435761u + i;
}

static uint32_t create(int fd, uint64_t size)
{
	struct drm_i915_gem_create c = { .size = size };

	return xioctl(fd, DRM_IOCTL_I915_GEM_CREATE, &c) ? 0 : c.handle;
}

static void close_handle(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	if (handle)
		xioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

static int rw(int fd, unsigned long cmd, uint32_t handle, void *data, uint64_t size)
{
	struct drm_i915_gem_pread r = {
		.handle = handle, .size = size, .data_ptr = (uintptr_t)data,
	};

	return xioctl(fd, cmd, &r);
}

/* Whether err is one an execbuffer of the thrash may answer. */
static int expected_exec_errno(int err, int userptr)
{
	return err == -ENOMEM || err == -ENOSPC || err == -EAGAIN ||
	       (userptr && err == -EFAULT);
}

/* A worker process's state, shared with its racing thread. */
struct worker {
	int fd;
	unsigned int seed;
	uint32_t ctx;
	/* Userptr memory: dst is checked by reading it, src only through blits. */
	uint32_t *dst, *src;
	/* Bumped by the racer before and after each operation on dst or src. */
	volatile uint32_t race_gen;
	/* The pattern seed src holds when race_gen is even. */
	volatile uint32_t src_seed;
	/*
	 * Held by the racer while src is unmapped, and around every other
	 * mmap(NULL): nothing else may land in the hole it leaves.
	 */
	pthread_mutex_t map_lock;
	/* A spinner the racer ends at spin_end_ms. */
	uint32_t *volatile spin_map;
	volatile int64_t spin_end_ms;
	/* A burst's next request, and when its submission began: see racer(). */
	volatile int burst_n;
	volatile int64_t burst_at;
	volatile int stop;
};

#define UPTR_SIZE	MAX_BLIT

static void fill(uint32_t *p, uint32_t seed, size_t size)
{
	for (size_t i = 0; i < size / 4; i++)
		p[i] = pattern(seed, i);
}

/* The racer: changes the userptr memory under the submitter, and ends spinners. */
static void *racer(void *arg)
{
	struct worker *w = arg;
	unsigned int seed = w->seed ^ 0x5eed;
	timer_t t = arm_signals();

	while (!w->stop) {
		uint32_t op = rnd(&seed) % 8, *victim = op & 1 ? w->src : w->dst;

		/* Ended on time, or once a burst has waited 20 ms for a ring place. */
		if (w->spin_map && (now_ms() >= w->spin_end_ms ||
				    (w->burst_n > RING && now_ms() - w->burst_at >= 20))) {
			__atomic_store_n(&w->spin_map[1], MI_BATCH_BUFFER_END, __ATOMIC_SEQ_CST);
			w->spin_map = NULL;
		}
		usleep(rnd(&seed) % 2000);
		__atomic_fetch_add(&w->race_gen, 1, __ATOMIC_SEQ_CST);
		switch (op / 2) {
		case 3:
			/* Write-protects the memory for copy-on-write: notifiers fire. */
			if (op & 1) {
				pid_t child = fork();

				if (child == 0)
					_exit(0);
				if (child > 0)
					while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
						;
				add(&fig->forks, 1);
			} else {
				usleep(rnd(&seed) % 5000);
			}
			break;
		case 0:
			/* A fresh mapping in place: dst never has a hole, src may. */
			if (victim == w->src) {
				pthread_mutex_lock(&w->map_lock);
				munmap(victim, UPTR_SIZE);
				usleep(rnd(&seed) % 200);
			}
			mmap(victim, UPTR_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			if (victim == w->src)
				pthread_mutex_unlock(&w->map_lock);
			break;
		case 1:
			mprotect(victim, UPTR_SIZE, PROT_READ);
			usleep(rnd(&seed) % 200);
			mprotect(victim, UPTR_SIZE, PROT_READ | PROT_WRITE);
			break;
		case 2:
			madvise(victim, UPTR_SIZE, MADV_DONTNEED);
			break;
		}
		if (victim == w->src) {
			w->src_seed = rnd(&seed);
			fill(w->src, w->src_seed, UPTR_SIZE);
		}
		add(&fig->races, 1);
		__atomic_fetch_add(&w->race_gen, 1, __ATOMIC_SEQ_CST);
	}
	disarm_signals(t);
	return NULL;
}

/* GEM_USERPTR, restarted on EINTR (registering the first notifier of an mm may return it). */
static int make_userptr(struct worker *w, void *ptr, uint64_t size, uint32_t *handle)
{
	struct drm_i915_gem_userptr u = { .user_ptr = (uintptr_t)ptr, .user_size = size };
	int ret = xioctl(w->fd, DRM_IOCTL_I915_GEM_USERPTR, &u);

	*handle = u.handle;
	return ret;
}

/* gem_mmap() under the worker's map lock. */
static void *map_object(struct worker *w, uint32_t handle, uint64_t size)
{
	void *p;

	pthread_mutex_lock(&w->map_lock);
	p = gem_mmap(w->fd, handle, size);
	pthread_mutex_unlock(&w->map_lock);
	return p;
}

/* Waits for the request behind fence one of four ways, each an interruptible wait. */
static int wait_done(struct worker *w, int fence, uint32_t dst, unsigned int how)
{
	struct drm_i915_gem_wait gw = { .bo_handle = dst, .timeout_ns = -1 };
	struct drm_i915_gem_set_domain sd = {
		.handle = dst, .read_domains = I915_GEM_DOMAIN_CPU,
	};
	struct drm_i915_gem_caching c = { .handle = dst, .caching = how & 1 };
	struct pollfd p = { .fd = fence, .events = POLLIN };
	int ret;

	switch (how % 4) {
	case 0:
		ret = xioctl(w->fd, DRM_IOCTL_I915_GEM_WAIT, &gw);
		if (ret)
			note_bad(DRM_IOCTL_I915_GEM_WAIT, ret);
		break;
	case 1:
		/* Pins a userptr's pages: EFAULT if its range is gone. */
		ret = xioctl(w->fd, DRM_IOCTL_I915_GEM_SET_DOMAIN, &sd);
		if (ret && ret != -EFAULT)
			note_bad(DRM_IOCTL_I915_GEM_SET_DOMAIN, ret);
		break;
	case 2:
		/* Changing the caching of a busy object waits for it; a userptr refuses (ENXIO). */
		ret = xioctl(w->fd, DRM_IOCTL_I915_GEM_SET_CACHING, &c);
		if (ret && ret != -ENXIO)
			note_bad(DRM_IOCTL_I915_GEM_SET_CACHING, ret);
		break;
	}
	/* Then (or only) the fence. */
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		add(&fig->eintr, 1);
	return fence_status(fence);
}

/* Submits an execbuffer, restarting it on EAGAIN a bounded number of times. */
static int submit(struct worker *w, struct drm_i915_gem_execbuffer2 *eb)
{
	int ret, tries = 0;

	do
		ret = xioctl(w->fd, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, eb);
	while (ret == -EAGAIN && ++tries < 20);
	return ret;
}

/* Starts a spinner on the worker's context and ring, for the racer to end after ms. */
static uint32_t *spin(struct worker *w, uint32_t *handle, uint64_t ring, int ms)
{
	struct drm_i915_gem_exec_object2 obj;
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t *map;

	*handle = create(w->fd, 4096);
	map = *handle ? map_object(w, *handle, 4096) : NULL;
	if (!map)
		return NULL;
	map[0] = MI_ARB_CHECK;
	map[1] = MI_BATCH_BUFFER_START;
	map[2] = (uint32_t)SPIN_ADDR;
	map[3] = SPIN_ADDR >> 32;
	obj_at(&obj, *handle, SPIN_ADDR, 0);
	eb = eb_for(&obj, 1, ring, w->ctx);
	if (submit(w, &eb)) {
		munmap(map, 4096);
		return NULL;
	}
	w->spin_end_ms = now_ms() + ms;
	w->spin_map = map;
	return map;
}

static void spin_stop(struct worker *w, uint32_t *map, uint32_t handle)
{
	if (map) {
		w->spin_map = NULL;
		__atomic_store_n(&map[1], MI_BATCH_BUFFER_END, __ATOMIC_SEQ_CST);
		munmap(map, 4096);
	}
	close_handle(w->fd, handle);
}

/*
 * Once the objects were set up with result ret: creates the batch holding b
 * (in *batch, for the caller to close whatever happened), and notes any
 * error but ENOMEM as a bad answer. Returns 0 if everything is ready.
 */
static int with_batch(struct worker *w, int ret, uint32_t *b, size_t len, uint32_t *batch)
{
	*batch = create(w->fd, 4096);
	if (!ret && !*batch)
		ret = -ENOMEM;
	if (!ret)
		ret = rw(w->fd, DRM_IOCTL_I915_GEM_PWRITE, *batch, b, len);
	if (ret && ret != -ENOMEM)
		note_bad(DRM_IOCTL_I915_GEM_USERPTR, ret);
	return ret;
}

/* One blit between a GEM object or a userptr and another, checked. */
static void blit_once(struct worker *w)
{
	uint32_t rows = 1 + rnd(&w->seed) % 16, size = rows * 4096;
	int src_user = rnd(&w->seed) % 3 == 0, dst_user = rnd(&w->seed) % 3 == 0;
	uint32_t b[] = {
		XY_SRC_COPY_BLT, 0x03cc0000 | 4096, 0, (rows << 16) | 1024,
		(uint32_t)DST_ADDR, 0, 0, 4096, (uint32_t)SRC_ADDR, 0,
		MI_BATCH_BUFFER_END, 0,
	};
	struct drm_i915_gem_exec_object2 objs[3];
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t src = 0, dst = 0, batch, seed = rnd(&w->seed), gen, how, *out = NULL;
	static __thread uint32_t buf[MAX_BLIT / 4];
	int ret, fence = -1, status;
	uint32_t spin_handle = 0, *spin_map = NULL;

	/* Sometimes behind a spinner on the same ring, so that the waits below wait. */
	if (rnd(&w->seed) % 4 == 0)
		spin_map = spin(w, &spin_handle, I915_EXEC_BLT, 5 + rnd(&w->seed) % 30);
	gen = __atomic_load_n(&w->race_gen, __ATOMIC_SEQ_CST);
	if (src_user) {
		seed = w->src_seed;
		ret = make_userptr(w, w->src, size, &src);
	} else {
		src = create(w->fd, size);
		fill(buf, seed, size);
		ret = src ? rw(w->fd, DRM_IOCTL_I915_GEM_PWRITE, src, buf, size) : -ENOMEM;
	}
	if (!ret)
		ret = dst_user ? make_userptr(w, w->dst, size, &dst) :
				 (dst = create(w->fd, size)) ? 0 : -ENOMEM;
	if (with_batch(w, ret, b, sizeof(b), &batch))
		goto out;
	obj_at(&objs[0], src, SRC_ADDR, 0);
	obj_at(&objs[1], dst, DST_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[2], batch, BATCH_ADDR, 0);
	eb = eb_for(objs, 3, I915_EXEC_BLT | I915_EXEC_FENCE_OUT, w->ctx);
	ret = submit(w, &eb);
	if (ret) {
		if (expected_exec_errno(ret, src_user || dst_user))
			add(&fig->failed, 1);
		else
			note_bad(DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, ret);
		goto out;
	}
	add(&fig->execs, 1);
	fence = eb.rsvd2 >> 32;
	how = rnd(&w->seed) % 5;
	if (how == 4 && !dst_user) {
		/* pread waits for the blit itself. */
		ret = rw(w->fd, DRM_IOCTL_I915_GEM_PREAD, dst, buf, size);
		if (ret)
			note_bad(DRM_IOCTL_I915_GEM_PREAD, ret);
		else
			out = buf;
		status = fence_status(fence);
	} else {
		status = wait_done(w, fence, dst, how);
	}
	if (status != 1) {
		if (status == -EFAULT && (src_user || dst_user))
			add(&fig->fence_errors, 1);
		else
			note_bad(0, status);
		goto out;
	}
	if (dst_user) {
		out = w->dst;
	} else if (!out) {
		/* Through a mapping or pread, both of which wait for the writer. */
		if (rnd(&w->seed) & 1) {
			out = map_object(w, dst, size);
		} else {
			ret = rw(w->fd, DRM_IOCTL_I915_GEM_PREAD, dst, buf, size);
			if (ret)
				note_bad(DRM_IOCTL_I915_GEM_PREAD, ret);
			else
				out = buf;
		}
	}
	if (out && (src_user || dst_user) &&
	    (gen & 1 || gen != __atomic_load_n(&w->race_gen, __ATOMIC_SEQ_CST))) {
		add(&fig->raced, 1);
	} else if (out) {
		uint64_t wrong = 0;

		uint32_t first = 0;

		for (uint32_t i = 0; i < size / 4; i++) {
			if (out[i] != pattern(seed, i) && !wrong++)
				first = i;
		}
		/* The racer may have started after the compare began. */
		if (wrong && (src_user || dst_user) &&
		    gen != __atomic_load_n(&w->race_gen, __ATOMIC_SEQ_CST))
			add(&fig->raced, 1);
		else
			add(&fig->checked, 1), add(&fig->wrong, wrong * 4);
		if (wrong) {
			uint64_t k = __atomic_fetch_add(&fig->wrong_blits, 1, __ATOMIC_RELAXED);

			if (k < 4) {
				uint32_t *d = fig->first_wrong[k];

				d[0] = src_user | dst_user << 1 | (out == buf) << 2;
				d[1] = how;
				d[2] = rows;
				d[3] = first;
				d[4] = pattern(seed, first);
				d[5] = out[first];
				d[6] = wrong;
			}
		}
	}
	if (out && out != buf && out != w->dst)
		munmap(out, size);
out:
	spin_stop(w, spin_map, spin_handle);
	if (fence >= 0)
		close(fence);
	close_handle(w->fd, src);
	close_handle(w->fd, dst);
	close_handle(w->fd, batch);
}

/*
 * Behind a spinner, more stores on its context than its ring holds: the
 * submitter waits for a ring place until the racer ends the spinner. Then,
 * behind another, stores through one batch with a relocation each: each
 * waits for the batch to be idle before its relocation is written. Every
 * store lands.
 */
static void burst(struct worker *w)
{
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_relocation_entry reloc = {
		.offset = 4, .presumed_offset = -1, .read_domains = I915_GEM_DOMAIN_RENDER,
		.write_domain = I915_GEM_DOMAIN_RENDER,
	};
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t target = create(w->fd, 2 * BURST * 4), batch = 0, handle, *map;
	uint32_t b[] = { MI_STORE_DWORD_IMM, 0, 0, 0, MI_BATCH_BUFFER_END, MI_NOOP };
	uint32_t out[2 * BURST];
	int n, stored = 0, ret = 0;

	/* Until the submitter has waited for a ring place (or 5 s). */
	map = target ? spin(w, &handle, I915_EXEC_RENDER, 5000) : NULL;
	for (n = 0; map && n < BURST; n++) {
		w->burst_at = now_ms();
		w->burst_n = n;
		b[1] = (uint32_t)(STORE_TARGET_ADDR + 4 * n);
		b[2] = STORE_TARGET_ADDR >> 32;
		b[3] = n + 1;
		batch = create(w->fd, 4096);
		ret = batch ? rw(w->fd, DRM_IOCTL_I915_GEM_PWRITE, batch, b, sizeof(b)) : -ENOMEM;
		obj_at(&objs[0], target, STORE_TARGET_ADDR, EXEC_OBJECT_WRITE);
		obj_at(&objs[1], batch, STORE_BATCH_ADDR, 0);
		eb = eb_for(objs, 2, I915_EXEC_RENDER, w->ctx);
		if (!ret)
			ret = submit(w, &eb);
		close_handle(w->fd, batch);
		if (ret)
			break;
		add(&fig->execs, 1);
	}
	w->burst_n = 0;
	spin_stop(w, map, handle);

	map = !ret && target ? spin(w, &handle, I915_EXEC_RENDER, 20 + rnd(&w->seed) % 100) : NULL;
	batch = map ? create(w->fd, 4096) : 0;
	b[3] = 0xc0de;
	if (batch && rw(w->fd, DRM_IOCTL_I915_GEM_PWRITE, batch, b, sizeof(b)))
		ret = -ENOMEM;
	while (batch && !ret && stored < BURST / 8) {
		/* What the last execbuffer wrote back would match: the batch would keep its value. */
		reloc.presumed_offset = -1;
		reloc.target_handle = target;
		reloc.delta = 4 * (BURST + stored);
		memset(objs, 0, sizeof(objs));
		objs[0].handle = target;
		objs[0].flags = EXEC_OBJECT_WRITE;
		objs[1].handle = batch;
		objs[1].relocation_count = 1;
		objs[1].relocs_ptr = (uintptr_t)&reloc;
		eb = eb_for(objs, 2, I915_EXEC_RENDER, w->ctx);
		ret = submit(w, &eb);
		if (!ret) {
			add(&fig->execs, 1);
			stored++;
		}
	}
	spin_stop(w, map, handle);
	if (ret && !expected_exec_errno(ret, 0))
		note_bad(DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, ret);
	if (target && !rw(w->fd, DRM_IOCTL_I915_GEM_PREAD, target, out, sizeof(out))) {
		for (int i = 0; i < n; i++)
			add(&fig->wrong, out[i] != (uint32_t)i + 1 ? 4 : 0);
		for (int i = 0; i < stored; i++)
			add(&fig->wrong, out[BURST + i] != 0xc0de ? 4 : 0);
		add(&fig->checked, 1);
	}
	add(&fig->bursts, 1);
	close_handle(w->fd, batch);
	close_handle(w->fd, target);
}

/*
 * A store of a fresh value into a fresh object or a userptr over dst, from a
 * fresh batch, waited for and checked: the cheapest full cycle of create,
 * execbuffer and close, for numbers of execbuffers.
 */
static void churn_once(struct worker *w)
{
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	uint32_t value = rnd(&w->seed), dst = 0, batch, got = 0, gen;
	uint32_t b[] = { MI_STORE_DWORD_IMM, (uint32_t)DST_ADDR, 0, value, MI_BATCH_BUFFER_END, 0 };
	struct drm_i915_gem_wait gw = { .timeout_ns = -1 };
	int user = rnd(&w->seed) & 1, ret;

	gen = __atomic_load_n(&w->race_gen, __ATOMIC_SEQ_CST);
	ret = user ? make_userptr(w, w->dst, 4096, &dst) : (dst = create(w->fd, 4096)) ? 0 : -ENOMEM;
	if (with_batch(w, ret, b, sizeof(b), &batch))
		goto out;
	obj_at(&objs[0], dst, DST_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], batch, BATCH_ADDR, 0);
	eb = eb_for(objs, 2, rnd(&w->seed) & 1 ? I915_EXEC_BLT : I915_EXEC_RENDER, w->ctx);
	ret = submit(w, &eb);
	if (ret) {
		if (expected_exec_errno(ret, user))
			add(&fig->failed, 1);
		else
			note_bad(DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, ret);
		goto out;
	}
	add(&fig->execs, 1);
	gw.bo_handle = dst;
	ret = xioctl(w->fd, DRM_IOCTL_I915_GEM_WAIT, &gw);
	if (!ret && !user)
		ret = rw(w->fd, DRM_IOCTL_I915_GEM_PREAD, dst, &got, sizeof(got));
	else if (!ret)
		got = __atomic_load_n(&w->dst[0], __ATOMIC_SEQ_CST);
	if (ret) {
		note_bad(DRM_IOCTL_I915_GEM_WAIT, ret);
	} else if (user && (gen & 1 || gen != __atomic_load_n(&w->race_gen, __ATOMIC_SEQ_CST))) {
		add(&fig->raced, 1);
	} else {
		add(&fig->checked, 1);
		if (got != value)
			add(&fig->wrong, 4);
	}
out:
	close_handle(w->fd, dst);
	close_handle(w->fd, batch);
}

/* Mostly blits, sometimes a burst. */
static void thrash_once(struct worker *w)
{
	if (rnd(&w->seed) % 16)
		blit_once(w);
	else
		burst(w);
}

/* Execbuffers (of all processes) after which workers stop before their deadline. */
static uint64_t exec_goal = UINT64_MAX;

/* A worker process: step()s until deadline_ms or exec_goal, its racer racing them. */
static void worker_run(unsigned int seed, int64_t deadline_ms, void (*step)(struct worker *))
{
	struct drm_i915_gem_context_create_ext c = {};
	struct worker w = { .seed = seed, .map_lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_t racer_thread;
	timer_t t;

	w.fd = open_i915("renderD", 128);
	w.dst = map_anon(UPTR_SIZE);
	w.src = map_anon(UPTR_SIZE);
	if (w.fd < 0 || !w.dst || !w.src || xioctl(w.fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT, &c)) {
		note_bad(0, -ENODEV);
		return;
	}
	w.ctx = c.ctx_id;
	w.src_seed = seed;
	fill(w.src, seed, UPTR_SIZE);
	pthread_create(&racer_thread, NULL, racer, &w);
	t = arm_signals();
	while (now_ms() < deadline_ms && __atomic_load_n(&fig->execs, __ATOMIC_RELAXED) < exec_goal)
		step(&w);
	disarm_signals(t);
	w.stop = 1;
	pthread_join(racer_thread, NULL);
	close(w.fd);
}

static void work(unsigned int seed, int64_t deadline_ms)
{
	worker_run(seed, deadline_ms, thrash_once);
}

static void churn(unsigned int seed, int64_t deadline_ms)
{
	worker_run(seed, deadline_ms, churn_once);
}

/* The objects left once the device is idle. */
static int objects_left(void)
{
	drop_caches_idle();
	return gem_object_count();
}

static void print_figures(struct __test_metadata *_metadata)
{
	static const struct {
		const char *name;
		size_t offset;
	} names[] = {
		{ "execbuffers", offsetof(struct figures, execs) },
		{ "failed with an expected errno", offsetof(struct figures, failed) },
		{ "requests ended with EFAULT", offsetof(struct figures, fence_errors) },
		{ "blits checked", offsetof(struct figures, checked) },
		{ "blits raced", offsetof(struct figures, raced) },
		{ "wrong bytes", offsetof(struct figures, wrong) },
		{ "racing memory operations", offsetof(struct figures, races) },
		{ "forks", offsetof(struct figures, forks) },
		{ "bursts", offsetof(struct figures, bursts) },
		{ "signals", offsetof(struct figures, signals) },
		{ "EINTR restarts", offsetof(struct figures, eintr) },
		{ "bad answers", offsetof(struct figures, bad) },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ksft_print_msg("%s: %llu\n", names[i].name,
			       *(unsigned long long *)((char *)fig + names[i].offset));
	for (int i = 0; i < 4 && i < (int)fig->bad; i++)
		ksft_print_msg("bad answer %d: ioctl 0x%x, %d\n", i, fig->first_bad[i][0],
			       fig->first_bad[i][1]);
	for (int i = 0; i < 4 && i < (int)fig->wrong_blits; i++) {
		uint32_t *d = fig->first_wrong[i];

		ksft_print_msg("wrong blit %d: %s to %s, read %s, wait %u, %u rows: dword %u is 0x%x, not 0x%x (%u wrong)\n",
			       i, d[0] & 1 ? "userptr" : "object", d[0] & 2 ? "userptr" : "object",
			       d[0] & 2 ? "directly" : d[0] & 4 ? "by pread" : "through mmap",
			       d[1], d[2], d[3], d[5], d[4], d[6]);
	}
}

/* Runs fn(seed, deadline) in procs processes for seconds; returns when all ended. */
static void run_procs(int procs, uint64_t seconds, void (*fn)(unsigned int, int64_t))
{
	int64_t deadline = now_ms() + seconds * 1000;
	pid_t pids[16];

	for (int i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			fn(getpid() * 7919u, deadline);
			_exit(0);
		}
	}
	for (int i = 0; i < procs; i++) {
		int status = 0;

		while (pids[i] > 0 && waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
			;
		/* A client that crashed is a failure of the run. */
		if (pids[i] <= 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			note_bad(0, WIFSIGNALED(status) ? -1000 - WTERMSIG(status) : -1000);
	}
}

FIXTURE(stress) {
	char interrupts_path[128];
};

FIXTURE_SETUP(stress)
{
	ASSERT_LE(0, open_i915("card", 0));
	device_debugfs("vi915_interrupts", self->interrupts_path, sizeof(self->interrupts_path));
	fig = mmap(NULL, sizeof(*fig), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fig);
	memset(fig, 0, sizeof(*fig));
}

FIXTURE_TEARDOWN(stress)
{
	munmap(fig, sizeof(*fig));
}

/*
 * Prints the driver's interruption counts (vi915_interrupts), one line a
 * wait; returns the waits injection interrupted.
 */
static uint64_t print_interrupts(const char *path)
{
	char text[1024], *line, *save;
	unsigned long long signalled, injected, sum = 0;

	if (read_file(path, text, sizeof(text)))
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		ksft_print_msg("interrupted wait %s\n", line);
		if (sscanf(line, "%*[^:]: %llu interrupted, %llu injected", &signalled,
			   &injected) == 2)
			sum += injected;
	}
	return sum;
}

/*
 * Four clients recycling buffers against racing memory operations, with a
 * signal every millisecond to every thread: every blit that succeeded holds
 * its source, or the memory it used changed under it; every failure is one
 * i915 gives; nothing is left behind.
 */
TEST_F_TIMEOUT(stress, thrash, RUN_LIMIT)
{
	uint64_t seconds = seconds_total() / 4;

	run_procs(4, seconds ? seconds : 1, work);
	print_figures(_metadata);
	print_interrupts(self->interrupts_path);
	EXPECT_LT(0, fig->execs);
	EXPECT_LT(0, fig->checked);
	EXPECT_EQ(0, fig->wrong);
	EXPECT_EQ(0, fig->bad);
	EXPECT_EQ(0, objects_left());
}

/*
 * Four clients each cycling through create, execbuffer, wait, check and close
 * as fast as they can, against the same racing memory operations and signals,
 * for a quarter of the time or until VI915_STRESS_EXECBUFFERS execbuffers:
 * the bulk of make stress's execbuffers.
 */
TEST_F_TIMEOUT(stress, churn, RUN_LIMIT)
{
	uint64_t seconds = seconds_total() / 4;

	exec_goal = env("VI915_STRESS_EXECBUFFERS", UINT64_MAX);
	run_procs(4, seconds ? seconds : 1, churn);
	print_figures(_metadata);
	EXPECT_LT(0, fig->execs);
	EXPECT_LT(0, fig->checked);
	EXPECT_EQ(0, fig->wrong);
	EXPECT_EQ(0, fig->bad);
	EXPECT_EQ(0, objects_left());
}

/*
 * Clients SIGKILLed at random points of their execbuffer, userptr and mmap
 * work: after they are gone, nothing of theirs is left.
 */
TEST_F_TIMEOUT(stress, kill_mid_exec, RUN_LIMIT)
{
	int64_t deadline = now_ms() + seconds_total() / 4 * 1000;
	unsigned int seed = 1;

	do {
		pid_t child = fork();

		if (child == 0) {
			/* Killed long before it would stop. */
			work(getpid() * 7919u, now_ms() + 60000);
			_exit(0);
		}
		ASSERT_LT(0, child);
		/* From before its first call to well into its work. */
		usleep(1000 * (rnd(&seed) % 300));
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		add(&fig->kills, 1);
	} while (now_ms() < deadline);
	ksft_print_msg("clients killed: %llu\n", (unsigned long long)fig->kills);
	ksft_print_msg("execbuffers before the kills: %llu\n", (unsigned long long)fig->execs);
	EXPECT_EQ(0, fig->wrong);
	EXPECT_EQ(0, fig->bad);
	EXPECT_EQ(0, objects_left());
}

/*
 * The driver interrupts every 7th interruptible wait itself, as a signal
 * would, and the system calls restart: nothing is lost, nothing is wrong.
 */
TEST_F_TIMEOUT(stress, injected_interruptions, RUN_LIMIT)
{
	uint64_t injected;
	char path[128];

	device_debugfs("vi915_interrupt_every", path, sizeof(path));
	injected = print_interrupts(self->interrupts_path);
	ASSERT_EQ(0, write_file(path, "7"));
	run_procs(2, seconds_total() / 8 ? seconds_total() / 8 : 1, work);
	ASSERT_EQ(0, write_file(path, "0"));
	print_figures(_metadata);
	EXPECT_LT(injected, print_interrupts(self->interrupts_path));
	EXPECT_LT(0, fig->execs);
	EXPECT_LT(0, fig->checked);
	EXPECT_EQ(0, fig->wrong);
	EXPECT_EQ(0, fig->bad);
	EXPECT_EQ(0, objects_left());
}

TEST_HARNESS_MAIN

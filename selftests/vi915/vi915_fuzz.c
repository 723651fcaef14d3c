// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer that knows the i915 uAPI: two processes issue random sequences of
 * create, userptr, execbuffer, madvise, close, mmap, munmap, context, sync
 * object and wait calls whose arguments are mostly valid (handles, contexts
 * and sync objects that exist, offsets and batches that are almost right),
 * for VI915_FUZZ_SECONDS (15 by default) or VI915_FUZZ_CALLS calls, whichever
 * ends first. Every answer must be one i915 gives (no ERESTARTSYS, EDEADLK or
 * other internal code leaking out), and afterwards nothing is left. With
 * VI915_FUZZ_FAULTS set, the fuzzing processes run under the kernel's fault
 * injection (whatever /sys/kernel/debug/fail* say), once set up.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vi915_util.h"

#define POOL		32
#define ANON_PAGES	64
#define ANON_SIZE	(ANON_PAGES * 4096)
#define SCRATCH_SIZE	(4 * 4096)
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

struct counts {
	uint64_t calls, ok, bad;
	int first_bad[8][2];	/* ioctl number, errno */
};

static struct counts *counts;

struct fuzzer {
	int fd;
	unsigned int seed;
	uint32_t handles[POOL], ctxs[8], syncobjs[8];
	int fence;
	char *anon;
	uint64_t unmapped;	/* pages of anon unmapped */
	/* 16 KiB for the kernel to read and write, then a guard page. */
	uint32_t *scratch;
};

static uint32_t rnd(struct fuzzer *f)
{
	return rand_r(&f->seed);
}

/* Mostly something that exists, sometimes not. */
static uint32_t pick(struct fuzzer *f, const uint32_t *pool, int n)
{
	uint32_t r = rnd(f) % 16;

	return r == 0 ? rnd(f) : r == 1 ? 0 : pool[rnd(f) % n];
}

static uint64_t some_size(struct fuzzer *f)
{
	switch (rnd(f) % 8) {
	case 0:
		return 0;
	case 1:
		return ((uint64_t)rnd(f) << 32) | rnd(f);
	case 2:
		return 1 + rnd(f) % 8192;
	default:
		return 4096ull * (1 + rnd(f) % 16);
	}
}

/* A pointer into our memory, or a bad one. */
static uint64_t some_ptr(struct fuzzer *f, void *good)
{
	switch (rnd(f) % 10) {
	case 0:
		return 0;
	case 1:
		return 0xffff800000000000ull | rnd(f);
	case 2:
		return (uintptr_t)good + 1;
	default:
		return (uintptr_t)good;
	}
}

static int call(struct fuzzer *f, unsigned long cmd, void *arg)
{
	int err = ioctl(f->fd, cmd, arg) ? errno : 0;
	uint64_t n;

	__atomic_fetch_add(&counts->calls, 1, __ATOMIC_RELAXED);
	if (!err)
		__atomic_fetch_add(&counts->ok, 1, __ATOMIC_RELAXED);
	if (!i915_errno(err)) {
		n = __atomic_fetch_add(&counts->bad, 1, __ATOMIC_RELAXED);
		if (n < 8) {
			counts->first_bad[n][0] = (int)(cmd & 0xff);
			counts->first_bad[n][1] = err;
		}
	}
	return err;
}

/* A batch: valid stores, a blit, a jump, or noise; ends (usually) in BATCH_BUFFER_END. */
static void some_batch(struct fuzzer *f, uint32_t handle)
{
	uint32_t b[32];
	int n = 0;

	for (int k = rnd(f) % 4; k >= 0 && n < 24; k--) {
		switch (rnd(f) % 6) {
		case 0:
			b[n++] = MI_STORE_DWORD_IMM;
			b[n++] = rnd(f) % 16 ? STORE_TARGET_ADDR + 4 * (rnd(f) % 1024) : rnd(f);
			b[n++] = 0;
			b[n++] = rnd(f);
			break;
		case 1:
			b[n++] = XY_COLOR_BLT;
			b[n++] = 0x03f00000 | 4096;
			b[n++] = 0;
			b[n++] = ((1 + rnd(f) % 4) << 16) | (1 + rnd(f) % 1024);
			b[n++] = (uint32_t)STORE_TARGET_ADDR;
			b[n++] = 0;
			b[n++] = rnd(f);
			break;
		case 2:
			b[n++] = MI_ARB_CHECK;
			break;
		case 3:
			/* A jump forward, out of the batch, or to a random address. */
			b[n] = MI_BATCH_BUFFER_START;
			b[n + 1] = rnd(f) % 2 ? (uint32_t)STORE_BATCH_ADDR + 4 * (n + 3) : rnd(f);
			b[n + 2] = 0;
			n += 3;
			break;
		case 4:
			b[n++] = rnd(f);
			break;
		default:
			b[n++] = MI_NOOP;
			break;
		}
	}
	if (rnd(f) % 16)
		b[n++] = MI_BATCH_BUFFER_END;
	struct drm_i915_gem_pwrite w = {
		.handle = handle, .offset = rnd(f) % 8 ? 0 : rnd(f) % 8192,
		.size = n * 4, .data_ptr = (uintptr_t)b,
	};
	call(f, DRM_IOCTL_I915_GEM_PWRITE, &w);
}

static void fuzz_execbuf(struct fuzzer *f)
{
	/* At the end of scratch: a count past them meets the guard page. */
	struct drm_i915_gem_exec_object2 *objs =
		(void *)((char *)f->scratch + SCRATCH_SIZE - 4 * sizeof(*objs));
	struct drm_i915_gem_relocation_entry relocs[2] = {};
	struct drm_i915_gem_exec_fence fences[2];
	struct drm_i915_gem_execbuffer2 eb = {};
	int n = 1 + rnd(f) % 4;
	static const uint64_t flag_bits[] = {
		I915_EXEC_NO_RELOC, I915_EXEC_HANDLE_LUT, I915_EXEC_BATCH_FIRST,
		I915_EXEC_FENCE_OUT, I915_EXEC_FENCE_IN, I915_EXEC_FENCE_ARRAY,
		I915_EXEC_IS_PINNED, I915_EXEC_FENCE_SUBMIT, I915_EXEC_NO_RELOC,
	};

	memset(objs, 0, 4 * sizeof(*objs));
	for (int i = 0; i < n; i++) {
		objs[i].handle = pick(f, f->handles, POOL);
		if (rnd(f) % 3 == 0) {
			objs[i].flags |= EXEC_OBJECT_PINNED | EXEC_OBJECT_SUPPORTS_48B_ADDRESS;
			objs[i].offset = rnd(f) % 8 ? (uint64_t)(rnd(f) % 4096) << 16 : rnd(f);
		}
		if (rnd(f) % 3 == 0)
			objs[i].flags |= EXEC_OBJECT_WRITE;
		if (rnd(f) % 8 == 0)
			objs[i].flags |= EXEC_OBJECT_ASYNC;
		if (rnd(f) % 32 == 0)
			objs[i].flags |= 1ull << (rnd(f) % 64);
		if (rnd(f) % 4 == 0) {
			objs[i].relocation_count = 1 + rnd(f) % 2;
			objs[i].relocs_ptr = some_ptr(f, relocs);
			for (int r = 0; r < 2; r++) {
				relocs[r].target_handle = rnd(f) % 2 ? rnd(f) % n :
							  pick(f, f->handles, POOL);
				relocs[r].offset = rnd(f) % 8 ? 8 * (rnd(f) % 16) : rnd(f);
				relocs[r].delta = rnd(f) % 4096;
				relocs[r].presumed_offset = rnd(f) % 2 ? -1 : 0;
				relocs[r].read_domains = rnd(f) % 4 ? I915_GEM_DOMAIN_RENDER : rnd(f);
				relocs[r].write_domain = rnd(f) % 2 ? 0 : I915_GEM_DOMAIN_RENDER;
			}
		}
	}
	some_batch(f, objs[n - 1].handle);
	eb.buffers_ptr = some_ptr(f, objs);
	eb.buffer_count = rnd(f) % 32 ? n : rnd(f);
	eb.batch_start_offset = rnd(f) % 8 ? 0 : rnd(f) % 8192;
	eb.batch_len = rnd(f) % 8 ? 0 : rnd(f) % 8192;
	eb.flags = rnd(f) % 4;
	for (int k = rnd(f) % 3; k > 0; k--)
		eb.flags |= flag_bits[rnd(f) % (sizeof(flag_bits) / sizeof(flag_bits[0]))];
	if (rnd(f) % 32 == 0)
		eb.flags |= 1ull << (rnd(f) % 64);
	eb.rsvd1 = pick(f, f->ctxs, 8);
	if (eb.flags & (I915_EXEC_FENCE_IN | I915_EXEC_FENCE_SUBMIT))
		eb.rsvd2 = rnd(f) % 4 ? (uint32_t)f->fence : rnd(f) % 64;
	if (eb.flags & I915_EXEC_FENCE_ARRAY) {
		for (int i = 0; i < 2; i++) {
			fences[i].handle = pick(f, f->syncobjs, 8);
			fences[i].flags = rnd(f) % 8 ? 1 + rnd(f) % 3 : rnd(f);
		}
		eb.cliprects_ptr = some_ptr(f, fences);
		eb.num_cliprects = rnd(f) % 8 ? 1 + rnd(f) % 2 : rnd(f);
	} else if (rnd(f) % 32 == 0) {
		eb.num_cliprects = rnd(f);
	}
	if (!call(f, DRM_IOCTL_I915_GEM_EXECBUFFER2_WR, &eb) && eb.flags & I915_EXEC_FENCE_OUT) {
		/* Keep the newest out-fence as a future in-fence; let it be a while. */
		if (f->fence >= 0)
			close(f->fence);
		f->fence = eb.rsvd2 >> 32;
		if (rnd(f) % 4 == 0)
			fence_wait(f->fence, 100);
	}
}

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t touching;

/* A fault while touching a mapping ends the touch; any other is a crash. */
static void on_fault(int sig)
{
	if (touching)
		siglongjmp(fault_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Reads and writes a byte of a mapping; a purged object faults with SIGBUS, as in i915. */
static void touch(struct fuzzer *f, volatile char *p, uint64_t size)
{
	if (!sigsetjmp(fault_jmp, 1)) {
		touching = 1;
		p[rnd(f) % size] = p[rnd(f) % size] + 1;
	}
	touching = 0;
}

static void fuzz_mmap(struct fuzzer *f)
{
	struct drm_i915_gem_mmap_offset m = {
		.handle = pick(f, f->handles, POOL),
		.flags = rnd(f) % 8 ? rnd(f) % 4 : rnd(f),
	};
	uint64_t size = rnd(f) % 8 ? 4096 * (1 + rnd(f) % 4) : some_size(f);
	volatile char *p;

	if (call(f, DRM_IOCTL_I915_GEM_MMAP_OFFSET, &m))
		return;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd,
		 m.offset + (rnd(f) % 8 ? 0 : 4096 * (rnd(f) % 4)));
	if (p == MAP_FAILED)
		return;
	touch(f, p, size);
	munmap((void *)p, size);
}

/* Puts a new handle in a pool slot, closing the one it held. */
static void keep(struct fuzzer *f, uint32_t *slot, uint32_t handle)
{
	struct drm_gem_close cl = { .handle = *slot };

	call(f, DRM_IOCTL_GEM_CLOSE, &cl);
	*slot = handle;
}

static void fuzz_one(struct fuzzer *f)
{
	uint32_t *slot = &f->handles[rnd(f) % POOL];
	uint32_t op = rnd(f) % 29, h = pick(f, f->handles, POOL);

	switch (op) {
	case 0: case 1: {
		struct drm_i915_gem_create c = { .size = some_size(f) };

		if (!call(f, DRM_IOCTL_I915_GEM_CREATE, &c))
			keep(f, slot, c.handle);
		break;
	}
	case 2: {
		struct drm_i915_gem_userptr u = {
			.user_ptr = some_ptr(f, f->anon + 4096 * (rnd(f) % 32)),
			.user_size = rnd(f) % 8 ? 4096 * (1 + rnd(f) % 32) : some_size(f),
			.flags = rnd(f) % 4 ? 0 : rnd(f) % 2 ? I915_USERPTR_READ_ONLY :
				 rnd(f) % 2 ? I915_USERPTR_PROBE : rnd(f),
		};

		if (!call(f, DRM_IOCTL_I915_GEM_USERPTR, &u))
			keep(f, slot, u.handle);
		break;
	}
	case 3: {
		struct drm_gem_close cl = { .handle = h };

		call(f, DRM_IOCTL_GEM_CLOSE, &cl);
		break;
	}
	case 4: case 5: case 6: case 7: case 8:
		fuzz_execbuf(f);
		break;
	case 9: {
		struct drm_i915_gem_madvise m = {
			.handle = h, .madv = rnd(f) % 8 ? rnd(f) % 2 : rnd(f),
		};

		call(f, DRM_IOCTL_I915_GEM_MADVISE, &m);
		break;
	}
	case 10:
		fuzz_mmap(f);
		break;
	case 11:
		/*
		 * The memory userptrs point at comes and goes: pages unmapped,
		 * then mapped again where nothing else landed in the hole.
		 */
		if (rnd(f) % 2) {
			uint32_t first = rnd(f) % 32, n = 1 + rnd(f) % 8;

			munmap(f->anon + 4096 * first, 4096 * n);
			f->unmapped |= ((1ull << n) - 1) << first;
			break;
		}
		for (int i = 0; i < ANON_PAGES; i++) {
			if (f->unmapped & 1ull << i &&
			    mmap(f->anon + 4096 * i, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) !=
				    MAP_FAILED)
				f->unmapped &= ~(1ull << i);
		}
		break;
	case 12: {
		struct drm_i915_gem_context_create_ext_setparam p = {
			.base.name = I915_CONTEXT_CREATE_EXT_SETPARAM,
			.param.param = rnd(f) % 16, .param.value = rnd(f) % 4 ? rnd(f) % 2 : rnd(f),
		};
		struct drm_i915_gem_context_create_ext c = {};
		uint32_t *ctx = &f->ctxs[rnd(f) % 8];

		if (rnd(f) % 2) {
			c.flags = I915_CONTEXT_CREATE_FLAGS_USE_EXTENSIONS;
			c.extensions = some_ptr(f, &p);
		}
		if (!call(f, DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT, &c)) {
			struct drm_i915_gem_context_destroy d = { .ctx_id = *ctx };

			call(f, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &d);
			*ctx = c.ctx_id;
		}
		break;
	}
	case 13: {
		struct drm_i915_gem_context_destroy d = { .ctx_id = pick(f, f->ctxs, 8) };

		call(f, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &d);
		break;
	}
	case 14: {
		struct i915_engine_class_instance map[4];
		struct drm_i915_gem_context_param p = {
			.ctx_id = pick(f, f->ctxs, 8), .param = rnd(f) % 16,
			.value = rnd(f) % 4 ? rnd(f) % 2 : rnd(f),
		};

		if (p.param == I915_CONTEXT_PARAM_ENGINES) {
			for (int i = 0; i < 4; i++)
				map[i] = (struct i915_engine_class_instance){ rnd(f) % 4, rnd(f) % 2 };
			p.size = rnd(f) % 8 ? 8 + 4 * (rnd(f) % 4) : rnd(f);
			p.value = some_ptr(f, f->scratch);
			memset(f->scratch, 0, 8);
			memcpy((char *)f->scratch + 8, map, sizeof(map));
		}
		call(f, rnd(f) % 2 ? DRM_IOCTL_I915_GEM_CONTEXT_SETPARAM :
				     DRM_IOCTL_I915_GEM_CONTEXT_GETPARAM, &p);
		break;
	}
	case 15: {
		struct drm_syncobj_create c = { .flags = rnd(f) % 2 };
		uint32_t *s = &f->syncobjs[rnd(f) % 8];

		if (!call(f, DRM_IOCTL_SYNCOBJ_CREATE, &c)) {
			struct drm_syncobj_destroy d = { .handle = *s };

			call(f, DRM_IOCTL_SYNCOBJ_DESTROY, &d);
			*s = c.handle;
		}
		break;
	}
	case 16: {
		uint32_t hs[2] = { pick(f, f->syncobjs, 8), pick(f, f->syncobjs, 8) };
		struct drm_syncobj_wait w = {
			.handles = some_ptr(f, hs), .count_handles = 1 + rnd(f) % 2,
			.timeout_nsec = rnd(f) % 2 ? 0 : (uint64_t)now_ms() * 1000000 + 1000000,
			.flags = rnd(f) % 4,
		};

		call(f, DRM_IOCTL_SYNCOBJ_WAIT, &w);
		break;
	}
	case 17: {
		struct drm_i915_gem_wait w = { .bo_handle = h, .timeout_ns = rnd(f) % 1000000 };

		call(f, DRM_IOCTL_I915_GEM_WAIT, &w);
		break;
	}
	case 18: {
		struct drm_i915_gem_set_domain d = {
			.handle = h, .read_domains = 1u << (rnd(f) % 8),
			.write_domain = rnd(f) % 2 ? 0 : 1u << (rnd(f) % 8),
		};

		call(f, DRM_IOCTL_I915_GEM_SET_DOMAIN, &d);
		break;
	}
	case 19: {
		struct drm_i915_gem_pread r = {
			.handle = h, .offset = rnd(f) % 8 ? rnd(f) % 8192 : some_size(f),
			.size = rnd(f) % 8 ? rnd(f) % SCRATCH_SIZE : some_size(f),
			.data_ptr = some_ptr(f, f->scratch),
		};

		call(f, rnd(f) % 2 ? DRM_IOCTL_I915_GEM_PREAD : DRM_IOCTL_I915_GEM_PWRITE, &r);
		break;
	}
	case 20: {
		struct drm_i915_gem_set_tiling t = {
			.handle = h, .tiling_mode = rnd(f) % 4, .stride = 128 * (rnd(f) % 64),
		};
		struct drm_i915_gem_caching c = { .handle = h, .caching = rnd(f) % 4 };

		call(f, rnd(f) % 2 ? DRM_IOCTL_I915_GEM_SET_TILING :
				     DRM_IOCTL_I915_GEM_SET_CACHING, rnd(f) % 2 ? (void *)&t : &c);
		break;
	}
	case 21: {
		struct drm_i915_gem_busy b = { .handle = h };

		call(f, DRM_IOCTL_I915_GEM_BUSY, &b);
		break;
	}
	case 22: {
		int value;
		struct drm_i915_getparam g = {
			.param = rnd(f) % 64, .value = (int *)(uintptr_t)some_ptr(f, &value),
		};
		struct drm_i915_query_item item = {
			.query_id = rnd(f) % 8, .length = rnd(f) % 2 ? 0 : rnd(f) % 4096,
			.data_ptr = some_ptr(f, f->scratch),
		};
		struct drm_i915_query q = { .num_items = 1, .items_ptr = some_ptr(f, &item) };

		if (rnd(f) % 2)
			call(f, DRM_IOCTL_I915_GETPARAM, &g);
		else
			call(f, DRM_IOCTL_I915_QUERY, &q);
		break;
	}
	case 23: {
		/* Export, and import again, map and touch the dma-buf (userptrs refuse). */
		struct drm_prime_handle p = {
			.handle = h, .flags = rnd(f) % 8 ? DRM_CLOEXEC | DRM_RDWR : rnd(f),
		};

		if (call(f, DRM_IOCTL_PRIME_HANDLE_TO_FD, &p))
			break;
		if (rnd(f) % 2) {
			struct drm_prime_handle back = { .fd = p.fd };

			call(f, DRM_IOCTL_PRIME_FD_TO_HANDLE, &back);
		} else {
			volatile char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, p.fd, 0);

			if (m != MAP_FAILED) {
				touch(f, m, 4096);
				munmap((void *)m, 4096);
			}
		}
		close(p.fd);
		break;
	}
	case 24: {
		uint32_t hs[2] = { pick(f, f->syncobjs, 8), pick(f, f->syncobjs, 8) };
		struct drm_syncobj_array a = {
			.handles = some_ptr(f, hs), .count_handles = 1 + rnd(f) % 2,
		};
		struct drm_syncobj_handle sh = {
			.handle = hs[0], .flags = rnd(f) % 2 ? DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE : 0,
		};

		switch (rnd(f) % 4) {
		case 0:
			call(f, DRM_IOCTL_SYNCOBJ_SIGNAL, &a);
			break;
		case 1:
			call(f, DRM_IOCTL_SYNCOBJ_RESET, &a);
			break;
		case 2:
			if (!call(f, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &sh))
				close(sh.fd);
			break;
		default:
			/* The newest out-fence into a sync object. */
			sh.fd = f->fence;
			sh.flags = DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE;
			call(f, DRM_IOCTL_SYNCOBJ_FD_TO_HANDLE, &sh);
			break;
		}
		break;
	}
	case 25: {
		struct drm_i915_reset_stats r = {
			.ctx_id = pick(f, f->ctxs, 8), .flags = rnd(f) % 16 ? 0 : rnd(f),
		};
		struct drm_i915_gem_get_aperture ap = {};

		call(f, rnd(f) % 2 ? DRM_IOCTL_I915_GET_RESET_STATS : DRM_IOCTL_I915_GEM_GET_APERTURE,
		     rnd(f) % 2 ? (void *)&r : &ap);
		break;
	}
	case 26: {
		struct drm_i915_gem_memory_class_instance regions[2] = {
			{ rnd(f) % 3, rnd(f) % 2 }, { rnd(f) % 3, rnd(f) % 2 },
		};
		struct drm_i915_gem_create_ext_memory_regions ext = {
			.base.name = rnd(f) % 8 ? I915_GEM_CREATE_EXT_MEMORY_REGIONS : rnd(f),
			.num_regions = rnd(f) % 8 ? 1 + rnd(f) % 2 : rnd(f),
			.regions = some_ptr(f, regions),
		};
		struct drm_i915_gem_create_ext c = {
			.size = some_size(f), .extensions = rnd(f) % 2 ? some_ptr(f, &ext) : 0,
		};

		if (!call(f, DRM_IOCTL_I915_GEM_CREATE_EXT, &c))
			keep(f, slot, c.handle);
		break;
	}
	case 27: {
		struct drm_i915_gem_get_tiling t = { .handle = h };
		struct drm_i915_gem_caching c = { .handle = h };
		struct drm_i915_gem_sw_finish sw = { .handle = h };

		switch (rnd(f) % 3) {
		case 0:
			call(f, DRM_IOCTL_I915_GEM_GET_TILING, &t);
			break;
		case 1:
			call(f, DRM_IOCTL_I915_GEM_GET_CACHING, &c);
			break;
		default:
			call(f, DRM_IOCTL_I915_GEM_SW_FINISH, &sw);
			break;
		}
		break;
	}
	default: {
		/* A client going away with everything in flight, and a new one. */
		if (rnd(f) % 64 == 0) {
			close(f->fd);
			f->fd = open_i915("renderD", 128);
			memset(f->handles, 0, sizeof(f->handles));
			memset(f->ctxs, 0, sizeof(f->ctxs));
			memset(f->syncobjs, 0, sizeof(f->syncobjs));
		}
		break;
	}
	}
}

static void fuzz_process(unsigned int seed, int64_t deadline, uint64_t calls)
{
	struct sigaction sa = { .sa_handler = on_fault };
	struct fuzzer *f = calloc(1, sizeof(*f));

	if (!f)
		return;
	f->seed = seed;
	f->fence = -1;
	f->fd = open_i915("renderD", 128);
	f->anon = map_anon(ANON_SIZE);
	f->scratch = map_anon(SCRATCH_SIZE + 4096);
	if (f->scratch)
		mprotect((char *)f->scratch + SCRATCH_SIZE, 4096, PROT_NONE);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	/*
	 * Under the kernel's fault injection (make stress), set up: from here
	 * on this process's allocations and user copies may fail.
	 */
	if (getenv("VI915_FUZZ_FAULTS"))
		write_file("/proc/self/make-it-fail", "1");
	while (f->fd >= 0 && f->anon && f->scratch && now_ms() < deadline &&
	       __atomic_load_n(&counts->calls, __ATOMIC_RELAXED) < calls)
		fuzz_one(f);
	close(f->fd);
	free(f);
}

static uint64_t env(const char *name, uint64_t fallback)
{
	const char *s = getenv(name);

	return s ? strtoull(s, NULL, 0) : fallback;
}

FIXTURE(fuzz) {
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* The harness's limit: far above any duration asked for, which bounds the case. */
TEST_F_TIMEOUT(fuzz, uapi_calls_answer_as_i915_and_leave_nothing, 24 * 3600)
{
	int64_t deadline = now_ms() + env("VI915_FUZZ_SECONDS", 15) * 1000;
	uint64_t calls = env("VI915_FUZZ_CALLS", UINT64_MAX);
	pid_t pids[2];

	counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, counts);
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			fuzz_process(getpid() * 7919u, deadline, calls);
			_exit(0);
		}
	}
	for (int i = 0; i < 2; i++) {
		int status = 0;

		waitpid(pids[i], &status, 0);
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	ksft_print_msg("calls: %llu\n", (unsigned long long)counts->calls);
	ksft_print_msg("succeeded: %llu\n", (unsigned long long)counts->ok);
	ksft_print_msg("errnos outside i915's set: %llu\n", (unsigned long long)counts->bad);
	for (int i = 0; i < 8 && i < (int)counts->bad; i++)
		ksft_print_msg("bad answer %d: ioctl 0x%x, errno %d\n", i,
			       counts->first_bad[i][0], counts->first_bad[i][1]);
	EXPECT_EQ(0, counts->bad);

	/* Once idle, every client's objects are gone. */
	drop_caches_idle();
	EXPECT_EQ(0, gem_object_count());
}

TEST_HARNESS_MAIN

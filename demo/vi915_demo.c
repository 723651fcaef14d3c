// SPDX-License-Identifier: GPL-2.0
/*
 * The `make run` demo: what vi915 is for, one step a line with its result
 * and time. It finds the device that answers as i915, then
 *
 *  1. blits into a userptr over malloc'd memory through EXECBUFFER2 and
 *     checks the bytes in that memory;
 *  2. races an munmap (and a fresh mmap at the same address) against a
 *     submission: userfaultfd holds the execbuffer in its relocation read,
 *     after the userptr's pages were pinned, while the range is replaced; the
 *     execbuffer answers -EAGAIN, the retry pins the new pages and succeeds,
 *     and the bytes that land are the new memory's;
 *  3. binds memory read-only and has a blit into it refused;
 *  4. purges a DONTNEED object through i915_gem_drop_caches.
 *
 * Exits 0 if every step did what it should.
 */
#define _GNU_SOURCE
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <time.h>

#include "vi915_util.h"

#define SIZE		(64 * 1024)
#define SRC_ADDR	0x1000000ull
#define DST_ADDR	0x2000000ull
#define BATCH_ADDR	0x3000000ull
/* i915_gem_drop_caches: DROP_FREED | DROP_SHRINK_ALL | DROP_IDLE, as IGT writes. */
#define DROP_SHRINK	"0x70"

static int failures;

static double clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Prints one step's line: what it shows, what happened, how long it took. */
static void step(const char *what, int ok, double t0, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void step(const char *what, int ok, double t0, const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	printf("%-4s %-44s %9.2f ms  %s\n", ok ? "ok" : "FAIL", what, clock_ms() - t0, detail);
	fflush(stdout);
	failures += !ok;
}

/* "ok" for 0, else the errno's name, as the uAPI documents them. */
static const char *result(int ret)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ EAGAIN, "-EAGAIN" }, { EFAULT, "-EFAULT" }, { EINVAL, "-EINVAL" },
		{ ENOENT, "-ENOENT" }, { ENOMEM, "-ENOMEM" }, { EIO, "-EIO" },
	};

	if (!ret)
		return "ok";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (-ret == names[i].err)
			return names[i].name;
	return strerror(-ret);
}

static void fill(void *p, uint32_t seed)
{
	uint32_t *d = p;

	for (size_t i = 0; i < SIZE / 4; i++)
		d[i] = seed + i * 2654435761u;
}

/* The number of 32-bit words of p that differ from fill(p, seed). */
static size_t wrong_words(const void *p, uint32_t seed)
{
	const uint32_t *d = p;
	size_t wrong = 0;

	for (size_t i = 0; i < SIZE / 4; i++)
		wrong += d[i] != (uint32_t)(seed + i * 2654435761u);
	return wrong;
}

/* A batch copying SIZE bytes from SRC_ADDR to DST_ADDR on the blitter. */
static uint32_t copy_batch(int fd)
{
	uint32_t b[] = {
		XY_SRC_COPY_BLT, 0x03cc0000 | 4096, 0, ((SIZE / 4096) << 16) | 1024,
		(uint32_t)DST_ADDR, 0, 0, 4096, (uint32_t)SRC_ADDR, 0,
		MI_BATCH_BUFFER_END, 0,
	};
	uint32_t h = gem_create(fd, 4096);

	gem_write(fd, h, 0, b, sizeof(b));
	return h;
}

/*
 * Submits the copy src -> dst, soft-pinned; with relocs, the batch's
 * destination address is relocated from the entry there. Returns the ioctl's
 * error, else the out-fence's error once it signalled, else 0.
 */
static int copy(int fd, uint32_t dst, uint32_t src, uint32_t batch,
		struct drm_i915_gem_relocation_entry *reloc)
{
	struct drm_i915_gem_exec_object2 objs[3];
	struct drm_i915_gem_execbuffer2 eb = eb_for(objs, 3, I915_EXEC_BLT | I915_EXEC_FENCE_OUT, 0);
	int ret, fence;

	obj_at(&objs[0], src, SRC_ADDR, 0);
	obj_at(&objs[1], dst, DST_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[2], batch, BATCH_ADDR, 0);
	if (reloc) {
		objs[2].relocation_count = 1;
		objs[2].relocs_ptr = (uintptr_t)reloc;
	}
	ret = execbuf(fd, &eb);
	if (ret)
		return ret;
	fence = eb.rsvd2 >> 32;
	fence_wait(fence, 20000);
	ret = fence_status(fence);
	close(fence);
	return ret == 1 ? 0 : ret;
}

/* Step 1: a blit from a GEM object into a userptr over malloc'd memory. */
static void blit_into_malloc(int fd)
{
	double t0 = clock_ms();
	void *mem = NULL, *pattern = malloc(SIZE);
	uint32_t u = 0, bo = gem_create(fd, SIZE), batch = copy_batch(fd);
	int ret = -ENOMEM;

	if (pattern && !posix_memalign(&mem, 4096, SIZE)) {
		memset(mem, 0, SIZE);
		fill(pattern, 1);
		gem_write(fd, bo, 0, pattern, SIZE);
		ret = userptr(fd, mem, SIZE, 0, &u);
		if (!ret)
			ret = copy(fd, u, bo, batch, NULL);
	}
	step("blit into a userptr over malloc'd memory", !ret && !wrong_words(mem, 1), t0,
	     "execbuffer %s, %zu of %d bytes wrong", result(ret),
	     mem && !ret ? 4 * wrong_words(mem, 1) : (size_t)SIZE, SIZE);
	gem_close(fd, u);
	gem_close(fd, bo);
	gem_close(fd, batch);
	free(mem);
	free(pattern);
}

/* Step 2's userfaultfd handler: on the relocation page's fault, replaces the userptr's memory. */
struct race {
	int uffd;
	void *reloc_page, *mem;
	struct drm_i915_gem_relocation_entry reloc;
	int replaced;
};

static void *fault_handler(void *arg)
{
	struct race *r = arg;
	struct uffd_msg msg;
	struct uffdio_copy c;
	struct pollfd p = { .fd = r->uffd, .events = POLLIN };

	if (poll(&p, 1, 20000) != 1 || read(r->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return NULL;
	/* The execbuffer has pinned the userptr's pages and now waits on us: unmap them. */
	if (!munmap(r->mem, SIZE) &&
	    mmap(r->mem, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == r->mem) {
		fill(r->mem, 3);
		r->replaced = 1;
	}
	/* Then let the relocation read go on: the staging page's copy fills the faulting one. */
	memcpy(r->reloc_page, &r->reloc, sizeof(r->reloc));
	c = (struct uffdio_copy){
		.dst = msg.arg.pagefault.address & ~4095ull, .src = (uintptr_t)r->reloc_page,
		.len = 4096,
	};
	/* If that failed, closing the userfaultfd lets the faulting read fail instead of hang. */
	if (ioctl(r->uffd, UFFDIO_COPY, &c)) {
		close(r->uffd);
		r->uffd = -1;
	}
	return NULL;
}

/* Step 2: an munmap racing a submission, answered with -EAGAIN, then a successful retry. */
static void munmap_races_submission(int fd)
{
	double t0 = clock_ms();
	struct race r = {
		.reloc = {
			/* The blit's destination address, dword 4 of the batch. */
			.offset = 4 * 4, .presumed_offset = -1,
			.read_domains = I915_GEM_DOMAIN_RENDER,
			.write_domain = I915_GEM_DOMAIN_RENDER,
		},
	};
	uint32_t u = 0, bo = gem_create(fd, SIZE), batch = copy_batch(fd);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	char *reloc_area, *out = malloc(SIZE);
	int first = -ENOMEM, retry = -ENOMEM;
	pthread_t handler;

	r.reloc.target_handle = bo;
	r.mem = map_anon(SIZE);
	reloc_area = map_anon(2 * 4096);
	r.uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (!r.mem || !reloc_area || !out || r.uffd < 0 || ioctl(r.uffd, UFFDIO_API, &api)) {
		step("munmap racing a submission", 0, t0, "setup failed: %s", strerror(errno));
		goto out;
	}
	/* Page 1 of reloc_area is the staging copy; page 0, still missing, is where execbuffer reads. */
	r.reloc_page = reloc_area + 4096;
	reg = (struct uffdio_register){
		.range = { .start = (uintptr_t)reloc_area, .len = 4096 },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	fill(r.mem, 2);
	if (ioctl(r.uffd, UFFDIO_REGISTER, &reg) || userptr(fd, r.mem, SIZE, 0, &u) ||
	    pthread_create(&handler, NULL, fault_handler, &r)) {
		step("munmap racing a submission", 0, t0, "setup failed: %s", strerror(errno));
		goto out;
	}
	first = copy(fd, bo, u, batch, (void *)reloc_area);
	pthread_join(handler, NULL);
	/* As libdrm does on EAGAIN: submit again. */
	retry = copy(fd, bo, u, batch, (void *)reloc_area);
	gem_read(fd, bo, 0, out, SIZE);
	step("munmap racing a submission", first == -EAGAIN && r.replaced && !retry &&
	     !wrong_words(out, 3), t0,
	     "first execbuffer %s (range replaced while pinned: %s), retry %s, "
	     "%zu bytes wrong", result(first), r.replaced ? "yes" : "no", result(retry),
	     4 * wrong_words(out, 3));
out:
	if (r.uffd >= 0)
		close(r.uffd);
	gem_close(fd, u);
	gem_close(fd, bo);
	gem_close(fd, batch);
	if (r.mem)
		munmap(r.mem, SIZE);
	if (reloc_area)
		munmap(reloc_area, 2 * 4096);
	free(out);
}

/* Step 3: a read-only userptr refuses a blit into it; its memory stays as it was. */
static void read_only_refuses_write(int fd)
{
	double t0 = clock_ms();
	char *ro = map_anon(SIZE);
	uint32_t u = 0, bo = gem_create(fd, SIZE), batch = copy_batch(fd);
	int ret = -ENOMEM;

	if (ro) {
		fill(ro, 4);
		gem_write(fd, bo, 0, ro + 4, SIZE - 4); /* different bytes */
		ret = userptr(fd, ro, SIZE, I915_USERPTR_READ_ONLY, &u);
		if (!ret)
			ret = copy(fd, u, bo, batch, NULL);
	}
	step("a blit into a read-only userptr is refused", ret == -EFAULT && !wrong_words(ro, 4),
	     t0, "request %s, memory %s", ret ? result(ret) : "completed",
	     ro && !wrong_words(ro, 4) ? "unchanged" : "CHANGED");
	gem_close(fd, u);
	gem_close(fd, bo);
	gem_close(fd, batch);
	if (ro)
		munmap(ro, SIZE);
}

/* Step 4: DONTNEED, i915_gem_drop_caches, and the object is gone. */
static void purge_under_drop_caches(int fd, int card)
{
	double t0 = clock_ms();
	uint32_t bo = gem_create(fd, SIZE), retained = 1;
	char drop[128], data[64] = "purge me";
	int dont, drop_ret, will, write_ret;

	debugfs_path(card, "i915_gem_drop_caches", drop, sizeof(drop));
	gem_write(fd, bo, 0, data, sizeof(data));
	dont = gem_madvise(fd, bo, I915_MADV_DONTNEED, NULL);
	drop_ret = write_file(drop, DROP_SHRINK);
	will = gem_madvise(fd, bo, I915_MADV_WILLNEED, &retained);
	write_ret = gem_write(fd, bo, 0, data, sizeof(data));
	step("a DONTNEED object purged by drop_caches", !dont && !drop_ret && !will &&
	     !retained && write_ret == -EFAULT, t0,
	     "madvise %s, drop_caches %s, retained=%u, pwrite afterwards %s",
	     result(dont), result(drop_ret), retained, result(write_ret));
	gem_close(fd, bo);
}

int main(void)
{
	char name[32] = "", desc[128] = "";
	struct drm_version v = {
		.name = name, .name_len = sizeof(name) - 1,
		.desc = desc, .desc_len = sizeof(desc) - 1,
	};
	int card = open_i915("card", 0), fd = open_i915("renderD", 128), chipset = 0;
	double t0 = clock_ms();

	if (card < 0 || fd < 0 || ioctl(fd, DRM_IOCTL_VERSION, &v)) {
		printf("FAIL no DRM device answers as i915\n");
		return 1;
	}
	getparam(fd, I915_PARAM_CHIPSET_ID, &chipset);
	step("open the device that answers as i915", 1, t0, "driver \"%s\" %d.%d.%d, \"%s\", "
	     "chipset 0x%04x", name, v.version_major, v.version_minor, v.version_patchlevel,
	     desc, chipset);
	blit_into_malloc(fd);
	munmap_races_submission(fd);
	read_only_refuses_write(fd);
	purge_under_drop_caches(fd, card);
	printf("%s: %d of 5 steps failed\n", failures ? "FAIL" : "ok", failures);
	close(fd);
	close(card);
	return failures ? 1 : 0;
}

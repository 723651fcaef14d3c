// SPDX-License-Identifier: GPL-2.0
/*
 * GEM objects, contexts, address spaces and queries on vi915: data round
 * trips through pwrite/pread and mmap, i915's answers to bad input, context
 * parameter calls that a fault in another one does not hold up, and address
 * spaces shared between contexts.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "vi915_util.h"

FIXTURE(gem) {
	int fd;
};

FIXTURE_SETUP(gem)
{
	self->fd = open_i915("renderD", 128);
	ASSERT_GE(self->fd, 0) TH_LOG("no render node named i915");
}

FIXTURE_TEARDOWN(gem)
{
	close(self->fd);
}

TEST_F(gem, create_rounds_and_checks_size)
{
	struct drm_i915_gem_create c = { .size = 1 };

	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE, &c));
	EXPECT_EQ(4096, c.size);
	EXPECT_NE(0, c.handle);
	EXPECT_EQ(0, gem_close(self->fd, c.handle));
	c = (struct drm_i915_gem_create){ .size = 0 };
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE, &c));
	c = (struct drm_i915_gem_create){ .size = -1ull };
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE, &c));
	c = (struct drm_i915_gem_create){ .size = 1ull << 63 };
	EXPECT_EQ(-E2BIG, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE, &c));
	/* The core answers EINVAL for a handle that is not there. */
	EXPECT_EQ(-EINVAL, gem_close(self->fd, 0x7fff));
}

/* MemTotal of /proc/meminfo, in bytes; 0 if unknown. */
static uint64_t mem_total(void)
{
	char text[256];
	unsigned long long kib = 0;

	if (read_file("/proc/meminfo", text, sizeof(text)) ||
	    sscanf(text, "MemTotal: %llu kB", &kib) != 1)
		return 0;
	return kib * 1024;
}

/*
 * As i915, an object may be as large as its memory region, system memory
 * (pages are allocated only when used), and no larger (E2BIG).
 */
TEST_F(gem, objects_up_to_the_ram_size)
{
	uint64_t ram = mem_total() & ~4095ull;
	struct drm_i915_gem_create c = { .size = ram };
	int before = gem_object_count();

	ASSERT_LT(0, ram);
	ASSERT_LE(0, before);
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE, &c));
	EXPECT_EQ(ram, c.size);
	EXPECT_EQ(before + 1, gem_object_count());
	EXPECT_EQ(0, gem_close(self->fd, c.handle));
	c = (struct drm_i915_gem_create){ .size = ram + 4096 };
	EXPECT_EQ(-E2BIG, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE, &c));
	EXPECT_EQ(before, gem_object_count());
}

TEST_F(gem, create_ext)
{
	struct drm_i915_gem_memory_class_instance smem = { I915_MEMORY_CLASS_SYSTEM, 0 };
	struct drm_i915_gem_memory_class_instance two[2] = { smem, smem };
	struct drm_i915_gem_create_ext_memory_regions regions = {
		.base.name = I915_GEM_CREATE_EXT_MEMORY_REGIONS,
		.num_regions = 1, .regions = (uintptr_t)&smem,
	};
	struct drm_i915_gem_create_ext c = { .size = 8192, .extensions = (uintptr_t)&regions };

	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE_EXT, &c));
	EXPECT_EQ(8192, c.size);
	gem_close(self->fd, c.handle);
	/* Device memory does not exist; a region twice; no regions. */
	smem.memory_class = I915_MEMORY_CLASS_DEVICE;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE_EXT, &c));
	regions.regions = (uintptr_t)two;
	regions.num_regions = 2;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE_EXT, &c));
	regions.num_regions = 0;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE_EXT, &c));
	/* Unknown extension, unknown flag, bad pointer, protected content. */
	regions.num_regions = 1;
	regions.base.name = 99;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE_EXT, &c));
	regions.base.name = I915_GEM_CREATE_EXT_PROTECTED_CONTENT;
	EXPECT_EQ(-ENODEV, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE_EXT, &c));
	c.extensions = 8;
	EXPECT_EQ(-EFAULT, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE_EXT, &c));
	c.extensions = 0;
	c.flags = 2;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE_EXT, &c));
	/* CPU access is meaningful only with several placements. */
	c.flags = I915_GEM_CREATE_EXT_FLAG_NEEDS_CPU_ACCESS;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CREATE_EXT, &c));
}

TEST_F(gem, pwrite_pread_mmap_round_trip)
{
	const uint64_t size = 3 * 4096;
	uint8_t *in = malloc(size), *out = malloc(size), *map;
	uint32_t h = gem_create(self->fd, size);
	uint64_t i;

	ASSERT_NE(0, h);
	for (i = 0; i < size; i++)
		in[i] = i * 7 + 3;
	/* Unaligned, crossing pages. */
	ASSERT_EQ(0, gem_write(self->fd, h, 100, in, size - 200));
	memset(out, 0, size);
	ASSERT_EQ(0, gem_read(self->fd, h, 100, out, size - 200));
	EXPECT_EQ(0, memcmp(in, out, size - 200));
	map = gem_mmap(self->fd, h, size);
	ASSERT_NE(NULL, map);
	EXPECT_EQ(0, memcmp(map + 100, in, size - 200));
	EXPECT_EQ(0, map[0]);
	map[size - 1] = 0x5a;
	ASSERT_EQ(0, gem_read(self->fd, h, size - 1, out, 1));
	EXPECT_EQ(0x5a, out[0]);
	munmap(map, size);
	gem_close(self->fd, h);
	free(in);
	free(out);
}

TEST_F(gem, pread_pwrite_errnos)
{
	uint32_t h = gem_create(self->fd, 4096);
	char buf[16];

	/* Size 0 succeeds before the handle is looked up. */
	EXPECT_EQ(0, gem_read(self->fd, 0x7fff, 0, buf, 0));
	EXPECT_EQ(-ENOENT, gem_read(self->fd, 0x7fff, 0, buf, 1));
	EXPECT_EQ(-EINVAL, gem_read(self->fd, h, 4096, buf, 1));
	EXPECT_EQ(-EINVAL, gem_write(self->fd, h, 4090, buf, 16));
	EXPECT_EQ(-EINVAL, gem_write(self->fd, h, -1ull, buf, 2));
	EXPECT_EQ(-EFAULT, gem_read(self->fd, h, 0, (void *)8, 16));
	EXPECT_EQ(-EFAULT, gem_write(self->fd, h, 0, (void *)-4096l, 16));
	gem_close(self->fd, h);
}

TEST_F(gem, mmap_offset_errnos)
{
	struct drm_i915_gem_mmap_offset m = { .handle = 0x7fff, .flags = I915_MMAP_OFFSET_WB };
	struct i915_user_extension ext = { .name = 1 };
	uint32_t h = gem_create(self->fd, 4096);

	EXPECT_EQ(-ENOENT, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MMAP_OFFSET, &m));
	m.handle = h;
	m.flags = 5;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MMAP_OFFSET, &m));
	/* No GTT aperture; FIXED is for discrete parts. */
	m.flags = I915_MMAP_OFFSET_GTT;
	EXPECT_EQ(-ENODEV, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MMAP_OFFSET, &m));
	m.flags = I915_MMAP_OFFSET_FIXED;
	EXPECT_EQ(-ENODEV, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MMAP_OFFSET, &m));
	m.flags = I915_MMAP_OFFSET_WC;
	m.extensions = (uintptr_t)&ext;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MMAP_OFFSET, &m));
	m.extensions = 0;
	EXPECT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_MMAP_OFFSET, &m));
	gem_close(self->fd, h);
}

TEST_F(gem, domain_caching_tiling)
{
	struct drm_i915_gem_set_domain d = { .handle = 0x7fff };
	struct drm_i915_gem_caching c = { .handle = 0x7fff, .caching = 7 };
	struct drm_i915_gem_set_tiling t = {};
	struct drm_i915_gem_get_tiling g = {};
	uint32_t h = gem_create(self->fd, 16384);

	/* No read domain: nothing to do, before the lookup. */
	EXPECT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_DOMAIN, &d));
	d.read_domains = I915_GEM_DOMAIN_RENDER;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_DOMAIN, &d));
	d.read_domains = I915_GEM_DOMAIN_CPU;
	d.write_domain = I915_GEM_DOMAIN_GTT;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_DOMAIN, &d));
	d.write_domain = I915_GEM_DOMAIN_CPU;
	EXPECT_EQ(-ENOENT, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_DOMAIN, &d));
	d.handle = h;
	EXPECT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_DOMAIN, &d));

	/* The caching value is checked before the handle. */
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_CACHING, &c));
	c.caching = I915_CACHING_NONE;
	EXPECT_EQ(-ENOENT, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_CACHING, &c));
	c.handle = h;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_GET_CACHING, &c));
	EXPECT_EQ(I915_CACHING_CACHED, c.caching);
	c.caching = I915_CACHING_DISPLAY;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_CACHING, &c));
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_GET_CACHING, &c));
	EXPECT_EQ(I915_CACHING_NONE, c.caching);

	t = (struct drm_i915_gem_set_tiling){ .handle = h, .tiling_mode = I915_TILING_X,
					      .stride = 512 * 4 };
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_TILING, &t));
	EXPECT_EQ(I915_BIT_6_SWIZZLE_NONE, t.swizzle_mode);
	g.handle = h;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_GET_TILING, &g));
	EXPECT_EQ(I915_TILING_X, g.tiling_mode);
	t.stride = 100;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_TILING, &t));
	t.tiling_mode = 3;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_TILING, &t));
	t = (struct drm_i915_gem_set_tiling){ .handle = h, .tiling_mode = I915_TILING_NONE,
					      .stride = 12345 };
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_SET_TILING, &t));
	EXPECT_EQ(0, t.stride);
	gem_close(self->fd, h);
}

TEST_F(gem, idle_busy_wait_aperture)
{
	struct drm_i915_gem_wait w = { .bo_handle = 0x7fff };
	struct drm_i915_gem_get_aperture a = {};
	uint32_t h = gem_create(self->fd, 4096);

	EXPECT_EQ(0, gem_busy(self->fd, h));
	EXPECT_EQ(0, gem_wait(self->fd, h, 0));
	EXPECT_EQ(0, gem_wait(self->fd, h, -1));
	EXPECT_EQ(-ENOENT, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_WAIT, &w));
	w.flags = 1;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_WAIT, &w));
	EXPECT_EQ(0xdeadbeef, gem_busy(self->fd, 0x7fff));
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_GET_APERTURE, &a));
	EXPECT_EQ(1ull << 32, a.aper_size);
	gem_close(self->fd, h);
}

TEST_F(gem, contexts)
{
	struct drm_i915_gem_context_create_ext c = {};
	struct drm_i915_gem_context_destroy d = {};
	struct drm_i915_gem_context_param p = { .param = I915_CONTEXT_PARAM_GTT_SIZE };
	struct i915_user_extension clone = { .name = I915_CONTEXT_CREATE_EXT_CLONE };

	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_GETPARAM, &p));
	EXPECT_EQ(1ull << 48, p.value);
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT, &c));
	EXPECT_NE(0, c.ctx_id);
	p.ctx_id = c.ctx_id;
	p.param = I915_CONTEXT_PARAM_BANNABLE;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_GETPARAM, &p));
	EXPECT_EQ(1, p.value);
	p.value = 0;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_SETPARAM, &p));
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_GETPARAM, &p));
	EXPECT_EQ(0, p.value);
	p.param = 0x1234;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_GETPARAM, &p));
	p.param = I915_CONTEXT_PARAM_PRIORITY;
	p.value = 5000;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_SETPARAM, &p));
	/* Destroy: pad, the default context, unknown ids. */
	d.ctx_id = c.ctx_id;
	d.pad = 1;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &d));
	d.pad = 0;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &d));
	EXPECT_EQ(-ENOENT, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &d));
	EXPECT_EQ(-ENOENT, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_GETPARAM, &p));
	d.ctx_id = 0;
	EXPECT_EQ(-ENOENT, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &d));
	/* Unknown flags; the removed CLONE extension. */
	c.flags = 4;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT, &c));
	c.flags = I915_CONTEXT_CREATE_FLAGS_USE_EXTENSIONS;
	c.extensions = (uintptr_t)&clone;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT, &c));
}

struct getter {
	int fd;
	uint32_t ctx;
	volatile int done;
};

/* Reads a context parameter of g->ctx, then sets g->done. */
static void *get_priority(void *arg)
{
	struct getter *g = arg;
	struct drm_i915_gem_context_param p = {
		.ctx_id = g->ctx, .param = I915_CONTEXT_PARAM_PRIORITY,
	};

	do_ioctl(g->fd, DRM_IOCTL_I915_GEM_CONTEXT_GETPARAM, &p);
	g->done = 1;
	return NULL;
}

struct setter {
	int fd;
	struct drm_i915_gem_context_param p;
	int ret;
};

static void *set_param(void *arg)
{
	struct setter *s = arg;

	s->ret = do_ioctl(s->fd, DRM_IOCTL_I915_GEM_CONTEXT_SETPARAM, &s->p);
	return NULL;
}

TEST_F(gem, a_faulting_engine_map_holds_up_no_other_parameter_call)
{
	struct drm_i915_gem_context_create_ext c = {};
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {};
	struct uffdio_copy copy = {};
	struct uffd_msg msg;
	struct setter set = { .fd = self->fd };
	struct getter get = { .fd = self->fd };
	pthread_t setter, getter;
	struct pollfd pfd;
	/* The map, once the fault is served: no extensions, then rcs0. */
	uint64_t *page = aligned_alloc(4096, 4096);
	char *area = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK), i;

	ASSERT_NE(NULL, page);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_GE(uffd, 0) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	reg.range.start = (uintptr_t)area;
	reg.range.len = 4096;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT, &c));
	memset(page, 0, 4096);
	page[1] = (uint64_t)I915_ENGINE_CLASS_RENDER;
	/* The engine map is read from the missing page: the read waits for us. */
	set.p = (struct drm_i915_gem_context_param){
		.ctx_id = c.ctx_id, .param = I915_CONTEXT_PARAM_ENGINES,
		.size = sizeof(uint64_t) + sizeof(struct i915_engine_class_instance),
		.value = (uintptr_t)area,
	};
	ASSERT_EQ(0, pthread_create(&setter, NULL, set_param, &set));
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	/* Another parameter call on the same context does not wait for that fault. */
	get.ctx = c.ctx_id;
	ASSERT_EQ(0, pthread_create(&getter, NULL, get_priority, &get));
	for (i = 0; i < 200 && !get.done; i++)
		usleep(10 * 1000);
	EXPECT_TRUE(get.done);
	copy.dst = (uintptr_t)area;
	copy.src = (uintptr_t)page;
	copy.len = 4096;
	EXPECT_EQ(0, ioctl(uffd, UFFDIO_COPY, &copy));
	pthread_join(setter, NULL);
	pthread_join(getter, NULL);
	EXPECT_EQ(0, set.ret);
	close(uffd);
	munmap(area, 4096);
	free(page);
}

TEST_F(gem, query)
{
	struct drm_i915_query_item item = { .query_id = DRM_I915_QUERY_ENGINE_INFO };
	struct drm_i915_query q = { .num_items = 1, .items_ptr = (uintptr_t)&item };
	uint8_t buf[512] = {};
	struct drm_i915_query_engine_info *engines = (void *)buf;
	struct drm_i915_query_memory_regions *regions = (void *)buf;

	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_QUERY, &q));
	EXPECT_EQ(16 + 2 * 56, item.length);
	item.data_ptr = (uintptr_t)buf;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_QUERY, &q));
	ASSERT_EQ(2, engines->num_engines);
	EXPECT_EQ(I915_ENGINE_CLASS_RENDER, engines->engines[0].engine.engine_class);
	EXPECT_EQ(I915_ENGINE_CLASS_COPY, engines->engines[1].engine.engine_class);
	/* Too short; a non-zero header. */
	item.length = 20;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_QUERY, &q));
	EXPECT_EQ(-EINVAL, item.length);
	item.length = sizeof(buf);
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_QUERY, &q));
	EXPECT_EQ(-EINVAL, item.length);

	memset(buf, 0, sizeof(buf));
	item = (struct drm_i915_query_item){ .query_id = DRM_I915_QUERY_MEMORY_REGIONS,
					     .length = sizeof(buf), .data_ptr = (uintptr_t)buf };
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_QUERY, &q));
	EXPECT_EQ(104, item.length);
	ASSERT_EQ(1, regions->num_regions);
	EXPECT_EQ(I915_MEMORY_CLASS_SYSTEM, regions->regions[0].region.memory_class);
	EXPECT_LT(1ull << 28, regions->regions[0].probed_size);
	/* Unknown ids fail in the item; id 0 fails the ioctl; so do flags. */
	item = (struct drm_i915_query_item){ .query_id = 99 };
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_QUERY, &q));
	EXPECT_EQ(-EINVAL, item.length);
	item.query_id = 0;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_QUERY, &q));
	q.flags = 1;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_QUERY, &q));
}

/*
 * Dumb buffers, as i915 has them on its primary node (the render node refuses
 * the ioctl): objects like GEM_CREATE's. They were once made by the shmem
 * helpers without vi915's object data, which the next ioctl on the handle
 * read out of bounds (trinity found it with MADVISE).
 */
TEST_F(gem, dumb_buffers_are_objects)
{
	struct drm_mode_create_dumb dumb = { .width = 64, .height = 8, .bpp = 32 };
	struct drm_mode_map_dumb map = { 0 };
	struct drm_mode_destroy_dumb destroy = { 0 };
	int card = open_i915("card", 0), objects = gem_object_count();
	uint32_t retained, v = 0x5eed, r = 0;

	ASSERT_LE(0, card);
	EXPECT_EQ(-EACCES, do_ioctl(self->fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb));
	ASSERT_EQ(0, do_ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &dumb));
	EXPECT_LE(64 * 4, dumb.pitch);
	EXPECT_LE((uint64_t)dumb.pitch * 8, dumb.size);
	EXPECT_EQ(objects + 1, gem_object_count());
	/* The calls that read past a bare shmem object. */
	EXPECT_EQ(0, gem_madvise(card, dumb.handle, I915_MADV_WILLNEED, &retained));
	EXPECT_EQ(1, retained);
	EXPECT_EQ(0, gem_write(card, dumb.handle, 64, &v, sizeof(v)));
	EXPECT_EQ(0, gem_read(card, dumb.handle, 64, &r, sizeof(r)));
	EXPECT_EQ(v, r);
	map.handle = dumb.handle;
	EXPECT_EQ(0, do_ioctl(card, DRM_IOCTL_MODE_MAP_DUMB, &map));
	EXPECT_NE(0, map.offset);
	destroy.handle = dumb.handle;
	EXPECT_EQ(0, do_ioctl(card, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy));
	EXPECT_EQ(-EINVAL, do_ioctl(card, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy));
	/* Bad dimensions change nothing. */
	dumb.width = 0;
	EXPECT_EQ(-EINVAL, do_ioctl(card, DRM_IOCTL_MODE_CREATE_DUMB, &dumb));
	close(card);
	EXPECT_EQ(objects, gem_object_count());
}

static uint32_t new_context(int fd)
{
	struct drm_i915_gem_context_create_ext c = {};

	if (do_ioctl(fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE_EXT, &c))
		return 0;
	return c.ctx_id;
}

static int vm_control(int fd, unsigned long cmd, uint32_t id, uint32_t flags, uint64_t ext,
		      uint32_t *out)
{
	struct drm_i915_gem_vm_control v = { .extensions = ext, .flags = flags, .vm_id = id };
	int ret = do_ioctl(fd, cmd, &v);

	if (out)
		*out = v.vm_id;
	return ret;
}

/* Runs an empty batch in ctx, presumed at offset (not soft-pinned): where it went. */
static uint64_t placed_at(int fd, uint32_t ctx, uint32_t batch, uint64_t offset)
{
	struct drm_i915_gem_exec_object2 obj = { .handle = batch, .offset = offset };
	struct drm_i915_gem_execbuffer2 eb = {
		.buffers_ptr = (uintptr_t)&obj, .buffer_count = 1, .rsvd1 = ctx,
	};

	if (execbuf(fd, &eb))
		return ~0ull;
	gem_wait(fd, batch, -1);
	return obj.offset;
}

TEST_F(gem, address_spaces_are_shared_by_id)
{
	const unsigned long create = DRM_IOCTL_I915_GEM_VM_CREATE;
	const unsigned long destroy = DRM_IOCTL_I915_GEM_VM_DESTROY;
	const uint64_t at = 48 << 20;
	struct i915_user_extension unknown = { .name = 1 };
	struct drm_i915_gem_context_param p = { .param = I915_CONTEXT_PARAM_VM };
	struct drm_i915_gem_context_destroy d = {};
	uint32_t batch = gem_create(self->fd, 4096), bbe = MI_BATCH_BUFFER_END;
	uint32_t vm = 0, named, a, b, c, later;

	ASSERT_EQ(0, gem_write(self->fd, batch, 0, &bbe, sizeof(bbe)));
	/* Creating: unknown flags, an unreadable and an unknown extension. */
	EXPECT_EQ(-EINVAL, vm_control(self->fd, create, 0, 1, 0, NULL));
	EXPECT_EQ(-EFAULT, vm_control(self->fd, create, 0, 0, 8, NULL));
	EXPECT_EQ(-EINVAL, vm_control(self->fd, create, 0, 0, (uintptr_t)&unknown, NULL));
	ASSERT_EQ(0, vm_control(self->fd, create, 0xdead, 0, 0, &vm));
	EXPECT_NE(0, vm);
	/* Destroying: flags, extensions, ids that name nothing. */
	EXPECT_EQ(-EINVAL, vm_control(self->fd, destroy, vm, 1, 0, NULL));
	EXPECT_EQ(-EINVAL, vm_control(self->fd, destroy, vm, 0, 1, NULL));
	EXPECT_EQ(-ENOENT, vm_control(self->fd, destroy, 0, 0, 0, NULL));
	EXPECT_EQ(-ENOENT, vm_control(self->fd, destroy, vm + 1, 0, 0, NULL));

	/* Two contexts given the address space share it; bad ids, sizes and contexts. */
	a = new_context(self->fd);
	b = new_context(self->fd);
	c = new_context(self->fd);
	ASSERT_EQ(0, context_set(self->fd, a, I915_CONTEXT_PARAM_VM, vm));
	ASSERT_EQ(0, context_set(self->fd, b, I915_CONTEXT_PARAM_VM, vm));
	EXPECT_EQ(-ENOENT, context_set(self->fd, c, I915_CONTEXT_PARAM_VM, vm + 1));
	EXPECT_EQ(-ENOENT, context_set(self->fd, c, I915_CONTEXT_PARAM_VM, vm | 1ull << 32));
	p.ctx_id = c;
	p.value = vm;
	p.size = 8;
	EXPECT_EQ(-EINVAL, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_SETPARAM, &p));
	EXPECT_EQ(-EINVAL, context_set(self->fd, 0, I915_CONTEXT_PARAM_VM, vm));
	/* Placed in a, the batch keeps its place in b; c has an address space of its own. */
	EXPECT_EQ(at, placed_at(self->fd, a, batch, at));
	EXPECT_EQ(at, placed_at(self->fd, b, batch, 0));
	EXPECT_EQ(0, placed_at(self->fd, c, batch, 0));
	/* Once used, a context keeps its address space. */
	EXPECT_EQ(-EINVAL, context_set(self->fd, a, I915_CONTEXT_PARAM_VM, vm));

	/* Reading the parameter names the address space anew each time. */
	p.ctx_id = a;
	p.size = 0;
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_GETPARAM, &p));
	named = p.value;
	EXPECT_NE(vm, named);
	ASSERT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_GETPARAM, &p));
	EXPECT_NE(named, p.value);
	EXPECT_EQ(0, vm_control(self->fd, destroy, p.value, 0, 0, NULL));
	/* The address space outlives its first id and its contexts. */
	EXPECT_EQ(0, vm_control(self->fd, destroy, vm, 0, 0, NULL));
	EXPECT_EQ(-ENOENT, vm_control(self->fd, destroy, vm, 0, 0, NULL));
	d.ctx_id = a;
	EXPECT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &d));
	d.ctx_id = b;
	EXPECT_EQ(0, do_ioctl(self->fd, DRM_IOCTL_I915_GEM_CONTEXT_DESTROY, &d));
	later = new_context(self->fd);
	ASSERT_EQ(0, context_set(self->fd, later, I915_CONTEXT_PARAM_VM, named));
	EXPECT_EQ(at, placed_at(self->fd, later, batch, 0));
	/* Closing the handle takes the batch out of every address space of the file. */
	gem_close(self->fd, batch);
	batch = gem_create(self->fd, 4096);
	ASSERT_EQ(0, gem_write(self->fd, batch, 0, &bbe, sizeof(bbe)));
	EXPECT_EQ(at, placed_at(self->fd, later, batch, at));
	gem_close(self->fd, batch);
	/* The file's close frees the rest: kmemleak checks it. */
}

TEST_HARNESS_MAIN

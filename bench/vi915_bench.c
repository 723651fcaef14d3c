// SPDX-License-Identifier: GPL-2.0
/*
 * vi915 benchmarks: each figure is a ratio of vi915 against a floor measured
 * in the same guest run (the kernel's gup_test, memcpy, a null ioctl, the
 * same loop without userptrs). Absolute numbers are printed, never judged;
 * every figure's line contains the word "ratio". Results also go, as JSON, to
 * the file named by the first argument.
 *
 * Every figure runs in each of ROUNDS interleaved rounds (figure 1, 2, ...,
 * then again); a ratio is reported as the median of its rounds with their
 * spread, and judged only when every round falls on the same side of its
 * target ("undecided" otherwise).
 *
 * Figures (see the README's benchmark section):
 *   1 first-use pin        execbuf on a fresh N MiB userptr / gup_test PIN_FAST, long-term
 *   2 steady state         execbuf+wait with a valid 1 GiB userptr / with 4 KiB
 *   3 notifier impact      malloc/free, mmap/munmap loops with 10,000 userptrs / none
 *   4 engine copy          memcpy 64 MiB time / XY_SRC_COPY_BLT 64 MiB time
 *   5 submission           empty execbuf+wait / GETPARAM; 2 threads / 1 thread, also
 *                          against GETPARAM's own 2 threads / 1
 *   6 invalidation         munmap covered by N userptrs: cost per userptr, N=10,000 / N=100
 *   7 dependency           execbuf+wait of B waiting for A's out-fence on the other engine /
 *                          the same pair without the dependency
 *   8 bounded unmap        munmap of a userptr whose request is queued behind another
 *                          client's spinner / (the unmap grace period + 10 ms)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

#include <mm/gup_test.h>

#include "../selftests/vi915/vi915_util.h"

#define MiB		(1024ull * 1024)
#define GiB		(1024 * MiB)
#define USERPTR_ADDR	0x100000000ull
#define SRC_ADDR	0x200000000ull
#define DST_ADDR	0x300000000ull
#define BATCH_ADDR	0x10000ull
#define FOLL_WRITE	1
#define FOLL_LONGTERM	0x100

#define ROUNDS		5
#define MAX_RATIOS	32

static int fd, card = -1;
static FILE *json;
static int first_figure = 1, round_no;
static char drop_caches[128];

/* One ratio's samples, a round each. */
static struct ratio_samples {
	int id, at_least;
	char what[96];
	double target, v[ROUNDS];
	int n;
} ratios[MAX_RATIOS];
static int nratios;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
	fprintf(stderr, "vi915_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Starts a figure's JSON object; fields follow with field(). */
static void figure_begin(int id, const char *name)
{
	fprintf(json, "%s\n    {\"figure\": %d, \"round\": %d, \"name\": \"%s\"",
		first_figure ? "" : ",", id, round_no, name);
	first_figure = 0;
}

static void field(const char *name, double value)
{
	fprintf(json, ", \"%s\": %.4f", name, value);
}

static void figure_end(void)
{
	fprintf(json, "}");
}

/*
 * Records this round's value of a ratio, vi915's figure over its floor, judged
 * against target (at most, or at least if at_least) once every round ran.
 */
static void ratio(int id, const char *what, double value, double target, int at_least)
{
	struct ratio_samples *r = NULL;
	int i;

	for (i = 0; i < nratios; i++)
		if (ratios[i].id == id && !strcmp(ratios[i].what, what))
			r = &ratios[i];
	if (!r) {
		if (nratios == MAX_RATIOS)
			die("too many ratios");
		r = &ratios[nratios++];
		*r = (struct ratio_samples){ .id = id, .at_least = at_least, .target = target };
		snprintf(r->what, sizeof(r->what), "%s", what);
	}
	if (r->n < ROUNDS)
		r->v[r->n++] = value;
	printf("fig%d %s: round %d ratio %.3f\n", id, what, round_no, value);
}

/* Prints and records every ratio: median, spread, and a verdict the spread allows. */
static void report_ratios(void)
{
	int i, j;

	for (i = 0; i < nratios; i++) {
		struct ratio_samples *r = &ratios[i];
		double v[ROUNDS], med, lo, hi;
		int met = 0;
		const char *verdict;

		memcpy(v, r->v, sizeof(v));
		med = median(v, r->n);
		lo = v[0];
		hi = v[r->n - 1];
		for (j = 0; j < r->n; j++)
			met += r->at_least ? r->v[j] >= r->target : r->v[j] <= r->target;
		verdict = met == r->n ? "met" : met == 0 ? "missed" : "undecided";
		printf("fig%d %s: ratio %.3f (median of %d, spread %.3f-%.3f; target %s %.2f: %s)\n",
		       r->id, r->what, med, r->n, lo, hi, r->at_least ? ">=" : "<=", r->target,
		       verdict);
		fprintf(json, "%s\n    {\"figure\": %d, \"ratio_of\": \"%s\", \"ratio\": %.4f, "
			"\"min\": %.4f, \"max\": %.4f, \"rounds\": %d, \"target\": %.2f, "
			"\"at_least\": %s, \"verdict\": \"%s\"}",
			first_figure ? "" : ",", r->id, r->what, med, lo, hi, r->n, r->target,
			r->at_least ? "true" : "false", verdict);
		first_figure = 0;
	}
}

/* Waits for the engines, purges/unpins what is idle and drains deferred unpinning. */
static void settle(void)
{
	write_file(drop_caches, "0x7f");
}

static uint32_t bbe_batch(void)
{
	uint32_t b[2] = { MI_BATCH_BUFFER_END, MI_NOOP };
	uint32_t h = gem_create(fd, 4096);

	if (!h || gem_write(fd, h, 0, b, sizeof(b)))
		die("batch");
	return h;
}

/* An execbuffer of an empty batch with the given objects before it. */
static int exec_with(uint32_t *handles, uint64_t *addrs, int n, uint32_t batch, uint32_t ctx)
{
	struct drm_i915_gem_exec_object2 objs[n + 1];
	struct drm_i915_gem_execbuffer2 eb;
	int i;

	for (i = 0; i < n; i++)
		obj_at(&objs[i], handles[i], addrs[i], 0);
	obj_at(&objs[n], batch, BATCH_ADDR, 0);
	eb = eb_for(objs, n + 1, I915_EXEC_RENDER, ctx);
	return execbuf(fd, &eb);
}

static void *map_populated(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/* Figure 1: pinning a fresh userptr in execbuf against the kernel's own pin benchmark. */
static void fig1_first_use_pin(void)
{
	static const int sizes[] = { 1, 16, 256 };
	int gup = open("/sys/kernel/debug/gup_test", O_RDWR);
	uint32_t batch = bbe_batch();
	unsigned int s;

	if (gup < 0)
		die("/sys/kernel/debug/gup_test (CONFIG_GUP_TEST)");
	for (s = 0; s < 3; s++) {
		uint64_t size = sizes[s] * MiB;
		int reps = sizes[s] >= 256 ? 3 : 7, r;
		double t_gup[7], t_exec[7], g, e;
		void *mem = map_populated(size);
		char what[64];

		/* Alternating the two keeps drifts of this noisy machine out of the ratio. */
		for (r = 0; r < reps; r++) {
			struct gup_test gt = {
				.addr = (uintptr_t)mem, .size = size,
				.nr_pages_per_call = size / 4096,
				/* The pin vi915 takes: pin_user_pages_fast(), long-term. */
				.gup_flags = FOLL_WRITE | FOLL_LONGTERM,
			};
			uint64_t addr = USERPTR_ADDR;
			uint32_t u;
			double t0;

			if (ioctl(gup, PIN_FAST_BENCHMARK, &gt))
				die("PIN_FAST_BENCHMARK");
			t_gup[r] = gt.get_delta_usec;
			if (userptr(fd, mem, size, 0, &u))
				die("userptr");
			t0 = now_us();
			if (exec_with(&u, &addr, 1, batch, 0))
				die("execbuf");
			t_exec[r] = now_us() - t0;
			gem_wait(fd, u, -1);
			gem_close(fd, u);
			settle();
		}
		g = median(t_gup, reps);
		e = median(t_exec, reps);
		printf("fig1 first-use pin %d MiB: execbuf %.0f us, gup_test PIN_FAST long-term %.0f us\n",
		       sizes[s], e, g);
		figure_begin(1, "first-use pin");
		field("mib", sizes[s]);
		field("execbuf_us", e);
		field("gup_pin_fast_us", g);
		figure_end();
		snprintf(what, sizeof(what), "first-use pin %d MiB, execbuf / gup_test long-term PIN_FAST",
			 sizes[s]);
		ratio(1, what, e / g, 1.10, 0);
		munmap(mem, size);
	}
	gem_close(fd, batch);
	close(gup);
}

/* Time of one execbuf + wait naming u, averaged over loops. */
static double exec_wait_us(uint32_t u, uint32_t batch, int loops)
{
	uint64_t addr = USERPTR_ADDR;
	double t0 = now_us();
	int i;

	for (i = 0; i < loops; i++) {
		if (exec_with(&u, &addr, 1, batch, 0))
			die("execbuf");
		gem_wait(fd, batch, -1);
	}
	return (now_us() - t0) / loops;
}

/* Figure 2: a valid userptr costs the same per submission whatever its size. */
static void fig2_steady_state(void)
{
	uint32_t batch = bbe_batch(), big, small;
	void *bmem = map_populated(GiB), *smem = map_populated(4096);
	double tb, ts, b[5], m[5];
	int r;

	if (userptr(fd, bmem, GiB, 0, &big) || userptr(fd, smem, 4096, 0, &small))
		die("userptr");
	/* First use pins; not timed. */
	exec_wait_us(big, batch, 1);
	exec_wait_us(small, batch, 1);
	for (r = 0; r < 5; r++) {
		b[r] = exec_wait_us(big, batch, 100);
		m[r] = exec_wait_us(small, batch, 100);
	}
	tb = median(b, 5);
	ts = median(m, 5);
	printf("fig2 steady state: execbuf+wait with a valid 1 GiB userptr %.1f us, 4 KiB %.1f us\n",
	       tb, ts);
	figure_begin(2, "steady state");
	field("gib_us", tb);
	field("kib_us", ts);
	figure_end();
	ratio(2, "steady-state execbuf+wait, 1 GiB userptr / 4 KiB userptr", tb / ts, 1.05, 0);
	gem_close(fd, big);
	gem_close(fd, small);
	gem_close(fd, batch);
	settle();
	munmap(bmem, GiB);
	munmap(smem, 4096);
}

/* Per-iteration time of malloc/free (mmap-backed sizes) or of mmap/munmap. */
static double loop_us(int use_mmap, int loops)
{
	double t[3], t0;
	int r, i;

	for (r = 0; r < 3; r++) {
		t0 = now_us();
		for (i = 0; i < loops; i++) {
			if (use_mmap) {
				char *p = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

				if (p == MAP_FAILED)
					die("mmap");
				p[0] = 1;
				munmap(p, 64 * 1024);
			} else {
				/* Above glibc's mmap threshold: every free unmaps. */
				volatile char *p = malloc(256 * 1024);

				if (!p)
					die("malloc");
				p[0] = 1;
				free((void *)p);
			}
		}
		t[r] = (now_us() - t0) / loops;
	}
	return median(t, 3);
}

/* Figure 3: 10,000 live userptrs must not slow unrelated memory management down. */
static void fig3_notifier_impact(void)
{
	const int n = 10000;
	uint64_t size = 64 * 1024;
	uint32_t *handles = calloc(n, sizeof(*handles));
	char *mem = mmap(NULL, n * size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	double mf0, mm0, mf1, mm1;
	int i;

	if (!handles || mem == MAP_FAILED)
		die("fig3 memory");
	mf0 = loop_us(0, 2000);
	mm0 = loop_us(1, 2000);
	for (i = 0; i < n; i++)
		if (userptr(fd, mem + i * size, size, 0, &handles[i]))
			die("userptr");
	mf1 = loop_us(0, 2000);
	mm1 = loop_us(1, 2000);
	printf("fig3 malloc/free: %.2f us with 0 userptrs, %.2f us with %d\n", mf0, mf1, n);
	printf("fig3 mmap/munmap: %.2f us with 0 userptrs, %.2f us with %d\n", mm0, mm1, n);
	figure_begin(3, "notifier impact");
	field("malloc_free_us_0", mf0);
	field("malloc_free_us_10000", mf1);
	field("mmap_munmap_us_0", mm0);
	field("mmap_munmap_us_10000", mm1);
	figure_end();
	ratio(3, "malloc/free with 10,000 userptrs / with none", mf1 / mf0, 1.05, 0);
	ratio(3, "mmap/munmap with 10,000 userptrs / with none", mm1 / mm0, 1.05, 0);
	for (i = 0; i < n; i++)
		gem_close(fd, handles[i]);
	munmap(mem, n * size);
	free(handles);
}

/* Figure 4: the engine's copy against the CPU's. */
static void fig4_engine_copy(void)
{
	const uint64_t size = 64 * MiB;
	const uint32_t pitch = 16384, rows = size / pitch;
	uint32_t b[] = {
		XY_SRC_COPY_BLT, 0x03cc0000 | pitch, 0,
		rows << 16 | pitch / 4, (uint32_t)DST_ADDR, DST_ADDR >> 32, 0, pitch,
		(uint32_t)SRC_ADDR, SRC_ADDR >> 32, MI_BATCH_BUFFER_END, MI_NOOP,
	};
	uint32_t src = gem_create(fd, size), dst = gem_create(fd, size), batch = gem_create(fd, 4096);
	uint32_t *smap = gem_mmap(fd, src, size), *dmap = gem_mmap(fd, dst, size);
	char *a = map_populated(size), *c = map_populated(size);
	struct drm_i915_gem_exec_object2 objs[3];
	struct drm_i915_gem_execbuffer2 eb;
	double tb[3], tm[3], t0, blit, cpu;
	uint64_t i;
	int r;

	if (!smap || !dmap || gem_write(fd, batch, 0, b, sizeof(b)))
		die("fig4 objects");
	/* The mappings keep both objects' page arrays: a pin does not look pages up again. */
	for (i = 0; i < size / 4; i++)
		smap[i] = (uint32_t)(i * 2654435761u);
	memset(dmap, 0, size);
	obj_at(&objs[0], src, SRC_ADDR, 0);
	obj_at(&objs[1], dst, DST_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[2], batch, BATCH_ADDR, 0);
	memset(a, 1, size);
	for (r = 0; r < 3; r++) {
		eb = eb_for(objs, 3, I915_EXEC_BLT, 0);
		t0 = now_us();
		if (execbuf(fd, &eb))
			die("blit execbuf");
		gem_wait(fd, dst, -1);
		tb[r] = now_us() - t0;
		t0 = now_us();
		memcpy(c, a, size);
		tm[r] = now_us() - t0;
		__asm__ volatile("" : : "r"(c) : "memory");
	}
	for (i = 0; i < size / 4; i += 4099)
		if (dmap[i] != (uint32_t)(i * 2654435761u))
			die("fig4: the blit copied wrong data");
	blit = median(tb, 3);
	cpu = median(tm, 3);
	printf("fig4 64 MiB copy: XY_SRC_COPY_BLT %.0f us (%.0f MiB/s), memcpy %.0f us (%.0f MiB/s)\n",
	       blit, 64 / blit * 1e6, cpu, 64 / cpu * 1e6);
	figure_begin(4, "engine copy");
	field("blit_us", blit);
	field("memcpy_us", cpu);
	figure_end();
	ratio(4, "engine copy throughput, XY_SRC_COPY_BLT / memcpy", cpu / blit, 0.8, 1);
	munmap(smap, size);
	munmap(dmap, size);
	munmap(a, size);
	munmap(c, size);
	gem_close(fd, src);
	gem_close(fd, dst);
	gem_close(fd, batch);
}

struct submitter {
	uint32_t ctx, batch;
	int loops;
	double us;
};

static void *submit_loop(void *arg)
{
	struct submitter *s = arg;
	double t0 = now_us();
	int i;

	for (i = 0; i < s->loops; i++) {
		if (exec_with(NULL, NULL, 0, s->batch, s->ctx))
			die("execbuf");
		gem_wait(fd, s->batch, -1);
	}
	s->us = now_us() - t0;
	return NULL;
}

/* Null ioctls in a loop, the floor of figure 5. */
static void *getparam_loop(void *arg)
{
	struct submitter *s = arg;
	double t0 = now_us();
	int i, v;

	for (i = 0; i < s->loops; i++)
		getparam(fd, I915_PARAM_CHIPSET_ID, &v);
	s->us = now_us() - t0;
	return NULL;
}

/* Runs fn on s[0], then on s[0] and s[1] in two threads; returns the throughput ratio. */
static double two_over_one(void *(*fn)(void *), struct submitter *s)
{
	pthread_t t[2];
	double one;
	int i;

	fn(&s[0]);
	one = s[0].loops / s[0].us;
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, fn, &s[i]);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return 2 * s[0].loops / (s[0].us > s[1].us ? s[0].us : s[1].us) / one;
}

static uint32_t context_create(void)
{
	struct drm_i915_gem_context_create c = {};

	if (do_ioctl(fd, DRM_IOCTL_I915_GEM_CONTEXT_CREATE, &c))
		die("context");
	return c.ctx_id;
}

/* Figure 5: what a submission costs over a system call, and how it scales. */
static void fig5_submission(void)
{
	const int loops = 1000;
	struct submitter s[2];
	double te[3], tg[3], t0, two, two_null, exec, null_ioctl;
	int r, i, v;

	s[0] = (struct submitter){ .ctx = context_create(), .batch = bbe_batch(), .loops = loops };
	s[1] = (struct submitter){ .ctx = context_create(), .batch = bbe_batch(), .loops = loops };
	for (r = 0; r < 3; r++) {
		t0 = now_us();
		for (i = 0; i < loops; i++)
			getparam(fd, I915_PARAM_CHIPSET_ID, &v);
		tg[r] = (now_us() - t0) / loops;
		submit_loop(&s[0]);
		te[r] = s[0].us / loops;
	}
	exec = median(te, 3);
	null_ioctl = median(tg, 3);
	/* Where the time goes: the ioctl, then the wait for the engine. */
	for (r = 0; r < 3; r++) {
		double t1, ioctl_us = 0, wait_us = 0;

		for (i = 0; i < loops / 10; i++) {
			t0 = now_us();
			if (exec_with(NULL, NULL, 0, s[0].batch, s[0].ctx))
				die("execbuf");
			t1 = now_us();
			gem_wait(fd, s[0].batch, -1);
			ioctl_us += t1 - t0;
			wait_us += now_us() - t1;
		}
		te[r] = ioctl_us / (loops / 10);
		tg[r] = wait_us / (loops / 10);
	}
	printf("fig5 empty execbuf+wait %.2f us (ioctl %.2f us, wait %.2f us), GETPARAM %.2f us\n",
	       exec, median(te, 3), median(tg, 3), null_ioctl);
	/* How two threads scale, against how null ioctls scale in the same guest. */
	for (r = 0; r < 3; r++) {
		struct submitter g[2] = { { .loops = 10 * loops }, { .loops = 10 * loops } };

		te[r] = two_over_one(submit_loop, s);
		tg[r] = two_over_one(getparam_loop, g);
	}
	two = median(te, 3);
	two_null = median(tg, 3);
	printf("fig5 2 threads / 1 (own contexts): submissions %.2f, GETPARAM %.2f\n", two,
	       two_null);
	figure_begin(5, "submission");
	field("execbuf_wait_us", exec);
	field("getparam_us", null_ioctl);
	field("two_over_one", two);
	field("getparam_two_over_one", two_null);
	figure_end();
	ratio(5, "empty execbuf+wait / GETPARAM", exec / null_ioctl, 5, 0);
	ratio(5, "throughput, 2 submitting threads / 1", two, 1.8, 1);
	ratio(5, "2-thread scaling, submissions / GETPARAM", two / two_null, 0.9, 1);
	gem_close(fd, s[0].batch);
	gem_close(fd, s[1].batch);
}

/*
 * Submits an empty batch on ring, after in_fence if >= 0; returns its out-fence.
 */
static int exec_fenced(uint32_t batch, uint64_t ring, int in_fence)
{
	struct drm_i915_gem_exec_object2 obj;
	struct drm_i915_gem_execbuffer2 eb;

	obj_at(&obj, batch, BATCH_ADDR, 0);
	eb = eb_for(&obj, 1, ring | I915_EXEC_FENCE_OUT, 0);
	if (in_fence >= 0) {
		eb.flags |= I915_EXEC_FENCE_IN;
		eb.rsvd2 = in_fence;
	}
	if (execbuf(fd, &eb))
		die("execbuf");
	return eb.rsvd2 >> 32;
}

/* Time of A on the blitter then B on the render engine, B after A's fence if dependent. */
static double pair_us(uint32_t a, uint32_t b, int dependent, int loops)
{
	double t0 = now_us();
	int i;

	for (i = 0; i < loops; i++) {
		int fa = exec_fenced(a, I915_EXEC_BLT, -1);
		int fb = exec_fenced(b, I915_EXEC_RENDER, dependent ? fa : -1);

		fence_wait(fb, -1);
		fence_wait(fa, -1);
		close(fa);
		close(fb);
	}
	return (now_us() - t0) / loops;
}

/* Figure 7: a request waiting for another engine's fence costs little more than one that does not. */
static void fig7_dependency(void)
{
	uint32_t a = bbe_batch(), b = bbe_batch();
	double dep[5], ind[5], d, n;
	int r;

	pair_us(a, b, 1, 10);
	for (r = 0; r < 5; r++) {
		dep[r] = pair_us(a, b, 1, 200);
		ind[r] = pair_us(a, b, 0, 200);
	}
	d = median(dep, 5);
	n = median(ind, 5);
	printf("fig7 A (bcs0) then B (rcs0): %.1f us with B waiting for A's out-fence, %.1f us without\n",
	       d, n);
	figure_begin(7, "dependency");
	field("dependent_us", d);
	field("independent_us", n);
	figure_end();
	ratio(7, "execbuf pair+wait, B after A's fence / independent", d / n, 2, 0);
	gem_close(fd, a);
	gem_close(fd, b);
}

/*
 * Figure 6: munmap of a range covered by n pinned, idle userptrs (one per
 * page); returns the median munmap time. Also measures, into *unrelated, an
 * munmap of a page no userptr covers while the n userptrs are alive.
 */
static double munmap_covered_us(int n, double *unrelated)
{
	uint32_t *handles = calloc(n, sizeof(*handles)), batch = bbe_batch();
	uint64_t *addrs = calloc(n, sizeof(*addrs));
	double t[1], u[101], t0;
	int r, i;

	if (!handles || !addrs)
		die("fig6 memory");
	for (r = 0; r < 1; r++) {
		char *mem = map_populated((uint64_t)n * 4096);

		for (i = 0; i < n; i++) {
			if (userptr(fd, mem + (uint64_t)i * 4096, 4096, 0, &handles[i]))
				die("userptr");
			addrs[i] = USERPTR_ADDR + (uint64_t)i * 4096;
		}
		/* Pin them all, then let the request finish: idle, pinned. */
		if (exec_with(handles, addrs, n, batch, 0))
			die("execbuf");
		gem_wait(fd, batch, -1);
		if (r == 0) {
			for (i = 0; i < 101; i++) {
				void *p = map_populated(4096);

				t0 = now_us();
				munmap(p, 4096);
				u[i] = now_us() - t0;
			}
			*unrelated = median(u, 101);
		}
		t0 = now_us();
		munmap(mem, (uint64_t)n * 4096);
		t[r] = now_us() - t0;
		for (i = 0; i < n; i++)
			gem_close(fd, handles[i]);
		settle();
	}
	gem_close(fd, batch);
	free(handles);
	free(addrs);
	return median(t, 1);
}

static void fig6_invalidation(void)
{
	static const int ns[] = { 1, 100, 10000 };
	double t[3], u[3];
	int i;

	for (i = 0; i < 3; i++) {
		t[i] = munmap_covered_us(ns[i], &u[i]);
		printf("fig6 munmap covered by %d userptrs: %.0f us (%.2f us per userptr); "
		       "unrelated munmap %.2f us\n", ns[i], t[i], t[i] / ns[i], u[i]);
		figure_begin(6, "invalidation");
		field("n", ns[i]);
		field("munmap_us", t[i]);
		field("unrelated_munmap_us", u[i]);
		figure_end();
	}
	/* O(k) in the userptrs hit: the cost per userptr does not grow with N. */
	ratio(6, "munmap cost per covering userptr, N=10000 / N=100",
	      (t[2] / ns[2]) / (t[1] / ns[1]), 1.5, 0);
	/* O(log N) in the userptrs not hit. */
	ratio(6, "munmap of an uncovered page, N=10000 / N=1", u[2] / u[0], 1.5, 0);
}

/* How long an unmap waits for a busy userptr's requests (UNMAP_GRACE_MS in userptr.rs). */
#define UNMAP_GRACE_MS	2000

/*
 * Figure 8: munmap of a userptr whose request waits behind another client's
 * spinner, of a higher priority, which never yields to it: the unmap waits its
 * grace period, then revokes the request and returns.
 */
static void fig8_bounded_unmap(void)
{
	int other = open_i915("renderD", 128), f;
	uint32_t *mem = map_populated(4096), up, batch;
	struct drm_i915_gem_exec_object2 objs[2];
	struct drm_i915_gem_execbuffer2 eb;
	struct spinner spin;
	double t0, ms;

	if (other < 0 || context_set(other, 0, I915_CONTEXT_PARAM_PRIORITY, 1023) ||
	    spin_start(other, &spin, 0, I915_EXEC_RENDER))
		die("fig8 spinner");
	if (userptr(fd, mem, 4096, 0, &up))
		die("userptr");
	batch = store_batch(fd, USERPTR_ADDR, 1);
	obj_at(&objs[0], up, USERPTR_ADDR, EXEC_OBJECT_WRITE);
	obj_at(&objs[1], batch, BATCH_ADDR, 0);
	eb = eb_for(objs, 2, I915_EXEC_RENDER | I915_EXEC_FENCE_OUT, 0);
	if (execbuf(fd, &eb))
		die("execbuf");
	f = eb.rsvd2 >> 32;
	t0 = now_us();
	munmap(mem, 4096);
	ms = (now_us() - t0) / 1000;
	if (fence_wait(f, 10000) != 1 || fence_status(f) != -EFAULT)
		die("fig8: the request was not revoked");
	spin_end(&spin);
	fence_wait(spin.fence, -1);
	printf("fig8 munmap of a userptr queued behind another client's spinner: %.1f ms "
	       "(grace %d ms)\n", ms, UNMAP_GRACE_MS);
	figure_begin(8, "bounded unmap");
	field("munmap_ms", ms);
	field("grace_ms", UNMAP_GRACE_MS);
	figure_end();
	ratio(8, "munmap behind a spinner / (grace + 10 ms)", ms / (UNMAP_GRACE_MS + 10), 1, 0);
	close(f);
	gem_close(fd, batch);
	gem_close(fd, up);
	spin_free(other, &spin);
	close(other);
}

/* The figures, in their order: figure N is figures[N - 1]. */
static void (*const figures[])(void) = {
	fig1_first_use_pin, fig2_steady_state, fig3_notifier_impact, fig4_engine_copy,
	fig5_submission, fig6_invalidation, fig7_dependency, fig8_bounded_unmap,
};

int main(int argc, char **argv)
{
	const char *only = argc > 2 ? argv[2] : "12345678";
	unsigned int i;

	if (argc < 2) {
		fprintf(stderr, "usage: vi915_bench RESULTS.json [FIGURES]\n");
		return 2;
	}
	fd = open_i915("renderD", 128);
	card = open_i915("card", 0);
	if (fd < 0 || card < 0)
		die("no i915 device");
	debugfs_path(card, "i915_gem_drop_caches", drop_caches, sizeof(drop_caches));
	json = fopen(argv[1], "w");
	if (!json)
		die(argv[1]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("guest: %ld vCPUs\n", sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(json, "{\"vcpus\": %ld, \"results\": [", sysconf(_SC_NPROCESSORS_ONLN));
	for (round_no = 0; round_no < ROUNDS; round_no++) {
		printf("round %d\n", round_no);
		for (i = 0; i < sizeof(figures) / sizeof(figures[0]); i++)
			if (strchr(only, '1' + i))
				figures[i]();
	}
	report_ratios();
	fprintf(json, "\n]}\n");
	fclose(json);
	return 0;
}

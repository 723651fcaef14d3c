// SPDX-License-Identifier: GPL-2.0
/*
 * Reads the census trinity_census.so kept of trinity's ioctls on DRM device
 * files (make stress) and prints its figures: the calls, the answers by
 * errno, and how many answers i915 would never give. Exits non-zero if there
 * is any such answer or the census is unreadable.
 */
#include "trinity_census.h"
#include "vi915_util.h"

int main(int argc, char **argv)
{
	unsigned long long bad = 0;
	struct census c;
	FILE *f;
	int e;

	if (argc != 2 || !(f = fopen(argv[1], "r")) || fread(&c, sizeof(c), 1, f) != 1) {
		fprintf(stderr, "usage: trinity_report CENSUS (a census trinity_census.so wrote)\n");
		return 2;
	}
	fclose(f);
	printf("# trinity ioctls on the device: %llu\n", (unsigned long long)c.calls);
	for (e = 0; e < NR_ERRNOS; e++) {
		if (!c.answers[e])
			continue;
		/* The VFS answers ENOTTY to its own commands on any device file, i915's too. */
		if (e && e != ENOTTY && !i915_errno(e))
			bad += c.answers[e];
		printf("#   %s: %llu\n", e ? strerror(e) : "success",
		       (unsigned long long)c.answers[e]);
	}
	printf("# trinity errnos outside i915's set: %llu\n", bad);
	return bad ? 1 : 0;
}

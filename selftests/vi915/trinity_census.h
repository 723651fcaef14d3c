/* SPDX-License-Identifier: GPL-2.0 */
/* The census of trinity's ioctls on DRM device files (trinity_census.so). */
#ifndef TRINITY_CENSUS_H
#define TRINITY_CENSUS_H

#include <stdint.h>

#define NR_ERRNOS	4096

/* answers[0]: successes; answers[e]: failures with errno e (the last: larger ones). */
struct census {
	uint64_t calls;
	uint64_t answers[NR_ERRNOS];
};

#endif

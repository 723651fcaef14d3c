// SPDX-License-Identifier: GPL-2.0
/*
 * The `make run` demo: opens every DRM device, and for the one that answers
 * as i915 prints what DRM_IOCTL_VERSION and I915_GETPARAM say.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/i915_drm.h>

static const struct {
	int param;
	const char *name;
} params[] = {
	{ I915_PARAM_CHIPSET_ID, "CHIPSET_ID" },
	{ I915_PARAM_REVISION, "REVISION" },
	{ I915_PARAM_HAS_GEM, "HAS_GEM" },
	{ I915_PARAM_HAS_LLC, "HAS_LLC" },
	{ I915_PARAM_HAS_GPU_RESET, "HAS_GPU_RESET" },
	{ I915_PARAM_CMD_PARSER_VERSION, "CMD_PARSER_VERSION" },
	{ I915_PARAM_HAS_EXECBUF2, "HAS_EXECBUF2" },
	{ I915_PARAM_MMAP_GTT_VERSION, "MMAP_GTT_VERSION" },
	{ I915_PARAM_EU_TOTAL, "EU_TOTAL" },
	{ 0, "(param 0)" },
};

int main(void)
{
	char path[32], name[32], date[32], desc[128];
	int found = 0;

	for (int i = 0; i < 16; i++) {
		struct drm_version v = {
			.name = name, .name_len = sizeof(name) - 1,
			.date = date, .date_len = sizeof(date) - 1,
			.desc = desc, .desc_len = sizeof(desc) - 1,
		};
		int fd;

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		memset(date, 0, sizeof(date));
		memset(desc, 0, sizeof(desc));
		if (ioctl(fd, DRM_IOCTL_VERSION, &v)) {
			close(fd);
			continue;
		}
		printf("%s: driver \"%s\" %d.%d.%d, \"%s\"\n", path, name, v.version_major,
		       v.version_minor, v.version_patchlevel, desc);
		if (strcmp(name, "i915")) {
			close(fd);
			continue;
		}
		found = 1;
		for (unsigned int p = 0; p < sizeof(params) / sizeof(params[0]); p++) {
			int value = 0;
			struct drm_i915_getparam gp = { .param = params[p].param, .value = &value };

			if (ioctl(fd, DRM_IOCTL_I915_GETPARAM, &gp))
				printf("  GETPARAM %-20s -> %s\n", params[p].name, strerror(errno));
			else
				printf("  GETPARAM %-20s = %d (0x%x)\n", params[p].name, value, value);
		}
		close(fd);
	}
	if (!found)
		printf("no DRM device answers as i915\n");
	return found ? 0 : 1;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Opens the vi915 device as i915 userspace does and checks DRM_IOCTL_VERSION,
 * I915_GETPARAM, the ioctl table's bad-input answers and the debugfs files IGT
 * relies on. The harness loads vi915 with i915_name=1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/i915_drm.h>

#include "kselftest_harness.h"
#include "vi915_util.h"

#define ENOTSUPP 524

FIXTURE(vi915) {
	int card;
	int render;
	char reset[128];
	char hangcheck[128];
};

FIXTURE_SETUP(vi915)
{
	self->card = open_i915("card", 0);
	self->render = open_i915("renderD", 128);
	ASSERT_GE(self->card, 0) TH_LOG("no DRM device named i915");
	ASSERT_GE(self->render, 0) TH_LOG("no render node named i915");
	debugfs_path(self->card, "i915_params/reset", self->reset, sizeof(self->reset));
	debugfs_path(self->card, "i915_params/enable_hangcheck", self->hangcheck,
		     sizeof(self->hangcheck));
}

FIXTURE_TEARDOWN(vi915)
{
	/* i915's defaults, for whatever runs next in this boot. */
	write_file(self->reset, "3");
	write_file(self->hangcheck, "Y");
	close(self->card);
	close(self->render);
}

TEST_F(vi915, version)
{
	char name[32] = {}, desc[64] = {};
	struct drm_version v = {
		.name = name, .name_len = sizeof(name) - 1,
		.desc = desc, .desc_len = sizeof(desc) - 1,
	};

	ASSERT_EQ(0, ioctl(self->render, DRM_IOCTL_VERSION, &v));
	EXPECT_STREQ("i915", name);
	EXPECT_EQ(1, v.version_major);
	EXPECT_EQ(6, v.version_minor);
	EXPECT_LT(0, (int)strlen(desc));
}

TEST_F(vi915, getparam_device_facts)
{
	int value = -1;

	ASSERT_EQ(0, getparam(self->render, I915_PARAM_CHIPSET_ID, &value));
	EXPECT_EQ(0x1616, value);
	ASSERT_EQ(0, getparam(self->render, I915_PARAM_HAS_LLC, &value));
	EXPECT_EQ(1, value);
	ASSERT_EQ(0, getparam(self->render, I915_PARAM_CMD_PARSER_VERSION, &value));
	EXPECT_EQ(0, value);
	ASSERT_EQ(0, getparam(self->render, I915_PARAM_CS_TIMESTAMP_FREQUENCY, &value));
	EXPECT_EQ(12500000, value);
}

TEST_F(vi915, getparam_errnos)
{
	int value = 0x5a5a;

	EXPECT_EQ(-EINVAL, getparam(self->render, 0, &value));
	EXPECT_EQ(-EINVAL, getparam(self->render, -1, &value));
	EXPECT_EQ(-EINVAL, getparam(self->render, 100000, &value));
	EXPECT_EQ(-ENODEV, getparam(self->render, I915_PARAM_IRQ_ACTIVE, &value));
	EXPECT_EQ(-ENODEV, getparam(self->render, I915_PARAM_HUC_STATUS, &value));
	/* A failed query leaves the value alone. */
	EXPECT_EQ(0x5a5a, value);
	EXPECT_EQ(-EFAULT, getparam(self->render, I915_PARAM_CHIPSET_ID, (int *)8));
	/* A Broadwell GT2's EUs: three subslices of eight. */
	EXPECT_EQ(0, getparam(self->render, I915_PARAM_EU_TOTAL, &value));
	EXPECT_EQ(24, value);
}

TEST_F(vi915, ioctl_table)
{
	struct drm_intel_sprite_colorkey key = {};
	struct drm_i915_getparam gp = {};

	/* 0x10 and 0x12 are holes in i915's table. */
	EXPECT_EQ(-1, ioctl(self->render, DRM_IOWR(DRM_COMMAND_BASE + 0x10, gp), &gp));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->render, DRM_IOWR(DRM_COMMAND_BASE + 0x12, gp), &gp));
	EXPECT_EQ(EINVAL, errno);
	/* Past the end of the table. */
	EXPECT_EQ(-1, ioctl(self->render, DRM_IOWR(DRM_COMMAND_BASE + 0x3d, gp), &gp));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, ioctl(self->render, DRM_IOCTL_I915_GEM_THROTTLE));
	/* Legacy ioctls are not for render nodes. */
	EXPECT_EQ(-1, ioctl(self->render, DRM_IOCTL_I915_FLUSH));
	EXPECT_EQ(EACCES, errno);
	/* There is no OA unit. */
	EXPECT_EQ(-1, ioctl(self->render, DRM_IOCTL_I915_PERF_REMOVE_CONFIG, &(__u64){ 1 }));
	EXPECT_EQ(ENOTSUPP, errno);
	/* No display: no overlay, no planes, no CRTC. */
	EXPECT_EQ(-1, ioctl(self->card, DRM_IOCTL_I915_OVERLAY_ATTRS,
			    &(struct drm_intel_overlay_attrs){}));
	EXPECT_EQ(ENODEV, errno);
	key.flags = I915_SET_COLORKEY_DESTINATION | I915_SET_COLORKEY_SOURCE;
	EXPECT_EQ(-1, ioctl(self->card, DRM_IOCTL_I915_SET_SPRITE_COLORKEY, &key));
	EXPECT_EQ(EINVAL, errno);
	key = (struct drm_intel_sprite_colorkey){ .plane_id = 1, .flags = I915_SET_COLORKEY_NONE };
	EXPECT_EQ(-1, ioctl(self->card, DRM_IOCTL_I915_SET_SPRITE_COLORKEY, &key));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, ioctl(self->card, DRM_IOCTL_I915_GET_PIPE_FROM_CRTC_ID,
			    &(struct drm_i915_get_pipe_from_crtc_id){ .crtc_id = 1 }));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(vi915, drop_caches)
{
	char path[128], buf[64];

	debugfs_path(self->card, "i915_gem_drop_caches", path, sizeof(path));
	ASSERT_EQ(0, read_file(path, buf, sizeof(buf)));
	EXPECT_STREQ("0x000003ff\n", buf);
	/* What IGT writes at open, when quiescing and when purging. */
	EXPECT_EQ(0, write_file(path, "0x1dc"));
	EXPECT_EQ(0, write_file(path, "0x5c"));
	EXPECT_EQ(0, write_file(path, "0x70"));
	EXPECT_EQ(-EINVAL, write_file(path, "junk"));
}

TEST_F(vi915, params)
{
	char buf[64];
	int value = -1;

	ASSERT_EQ(0, read_file(self->reset, buf, sizeof(buf)));
	EXPECT_STREQ("3\n", buf);
	/* IGT writes -1 as %u, and INT_MAX; i915 also takes booleans. */
	EXPECT_EQ(0, write_file(self->reset, "4294967295"));
	ASSERT_EQ(0, read_file(self->reset, buf, sizeof(buf)));
	EXPECT_STREQ("4294967295\n", buf);
	EXPECT_EQ(0, write_file(self->reset, "Y"));
	ASSERT_EQ(0, read_file(self->reset, buf, sizeof(buf)));
	EXPECT_STREQ("1\n", buf);
	EXPECT_EQ(-EINVAL, write_file(self->reset, "4294967296"));

	EXPECT_EQ(0, write_file(self->hangcheck, "0"));
	ASSERT_EQ(0, read_file(self->hangcheck, buf, sizeof(buf)));
	EXPECT_STREQ("N\n", buf);
	EXPECT_EQ(-EINVAL, write_file(self->hangcheck, "maybe"));

	/* There is no engine reset yet, whatever the parameters say. */
	ASSERT_EQ(0, getparam(self->render, I915_PARAM_HAS_GPU_RESET, &value));
	EXPECT_EQ(0, value);
}

TEST_HARNESS_MAIN

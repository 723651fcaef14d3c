// SPDX-License-Identifier: GPL-2.0

#include <drm/drm_exec.h>

__rust_helper bool rust_helper_drm_exec_is_contended(struct drm_exec *exec)
{
	return drm_exec_is_contended(exec);
}

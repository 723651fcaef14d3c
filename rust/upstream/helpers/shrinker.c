// SPDX-License-Identifier: GPL-2.0

#include <linux/memcontrol.h>
#include <linux/shrinker.h>

__rust_helper int rust_helper_shrinker_id(struct shrinker *shrinker)
{
	return shrinker_id(shrinker);
}

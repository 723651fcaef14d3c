#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make run`: boots the guest with vi915 loaded and runs the demo.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/guest.sh" "$OUT/run" /vi915/vi915_demo "$OUT/demo/vi915_demo"

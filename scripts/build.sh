#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds everything a guest run needs: build root, guest rootfs, the debug
# kernel with vi915 as a module, and the selftests. With --clippy, the kernel
# crate and the driver are rebuilt under clippy and any warning fails.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/buildroot.sh"
"$TOP/scripts/rootfs.sh"
"$TOP/scripts/kernel.sh" debug bzImage modules headers
"$TOP/scripts/selftests.sh"
if [ "${1:-}" = --clippy ]; then
	# The kernel crate (with the patches' additions) and the driver.
	rm -f "$OBJ/debug/rust/kernel.o" "$OBJ/debug/drivers/gpu/drm/vi915/vi915.o"
	# kernel.sh fails on any warning, clippy's included.
	"$TOP/scripts/kernel.sh" debug CLIPPY=1 rust/kernel.o drivers/gpu/drm/vi915/vi915.o
	log "clippy clean"
fi

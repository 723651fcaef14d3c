#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make oldest`: builds the kernel crate (with the series' additions) and the
# driver on the oldest toolchain the ranges allow (trixie's own rustc 1.85.1),
# plain and under clippy, and fails on any warning. It uses a cache of its own,
# $VI915_CACHE-oldest, so the main build root keeps its toolchain and objects.
if [ -z "${VI915_OLDEST:-}" ]; then
	export VI915_OLDEST=1 VI915_RUST_MAX=${VI915_RUST_MAX:-1.85.99}
	export VI915_CACHE=${VI915_CACHE:-/var/cache/vi915}-oldest
	exec "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

objs=(rust/kernel.o drivers/gpu/drm/vi915/vi915.o)
"$TOP/scripts/kernel.sh" debug "${objs[@]}"
rm -f "${objs[@]/#/$OBJ/debug/}"
"$TOP/scripts/kernel.sh" debug CLIPPY=1 "${objs[@]}"
log "oldest toolchain: $(grep '^rustc:' "$OUT/toolchain-debug.txt")"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds selftests/ (into out/selftests/) and demo/ (into out/demo/) in the
# build root against the debug kernel's uAPI headers.
. "$(dirname "$0")/lib.sh"

[ -d "$OBJ/debug/usr/include/drm" ] || die "no installed kernel headers; run scripts/kernel.sh debug headers"
build() { # dir-in-repo output-dir
	mkdir -p "$OUT/$2"
	in_buildroot make -s -C "/top/$1" OUTPUT="/top/out/$2" CC=gcc \
		KHDR=/cache/obj/debug/usr/include KSELFTEST=/cache/linux-src/tools/testing/selftests ||
		die "$1 does not build"
}
for dir in "$TOP"/selftests/*/; do
	build "selftests/$(basename "$dir")" selftests
done
build demo demo

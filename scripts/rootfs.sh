#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Creates the guest root file system: Debian sid with IGT's i915 tests and
# trinity (make stress). The guest mounts it read-only over 9p;
# scripts/guest-stub-init is its init.
. "$(dirname "$0")/lib.sh"

STAMP=$ROOTFS/.vi915-rootfs-v2
if [ ! -e "$STAMP" ]; then
	# A root file system of another version is made again.
	rm -f "$ROOTFS/.vi915-debootstrapped"
	debootstrap_into sid "$ROOTFS" --include=kmod,igt-gpu-tools,igt-gpu-tools-tests,trinity
	mkdir -p "$ROOTFS/vi915"
	rm -rf "$ROOTFS/var/cache/apt/archives"/*.deb
	chroot "$ROOTFS" dpkg-query -W igt-gpu-tools-tests libdrm2 libc6 trinity \
		>"$ROOTFS/vi915.versions"
	touch "$STAMP"
	log "guest rootfs ready: $(tr '\n' ' ' <"$ROOTFS/vi915.versions")"
fi
# The init stub follows the repository's copy.
cmp -s "$TOP/scripts/guest-stub-init" "$ROOTFS/sbin/vi915-init" ||
	install -m 0755 "$TOP/scripts/guest-stub-init" "$ROOTFS/sbin/vi915-init"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Creates the guest root file system: Debian sid with IGT's i915 tests.
# The guest mounts it read-only over 9p; scripts/guest-stub-init is its init.
. "$(dirname "$0")/lib.sh"

STAMP=$ROOTFS/.vi915-rootfs-v1
[ -e "$STAMP" ] && exit 0

host_need debootstrap debootstrap
log "debootstrapping sid guest rootfs into $ROOTFS"
rm -rf "$ROOTFS"
mkdir -p "$CACHE"
debootstrap --variant=minbase --include=kmod,igt-gpu-tools,igt-gpu-tools-tests \
	sid "$ROOTFS" "$MIRROR" >"$CACHE/debootstrap-rootfs.log" 2>&1 ||
	die "debootstrap failed, see $CACHE/debootstrap-rootfs.log"
install -m 0755 "$TOP/scripts/guest-stub-init" "$ROOTFS/sbin/vi915-init"
mkdir -p "$ROOTFS/vi915"
rm -rf "$ROOTFS/var/cache/apt/archives"/*.deb
chroot "$ROOTFS" dpkg-query -W igt-gpu-tools-tests libdrm2 libc6 >"$ROOTFS/vi915.versions"
touch "$STAMP"
log "guest rootfs ready: $(tr '\n' ' ' <"$ROOTFS/vi915.versions")"

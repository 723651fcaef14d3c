#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Creates the Debian trixie build root (clang/LLVM, rustc, bindgen, linux-source-7.3).
. "$(dirname "$0")/lib.sh"

STAMP=$BUILDROOT/.vi915-buildroot-v2
[ -e "$STAMP" ] && exit 0

debootstrap_into trixie "$BUILDROOT"
echo "deb $MIRROR trixie-backports main" >"$BUILDROOT/etc/apt/sources.list.d/backports.list"
echo 'Acquire::Check-Valid-Until "false";' >"$BUILDROOT/etc/apt/apt.conf.d/99vi915"
# The Rust toolchain and the kernel source come from trixie-backports, the rest from trixie.
cat >"$BUILDROOT/etc/apt/preferences.d/vi915" <<PREF
Package: rustc rustfmt rust-clippy rust-src libstd-rust-* linux-source-7.3
Pin: release n=trixie-backports
Pin-Priority: 990
PREF
in_buildroot apt-get update -qq
in_buildroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	gcc libc6-dev make flex bison bc libelf-dev libssl-dev python3 cpio kmod xz-utils \
	clang lld llvm bindgen ccache python3-sphinx \
	"rustc=$RUSTC_VERSION" "rust-src=$RUSTC_VERSION" "rustfmt=$RUSTC_VERSION" \
	"rust-clippy=$RUSTC_VERSION" "linux-source-7.3=$LINUX_SOURCE_VERSION" \
	>"$CACHE/apt-buildroot.log" 2>&1 || die "apt-get failed, see $CACHE/apt-buildroot.log"
in_buildroot apt-get clean
touch "$STAMP"
log "build root ready"

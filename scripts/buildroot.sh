#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Creates the Debian trixie build root: clang/LLVM, rustc, bindgen and
# linux-source-7.3, at the newest versions in vi915's ranges that trixie and
# trixie-backports serve (scripts/toolchain.sh). What was installed is kept in
# $BUILDROOT/.vi915-toolchain; a build root made for other ranges is updated.
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/toolchain.sh"

record=$BUILDROOT/.vi915-toolchain
[ -e "$record" ] && [ "$(head -1 "$record")" = "$TOOLCHAIN_SPEC" ] && exit 0

debootstrap_into trixie "$BUILDROOT"
echo "deb $MIRROR trixie-backports main" >"$BUILDROOT/etc/apt/sources.list.d/backports.list"
# Stale Release files are accepted; their signatures are still checked.
echo 'Acquire::Check-Valid-Until "false";' >"$BUILDROOT/etc/apt/apt.conf.d/99vi915"
rm -f "$BUILDROOT/etc/apt/preferences.d/vi915"
log "choosing the toolchain: $TOOLCHAIN_SPEC"
choose_toolchain "$CACHE/apt-update.log"
apt_preferences "${chosen[@]}" >"$BUILDROOT/etc/apt/preferences.d/vi915"
log "installing: ${chosen[*]}"
# shellcheck disable=SC2086
in_buildroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	--no-install-recommends --allow-downgrades $BUILDROOT_PKGS "${chosen[@]}" \
	>"$CACHE/apt-buildroot.log" 2>&1 || {
	tail -20 "$CACHE/apt-buildroot.log" >&2
	die "apt-get install failed, see $CACHE/apt-buildroot.log"
}
in_buildroot apt-get clean
{
	echo "$TOOLCHAIN_SPEC"
	printf '%s\n' "${chosen[@]}"
} >"$record"
log "build root ready"

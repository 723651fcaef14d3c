#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make guard`, run by .ci/run before make check: would a fresh machine build
# today? A warm cache hides a moved archive, so this asks the archive again:
#  1. resolves the toolchain's ranges against trixie and trixie-backports as
#     they are now, simulates installing the result and checks that every
#     package it would download is there;
#  2. downloads the linux-source-7.3 a fresh machine would get, extracts the
#     files the series touches into a scratch directory and applies the whole
#     series there, then runs checkpatch --strict on every patch (no errors);
#  3. checks that sid still serves the IGT the guest rootfs installs.
# Fails, saying what and why, when any of this would fail on a new machine.
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/toolchain.sh"
. "$TOP/scripts/series.sh"

start=$(date +%s)
scratch=$CACHE/guard
"$TOP/scripts/buildroot.sh"
rm -rf "$scratch"
mkdir -p "$scratch/src" "$scratch/none"

# 1. The toolchain, chosen as a fresh build root would choose it.
log "guard: updating the build root's package lists"
choose_toolchain "$scratch/apt-update.log"
log "guard: a fresh build root would install ${chosen[*]}"
# Only these preferences, not the installed build root's.
apt_preferences "${chosen[@]}" >"$scratch/preferences"
apt_fresh=(-o Dir::Etc::Preferences=/cache/guard/preferences
	-o Dir::Etc::PreferencesParts=/cache/guard/none)
# shellcheck disable=SC2086
in_buildroot apt-get "${apt_fresh[@]}" install -s --allow-downgrades --no-install-recommends \
	$BUILDROOT_PKGS "${chosen[@]}" >"$scratch/simulate.log" 2>&1 || {
	tail -20 "$scratch/simulate.log" >&2
	die "guard: installing the chosen toolchain would fail"
}
# Every package a fresh install downloads must be on the mirror now.
in_buildroot apt-get "${apt_fresh[@]}" download --print-uris "${chosen[@]}" \
	>"$scratch/uris" 2>&1 || { cat "$scratch/uris" >&2; die "guard: apt cannot locate a chosen package"; }
missing=0
while read -r uri _; do
	uri=${uri//\'/}
	curl -sfI -o /dev/null "$uri" || { log "guard: not on the mirror: $uri"; missing=1; }
done <"$scratch/uris"
[ $missing = 0 ] || die "guard: the archive lists packages its mirror does not serve"

# 2. The series against the source a fresh machine would get.
source_pv=$(printf '%s\n' "${chosen[@]}" | grep "^$KERNEL_SOURCE_PKG=")
# Always downloaded: apt checks it against the signed Release, as on a new machine.
log "guard: downloading $source_pv"
in_buildroot sh -c "cd /cache/guard && apt-get download -q '$source_pv'" \
	>"$scratch/download.log" 2>&1 || {
	cat "$scratch/download.log" >&2
	die "guard: cannot download $source_pv"
}
dpkg-deb --fsys-tarfile "$scratch"/"$KERNEL_SOURCE_PKG"_*.deb |
	tar -x -C "$scratch" ".$LINUX_SOURCE_TARBALL"
tarball=$scratch$LINUX_SOURCE_TARBALL
mapfile -t files < <(series_files "$TOP"/patches/*.patch)
log "guard: extracting the ${#files[@]} files the series touches from ${source_pv#*=}"
checkpatch=(scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch)
extract_pristine "$tarball" "$scratch/src" scripts/min-tool-version.sh "${checkpatch[@]}" \
	"${files[@]}"
while read -r p; do
	apply_patch "$scratch/src" "$TOP/patches/$p"
done <"$TOP/patches/series"
log "guard: the series applies ($(wc -l <"$TOP/patches/series") patches)"
# As reviewers would check it: checkpatch --strict finds no error in any patch
# (its warnings are left to the note that sends the series).
mkdir -p "$scratch/patches"
cp "$TOP"/patches/*.patch "$scratch/patches/"
# It exits 0 on a clean patch, else 1 after a "total: N errors, ..." line; any
# other outcome (checkpatch itself failing) fails too.
errors=0
while read -r p; do
	out=$(in_buildroot perl /cache/guard/src/scripts/checkpatch.pl --strict --no-tree \
		--terse --show-types "/cache/guard/patches/$p" 2>&1) && continue
	grep -q '^total: 0 errors, ' <<<"$out" && continue
	printf '%s\n' "$out" | grep -v ': \(WARNING\|CHECK\):' >&2 || true
	errors=1
done <"$TOP/patches/series"
[ $errors = 0 ] || die "guard: checkpatch --strict reports errors in the series"
log "guard: checkpatch --strict reports no error in the series"
# The ranges' minima are the kernel's.
for tool in rustc bindgen llvm; do
	min=$(cd "$scratch/src" && sh scripts/min-tool-version.sh "$tool")
	case $tool in
	rustc) want=$RUST_MIN ;;
	bindgen) want=$BINDGEN_MIN ;;
	llvm) want=$LLVM_MIN ;;
	esac
	version_le "$min" "$want" ||
		die "guard: scripts/toolchain.sh allows $tool $want, but this kernel needs $min"
done

# 3. The guest's IGT and trinity in sid.
sid=(-o Dir::Etc::SourceList=/cache/guard/sid.list -o Dir::Etc::SourceParts=/cache/guard/none
	-o Dir::State::Lists=/cache/guard/sid-lists -o Dir::Cache=/cache/guard/sid-cache)
mkdir -p "$scratch/sid-lists/partial" "$scratch/sid-cache/archives/partial"
echo "deb $MIRROR sid main" >"$scratch/sid.list"
in_buildroot apt-get "${sid[@]}" update -qq >"$scratch/sid-update.log" 2>&1 ||
	die "guard: apt-get update of sid failed, see $scratch/sid-update.log"
igt=$(in_buildroot apt-cache "${sid[@]}" show --no-all-versions igt-gpu-tools-tests 2>/dev/null |
	sed -n 's/^Version: //p')
[ -n "$igt" ] || die "guard: sid no longer serves igt-gpu-tools-tests"
written=$(sed -n 's/^#\s*igt-version:\s*//p' "$TOP/igt/expectations.txt")
if [ "$igt" = "$written" ]; then
	log "guard: sid serves igt-gpu-tools-tests $igt, as igt/expectations.txt expects"
else
	log "guard: note: sid serves igt-gpu-tools-tests $igt; igt/expectations.txt was written for $written (a fresh guest gets $igt; make check lists what moved)"
fi
trinity=$(in_buildroot apt-cache "${sid[@]}" show --no-all-versions trinity 2>/dev/null |
	sed -n 's/^Version: //p')
[ -n "$trinity" ] || die "guard: sid no longer serves trinity (make stress's fuzzer)"
log "guard: sid serves trinity $trinity"
rm -rf "$scratch/src" "$scratch"/*.deb "$scratch/usr"
log "guard: passed in $(($(date +%s) - start)) s"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bisect`: does the tree build after every patch of the series, as
# `git bisect` would need it to? On a pristine linux-source-7.3 tree of its
# own ($VI915_CACHE/bisect), configured as the debug build plus everything
# the driver selects, it applies patches/ one at a time and after each builds
# the kernel crate (rust/kernel.o, its KUnit tests included), the C helpers
# and every C file the patch changes, under clippy; after the last it builds
# the driver (drivers/gpu/drm/vi915/vi915.o) and the crate's doctests too.
# Any error, or any warning in a file the series or the driver touches, fails
# the check, naming the patch. It takes about a minute and a half a patch on
# 2 cores, which is why CI does not run it.
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/series.sh"
. "$TOP/scripts/toolchain.sh"
. "$TOP/scripts/kbuild.sh"

"$TOP/scripts/buildroot.sh"
start=$(date +%s)
tree=bisect/src
objdir=bisect/obj
src=$CACHE/$tree
obj=$CACHE/$objdir
mapfile -t series <"$TOP/patches/series"

# The pristine tree, and the driver beside it: kbuild sees the driver only
# once the last patch hooks drivers/gpu/drm/vi915 into the build.
log "bisect: pristine linux-source-7.3 into $src"
rm -rf --one-file-system "$src"
mkdir -p "$src" "$obj"
tar -xf "$BUILDROOT$LINUX_SOURCE_TARBALL" -C "$src" --strip-components=1
mkdir -p "$src/drivers/gpu/drm/vi915"
cp "$TOP/Kconfig" "$src/drivers/gpu/drm/vi915/Kconfig"
cp -r "$TOP/rust/vi915/." "$src/drivers/gpu/drm/vi915/"

# The debug configuration, with what the driver selects built in, so that the
# abstractions it uses are compiled before the driver exists. Most of those
# symbols have no prompt, which a fragment cannot set: a symbol of the
# bisect's own, which no patch touches, selects them under the driver's
# dependencies, from the first patch on.
{
	echo 'config VI915_BISECT_SELECTS'
	printf '\tdef_bool y\n'
	sed -n '/^\t\(depends on\|select\) /p' "$TOP/Kconfig"
} >"$src/Kconfig.bisect"
echo 'source "Kconfig.bisect"' >>"$src/Kconfig"
{
	cat "$TOP/configs/base.config" "$TOP/configs/debug.config"
	sed -n 's/^\tselect \([A-Z0-9_]*\)$/CONFIG_\1=y/p' "$TOP/Kconfig"
} >"$obj/bisect.config"
configure() { kbuild_configure "$tree" "$objdir" bisect.config; }
configure
# What the pristine tree defines of those is now built in.
for sym in $(sed -n 's/^\tselect \([A-Z0-9_]*\)$/\1/p' "$TOP/Kconfig"); do
	grep -rqx --include='Kconfig*' "config $sym" "$src" || continue
	grep -qx "CONFIG_$sym=y" "$obj/.config" ||
		die "bisect: CONFIG_$sym, which the driver selects, is not built in"
done

n=0
applied=()
for p in "${series[@]}"; do
	n=$((n + 1))
	t0=$(date +%s)
	apply_patch "$src" "$TOP/patches/$p"
	applied+=("$TOP/patches/$p")
	mapfile -t touched < <(series_files "$TOP/patches/$p")
	# A patch that adds Kconfig symbols (say, one the driver selects) may make
	# the fragment's lines apply that did not before.
	if printf '%s\n' "${touched[@]}" | grep -q '/Kconfig$'; then
		configure
	fi
	targets=(rust/kernel.o rust/helpers/helpers.o)
	for f in "${touched[@]}"; do
		case $f in
		rust/*) ;;
		*.c) targets+=("${f%.c}.o") ;;
		esac
	done
	# After the last patch: the driver, and the kernel crate's examples as
	# KUnit doctests (once, for they take as long again as the crate).
	[ "$n" != "${#series[@]}" ] ||
		targets+=(drivers/gpu/drm/vi915/vi915.o rust/doctests_kernel_generated.o)
	# The crate is rebuilt every time, under clippy.
	rm -f "$obj/rust/kernel.o"
	if ! kbuild_make "$tree" "$objdir" CLIPPY=1 "${targets[@]}" >"$obj/build.log" 2>&1; then
		grep -E 'error|Error' -A5 "$obj/build.log" | head -60 >&2
		die "bisect: the tree does not build after $p (see $obj/build.log)"
	fi
	mapfile -t ours < <(series_files "${applied[@]}"
		(cd "$TOP/rust/vi915" && find . -type f) | sed 's|^\./|drivers/gpu/drm/vi915/|')
	warnings=$(kbuild_our_warnings "$tree" "$obj/build.log" "${ours[@]}")
	if [ -n "$warnings" ]; then
		printf '%s\n' "$warnings" | head -80 >&2
		die "bisect: warnings after $p (see $obj/build.log)"
	fi
	log "bisect: $n/${#series[@]} $p builds ($(($(date +%s) - t0)) s)"
done
lost=$(kbuild_config_lost "$obj/.config" "$obj/bisect.config")
[ -z "$lost" ] || die "bisect: the whole series does not configure the driver; lost: $lost"
log "bisect: every prefix of the series builds ($(($(date +%s) - start)) s)"

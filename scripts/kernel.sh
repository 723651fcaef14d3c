#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepares the kernel tree (pristine linux-source-7.3 + patches/ + the driver)
# and builds one configuration: scripts/kernel.sh CONFIG [TARGET...]
# CONFIG is debug or perf (configs/base.config + configs/CONFIG.config).
# TARGET defaults to "bzImage modules".
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/series.sh"
. "$TOP/scripts/toolchain.sh"
. "$TOP/scripts/kbuild.sh"

cfg=${1:?usage: kernel.sh debug|perf [target...]}
shift
[ -f "$TOP/configs/$cfg.config" ] || die "no configs/$cfg.config"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(bzImage modules)

"$TOP/scripts/buildroot.sh"

# 1. Pristine source: the tarball of the linux-source-7.3 package apt
# installed (and verified) in the build root; extracted again when that
# package changes. The package version and the kernel's 7.3.y are recorded.
tarball=$BUILDROOT$LINUX_SOURCE_TARBALL
source_version=$(in_buildroot dpkg-query -W -f '${Version}' linux-source-7.3)
if [ "$(cat "$SRC/.vi915-pristine" 2>/dev/null)" != "$source_version" ]; then
	log "extracting linux-source-7.3 $source_version"
	rm -rf "$SRC"
	mkdir -p "$SRC"
	tar -xf "$tarball" -C "$SRC" --strip-components=1
	mkdir -p "$SRC/.vi915-applied"
	echo "$source_version" >"$SRC/.vi915-pristine"
fi
toolchain_report "$OUT/toolchain-$cfg.txt"

# 2. The patch series (scripts/series-git.sh makes it, with every new file of
# the kernel crate inside its patch). What is applied is kept beside the tree; when the
# series changes, the old one is reversed and the new one applied, so files
# the series does not touch keep their timestamps (and the build stays warm).
applied=$SRC/.vi915-applied
dirty=$SRC/.vi915-patching
if [ -e "$dirty" ] || ! diff -qr "$applied" "$TOP/patches" >/dev/null 2>&1; then
	# A fresh extraction has nothing to reverse. After an interrupted run, or
	# when something edited a patched file in the tree (make rustfmt, say),
	# reversing fails: then every file either series touches is taken from
	# the tarball again, and those the tarball lacks (the series created
	# them) are removed.
	restore=0
	[ -e "$dirty" ] && restore=1
	touch "$dirty"
	if [ $restore = 0 ] && [ -f "$applied/series" ] &&
		! tac "$applied/series" | while read -r p; do
			patch -d "$SRC" -p1 -R -s -f <"$applied/$p" >/dev/null || exit 1
		done; then
		restore=1
	fi
	if [ $restore = 1 ]; then
		shopt -s nullglob
		both=("$applied"/*.patch "$TOP"/patches/*.patch)
		shopt -u nullglob
		mapfile -t files < <(series_files "${both[@]}")
		log "restoring ${#files[@]} files of the pristine tree"
		for f in "${files[@]}"; do
			rm -f "$SRC/$f"
		done
		extract_pristine "$tarball" "$SRC" "${files[@]}"
	fi
	# What the series creates is the series' own: a file left there by
	# anything else (an older build that copied it in) is removed.
	mapfile -t files < <(series_created "$TOP"/patches/*.patch)
	for f in "${files[@]}"; do
		rm -f "$SRC/$f"
	done
	rm -rf "$applied"
	mkdir -p "$applied"
	while read -r p; do
		log "applying $p"
		apply_patch "$SRC" "$TOP/patches/$p"
	done <"$TOP/patches/series"
	cp "$TOP"/patches/* "$applied/"
	rm -f "$dirty"
fi

# 3. The driver. Only changed files are copied, so timestamps stay put.
sync_file() { # src dst
	cmp -s "$1" "$2" && return 0
	mkdir -p "$(dirname "$2")"
	cp "$1" "$2"
}
sync_tree() { # srcdir dstdir
	local f
	[ -d "$1" ] || return 0
	(cd "$1" && find . -type f) | while read -r f; do
		sync_file "$1/$f" "$2/$f"
	done
}
sync_file "$TOP/Kconfig" "$SRC/drivers/gpu/drm/vi915/Kconfig"
sync_tree "$TOP/rust/vi915" "$SRC/drivers/gpu/drm/vi915"
# Files deleted from the repository go from the tree too.
(cd "$SRC/drivers/gpu/drm/vi915" && find . -type f \( -name '*.rs' -o -name '*.c' -o -name '*.h' \)) |
	while read -r f; do
		[ -e "$TOP/rust/vi915/$f" ] || rm -f "$SRC/drivers/gpu/drm/vi915/$f"
	done

# 4. The configuration: tinyconfig + fragments, regenerated when they change.
obj=$OBJ/$cfg
mkdir -p "$obj"
frag=$obj/vi915.config
cat "$TOP/configs/base.config" "$TOP/configs/$cfg.config" >"$frag.new"
kmake() { kbuild_make linux-src "obj/$cfg" "$@"; }
if ! cmp -s "$frag.new" "$frag" || [ ! -f "$obj/.config" ] ||
	! cmp -s "$TOP/Kconfig" "$obj/vi915.Kconfig"; then
	log "configuring $cfg"
	kbuild_configure linux-src "obj/$cfg" vi915.config.new
	# Every line of the fragments must have survived.
	lost=$(kbuild_config_lost "$obj/.config" "$frag.new")
	[ -z "$lost" ] || die "configs/$cfg.config does not apply to this kernel; lost: $lost"
	mv "$frag.new" "$frag"
	cp "$TOP/Kconfig" "$obj/vi915.Kconfig"
else
	rm -f "$frag.new"
fi

# 5. Build.
log "building $cfg: ${targets[*]}"
kmake "${targets[@]}" >"$obj/build.log" 2>&1 || {
	grep -E 'error|Error' -A5 "$obj/build.log" | head -60 >&2
	die "kernel build failed, see $obj/build.log"
}
# vi915's code builds warning-free: any compiler or clippy warning in a file
# of ours (the driver, a file the series touches or creates), or from
# modpost about vi915, fails the build. The crates are removed so that the
# next build compiles them again and repeats the warning.
mapfile -t ours < <( (cd "$TOP/rust/vi915" && find . -type f) | sed 's|^\./|drivers/gpu/drm/vi915/|'
	series_files "$TOP"/patches/*.patch)
warnings=$(kbuild_our_warnings linux-src "$obj/build.log" "${ours[@]}")
if [ -n "$warnings" ]; then
	printf '%s\n' "$warnings" | head -80 >&2
	rm -f "$obj/rust/kernel.o" "$obj/drivers/gpu/drm/vi915/vi915.o"
	die "the $cfg build has warnings in vi915's code, see $obj/build.log"
fi
log "built $cfg"

# SPDX-License-Identifier: GPL-2.0
# The build root's toolchain: which Debian packages it takes, chosen by range
# from what trixie and trixie-backports serve today. Sourced after lib.sh.
#
# Each range is [the minimum Linux 7.3 accepts (scripts/min-tool-version.sh),
# the newest version vi915 was built and tested with]; the newest version in
# range that the archive serves is chosen (Documentation/vi915/build.rst).
# VI915_RUST_MAX lowers the top of the Rust range, to build with an older
# toolchain (VI915_RUST_MAX=1.85.99 selects trixie's own 1.85.1).

RUST_MIN=1.85.0
RUST_MAX=${VI915_RUST_MAX:-1.97.1}
BINDGEN_MIN=0.71.1
BINDGEN_MAX=0.71.1
# LLVM: the kernel accepts 15 and later for LLVM=1; vi915 claims only what it
# has built with, since every clang change is a cold kernel build.
LLVM_MIN=19
LLVM_MAX=19
# The Rust packages that must all come in one version, as rustc requires.
RUST_PKGS="rustc rust-src rustfmt rust-clippy libstd-rust-dev"
KERNEL_SOURCE_PKG=linux-source-7.3
# Everything else the build root needs, at whatever version trixie serves.
BUILDROOT_PKGS="gcc libc6-dev make flex bison bc libelf-dev libssl-dev python3 cpio kmod
	xz-utils ccache python3-sphinx"

TOOLCHAIN_SPEC="rust [$RUST_MIN, $RUST_MAX] bindgen [$BINDGEN_MIN, $BINDGEN_MAX] llvm [$LLVM_MIN, $LLVM_MAX] $KERNEL_SOURCE_PKG"

# upstream_version DEBIAN-VERSION: 1:19.1.7-3+b1 -> 19.1.7, 1.97.1+dfsg1-1~bpo13+1 -> 1.97.1.
upstream_version() {
	local v=${1#*:}
	v=${v%%[-+~]*}
	echo "$v"
}

# version_le A B: true if version A <= B (Debian ordering).
version_le() {
	dpkg --compare-versions "$1" le "$2"
}

# archive_versions PKG: every version of PKG the build root's apt lists, newest first.
archive_versions() {
	in_buildroot apt-cache madison "$1" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
		sort -u | sort -r -V
}

# offers PKG...: one line per package saying what the archive serves, for error messages.
offers() {
	local p
	for p in "$@"; do
		printf '  %s: %s\n' "$p" "$(archive_versions "$p" | tr '\n' ' ')"
	done
}

# in_range VERSION MIN MAX: true if VERSION's upstream part lies in [MIN, MAX].
in_range() {
	local up
	up=$(upstream_version "$1")
	version_le "$2" "$up" && version_le "$up" "$3"
}

# resolve_toolchain: prints the packages to install, one PKG=VERSION a line:
# the newest Rust version in range that every Rust package has, the newest
# bindgen in range, clang/lld/llvm of the newest LLVM major in range, the
# newest linux-source-7.3. Stops, naming what it wanted and what the archive
# offers, when nothing fits. Needs an updated apt in the build root.
resolve_toolchain() {
	local v p ok rust="" bindgen="" llvm="" src n
	for v in $(archive_versions rustc); do
		in_range "$v" "$RUST_MIN" "$RUST_MAX" || continue
		ok=1
		for p in $RUST_PKGS; do
			archive_versions "$p" | grep -qxF "$v" || { ok=0; break; }
		done
		[ $ok = 1 ] && { rust=$v; break; }
	done
	[ -n "$rust" ] || die "no Rust toolchain in [$RUST_MIN, $RUST_MAX] with $RUST_PKGS all in one version; the archive offers:
$(offers $RUST_PKGS)"
	for v in $(archive_versions bindgen); do
		in_range "$v" "$BINDGEN_MIN" "$BINDGEN_MAX" && { bindgen=$v; break; }
	done
	[ -n "$bindgen" ] || die "no bindgen in [$BINDGEN_MIN, $BINDGEN_MAX]; the archive offers:
$(offers bindgen)"
	for n in $(seq "$LLVM_MAX" -1 "$LLVM_MIN"); do
		ok=1
		for p in clang lld llvm; do
			[ -n "$(archive_versions "$p-$n")" ] || { ok=0; break; }
		done
		[ $ok = 1 ] && { llvm=$n; break; }
	done
	[ -n "$llvm" ] || die "no clang, lld and llvm of one major version in [$LLVM_MIN, $LLVM_MAX]; the archive offers:
$(offers $(for n in $(seq "$LLVM_MIN" "$LLVM_MAX"); do echo "clang-$n lld-$n llvm-$n"; done))"
	src=$(archive_versions "$KERNEL_SOURCE_PKG" | head -1)
	[ -n "$src" ] || die "the archive offers no $KERNEL_SOURCE_PKG"
	for p in $RUST_PKGS; do
		echo "$p=$rust"
	done
	echo "bindgen=$bindgen"
	for p in clang lld llvm; do
		echo "$p-$llvm=$(archive_versions "$p-$llvm" | head -1)"
	done
	echo "$KERNEL_SOURCE_PKG=$src"
}

# choose_toolchain LOG: updates the build root's package lists (output in LOG)
# and sets the array `chosen` to resolve_toolchain's answer, as a fresh build
# root would choose.
choose_toolchain() {
	in_buildroot apt-get update -qq >"$1" 2>&1 ||
		die "apt-get update failed in the build root, see $1"
	mapfile -t chosen < <(resolve_toolchain)
	# resolve_toolchain ran in a process substitution: an empty answer means it stopped.
	[ ${#chosen[@]} -gt 0 ] || die "could not choose a toolchain"
}

# apt_preferences PKG=VERSION...: an apt preferences file that makes exactly
# these versions the candidates, whichever suite serves them (dependencies
# such as libstd-rust-1.97 follow from the pinned packages).
apt_preferences() {
	local pv
	for pv in "$@"; do
		printf 'Package: %s\nPin: version %s\nPin-Priority: 1001\n\n' "${pv%%=*}" "${pv#*=}"
	done
}

# llvm_suffix: the LLVM=-N suffix of the installed toolchain (from the build root's record).
llvm_suffix() {
	sed -n 's/^clang-\([0-9]*\)=.*/-\1/p' "$BUILDROOT/.vi915-toolchain"
}

# toolchain_report FILE: what this build uses, printed and written to FILE:
# the installed packages and versions, the tools' own words, and the 7.3.y of
# the extracted source.
toolchain_report() {
	local y
	y=$(awk '/^VERSION =/ { v = $3 } /^PATCHLEVEL =/ { p = $3 } /^SUBLEVEL =/ { s = $3 }
		END { if (v != "") print v "." p "." s }' "$SRC/Makefile" 2>/dev/null || true)
	mkdir -p "$(dirname "$1")"
	{
		echo "ranges: $(head -1 "$BUILDROOT/.vi915-toolchain")"
		echo "packages: $(tail -n +2 "$BUILDROOT/.vi915-toolchain" | tr '\n' ' ')"
		echo "rustc: $(in_buildroot rustc --version)"
		echo "bindgen: $(in_buildroot bindgen --version 2>&1 | head -1)"
		echo "clang: $(in_buildroot "clang$(llvm_suffix)" --version | head -1)"
		echo "kernel source: ${y:-not extracted yet}"
	} | tee "$1" | sed 's/^/[vi915] toolchain: /' >&2
}

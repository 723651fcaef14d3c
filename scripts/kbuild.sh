# SPDX-License-Identifier: GPL-2.0
# Running kbuild in the build root: make, configuration from fragments, and
# the check that vi915's own code built without warnings. Sourced after lib.sh
# and toolchain.sh. Trees and object directories are named by their path
# under the cache (linux-src, obj/debug), which the build root sees at /cache.

# kbuild_make TREE OBJDIR ARG...: make in TREE with objects in OBJDIR.
kbuild_make() {
	local tree=$1 objdir=$2 llvm
	shift 2
	llvm=$(llvm_suffix)
	in_buildroot make -C "/cache/$tree" O="/cache/$objdir" LLVM="$llvm" \
		CC="ccache clang$llvm" -j"$(nproc)" "$@"
}

# kbuild_configure TREE OBJDIR FRAGMENT: OBJDIR/.config becomes tinyconfig
# plus FRAGMENT (a file under OBJDIR), completed by olddefconfig.
kbuild_configure() {
	local tree=$1 objdir=$2 fragment=$3
	kbuild_make "$tree" "$objdir" -s tinyconfig >/dev/null
	in_buildroot "/cache/$tree/scripts/kconfig/merge_config.sh" -m -O "/cache/$objdir" \
		"/cache/$objdir/.config" "/cache/$objdir/$fragment" >/dev/null
	kbuild_make "$tree" "$objdir" -s olddefconfig >/dev/null
}

# kbuild_config_lost CONFIG FRAGMENT: the lines of FRAGMENT that CONFIG (a
# .config) does not have, one a line; nothing when all survived.
kbuild_config_lost() {
	local config=$1 line sym
	while read -r line; do
		case $line in
		CONFIG_*=*) grep -qx "$line" "$config" || echo "$line" ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			! grep -q "^$sym=" "$config" || echo "$line" ;;
		esac
	done <"$2"
}

# kbuild_our_warnings TREE LOG FILE...: the compiler and clippy warnings of
# LOG (a build log of TREE) in the FILEs (paths in TREE), and modpost's about
# vi915.
# Warnings in the rest of the kernel are not ours to fix (older clippies flag
# some of Linux 7.3's own code).
kbuild_our_warnings() {
	local tree=$1 buildlog=$2 ours
	shift 2
	ours=$(printf '%s\n' "$@")
	awk -v ours="$ours" -v prefix="/cache/$tree/" '
		BEGIN { n = split(ours, f, "\n"); for (i = 1; i <= n; i++) own[f[i]] = 1 }
		/^WARNING: modpost: .*vi915/ { print; next }
		/^warning(\[[^]]*\])?: / { block = $0; mine = 0; inside = 1; next }
		inside && /^$/ { if (mine) print block "\n"; inside = 0; next }
		inside {
			block = block "\n" $0
			if ($1 == "-->") {
				path = $2; sub(/:[0-9]+:[0-9]+$/, "", path)
				if (index(path, prefix) == 1) path = substr(path, length(prefix) + 1)
				if (path in own) mine = 1
			}
		}' "$buildlog"
}

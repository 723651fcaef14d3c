# SPDX-License-Identifier: GPL-2.0
# Common settings for the vi915 build and test scripts. Sourced, not run.

set -Eeuo pipefail
# No silent exit: every failing command names its script, line and command.
trap 'rc=$?; printf "[vi915] error: %s:%s: \"%s\" failed (exit %s)\n" \
	"${BASH_SOURCE[0]#"$TOP"/}" "$LINENO" "$BASH_COMMAND" "$rc" >&2' ERR

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything downloaded or built lives here, outside the repository, and is reused.
CACHE=${VI915_CACHE:-/var/cache/vi915}
MIRROR=${VI915_MIRROR:-http://deb.debian.org/debian}
BUILDROOT=$CACHE/buildroot
ROOTFS=$CACHE/rootfs
SRC=$CACHE/linux-src
OBJ=$CACHE/obj
OUT=$TOP/out

LINUX_SOURCE_TARBALL=/usr/src/linux-source-7.3.tar.xz

log() { printf '[vi915 %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '[vi915] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root: the build uses chroot, mounts and debootstrap"

# One build at a time per cache: checkouts share the kernel tree and objects.
# The outermost script holds the lock and, when it exits, takes down the
# build root's mounts: left mounted, an `rm -rf` of the cache would delete
# through them, the host's /dev included.
VI915_OUTERMOST=""
if [ -z "${VI915_LOCKED:-}" ]; then
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	flock 9 || die "cannot lock $CACHE"
	export VI915_LOCKED=1
	VI915_OUTERMOST=1
	trap on_exit EXIT
fi

# on_exit: what the outermost script does last (scripts with an EXIT trap of
# their own call it from there).
on_exit() {
	[ -z "$VI915_OUTERMOST" ] || umount_under "$BUILDROOT"
}

# Run a command inside the build root with a clean environment. Stable LANG
# and HOME keep ccache hits across runs.
in_buildroot() {
	mount_buildroot
	chroot "$BUILDROOT" /usr/bin/env -i \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		HOME=/root LANG=C.UTF-8 TERM=dumb \
		CCACHE_DIR=/cache/ccache CCACHE_MAXSIZE=8G \
		"$@"
}

mount_buildroot() {
	local d
	for d in proc sys dev; do
		mountpoint -q "$BUILDROOT/$d" && continue
		case $d in
		proc) mount -t proc proc "$BUILDROOT/proc" ;;
		sys) mount --rbind /sys "$BUILDROOT/sys"; mount --make-rslave "$BUILDROOT/sys" ;;
		dev) mount --rbind /dev "$BUILDROOT/dev"; mount --make-rslave "$BUILDROOT/dev" ;;
		esac
	done
	mkdir -p "$BUILDROOT/cache" "$BUILDROOT/top" "$CACHE/ccache" "$SRC" "$OBJ"
	mountpoint -q "$BUILDROOT/cache" || mount --bind "$CACHE" "$BUILDROOT/cache"
	# /top is this checkout: rebind it when another checkout had it.
	if ! [ "$BUILDROOT/top" -ef "$TOP" ]; then
		mountpoint -q "$BUILDROOT/top" && umount -l "$BUILDROOT/top"
		mount --bind "$TOP" "$BUILDROOT/top"
	fi
}

# Install Debian packages on the host.
# The host's package lists are updated once per cache, and again when an
# install fails with them (the archive moved since).
host_install() {
	log "installing host packages: $*"
	if [ ! -e "$CACHE/.apt-updated" ]; then
		mkdir -p "$CACHE"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		touch "$CACHE/.apt-updated"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
		>"$CACHE/apt-host.log" 2>&1 && return 0
	log "retrying with fresh package lists"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
		>"$CACHE/apt-host.log" 2>&1 || {
		tail -20 "$CACHE/apt-host.log" >&2
		die "cannot install $* on the host, see $CACHE/apt-host.log"
	}
}

# Install Debian packages on the host if a command is missing.
host_need() {
	local cmd=$1; shift
	command -v "$cmd" >/dev/null 2>&1 || host_install "$@"
}

# Install Debian packages on the host if a module is missing from its Python
# (/usr/bin/python3: Debian's, which Debian's packages extend).
host_need_python() {
	local module=$1; shift
	/usr/bin/python3 -c "import $module" 2>/dev/null || host_install "$@"
}

# umount_under DIR: detaches every mount below DIR, deepest first.
umount_under() {
	findmnt -rno TARGET | awk -v d="$1/" 'index($0, d) == 1' | sort -r |
		while read -r m; do umount -l "$m"; done
	! findmnt -rno TARGET | awk -v d="$1/" 'index($0, d) == 1' | grep -q . ||
		die "cannot unmount everything under $1"
}

# debootstrap_into SUITE DIR [debootstrap options...]: a minimal Debian SUITE
# in DIR, unless an earlier call completed there.
debootstrap_into() {
	local suite=$1 dir=$2
	shift 2
	[ -e "$dir/.vi915-debootstrapped" ] && return 0
	host_need debootstrap debootstrap
	log "debootstrapping $suite into $dir"
	# Never delete through the build root's bind mounts: /dev, the cache and the
	# checkout are bound there, the last two from the same file system.
	umount_under "$dir"
	rm -rf --one-file-system "$dir"
	mkdir -p "$CACHE"
	debootstrap --variant=minbase "$@" "$suite" "$dir" "$MIRROR" \
		>"$CACHE/debootstrap-$suite.log" 2>&1 ||
		die "debootstrap failed, see $CACHE/debootstrap-$suite.log"
	touch "$dir/.vi915-debootstrapped"
}

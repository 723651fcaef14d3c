#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boots the guest with vi915 loaded and runs a shell command in it:
#   scripts/guest.sh RUNDIR 'command' [FILE...]
# FILEs are copied into the guest's /vi915 beside the module and selftests.
# RUNDIR (created, shared with the guest as /vi915) receives cmd.log, cmd.rc,
# dmesg.txt, kmemleak.txt, serial.log. Prints the command's output as it
# runs. Exit status: the command's, or 124 if the guest timed out.
# VI915_GUEST_TIMEOUT: the wall-clock limit in seconds.
# VI915_GUEST_MEMORY: the guest's RAM, 3G unless set (QEMU's -m).
# VI915_GUEST_KERNEL: the kernel configuration to boot, debug (default) or perf.
# VI915_GUEST_APPEND: more kernel parameters.
. "$(dirname "$0")/lib.sh"

run=${1:?usage: guest.sh RUNDIR CMD [FILE...]}
cmd=${2:?usage: guest.sh RUNDIR CMD [FILE...]}
shift 2
timeout=${VI915_GUEST_TIMEOUT:-1800}
cfg=${VI915_GUEST_KERNEL:-debug}
kernel=$OBJ/$cfg/arch/x86/boot/bzImage
module=$OBJ/$cfg/drivers/gpu/drm/vi915/vi915.ko
vgem=$OBJ/$cfg/drivers/gpu/drm/vgem/vgem.ko
[ -f "$kernel" ] && [ -f "$module" ] && [ -f "$vgem" ] ||
	die "no $cfg kernel or modules; run make build"

host_need qemu-system-x86_64 qemu-system-x86
rm -rf "$run"
mkdir -p "$run/out"
cp "$module" "$run/vi915.ko"
cp "$vgem" "$run/vgem.ko"
[ -d "$OUT/selftests" ] && cp -r "$OUT/selftests" "$run/selftests"
cp "$TOP/scripts/guest-init.sh" "$run/init.sh"
[ $# = 0 ] || cp "$@" "$run/"
printf '%s\n' "$cmd" >"$run/cmd.sh"

# KVM where it works, TCG otherwise (the software virtualizer on these machines
# exposes /dev/kvm but cannot run a guest). No 5-level paging under TCG: early
# KASAN reports were seen with it.
accel=(-accel tcg,thread=multi -cpu max,la57=off)
if [ -w /dev/kvm ] && grep -qw -e vmx -e svm /proc/cpuinfo; then
	accel=(-accel kvm -cpu host)
fi
echo "${accel[1]%%,*}" >"$run/accel"

# movablecore: a movable zone, which long-term pins must not stay in (vi915_unmap
# checks that userptr pins leave it). Early allocations (KASAN's shadow, some
# 400 MB) come from the top of memory, where the zone is: 1 GB leaves it some.
# Never leave a guest behind: stop it if this script is stopped.
trap 'kill $(jobs -p) 2>/dev/null || true; on_exit' EXIT
set +e
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
	"${accel[@]}" -machine q35 -smp 2 -m "${VI915_GUEST_MEMORY:-3G}" -nographic -no-reboot \
	-kernel "$kernel" \
	-append "console=ttyS0 loglevel=5 root=rootfs rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro init=/sbin/vi915-init panic=-1 kasan.fault=report kunit.enable=1 movablecore=1G ${VI915_GUEST_APPEND:-}" \
	-fsdev local,id=root,path="${ROOTFS//,/,,}",security_model=none,readonly=on \
	-device virtio-9p-pci,fsdev=root,mount_tag=rootfs \
	-fsdev local,id=run,path="${run//,/,,}",security_model=none \
	-device virtio-9p-pci,fsdev=run,mount_tag=vi915 \
	</dev/null >"$run/serial.log" 2>&1 &
qemu=$!
tail --pid=$qemu -n +1 -F "$run/out/cmd.log" 2>/dev/null &
wait $qemu
status=$?
set -e
sleep 0.2
if [ $status = 124 ] || [ $status = 137 ]; then
	log "guest timed out after ${timeout}s; last serial lines:"
	tail -20 "$run/serial.log" >&2
	exit 124
fi
[ -f "$run/out/cmd.rc" ] || { log "guest died; serial log:"; tail -40 "$run/serial.log" >&2; exit 125; }
exit "$(cat "$run/out/cmd.rc")"

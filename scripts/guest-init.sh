#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest as root: loads vi915 (and vgem, whose dma-bufs tests import),
# runs /vi915/cmd.sh, collects the kernel log and kmemleak's report, unloads the
# drivers and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
out=/vi915/out
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /dev/shm /dev/pts && mount -t tmpfs shm /dev/shm && mount -t devpts devpts /dev/pts
cd /vi915
{
	echo "guest: $(uname -r), $(nproc) vCPUs, $(grep -c hypervisor /proc/cpuinfo) with hypervisor flag"
	if insmod /vi915/vi915.ko i915_name=1 && insmod /vi915/vgem.ko; then
		sh /vi915/cmd.sh
		echo $? >$out/cmd.rc.tmp
	else
		echo 125 >$out/cmd.rc.tmp
	fi
} >$out/cmd.log 2>&1
if [ -d /sys/module/vgem ] && ! rmmod vgem >>$out/cmd.log 2>&1; then
	echo "guest: rmmod vgem failed" >>$out/cmd.log
	echo 1 >$out/cmd.rc.tmp
fi
if [ -d /sys/module/vi915 ] && ! rmmod vi915 >>$out/cmd.log 2>&1; then
	echo "guest: rmmod vi915 failed" >>$out/cmd.log
	echo 1 >$out/cmd.rc.tmp
fi
# Two scans: kmemleak reports an object only once it is 5 s old and has stayed
# unreferenced across scans.
sleep 6
echo scan >/sys/kernel/debug/kmemleak 2>/dev/null
sleep 1
echo scan >/sys/kernel/debug/kmemleak 2>/dev/null
cat /sys/kernel/debug/kmemleak >$out/kmemleak.txt 2>/dev/null
dmesg >$out/dmesg.txt
mv $out/cmd.rc.tmp $out/cmd.rc
sync
# Power off, and wait for it without running anything: the power-off shuts
# the 9p devices down, so an exec from the root file system (sleep, say)
# fails, init exits, and the kernel panics with a call trace.
echo o >/proc/sysrq-trigger; while :; do :; done

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: builds the perf kernel (no lockdep, KASAN or kmemleak), its
# vi915 module and bench/, boots one guest and runs every benchmark there, then
# IGT's gem_userptr_benchmark. Prints the ratio table; leaves the raw output,
# bench.json, bench.csv and bench.png in out/bench/.
. "$(dirname "$0")/lib.sh"

run=$OUT/bench
start=$(date +%s)
"$TOP/scripts/kernel.sh" perf bzImage modules headers
mkdir -p "$OUT/bench-bin"
in_buildroot make -s -C /top/bench OUTPUT=/top/out/bench-bin CC=gcc \
	KHDR=/cache/obj/perf/usr/include KSRC=/cache/linux-src || die "bench/ does not build"
host_need_python matplotlib python3-matplotlib

# VI915_BENCH_PROFILE=FIGURES (say 15): instead, profile those figures with
# perf in the guest (installed into the guest rootfs on first use) and keep the
# report in out/bench-profile/out/perf-report.txt.
if [ -n "${VI915_BENCH_PROFILE:-}" ]; then
	run=$OUT/bench-profile
	if [ ! -x "$ROOTFS/usr/bin/perf" ]; then
		log "installing linux-perf into the guest rootfs"
		chroot "$ROOTFS" apt-get -o Acquire::Check-Valid-Until=false update -qq >/dev/null
		chroot "$ROOTFS" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends linux-perf >/dev/null || die "cannot install linux-perf"
		rm -f "$ROOTFS/var/cache/apt/archives"/*.deb
	fi
	VI915_GUEST_KERNEL=perf VI915_GUEST_TIMEOUT=900 "$TOP/scripts/guest.sh" "$run" \
		"perf record -a -g -o /dev/shm/perf.data -- /vi915/vi915_bench /vi915/out/bench.json $VI915_BENCH_PROFILE && perf report -i /dev/shm/perf.data --stdio --no-children --percent-limit 1 >/vi915/out/perf-report.txt 2>&1" \
		"$OUT/bench-bin/vi915_bench" || die "profiling failed; see $run/out/cmd.log"
	log "profile in $run/out/perf-report.txt"
	exit 0
fi

# IGT's own userptr benchmark runs last, bounded: it has no size option.
VI915_GUEST_KERNEL=perf VI915_GUEST_TIMEOUT=1800 "$TOP/scripts/guest.sh" "$run" \
	'/vi915/vi915_bench /vi915/out/bench.json && { timeout -k 5 240 /usr/libexec/igt-gpu-tools/benchmarks/gem_userptr_benchmark >/vi915/out/gem_userptr_benchmark.txt 2>&1; echo "gem_userptr_benchmark: exit $?"; }' \
	"$OUT/bench-bin/vi915_bench" || die "the benchmarks failed; see $run/out/cmd.log"
/usr/bin/python3 "$TOP/scripts/bench_report.py" "$run" || die "no report"
log "make bench took $(($(date +%s) - start)) s; results in $run"

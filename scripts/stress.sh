#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make stress`: the long runs, in the debug guest (KASAN, lockdep, kmemleak),
# judged like make check (no failed case, no splat, no leak), for about
# VI915_STRESS_SECONDS (1200) in all:
#   - vi915_stress for half of it: thrash and churn with racing memory
#     operations and a signal a millisecond, clients killed mid-exec,
#     injected interruptions;
#   - vi915_fuzz until VI915_FUZZ_CALLS (1,000,000) calls, for at most a
#     quarter of it;
#   - trinity on ioctls for a tenth of it (or VI915_TRINITY_CALLS calls);
#   - the kernel's fault injection over seven kselftests and the fuzzer;
#   - the purge race of seed 001, 15 iterations a second of it;
#   - a memory cgroup's limit over a client of DONTNEED objects, a round (1 MiB)
#     a second of it;
#   - module unload and reload while clients start and exit, a twentieth of it.
# Then, in a perf-kernel guest, churn until VI915_STRESS_EXECBUFFERS
# (1,000,000) execbuffers. Prints the figures (the cases' "# name: value"
# lines) at the end; make check runs the first two for 60 s and 15 s.
. "$(dirname "$0")/lib.sh"

run=$OUT/stress
volume=$OUT/stress-volume
seconds=${VI915_STRESS_SECONDS:-1200}
calls=${VI915_FUZZ_CALLS:-1000000}
execbuffers=${VI915_STRESS_EXECBUFFERS:-1000000}
trinity_calls=${VI915_TRINITY_CALLS:-1000000}
start=$(date +%s)
cat >"$OUT/guest-stress.sh" <<GUEST
out=/vi915/out/selftests
mkdir -p \$out
cd /vi915/selftests
# name, limit in seconds, command
case_run() {
	name=\$1 limit=\$2
	shift 2
	echo "== \$name"
	timeout -k 10 \$limit "\$@" >\$out/\$name.tap 2>&1
	echo \$? >\$out/\$name.rc
	cat \$out/\$name.tap
}
# vi915_stress runs 7/8 of its VI915_STRESS_SECONDS: half of the whole here.
VI915_STRESS_SECONDS=$((seconds * 4 / 7)) case_run vi915_stress $((seconds * 2)) ./vi915_stress
VI915_FUZZ_SECONDS=$((seconds / 4)) VI915_FUZZ_CALLS=$calls case_run vi915_fuzz $((seconds)) ./vi915_fuzz
# trinity, Debian's syscall fuzzer, on ioctls only, as nobody, for a tenth of
# the time (or VI915_TRINITY_CALLS calls). Debian's build walks the pipe,
# pseudo-file, test-file and socket lists in its ioctl groups' fd tests
# without checking that they exist: with DRM files alone, every child crashes
# at its first ioctl. So those files are fuzzed too, and the census
# (trinity_census.so) counts the ioctls on DRM files and judges their answers.
echo "== trinity"
chmod 666 /dev/dri/*
mkdir -p /tmp/trinity && chmod 777 /tmp/trinity
cd /tmp/trinity
LD_PRELOAD=/vi915/selftests/trinity_census.so VI915_CENSUS=/tmp/trinity/census \
	setsid timeout -k 10 $((seconds / 10)) trinity -q -X -a64 -c ioctl -N $trinity_calls -C 4 \
	--enable-fds=drm,pipes,pseudo,testfile,sockets -l off >\$out/trinity.log 2>&1 &
pid=\$!
wait \$pid
# Its children may outlive it: the device must be free for rmmod.
kill -9 -- -\$pid 2>/dev/null
sleep 2
{
	echo "TAP version 13"
	echo "1..1"
	if /vi915/selftests/trinity_report census >report.txt; then ok=ok; else ok="not ok"; fi
	cat report.txt
	grep -q '^# trinity ioctls on the device: [1-9]' report.txt || ok="not ok"
	echo "\$ok 1 device_ioctls"
} >\$out/trinity.tap
echo 0 >\$out/trinity.rc
cat \$out/trinity.tap
cd /vi915/selftests
# The kernel's fault injection, for chosen processes only (make-it-fail):
# kmalloc, page allocations that may sleep or not, and copies from and to
# user memory fail at random. The fuzzer's answers are judged as always (its
# processes turn it on once set up); the kselftests' are not (they fail, as
# they should, where their calls do), only that nothing splats, hangs or leaks.
fi=/sys/kernel/debug
for f in failslab fail_page_alloc fail_usercopy; do
	echo 1 >\$fi/\$f/task-filter
	echo 0 >\$fi/\$f/verbose
	echo 1 >\$fi/\$f/interval
	echo 2 >\$fi/\$f/probability
	echo 100000000 >\$fi/\$f/times
done
echo N >\$fi/failslab/ignore-gfp-wait
echo N >\$fi/fail_page_alloc/ignore-gfp-wait
echo "== fault injection"
# Its tasks touch nothing on 9p (their binaries and output are on tmpfs): a
# failed allocation in the 9p client can leave the share unusable.
mkdir -p /tmp/faults
cp vi915_* /tmp/faults/
cd /tmp/faults
# Each test is put under it once it runs (an exec under it would fail), in its
# own session, which a watchdog kills after a tenth of the time.
for t in vi915_basic vi915_gem vi915_exec vi915_userptr vi915_unmap vi915_sched vi915_purge; do
	VI915_PURGE_ITERATIONS=200 setsid ./\$t >faults-\$t.log 2>&1 &
	pid=\$!
	sleep 0.2
	echo 1 >/proc/\$pid/make-it-fail
	(sleep $((seconds / 10)); kill -9 -- -\$pid 2>/dev/null) &
	dog=\$!
	wait \$pid
	echo "\$t: exit \$?" >>\$out/faults.txt
	kill \$dog 2>/dev/null
	wait
done
VI915_FUZZ_FAULTS=1 VI915_FUZZ_SECONDS=$((seconds / 10)) VI915_FUZZ_CALLS=$calls \\
	timeout -k 10 $((seconds / 5)) ./vi915_fuzz >vi915_fuzz_faults.tap 2>&1
echo \$? >\$out/vi915_fuzz_faults.rc
cp faults-*.log vi915_fuzz_faults.tap \$out/
cd /vi915/selftests
for f in failslab fail_page_alloc fail_usercopy; do
	echo 0 >\$fi/\$f/probability
	echo "# \$f failures injected: \$((100000000 - \$(cat \$fi/\$f/times)))" >>\$out/faults.txt
done
cat \$out/faults.txt \$out/vi915_fuzz_faults.tap
VI915_PURGE_ITERATIONS=$((seconds * 15)) case_run vi915_purge $((seconds * 2)) ./vi915_purge \\
	-t madvise_and_submit_race_forced_purges
# Memory pressure: a memory cgroup's limit and a client allocating far more
# than it, mostly DONTNEED, with WILLNEED objects and a userptr in use.
VI915_PRESSURE_ROUNDS=$seconds case_run pressure $((seconds)) ./vi915_purge \\
	-t a_memory_cgroup_limit_purges_dontneed_objects
# Unload under load: clients (the basic kselftests) start and exit while the
# module is removed and loaded again; removal waits for the last to go. The
# clients' results are not judged: they find the device gone at times.
end=\$((\$(date +%s) + $((seconds / 20))))
reloads=0
while [ \$(date +%s) -lt \$end ]; do
	./vi915_basic >/dev/null 2>&1 &
	./vi915_basic >/dev/null 2>&1 &
	sleep 0.\$((\$(od -An -N1 -tu1 /dev/urandom) % 5))
	until rmmod vi915 2>/dev/null; do sleep 0.1; done
	wait
	insmod /vi915/vi915.ko i915_name=1 || { echo "# reload failed"; break; }
	reloads=\$((reloads + 1))
done
echo "# module reloads under load: \$reloads" | tee \$out/unload.txt
GUEST
VI915_GUEST_TIMEOUT=${VI915_GUEST_TIMEOUT:-$((seconds * 6 + 600))} "$TOP/scripts/guest.sh" "$run" \
	'sh /vi915/guest-stress.sh' "$OUT/guest-stress.sh" || true
# Volume: the churn again, in the perf kernel, until VI915_STRESS_EXECBUFFERS
# execbuffers or for at most the whole duration. In the debug guest the four
# clients' cycles of create, execbuffer, wait, check and close reach about 40
# a second with their racers and 200 without (KASAN's and kmemleak's stack
# traces of every allocation, under TCG): a million would take hours there.
cat >"$OUT/guest-volume.sh" <<GUEST
out=/vi915/out/selftests
mkdir -p \$out
cd /vi915/selftests
VI915_STRESS_SECONDS=$((seconds * 4)) VI915_STRESS_EXECBUFFERS=$execbuffers \\
	timeout -k 10 $((seconds * 2)) ./vi915_stress -t churn >\$out/volume.tap 2>&1
echo \$? >\$out/volume.rc
cat \$out/volume.tap
GUEST
"$TOP/scripts/kernel.sh" perf
VI915_GUEST_KERNEL=perf VI915_GUEST_TIMEOUT=$((seconds * 3 + 300)) "$TOP/scripts/guest.sh" \
	"$volume" 'sh /vi915/guest-volume.sh' "$OUT/guest-volume.sh" || true
log "stress run took $(($(date +%s) - start)) s; results in $run and $volume"
echo "figures:"
for f in "$run"/out/selftests/*.tap "$run"/out/selftests/unload.txt \
	"$run"/out/selftests/faults.txt "$volume"/out/selftests/volume.tap; do
	[ -e "$f" ] || continue
	name=$(basename "${f%.*}")
	grep -E '^# [A-Za-z][^:]*: [0-9]' "$f" | grep -v '^# interrupted wait' | sed "s/^# /$name: /" || true
done
grep -h '^# interrupted wait' "$run"/out/selftests/vi915_stress.tap 2>/dev/null | tail -6 || true
volume_failed=0
python3 "$TOP/scripts/results.py" "$volume" >/dev/null || {
	echo "FAILED: the volume run (results.py $volume)"
	volume_failed=1
}
got=$(sed -n 's/^# execbuffers: //p' "$volume"/out/selftests/volume.tap 2>/dev/null | tail -1)
[ "${got:-0}" -ge "$execbuffers" ] || {
	echo "FAILED: the volume run made ${got:-no} execbuffers of $execbuffers"
	volume_failed=1
}
python3 "$TOP/scripts/results.py" "$run" && exit $volume_failed

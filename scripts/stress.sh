#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make stress`: the long runs, in the debug guest (KASAN, lockdep, kmemleak),
# judged like make check (no failed case, no splat, no leak), for about
# VI915_STRESS_SECONDS (1200) in all:
#   - vi915_stress for half of it: thrash with racing memory operations and a
#     signal a millisecond, clients killed mid-exec, injected interruptions;
#   - vi915_fuzz until VI915_FUZZ_CALLS (1,000,000) calls, for at most a
#     quarter of it;
#   - the purge race of seed 001, 15 iterations a second of it;
#   - module unload and reload while clients start and exit, a twentieth of it.
# Prints the figures (the cases' "# name: value" lines) at the end; make
# check runs the first two for 60 s and 15 s.
. "$(dirname "$0")/lib.sh"

run=$OUT/stress
seconds=${VI915_STRESS_SECONDS:-1200}
calls=${VI915_FUZZ_CALLS:-1000000}
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
VI915_PURGE_ITERATIONS=$((seconds * 15)) case_run vi915_purge $((seconds * 2)) ./vi915_purge \\
	-t madvise_and_submit_race_forced_purges
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
log "stress run took $(($(date +%s) - start)) s; results in $run"
echo "figures:"
cat "$run"/out/selftests/*.tap "$run"/out/selftests/unload.txt 2>/dev/null |
	grep -E '^# [A-Za-z][^:]*: [0-9]' | grep -v '^# interrupted wait' || true
grep -h '^# interrupted wait' "$run"/out/selftests/vi915_stress.tap 2>/dev/null | tail -6 || true
python3 "$TOP/scripts/results.py" "$run"

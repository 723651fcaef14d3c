#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make stress`: the long runs, in the debug guest (KASAN, lockdep, kmemleak),
# judged like make check (no failed case, no splat, no leak). Today: the
# purge race of seed 001 at VI915_STRESS_PURGE_ITERATIONS (100,000) iterations;
# make check runs it at 15,000.
. "$(dirname "$0")/lib.sh"

run=$OUT/stress
iterations=${VI915_STRESS_PURGE_ITERATIONS:-100000}
start=$(date +%s)
cat >"$OUT/guest-stress.sh" <<GUEST
mkdir -p /vi915/out/selftests
VI915_PURGE_ITERATIONS=$iterations timeout -k 10 3600 /vi915/selftests/vi915_purge \\
	-t madvise_and_submit_race_forced_purges >/vi915/out/selftests/vi915_purge.tap 2>&1
echo \$? >/vi915/out/selftests/vi915_purge.rc
cat /vi915/out/selftests/vi915_purge.tap
GUEST
VI915_GUEST_TIMEOUT=${VI915_GUEST_TIMEOUT:-4000} "$TOP/scripts/guest.sh" "$run" \
	'sh /vi915/guest-stress.sh' "$OUT/guest-stress.sh" || true
log "stress run took $(($(date +%s) - start)) s; results in $run"
python3 "$TOP/scripts/results.py" "$run"

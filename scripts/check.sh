#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: model-checks the userptr protocol (scripts/model-check.sh),
# then boots the debug guest once and runs KUnit, the kselftests and IGT
# there; then judges the run (scripts/results.py). Raw results, IGT logs and
# the guest's kernel log stay in out/check/.
. "$(dirname "$0")/lib.sh"

expectations=$TOP/igt/expectations.txt
run=$OUT/check
start=$(date +%s)
"$TOP/scripts/kernel.sh" debug rustfmtcheck || die "rustfmt is not clean (make fmt)"
"$TOP/scripts/model-check.sh"

# IGT tests to run: those named in the expectations file, each with the
# arguments of its "# igt-args: TEST ARGS" line if it has one.
tests=$(sed -e 's/#.*//' -e '/^\s*$/d' -e 's/@.*//' "$expectations" | sort -u)
rm -rf "$run"
mkdir -p "$OUT"
for test in $tests; do
	args=$(sed -n "s/^#\s*igt-args:\s*$test\s\+//p" "$expectations")
	printf '%s %s\n' "$test" "$args"
done >"$OUT/igt-tests"
VI915_GUEST_TIMEOUT=${VI915_GUEST_TIMEOUT:-3000} "$TOP/scripts/guest.sh" "$run" \
	'sh /vi915/guest-check.sh' "$TOP/scripts/guest-check.sh" "$OUT/igt-tests" || true
log "guest run took $(($(date +%s) - start)) s; results in $run"
python3 "$TOP/scripts/results.py" "$run" "$expectations"

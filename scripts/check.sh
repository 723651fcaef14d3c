#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: model-checks the userptr protocol (scripts/model-check.sh),
# then boots the debug guest once and runs KUnit, the kselftests and IGT
# there; then judges the run (scripts/results.py). Raw results, IGT logs and
# the guest's kernel log stay in out/check/.
#
# `make conformance` (scripts/check.sh conformance): IGT alone, the subtests
# of igt/expectations.txt and of igt/conformance.txt, judged against both, in
# a guest with 6 GiB of RAM; results in out/conformance/.
#
# `make survey TESTS="BINARY..."` (scripts/check.sh survey BINARY...): runs
# each IGT binary whole in make conformance's guest and prints every subtest's
# result as a list line (scripts/results.py --survey), to extend the lists.
. "$(dirname "$0")/lib.sh"

mode=${1:-check}
[ $# = 0 ] || shift
judge=()
# What the guest runs: everything, or IGT alone.
guest=check
case $mode in
check) lists=("$TOP/igt/expectations.txt") ;;
conformance)
	lists=("$TOP/igt/expectations.txt" "$TOP/igt/conformance.txt")
	judge=(--igt-only)
	guest=conformance
	# Quick-list subtests that require 4 GiB of RAM (igt_require_memory).
	export VI915_GUEST_MEMORY=${VI915_GUEST_MEMORY:-6G} ;;
survey)
	[ $# -gt 0 ] || die "usage: check.sh survey BINARY..."
	lists=("$TOP/igt/expectations.txt" "$TOP/igt/conformance.txt")
	judge=(--survey)
	guest=conformance
	export VI915_GUEST_MEMORY=${VI915_GUEST_MEMORY:-6G} ;;
*) die "usage: check.sh [conformance | survey BINARY...]" ;;
esac
run=$OUT/$mode
start=$(date +%s)
"$TOP/scripts/kernel.sh" debug rustfmtcheck || die "rustfmt is not clean (make fmt)"
[ "$mode" != check ] || "$TOP/scripts/model-check.sh"

# IGT tests to run: those named in the lists, each with the arguments of its
# "# igt-args: TEST ARGS" line if it has one (the last list's, if several have
# one: igt/conformance.txt may widen what make check runs of a binary).
tests=$(sed -e 's/#.*//' -e '/^\s*$/d' -e 's/^\s*//' -e 's/[@[:space:]].*//' "${lists[@]}" | sort -u)
rm -rf "$run"
mkdir -p "$OUT"
if [ "$mode" = survey ]; then
	printf '%s\n' "$@"
else
	for test in $tests; do
		args=$(sed -n "s/^#\s*igt-args:\s*$test\s\+//p" "${lists[@]}" | tail -n 1)
		printf '%s %s\n' "$test" "$args"
	done
fi >"$OUT/igt-tests"
VI915_GUEST_TIMEOUT=${VI915_GUEST_TIMEOUT:-3000} "$TOP/scripts/guest.sh" "$run" \
	"sh /vi915/guest-check.sh $guest" "$TOP/scripts/guest-check.sh" "$OUT/igt-tests" || true
log "guest run took $(($(date +%s) - start)) s; results in $run"
python3 "$TOP/scripts/results.py" "${judge[@]}" "$run" "${lists[@]}"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest half of `make check`: collects KUnit results, runs the kselftests
# and the IGT tests named in igt-tests, leaving raw results in /vi915/out.
# With the argument "conformance", IGT only.
out=/vi915/out
igt=/usr/libexec/igt-gpu-tools

mkdir -p $out/kunit $out/selftests $out/igt
dpkg-query -W -f '${Version}\n' igt-gpu-tools-tests >$out/igt-version
# KUnit suites of the kernel and of vi915 (they ran at boot and at insmod).
for dir in /sys/kernel/debug/kunit/*/; do
	[ -f "$dir/results" ] && cat "$dir/results" >"$out/kunit/$(basename "$dir").ktap"
done
for test in /vi915/selftests/vi915_*; do
	[ "${1:-}" != conformance ] && [ -x "$test" ] || continue
	name=$(basename "$test")
	echo "== kselftest $name"
	timeout -k 10 1500 "$test" >"$out/selftests/$name.tap" 2>&1
	echo $? >"$out/selftests/$name.rc"
	echo "== kselftest $name: exit $(cat "$out/selftests/$name.rc")"
done
# One test per line, then its arguments (a --run-subtest pattern, say), split
# into words but not globbed.
set -f
while read -r test args; do
	echo "== igt $test $args"
	# shellcheck disable=SC2086 # the arguments are words
	timeout -k 10 900 "$igt/$test" $args >"$out/igt/$test.log" 2>&1 </dev/null
	echo "== igt $test: exit $?"
done </vi915/igt-tests
exit 0

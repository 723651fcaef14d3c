#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Model-checks the userptr protocol: runs spin on Documentation/vi915/userptr.pml
# in the build root (installing Debian's spin there if it is missing). The
# model must satisfy every property (the safety run: assertions and end
# states; the liveness run: ltl p4 under weak fairness), and each seeded bug
# (a SEED_* macro of the model) must be caught by the property the model names
# for it. Prints one line per run and fails on any other outcome.
. "$(dirname "$0")/lib.sh"

model=$TOP/Documentation/vi915/userptr.pml
# Deep enough never to truncate the search (checked below).
depth=100000

# What must catch each seed: the run that checks only its property (see
# check below) and pan's report.
declare -A seed_run=(
	[CHECK_AFTER_PUBLISH]=assert
	[NO_BARRIER]=assert
	[UNBOUNDED_WAIT]=ltl
	[REQUEST_NO_OBJECT_REF]=assert
	[FREE_IN_RECLAIM]=assert
	[NO_KICK]=end
	[PUT_UNDER_EXEC]=end
)
declare -A seed_catch=(
	[CHECK_AFTER_PUBLISH]='assertion violated !(published'
	[NO_BARRIER]='assertion violated !(unmapped_returned)'
	[UNBOUNDED_WAIT]='acceptance cycle'
	[REQUEST_NO_OBJECT_REF]='assertion violated !(unmapped_returned)'
	[FREE_IN_RECLAIM]='assertion violated !(in_reclaim)'
	[NO_KICK]='invalid end state'
	[PUT_UNDER_EXEC]='invalid end state'
)
seeds=(CHECK_AFTER_PUBLISH NO_BARRIER UNBOUNDED_WAIT REQUEST_NO_OBJECT_REF
	FREE_IN_RECLAIM NO_KICK PUT_UNDER_EXEC)

if ! in_buildroot sh -c 'command -v spin' >/dev/null; then
	log "installing spin into the build root"
	in_buildroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends spin >"$CACHE/apt-spin.log" 2>&1 || {
		log "retrying with fresh package lists"
		in_buildroot env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
			>>"$CACHE/apt-spin.log" 2>&1 &&
			in_buildroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends spin >>"$CACHE/apt-spin.log" 2>&1
	} || {
		tail -20 "$CACHE/apt-spin.log" >&2
		die "cannot install spin into the build root, see $CACHE/apt-spin.log"
	}
fi
cc=$(in_buildroot sh -c 'command -v cc || command -v gcc || command -v clang') ||
	die "the build root has no C compiler"

start=$(date +%s.%N)
mkdir -p "$BUILDROOT/tmp"
scratch=$(mktemp -d "$BUILDROOT/tmp/model-check.XXXXXX")
trap 'rm -rf --one-file-system "$scratch"; on_exit' EXIT
cp "$model" "$scratch/userptr.pml"
dir=/tmp/${scratch##*/}

# check NAME MACRO RUN...: translates the model with MACRO (or none) in
# $scratch/NAME, then for each RUN compiles pan for it and runs it: "safety"
# (assertions and invalid end states, no never claim), "assert" (assertions
# only), "end" (invalid end states only) or "ltl" (acceptance cycles of ltl p4
# under weak fairness). Leaves pan's output in NAME.RUN, and the run's wall
# time, its compilation included, in NAME.RUN.time.
check() {
	local name=$1 macro=$2 run flags opts t0 t1
	shift 2
	t0=$(date +%s.%N)
	mkdir "$scratch/$name"
	in_buildroot sh -c "cd $dir/$name && spin -a $macro ../userptr.pml" \
		>"$scratch/$name.build" 2>&1 || { touch "$scratch/$name.failed"; return 0; }
	for run; do
		case $run in
		safety) flags="-DNOCLAIM -DSAFETY" opts="" ;;
		assert) flags="-DNOCLAIM -DSAFETY" opts="-E" ;;
		end) flags="-DNOCLAIM -DSAFETY" opts="-A" ;;
		ltl) flags="-DNFAIR=3" opts="-a -f" ;;
		esac
		in_buildroot sh -c "cd $dir/$name && $cc -O2 -w $flags -o pan pan.c" \
			>>"$scratch/$name.build" 2>&1 || { touch "$scratch/$name.failed"; return 0; }
		in_buildroot sh -c "cd $dir/$name && ./pan -m$depth -w22 -n $opts" \
			>"$scratch/$name.$run" 2>&1 || true
		t1=$(date +%s.%N)
		echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }' >"$scratch/$name.$run.time"
		t0=$t1
	done
}

# The spin and compiler runs, two at a time on two cores.
check correct "" safety ltl &
for seed in "${seeds[@]}"; do
	[ "$(jobs -rp | wc -l)" -lt 2 ] || wait -n
	check "$seed" "-DSEED_$seed" "${seed_run[$seed]}" &
done
wait

# outcome FILE: pan's first error report, or "ok" for a complete search
# without errors; "truncated" or "incomplete" for searches that did not end.
outcome() {
	if grep -q 'max search depth too small' "$1"; then
		echo truncated
	elif grep -q '^pan:1: ' "$1"; then
		sed -n 's/^pan:1: \(.*\) (at depth [0-9]*)$/\1/p;T;q' "$1" | tr -s ' '
	elif grep -q 'errors: 0$' "$1" && ! grep -q 'Search not completed' "$1"; then
		echo ok
	else
		echo incomplete
	fi
}

states() { awk '/states, stored/ { print $1; exit }' "$1"; }

failed=0
report() {
	local name=$1 run=$2 label=$3 want=$4 out got
	out=$scratch/$name.$run
	if [ -e "$scratch/$name.failed" ]; then
		echo "model: $label: spin or $cc failed:"
		cat "$scratch/$name.build"
		failed=1
		return
	fi
	got=$(outcome "$out")
	if [ "$want" = ok ] && [ "$got" = ok ]; then
		echo "model: $label: ok ($(states "$out") states, $(cat "$out.time") s)"
	elif [ "$want" != ok ] && [[ "$got" == "$want"* ]]; then
		echo "model: $label: caught ($got, $(cat "$out.time") s)"
	else
		echo "model: $label: UNEXPECTED: $got (expected ${want/#ok/no error})"
		tail -25 "$out"
		failed=1
	fi
}
report correct safety "correct, safety (P1 P2 P3 P5)" ok
report correct ltl "correct, ltl p4 (weak fairness)" ok
for seed in "${seeds[@]}"; do
	report "$seed" "${seed_run[$seed]}" "seed $seed" "${seed_catch[$seed]}"
done
log "model check took $(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }') s"
[ "$failed" = 0 ] || die "the userptr model check failed"

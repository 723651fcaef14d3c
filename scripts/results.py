#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reads a `make check` guest run and decides it.

Usage: results.py [--igt-only | --survey] RUNDIR [EXPECTATIONS...]

Counts KUnit cases, kselftest cases and IGT subtests; compares IGT with the
expectations files (a subtest may do better than expected, never worse); scans
the kernel log for splats and kmemleak's report for leaks. Prints every IGT
subtest's result and a tally per IGT binary, then a last line 'N passed,
N failed, N skipped'. Exits 1 if anything failed. Without EXPECTATIONS (make
stress), only the kselftests that ran, the kernel log and kmemleak are
judged. --igt-only (make conformance): no kselftest was meant to run.
--survey (make survey): every IGT log's subtests are printed as list lines,
those already in EXPECTATIONS marked so, and not judged.

An expectation line is `TEST@SUBTEST OUTCOME [i915:OUTCOME]` (`TEST` alone
for a binary without subtests): the result the subtest must at least reach on
vi915, then, where i915 does better on a gen-8 part, i915's result. The
tally per binary counts the subtests still short of i915's.

The expectations were written for one IGT version (their `# igt-version:`
line, which every file must agree on). When the guest's IGT is another (the
guest writes its version to out/igt-version), subtests that appeared or
disappeared are listed, not failed; every subtest both versions have is judged
as usual.
"""

import os
import re
import sys

RANK = {"fail": 0, "skip": 1, "pass": 2}
IGT_RESULT = {"SUCCESS": "pass", "SKIP": "skip"}  # anything else is a failure

# Kernel log lines that fail a run: warnings, bugs, sanitizers, lockdep, stalls, hangs.
SPLAT = re.compile(
    r"WARNING:|BUG:|BUG kmalloc|KASAN|UBSAN|Oops|Kernel panic|general protection fault|"
    r"possible circular locking|possible recursive locking|inconsistent lock state|"
    r"suspicious RCU usage|lock held when returning|DEBUG_LOCKS_WARN_ON|bad unlock balance|"
    r"possible irq lock inversion|held lock freed|lockdep is turned off|"
    r"rcu: INFO|rcu_sched self-detected stall|detected stall|blocked for more than|"
    r"soft lockup|hard LOCKUP|unreferenced object|Call Trace:"
)
# Lines that match SPLAT but are not failures.
SPLAT_OK = re.compile(r"kasan: KernelAddressSanitizer initialized|"
                      r"Lock dependency validator|lockdep: fixing up alternatives|"
                      r"kmemleak: Kernel memory leak detector initialized|"
                      r"KASAN.*enabled|kasan\.fault|Command line:|Kernel command line:")

KTAP_CASE = re.compile(r"^\s*(not ok|ok) \d+ (\S+)(.*)$")


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.problems = []
        self.cases_failed = 0

    def problem(self, message, case=False):
        """Records a reason the run fails; `case` if it is a test case already counted."""
        self.problems.append(message)
        if case:
            self.cases_failed += 1

    def add(self, outcome):
        if outcome == "pass":
            self.passed += 1
        elif outcome == "skip":
            self.skipped += 1
        else:
            self.failed += 1


def ktap_cases(path, suite=None):
    """(cases, planned): (name, outcome) for each test case of a KTAP/TAP file, suite lines
    dropped, and the number of cases its innermost plan (`1..N`) announced."""
    cases, planned = [], None
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"^\s*1\.\.(\d+)\s*$", line)
            if m:
                planned = int(m.group(1))
            m = KTAP_CASE.match(line)
            if not m or m.group(2) == suite:
                continue
            ok, name, rest = m.groups()
            if "# SKIP" in rest or "# skip" in rest:
                cases.append((name, "skip"))
            else:
                cases.append((name, "pass" if ok == "ok" else "fail"))
    return cases, planned


def count_cases(t, kind, suite, path):
    """Prints and counts the cases of one KTAP/TAP file."""
    cases, planned = ktap_cases(path, suite)
    if not cases:
        t.problem(f"{kind} {suite} reported nothing")
    elif planned != len(cases):
        t.problem(f"{kind} {suite} planned {planned} cases and reported {len(cases)}")
    for case, outcome in cases:
        print(f"{kind} {suite}.{case}: {outcome}")
        t.add(outcome)
        if outcome == "fail":
            t.problem(f"{kind} {suite}.{case} failed", case=True)


def igt_subtests(path):
    """(subtest, outcome, IGT's word) from an IGT log; dynamic subtests as subtest@dynamic. A
    binary without subtests gives one result, named None."""
    results, current, whole = [], None, None
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"^([A-Z]+) \([0-9.]+s\)$", line)
            if m:
                whole = m.group(1)
            m = re.match(r"^Starting subtest: (\S+)", line)
            if m:
                current = m.group(1)
            m = re.match(r"^(Dynamic subtest|Subtest) (\S+): (\w+)", line)
            if m:
                kind, name, res = m.groups()
                if kind == "Dynamic subtest" and current:
                    name = f"{current}@{name}"
                results.append((name, IGT_RESULT.get(res, "fail"), res))
    if not results and whole:
        results.append((None, IGT_RESULT.get(whole, "fail"), whole))
    return results


def driver_suites():
    """The KUnit suites the driver declares (`#[kunit_tests(name)]` in rust/vi915)."""
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    suites = set()
    src = os.path.join(top, "rust", "vi915")
    for name in os.listdir(src):
        if name.endswith(".rs"):
            text = open(os.path.join(src, name)).read()
            suites.update(re.findall(r"#\[kunit_tests\((\w+)\)\]", text))
    return suites


def read_expectations(paths):
    """({subtest: outcome}, {subtest: i915's better outcome}, the IGT version they were written
    for or None) of the files."""
    expected, i915, versions = {}, {}, set()
    for path in paths:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                m = re.match(r"^#\s*igt-version:\s*(\S+)", line)
                if m:
                    versions.add(m.group(1))
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                fields = line.split()
                if len(fields) < 2:
                    sys.exit(f"{path}:{n}: a subtest needs an outcome: SUBTEST OUTCOME")
                key, outcome, *rest = fields
                if outcome not in RANK:
                    sys.exit(f"{path}:{n}: unknown outcome {outcome}")
                if key in expected:
                    sys.exit(f"{path}:{n}: {key} is listed twice")
                expected[key] = outcome
                if rest:
                    better = rest[0].removeprefix("i915:")
                    if len(rest) > 1 or not rest[0].startswith("i915:") or better not in RANK \
                            or RANK[better] <= RANK[outcome]:
                        sys.exit(f"{path}:{n}: the third field must be i915's better result, "
                                 f"i915:OUTCOME")
                    i915[key] = better
    if len(versions) > 1:
        sys.exit(f"{' and '.join(paths)} were written for different IGTs: {sorted(versions)}")
    return expected, i915, versions.pop() if versions else None


def judge_igt(t, out, paths):
    """Compares the IGT logs in out/igt with the expectations files."""
    expectations = " and ".join(paths)
    expected, i915, written_for = read_expectations(paths)
    path = os.path.join(out, "igt-version")
    running = open(path).read().strip() if os.path.exists(path) else None
    if written_for is None or running is None:
        t.problem(f"IGT version unknown: {expectations} says {written_for}, the guest {running}")
    moved = None not in (written_for, running) and written_for != running
    if moved:
        print(f"IGT: the guest runs igt-gpu-tools {running}; {expectations} was written "
              f"for {written_for}: subtests that appeared or disappeared are listed, not failed")
    appeared, disappeared = [], []
    seen = set()
    per_binary = {}
    for test in sorted({k.split("@", 1)[0] for k in expected}):
        tally = per_binary.setdefault(test, {"pass": 0, "skip": 0, "fail": 0, "short": 0})
        log = os.path.join(out, "igt", test + ".log")
        text = open(log, errors="replace").read() if os.path.exists(log) else None
        if text is None or (moved and "Starting subtest" not in text and
                            re.search(r"not found|No such file", text)):
            if moved:
                disappeared.append(f"{test} (the binary)")
                seen.update(k for k in expected if k.split("@", 1)[0] == test)
            else:
                t.problem(f"IGT {test} did not run")
            continue
        # IGT's "No known gpu found for chipset flags 0xN (name)": a problem when the flags
        # ask for an Intel device (bit 0); a test may also look for another (vgem).
        wanted = re.findall(r"No known gpu found for chipset flags (0x[0-9a-fA-F]+)", text)
        if "No known gpu found" in text and (not wanted or any(int(w, 16) & 1 for w in wanted)):
            t.problem(f"IGT {test} did not find vi915 as an i915 device")
        for sub, outcome, raw in igt_subtests(log):
            key = test if sub is None else f"{test}@{sub}"
            seen.add(key)
            want = expected.get(key)
            if want is None and moved:
                appeared.append(f"{key}: {raw}")
                continue
            note = f"expected {want}" if want else "no expectation"
            print(f"IGT {key}: {raw} ({note})")
            if want is None or RANK[outcome] < RANK[want]:
                # Counted as a failure, whatever IGT called it.
                t.add("fail")
                tally["fail"] += 1
                why = "not in " + " or ".join(paths) if want is None else "worse than expected " + want
                t.problem(f"IGT {key}: {raw}, {why}", case=True)
                continue
            t.add(outcome)
            tally[outcome] += 1
            if key in i915 and RANK[outcome] < RANK[i915[key]]:
                tally["short"] += 1
            if RANK[outcome] > RANK[want]:
                print(f"  -> better than expected: raise it to {outcome} in the expectations")
    for key in sorted(set(expected) - seen):
        if moved:
            disappeared.append(key)
        else:
            t.problem(f"IGT {key}: no result")
    for what, keys in (("appeared", appeared), ("disappeared", disappeared)):
        for key in keys:
            print(f"IGT {what} in {running} (not judged): {key}")
    for test, n in per_binary.items():
        print(f"IGT binary {test}: {n['pass']} pass, {n['skip']} skip, {n['fail']} fail; "
              f"{n['short']} short of i915")


def survey_igt(out, paths):
    """Prints the subtests of every IGT log in out/igt as list lines, with a comment where they
    are listed already, and the binaries that did not finish."""
    expected, _, _ = read_expectations(paths)
    cmd_log = os.path.join(out, "cmd.log")
    exits = dict(re.findall(r"^== igt (\S+): exit (\d+)$",
                            open(cmd_log, errors="replace").read() if os.path.exists(cmd_log)
                            else "", re.M))
    logs = os.path.join(out, "igt")
    for name in sorted(os.listdir(logs)) if os.path.isdir(logs) else []:
        test = name[: -len(".log")]
        if exits.get(test) in (None, "124", "137"):
            print(f"# {test}: did not finish (exit {exits.get(test)}: the guest's timeout?)")
        for sub, outcome, raw in igt_subtests(os.path.join(logs, name)):
            key = test if sub is None else f"{test}@{sub}"
            listed = expected.get(key)
            note = f"  # listed: {listed}" if listed else ""
            print(f"{key} {outcome}{note}" + ("" if raw in IGT_RESULT else f"  # IGT: {raw}"))


def main():
    args = sys.argv[1:]
    igt_only = bool(args) and args[0] in ("--igt-only", "--survey")
    survey = igt_only and args[0] == "--survey"
    if igt_only:
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    run, expectations = args[0], args[1:]
    out = os.path.join(run, "out")
    t = Tally()

    rc_path = os.path.join(out, "cmd.rc")
    if not os.path.exists(rc_path):
        t.problem("the guest did not finish the run")
    elif open(rc_path).read().strip() != "0":
        t.problem(f"the guest command exited {open(rc_path).read().strip()}")

    kunit_dir = os.path.join(out, "kunit")
    suites = sorted(os.listdir(kunit_dir)) if os.path.isdir(kunit_dir) else []
    for suite in sorted(driver_suites()) if expectations else []:
        if suite + ".ktap" not in suites:
            t.problem(f"KUnit suite {suite} did not run")
    for name in suites:
        suite = name[: -len(".ktap")]
        count_cases(t, "KUnit", suite, os.path.join(kunit_dir, name))

    st_dir = os.path.join(out, "selftests")
    tests = sorted(os.listdir(st_dir)) if os.path.isdir(st_dir) else []
    if not tests and not igt_only:
        t.problem("no kselftest ran")
    for name in [n for n in tests if n.endswith(".tap")]:
        test = name[: -len(".tap")]
        count_cases(t, "kselftest", test, os.path.join(st_dir, name))
        rc_file = os.path.join(st_dir, test + ".rc")
        rc = open(rc_file).read().strip() if os.path.exists(rc_file) else "missing"
        if rc not in ("0", "4"):  # 4 is KSFT_SKIP
            t.problem(f"kselftest {test} exited {rc}")

    if survey:
        survey_igt(out, expectations)
    elif expectations:
        judge_igt(t, out, expectations)

    for log in ("serial.log", "out/dmesg.txt"):
        path = os.path.join(run, log)
        if not os.path.exists(path):
            continue
        lines = open(path, errors="replace").read().splitlines()
        for i, line in enumerate(lines):
            if SPLAT.search(line) and not SPLAT_OK.search(line):
                report = "\n    ".join(lines[max(0, i - 2): i + 25])
                t.problem(f"kernel log {log}:{i + 1}:\n    {report}")
                break
    dmesg = os.path.join(out, "dmesg.txt")
    text = open(dmesg, errors="replace").read() if os.path.exists(dmesg) else ""
    if re.search(r"kmemleak: .*disabl", text):
        t.problem("kmemleak disabled itself: leaks were not checked")
    leaks = os.path.join(out, "kmemleak.txt")
    if os.path.exists(leaks) and open(leaks).read().strip():
        t.problem("kmemleak:\n" + open(leaks).read()[:4000])

    for p in t.problems:
        print(f"FAILED: {p}")
    # Problems that are not failed test cases (a splat, a leak, a missing result) count too.
    t.failed += len(t.problems) - t.cases_failed
    print(f"{t.passed} passed, {t.failed} failed, {t.skipped} skipped")
    return 1 if t.problems else 0


if __name__ == "__main__":
    sys.exit(main())

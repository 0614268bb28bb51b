#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge one VM run from its results.log (see init).

Counts the kselftest TAP results of every program, fails programs that
exited non-zero without reporting a failed test, and fails the run on any
kernel log line matching BAD unless a test announced it: a test writes
"memslot-selftest: expect <regex>" to /dev/kmsg before provoking such a
line and "memslot-selftest: expect-end" after it. Reports from before
memslot.ko was loaded (the kernel's own, at boot) are printed, not
counted.

usage: results.py RESULTS_LOG LABEL   (prints TAP lines and a summary line;
exit status 0 only if nothing failed)
"""
import re
import sys

BAD = re.compile(r"BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|"
                 r"hung task|DMAR: \[DMA|Call Trace|unreferenced object")
TAP = re.compile(r"^(not ok|ok) \d+ (.*)$")
MARK = "MEMSLOT-VM: "


# The first out-of-tree module load (memslot.ko, insmod'ed by the init).
LOADED = re.compile(r"memslot: loading out-of-tree module taints kernel")


def judge(lines, label):
    passed = failed = skipped = 0
    problems = []
    prog, prog_fails, in_dmesg, done = None, 0, False, False
    expect = []
    # with no load line in the log (kernel tainted already), all counts
    loaded = not any(LOADED.search(x) for x in lines)
    for line in lines:
        line = line.rstrip("\r\n")
        if line.startswith(MARK):
            word = line[len(MARK):].split()
            if word[0] == "run":
                prog, prog_fails = word[1], 0
                print(f"# {label}: {prog}")
            elif word[0] == "exit":
                if len(word) > 3:
                    print(f"# {label}: {word[1]} took {word[3]}")
                if word[2] != "0" and prog_fails == 0:
                    failed += 1
                    problems.append(f"{word[1]} exited {word[2]} "
                                    "without a failed test")
                prog = None
            elif word[0] == "dmesg-begin":
                in_dmesg = True
            elif word[0] == "dmesg-end":
                in_dmesg = False
            elif word[0] == "done":
                done = True
            elif "failed" in word:
                failed += 1
                problems.append(line)
            continue
        if in_dmesg:
            m = re.search(r"memslot-selftest: expect (.*)$", line)
            if m:
                expect.append(re.compile(m.group(1)))
            elif "memslot-selftest: expect-end" in line:
                expect = expect[:-1]
            elif LOADED.search(line):
                loaded = True
            elif BAD.search(line) and not loaded:
                # the kernel's own, at boot: memslot.ko is not in yet
                print(f"# {label}: before memslot.ko was loaded, "
                      f"not counted: {line}")
            elif BAD.search(line) and not any(e.search(line) for e in expect):
                failed += 1
                problems.append("kernel log: " + line)
            continue
        m = TAP.match(line)
        if m and prog:
            print(f"{line}  [{label} {prog}]")
            if "# SKIP" in m.group(2):
                skipped += 1
            elif m.group(1) == "ok":
                passed += 1
            else:
                failed += 1
                prog_fails += 1
        elif line.startswith("#") and prog and re.search(
                r"Expected|FAIL|kernel log|Error", line):
            print(f"  {line}")
    if not done:
        failed += 1
        problems.append("the VM did not finish (crash, hang or timeout)")
    for p in problems:
        print(f"not ok - {label}: {p}")
    print(f"{label}: {passed} passed, {failed} failed, {skipped} skipped")
    return passed, failed, skipped


def main():
    with open(sys.argv[1], errors="replace") as f:
        _, failed, _ = judge(f.readlines(), sys.argv[2])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

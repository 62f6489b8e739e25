#!/usr/bin/python3
"""Count individual tests from one or more `meson test` runs and print the
closing line.

    summarize.py [--fail NAME]... BUILD_DIR[=PREFIX]...

GoogleTest binaries (protocol 'gtest') are counted by their test cases, from
the XML report meson asks them to write; TAP scripts (protocol 'tap') by their
ok / not ok lines; anything else as one test. A binary that crashed before
writing its report counts as one failure. Each build directory's tests are
named with its PREFIX (e.g. build-asan=asan: gives "asan: unit / pipeline"),
so runs of the same suites in several builds stay apart; all of them add up
to the one "N passed, N failed" line. --fail NAME counts one failure that has
no test log (a build that did not finish).
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
failures = []


def count_run(build, prefix):
    global passed, failed, skipped
    log = os.path.join(build, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        print("no test log at %s" % log, file=sys.stderr)
        failed += 1
        failures.append("%s%s: no test log" % (prefix, build))
        return
    with open(log) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    for e in entries:
        name = prefix + e.get("name", "?")
        result = e.get("result", "ERROR")
        ok = result in ("OK", "EXPECTEDFAIL")
        counted = False
        short = e.get("name", "?").split(" / ")[-1]
        xml_path = os.path.join(build, short + ".xml")
        # scripts/test.sh deletes old reports first, so any report here is fresh.
        if os.path.exists(xml_path):
            try:
                root = ET.parse(xml_path).getroot()
                cases = root.iter("testcase")
                n = 0
                for c in cases:
                    n += 1
                    if c.find("failure") is not None or c.find("error") is not None:
                        failed += 1
                        failures.append("%s: %s.%s" % (name, c.get("classname"), c.get("name")))
                    elif c.find("skipped") is not None or c.get("result") == "skipped" or c.get("status") == "notrun":
                        skipped += 1
                    else:
                        passed += 1
                if n:
                    counted = True
                    if not ok and not any(f.startswith(name + ":") for f in failures):
                        # The binary failed outside any test case (crash, timeout).
                        failed += 1
                        failures.append("%s: %s" % (name, result))
            except ET.ParseError:
                pass
        if not counted:
            out = e.get("stdout") or ""
            tap_ok = len(re.findall(r"^ok \d+", out, re.M))
            tap_skip = len(re.findall(r"^ok \d+.*# SKIP", out, re.M | re.I))
            # TAP TODO: a known gap; "not ok ... # TODO" is an expected
            # failure (counted as skipped), never a pass.
            tap_todo = re.findall(r"^not ok \d+.*# TODO.*$", out, re.M | re.I)
            tap_fail = [t for t in re.findall(r"^not ok \d+.*$", out, re.M) if t not in tap_todo]
            if tap_ok or tap_fail or tap_todo:
                passed += tap_ok - tap_skip
                skipped += tap_skip + len(tap_todo)
                failed += len(tap_fail)
                failures.extend("%s: %s" % (name, t) for t in tap_fail)
                if not ok and not tap_fail:
                    failed += 1
                    failures.append("%s: %s" % (name, result))
            elif result == "SKIP":
                skipped += 1
            elif ok:
                passed += 1
            else:
                failed += 1
                failures.append("%s: %s" % (name, result))


args = sys.argv[1:]
runs = []
while args:
    a = args.pop(0)
    if a == "--fail" and args:
        failed += 1
        failures.append(args.pop(0))
    else:
        build, _, prefix = a.partition("=")
        runs.append((build, prefix))
if not runs and not failures:
    print("usage: summarize.py [--fail NAME]... BUILD_DIR[=PREFIX]...", file=sys.stderr)
    print("0 passed, 1 failed")
    sys.exit(1)
for build, prefix in runs:
    count_run(build, prefix)

for f in failures:
    print("FAILED " + f)
line = "%d passed, %d failed" % (passed, failed)
if skipped:
    line += ", %d skipped" % skipped
print(line)
sys.exit(1 if failed else 0)

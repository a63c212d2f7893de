"""Counts `go test -json` results for bindings/go/tests/run.sh.

Usage: summarize.py LABEL FILE... ; prints "passed failed skipped" for the
files together, and a line per failure to stderr.

A result is counted per test or subtest that has no subtests of its own
(a leaf: every vector scenario is one), so a parent is not counted twice.
A parent that failed while all its subtests passed, and a package that
failed without any failing test (a build error, a crash, a timeout), count
as one failure each.
"""

import json
import sys

label, files = sys.argv[1], sys.argv[2:]
results = {}  # (package, test) -> pass|fail|skip
pkg_failed = set()
for path in files:
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError:
        lines = []
        pkg_failed.add((path, "(no output)"))
    for line in lines:
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        action, pkg, test = ev.get("Action"), ev.get("Package", ""), ev.get("Test")
        if action not in ("pass", "fail", "skip"):
            continue
        if test:
            results[(pkg, test)] = action
        elif action == "fail":
            pkg_failed.add((pkg, path))

names = set(results)
passed = failed = skipped = 0
failures = []
for (pkg, test), action in sorted(results.items()):
    has_children = any(p == pkg and t.startswith(test + "/") for p, t in names)
    if has_children:
        child_failed = any(
            p == pkg and t.startswith(test + "/") and a == "fail" for (p, t), a in results.items()
        )
        if action == "fail" and not child_failed:
            failed += 1
            failures.append(f"{pkg} {test}")
        continue
    if action == "pass":
        passed += 1
    elif action == "skip":
        skipped += 1
    else:
        failed += 1
        failures.append(f"{pkg} {test}")
for pkg, path in sorted(pkg_failed):
    if not any(p == pkg and a == "fail" for (p, _), a in results.items()):
        failed += 1
        failures.append(f"{pkg}: the package failed outside any test ({path})")
for f in failures:
    print(f"go ({label}): FAIL {f}", file=sys.stderr)
print(passed, failed, skipped)

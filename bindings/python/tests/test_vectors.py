"""The shared conformance vectors (tests/vectors/*.json), one test per scenario.

Scenarios that require a capability this runner lacks ("core": internal
functions of the C library) are reported as skipped with the reason
"not applicable: requires core": they are never counted as passed.

The runner is checked too: every deliberately wrong vector of
tests/c/vectors/selfcheck/ must fail, for the reason that file's
expected_failures.txt lists (the same step; the same wording where the
failure is not a C parser message).
"""

from __future__ import annotations

import os
import pathlib
import re

import pytest
import vectors_runner as vr
from conftest import REPO

VECTORS = pathlib.Path(os.environ.get("SECUREMEMORY_VECTORS_DIR", REPO / "tests" / "vectors"))
SELFCHECK = REPO / "tests" / "c" / "vectors" / "selfcheck"

CASES = vr.load_cases(VECTORS)


def test_the_vector_directory_has_scenarios():
    assert len(CASES) >= 60, f"{len(CASES)} scenarios in {VECTORS}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_vector(case: vr.Case) -> None:
    if case.error is not None:
        pytest.fail(case.error, pytrace=False)
    reason = vr.not_applicable(case.scenario)
    if reason is not None:
        pytest.skip(reason)
    try:
        vr.run_scenario(case.scenario)
    except vr.VectorError as e:
        pytest.fail(str(e), pytrace=False)


# -- the runner's self-check -----------------------------------------------------


def _expected_failures() -> dict[str, str]:
    path = SELFCHECK / "expected_failures.txt"
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, fragment = line.partition(" | ")
            out[name.strip()] = fragment.strip()
    return out


EXPECTED = _expected_failures()


def _outcome(case: vr.Case) -> tuple[str, str]:
    """("failed", message), ("passed", "") or ("n/a", reason) for one case."""
    if case.error is not None:
        return "failed", case.error
    reason = vr.not_applicable(case.scenario)
    if reason is not None:
        return "n/a", reason
    try:
        vr.run_scenario(case.scenario)
    except vr.VectorError as e:
        return "failed", str(e)
    return "passed", ""


def test_selfcheck_is_present():
    assert len(EXPECTED) >= 20, f"no selfcheck list in {SELFCHECK}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_runner_rejects_the_wrong_vector(name: str) -> None:
    cases = {c.id: c for c in vr.load_cases(SELFCHECK)}
    assert name in cases, f"{name} was never run (cases: {sorted(cases)})"
    fragment = EXPECTED[name]
    if name.endswith("/(file)"):
        state, message = _outcome(cases[name])
        assert state == "failed"
        if not fragment.startswith("JSON error"):  # parser wording differs
            assert fragment in message
        return
    state, message = _outcome(cases[name])
    if state == "n/a":
        pytest.skip(message)
    assert state == "failed", f"{name} passed"
    step = re.match(r"step \d+ \([^)]*\): ", fragment)
    if step:
        assert message.startswith(step.group(0)), (message, fragment)
    assert fragment in message, (message, fragment)


def test_every_selfcheck_vector_is_listed():
    cases = vr.load_cases(SELFCHECK)
    assert cases
    assert {c.id for c in cases} == set(EXPECTED)

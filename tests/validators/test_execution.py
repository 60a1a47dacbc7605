from __future__ import annotations

from collections.abc import Callable

import pytest

from validators import CheckContext, ValidatorParamsError, Verdict

Check = Callable[..., Verdict]
Py = Callable[[str], str]

HIDDEN = """
from solution import add

def test_small(): assert add(1, 2) == 3
def test_zero(): assert add(0, 0) == 0
def test_negative(): assert add(-1, 1) == 0
def test_big(): assert add(10**6, 1) == 1000001
def test_floats(): assert add(0.5, 0.25) == 0.75
"""
SPEC = {"python_tests": {"tests": "test_hidden.py", "module": "solution"}}

Fixtures = Callable[[dict[str, str]], CheckContext]


@pytest.fixture
def ctx(fixtures: Fixtures) -> CheckContext:
    return fixtures({"test_hidden.py": HIDDEN})


def test_python_tests_pass(ctx: CheckContext, check: Check, py: Py) -> None:
    verdict = check(SPEC, py("def add(a, b):\n    return a + b"), ctx)
    assert verdict.passed, verdict.reason
    assert verdict.reason == "All hidden 5 tests passed."


def test_python_tests_names_the_failing_test(ctx: CheckContext, check: Check, py: Py) -> None:
    verdict = check(SPEC, py("def add(a, b):\n    return abs(a) + b"), ctx)
    assert not verdict.passed
    assert "test_negative" in verdict.reason and verdict.details["failing"] == ["test_negative"]


def test_python_tests_rejects_broken_code(ctx: CheckContext, check: Check, py: Py) -> None:
    verdict = check(SPEC, py("def add(a, b)\n    return a + b"), ctx)
    assert not verdict.passed and "could not be collected" in verdict.reason


def test_python_tests_rejects_exit_before_tests(ctx: CheckContext, check: Check, py: Py) -> None:
    verdict = check(SPEC, py("import os\nos._exit(0)"), ctx)
    assert not verdict.passed


def test_python_tests_without_code_block(ctx: CheckContext, check: Check) -> None:
    verdict = check(SPEC, "def add(a, b): return a + b", ctx)
    assert not verdict.passed and "no ```python code block" in verdict.reason


def test_missing_hidden_tests_is_the_authors_error(fixtures: Fixtures, check: Check, py: Py) -> None:
    with pytest.raises(ValidatorParamsError, match=r"test_hidden\.py"):
        check(SPEC, py("def add(a, b): return a + b"), fixtures({}))


IMPLEMENTATION = "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n"
MUTANTS = {
    "mutants/no_upper.py": "def clamp(x, lo, hi):\n    return max(lo, x)\n",
    "mutants/swapped.py": "def clamp(x, lo, hi):\n    return min(lo, max(x, hi))\n",
}
KILL = {"tests_kill_mutants": {"implementation": "clamp.py", "module": "clamp", "mutants": list(MUTANTS)}}


@pytest.fixture
def mutant_ctx(fixtures: Fixtures) -> CheckContext:
    return fixtures({"clamp.py": IMPLEMENTATION, **MUTANTS})


def test_kill_mutants_pass(mutant_ctx: CheckContext, check: Check, py: Py) -> None:
    tests = (
        "from clamp import clamp\n\ndef test_inside(): assert clamp(5, 0, 10) == 5\n"
        "def test_above(): assert clamp(15, 0, 10) == 10\ndef test_below(): assert clamp(-5, 0, 10) == 0\n"
    )
    verdict = check(KILL, py(tests), mutant_ctx)
    assert verdict.passed, verdict.reason
    assert verdict.details["killed"] == 2


def test_kill_mutants_names_survivors(mutant_ctx: CheckContext, check: Check, py: Py) -> None:
    weak = "from clamp import clamp\n\ndef test_inside(): assert clamp(5, 0, 10) == 5\n"
    verdict = check(KILL, py(weak), mutant_ctx)
    assert not verdict.passed
    assert "mutants/no_upper.py" in verdict.reason and "swapped" not in verdict.reason
    assert verdict.details["survivors"] == ["mutants/no_upper.py"]


def test_kill_mutants_rejects_tests_failing_on_correct_code(mutant_ctx: CheckContext, check: Check, py: Py) -> None:
    wrong = "from clamp import clamp\n\ndef test_wrong(): assert clamp(5, 0, 10) == 6\n"
    verdict = check(KILL, py(wrong), mutant_ctx)
    assert not verdict.passed and "correct implementation" in verdict.reason


def test_kill_mutants_rejects_answer_without_tests(mutant_ctx: CheckContext, check: Check, py: Py) -> None:
    verdict = check(KILL, py("from clamp import clamp\n"), mutant_ctx)
    assert not verdict.passed and "No tests were collected" in verdict.reason

"""The fixtures mean what the scenarios claim: buggy code fails, original behaviour passes, mutants differ."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from harness.scenarios import Scenario, TaskType, load_suite

ROOT = Path(__file__).resolve().parents[2] / "scenarios"
SUITE = load_suite("full", root=ROOT)


def _python_tests_spec(scenario: Scenario) -> dict[str, str]:
    return next(spec["python_tests"] for spec in scenario.validators
                if isinstance(spec, dict) and "python_tests" in spec)


def _as_answer(code: str) -> str:
    return f"```python\n{code}```\n"


def _given_code(scenario: Scenario) -> str:
    """The code the prompt hands to the model, saved under the module name the hidden tests import."""
    return scenario.fixture_path(_python_tests_spec(scenario)["module"] + ".py").read_text(encoding="utf-8")


def _by_type(*types: TaskType) -> list[Scenario]:
    return [s for s in SUITE if s.task_type in types]


@pytest.mark.parametrize("scenario", _by_type(TaskType.DEBUGGING), ids=lambda s: s.id)
def test_buggy_code_fails_the_hidden_tests(scenario: Scenario) -> None:
    verdict = asyncio.run(scenario.check(_as_answer(_given_code(scenario))))
    assert not verdict.passed
    assert verdict.validator == "python_tests", verdict.reason


@pytest.mark.parametrize("scenario", _by_type(TaskType.REFACTORING, TaskType.DOCUMENTATION), ids=lambda s: s.id)
def test_original_code_passes_the_behaviour_tests_but_not_the_structure_rules(scenario: Scenario) -> None:
    """The hidden tests pin today's behaviour, so a behaviour-preserving answer can pass them."""
    verdict = asyncio.run(scenario.check(_as_answer(_given_code(scenario))))
    assert not verdict.passed and verdict.validator == "ast_rules", verdict.reason
    passed = [v["validator"] for v in verdict.details["verdicts"] if v["passed"]]
    assert "python_tests" in passed


@pytest.mark.parametrize("scenario", _by_type(TaskType.TEST_GENERATION), ids=lambda s: s.id)
def test_mutants_are_real_changes(scenario: Scenario) -> None:
    spec = next(s["tests_kill_mutants"] for s in scenario.validators if "tests_kill_mutants" in s)
    original = scenario.fixture_path(spec["implementation"]).read_text(encoding="utf-8")
    mutants = [scenario.fixture_path(m).read_text(encoding="utf-8") for m in spec["mutants"]]
    assert 2 <= len(mutants) <= 4
    assert len({original, *mutants}) == len(mutants) + 1

from __future__ import annotations

from collections.abc import Callable

import pytest

from validators import UnknownValidatorError, ValidatorParamsError, Verdict

Check = Callable[..., Verdict]
Py = Callable[[str], str]


def test_all_of(check: Check) -> None:
    spec = {"all_of": [{"contains": {"any_of": ["a"]}}, {"max_length": {"chars": 5}}]}
    assert check(spec, "abc").passed
    verdict = check(spec, "abcdefgh")
    assert not verdict.passed and verdict.validator == "max_length"


def test_any_of(check: Check) -> None:
    spec = {"any_of": [{"contains": {"any_of": ["alpha"]}}, {"regex": {"any_of": [r"\d{3}"]}}]}
    assert check(spec, "code 123").passed
    verdict = check(spec, "nothing")
    assert not verdict.passed and verdict.reason.startswith("None of the alternatives passed")


def test_not(check: Check) -> None:
    spec = {"not": {"contains": {"any_of": ["TODO"]}}}
    assert check(spec, "done").passed
    assert not check(spec, "TODO: finish").passed
    assert check({"not": "python_syntax"}, "no code").passed


def test_nested_errors_surface(check: Check) -> None:
    with pytest.raises(UnknownValidatorError):
        check({"all_of": [{"nope": None}]}, "x")
    with pytest.raises(ValidatorParamsError):
        check({"any_of": []}, "x")

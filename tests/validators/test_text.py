from __future__ import annotations

from collections.abc import Callable

import pytest

from validators import ValidatorParamsError, Verdict

Check = Callable[..., Verdict]
Py = Callable[[str], str]

SQL_REVIEW = {"contains": {"all_of": [["SQL injection", "SQLi", "unsanitized query"], "parameterized"]}}


def test_contains_with_synonyms(check: Check) -> None:
    assert check(SQL_REVIEW, "This is SQLi; use a Parameterized query.").passed
    verdict = check(SQL_REVIEW, "Looks fine, but use a parameterized query.")
    assert not verdict.passed
    assert "'SQL injection' | 'SQLi' | 'unsanitized query'" in verdict.reason


def test_contains_any_of_and_case(check: Check) -> None:
    spec = {"contains": {"any_of": ["Race", "deadlock"], "case_sensitive": True}}
    assert check(spec, "a Race condition").passed
    assert not check(spec, "a race condition").passed


def test_contains_whole_word(check: Check) -> None:
    spec = {"contains": {"any_of": ["SQLi"], "whole_word": True}}
    assert check(spec, "that is SQLi.").passed
    assert not check(spec, "we use SQLite").passed


def test_contains_needs_terms(check: Check) -> None:
    with pytest.raises(ValidatorParamsError):
        check({"contains": {}}, "x")


def test_not_contains(check: Check) -> None:
    spec = {"not_contains": {"any_of": ["As an AI", "I cannot"]}}
    assert check(spec, "Here is the fix.").passed
    verdict = check(spec, "As an AI, I cannot")
    assert not verdict.passed and "'As an AI'" in verdict.reason


def test_regex(check: Check) -> None:
    spec = {"regex": {"all_of": [r"order\s+by", r"allow-?list"]}}
    assert check(spec, "ORDER BY must use an allowlist").passed
    assert not check(spec, "ORDER BY is fine").passed


def test_regex_invalid_pattern_is_a_params_error(check: Check) -> None:
    with pytest.raises(ValidatorParamsError, match="invalid regular expression"):
        check({"regex": {"any_of": ["(unclosed"]}}, "x")


def test_max_length(check: Check) -> None:
    assert check({"max_length": {"words": 3}}, "one two three").passed
    verdict = check({"max_length": {"words": 3}}, "one two three four")
    assert not verdict.passed and "4 words" in verdict.reason
    assert not check({"max_length": {"chars": 5}}, "123456").passed

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from pydantic import BaseModel

import validators
from harness.errors import UserError
from validators import CheckContext, UnknownValidatorError, ValidatorParamsError, Verdict, check_all, register

Check = Callable[..., Verdict]
Py = Callable[[str], str]


def test_importing_registers_every_builtin() -> None:
    assert set(validators.known_validators()) >= {
        "contains",
        "not_contains",
        "regex",
        "json",
        "code_block",
        "python_syntax",
        "python_tests",
        "tests_kill_mutants",
        "ast_rules",
        "max_length",
        "llm_judge",
        "all_of",
        "any_of",
        "not",
    }


def test_unknown_validator_lists_the_known_names() -> None:
    with pytest.raises(UnknownValidatorError, match="contains") as err:
        validators.build("no_such_thing")
    assert isinstance(err.value, UserError)


def test_bad_params_name_validator_and_field() -> None:
    with pytest.raises(ValidatorParamsError) as err:
        validators.build({"max_length": {"chars": "many"}})
    assert isinstance(err.value, UserError)
    assert (err.value.validator, err.value.field) == ("max_length", "chars")


def test_unknown_param_is_rejected() -> None:
    with pytest.raises(ValidatorParamsError, match="typo"):
        validators.build({"contains": {"any_of": ["x"], "typo": 1}})


def test_spec_with_two_keys_is_rejected() -> None:
    with pytest.raises(ValidatorParamsError, match="exactly one key"):
        validators.build({"contains": {"any_of": ["x"]}, "regex": {"any_of": ["y"]}})


def test_paramless_validator_as_bare_string_and_null() -> None:
    assert validators.build("python_syntax").name == "python_syntax"
    assert validators.build({"python_syntax": None}).name == "python_syntax"


class ShoutParams(BaseModel):
    word: str


def test_user_function_validators_sync_and_async(check: Check) -> None:
    @register("test_shout", ShoutParams)
    def shout(output: str, ctx: CheckContext, params: ShoutParams) -> tuple[bool, str]:
        return params.word.upper() in output, f"Say {params.word.upper()} loudly."

    @register("test_nonempty")
    async def nonempty(output: str, ctx: CheckContext, params: None) -> bool:
        return bool(output.strip())

    assert check({"test_shout": {"word": "hi"}}, "HI there").passed
    verdict = check({"test_shout": {"word": "hi"}}, "hi there")
    assert (verdict.passed, verdict.reason, verdict.validator) == (False, "Say HI loudly.", "test_shout")
    assert check("test_nonempty", "x").passed
    failed = check("test_nonempty", "  ")
    assert not failed.passed and failed.reason.endswith(".")


def test_user_class_validator(check: Check) -> None:
    @register("test_always_no")
    class AlwaysNo:
        name = "test_always_no"

        async def check(self, output: str, ctx: CheckContext) -> Verdict:
            return Verdict(passed=False, reason="Never good enough.", validator=self.name)

    assert not check("test_always_no", "anything").passed


def test_check_all_reports_the_first_failure_with_every_verdict() -> None:
    built = [
        validators.build(s)
        for s in (
            {"contains": {"any_of": ["alpha"]}},
            {"max_length": {"chars": 3}},
            {"contains": {"any_of": ["zzz"]}},
        )
    ]
    verdict = asyncio.run(check_all(built, "alpha beta", CheckContext()))
    assert not verdict.passed and verdict.validator == "max_length"
    assert [v["passed"] for v in verdict.details["verdicts"]] == [True, False, False]
    assert asyncio.run(check_all(built[:1], "alpha", CheckContext())).passed

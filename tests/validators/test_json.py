from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from pydantic import BaseModel

from validators import CheckContext, ValidatorParamsError, Verdict

Check = Callable[..., Verdict]
Py = Callable[[str], str]

SCHEMA = {"type": "object", "properties": {"severity": {"enum": ["low", "high"]}}, "required": ["severity"]}


class Finding(BaseModel):
    severity: str
    line: int


def test_json_bare_fenced_and_in_prose(check: Check) -> None:
    spec = {"json": {"schema": SCHEMA}}
    assert check(spec, '{"severity": "high"}').passed
    assert check(spec, 'Result:\n```json\n{"severity": "low"}\n```').passed
    assert check(spec, 'I think {"severity": "low", "note": "x"} sums it up.').passed


def test_json_schema_failure_names_the_place(check: Check) -> None:
    verdict = check({"json": {"schema": SCHEMA}}, '{"severity": "medium"}')
    assert not verdict.passed and "severity" in verdict.reason


def test_json_missing_object(check: Check) -> None:
    verdict = check({"json": {"required": ["a"]}}, "no json here")
    assert not verdict.passed and "no JSON object" in verdict.reason


def test_json_required_keys(check: Check) -> None:
    assert check({"json": {"required": ["a"]}}, '{"a": 1}').passed
    assert not check({"json": {"required": ["a", "b"]}}, '{"a": 1}').passed


def test_json_schema_file(fixtures: Callable[[dict[str, str]], CheckContext], check: Check) -> None:
    ctx = fixtures({"schema.json": json.dumps(SCHEMA)})
    assert check({"json": {"schema_file": "schema.json"}}, '{"severity": "low"}', ctx).passed
    assert not check({"json": {"schema_file": "schema.json"}}, '{"severity": 3}', ctx).passed
    with pytest.raises(ValidatorParamsError, match="not found"):
        check({"json": {"schema_file": "absent.json"}}, "{}", ctx)


def test_json_pydantic_model(check: Check) -> None:
    spec = {"json": {"model": f"{__name__}:Finding"}}
    assert check(spec, '{"severity": "high", "line": 3}').passed
    assert not check(spec, '{"severity": "high", "line": "three"}').passed


def test_json_invalid_schema_is_a_params_error(check: Check) -> None:
    with pytest.raises(ValidatorParamsError, match="invalid JSON Schema"):
        check({"json": {"schema": {"type": "no-such-type"}}}, "{}")

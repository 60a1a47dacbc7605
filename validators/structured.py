"""JSON answers: find the object (bare or fenced) and hold it to a JSON Schema, a pydantic model or required keys."""

from __future__ import annotations

import importlib
import json
from typing import Any

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from validators.base import CheckContext, ValidatorParamsError, Verdict, fixture_path
from validators.code import extract_code
from validators.registry import register

_decoder = json.JSONDecoder()


def find_json_object(output: str) -> dict[str, Any] | None:
    """A ```json block first, then the whole answer, then the first decodable `{...}` in the prose."""
    candidates = [block for block in (extract_code(output, "json", "first"), output.strip()) if block]
    for text in candidates:
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    start = output.find("{")
    while start != -1:
        try:
            value, _ = _decoder.raw_decode(output, start)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value
        start = output.find("{", start + 1)
    return None


def _import_model(path: str) -> type[BaseModel]:
    module_name, _, attr = path.partition(":")
    try:
        model = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"cannot import {path!r}: {exc}") from None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ValueError(f"{path!r} is not a pydantic model")
    return model


class JsonParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    json_schema: dict[str, Any] | None = Field(default=None, alias="schema", description="inline JSON Schema")
    schema_file: str | None = Field(default=None, description="JSON Schema file in the scenario fixtures")
    model: str | None = Field(default=None, description="pydantic model as 'package.module:ClassName'")
    required: list[str] = Field(default_factory=list, description="top-level keys that must be present")

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is not None:
            try:
                jsonschema.validators.validator_for(schema).check_schema(schema)
            except jsonschema.SchemaError as exc:
                raise ValueError(f"invalid JSON Schema: {exc.message}") from None
        return schema

    @field_validator("model")
    @classmethod
    def _importable(cls, model: str | None) -> str | None:
        if model is not None:
            _import_model(model)
        return model

    @model_validator(mode="after")
    def _one_schema(self) -> JsonParams:
        if self.json_schema is not None and self.schema_file is not None:
            raise ValueError("give schema or schema_file, not both")
        return self


def _location(path: Any) -> str:
    return "/".join(str(part) for part in path) or "the top level"


@register("json", JsonParams)
class JsonValidator:
    name = "json"

    def __init__(self, params: JsonParams) -> None:
        self.params = params

    def _schema(self, ctx: CheckContext) -> dict[str, Any] | None:
        if self.params.schema_file is None:
            return self.params.json_schema
        path = fixture_path(ctx, self.params.schema_file, self.name, "schema_file")
        try:
            schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            jsonschema.validators.validator_for(schema).check_schema(schema)
        except (ValueError, jsonschema.SchemaError) as exc:
            reason = f"{path.name} is not a valid JSON Schema: {exc}"
            raise ValidatorParamsError(self.name, "schema_file", reason) from None
        return schema

    def _fail(self, reason: str, **details: Any) -> Verdict:
        return Verdict(passed=False, reason=reason, validator=self.name, details=details)

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        data = find_json_object(output)
        if data is None:
            return self._fail("The answer contains no JSON object.")
        missing = [key for key in self.params.required if key not in data]
        if missing:
            return self._fail(f"The JSON object lacks the required keys {', '.join(missing)}.", missing=missing)
        schema = self._schema(ctx)
        if schema is not None:
            checker = jsonschema.validators.validator_for(schema)(schema)
            error = jsonschema.exceptions.best_match(checker.iter_errors(data))
            if error is not None:
                return self._fail(f"The JSON does not match the schema at {_location(error.absolute_path)}: "
                                  f"{error.message[:200]}.", path=list(error.absolute_path))
        if self.params.model is not None:
            try:
                _import_model(self.params.model).model_validate(data)
            except ValidationError as exc:
                first = exc.errors()[0]
                return self._fail(f"The JSON does not match {self.params.model} at {_location(first['loc'])}: "
                                  f"{first['msg']}.", errors=exc.error_count())
        return Verdict(passed=True, reason="The answer contains a valid JSON object.", validator=self.name)

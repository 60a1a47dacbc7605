"""Validators by name, so scenario YAML can use them; built-ins and users' own register the same way."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from harness.errors import first_error
from validators.base import CheckContext, UnknownValidatorError, Validator, ValidatorParamsError, Verdict

T = TypeVar("T")
Factory = Callable[[BaseModel | None], Any]

_FACTORIES: dict[str, tuple[type[BaseModel] | None, Factory]] = {}


class FunctionValidator:
    """Adapts a plain function `(output, ctx, params) -> Verdict | bool | (bool, str)` to the protocol."""

    def __init__(self, name: str, fn: Callable[..., Any], params: BaseModel | None) -> None:
        self.name = name
        self._fn = fn
        self._params = params

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        if inspect.iscoroutinefunction(self._fn):
            result = await self._fn(output, ctx, self._params)
        else:  # user code may be slow: keep it off the event loop
            result = await asyncio.to_thread(self._fn, output, ctx, self._params)
        if isinstance(result, Verdict):
            return result
        if isinstance(result, bool):
            passed, reason = result, ""
        else:
            passed, reason = bool(result[0]), str(result[1])
        default = f"The {self.name} check {'passed' if passed else 'rejected the answer'}."
        return Verdict(passed=passed, reason=reason or default, validator=self.name)


def register(name: str, params: type[BaseModel] | None = None) -> Callable[[T], T]:
    """Decorator: a class is built as `cls(params)` (or `cls()`), a function is wrapped as-is."""

    def decorate(obj: T) -> T:
        factory: Factory
        if inspect.isclass(obj):
            cls: Callable[..., Any] = obj
            factory = (lambda p: cls(p)) if params is not None else (lambda _p: cls())
        elif callable(obj):
            fn = obj
            factory = lambda p: FunctionValidator(name, fn, p)  # noqa: E731
        else:
            raise TypeError(f"@register({name!r}) needs a class or a function")
        _FACTORIES[name] = (params, factory)
        return obj

    return decorate


def known_validators() -> list[str]:
    return sorted(_FACTORIES)


def _split_spec(spec: Mapping[str, Any] | str) -> tuple[str, Any]:
    if isinstance(spec, str):
        return spec, None
    if isinstance(spec, Mapping) and len(spec) == 1:
        ((name, value),) = spec.items()
        if isinstance(name, str):
            return name, value
    raise ValidatorParamsError(
        "?", "spec", f"expected a validator name or a mapping with exactly one key (the name), got {spec!r}"
    )


def build(spec: Mapping[str, Any] | str) -> Validator:
    """Turn one YAML spec into a ready validator; parameters are checked here, not at check time."""
    name, value = _split_spec(spec)
    if name not in _FACTORIES:
        raise UnknownValidatorError(name, known_validators())
    params_model, factory = _FACTORIES[name]
    if params_model is None:
        if value not in (None, {}):
            raise ValidatorParamsError(name, "params", "this validator takes no parameters")
        plain: Validator = factory(None)
        return plain
    try:
        params = params_model.model_validate({} if value is None else value)
    except ValidationError as exc:
        raise ValidatorParamsError(name, *first_error(exc, "params")) from None
    built: Validator = factory(params)
    return built


async def check_all(validators: Sequence[Validator], output: str, ctx: CheckContext) -> Verdict:
    """All must pass; a failure reports the first failing verdict, with every verdict in the details."""
    verdicts: list[Verdict] = list(await asyncio.gather(*(v.check(output, ctx) for v in validators)))
    details: dict[str, Any] = {"verdicts": [v.model_dump(mode="json") for v in verdicts]}
    for verdict in verdicts:
        if not verdict.passed:
            return Verdict(passed=False, reason=verdict.reason, validator=verdict.validator, details=details)
    if not verdicts:
        return Verdict(passed=True, reason="No validators are configured, so the answer was accepted unchecked.",
                       validator="all_of", details=details)
    return Verdict(passed=True, reason=f"All {len(verdicts)} checks passed.", validator="all_of", details=details)

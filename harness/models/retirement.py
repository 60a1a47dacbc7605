"""Warn, once per model and process, when a configured model is retired or about to be.

The dates come from the installed `anthropic` SDK, which ships the deprecation schedule.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from datetime import date, datetime

from anthropic._data.deprecated_models import DEPRECATED_MODELS

from harness.models.registry import Registry

NEAR_DAYS = 60
_warned: set[str] = set()


class ModelRetirementWarning(UserWarning):
    """A configured model is past or near its retirement date."""


def _parse(text: str) -> date | None:
    cleaned = re.sub(r"(\d+)(st|nd|rd|th)", r"\1", text)
    try:
        return datetime.strptime(cleaned, "%B %d, %Y").date()
    except ValueError:
        return None


def retirement_date(model_id: str, registry: Registry | None = None) -> date | None:
    """The SDK's retirement date for an id, its aliases or its canonical id."""
    names = {model_id}
    if registry is not None and model_id in registry:
        info = registry.get(model_id)
        names |= {info.id, *info.aliases}
    dates = [d for n in names if (raw := DEPRECATED_MODELS.get(n)) and (d := _parse(raw))]
    return min(dates) if dates else None


def retirement_notice(model_id: str, registry: Registry | None = None, today: date | None = None) -> str | None:
    when = retirement_date(model_id, registry)
    if when is None:
        return None
    days = (when - (today or date.today())).days
    if days < 0:
        return f"model '{model_id}' was retired on {when}; calls to it will fail. Choose a current model."
    if days <= NEAR_DAYS:
        return f"model '{model_id}' retires on {when} (in {days} days); plan a move to a current model."
    return None


def warn_retiring(model_ids: Iterable[str], registry: Registry | None = None) -> list[str]:
    """Emit each notice once per process; returns the notices emitted now."""
    emitted = []
    for model_id in model_ids:
        if model_id in _warned:
            continue
        notice = retirement_notice(model_id, registry)
        if notice:
            _warned.add(model_id)
            warnings.warn(notice, ModelRetirementWarning, stacklevel=2)
            emitted.append(notice)
    return emitted

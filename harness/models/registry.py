"""The model registry: which models exist, their tier, window and exact prices.

Data lives in `models.toml` beside this module; a user file (HARNESS_MODELS_FILE or
`[tool.harness] models_file`) adds or overrides rows without code changes.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError

from harness.errors import UserError
from harness.models.pricing import LongContextTier, PriceTable, cost_of
from harness.models.usage import Usage

BUILTIN_MODELS_FILE = Path(__file__).with_name("models.toml")
MODELS_FILE_ENV = "HARNESS_MODELS_FILE"


class Tier(StrEnum):
    CHEAP = "cheap"
    CAPABLE = "capable"
    PREMIUM = "premium"


class ModelInfo(PriceTable):
    """One model row: prices per million tokens plus what routing needs to know."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    display: str = ""
    tier: Tier
    aliases: tuple[str, ...] = ()
    context_window: PositiveInt
    max_output: PositiveInt
    long_context: LongContextTier | None = None
    source: str
    as_of: date
    notes: str = ""

    def cost(self, usage: Usage, *, batch: bool = False) -> Decimal:
        """Exact USD of one call on this model (long-context tier and batch discount applied)."""
        base = PriceTable(
            input=self.input,
            output=self.output,
            cache_write_5m=self.cache_write_5m,
            cache_write_1h=self.cache_write_1h,
            cache_read=self.cache_read,
        )
        return cost_of(base, usage, self.long_context, batch=batch)


class Preset(BaseModel):
    """A named chain of model ids, cheapest first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    chain: tuple[str, ...] = Field(min_length=1)


class UnknownModelError(UserError):
    """A model id the registry does not know; the message lists close matches."""


class Registry:
    """Models by id and alias, plus named presets."""

    def __init__(self, models: Iterable[ModelInfo], presets: Iterable[Preset] = ()) -> None:
        self.models: dict[str, ModelInfo] = {m.id: m for m in models}
        self.presets: dict[str, Preset] = {p.name: p for p in presets}
        for preset in self.presets.values():
            for model_id in preset.chain:
                self.get(model_id)

    @cached_property
    def _by_name(self) -> dict[str, ModelInfo]:
        names: dict[str, ModelInfo] = {}
        for model in self.models.values():
            names[model.id] = model
            for alias in model.aliases:
                names[alias] = model
        return names

    def get(self, model_id: str) -> ModelInfo:
        """The row for an id or alias (e.g. a dated snapshot id the API reports)."""
        try:
            return self._by_name[model_id]
        except KeyError:
            close = difflib.get_close_matches(model_id, list(self._by_name), n=4, cutoff=0.5)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise UnknownModelError(
                f"unknown model '{model_id}'.{hint} Known models: `harness models`; "
                f"add your own with {MODELS_FILE_ENV} or [tool.harness] models_file."
            ) from None

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._by_name

    def preset(self, name: str) -> Preset:
        try:
            return self.presets[name]
        except KeyError:
            raise UserError(
                f"unknown model preset '{name}'; known presets: {', '.join(sorted(self.presets))}"
            ) from None

    def cost(self, model_id: str, usage: Usage, *, batch: bool = False) -> Decimal:
        return self.get(model_id).cost(usage, batch=batch)

    def by_tier(self, tier: Tier) -> list[ModelInfo]:
        return [m for m in self.models.values() if m.tier == tier]


def _parse_rows(data: Mapping[str, Any], origin: Path) -> tuple[dict[str, dict[str, Any]], list[Preset]]:
    defaults = data.get("defaults", {})
    rows: dict[str, dict[str, Any]] = {}
    for model_id, row in data.get("models", {}).items():
        if not isinstance(row, dict):
            raise UserError(f"{origin}: [models.\"{model_id}\"] must be a table")
        # A row without its own source/as_of is attributed to the file it came from, as of today.
        provenance = {"source": defaults.get("source", str(origin)), "as_of": defaults.get("as_of", date.today())}
        rows[model_id] = provenance | row
    presets = []
    for name, row in data.get("presets", {}).items():
        try:
            presets.append(Preset(name=name, **row))
        except (TypeError, ValidationError) as exc:
            raise UserError(f"{origin}: [presets.\"{name}\"]: {exc}") from None
    return rows, presets


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"models file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None


def load_registry(user_file: Path | None = None) -> Registry:
    """Built-in rows, then the user's file on top (same id: user's row wins, field by field)."""
    rows, presets = _parse_rows(_read_toml(BUILTIN_MODELS_FILE), BUILTIN_MODELS_FILE)
    env_file = os.environ.get(MODELS_FILE_ENV)
    user_path = user_file or (Path(env_file) if env_file else None)
    all_presets = {p.name: p for p in presets}
    user_ids: set[str] = set()
    if user_path is not None:
        user_rows, user_presets = _parse_rows(_read_toml(user_path), user_path)
        for model_id, row in user_rows.items():
            rows[model_id] = rows.get(model_id, {}) | row
        user_ids = set(user_rows)
        all_presets |= {p.name: p for p in user_presets}
    models = []
    for model_id, row in rows.items():
        try:
            models.append(ModelInfo(id=model_id, **row))
        except ValidationError as exc:
            where = user_path if user_path and model_id in user_ids else BUILTIN_MODELS_FILE
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise UserError(f"{where}: model '{model_id}': {problems}") from None
    return Registry(models, all_presets.values())

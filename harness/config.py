"""Project configuration: `[tool.harness]` in pyproject.toml, or a harness.toml, in the working dir.

Each layer validates its own section (policies, gate thresholds) with its own pydantic model;
this module only finds the file and checks the top-level fields.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import UserError, first_error

CONFIG_ENV = "HARNESS_CONFIG"


class ProjectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Path | None = None
    models_file: Path | None = None
    policy: str = "default"
    telemetry_db: Path = Path(".harness/telemetry.db")
    scenarios_dir: Path = Path("scenarios")
    policies: dict[str, dict[str, Any]] = {}
    gate: dict[str, Any] = {}
    runner: dict[str, Any] = {}


def _section(path: Path) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        section = data.get("tool", {}).get("harness")
        return section if isinstance(section, dict) else None
    return data


def load_config(directory: Path | None = None) -> ProjectConfig:
    """HARNESS_CONFIG, else harness.toml, else pyproject.toml's [tool.harness], else defaults."""
    base = directory or Path.cwd()
    explicit = os.environ.get(CONFIG_ENV)
    candidates = [Path(explicit)] if explicit else [base / "harness.toml", base / "pyproject.toml"]
    for path in candidates:
        if not path.is_file():
            if explicit:
                raise UserError(f"{CONFIG_ENV}={explicit}: no such file")
            continue
        section = _section(path)
        if section is None:
            continue
        try:
            config = ProjectConfig(source=path, **section)
        except ValidationError as exc:
            field, problem = first_error(exc)
            raise UserError(f"{path}: [tool.harness] field '{field}': {problem}") from None
        root = path.parent
        updates: dict[str, Path] = {"telemetry_db": root / config.telemetry_db,
                                    "scenarios_dir": root / config.scenarios_dir}
        if config.models_file is not None:
            updates["models_file"] = root / config.models_file
        return config.model_copy(update=updates)
    return ProjectConfig(telemetry_db=base / ".harness/telemetry.db", scenarios_dir=base / "scenarios")

"""A scenario is data: a prompt, its fixtures and the validators that decide success.

Every error a scenario file can contain is found at load time (YAML syntax, unknown fields,
unknown validators or bad parameters, template errors, missing fixture files) and reported as a
`UserError` naming the file, the field and the reason, so a suite never fails halfway through a run.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, field_validator

from harness.errors import UserError
from validators import CheckContext, Validator, Verdict, check_all
from validators import build as build_validator

DEFAULT_ROOT = Path("scenarios")
FULL_TAG = "full"
QUICK_TAG = "quick"


class TaskType(StrEnum):
    """Closed set so a typo cannot split a task type's statistics in two."""

    CODE_GENERATION = "code_generation"
    CODE_REVIEW = "code_review"
    TEST_GENERATION = "test_generation"
    DOCUMENTATION = "documentation"
    REFACTORING = "refactoring"
    DEBUGGING = "debugging"
    CONCURRENCY = "concurrency"
    ARCHITECTURE_ANALYSIS = "architecture_analysis"
    SECURITY_AUDIT = "security_audit"
    COMPLEX_REASONING = "complex_reasoning"


class ScenarioError(UserError):
    """A scenario file is wrong; the message names the file, the field and the reason."""

    def __init__(self, path: Path, field: str, reason: str) -> None:
        super().__init__(f"{path}: {field}: {reason}")
        self.path = path
        self.field = field
        self.reason = reason


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys: PyYAML would silently keep the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file; syntax errors name the file and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        raise UserError(f"{path}: {where}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: invalid YAML: {exc}") from None


class Scenario(BaseModel):
    """One task and its definition of success. Build it with `load_scenario`, not directly."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str = Field(min_length=1)
    task_type: TaskType
    tags: tuple[str, ...]
    system: str | None = None
    prompt: str = Field(min_length=1, description="Jinja2 template; fixture('name') inserts a fixture file")
    fixtures: Path = Field(description="folder of fixture files; relative paths are relative to the scenario file")
    validators: tuple[Any, ...] = Field(min_length=1, description="validator specs, see `validators.build`")
    max_tokens: PositiveInt = 4096
    trials: PositiveInt = 1
    source: Path = Field(description="the YAML file this scenario was loaded from")

    @field_validator("tags")
    @classmethod
    def _tags_include_full(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        # `full` means "every scenario": a scenario outside it would silently never run in CI.
        if FULL_TAG not in tags:
            raise ValueError(f"must include '{FULL_TAG}' (the full suite is every scenario)")
        return tags

    @property
    def validator_names(self) -> list[str]:
        """Top-level validator names, as written in the file (for listings)."""
        return [spec if isinstance(spec, str) else next(iter(spec)) for spec in self.validators]

    def fixture_path(self, name: str) -> Path:
        """Path of a fixture file, refusing names that escape the fixtures folder."""
        base = self.fixtures.resolve()
        path = (base / name).resolve()
        if not path.is_relative_to(base):
            raise ScenarioError(self.source, "fixtures", f"{name!r} is outside the fixtures folder {self.fixtures}")
        if not path.is_file():
            raise ScenarioError(self.source, "fixtures", f"missing fixture file {name!r} in {self.fixtures}")
        return path

    def _fixture_text(self, name: str) -> str:
        """Without trailing newlines, so `{{ fixture(...) }}` on its own line inside a fence adds no blank line."""
        return self.fixture_path(name).read_text(encoding="utf-8").rstrip("\n")

    def render_prompt(self) -> str:
        """The user message sent to the model: the template with fixture files inlined."""
        env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
        env.globals["fixture"] = self._fixture_text
        try:
            return env.from_string(self.prompt).render()
        except jinja2.TemplateSyntaxError as exc:
            reason = f"template syntax error on line {exc.lineno}: {exc.message}"
            raise ScenarioError(self.source, "prompt", reason) from None
        except jinja2.UndefinedError as exc:
            raise ScenarioError(self.source, "prompt", f"template error: {exc.message}") from None

    def build_validators(self) -> list[Validator]:
        """Fresh validator objects for one check (the specs were already built once at load)."""
        return [build_validator(spec) for spec in self.validators]

    def check_context(self, judge: Any = None, judge_model: str | None = None) -> CheckContext:
        """What validators need to know about this scenario: its fixtures, task type and prompt."""
        return CheckContext(
            fixtures_dir=self.fixtures if self.fixtures.is_dir() else None,
            task_type=self.task_type.value,
            prompt=self.render_prompt(),
            judge=judge,
            judge_model=judge_model,
        )

    async def check(self, output: str) -> Verdict:
        """Run every validator on one answer; the first rejection decides."""
        return await check_all(self.build_validators(), output, self.check_context())


def _format_loc(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def load_scenario(path: Path | str) -> Scenario:
    """Load and fully check one scenario file: every later step may assume it is valid."""
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError(path, "(file)", f"expected a mapping of fields, got {type(data).__name__}")
    data = dict(data)
    stem_id = path.stem
    if "source" in data:
        raise ScenarioError(path, "source", "is set by the loader, remove it")
    if data.setdefault("id", stem_id) != stem_id:
        raise ScenarioError(path, "id", f"{data['id']!r} must equal the file name {stem_id!r}")
    fixtures = Path(str(data.get("fixtures", Path("fixtures") / stem_id)))
    data["fixtures"] = fixtures if fixtures.is_absolute() else path.parent / fixtures
    data["source"] = path
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ScenarioError(path, _format_loc(first["loc"]), first["msg"]) from None
    scenario.render_prompt()
    for index, spec in enumerate(scenario.validators):
        try:
            build_validator(spec)  # an unknown name's error lists the known ones
        except UserError as exc:
            raise ScenarioError(path, f"validators[{index}]", str(exc)) from None
        _check_fixture_params(scenario, index, spec)
    return scenario


# Validator parameters that name files in the fixtures folder.
_FIXTURE_PARAMS = frozenset({"tests", "implementation", "mutants"})


def _check_fixture_params(scenario: Scenario, index: int, spec: Any) -> None:
    """Fail at load, not mid-run, when a validator refers to a fixture file that is not there."""
    if not isinstance(spec, dict):
        return
    for params in spec.values():
        if isinstance(params, list):
            for nested in params:
                _check_fixture_params(scenario, index, nested)
        elif isinstance(params, dict):
            for key, value in params.items():
                if key in _FIXTURE_PARAMS:
                    for name in [value] if isinstance(value, str) else value:
                        try:
                            scenario.fixture_path(str(name))
                        except ScenarioError as exc:
                            raise ScenarioError(scenario.source, f"validators[{index}].{key}", exc.reason) from None
                else:
                    _check_fixture_params(scenario, index, value)


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())


def _expand(item: Path) -> list[Path]:
    if item.is_dir():
        return _yaml_files(item)
    if item.is_file():
        return [item]
    raise UserError(f"{item}: no such scenario file or directory")


def load_suite(name_or_paths: str | Path | Iterable[str | Path], root: Path = DEFAULT_ROOT) -> list[Scenario]:
    """Scenarios of a suite, sorted by id.

    A plain string is a tag of the scenarios in `root` (`quick`, `full`, or any tag a team adds);
    a Path, a string naming an existing file/directory, or a list of them loads those files.
    """
    if isinstance(name_or_paths, str) and not Path(name_or_paths).exists():
        return _load_tagged(name_or_paths, root)
    items = [name_or_paths] if isinstance(name_or_paths, str | Path) else list(name_or_paths)
    files: dict[Path, Path] = {}  # a file named twice (directly and via its folder) loads once
    for item in items:
        for file in _expand(Path(item)):
            files.setdefault(file.resolve(), file)
    scenarios = [load_scenario(f) for f in files.values()]
    _check_unique(scenarios)
    if not scenarios:
        raise UserError(f"no scenario files in {', '.join(str(i) for i in items)}")
    return sorted(scenarios, key=lambda s: s.id)


def _load_tagged(tag: str, root: Path) -> list[Scenario]:
    if not root.is_dir():
        raise UserError(f"{root}: scenario directory not found (looking for suite {tag!r})")
    every = [load_scenario(f) for f in _yaml_files(root)]
    _check_unique(every)
    chosen = [s for s in every if tag in s.tags]
    if not chosen:
        tags = sorted({t for s in every for t in s.tags})
        raise UserError(f"no suite or file {tag!r} in {root}; suites: {', '.join(tags) or 'none'}")
    return sorted(chosen, key=lambda s: s.id)


def _check_unique(scenarios: Sequence[Scenario]) -> None:
    seen: dict[str, Path] = {}
    for s in scenarios:
        if s.id in seen:
            raise ScenarioError(s.source, "id", f"{s.id!r} is also defined in {seen[s.id]}")
        seen[s.id] = s.source

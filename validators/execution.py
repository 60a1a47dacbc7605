"""Validators that run model-written code: the scenario's hidden tests, and generated tests against mutants."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from validators.base import CheckContext, Verdict, fixture_path
from validators.code import Which, extract_code, no_block_reason
from validators.registry import register
from validators.sandbox import SandboxLimits, SandboxResult, run_sandboxed

# Same interpreter as the harness; no plugins, no cache, no project ini/conftest: startup is most of the cost.
_PYTEST_ARGV = (
    "-m", "pytest", "-q", "--maxfail=3", "--tb=short", "--color=no", "--no-header",
    "-p", "no:cacheprovider", "-c", "/dev/null", "--rootdir", ".",
)
_PYTEST_ENV = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
_SUMMARY = re.compile(r"(\d+) (passed|failed|errors?)\b")
_FAILED_LINE = re.compile(r"^(FAILED|ERROR) (\S+?)(?: - (.*))?$", re.MULTILINE)
_SNIPPET = 160


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 3] + "..."


class PytestRun(BaseModel):
    """One pytest run in the sandbox, read back into what a verdict needs."""

    model_config = ConfigDict(frozen=True)

    passed: bool
    reason: str
    failing: list[str]
    counts: dict[str, int]
    sandbox: SandboxResult

    def details(self) -> dict[str, Any]:
        return {
            "failing": self.failing,
            "counts": self.counts,
            "limit_hit": self.sandbox.limit_hit,
            "returncode": self.sandbox.returncode,
            "duration_s": round(self.sandbox.duration_s, 3),
            "isolation": self.sandbox.isolation.model_dump(),
            "output_tail": (self.sandbox.stdout + self.sandbox.stderr)[-2000:],
        }


def _read_pytest(result: SandboxResult) -> PytestRun:
    out = result.stdout + "\n" + result.stderr
    counts: dict[str, int] = {}
    for number, kind in _SUMMARY.findall(out[-2000:]):
        counts[kind.rstrip("s") if kind.startswith("error") else kind] = int(number)
    failing = [m.group(2).split("::")[-1] for m in _FAILED_LINE.finditer(out)]
    messages = {m.group(2).split("::")[-1]: m.group(3) or "" for m in _FAILED_LINE.finditer(out)}

    def run(passed: bool, reason: str) -> PytestRun:
        return PytestRun(passed=passed, reason=reason, failing=failing, counts=counts, sandbox=result)

    if result.limit_sentence:
        return run(False, f"The code was stopped because {result.limit_sentence}.")
    if result.returncode == 0 and counts.get("passed", 0) > 0 and not counts.get("failed") and not counts.get("error"):
        return run(True, f"All {counts['passed']} tests passed.")
    if result.returncode == 5:
        return run(False, "No tests were collected.")
    collection = [name for name in failing if name.endswith(".py")]
    if collection:
        error_line = next((line[1:].strip() for line in out.splitlines() if line.startswith("E ")), "")
        return run(False, f"The tests could not be collected: {_short(error_line or collection[0])}.")
    if failing:
        shown = "; ".join(_short(f"{name} ({messages[name]})" if messages[name] else name) for name in failing[:3])
        return run(False, f"{len(failing)} test{'s' if len(failing) > 1 else ''} failed: {shown}.")
    tail = _short(out.strip().splitlines()[-1] if out.strip() else "no output")
    return run(False, f"The test run ended without a pass (exit code {result.returncode}): {tail}.")


async def run_pytest(files: dict[str, str], test_file: str, limits: SandboxLimits) -> PytestRun:
    result = await run_sandboxed([sys.executable, *_PYTEST_ARGV, test_file], files, limits, _PYTEST_ENV)
    return _read_pytest(result)


def _fixture_text(ctx: CheckContext, name: str, validator: str, field: str) -> tuple[str, str]:
    """(file name inside the sandbox, content): nested fixture paths are flattened to their base name."""
    path = fixture_path(ctx, name, validator, field)
    return Path(name).name, path.read_text(encoding="utf-8")


class PythonTestsParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tests: str = Field(description="hidden pytest file in the scenario fixtures")
    module: str = Field(default="solution", pattern=r"^[A-Za-z_]\w*$", description="the answer is saved as <module>.py")
    which: Which = "largest"
    limits: SandboxLimits = Field(default_factory=SandboxLimits)


@register("python_tests", PythonTestsParams)
class PythonTests:
    name = "python_tests"

    def __init__(self, params: PythonTestsParams) -> None:
        self.params = params

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        code = extract_code(output, "python", self.params.which)
        if code is None:
            return Verdict(passed=False, reason=no_block_reason("python"), validator=self.name)
        test_name, test_text = _fixture_text(ctx, self.params.tests, self.name, "tests")
        run = await run_pytest({f"{self.params.module}.py": code, test_name: test_text}, test_name, self.params.limits)
        reason = run.reason.replace("All ", "All hidden ", 1) if run.passed else run.reason
        return Verdict(passed=run.passed, reason=reason, validator=self.name, details=run.details())


class KillMutantsParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    implementation: str = Field(description="correct implementation in the scenario fixtures")
    mutants: list[str] = Field(min_length=1, description="faulty variants in the fixtures; each must be caught")
    module: str = Field(default="solution", pattern=r"^[A-Za-z_]\w*$", description="module name the tests import")
    which: Which = "largest"
    limits: SandboxLimits = Field(default_factory=SandboxLimits)


@register("tests_kill_mutants", KillMutantsParams)
class TestsKillMutants:
    """The answer is test code: worthless unless it passes on the right code and fails on each wrong one."""

    __test__ = False  # not a pytest class, despite the name
    name = "tests_kill_mutants"
    test_file = "test_generated.py"

    def __init__(self, params: KillMutantsParams) -> None:
        self.params = params

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        tests = extract_code(output, "python", self.params.which)
        if tests is None:
            return Verdict(passed=False, reason=no_block_reason("python"), validator=self.name)
        module = f"{self.params.module}.py"
        _, correct = _fixture_text(ctx, self.params.implementation, self.name, "implementation")
        mutants = [fixture_path(ctx, m, self.name, "mutants").read_text(encoding="utf-8") for m in self.params.mutants]
        runs = await asyncio.gather(
            *(run_pytest({module: impl, self.test_file: tests}, self.test_file, self.params.limits)
              for impl in [correct, *mutants])
        )
        on_correct, on_mutants = runs[0], runs[1:]
        survivors = [name for name, run in zip(self.params.mutants, on_mutants, strict=True) if run.passed]
        details = {"correct": on_correct.details(), "survivors": survivors,
                   "killed": len(on_mutants) - len(survivors), "mutants": len(on_mutants)}
        if not on_correct.passed:
            reason = f"The tests do not pass on the correct implementation: {on_correct.reason}"
            return Verdict(passed=False, reason=reason, validator=self.name, details=details)
        if survivors:
            reason = (f"The tests pass on the correct implementation but miss {len(survivors)} of "
                      f"{len(on_mutants)} faulty versions: {', '.join(survivors)}.")
            return Verdict(passed=False, reason=reason, validator=self.name, details=details)
        reason = f"The tests pass on the correct implementation and catch all {len(on_mutants)} faulty versions."
        return Verdict(passed=True, reason=reason, validator=self.name, details=details)

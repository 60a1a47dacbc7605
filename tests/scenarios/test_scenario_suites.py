"""The bundled suites: every file loads, the suites have their promised sizes and coverage."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from harness.scenarios import TaskType, load_scenario, load_suite

ROOT = Path(__file__).resolve().parents[2] / "scenarios"
FILES = sorted(ROOT.glob("*.yaml"))
HARD = {TaskType.CONCURRENCY, TaskType.ARCHITECTURE_ANALYSIS, TaskType.SECURITY_AUDIT}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_scenario_file_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.id == path.stem
    assert "full" in scenario.tags
    assert scenario.render_prompt().strip()
    assert len(scenario.build_validators()) == len(scenario.validators)


def test_suite_sizes() -> None:
    assert len(load_suite("full", root=ROOT)) == 15
    assert len(load_suite("quick", root=ROOT)) == 5


def test_quick_suite_is_one_of_each_kind() -> None:
    kinds = Counter(s.task_type for s in load_suite("quick", root=ROOT))
    for task_type in (TaskType.CODE_GENERATION, TaskType.CODE_REVIEW, TaskType.TEST_GENERATION, TaskType.DEBUGGING):
        assert kinds[task_type] == 1
    assert sum(kinds[t] for t in HARD) == 1


def test_full_suite_covers_the_tutorials_task_types() -> None:
    kinds = Counter(s.task_type for s in load_suite("full", root=ROOT))
    assert kinds[TaskType.CODE_GENERATION] >= 2
    assert kinds[TaskType.CODE_REVIEW] >= 2
    for task_type in (TaskType.TEST_GENERATION, TaskType.DOCUMENTATION, TaskType.REFACTORING, TaskType.DEBUGGING,
                      *HARD):
        assert kinds[task_type] >= 1


def test_validators_that_need_a_judge_are_not_bundled() -> None:
    """Offline runs have no judge model: an llm_judge scenario could never pass there."""
    for scenario in load_suite("full", root=ROOT):
        assert "llm_judge" not in str(scenario.validators), scenario.id


def test_explicit_files_and_directories() -> None:
    one = load_suite(ROOT / "testgen_chunk.yaml")
    assert [s.id for s in one] == ["testgen_chunk"]
    assert len(load_suite([ROOT, ROOT / "testgen_chunk.yaml"])) == 15  # the same file twice counts once
    assert len(load_suite(str(ROOT))) == 15


def test_check_context_points_at_fixtures() -> None:
    scenario = load_scenario(ROOT / "debug_moving_average.yaml")
    ctx = scenario.check_context()
    assert ctx.fixtures_dir is not None and (ctx.fixtures_dir / "test_stats.py").is_file()
    assert ctx.task_type == "debugging"
    assert "def moving_average" in ctx.prompt  # the fixture was inlined by the template

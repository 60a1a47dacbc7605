"""A bad scenario file fails at load with the file, the field and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import UserError
from harness.scenarios import load_samples, load_scenario, load_suite
from harness.scenarios.scenario import ScenarioError

GOOD = """\
title: Example
task_type: code_generation
tags: [full]
prompt: |
  Fix this: {{ fixture("code.py") }}
validators:
  - contains: {all_of: [fixed]}
"""


def _write(tmp_path: Path, text: str, name: str = "example") -> Path:
    fixtures = tmp_path / "fixtures" / name
    fixtures.mkdir(parents=True, exist_ok=True)
    (fixtures / "code.py").write_text("x = 1\n")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_good_file_loads_with_defaults(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, GOOD))
    assert scenario.id == "example" and scenario.trials == 1 and scenario.max_tokens > 0
    assert scenario.render_prompt() == "Fix this: x = 1\n"
    assert scenario.fixtures == tmp_path / "fixtures" / "example"


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        (GOOD.replace("task_type: code_generation", "task_type: codegen"), "task_type", "code_generation"),
        (GOOD.replace("tags: [full]", "tags: [quick]"), "tags", "full"),
        (GOOD + "colour: blue\n", "colour", "Extra inputs are not permitted"),
        (GOOD.replace("title: Example\n", ""), "title", "Field required"),
        (GOOD + "trials: 0\n", "trials", "greater than 0"),
        (GOOD + "id: other\n", "id", "must equal the file name"),
        (GOOD.replace("contains: {all_of: [fixed]}", "containz: {all_of: [fixed]}"), "validators[0]",
         "known validators: "),
        (GOOD.replace("contains: {all_of: [fixed]}", "contains: {al_of: [fixed]}"), "validators[0]", "al_of"),
        (GOOD.replace("contains: {all_of: [fixed]}", "python_tests: {tests: hidden.py}"), "validators[0].tests",
         "missing fixture file 'hidden.py'"),
        (GOOD.replace('fixture("code.py")', 'fixture("nope.py")'), "fixtures", "missing fixture file 'nope.py'"),
        (GOOD.replace('fixture("code.py")', 'fixture("../../../etc/passwd")'), "fixtures", "outside"),
        (GOOD.replace('{{ fixture("code.py") }}', "{{ undefined_name }}"), "prompt", "undefined_name"),
        (GOOD.replace('{{ fixture("code.py") }}', "{% if %}"), "prompt", "syntax error on line 1"),
        ("- just\n- a list\n", "(file)", "expected a mapping"),
    ],
    ids=["task_type", "tags", "extra", "missing", "trials", "id", "unknown-validator", "validator-params",
         "validator-fixture", "prompt-fixture", "fixture-escape", "undefined", "template-syntax", "not-mapping"],
)
def test_bad_file_names_file_field_and_reason(tmp_path: Path, text: str, field: str, reason: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {field}"), message
    assert reason in message, message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("tags: [full]", "tags: [full"))
    with pytest.raises(UserError, match=rf"^{path}: line \d+, column \d+: "):
        load_scenario(path)


def test_duplicate_key_is_an_error_not_a_silent_override(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + "title: Again\n")
    with pytest.raises(UserError, match=r"line 8.*duplicate key 'title'"):
        load_scenario(path)


def test_unknown_suite_lists_the_suites(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    with pytest.raises(UserError, match="suites: full"):
        load_suite("nightly", root=tmp_path)
    with pytest.raises(UserError, match="no such scenario file"):
        load_suite([tmp_path / "missing.yaml"])


def test_same_id_in_two_folders_is_rejected(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    with pytest.raises(ScenarioError, match="also defined in"):
        load_suite([_write(first, GOOD), _write(second, GOOD)])


def test_samples_must_be_labelled(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, GOOD))
    samples = tmp_path / "samples"
    samples.mkdir()
    answer = "- {text: fixed, expect: accepted}"
    bad = "known_bad:\n  - {text: no, note: empty}\n"
    (samples / "example.yaml").write_text(f"label: written by hand\ncapable:\n  {answer}\npremium:\n  {answer}\n{bad}")
    with pytest.raises(ScenarioError, match=r"example\.yaml: label: .*not a live model output"):
        load_samples(scenario)
    (samples / "example.yaml").unlink()
    with pytest.raises(UserError, match="no bundled samples"):
        load_samples(scenario)

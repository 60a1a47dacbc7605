"""Cassette fingerprints, lookup precedence and turn fallback; fault plans and their determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from harness.emulator import Cassette, CassetteStore, FaultPlan, prompt_fingerprint
from harness.emulator.faults import FaultInjector
from harness.errors import UserError
from harness.models import Usage

FP = prompt_fingerprint("be brief", "add two numbers")
USAGE = Usage(input_tokens=10, output_tokens=5)


def tape(label: str, **fields: object) -> Cassette:
    return Cassette(fingerprint=FP, text=label, usage=USAGE, label=label, **fields)


def test_fingerprint_is_stable_and_separates_system_from_user() -> None:
    assert prompt_fingerprint("be brief", "add two numbers") == FP
    assert len(FP) == 64
    assert prompt_fingerprint(None, "x") != prompt_fingerprint("", "x")
    assert prompt_fingerprint("ab", "c") != prompt_fingerprint("a", "bc")


def test_exact_model_beats_tier_beats_wildcard() -> None:
    store = CassetteStore([tape("any"), tape("tier", tier="capable"), tape("exact", model="claude-sonnet-4-6")])
    assert store.lookup("claude-sonnet-4-6", "capable", FP, 1).label == "exact"  # type: ignore[union-attr]
    assert store.lookup("claude-sonnet-4-5", "capable", FP, 1).label == "tier"  # type: ignore[union-attr]
    assert store.lookup("claude-opus-4-6", "premium", FP, 1).label == "any"  # type: ignore[union-attr]
    assert store.lookup("claude-opus-4-6", "premium", "other", 1) is None


def test_cassettes_for_another_model_or_tier_never_answer() -> None:
    store = CassetteStore([tape("opus", model="claude-opus-4-6"), tape("cheap", tier="cheap")])
    assert store.lookup("claude-sonnet-4-6", "capable", FP, 1) is None


def test_missing_turn_falls_back_to_the_highest_turn_below() -> None:
    store = CassetteStore([tape("t1"), tape("t3", turn=3), tape("t2-exact", turn=2, model="claude-sonnet-4-6")])
    labels = [store.lookup("claude-sonnet-4-6", "capable", FP, turn).label for turn in (1, 2, 3, 5)]  # type: ignore[union-attr]
    assert labels == ["t1", "t2-exact", "t3", "t3"]
    assert store.lookup("claude-opus-4-6", "premium", FP, 2).label == "t1"  # type: ignore[union-attr]


def test_load_dir_reads_single_and_list_files(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(tape("one").model_dump_json())
    (tmp_path / "many.json").write_text(json.dumps([tape("a", turn=2).model_dump(), tape("b", turn=3).model_dump()]))
    store = CassetteStore()
    assert store.load_dir(tmp_path) == 3
    assert len(store) == 3
    assert store.lookup("m", None, FP, 2).label == "a"  # type: ignore[union-attr]


def test_load_dir_names_the_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(json.dumps({"fingerprint": FP, "text": "x", "usage": {"input_tokens": -1}}))
    with pytest.raises(UserError, match=r"bad\.json.*usage\.input_tokens"):
        CassetteStore().load_dir(tmp_path)


def test_fault_plan_rejects_unknown_tokens_and_rates_over_one() -> None:
    with pytest.raises(ValidationError):
        FaultPlan(script={"m": ["boom"]})
    with pytest.raises(ValidationError, match="add up to more than 1"):
        FaultPlan(rate_429=0.6, rate_500=0.6)


def test_scripts_are_per_model_then_star_then_random() -> None:
    injector = FaultInjector(FaultPlan(script={"a": ["529", "429:2.5"], "*": ["500"]}, retry_after_s=7))
    kinds = [injector.next_fault(m) for m in ("a", "b", "a", "a", "b")]
    assert [f.kind for f in kinds] == ["529", "500", "429", "ok", "ok"]
    assert kinds[2].retry_after_s == 2.5


def test_seeded_random_faults_and_latency_are_reproducible() -> None:
    plan = FaultPlan(seed=42, rate_429=0.2, rate_529=0.2, rate_500=0.1, latency_ms=100, latency_jitter_ms=50)

    def run(plan: FaultPlan) -> list[tuple[str, float]]:
        injector = FaultInjector(plan)
        return [(f.kind, f.delay_s) for f in (injector.next_fault("m") for _ in range(200))]

    first = run(plan)
    assert first == run(plan)
    kinds = [kind for kind, _ in first]
    assert {"ok", "429", "529", "500"} <= set(kinds)
    assert 0.3 < kinds.count("ok") / len(kinds) < 0.7
    assert all(0.05 <= delay <= 0.15 for _, delay in first)
    assert run(plan.model_copy(update={"seed": 43})) != first


def test_fault_plan_loads_from_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "faults.toml"
    toml.write_text('seed = 3\nrate_529 = 0.1\nhang_s = 0.5\n[script]\n"claude-haiku-4-5" = ["529", "ok"]\n')
    expected = FaultPlan(seed=3, rate_529=0.1, hang_s=0.5, script={"claude-haiku-4-5": ["529", "ok"]})
    assert FaultPlan.load(toml) == expected
    as_json = tmp_path / "faults.json"
    as_json.write_text(json.dumps({"rate_hang": 2}))
    with pytest.raises(UserError, match=r"faults\.json.*rate_hang"):
        FaultPlan.load(as_json)

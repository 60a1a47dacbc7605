"""Policies as data: presets, config tables, overrides, and errors that name the field."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from harness.config import ProjectConfig, load_config
from harness.errors import UserError
from harness.models import Registry, Tier
from harness.providers.base import Completion, CompletionRequest
from harness.router import FallbackPolicy, RetrySettings, Router, Step, load_policy


def config(**policies: dict[str, Any]) -> ProjectConfig:
    return ProjectConfig(source=Path("pyproject.toml"), policies=policies)


def chain(policy: FallbackPolicy, task_type: str, registry: Registry) -> list[tuple[int, str]]:
    return [(i, s.model_id) for i, s in policy.chain_for(task_type, registry)]


def test_presets_come_from_the_registry(registry: Registry) -> None:
    default = load_policy("default", config(), registry)
    assert [s.model for s in default.steps] == list(registry.preset("default").chain)
    three = load_policy("haiku-sonnet-opus", config(), registry)
    assert [registry.get(s.model_id).tier for s in three.steps] == [Tier.CHEAP, Tier.CAPABLE, Tier.PREMIUM]
    assert FallbackPolicy.model_validate(three.model_dump(mode="json")) == three
    tutorial = load_policy("sonnet-4.5-to-opus-4.5", config(), registry)
    assert [s.model for s in tutorial.steps] == ["claude-sonnet-4-5", "claude-opus-4-5"]
    assert {(s.max_attempts, s.repair_attempts) for s in tutorial.steps} == {(2, 0)}  # max_retries=1, no repair


def test_config_policy_with_steps_budgets_and_overrides(registry: Registry) -> None:
    cfg = config(team={
        "steps": [{"tier": "capable", "repair_attempts": 2}, {"model": "claude-opus-4-6"}],
        "task_budget_usd": "0.50", "run_budget_usd": 20, "retry": {"max_total_wait_s": 10},
        "escalate_on": {"max_tokens": True},
        "overrides": {"architecture_analysis": {"start_at": "premium"},
                      "tiny": {"steps": [{"model": "claude-haiku-4-5-20251001"}]}},
    })
    policy = load_policy("team", cfg, registry)
    assert policy.task_budget_usd == Decimal("0.50") and policy.run_budget_usd == Decimal(20)
    assert policy.steps[0].model == "claude-sonnet-4-6" and policy.steps[0].repair_attempts == 2
    assert chain(policy, "general", registry) == [(0, "claude-sonnet-4-6"), (1, "claude-opus-4-6")]
    assert chain(policy, "architecture_analysis", registry) == [(1, "claude-opus-4-6")]
    assert chain(policy, "tiny", registry) == [(0, "claude-haiku-4-5")]  # alias -> canonical id
    assert policy.escalate_on.max_tokens and policy.retry.max_total_wait_s == 10


def test_config_policy_on_a_preset_keeps_its_tuning(registry: Registry) -> None:
    policy = load_policy("cheap", config(cheap={"preset": "sonnet-4.5-to-opus-4.5", "task_budget_usd": "1"}), registry)
    assert policy.name == "cheap" and policy.steps[0].max_attempts == 2 and policy.task_budget_usd == 1


@pytest.mark.parametrize(("raw", "named"), [
    ({"steps": [{"model": "claude-sonet-4-6"}]}, "steps.0.model"),
    ({"steps": [{"model": "claude-sonnet-4-6", "max_attempts": 0}]}, "steps.0.max_attempts"),
    ({"steps": [{"model": "claude-sonnet-4-6", "tier": "premium"}]}, "steps.0"),
    ({"steps": []}, "steps"),
    ({"steps": [{"model": "claude-sonnet-4-6"}], "task_budget_usd": "-1"}, "task_budget_usd"),
    ({"steps": [{"model": "claude-sonnet-4-6"}], "bogus": 1}, "bogus"),
    ({"steps": [{"model": "claude-sonnet-4-6"}], "overrides": {"x": {"start_at": "opus"}}}, "overrides.x.start_at"),
    ({"preset": "nope"}, "preset"),
])
def test_bad_config_names_the_field(registry: Registry, raw: dict[str, Any], named: str) -> None:
    with pytest.raises(UserError) as caught:
        load_policy("team", config(team=raw), registry)
    assert "[tool.harness.policies.team]" in str(caught.value) and named in str(caught.value)


def test_unknown_policy_lists_the_known_ones(registry: Registry) -> None:
    with pytest.raises(UserError, match="known policies: default, haiku-sonnet-opus, mine"):
        load_policy("nope", config(mine={"preset": "default"}), registry)


def test_policy_from_pyproject(tmp_path: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_CONFIG", raising=False)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.harness]\npolicy = "team"\n'
        '[tool.harness.policies.team]\npreset = "haiku-sonnet-opus"\ntask_budget_usd = "0.25"\n'
        '[tool.harness.policies.team.overrides.architecture_analysis]\nstart_at = "premium"\n', encoding="utf-8")
    cfg = load_config(tmp_path)
    policy = load_policy(cfg.policy, cfg, registry)
    assert chain(policy, "architecture_analysis", registry) == [(2, "claude-opus-4-6")]
    assert policy.task_budget_usd == Decimal("0.25")


def test_python_policy_is_resolved_by_the_router_contract(registry: Registry) -> None:
    policy = FallbackPolicy(steps=(Step(tier=Tier.CHEAP), Step(model="claude-opus-4-5-20251101"))).resolved(registry)
    assert [s.model for s in policy.steps] == ["claude-haiku-4-5", "claude-opus-4-5"]


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    retry = RetrySettings(initial_s=1, multiplier=2, max_backoff_s=5, jitter_s=0)
    assert [retry.wait_s(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]
    assert retry.wait_s(1, retry_after_s=7) == 7 and retry.wait_s(3, retry_after_s=2) == 4
    jittered = RetrySettings(initial_s=1, jitter_s=0.5)
    assert all(1 <= jittered.wait_s(1) <= 1.5 for _ in range(20))


class Offline:
    """Test input: a provider that must never be called."""

    name = "anthropic"

    async def complete(self, request: CompletionRequest) -> Completion:
        raise AssertionError("not called in construction tests")


def test_router_for_a_named_policy_checks_its_providers(registry: Registry) -> None:
    router = Router.for_policy("haiku-sonnet-opus", config(), registry, {"anthropic": Offline()})
    assert router.policy.name == "haiku-sonnet-opus" and router.spent_usd == 0
    with pytest.raises(UserError, match="uses provider\\(s\\) anthropic, but only replay were given"):
        Router.for_policy("default", config(), registry, {"replay": Offline()})
